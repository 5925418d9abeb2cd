"""The app under load: start `python app.py`, time it until the page answers, then 16 gradio_client users
doing mixed actions for 60 s; errors and p50/p95 latency per endpoint.

    python benchmarks/bench_app.py --users 16 --seconds 60 --json app_load.json

Each user is a thread with its own Client, looping over a random action with real inputs (uploads
included). Latency is the client's round trip, queue wait included, without downloading the pictures
a result links to (a browser fetches those separately). Run on an otherwise idle machine.
"""
import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.png"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> tuple[subprocess.Popen, float]:
    """`python app.py` on `port`; seconds until GET / answers 200."""
    env = {**os.environ, "PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).status == 200:
                return proc, time.perf_counter() - t
        except OSError:
            time.sleep(0.2)


def actions(client: Client) -> dict:
    """Endpoint -> a function making one call with real, varied inputs."""
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    tops = [p.stem for p in EXAMPLES]
    out = {
        "complete_look": lambda: client.predict(handle_file(str(random.choice(EXAMPLES))), "",
                                                random.choice(["", "for a summer office"]), 10, api_name="/complete_look"),
        "complete_look_by_id": lambda: client.predict(None, random.choice(tops), "", 10, api_name="/complete_look"),
        "explain_pair": lambda: client.predict(*client.predict(api_name="/worn_pair"), api_name="/explain_pair"),
        "build_outfit": lambda: client.predict(handle_file(str(random.choice(EXAMPLES))), "", "", 0,
                                               api_name="/build_outfit"),
        "fill_in_blank": lambda: client.predict(*client.predict(api_name="/fitb_question"), api_name="/fill_in_blank"),
        "recommend_outfits": lambda: client.predict(random.choice(USERS), 6, api_name="/recommend_outfits"),
        "catalog_search": lambda: client.predict("all", random.choice(["navy", "striped cotton", "boots"]),
                                                 api_name="/catalog_search"),
    }
    if "/design" in info:
        out["design"] = lambda: client.predict(random.choice(USERS), "", "top", 4, 1.0, 50, random.randrange(100), "",
                                               api_name="/design")
    return out


USERS: list[str] = []


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=16)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    port = free_port()
    proc, startup = start_app(port)
    print(f"python app.py -> page answering: {startup:.1f} s", flush=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        warm = Client(url, verbose=False, download_files=False)
        from stylist_app.data import load

        USERS.extend(sorted(load("builtin").users)[:50])
        for fn in actions(warm).values():  # one warm-up call each (first-use caches)
            fn()
        times: dict[str, list[float]] = {}
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.perf_counter() + args.seconds

        def user(seed: int) -> None:
            random.seed(seed)
            client = Client(url, verbose=False, download_files=False)
            todo = actions(client)
            while time.perf_counter() < stop:
                name = random.choice(list(todo))
                t = time.perf_counter()
                try:
                    todo[name]()
                except Exception as err:  # noqa: BLE001 - counted and reported
                    with lock:
                        errors.append(f"{name}: {type(err).__name__}: {str(err)[:200]}")
                    continue
                with lock:
                    times.setdefault(name, []).append((time.perf_counter() - t) * 1000)

        threads = [threading.Thread(target=user, args=(k,)) for k in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report = {"startup_s": round(startup, 2), "users": args.users, "seconds": args.seconds, "errors": len(errors),
              "error_examples": errors[:5], "calls": {}}
    for name, ts in sorted(times.items()):
        ts.sort()
        report["calls"][name] = {"n": len(ts), "p50_ms": round(statistics.median(ts), 1),
                                 "p95_ms": round(ts[int(0.95 * (len(ts) - 1))], 1)}
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

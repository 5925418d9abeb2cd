"""The app under load: start `python app.py`, time it until the page answers, then 16 gradio_client users
doing mixed actions for 60 s; errors and p50/p95 latency per endpoint.

    python benchmarks/bench_app.py --users 16 --seconds 60 --json app_load.json

Each user is a thread with its own Client, looping over a random action with real inputs (uploads
included). Latency is the client's round trip, queue wait included, without downloading the pictures
a result links to (a browser fetches those separately). Run on an otherwise idle machine. `memory`: the
server's resident memory after one call of each action and at the end, and its peak (Linux).
"""
import argparse
import json
import random
import statistics
import threading
import time
from pathlib import Path

from gradio_client import Client, handle_file

from stylist_app.bench import EXAMPLES, free_port, process_peak_mb, start_app


def rss_mb(pid: int) -> float:
    """Resident memory of a running process now, in MB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return round(int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024, 1)


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
                                               0.25, api_name="/design")
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
        memory = {"rss_mb_after_one_call_each": rss_mb(proc.pid)}
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
        memory.update(rss_mb_end=rss_mb(proc.pid), peak_mb=process_peak_mb(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report = {"startup_s": round(startup, 2), "users": args.users, "seconds": args.seconds, "errors": len(errors),
              "error_examples": errors[:5], "memory": memory, "calls": {}}
    for name, ts in sorted(times.items()):
        ts.sort()
        report["calls"][name] = {"n": len(ts), "p50_ms": round(statistics.median(ts), 1),
                                 "p95_ms": round(ts[int(0.95 * (len(ts) - 1))], 1)}
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

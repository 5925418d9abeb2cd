"""`stylist bench`: how fast the stylist is, each figure beside a baseline measured in the same run.

- `calls`: median and p95 latency of every engine call on the catalog (warm: after untimed calls
  that build the lazy caches; `first_ms` is the cold first call), each beside a baseline timed
  alternately with it on the same inputs (`baseline` names it, `baseline_median_ms` is its median,
  `ratio` = median / baseline median: below 1, faster than the baseline):
  complete: the faiss index's candidates rescored vs every bottom rescored (exhaustive);
  explain: the student's bare score of the pair; build_outfit: greedy decoding (beam 1);
  fill_in_blank / score_outfit: the Siamese pairwise baseline stored in the Bi-LSTM checkpoint;
  recommend_outfits: the FND teacher vs its compressed student; design: the GAN's samples
  without the preference ascent (steps=0). A call whose model has no checkpoint is
  `{"skipped": reason}`.
- `startup_s`: a fresh Python process to a loaded engine (imports + `StylistEngine.from_checkpoints`).
- `peak_mb`: that fresh process's peak resident memory after one call of every engine method (the
  serving footprint, without the benchmark's baselines).
- `scale`: the retrieval path (`ItemIndex`) on 10k / 100k / 1M synthetic item embeddings: build
  time, index memory, median query latency and recall@10 against exact search (the exact flat
  search's median latency is its baseline).
- `device`: what ran it (CPU model, cores, threads; or the CUDA device).
- `cold_start`: `python app.py` as a fresh clone or a restarted Space meets it, in a fresh `HOME`
  (no cache): seconds until the page answers (`first_page_s`), each tab's first call through
  gradio_client right after (`first_call_s`), the server's peak memory after those calls
  (`peak_mb`), then a second start with the cache the first one left (`warm_start_s`) beside a bare
  Gradio page with torch imported, started the same way (`baseline_start_s`, the floor), the
  size of the shipped catalog files (`shipped_mb`), the first start's phase lines (`start_lines`)
  and what it had to compute rather than read (`computed`: nothing, when the shipped files match).
  Only for `--data builtin` (the app's default).

Figures are medians over repeated calls; these machines are noisy, so compare ratios within a
run rather than absolute numbers across runs.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import faiss
import numpy as np
import torch

from stylist_app.data.tasks import fitb_questions
from stylist_app.index import ItemIndex, unit
from stylist_app.models.bilstm import mean_pairwise

SCALE_SIZES = (10_000, 100_000, 1_000_000)
SCALE_DIM = 64
N_QUERIES = 200
N_INPUTS = 20  # distinct inputs per engine call, cycled through


def _summary(times: list[float]) -> dict:
    """Median and p95 (nearest rank) in milliseconds of `times`."""
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 3),
            "n": len(times)}


def timed(fn, repeats: int = 30, warmup: int = 3, baseline=None) -> dict:
    """Median and p95 wall time of `fn()` in milliseconds, after `warmup` untimed calls; with a `baseline`
    callable, it is called alternately with `fn` (so both see the same load) and its figures are added."""
    fns = [fn] if baseline is None else [fn, baseline]
    times = [[] for _ in fns]
    for _ in range(warmup):
        for f in fns:
            f()
    for _ in range(repeats):
        for f, out in zip(fns, times):
            t = time.perf_counter()
            f()
            out.append((time.perf_counter() - t) * 1000)
    out = _summary(times[0])
    if baseline is not None:
        base = _summary(times[1])
        out.update(baseline_median_ms=base["median_ms"], baseline_p95_ms=base["p95_ms"],
                   ratio=round(out["median_ms"] / max(base["median_ms"], 1e-9), 4))
    return out


def timed_calls(calls) -> dict:
    """Median and p95 wall time in milliseconds of zero-argument callables (e.g. one per test input),
    each called once after one untimed call of the first."""
    calls[0]()
    times = []
    for call in calls:
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return _summary(times)


def peak_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def describe_device(device) -> str:
    """One line: the CUDA device, or the CPU model with its cores and the threads torch and faiss use."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"cuda: {props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}"
    name = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").is_file():
        name = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), name)
    return (f"cpu: {name}, {os.cpu_count()} cores, torch {torch.__version__} on {torch.get_num_threads()} "
            f"thread(s), faiss on {faiss.omp_get_max_threads()} thread(s)")


# ---------------------------------------------------------------- start-up
_STARTUP = """
import json, sys, time
from stylist_app.bench import peak_mb, warm_up
from stylist_app.engine import StylistEngine
engine = StylistEngine.from_checkpoints(sys.argv[1], data=sys.argv[2], device=sys.argv[3])
loaded = time.time()
warm_up(engine)
print(json.dumps({"loaded": loaded, "peak_mb": peak_mb()}))
"""


def startup(checkpoints, data: str, device: str) -> dict:
    """In a fresh Python process: seconds from its start to a loaded engine (`startup_s`), and its peak
    memory after one call of every engine method (`peak_mb`: the serving footprint, without the bench's
    baselines)."""
    t = time.time()
    done = subprocess.run([sys.executable, "-c", _STARTUP, str(checkpoints), data, device],
                          capture_output=True, text=True)
    if done.returncode:
        raise ChildProcessError(f"the start-up probe failed: {' '.join(done.stderr.strip().splitlines()[-1:])}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {"startup_s": round(out["loaded"] - t, 2), "peak_mb": out["peak_mb"]}


# ---------------------------------------------------------------- cold start: the app as a new user meets it
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.png"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A bare Gradio page beside torch: the floor under any start of the app (its imports and server), timed as the
# warm start's baseline.
BARE_APP = """
import os, torch, gradio as gr
with gr.Blocks() as app:
    gr.Markdown("bare")
app.launch(server_port=int(os.environ["PORT"]))
"""


def start_app(port: int, env: dict | None = None, timeout: float = 900,
              argv: tuple[str, ...] = ("app.py",)) -> tuple[subprocess.Popen, float]:
    """`python app.py` (or `python ARGV`) on `port` (with `env`, else this process's environment); seconds until
    GET / answers 200."""
    env = {**(env or os.environ), "PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while time.perf_counter() - t < timeout:
        if proc.poll() is not None:
            raise ChildProcessError(f"app.py exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).status == 200:
                return proc, time.perf_counter() - t
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise TimeoutError(f"app.py did not answer within {timeout:.0f} s")


def stop_app(proc: subprocess.Popen) -> str:
    """Stop the app; return what it printed on stderr."""
    proc.terminate()
    try:
        return proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def process_peak_mb(pid: int) -> float:
    """Peak resident memory of a running process in MB (Linux: VmHWM), or nan elsewhere."""
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return math.nan
    kb = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmHWM"))
    return round(kb / 1024, 1)


def first_calls(client, user: str) -> dict:
    """Tab -> a zero-argument function making that tab's usual first call (uploads where a person would upload)."""
    from gradio_client import handle_file

    top = handle_file(str(EXAMPLES[0]))
    return {
        "Complete the look": lambda: client.predict(top, "", "for a summer office", 10, api_name="/complete_look"),
        "Outfit builder": lambda: client.predict(top, "", "", 0, api_name="/build_outfit"),
        "Design canvas": lambda: client.predict(user, "", "top", 4, 1.0, 50, 0, "", api_name="/design"),
        "Rule attention": lambda: client.predict(*client.predict(api_name="/worn_pair"), api_name="/explain_pair"),
        "For you": lambda: client.predict(user, 6, api_name="/recommend_outfits"),
        "Catalog": lambda: client.predict("all", "navy", api_name="/catalog_search"),
    }


def cold_start(checkpoints) -> dict:
    """The `cold_start` figures (the module docstring), from two starts of `python app.py` in a fresh HOME."""
    from gradio_client import Client

    from stylist_app.features import SHIPPED

    shipped = sum(p.stat().st_size for p in (Path(checkpoints) / SHIPPED).glob("*.safetensors")) / 1e6
    with tempfile.TemporaryDirectory(prefix="stylist-home-") as home:
        env = {k: v for k, v in os.environ.items() if k != "STYLIST_CACHE"}
        env.update(HOME=home, STYLIST_CHECKPOINTS=str(Path(checkpoints).resolve()), STYLIST_DATA="builtin")
        port = free_port()
        proc, first_page = start_app(port, env)
        try:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
            users = next((Path(home) / ".cache" / "stylist").glob("builtin-*/users.jsonl"))  # the app built it
            user = json.loads(users.read_text().splitlines()[0])["id"]
            calls = {}
            for tab, call in first_calls(client, user).items():
                t = time.perf_counter()
                call()
                calls[tab] = round(time.perf_counter() - t, 2)
            peak = process_peak_mb(proc.pid)
        finally:
            log = stop_app(proc)
        proc, warm = start_app(free_port(), env)
        stop_app(proc)
        proc, bare = start_app(free_port(), env, argv=("-c", BARE_APP))
        stop_app(proc)
    return {"first_page_s": round(first_page, 2), "first_call_s": calls, "warm_start_s": round(warm, 2),
            "baseline": "a bare Gradio page beside `import torch` (the floor under any start)",
            "baseline_start_s": round(bare, 2), "warm_start_ratio": round(warm / bare, 2),
            "peak_mb": peak, "shipped_mb": round(shipped, 1),
            "start_lines": [line for line in log.splitlines() if line.startswith("stylist:")],
            "computed": [line for line in log.splitlines() if line.startswith(("encoding ", "computing ", "scaling "))],
            "method": "fresh HOME (empty cache), `python app.py`, GET / polled every 0.1 s; then one call per tab "
                      "with gradio_client; then a second start on the cache the first left"}


# ---------------------------------------------------------------- engine calls
def call_table(engine) -> dict:
    """{call name: (call, baseline, inputs, baseline name)} for every engine call whose models are loaded,
    {call name: reason} for the others. Inputs come from the test split (N_INPUTS of each)."""
    w, table = engine.wardrobe, {}

    def missing(*names: str) -> str | None:
        for name in names:
            if name not in engine.models:
                return f"{name}: {engine.skipped.get(name, f'no {name} checkpoint in {engine.checkpoint_dir}')}"
        return None

    if why := missing("akd"):
        table.update(dict.fromkeys(("complete", "complete_upload", "explain"), why))
    else:
        akd = engine.model("akd")
        pairs = [(t, b) for o in w.split_outfits("test") for t in o.items if akd.slots.get(t) == "top"
                 for b in o.items if akd.slots.get(b) == "bottom"][:N_INPUTS]
        n_bottoms = sum(s == "bottom" for s in akd.slots.values())

        def exhaustive(top):  # every bottom rescored (the index returns them all), then the best 10
            return engine.complete(top, k=n_bottoms)[:10]

        def bare_score(pair):  # the student's inner product <u_t, u_b>, no rules
            with engine.inference():
                rows = [akd.rows[pair[0]], akd.rows[pair[1]]]
                u = akd.main.rows_latent("top", akd.image_mean.new_tensor(rows[:1], dtype=torch.long))
                v = akd.main.rows_latent("bottom", akd.image_mean.new_tensor(rows[1:], dtype=torch.long))
                return float(u @ v.T)

        def complete(top):
            return engine.complete(top, k=10)

        every = "exhaustive: every bottom rescored with the rules (no index)"
        table["complete"] = (complete, exhaustive, [t for t, _ in pairs], every)
        if why := missing("reader"):
            table["complete_upload"] = why
        else:  # the picture is read, then corrected to what the catalog says it is (as a person would)
            uploads = [w.items[t].load_image() for t, _ in pairs]
            fixed = {id(p): {"fine_type": w.items[t].category} for p, (t, _) in zip(uploads, pairs)}
            table["complete_upload"] = (lambda x: engine.complete(x, k=10, reading=fixed[id(x)]),
                                        lambda x: engine.complete(x, k=n_bottoms, reading=fixed[id(x)])[:10],
                                        uploads, every)
        table["explain"] = (lambda p: engine.explain(*p), bare_score, pairs,
                            "the student's bare score of the pair (no rules)")

    if why := missing("bilstm"):
        table.update(dict.fromkeys(("build_outfit", "build_outfit_upload", "fill_in_blank", "score_outfit"), why))
    else:
        outfits = [o.items for o in w.split_outfits("test")[:N_INPUTS]]

        def siamese_scores(outfits):  # mean cosine over each outfit's pairs, catalog embeddings computed once
            def load():
                siamese = engine.model("bilstm").baselines["siamese"]
                with engine.inference():
                    return siamese.rows, torch.nn.functional.normalize(siamese.net(siamese.features).float(), dim=-1)

            rows, g = engine.cached(("bench", "siamese"), load)
            with engine.inference():
                return [mean_pairwise(g[[rows[i] for i in o]]) for o in outfits]

        def siamese_fitb(q):
            context = q.context()
            return siamese_scores([context[:q.position] + (c,) + context[q.position:] for c in q.candidates])

        greedy = "greedy decoding (beam 1) from the same input"
        pairwise = "Siamese pairwise compatibility (the Bi-LSTM paper's baseline), catalog embeddings cached"
        table["build_outfit"] = (lambda q: engine.build_outfit([q]), lambda q: engine.build_outfit([q], beam=1),
                                 [o[0] for o in outfits], greedy)
        if why := missing("reader"):
            table["build_outfit_upload"] = why
        else:
            uploads = [w.items[o[0]].load_image() for o in outfits]
            slots = {id(p): [{"slot": w.items[o[0]].slot}] for p, o in zip(uploads, outfits)}
            table["build_outfit_upload"] = (lambda x: engine.build_outfit([x], readings=slots[id(x)]),
                                            lambda x: engine.build_outfit([x], beam=1, readings=slots[id(x)]),
                                            uploads, greedy)
        table["fill_in_blank"] = (lambda q: engine.fill_in_blank(q.context(), q.position, q.candidates),
                                  siamese_fitb, fitb_questions(w, "test")[:N_INPUTS], pairwise)
        table["score_outfit"] = (engine.score_outfit, lambda o: siamese_scores([o]), outfits, pairwise)

    if why := missing("fnd"):
        table["recommend_outfits"] = why
    else:
        table["recommend_outfits"] = (lambda u: engine.recommend_outfits(u, k=10),
                                      lambda u: engine.recommend_outfits(u, k=10, model="teacher"),
                                      engine.model("fnd").data.user_ids[:N_INPUTS],
                                      "the FND teacher (uncompressed) on the same shoppers")

    if why := missing("dvbpr", "gan"):
        table["design"] = why
    else:
        table["design"] = (lambda u: engine.design(user=u, category="top", n=4, steps=50),
                           lambda u: engine.design(user=u, category="top", n=4, steps=0),
                           list(engine.model("dvbpr").user_rows)[:N_INPUTS],
                           "the GAN's samples without the preference ascent (steps=0)")
    return table


def warm_up(engine) -> None:
    """One call of every engine method that can run (builds the lazy caches: indices, encoders, tables)."""
    for entry in call_table(engine).values():
        if isinstance(entry, tuple):
            entry[0](entry[2][0])


def engine_calls(engine, repeats: int = 30) -> dict:
    """Every engine call's latency beside its baseline (the module docstring); design: a sixth of `repeats`.

    Per call: the cold first call (`first_ms`), then the call and its baseline alternately over the
    cycled inputs after 3 (design: 1) untimed rounds; `complete*` also gets `agreement@10`, the share
    of the exhaustive top 10 that the index path returns."""
    out = {}
    for name, entry in call_table(engine).items():
        if isinstance(entry, str):
            out[name] = {"skipped": entry}
            continue
        fn, baseline, inputs, baseline_name = entry
        t = time.perf_counter()
        fn(inputs[0])
        first_ms = (time.perf_counter() - t) * 1000
        a, b = (itertools.cycle(inputs).__next__ for _ in range(2))
        heavy = name == "design"
        out[name] = {**timed(lambda: fn(a()), max(3, repeats // 6) if heavy else repeats, 1 if heavy else 3,
                             baseline=lambda: baseline(b())),
                     "first_ms": round(first_ms, 1), "baseline": baseline_name}
        if name.startswith("complete"):
            out[name]["agreement@10"] = round(float(np.mean(
                [len({m.item_id for m in fn(x)} & {m.item_id for m in baseline(x)}) / 10 for x in inputs])), 4)
        print(f"{name}: {out[name]}", flush=True)
    return out


# ---------------------------------------------------------------- scale
def synthetic_embeddings(n: int, dim: int = SCALE_DIM, n_clusters: int = 1000, seed: int = 0) -> np.ndarray:
    """Unit vectors around `n_clusters` random centres: item embeddings cluster by kind, as real ones do."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    x = centres[rng.integers(n_clusters, size=n)] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    return unit(x)


def scale_point(n: int, dim: int = SCALE_DIM, k: int = 10, seed: int = 0, repeats: int = 100) -> dict:
    """Build the automatically chosen index over n synthetic items (with every core); one query per call
    through `ItemIndex.search`, beside exact flat search through the same path; recall@k vs exact."""
    both = synthetic_embeddings(n + N_QUERIES, dim, seed=seed)  # queries: new items of the same kinds
    vectors, queries = both[:n], both[n:]
    ids = [str(i) for i in range(n)]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        t = time.perf_counter()
        index = ItemIndex.build(ids, vectors)
        build_s = time.perf_counter() - t
    finally:
        faiss.omp_set_num_threads(threads)
    inner = index.indices["all"]
    memory_mb = len(faiss.serialize_index(inner)) / 2**20
    exact = ItemIndex.build(ids, vectors, flat_limit=n + 1)
    truth, _ = exact.search(queries, k)
    found, _ = index.search(queries, k)
    recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth, found)]))
    a, b = (itertools.cycle(queries[:, None, :]).__next__ for _ in range(2))  # one (1, dim) query per call
    return {"kind": type(inner).__name__, "build_s": round(build_s, 2), "memory_mb": round(memory_mb, 1),
            **timed(lambda: index.search(a(), k), repeats, baseline=lambda: exact.search(b(), k)),
            "recall@10": round(recall, 4), "baseline": "exact flat inner-product search (IndexFlatIP, same search path)",
            "ef_search": getattr(getattr(inner, "hnsw", None), "efSearch", None), "dim": dim}


def scale(sizes=SCALE_SIZES) -> dict:
    """`scale_point` for each size, keyed by the size as a string."""
    out = {}
    for n in sizes:
        print(f"scale: {n} items ...", flush=True)
        out[str(n)] = scale_point(n)
        print(f"  {out[str(n)]}", flush=True)
    return out


def run(checkpoints="checkpoints", data: str = "builtin", device: str = "auto", sizes=SCALE_SIZES,
        repeats: int = 30, threads: int | None = 1, with_cold_start: bool = True) -> dict:
    """The whole benchmark (the module docstring): start-up and peak memory in a fresh process, every
    call beside its baseline in this one (torch and faiss on `threads`), then the scale points."""
    from stylist_app.engine import StylistEngine

    engine = StylistEngine.from_checkpoints(checkpoints, data=data, device=device, threads=threads)
    started = startup(checkpoints, data, device)
    print(f"startup: {started}", flush=True)
    if threads is not None:
        faiss.omp_set_num_threads(threads)
    out = {"calls": engine_calls(engine, repeats), **started, "device": describe_device(engine.device),
           "load_average_1min": round(os.getloadavg()[0], 2), "data": data, "checkpoints": str(checkpoints),
           "repeats": repeats}
    out["scale"] = scale(sizes)
    if with_cold_start and data == "builtin":
        out["cold_start"] = cold_start(checkpoints)
        print(f"cold start: {out['cold_start']}", flush=True)
    return out

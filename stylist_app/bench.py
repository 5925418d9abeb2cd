"""`stylist bench`: how fast the stylist is, each figure beside a baseline measured in the same run.

- `calls`: median and p95 latency of every engine call on the catalog (warm), each beside a
  baseline (e.g. the index path vs exhaustive numpy scoring; the student vs the teacher).
- `startup_s`: from an engine-less process to a loaded engine (`StylistEngine.from_checkpoints`).
- `peak_mb`: the process's peak resident memory.
- `scale`: the retrieval path on 10k / 100k / 1M synthetic item embeddings: build time, index
  memory, median query latency and recall@10 against exact search (the exact flat search's
  median latency is its baseline).

Figures are medians over repeated calls; these machines are noisy, so compare ratios within a
run rather than absolute numbers across runs.
"""
from __future__ import annotations

import itertools
import resource
import statistics
import sys
import time

import faiss
import numpy as np

from stylist_app.index import ItemIndex

SCALE_SIZES = (10_000, 100_000, 1_000_000)
SCALE_DIM = 64
N_QUERIES = 200


def timed(fn, repeats: int = 30, warmup: int = 3) -> dict:
    """Median and p95 wall time of `fn()` in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
            "n": repeats}


def peak_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def synthetic_embeddings(n: int, dim: int = SCALE_DIM, n_clusters: int = 1000, seed: int = 0) -> np.ndarray:
    """Unit vectors around `n_clusters` random centres: item embeddings cluster by kind, as real ones do."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    x = centres[rng.integers(n_clusters, size=n)] + 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def scale_point(n: int, dim: int = SCALE_DIM, k: int = 10, seed: int = 0) -> dict:
    """Build the automatically chosen index over n synthetic items; query latency and recall@k vs exact."""
    both = synthetic_embeddings(n + N_QUERIES, dim, seed=seed)  # queries: new items of the same kinds
    vectors, queries = both[:n], both[n:]
    t = time.perf_counter()
    index = ItemIndex.build([str(i) for i in range(n)], vectors)
    build_s = time.perf_counter() - t
    inner = index.indices["all"]
    memory_mb = len(faiss.serialize_index(inner)) / 2**20
    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors)
    _, truth = exact.search(queries, k)
    _, found = inner.search(queries, k)
    recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth, found)]))
    query = itertools.cycle(queries[:, None, :]).__next__  # one (1, dim) query per call
    index_t = timed(lambda: index.search(query(), k), repeats=100)
    exact_t = timed(lambda: exact.search(query(), k), repeats=30)
    return {"kind": type(inner).__name__, "build_s": round(build_s, 2), "memory_mb": round(memory_mb, 1),
            "median_ms": index_t["median_ms"], "p95_ms": index_t["p95_ms"], "recall@10": round(recall, 4),
            "baseline": "exact flat inner-product search", "baseline_median_ms": exact_t["median_ms"],
            "ef_search": getattr(getattr(inner, "hnsw", None), "efSearch", None)}


def scale(sizes=SCALE_SIZES) -> dict:
    out = {}
    for n in sizes:
        print(f"scale: {n} items ...", flush=True)
        out[str(n)] = scale_point(n)
        print(f"  {out[str(n)]}", flush=True)
    return out

"""Faiss inner-product indices over item embeddings, one per group (slot or category).

`ItemIndex.build(ids, vectors, groups)` makes, per group, an exact `IndexFlatIP` below
`flat_limit` vectors (50k) and an HNSW graph above (M=32, efConstruction=80). HNSW's efSearch is
tuned at build time: the smallest of 16, 32, ..., 1024 whose recall@10 against exact search
reaches `target_recall` (0.95) on 200 probes that stand for new items of the catalog's kind
(catalog items moved by their nearest-neighbour distance). Scores are raw inner products:
normalise the vectors first (`unit`) for cosine similarity.

`search(queries, k, slot=None)` returns (ids, scores), each (n_queries, k'), k' = min(k, items
searched), best first; `slot=None` searches every group and merges. Fewer than 20 queries run
on one OpenMP thread (set in the calling thread only): one query gains nothing from more, and on
a shared machine faiss's threads wait for each other a scheduler slice at a time (one query on
100k flat vectors: 1.1 ms on one thread, 48 ms on two, on the 2-core dev box under load).
"""
from __future__ import annotations

import faiss
import numpy as np

FLAT_LIMIT = 50_000
HNSW_M = 32
EF_CHOICES = (16, 32, 64, 128, 256, 512, 1024)
SERIAL_BELOW = 20  # query batches smaller than this search on one thread


def unit(x) -> np.ndarray:
    """Rows scaled to unit length (float32): cosine similarity as an inner product."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _f32(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))


def tune_ef_search(index: faiss.IndexHNSW, vectors: np.ndarray, target_recall: float = 0.95,
                   n_probe: int = 200, k: int = 10, seed: int = 0) -> int:
    """The smallest efSearch in EF_CHOICES whose recall@k against exact search reaches `target_recall` (it is also set on `index`).

    Probes stand for new items of the catalog's kind: catalog items moved, in a random
    direction, by their distance to their nearest other item. (Catalog items themselves are
    too easy, being graph nodes; points far from the data are too easy as well.)
    """
    rng = np.random.default_rng(seed)
    rows = _f32(vectors[rng.choice(len(vectors), size=min(n_probe, len(vectors)), replace=False)])
    dist, _ = faiss.knn(rows, vectors, 2)  # squared L2; column 0 is the item itself
    step = rng.normal(size=rows.shape)
    step *= np.sqrt(np.maximum(dist[:, 1:2], 1e-12)) / np.linalg.norm(step, axis=1, keepdims=True)
    probes = _f32(rows + step)
    k = min(k, len(vectors))
    _, exact = faiss.knn(probes, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    for ef in EF_CHOICES:
        index.hnsw.efSearch = ef
        _, found = index.search(probes, k)
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(exact, found)])
        if recall >= target_recall:
            break
    return index.hnsw.efSearch


def build_group_index(vectors: np.ndarray, flat_limit: int = FLAT_LIMIT, target_recall: float = 0.95) -> faiss.Index:
    """Exact inner-product search below `flat_limit` vectors, a tuned HNSW graph above."""
    d = vectors.shape[1]
    if len(vectors) < flat_limit:
        index = faiss.IndexFlatIP(d)
        index.add(vectors)
        return index
    index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(vectors)
    tune_ef_search(index, vectors, target_recall)
    return index


class ItemIndex:
    """Inner-product search over item embeddings, per group (see the module docstring)."""

    def __init__(self, indices: dict[str, faiss.Index], ids: dict[str, list[str]]):
        self.indices = indices
        self.ids = {g: np.asarray(v, dtype=object) for g, v in ids.items()}

    @classmethod
    def build(cls, ids, vectors, groups=None, flat_limit: int = FLAT_LIMIT,
              target_recall: float = 0.95) -> ItemIndex:
        """Index `vectors` (N, d) under their `ids`, split by `groups` (a group name per item; None: one group "all")."""
        vectors = _f32(vectors)
        ids = list(ids)
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise ValueError(f"need one vector per id: got {len(ids)} ids and vectors of shape {vectors.shape}")
        groups = np.asarray(["all"] * len(ids) if groups is None else list(groups), dtype=object)
        id_arr = np.asarray(ids, dtype=object)
        indices, group_ids = {}, {}
        for g in dict.fromkeys(groups):
            rows = np.flatnonzero(groups == g)
            indices[g] = build_group_index(vectors[rows], flat_limit, target_recall)
            group_ids[g] = list(id_arr[rows])
        return cls(indices, group_ids)

    @property
    def dim(self) -> int:
        return next(iter(self.indices.values())).d

    def __len__(self) -> int:
        return sum(len(v) for v in self.ids.values())

    def search(self, queries, k: int, slot: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k items by inner product: (ids (n, k') object array, scores (n, k') float32), best first."""
        q = _f32(queries)
        q = q[None] if q.ndim == 1 else q
        if q.shape[1] != self.dim:
            raise ValueError(f"queries have dimension {q.shape[1]}, the index {self.dim}")
        if slot is not None and slot not in self.indices:
            raise ValueError(f"no items in group {slot!r} (groups: {', '.join(self.indices)})")
        all_ids, all_scores = [], []
        threads = faiss.omp_get_max_threads()
        if len(q) < SERIAL_BELOW:
            faiss.omp_set_num_threads(1)
        try:
            for g in [slot] if slot is not None else self.indices:
                scores, rows = self.indices[g].search(q, min(k, len(self.ids[g])))
                found = rows >= 0  # HNSW may return -1 when it finds fewer than k
                all_ids.append(np.where(found, self.ids[g][np.maximum(rows, 0)], None))
                all_scores.append(np.where(found, scores, -np.inf))
        finally:
            faiss.omp_set_num_threads(threads)
        ids, scores = np.concatenate(all_ids, 1), np.concatenate(all_scores, 1)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(ids, order, 1), np.take_along_axis(scores, order, 1)

"""Faiss indices agree with exact search (flat) or nearly (HNSW), per slot."""
import faiss
import numpy as np
import pytest

from stylist_app.index import ItemIndex


def _unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_matches_numpy_per_slot_and_overall():
    rng = np.random.default_rng(0)
    x = _unit(rng, 600, 16)
    ids = [f"item{n}" for n in range(600)]
    slots = np.array(["top", "bottom", "shoes"])[rng.integers(0, 3, 600)]
    index = ItemIndex.build(ids, x, slots)
    assert all(isinstance(i, faiss.IndexFlatIP) for i in index.indices.values()) and len(index) == 600
    q = _unit(rng, 5, 16)
    for slot in ("bottom", None):
        rows = np.flatnonzero(slots == slot) if slot else np.arange(600)
        exact = q @ x[rows].T
        order = np.argsort(-exact, axis=1)[:, :7]
        got_ids, got_scores = index.search(q, 7, slot=slot)
        assert got_ids.tolist() == np.asarray(ids, dtype=object)[rows][order].tolist()
        np.testing.assert_allclose(got_scores, np.take_along_axis(exact, order, 1), rtol=1e-5, atol=1e-5)


def test_k_larger_than_the_slot_and_bad_queries():
    index = ItemIndex.build(["a", "b", "c"], np.eye(3), ["top", "top", "bottom"])
    ids, scores = index.search(np.array([1.0, 0, 0]), 10, slot="top")
    assert ids.tolist() == [["a", "b"]] and scores.tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones((1, 4)), 1)
    with pytest.raises(ValueError, match="shoes"):
        index.search(np.ones((1, 3)), 1, slot="shoes")


def test_hnsw_recall():
    rng = np.random.default_rng(1)
    x = _unit(rng, 20_000, 32)
    ids = [str(n) for n in range(20_000)]
    index = ItemIndex.build(ids, x, flat_limit=10_000)  # force HNSW at this size
    hnsw = index.indices["all"]
    assert isinstance(hnsw, faiss.IndexHNSWFlat)
    q = _unit(rng, 200, 32)
    exact = np.argsort(-(q @ x.T), axis=1)[:, :10]
    got, _ = index.search(q, 10)
    recall = np.mean([len({str(e) for e in row} & set(g)) / 10 for row, g in zip(exact, got)])
    assert recall >= 0.95, (recall, hnsw.hnsw.efSearch)

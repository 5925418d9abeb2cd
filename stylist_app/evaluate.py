"""Metric functions shared by every model (and by the data stats' oracle and baselines).

All take plain sequences / numpy arrays and return floats.
"""
import numpy as np


def auc(pos_scores, neg_scores) -> float:
    """Area under the ROC curve: P(pos > neg) over all pairs, ties counting one half."""
    pos = np.asarray(pos_scores, dtype=np.float64).ravel()
    neg = np.asarray(neg_scores, dtype=np.float64).ravel()
    if not len(pos) or not len(neg):
        raise ValueError("auc needs at least one positive and one negative score")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    # average ranks for ties (1-based)
    _, start, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def pairwise_auc(pos_scores, neg_scores) -> float:
    """Share of aligned (positive, negative) pairs where the positive scores higher (ties 1/2): triplet AUC."""
    pos = np.asarray(pos_scores, dtype=np.float64)
    neg = np.asarray(neg_scores, dtype=np.float64)
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def rank_of_first(scores) -> np.ndarray:
    """1-based rank of column 0 in each row of `scores` (n_queries x n_candidates); ties count half."""
    s = np.asarray(scores, dtype=np.float64)
    return 1 + (s[:, 1:] > s[:, :1]).sum(1) + 0.5 * (s[:, 1:] == s[:, :1]).sum(1)


def mrr(scores) -> float:
    """Mean reciprocal rank of the true candidate, stored in column 0 of each row."""
    return float(np.mean(1.0 / rank_of_first(scores)))


def hit_at_k(scores, k: int) -> float:
    """Share of rows whose true candidate (column 0) ranks within the top k."""
    return float(np.mean(rank_of_first(scores) <= k))


def fitb_accuracy(scores) -> float:
    """Fill-in-the-blank accuracy: the true answer is column 0; ties count as a share of the tie."""
    s = np.asarray(scores, dtype=np.float64)
    best = s.max(1, keepdims=True)
    winners = (s == best)
    return float(np.mean(winners[:, 0] / winners.sum(1)))


def ndcg_at_k(scores, relevance, k: int = 10) -> float:
    """Mean NDCG@k over rows: `scores` and binary/graded `relevance` are n_rows x n_candidates."""
    s = np.asarray(scores, dtype=np.float64)
    rel = np.asarray(relevance, dtype=np.float64)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    gains = np.take_along_axis(rel, order, 1)
    discounts = 1.0 / np.log2(np.arange(2, gains.shape[1] + 2))
    dcg = (gains * discounts).sum(1)
    ideal = (-np.sort(-rel, axis=1)[:, :k] * discounts[: min(k, rel.shape[1])]).sum(1)
    ok = ideal > 0
    return float(np.mean(dcg[ok] / ideal[ok])) if ok.any() else 0.0

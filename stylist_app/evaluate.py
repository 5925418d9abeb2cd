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
    pos = np.asarray(pos_scores, dtype=np.float64).ravel()
    neg = np.asarray(neg_scores, dtype=np.float64).ravel()
    if not len(pos) or len(pos) != len(neg):
        raise ValueError(f"pairwise_auc needs aligned, non-empty scores (got {len(pos)} and {len(neg)})")
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
    """Mean NDCG@k over rows: `scores` and binary/graded `relevance` are n_rows x n_candidates.

    DCG@k = sum over ranks r <= k of rel_r / log2(r + 1), divided by the ideal ordering's DCG@k.
    Tied scores share their ranks' discounts evenly (the expected DCG under random tie-breaking,
    McSherry & Najork 2008), so a constant scorer gets no credit from the order of the columns.
    Rows without any relevant candidate are left out of the mean (0.0 when no row has one).
    """
    s = np.asarray(scores, dtype=np.float64)
    rel = np.asarray(relevance, dtype=np.float64)
    n = s.shape[1]
    discounts = np.zeros(n)
    discounts[: min(k, n)] = 1.0 / np.log2(np.arange(2, min(k, n) + 2))
    out = []
    for srow, rrow in zip(s, rel):
        ideal = (np.sort(rrow)[::-1] * discounts).sum()
        if ideal <= 0:
            continue
        order = np.argsort(-srow, kind="stable")
        ranked, gains = srow[order], rrow[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # first rank of each tie group
        sizes = np.diff(np.r_[starts, n])
        dcg = (np.add.reduceat(gains, starts) * np.add.reduceat(discounts, starts) / sizes).sum()
        out.append(dcg / ideal)
    return float(np.mean(out)) if out else 0.0


def outfit_scorer_metrics(score, wardrobe, split: str = "test", seed: int = 0) -> dict:
    """FITB accuracy and compatibility AUC, easy and hard variants, of any outfit scorer.

    `score(item_ids) -> float` scores a whole outfit (higher = more compatible). FITB picks
    the candidate that maximises the completed outfit's score; compatibility compares true
    outfits with same-slot negatives (tasks.py).
    """
    from stylist_app.data.tasks import compatibility_pairs, fitb_questions

    out = {}
    for suffix, hard in (("", False), ("_hard", True)):
        questions = fitb_questions(wardrobe, split, seed=seed, hard=hard)
        pairs = compatibility_pairs(wardrobe, split, seed=seed, hard=hard)
        if questions:
            rows = [[score(q.items[: q.position] + (c,) + q.items[q.position + 1:]) for c in q.candidates] for q in questions]
            out["fitb_accuracy" + suffix] = fitb_accuracy(rows)
        if pairs:
            out["compat_auc" + suffix] = auc([score(p.positive) for p in pairs], [score(p.negative) for p in pairs])
        if not suffix:
            out["n_fitb"], out["n_compat"] = len(questions), len(pairs)
    return out


def oracle_for(wardrobe):
    """The builtin wardrobe's oracle (the hidden score without noise), or None for other sources.

    Evaluation code reaches the oracle only through here, so that nothing under
    `stylist_app/models` imports the generator's hidden truth.
    """
    from stylist_app.data.builtin.oracle import Oracle

    return Oracle.for_wardrobe(wardrobe)

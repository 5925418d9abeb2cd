"""Evaluation: the metric functions every method shares, and each method's metrics file.

The metric functions below take plain sequences / numpy arrays and return floats. The tasks they
score (FITB, compatibility, top-bottom rankings, held-out purchases and likes) are built in
`data/tasks.py`. Each method's evaluation (`stylist eval NAME`) is the module of that name in this
package: it loads the saved weights, computes every figure the metrics file reports (DESIGN.md
"Metrics files") and adds the oracle's rows, which only evaluation code may reach (`oracle_for`).
Spreads over seeds are sample standard deviations (ddof = 1) everywhere (`mean_and_spread`).
"""
import importlib

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
    """FITB accuracy and compatibility AUC, easy and hard variants, of any outfit scorer, and FITB against
    candidates of the true item's popularity (`fitb_accuracy_popular`; `compat_auc_hard` is matched for popularity
    already).

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
            out["fitb_accuracy" + suffix] = _fitb(score, questions)
        if pairs:
            out["compat_auc" + suffix] = auc([score(p.positive) for p in pairs], [score(p.negative) for p in pairs])
        if not suffix:
            out["n_fitb"], out["n_compat"] = len(questions), len(pairs)
    questions = fitb_questions(wardrobe, split, seed=seed, popular=True)
    if questions:
        out["fitb_accuracy_popular"] = _fitb(score, questions)
    return out


def _fitb(score, questions) -> float:
    return fitb_accuracy([[score(q.items[: q.position] + (c,) + q.items[q.position + 1:]) for c in q.candidates]
                          for q in questions])


def oracle_for(wardrobe):
    """The builtin wardrobe's oracle (the hidden score without noise), or None for other sources.

    Evaluation code reaches the oracle only through here, so that nothing under
    `stylist_app/models` imports the generator's hidden truth.
    """
    from stylist_app.data.builtin.oracle import Oracle

    return Oracle.for_wardrobe(wardrobe)


def mean_and_spread(per_seed: list[dict]) -> dict:
    """Mean of every metric over seeds, with `<name>_std` (sample standard deviation, ddof = 1; 0.0 for one
    seed) and the per-seed values under "seeds". Nested dicts of metrics are merged key by key."""
    def merge(rows: list[dict]) -> dict:
        out = {}
        for key, value in rows[0].items():
            if isinstance(value, dict):
                out[key] = merge([r[key] for r in rows])
            else:
                values = np.array([r[key] for r in rows], dtype=float)
                out[key] = float(values.mean())
                out[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return out

    return {**merge(per_seed), "seeds": per_seed}


def paired_difference(a: list[dict], b: list[dict]) -> dict:
    """Per metric of two models' per-seed results (row k of each from seed k): the mean of a - b over seeds, its
    standard error (sample std / sqrt(n)) and n. Pairing by seed removes what the two share (the split, the
    initial draws, the teacher)."""
    out = {}
    for key, value in a[0].items():
        if isinstance(value, (int, float)):
            d = np.array([x[key] - y[key] for x, y in zip(a, b)], dtype=float)
            se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
            out[key] = {"mean": float(d.mean()), "se": se, "n": len(d)}
    return out


def evaluate(name: str, wardrobe, checkpoint_dir, *, split: str = "test", device="auto") -> dict:
    """The metrics file of method `name` (`stylist eval NAME`): `stylist_app.evaluate.<name>.evaluate`."""
    return importlib.import_module(f"{__name__}.{name}").evaluate(wardrobe, checkpoint_dir, split=split, device=device)


def ranking_metrics(score_pairs, tasks) -> dict:
    """AUC, MRR, hit@10, the hard AUCs and the cold-start AUC / MRR / hit@10 of `score_pairs(tops, bottoms) -> scores`
    on top-bottom questions (`data.tasks.RankingTasks`), scored in one call."""
    n, width = len(tasks.tops), len(tasks.candidates[0])
    tops = tasks.tops * 4 + [t for t, c in zip(tasks.tops, tasks.candidates) for _ in c]
    bottoms = (tasks.positives + tasks.negatives + tasks.popular_negatives + tasks.same_type_negatives
               + [b for c in tasks.candidates for b in c])
    s = np.asarray(score_pairs(tops, bottoms), dtype=np.float64)
    pos, neg, popular, same_type = s[:n], s[n:2 * n], s[2 * n:3 * n], s[3 * n:4 * n]
    table = s[4 * n:].reshape(n, width)

    def block(mask) -> dict:
        return {"auc": pairwise_auc(pos[mask], neg[mask]), "mrr": mrr(table[mask]), "hit@10": hit_at_k(table[mask], 10)}

    out = block(np.ones(n, dtype=bool))
    out["auc_hard"] = pairwise_auc(pos, popular)
    out["auc_same_type"] = pairwise_auc(pos, same_type)
    if tasks.cold.any():
        out["cold_start"] = block(tasks.cold)
    return out


def likes_ranking_metrics(scores, candidates, k: int = 10) -> dict:
    """Held-out likes (`tasks.held_out_likes`): the mean over users of the AUC of their liked outfits against
    their negatives, and of NDCG@k over the combined list (binary relevance).

    `scores`: (users, outfits) score matrix; `candidates`: per user (row, liked columns, negative columns).
    """
    aucs, ndcgs = [], []
    for u, pos, neg in candidates:
        s = scores[u]
        aucs.append(auc(s[pos], s[neg]))
        ndcgs.append(ndcg_at_k(np.r_[s[pos], s[neg]][None], np.r_[np.ones(len(pos)), np.zeros(len(neg))][None], k))
    return {"auc": float(np.mean(aucs)), f"ndcg@{k}": float(np.mean(ndcgs))}


def per_user_auc(scores, positives, bought, candidates=None) -> tuple[float, int]:
    """(mean over users of AUC(held-out items vs items the user never bought), number of users).

    Row k of `scores` (users x items) belongs to the user with held-out item columns `positives[k]`
    and bought item columns `bought[k]` (never negatives; `tasks.HeldOutPurchases`). With `candidates`
    (item columns), both the held-out and the never-bought items are restricted to them, and users
    without a held-out candidate are skipped.
    """
    scores = np.asarray(scores)
    n_items = scores.shape[1]
    pool = np.ones(n_items, bool) if candidates is None else np.isin(np.arange(n_items), candidates)
    values = []
    for row, pos, own in zip(scores, positives, bought):
        pos = pos[pool[pos]]
        neg = pool.copy()
        neg[own] = False
        if len(pos) and neg.any():
            values.append(auc(row[pos], row[neg]))
    return (float(np.mean(values)) if values else float("nan")), len(values)

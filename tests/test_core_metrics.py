"""The shared metric functions against values worked out by hand, and against scikit-learn's."""
import math
import statistics

import numpy as np
import pytest
from sklearn.metrics import label_ranking_average_precision_score, ndcg_score, roc_auc_score, top_k_accuracy_score

from stylist_app.evaluate import (auc, fitb_accuracy, hit_at_k, mean_and_spread, mrr, ndcg_at_k, paired_difference,
                                  pairwise_auc, rank_of_first)


def test_auc_counts_ties_as_half():
    # 3 beats all three negatives (3); 2 beats 1 and ties 2, 2 (1 + 0.5 + 0.5); 1 ties 1 (0.5) -> 5.5 / 9
    assert auc([3, 2, 1], [1, 2, 2]) == pytest.approx(5.5 / 9)
    assert auc([1, 1], [1, 1, 1]) == pytest.approx(0.5)
    assert auc([2, 3], [0, 1]) == 1.0
    assert auc([0], [1]) == 0.0


def test_auc_needs_both_classes():
    with pytest.raises(ValueError):
        auc([], [1.0])


def test_pairwise_auc_aligned_pairs():
    assert pairwise_auc([3, 1, 2, 5], [1, 2, 2, 4]) == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    with pytest.raises(ValueError):
        pairwise_auc([1, 2], [1])


def test_mrr_and_hit_at_k():
    scores = [[0.9, 0.1, 0.2],  # true first: rank 1
              [0.2, 0.5, 0.1],  # rank 2
              [0.1, 0.5, 0.9],  # rank 3
              [0.5, 0.5, 0.1]]  # tied with one: rank 1.5
    assert list(rank_of_first(scores)) == [1, 2, 3, 1.5]
    assert mrr(scores) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 1.5) / 4)
    assert hit_at_k(scores, 1) == pytest.approx(1 / 4)
    assert hit_at_k(scores, 2) == pytest.approx(3 / 4)
    assert hit_at_k(scores, 3) == 1.0


def test_fitb_accuracy_shares_ties():
    scores = [[0.9, 0.1, 0.2, 0.3],  # right
              [0.1, 0.9, 0.2, 0.3],  # wrong
              [0.5, 0.5, 0.1, 0.1],  # two-way tie: 1/2
              [0.2, 0.2, 0.2, 0.2]]  # four-way tie: 1/4
    assert fitb_accuracy(scores) == pytest.approx((1 + 0 + 0.5 + 0.25) / 4)


def test_ndcg_at_k_by_hand():
    d = [1 / math.log2(r + 1) for r in range(1, 6)]
    # one relevant item ranked 2nd of 4 -> 1/log2(3)
    assert ndcg_at_k([[0.1, 0.9, 0.5, 0.2]], [[0, 0, 1, 0]], k=3) == pytest.approx(d[1])
    # graded: ranking gives gains (1, 0, 2); ideal (2, 1, 0)
    got = ndcg_at_k([[0.9, 0.5, 0.1]], [[1, 0, 2]], k=3)
    assert got == pytest.approx((1 * d[0] + 2 * d[2]) / (2 * d[0] + 1 * d[1]))
    # relevant item beyond k -> 0; row without relevant items is left out of the mean
    assert ndcg_at_k([[0.9, 0.8, 0.1], [1, 2, 3]], [[0, 0, 1], [0, 0, 0]], k=2) == 0.0
    # average over rows
    assert ndcg_at_k([[1, 0], [0, 1]], [[1, 0], [1, 0]], k=2) == pytest.approx((1 + d[1]) / 2)


def test_ndcg_ties_share_discounts():
    # a constant scorer: the relevant item's expected discount is the mean over ranks 1..3
    assert ndcg_at_k([[0.5, 0.5, 0.5]], [[1, 0, 0]], k=3) == pytest.approx(sum(d for d in (1, 1 / math.log2(3), 0.5)) / 3)
    # a tie straddling the cut-off at k=1: half the rank-1 discount
    assert ndcg_at_k([[0.5, 0.5, 0.1]], [[0, 1, 0]], k=1) == pytest.approx(0.5)


# ---------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    pos, neg = rng.integers(0, 6, 40), rng.integers(0, 5, 70)  # few values: many ties
    labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    assert auc(pos, neg) == pytest.approx(roc_auc_score(labels, np.r_[pos, neg]), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mrr_and_hit_at_k_match_sklearn(seed):
    """Without ties the true candidate's reciprocal rank is its label-ranking average precision (one relevant
    label per row), and hit@k is top-k accuracy; ties are checked by hand above (sklearn breaks them pessimistically)."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(60, 10)) + 0.8 * (np.arange(10) == 0)  # column 0 the true candidate
    truth = np.zeros_like(scores, dtype=int)
    truth[:, 0] = 1
    assert mrr(scores) == pytest.approx(label_ranking_average_precision_score(truth, scores), abs=1e-12)
    for k in (1, 3, 5):
        assert hit_at_k(scores, k) == pytest.approx(top_k_accuracy_score(np.zeros(60), scores, k=k, labels=range(10)))


@pytest.mark.parametrize("seed", range(5))
def test_ndcg_matches_sklearn_with_ties_and_grades(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, (30, 12)).astype(float)  # ties everywhere
    relevance = rng.integers(0, 3, (30, 12)) * (rng.random((30, 12)) < 0.3)
    relevance[:, 0] = np.maximum(relevance[:, 0], 1)  # every row has a relevant candidate (ours skips rows without)
    for k in (1, 5, 12):
        assert ndcg_at_k(scores, relevance, k) == pytest.approx(ndcg_score(relevance, scores, k=k), abs=1e-12)


def test_spread_is_the_sample_std():
    seeds = [{"auc": 0.8, "nested": {"mrr": 0.5}}, {"auc": 0.9, "nested": {"mrr": 0.7}}, {"auc": 0.7, "nested": {"mrr": 0.3}}]
    out = mean_and_spread(seeds)
    assert out["auc"] == pytest.approx(0.8) and out["auc_std"] == pytest.approx(statistics.stdev([0.8, 0.9, 0.7]))
    assert out["nested"]["mrr_std"] == pytest.approx(statistics.stdev([0.5, 0.7, 0.3]))
    assert out["seeds"] == seeds and mean_and_spread(seeds[:1])["auc_std"] == 0.0


def test_paired_difference_is_the_mean_seed_by_seed_with_its_standard_error():
    a = [{"ndcg@10": 0.70, "auc": 0.9}, {"ndcg@10": 0.60, "auc": 0.8}, {"ndcg@10": 0.80, "auc": 0.7}]
    b = [{"ndcg@10": 0.68, "auc": 0.9}, {"ndcg@10": 0.57, "auc": 0.8}, {"ndcg@10": 0.79, "auc": 0.7}]
    d = paired_difference(a, b)["ndcg@10"]
    diffs = [0.02, 0.03, 0.01]
    assert d["mean"] == pytest.approx(0.02) and d["n"] == 3
    assert d["se"] == pytest.approx(statistics.stdev(diffs) / 3 ** 0.5)  # far below either model's own spread
    assert paired_difference(a, b)["auc"]["mean"] == pytest.approx(0.0)

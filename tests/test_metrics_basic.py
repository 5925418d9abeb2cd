"""Metric functions against hand-computed values."""
import pytest

from stylist_app.evaluate import auc, fitb_accuracy, hit_at_k, mrr, ndcg_at_k, pairwise_auc


def test_auc_with_ties():
    # pairs: (3>1) (3>2) (2>1) (2=2 -> 1/2): 3.5 / 4
    assert auc([3, 2], [1, 2]) == pytest.approx(0.875)
    assert auc([1, 1], [1, 1]) == pytest.approx(0.5)


def test_rank_metrics():
    assert mrr([[1, 2, 0], [3, 1, 2]]) == pytest.approx((1 / 2 + 1) / 2)
    assert hit_at_k([[1, 2, 0], [3, 1, 2]], 1) == pytest.approx(0.5)
    assert pairwise_auc([2, 1], [1, 2]) == pytest.approx(0.5)


def test_fitb_counts_ties_as_a_share():
    assert fitb_accuracy([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]]) == pytest.approx((1 + 0 + 0.5) / 3)


def test_ndcg():
    # relevant item ranked 2nd of 3: 1/log2(3)
    assert ndcg_at_k([[0.1, 0.9, 0.5]], [[0, 0, 1]], 10) == pytest.approx(1 / 1.5849625, rel=1e-6)

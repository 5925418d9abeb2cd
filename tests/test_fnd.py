"""FND: likes and candidates, augmentations, the three ranking losses, train / load / evaluate, the engine."""
import numpy as np
import pytest
import torch

from stylist_app import features
from stylist_app.checkpoints import CheckpointError
from stylist_app.data.schema import DataError
from stylist_app.engine import StylistEngine
from stylist_app.features import catalog_pixels
from stylist_app.models import fnd

# Small and quick: the thumbnail encoder stands in for effnet-lite0, one seed, two epochs.
FAST = fnd.FNDConfig(teacher_encoder="thumbnail", teacher_in_dim=192, seeds=(0,), teacher_epochs=2,
                     student_epochs=2, batch_size=128, eval_negatives=50)


@pytest.fixture(scope="module")
def data(small_wardrobe):
    return fnd.Interactions.from_wardrobe(small_wardrobe)


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    out = tmp_path_factory.mktemp("fnd")
    fnd.train(small_wardrobe, out, device="cpu", config=FAST)
    return out


def _objective(data, kd="none", teacher=None):
    cfg = fnd.FNDConfig(n_users=len(data.user_ids), student_dim=8, cnn_width=4)
    net = fnd.make_student(cfg)
    net.set_catalog(torch.zeros(len(data.item_ids), 3, 32, 32), data.slots, data.members)
    return fnd.Objective(net, data, cfg, kd=kd, teacher=teacher)


def test_likes_split_into_train_valid_test_and_negatives_were_never_liked(small_wardrobe, data):
    pairs = {s: {tuple(p) for p in t.tolist()} for s, t in data.likes.items()}
    assert pairs["train"] and pairs["valid"] and pairs["test"]
    assert not (pairs["train"] & pairs["valid"] or pairs["train"] & pairs["test"] or pairs["valid"] & pairs["test"])
    assert sum(map(len, pairs.values())) == sum(len(u.liked_outfits) for u in small_wardrobe.users.values())
    candidates = data.candidates("test", 50)
    assert [(u, list(p), list(n)) for u, p, n in candidates] == \
           [(u, list(p), list(n)) for u, p, n in data.candidates("test", 50)]  # the same lists every time
    for u, pos, neg in candidates:
        assert len(neg) == 50 and not set(neg) & data.liked[u] and set(pos) <= data.liked[u]
    with pytest.raises(DataError, match="test or valid"):
        data.candidates("all", 50)


def test_thumbnails_are_cached_on_disk_by_size_and_item_identity(small_wardrobe, tmp_path, monkeypatch):
    first = catalog_pixels(small_wardrobe, 16, cache_dir=tmp_path)
    assert first.shape == (len(small_wardrobe.items), 3, 16, 16) and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(features, "to_pixels", lambda *a, **k: pytest.fail("thumbnails recomputed"))
    assert torch.equal(catalog_pixels(small_wardrobe, 16, cache_dir=tmp_path), first)
    monkeypatch.undo()
    catalog_pixels(small_wardrobe, 8, cache_dir=tmp_path)  # another size: another file
    assert len(list(tmp_path.iterdir())) == 2


def test_augmented_views_erase_or_swap_one_item_within_its_slot(data):
    objective = _objective(data)
    members = data.members[:200]
    view = objective.augment(members)
    for before, after in zip(members.tolist(), view.tolist()):
        changed = [k for k, (a, b) in enumerate(zip(before, after)) if a != b]
        assert len(changed) <= 1  # a swap may draw the same item
        for k in changed:
            assert after[k] == -1 or data.slots[after[k]] == data.slots[before[k]]


def test_negatives_avoid_training_likes(data):
    objective = _objective(data)
    users = data.likes["train"][:, 0].repeat(20)
    neg = objective.negatives(users)
    liked = set(map(tuple, data.likes["train"].tolist()))
    assert not any((u, o) in liked for u, o in zip(users.tolist(), neg.tolist()))


def test_fnd_relabels_only_the_pairs_the_teacher_ranks_the_wrong_way(data):
    users = torch.tensor([0, 0])
    pos, neg = torch.tensor([0, 1]), torch.tensor([2, 3])
    t_outfits = torch.zeros(len(data.outfit_ids), 1)
    t_outfits[:4, 0] = torch.tensor([2.0, 0.0, 0.0, 3.0])  # pair 1: the teacher prefers the negative
    teacher = (torch.ones(len(data.user_ids), 1), t_outfits)
    s_pos, s_neg = torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0])
    bpr = -torch.nn.functional.logsigmoid(s_pos - s_neg)
    loss = _objective(data, "fnd", teacher).ranking_loss(users, pos, neg, s_pos, s_neg)
    soft = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(1.0), torch.sigmoid(torch.tensor(-3.0)))
    score_kd = (1 + 1 + 0 + 9) / 4  # mean over the pairs of ((s_i - t_i)^2 + (s_j - t_j)^2) / 2
    assert loss.item() == pytest.approx(((bpr[0] + soft) / 2).item() + score_kd, rel=1e-5)
    assert _objective(data).ranking_loss(users, pos, neg, s_pos, s_neg).item() == pytest.approx(bpr.mean().item())
    kd = _objective(data, "score", teacher).ranking_loss(users, pos, neg, s_pos, s_neg)
    assert kd.item() == pytest.approx(bpr.mean().item() + score_kd, rel=1e-5)
    with pytest.raises(ValueError, match="teacher"):
        _objective(data, "fnd")


def test_fnd_loss_is_score_kd_with_the_false_negatives_soft_labels_by_hand(data):
    # Two (user, liked, sampled) triples; the teacher ranks pair 0 right (t = 1 > -1) and pair 1 wrong
    # (t = 0 < ln 3, a false negative: soft label sigma(-ln 3) = 1/4).
    users = torch.tensor([0, 1])
    pos, neg = torch.tensor([0, 1]), torch.tensor([2, 3])
    t_outfits = torch.zeros(len(data.outfit_ids), 1)
    t_outfits[:4, 0] = torch.tensor([1.0, 0.0, -1.0, float(np.log(3))])
    teacher = (torch.ones(len(data.user_ids), 1), t_outfits)
    s_pos, s_neg = torch.tensor([0.0, float(np.log(2))]), torch.tensor([0.0, 0.0])  # margins 0 and ln 2
    # pair 0: label 1, margin 0: -ln sigma(0) = ln 2.
    # pair 1: label 1/4, margin ln 2 (sigma = 2/3): -(1/4 ln 2/3 + 3/4 ln 1/3) = ln 3 - (1/4) ln 2.
    # score term: ((0 - 1)^2 + (0 + 1)^2) / 2 = 1 and ((ln 2)^2 + (ln 3)^2) / 2 = 0.8437, averaged: 0.9219.
    ln2, ln3 = np.log(2), np.log(3)
    expected = (ln2 + ln3 - ln2 / 4) / 2 + (1 + (ln2 ** 2 + ln3 ** 2) / 2) / 2
    loss = _objective(data, "fnd", teacher).ranking_loss(users, pos, neg, s_pos, s_neg)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(1.7311, abs=1e-4)


def test_ranking_metrics_perfect_and_reversed():
    candidates = [(0, np.array([0]), np.array([1, 2, 3]))]
    assert fnd.ranking_metrics(np.array([[3.0, 2, 1, 0]]), candidates) == {"auc": 1.0, "ndcg@10": 1.0}
    assert fnd.ranking_metrics(np.array([[0.0, 1, 2, 3]]), candidates)["auc"] == 0.0


def test_train_records_every_student_and_ships_a_small_student(trained):
    from stylist_app.checkpoints import entry

    record = entry(trained, "fnd")
    for split in ("valid", "test"):
        assert set(record["metrics"][split]) == {"teacher", *fnd.STUDENTS}
    assert (trained / "fnd.safetensors").stat().st_size < 5e6


def test_evaluate_writes_the_contract_keys_and_reproduces_the_shipped_run(small_wardrobe, trained):
    metrics = fnd.evaluate(small_wardrobe, trained, device="cpu")
    for key in ("teacher", "student", "student_plain_kd", "student_no_kd", "student_fnd"):
        assert {"auc", "ndcg@10", "params", "ms_per_user"} <= set(metrics[key])
        assert 0 <= metrics[key]["auc"] <= 1
    # The shipped pair, measured again, gives what the training run recorded for seed 0.
    for name in ("teacher", "student"):
        assert metrics["shipped"][name]["auc"] == pytest.approx(metrics[name]["per_seed"][0]["auc"], abs=1e-6)
    assert metrics["student"]["params"] < metrics["teacher"]["params"]
    assert 0.5 < metrics["oracle"]["auc"] <= 1


def test_load_refuses_another_wardrobe(small_wardrobe, trained):
    import dataclasses

    other = dataclasses.replace(small_wardrobe, users={})
    with pytest.raises(CheckpointError, match="stylist train fnd"):
        fnd.load(trained, other)


def test_engine_recommends_unliked_catalog_outfits(small_wardrobe, trained, monkeypatch):
    monkeypatch.setattr("stylist_app.data.load", lambda spec: small_wardrobe)
    engine = StylistEngine.from_checkpoints(trained, data="builtin", device="cpu")
    user = next(iter(small_wardrobe.users.values()))
    for model in ("student", "teacher"):
        rec = engine.recommend_outfits(user.id, k=5, model=model)
        assert len(rec.outfit_ids) == 5 and rec.scores == sorted(rec.scores, reverse=True)
        assert not set(rec.outfit_ids) & set(user.liked_outfits) and rec.ms > 0
        assert rec.outfits[0] == small_wardrobe.outfits[rec.outfit_ids[0]].items
    with pytest.raises(DataError, match="unknown shopper"):
        engine.recommend_outfits("nobody", k=5)
    with pytest.raises(ValueError, match="student"):
        engine.recommend_outfits(user.id, k=5, model="big")

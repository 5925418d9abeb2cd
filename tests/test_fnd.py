"""FND: likes and candidates, augmentations, the ranking losses, precision, train / load / evaluate, the engine."""
import dataclasses
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from stylist_app import features
from stylist_app.checkpoints import CheckpointError, entry
from stylist_app.data.schema import DataError
from stylist_app.data.tasks import held_out_likes
from stylist_app.engine import StylistEngine
from stylist_app.errors import BadInput
from stylist_app.evaluate import fnd as evaluate_fnd
from stylist_app.evaluate import likes_ranking_metrics
from stylist_app.features import catalog_pixels
from stylist_app.models import fnd

# Small and quick: the thumbnail encoder stands in for effnet-lite0, two seeds, two epochs.
FAST = fnd.Config(teacher_encoder="thumbnail", teacher_in_dim=192, seeds=[0, 1], teacher_epochs=2,
                  student_epochs=2, batch_size=128, eval_negatives=50)


@pytest.fixture(scope="module")
def data(small_wardrobe):
    return fnd.Interactions.from_wardrobe(small_wardrobe)


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    """The checkpoint folder, and the splits `train` built held-out likes questions for."""
    out, asked = tmp_path_factory.mktemp("fnd"), []

    def spy(wardrobe, split="test", *args, **kwargs):
        asked.append(split)
        return held_out_likes(wardrobe, split, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fnd, "held_out_likes", spy)
        fnd.train(small_wardrobe, out, device="cpu", config=FAST)
    return out, asked


@pytest.fixture(scope="module")
def metrics(small_wardrobe, trained):
    return evaluate_fnd.evaluate(small_wardrobe, trained[0], device="cpu")


def _objective(data, kd="none", teacher=None, **config):
    cfg = fnd.Config(n_users=len(data.user_ids), student_dim=8, cnn_width=4, **config)
    net = fnd.make_student(cfg)
    net.set_catalog(torch.zeros(len(data.item_ids), 3, 32, 32), data.slots, data.members)
    return fnd.Objective(net, data, cfg, kd=kd, teacher=teacher)


def _two_pairs(data):
    """Two (user, liked, sampled) triples; the teacher ranks pair 0 right (t = 1 > -1) and pair 1 wrong
    (t = 0 < ln 3, a false negative: soft label sigma(-ln 3) = 1/4). Student margins 0 and ln 2."""
    users, pos, neg = torch.tensor([0, 1]), torch.tensor([0, 1]), torch.tensor([2, 3])
    t_outfits = torch.zeros(len(data.outfit_ids), 1)
    t_outfits[:4, 0] = torch.tensor([1.0, 0.0, -1.0, float(np.log(3))])
    teacher = (torch.ones(len(data.user_ids), 1), t_outfits)
    return users, pos, neg, teacher, torch.tensor([0.0, float(np.log(2))]), torch.tensor([0.0, 0.0])


def test_config_round_trips_through_json():
    assert fnd.Config(**json.loads(json.dumps(dataclasses.asdict(FAST)))) == FAST


def test_likes_split_into_train_valid_test_and_negatives_were_never_liked(small_wardrobe, data):
    pairs = {s: {tuple(p) for p in t.tolist()} for s, t in data.likes.items()}
    assert pairs["train"] and pairs["valid"] and pairs["test"]
    assert not (pairs["train"] & pairs["valid"] or pairs["train"] & pairs["test"] or pairs["valid"] & pairs["test"])
    assert sum(map(len, pairs.values())) == sum(len(u.liked_outfits) for u in small_wardrobe.users.values())
    tasks = held_out_likes(small_wardrobe, "test", 50)
    assert tasks == held_out_likes(small_wardrobe, "test", 50)  # the same lists every time
    rows = data.rows(tasks)
    assert {(u, o) for u, p, _ in rows for o in p} == pairs["test"]
    for u, pos, neg in rows:
        assert len(neg) == 50 == len(set(neg)) and not set(neg) & data.liked[u] and set(pos) <= data.liked[u]
    with pytest.raises(DataError, match="test or valid"):
        held_out_likes(small_wardrobe, "all", 50)


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
    users, pos, neg, teacher, s_pos, s_neg = _two_pairs(data)
    # pair 0: label 1, margin 0: -ln sigma(0) = ln 2.
    # pair 1: label 1/4, margin ln 2 (sigma = 2/3): -(1/4 ln 2/3 + 3/4 ln 1/3) = ln 3 - (1/4) ln 2.
    # score term: ((0 - 1)^2 + (0 + 1)^2) / 2 = 1 and ((ln 2)^2 + (ln 3)^2) / 2, averaged over the pairs.
    ln2, ln3 = np.log(2), np.log(3)
    expected = (ln2 + ln3 - ln2 / 4) / 2 + (1 + (ln2 ** 2 + ln3 ** 2) / 2) / 2
    loss = _objective(data, "fnd", teacher).ranking_loss(users, pos, neg, s_pos, s_neg)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_fnd_pulls_a_false_negative_towards_the_teacher_where_bpr_pushes_it_down(data):
    """The paper's point, on the gradients of the real loss (pairwise term only, kd_weight = 0): BPR keeps
    pushing a false negative's score down, dL/ds_neg = (1 - sigma(ln 2)) / 2 = 1/6; FND's soft label 1/4
    pulls it back up towards the teacher's belief, dL/ds_neg = -(sigma(ln 2) - 1/4) / 2 = -5/24. The pair
    the teacher ranks right gets the same gradient from both: -/+ (1 - sigma(0)) / 2 on s_pos / s_neg."""
    users, pos, neg, teacher, s_pos, s_neg = _two_pairs(data)
    grad = {}
    for kd in ("score", "fnd"):
        s_pos_, s_neg_ = s_pos.clone().requires_grad_(), s_neg.clone().requires_grad_()
        loss = _objective(data, kd, teacher, kd_weight=0.0).ranking_loss(users, pos, neg, s_pos_, s_neg_)
        d_pos, d_neg = torch.autograd.grad(loss, [s_pos_, s_neg_])
        grad[kd] = {"right": (d_pos[0].item(), d_neg[0].item()), "false_negative": d_neg[1].item()}
    assert grad["score"]["false_negative"] == pytest.approx(1 / 6)
    assert grad["fnd"]["false_negative"] == pytest.approx(-5 / 24)
    assert grad["fnd"]["right"] == grad["score"]["right"] == pytest.approx((-1 / 4, 1 / 4))


def test_likes_ranking_metrics_perfect_reversed_and_tied():
    candidates = [(0, np.array([0]), np.array([1, 2, 3]))]
    assert likes_ranking_metrics(np.array([[3.0, 2, 1, 0]]), candidates) == {"auc": 1.0, "ndcg@10": 1.0}
    reversed_ = likes_ranking_metrics(np.array([[0.0, 1, 2, 3]]), candidates)
    assert reversed_ == {"auc": 0.0, "ndcg@10": pytest.approx(1 / np.log2(5))}  # the like ranked 4th
    assert likes_ranking_metrics(np.zeros((1, 4)), candidates)["auc"] == 0.5


def test_train_records_validation_only_and_saves_every_seeds_nets(small_wardrobe, trained):
    out, asked = trained
    assert set(asked) == {"valid"}  # no test question is built while training
    record = entry(out, "fnd")
    assert set(record["metrics"]) == {"valid", "train_seconds"}
    for key in fnd.MODELS:
        valid = record["metrics"]["valid"][key]
        assert len(valid["seeds"]) == 2
        assert valid["auc_std"] == pytest.approx(np.std([s["auc"] for s in valid["seeds"]], ddof=1))
    with safe_open(out / "fnd.safetensors", "pt") as f:
        saved = {tuple(k.split(".")[1:3]) for k in f.keys()}
    assert saved == {(str(s), m) for s in (0, 1) for m in fnd.MODELS}
    assert (out / "fnd.safetensors").stat().st_size < 5e6
    bundle = fnd.load(out, small_wardrobe)
    assert bundle.config == dataclasses.replace(FAST, n_users=len(small_wardrobe.users))
    assert bundle.teacher is bundle.run(0, "teacher") and bundle.student is bundle.run(0, "student")


ATOL_HALF = 0.005  # a few pairs of the small wardrobe's validation flip: the checkpoint stores float16 weights


def test_evaluate_scores_every_saved_net(small_wardrobe, trained, metrics):
    out, _ = trained
    for key in fnd.MODELS:
        assert {"auc", "auc_std", "ndcg@10", "ndcg@10_std", "seeds", "params", "ms_per_user"} <= set(metrics[key])
        assert len(metrics[key]["seeds"]) == 2 and 0 <= metrics[key]["auc"] <= 1
        values = [s["ndcg@10"] for s in metrics[key]["seeds"]]
        assert metrics[key]["ndcg@10_std"] == pytest.approx(np.std(values, ddof=1))
    assert metrics["student"]["params"] < metrics["teacher"]["params"]
    assert 0.5 < metrics["oracle"]["auc"] <= 1
    # On the validation likes, the saved nets give what training recorded at their best epoch (up to the float16
    # rounding of the saved weights).
    valid = evaluate_fnd.evaluate(small_wardrobe, out, split="valid", device="cpu")
    recorded = entry(out, "fnd")["metrics"]["valid"]
    for key in fnd.MODELS:
        for got, want in zip(valid[key]["seeds"], recorded[key]["seeds"]):
            assert got == pytest.approx(want, abs=ATOL_HALF)


def test_scores_stay_float32_under_autocast(small_wardrobe, trained):
    """Under a caller's bf16 autocast only the item encoder may change precision: given the item vectors, the
    set transformer and the scores are the float32 ones, bit for bit."""
    bundle = fnd.load(trained[0], small_wardrobe)
    net, user = bundle.student, bundle.data.user_ids[0]
    with torch.inference_mode():
        items = net.item_vectors()
        plain = bundle.recommend(user, 5, "student", items)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert net.item_vectors().dtype == torch.float32
            mixed = bundle.recommend(user, 5, "student", items)
            matrix = net.score_matrix()
    assert mixed.outfit_ids == plain.outfit_ids and mixed.scores == plain.scores
    assert matrix.dtype == np.float32


def test_load_refuses_another_wardrobe(small_wardrobe, trained):
    other = dataclasses.replace(small_wardrobe, users={})
    with pytest.raises(CheckpointError, match="stylist train fnd"):
        fnd.load(trained[0], other)


def test_engine_recommends_unliked_catalog_outfits(small_wardrobe, trained, monkeypatch):
    monkeypatch.setattr("stylist_app.data.load", lambda spec: small_wardrobe)
    engine = StylistEngine.from_checkpoints(trained[0], data="builtin", device="cpu")
    user = next(iter(small_wardrobe.users.values()))
    bundle = engine.model("fnd")
    for model in ("student", "teacher"):
        rec = engine.recommend_outfits(user.id, k=5, model=model)
        assert len(rec.outfit_ids) == 5 and rec.scores == sorted(rec.scores, reverse=True)
        assert not set(rec.outfit_ids) & set(user.liked_outfits) and rec.ms > 0
        assert rec.outfits[0] == small_wardrobe.outfits[rec.outfit_ids[0]].items
        assert rec.params == bundle.params(model)
    assert bundle.params("student") == sum(p.numel() for p in bundle.student.parameters())
    with pytest.raises(BadInput, match="no shopper"):
        engine.recommend_outfits("nobody", k=5)
    with pytest.raises(BadInput, match="at least one outfit"):
        engine.recommend_outfits(user.id, k=0)
    with pytest.raises(BadInput, match="student"):
        engine.recommend_outfits(user.id, k=5, model="big")

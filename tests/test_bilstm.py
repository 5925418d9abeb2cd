"""Bi-LSTM + VSE: the sequence likelihood, training and checkpoints, generation, evaluation and the engine.

Everything runs on the small studio wardrobe with `thumbnail` image features (no CNN), a few epochs.
"""
import json
from dataclasses import replace
from functools import partial

import pytest
import torch

from stylist_app.cli import main
from stylist_app.data.schema import SLOT_ORDER
from stylist_app.engine import StylistEngine
from stylist_app.models import bilstm
from stylist_app.models.bilstm import BiLSTMConfig, TrainSettings

CONFIG = BiLSTMConfig(image_encoder="thumbnail", dim=32, min_count=3)
SETTINGS = TrainSettings(epochs=2, batch_size=32)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run faster on one torch thread, and far faster when other jobs share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    out = tmp_path_factory.mktemp("bilstm-ckpt")
    entry = bilstm.train(small_wardrobe, out, device="cpu", config=replace(CONFIG), settings=SETTINGS)
    return out, entry


@pytest.fixture(scope="module")
def model(trained, small_wardrobe):
    return bilstm.load(trained[0], small_wardrobe, "cpu")


def test_next_item_distribution_sums_to_one():
    """At every step, Pr over X plus the end marker is a distribution (the paper's softmax with x_{N+1} = 0)."""
    torch.manual_seed(0)
    m = bilstm.OutfitLSTM(replace(CONFIG, in_dim=8, dim=6, directions=("forward",))).eval()
    x = torch.randn(5, 6)
    with torch.no_grad():
        prefix = (3, 1)
        total = sum(m._next_item_logprobs("forward", x, [prefix + (r,)])[0, 2].exp() for r in range(5))
        end = m._next_item_logprobs("forward", x, [prefix])[0, 2].exp()  # the end marker after x_2
    assert float(total + end) == pytest.approx(1.0, abs=1e-5)
    padded = m._next_item_logprobs("forward", x, [(0, 1, 2, 3), (4,)])
    assert padded.shape == (2, 5) and (padded[1, 2:] == 0).all() and (padded <= 0).all()


def test_train_saves_vocab_and_baselines_and_loads(trained, small_wardrobe, model):
    out, entry = trained
    assert entry["config"]["vocab"] and entry["config"]["image_encoder"] == "thumbnail"
    assert set(entry["metrics"]["valid"]) == {"bilstm", "siamese", "vse_only", "forward_lstm"}
    assert (out / "bilstm.safetensors").stat().st_size < 10e6
    assert model.config.vocab == entry["config"]["vocab"]  # the bag of words is rebuilt from the checkpoint
    assert model.encode_text(["black"]).abs().sum() > 0 and model.encode_text(["zzzz"]).abs().sum() == 0
    slots = lambda o: [small_wardrobe.items[i].slot for i in o]  # noqa: E731
    outfits = [o.items for o in small_wardrobe.split_outfits("test") if len(set(slots(o.items))) == len(o.items)][:5]
    assert model.score_ids(outfits) == pytest.approx(model.score_ids([tuple(reversed(o)) for o in outfits]))


def test_same_command_same_checkpoint(trained, small_wardrobe, tmp_path):
    bilstm.train(small_wardrobe, tmp_path, device="cpu", config=replace(CONFIG), settings=SETTINGS)
    assert (tmp_path / "bilstm.safetensors").read_bytes() == (trained[0] / "bilstm.safetensors").read_bytes()


def test_generation_keeps_queries_one_item_per_slot(model, small_wardrobe):
    table = model.table()
    slots = table.slot_list
    test = small_wardrobe.split_outfits("test")
    for queries in ([model.rows[test[0].items[0]]], [model.rows[i] for i in test[1].items[:2]]):
        steps, score = model.build(table, queries)
        rows = [s.row for s in steps]
        assert set(queries) <= set(rows) and [s.how for s in steps if s.row in queries] == ["query"] * len(queries)
        assert [slots[r] for r in rows] == sorted(set(slots[r] for r in rows))  # slot order, no slot twice
        assert score == pytest.approx(float(model.score_rows(table, [rows])[0]))
        assert all(s.row in [r for r, _ in s.alternatives] for s in steps if s.how == "generated")
    for length in (2, 5):
        assert len(model.build(table, [model.rows[test[0].items[0]]], length=length)[0]) == length
    with pytest.raises(ValueError, match="one item per slot"):
        tops = [r for r, s in enumerate(slots) if s == SLOT_ORDER["top"]][:2]
        model.build(table, tops)


def test_text_moves_items_towards_the_words(model, small_wardrobe):
    table = model.table()
    query = model.rows[small_wardrobe.split_outfits("test")[0].items[0]]
    steps, _ = model.build(table, [query], "black")
    assert steps[[s.row for s in steps].index(query)].how == "query"
    assert {s.how for s in steps} <= {"query", "text"}
    only, _ = model.build(table, [], "black")
    assert sum(s.how == "query" for s in only) == 1  # the image nearest the text, kept
    with pytest.raises(ValueError, match="no word"):
        model.build(table, [query], "zzzz qqqq")


def test_minilm_text_side(small_wardrobe, tmp_path):
    """The MiniLM option: the VSE's text side is a linear map of MiniLM sentence vectors."""
    config = replace(CONFIG, text_encoder="minilm")
    bilstm.train(small_wardrobe, tmp_path, device="cpu", config=config, settings=replace(SETTINGS, epochs=1))
    model = bilstm.load(tmp_path, small_wardrobe, "cpu")
    steps, _ = model.build(model.table(), [], "a black leather boot")
    assert sum(s.how == "query" for s in steps) == 1 and all(s.how in ("query", "text") for s in steps)


def test_evaluate_reports_models_baselines_oracle_and_text(trained, small_wardrobe):
    m = bilstm.evaluate(small_wardrobe, trained[0], split="test", device="cpu")
    for key in ("fitb_accuracy", "compat_auc", "fitb_accuracy_hard", "compat_auc_hard", "n_fitb", "n_compat"):
        assert key in m
    assert set(m["baselines"]) == {"siamese", "vse_only", "forward_lstm"}
    assert 0.6 < m["oracle"]["compat_auc"] <= 1 and "fitb_accuracy" in m["normalised"]
    assert set(m["text_query"]) <= {"colour", "pattern", "category"} and m["text_query"]
    assert m["compat_auc"] > 0.5  # above chance after two epochs on 240 items (seeded, so not flaky)


def test_engine_builds_fills_and_scores(trained, small_dir, small_wardrobe):
    engine = StylistEngine.from_checkpoints(trained[0], data=f"builtin:{small_dir}", device="cpu")
    outfit = small_wardrobe.split_outfits("test")[0].items
    picture = small_wardrobe.items[outfit[0]].load_image()
    built = engine.build_outfit([picture], text="black")
    assert built.items[[i.item for i in built.items].index("upload-0")].how == "query"
    assert engine.build_outfit([outfit[0]], length=3).items and engine.build_outfit(text="black").items
    answer = engine.fill_in_blank(list(outfit[1:]), 0, [outfit[0], picture])
    assert {c for c, _ in answer.ranking} == {outfit[0], "upload-0"} and len(answer.outfit) == len(outfit)
    scored = engine.score_outfit(list(reversed(outfit)))
    assert scored.items == sorted(outfit, key=lambda i: SLOT_ORDER[small_wardrobe.items[i].slot])
    assert scored.score < 0
    with pytest.raises(ValueError, match="catalog ids or PIL"):
        engine.score_outfit(["no-such-item"])


def test_cli_train_and_eval(small_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(bilstm, "train", partial(bilstm.train, config=replace(CONFIG), settings=SETTINGS))
    spec = f"builtin:{small_dir}"
    assert main(["train", "bilstm", "--data", spec, "--out", str(tmp_path / "ck")]) == 0
    assert main(["eval", "bilstm", "--data", spec, "--checkpoints", str(tmp_path / "ck"),
                 "--json", str(tmp_path / "m.json")]) == 0
    m = json.loads((tmp_path / "m.json").read_text())
    assert {"fitb_accuracy", "compat_auc", "oracle", "baselines", "data", "split", "checkpoint", "seconds"} <= set(m)

"""The outfit transformer: training and checkpoints, scoring and FITB, uploads without a listing, which outfit
model is served (engine and `stylist eval bilstm`), and the popularity-matched FITB questions.

Runs on the small studio wardrobe with `thumbnail` image features (no CNN) and MiniLM listings, a few epochs.
"""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from stylist_app.checkpoints import MANIFEST
from stylist_app.data.schema import SLOT_ORDER
from stylist_app.data.tasks import fitb_questions, item_popularity
from stylist_app.engine import StylistEngine
from stylist_app.evaluate import bilstm as bilstm_eval
from stylist_app.evaluate import outfit_scorer_metrics
from stylist_app.models import bilstm, outfit_transformer as ot
from stylist_app.ui import about

CONFIG = ot.Config(image_encoder="thumbnail", dim=32, heads=2, epochs=3, batch_size=32)
LSTM_CONFIG = bilstm.Config(image_encoder="thumbnail", dim=32, min_count=3, epochs=2, batch_size=32)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def both(small_wardrobe, tmp_path_factory):
    """A checkpoint folder with a Bi-LSTM and an outfit transformer trained on the same wardrobe."""
    out = tmp_path_factory.mktemp("outfit-models")
    bilstm.train(small_wardrobe, out, device="cpu", config=LSTM_CONFIG)
    ot.train(small_wardrobe, out, device="cpu", config=CONFIG)
    return out


@pytest.fixture(scope="module")
def bundle(both, small_wardrobe):
    return ot.load(both, small_wardrobe, "cpu")


def set_valid(folder, figures: dict) -> None:
    """Rewrite the recorded valid FITB figures (name -> (fitb, fitb_hard)) in a checkpoint folder's manifest."""
    path = folder / MANIFEST
    manifest = json.loads(path.read_text())
    for name, (easy, hard) in figures.items():
        manifest[name]["metrics"]["valid"][name].update(fitb_accuracy=easy, fitb_accuracy_hard=hard)
    path.write_text(json.dumps(manifest))


def test_train_records_valid_fitb_and_learns(both, bundle, small_wardrobe):
    entry = json.loads((both / MANIFEST).read_text())[ot.NAME]
    valid = entry["metrics"]["valid"][ot.NAME]
    assert {"fitb_accuracy", "fitb_accuracy_hard", "compat_auc"} <= set(valid)
    assert entry["config"]["dim"] == 32 and entry["encoders"] == {"image": "thumbnail", "text": "minilm"}
    m = outfit_scorer_metrics(lambda ids: float(bundle.model.score_ids([ids])[0]), small_wardrobe, "test")
    assert m["compat_auc"] > 0.6  # above chance after three epochs (seeded)


def test_fill_in_blank_ranks_completed_outfits_and_uploads_have_no_listing(bundle, small_wardrobe):
    table = bundle.table()
    q = fitb_questions(small_wardrobe, "test")[0]
    context = [bundle.rows[i] for i in q.context()]
    answer = bundle.fill_in_blank(table, context, q.position, [bundle.rows[c] for c in q.candidates])
    completed = [q.context()[:q.position] + (c,) + q.context()[q.position:] for c in q.candidates]
    expected = dict(zip(q.candidates, bundle.model.score_ids(completed)))
    assert [c for c, _ in answer.ranking] == sorted(q.candidates, key=lambda c: -expected[c])
    assert answer.model == ot.NAME
    assert answer.outfit == sorted(q.context() + (answer.ranking[0][0],),
                                   key=lambda i: SLOT_ORDER[small_wardrobe.items[i].slot])
    # an upload: the same picture features as a catalog item, no listing, its slot given
    row = bundle.rows[q.candidates[0]]
    with_upload = bundle.add_items(table, table.image[[row]], [small_wardrobe.items[q.candidates[0]].slot])
    assert with_upload.names[-1] == "upload-0" and not with_upload.text[-1].any()
    scored = bundle.score_outfit(with_upload, context + [len(with_upload.names) - 1])
    assert np.isfinite(scored.score) and "upload-0" in scored.items


def test_served_is_the_better_on_valid(both, tmp_path, small_wardrobe):
    folder = tmp_path / "ck"
    folder.mkdir()
    for f in both.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    set_valid(folder, {"bilstm": (0.5, 0.4), ot.NAME: (0.6, 0.5)})
    name, why = ot.served(folder)
    assert name == ot.NAME and why["valid"] == {"bilstm": pytest.approx(0.45), ot.NAME: pytest.approx(0.55)}
    set_valid(folder, {"bilstm": (0.7, 0.4), ot.NAME: (0.6, 0.45)})
    assert ot.served(folder)[0] == "bilstm"
    # trained on other data: never served
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest[ot.NAME].update(fingerprint="other", data="builtin:elsewhere")
    (folder / MANIFEST).write_text(json.dumps(manifest))
    assert ot.served(folder) == ("bilstm", {"by": "the outfit transformer was trained on other data (builtin:elsewhere)"})


def test_engine_and_eval_serve_the_better_model(both, tmp_path, small_dir, small_wardrobe, add_small_reader):
    folder = tmp_path / "ck"
    folder.mkdir()
    for f in both.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    set_valid(folder, {"bilstm": (0.5, 0.4), ot.NAME: (0.6, 0.5)})
    engine = StylistEngine.from_checkpoints(add_small_reader(folder), data=f"builtin:{small_dir}", device="cpu")
    assert engine.outfit_scorer() == ot.NAME
    outfit = small_wardrobe.split_outfits("test")[0].items
    picture = small_wardrobe.items[outfit[0]].load_image()
    answer = engine.fill_in_blank(list(outfit[1:]), 0, [outfit[0], picture],
                                  readings=[None] * (len(outfit) - 1) + [None, {"slot": small_wardrobe.items[outfit[0]].slot}])
    assert answer.model == ot.NAME and {c for c, _ in answer.ranking} == {outfit[0], "upload-0"}
    assert engine.score_outfit(list(outfit)).model == ot.NAME
    assert engine.build_outfit([outfit[0]]).items  # the Bi-LSTM still builds
    said = about.served_outfit_model(engine)
    assert "answered by the outfit transformer" in said and "the Bi-LSTM 0.450" in said and "0.550" in said

    m = bilstm_eval.evaluate(small_wardrobe, folder, split="test", device="cpu")
    assert m["served"] == ot.NAME and m["served_because"]["valid"][ot.NAME] == pytest.approx(0.55)
    assert set(m["baselines"]) == {"bilstm", "siamese", "vse_only", "forward_lstm", "pairwise_mlp", "popularity"}
    mine = outfit_scorer_metrics(lambda ids: float(ot.load(folder, small_wardrobe).model.score_ids([ids])[0]),
                                 small_wardrobe, "test")
    assert m["fitb_accuracy"] == pytest.approx(mine["fitb_accuracy"])


def test_popularity_matched_fitb_takes_popularity_away(medium_wardrobe):
    """On the popularity-matched questions the wrong candidates are about as popular as the true item, so
    popularity alone answers far fewer than on the easy ones."""
    counts = item_popularity(medium_wardrobe, "train")
    popular = fitb_questions(medium_wardrobe, "test", popular=True)
    easy = fitb_questions(medium_wardrobe, "test")
    assert len(popular) == len(easy) and popular != easy
    gap = np.mean([abs(counts[c] - counts[q.candidates[0]]) for q in popular for c in q.candidates[1:]])
    gap_easy = np.mean([abs(counts[c] - counts[q.candidates[0]]) for q in easy for c in q.candidates[1:]])
    assert gap < gap_easy / 2
    for q in popular:
        assert len(set(q.candidates)) == 4 and not set(q.candidates[1:]) & set(q.items)
        assert all(medium_wardrobe.items[c].slot == medium_wardrobe.items[q.candidates[0]].slot for c in q.candidates)
    score = bilstm_eval.popularity_scorer(medium_wardrobe)
    m = outfit_scorer_metrics(score, medium_wardrobe, "test")
    assert m["fitb_accuracy_popular"] < m["fitb_accuracy"]


def test_registry_shape():
    from stylist_app.models.registry import MODELS

    assert MODELS[ot.NAME].impl() is ot
    assert replace(CONFIG) == ot.Config(**json.loads(json.dumps(CONFIG.__dict__)))


def test_cli_trains_with_changed_settings_and_points_eval_to_bilstm(small_dir, tmp_path, capsys):
    from stylist_app.cli import main

    spec, out = f"builtin:{small_dir}", str(tmp_path / "ck")
    assert main(["train", "outfit_transformer", "--data", spec, "--out", out, "--set", "image_encoder=thumbnail",
                 "--set", "dim=16", "--set", "heads=2", "--set", "id_dropout=0.25", "--epochs", "1"]) == 0
    config = json.loads((tmp_path / "ck" / MANIFEST).read_text())[ot.NAME]["config"]
    assert (config["dim"], config["id_dropout"], config["epochs"], config["image_encoder"]) == (16, 0.25, 1, "thumbnail")
    assert main(["train", "outfit_transformer", "--data", spec, "--out", out, "--set", "width=3"]) == 2
    assert "expected KEY=VALUE with KEY one of" in capsys.readouterr().err
    assert main(["eval", "outfit_transformer", "--data", spec, "--checkpoints", out, "--json", str(tmp_path / "m.json")]) == 2
    assert "stylist eval bilstm" in capsys.readouterr().err

"""The shared training loop, the toy model, the train/eval commands and the engine, on a tiny synthetic wardrobe.

In the synthetic wardrobe colour decides compatibility: a top of colour c is worn with bottoms
of colour c + 2 (mod 6), so image features carry all the signal.
"""
import json
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from stylist_app import checkpoints
from stylist_app.cli import main
from stylist_app.data.schema import Item, Outfit, Wardrobe
from stylist_app.data.tasks import top_bottom_triplets
from stylist_app.engine import StylistEngine
from stylist_app.features import image_features
from stylist_app.models import toy
from stylist_app.train import TrainConfig, fit

PALETTE = [(200, 30, 30), (30, 160, 60), (40, 60, 200), (230, 200, 40), (140, 60, 160), (30, 170, 170)]


def synthetic_wardrobe(seed=0, n_outfits=360) -> Wardrobe:
    rng = np.random.default_rng(seed)
    items = {}
    for slot, category in (("top", "t-shirt"), ("bottom", "jeans")):
        for c, rgb in enumerate(PALETTE):
            for n in range(12):
                shade = tuple(int(np.clip(v + rng.integers(-25, 25), 0, 255)) for v in rgb)
                iid = f"{slot}-{c}-{n}"
                items[iid] = Item(iid, slot, category, f"{category} {n}",
                                  image=lambda shade=shade: Image.new("RGB", (16, 16), shade))
    outfits = {}
    for k in range(n_outfits):
        c = int(rng.integers(6))
        outfits[f"o{k}"] = Outfit(f"o{k}", (f"top-{c}-{rng.integers(12)}", f"bottom-{(c + 2) % 6}-{rng.integers(12)}"))
    ids = list(outfits)
    cut1, cut2 = int(0.6 * n_outfits), int(0.8 * n_outfits)
    return Wardrobe("synthetic", items, outfits, splits={"train": ids[:cut1], "valid": ids[cut1:cut2], "test": ids[cut2:]})


@pytest.fixture
def wardrobe(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path / "cache"))
    w = synthetic_wardrobe()
    monkeypatch.setattr("stylist_app.data.load", lambda spec: w)  # what the CLI and the engine read
    return w


def test_fit_beats_random_and_checkpoint_round_trips(wardrobe, tmp_path):
    ids, feats = image_features(wardrobe, "thumbnail")
    model = toy.PairCompat(toy.ToyConfig(in_dim=feats.shape[1]))
    model.set_catalog(ids, feats)
    rows = {s: model.triplet_rows(top_bottom_triplets(wardrobe, s)) for s in ("train", "valid", "test")}
    before = model.validate(rows["test"])["auc"]
    result = fit(model, rows["train"], TrainConfig(epochs=15, lr=3e-3, batch_size=64, patience=4, device="cpu"),
                 valid_data=rows["valid"])
    assert result.best == result.history[result.best_epoch - 1] and "auc" in result.best
    model.eval()
    with torch.no_grad():
        test_auc = model.validate(rows["test"])["auc"]
    assert test_auc > 0.6 and test_auc > before, (before, test_auc)

    checkpoints.save(tmp_path / "ck", "toy", model, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                     encoders={"image": "thumbnail"}, metrics={"valid": result.best})
    loaded = toy.load(tmp_path / "ck", wardrobe, "cpu")
    with torch.no_grad():
        assert torch.equal(model(rows["test"][:, 0], rows["test"][:, 1]), loaded(rows["test"][:, 0], rows["test"][:, 1]))


def test_fit_is_seeded_and_stops_early():
    class Flat(nn.Module):
        """Validation gets worse every epoch: training must stop after `patience` epochs and keep epoch 1."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))
            self.epochs = 0

        def loss(self, batch):
            return ((batch - self.w) ** 2).mean()

        def validate(self, _):
            self.epochs += 1
            return {"auc": 1.0 / self.epochs}

    data = torch.randn(50, 3)
    runs = []
    for _ in range(2):
        model = Flat()
        result = fit(model, data, TrainConfig(epochs=10, lr=0.1, batch_size=8, patience=2, device="cpu"), valid_data=[0])
        runs.append(result)
        assert [r["epoch"] for r in result.history] == [1, 2, 3] and result.best_epoch == 1
        assert torch.equal(model.w.detach(), result.state["w"])
    assert runs[0].history[0]["loss"] == runs[1].history[0]["loss"]


def test_fit_steps_each_optimizer_group_in_turn():
    class TwoPlayers(nn.Module):
        """A GAN-shaped model: `d` and `g` have their own optimizers and losses."""

        def __init__(self):
            super().__init__()
            self.d = nn.Linear(2, 1)
            self.g = nn.Linear(2, 2)
            self.groups_seen = []

        def optimizer_groups(self):
            return {"d": list(self.d.parameters()), "g": list(self.g.parameters())}

        def loss(self, batch, group):
            self.groups_seen.append(group)
            fake = self.g(torch.randn_like(batch))
            if group == "d":
                return ((self.d(batch) - 1) ** 2).mean() + (self.d(fake.detach()) ** 2).mean()
            return ((self.d(fake) - 1) ** 2).mean()

    model = TwoPlayers()
    g0, d0 = model.g.weight.detach().clone(), model.d.weight.detach().clone()
    result = fit(model, torch.randn(32, 2), TrainConfig(epochs=2, batch_size=16, device="cpu"))
    assert model.groups_seen == ["d", "g"] * 4
    assert {"loss_d", "loss_g"} <= set(result.history[0])
    assert not torch.equal(model.g.weight, g0) and not torch.equal(model.d.weight, d0)


def test_cli_train_and_eval_toy(wardrobe, tmp_path, capsys):
    out, metrics = tmp_path / "ck", tmp_path / "m" / "toy.json"
    assert main(["train", "toy", "--data", "synthetic", "--out", str(out), "--epochs", "8", "--device", "cpu"]) == 0
    assert "toy" in checkpoints.read_manifest(out)
    assert main(["eval", "toy", "--data", "synthetic", "--checkpoints", str(out), "--json", str(metrics)]) == 0
    result = json.loads(metrics.read_text())
    assert result["auc"] > 0.6 and result["n_triplets"] == 72
    assert result["data"] == "synthetic" and result["split"] == "test"
    assert result["checkpoint"] == str(out / "toy.safetensors") and result["seconds"] >= 0


def test_cli_eval_without_a_checkpoint_says_how_to_train(wardrobe, tmp_path, capsys):
    assert main(["eval", "toy", "--data", "synthetic", "--checkpoints", str(tmp_path / "none"),
                 "--json", str(tmp_path / "x.json")]) == 2
    assert "stylist train toy" in capsys.readouterr().err


def test_engine_loads_what_the_manifest_has(wardrobe, tmp_path):
    toy.train(wardrobe, tmp_path / "ck", epochs=3, device="cpu")
    engine = StylistEngine.from_checkpoints(tmp_path / "ck", data="synthetic", device="auto")
    assert set(engine.models) == {"toy"} and engine.device.type in ("cpu", "cuda")
    ids, feats = engine.image_features("thumbnail")
    assert engine.image_features("thumbnail")[1] is feats and len(ids) == len(wardrobe.items)
    with engine.inference():
        score = engine.model("toy")(torch.tensor([0]), torch.tensor([1]))
    assert score.is_inference()
    calls = []
    threads = [threading.Thread(target=engine.cached, args=("k", lambda: calls.append(1) or time.sleep(0.05)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]  # built once, however many threads asked at the same time
    with pytest.raises(checkpoints.CheckpointError, match="stylist train akd --data synthetic"):
        engine.model("akd")
    with pytest.raises(checkpoints.CheckpointError, match="stylist train all"):
        StylistEngine.from_checkpoints(tmp_path / "missing", data="synthetic")

"""The shared training loop on a tiny synthetic wardrobe, and the train/eval commands' errors.

In the synthetic wardrobe colour decides compatibility: a top of colour c is worn with bottoms
of colour c + 2 (mod 6), so image features carry all the signal.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from stylist_app.cli import main
from stylist_app.data.schema import Item, Outfit, Wardrobe
from stylist_app.data.tasks import top_bottom_triplets
from stylist_app.evaluate import pairwise_auc
from stylist_app.features import image_features
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


class PairCompat(nn.Module):
    """m(t, b) = <f(x_t), g(x_b)> over the items' image features x, trained with BPR on (top, b+, b-) rows."""

    def __init__(self, features: np.ndarray, hidden: int = 32):
        super().__init__()
        self.register_buffer("x", torch.as_tensor(features, dtype=torch.float32))
        self.top, self.bottom = (nn.Sequential(nn.Linear(self.x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, 16))
                                 for _ in range(2))

    def score(self, t, b):
        return (self.top(self.x[t]) * self.bottom(self.x[b])).sum(-1)

    def loss(self, rows):
        return -F.logsigmoid(self.score(rows[:, 0], rows[:, 1]) - self.score(rows[:, 0], rows[:, 2])).mean()

    def validate(self, rows):
        return {"auc": pairwise_auc(self.score(rows[:, 0], rows[:, 1]), self.score(rows[:, 0], rows[:, 2]))}


def test_fit_beats_random_and_keeps_the_best_epoch(wardrobe):
    ids, feats = image_features(wardrobe, "thumbnail")
    row = {i: n for n, i in enumerate(ids)}
    rows = {s: torch.tensor([[row[i] for i in t] for t in top_bottom_triplets(wardrobe, s)]) for s in ("train", "valid", "test")}
    model = PairCompat(feats)
    with torch.no_grad():
        before = model.validate(rows["test"])["auc"]
    result = fit(model, rows["train"], TrainConfig(epochs=15, lr=3e-3, batch_size=64, patience=4, device="cpu"),
                 valid_data=rows["valid"])
    assert result.best == result.history[result.best_epoch - 1] and "auc" in result.best
    assert result.best["auc"] == max(r["auc"] for r in result.history)
    assert all(torch.equal(v, result.state[k]) for k, v in model.state_dict().items())  # the best epoch's weights
    model.eval()
    with torch.no_grad():
        test_auc = model.validate(rows["test"])["auc"]
    assert test_auc > 0.6 and test_auc > before, (before, test_auc)


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


def test_cli_eval_without_a_checkpoint_says_how_to_train(wardrobe, tmp_path, capsys):
    assert main(["eval", "akd", "--data", "synthetic", "--checkpoints", str(tmp_path / "none"),
                 "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "stylist train akd" in err and len(err.strip().splitlines()) == 1


def bug(*args, **kwargs):
    raise ValueError("shapes (3,) and (4,) not aligned")


def test_cli_bugs_are_not_bad_input(wardrobe, tmp_path, monkeypatch):
    """A ValueError inside a command is a bug: it is raised with its traceback, not turned into exit 2."""
    monkeypatch.setattr("stylist_app.models.registry.plan", bug)
    with pytest.raises(ValueError, match="not aligned"):
        main(["train", "akd", "--data", "synthetic", "--out", str(tmp_path / "ck")])

"""Toy: a pairwise top-bottom compatibility model over fixed image features, trained with BPR.

No paper's model: it exists to run the shared machinery end to end (feature cache -> tasks ->
train.fit -> checkpoints -> evaluation -> engine) on any source with top-bottom outfits, and to
show the shape of a model module. m(t, b) = <f(x_t), g(x_b)> with f, g two-layer MLPs over the
items' cached image features x; loss -ln sigma(m(t, b+) - m(t, b-)) over (top, worn bottom,
random bottom) triplets (Rendle et al.'s BPR).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from stylist_app import checkpoints
from stylist_app.data.tasks import top_bottom_triplets
from stylist_app.evaluate import pairwise_auc
from stylist_app.features import image_features
from stylist_app.train import TrainConfig, fit, pick_device

NAME = "toy"


@dataclass
class ToyConfig:
    encoder: str = "thumbnail"  # a cached image encoder (features.py)
    in_dim: int = 192  # the encoder's dimension
    hidden: int = 64
    dim: int = 32


def _mlp(cfg: ToyConfig) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cfg.in_dim, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.dim))


class PairCompat(nn.Module):
    """Compatibility m(t, b) = <f(x_t), g(x_b)> of a top and a bottom from their image features."""

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.config = config
        self.top = _mlp(config)
        self.bottom = _mlp(config)
        self.register_buffer("features", torch.zeros(0, config.in_dim), persistent=False)
        self.rows: dict[str, int] = {}

    def set_catalog(self, ids: list[str], features) -> None:
        """The catalog's item ids and their (N, in_dim) features; batches index rows of it."""
        self.rows = {i: n for n, i in enumerate(ids)}
        self.features = torch.as_tensor(features, dtype=torch.float32, device=self.features.device)

    def triplet_rows(self, triplets) -> torch.Tensor:
        """(T, 3) catalog rows of (top, positive bottom, negative bottom) id triplets."""
        return torch.tensor([[self.rows[i] for i in t] for t in triplets], dtype=torch.long).view(-1, 3)

    def forward(self, top_rows: torch.Tensor, bottom_rows: torch.Tensor) -> torch.Tensor:
        return (self.top(self.features[top_rows]) * self.bottom(self.features[bottom_rows])).sum(-1)

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """BPR: -ln sigma(m(t, b+) - m(t, b-)), averaged over the batch of triplet rows."""
        return -F.logsigmoid(self(batch[:, 0], batch[:, 1]) - self(batch[:, 0], batch[:, 2])).mean()

    @torch.no_grad()
    def validate(self, rows: torch.Tensor) -> dict:
        """Triplet AUC: the share of (top, b+, b-) rows with m(t, b+) > m(t, b-)."""
        rows = rows.to(self.features.device)
        return {"auc": pairwise_auc(self(rows[:, 0], rows[:, 1]).float().cpu(), self(rows[:, 0], rows[:, 2]).float().cpu())}


def train(wardrobe, out_dir, *, epochs=None, device="auto") -> dict:
    device = pick_device(device)
    cfg = ToyConfig()
    ids, feats = image_features(wardrobe, cfg.encoder, device=device)
    cfg.in_dim = feats.shape[1]
    model = PairCompat(cfg)
    model.set_catalog(ids, feats)
    train_rows = model.triplet_rows(top_bottom_triplets(wardrobe, "train"))
    valid_rows = model.triplet_rows(top_bottom_triplets(wardrobe, "valid"))
    result = fit(model, train_rows, TrainConfig(epochs=epochs or 30, lr=3e-3, batch_size=128, weight_decay=1e-4,
                                                patience=5, device=str(device)),
                 valid_data=valid_rows if len(valid_rows) else None)
    return checkpoints.save(out_dir, NAME, model, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": cfg.encoder}, metrics={"valid": result.best})


def load(checkpoint_dir, wardrobe, device="cpu") -> PairCompat:
    model = PairCompat(ToyConfig(**checkpoints.entry(checkpoint_dir, NAME)["config"]))
    checkpoints.load(checkpoint_dir, NAME, model)
    ids, feats = image_features(wardrobe, model.config.encoder, device=device)
    model.set_catalog(ids, feats)
    return model.to(device).eval()


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    model = load(checkpoint_dir, wardrobe, pick_device(device))
    rows = model.triplet_rows(top_bottom_triplets(wardrobe, split))
    return {**model.validate(rows), "n_triplets": len(rows)}

"""Checkpoints round-trip through safetensors + manifest.json, and fail with a way out."""
import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from stylist_app import checkpoints
from stylist_app.checkpoints import CheckpointError
from stylist_app.data.schema import DataError


@dataclass
class TinyConfig:
    dim: int = 4
    sizes: tuple = (3, 2)
    tied: bool = False  # b shares a's weight (needs dim == sizes[0] == sizes[1])


class Tiny(nn.Module):
    def __init__(self, config: TinyConfig):
        super().__init__()
        self.config = config
        self.a = nn.Linear(config.dim, config.sizes[0])
        self.b = nn.Linear(config.sizes[0], config.sizes[1])
        if config.tied:
            self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def _save(tmp_path, model, name="tiny"):
    return checkpoints.save(tmp_path, name, model, data="builtin", fingerprint="abc123",
                            encoders={"image": "effnet-lite0"}, metrics={"auc": 0.75})


def test_round_trip_and_manifest(tmp_path):
    torch.manual_seed(0)
    model = Tiny(TinyConfig())
    entry = _save(tmp_path, model)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["tiny"] == entry
    assert entry["file"] == "tiny.safetensors" and (tmp_path / "tiny.safetensors").is_file()
    assert entry["config"] == {"dim": 4, "sizes": [3, 2], "tied": False}
    assert entry["encoders"] == {"image": "effnet-lite0"} and entry["fingerprint"] == "abc123"
    assert entry["metrics"] == {"auc": 0.75} and entry["data"] == "builtin" and entry["created"]
    assert entry["git"] is None or len(entry["git"]) == 40
    torch.manual_seed(1)
    fresh = Tiny(TinyConfig(**checkpoints.entry(tmp_path, "tiny")["config"]))
    checkpoints.load(tmp_path, "tiny", fresh)
    x = torch.randn(5, 4)
    assert torch.equal(model(x), fresh(x))


def test_one_manifest_for_the_folder(tmp_path):
    _save(tmp_path, Tiny(TinyConfig()), "one")
    _save(tmp_path, Tiny(TinyConfig(dim=5)), "two")
    assert sorted(checkpoints.read_manifest(tmp_path)) == ["one", "two"]


def test_shared_weights_round_trip(tmp_path):
    model = Tiny(TinyConfig(dim=3, sizes=(3, 3), tied=True))
    _save(tmp_path, model)
    fresh = Tiny(TinyConfig(dim=3, sizes=(3, 3), tied=True))
    checkpoints.load(tmp_path, "tiny", fresh)
    assert fresh.a.weight is fresh.b.weight and torch.equal(fresh.a.weight, model.a.weight)


def test_config_mismatch_names_file_and_command(tmp_path):
    _save(tmp_path, Tiny(TinyConfig()))
    with pytest.raises(CheckpointError) as err:
        checkpoints.load(tmp_path, "tiny", Tiny(TinyConfig(dim=6)))
    msg = str(err.value)
    assert str(tmp_path / "tiny.safetensors") in msg and "dim" in msg
    assert f"stylist train tiny --data builtin --out {tmp_path}" in msg
    assert isinstance(err.value, DataError)


def test_missing_file_entry_and_bad_weights(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint for 'tiny'.*stylist train tiny"):
        checkpoints.load(tmp_path, "tiny", Tiny(TinyConfig()))
    _save(tmp_path, Tiny(TinyConfig()))
    (tmp_path / "tiny.safetensors").unlink()
    with pytest.raises(CheckpointError, match="file missing.*stylist train tiny --data builtin"):
        checkpoints.load(tmp_path, "tiny", Tiny(TinyConfig()))
    _save(tmp_path, Tiny(TinyConfig()))
    model = Tiny(TinyConfig())
    model.c = nn.Linear(2, 2)  # same config, different weights
    with pytest.raises(CheckpointError, match="do not fit"):
        checkpoints.load(tmp_path, "tiny", model)

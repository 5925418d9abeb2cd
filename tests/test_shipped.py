"""The catalog files shipped beside the checkpoints (checkpoints/catalog/) are those of the shipped weights.

The rule: a retrained checkpoint ships with its refreshed catalog files (`stylist cache build`, which
`stylist train --out checkpoints` runs itself). This fails when they do not match: the app would then
encode the catalog again at every fresh start.
"""
from pathlib import Path

import numpy as np
import pytest

from stylist_app import features
from stylist_app.engine import StylistEngine

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
SHIPPED_MB = 30  # DESIGN.md: shipped files stay within tens of MB in all


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """An empty cache (a fresh clone's), the shipped folder not yet searched."""
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(features, "_shipped", [])


def test_the_shipped_catalog_files_are_the_checkpoints_own(fresh_home, monkeypatch, caplog):
    def computed(what, *args):
        raise AssertionError(f"a fresh start computed something the shipped files should hold: {what}; "
                             "refresh them with: stylist cache build --checkpoints checkpoints")

    monkeypatch.setattr(features, "announce", computed)
    with caplog.at_level("WARNING", logger="stylist"), features.recording() as arrays:
        engine = StylistEngine.from_checkpoints(CHECKPOINTS, data="builtin", device="cpu")
        engine.warm_up()  # every value a tab's first call needs
    assert not engine.skipped and not caplog.records
    files = sorted((CHECKPOINTS / features.SHIPPED).glob("*.safetensors"))
    assert {p.name.split(".")[0] for p in files} == set(arrays)  # nothing missing, nothing stale left behind
    assert max(p.stat().st_size for p in files) < 10e6  # a Hugging Face Space takes files under 10 MB without LFS
    assert sorted(name for _, _, name in arrays.values()) == ["dvbpr", "effnet-lite0", "fnd", "fnd", "minilm", "reader"]
    assert {(name, array.dtype) for _, array, name in arrays.values()} == {  # served as computed: floats as float32,
        *((n, np.dtype(np.float32)) for n in ("dvbpr", "effnet-lite0", "fnd", "minilm")),  # the reader's readings as
        ("reader", np.dtype(np.int32))}  # the codes of the values it read
    assert sum(p.stat().st_size for p in files) < SHIPPED_MB * 1e6
    pictures = engine.wardrobe.items[next(iter(engine.wardrobe.items))].image.path.parent
    assert not list(pictures.glob("*.jpg"))  # no picture was drawn to start and prepare every tab

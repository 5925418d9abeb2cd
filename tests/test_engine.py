"""The engine's own machinery: what it loads from a checkpoint folder, its kept values and their locks,
and the inference context."""
import json
import threading

import pytest
import torch
from PIL import Image

from stylist_app.checkpoints import CheckpointError
from stylist_app.data.schema import Item, Wardrobe
from stylist_app.engine import StylistEngine

WAIT = 10  # seconds a test waits for a thread that should finish at once


def bare_engine() -> StylistEngine:
    return StylistEngine(wardrobe=None, checkpoint_dir=".", device=torch.device("cpu"), models={}, skipped={})


def in_thread(fn) -> tuple[threading.Thread, list]:
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


def test_a_slow_build_holds_up_only_its_own_key():
    engine = bare_engine()
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(WAIT)
        return "slow"

    first, got_first = in_thread(lambda: engine.cached("cold features", slow))
    assert started.wait(WAIT)
    other, got_other = in_thread(lambda: engine.cached("index", lambda: "fast"))
    other.join(WAIT / 2)
    blocked = not release.is_set()
    release.set()
    first.join(WAIT)
    assert got_other == ["fast"] and blocked, "another key waited for the slow build"
    assert got_first == ["slow"]


def test_threads_asking_for_one_key_build_it_once():
    engine = bare_engine()
    calls, gate = [], threading.Event()

    def build():
        calls.append(1)
        gate.wait(WAIT)  # every other thread asks while this build runs
        return object()

    threads = [in_thread(lambda: engine.cached("k", build)) for _ in range(6)]
    gate.set()
    for thread, _ in threads:
        thread.join(WAIT)
    values = [out[0] for _, out in threads]
    assert calls == [1] and all(v is values[0] for v in values)


def test_a_failed_build_keeps_nothing():
    engine = bare_engine()
    with pytest.raises(RuntimeError):
        engine.cached("k", lambda: (_ for _ in ()).throw(RuntimeError("flaky")))
    assert engine.cached("k", lambda: 3) == 3


def test_inference_has_no_autograd_and_no_autocast():
    engine = bare_engine()
    layer = torch.nn.Linear(2, 2)
    with engine.inference():
        out = layer(torch.ones(1, 2))
        assert not torch.is_autocast_enabled("cpu")
    assert out.is_inference() and out.dtype == torch.float32


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path / "cache"))
    items = {f"i{n}": Item(f"i{n}", "top", "t-shirt", f"shirt {n}", image=lambda n=n: Image.new("RGB", (8, 8), (n, 0, 0)))
             for n in range(3)}
    w = Wardrobe("tiny", items)
    monkeypatch.setattr("stylist_app.data.load", lambda spec: w)
    return w


def test_engine_loads_what_the_manifest_has_and_says_how_to_get_the_rest(tiny, tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"mystery": {"model": "mystery", "file": "mystery.safetensors"}}))
    engine = StylistEngine.from_checkpoints(folder, data="tiny", device="cpu")
    assert engine.models == {} and engine.skipped == {"mystery": "unknown model"}
    ids, feats = engine.image_features("thumbnail")
    assert ids == list(tiny.items) and engine.image_features("thumbnail")[1] is feats  # kept
    with pytest.raises(CheckpointError, match="stylist train akd --data tiny"):
        engine.model("akd")
    with pytest.raises(CheckpointError, match="stylist train all"):
        StylistEngine.from_checkpoints(tmp_path / "missing", data="tiny")

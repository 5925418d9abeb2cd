"""The feature cache encodes a catalog once, and again only when the catalog changes."""
import os
import weakref

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from stylist_app import features
from stylist_app.data.schema import Item, Wardrobe
from stylist_app.models.encoders import make_image_encoder


def _wardrobe(colours, tmp_path=None):
    """Items with pictures rendered in memory, or written to tmp_path when given."""
    items = {}
    for n, colour in enumerate(colours):
        img = Image.new("RGB", (24, 24), colour)
        if tmp_path is not None:
            path = tmp_path / f"{n}.png"
            img.save(path)
            image = str(path)
        else:
            image = lambda img=img: img  # noqa: E731
        items[f"i{n}"] = Item(f"i{n}", "top", "t-shirt", f"shirt number {n}", image=image)
    return Wardrobe("test", items)


@pytest.fixture
def counting(monkeypatch):
    """Count how many encoders the cache builds (one per cache miss)."""
    calls = []

    def make(name, **kw):
        calls.append(name)
        return make_image_encoder(name, **kw)

    monkeypatch.setattr(features, "make_image_encoder", make)
    return calls


def test_second_call_reads_the_cache(tmp_path, counting):
    w = _wardrobe([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    ids, f1 = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert ids == ["i0", "i1", "i2"] and f1.shape == (3, 192) and f1.dtype == np.float32
    ids2, f2 = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert counting == ["thumbnail"] and ids2 == ids and np.array_equal(f1, f2)
    assert [p.suffix for p in tmp_path.iterdir()] == [".safetensors"]
    _, f16 = features.image_features(w, "thumbnail", cache_dir=tmp_path, dtype="float16")
    assert f16.dtype == np.float16 and len(counting) == 2  # another dtype is another entry


def test_the_key_holds_the_input_size_and_the_device_kind(tmp_path, counting, monkeypatch):
    w = _wardrobe([(255, 0, 0), (0, 255, 0)])
    features.image_features(w, "thumbnail", cache_dir=tmp_path)
    monkeypatch.setitem(features.INPUT_SIZES, "thumbnail", 16)  # the encoder's input size changed
    features.image_features(w, "thumbnail", cache_dir=tmp_path)
    monkeypatch.setattr(features, "encode_images", lambda enc, images, *a, **k: np.zeros((2, enc.dim), np.float32))
    features.image_features(w, "thumbnail", cache_dir=tmp_path, device="meta")  # another device kind
    features.image_features(w, "thumbnail", cache_dir=tmp_path, device="meta")
    assert len(counting) == 3 and len(list(tmp_path.iterdir())) == 3


def test_a_cache_miss_says_what_it_encodes_once(tmp_path, capsys):
    w = _wardrobe([(255, 0, 0), (0, 255, 0)])
    features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert capsys.readouterr().err.startswith(f"encoding 2 catalog pictures with thumbnail, once (cached in {tmp_path})")
    features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert capsys.readouterr().err == ""
    features.announce("encoding 5,000 catalog pictures with effnet-lite0", "effnet-lite0", "cpu", 5000, tmp_path)
    message = capsys.readouterr().err
    assert "once (about" in message and "min on" in message and "CPU thread" in message


def test_changed_pictures_are_encoded_again(tmp_path, counting):
    w = _wardrobe([(255, 0, 0), (0, 255, 0)])
    _, before = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    w.items["i1"].image = lambda: Image.new("RGB", (24, 24), (0, 0, 255))
    _, after = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert len(counting) == 2
    assert np.array_equal(before[0], after[0]) and not np.array_equal(before[1], after[1])


def test_files_are_keyed_by_path_size_and_mtime(tmp_path, counting):
    pics = tmp_path / "pics"
    pics.mkdir()
    w = _wardrobe([(255, 0, 0), (0, 255, 0)], pics)
    features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")
    features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")
    assert len(counting) == 1
    Image.new("RGB", (24, 24), (9, 9, 9)).save(pics / "1.png")
    os.utime(pics / "1.png", ns=(1, 1))
    _, f = features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")
    assert len(counting) == 2 and f[1].max() < -0.9  # the new, nearly black picture


def test_cache_location_follows_stylist_cache(tmp_path, monkeypatch, counting):
    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path))
    features.image_features(_wardrobe([(1, 2, 3)]), "thumbnail")
    assert len(list((tmp_path / "features").glob("*.safetensors"))) == 1


def test_text_features_cache(tmp_path, monkeypatch):
    calls = []

    class Letters(nn.Module):
        name, dim = "letters", 2

        def forward(self, texts):
            calls.append(len(texts))
            return torch.tensor([[len(t), t.count("e")] for t in texts], dtype=torch.float32)

    monkeypatch.setattr(features, "make_text_encoder", lambda name: Letters())
    w = _wardrobe([(0, 0, 0), (1, 1, 1)])
    ids, f = features.text_features(w, "letters", cache_dir=tmp_path)
    assert f.tolist() == [[len(w.items[i].text), w.items[i].text.count("e")] for i in ids]
    features.text_features(w, "letters", cache_dir=tmp_path)
    assert len(calls) == 1
    w.items["i0"].title = "a new title"
    features.text_features(w, "letters", cache_dir=tmp_path)
    assert len(calls) == 2


def test_encoders_learned_from_scratch_are_not_cached(tmp_path):
    with pytest.raises(ValueError, match="from scratch"):
        features.text_features(_wardrobe([(0, 0, 0)]), "bow", cache_dir=tmp_path)


@pytest.fixture
def shipped(tmp_path, monkeypatch, counting):
    """A wardrobe, its thumbnail features computed once and shipped to tmp_path/ship (searched first), the
    first computation's array, and the encoder counter."""
    monkeypatch.setattr(features, "_shipped", [])
    w = _wardrobe([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    with features.recording() as arrays:
        _, first = features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")
    [path] = features.write_shipped(tmp_path / "ship", arrays)
    features.ship_from(tmp_path / "ship")
    monkeypatch.setattr(features, "_live", weakref.WeakValueDictionary())  # as in a new process
    return w, first, path


def test_arrays_a_model_holds_are_shared(tmp_path, counting):
    w = _wardrobe([(255, 0, 0), (0, 255, 0)])
    _, a = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    _, b = features.image_features(w, "thumbnail", cache_dir=tmp_path)
    assert b is a and len(counting) == 1  # one copy while someone holds it


def test_shipping_the_same_arrays_again_leaves_the_files_alone(tmp_path, shipped):
    w, first, path = shipped
    before = path.read_bytes(), path.stat().st_mtime_ns
    (path.parent / ("f" * 32 + ".safetensors")).write_bytes(b"left over")
    ids = list(w.items)
    assert features.write_shipped(path.parent, {path.stem: (ids, first, "thumbnail")}) == [path]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before  # no churn in git
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # what is no longer shipped is removed


def test_shipped_files_are_read_before_the_cache(tmp_path, shipped, counting):
    w, first, path = shipped
    assert len(counting) == 1 and path.stat().st_size < first.nbytes  # stored as float16
    ids, got = features.image_features(w, "thumbnail", cache_dir=tmp_path / "empty")
    assert len(counting) == 1 and not (tmp_path / "empty").exists()  # nothing encoded, nothing cached
    assert ids == list(w.items) and got.dtype == np.float32
    np.testing.assert_allclose(got, first, rtol=1e-3, atol=1e-3)
    w.items["i1"].image = lambda: Image.new("RGB", (24, 24), (9, 9, 9))  # another catalog: not the shipped file
    features.image_features(w, "thumbnail", cache_dir=tmp_path / "empty")
    assert len(counting) == 2


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-40])


def _alter(path):
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # a float of the array, not the header
    path.write_bytes(bytes(data))


def _other_data(path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(path), "np") as f:
        meta, array = f.metadata(), f.get_tensor("features")
    save_file({"features": array}, str(path), metadata={**meta, "key": "another catalog's key"})


@pytest.mark.parametrize("damage", [_truncate, _alter, _other_data], ids=["truncated", "altered", "stale key"])
def test_a_bad_shipped_file_is_recomputed_with_one_log_line(tmp_path, shipped, counting, damage, caplog,
                                                            monkeypatch):
    w, first, path = shipped
    damage(path)
    with caplog.at_level("WARNING", logger="stylist"):
        _, got = features.image_features(w, "thumbnail", cache_dir=tmp_path / "fresh")
    assert len(counting) == 2 and np.array_equal(got, first)  # computed again: the right answer
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [str(path)]
    assert "computing it again" in caplog.records[0].getMessage()
    monkeypatch.setattr(features, "_live", weakref.WeakValueDictionary())  # a later process
    _, again = features.image_features(w, "thumbnail", cache_dir=tmp_path / "fresh")
    assert len(counting) == 2 and np.array_equal(again, first)  # from the cache it wrote


def test_a_large_shipped_array_is_split_into_files_under_the_limit(tmp_path, monkeypatch, counting):
    monkeypatch.setattr(features, "_shipped", [])
    monkeypatch.setattr(features, "SHIPPED_FILE_BYTES", 500)  # a 3 x 192 float16 array is 1,152 bytes: 3 files
    w = _wardrobe([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    with features.recording() as arrays:
        _, first = features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")
    paths = features.write_shipped(tmp_path / "ship", arrays)
    assert len(paths) == 3 and all(p.stat().st_size < 1000 for p in paths)
    features.ship_from(tmp_path / "ship")
    monkeypatch.setattr(features, "_live", weakref.WeakValueDictionary())
    _, got = features.image_features(w, "thumbnail", cache_dir=tmp_path / "empty")
    assert len(counting) == 1 and not (tmp_path / "empty").exists()
    np.testing.assert_allclose(got, first, rtol=1e-3, atol=1e-3)
    paths[2].unlink()  # a lost part: computed again, never half an array
    monkeypatch.setattr(features, "_live", weakref.WeakValueDictionary())
    _, again = features.image_features(w, "thumbnail", cache_dir=tmp_path / "empty")
    assert len(counting) == 2 and np.array_equal(again, first)

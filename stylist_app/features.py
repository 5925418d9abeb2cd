"""Catalog features from a fixed (pre-trained) encoder, computed once per (encoder, content) and kept on disk.

`image_features(wardrobe, "effnet-lite0")` returns the item ids and an (N, dim) array; the first
call encodes the catalog (with a progress bar), later calls read
`$STYLIST_CACHE/features/<key>.safetensors` (default `~/.cache/stylist/features/`). The key
hashes the encoder name, its input size, the dtype, the device kind (bf16 autocast on CUDA gives
other features than float32 on the CPU) and, per item, its id and its picture: path, size and
modification time for files, the decoded pixels for pictures rendered in memory (so those are
rendered to be checked). For text the key hashes the texts. A changed catalog gets a new key and
is encoded again. Files are safetensors (the features, the ids in the metadata): nothing is unpickled.
A cache miss says first (on stderr, before its progress bar) what it encodes, once, and about how
long that takes on the CPU. A builtin item's picture is known by its `Picture.identity` (the
drawing code's hash and the item's drawn attributes), so its features are found without drawing it.

Shipped catalog files. A checkpoint folder may carry `catalog/<key>.safetensors` (written by
`stylist cache build`): the same arrays for the default builtin wardrobe, stored as float16, so a
fresh clone starts without encoding anything. `ship_from(DIR/catalog)` (the engine does it) makes
lookups try that folder before the cache. A file is used only when its recorded key, ids and
checksum all match; a truncated, altered or stale one is reported in one log line and the array
is computed and cached as if it were absent. Item vectors of trained models are cached the same
way, under keys that include the checkpoint file's hash (`cached_per_image`).

The encoders run their own mixed precision (bf16 autocast on CUDA, `encoders.mixed_precision`)
and return float32. The `bow` encoder is learned with its model: it has no fixed features to cache.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import sys
import threading
import weakref
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file
from tqdm.auto import tqdm

from stylist_app.data.schema import Wardrobe
from stylist_app.models.encoders import EffNetLite0, Thumbnail, make_image_encoder, make_text_encoder, to_pixels

NOT_CACHEABLE = ("bow",)
# The picture size each built-in image encoder sees (a part of the cache key); an hf: model's is its directory's.
INPUT_SIZES = {"effnet-lite0": EffNetLite0.image_size, "thumbnail": Thumbnail.image_size}
# Items per second on one CPU thread, for the first run's estimate: effnet-lite0 26 pictures/s (world v2's
# 5,000 packshots in 2 min 58 s on one thread of the 2-core dev box, decoding included, the app's first
# start from a clean clone); minilm 140-200 texts/s under load; the reader's catalog readings ~100 items/s.
CPU_RATES = {"effnet-lite0": 26, "minilm": 150, "reader": 100}  # reader: its catalog readings, pictures drawn
SHIPPED = "catalog"  # the folder of shipped catalog files inside a checkpoint folder
SHIPPED_FILE_BYTES = 9e6  # per shipped file: a Hugging Face Space takes files under 10 MB without Git LFS
log = logging.getLogger("stylist")
_shipped: list[Path] = []  # read-only folders of shipped files, tried before the cache (`ship_from`)
_recorders: list[dict] = []  # open `recording()` blocks
_inside = threading.local()  # how deep this thread is in computations of cached arrays
_live: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # key -> an array some model still holds


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where feature files live: `cache_dir`, else $STYLIST_CACHE/features, else ~/.cache/stylist/features."""
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("STYLIST_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "stylist") / "features"


def encode_images(encoder, images, batch_size: int = 64, device="cpu", total: int | None = None) -> np.ndarray:
    """(N, encoder.dim) float32 features of an iterable of PIL images, in batches, without gradients."""
    device = torch.device(device)
    encoder.to(device).eval()
    out, it = [], iter(images)
    with torch.inference_mode(), tqdm(total=total, desc=f"{encoder.name} images",
                                                         unit="img", leave=False) as bar:
        while batch := list(itertools.islice(it, batch_size)):
            out.append(encoder(encoder.preprocess(batch).to(device)).cpu().numpy())
            bar.update(len(batch))
    return np.concatenate(out) if out else np.zeros((0, encoder.dim), np.float32)


def encode_texts(encoder, texts: list[str], batch_size: int = 256, device="cpu") -> np.ndarray:
    """(N, encoder.dim) float32 features of a list of strings, in batches, without gradients."""
    device = torch.device(device)
    encoder.to(device).eval()
    out = []
    with torch.inference_mode():
        for i in tqdm(range(0, len(texts), batch_size), desc=f"{encoder.name} texts", unit="batch", leave=False):
            out.append(encoder(texts[i:i + batch_size]).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, encoder.dim), np.float32)


def _image_identity(item) -> bytes:
    """What decides an item's picture: a drawn picture's identity, its file (path, size, mtime), or the pixels
    of an in-memory rendering."""
    identity = getattr(item.image, "identity", None)
    if identity is not None:
        return identity.encode()
    if isinstance(item.image, (str, os.PathLike)):
        try:
            st = os.stat(item.image)
        except OSError:
            return f"missing:{item.image}".encode()  # encoding will raise a DataError naming the item
        return f"{os.path.abspath(item.image)}|{st.st_size}|{st.st_mtime_ns}".encode()
    return item.load_image().tobytes()


def _key(parts) -> str:
    """A hash of a stream of parts (consumed one at a time, so rendered pictures never pile up in memory)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


def _checksum(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()[:32]  # hashed in place, no copy


def _read(path: Path, key: str, ids: list[str]) -> np.ndarray:
    """The array of a cache or shipped file (and of its further parts, `<key>.<k>.safetensors`, when it was
    split), in the dtype it was computed in (a shipped file stores floats as float16), after checking it: a
    ValueError says why a file is unreadable, truncated, altered or for other data."""
    try:
        with safe_open(str(path), "np") as f:
            meta, parts = f.metadata() or {}, [f.get_tensor("features")]
        for k in range(1, int(meta.get("parts", 1))):
            with safe_open(str(path.with_name(f"{key}.{k}.safetensors")), "np") as f:
                parts.append(f.get_tensor("features"))
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"unreadable ({err})") from err
    if meta.get("key", key) != key or json.loads(meta.get("ids", "null")) != ids:
        raise ValueError("made for other data")
    array = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if "sha256" in meta and _checksum(array) != meta["sha256"]:
        raise ValueError("its checksum does not match (altered or damaged)")
    return array.astype(meta["dtype"]) if "dtype" in meta else array


def _write(path: Path, key: str, ids: list[str], array: np.ndarray, name: str, stored=None,
           max_bytes: float = float("inf")) -> list[Path]:
    """Write `array` (stored as the dtype `stored` when given, read back as its own) with what `_read` checks;
    rows beyond `max_bytes` per file go to further parts `<key>.<k>.safetensors`. Returns the files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"encoder": name, "key": key, "dtype": str(array.dtype)}
    array = np.ascontiguousarray(array if stored is None else array.astype(stored))
    chunks = np.array_split(array, max(1, int(np.ceil(array.nbytes / max_bytes)))) if len(array) else [array]
    paths = [path] + [path.with_name(f"{key}.{k}.safetensors") for k in range(1, len(chunks))]
    first = {**meta, "ids": json.dumps(ids), "sha256": _checksum(array), "parts": str(len(chunks))}
    for k, (chunk, part) in enumerate(zip(chunks, paths)):
        tmp = part.with_suffix(f".tmp{os.getpid()}")
        save_file({"features": np.ascontiguousarray(chunk)}, str(tmp), metadata=first if k == 0 else {"key": key})
        os.replace(tmp, part)
    return paths


def ship_from(folder: str | Path) -> None:
    """Try `folder` (a checkpoint folder's catalog/) before the cache in every later lookup. Files there are
    matched by key, so a folder for another catalog or other weights is simply never used."""
    folder = Path(folder)
    if folder.is_dir() and folder not in _shipped:
        _shipped.append(folder)


@contextlib.contextmanager
def recording():
    """A dict filled, inside the block, with every array a lookup returns: key -> (ids, array, name). What
    `stylist cache build` ships. Arrays read while computing another (the pictures item vectors are computed
    from) are not recorded: only what the caller asked for."""
    seen: dict = {}
    _recorders.append(seen)
    try:
        yield seen
    finally:
        _recorders.remove(seen)


def write_shipped(folder: str | Path, arrays: dict) -> list[Path]:
    """Write `recording()`'s arrays into `folder` as float16 shipped files (floats; others as they are), each
    file under SHIPPED_FILE_BYTES (a larger array is split by rows), replacing what was there; return the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, (ids, array, name) in sorted(arrays.items(), key=lambda kv: kv[1][2]):
        stored = np.float16 if np.issubdtype(array.dtype, np.floating) else array.dtype
        path = folder / f"{key}.safetensors"
        if _unchanged(path, key, ids, array.astype(stored)):  # the same bytes again would still churn git
            paths += [path] + sorted(folder.glob(f"{key}.*.safetensors"))
        else:
            paths += _write(path, key, ids, array, name, stored, SHIPPED_FILE_BYTES)
    for old in set(folder.glob("*.safetensors")) - set(paths):
        old.unlink()
    return paths


def _unchanged(path: Path, key: str, ids: list[str], stored: np.ndarray) -> bool:
    """Whether the shipped file(s) at `path` already hold exactly `stored`, whole and for these ids."""
    try:
        _read(path, key, ids)  # raises unless every part is there, for these ids, with the recorded checksum
        with safe_open(str(path), "np") as f:
            return (f.metadata() or {}).get("sha256") == _checksum(stored)
    except (SafetensorError, OSError, ValueError):
        return False


def _lookup(key: str, ids: list[str], cache_dir) -> np.ndarray | None:
    """The array for `key` from a shipped folder, else from the cache; None when neither has a good file."""
    for path in [folder / f"{key}.safetensors" for folder in _shipped] + [cache_root(cache_dir) / f"{key}.safetensors"]:
        if path.is_file():
            try:
                return _read(path, key, ids)
            except ValueError as why:
                log.warning("%s: %s; computing it again", path, why)
    return None


def announce(what: str, name: str, device, n: int, folder: Path) -> None:
    """Say on stderr, before the progress bar, what a cache miss computes once and about how long it takes, e.g.
    "encoding 5,000 catalog pictures with effnet-lite0, once (about 2 min on 1 CPU thread; cached in DIR)"."""
    rate, threads = CPU_RATES.get(name), torch.get_num_threads()
    when = ""
    if rate and torch.device(device).type == "cpu":
        seconds = n / (rate * threads)
        when = ("under a minute" if seconds < 60 else f"about {round(seconds / 60)} min") + \
            f" on {threads} CPU thread{'s' * (threads > 1)}; "
    print(f"{what}, once ({when}cached in {folder})", file=sys.stderr, flush=True)


def _cached(key: str, ids: list[str], compute: Callable[[], np.ndarray], name: str, cache_dir: str | Path | None,
            what: str, device="cpu") -> tuple[list[str], np.ndarray]:
    """(ids, array) from the cache file for `key`, or `compute()` written there first (`announce`d as `what`).
    While a model holds an array, asking for its key again returns that same array (models share one copy)."""
    array = _live.get(key)
    if array is None:
        array = _lookup(key, ids, cache_dir)
    if array is None:
        path = cache_root(cache_dir) / f"{key}.safetensors"
        announce(what, name, device, len(ids), path.parent)
        _inside.depth = getattr(_inside, "depth", 0) + 1
        try:
            array = compute()
        finally:
            _inside.depth -= 1
        _write(path, key, ids, array, name)
    _live[key] = array
    if not getattr(_inside, "depth", 0):
        for seen in _recorders:
            seen[key] = (ids, array, name)
    return ids, array


def cached_per_image(wardrobe: Wardrobe, parts: list, compute: Callable[[], np.ndarray], name: str,
                     cache_dir: str | Path | None, what: str, device="cpu") -> tuple[list[str], np.ndarray]:
    """(item ids, `compute()`'s (N, ...) array in catalog order), cached under a key over `parts` and every
    item's id and picture: anything derived from the catalog's pictures alone (encoder features, thumbnails)."""
    ids = list(wardrobe.items)
    key = _key(itertools.chain(parts, (p for i in ids for p in (i, _image_identity(wardrobe.items[i])))))
    return _cached(key, ids, compute, name, cache_dir, what, device)


def trained_vectors(wardrobe: Wardrobe, name: str, weights_hash: str | None, parts: list,
                    compute: Callable[[], np.ndarray], device) -> np.ndarray:
    """(N, d) item vectors a trained model computes from the catalog's pictures: cached like features, under a
    key that holds its weights file's hash (so they ship with its checkpoint, `stylist cache build`); simply
    computed when the weights did not come from a checkpoint file (`weights_hash` None)."""
    if weights_hash is None:
        return compute()
    device = torch.device(device)
    return cached_per_image(wardrobe, [f"{name}-vectors", *parts, weights_hash, device.type], compute, name, None,
                            f"computing {name}'s item vectors of {len(wardrobe.items):,} items", device)[1]


def uint8_pixels(images, size: int) -> torch.Tensor:
    """(B, 3, size, size) uint8 0-255 pictures of PIL images (`encoders.to_pixels` without normalising)."""
    return to_pixels(images, size, (0, 0, 0), (1 / 255,) * 3).round().clamp(0, 255).to(torch.uint8)


def catalog_pixels(wardrobe: Wardrobe, size: int, *, as_uint8: bool = False, cache_dir=None) -> torch.Tensor:
    """(N, 3, size, size) pictures of every item in catalog order (`encoders.to_pixels`: padded square on
    white, bicubic), for models that learn from pixels: ImageNet-normalised floats, or with `as_uint8`
    the 0-255 values as uint8 (4x smaller). Made once and cached like the features (`cached_per_image`)."""
    items = list(wardrobe.items.values())

    def convert(images):
        return uint8_pixels(images, size) if as_uint8 else to_pixels(images, size)

    def compute():
        chunks = [convert([it.load_image() for it in items[k:k + 256]])
                  for k in tqdm(range(0, len(items), 256), desc=f"pictures at {size} px", unit="batch", leave=False)]
        empty = torch.zeros(0, 3, size, size, dtype=torch.uint8 if as_uint8 else torch.float32)
        return (torch.cat(chunks) if chunks else empty).numpy()

    parts = ["pixels", size, "uint8"] if as_uint8 else ["thumbnail-pixels", size, "float32"]
    _, pixels = cached_per_image(wardrobe, parts, compute, f"pixels-{size}px", cache_dir,
                                 f"scaling {len(items):,} catalog pictures to {size} px")
    return torch.from_numpy(pixels)


def _check_cacheable(encoder_name: str) -> None:
    if encoder_name in NOT_CACHEABLE:
        raise ValueError(f"encoder {encoder_name!r} is trained from scratch with its model; "
                         "cached features need a pre-trained encoder")


def image_features(wardrobe: Wardrobe, encoder_name: str, batch_size: int = 16, device="cpu",
                   cache_dir: str | Path | None = None, dtype: str = "float32") -> tuple[list[str], np.ndarray]:
    """(item ids in catalog order, (N, dim) image features) for every item, from the cache when it is current."""
    _check_cacheable(encoder_name)

    def encode():
        return encode_images(make_image_encoder(encoder_name), (wardrobe.items[i].load_image() for i in wardrobe.items),
                             batch_size, device, total=len(wardrobe.items)).astype(dtype)

    parts = ["image", encoder_name, f"{INPUT_SIZES.get(encoder_name, 'native')}px", dtype, torch.device(device).type]
    return cached_per_image(wardrobe, parts, encode, encoder_name, cache_dir,
                            f"encoding {len(wardrobe.items):,} catalog pictures with {encoder_name}", device)


def text_features(wardrobe: Wardrobe, encoder_name: str, batch_size: int = 256, device="cpu",
                  cache_dir: str | Path | None = None, dtype: str = "float32") -> tuple[list[str], np.ndarray]:
    """(item ids in catalog order, (N, dim) features of each item's `Item.text`), cached like image_features."""
    _check_cacheable(encoder_name)
    ids = list(wardrobe.items)
    texts = [wardrobe.items[i].text for i in ids]
    parts = ["text", encoder_name, dtype, torch.device(device).type]
    key = _key(itertools.chain(parts, (p for i, t in zip(ids, texts) for p in (i, t))))

    def encode():
        return encode_texts(make_text_encoder(encoder_name), texts, batch_size, device).astype(dtype)

    return _cached(key, ids, encode, encoder_name, cache_dir, f"encoding {len(ids):,} catalog texts with {encoder_name}",
                   device)

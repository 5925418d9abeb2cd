"""The builtin studio wardrobe: generated, written to a folder, read back like any source.

Folder layout written by `stylist data build --out DIR` and read by `--data builtin:DIR`:

    wardrobe.json        version, config, slots, splits (train/valid/test outfit ids, cold_items)
    items.jsonl          one listing per line: id, slot, category, title, description, attributes (what the
                         text states, fibre, weight and occasion included), image
    outfits.jsonl        id, items (ordered item ids)
    users.jsonl          id, purchases, liked_outfits (the recorded share of each shopper's true likes,
                         in a random order)
    rules.json           the fashion rules knowledge base (editable)
    images/<id>.jpg      the rendered fashion flat, as a packshot (drawn on first use when the folder was
                         built without pictures, as `--data builtin` is)
    hidden/world.json    the generator's truth (styles, full attributes with fibre, weight and occasion, tastes,
                         every shopper's true likes): the oracle's, never a model's

`--data builtin` builds the default wardrobe once into the cache folder ($STYLIST_CACHE,
else ~/.cache/stylist) and reads it from there afterwards. That build writes no pictures (a few
seconds): each item's picture is a `Picture`, drawn the first time it is shown or read, then kept
in images/. wardrobe.json records the hash of the drawing code (`render_hash`); while the code
that reads the folder draws the same way, a picture is known by that hash and the item's
attributes (`Picture.identity`), so caches keyed by pictures need neither the file nor the drawing.
"""
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from stylist_app.data.builtin.rules import RULES
from stylist_app.data.builtin.world import WorldConfig, generate
from stylist_app.data.schema import DataError, Item, Outfit, Rule, User, Wardrobe, check_dir

__all__ = ["WorldConfig", "build_to_dir", "read_dir", "load_builtin", "cache_root"]
FORMAT_VERSION = 2  # world v2: fibre, weight, occasion; true likes; random hold-outs
NOT_DRAWN = ("fibre", "weight", "occasion")  # an item's hidden facts: `render.render_item` never reads them


def cache_root() -> Path:
    return Path(os.environ.get("STYLIST_CACHE") or Path.home() / ".cache" / "stylist")


def _source_hash(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def _generator_hash() -> str:
    """Hash of the generator's own source, so a changed generator never serves a stale cache."""
    return _source_hash(sorted(Path(__file__).parent.glob("*.py")))


def render_hash() -> str:
    """Hash of the drawing code (render.py and the vocabulary it draws): with an item's attributes, it decides
    the item's picture."""
    here = Path(__file__).parent
    return _source_hash([here / "render.py", here / "vocab.py"])


class Picture:
    """An item's packshot at `path`: drawn from its full attributes (`render.render_item`) the first time it is
    asked for, then read from the file. Calling it returns the PIL image (an `Item.image` callable).

    `identity` names what decides the picture (the drawing code's hash, the size, the attributes): features
    cached under it stay valid whether or not the file has been drawn yet. A folder that cannot be written
    still gets its pictures, drawn in memory each time."""

    def __init__(self, path: Path, attrs: dict, size: int, drawing: str):
        self.path, self.attrs, self.size = Path(path), attrs, size
        self.identity = f"drawn|{drawing}|{size}|{json.dumps(attrs, sort_keys=True)}"

    def __repr__(self) -> str:
        return str(self.path)

    def draw(self) -> Image.Image:
        """Draw the picture and write it as the JPEG an eager build writes; return that JPEG decoded (what every
        later read returns, JPEG's artefacts included), so a picture is the same pixels drawn or read."""
        from stylist_app.data.builtin.render import render_item

        encoded = io.BytesIO()
        render_item(self.attrs, self.size).save(encoded, "JPEG", quality=92, subsampling=0)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.jpg")
        try:
            tmp.write_bytes(encoded.getvalue())
            os.replace(tmp, self.path)
        except OSError:  # a read-only folder: the picture is drawn again next time
            tmp.unlink(missing_ok=True)
        return Image.open(encoded)

    def file(self) -> Path:
        """The picture's file, drawn first if it is not there yet (or None where it cannot be written)."""
        if not self.path.is_file():
            self.draw()
        return self.path if self.path.is_file() else None

    def __call__(self) -> Image.Image:
        return Image.open(self.path) if self.path.is_file() else self.draw()


def _render_chunk(args):
    from stylist_app.data.builtin.render import render_item

    directory, size, chunk = args
    for item_id, attrs in chunk:
        render_item(attrs, size).save(Path(directory) / "images" / f"{item_id}.jpg", quality=92, subsampling=0)
    return len(chunk)


def _render_all(world, directory: Path, workers: int) -> None:
    jobs = [(it["id"], it["hidden"]["attrs"]) for it in world.items]
    chunks = [jobs[k:k + 100] for k in range(0, len(jobs), 100)]
    args = [(str(directory), world.config.image_size, c) for c in chunks]
    bar = tqdm(total=len(jobs), desc="rendering flats", unit="img", disable=None)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for n in pool.map(_render_chunk, args):
                bar.update(n)
    else:
        for a in args:
            bar.update(_render_chunk(a))
    bar.close()


def _jsonl(path: Path, rows) -> None:
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")


def build_to_dir(cfg: WorldConfig, out: str | Path, workers: int | None = None, pictures: bool = True) -> Path:
    """Generate the world for `cfg` and write it to `out` (see the module docstring); with `pictures=False` the
    pictures are left to be drawn on first use."""
    out = Path(out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "images").mkdir(exist_ok=True)
        (out / "hidden").mkdir(exist_ok=True)
    except OSError as err:
        raise DataError(f"cannot write the wardrobe to {str(out)!r}: {err.strerror or err}") from err
    if not os.access(out, os.W_OK):
        raise DataError(f"cannot write the wardrobe to {str(out)!r}: permission denied")
    world = generate(cfg)
    ids = [it["id"] for it in world.items]
    oid = [o["id"] for o in world.outfits]
    splits = {name: [o["id"] for o in world.outfits if o["split"] == name] for name in ("train", "valid", "test")}
    splits["cold_items"] = [ids[k] for k in world.cold]
    meta = {"format_version": FORMAT_VERSION, "generator": _generator_hash(), "render": render_hash(),
            "config": asdict(cfg), "splits": splits}
    (out / "wardrobe.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    _jsonl(out / "items.jsonl", ({k: v for k, v in it.items() if k != "hidden"} | {"image": f"images/{it['id']}.jpg"}
                                 for it in world.items))
    _jsonl(out / "outfits.jsonl", ({"id": o["id"], "items": [ids[i] for i in o["items"]]} for o in world.outfits))
    _jsonl(out / "users.jsonl", ({"id": u["id"], "purchases": [ids[i] for i in u["purchases"]],
                                  "liked_outfits": [oid[k] for k in u["liked"]]} for u in world.users))
    (out / "rules.json").write_text(json.dumps([asdict(r) for r in RULES], indent=1) + "\n")
    hidden = {"items": [{"id": it["id"], **it["hidden"]} for it in world.items],
              "outfit_styles": {o["id"]: o["style"] for o in world.outfits},
              "users": [{"id": u["id"], "styles": u["styles"], "leaning": u["leaning"],
                         "true_items": [ids[i] for i in u["true_items"]], "true_outfits": [oid[k] for k in u["true_outfits"]]}
                        for u in world.users]}
    (out / "hidden" / "world.json").write_text(json.dumps(hidden, sort_keys=True) + "\n")
    if pictures:
        _render_all(world, out, workers if workers is not None else min(2, os.cpu_count() or 1))
    return out


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise DataError(f"{path}: missing (is this a folder written by `stylist data build`?)")
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{n}: bad JSON: {err.msg}") from err
    return rows


def _drawing_attrs(d: Path, meta: dict) -> dict[str, dict]:
    """Every item's drawn attributes from hidden/world.json (all but the facts no picture shows, `NOT_DRAWN`, so a
    Picture carries nothing a model may not see), when the folder records the drawing code it was built with and
    that code is this one's; else {} (the pictures are its files)."""
    if meta.get("render") != render_hash() or not (d / "hidden" / "world.json").is_file():
        return {}
    try:
        hidden = json.loads((d / "hidden" / "world.json").read_text())
        return {it["id"]: {k: v for k, v in it["attrs"].items() if k not in NOT_DRAWN} for it in hidden["items"]}
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(f"{d / 'hidden' / 'world.json'}: malformed: {err}") from err


def read_dir(directory: str | Path, spec: str | None = None) -> Wardrobe:
    """Read a folder written by `build_to_dir` into a Wardrobe (public files only)."""
    spec = spec or f"builtin:{directory}"
    d = check_dir(directory, spec)
    try:
        meta = json.loads((d / "wardrobe.json").read_text())
        rules = [Rule(**{**r, "top": tuple(r["top"]), "bottom": tuple(r["bottom"])})
                 for r in json.loads((d / "rules.json").read_text())]
    except FileNotFoundError as err:
        raise DataError(f"{err.filename}: missing (is this a folder written by `stylist data build`?)") from err
    except (json.JSONDecodeError, TypeError, KeyError) as err:
        raise DataError(f"{d}: wardrobe.json or rules.json is malformed: {err}") from err
    drawn = _drawing_attrs(d, meta)  # item id -> full attributes, when this code draws as the folder's did
    size = meta.get("config", {}).get("image_size", 224)
    items = {}
    for n, row in enumerate(_read_jsonl(d / "items.jsonl"), 1):
        try:
            path = d / row["image"]
            image = Picture(path, drawn[row["id"]], size, meta["render"]) if row["id"] in drawn else str(path)
            items[row["id"]] = Item(row["id"], row["slot"], row["category"], row["title"], row["description"],
                                    row["attributes"], image)
        except KeyError as err:
            raise DataError(f"{d / 'items.jsonl'}:{n}: missing field {err}") from err
    outfits = {o["id"]: Outfit(o["id"], tuple(o["items"])) for o in _read_jsonl(d / "outfits.jsonl")}
    users = {u["id"]: User(u["id"], tuple(u["purchases"]), tuple(u["liked_outfits"])) for u in _read_jsonl(d / "users.jsonl")}
    return Wardrobe(spec, items, outfits, users, meta["splits"], rules, source_dir=str(d))


def default_dir(cfg: WorldConfig) -> Path:
    knobs = "" if (cfg.observed, cfg.train_share) == (0.2, 1.0) else f"-obs{cfg.observed:g}-train{cfg.train_share:g}"
    return cache_root() / (f"builtin-v{FORMAT_VERSION}-{_generator_hash()}-seed{cfg.seed}-{cfg.n_items}-{cfg.n_outfits}"
                           f"-{cfg.n_users}{knobs}")


def default_is_built() -> bool:
    """Whether the default wardrobe is in the cache already (else `--data builtin` generates it first)."""
    return (default_dir(WorldConfig()) / "wardrobe.json").exists()


def load_builtin(directory: str | None = None, spec: str = "builtin") -> Wardrobe:
    """`builtin` (the default wardrobe, built once into the cache) or `builtin:DIR`."""
    if directory:
        return read_dir(directory, spec)
    cfg = WorldConfig()
    target = default_dir(cfg)
    if not (target / "wardrobe.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        build_to_dir(cfg, tmp, pictures=False)  # pictures are drawn when first shown or read
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    return read_dir(target, spec)

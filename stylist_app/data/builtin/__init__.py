"""The builtin studio wardrobe: generated, written to a folder, read back like any source.

Folder layout written by `stylist data build --out DIR` and read by `--data builtin:DIR`:

    wardrobe.json        version, config, slots, splits (train/valid/test outfit ids, cold_items)
    items.jsonl          one listing per line: id, slot, category, title, description, attributes (what the
                         text states, fibre, weight and occasion included), image
    outfits.jsonl        id, items (ordered item ids)
    users.jsonl          id, purchases, liked_outfits (the recorded share of each shopper's true likes,
                         in a random order)
    rules.json           the fashion rules knowledge base (editable)
    images/<id>.jpg      the rendered fashion flat, as a packshot
    hidden/world.json    the generator's truth (styles, full attributes with fibre, weight and occasion, tastes,
                         every shopper's true likes): the oracle's, never a model's

`--data builtin` builds the default wardrobe once into the cache folder ($STYLIST_CACHE,
else ~/.cache/stylist) and reads it from there afterwards.
"""
import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from stylist_app.data.builtin.rules import RULES
from stylist_app.data.builtin.world import WorldConfig, generate
from stylist_app.data.schema import DataError, Item, Outfit, Rule, User, Wardrobe, check_dir

__all__ = ["WorldConfig", "build_to_dir", "read_dir", "load_builtin", "cache_root"]
FORMAT_VERSION = 2  # world v2: fibre, weight, occasion; true likes; random hold-outs


def cache_root() -> Path:
    return Path(os.environ.get("STYLIST_CACHE") or Path.home() / ".cache" / "stylist")


def _generator_hash() -> str:
    """Hash of the generator's own source, so a changed generator never serves a stale cache."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


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


def build_to_dir(cfg: WorldConfig, out: str | Path, workers: int | None = None) -> Path:
    """Generate the world for `cfg` and write it to `out` (see the module docstring)."""
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
    meta = {"format_version": FORMAT_VERSION, "generator": _generator_hash(), "config": asdict(cfg), "splits": splits}
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
    items = {}
    for n, row in enumerate(_read_jsonl(d / "items.jsonl"), 1):
        try:
            items[row["id"]] = Item(row["id"], row["slot"], row["category"], row["title"], row["description"],
                                    row["attributes"], str(d / row["image"]))
        except KeyError as err:
            raise DataError(f"{d / 'items.jsonl'}:{n}: missing field {err}") from err
    outfits = {o["id"]: Outfit(o["id"], tuple(o["items"])) for o in _read_jsonl(d / "outfits.jsonl")}
    users = {u["id"]: User(u["id"], tuple(u["purchases"]), tuple(u["liked_outfits"])) for u in _read_jsonl(d / "users.jsonl")}
    return Wardrobe(spec, items, outfits, users, meta["splits"], rules, source_dir=str(d))


def default_dir(cfg: WorldConfig) -> Path:
    knobs = "" if (cfg.observed, cfg.train_share) == (0.2, 1.0) else f"-obs{cfg.observed:g}-train{cfg.train_share:g}"
    return cache_root() / (f"builtin-v{FORMAT_VERSION}-{_generator_hash()}-seed{cfg.seed}-{cfg.n_items}-{cfg.n_outfits}"
                           f"-{cfg.n_users}{knobs}")


def load_builtin(directory: str | None = None, spec: str = "builtin") -> Wardrobe:
    """`builtin` (the default wardrobe, built once into the cache) or `builtin:DIR`."""
    if directory:
        return read_dir(directory, spec)
    cfg = WorldConfig()
    target = default_dir(cfg)
    if not (target / "wardrobe.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        build_to_dir(cfg, tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    return read_dir(target, spec)

"""FashionVC top-bottom triplets with item text (the AKD-DBPR authors' release): `fashionvc:DIR`.

Layout:
    *_ijk_*.txt                    one triplet a line: top id, positive bottom id, negative
                                   bottom id (whitespace-separated; ids may be written as
                                   floats, "189058595.0", and are read as "189058595")
    top_id.txt, top_text.txt       the top catalog: id and processed text, aligned by line
    bottom_id.txt, bottom_text.txt the bottom catalog, likewise
    images/<id>.jpg                optional pictures

Every listed top and bottom is an item: slot "top" or "bottom" as the source files them (its
"bottoms" include dresses and its "tops" coats: the slot is the source's role in the pair),
the text as title, and the fine type from the keyword mapping on the text. Each distinct
(top, positive bottom) is a 2-item outfit "<top>_<bottom>". A triplet file whose name holds
train/valid/val/test gives that split; other files are split by hashing the outfit id
(80/10/10); an outfit met in two splits keeps the first (train, valid, test order). Triplets
naming a top or positive bottom missing from its catalog are left out (counted); the source's
negatives go to `given_tasks["triplets"][split]` as (top, positive bottom, negative bottom)
tuples, as `data.tasks.top_bottom_triplets` returns them, when all three are in their catalogs.
"""
from __future__ import annotations

from pathlib import Path

from stylist_app.data.formats.common import (
    guess_type, hash_split, image_files, log, make_splits, need_file, norm_id, read_lines,
)
from stylist_app.data.schema import SPLITS, DataError, Item, Outfit, Wardrobe, check_dir

SPLIT_WORDS = {"train": "train", "valid": "valid", "val": "valid", "test": "test"}


def read(rest: str, spec: str) -> Wardrobe:
    root = check_dir(rest, spec)
    images = image_files(root / "images")
    items: dict[str, Item] = {}
    for slot in ("top", "bottom"):
        for line, iid, text in _catalog(root, slot, spec):
            if iid in items:
                raise DataError(f"{root / f'{slot}_id.txt'} line {line}: id {iid!r} is already in the catalog")
            guess = guess_type(text)
            image = str(root / "images" / f"{iid}.jpg") if images and f"{iid}.jpg" in images else None
            items[iid] = Item(id=iid, slot=slot, category=guess[1] if guess else slot, title=text, image=image)
    if not items:
        raise DataError(f"data spec {spec!r}: top_id.txt and bottom_id.txt list no items")
    with_image = sum(i.image is not None for i in items.values())
    if with_image < len(items):
        log.warning("%s: %d of %d items have no image (looked in images/<id>.jpg)",
                    spec, len(items) - with_image, len(items))

    files = sorted(root.glob("*_ijk_*.txt"), key=lambda p: (SPLITS.index(_split_name(p) or "test"), p.name))
    if not files:
        raise DataError(f"data spec {spec!r}: no triplet files (*_ijk_*.txt) in {str(root)!r}")
    outfits: dict[str, Outfit] = {}
    split_of: dict[str, str] = {}
    triplets: dict[str, list[tuple[str, str, str]]] = {}
    slot = {i: item.slot for i, item in items.items()}
    unknown = no_negative = 0
    for path in files:
        named = _split_name(path)
        for top, pos, neg in _triplets(path):
            if slot.get(top) != "top" or slot.get(pos) != "bottom":
                unknown += 1
                continue
            oid = f"{top}_{pos}"
            if oid not in outfits:
                outfits[oid] = Outfit(oid, (top, pos))
                split_of[oid] = named or hash_split(oid)
            if slot.get(neg) != "bottom":
                no_negative += 1
                continue
            triplets.setdefault(split_of[oid], []).append((top, pos, neg))
    if unknown or no_negative:
        log.warning("%s: left out %d triplets whose top or positive bottom is not in the catalog and kept "
                    "%d more only as outfits (negative not in the catalog)", spec, unknown, no_negative)
    if not outfits:
        raise DataError(f"data spec {spec!r}: no triplet names a top and bottom listed in top_id.txt/bottom_id.txt")
    splits = make_splits(split_of, outfits, items)
    return Wardrobe(spec=spec, items=items, outfits=outfits, splits=splits,
                    given_tasks={"triplets": triplets} if triplets else {}, source_dir=str(root))


def _split_name(path: Path) -> str | None:
    words = path.stem.lower().replace("-", "_").split("_")
    return next((SPLIT_WORDS[w] for w in words if w in SPLIT_WORDS), None)


def _catalog(root: Path, slot: str, spec: str) -> list[tuple[int, str, str]]:
    """(line, id, text) of one catalog, checking that the two files align."""
    id_path, text_path = need_file(root / f"{slot}_id.txt", spec), need_file(root / f"{slot}_text.txt", spec)
    ids = read_lines(id_path)
    texts = read_lines(text_path)
    if len(ids) != len(texts):
        raise DataError(f"{id_path} has {len(ids)} lines but {text_path} has {len(texts)}: they must align")
    out = []
    for line, (raw, text) in enumerate(zip(ids, texts), 1):
        if not raw.strip():
            raise DataError(f"{id_path} line {line}: empty id")
        out.append((line, norm_id(raw), text.strip()))
    return out


def _triplets(path: Path):
    for line, text in enumerate(read_lines(path), 1):
        fields = text.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise DataError(f"{path} line {line}: expected 'top positive_bottom negative_bottom', "
                            f"got {len(fields)} fields")
        yield tuple(norm_id(x) for x in fields)

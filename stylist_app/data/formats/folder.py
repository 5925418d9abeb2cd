"""Bring your own catalog: `folder:DIR`.

Layout:
    items.csv    columns id, image, title, category, then optional description, slot and any
                 attribute columns (color, material, ...: every other non-empty cell becomes an
                 attribute). `image` is relative to DIR or absolute and must name an existing
                 file (checked, not opened). `category` may be a fine type ("denim jacket") or a
                 slot ("tops"); it is mapped to a slot by the shared keyword mapping
                 (`common.guess_type`), then the title is tried; a `slot` column, where filled,
                 wins and must be one of SLOTS. An item whose slot neither tells takes the slot the
                 photo reader reads from its picture (`models.reader.read_slots`, the shipped reader:
                 the one place where reading a source uses a model); such items are logged with a
                 count per category and marked with the attribute slot_from = "picture" (`stylist
                 data stats` counts them).
    outfits.csv  optional: outfit_id, item_id, and optionally position (an integer; without it
                 items are put in slot order). Splits hash the outfit id (80/10/10).

Without outfits.csv the Wardrobe has items only (retrieval and design still work); an
outfits.csv with no rows is an error, as is any id, image or slot it cannot resolve.
"""
from __future__ import annotations

from pathlib import Path

from stylist_app.data.formats.common import guess_type, hash_split, log, make_splits, read_csv
from stylist_app.data.schema import SLOTS, DataError, Item, Outfit, Wardrobe, check_dir, order_by_slot

ITEM_COLUMNS = ("id", "image", "title", "category")
NOT_ATTRIBUTES = set(ITEM_COLUMNS) | {"description", "slot"}


def read(rest: str, spec: str) -> Wardrobe:
    root = check_dir(rest, spec)
    items = _items(root, spec)
    if not (root / "outfits.csv").exists():
        return Wardrobe(spec=spec, items=items, source_dir=str(root))
    outfits = _outfits(root / "outfits.csv", items, spec)
    splits = make_splits({o: hash_split(o) for o in outfits}, outfits, items)
    return Wardrobe(spec=spec, items=items, outfits=outfits, splits=splits, source_dir=str(root))


def _items(root: Path, spec: str) -> dict[str, Item]:
    path = root / "items.csv"
    columns, rows = read_csv(path, ITEM_COLUMNS, spec)
    if not rows:
        raise DataError(f"{path}: no items")
    items: dict[str, Item] = {}
    unplaced: dict[str, str] = {}  # item id -> category the word table cannot place
    for line, row in rows:
        iid = row["id"]
        if not iid or iid in items:
            raise DataError(f"{path} line {line}: {'duplicate' if iid else 'empty'} id {iid!r}")
        image = Path(row["image"]).expanduser()
        image = image if image.is_absolute() else root / image
        if not row["image"] or not image.is_file():
            raise DataError(f"{path} line {line}: item {iid!r}: image {row['image']!r} is not a readable file")
        slot = row.get("slot", "").lower()
        guess = guess_type(row["category"]) or guess_type(row["title"])
        if slot and slot not in SLOTS:
            raise DataError(f"{path} line {line}: item {iid!r}: slot {slot!r} is not one of {', '.join(SLOTS)}")
        if not slot and guess is None:
            unplaced[iid] = row["category"]
        items[iid] = Item(id=iid, slot=slot or (guess[0] if guess else SLOTS[0]),
                          category=row["category"] or (guess[1] if guess else ""), title=row["title"],
                          description=row.get("description", ""), image=str(image),
                          attributes={c: row[c] for c in columns if c not in NOT_ATTRIBUTES and row[c]})
    if unplaced:
        _slots_from_pictures(items, unplaced, path)
    return items


def _slots_from_pictures(items: dict[str, Item], unplaced: dict[str, str], path: Path) -> None:
    """Give items whose category no word places the slot the photo reader reads from their pictures."""
    from stylist_app.models.reader import read_slots

    slots = read_slots([items[i].image for i in unplaced], path)
    counts: dict[str, int] = {}
    for iid, slot in zip(unplaced, slots):
        items[iid].slot = slot
        items[iid].attributes["slot_from"] = "picture"
        counts[unplaced[iid] or "(empty)"] = counts.get(unplaced[iid] or "(empty)", 0) + 1
    log.warning("%s: %d items of categories the word table cannot place took the slot their picture was read as: %s",
                path, len(unplaced), ", ".join(f"{c!r} x{n}" for c, n in sorted(counts.items(), key=lambda x: -x[1])))


def _outfits(path: Path, items: dict[str, Item], spec: str) -> dict[str, Outfit]:
    columns, rows = read_csv(path, ("outfit_id", "item_id"), spec)
    if not rows:
        raise DataError(f"{path}: no outfits (remove the file for a catalog without outfits)")
    members: dict[str, list[tuple[int, str]]] = {}
    for line, row in rows:
        oid, iid = row["outfit_id"], row["item_id"]
        if not oid:
            raise DataError(f"{path} line {line}: empty outfit_id")
        if iid not in items:
            raise DataError(f"{path} line {line}: outfit {oid!r} names unknown item {iid!r}")
        position = row.get("position", "")
        if position and not position.lstrip("-").isdigit():
            raise DataError(f"{path} line {line}: position {position!r} is not an integer")
        members.setdefault(oid, []).append((int(position) if position else 0, iid))
    outfits = {}
    for oid, entries in members.items():
        ids = tuple(i for _, i in sorted(entries, key=lambda e: e[0]))
        outfits[oid] = Outfit(oid, ids if "position" in columns else order_by_slot(ids, items))
    return outfits

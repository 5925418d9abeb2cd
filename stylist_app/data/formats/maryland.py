"""Maryland Polyvore (the Bi-LSTM paper's data): `maryland:DIR`.

Layout:
    label/{train,valid,test}_no_dup.json  a list of outfits: {"set_id", "items": [{"index",
        "name", "price", "likes", "image", "categoryid"}], ...}
    images/<set_id>/<index>.jpg           item pictures (0.jpg / "0 (1).jpg" is the outfit collage)

An item's id is "<set_id>_<index>"; outfits keep the listed order (the paper's order) and the
splits are the files'. The slot and fine type come from the item name by the shared keyword
mapping (`common.guess_type`); Polyvore category ids are numbers without names here, so they
are not used. Items are left out, with counts in a warning, when their image file is missing
or their name names no garment (the set mixes in make-up, perfume and furniture); outfits left
with fewer than 2 items are dropped. A missing split file is a warning; all three missing is
an error.
"""
from __future__ import annotations

from stylist_app.data.formats.common import drop_missing, get, guess_type, json_list, log, make_splits, read_json
from stylist_app.data.schema import SPLITS, DataError, Item, Wardrobe, check_dir


def read(rest: str, spec: str) -> Wardrobe:
    root = check_dir(rest, spec)
    label = root / "label"
    items: dict[str, Item] = {}
    members: dict[str, tuple[str, ...]] = {}
    split_of: dict[str, str] = {}
    no_image = no_garment = 0
    found = [s for s in SPLITS if (label / f"{s}_no_dup.json").is_file()]
    if not found:
        raise DataError(f"data spec {spec!r}: no label/{{train,valid,test}}_no_dup.json in {str(root)!r}")
    if len(found) < len(SPLITS):
        log.warning("%s: no label file for split(s) %s", spec, ", ".join(s for s in SPLITS if s not in found))
    for split in found:
        path = label / f"{split}_no_dup.json"
        for n, record in enumerate(json_list(read_json(path, spec), path)):
            set_id = str(get(record, "set_id", path, f"record {n}"))
            where = f"outfit {set_id!r} (record {n})"
            if set_id in members:
                raise DataError(f"{path}: {where} repeats a set_id already read")
            entries = get(record, "items", path, where)
            if not isinstance(entries, list) or not entries:
                raise DataError(f"{path}: {where} has no items")
            ids = []
            for entry in entries:
                index = get(entry, "index", path, where + " item")
                name = str(get(entry, "name", path, f"{where} item {index}"))
                iid = f"{set_id}_{index}"
                image = root / "images" / set_id / f"{index}.jpg"
                kind = guess_type(name)
                if not image.is_file():
                    no_image += 1
                elif kind is None:
                    no_garment += 1
                else:
                    items[iid] = Item(id=iid, slot=kind[0], category=kind[1], title=name, image=str(image))
                ids.append(iid)
            members[set_id] = tuple(ids)
            split_of[set_id] = split
    if no_image or no_garment:
        log.warning("%s: left out %d items whose image file is missing and %d whose name names no garment",
                    spec, no_image, no_garment)
    if not items:
        raise DataError(f"data spec {spec!r}: no usable items in {str(label)!r}")
    outfits = drop_missing(members, items, spec, "items left out")
    splits = make_splits(split_of, outfits, items)
    return Wardrobe(spec=spec, items=items, outfits=outfits, splits=splits, source_dir=str(root))

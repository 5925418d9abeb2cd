"""Polyvore Outfits (the Type-aware embedding paper's release): `polyvore-outfits:DIR[:disjoint]`.

Layout (the `nondisjoint` version unless the spec ends in ":disjoint"):
    polyvore_item_metadata.json        {item_id: {semantic_category, category_id, title,
                                        description, url_name, ...}}
    categories.csv                     category_id, sub_category, main_category (no header
                                        needed; a header row is skipped)
    <version>/{train,valid,test}.json  a list of outfits {"set_id", "items": [{"item_id", "index"}]}
    <version>/compatibility_<split>.txt  "label item item ...", items named "<set_id>_<index>"
    <version>/fill_in_blank_<split>.json  [{"question": [...], "blank_position", "answers": [...]}]
    images/<item_id>.jpg

Items are keyed by item_id. Slot: the metadata's semantic_category (tops, bottoms, all-body ->
dress, outerwear, shoes, bags, and jewellery/accessories/hats/scarves/sunglasses -> accessory),
else categories.csv's main category for its category_id, else the keyword mapping on the
title, else accessory. With metadata, outfit items missing from it are left out (counted);
without any metadata every item is kept with category "unknown" and slot "accessory" (the
dataset gives nothing else to go by) and a warning says so. With an images/ folder, items
whose picture is missing are left out (counted); without one, items have no image. Outfits
with metadata are put in slot order; without, they keep the file's index order.

The dataset's own tasks go to `given_tasks`, keeping only questions whose every item was loaded
(the counts left out are logged) and only splits with questions left:
    "fitb": {split: [{"items": [outfit ids], "position": p, "candidates": [ids, correct first]}]}
    "compat": {split: [{"items": [ids], "label": 0 or 1}]}
A FITB question's `items` is the whole outfit in the file's order, its correct answer in place
at 0-based `position` (as `data.tasks.FITBQuestion` reads it: the question's items are `items`
without `position`). The correct FITB answer is the one
from the question's own outfit, as the paper's evaluation decides: in the nondisjoint files it
is always answers[0], in the disjoint files it is not.
"""
from __future__ import annotations

import csv

from stylist_app.data.formats.common import (
    drop_missing, get, guess_type, image_files, json_list, log, make_splits, read_json, read_lines,
)
from stylist_app.data.schema import SPLITS, DataError, Item, Outfit, Wardrobe, check_dir, order_by_slot

SEMANTIC_SLOTS = {"tops": "top", "bottoms": "bottom", "all-body": "dress", "outerwear": "outerwear",
                  "shoes": "shoes", "bags": "bag", "jewellery": "accessory", "accessories": "accessory",
                  "hats": "accessory", "scarves": "accessory", "sunglasses": "accessory"}


def read(rest: str, spec: str) -> Wardrobe:
    folder, _, version = rest.rpartition(":") if rest.endswith((":disjoint", ":nondisjoint")) else (rest, "", "")
    version = version or "nondisjoint"
    root = check_dir(folder, spec)
    part = check_dir(root / version, spec)
    metadata = _metadata(root, spec)
    categories = _categories(root)
    images = image_files(root / "images")

    found = [s for s in SPLITS if (part / f"{s}.json").is_file()]
    if not found:
        raise DataError(f"data spec {spec!r}: no {version}/{{train,valid,test}}.json in {str(root)!r}")
    if len(found) < len(SPLITS):
        log.warning("%s: no outfit file for split(s) %s", spec, ", ".join(s for s in SPLITS if s not in found))

    items: dict[str, Item] = {}
    members: dict[str, tuple[str, ...]] = {}
    split_of: dict[str, str] = {}
    by_position: dict[str, str] = {}  # "<set_id>_<index>" -> item_id
    no_meta: set[str] = set()
    no_image: set[str] = set()
    for split in found:
        path = part / f"{split}.json"
        for n, record in enumerate(json_list(read_json(path, spec), path)):
            set_id = str(get(record, "set_id", path, f"record {n}"))
            where = f"outfit {set_id!r} (record {n})"
            entries = get(record, "items", path, where)
            if not isinstance(entries, list) or not entries:
                raise DataError(f"{path}: {where} has no items")
            ids = []
            for index, iid in sorted(_entry(e, path, where) for e in entries):
                by_position[f"{set_id}_{index}"] = iid
                ids.append(iid)
                if iid in items or iid in no_meta or iid in no_image:
                    continue
                if metadata is not None and iid not in metadata:
                    no_meta.add(iid)
                elif images is not None and f"{iid}.jpg" not in images:
                    no_image.add(iid)
                else:
                    items[iid] = _item(iid, metadata, categories, root, images)
            members[set_id] = tuple(ids)
            split_of[set_id] = split
    if metadata is None:
        log.warning("%s: no polyvore_item_metadata.json: %d items have no title or category; slot set to "
                    "'accessory'", spec, len(items))
    if images is None:
        log.warning("%s: no images/ folder: %d items have no image", spec, len(items))
    if no_meta or no_image:
        log.warning("%s: left out %d items missing from the metadata and %d whose image file is missing",
                    spec, len(no_meta), len(no_image))
    if not items:
        raise DataError(f"data spec {spec!r}: no usable items in {str(part)!r}")
    outfits = drop_missing(members, items, spec, "items left out")
    if metadata is not None:
        outfits = {o: Outfit(o, order_by_slot(f.items, items)) for o, f in outfits.items()}
    splits = make_splits(split_of, outfits, items)
    known = {k: v for k, v in by_position.items() if v in items}
    tasks = {"fitb": _fitb(part, known, spec), "compat": _compat(part, known, spec)}
    return Wardrobe(spec=spec, items=items, outfits=outfits, splits=splits,
                    given_tasks={k: v for k, v in tasks.items() if v}, source_dir=str(root))


def _entry(entry, path, where) -> tuple[int, str]:
    """(index, item_id) of one outfit entry."""
    index = get(entry, "index", path, where + " item")
    iid = str(get(entry, "item_id", path, where + " item"))
    if not str(index).isdigit():
        raise DataError(f"{path}: {where} item {iid!r} has a non-numeric index {index!r}")
    return int(index), iid


def _metadata(root, spec) -> dict | None:
    path = root / "polyvore_item_metadata.json"
    if not path.is_file():
        return None
    data = read_json(path, spec)
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object keyed by item id, got {type(data).__name__}")
    return data


def _categories(root) -> dict[str, tuple[str, str]]:
    """category_id -> (sub category, main category) from categories.csv, {} if absent."""
    path = root / "categories.csv"
    if not path.is_file():
        return {}
    out = {}
    for line, row in enumerate(csv.reader(read_lines(path)), 1):
        if len(row) < 3:
            raise DataError(f"{path} line {line}: expected category_id,sub_category,main_category")
        if row[0].strip().isdigit():
            out[row[0].strip()] = (row[1].strip(), row[2].strip())
    return out


def _item(iid, metadata, categories, root, images) -> Item:
    meta = metadata.get(iid, {}) if metadata is not None else {}
    sub, main = categories.get(str(meta.get("category_id", "")), ("", ""))
    title = str(meta.get("title") or meta.get("url_name") or "")
    guess = guess_type(f"{sub} {title}")
    slot = (SEMANTIC_SLOTS.get(str(meta.get("semantic_category", "")).strip())
            or SEMANTIC_SLOTS.get(main) or (guess[0] if guess else "accessory"))
    category = sub or (guess[1] if guess else "") or str(meta.get("semantic_category") or "unknown")
    image = str(root / "images" / f"{iid}.jpg") if images is not None else None
    return Item(id=iid, slot=slot, category=category, title=title,
                description=str(meta.get("description") or ""), image=image)


def _fitb(part, known: dict[str, str], spec) -> dict[str, list[dict]]:
    out = {}
    for split in SPLITS:
        path = part / f"fill_in_blank_{split}.json"
        if not path.is_file():
            continue
        questions, skipped = [], 0
        for n, q in enumerate(json_list(read_json(path, spec), path)):
            names = get(q, "question", path, f"question {n}")
            answers = get(q, "answers", path, f"question {n}")
            blank = get(q, "blank_position", path, f"question {n}")
            if not isinstance(names, list) or not isinstance(answers, list) or not names or not answers:
                raise DataError(f"{path}: question {n} needs non-empty 'question' and 'answers' lists")
            if not str(blank).isdigit():
                raise DataError(f"{path}: question {n} has a non-numeric blank_position {blank!r}")
            if not all(x in known for x in names + answers):
                skipped += 1
                continue
            own = names[0].rsplit("_", 1)[0]
            correct = next((k for k, a in enumerate(answers) if a.rsplit("_", 1)[0] == own), 0)
            candidates = [answers[correct]] + answers[:correct] + answers[correct + 1:]
            names = sorted(names, key=lambda x: int(x.rsplit("_", 1)[1]))
            position = sum(int(x.rsplit("_", 1)[1]) < int(blank) for x in names)
            outfit = names[:position] + [candidates[0]] + names[position:]
            questions.append({"items": [known[x] for x in outfit], "position": position,
                              "candidates": [known[x] for x in candidates]})
        if skipped:
            log.warning("%s: %s: left out %d of %d questions naming items not loaded",
                        spec, path.name, skipped, skipped + len(questions))
        if questions:
            out[split] = questions
    return out


def _compat(part, known: dict[str, str], spec) -> dict[str, list[dict]]:
    out = {}
    for split in SPLITS:
        path = part / f"compatibility_{split}.txt"
        if not path.is_file():
            continue
        pairs, skipped = [], 0
        for line, text in enumerate(read_lines(path), 1):
            fields = text.split()
            if not fields:
                continue
            if fields[0] not in ("0", "1") or len(fields) < 3:
                raise DataError(f"{path} line {line}: expected 'label item item ...' with label 0 or 1")
            if not all(x in known for x in fields[1:]):
                skipped += 1
                continue
            pairs.append({"items": [known[x] for x in fields[1:]], "label": int(fields[0])})
        if skipped:
            log.warning("%s: %s: left out %d of %d outfits naming items not loaded",
                        spec, path.name, skipped, skipped + len(pairs))
        if pairs:
            out[split] = pairs
    return out

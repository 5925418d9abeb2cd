"""Helpers shared by the readers: the keyword -> slot mapping, file reading with clear errors,
image look-up and the deterministic hash split.

Keyword mapping. `guess_type(text)` reads the words of a product name (lower-cased, split on
anything but letters, digits and hyphens, so "t-shirt" and "high-top" stay one word) from the
right and returns the first word it knows as `(slot, fine type)`. English product names put
the head noun last, so the rightmost garment word wins: "shirt dress" is a dress, "denim jacket"
outerwear, "boot cut jeans" a bottom, "versace jeans clutch" a bag. A plural is looked up as
its singular ("dresses" -> "dress"). Names with no garment word (beauty, furniture, "gucci")
map to None; each reader says what it does with those.

    top        top/topwear, t-shirt/tee/tshirt, shirt, blouse, sweater/jumper/pullover,
               sweatshirt, hoodie, cardigan, tank top/tank/camisole/cami, polo, bodysuit,
               tunic/kurta/kurti, turtleneck
    bottom     jeans/jean, trousers/pants/slacks, shorts/bermudas, skirt/skort, leggings,
               joggers/sweatpants, chinos, culottes, capris, bottom/bottomwear
    dress      dress/nightdress, gown/nightgown, saree/sari, jumpsuit/playsuit/romper/overall/dungarees
    outerwear  jacket/bomber/anorak/windbreaker/overshirt/cazadora, coat/overcoat/trench/
               trenchcoat/parka/puffer/cape/poncho, blazer, vest/gilet/waistcoat, kimono, outerwear
    shoes      shoes/footwear, boots/booties, sneakers/trainers, heels/pumps/stilettos,
               sandals/espadrilles/wedges/flip-flops, loafers/oxfords/brogues/moccasins,
               flats/ballerinas, slippers/mules/clogs
    bag        bag/handbag/purse/satchel/duffel/shopper/crossbody/pouch, tote, clutch/pochette,
               backpack/rucksack
    accessory  hat/fedora/beret/turban/headwear, cap/snapback, beanie, scarf/foulard/kerchief/
               shawl/stole/muffler/dupatta, belt, sunglasses/glasses/eyewear, necklace/pendant/
               choker, earrings, bracelet/bangle, ring, brooch/cufflinks, watch, gloves/mittens,
               tie, socks/tights, headband/hairband, wallet, umbrella, keyring, jewellery/jewelry,
               accessory

Real shops' category words are covered too ("Topwear", "Bottomwear", "Footwear", "Eyewear",
"Tshirts", "Flip Flops", "Kurtas", "Waist Pouch", ...: tests/test_formats.py lists them).
"""
from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from pathlib import Path

from stylist_app.data.schema import SPLITS, DataError, Item, Outfit

log = logging.getLogger("stylist")

# slot -> lines of words naming one fine type: "name: word word ..." or "name word word ..."
# (then the first word is the name). Every word maps to (slot, name).
_TYPE_WORDS = {
    "top": """top tops topwear upperwear
        t-shirt t-shirts tee tees tshirt
        shirt
        blouse
        sweater jumper pullover
        sweatshirt
        hoodie
        cardigan
        tank top: tank camisole cami
        polo poloshirt
        bodysuit
        tunic kurta kurtas kurti kurtis
        turtleneck""",
    "bottom": """jeans jean
        trousers trouser pants pant slacks
        shorts bermudas bermuda
        skirt skort
        leggings legging
        joggers jogger sweatpants
        chinos chino
        culottes
        capris capri
        bottom bottoms bottomwear""",
    "dress": """dress nightdress
        gown nightgown
        saree: saree sarees sari
        jumpsuit playsuit romper overall overalls dungarees""",
    "outerwear": """jacket bomber anorak windbreaker overshirt cazadora
        coat overcoat trench trenchcoat parka puffer cape poncho
        blazer
        vest gilet waistcoat
        kimono
        outerwear""",
    "shoes": """shoes shoe footwear
        boots boot booties bootie
        sneakers sneaker trainers trainer
        heels heel pumps pump stilettos stiletto
        sandals sandal espadrilles espadrille wedges flip-flops flipflops flops
        loafers loafer oxfords oxford brogues brogue moccasins moccasin
        flats ballerinas ballerina
        slippers slipper mules mule clogs clog""",
    "bag": """bag handbag purse satchel duffel shopper crossbody pouch
        tote
        clutch pochette
        backpack rucksack""",
    "accessory": """hat fedora beret turban headwear
        cap snapback
        beanie
        scarf scarves foulard kerchief shawl stole stoles muffler mufflers dupatta dupattas
        belt
        sunglasses glasses eyewear
        necklace pendant choker
        earrings earring
        bracelet bangle
        ring
        brooch
        cufflinks
        watch
        gloves glove mittens
        tie
        socks sock tights
        headband hairband
        wallet
        umbrella
        keyring
        jewellery jewelry
        accessory accessories""",
}


def _type_table() -> dict[str, tuple[str, str]]:
    table = {}
    for slot, block in _TYPE_WORDS.items():
        for line in block.splitlines():
            name, _, words = line.strip().rpartition(":")
            for word in words.split():
                table[word] = (slot, name or words.split()[0])
    return table


TYPE_BY_WORD = _type_table()  # word -> (slot, fine type)
_WORD = re.compile(r"[a-z0-9][a-z0-9-]*")


def guess_type(text: str) -> tuple[str, str] | None:
    """(slot, fine type) from the rightmost garment word in `text`, or None (see module doc)."""
    for word in reversed(_WORD.findall(text.lower())):
        for w in (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else ""):
            if w in TYPE_BY_WORD:
                return TYPE_BY_WORD[w]
    return None


def norm_id(value) -> str:
    """An id as text; ids some releases wrote as floats ("189058595.0") lose the ".0"."""
    s = str(value).strip()
    return s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s


def need_file(path: Path, spec: str) -> Path:
    if not path.is_file():
        raise DataError(f"data spec {spec!r}: file {str(path)!r} does not exist")
    return path


def read_json(path: Path, spec: str):
    """Parsed JSON; DataError naming the file (and line/column) when missing or malformed."""
    need_file(path, spec)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: bad JSON at line {err.lineno} column {err.colno}: {err.msg}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read: {err}") from err


def json_list(data, path: Path) -> list:
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def get(record, key: str, path: Path, where: str):
    """record[key], or a DataError naming the file and the record."""
    if not isinstance(record, dict) or key not in record:
        raise DataError(f"{path}: {where} has no {key!r} field")
    return record[key]


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read: {err}") from err


def read_csv(path: Path, required: tuple[str, ...], spec: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """(columns, [(line number, row)]) of a CSV with a header; DataError on missing columns or short rows."""
    need_file(path, spec)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)} "
                                f"(found: {', '.join(columns) or 'no header'})")
            reader.fieldnames = columns
            rows = []
            for row in reader:
                if None in row.values() or None in row:
                    raise DataError(f"{path} line {reader.line_num}: expected {len(columns)} fields")
                rows.append((reader.line_num, {k: v.strip() for k, v in row.items()}))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}: cannot read: {err}") from err
    return columns, rows


def image_files(folder: Path) -> set[str] | None:
    """Names of the files in an image folder (one listing instead of a stat per item), or None if absent."""
    if not folder.is_dir():
        return None
    return {p.name for p in folder.iterdir()}


def hash_split(key: str, valid: float = 0.1, test: float = 0.1) -> str:
    """Deterministic split of an id: "test" for a `test` share of ids, "valid" for `valid`, else "train"."""
    u = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big") / 2**64
    return "test" if u < test else "valid" if u < test + valid else "train"


def make_splits(split_of: dict[str, str], outfits: dict[str, Outfit], items: dict[str, Item]) -> dict[str, list[str]]:
    """Split lists (outfit ids in source order) plus "cold_items": items in no training outfit."""
    splits = {s: [o for o in outfits if split_of[o] == s] for s in SPLITS}
    warm = {i for o in splits["train"] for i in outfits[o].items}
    splits["cold_items"] = [i for i in items if i not in warm]
    return splits


def drop_missing(outfits: dict[str, tuple[str, ...]], items: dict[str, Item], spec: str,
                 why: str) -> dict[str, Outfit]:
    """Outfits keeping only known items; outfits left with fewer than 2 items are dropped and counted."""
    kept, dropped_items, dropped_outfits = {}, 0, 0
    for oid, members in outfits.items():
        present = tuple(i for i in members if i in items)
        dropped_items += len(members) - len(present)
        if len(present) >= 2:
            kept[oid] = Outfit(oid, present)
        else:
            dropped_outfits += 1
    if dropped_items or dropped_outfits:
        log.warning("%s: outfits lost %d entries (%s); dropped %d outfits left with fewer than 2 items",
                    spec, dropped_items, why, dropped_outfits)
    if not kept:
        raise DataError(f"data spec {spec!r}: no outfit has 2 or more usable items")
    return kept

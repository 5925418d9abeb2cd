"""One data model for every source: Item, Outfit, User, Rule, Wardrobe.

A Wardrobe is all a model ever sees of a source: what a shop or a stylist would publish
(pictures, titles, descriptions, stated attributes, outfits, shoppers' interactions) and
never a generator's hidden truth. Readers in `data/formats/` and `data/builtin/` build one;
`load(spec)` picks the reader by the `--data SPEC` string.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PIL import Image

# The coarse categories every source is mapped onto, in outfit order (the Bi-LSTM's
# "tops, bottoms, shoes, bags, accessories", with dresses after bottoms and outerwear after that).
SLOTS = ("top", "bottom", "dress", "outerwear", "shoes", "bag", "accessory")
SLOT_ORDER = {s: i for i, s in enumerate(SLOTS)}
SPLITS = ("train", "valid", "test")


class DataError(ValueError):
    """Bad input data. The message names the file and the record at fault."""


@dataclass
class Item:
    """One catalog product.

    `image` is a path (str) or a zero-argument callable returning a PIL image (lazy);
    `attributes` holds only what the listing states (colour, pattern, material, ...).
    """

    id: str
    slot: str
    category: str  # fine type, e.g. "t-shirt"
    title: str
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    image: str | Callable[[], Image.Image] | None = None

    @property
    def text(self) -> str:
        """Everything a text model may read: title, description and category."""
        return f"{self.title}. {self.description} ({self.category})".strip()

    def load_image(self) -> Image.Image:
        """The product picture as RGB. Raises DataError naming the item when it cannot be read."""
        if self.image is None:
            raise DataError(f"item {self.id!r} has no image")
        try:
            img = self.image() if callable(self.image) else Image.open(self.image)
            img.load()
        except (OSError, ValueError, SyntaxError) as err:
            raise DataError(f"item {self.id!r}: cannot read image {self.image!r}: {err}") from err
        return img.convert("RGB")


@dataclass
class Outfit:
    """An ordered outfit (items in slot order)."""

    id: str
    items: tuple[str, ...]


@dataclass
class User:
    """A shopper: bought items and liked outfits, each in the order they happened."""

    id: str
    purchases: tuple[str, ...] = ()
    liked_outfits: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A human-readable fashion matching rule over what models can see.

    It fires on a (top, bottom) pair when the top's text matches `top` and the bottom's
    text matches `bottom`; a condition is a tuple of phrases, any of which may match
    (whole words, case-insensitive, in `Item.text`). `polarity` is +1 (goes well) or -1 (avoid).
    On whole outfits a rule is read over every pair of items, in both orders.
    """

    name: str
    kind: str  # category, colour, pattern, material, formality
    top: tuple[str, ...]
    bottom: tuple[str, ...]
    polarity: int
    text: str = ""  # the rule as a stylist would say it


@dataclass
class Wardrobe:
    """A catalog with outfits, users, splits and rules: everything a model may use.

    `splits` maps "train"/"valid"/"test" to outfit ids and "cold_items" to item ids that no
    training outfit contains. `given_tasks` carries a source's own evaluation questions
    (e.g. Polyvore Outfits' FITB files) keyed by task name and split.
    """

    spec: str
    items: dict[str, Item]
    outfits: dict[str, Outfit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    splits: dict[str, list[str]] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    given_tasks: dict[str, dict] = field(default_factory=dict)
    source_dir: str | None = None  # the folder the source was read from, when there is one

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Check references; raise DataError naming the first offending record."""
        for iid, item in self.items.items():
            if iid != item.id:
                raise DataError(f"{self.spec}: item key {iid!r} != item.id {item.id!r}")
            if item.slot not in SLOT_ORDER:
                raise DataError(f"{self.spec}: item {iid!r} has unknown slot {item.slot!r} (expected one of {SLOTS})")
        for oid, outfit in self.outfits.items():
            if not outfit.items:
                raise DataError(f"{self.spec}: outfit {oid!r} is empty")
            for iid in outfit.items:
                if iid not in self.items:
                    raise DataError(f"{self.spec}: outfit {oid!r} names unknown item {iid!r}")
        for uid, user in self.users.items():
            for iid in user.purchases:
                if iid not in self.items:
                    raise DataError(f"{self.spec}: user {uid!r} bought unknown item {iid!r}")
            for oid in user.liked_outfits:
                if oid not in self.outfits:
                    raise DataError(f"{self.spec}: user {uid!r} liked unknown outfit {oid!r}")
        for name, ids in self.splits.items():
            pool = self.items if name == "cold_items" else self.outfits
            for x in ids:
                if x not in pool:
                    raise DataError(f"{self.spec}: split {name!r} names unknown id {x!r}")

    def split_outfits(self, split: str) -> list[Outfit]:
        """Outfits of a split; "all" means every outfit of the source."""
        if split == "all":
            return list(self.outfits.values())
        if split not in SPLITS:
            raise DataError(f"unknown split {split!r} (expected one of {SPLITS + ('all',)})")
        return [self.outfits[o] for o in self.splits.get(split, [])]

    def items_in_slot(self, slot: str) -> list[str]:
        return [i.id for i in self.items.values() if i.slot == slot]

    def fingerprint(self) -> str:
        """A short content hash of what models see (ids, text, outfits, splits); keys caches and checkpoints."""
        h = hashlib.sha256()
        for item in self.items.values():
            h.update(json.dumps([item.id, item.slot, item.category, item.title, item.description,
                                 sorted(item.attributes.items())]).encode())
        for outfit in self.outfits.values():
            h.update(json.dumps([outfit.id, outfit.items]).encode())
        for user in self.users.values():
            h.update(json.dumps([user.id, user.purchases, user.liked_outfits]).encode())
        h.update(json.dumps(self.splits, sort_keys=True).encode())
        return h.hexdigest()[:16]


def order_by_slot(item_ids, items: dict[str, Item]) -> tuple[str, ...]:
    """Sort item ids into outfit order (stable within a slot)."""
    return tuple(sorted(item_ids, key=lambda i: SLOT_ORDER[items[i].slot]))


def load(spec: str) -> Wardrobe:
    """Build the Wardrobe a `--data SPEC` string names (see DESIGN.md "Data specs")."""
    kind, _, rest = spec.partition(":")
    if kind == "builtin":
        from stylist_app.data.builtin import load_builtin

        return load_builtin(rest or None, spec=spec)
    readers = _format_readers()
    if kind not in readers:
        raise DataError(f"unknown data spec {spec!r}: expected builtin, builtin:DIR or one of "
                        + ", ".join(f"{k}:DIR" for k in readers))
    if not rest:
        raise DataError(f"data spec {spec!r} needs a directory, e.g. {kind}:path/to/data")
    return readers[kind](rest, spec=spec)


def _format_readers() -> dict[str, Callable[..., Wardrobe]]:
    """Reader functions by spec prefix: each takes (rest_of_spec, spec=...) and returns a Wardrobe."""
    from stylist_app.data import formats

    return formats.READERS


def check_dir(path: str | Path, spec: str) -> Path:
    """The directory a spec names, or a DataError saying it is missing."""
    p = Path(path).expanduser()
    if not p.is_dir():
        raise DataError(f"data spec {spec!r}: directory {str(p)!r} does not exist")
    return p

"""`stylist eval reader`: the photo reader against a source's own labels, mapped to the catalog's terms.

Where each source's labels come from, and how they map onto ours (`MANGO`, `folder_labels`), is written down
here and reported in the metrics file (`mapping`). An attribute whose label has no equivalent of ours is left
out of that attribute's accuracy (its `n` says how many were counted). Accuracy is that of the reading's best
guess, readable or not; `unreadable_share` says how many garments were refused.

Mango (`mango:DIR`): products are split in two halves by a hash of their id: "valid" (choosing the reader's
design and thresholds) and "test" (reported once); `--split all` reads every product. The ceiling
(`ceiling`) is a reader whose heads are trained on Mango's valid half and tested on the same test half: the
gap between it and the builtin-trained reader is the sim-to-real gap.
"""
from __future__ import annotations

import zlib

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from stylist_app import features
from stylist_app.data.builtin.vocab import COLOUR_BY_NAME, TYPE_BY_NAME
from stylist_app.data.formats.common import guess_type
from stylist_app.data.formats.mango import slot_of
from stylist_app.data.schema import SLOTS, DataError, Wardrobe
from stylist_app.models import reader as reader_model
from stylist_app.train import pick_device

# ---------------------------------------------------------------------------------------------- Mango
# des_product_category / des_product_family -> our slot. Swimwear and intimates are garments with no slot of
# ours (left out of slot accuracy, counted as garments); Home and Beauty are not garments, except Home's
# pyjama sweaters (garments: top, sweater); Gadgets (umbrellas, key rings, phone cases) are neither counted as
# garments nor as non-garments.
MANGO_NOT_GARMENTS = ("Home", "Beauty")
MANGO_NO_SLOT_FAMILIES = ("Swimwear", "Intimate")
MANGO_LEFT_OUT_FAMILIES = ("Gadgets",)
MANGO_FAMILY_SLOTS = {"Wallets & cases": "bag"}  # besides mango.slot_of (Bags -> bag, Footwear -> shoes)
# des_product_type -> our fine types (any of them counts as right: Mango's type does not say which)
MANGO_TYPES = {
    "T-Shirt": ("t-shirt",), "Shirt": ("shirt",), "Overshirt": ("shirt",), "Blouse": ("blouse",),
    "Sweater": ("sweater",), "Cardigan": ("sweater",), "Sweatshirt": ("hoodie", "sweater"),
    "Top": ("tank top", "crop top"), "Poloshirt": ("polo",),
    "Trousers": ("trousers", "chinos"), "Jeans": ("jeans",), "Shorts": ("shorts",), "Bermudas": ("shorts",),
    "Skirt": ("skirt",), "Leggings": ("leggings",), "Joggers": ("joggers",),
    "Dress": ("day dress", "evening gown"),
    "Blazer": ("blazer",), "Coat": ("coat",), "Trenchcoat": ("coat",), "Parka": ("coat",),
    "Puffer coat": ("puffer",), "Leather Jacket": ("biker jacket",),
    "Trainers": ("sneakers",), "Sandals": ("sandals",), "Ankle Boots": ("boots",), "Boots": ("boots",),
    "Shoes": ("heels", "loafers"),
    "Handbag": ("tote", "crossbody"), "Shoulder bag": ("tote", "crossbody"), "Citybag": ("tote",),
    "Bucket bag": ("tote", "crossbody"), "Crossbody bag": ("crossbody",), "Totes bag": ("tote",),
    "Clutch and Pochettes": ("clutch",), "Backpack": ("backpack",),
    "Cap": ("cap",), "Beanie": ("beanie",), "Scarf": ("scarf",), "Foulard": ("scarf",), "Kerchief": ("scarf",),
    "Belt": ("belt",), "Sunglasses": ("sunglasses",), "Glasses": ("sunglasses",),
}
# "Jacket" by its fabric code: denim -> denim jacket, leather or faux leather -> biker jacket, others unmapped
MANGO_JACKETS = {"J-JEANS": ("denim jacket",), "L-PIEL": ("biker jacket",), "O-POLIPIEL": ("biker jacket",)}
# des_color_specification_esp -> our colour name (its family follows). Metallics (gold, silver, gunmetal),
# mid and light denim washes, bleach / "dirty" washes, turquoise, petrol and "misterio" have no equivalent.
MANGO_COLOURS = {
    "NEGRO": "black", "TEJANO NEGRO": "black", "BLUEBLACK": "navy",
    "BLANCO": "white", "OFFWHITE": "white", "PORCELANA": "white", "HIELO": "white",
    "CRUDO": "cream", "MARFIL": "cream", "VAINILLA": "cream", "PERLA": "cream",
    "GRIS": "grey", "GRIS MEDIO VIGORE": "grey", "GRIS CLARO VIGORE": "grey", "GRIS OSCURO VIGORE": "grey",
    "ANTRACITA": "grey", "ASFALTO": "grey", "CENIZA": "grey", "TEJANO GRIS": "grey", "TEJANO GRIS OSCURO": "grey",
    "TEJANO GRIS CLARO": "grey",
    "NAVY": "navy", "MARINO": "navy", "AZUL NOCHE": "navy", "TINTA": "navy", "TEJANO OSCURO": "navy",
    "AZUL": "cobalt", "ELECTRICO": "cobalt", "INDIGO": "sapphire", "PRUSIA": "sapphire",
    "CELESTE": "baby blue", "AGUA": "baby blue",
    "BEIGE": "beige", "ARENA": "beige", "PIEDRA": "beige", "VISON": "beige", "NUDE": "beige", "TOPO": "khaki",
    "TAUPE": "khaki", "KHAKI": "khaki",
    "CAMEL": "camel", "CARAMELO": "camel", "CUERO": "camel", "CANELA": "camel", "OCRE": "camel", "CURRY": "camel",
    "MARRON": "brown", "CHOCOLATE": "brown", "TABACO": "brown", "COFFEE": "brown",
    "COGNAC": "rust", "TERRACOTA": "rust", "CALDERO": "rust", "COBRE": "rust", "PIMENTON": "rust",
    "OLIVA": "olive", "MUSGO": "olive", "CAZA": "olive",
    "VERDE": "kelly green", "LIMA": "kelly green", "MANZANA": "kelly green", "BILLAR": "kelly green",
    "BOTELLA": "emerald", "ESMERALDA": "emerald", "VERDE PASTEL": "mint", "MENTA": "mint",
    "ROJO": "red", "CEREZA": "red", "FRESA": "red", "BERMELLON": "red",
    "GRANATE": "burgundy", "BURDEOS": "burgundy", "VINO": "burgundy", "BLOOD": "burgundy",
    "NARANJA": "orange", "MANDARINA": "orange", "CORAL": "orange",
    "NARANJA PASTEL": "blush", "PEACH": "blush", "SALMON": "blush",
    "AMARILLO": "yellow", "AMARILLO FLUOR": "yellow", "MOSTAZA": "yellow", "AMARILLO PASTEL": "butter",
    "ROSA": "blush", "ROSA PASTEL": "blush", "ROSA PALO": "blush", "ROSA LIGHT": "blush",
    "FUCSIA": "hot pink", "CHICLE": "hot pink", "ROSA FLUOR": "hot pink", "GERANIO": "hot pink",
    "MALVA": "lavender", "LILA": "lavender", "MORADO": "amethyst", "VIOLETA": "amethyst", "CIRUELA": "amethyst",
}
# des_fabric -> the materials of ours it covers (P-PLANA, "flat" woven cloth, covers every woven material)
MANGO_MATERIALS = {
    "K-CIRCULAR": ("jersey",), "T-TRICOT": ("knit", "wool", "cashmere"), "J-JEANS": ("denim",),
    "L-PIEL": ("leather", "suede"), "O-POLIPIEL": ("leather", "suede"),
    "P-PLANA": ("cotton", "linen", "silk", "satin", "chiffon", "velvet", "flannel", "wool", "tweed", "canvas",
                "nylon"),
}


def mango_labels(row: dict) -> dict:
    """Our labels for one Mango product (a dict of product_data.csv's columns): "garment" (True, False, or None
    when left out), and where mapped "slot", "fine_type" (a tuple), "colour", "colour_family", "material" (a
    tuple)."""
    category, family = row["des_product_category"], row["des_product_family"]
    if family in MANGO_LEFT_OUT_FAMILIES:
        return {"garment": None}
    if category in MANGO_NOT_GARMENTS and not row["des_product_type"].lower().startswith("pyj"):
        return {"garment": False}
    if category in MANGO_NOT_GARMENTS:  # Home's pyjama sweaters
        return {"garment": True, "slot": "top", "fine_type": ("sweater",)}
    out = {"garment": True}
    if family not in MANGO_NO_SLOT_FAMILIES:
        out["slot"] = MANGO_FAMILY_SLOTS.get(family) or slot_of(row)
    kind = row["des_product_type"]
    types = MANGO_JACKETS.get(row["des_fabric"]) if kind == "Jacket" else MANGO_TYPES.get(kind)
    if types and "slot" in out and all(TYPE_BY_NAME[t].slot == out["slot"] for t in types):
        out["fine_type"] = types
    colour = MANGO_COLOURS.get(row["des_color_specification_esp"].strip().upper())
    if colour:
        out["colour"], out["colour_family"] = colour, COLOUR_BY_NAME[colour].family
    if row["des_fabric"] in MANGO_MATERIALS:
        out["material"] = MANGO_MATERIALS[row["des_fabric"]]
    return out


def mango_mapping() -> dict:
    return {"split": "products halved by crc32(id) % 2: 0 valid, 1 test",
            "garment": {"not garments": [*MANGO_NOT_GARMENTS, "except Home's pyjama sweaters (top, sweater)"],
                        "left out": list(MANGO_LEFT_OUT_FAMILIES),
                        "garments without a slot of ours": list(MANGO_NO_SLOT_FAMILIES)},
            "slot": "des_product_category: Tops top, Bottoms bottom, Dresses... dress, Outerwear outerwear; else "
                    "des_product_family: Footwear shoes, Bags and Wallets & cases bag, others accessory",
            "fine_type": {**{k: list(v) for k, v in MANGO_TYPES.items()},
                          **{f"Jacket ({k})": list(v) for k, v in MANGO_JACKETS.items()}},
            "colour": MANGO_COLOURS, "material": {k: list(v) for k, v in MANGO_MATERIALS.items()}}


# ---------------------------------------------------------------------------------------------- folder:
# A folder catalog's `color` column, in common shop words, -> our colour name.
FOLDER_COLOURS = {**{c: c for c in COLOUR_BY_NAME}, "off white": "white", "off-white": "white", "ivory": "cream",
                  "silver": None, "gold": None, "charcoal": "grey", "gray": "grey", "blue": "cobalt",
                  "light blue": "baby blue", "sky blue": "baby blue", "dark blue": "navy", "green": "kelly green",
                  "dark green": "emerald", "pink": "blush", "purple": "amethyst", "lilac": "lavender",
                  "maroon": "burgundy", "wine": "burgundy", "tan": "camel", "mustard": "yellow", "peach": "blush",
                  "coffee brown": "brown", "mushroom brown": "brown", "taupe": "khaki", "nude": "beige",
                  "magenta": "hot pink", "fuchsia": "hot pink", "lime green": "kelly green", "sea green": "emerald",
                  "teal": None, "turquoise blue": None, "multi": None, "skin": "beige", "copper": "rust",
                  "navy blue": "navy", "grey melange": "grey", "rose": "blush", "mauve": "lavender",
                  "fluorescent green": "kelly green", "bronze": None, "metallic": None, "steel": "grey"}


def folder_labels(item) -> dict:
    """Our labels for a `folder:` item: "slot" (and "fine_type" when the category names one of ours) from its
    `category` (the importer's shared word table), "colour" from a `color` / `colour` column."""
    out = {"garment": True}
    guess = guess_type(item.category or "")
    if guess:
        out["slot"] = guess[0]
        if guess[1] in TYPE_BY_NAME:
            out["fine_type"] = (guess[1],)
    colour = FOLDER_COLOURS.get((item.attributes.get("color") or item.attributes.get("colour") or "").lower().strip())
    if colour:
        out["colour"], out["colour_family"] = colour, COLOUR_BY_NAME[colour].family
    return out


# ---------------------------------------------------------------------------------------------- scoring
def in_split(item_id: str, split: str, builtin: bool = False) -> bool:
    return split == "all" or builtin or (zlib.crc32(item_id.encode()) % 2 == 0) == (split == "valid")


def builtin_labels(wardrobe: Wardrobe) -> dict[str, dict]:
    """The drawn attributes of the builtin pictures the reader held out in training (every 10th item); the
    other items are left out (label garment None)."""
    out = {}
    for n, (iid, item) in enumerate(wardrobe.items.items()):
        attrs = item.image.attrs
        if n % 10:
            out[iid] = {"garment": None}
            continue
        colour = attrs.get("colour")
        out[iid] = {"garment": True, "slot": item.slot, "fine_type": (attrs["category"],), "pattern": attrs.get("pattern"),
                    "material": (attrs["material"],) if attrs.get("material") else None,
                    "colour": colour, "colour_family": COLOUR_BY_NAME[colour].family if colour else None}
    return out


def source_labels(wardrobe: Wardrobe) -> tuple[dict[str, dict], dict]:
    """(item id -> labels, the mapping written down) for a source with labels a picture shows."""
    if all(getattr(it.image, "attrs", None) for it in wardrobe.items.values()):
        return builtin_labels(wardrobe), {"builtin": "the drawn attributes of the items held out in training "
                                                     "(every 10th), pictures as drawn; every split reads them all"}
    if wardrobe.spec.startswith("mango:"):
        import csv
        from pathlib import Path

        path = Path(wardrobe.source_dir) / "datathon" / "dataset" / "product_data.csv"
        with open(path, newline="", encoding="utf-8") as f:
            rows = {r["cod_modelo_color"]: r for r in csv.DictReader(f)}
        return {i: mango_labels(rows[i]) for i in wardrobe.items}, mango_mapping()
    if wardrobe.spec.startswith("folder:"):
        return {i: folder_labels(it) for i, it in wardrobe.items.items()}, \
            {"slot": "category -> the importer's word table (formats.common.guess_type)", "colour": FOLDER_COLOURS}
    raise DataError(f"the reader is measured on labelled pictures (builtin, mango:DIR, or folder:DIR with "
                    f"category / color columns), not {wardrobe.spec}")


def score(readings: dict, labels: dict[str, dict]) -> dict:
    """Per-attribute {accuracy, n} of readings (item id -> Reading) against labels (item id -> mapped labels),
    `unreadable_share` of garments and `non_garment_unreadable_share` of non-garments."""
    out = {}
    for attr in ("slot", "fine_type", "colour", "colour_family", "pattern", "material"):
        hits = []
        for i, r in readings.items():
            truth = labels[i].get(attr)
            if truth is None or not labels[i].get("garment"):
                continue
            guess = getattr(r, attr)
            hits.append(guess in truth if isinstance(truth, tuple) else guess == truth)
        if hits:
            out[attr] = {"accuracy": float(np.mean(hits)), "n": len(hits)}
    garments = [not r.readable for i, r in readings.items() if labels[i].get("garment") is True]
    others = [not r.readable for i, r in readings.items() if labels[i].get("garment") is False]
    if garments:
        out["unreadable_share"], out["n_garments"] = float(np.mean(garments)), len(garments)
    if others:
        out["non_garment_unreadable_share"], out["n_non_garments"] = float(np.mean(others)), len(others)
    return out


def read_catalog(bundle, wardrobe: Wardrobe, ids: list[str], device) -> dict:
    """Readings of the listed catalog items (effnet-lite0 features from the feature cache)."""
    all_ids, x = features.image_features(wardrobe, bundle.config.image_encoder, device=device)
    rows = {i: n for n, i in enumerate(all_ids)}
    x = torch.as_tensor(x[[rows[i] for i in ids]], device=device)
    out = {}
    for start in tqdm(range(0, len(ids), 256), desc="reading pictures", unit="batch", leave=False):
        chunk = ids[start:start + 256]
        pictures = [reader_model.on_white(wardrobe.items[i].load_image()) for i in chunk]
        small = {i: reader_model.too_small(p) for i, p in zip(chunk, pictures)}
        for i, r in zip(chunk, bundle.read_features(x[start:start + len(chunk)], pictures)):
            out[i] = small[i] or r
    return out


def ceiling(bundle, wardrobe: Wardrobe, labels: dict, train_ids: list[str], test_ids: list[str], device) -> dict:
    """The reader's heads retrained on the source's own labels (`train_ids`), tested on `test_ids`: slot, fine
    type (the first of its mapped types) and material (the first of its mapped materials); colour is read from
    pixels by both readers alike."""
    all_ids, x = features.image_features(wardrobe, bundle.config.image_encoder, device=device)
    rows = {i: n for n, i in enumerate(all_ids)}
    x = (torch.as_tensor(x).float() - bundle.mean.cpu()) / bundle.std.cpu()
    out = {}
    for attr, classes in (("slot", list(SLOTS)), ("fine_type", bundle.config.types),
                          ("material", bundle.config.materials)):
        def labelled(ids):
            keep = [i for i in ids if labels[i].get("garment") and labels[i].get(attr)]
            first = [labels[i][attr] if attr == "slot" else labels[i][attr][0] for i in keep]
            return keep, torch.tensor([classes.index(t) for t in first])
        tr, y = labelled(train_ids)
        te, _ = labelled(test_ids)
        if not tr or not te:
            continue
        torch.manual_seed(0)
        head = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 256), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                   torch.nn.Linear(256, len(classes)))
        opt = torch.optim.AdamW(head.parameters(), 1e-3, weight_decay=1e-4)
        xt = x[[rows[i] for i in tr]]
        for _ in range(60):
            for b in torch.randperm(len(tr)).split(256):
                opt.zero_grad()
                F.cross_entropy(head(xt[b]), y[b]).backward()
                opt.step()
        head.eval()
        with torch.no_grad():
            guess = head(x[[rows[i] for i in te]]).argmax(-1).tolist()
        hits = [classes[g] == labels[i][attr] if attr == "slot" else classes[g] in labels[i][attr]
                for g, i in zip(guess, te)]
        out[attr] = {"accuracy": float(np.mean(hits)), "n": len(hits)}
    return out


def evaluate(wardrobe: Wardrobe, checkpoint_dir, *, split: str = "test", device="auto") -> dict:
    """Per-attribute accuracy of the reader on `split` of a labelled real source, its refusals, the label
    mapping, and (Mango, split test) the ceiling of heads trained on the source's valid half."""
    if split not in ("test", "valid", "all"):
        raise DataError(f"split must be test, valid or all, not {split!r}")
    device = pick_device(device)
    bundle = reader_model.load(checkpoint_dir, wardrobe, device)
    labels, mapping = source_labels(wardrobe)
    builtin = "builtin" in mapping
    ids = [i for i in wardrobe.items if in_split(i, split, builtin) and labels[i].get("garment") is not None]
    out = score(read_catalog(bundle, wardrobe, ids, device), labels)
    out["mapping"] = mapping
    out["n_items"] = len(ids)
    if wardrobe.spec.startswith("mango:") and split == "test":
        valid = [i for i in wardrobe.items if in_split(i, "valid") and labels[i].get("garment") is not None]
        out["ceiling"] = ceiling(bundle, wardrobe, labels, valid, ids, device)
    return out

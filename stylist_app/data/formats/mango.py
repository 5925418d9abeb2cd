"""Mango datathon 2023: `mango:DIR`.

Layout (DIR holds `datathon/`):
    datathon/dataset/product_data.csv  one row per product: cod_modelo_color (the id),
        cod_color_code, des_color_specification_esp (Spanish colour name, e.g. "GRIS OSCURO"),
        des_agrup_color_eng (colour group), des_sex, des_age, des_line, des_fabric (coded,
        e.g. "J-JEANS"), des_product_category, des_product_aggregated_family,
        des_product_family, des_product_type, des_filename (image path relative to DIR)
    datathon/dataset/outfit_data.csv   one row per (cod_outfit, cod_modelo_color)

Slots come from des_product_category: Tops -> top, Bottoms -> bottom, "Dresses, jumpsuits and
Complete set" -> dress, Outerwear -> outerwear; inside the other categories ("Accesories, Swim
and Intimate", Home, Beauty) family Footwear -> shoes, Bags -> bag and everything else
(jewellery, hats, belts, glasses, wallets, swimwear, intimates, home, fragrance) -> accessory.

Visible attributes: colour (the Spanish name in English, modifiers first: "TEJANO OSCURO" ->
"dark denim"), colour_group, fabric (in words; the accessories code C-COMPLEMENTOS is no
fabric and is left out), family and type. The title is "<colour> <type>", the description
names the fabric and family. Outfits are put in slot order; splits hash the outfit id
(80/10/10); `cold_items` are items in no training outfit. No users. Images load lazily:
an item's image is its path, checked to exist but never opened here; products whose image
file is missing are left out (counted in a warning).
"""
from __future__ import annotations

from pathlib import Path

from stylist_app.data.formats.common import drop_missing, hash_split, log, make_splits, read_csv
from stylist_app.data.schema import DataError, Item, Wardrobe, check_dir, order_by_slot

PRODUCT_COLUMNS = ("cod_modelo_color", "des_color_specification_esp", "des_agrup_color_eng", "des_fabric",
                   "des_product_category", "des_product_aggregated_family", "des_product_family",
                   "des_product_type", "des_filename")
CATEGORY_SLOTS = {"Tops": "top", "Bottoms": "bottom", "Dresses, jumpsuits and Complete set": "dress",
                  "Outerwear": "outerwear"}
FAMILY_SLOTS = {"Footwear": "shoes", "Bags": "bag"}
FABRICS = {"P-PLANA": "woven", "K-CIRCULAR": "jersey", "T-TRICOT": "knit", "J-JEANS": "denim",
           "O-POLIPIEL": "faux leather", "L-PIEL": "leather"}
# Words of des_color_specification_esp; modifiers go before the colour in English.
COLOUR_WORDS = {
    "AGUA": "aqua", "AMARILLO": "yellow", "ANTRACITA": "anthracite", "ARENA": "sand", "ASFALTO": "asphalt",
    "AZUL": "blue", "BLANCO": "white", "BOTELLA": "bottle green", "BURDEOS": "burgundy", "CANELA": "cinnamon",
    "CARAMELO": "caramel", "CELESTE": "sky blue", "CENIZA": "ash", "CEREZA": "cherry", "CHICLE": "bubblegum",
    "CIRUELA": "plum", "COBRE": "copper", "CRUDO": "ecru", "CUERO": "tan", "ESMERALDA": "emerald",
    "FRESA": "strawberry", "FUCSIA": "fuchsia", "GERANIO": "geranium", "GRANATE": "maroon", "GRIS": "grey",
    "HIELO": "ice", "LILA": "lilac", "LIMA": "lime", "MALVA": "mauve", "MANDARINA": "tangerine",
    "MANZANA": "apple green", "MARFIL": "ivory", "MARINO": "navy", "MARRON": "brown", "MENTA": "mint",
    "MORADO": "purple", "MOSTAZA": "mustard", "MUSGO": "moss", "NARANJA": "orange", "NEGRO": "black",
    "OCRE": "ochre", "OFFWHITE": "off-white", "OLIVA": "olive", "ORO": "gold", "PERLA": "pearl",
    "PETROLEO": "petrol", "PIEDRA": "stone", "PIMENTON": "paprika", "PLATA": "silver", "PORCELANA": "porcelain",
    "PRUSIA": "prussian", "ROJO": "red", "ROSA": "pink", "SALMON": "salmon", "TABACO": "tobacco",
    "TEJANO": "denim", "TERRACOTA": "terracotta", "TINTA": "ink", "TOPO": "taupe", "TURQUESA": "turquoise",
    "VAINILLA": "vanilla", "VERDE": "green", "VIGORE": "marl", "VINO": "wine", "VIOLETA": "violet", "VISON": "mink",
}
COLOUR_MODIFIERS = {"CLARO": "light", "OSCURO": "dark", "MEDIO": "mid", "PALO": "pale", "PASTEL": "pastel",
                    "FLUOR": "neon", "LIGHT": "light", "SOFT": "soft", "NOCHE": "midnight", "ELECTRICO": "electric"}


def colour_in_english(spanish: str) -> str:
    words = spanish.upper().split()
    mods = [COLOUR_MODIFIERS[w] for w in words if w in COLOUR_MODIFIERS]
    rest = [COLOUR_WORDS.get(w, w.lower()) for w in words if w not in COLOUR_MODIFIERS]
    return " ".join(mods + rest)


def slot_of(row: dict) -> str:
    category = row["des_product_category"]
    return CATEGORY_SLOTS.get(category) or FAMILY_SLOTS.get(row["des_product_family"], "accessory")


def read(rest: str, spec: str) -> Wardrobe:
    root = check_dir(rest, spec)
    dataset = root / "datathon" / "dataset"
    products_csv, outfits_csv = dataset / "product_data.csv", dataset / "outfit_data.csv"
    _, products = read_csv(products_csv, PRODUCT_COLUMNS, spec)
    _, rows = read_csv(outfits_csv, ("cod_outfit", "cod_modelo_color"), spec)
    if not products:
        raise DataError(f"{products_csv}: no products")
    if not rows:
        raise DataError(f"{outfits_csv}: no outfits")

    image_dirs: dict[Path, set[str]] = {}
    items: dict[str, Item] = {}
    listed: set[str] = set()
    missing_images = 0
    for line, row in products:
        iid = row["cod_modelo_color"]
        if not iid or iid in listed:
            raise DataError(f"{products_csv} line {line}: {'duplicate' if iid else 'empty'} product id {iid!r}")
        listed.add(iid)
        if not row["des_filename"]:
            raise DataError(f"{products_csv} line {line}: product {iid!r} has no des_filename")
        image = root / row["des_filename"]
        if image.parent not in image_dirs:
            image_dirs[image.parent] = {p.name for p in image.parent.iterdir()} if image.parent.is_dir() else set()
        if image.name not in image_dirs[image.parent]:
            missing_images += 1
            continue
        colour = colour_in_english(row["des_color_specification_esp"])
        fabric = FABRICS.get(row["des_fabric"])
        kind = row["des_product_type"].lower()
        attributes = {"colour": colour, "colour_group": row["des_agrup_color_eng"].lower(),
                      "family": row["des_product_family"].lower(), "type": kind}
        if fabric:
            attributes["fabric"] = fabric
        description = ", ".join(x for x in (fabric, row["des_product_aggregated_family"].lower()) if x)
        items[iid] = Item(id=iid, slot=slot_of(row), category=kind, title=f"{colour} {kind}",
                          description=description, attributes=attributes, image=str(image))
    if missing_images:
        log.warning("%s: left out %d of %d products whose image file is missing", spec, missing_images, len(products))

    members: dict[str, list[str]] = {}
    for line, row in rows:
        oid, iid = row["cod_outfit"], row["cod_modelo_color"]
        if iid not in listed:
            raise DataError(f"{outfits_csv} line {line}: outfit {oid!r} names unknown product {iid!r}")
        if iid not in members.setdefault(oid, []):
            members[oid].append(iid)
    outfits = drop_missing({o: tuple(m) for o, m in members.items()}, items, spec, "products without an image")
    for outfit in outfits.values():
        outfit.items = order_by_slot(outfit.items, items)
    splits = make_splits({o: hash_split(o) for o in outfits}, outfits, items)
    return Wardrobe(spec=spec, items=items, outfits=outfits, splits=splits, source_dir=str(root))

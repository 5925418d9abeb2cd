"""Readers that turn real sources into a Wardrobe, keyed by their `--data` spec prefix.

Each module documents its source's layout and exports `read(rest, spec) -> Wardrobe`.
"""
from stylist_app.data.formats import fashionvc, folder, mango, maryland, polyvore_outfits

READERS: dict = {
    "polyvore-outfits": polyvore_outfits.read,
    "maryland": maryland.read,
    "fashionvc": fashionvc.read,
    "mango": mango.read,
    "folder": folder.read,
}

"""Data: one Wardrobe model for every source (see schema.py)."""
from stylist_app.data.schema import DataError, Item, Outfit, Rule, User, Wardrobe, load  # noqa: F401

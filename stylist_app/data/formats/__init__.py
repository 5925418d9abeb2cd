"""Readers that turn real sources into a Wardrobe, keyed by their `--data` spec prefix."""
READERS: dict = {}

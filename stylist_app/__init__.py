"""Stylist: an interactive AI stylist (four published methods, one engine, one app)."""
from stylist_app import _compat  # noqa: F401  (`_compat.install()` makes torchvision importable: run before timm)

__version__ = "0.1.0"

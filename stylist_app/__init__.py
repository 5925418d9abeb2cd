"""Stylist: an interactive AI stylist (four published methods, one engine, one app)."""
from stylist_app import _compat  # noqa: F401  (must run before anything imports torchvision)

__version__ = "0.1.0"

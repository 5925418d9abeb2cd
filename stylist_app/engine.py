"""StylistEngine: one device, every trained model, every index; what the UI and the CLI call.

`StylistEngine.from_checkpoints(DIR, data=SPEC, device="auto")` picks the device, loads the
Wardrobe and every model in `DIR/manifest.json` that the registry can load
(`models/registry.py`: each model module's `load(dir, wardrobe, device)`). Catalog features and
faiss indices are computed on first use and kept (`image_features`, `text_features`, `cached`).
Mutable state sits behind one lock, so many threads may call the engine at once; model calls run
inside `self.inference()` (torch.inference_mode, bf16 autocast on CUDA).

Where the models plug in (each a thin method: fetch `self.model(name)`, run under
`self.inference()`, batch, return plain dataclasses; DESIGN.md "Engine" gives the contracts):
- akd:         complete(top_image_or_id, k, text=None, category=None); explain(top, bottom)
- bilstm:      build_outfit(images=[...], text=None, length=None); fill_in_blank(...); score_outfit(...)
- dvbpr + gan: design(user or liked_items, category, n, eta, steps, seed, from_item=None)
- fnd:         recommend_outfits(user, k, model="student"|"teacher")
"""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from stylist_app.checkpoints import CheckpointError, read_manifest, rebuild_hint
from stylist_app.data.schema import Wardrobe
from stylist_app.features import image_features, text_features
from stylist_app.models.registry import MODELS
from stylist_app.train import autocast, pick_device


class StylistEngine:
    def __init__(self, wardrobe: Wardrobe, checkpoint_dir: str | Path, device: torch.device,
                 models: dict[str, nn.Module], skipped: dict[str, str]):
        self.wardrobe = wardrobe
        self.checkpoint_dir = Path(checkpoint_dir)
        self.device = device
        self.models = models
        self.skipped = skipped  # manifest entries not loaded, with the reason
        self._lock = threading.RLock()
        self._cache: dict = {}

    @classmethod
    def from_checkpoints(cls, directory: str | Path, data: str = "builtin", device: str = "auto") -> StylistEngine:
        """Load the Wardrobe `data` names and every loadable model saved in `directory`."""
        from stylist_app.data import load

        directory = Path(directory)
        if not directory.is_dir():
            raise CheckpointError(f"{directory}: no checkpoint folder; train the models with: "
                                  f"stylist train all --data {data} --out {directory}")
        device = pick_device(device)
        wardrobe = load(data)
        models, skipped = {}, {}
        for name in read_manifest(directory):
            spec = MODELS.get(name)
            reason = "unknown model" if spec is None else spec.unavailable(wardrobe)
            if reason is None:
                models[name] = spec.impl().load(directory, wardrobe, device)
            else:
                skipped[name] = reason
        return cls(wardrobe, directory, device, models, skipped)

    def model(self, name: str) -> nn.Module:
        """The loaded model `name`, or a CheckpointError saying how to get it."""
        if name not in self.models:
            why = self.skipped.get(name, f"no checkpoint in {self.checkpoint_dir}")
            raise CheckpointError(f"model {name!r} is not loaded ({why}); "
                                  + rebuild_hint(self.checkpoint_dir, name, self.wardrobe.spec))
        return self.models[name]

    @contextlib.contextmanager
    def inference(self):
        """The context every model call runs in: no autograd, bf16 autocast on CUDA."""
        with torch.inference_mode(), autocast(self.device):
            yield

    def cached(self, key, build: Callable[[], object]):
        """`build()` on the first call for `key` (e.g. a faiss index), the kept result afterwards."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def image_features(self, encoder: str):
        """(ids, features) of the catalog's images under a pre-trained encoder (disk-cached by features.py)."""
        return self.cached(("image", encoder),
                           lambda: image_features(self.wardrobe, encoder, device=self.device))

    def text_features(self, encoder: str):
        """(ids, features) of the catalog's texts under a pre-trained text encoder."""
        return self.cached(("text", encoder),
                           lambda: text_features(self.wardrobe, encoder, device=self.device))

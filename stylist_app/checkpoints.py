"""Model weights on disk: `DIR/<name>.safetensors`, described by one `DIR/manifest.json`.

The manifest maps each model name to an entry:

    {"model": "akd", "file": "akd.safetensors", "config": {...}, "encoders": {"image": "effnet-lite0"},
     "data": "builtin", "fingerprint": "<Wardrobe.fingerprint()>", "metrics": {...},
     "git": "<commit or null>", "created": "2025-01-01T00:00:00+00:00"}

A model saved here has a `config` dataclass; loading rebuilds nothing by itself: the caller
builds the module from `entry(DIR, name)["config"]`, then `load` checks that config against the
manifest and reads the weights strictly. Weights are safetensors only: nothing is unpickled.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from stylist_app.data.schema import DataError
from stylist_app.train import is_main_process

MANIFEST = "manifest.json"


class CheckpointError(DataError):
    """A checkpoint is missing, unreadable or does not fit the model; the message says how to rebuild it."""


def rebuild_hint(directory: str | Path, name: str, data: str | None = None) -> str:
    return f"rebuild it with: stylist train {name} --data {data or 'SPEC'} --out {directory}"


def config_dict(model: nn.Module) -> dict:
    """The model's config dataclass as the JSON the manifest stores (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(model.config)))


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a checkpoint folder ({} when the folder has none yet)."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{path}: unreadable manifest ({err})") from err


def entry(directory: str | Path, name: str) -> dict:
    """The manifest entry of model `name`, or a CheckpointError saying how to make it."""
    manifest = read_manifest(directory)
    if name not in manifest:
        have = ", ".join(sorted(manifest)) or "none"
        raise CheckpointError(f"{Path(directory) / MANIFEST}: no checkpoint for {name!r} (has: {have}); "
                              + rebuild_hint(directory, name))
    return manifest[name]


def entry_for(directory: str | Path, name: str, wardrobe) -> dict:
    """The manifest entry of `name`, which must have been trained on `wardrobe` itself (same fingerprint):
    for models whose weights belong to its users and items. Another wardrobe is a CheckpointError."""
    record = entry(directory, name)
    if record.get("fingerprint") != wardrobe.fingerprint():
        raise CheckpointError(f"{Path(directory) / record.get('file', f'{name}.safetensors')}: trained on "
                              f"{record.get('data')!r}, whose items and users differ from {wardrobe.spec!r}; "
                              + rebuild_hint(directory, name, wardrobe.spec))
    return record


def file_hash(directory: str | Path, name: str) -> str:
    """A hash of model `name`'s weights file: part of the cache key of anything computed with those weights."""
    path = Path(directory) / entry(directory, name).get("file", f"{name}.safetensors")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def git_revision() -> str | None:
    """The commit the code was run from (`git rev-parse HEAD`), or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def save(directory: str | Path, name: str, model: nn.Module, *, data: str, fingerprint: str,
         encoders: dict[str, str] | None = None, metrics: dict | None = None) -> dict:
    """Write `DIR/<name>.safetensors` and the model's manifest entry (replacing an older one); return the entry.

    In a distributed run only rank 0 writes (all ranks hold the same weights)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    file = f"{name}.safetensors"
    tmp = directory / f".{file}.tmp{os.getpid()}"
    record = {"model": name, "file": file, "config": config_dict(model), "encoders": encoders or {},
              "data": data, "fingerprint": fingerprint, "metrics": metrics or {}, "git": git_revision(),
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if not is_main_process():
        return record
    save_model(model, str(tmp), metadata={"model": name})
    os.replace(tmp, directory / file)
    manifest = read_manifest(directory)
    manifest[name] = record
    tmp = directory / f".{MANIFEST}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, directory / MANIFEST)
    return record


def load(directory: str | Path, name: str, model: nn.Module) -> dict:
    """Load `DIR/<name>.safetensors` into `model` (wherever it lives) after checking its config; return the entry.

    Raises CheckpointError naming the file, what is wrong and the command that rebuilds it.
    """
    record = entry(directory, name)
    path = Path(directory) / record.get("file", f"{name}.safetensors")
    hint = rebuild_hint(directory, name, record.get("data"))
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file missing; {hint}")
    want = config_dict(model)
    # a setting added since the checkpoint was saved counts as saved at its default
    defaults = json.loads(json.dumps(dataclasses.asdict(type(model.config)())))
    saved = {**{k: v for k, v in defaults.items() if k in want}, **record.get("config", {})}
    if saved != want:
        diff = sorted(k for k in set(want) | set(saved) if want.get(k) != saved.get(k))
        raise CheckpointError(f"{path}: saved with a different {name} config (differs in {', '.join(diff)}); {hint}")
    try:
        load_model(model, str(path), strict=True)
    except (RuntimeError, OSError, SafetensorError) as err:
        raise CheckpointError(f"{path}: weights do not fit the {name} model ({err}); {hint}") from err
    return record

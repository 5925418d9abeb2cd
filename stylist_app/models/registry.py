"""Every method the CLI trains and evaluates and the engine loads, by name, and the shape each one has.

A method module (`stylist_app.models.<name>`) has one shape (`Method` below, checked for every
registered method by tests/test_registry.py):

    NAME                      the registry name, also the checkpoint's file stem
    Config                    a dataclass of every model and training setting; saved in the manifest and
                              read back exactly: Config(**json.loads(json.dumps(asdict(c)))) == c
    Bundle                    the nn.Module the engine serves (it has `.config`), with the inference calls
    train(wardrobe, out_dir, *, config=None, epochs=None, device="auto") -> dict
                              fit on the training split (validation only for early stopping and the recorded
                              metrics), save DIR/<NAME>.safetensors (checkpoints.save), return the manifest entry
    load(checkpoint_dir, wardrobe, device="cpu") -> Bundle
                              the trained bundle on `device`, in eval mode, ready for the engine

Evaluation is not part of a method: `stylist eval NAME` runs `stylist_app.evaluate.<NAME>.evaluate`,
which loads the bundle and computes every reported figure from the saved weights.

To plug a method in, add its ModelSpec below. `all` means the paper methods (and, for training, the outfit
transformer), in an order where a method comes after those it builds on (the GAN designs for DVBPR's preference
model).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stylist_app.checkpoints import read_manifest
from stylist_app.data.schema import Wardrobe
from stylist_app.errors import BadInput

PAPER_MODELS = ("akd", "bilstm", "dvbpr", "gan", "fnd")
# What `stylist train all` trains: the paper methods and the outfit transformer (the second outfit backend, evaluated
# inside `stylist eval bilstm`, which reports every outfit model and serves the better).
TRAINED_BY_ALL = ("akd", "bilstm", "outfit_transformer", "dvbpr", "gan", "fnd")
EVALUATED_WITH = {"outfit_transformer": "bilstm"}


@runtime_checkable
class Method(Protocol):
    """The shape of a method module (see the module docstring)."""

    NAME: str
    Config: type
    Bundle: type

    def train(self, wardrobe: Wardrobe, out_dir: str | Path, *, config: Any = None, epochs: int | None = None,
              device: str = "auto") -> dict: ...

    def load(self, checkpoint_dir: str | Path, wardrobe: Wardrobe, device: Any = "cpu") -> Any: ...


class ModelNotAvailable(BadInput):
    """A model cannot run here: the source lacks what it needs, or there is no checkpoint to evaluate."""


def _train_outfits(w: Wardrobe) -> bool:
    return bool(w.split_outfits("train"))


def _top_bottom(w: Wardrobe) -> bool:
    return any({"top", "bottom"} <= {w.items[i].slot for i in o.items} for o in w.split_outfits("train"))


def _purchases(w: Wardrobe) -> bool:
    return any(len(u.purchases) > 1 for u in w.users.values())


def _liked(w: Wardrobe) -> bool:
    return any(len(u.liked_outfits) > 1 for u in w.users.values())


# What a source must have, as (test, reason when it fails).
NEEDS = {
    "outfits": (_train_outfits, "has no training outfits"),
    "top-bottom": (_top_bottom, "has no training outfit with a top and a bottom"),
    "purchases": (_purchases, "has no users with purchase histories"),
    "liked": (_liked, "has no users with liked outfits"),
}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    what: str  # one line for help texts and `all`'s report
    module: str  # the implementing module
    needs: tuple[str, ...] = ()  # keys of NEEDS

    def unavailable(self, wardrobe: Wardrobe) -> str | None:
        """Why this model cannot run on `wardrobe`, or None when it can."""
        for need in self.needs:
            test, reason = NEEDS[need]
            if not test(wardrobe):
                return f"{wardrobe.spec} {reason}"
        return None

    def impl(self) -> Method:
        """The implementing module (NAME, Config, Bundle, train, load)."""
        return importlib.import_module(self.module)


MODELS = {spec.name: spec for spec in [
    ModelSpec("akd", "AKD-DBPR: top -> bottom ranking with attentive rule distillation (Song et al. 2018)",
              "stylist_app.models.akd", ("top-bottom",)),
    ModelSpec("bilstm", "Bi-LSTM outfit model + visual-semantic embedding (Han et al. 2017)",
              "stylist_app.models.bilstm", ("outfits",)),
    ModelSpec("outfit_transformer", "outfit transformer: a second outfit-compatibility backend beside the Bi-LSTM "
              "(after Sarkar et al. 2023)", "stylist_app.models.outfit_transformer", ("outfits",)),
    ModelSpec("dvbpr", "DVBPR: personalised ranking learned from pixels (Kang et al. 2017)", "stylist_app.models.dvbpr",
              ("purchases",)),
    ModelSpec("gan", "conditional GAN + preference-guided design (Kang et al. 2017)", "stylist_app.models.gan",
              ("purchases",)),
    ModelSpec("fnd", "FND: false-negative distillation for outfit recommendation (Kim et al. 2021)",
              "stylist_app.models.fnd", ("liked",)),
    ModelSpec("reader", "the photo reader: a garment picture -> slot, type, colour, pattern, material "
              "(trained on builtin's pictures)", "stylist_app.models.reader"),
]}
CHOICES = (*MODELS, "all")


def plan(name: str, wardrobe: Wardrobe, checkpoint_dir=None) -> tuple[list[ModelSpec], dict[str, str]]:
    """The models `name` ("all" or one model) runs on `wardrobe`, and those skipped with the reason.

    With `checkpoint_dir` (evaluation), a model must also have an entry in its manifest. A single
    named model that cannot run raises ModelNotAvailable; `all` skips it and says why.
    """
    if name not in CHOICES:
        raise ModelNotAvailable(f"unknown model {name!r} (expected one of {', '.join(CHOICES)})")
    if checkpoint_dir is not None and name in EVALUATED_WITH:
        raise ModelNotAvailable(f"{name} is evaluated beside the other outfit models: stylist eval {EVALUATED_WITH[name]} "
                                f"--data {wardrobe.spec} --checkpoints {checkpoint_dir}")
    manifest = read_manifest(checkpoint_dir) if checkpoint_dir is not None else None
    run, skipped = [], {}
    every = PAPER_MODELS if checkpoint_dir is not None else TRAINED_BY_ALL
    for spec in (MODELS[n] for n in (every if name == "all" else (name,))):
        reason = spec.unavailable(wardrobe)
        if reason is None and manifest is not None and spec.name not in manifest:
            reason = (f"no checkpoint in {checkpoint_dir} (stylist train {spec.name} "
                      f"--data {wardrobe.spec} --out {checkpoint_dir})")
        if reason is None:
            run.append(spec)
        elif name == "all":
            skipped[spec.name] = reason
        else:
            raise ModelNotAvailable(f"cannot run {spec.name}: {reason}")
    return run, skipped

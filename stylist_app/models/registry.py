"""Every model the CLI trains and evaluates and the engine loads, by name.

A model module (`stylist_app.models.<name>`) holds its nn.Module, its loss and three functions:

    train(wardrobe, out_dir, *, epochs=None, device="auto") -> dict
        fit the model (train.fit), save DIR/<name>.safetensors (checkpoints.save), return its manifest entry
    evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict
        the metrics DESIGN.md "Metrics files" lists for it
    load(checkpoint_dir, wardrobe, device) -> nn.Module
        the trained model on `device`, in eval mode, ready for the engine

To plug a model in, set its `module` below. `all` means the paper models, in an order where a
model comes after those it builds on (the GAN designs for DVBPR's preference model).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from stylist_app.checkpoints import read_manifest
from stylist_app.data.schema import Wardrobe

PAPER_MODELS = ("akd", "bilstm", "dvbpr", "gan", "fnd")


class ModelNotAvailable(ValueError):
    """A model cannot run here: not implemented yet, or the source lacks what it needs."""


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
    module: str | None  # the implementing module; None while it is not implemented
    needs: tuple[str, ...] = ()  # keys of NEEDS

    def unavailable(self, wardrobe: Wardrobe) -> str | None:
        """Why this model cannot run on `wardrobe`, or None when it can."""
        if self.module is None:
            return "not implemented yet"
        for need in self.needs:
            test, reason = NEEDS[need]
            if not test(wardrobe):
                return f"{wardrobe.spec} {reason}"
        return None

    def impl(self):
        """The implementing module (with train / evaluate / load)."""
        if self.module is None:
            raise ModelNotAvailable(f"model {self.name!r} is not implemented yet")
        return importlib.import_module(self.module)


MODELS = {spec.name: spec for spec in [
    ModelSpec("akd", "AKD-DBPR: top -> bottom ranking with attentive rule distillation (Song et al. 2018)",
              "stylist_app.models.akd", ("top-bottom",)),
    ModelSpec("bilstm", "Bi-LSTM outfit model + visual-semantic embedding (Han et al. 2017)",
              "stylist_app.models.bilstm", ("outfits",)),
    ModelSpec("dvbpr", "DVBPR: personalised ranking learned from pixels (Kang et al. 2017)", "stylist_app.models.dvbpr",
              ("purchases",)),
    ModelSpec("gan", "conditional GAN + preference-guided design (Kang et al. 2017)", "stylist_app.models.gan",
              ("purchases",)),
    ModelSpec("fnd", "FND: false-negative distillation for outfit recommendation (Kim et al. 2021)",
              "stylist_app.models.fnd", ("liked",)),
    ModelSpec("toy", "pairwise top-bottom MLP over image features, BPR (checks the shared machinery)",
              "stylist_app.models.toy", ("top-bottom",)),
]}
CHOICES = (*MODELS, "all")


def plan(name: str, wardrobe: Wardrobe, checkpoint_dir=None) -> tuple[list[ModelSpec], dict[str, str]]:
    """The models `name` ("all" or one model) runs on `wardrobe`, and those skipped with the reason.

    With `checkpoint_dir` (evaluation), a model must also have an entry in its manifest. A single
    named model that cannot run raises ModelNotAvailable; `all` skips it and says why.
    """
    if name not in CHOICES:
        raise ModelNotAvailable(f"unknown model {name!r} (expected one of {', '.join(CHOICES)})")
    manifest = read_manifest(checkpoint_dir) if checkpoint_dir is not None else None
    run, skipped = [], {}
    for spec in (MODELS[n] for n in (PAPER_MODELS if name == "all" else (name,))):
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

"""Make `import torchvision` work next to the CPU build of torch.

PyPI's torchvision 0.28.0 wheel is a CUDA build; beside the CPU torch wheel its
compiled ops fail to load and the import dies with
"operator torchvision::nms does not exist" (which also breaks timm and
transformers' vision models). When, and only when, that happens we register a
pure-torch `torchvision::nms` so the import goes through. Where the real ops
load, this module does nothing. `torchvision.io` decoding stays unavailable:
the project decodes images with PIL.

`install()` runs once, on first need: the code that imports timm or transformers
(`models/encoders.py`) calls it first. Importing torchvision costs about 1.5 s,
which an app start that encodes nothing (the shipped catalog files) never pays.
"""
import importlib.util
import os
import threading

import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression (same contract as torchvision.ops.nms)."""
    order = scores.argsort(descending=True)
    keep = []
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    while order.numel():
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
        inter = w * h
        iou = inter / (area[i] + area[rest] - inter)
        order = rest[iou <= iou_threshold]
    return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long)


def _real_ops_load() -> bool:
    try:
        torch.ops.torchvision.nms  # noqa: B018  (already registered by a working build)
        return True
    except (AttributeError, RuntimeError):
        pass
    try:
        import torchvision  # noqa: F401

        return True
    except RuntimeError as err:
        if "torchvision::nms" not in str(err):
            raise
        return False


def install() -> None:
    """Make `import torchvision` work (see the module docstring); later calls do nothing. Thread-safe."""
    with _lock:
        if not install.done:
            _install()
            install.done = True


def _install() -> None:
    if importlib.util.find_spec("torchvision") is None or _real_ops_load():
        return
    import sys

    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    lib = torch.library.Library("torchvision", "DEF")
    # torchvision registers fake kernels for exactly these two ops whether or not
    # its compiled library loaded; they must exist first.
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.impl("nms", _nms, "CPU")
    install.library = lib  # keep the registration alive
    import torchvision  # noqa: F401


install.done = False
_lock = threading.Lock()

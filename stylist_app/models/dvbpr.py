"""DVBPR (Kang et al., ICDM 2017): personalised ranking with an image CNN learned from pixels.

Preference of user u for item i:  x_{u,i} = (theta_0 + theta_u) . Phi(X_i), where X_i is the
item's picture and Phi a CNN trained end to end with the user vectors by BPR (Rendle et al. 2009)
over (u, i bought, j not bought):  -ln sigma(x_{u,i} - x_{u,j}) + lambda_theta ||theta_u||^2.
The paper's global and user biases do not change a user's ranking and are dropped, as there;
DVBPR has no per-item terms at all, so an item nobody bought is scored from its picture alone.
theta_0, a taste shared by every user and not penalised, is our addition: it plays the part of
VBPR's visual bias beta' . f_i (what everyone buys, learned from all purchases rather than
again in each theta_u): validation AUC 0.801 -> 0.806 in half the epochs. With dropout a
trial run reached 0.811 and the shipped run 0.802 (one validation purchase per user: +-0.01).
On the held-out purchases DVBPR (0.789) still trails VBPR (0.802) overall, ties it on cold items.

Baselines trained in the same run on the same purchases (all three are saved together in
`dvbpr.safetensors`; the engine uses DVBPR only):
- BPR (matrix factorisation, no images): x_{u,i} = beta_i + gamma_u . gamma_i.
- VBPR (He & McAuley 2016), with frozen pre-trained image features f_i (effnet-lite0, from the
  feature cache): x_{u,i} = beta_i + gamma_u . gamma_i + theta_u . (E f_i) + beta' . f_i.

Choices where the paper's setting does not fit a CPU budget or is unclear:
- Pictures at 64 px (the paper: CNN-F at 224 px); Phi is a DCGAN-discriminator-shaped stack of
  4x4 stride-2 convolutions (`PixelCNN`), several times faster than a pooled VGG-style net.
- K = 50 (the paper: 100); VBPR splits its K into K/2 latent + K/2 visual dimensions.
- Training pictures are mirrored at random; Phi's flattened map is dropped out (p = 0.5) in
  training. Each model's L2 weight was picked on the validation purchases (BPR 0.01, VBPR 3,
  DVBPR 0.1). Also tried for DVBPR, none better on validation: width 32, K = 20, lr 3e-3,
  GroupNorm, shifts of 4 px (0.04 worse), 96 px pictures (slower, no better after 4 epochs),
  a halving lr every 3 epochs.
- Negatives j are drawn uniformly from the catalog, one per (u, i) row as in the paper, but each
  user of a batch is compared with every j drawn in it (`Recommender.loss`).
- An item no one bought in training is, to BPR, only ever a random negative: BPR cannot score
  it (its cold-item AUC is chance); VBPR ranks it by f_i, DVBPR by its picture.
- Training, validation and held-out purchases are `tasks.Purchases`: the held-out share of each
  user's purchases (`tasks.user_holdouts`) is never seen in training; the last remaining purchase
  of each user is kept apart for validation (early stopping, the recorded metrics).
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stylist_app import checkpoints
from stylist_app.data.schema import Wardrobe
from stylist_app.data.tasks import HeldOutPurchases, Purchases
from stylist_app.errors import BadInput
from stylist_app.evaluate import per_user_auc
from stylist_app.features import catalog_pixels, image_features, trained_vectors
from stylist_app.train import TrainConfig, fit, pick_device

NAME = "dvbpr"


@dataclass
class Config:
    n_users: int = 0
    n_items: int = 0
    dim: int = 50  # K
    image_size: int = 64
    width: int = 16  # channels of Phi's first convolution
    dropout: float = 0.5  # on Phi's flattened feature map, before its last layer
    l2: float = 0.1  # lambda_theta on DVBPR's user vectors
    l2_bpr: float = 0.01  # lambda on BPR's factors
    l2_vbpr: float = 3.0  # lambda on VBPR's factors
    feature_encoder: str = "effnet-lite0"  # VBPR's frozen image features
    feature_dim: int = 1280
    # training (AdamW, early stopping on the validation purchases' AUC; every model starts from `seed`)
    epochs: int = 25  # DVBPR
    lr: float = 1e-3
    batch_size: int = 128
    weight_decay: float = 1e-4
    baseline_epochs: int = 40  # BPR and VBPR (no weight decay besides their own L2 terms)
    baseline_lr: float = 5e-3
    baseline_batch_size: int = 256
    patience: int = 5
    seed: int = 0


# ---------------------------------------------------------------- catalog pictures
def to_unit(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pictures -> floats in [-1, 1], the range of the GAN generator's tanh output."""
    return pixels.float().div(127.5).sub(1.0)


def float32(device: torch.device):
    """Autocast off: scores are computed in float32 even where Phi runs in bf16 (on CUDA)."""
    return torch.autocast(device.type, enabled=False)


# ---------------------------------------------------------------- models
class Recommender(nn.Module):
    """What DVBPR and its baselines share: BPR training on (user, bought item) rows and per-user AUC.

    Subclasses give `score(users, items)`, the (len(users), len(items)) float32 matrix of x_{u,i},
    `penalty(users, items)`, the squared norm of the factors a batch uses, and its weight `lam`.
    """

    def __init__(self, config: Config, lam: float):
        super().__init__()
        self.config = config
        self.lam = lam
        self.register_buffer("bought", torch.zeros(0, dtype=torch.long), persistent=False)

    def set_purchases(self, pairs: torch.Tensor) -> None:
        """The training (user, item) rows: a sampled item is never a negative for a user who bought it."""
        keys = pairs[:, 0] * self.config.n_items + pairs[:, 1]
        self.bought = keys.unique().to(self.bought.device)

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """BPR with the batch's sampled negatives shared: mean of -ln sigma(x_ui - x_uj) + l2 penalty.

        Each (u, i) row draws one item j uniformly from the catalog, as in the paper, and every
        user of the batch is compared with all B drawn items (except those the user bought):
        B negatives per positive for the price of one model pass over 2B items.
        """
        u, i = batch[:, 0], batch[:, 1]
        j = torch.randint(self.config.n_items, u.shape, device=u.device)
        x = self.score(u, torch.cat([i, j]))  # one pass: a CNN's BatchNorm sees i and j together
        x_ui, x_uj = x[torch.arange(len(u)), torch.arange(len(u))], x[:, len(u):]
        keep = ~torch.isin(u[:, None] * self.config.n_items + j[None, :], self.bought)
        bpr = -(F.logsigmoid(x_ui[:, None] - x_uj) * keep).sum() / keep.sum().clamp_min(1)
        return bpr + self.lam * self.penalty(u, torch.cat([i, j])) / len(u)

    def scores(self, users) -> torch.Tensor:
        """x_{u,i} of the given user rows for every catalog item."""
        device = self.bought.device
        return self.score(torch.as_tensor(users, device=device), torch.arange(self.config.n_items, device=device))

    def validate(self, held: HeldOutPurchases) -> dict:
        return {"auc": per_user_auc(self.scores(held.users).cpu().numpy(), held.positives, held.bought)[0]}


class BPR(Recommender):
    """Matrix factorisation: x_{u,i} = beta_i + gamma_u . gamma_i (Rendle et al. 2009)."""

    def __init__(self, config: Config, dim: int | None = None, lam: float | None = None):
        super().__init__(config, config.l2_bpr if lam is None else lam)
        dim = dim or config.dim
        self.gamma_user = nn.Embedding(config.n_users, dim)
        self.gamma_item = nn.Embedding(config.n_items, dim)
        self.beta_item = nn.Embedding(config.n_items, 1)
        nn.init.normal_(self.gamma_user.weight, std=0.1)
        nn.init.zeros_(self.gamma_item.weight)
        nn.init.zeros_(self.beta_item.weight)

    def score(self, users, items):
        with float32(users.device):
            return self.beta_item(items).T + self.gamma_user(users) @ self.gamma_item(items).T

    def penalty(self, users, items):
        return self.gamma_user(users).pow(2).sum() + self.gamma_item(items).pow(2).sum() + self.beta_item(items).pow(2).sum()


class VBPR(BPR):
    """BPR plus a visual term over frozen features: + theta_u . (E f_i) + beta' . f_i (He & McAuley 2016).

    K is split into K/2 latent and K/2 visual dimensions. The features are standardised per
    dimension (mean 0, sd 1 over the catalog) before E, for the optimiser's sake.
    """

    def __init__(self, config: Config):
        super().__init__(config, dim=config.dim // 2, lam=config.l2_vbpr)
        visual = config.dim - config.dim // 2
        self.theta_user = nn.Embedding(config.n_users, visual)
        self.embed = nn.Linear(config.feature_dim, visual, bias=False)  # E
        self.beta_visual = nn.Linear(config.feature_dim, 1, bias=False)  # beta'
        nn.init.normal_(self.theta_user.weight, std=0.1)
        self.register_buffer("features", torch.zeros(0, config.feature_dim), persistent=False)

    def set_features(self, features) -> None:
        """The catalog's (n_items, feature_dim) frozen image features, in catalog order."""
        f = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        self.features = ((f - f.mean(0)) / (f.std(0) + 1e-6)).to(self.features.device)

    def score(self, users, items):
        f = self.features[items]
        with float32(users.device):
            return super().score(users, items) + self.theta_user(users) @ self.embed(f).T + self.beta_visual(f).T

    def penalty(self, users, items):
        return super().penalty(users, items) + self.theta_user(users).pow(2).sum()


class PixelCNN(nn.Module):
    """Phi(X): a picture in [-1, 1] -> a K-d item vector, learned from pixels.

    Four 4x4 stride-2 convolutions (width, 2, 4, 8 x width channels; BatchNorm after all but the
    first; LeakyReLU 0.2) take the picture to a map 1/16 its size, flattened, dropped out (p =
    `dropout`, in training) and mapped linearly to K.
    """

    def __init__(self, dim: int, width: int = 16, image_size: int = 64, dropout: float = 0.0):
        super().__init__()
        layers, c_in = [], 3
        for k, c_out in enumerate((width, 2 * width, 4 * width, 8 * width)):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=k == 0)]
            layers += [nn.BatchNorm2d(c_out)] if k else []
            layers += [nn.LeakyReLU(0.2, inplace=True)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(c_in * (image_size // 16) ** 2, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x).flatten(1)))


class DVBPR(Recommender):
    """x_{u,i} = (theta_0 + theta_u) . Phi(X_i) with Phi a CNN over the item's pixels (module docstring).

    Phi is the one part that may run in bf16 (autocast on CUDA); the product is taken in float32.
    """

    def __init__(self, config: Config):
        super().__init__(config, config.l2)
        self.theta = nn.Embedding(config.n_users, config.dim)
        self.theta_shared = nn.Parameter(torch.zeros(config.dim))  # theta_0
        self.cnn = PixelCNN(config.dim, config.width, config.image_size, config.dropout)
        nn.init.normal_(self.theta.weight, std=0.1)
        self.register_buffer("pixels", torch.zeros(0, 3, config.image_size, config.image_size, dtype=torch.uint8),
                             persistent=False)

    def set_pixels(self, pixels: torch.Tensor) -> None:
        """The catalog's (n_items, 3, S, S) uint8 pictures, in catalog order."""
        self.pixels = pixels.to(self.pixels.device)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Phi of pictures in [-1, 1] (e.g. a generator's output, resized bilinearly to Phi's input size)."""
        size = self.config.image_size
        if images.shape[-1] != size:
            images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        return self.cnn(images)

    def item_vectors(self, items=None, batch_size: int = 500) -> torch.Tensor:
        """Phi(X_i) of catalog item rows (all items when None), in batches, as float32."""
        rows = torch.arange(len(self.pixels)) if items is None else torch.as_tensor(items)
        return torch.cat([self.embed(to_unit(self.pixels[rows[k:k + batch_size]])).float()
                          for k in range(0, len(rows), batch_size)])

    def user_vectors(self, users) -> torch.Tensor:
        """theta_0 + theta_u of user rows: the tastes that score items."""
        return self.theta(torch.as_tensor(users, device=self.theta_shared.device)) + self.theta_shared

    def score(self, users, items):
        if self.training:
            phi = self.embed(augment(to_unit(self.pixels[items])))
        else:
            phi = self.item_vectors(items)
        with float32(phi.device):
            return self.user_vectors(users).float() @ phi.float().T

    def penalty(self, users, items):
        return self.theta(users).pow(2).sum()

    def fit_taste(self, item_vectors: torch.Tensor, liked, steps: int = 100, lr: float = 0.1,
                  n_negatives: int = 256, seed: int = 0) -> torch.Tensor:
        """A taste theta_0 + d from a handful of liked item rows: BPR of the liked items against random items.

        `item_vectors` is Phi of the catalog; the shopper's own part d starts at 0 and takes
        `steps` Adam steps on mean -ln sigma((theta_0 + d) . (Phi_i - Phi_j)) + l2 ||d||^2, with i
        the liked items and `n_negatives` random catalog items j per step (the training objective
        for one new user, theta_0 and Phi fixed).
        """
        liked = torch.as_tensor(list(liked), dtype=torch.long, device=item_vectors.device)
        gen = torch.Generator().manual_seed(seed)
        pos = item_vectors[liked]
        shared = self.theta_shared.detach()

        def objective(d):
            j = torch.randint(len(item_vectors), (n_negatives,), generator=gen).to(item_vectors.device)
            theta = shared + d
            diff = (pos @ theta)[:, None] - (item_vectors[j] @ theta)[None, :]
            return -F.logsigmoid(diff).mean() + self.config.l2 * d.pow(2).sum()

        return shared + adam_steps(torch.zeros_like(shared), objective, steps, lr)


def adam_steps(w: torch.Tensor, objective: Callable[[torch.Tensor], torch.Tensor], steps: int, lr: float,
                progress: Callable[[int, int], None] | None = None, offset: int = 0, total: int = 0) -> torch.Tensor:
    """Minimise objective(w).sum() over w with Adam for `steps`; gradients reach w only (no parameter .grad)."""
    w = w.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr)
    with torch.enable_grad():
        for k in range(steps):
            w.grad, = torch.autograd.grad(objective(w).sum(), [w])
            opt.step()
            if progress is not None:
                progress(offset + k + 1, total or steps)
    return w.detach()


def augment(x: torch.Tensor) -> torch.Tensor:
    """Training pictures mirrored at random: a flat mirrored is the same garment to a shopper.
    (Shifts of 4 px on the white page as well cost 0.04 validation AUC.)"""
    return torch.where(torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5, x.flip(3), x)


class Bundle(nn.Module):
    """DVBPR and its two baselines, trained in one run on the same purchases and saved together.

    The engine serves DVBPR: a shopper's taste (`taste`), Phi of new pictures (`embed`) and of the
    catalog (`item_vectors`: from the feature cache or the shipped catalog files when the weights
    came from a checkpoint, keyed by its hash; else computed; kept). The catalog's pictures are
    read only for training and evaluation (`load_pixels`).
    """

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.dvbpr = DVBPR(config)
        self.vbpr = VBPR(config)
        self.bpr = BPR(config)
        self.user_rows: dict[str, int] = {}
        self.item_rows: dict[str, int] = {}
        self.wardrobe: Wardrobe | None = None
        self.weights_hash: str | None = None  # the checkpoint file's hash, when loaded from one
        self._vectors: torch.Tensor | None = None
        self._vectors_lock = threading.Lock()

    def models(self) -> dict[str, Recommender]:
        return {"bpr": self.bpr, "vbpr": self.vbpr, "dvbpr": self.dvbpr}

    def set_catalog(self, wardrobe: Wardrobe) -> None:
        """The rows of the wardrobe's shoppers and items (the order the model was trained in)."""
        self.wardrobe = wardrobe
        self.user_rows = {uid: k for k, uid in enumerate(wardrobe.users)}
        self.item_rows = {iid: k for k, iid in enumerate(wardrobe.items)}
        self._vectors = None

    def load_pixels(self) -> None:
        """DVBPR's pictures of the whole catalog (uint8, cached), for training and evaluation."""
        self.dvbpr.set_pixels(catalog_pixels(self.wardrobe, self.config.image_size, as_uint8=True))

    def set_features(self, wardrobe: Wardrobe, device) -> None:
        """VBPR's frozen image features of the catalog (the pre-trained encoder's, from the feature cache)."""
        self.vbpr.set_features(image_features(wardrobe, self.config.feature_encoder, device=device)[1])

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Phi of pictures in [-1, 1] (DVBPR.embed)."""
        return self.dvbpr.embed(images)

    def item_vectors(self) -> torch.Tensor:
        """Phi(X_i) of every catalog item, float32, without gradients (computed once, then kept)."""
        with self._vectors_lock:
            if self._vectors is None:
                device = self.dvbpr.theta_shared.device

                def compute():
                    if len(self.dvbpr.pixels) != len(self.item_rows):
                        self.load_pixels()
                    with torch.inference_mode(False), torch.no_grad():
                        return self.dvbpr.item_vectors().cpu().numpy()

                vectors = trained_vectors(self.wardrobe, NAME, self.weights_hash, [], compute, device)
                self._vectors = torch.as_tensor(vectors, dtype=torch.float32, device=device)  # design differentiates through it
            return self._vectors

    def rows(self, item_ids) -> list[int]:
        """Catalog rows of item ids; an unknown id is a BadInput."""
        unknown = [i for i in item_ids if i not in self.item_rows]
        if unknown:
            raise BadInput(f"There is no item {', '.join(map(repr, unknown[:5]))} in this catalog.")
        return [self.item_rows[i] for i in item_ids]

    def taste(self, user: str | None = None, liked_items=(), seed: int = 0) -> torch.Tensor:
        """theta_0 + theta_u of a shopper the model was trained on, or a taste fitted to `liked_items`
        (catalog ids; `DVBPR.fit_taste`, seeded by `seed`) when no shopper is given."""
        liked = self.rows(list(liked_items))
        if user:
            if user not in self.user_rows:
                raise BadInput(f"There is no shopper {user[:60]!r} in this catalog (a taste can also be fitted "
                               "from liked items).")
            return self.dvbpr.user_vectors([self.user_rows[user]])[0].detach()
        if not liked:
            raise BadInput("Please choose a shopper or list at least one liked item.")
        return self.dvbpr.fit_taste(self.item_vectors(), liked, seed=seed)


def train_configs(config: Config, device) -> dict[str, TrainConfig]:
    """How each model is fitted: AdamW, early stopping on the validation purchases' AUC (`config`'s settings)."""
    device = str(device)
    baseline = TrainConfig(epochs=config.baseline_epochs, lr=config.baseline_lr, batch_size=config.baseline_batch_size,
                           patience=config.patience, seed=config.seed, device=device)
    return {"bpr": baseline, "vbpr": baseline,
            "dvbpr": TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                                 weight_decay=config.weight_decay, patience=config.patience, seed=config.seed,
                                 device=device)}


def train(wardrobe: Wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None,
          device="auto") -> dict:
    """Fit BPR, VBPR and DVBPR on the training purchases (`tasks.Purchases`), each kept at its best validation
    AUC; save them together. `epochs` overrides every model's epoch count."""
    device = pick_device(device)
    config = dataclasses.replace(config or Config(), n_users=len(wardrobe.users), n_items=len(wardrobe.items))
    if epochs:
        config = dataclasses.replace(config, epochs=epochs, baseline_epochs=epochs)
    purchases = Purchases.from_wardrobe(wardrobe)
    pairs = torch.from_numpy(purchases.train)
    bundle = Bundle(config).to(device)
    bundle.set_catalog(wardrobe)
    bundle.load_pixels()
    bundle.set_features(wardrobe, device)
    valid = {}
    for name, cfg in train_configs(config, device).items():
        print(f"{NAME}: training {name}")
        model = bundle.models()[name]
        model.set_purchases(pairs)
        valid[name] = fit(model, pairs, cfg, valid_data=purchases.valid).best
    return checkpoints.save(out_dir, NAME, bundle, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": "pixels", "vbpr": config.feature_encoder},
                            metrics={"valid": valid})


def load(checkpoint_dir, wardrobe: Wardrobe, device="cpu") -> Bundle:
    """The saved run (DVBPR and baselines) on `device` in eval mode, for `wardrobe`, which must be the one it was
    trained on: shoppers and items known by id (the pictures are read when needed: `load_pixels`)."""
    device = device if isinstance(device, torch.device) else pick_device(device)
    bundle = Bundle(Config(**checkpoints.entry_for(checkpoint_dir, NAME, wardrobe)["config"]))
    checkpoints.load(checkpoint_dir, NAME, bundle)
    bundle.to(device).eval()
    bundle.set_catalog(wardrobe)
    bundle.weights_hash = checkpoints.file_hash(checkpoint_dir, NAME)
    return bundle

"""`stylist eval gan`: preference-guided designs for held-out shoppers, against the catalog's best item, and
their realism, for each realism weight eta in ETAS.

Shoppers: up to `n_users` of those with held-out purchases (`tasks.Purchases`, split test or
valid, as for dvbpr), evenly spaced; each gets n designs (seeds) of `steps` steps in the category
(slot) of their last held-out purchase. Preference is DVBPR's theta_u . Phi(X): designs are new
pictures, so the oracle's utility cannot score them. A shopper counts as a win when the best of
their n designs beats the best existing catalog item of that category.

Realism, two measures, each against the range over real catalog pictures of the same classes:
- `realism`: D(x, c), the discriminator's score (hinge loss: real items are trained to at least
  1, fakes to at most -1). The design objective optimises it for eta > 0, so it is also checked by
- `feature_distance`: cosine distance in effnet-lite0 features from a picture to its nearest
  catalog item (real pictures: to their nearest other item), which no part of design sees.

The independent judge (`judge`; builtin only, and only with a photo reader in the checkpoint folder): the photo
reader reads each design (type, colour, pattern, material); the shopper's hidden taste scores that reading over what
pictures show (`Oracle.visible_user_scores`), and the best catalog item of the category on the same terms. A shopper
wins when the best of their readable designs beats it; a design is unreadable (a loss) when the reader refuses it,
reads its type or colour under 0.5, or reads a type outside the requested category. Neither the reader nor the
oracle takes part in designing. The best catalog item is scored on the reader's terms (type, colour, pattern,
material; its fit, which the reader does not read, counts as regular, as a design's does), and
`win_rate_oracle_ceiling` is the share of shoppers for whom any reading at all beats it: for most shoppers the
catalog already holds the best garment pictures can show, and a design can at most tie with it. `kid`: kernel
distance (cubic polynomial kernel, unbiased MMD²) on raw effnet-lite0 features between the designs and catalog items
of their categories, `kid_real` the same between held-out catalog items and the rest, and `kid_real_at_size` the
same for real items shrunk to the generator's size (what the size alone costs); `diversity`: mean pairwise cosine
distance among a shopper's designs, `diversity_catalog` among as many random catalog items of the same category.
`readable_share_real`: the share of 500 real catalog pictures of those categories, at the generator's size, that the
judge reads with confidence as their category (how fair the judge is to small pictures).
"""
import numpy as np
import torch
from torch import nn

from PIL import Image

from stylist_app.checkpoints import read_manifest
from stylist_app.data.builtin.vocab import COLOURS, FINE_TYPES, PATTERNS
from stylist_app.data.schema import DataError
from stylist_app.data.tasks import Purchases
from stylist_app.evaluate import oracle_for
from stylist_app.features import image_features
from stylist_app.models import dvbpr, gan
from stylist_app.models import reader as reader_model
from stylist_app.models.dvbpr import to_unit
from stylist_app.models.encoders import make_image_encoder
from stylist_app.train import pick_device

ETAS = (0.0, 0.5, 1.0, 2.0)
ENCODER = "effnet-lite0"  # the judge of feature distance
READ_TERMS = ("category", "colour", "pattern", "material")  # what the photo reader reads of a garment


def nearest_catalog_distance(encoder, pictures: torch.Tensor, catalog: torch.Tensor, exclude=None) -> np.ndarray:
    """Cosine distance of each picture's pre-trained image feature to its nearest catalog item's.

    Pictures in [-1, 1] are upsampled (bicubic) to the encoder's size, which is the encoder's own
    input scaling; `catalog` holds the unit-length features of the catalog's full-size pictures;
    `exclude` (item rows, one per picture) leaves a real picture's own item out.
    """
    f = nn.functional.normalize(effnet_features(encoder, pictures), dim=1)
    sim = f @ catalog.T
    if exclude is not None:
        sim[torch.arange(len(sim)), torch.as_tensor(exclude)] = -1
    return (1 - sim.max(1).values).cpu().numpy()


def pictures_of(images: torch.Tensor) -> list[Image.Image]:
    """PIL pictures of designs in [-1, 1] (B, 3, S, S)."""
    x = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a) for a in x]


def effnet_features(encoder, images: torch.Tensor) -> torch.Tensor:
    """effnet-lite0 features of pictures in [-1, 1], upsampled (bicubic) to the encoder's size (its own input
    scaling), 50 at a time."""
    x = nn.functional.interpolate(images.float(), size=encoder.image_size, mode="bicubic").clamp(-1, 1)
    return torch.cat([encoder(x[k:k + 50]).float() for k in range(0, len(x), 50)])


def kernel_distance(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD² with the cubic polynomial kernel (x . y / d + 1)^3 (KID, Binkowski et al. 2018)."""
    x, y = x.double(), y.double()
    d = x.shape[1]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - kxx.diag().sum()) / (m * (m - 1)) + (kyy.sum() - kyy.diag().sum()) / (n * (n - 1))
                 - 2 * kxy.mean())


def mean_pairwise_distance(unit: torch.Tensor) -> float:
    """Mean cosine distance over the distinct pairs of unit vectors (n, d)."""
    sim = unit @ unit.T
    n = len(unit)
    return float(1 - (sim.sum() - sim.diag().sum()) / (n * (n - 1)))


class Judge:
    """The independent judge of designs (module docstring): the photo reader, then the shopper's hidden taste."""

    def __init__(self, wardrobe, checkpoint_dir, device, classes: list[str]):
        self.wardrobe, self.classes, self.device = wardrobe, classes, device
        self.oracle = oracle_for(wardrobe)
        self.reader = reader_model.load(checkpoint_dir, wardrobe, device)
        self.encoder = make_image_encoder(ENCODER).to(device).eval()
        self.ids = list(wardrobe.items)
        self._best: dict = {}

    def best_scores(self, user: str, category: str) -> tuple[float, float]:
        """(the best catalog item of the category, the best reading any design could get) for a shopper, both
        scored on the reader's terms (`READ_TERMS`): an item's fit is not read, so it counts as regular, as a
        design's does."""
        key = (user, category)
        if key not in self._best:
            rows = [i for i in self.ids if self.wardrobe.items[i].slot == category]
            attrs = [{k: a[k] for k in READ_TERMS} for a in map(self.oracle.true_attributes, rows)]
            readings = [{"category": t.name, "colour": c.name, "pattern": p, "material": m}
                        for t in FINE_TYPES if t.slot == category for c in COLOURS for p in PATTERNS for m in t.materials]
            self._best[key] = (float(self.oracle.visible_user_scores(user, attrs).max()),
                               float(self.oracle.visible_user_scores(user, readings).max()))
        return self._best[key]

    def readable(self, r, category: str) -> bool:
        return (r.readable and r.probability.get("fine_type", 0) >= 0.5 and r.probability.get("colour", 0) >= 0.5
                and reader_model.TYPE_BY_NAME[r.fine_type].slot == category)

    def readable_share(self, images: torch.Tensor, classes: list[int]) -> float:
        """The share of pictures (B, 3, S, S) in [-1, 1] read with confidence as their class: for real catalog
        pictures at the generator's size, how readable the judge finds real garments there."""
        with torch.no_grad():
            feats = effnet_features(self.encoder, images)
        readings = self.reader.read_features(feats, pictures_of(images))
        return float(np.mean([self.readable(r, self.classes[c]) for r, c in zip(readings, classes)]))

    def metrics(self, users: list[str], classes: list[int], images: torch.Tensor, catalog_raw: torch.Tensor,
                labels: torch.Tensor, seed: int) -> dict:
        """win_rate_oracle, readable_share, kid, diversity (and their real references) of designs (B, n, 3, S, S)."""
        b, n = images.shape[:2]
        flat = images.reshape(b * n, *images.shape[2:])
        with torch.no_grad():
            feats = effnet_features(self.encoder, flat)
        pics = pictures_of(flat)
        readings = self.reader.read_features(feats, pics)
        wins, ok, winnable = [], [], []
        for k, (user, c) in enumerate(zip(users, classes)):
            category = self.classes[c]
            mine = readings[k * n:(k + 1) * n]
            good = [r for r in mine if self.readable(r, category)]
            ok += [self.readable(r, category) for r in mine]
            best, ceiling = self.best_scores(user, category)
            winnable.append(ceiling > best)
            if not good:
                wins.append(False)
                continue
            scores = self.oracle.visible_user_scores(user, [
                {"category": r.fine_type, "colour": r.colour, "pattern": r.pattern, "material": r.material}
                for r in good])
            wins.append(bool(scores.max() > best))
        unit = nn.functional.normalize(feats, dim=1)
        catalog_unit = nn.functional.normalize(catalog_raw, dim=1)
        wanted = torch.isin(labels, torch.as_tensor(sorted(set(classes)), device=labels.device))
        rows = torch.nonzero(wanted).flatten().cpu()
        g = torch.Generator().manual_seed(seed)
        shuffled = rows[torch.randperm(len(rows), generator=g)]
        held, rest = shuffled[:len(flat)], shuffled[len(flat):len(flat) + 2000]
        diversity = float(np.mean([mean_pairwise_distance(unit[k * n:(k + 1) * n]) for k in range(b)]))
        catalog_div = []
        for c in classes:
            pool = torch.nonzero(labels == c).flatten().cpu()
            pick = pool[torch.randperm(len(pool), generator=g)[:n]]
            catalog_div.append(mean_pairwise_distance(catalog_unit[pick]))
        return {"win_rate_oracle": float(np.mean(wins)), "win_rate_oracle_ceiling": float(np.mean(winnable)),
                "readable_share": float(np.mean(ok)),
                "kid": kernel_distance(feats, catalog_raw[rest]),
                "kid_real": kernel_distance(catalog_raw[held], catalog_raw[rest]),
                "diversity": diversity, "diversity_catalog": float(np.mean(catalog_div)),
                "readings": [r.words() or r.problem for r in readings[: 2 * n]]}


def percentiles(values) -> dict:
    """Mean and 5th / 95th percentiles: the range of real pictures' scores."""
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "p05": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95))}


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """Designs for 100 held-out shoppers, 4 each of 50 steps, against the best existing item, and their realism,
    for eta in ETAS (module docstring)."""
    return design_metrics(wardrobe, checkpoint_dir, split=split, device=device, n_users=100, n=4, steps=50, seed=0)


def design_metrics(wardrobe, checkpoint_dir, *, split: str, device, n_users: int, n: int, steps: int,
                   seed: int) -> dict:
    """`evaluate` for `n_users` shoppers, `n` designs each of `steps` steps, codes drawn with `seed`."""
    if split not in ("test", "valid"):
        raise DataError(f"gan evaluates designs for the held-out shoppers of dvbpr: use --split test or valid, not {split!r}")
    device = pick_device(device)
    taste = dvbpr.load(checkpoint_dir, wardrobe, device)
    designer = gan.load(checkpoint_dir, wardrobe, device)
    designer.load_pixels()
    held = getattr(Purchases.from_wardrobe(wardrobe), split)
    pick = np.unique(np.linspace(0, len(held.users) - 1, min(n_users, len(held.users))).round().astype(int))
    users = torch.tensor([held.users[k] for k in pick], device=device)
    labels = designer.labels
    classes = labels[torch.tensor([int(held.positives[k][-1]) for k in pick], device=device)]
    encoder = make_image_encoder(ENCODER).to(device).eval()
    _, feats = image_features(wardrobe, ENCODER, device=device)
    catalog = nn.functional.normalize(torch.as_tensor(feats, device=device), dim=1)
    with torch.no_grad():
        vectors = taste.item_vectors()
        thetas = taste.dvbpr.user_vectors(users)
        scale, best_existing, _ = gan.category_scale(vectors, thetas, labels, classes)
        rows = torch.nonzero(torch.isin(labels, classes.unique())).flatten()
        rows = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))]
        real_rows, other_rows = rows[:500], rows[500:2500]
        real = to_unit(designer.pixels[real_rows])
        real_d = designer.discriminator(real, designer.types[real_rows]).cpu().numpy()
        real_dist = nearest_catalog_distance(encoder, real, catalog, real_rows.cpu())
        # real pictures at the generator's size against other catalog items at full size: what KID the size alone costs
        kid_real_at_size = kernel_distance(effnet_features(encoder, real),
                                           torch.as_tensor(feats, device=device).float()[other_rows])
    judge = None
    if oracle_for(wardrobe) is not None and "reader" in read_manifest(checkpoint_dir):
        judge = Judge(wardrobe, checkpoint_dir, device, designer.config.classes)
        user_ids = [list(wardrobe.users)[int(u)] for u in users]
        real_readable = judge.readable_share(real, labels[real_rows].tolist())
    by_eta = {}
    for eta in ETAS:
        out = designer.design_batch(taste, thetas, classes, scale, n=n, eta=eta, steps=steps, seed=seed)
        top = out.preference_after.argmax(1)
        chosen = out.images[torch.arange(len(top)), top]
        with torch.no_grad():
            dist = nearest_catalog_distance(encoder, chosen, catalog)
        d = out.realism.cpu().numpy()
        by_eta[str(eta)] = {
            "preference_existing_best": best_existing.mean().item(),
            "preference_generated": out.preference_after.max(1).values.mean().item(),
            "preference_start": out.preference_before.mean().item(),
            "win_rate": (out.preference_after.max(1).values > best_existing).float().mean().item(),
            "win_rate_per_design": (out.preference_after > best_existing[:, None]).float().mean().item(),
            "realism": float(d.mean()),
            "realism_in_real_range": float((d >= np.percentile(real_d, 5)).mean()),
            "feature_distance": float(dist.mean()),
            "feature_distance_in_real_range": float((dist <= np.percentile(real_dist, 95)).mean()),
        }
        if judge is not None:
            by_eta[str(eta)].update(judge.metrics(user_ids, classes.tolist(), out.images,
                                                  torch.as_tensor(feats, device=device).float(), labels, seed))
    first = list(wardrobe.users)[int(users[0])]
    timed = designer.design(taste, user=first, category=designer.config.classes[int(classes[0])], n=4, eta=1.0,
                            steps=50, seed=seed)
    judged = {"readable_share_real": real_readable} if judge is not None else {}
    return {
        **by_eta["1.0"], "eta": 1.0, "by_eta": by_eta, **judged, "kid_real_at_size": kid_real_at_size,
        "realism_real": percentiles(real_d), "feature_distance_real": percentiles(real_dist),
        "notes": {
            "preference": "DVBPR's theta_u . Phi(X) (the model's score); the oracle cannot score new pictures",
            "realism": "mean D(x, c) of the designs (hinge loss: real items trained to >= 1, fakes to <= -1); "
                       "in_real_range = share at or above the 5th percentile of real items",
            "feature_distance": "cosine distance in effnet-lite0 features to the nearest catalog item, of each "
                                "shopper's best design; in_real_range = share at or below the real items' 95th percentile",
            "win_rate": f"share of shoppers whose best of {n} designs beats their best existing item of the category",
            "win_rate_oracle": "the same, judged by the photo reader's reading of each design scored by the shopper's "
                               "hidden taste over what pictures show; an unreadable design loses (module docstring)",
        },
        "n_users": len(users), "n_designs_per_user": n, "steps": steps,
        "design_seconds": timed.seconds,  # one canvas call: 4 designs x 50 steps, eta = 1, on this machine
    }

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
"""
import numpy as np
import torch
from torch import nn

from stylist_app.data.schema import DataError
from stylist_app.data.tasks import Purchases
from stylist_app.features import image_features
from stylist_app.models import dvbpr, gan
from stylist_app.models.dvbpr import to_unit
from stylist_app.models.encoders import make_image_encoder
from stylist_app.train import pick_device

ETAS = (0.0, 0.5, 1.0, 2.0)
ENCODER = "effnet-lite0"  # the judge of feature distance


def nearest_catalog_distance(encoder, pictures: torch.Tensor, catalog: torch.Tensor, exclude=None) -> np.ndarray:
    """Cosine distance of each picture's pre-trained image feature to its nearest catalog item's.

    Pictures in [-1, 1] are upsampled (bicubic) to the encoder's size, which is the encoder's own
    input scaling; `catalog` holds the unit-length features of the catalog's full-size pictures;
    `exclude` (item rows, one per picture) leaves a real picture's own item out.
    """
    x = nn.functional.interpolate(pictures.float(), size=encoder.image_size, mode="bicubic").clamp(-1, 1)
    f = nn.functional.normalize(torch.cat([encoder(x[k:k + 50]).float() for k in range(0, len(x), 50)]), dim=1)
    sim = f @ catalog.T
    if exclude is not None:
        sim[torch.arange(len(sim)), torch.as_tensor(exclude)] = -1
    return (1 - sim.max(1).values).cpu().numpy()


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
        real_rows = torch.nonzero(torch.isin(labels, classes.unique())).flatten()
        real_rows = real_rows[torch.randperm(len(real_rows), generator=torch.Generator().manual_seed(seed))[:500]]
        real = to_unit(designer.pixels[real_rows])
        real_d = designer.discriminator(real, labels[real_rows]).cpu().numpy()
        real_dist = nearest_catalog_distance(encoder, real, catalog, real_rows.cpu())
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
    first = list(wardrobe.users)[int(users[0])]
    timed = designer.design(taste, user=first, category=designer.config.classes[int(classes[0])], n=4, eta=1.0,
                            steps=50, seed=seed)
    return {
        **by_eta["1.0"], "eta": 1.0, "by_eta": by_eta,
        "realism_real": percentiles(real_d), "feature_distance_real": percentiles(real_dist),
        "notes": {
            "preference": "DVBPR's theta_u . Phi(X) (the model's score); the oracle cannot score new pictures",
            "realism": "mean D(x, c) of the designs (hinge loss: real items trained to >= 1, fakes to <= -1); "
                       "in_real_range = share at or above the 5th percentile of real items",
            "feature_distance": "cosine distance in effnet-lite0 features to the nearest catalog item, of each "
                                "shopper's best design; in_real_range = share at or below the real items' 95th percentile",
            "win_rate": f"share of shoppers whose best of {n} designs beats their best existing item of the category",
        },
        "n_users": len(users), "n_designs_per_user": n, "steps": steps,
        "design_seconds": timed.seconds,  # one canvas call: 4 designs x 50 steps, eta = 1, on this machine
    }

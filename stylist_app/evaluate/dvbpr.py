"""`stylist eval dvbpr`: DVBPR and its baselines on the held-out purchases (Kang et al. 2017's protocol).

Per user, the AUC of their held-out purchases against every item they never bought
(`tasks.Purchases`, `per_user_auc`), averaged over users; and the same restricted to cold items,
which nobody bought in training. Rows: DVBPR, VBPR, BPR (from the saved weights), popularity (the
training purchases per item), and on the builtin wardrobe the oracle's hidden taste.
"""
import numpy as np
import torch

from stylist_app.data.schema import DataError
from stylist_app.data.tasks import Purchases
from stylist_app.evaluate import oracle_for, per_user_auc
from stylist_app.models import dvbpr
from stylist_app.train import pick_device


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """Per-user AUC of held-out purchases against never-bought items, overall and on cold items.

    `split="test"`: the held-out purchases; `"valid"`: each user's validation purchase.
    """
    if split not in ("test", "valid"):
        raise DataError(f"dvbpr evaluates the held-out purchases of the shoppers it was trained on: "
                        f"use --split test or valid, not {split!r}")
    device = pick_device(device)
    purchases = Purchases.from_wardrobe(wardrobe)
    held = getattr(purchases, split)
    bundle = dvbpr.load(checkpoint_dir, wardrobe, device)
    bundle.load_pixels()
    bundle.set_features(wardrobe, device)
    n_items = bundle.config.n_items
    cold = purchases.cold_items(n_items)

    def auc(scores, candidates=None):
        return per_user_auc(scores, held.positives, held.bought, candidates)

    out = {}
    with torch.inference_mode():
        for name, model in bundle.models().items():
            scores = model.scores(held.users).cpu().numpy()
            out[name] = dict(zip(("auc", "n_users"), auc(scores)))
            out[name]["cold_auc"], out[name]["n_users_cold"] = auc(scores, cold)
    popularity = np.bincount(purchases.train[:, 1], minlength=n_items)
    result = {
        "auc": out["dvbpr"]["auc"], "cold_auc": out["dvbpr"]["cold_auc"],
        "baselines": {
            "bpr": {"auc": out["bpr"]["auc"], "cold_auc": None,
                    "cold_note": "BPR cannot score cold items: with no purchase in training, their factors only "
                                 "reflect being drawn as random negatives (its scores give a cold AUC of "
                                 f"{out['bpr']['cold_auc']:.3f}, chance or worse, not a model of them)"},
            "vbpr": {"auc": out["vbpr"]["auc"], "cold_auc": out["vbpr"]["cold_auc"]},
            "popularity": {"auc": auc(np.tile(popularity, (len(held.users), 1)))[0],
                           "note": "training purchases per item, the same for every user; no model"}},
        "n_users": out["dvbpr"]["n_users"], "n_users_cold": out["dvbpr"]["n_users_cold"],
        "n_cold_items": len(cold),
    }
    oracle = oracle_for(wardrobe)
    if oracle is not None:
        user_ids, item_ids = list(wardrobe.users), list(wardrobe.items)
        scores = np.stack([oracle.user_item_scores(user_ids[u], item_ids) for u in held.users])
        result["oracle"] = {"auc": auc(scores)[0], "cold_auc": auc(scores, cold)[0]}
    return result

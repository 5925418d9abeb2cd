"""`stylist data stats`: counts and histograms of any source; for builtin, the oracle and baselines.

The oracle and baseline figures are on the test split (tasks.py protocols): FITB accuracy
and compatibility AUC for the oracle (the hidden score without noise), for the oracle
restricted to what pictures show (`oracle_visible`: fibre, weight and occasion at their
expectation given the visible attributes), a scorer that knows only fine-type co-occurrence,
and one that knows only the rules knowledge base.

For a builtin source with shoppers it also reports their true and recorded likes
(`likes_per_shopper`) and `false_negative_share`: under the FND evaluation protocol (per
shopper with held-out likes, `FND_NEGATIVES` outfits drawn uniformly, seed 0, from those they
never liked in the log), the share of those negatives that the shopper truly likes.
"""
from collections import Counter

import numpy as np

from stylist_app.data.schema import SLOTS, load
from stylist_app.data.tasks import held_out_likes
from stylist_app.evaluate import outfit_scorer_metrics

FND_NEGATIVES = 100  # as fnd.Config.eval_negatives
STATED_KEYS = ("colour", "pattern", "material", "fit", "length", "fibre", "weight", "occasion")


def _summary(values) -> dict:
    v = np.asarray(list(values), dtype=float)
    if not len(v):
        return {"mean": 0.0, "min": 0, "max": 0}
    return {"mean": round(float(v.mean()), 2), "min": int(v.min()), "max": int(v.max())}


def false_negative_share(w, oracle, negatives: int = FND_NEGATIVES, seed: int = 0) -> float | None:
    """Share of the FND protocol's sampled negatives (`tasks.held_out_likes`: outfits a shopper never liked
    in the log) that the shopper truly likes."""
    questions = held_out_likes(w, "test", negatives, seed)
    hits = sum(len(set(q.negatives) & set(oracle.true_likes(q.user_id)[1])) for q in questions)
    total = sum(len(q.negatives) for q in questions)
    return round(hits / total, 4) if total else None


def wardrobe_stats(spec: str, split: str = "test") -> dict:
    from stylist_app.data.builtin.oracle import Oracle
    from stylist_app.models.baselines import CooccurrenceScorer, RulesOnlyScorer

    w = load(spec)
    sizes = Counter(len(o.items) for o in w.outfits.values())
    stats = {
        "data": spec,
        "split": split,
        "n_items": len(w.items),
        "n_outfits": len(w.outfits),
        "n_users": len(w.users),
        "n_rules": len(w.rules),
        "splits": {k: len(v) for k, v in w.splits.items()},
        "slots": {s: n for s, n in ((s, sum(i.slot == s for i in w.items.values())) for s in SLOTS) if n},
        "categories": dict(Counter(i.category for i in w.items.values()).most_common()),
        "colours": dict(Counter(i.attributes.get("colour", i.attributes.get("color", "(unstated)"))
                                for i in w.items.values()).most_common()),
        "outfit_sizes": dict(sorted(sizes.items())),
        "n_purchases": sum(len(u.purchases) for u in w.users.values()),
        "n_liked_outfits": sum(len(u.liked_outfits) for u in w.users.values()),
        "stated_share": {k: round(sum(k in i.attributes for i in w.items.values()) / max(1, len(w.items)), 3)
                         for k in STATED_KEYS},
        # items whose category no word placed, which took the slot the photo reader read (folder:), per category
        "slot_from_picture": dict(Counter(i.category or "(empty)" for i in w.items.values()
                                          if i.attributes.get("slot_from") == "picture").most_common()),
    }
    oracle = Oracle.for_wardrobe(w)
    if oracle is not None and w.users:
        true = {u: oracle.true_likes(u) for u in w.users}
        stats["likes_per_shopper"] = {
            "true_items": _summary(len(t[0]) for t in true.values()),
            "true_outfits": _summary(len(t[1]) for t in true.values()),
            "recorded_purchases": _summary(len(u.purchases) for u in w.users.values()),
            "recorded_outfits": _summary(len(u.liked_outfits) for u in w.users.values()),
        }
        stats["false_negative_share"] = false_negative_share(w, oracle)
    if not w.split_outfits(split):
        return stats
    if oracle is not None:
        stats["oracle"] = outfit_scorer_metrics(oracle.outfit_score, w, split)
        stats["oracle_visible"] = outfit_scorer_metrics(oracle.visible_outfit_score, w, split)
    stats["baselines"] = {"cooccurrence": outfit_scorer_metrics(CooccurrenceScorer(w).outfit_score, w, split)}
    if w.rules:
        stats["baselines"]["rules_only"] = outfit_scorer_metrics(RulesOnlyScorer(w).outfit_score, w, split)
    return stats


def _hist(counts: dict, top: int = 12) -> str:
    items = list(counts.items())
    shown = ", ".join(f"{k} {v}" for k, v in items[:top])
    return shown + (f", ... ({len(items) - top} more)" if len(items) > top else "")


def print_stats(stats: dict) -> None:
    print(f"{stats['data']}: {stats['n_items']} items, {stats['n_outfits']} outfits, {stats['n_users']} users, "
          f"{stats['n_rules']} rules")
    print(f"  splits: {_hist(stats['splits'])}")
    print(f"  slots: {_hist(stats['slots'])}")
    print(f"  fine types: {_hist(stats['categories'])}")
    print(f"  colours: {_hist(stats['colours'])}")
    print(f"  outfit sizes: {_hist(stats['outfit_sizes'])}")
    if stats.get("slot_from_picture"):
        print(f"  slot read from the picture ({sum(stats['slot_from_picture'].values())} items of categories no word "
              f"places): {_hist(stats['slot_from_picture'])}")
    print("  stated in listings: " + ", ".join(f"{k} {v:.0%}" for k, v in stats["stated_share"].items()))
    if stats["n_users"]:
        print(f"  purchases: {stats['n_purchases']}, liked outfits: {stats['n_liked_outfits']}")
    if "likes_per_shopper" in stats:
        print("  per shopper (mean, min-max): " + ", ".join(
            f"{k.replace('_', ' ')} {v['mean']:g} ({v['min']}-{v['max']})" for k, v in stats["likes_per_shopper"].items()))
    if stats.get("false_negative_share") is not None:
        print(f"  false-negative share of the FND protocol's sampled negatives: {stats['false_negative_share']:.2%}")
    rows = ([(k, stats[k]) for k in ("oracle", "oracle_visible") if k in stats]
            + list(stats.get("baselines", {}).items()))
    if rows:
        print(f"  {stats['split']} split            FITB   FITB-hard  compat-AUC  compat-AUC-hard")
        for name, m in rows:
            print(f"  {name:20s} {m.get('fitb_accuracy', float('nan')):.3f}  {m.get('fitb_accuracy_hard', float('nan')):.3f}"
                  f"      {m.get('compat_auc', float('nan')):.3f}       {m.get('compat_auc_hard', float('nan')):.3f}")

"""`stylist data stats`: counts and histograms of any source; for builtin, the oracle and baselines.

The oracle and baseline figures are on the test split (tasks.py protocols): FITB accuracy
and compatibility AUC for the oracle (the hidden score without noise), a scorer that knows
only fine-type co-occurrence, and one that knows only the rules knowledge base.
"""
from collections import Counter

from stylist_app.data.schema import SLOTS, load
from stylist_app.evaluate import outfit_scorer_metrics


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
    }
    if not w.split_outfits(split):
        return stats
    oracle = Oracle.for_wardrobe(w)
    if oracle is not None:
        stats["oracle"] = outfit_scorer_metrics(oracle.outfit_score, w, split)
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
    if stats["n_users"]:
        print(f"  purchases: {stats['n_purchases']}, liked outfits: {stats['n_liked_outfits']}")
    rows = ([("oracle", stats["oracle"])] if "oracle" in stats else []) + list(stats.get("baselines", {}).items())
    if rows:
        print(f"  {stats['split']} split            FITB   FITB-hard  compat-AUC  compat-AUC-hard")
        for name, m in rows:
            print(f"  {name:20s} {m.get('fitb_accuracy', float('nan')):.3f}  {m.get('fitb_accuracy_hard', float('nan')):.3f}"
                  f"      {m.get('compat_auc', float('nan')):.3f}       {m.get('compat_auc_hard', float('nan')):.3f}")

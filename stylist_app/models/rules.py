"""Fashion rules evaluated on what models see: item text and category.

`RuleMatcher` matches every rule condition against every catalog item once (whole-word,
case-insensitive phrase search in `Item.text`), giving two boolean tables
`top_match[item, rule]` and `bottom_match[item, rule]`; firing all rules on any batch of
(top, bottom) pairs is then one indexed AND. On whole outfits a rule is read over every
ordered pair of items (DESIGN.md rules; AKD-DBPR's released code fires rules on text words).
"""
import re

import numpy as np

from stylist_app.data.schema import Rule, Wardrobe


def _pattern(phrases: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True)) + r")\b")


class RuleMatcher:
    def __init__(self, rules: list[Rule], wardrobe: Wardrobe):
        self.rules = list(rules)
        self.ids = list(wardrobe.items)
        self.index = {iid: k for k, iid in enumerate(self.ids)}
        self.polarity = np.array([r.polarity for r in self.rules], dtype=np.float32)
        texts = [wardrobe.items[i].text.lower() for i in self.ids]
        self.top_match = np.zeros((len(texts), len(self.rules)), dtype=bool)
        self.bottom_match = np.zeros_like(self.top_match)
        for r, rule in enumerate(self.rules):
            top, bottom = _pattern(rule.top), _pattern(rule.bottom)
            self.top_match[:, r] = [bool(top.search(t)) for t in texts]
            self.bottom_match[:, r] = [bool(bottom.search(t)) for t in texts]

    def fires(self, tops, bottoms) -> np.ndarray:
        """Boolean (n_pairs, n_rules): which rules fire on each (top, bottom) pair of item ids."""
        t = np.array([self.index[i] for i in tops], dtype=int)
        b = np.array([self.index[i] for i in bottoms], dtype=int)
        return self.top_match[t] & self.bottom_match[b]

    def outfit_score(self, item_ids) -> float:
        """Rules-only outfit score: sum of polarities of the rules firing on every ordered pair."""
        if len(item_ids) < 2:
            return 0.0
        a, b = zip(*[(x, y) for x in item_ids for y in item_ids if x != y])
        return float((self.fires(a, b) * self.polarity).sum())

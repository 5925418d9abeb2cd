"""Reference scorers every model is measured beside: type co-occurrence and rules only.

Both score a whole outfit (higher = more compatible), so they serve FITB (pick the
candidate that maximises the completed outfit's score) and compatibility AUC alike.
"""
from collections import Counter
from itertools import combinations

import numpy as np

from stylist_app.data.schema import Wardrobe
from stylist_app.models.rules import RuleMatcher


class CooccurrenceScorer:
    """Knows only fine types: mean pointwise mutual information of the types in an outfit,
    estimated on the training outfits with add-one smoothing."""

    def __init__(self, wardrobe: Wardrobe, split: str = "train"):
        self.type_of = {i.id: i.category for i in wardrobe.items.values()}
        single, pair = Counter(), Counter()
        outfits = wardrobe.split_outfits(split)
        for o in outfits:
            types = [self.type_of[i] for i in o.items]
            single.update(set(types))
            pair.update(frozenset(p) for p in combinations(sorted(set(types)), 2))
        self.single, self.pair, self.n = single, pair, max(1, len(outfits))

    def pmi(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        n = self.n
        return float(np.log((self.pair[frozenset((a, b))] + 1) * n / ((self.single[a] + 1) * (self.single[b] + 1))))

    def outfit_score(self, item_ids) -> float:
        types = [self.type_of[i] for i in item_ids]
        pairs = list(combinations(types, 2))
        return float(np.mean([self.pmi(a, b) for a, b in pairs])) if pairs else 0.0


class RulesOnlyScorer:
    """Knows only the rules knowledge base: sum of fired rules' polarities over the outfit's pairs."""

    def __init__(self, wardrobe: Wardrobe):
        self.matcher = RuleMatcher(wardrobe.rules, wardrobe)

    def outfit_score(self, item_ids) -> float:
        return self.matcher.outfit_score(item_ids)

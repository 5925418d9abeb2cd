"""The oracle: the hidden compatibility score without noise, for the upper bound of every metric.

It reads the hidden half of a built studio wardrobe (`hidden/world.json`), never shipped to
models: nothing under `stylist_app/models` may import this module (a test checks it).

An outfit's oracle score marginalises the unknown style (styles.py):
    oracle(o) = log sum_s exp(score_s(o) / TEMPERATURE)
and a shopper's oracle preference for an item is their hidden utility (world.user_item_utility).

`visible_outfit_score` is the oracle restricted to what pictures show: the same score with each
item's fibre, weight and occasion unknown, every term over them replaced by its expectation
given the item's visible attributes (world.visible_beliefs). The gap between the two oracles is
what a model can gain from reading the listings' words about those facts.
"""
import json
from functools import cached_property
from pathlib import Path

import numpy as np

from stylist_app.data.builtin import styles as S
from stylist_app.data.builtin.world import codes_from_attrs, user_item_utility, visible_beliefs


class Oracle:
    def __init__(self, directory: str | Path):
        hidden = json.loads((Path(directory) / "hidden" / "world.json").read_text())
        self.item_ids = [it["id"] for it in hidden["items"]]
        self.index = {iid: k for k, iid in enumerate(self.item_ids)}
        self.attrs = {it["id"]: it["attrs"] for it in hidden["items"]}
        self.item_style = {it["id"]: it["style"] for it in hidden["items"]}
        self.outfit_style = hidden["outfit_styles"]
        self.users = {u["id"]: u for u in hidden["users"]}
        self.tables = S.style_tables()
        self.codes = codes_from_attrs([it["attrs"] for it in hidden["items"]])

    @classmethod
    def for_wardrobe(cls, wardrobe) -> "Oracle | None":
        """The oracle of a builtin wardrobe, or None for any other source."""
        directory = wardrobe.source_dir
        if not wardrobe.spec.startswith("builtin") or directory is None or not (Path(directory) / "hidden" / "world.json").exists():
            return None
        return cls(directory)

    def _idx(self, item_ids) -> np.ndarray:
        return np.array([self.index[i] for i in item_ids])

    def outfit_score(self, item_ids) -> float:
        """log sum_s exp(score_s / T): the noise-free plausibility of an outfit."""
        z = S.outfit_scores_by_style(self.tables, self.codes, self._idx(item_ids)) / S.TEMPERATURE
        return float(z.max() + np.log(np.exp(z - z.max()).sum()))

    def outfit_scores(self, outfits) -> np.ndarray:
        return np.array([self.outfit_score(o) for o in outfits])

    @cached_property
    def visible_codes(self) -> S.ItemCodes:
        return visible_beliefs(self.tables, self.codes)

    def visible_outfit_score(self, item_ids) -> float:
        """The oracle restricted to what pictures show (fibre, weight, occasion at their expectation)."""
        z = S.outfit_scores_by_style(self.tables, self.visible_codes, self._idx(item_ids)) / S.TEMPERATURE
        return float(z.max() + np.log(np.exp(z - z.max()).sum()))

    def true_likes(self, user_id: str) -> tuple[set[str], set[str]]:
        """(items, outfits) the shopper truly likes: every one above their utility threshold, recorded or not."""
        u = self.users[user_id]
        return set(u["true_items"]), set(u["true_outfits"])

    def outfit_score_in_style(self, item_ids, style: str) -> float:
        """The hidden score of an outfit under one named style (for explaining what the rules miss)."""
        return float(S.outfit_scores_by_style(self.tables, self.codes, self._idx(item_ids))[S.STYLES.index(style)])

    def pair_term(self, a: str, b: str, style: str) -> float:
        """pair(a, b, s): the pairwise part of the hidden score, e.g. to check whether a rule's verdict holds."""
        return float(S.pair_score(self.tables, self.codes, self.index[a], self.index[b], S.STYLES.index(style)))

    @cached_property
    def _utility(self) -> dict[str, np.ndarray]:
        return {}

    def user_item_scores(self, user_id: str, item_ids=None) -> np.ndarray:
        """A shopper's hidden utility for items (all items, in catalog order, when item_ids is None)."""
        if user_id not in self._utility:
            u = self.users[user_id]
            self._utility[user_id] = user_item_utility(self.tables, self.codes, np.array(u["styles"]), np.array(u["leaning"]))
        util = self._utility[user_id]
        return util if item_ids is None else util[self._idx(item_ids)]

    def visible_user_scores(self, user_id: str, attrs: list[dict]) -> np.ndarray:
        """A shopper's hidden utility for items described only by what pictures show (category, colour, pattern,
        material, fit: "regular" when absent), fibre, weight and occasion at their expectation given those
        (`visible_beliefs`): how the taste scores a design's reading, or a catalog item on the same terms. A
        garment no style ever makes (a jersey beanie) scores -inf."""
        filled = [{"fit": "regular", **a, "fibre": "cotton", "weight": "mid", "occasion": "weekend"} for a in attrs]
        with np.errstate(invalid="ignore"):
            codes = visible_beliefs(self.tables, codes_from_attrs(filled))  # the placeholders give way to beliefs
            u = self.users[user_id]
            scores = user_item_utility(self.tables, codes, np.array(u["styles"]), np.array(u["leaning"]))
        return np.nan_to_num(scores, nan=-np.inf)

    def true_attributes(self, item_id: str) -> dict:
        """Every attribute of an item, stated in its listing or not (for measuring text queries)."""
        return dict(self.attrs[item_id])

"""Evaluation and training tasks for any Wardrobe, deterministic from a seed.

- FITB: an outfit with one blank and 4 candidates of the blank's slot, the true item first
  (shuffle before showing a person; metrics read column 0 as the answer). Hard variant:
  the wrong candidates share the blank's fine type.
- Compatibility: each true outfit and a negative outfit with the same slots (random items of
  each slot). Hard variant: negatives drawn in proportion to item popularity in the source's
  outfits, so that popularity alone scores 0.5.
- Top-bottom triplets: (top, its bottom, a random bottom), for complete-the-look models.
- User holdouts: a seeded random share of each user's purchases and of their liked outfits,
  held out (never the tail of the log: a generator's or a ranker's order would hold out
  each user's least liked).

Where a source ships its own questions (`Wardrobe.given_tasks`, e.g. Polyvore Outfits'
FITB and compatibility files), the easy variants use them.
"""
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from stylist_app.data.schema import DataError, Wardrobe


@dataclass(frozen=True)
class FITBQuestion:
    outfit_id: str
    items: tuple[str, ...]  # the outfit with the blank's item still in place
    position: int  # index of the blank in `items`
    candidates: tuple[str, ...]  # candidates[0] is the true item

    def context(self) -> tuple[str, ...]:
        return self.items[: self.position] + self.items[self.position + 1:]


@dataclass(frozen=True)
class CompatPair:
    positive: tuple[str, ...]
    negative: tuple[str, ...]


@dataclass(frozen=True)
class Holdout:
    user_id: str
    train_items: tuple[str, ...]
    test_items: tuple[str, ...]
    train_outfits: tuple[str, ...]
    test_outfits: tuple[str, ...]


def _rng(seed: int, *salt: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(sum(map(ord, s)) for s in salt)])


def _pools(wardrobe: Wardrobe, key) -> dict:
    pools: dict = {}
    for item in wardrobe.items.values():
        pools.setdefault(key(item), []).append(item.id)
    return pools


def _draw_other(rng, pool: list[str], exclude: set[str], k: int) -> list[str] | None:
    """k distinct items of `pool` outside `exclude`, or None when the pool is too small."""
    if len(pool) - len(exclude & set(pool)) < k:
        return None
    out: list[str] = []
    while len(out) < k:
        x = pool[int(rng.integers(len(pool)))]
        if x not in exclude and x not in out:
            out.append(x)
    return out


def fitb_questions(wardrobe: Wardrobe, split: str = "test", seed: int = 0, n_candidates: int = 4,
                   hard: bool = False) -> list[FITBQuestion]:
    """One FITB question per outfit of 2+ items in `split` (a source's own questions when it has them)."""
    given = wardrobe.given_tasks.get("fitb", {}).get(split)
    if given and not hard:
        return [FITBQuestion(f"given-{k}", tuple(q["items"]), int(q["position"]), tuple(q["candidates"]))
                for k, q in enumerate(given)]
    rng = _rng(seed, "fitb", split, str(hard))
    by_slot = _pools(wardrobe, lambda i: i.slot)
    by_type = _pools(wardrobe, lambda i: (i.slot, i.category))
    questions = []
    for outfit in wardrobe.split_outfits(split):
        if len(outfit.items) < 2:
            continue
        pos = int(rng.integers(len(outfit.items)))
        answer = wardrobe.items[outfit.items[pos]]
        pool = by_type[(answer.slot, answer.category)] if hard else by_slot[answer.slot]
        wrong = _draw_other(rng, pool, set(outfit.items), n_candidates - 1)
        if wrong is None and hard:  # too few of this fine type: fall back to the slot
            wrong = _draw_other(rng, by_slot[answer.slot], set(outfit.items), n_candidates - 1)
        if wrong is None:
            continue
        questions.append(FITBQuestion(outfit.id, outfit.items, pos, (answer.id, *wrong)))
    return questions


def item_popularity(wardrobe: Wardrobe, split: str = "train") -> Counter:
    """How many outfits of `split` each item appears in."""
    return Counter(i for o in wardrobe.split_outfits(split) for i in o.items)


def compatibility_pairs(wardrobe: Wardrobe, split: str = "test", seed: int = 0, hard: bool = False) -> list[CompatPair]:
    """Each outfit of `split` against an outfit of random items with the same slots.

    The hard negatives draw each item with probability proportional to its number of
    appearances in the split's outfits (so a popularity scorer sees the same distribution
    in positives and negatives and scores 0.5).
    """
    given = wardrobe.given_tasks.get("compat", {}).get(split)
    positives = [o.items for o in wardrobe.split_outfits(split)]
    if given and not hard:
        positives = [tuple(q["items"]) for q in given if int(q["label"]) == 1]
        negatives = [tuple(q["items"]) for q in given if int(q["label"]) == 0]
        if negatives:  # a source with only positives gets our own negatives below
            return [CompatPair(p, n) for p, n in zip(positives, negatives)]
    rng = _rng(seed, "compat", split, str(hard))
    by_slot = _pools(wardrobe, lambda i: i.slot)
    weights = {}
    if hard:
        pop = item_popularity(wardrobe, split)
        for slot, pool in by_slot.items():
            w = np.array([pop.get(i, 0) for i in pool], dtype=float)
            weights[slot] = w / w.sum() if w.sum() > 0 else None
    pairs = []
    for outfit in positives:
        negative = []
        for iid in outfit:
            slot = wardrobe.items[iid].slot
            pool = by_slot[slot]
            for _ in range(20):  # avoid repeating an item within the negative
                k = rng.choice(len(pool), p=weights.get(slot)) if hard else rng.integers(len(pool))
                if pool[int(k)] not in negative:
                    break
            negative.append(pool[int(k)])
        pairs.append(CompatPair(tuple(outfit), tuple(negative)))
    return pairs


def top_bottom_triplets(wardrobe: Wardrobe, split: str = "train", seed: int = 0) -> list[tuple[str, str, str]]:
    """(top, bottom it was worn with, a random other bottom) for each top-bottom pair in `split`."""
    given = wardrobe.given_tasks.get("triplets", {}).get(split)
    if given:
        return [tuple(t) for t in given]
    rng = _rng(seed, "triplets", split)
    bottoms = wardrobe.items_in_slot("bottom")
    if len(bottoms) < 2:
        raise DataError(f"{wardrobe.spec}: top-bottom triplets need at least 2 bottoms in the catalog")
    triplets = []
    for outfit in wardrobe.split_outfits(split):
        slots = [wardrobe.items[i].slot for i in outfit.items]
        for top in (i for i, s in zip(outfit.items, slots) if s == "top"):
            for bottom in (i for i, s in zip(outfit.items, slots) if s == "bottom"):
                neg = _draw_other(rng, bottoms, {bottom}, 1)
                triplets.append((top, bottom, neg[0]))
    return triplets


def user_holdouts(wardrobe: Wardrobe, share: float = 0.2, seed: int = 0) -> list[Holdout]:
    """Per user: a seeded random `share` (at least one, when there are two or more) of purchases and
    of liked outfits is held out. Both halves keep the log's order; the draw depends only on
    `seed` and the user's id, so adding users never moves another user's hold-outs."""
    out = []
    for user in wardrobe.users.values():
        parts = []
        for name, seq in (("purchases", user.purchases), ("liked", user.liked_outfits)):
            n = max(1, round(share * len(seq))) if len(seq) > 1 else 0
            rng = np.random.default_rng([seed, zlib.crc32(f"holdout/{name}/{user.id}".encode())])
            held = set(rng.choice(len(seq), n, replace=False).tolist()) if n else set()
            parts.append((tuple(x for k, x in enumerate(seq) if k not in held),
                          tuple(x for k, x in enumerate(seq) if k in held)))
        (train_items, test_items), (train_outfits, test_outfits) = parts
        out.append(Holdout(user.id, train_items, test_items, train_outfits, test_outfits))
    return out

"""Evaluation and training tasks for any Wardrobe, deterministic from a seed.

- FITB: an outfit with one blank and 4 candidates of the blank's slot, the true item first
  (shuffle before showing a person; metrics read column 0 as the answer). Hard variant:
  the wrong candidates share the blank's fine type. Popularity-matched variant: the wrong
  candidates are drawn from the 10 items of the blank's slot whose number of training outfits
  is nearest the true item's, so that popularity alone is near chance.
- Compatibility: each true outfit and a negative outfit with the same slots (random items of
  each slot). Hard variant: negatives drawn in proportion to item popularity in the source's
  outfits, so that popularity alone scores 0.5.
- Top-bottom triplets: (top, its bottom, a random bottom), for complete-the-look models.
  Rankings (`ranking_tasks`): each worn bottom among 100 random ones, with hard negatives.
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
                   hard: bool = False, popular: bool = False) -> list[FITBQuestion]:
    """One FITB question per outfit of 2+ items in `split` (a source's own questions when it has them, for the
    easy variant); `hard`: wrong candidates of the blank's fine type; `popular`: of its popularity."""
    given = wardrobe.given_tasks.get("fitb", {}).get(split)
    if given and not hard and not popular:
        return [FITBQuestion(f"given-{k}", tuple(q["items"]), int(q["position"]), tuple(q["candidates"]))
                for k, q in enumerate(given)]
    rng = _rng(seed, "fitb", split, str(hard), *(("popular",) if popular else ()))
    by_slot = _pools(wardrobe, lambda i: i.slot)
    by_type = _pools(wardrobe, lambda i: (i.slot, i.category))
    counts = item_popularity(wardrobe, "train") if popular else None
    questions = []
    for outfit in wardrobe.split_outfits(split):
        if len(outfit.items) < 2:
            continue
        pos = int(rng.integers(len(outfit.items)))
        answer = wardrobe.items[outfit.items[pos]]
        pool = by_type[(answer.slot, answer.category)] if hard else by_slot[answer.slot]
        if popular:
            others = [i for i in pool if i not in outfit.items]
            pool = sorted(others, key=lambda i: (abs(counts[i] - counts[answer.id]), zlib.crc32(i.encode())))[:10]
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


@dataclass
class RankingTasks:
    """Held-out top-bottom questions of one split, as aligned id lists (AKD-DBPR's protocol).

    - triplets (top, worn bottom, random bottom): AUC;
    - the worn bottom among `n_candidates` random other bottoms (column 0): MRR and hit@10;
    - hard negatives: drawn in proportion to the bottoms' popularity in the split's outfits
      (popularity alone scores 0.5: `auc_hard`), and of the worn bottom's fine type (`auc_same_type`);
    - cold start: the questions whose top is in no training outfit.
    """

    tops: list[str]
    positives: list[str]
    negatives: list[str]
    candidates: list[list[str]]
    popular_negatives: list[str]
    same_type_negatives: list[str]
    cold: np.ndarray  # boolean mask over the questions


def ranking_tasks(wardrobe: Wardrobe, split: str = "test", seed: int = 0, n_candidates: int = 100) -> RankingTasks:
    """The `split`'s top-bottom triplets with their candidate lists and hard negatives (RankingTasks)."""
    triplets = top_bottom_triplets(wardrobe, split)
    if not triplets:
        raise DataError(f"{wardrobe.spec}: no outfit of the {split!r} split has a top and a bottom to evaluate on")
    bottoms = np.asarray(wardrobe.items_in_slot("bottom"), dtype=object)
    by_type: dict[str, list[str]] = {}
    for b in bottoms:
        by_type.setdefault(wardrobe.items[b].category, []).append(b)
    pop = item_popularity(wardrobe, split)
    weights = np.array([pop.get(b, 0) for b in bottoms], dtype=float) + 1e-9
    rng = np.random.default_rng(seed)
    candidates, popular, same_type = [], [], []
    for _, j, _ in triplets:
        others = rng.choice(len(bottoms), size=min(n_candidates + 1, len(bottoms)), replace=False)
        candidates.append([j] + [b for b in bottoms[others] if b != j][:n_candidates])
        w = weights * (bottoms != j)
        popular.append(bottoms[rng.choice(len(bottoms), p=w / w.sum())])
        pool = [b for b in by_type[wardrobe.items[j].category] if b != j] or [b for b in bottoms if b != j]
        same_type.append(pool[int(rng.integers(len(pool)))])
    seen = {i for o in wardrobe.split_outfits("train") for i in o.items}
    tops = [t for t, _, _ in triplets]
    return RankingTasks(tops, [j for _, j, _ in triplets], [k for _, _, k in triplets], candidates, popular, same_type,
                        np.array([t not in seen for t in tops], dtype=bool))


@dataclass(frozen=True)
class LikesRanking:
    """One shopper's held-out likes question (FND's protocol): rank `liked` among `negatives`."""

    user_id: str
    liked: tuple[str, ...]  # the user's liked outfits of the split
    negatives: tuple[str, ...]  # catalog outfits the user never liked


def like_splits(wardrobe: Wardrobe) -> dict[str, list[tuple[str, str]]]:
    """Every (user, liked outfit) pair, split: "test" the held-out share of each user's likes (`user_holdouts`),
    "valid" the last remaining like of each user who has two or more, "train" the rest."""
    pairs = {"train": [], "valid": [], "test": []}
    for h in user_holdouts(wardrobe):
        train = list(h.train_outfits)
        if len(train) >= 2:
            pairs["valid"].append((h.user_id, train.pop()))
        pairs["train"] += [(h.user_id, o) for o in train]
        pairs["test"] += [(h.user_id, o) for o in h.test_outfits]
    return pairs


def held_out_likes(wardrobe: Wardrobe, split: str = "test", n_negatives: int = 100, seed: int = 0) -> list[LikesRanking]:
    """Per user with a like in `split` (`like_splits`), in the wardrobe's user order: those liked outfits and
    `n_negatives` catalog outfits the user never liked, drawn uniformly without replacement from one generator
    seeded by `seed` only, so that every model ranks the same lists."""
    pairs = like_splits(wardrobe)
    if split not in pairs:
        raise DataError(f"held-out likes rank a source's own users' outfits: split {split!r} does not apply "
                        "(use test or valid)")
    liked: dict[str, list[str]] = {}
    for user, outfit in pairs[split]:
        liked.setdefault(user, []).append(outfit)
    outfit_ids = list(wardrobe.outfits)
    row = {o: n for n, o in enumerate(outfit_ids)}
    rng = np.random.default_rng(seed)
    out = []
    for user in (u for u in wardrobe.users.values() if u.id in liked):
        pool = np.setdiff1d(np.arange(len(outfit_ids)), sorted(row[o] for o in user.liked_outfits))
        drawn = rng.choice(pool, min(n_negatives, len(pool)), replace=False)
        out.append(LikesRanking(user.id, tuple(liked[user.id]), tuple(outfit_ids[o] for o in drawn)))
    return out


@dataclass
class HeldOutPurchases:
    """Per evaluated user (DVBPR's protocol): their row, held-out item rows, and every item row they bought.

    A user's held-out items are ranked against every catalog item they never bought (`bought` is
    never a negative); the cold-item variant keeps only the items of `Purchases.cold_items`.
    """

    users: list[int]
    positives: list[np.ndarray]
    bought: list[np.ndarray]


@dataclass
class Purchases:
    """Every user's purchases as catalog rows (users and items in the wardrobe's order), split three ways:
    "test" the held-out share of each user's purchases (`user_holdouts`), "valid" the last remaining
    purchase of each user who has two or more, "train" the rest as (user row, item row) pairs."""

    train: np.ndarray  # (P, 2)
    valid: HeldOutPurchases
    test: HeldOutPurchases

    @classmethod
    def from_wardrobe(cls, wardrobe: Wardrobe) -> "Purchases":
        item_row = {iid: k for k, iid in enumerate(wardrobe.items)}
        user_row = {uid: k for k, uid in enumerate(wardrobe.users)}
        pairs, valid, test = [], HeldOutPurchases([], [], []), HeldOutPurchases([], [], [])
        for h in user_holdouts(wardrobe):
            u = user_row[h.user_id]
            train = [item_row[i] for i in h.train_items]
            held = [item_row[i] for i in h.test_items]
            bought = np.array(train + held)
            if len(train) > 1:
                valid.users.append(u)
                valid.positives.append(np.array(train[-1:]))
                valid.bought.append(bought)
                train = train[:-1]
            if held:
                test.users.append(u)
                test.positives.append(np.array(held))
                test.bought.append(bought)
            pairs += [(u, i) for i in train]
        if not pairs:
            raise DataError(f"{wardrobe.spec}: no user has a purchase history to train on")
        return cls(np.array(pairs, dtype=np.int64), valid, test)

    def cold_items(self, n_items: int) -> np.ndarray:
        """Item rows no user bought in the training pairs (cold items)."""
        return np.setdiff1d(np.arange(n_items), self.train[:, 1])

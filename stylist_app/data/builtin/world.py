"""Generate the studio world deterministically from a seed: items, outfits, users, splits.

1. Items: a slot by catalog share, an origin style, then type, material, colour, pattern,
   fit and length drawn from that style's preferences (so a catalog has coherent looks
   but every style also meets every colour). Text from `texts.listing`.
2. Outfits: a style per outfit and a slot template (top+bottom or dress, shoes, optional
   outerwear, bag and accessories: 3-7 items); items drawn by Gibbs sampling from
   p(item | rest) ~ exp(score / TEMPERATURE) over random candidates of the slot, where score
   is the hidden outfit score of `styles.py`. The sampling is the noise.
   Train outfits never use the cold-start items.
3. Users: a taste (a sparse mix of styles and colour-family leanings); purchases drawn by
   Gumbel top-k on their item utility, liked outfits likewise on outfit utility.
"""
from dataclasses import dataclass, field

import numpy as np

from stylist_app.data.builtin import styles as S
from stylist_app.data.builtin.texts import listing
from stylist_app.data.builtin.vocab import COLOUR_FAMILIES, COLOURS, FINE_TYPES, FITS, PATTERNS
from stylist_app.data.schema import SLOTS

SLOT_SHARE = {"top": 0.24, "bottom": 0.19, "dress": 0.07, "outerwear": 0.1, "shoes": 0.15, "bag": 0.1, "accessory": 0.15}
# Per style: P(dress instead of top+bottom), P(outerwear), P(bag), P(accessory), P(second accessory | accessory)
TEMPLATE = {
    "minimalist": (0.12, 0.4, 0.6, 0.3, 0.1), "street": (0.04, 0.4, 0.5, 0.6, 0.3),
    "preppy": (0.08, 0.4, 0.5, 0.4, 0.2), "boho": (0.35, 0.2, 0.6, 0.5, 0.3),
    "sporty": (0.03, 0.3, 0.5, 0.5, 0.2), "office": (0.12, 0.6, 0.7, 0.3, 0.1),
    "evening": (0.6, 0.3, 0.9, 0.2, 0.1), "grunge": (0.08, 0.6, 0.3, 0.6, 0.3),
}
# Outfit positions in order; the last is a second accessory.
POSITIONS = SLOTS + ("accessory",)
COLD_SHARE = 0.08
SPLIT_SHARE = (0.8, 0.1, 0.1)
CANDIDATES = 64  # random candidates per Gibbs step
SWEEPS = 3
KNIT_MATERIALS = {"knit", "wool", "cashmere"}
PLAIN_ONLY = {"sunglasses", "belt", "puffer", "leggings"}


@dataclass
class WorldConfig:
    n_items: int | None = None
    n_outfits: int | None = None
    n_users: int | None = None
    seed: int = 0
    image_size: int = 224

    def __post_init__(self):
        self.n_items = 5000 if self.n_items is None else self.n_items
        self.n_outfits = 10000 if self.n_outfits is None else self.n_outfits
        self.n_users = 500 if self.n_users is None else self.n_users
        if self.n_items < 2 * len(SLOTS) * 4:
            raise ValueError(f"--items must be at least {2 * len(SLOTS) * 4} (a few items per slot), got {self.n_items}")
        if self.n_outfits < 10:
            raise ValueError(f"--outfits must be at least 10, got {self.n_outfits}")


@dataclass
class World:
    """Everything generated, hidden parts included. Only `to_wardrobe()`'s output reaches models."""

    config: WorldConfig
    items: list[dict]  # public listing + "hidden": {style, attrs}
    codes: S.ItemCodes
    item_style: np.ndarray
    outfits: list[dict]  # {"id", "items": [idx...], "split", "style"}
    cold: np.ndarray  # item indices
    users: list[dict] = field(default_factory=list)  # {"id", "purchases", "liked", "styles", "leaning"}


def _softmax_choice(rng, logits, temperature=1.0):
    p = np.exp((logits - logits.max()) / temperature)
    return int(rng.choice(len(p), p=p / p.sum()))


def _pattern_options(ft, material: str) -> list[int]:
    if ft.name in PLAIN_ONLY:
        return [PATTERNS.index("solid")]
    if material == "denim":
        return [PATTERNS.index("denim wash"), PATTERNS.index("solid")]
    if ft.slot in ("shoes", "bag", "accessory"):
        allowed = {"solid", "animal", "checks", "stripes", "dots"}
    else:
        allowed = set(PATTERNS) - {"denim wash"} - ({"knit"} if material not in KNIT_MATERIALS else set())
    return [k for k, p in enumerate(PATTERNS) if p in allowed]


def _make_items(cfg: WorldConfig, rng, tables: S.StyleTables):
    slots = rng.choice(list(SLOT_SHARE), size=cfg.n_items, p=np.array(list(SLOT_SHARE.values())))
    # every slot gets at least 8 items, whatever the size
    for k, slot in enumerate(SLOT_SHARE):
        slots[k * 8:(k + 1) * 8] = slot
    rng.shuffle(slots)
    styles = rng.integers(len(S.STYLES), size=cfg.n_items)
    items, codes = [], {k: [] for k in ("type", "colour", "pattern", "material", "fit")}
    for idx in range(cfg.n_items):
        s = styles[idx]
        in_slot = [k for k, t in enumerate(FINE_TYPES) if t.slot == slots[idx]]
        t = in_slot[_softmax_choice(rng, tables.type_pref[s, in_slot], 0.8)]
        ft = FINE_TYPES[t]
        mats = [S.MATERIAL_NAMES.index(m) for m in ft.materials]
        m = mats[_softmax_choice(rng, tables.material_pref[s, mats], 0.8)]
        c = _softmax_choice(rng, tables.colour_pref[s], 0.9)
        pats = _pattern_options(ft, S.MATERIAL_NAMES[m])
        p = pats[_softmax_choice(rng, tables.pattern_pref[s, pats], 0.8)]
        f = _softmax_choice(rng, tables.fit_pref[s]) if ft.slot in ("top", "bottom", "dress", "outerwear") else FITS.index("regular")
        colour2 = COLOURS[int(rng.integers(len(COLOURS)))].name
        attrs = {"category": ft.name, "colour": COLOURS[c].name, "colour2": colour2, "pattern": PATTERNS[p],
                 "material": S.MATERIAL_NAMES[m], "fit": FITS[f], "length": ft.lengths[int(rng.integers(len(ft.lengths)))],
                 "seed": int(rng.integers(2**31))}
        title, description, stated = listing(rng, attrs, S.STYLES[s])
        items.append({"id": f"item-{idx:05d}", "slot": ft.slot, "category": ft.name, "title": title,
                      "description": description, "attributes": stated,
                      "hidden": {"style": S.STYLES[s], "attrs": attrs}})
        for key, v in zip(codes, (t, c, p, m, f)):
            codes[key].append(v)
    return items, S.ItemCodes.from_codes(*(np.array(codes[k]) for k in codes)), styles


def _sample_outfits(cfg: WorldConfig, rng, tables, codes: S.ItemCodes, item_slots: np.ndarray, cold: np.ndarray):
    n = cfg.n_outfits
    split = np.array(["train", "valid", "test"])[rng.choice(3, size=n, p=SPLIT_SHARE)]
    style = rng.integers(len(S.STYLES), size=n)
    probs = np.array([TEMPLATE[S.STYLES[s]] for s in style])
    u = rng.random((n, 5))
    dress = u[:, 0] < probs[:, 0]
    has = np.zeros((n, len(POSITIONS)), dtype=bool)
    has[:, POSITIONS.index("top")] = has[:, POSITIONS.index("bottom")] = ~dress
    has[:, POSITIONS.index("dress")] = dress
    has[:, POSITIONS.index("outerwear")] = u[:, 1] < probs[:, 1]
    has[:, POSITIONS.index("shoes")] = True
    has[:, 5] = u[:, 2] < probs[:, 2]
    has[:, 6] = u[:, 3] < probs[:, 3]
    has[:, 6] |= dress & ~has[:, 5]  # a dress look has at least three pieces
    has[:, 7] = has[:, 6] & (u[:, 4] < probs[:, 4])

    is_cold = np.zeros(len(item_slots), dtype=bool)
    is_cold[cold] = True
    pools = {(slot, train): np.flatnonzero((item_slots == slot) & ~(is_cold & train)) for slot in SLOTS for train in (True, False)}
    chosen = np.full((n, len(POSITIONS)), -1)

    def step(pos: int, fit_only: bool):
        rows_all = np.flatnonzero(has[:, pos])
        for train in (True, False):
            rows = rows_all[(split[rows_all] == "train") == train]
            if not len(rows):
                continue
            pool = pools[(POSITIONS[pos], train)]
            cand = pool[rng.integers(len(pool), size=(len(rows), CANDIDATES))]
            if not fit_only:
                cand[:, 0] = np.where(chosen[rows, pos] >= 0, chosen[rows, pos], cand[:, 0])
            s = style[rows][:, None]
            score = S.item_fit(tables, codes, cand, s)
            if not fit_only:
                for q in range(len(POSITIONS)):
                    other = chosen[rows, q]
                    ok = (q != pos) & (other >= 0)
                    if not ok.any():
                        continue
                    o = np.where(ok, other, 0)[:, None]
                    score = score + np.where(ok[:, None], S.pair_score(tables, codes, cand, o, s), 0.0)
                    score = np.where(ok[:, None] & (cand == o), -np.inf, score)  # no item twice
            gumbel = -np.log(-np.log(rng.random(score.shape)))
            chosen[rows, pos] = cand[np.arange(len(rows)), np.argmax(score / S.TEMPERATURE + gumbel, 1)]

    for pos in range(len(POSITIONS)):
        step(pos, fit_only=True)
    for _ in range(SWEEPS):
        for pos in range(len(POSITIONS)):
            step(pos, fit_only=False)
    outfits = []
    for k in range(n):
        idx = [int(chosen[k, p]) for p in range(len(POSITIONS)) if has[k, p]]
        outfits.append({"id": f"outfit-{k:05d}", "items": idx, "split": str(split[k]), "style": S.STYLES[style[k]]})
    return outfits


def user_item_utility(tables, codes: S.ItemCodes, style_mix: np.ndarray, leaning: np.ndarray) -> np.ndarray:
    """A user's hidden utility for every item: log sum_s w_s exp(fit(i, s)) + leaning[colour family]."""
    all_items = np.arange(len(codes.type))
    fits = S.item_fit(tables, codes, all_items[None, :], np.arange(len(S.STYLES))[:, None])  # (S, n)
    logw = np.log(style_mix + 1e-9)[:, None]
    m = (fits + logw).max(0)
    family = np.array([COLOUR_FAMILIES.index(c.family) for c in COLOURS])[codes.colour]
    return m + np.log(np.exp(fits + logw - m).sum(0)) + leaning[family]


def _gumbel_top_k(rng, logits: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(logits - np.log(-np.log(rng.random(len(logits))))))[:k]


def _make_users(cfg: WorldConfig, rng, tables, codes: S.ItemCodes, outfits: list[dict]):
    width = max(len(o["items"]) for o in outfits)
    members = np.zeros((len(outfits), width), dtype=int)
    mask = np.zeros((len(outfits), width))
    for k, o in enumerate(outfits):
        members[k, : len(o["items"])] = o["items"]
        mask[k, : len(o["items"])] = 1.0
    outfit_style = np.array([S.STYLES.index(o["style"]) for o in outfits])
    users = []
    for k in range(cfg.n_users):
        mix = rng.dirichlet(np.full(len(S.STYLES), 0.3))
        leaning = rng.normal(0, 0.8, len(COLOUR_FAMILIES))
        util = user_item_utility(tables, codes, mix, leaning)
        purchases = _gumbel_top_k(rng, util / 0.7, int(rng.integers(16, 41)))
        outfit_util = (util[members] * mask).sum(1) / mask.sum(1) + np.log(mix[outfit_style] + 1e-9)
        liked = _gumbel_top_k(rng, outfit_util / 0.7, min(len(outfits), int(rng.integers(8, 21))))
        users.append({"id": f"user-{k:04d}", "purchases": [int(i) for i in purchases], "liked": [int(o) for o in liked],
                      "styles": [round(float(w), 6) for w in mix], "leaning": [round(float(x), 6) for x in leaning]})
    return users


def generate(cfg: WorldConfig) -> World:
    rng = np.random.default_rng(cfg.seed)
    tables = S.style_tables()
    items, codes, item_style = _make_items(cfg, rng, tables)
    item_slots = np.array([it["slot"] for it in items])
    cold = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(item_slots == slot), size=max(1, int(COLD_SHARE * (item_slots == slot).sum())), replace=False)
        for slot in SLOTS]))
    outfits = _sample_outfits(cfg, rng, tables, codes, item_slots, cold)
    world = World(cfg, items, codes, item_style, outfits, cold)
    world.users = _make_users(cfg, rng, tables, codes, outfits)
    return world

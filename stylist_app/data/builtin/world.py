"""Generate the studio world deterministically from a seed: items, outfits, users, splits.

1. Items: a slot by catalog share, an origin style, then type, material, colour, pattern,
   fit and length drawn from that style's preferences (so a catalog has coherent looks
   but every style also meets every colour). Then what a picture cannot show (world v2):
   a fibre given the texture and style, a weight given the warmth of type and texture and
   the fibre, an occasion given type, texture, fibre and style (styles.fibre_probs, ...).
   Text from `texts.listing`.
2. Outfits: a style per outfit and a slot template (top+bottom or dress, shoes, optional
   outerwear, bag and accessories: 3-7 items); items drawn by Gibbs sampling from
   p(item | rest) ~ exp(score / TEMPERATURE) over random candidates of the slot, where score
   is the hidden outfit score of `styles.py`. The sampling is the noise.
   Train outfits never use the cold-start items. Splits have exact sizes (10 % valid, 10 %
   test, at least one each); `train_share` then keeps a seeded random share of the training
   outfits (valid and test unchanged, outfit ids kept).
3. Users: a taste (a sparse mix of styles and colour-family leanings). Each shopper truly
   likes every item and every outfit above a utility threshold: their top 0.8-2.4 % of items
   (dozens of a 5,000-item catalog) and 1.5-4.5 % of outfits (hundreds of 10,000). Only a
   share `observed` of those likes is recorded (each like independently, at least two per
   shopper), as in real logs, where an unrecorded like is not a dislike. The recorded
   purchases and liked outfits are written in a random order, never in the order of the
   shopper's utility.

Randomness comes from separate streams per stage (items, outfits, users, recording, train
share), so `observed` and `train_share` change only what they are about: a smaller
`observed` records a subset of a larger one's likes, and a smaller `train_share` keeps a
subset of a larger one's training outfits.
"""
from dataclasses import dataclass, field

import numpy as np

from stylist_app.data.builtin import styles as S
from stylist_app.data.builtin.texts import listing
from stylist_app.data.builtin.vocab import (COLOUR_FAMILIES, COLOURS, FIBRES, FINE_TYPES, FITS, MATERIALS, OCCASIONS,
                                            PATTERNS, WEIGHTS)
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
VALID_SHARE = TEST_SHARE = 0.1
MIN_OUTFITS = 10  # 8 train, 1 valid, 1 test
CANDIDATES = 64  # random candidates per Gibbs step
SWEEPS = 3
KNIT_MATERIALS = {"knit", "wool", "cashmere"}
PLAIN_ONLY = {"sunglasses", "belt", "puffer", "leggings"}
# Sampling temperatures of the visible attributes (lower = a style's favourites more often).
T_TYPE, T_MATERIAL, T_COLOUR, T_PATTERN, T_FIT = 0.8, 0.8, 0.9, 0.8, 1.0
# Second colour of a print (stripes, checks, dots...): a neutral most of the time, as on real
# prints (navy and white breton, black and white gingham), else any colour that contrasts.
NEUTRAL_SECOND = 0.6
# Shoppers: the share of the catalog each truly likes (uniform in these ranges), at least MIN_TRUE.
TRUE_ITEM_SHARE = (0.008, 0.024)
TRUE_OUTFIT_SHARE = (0.015, 0.045)
MIN_TRUE = 8
MIN_RECORDED = 2
STREAMS = {"items": 1, "outfits": 2, "users": 3, "record": 4, "train_share": 5, "cold": 6}


@dataclass
class WorldConfig:
    n_items: int | None = None
    n_outfits: int | None = None
    n_users: int | None = None
    seed: int = 0
    image_size: int = 224
    observed: float = 0.2  # share of each shopper's true likes that the log records
    train_share: float = 1.0  # share of training outfits kept (valid and test unchanged)

    def __post_init__(self):
        self.n_items = 5000 if self.n_items is None else self.n_items
        self.n_outfits = 10000 if self.n_outfits is None else self.n_outfits
        self.n_users = 500 if self.n_users is None else self.n_users
        if self.n_items < 2 * len(SLOTS) * 4:
            raise ValueError(f"--items must be at least {2 * len(SLOTS) * 4} (a few items per slot), got {self.n_items}")
        if self.n_outfits < MIN_OUTFITS:
            raise ValueError(f"--outfits must be at least {MIN_OUTFITS} (to split into train, valid and test), "
                             f"got {self.n_outfits}")
        if self.n_users < 0:
            raise ValueError(f"--users must be >= 0, got {self.n_users}")
        for name, value in (("observed", self.observed), ("train-share", self.train_share)):
            if not (isinstance(value, (int, float)) and 0 < value <= 1):
                raise ValueError(f"--{name} must be in (0, 1], got {value}")


@dataclass
class World:
    """Everything generated, hidden parts included. Only `to_wardrobe()`'s output reaches models."""

    config: WorldConfig
    items: list[dict]  # public listing + "hidden": {style, attrs}
    codes: S.ItemCodes
    item_style: np.ndarray
    outfits: list[dict]  # {"id", "items": [idx...], "split", "style"}
    cold: np.ndarray  # item indices
    users: list[dict] = field(default_factory=list)
    # {"id", "purchases", "liked" (recorded, random order), "true_items", "true_outfits", "styles", "leaning"}


def _stream(cfg: WorldConfig, name: str) -> np.random.Generator:
    return np.random.default_rng([cfg.seed, STREAMS[name]])


# ----------------------------------------------------------------------------- item generation tables
def _log_softmax(z: np.ndarray, axis=-1) -> np.ndarray:
    m = np.max(np.where(np.isfinite(z), z, -np.inf), axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


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


@dataclass
class MakeTables:
    """log P(visible attribute | maker's style, ...) as used to draw every item: shared by the
    generator and by the oracle restricted to pictures (which inverts them to a style posterior)."""

    type: np.ndarray  # (S, n_types): log P(type | style, its slot)
    material: np.ndarray  # (S, n_types, n_materials)
    colour: np.ndarray  # (S, n_colours)
    pattern: np.ndarray  # (S, n_types, n_materials, n_patterns)
    fit: np.ndarray  # (S, n_types, n_fits)


def make_tables(tables: S.StyleTables) -> MakeTables:
    n_s, n_t, n_m, n_p, n_f = len(S.STYLES), len(FINE_TYPES), len(S.MATERIAL_NAMES), len(PATTERNS), len(FITS)
    lt = np.full((n_s, n_t), -np.inf)
    for slot in SLOTS:
        cols = [k for k, t in enumerate(FINE_TYPES) if t.slot == slot]
        lt[:, cols] = _log_softmax(tables.type_pref[:, cols].astype(np.float64) / T_TYPE)
    lm = np.full((n_s, n_t, n_m), -np.inf)
    lp = np.full((n_s, n_t, n_m, n_p), -np.inf)
    lf = np.full((n_s, n_t, n_f), -np.inf)
    for t, ft in enumerate(FINE_TYPES):
        mats = [S.MATERIAL_NAMES.index(m) for m in ft.materials]
        lm[:, t, mats] = _log_softmax(tables.material_pref[:, mats].astype(np.float64) / T_MATERIAL)
        for m in mats:
            pats = _pattern_options(ft, S.MATERIAL_NAMES[m])
            lp[:, t, m, pats] = _log_softmax(tables.pattern_pref[:, pats].astype(np.float64) / T_PATTERN)
        if ft.slot in ("top", "bottom", "dress", "outerwear"):
            lf[:, t] = _log_softmax(tables.fit_pref.astype(np.float64) / T_FIT)
        else:
            lf[:, t, FITS.index("regular")] = 0.0
    lc = _log_softmax(tables.colour_pref.astype(np.float64) / T_COLOUR)
    return MakeTables(lt, lm, lc, lp, lf)


def _draw(rng, logp: np.ndarray) -> int:
    p = np.exp(logp - logp.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def _second_colour(rng, c: int) -> int:
    """A print's second colour: a contrasting neutral most of the time, else any contrasting colour."""
    lum = np.array([0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in (x.rgb for x in COLOURS)]) / 255
    neutral = np.array([x.family == "neutral" for x in COLOURS])
    ok = (np.abs(lum - lum[c]) > 0.25) & (np.arange(len(COLOURS)) != c)
    pool = np.flatnonzero(ok & neutral) if rng.random() < NEUTRAL_SECOND and (ok & neutral).any() else np.flatnonzero(ok)
    return int(pool[int(rng.integers(len(pool)))])


def _make_items(cfg: WorldConfig, rng, tables: S.StyleTables, mt: MakeTables):
    slots = rng.choice(list(SLOT_SHARE), size=cfg.n_items, p=np.array(list(SLOT_SHARE.values())))
    # every slot gets at least 8 items, whatever the size
    for k, slot in enumerate(SLOT_SHARE):
        slots[k * 8:(k + 1) * 8] = slot
    rng.shuffle(slots)
    styles = rng.integers(len(S.STYLES), size=cfg.n_items)
    items, codes = [], {k: [] for k in ("type", "colour", "pattern", "material", "fit", "fibre", "weight", "occasion")}
    t_warm = np.array([t.warmth for t in FINE_TYPES])
    m_warm = np.array([MATERIALS[m][0] for m in S.MATERIAL_NAMES])
    slot_of = np.array([t.slot for t in FINE_TYPES])
    for idx in range(cfg.n_items):
        s = styles[idx]
        t = _draw(rng, np.where(slot_of == slots[idx], mt.type[s], -np.inf))
        ft = FINE_TYPES[t]
        m = _draw(rng, mt.material[s, t])
        c = _draw(rng, mt.colour[s])
        p = _draw(rng, mt.pattern[s, t, m])
        f = _draw(rng, mt.fit[s, t])
        colour2 = COLOURS[_second_colour(rng, c)].name
        length = ft.lengths[int(rng.integers(len(ft.lengths)))]
        # what a picture cannot show
        fb = int(rng.choice(len(FIBRES), p=S.fibre_probs(tables, m, s)))
        w = int(rng.choice(len(WEIGHTS), p=S.weight_probs(t, 0.6 * t_warm[t] + 0.4 * m_warm[m], fb)))
        o = int(rng.choice(len(OCCASIONS), p=S.occasion_probs(tables, t, m, fb, s)))
        attrs = {"category": ft.name, "colour": COLOURS[c].name, "colour2": colour2, "pattern": PATTERNS[p],
                 "material": S.MATERIAL_NAMES[m], "fit": FITS[f], "length": length,
                 "fibre": FIBRES[fb], "weight": WEIGHTS[w], "occasion": OCCASIONS[o],
                 "seed": int(rng.integers(2**31))}
        title, description, stated = listing(rng, attrs, S.STYLES[s])
        items.append({"id": f"item-{idx:05d}", "slot": ft.slot, "category": ft.name, "title": title,
                      "description": description, "attributes": stated,
                      "hidden": {"style": S.STYLES[s], "attrs": attrs}})
        for key, v in zip(codes, (t, c, p, m, f, fb, w, o)):
            codes[key].append(v)
    return items, S.ItemCodes.from_codes(*(np.array(codes[k]) for k in codes)), styles


def codes_from_attrs(attrs: list[dict]) -> S.ItemCodes:
    """ItemCodes of a catalog from its items' full attributes (the hidden half of a built wardrobe)."""
    type_names = [t.name for t in FINE_TYPES]
    colour_names = [c.name for c in COLOURS]
    return S.ItemCodes.from_codes(
        [type_names.index(x["category"]) for x in attrs], [colour_names.index(x["colour"]) for x in attrs],
        [PATTERNS.index(x["pattern"]) for x in attrs], [S.MATERIAL_NAMES.index(x["material"]) for x in attrs],
        [FITS.index(x["fit"]) for x in attrs], [FIBRES.index(x["fibre"]) for x in attrs],
        [WEIGHTS.index(x["weight"]) for x in attrs], [OCCASIONS.index(x["occasion"]) for x in attrs])


def visible_beliefs(tables: S.StyleTables, codes: S.ItemCodes) -> S.ItemCodes:
    """`codes` with fibre, weight and occasion replaced by their probabilities given what a picture
    shows (type, colour, pattern, material, fit; length and second colour say nothing of style).

    Exact under the generator: P(style | visible) by Bayes over the drawing probabilities
    (uniform style prior), then P(fibre | material, style), P(weight | warmth, fibre) and
    P(occasion | type, material, fibre, style) averaged over it.
    """
    mt = make_tables(tables)
    t, m, c, p, f = codes.type, codes.material, codes.colour, codes.pattern, codes.fit
    loglik = (mt.type[:, t] + mt.material[:, t, m] + mt.colour[:, c] + mt.pattern[:, t, m, p] + mt.fit[:, t, f]).T
    post = np.exp(_log_softmax(loglik))  # (n, S)
    n_s = len(S.STYLES)
    pf_s = S.fibre_probs(tables, m[:, None], np.arange(n_s)[None, :])  # (n, S, F)
    pf = np.einsum("ns,nsf->nf", post, pf_s)
    pw = np.einsum("nf,nfk->nk", pf, S.weight_probs(t[:, None], codes.warmth[:, None], np.arange(len(FIBRES))[None, :]))
    po_sf = S.occasion_probs(tables, t[:, None, None], m[:, None, None], np.arange(len(FIBRES))[None, None, :],
                             np.arange(n_s)[None, :, None])  # (n, S, F, O)
    po = np.einsum("ns,nsf,nsfo->no", post, pf_s, po_sf)
    return codes.with_beliefs(pf, pw, po)


# ----------------------------------------------------------------------------- outfits
def _splits(rng, n: int) -> np.ndarray:
    n_valid, n_test = max(1, round(VALID_SHARE * n)), max(1, round(TEST_SHARE * n))
    split = np.array(["train"] * (n - n_valid - n_test) + ["valid"] * n_valid + ["test"] * n_test)
    return split[rng.permutation(n)]


def _sample_outfits(cfg: WorldConfig, rng, tables, codes: S.ItemCodes, item_slots: np.ndarray, cold: np.ndarray):
    n = cfg.n_outfits
    split = _splits(rng, n)
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


def _keep_train_share(cfg: WorldConfig, outfits: list[dict]) -> np.ndarray:
    """Indices of the outfits kept: every valid and test outfit, a seeded share of the training ones."""
    train = np.array([k for k, o in enumerate(outfits) if o["split"] == "train"])
    keep = np.ones(len(outfits), dtype=bool)
    if cfg.train_share < 1:
        order = _stream(cfg, "train_share").permutation(len(train))  # a fixed order: smaller shares are subsets
        keep[train[order[max(1, round(cfg.train_share * len(train))):]]] = False
    return np.flatnonzero(keep)


# ----------------------------------------------------------------------------- users
def user_item_utility(tables, codes: S.ItemCodes, style_mix: np.ndarray, leaning: np.ndarray,
                      fits: np.ndarray | None = None) -> np.ndarray:
    """A user's hidden utility for every item: log sum_s w_s exp(fit(i, s)) + leaning[colour family].

    `fits` (S, n_items) may be passed precomputed (it does not depend on the user)."""
    if fits is None:
        all_items = np.arange(len(codes.type))
        fits = S.item_fit(tables, codes, all_items[None, :], np.arange(len(S.STYLES))[:, None])  # (S, n)
    logw = np.log(np.asarray(style_mix, dtype=np.float64) + 1e-9)[:, None]
    m = (fits + logw).max(0)
    family = np.array([COLOUR_FAMILIES.index(c.family) for c in COLOURS])[codes.colour]
    return m + np.log(np.exp(fits + logw - m).sum(0)) + np.asarray(leaning, dtype=np.float64)[family]


def outfit_utility(item_util: np.ndarray, members: np.ndarray, mask: np.ndarray, style_mix, outfit_style) -> np.ndarray:
    """A user's hidden utility for outfits: mean item utility + log weight of the outfit's style in their taste."""
    return (item_util[members] * mask).sum(1) / mask.sum(1) + np.log(np.asarray(style_mix)[outfit_style] + 1e-9)


def outfit_members(outfits: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(o["items"]) for o in outfits)
    members = np.zeros((len(outfits), width), dtype=int)
    mask = np.zeros((len(outfits), width))
    for k, o in enumerate(outfits):
        members[k, : len(o["items"])] = o["items"]
        mask[k, : len(o["items"])] = 1.0
    return members, mask


def _top(util: np.ndarray, share: float) -> np.ndarray:
    """Everything at or above the utility threshold that keeps `share` of the catalog (at least MIN_TRUE;
    pieces with identical attributes tie, and are liked together)."""
    k = min(len(util), max(MIN_TRUE, round(share * len(util))))
    threshold = np.partition(util, len(util) - k)[len(util) - k]
    return np.flatnonzero(util >= threshold)


def _record(rng, cfg: WorldConfig, true_likes: np.ndarray, available: np.ndarray | None = None) -> list[int]:
    """The recorded share of a shopper's true likes, in a random order.

    Every true like gets a draw (whatever `observed` is, so smaller shares record subsets) and
    is recorded when the draw is below `observed`; at least MIN_RECORDED are (a log holds only
    shoppers who did something). `available` masks likes of outfits a train share dropped."""
    draw, order_key = rng.random(len(true_likes)), rng.random(len(true_likes))
    ok = np.ones(len(true_likes), dtype=bool) if available is None else available
    cand = np.flatnonzero(ok)
    rec = cand[draw[cand] < cfg.observed]
    if len(rec) < min(MIN_RECORDED, len(cand)):
        rec = cand[np.argsort(draw[cand], kind="stable")[:min(MIN_RECORDED, len(cand))]]
    rec = rec[np.argsort(order_key[rec], kind="stable")]
    return [int(true_likes[k]) for k in rec]


def _make_users(cfg: WorldConfig, tables, codes: S.ItemCodes, outfits: list[dict], kept: np.ndarray):
    rng, rec_rng = _stream(cfg, "users"), _stream(cfg, "record")
    members, mask = outfit_members(outfits)
    outfit_style = np.array([S.STYLES.index(o["style"]) for o in outfits])
    fits = S.item_fit(tables, codes, np.arange(len(codes.type))[None, :], np.arange(len(S.STYLES))[:, None])
    new_index = np.full(len(outfits), -1)
    new_index[kept] = np.arange(len(kept))
    users = []
    for k in range(cfg.n_users):
        # rounded first, so that the oracle recomputes exactly these utilities from hidden/world.json
        mix = np.round(rng.dirichlet(np.full(len(S.STYLES), 0.3)), 6)
        leaning = np.round(rng.normal(0, 0.8, len(COLOUR_FAMILIES)), 6)
        share_items, share_outfits = rng.uniform(*TRUE_ITEM_SHARE), rng.uniform(*TRUE_OUTFIT_SHARE)
        util = user_item_utility(tables, codes, mix, leaning, fits)
        true_items = _top(util, share_items)
        true_outfits = _top(outfit_utility(util, members, mask, mix, outfit_style), share_outfits)
        purchases = _record(rec_rng, cfg, true_items)
        liked = _record(rec_rng, cfg, true_outfits, available=new_index[true_outfits] >= 0)
        users.append({"id": f"user-{k:04d}", "purchases": purchases, "liked": [int(new_index[o]) for o in liked],
                      "true_items": [int(i) for i in true_items],
                      "true_outfits": [int(new_index[o]) for o in true_outfits if new_index[o] >= 0],
                      "styles": [float(w) for w in mix], "leaning": [float(x) for x in leaning]})
    return users


def generate(cfg: WorldConfig) -> World:
    tables = S.style_tables()
    items, codes, item_style = _make_items(cfg, _stream(cfg, "items"), tables, make_tables(tables))
    item_slots = np.array([it["slot"] for it in items])
    cold_rng = _stream(cfg, "cold")
    cold = np.sort(np.concatenate([
        cold_rng.choice(np.flatnonzero(item_slots == slot), size=max(1, int(COLD_SHARE * (item_slots == slot).sum())),
                        replace=False)
        for slot in SLOTS]))
    outfits = _sample_outfits(cfg, _stream(cfg, "outfits"), tables, codes, item_slots, cold)
    kept = _keep_train_share(cfg, outfits)
    world = World(cfg, items, codes, item_style, [outfits[k] for k in kept], cold)
    world.users = _make_users(cfg, tables, codes, outfits, kept)
    return world

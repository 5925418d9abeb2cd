"""The hidden part of the studio world: styles and the compatibility score they induce.

Nothing under `stylist_app/models` may import this module (a test checks it): it is the
ground truth that generated the outfits, and what the oracle scores with.

Every item is a row of integer codes (type, colour, pattern, material, fit). For a style s:

    fit(i, s)     = T_s[type] + C_s[colour] + P_s[pattern] + M_s[material] + F_s[fit]
                    - FORMALITY_WEIGHT * (formality_i - f_s)^2
    pair(i, j, s) = H_s[c_i, c_j] + Q_s[p_i, p_j] + R_s[m_i, m_j]
                    - SEASON_WEIGHT * |warmth_i - warmth_j| - GAP_WEIGHT * |formality_i - formality_j|

An outfit's hidden score under s is sum_i fit(i, s) + sum_{i<j} pair(i, j, s); outfits were
sampled with probability proportional to exp(score / TEMPERATURE) (the "noise"), and the
oracle scores an outfit of unknown style by log sum_s exp(score_s / TEMPERATURE).
"""
from dataclasses import dataclass

import numpy as np

from stylist_app.data.builtin.vocab import COLOURS, FINE_TYPES, FITS, MATERIALS, PATTERNS, TYPE_BY_NAME

STYLES = ("minimalist", "street", "preppy", "boho", "sporty", "office", "evening", "grunge")

FORMALITY_WEIGHT = 3.0
SEASON_WEIGHT = 0.9
GAP_WEIGHT = 0.9
TEMPERATURE = 1.0  # outfit sampling temperature: lower = more deterministic outfits

# Style preferences, stated sparsely; anything unlisted is 0.
_PREFS = {
    "minimalist": dict(
        formality=0.5,
        types={"t-shirt": 1.0, "sweater": 1.0, "shirt": 0.6, "trousers": 1.0, "chinos": 0.5, "coat": 1.2,
               "loafers": 1.0, "sneakers": 0.4, "tote": 1.2, "belt": 0.6, "sunglasses": 0.5, "day dress": 0.4},
        families={"neutral": 1.8, "earth": 0.2, "pastel": -0.6, "bright": -1.6, "jewel": -0.8},
        patterns={"solid": 1.6, "stripes": -0.2, "knit": 0.2, "graphic": -1.5, "floral": -1.5, "animal": -1.5, "dots": -0.8, "checks": -0.6},
        materials={"cashmere": 1.0, "wool": 0.8, "cotton": 0.5, "linen": 0.5, "leather": 0.5, "fleece": -0.8, "satin": -0.4},
        fits={"regular": 0.4, "oversized": 0.4, "slim": -0.4},
    ),
    "street": dict(
        formality=0.1,
        types={"hoodie": 1.6, "t-shirt": 1.0, "crop top": 0.6, "joggers": 1.2, "jeans": 1.2, "shorts": 0.3, "sneakers": 1.8,
               "cap": 1.6, "backpack": 1.2, "crossbody": 0.5, "denim jacket": 1.0, "puffer": 1.2, "beanie": 0.6},
        families={"bright": 0.6, "neutral": 0.6, "pastel": 0.0, "earth": -0.4, "jewel": -0.8},
        colours={"black": 0.6, "white": 0.4},
        patterns={"graphic": 1.6, "solid": 0.4, "denim wash": 0.6, "animal": -0.2, "floral": -1.2, "dots": -0.6, "checks": -0.2},
        materials={"jersey": 0.8, "denim": 0.7, "nylon": 0.8, "fleece": 0.8, "canvas": 0.6, "silk": -1.2, "tweed": -1.2, "satin": -1.0},
        fits={"oversized": 1.2, "slim": -0.8},
    ),
    "preppy": dict(
        formality=0.55,
        types={"polo": 1.6, "shirt": 1.2, "sweater": 1.0, "chinos": 1.6, "skirt": 0.8, "shorts": 0.3, "blazer": 1.2,
               "loafers": 1.6, "tote": 0.8, "belt": 1.0, "scarf": 0.4},
        families={"neutral": 0.6, "pastel": 0.4, "bright": 0.2, "earth": 0.0, "jewel": 0.0},
        colours={"navy": 1.2, "white": 0.6, "red": 0.6, "kelly green": 0.8, "baby blue": 0.6, "camel": 0.6, "burgundy": 0.3},
        patterns={"stripes": 0.9, "checks": 0.8, "solid": 0.5, "knit": 0.3, "graphic": -1.2, "animal": -1.5, "floral": -0.6, "denim wash": -0.6},
        materials={"cotton": 0.8, "wool": 0.6, "tweed": 0.8, "cashmere": 0.5, "jersey": -0.4, "fleece": -0.8, "leather": -0.3},
        fits={"slim": 0.5, "regular": 0.5, "oversized": -0.8},
    ),
    "boho": dict(
        formality=0.35,
        types={"blouse": 1.4, "crop top": 0.6, "day dress": 1.4, "skirt": 1.2, "sandals": 1.6, "crossbody": 1.2, "scarf": 0.8,
               "boots": 0.6, "tote": 0.4, "sunglasses": 0.6},
        families={"earth": 1.5, "pastel": 0.4, "neutral": 0.2, "bright": -0.8, "jewel": -0.2},
        colours={"rust": 0.6, "cream": 0.6, "camel": 0.4, "olive": 0.3},
        patterns={"floral": 1.0, "knit": 0.6, "dots": 0.4, "solid": 0.0, "animal": 0.0, "graphic": -1.2, "checks": -0.6, "stripes": -0.4},
        materials={"linen": 1.0, "chiffon": 1.0, "suede": 1.0, "cotton": 0.5, "knit": 0.4, "nylon": -1.2, "satin": -0.6, "fleece": -0.8},
        fits={"oversized": 0.8, "slim": -0.6},
    ),
    "sporty": dict(
        formality=0.05,
        types={"tank top": 1.6, "hoodie": 0.8, "t-shirt": 0.6, "crop top": 0.6, "leggings": 1.2, "joggers": 1.0, "shorts": 1.4,
               "sneakers": 2.0, "backpack": 1.4, "cap": 1.2, "puffer": 0.8, "sunglasses": 0.4},
        families={"bright": 0.5, "pastel": 0.5, "neutral": 0.5, "earth": -1.0, "jewel": -0.8},
        patterns={"solid": 0.8, "stripes": 0.6, "graphic": 0.6, "floral": -1.2, "animal": -1.2, "checks": -1.0, "knit": -0.8},
        materials={"jersey": 1.2, "nylon": 1.2, "fleece": 0.6, "canvas": 0.2, "silk": -1.5, "wool": -1.0, "tweed": -1.5, "leather": -0.8},
        fits={"slim": 1.0, "oversized": -0.2},
    ),
    "office": dict(
        formality=0.75,
        types={"shirt": 1.4, "blouse": 1.2, "sweater": 0.4, "trousers": 1.6, "skirt": 0.8, "chinos": 0.4, "blazer": 1.6, "coat": 0.8,
               "loafers": 1.2, "heels": 0.8, "tote": 1.4, "belt": 0.8},
        families={"neutral": 1.4, "jewel": 0.4, "earth": 0.0, "pastel": -0.2, "bright": -1.2},
        colours={"navy": 0.6, "grey": 0.5, "white": 0.4, "black": 0.4},
        patterns={"solid": 1.2, "stripes": 0.6, "checks": 0.4, "graphic": -1.6, "animal": -1.0, "floral": -0.8, "denim wash": -1.2, "dots": -0.2},
        materials={"wool": 1.0, "cotton": 0.6, "silk": 0.6, "tweed": 0.4, "denim": -1.2, "jersey": -0.6, "fleece": -1.5, "nylon": -0.8},
        fits={"slim": 0.6, "regular": 0.4, "oversized": -0.8},
    ),
    "evening": dict(
        formality=0.95,
        types={"evening gown": 2.2, "blouse": 0.8, "skirt": 0.8, "trousers": 0.3, "heels": 2.0, "clutch": 2.0, "blazer": 0.4, "coat": 0.3},
        families={"jewel": 1.5, "neutral": 0.6, "bright": 0.0, "pastel": -0.2, "earth": -1.0},
        colours={"black": 0.8, "burgundy": 0.4},
        patterns={"solid": 1.4, "dots": 0.2, "animal": 0.2, "graphic": -1.6, "checks": -1.2, "denim wash": -1.6, "knit": -1.0, "stripes": -0.6},
        materials={"satin": 1.4, "silk": 1.2, "velvet": 1.2, "chiffon": 0.8, "denim": -1.6, "jersey": -1.0, "fleece": -1.6, "canvas": -1.2, "nylon": -1.2},
        fits={"slim": 0.8, "oversized": -0.6},
    ),
    "grunge": dict(
        formality=0.2,
        types={"t-shirt": 0.8, "shirt": 0.6, "hoodie": 0.6, "sweater": 0.4, "jeans": 1.4, "skirt": 0.4, "boots": 2.0,
               "leather jacket": 1.8, "denim jacket": 0.6, "beanie": 1.4, "belt": 0.6, "crossbody": 0.4},
        families={"neutral": 0.6, "earth": 0.4, "jewel": 0.4, "pastel": -1.4, "bright": -0.8},
        colours={"black": 1.0, "grey": 0.4, "burgundy": 0.8, "olive": 0.6},
        patterns={"checks": 1.0, "graphic": 0.8, "denim wash": 1.0, "animal": 0.4, "solid": 0.2, "floral": -0.6, "dots": -1.0, "stripes": -0.2},
        materials={"denim": 1.0, "flannel": 1.4, "leather": 1.0, "knit": 0.4, "silk": -1.0, "satin": -1.2, "chiffon": -1.0, "linen": -0.6},
        fits={"oversized": 1.0, "slim": -0.4},
    ),
}

# Pairwise terms. Base tables first, then per-style adjustments ("stripes on stripes is wrong,
# except in preppy looks").
_FAMILY_PAIR = {
    ("neutral", "neutral"): 0.4, ("neutral", "earth"): 0.4, ("neutral", "pastel"): 0.4, ("neutral", "bright"): 0.5,
    ("neutral", "jewel"): 0.5, ("earth", "earth"): 0.5, ("pastel", "pastel"): 0.4, ("jewel", "jewel"): 0.3,
    ("bright", "bright"): -1.0, ("bright", "pastel"): -0.5, ("pastel", "jewel"): -0.7, ("earth", "bright"): -0.6,
    ("earth", "pastel"): -0.3, ("earth", "jewel"): 0.2, ("jewel", "bright"): -0.6,
}
_FAMILY_PAIR_STYLE = {
    "street": {("bright", "bright"): 0.4, ("neutral", "bright"): 0.3},
    "sporty": {("bright", "bright"): 0.3, ("bright", "pastel"): 0.4},
    "boho": {("earth", "pastel"): 0.8, ("earth", "earth"): 0.4},
    "evening": {("jewel", "jewel"): 0.6},
    "minimalist": {("neutral", "neutral"): 0.5, ("earth", "earth"): -0.4, ("pastel", "pastel"): -0.6, ("jewel", "jewel"): -0.6},
}
_PATTERN_PAIR = {
    ("stripes", "stripes"): -1.4, ("checks", "checks"): -1.0, ("stripes", "checks"): -1.0, ("floral", "animal"): -1.6,
    ("floral", "floral"): -0.6, ("floral", "stripes"): -0.8, ("floral", "checks"): -1.0, ("animal", "animal"): -1.4,
    ("animal", "stripes"): -0.8, ("graphic", "graphic"): -0.8, ("graphic", "floral"): -1.0, ("dots", "stripes"): -0.8,
    ("dots", "checks"): -0.8, ("dots", "dots"): -0.6, ("dots", "floral"): -0.4, ("graphic", "checks"): -0.6,
    ("checks", "denim wash"): 0.6, ("floral", "denim wash"): 0.4,
    **{("solid", p): 0.3 for p in ("stripes", "checks", "dots", "floral", "graphic", "animal")},
}
_PATTERN_PAIR_STYLE = {
    "preppy": {("stripes", "stripes"): 0.8, ("stripes", "checks"): 0.6, ("checks", "checks"): 0.4},
    "boho": {("floral", "floral"): 0.6, ("floral", "dots"): 0.6, ("floral", "knit"): 0.5, ("dots", "knit"): 0.4},
    "grunge": {("checks", "graphic"): 0.6, ("animal", "checks"): 0.5, ("checks", "checks"): 0.3},
    "street": {("graphic", "graphic"): 0.5, ("graphic", "animal"): 0.3},
}
_MATERIAL_PAIR = {
    ("silk", "knit"): -1.4, ("cashmere", "leather"): 1.2, ("denim", "denim"): -1.4, ("linen", "wool"): -1.0,
    ("linen", "tweed"): -1.0, ("satin", "jersey"): -1.4, ("satin", "fleece"): -1.6, ("leather", "leather"): -0.8,
    ("silk", "denim"): 0.6, ("wool", "cashmere"): 0.5, ("fleece", "silk"): -1.4, ("velvet", "velvet"): -0.8,
    ("chiffon", "denim"): 0.4, ("linen", "cotton"): 0.4, ("silk", "wool"): 0.5, ("tweed", "leather"): 0.6,
    ("satin", "denim"): -0.8, ("velvet", "jersey"): -1.0, ("flannel", "silk"): -1.0,
}
_MATERIAL_PAIR_STYLE = {
    "street": {("denim", "denim"): 0.6},
    "grunge": {("denim", "denim"): 0.8, ("leather", "leather"): 0.6, ("flannel", "leather"): 0.8},
    "evening": {("velvet", "velvet"): 1.2, ("satin", "silk"): 0.8},
}


@dataclass
class StyleTables:
    """All hidden score tables as arrays, indexed [style, code] or [style, code, code]."""

    type_pref: np.ndarray  # (S, n_types)
    colour_pref: np.ndarray  # (S, n_colours)
    pattern_pref: np.ndarray
    material_pref: np.ndarray
    fit_pref: np.ndarray
    formality_target: np.ndarray  # (S,)
    colour_pair: np.ndarray  # (S, n_colours, n_colours)
    pattern_pair: np.ndarray
    material_pair: np.ndarray


MATERIAL_NAMES = tuple(MATERIALS)


def _pair_table(names, base: dict, by_style: dict) -> np.ndarray:
    idx = {n: k for k, n in enumerate(names)}
    out = np.zeros((len(STYLES), len(names), len(names)), dtype=np.float32)
    for s, style in enumerate(STYLES):
        for (a, b), v in {**base, **by_style.get(style, {})}.items():
            out[s, idx[a], idx[b]] = out[s, idx[b], idx[a]] = v
    return out


def _colour_pair_table() -> np.ndarray:
    """Family harmony plus hue: analogous non-neutral colours help, clashing brights hurt."""
    fam = [c.family for c in COLOURS]
    out = np.zeros((len(STYLES), len(COLOURS), len(COLOURS)), dtype=np.float32)
    for s, style in enumerate(STYLES):
        table = {**_FAMILY_PAIR, **_FAMILY_PAIR_STYLE.get(style, {})}
        table.update({(b, a): v for (a, b), v in list(table.items())})
        for i, ci in enumerate(COLOURS):
            for j, cj in enumerate(COLOURS):
                v = table.get((fam[i], fam[j]), 0.0)
                if ci.hue >= 0 and cj.hue >= 0 and fam[i] != "neutral" and fam[j] != "neutral":
                    d = abs(ci.hue - cj.hue) % 360
                    d = min(d, 360 - d)
                    v += 0.3 if d < 35 else (-0.3 if 150 < d else 0.0)
                out[s, i, j] = v
    return out


def _pref_row(names, prefs: dict, families: dict | None = None) -> list[float]:
    return [prefs.get(n, 0.0) + (families or {}).get(n, 0.0) for n in names]


def style_tables() -> StyleTables:
    S = len(STYLES)
    type_names = [t.name for t in FINE_TYPES]
    colour_pref = np.zeros((S, len(COLOURS)), dtype=np.float32)
    for s, style in enumerate(STYLES):
        p = _PREFS[style]
        colour_pref[s] = [p["families"].get(c.family, 0.0) + p.get("colours", {}).get(c.name, 0.0) for c in COLOURS]
    return StyleTables(
        type_pref=np.array([_pref_row(type_names, _PREFS[s]["types"]) for s in STYLES], dtype=np.float32),
        colour_pref=colour_pref,
        pattern_pref=np.array([_pref_row(PATTERNS, _PREFS[s]["patterns"]) for s in STYLES], dtype=np.float32),
        material_pref=np.array([_pref_row(MATERIAL_NAMES, _PREFS[s]["materials"]) for s in STYLES], dtype=np.float32),
        fit_pref=np.array([_pref_row(FITS, _PREFS[s]["fits"]) for s in STYLES], dtype=np.float32),
        formality_target=np.array([_PREFS[s]["formality"] for s in STYLES], dtype=np.float32),
        colour_pair=_colour_pair_table(),
        pattern_pair=_pair_table(PATTERNS, _PATTERN_PAIR, _PATTERN_PAIR_STYLE),
        material_pair=_pair_table(MATERIAL_NAMES, _MATERIAL_PAIR, _MATERIAL_PAIR_STYLE),
    )


@dataclass
class ItemCodes:
    """The catalog as integer code arrays plus the derived formality and warmth (one row per item)."""

    type: np.ndarray
    colour: np.ndarray
    pattern: np.ndarray
    material: np.ndarray
    fit: np.ndarray
    formality: np.ndarray
    warmth: np.ndarray

    @classmethod
    def from_codes(cls, type_, colour, pattern, material, fit) -> "ItemCodes":
        type_ = np.asarray(type_)
        material = np.asarray(material)
        t_form = np.array([t.formality for t in FINE_TYPES], dtype=np.float32)[type_]
        t_warm = np.array([t.warmth for t in FINE_TYPES], dtype=np.float32)[type_]
        m_warm = np.array([MATERIALS[m][0] for m in MATERIAL_NAMES], dtype=np.float32)[material]
        m_form = np.array([MATERIALS[m][1] for m in MATERIAL_NAMES], dtype=np.float32)[material]
        return cls(type_, np.asarray(colour), np.asarray(pattern), material, np.asarray(fit),
                   0.7 * t_form + 0.3 * m_form, 0.6 * t_warm + 0.4 * m_warm)


def item_fit(tables: StyleTables, codes: ItemCodes, items, styles) -> np.ndarray:
    """fit(i, s) for broadcastable index arrays `items` and `styles`."""
    s = np.asarray(styles)
    i = np.asarray(items)
    return (tables.type_pref[s, codes.type[i]] + tables.colour_pref[s, codes.colour[i]]
            + tables.pattern_pref[s, codes.pattern[i]] + tables.material_pref[s, codes.material[i]]
            + tables.fit_pref[s, codes.fit[i]]
            - FORMALITY_WEIGHT * (codes.formality[i] - tables.formality_target[s]) ** 2)


def pair_score(tables: StyleTables, codes: ItemCodes, a, b, styles) -> np.ndarray:
    """pair(a, b, s) for broadcastable index arrays."""
    s = np.asarray(styles)
    a = np.asarray(a)
    b = np.asarray(b)
    return (tables.colour_pair[s, codes.colour[a], codes.colour[b]]
            + tables.pattern_pair[s, codes.pattern[a], codes.pattern[b]]
            + tables.material_pair[s, codes.material[a], codes.material[b]]
            - SEASON_WEIGHT * np.abs(codes.warmth[a] - codes.warmth[b])
            - GAP_WEIGHT * np.abs(codes.formality[a] - codes.formality[b]))


def outfit_scores_by_style(tables: StyleTables, codes: ItemCodes, outfit: np.ndarray) -> np.ndarray:
    """Hidden score of one outfit (array of item indices) under every style: shape (S,)."""
    S = np.arange(len(STYLES))[:, None]
    total = item_fit(tables, codes, outfit[None, :], S).sum(1)
    if len(outfit) > 1:
        a, b = np.triu_indices(len(outfit), 1)
        total = total + pair_score(tables, codes, outfit[a][None, :], outfit[b][None, :], S).sum(1)
    return total


def type_index(name: str) -> int:
    return FINE_TYPES.index(TYPE_BY_NAME[name])

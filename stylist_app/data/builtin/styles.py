"""The hidden part of the studio world: styles and the compatibility score they induce.

Nothing under `stylist_app/models` may import this module (a test checks it): it is the
ground truth that generated the outfits, and what the oracle scores with.

Every item is a row of integer codes: what a picture shows (type, colour, pattern, material,
fit) and what only words can tell (fibre, weight, occasion; world v2). For a style s:

    fit(i, s)     = T_s[type] + C_s[colour] + P_s[pattern] + M_s[material] + F_s[fit]
                    - FORMALITY_WEIGHT * (formality_i - f_s)^2
                    + B_s[fibre] + W_s[weight] + O_s[occasion]
    pair(i, j, s) = H_s[c_i, c_j] + Q_s[p_i, p_j] + R_s[m_i, m_j]
                    - SEASON_WEIGHT * |warmth_i - warmth_j| - GAP_WEIGHT * |formality_i - formality_j|
                    + r_i r_j WW_s[weight_i, weight_j]      (weight coherence; a layering table when
                                                              one of the two is outerwear)
                    + OO_s[occasion_i, occasion_j]         (occasion coherence)
                    + BB_s[fibre_i, fibre_j]               (fibre pairings)

(r = how much a piece's weight counts: garments 1, shoes 0.6, bags 0; vocab.WEIGHT_RELEVANCE.)
An outfit's hidden score under s is sum_i fit(i, s) + sum_{i<j} pair(i, j, s); outfits were
sampled with probability proportional to exp(score / TEMPERATURE) (the "noise"), and the
oracle scores an outfit of unknown style by log sum_s exp(score_s / TEMPERATURE).

Why each new term is there (how real outfits behave):
- Weight coherence: a look is dressed for one temperature; a heavy wool coat over linen
  shorts, or a chunky knit with a gauzy skirt, reads as a mistake, while outerwear one step
  heavier than what is under it is ordinary layering. Grunge (slip dress and combat boots) and
  boho (floaty dress and boots) tolerate the light-heavy contrast.
- Occasion coherence: pieces made for different settings rarely meet; gym leggings stay out
  of work looks, an evening top goes with evening pieces. Street style mixes sport into
  weekend looks (athleisure); strict office looks keep weekend pieces out.
- Fibre pairings: stylists' and retailers' advice (cashmere with leather, silk with merino or
  leather; cheap-looking acrylic or polyester next to silk or cashmere shows; technical
  sportswear fabric against tailoring fibres; linen, a summer fibre, against wool).
- Style preferences over fibre (minimalists buy cashmere and merino, sporty buyers technical
  fabrics), weight and occasion (office looks are for work, evening looks for the evening).
The ItemCodes of an oracle restricted to what pictures show carry beliefs (probabilities)
instead of the hidden codes; every hidden term then takes its expectation under them.
"""
from dataclasses import dataclass

import numpy as np

from stylist_app.data.builtin.vocab import (COLOURS, FIBRE_OCCASIONS, FIBRE_WARMTH, FIBRES, FINE_TYPES, FITS,
                                           MATERIAL_FIBRES, MATERIAL_OCCASIONS, MATERIALS, OCCASIONS, PATTERNS,
                                           TYPE_BY_NAME, TYPE_OCCASIONS, TYPE_WEIGHT_SHIFT, WEIGHT_CENTRES, WEIGHT_RELEVANCE,
                                           WEIGHT_RELEVANCE_TYPE, WEIGHT_SPREAD, WEIGHTS)

STYLES = ("minimalist", "street", "preppy", "boho", "sporty", "office", "evening", "grunge")

FORMALITY_WEIGHT = 3.0
SEASON_WEIGHT = 0.9
GAP_WEIGHT = 0.9
# Outfit sampling temperature: lower = more deterministic outfits. World v1 used 1.0; world v2's
# terms over fibre, weight and occasion about double the spread of the score, so the noise is
# raised to keep real outfits about as noisy as before relative to what drives them: on the
# default wardrobe the oracle's test FITB / compatibility AUC are 0.82 / 0.97 at 1.5 (v1: 0.81 /
# 0.96); at 1.0 they would be 0.91 / 0.99, leaving models little between the baselines and the bound.
TEMPERATURE = 1.5

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
        fibres={"cashmere": 1.2, "merino": 0.8, "linen": 0.6, "silk": 0.4, "leather": 0.4, "acrylic": -1.2, "polyester": -0.8, "faux leather": -0.6, "performance": -0.6},
        weights={"mid": 0.2},
        occasions={"work": 0.6, "weekend": 0.6, "sport": -0.8, "beach": -0.3, "evening": -0.2},
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
        fibres={"performance": 0.8, "nylon": 0.5, "polyester": 0.3, "cotton": 0.3, "faux leather": 0.2, "cashmere": -0.3, "silk": -0.6},
        weights={"heavy": 0.2},
        occasions={"weekend": 1.0, "sport": 0.4, "work": -1.0, "evening": -0.4, "beach": -0.2},
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
        fibres={"merino": 1.0, "cotton": 0.6, "cashmere": 0.6, "linen": 0.3, "acrylic": -0.8, "performance": -0.4, "faux leather": -0.4},
        weights={"mid": 0.2},
        occasions={"weekend": 0.6, "work": 0.6, "sport": 0.0, "beach": 0.2, "evening": -0.4},
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
        fibres={"linen": 1.0, "cotton": 0.6, "viscose": 0.6, "silk": 0.3, "linen blend": 0.3, "polyester": -0.8, "performance": -1.2, "nylon": -0.8},
        weights={"light": 0.4, "heavy": -0.2},
        occasions={"weekend": 0.8, "beach": 1.0, "work": -0.8, "sport": -0.8, "evening": 0.0},
    ),
    "sporty": dict(
        formality=0.05,
        types={"tank top": 1.6, "hoodie": 0.8, "t-shirt": 0.6, "crop top": 0.6, "leggings": 1.2, "joggers": 1.0, "shorts": 1.4,
               "sneakers": 2.0, "backpack": 1.4, "cap": 1.2, "puffer": 0.8, "sunglasses": 0.4},
        families={"bright": 0.5, "pastel": 0.5, "neutral": 0.5, "earth": -1.0, "jewel": -0.8},
        patterns={"solid": 0.8, "stripes": 0.6, "graphic": 0.6, "floral": -1.2, "animal": -1.2, "checks": -1.0, "knit": -0.8},
        materials={"jersey": 1.2, "nylon": 1.2, "fleece": 0.6, "canvas": 0.2, "silk": -1.5, "wool": -1.0, "tweed": -1.5, "leather": -0.8},
        fits={"slim": 1.0, "oversized": -0.2},
        fibres={"performance": 1.6, "nylon": 0.6, "polyester": 0.4, "cotton": 0.2, "cashmere": -1.0, "silk": -1.2, "leather": -0.8, "merino": -0.4},
        weights={"light": 0.4, "heavy": -0.4},
        occasions={"sport": 1.6, "weekend": 0.5, "beach": 0.2, "work": -1.4, "evening": -1.4},
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
        fibres={"merino": 1.0, "silk": 0.8, "cashmere": 0.6, "wool blend": 0.5, "cotton": 0.3, "acrylic": -0.8, "performance": -1.2, "polyester": -0.3, "nylon": -0.6},
        weights={"mid": 0.3},
        occasions={"work": 1.6, "evening": -0.3, "weekend": -0.6, "sport": -1.6, "beach": -1.2},
    ),
    "evening": dict(
        formality=0.95,
        types={"evening gown": 2.2, "blouse": 0.8, "skirt": 0.8, "trousers": 0.3, "heels": 2.0, "clutch": 2.0, "blazer": 0.4, "coat": 0.3},
        families={"jewel": 1.5, "neutral": 0.6, "bright": 0.0, "pastel": -0.2, "earth": -1.0},
        colours={"black": 0.8, "burgundy": 0.4},
        patterns={"solid": 1.4, "dots": 0.2, "animal": 0.2, "graphic": -1.6, "checks": -1.2, "denim wash": -1.6, "knit": -1.0, "stripes": -0.6},
        materials={"satin": 1.4, "silk": 1.2, "velvet": 1.2, "chiffon": 0.8, "denim": -1.6, "jersey": -1.0, "fleece": -1.6, "canvas": -1.2, "nylon": -1.2},
        fits={"slim": 0.8, "oversized": -0.6},
        fibres={"silk": 1.4, "cashmere": 0.6, "leather": 0.4, "viscose": 0.3, "polyester": -0.6, "acrylic": -1.0, "performance": -1.6, "nylon": -1.0, "cotton": -0.3},
        weights={"light": 0.3},
        occasions={"evening": 1.8, "work": 0.0, "weekend": -0.6, "sport": -1.8, "beach": -1.0},
    ),
    "grunge": dict(
        formality=0.2,
        types={"t-shirt": 0.8, "shirt": 0.6, "hoodie": 0.6, "sweater": 0.4, "jeans": 1.4, "skirt": 0.4, "boots": 2.0,
               "biker jacket": 1.8, "denim jacket": 0.6, "beanie": 1.4, "belt": 0.6, "crossbody": 0.4},
        families={"neutral": 0.6, "earth": 0.4, "jewel": 0.4, "pastel": -1.4, "bright": -0.8},
        colours={"black": 1.0, "grey": 0.4, "burgundy": 0.8, "olive": 0.6},
        patterns={"checks": 1.0, "graphic": 0.8, "denim wash": 1.0, "animal": 0.4, "solid": 0.2, "floral": -0.6, "dots": -1.0, "stripes": -0.2},
        materials={"denim": 1.0, "flannel": 1.4, "leather": 1.0, "knit": 0.4, "silk": -1.0, "satin": -1.2, "chiffon": -1.0, "linen": -0.6},
        fits={"oversized": 1.0, "slim": -0.4},
        fibres={"leather": 1.0, "faux leather": 0.6, "wool blend": 0.4, "acrylic": 0.3, "cotton": 0.2, "silk": -0.8, "performance": -0.6, "cashmere": -0.3},
        weights={"heavy": 0.3},
        occasions={"weekend": 0.8, "evening": 0.4, "work": -1.0, "sport": -0.8, "beach": -0.8},
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

# Weight coherence between two pieces that are not outerwear (symmetric), and per style.
_WEIGHT_PAIR = {
    ("light", "light"): 0.2, ("mid", "mid"): 0.1, ("heavy", "heavy"): 0.2,
    ("light", "mid"): -0.2, ("mid", "heavy"): -0.2, ("light", "heavy"): -1.4,
}
_WEIGHT_PAIR_STYLE = {
    "grunge": {("light", "heavy"): -0.3},  # the slip dress with combat boots
    "boho": {("light", "heavy"): -0.6},  # a floaty dress with boots
}
# Layering: outerwear (first) over another piece (second). Not symmetric: a coat one step
# heavier than what is under it is ordinary; a heavy coat over summer pieces is not.
_WEIGHT_LAYER = {
    ("light", "light"): 0.2, ("light", "mid"): 0.0, ("light", "heavy"): -0.6,
    ("mid", "light"): 0.0, ("mid", "mid"): 0.1, ("mid", "heavy"): -0.2,
    ("heavy", "light"): -0.8, ("heavy", "mid"): 0.2, ("heavy", "heavy"): 0.2,
}
# Occasion coherence (symmetric), and per style.
_OCCASION_PAIR = {
    ("work", "work"): 0.5, ("evening", "evening"): 0.6, ("weekend", "weekend"): 0.3, ("sport", "sport"): 0.5,
    ("beach", "beach"): 0.5, ("work", "evening"): 0.1, ("work", "weekend"): -0.1, ("work", "sport"): -1.6,
    ("work", "beach"): -1.2, ("evening", "weekend"): -0.4, ("evening", "sport"): -1.8, ("evening", "beach"): -1.0,
    ("weekend", "sport"): 0.1, ("weekend", "beach"): 0.2, ("sport", "beach"): 0.0,
}
_OCCASION_PAIR_STYLE = {
    "street": {("sport", "weekend"): 0.6, ("sport", "evening"): -0.8},  # athleisure
    "sporty": {("sport", "weekend"): 0.5},
    "preppy": {("sport", "weekend"): 0.4},  # tennis whites at the weekend
    "minimalist": {("work", "weekend"): 0.4},  # one capsule for the week and the weekend
    "office": {("work", "weekend"): -0.5},
    "evening": {("evening", "work"): 0.4},  # a sharp blazer for dinner
    "boho": {("beach", "weekend"): 0.5},
    "grunge": {("evening", "weekend"): 0.4},
}
# Fibre pairings (symmetric), and per style.
_FIBRE_PAIR = {
    ("cashmere", "leather"): 1.0, ("cashmere", "silk"): 0.6, ("cashmere", "merino"): 0.3, ("merino", "leather"): 0.4,
    ("silk", "leather"): 0.4, ("silk", "merino"): 0.4, ("linen", "cotton"): 0.3, ("linen", "silk"): 0.3,
    ("linen", "linen"): 0.2, ("cotton", "cotton"): 0.1, ("performance", "performance"): 0.4,
    ("acrylic", "silk"): -1.0, ("acrylic", "cashmere"): -0.8, ("acrylic", "leather"): -0.3, ("acrylic", "polyester"): -0.5,
    ("polyester", "polyester"): -0.4, ("polyester", "silk"): -0.3,
    ("performance", "silk"): -1.2, ("performance", "cashmere"): -0.8, ("performance", "merino"): -0.5,
    ("performance", "leather"): -0.6, ("performance", "wool blend"): -0.6,
    ("linen", "cashmere"): -0.5, ("linen", "merino"): -0.4, ("linen", "wool blend"): -0.6, ("linen blend", "wool blend"): -0.4,
    ("faux leather", "leather"): -0.6, ("faux leather", "silk"): -0.3, ("faux leather", "cashmere"): -0.4,
    ("nylon", "silk"): -0.6, ("nylon", "cashmere"): -0.4,
}
_FIBRE_PAIR_STYLE = {
    "grunge": {("faux leather", "acrylic"): 0.3, ("faux leather", "leather"): 0.0, ("leather", "leather"): 0.3},
    "street": {("performance", "leather"): 0.0, ("nylon", "silk"): 0.0, ("performance", "cotton"): 0.3},
    "evening": {("silk", "silk"): 0.4, ("polyester", "silk"): -0.6},
    "boho": {("linen", "linen"): 0.5, ("viscose", "linen"): 0.4, ("viscose", "cotton"): 0.3},
    "sporty": {("performance", "performance"): 0.8, ("performance", "nylon"): 0.5},
    "minimalist": {("acrylic", "merino"): -0.5, ("polyester", "cotton"): -0.2},
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
    fibre_pref: np.ndarray  # (S, n_fibres): what only words can tell
    weight_pref: np.ndarray
    occasion_pref: np.ndarray
    weight_pair: np.ndarray  # (S, 3, 3) between non-outerwear pieces
    weight_layer: np.ndarray  # (S, 3, 3) [outerwear weight, other weight]
    occasion_pair: np.ndarray
    fibre_pair: np.ndarray
    # the same terms folded for fast lookup by integer codes (see `_folded`)
    weight_by_layer: np.ndarray | None = None  # (S, 6, 6) by weight + 3 * outerwear
    fibre_occasion_pair: np.ndarray | None = None  # (S, F*O, F*O) by fibre * O + occasion

    def __post_init__(self):
        self.weight_by_layer, self.fibre_occasion_pair = _folded(self)


MATERIAL_NAMES = tuple(MATERIALS)


def _folded(t: "StyleTables") -> tuple[np.ndarray, np.ndarray]:
    """weight_by_layer[s, w_a + 3 o_a, w_b + 3 o_b] (o = outerwear: the layering table when exactly one of
    the two is outerwear, else the plain one), and fibre_occasion_pair[s, f_a O + o_a, f_b O + o_b] =
    fibre_pair + occasion_pair: the generator looks each up with one gather."""
    n_s, nw = t.weight_pair.shape[:2]
    wl = np.zeros((n_s, 2 * nw, 2 * nw), dtype=np.float32)
    for oa in (0, 1):
        for ob in (0, 1):
            block = t.weight_pair if oa == ob else (t.weight_layer if oa else t.weight_layer.transpose(0, 2, 1))
            wl[:, oa * nw:(oa + 1) * nw, ob * nw:(ob + 1) * nw] = block
    nf, no = t.fibre_pair.shape[1], t.occasion_pair.shape[1]
    fo = (t.fibre_pair[:, :, None, :, None] + t.occasion_pair[:, None, :, None, :]).reshape(n_s, nf * no, nf * no)
    return wl, fo.astype(np.float32)


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
        fibre_pref=np.array([_pref_row(FIBRES, _PREFS[s]["fibres"]) for s in STYLES], dtype=np.float32),
        weight_pref=np.array([_pref_row(WEIGHTS, _PREFS[s]["weights"]) for s in STYLES], dtype=np.float32),
        occasion_pref=np.array([_pref_row(OCCASIONS, _PREFS[s]["occasions"]) for s in STYLES], dtype=np.float32),
        weight_pair=_pair_table(WEIGHTS, _WEIGHT_PAIR, _WEIGHT_PAIR_STYLE),
        weight_layer=np.repeat(np.array([[_WEIGHT_LAYER[(a, b)] for b in WEIGHTS] for a in WEIGHTS],
                                        dtype=np.float32)[None], len(STYLES), 0),
        occasion_pair=_pair_table(OCCASIONS, _OCCASION_PAIR, _OCCASION_PAIR_STYLE),
        fibre_pair=_pair_table(FIBRES, _FIBRE_PAIR, _FIBRE_PAIR_STYLE),
    )


@dataclass
class ItemCodes:
    """The catalog as integer code arrays plus the derived formality and warmth (one row per item).

    `fibre`, `weight`, `occasion` are the hidden facts. When `beliefs` is set (an oracle that
    sees only pictures), it holds (P_fibre, P_weight, P_occasion), each (n_items, K), and every
    hidden term of the score takes its expectation under them instead of reading the codes.
    """

    type: np.ndarray
    colour: np.ndarray
    pattern: np.ndarray
    material: np.ndarray
    fit: np.ndarray
    formality: np.ndarray
    warmth: np.ndarray
    fibre: np.ndarray
    weight: np.ndarray
    occasion: np.ndarray
    outer: np.ndarray  # bool: outerwear (weight layering)
    weight_relevance: np.ndarray  # how much the piece's weight counts (vocab.WEIGHT_RELEVANCE)
    beliefs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_codes(cls, type_, colour, pattern, material, fit, fibre, weight, occasion) -> "ItemCodes":
        type_ = np.asarray(type_)
        material = np.asarray(material)
        t_form = np.array([t.formality for t in FINE_TYPES], dtype=np.float32)[type_]
        t_warm = np.array([t.warmth for t in FINE_TYPES], dtype=np.float32)[type_]
        m_warm = np.array([MATERIALS[m][0] for m in MATERIAL_NAMES], dtype=np.float32)[material]
        m_form = np.array([MATERIALS[m][1] for m in MATERIAL_NAMES], dtype=np.float32)[material]
        outer = np.array([t.slot == "outerwear" for t in FINE_TYPES])[type_]
        rel = np.array([WEIGHT_RELEVANCE_TYPE.get(t.name, WEIGHT_RELEVANCE.get(t.slot, 1.0)) for t in FINE_TYPES],
                       dtype=np.float32)[type_]
        return cls(type_, np.asarray(colour), np.asarray(pattern), material, np.asarray(fit),
                   0.7 * t_form + 0.3 * m_form, 0.6 * t_warm + 0.4 * m_warm,
                   np.asarray(fibre), np.asarray(weight), np.asarray(occasion), outer, rel)

    def with_beliefs(self, p_fibre, p_weight, p_occasion) -> "ItemCodes":
        """The same catalog with the hidden facts replaced by probabilities (what pictures leave open)."""
        return ItemCodes(**{**vars(self), "beliefs": (np.asarray(p_fibre, np.float32), np.asarray(p_weight, np.float32),
                                                      np.asarray(p_occasion, np.float32))})


def _unary(table, s, codes_or_probs, i, soft: bool):
    """table[s, code_i], or its expectation sum_k P_i[k] table[s, k]."""
    if not soft:
        return table[s, codes_or_probs[i]]
    return (table[s] * codes_or_probs[i]).sum(-1)


def _binary(table, s, x, a, b, soft: bool):
    """table[s, x_a, x_b], or its expectation P_a^T table[s] P_b."""
    if not soft:
        return table[s, x[a], x[b]]
    pa, pb, t = np.broadcast_arrays(x[a][..., :, None], x[b][..., None, :], table[s])
    return (pa * t * pb).sum((-1, -2))


def item_fit(tables: StyleTables, codes: ItemCodes, items, styles) -> np.ndarray:
    """fit(i, s) for broadcastable index arrays `items` and `styles`."""
    s = np.asarray(styles)
    i = np.asarray(items)
    soft = codes.beliefs is not None
    fibre, weight, occasion = codes.beliefs if soft else (codes.fibre, codes.weight, codes.occasion)
    return (tables.type_pref[s, codes.type[i]] + tables.colour_pref[s, codes.colour[i]]
            + tables.pattern_pref[s, codes.pattern[i]] + tables.material_pref[s, codes.material[i]]
            + tables.fit_pref[s, codes.fit[i]]
            - FORMALITY_WEIGHT * (codes.formality[i] - tables.formality_target[s]) ** 2
            + _unary(tables.fibre_pref, s, fibre, i, soft) + _unary(tables.weight_pref, s, weight, i, soft)
            + _unary(tables.occasion_pref, s, occasion, i, soft))


def visible_pair_score(tables: StyleTables, codes: ItemCodes, a, b, styles) -> np.ndarray:
    """The part of pair(a, b, s) that pictures show (colour, pattern, material, warmth, formality)."""
    s = np.asarray(styles)
    a = np.asarray(a)
    b = np.asarray(b)
    return (tables.colour_pair[s, codes.colour[a], codes.colour[b]]
            + tables.pattern_pair[s, codes.pattern[a], codes.pattern[b]]
            + tables.material_pair[s, codes.material[a], codes.material[b]]
            - SEASON_WEIGHT * np.abs(codes.warmth[a] - codes.warmth[b])
            - GAP_WEIGHT * np.abs(codes.formality[a] - codes.formality[b]))


def hidden_pair_score(tables: StyleTables, codes: ItemCodes, a, b, styles) -> np.ndarray:
    """The part of pair(a, b, s) only words can tell: weight and occasion coherence, fibre pairings."""
    s = np.asarray(styles)
    a = np.asarray(a)
    b = np.asarray(b)
    if codes.beliefs is None:  # one gather per table set (this is the generator's inner loop)
        wk, fo = _weight_keys(codes), codes.fibre * len(OCCASIONS) + codes.occasion
        return (codes.weight_relevance[a] * codes.weight_relevance[b] * tables.weight_by_layer[s, wk[a], wk[b]]
                + tables.fibre_occasion_pair[s, fo[a], fo[b]])
    fibre, weight, occasion = codes.beliefs
    a_over, b_over = codes.outer[a] & ~codes.outer[b], codes.outer[b] & ~codes.outer[a]
    w = np.where(a_over, _binary(tables.weight_layer, s, weight, a, b, True),
                 np.where(b_over, _binary(tables.weight_layer, s, weight, b, a, True),
                          _binary(tables.weight_pair, s, weight, a, b, True)))
    return (codes.weight_relevance[a] * codes.weight_relevance[b] * w
            + _binary(tables.occasion_pair, s, occasion, a, b, True)
            + _binary(tables.fibre_pair, s, fibre, a, b, True))


def _weight_keys(codes: ItemCodes) -> np.ndarray:
    """weight + 3 * outerwear: the row of `weight_by_layer`."""
    return codes.weight + len(WEIGHTS) * codes.outer


def pair_score(tables: StyleTables, codes: ItemCodes, a, b, styles) -> np.ndarray:
    """pair(a, b, s) for broadcastable index arrays."""
    return visible_pair_score(tables, codes, a, b, styles) + hidden_pair_score(tables, codes, a, b, styles)


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


# ----------------------------------------------------------------------------- making the hidden facts
# How a style's makers choose what pictures cannot show: its fibre, weight and occasion
# preferences shift the catalog's base rates (vocab) by these factors, so a minimalist's knit is
# more often cashmere and an office piece more often made for work, but every style also makes
# the others.
FIBRE_MAKE = 0.5
OCCASION_MAKE = 0.6


def _table(rows, cols, entries) -> np.ndarray:
    return np.array([[entries.get(r, {}).get(c, 0.0) for c in cols] for r in rows], dtype=np.float64)


_FIBRE_BASE = np.log(np.array([[MATERIAL_FIBRES[m].get(f, 0.0) for f in FIBRES] for m in MATERIAL_NAMES]) + 1e-30)
_FIBRE_BASE[_FIBRE_BASE < -60] = -np.inf
_OCC_TYPE = _table([t.name for t in FINE_TYPES], OCCASIONS, TYPE_OCCASIONS)
_OCC_FIBRE = _table(FIBRES, OCCASIONS, FIBRE_OCCASIONS)
_OCC_MATERIAL = _table(MATERIAL_NAMES, OCCASIONS, MATERIAL_OCCASIONS)
_FIBRE_WARMTH = np.array([FIBRE_WARMTH.get(f, 0.0) for f in FIBRES])


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def fibre_probs(tables: StyleTables, material, style) -> np.ndarray:
    """P(fibre | material, maker's style): (..., n_fibres) for broadcastable code arrays."""
    return _softmax(_FIBRE_BASE[np.asarray(material)] + FIBRE_MAKE * tables.fibre_pref[np.asarray(style)])


_TYPE_WEIGHT_SHIFT = np.array([TYPE_WEIGHT_SHIFT.get(t.name, 0.0) for t in FINE_TYPES])


def weight_probs(type_, warmth, fibre) -> np.ndarray:
    """P(weight | type, warmth of type and texture, fibre): (..., 3)."""
    w = (np.asarray(warmth, dtype=np.float64)[..., None] + _TYPE_WEIGHT_SHIFT[np.asarray(type_)][..., None]
         + _FIBRE_WARMTH[np.asarray(fibre)][..., None])
    return _softmax(-((w - np.array(WEIGHT_CENTRES)) ** 2) / (2 * WEIGHT_SPREAD ** 2))


def occasion_probs(tables: StyleTables, type_, material, fibre, style) -> np.ndarray:
    """P(occasion | type, texture, fibre, maker's style): (..., n_occasions)."""
    return _softmax(_OCC_TYPE[np.asarray(type_)] + _OCC_MATERIAL[np.asarray(material)] + _OCC_FIBRE[np.asarray(fibre)]
                    + OCCASION_MAKE * tables.occasion_pref[np.asarray(style)])

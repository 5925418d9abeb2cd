"""The studio's fashion rules knowledge base: 45 human-readable rules over listing text.

They are what a stylist would say, not the hidden score: they fire on words (so an
unstated attribute makes a rule miss), they are coarse (a "bright" rule covers every bright
colour), and several are right only in some styles (stripes on stripes is wrong, except in
preppy looks; double denim is wrong, except in street and grunge looks; a heavy piece with a
light one is wrong, except in grunge and boho looks). Since world v2 a third of them are about
what pictures cannot show (fibre, weight, occasion), and some cover pairs that training
outfits rarely hold (acrylic with silk, real with faux leather, heels at the gym), as expert
knowledge does. A good model must learn when to trust each one. The table is also written to
`rules.json` where a researcher can edit it.

A trigger phrase matches whole words of `Item.text`, where a hyphen joins words
(models/rules.RuleMatcher): "shirt" fires on "Navy shirt" but never on "t-shirt" or
"overshirt", "leather" never on "faux-leather" (the listings hyphenate such compounds).
"""
from stylist_app.data.builtin.texts import (COLOUR_WORDS, FIBRE_WORDS, MATERIAL_FIBRE_WORDS, MATERIAL_WORDS, PATTERN_WORDS,
                                            TYPE_WORDS, WEIGHT_WORDS)
from stylist_app.data.builtin.vocab import COLOURS
from stylist_app.data.schema import Rule


def _words(table: dict, *keys: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for k in keys for w in table[k]))


def _family(name: str) -> tuple[str, ...]:
    return _words(COLOUR_WORDS, *[c.name for c in COLOURS if c.family == name])


def _material(*names: str) -> tuple[str, ...]:
    """Every phrase a listing uses for these textures, whatever their fibre."""
    return tuple(dict.fromkeys([w for n in names for w in MATERIAL_WORDS[n]]
                               + [w for (m, _), ws in MATERIAL_FIBRE_WORDS.items() if m in names for w in ws]))


def _fibre(*names: str) -> tuple[str, ...]:
    """Every phrase a listing uses to state these fibres (on their own or with the texture)."""
    return tuple(dict.fromkeys([w for n in names for w in FIBRE_WORDS[n]]
                               + [w for (_, f), ws in MATERIAL_FIBRE_WORDS.items() if f in names for w in ws]))


# The keyword each occasion sentence carries (texts.OCCASION_SENTENCES).
OCCASION_KEYWORDS = {"work": ("office", "workwear"), "evening": ("evening",), "weekend": ("weekend",),
                     "sport": ("gym", "workout"), "beach": ("beach",)}

T, C, P, W, O = TYPE_WORDS, COLOUR_WORDS, PATTERN_WORDS, WEIGHT_WORDS, OCCASION_KEYWORDS
NEUTRAL, EARTH, PASTEL, BRIGHT, JEWEL = (_family(f) for f in ("neutral", "earth", "pastel", "bright", "jewel"))
REAL_LEATHER = ("leather", "genuine leather", "real leather", "suede", "genuine suede")
FAUX_LEATHER = _fibre("faux leather")
REAL_SILK = _fibre("silk")

RULES = [
    # category
    Rule("tank_with_shorts", "category", _words(T, "tank top"), _words(T, "shorts"), +1, "Tank tops go with shorts."),
    Rule("hoodie_with_joggers", "category", _words(T, "hoodie"), _words(T, "joggers", "leggings"), +1, "Hoodies go with joggers and leggings."),
    Rule("blouse_with_skirt", "category", _words(T, "blouse"), _words(T, "skirt"), +1, "A blouse goes with a skirt."),
    Rule("shirt_with_tailoring", "category", _words(T, "shirt"), _words(T, "trousers", "chinos"), +1, "Shirts go with trousers and chinos."),
    Rule("polo_with_chinos", "category", _words(T, "polo"), _words(T, "chinos", "shorts"), +1, "Polos go with chinos and shorts."),
    Rule("tee_with_jeans", "category", _words(T, "t-shirt", "crop top"), _words(T, "jeans"), +1, "A tee goes with jeans."),
    Rule("hoodie_not_tailored", "category", _words(T, "hoodie", "tank top"), _words(T, "trousers"), -1, "Avoid hoodies or tanks with tailored trousers."),
    Rule("blouse_not_sportswear", "category", _words(T, "blouse", "shirt"), _words(T, "joggers", "leggings"), -1, "Avoid blouses and shirts with sportswear bottoms."),
    Rule("sweater_not_shorts", "category", _words(T, "sweater"), _words(T, "shorts"), -1, "Avoid winter knits with shorts."),
    Rule("gown_with_heels", "category", _words(T, "evening gown"), _words(T, "heels", "clutch"), +1, "A gown wants heels and a clutch."),
    Rule("gown_not_sneakers", "category", _words(T, "evening gown"), _words(T, "sneakers", "backpack", "cap"), -1, "Never a gown with sneakers, backpacks or caps."),
    Rule("blazer_with_loafers", "category", _words(T, "blazer"), _words(T, "loafers", "trousers"), +1, "A blazer goes with loafers and trousers."),
    # colour
    Rule("navy_with_white", "colour", _words(C, "navy"), _words(C, "white", "cream"), +1, "Navy and white are a classic pair."),
    Rule("neutral_with_anything", "colour", NEUTRAL, NEUTRAL + EARTH + JEWEL, +1, "Neutrals go with neutrals, earth tones and jewel tones."),
    Rule("bright_with_neutral", "colour", BRIGHT, NEUTRAL, +1, "Anchor a bright colour with a neutral."),
    Rule("no_bright_on_bright", "colour", BRIGHT, BRIGHT, -1, "Avoid two bright colours together."),
    Rule("no_pastel_with_jewel", "colour", PASTEL, JEWEL, -1, "Pastels and jewel tones clash."),
    Rule("earth_with_earth", "colour", EARTH, EARTH, +1, "Earth tones go together."),
    Rule("no_earth_with_bright", "colour", EARTH, BRIGHT, -1, "Avoid earth tones with brights."),
    # pattern
    Rule("no_stripes_on_stripes", "pattern", _words(P, "stripes"), _words(P, "stripes"), -1, "Never stripes on stripes."),
    Rule("no_floral_with_animal", "pattern", _words(P, "floral"), _words(P, "animal"), -1, "Never floral with animal print."),
    Rule("no_stripes_with_checks", "pattern", _words(P, "stripes"), _words(P, "checks"), -1, "Avoid stripes with checks."),
    Rule("print_with_plain", "pattern", _words(P, "floral", "graphic", "animal", "dots"), _words(P, "solid"), +1, "Pair a print with a plain piece."),
    Rule("no_two_prints", "pattern", _words(P, "floral", "dots", "graphic"), _words(P, "floral", "dots", "graphic"), -1, "One print at a time."),
    Rule("plaid_with_denim", "pattern", _words(P, "checks"), _material("denim") + _words(P, "denim wash") + _words(T, "jeans"), +1, "Plaid and denim go together."),
    # material (the texture a picture shows)
    Rule("no_silk_with_knit", "material", _material("silk", "satin"), _material("knit", "fleece"), -1, "Silk and knit do not mix."),
    Rule("no_double_denim", "material", _material("denim") + _words(T, "jeans", "denim jacket"),
         _material("denim") + _words(T, "jeans", "denim jacket"), -1, "Avoid double denim."),
    Rule("no_linen_with_wool", "material", _material("linen"), _material("wool", "tweed"), -1, "Linen and wool belong to different seasons."),
    Rule("silk_with_denim", "material", _material("silk"), _material("denim") + _words(T, "jeans"), +1, "Silk dresses up denim."),
    # formality
    Rule("no_satin_with_jersey", "formality", _material("satin", "velvet"), _material("jersey", "fleece"), -1, "Evening fabrics do not go with gym fabrics."),
    Rule("wool_with_tailoring", "formality", _material("wool", "tweed"), _words(T, "trousers", "skirt"), +1, "Wool goes with tailored trousers and skirts."),
    # fibre (what the texture does not show)
    Rule("cashmere_with_leather", "fibre", _fibre("cashmere"), REAL_LEATHER, +1, "Cashmere and leather are a luxurious pair."),
    Rule("no_acrylic_with_silk", "fibre", _fibre("acrylic"), REAL_SILK, -1, "An acrylic knit cheapens silk."),
    Rule("no_synthetic_with_cashmere", "fibre", _fibre("acrylic", "polyester"), _fibre("cashmere"), -1, "Keep synthetics away from cashmere."),
    Rule("no_tech_with_tailoring", "fibre", _fibre("performance"), _fibre("merino", "wool blend") + _material("wool", "tweed"), -1,
         "Technical sportswear fabrics do not go with wool tailoring."),
    Rule("silk_with_merino", "fibre", REAL_SILK, _fibre("merino"), +1, "Silk and fine merino are a refined pair."),
    Rule("no_faux_with_real_leather", "fibre", FAUX_LEATHER, REAL_LEATHER, -1, "Do not put faux leather next to real leather."),
    Rule("linen_with_cotton", "fibre", _fibre("linen", "linen blend"), _fibre("cotton"), +1, "Linen and cotton make an easy summer pair."),
    # weight
    Rule("no_heavy_with_light", "weight", _words(W, "heavy"), _words(W, "light"), -1, "Do not mix heavyweight and lightweight pieces."),
    Rule("light_with_light", "weight", _words(W, "light"), _words(W, "light"), +1, "Lightweight pieces go together."),
    Rule("heavy_with_heavy", "weight", _words(W, "heavy"), _words(W, "heavy"), +1, "Heavyweight pieces go together."),
    Rule("no_heavy_with_summer", "weight", _words(W, "heavy"), _words(T, "shorts", "sandals", "tank top"), -1,
         "Heavyweight pieces do not go with shorts, sandals or tank tops."),
    # occasion
    Rule("no_gym_at_the_office", "occasion", O["sport"], O["work"], -1, "Gym pieces stay out of work looks."),
    Rule("office_with_office", "occasion", O["work"], O["work"], +1, "Workwear goes with workwear."),
    Rule("evening_with_evening", "occasion", O["evening"], O["evening"] + _words(T, "heels", "clutch"), +1, "Evening pieces go together."),
    Rule("no_gym_in_the_evening", "occasion", O["sport"], O["evening"], -1, "Gym pieces do not go out in the evening."),
    Rule("no_beach_at_the_office", "occasion", O["beach"], O["work"], -1, "Beachwear stays out of work looks."),
    Rule("gym_with_sportswear", "occasion", O["sport"], _words(T, "leggings", "joggers", "sneakers"), +1, "Gym pieces go with leggings, joggers and sneakers."),
    Rule("beach_with_sandals", "occasion", O["beach"], _words(T, "sandals", "shorts"), +1, "Beach pieces go with sandals and shorts."),
    Rule("no_heels_at_the_gym", "occasion", O["sport"], _words(T, "heels", "loafers"), -1, "Never heels or loafers with gym pieces."),
]

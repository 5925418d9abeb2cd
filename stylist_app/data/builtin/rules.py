"""The studio's fashion rules knowledge base: 32 human-readable rules over listing text.

They are what a stylist would say, not the hidden score: they fire on words (so an
unstated attribute makes a rule miss), they are coarse (a "bright" rule covers every bright
colour), and several are right only in some styles (stripes on stripes is wrong, except in
preppy looks; double denim is wrong, except in street and grunge looks). A good model must
learn when to trust each one. The table is also written to `rules.json` where a researcher
can edit it.
"""
from stylist_app.data.builtin.texts import COLOUR_WORDS, MATERIAL_WORDS, PATTERN_WORDS, TYPE_WORDS
from stylist_app.data.builtin.vocab import COLOURS
from stylist_app.data.schema import Rule


def _words(table: dict, *keys: str) -> tuple[str, ...]:
    return tuple(w for k in keys for w in table[k])


def _family(name: str) -> tuple[str, ...]:
    return _words(COLOUR_WORDS, *[c.name for c in COLOURS if c.family == name])


T, C, P, M = TYPE_WORDS, COLOUR_WORDS, PATTERN_WORDS, MATERIAL_WORDS
NEUTRAL, EARTH, PASTEL, BRIGHT, JEWEL = (_family(f) for f in ("neutral", "earth", "pastel", "bright", "jewel"))

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
    Rule("plaid_with_denim", "pattern", _words(P, "checks"), _words(M, "denim") + _words(P, "denim wash"), +1, "Plaid and denim go together."),
    # material
    Rule("no_silk_with_knit", "material", _words(M, "silk", "satin"), _words(M, "knit", "fleece"), -1, "Silk and knit do not mix."),
    Rule("cashmere_with_leather", "material", _words(M, "cashmere"), _words(M, "leather"), +1, "Cashmere and leather are a luxurious pair."),
    Rule("no_double_denim", "material", _words(M, "denim"), _words(M, "denim"), -1, "Avoid double denim."),
    Rule("no_linen_with_wool", "material", _words(M, "linen"), _words(M, "wool", "tweed"), -1, "Linen and wool belong to different seasons."),
    Rule("silk_with_denim", "material", _words(M, "silk"), _words(M, "denim") + _words(T, "jeans"), +1, "Silk dresses up denim."),
    # formality
    Rule("no_satin_with_jersey", "formality", _words(M, "satin", "velvet"), _words(M, "jersey", "fleece"), -1, "Evening fabrics do not go with gym fabrics."),
    Rule("wool_with_tailoring", "formality", _words(M, "wool", "tweed"), _words(T, "trousers", "skirt"), +1, "Wool goes with tailored trousers and skirts."),
]

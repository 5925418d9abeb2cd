"""Product titles and descriptions for the studio catalog, from varied templates and synonyms.

Like real listings, a title states some attributes and leaves others unsaid; which ones is
drawn per item. `stated` returns exactly what the text says, which becomes the item's
visible `attributes`.
"""
import numpy as np

from stylist_app.data.builtin.vocab import FINE_TYPES

GARMENT_TYPES = {t.name for t in FINE_TYPES if t.slot in ("top", "bottom", "dress", "outerwear")}

COLOUR_WORDS = {
    "black": ("black", "jet black"), "white": ("white", "optic white"), "grey": ("grey", "gray", "heather grey"),
    "navy": ("navy", "navy blue"), "beige": ("beige", "sand"), "cream": ("cream", "ivory", "ecru"),
    "brown": ("brown", "chocolate"), "camel": ("camel", "tan"), "olive": ("olive", "khaki green"),
    "rust": ("rust", "terracotta"), "khaki": ("khaki", "stone"), "blush": ("blush", "blush pink", "dusty pink"),
    "lavender": ("lavender", "lilac"), "mint": ("mint", "mint green"), "baby blue": ("baby blue", "powder blue"),
    "butter": ("butter yellow", "pale yellow"), "red": ("red", "scarlet"), "cobalt": ("cobalt", "electric blue"),
    "yellow": ("yellow", "sunflower"), "orange": ("orange", "tangerine"), "hot pink": ("hot pink", "fuchsia"),
    "kelly green": ("kelly green", "bright green"), "emerald": ("emerald", "emerald green"),
    "sapphire": ("sapphire", "royal blue"), "burgundy": ("burgundy", "wine", "oxblood"), "amethyst": ("amethyst", "plum"),
}
PATTERN_WORDS = {
    "solid": ("plain", "solid"), "stripes": ("striped", "breton stripe", "pinstripe"),
    "checks": ("checked", "plaid", "gingham", "tartan"), "dots": ("polka dot", "spotted"),
    "floral": ("floral", "flower print", "ditsy floral"), "graphic": ("graphic", "logo print", "slogan"),
    "animal": ("leopard print", "zebra print", "snake print"), "denim wash": ("washed", "stonewash", "acid wash"),
    "knit": ("cable knit", "ribbed"),
}
# The drawn texture, in words that hold whatever the fibre (a satin may be silk or polyester).
# A texture named after a fibre (cotton, linen, silk, cashmere, leather, suede) has no such
# words: naming it names the fibre too, and a faux or blended piece must say so ("faux-leather",
# "linen-blend"), as consumer law requires of real listings. Compound modifiers are hyphenated
# ("faux-leather"), so that a rule's whole word "leather" never fires on them.
MATERIAL_WORDS = {
    "cotton": (), "jersey": ("jersey", "stretch jersey"), "linen": (), "silk": (), "satin": ("satin",),
    "chiffon": ("chiffon",), "velvet": ("velvet",), "denim": ("denim",), "flannel": ("flannel", "brushed flannel"),
    "wool": ("wool",), "cashmere": (), "tweed": ("tweed",), "knit": ("knit", "knitted"), "fleece": ("fleece",),
    "leather": (), "suede": (), "nylon": ("nylon",), "canvas": ("canvas",), "acetate": ("acetate",),
}
# Texture words that name the fibre as well: (material, fibre) -> words.
MATERIAL_FIBRE_WORDS = {
    ("cotton", "cotton"): ("cotton", "organic cotton"), ("cotton", "polyester"): ("cotton-blend", "poly-cotton"),
    ("jersey", "cotton"): ("cotton jersey",), ("jersey", "viscose"): ("viscose jersey",),
    ("jersey", "performance"): ("performance jersey", "technical jersey"),
    ("linen", "linen"): ("linen", "pure linen"), ("linen", "linen blend"): ("linen-blend", "linen-look"),
    ("silk", "silk"): ("silk", "mulberry silk"), ("silk", "polyester"): ("silk-look", "satin-finish"),
    ("satin", "silk"): ("silk satin",), ("satin", "polyester"): ("polyester satin",),
    ("chiffon", "silk"): ("silk chiffon",), ("chiffon", "polyester"): ("polyester chiffon",),
    ("velvet", "viscose"): ("viscose velvet",), ("velvet", "polyester"): ("polyester velvet",),
    ("denim", "cotton"): ("rigid cotton denim",), ("denim", "polyester"): ("stretch denim",),
    ("flannel", "cotton"): ("cotton flannel",), ("flannel", "wool blend"): ("wool-blend flannel",),
    ("wool", "merino"): ("merino wool", "fine merino"), ("wool", "wool blend"): ("wool-blend",),
    ("cashmere", "cashmere"): ("cashmere", "pure cashmere"), ("cashmere", "wool blend"): ("cashmere-blend",),
    ("tweed", "wool blend"): ("wool-blend tweed",), ("tweed", "polyester"): ("tweed-effect",),
    ("knit", "cashmere"): ("cashmere knit",), ("knit", "merino"): ("merino knit",),
    ("knit", "acrylic"): ("acrylic knit",), ("knit", "cotton"): ("cotton knit",),
    ("fleece", "polyester"): ("recycled fleece",),
    ("leather", "leather"): ("leather", "genuine leather"), ("leather", "faux leather"): ("faux-leather", "leather-effect"),
    ("suede", "leather"): ("suede", "genuine suede"), ("suede", "faux leather"): ("faux-suede", "suede-effect"),
    ("nylon", "nylon"): ("recycled nylon",), ("nylon", "performance"): ("technical nylon",),
    ("canvas", "cotton"): ("cotton canvas",), ("canvas", "polyester"): ("polyester canvas",),
    ("acetate", "acetate"): ("acetate",),
}
# The fibre stated on its own, in the description ("Composition: 100% cashmere.").
FIBRE_WORDS = {
    "cashmere": ("100% cashmere", "pure cashmere"), "merino": ("100% merino wool", "merino wool"),
    "wool blend": ("wool-blend yarn", "a wool-blend"), "acrylic": ("100% acrylic", "acrylic yarn"),
    "cotton": ("100% cotton", "organic cotton"), "linen": ("100% linen", "pure linen"),
    "linen blend": ("a linen-blend", "linen-blend fabric"), "silk": ("100% silk", "mulberry silk"),
    "polyester": ("polyester-blend fabric", "recycled polyester"), "viscose": ("100% viscose", "soft viscose"),
    "performance": ("moisture-wicking performance fabric", "technical stretch fabric"),
    "nylon": ("100% nylon", "recycled nylon"), "leather": ("genuine leather", "real leather"),
    "faux leather": ("faux-leather", "vegan-leather"), "acetate": ("acetate",),
}
WEIGHT_WORDS = {"light": ("lightweight", "featherweight"), "mid": ("mid-weight", "midweight"),
                "heavy": ("heavyweight", "thick")}
# What the piece is for, as descriptions say it; each sentence names its occasion's keyword
# (office, workwear; evening, party; weekend; gym, workout; beach), and no other text uses those words.
OCCASION_SENTENCES = {
    "work": ("Ready for the office.", "A workwear essential.", "Sharp enough for the office."),
    "evening": ("Made for the evening.", "For evening events and parties.", "An evening favourite."),
    "weekend": ("A weekend favourite.", "Made for the weekend.", "Off-duty weekend style."),
    "sport": ("Made for the gym.", "Built for your workout.", "From the gym to the track."),
    "beach": ("Made for the beach.", "A beach holiday essential.", "From the beach to the boardwalk."),
}
TYPE_WORDS = {
    "t-shirt": ("t-shirt", "tee"), "shirt": ("shirt", "button-down shirt"), "blouse": ("blouse",),
    "sweater": ("sweater", "jumper", "pullover"), "hoodie": ("hoodie", "hooded sweatshirt"), "tank top": ("tank top", "vest top"),
    "polo": ("polo", "polo top"), "crop top": ("crop top", "cropped top"), "jeans": ("jeans",),
    "trousers": ("trousers", "tailored pants", "slacks"), "shorts": ("shorts",), "skirt": ("skirt",),
    "leggings": ("leggings",), "joggers": ("joggers", "track pants"), "chinos": ("chinos",),
    "day dress": ("dress", "day dress", "sundress"), "evening gown": ("evening gown", "gown"), "blazer": ("blazer",),
    "coat": ("coat", "overcoat"), "denim jacket": ("denim jacket", "jean jacket"), "biker jacket": ("biker jacket", "moto jacket"),
    "puffer": ("puffer jacket", "puffer"), "sneakers": ("sneakers", "trainers"), "boots": ("boots", "ankle boots"),
    "heels": ("heels", "pumps"), "loafers": ("loafers",), "sandals": ("sandals",), "tote": ("tote bag", "tote"),
    "backpack": ("backpack",), "clutch": ("clutch", "clutch bag"), "crossbody": ("crossbody bag", "shoulder bag"),
    "cap": ("cap", "baseball cap"), "beanie": ("beanie",), "scarf": ("scarf",), "belt": ("belt",), "sunglasses": ("sunglasses",),
}
FIT_WORDS = {"slim": ("slim-fit", "fitted"), "regular": ("classic", "regular-fit"), "oversized": ("oversized", "relaxed")}
LENGTH_WORDS = {"cropped": ("cropped",), "mini": ("mini",), "midi": ("midi",), "maxi": ("maxi",), "long": ("long",)}

# Phrases that hint at the maker's style; listings use them, so text carries some style signal.
# They never use an occasion's keywords (OCCASION_SENTENCES).
STYLE_PHRASES = {
    "minimalist": ("A clean, pared-back staple.", "Understated and easy to layer."),
    "street": ("Made for the city.", "A streetwear favourite."),
    "preppy": ("A campus classic.", "Smart-casual with a heritage feel."),
    "boho": ("Free-spirited and easy.", "Perfect for festival season."),
    "sporty": ("Built to move.", "Sporty and easy-going."),
    "office": ("Crisp and polished.", "Sharp, tailored lines."),
    "evening": ("A statement piece.", "Made to be noticed."),
    "grunge": ("With an undone, rebellious edge.", "Lived-in and effortless."),
}

# How often a listing states each attribute (pattern: when not solid / when solid).
# Fibre, weight and occasion (world v2), from real listings: on the Maryland Polyvore titles
# (the Bi-LSTM paper's data; word counts in its final_word_dict.txt over ~164,000 items) a
# fibre word (cotton, silk, wool, leather, cashmere, linen, ...) appears in about 12 % of
# titles, an occasion word (work, evening, party, wedding, beach, gym, ...) in about 2 % and a
# weight word (lightweight, heavy, chunky, thick, padded, ...) in under 2 %; a full product
# page states the composition almost always (EU Regulation 1007/2011 requires it before a
# distance sale), and descriptions say "perfect for the office" far more often than titles do.
# A listing here is a title and a short description, so between the two: the fibre is stated
# in about 55 % of listings (explicitly with probability "fibre", or through a texture word
# that names it, e.g. "faux-leather", "linen-blend"), the occasion in 40 %, the weight in 25 %.
STATE_PROB = {"colour": 0.85, "pattern": 0.75, "pattern_solid": 0.1, "material": 0.6, "fit": 0.35, "length": 0.7,
              "fibre": 0.25, "weight": 0.25, "occasion": 0.4}
TITLE_PROB = {"fit": 0.5, "material": 0.6, "weight": 0.3}  # of a stated attribute, the chance it is in the title
# Garments whose name says their texture ("jeans" are denim): a texture word that names no fibre is left unsaid.
IMPLIED_MATERIAL = {"jeans": "denim", "denim jacket": "denim"}


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _fit_sentence(rng, fit: str) -> str:
    k = int(rng.integers(3))
    return (f"{_a(fit).capitalize()} silhouette.", f"Wears {fit} through the body.", f"In {_a(fit)} cut.")[k]


def material_options(material: str, fibre: str) -> tuple[tuple[str, bool], ...]:
    """(words, names the fibre) a listing may use for a texture of this fibre."""
    return (tuple((w, False) for w in MATERIAL_WORDS[material])
            + tuple((w, True) for w in MATERIAL_FIBRE_WORDS.get((material, fibre), ())))


def listing(rng: np.random.Generator, attrs: dict, style: str) -> tuple[str, str, dict]:
    """Title, description and the attributes that text states, for one item."""
    stated = {}
    say = {}
    garment = attrs["category"] in GARMENT_TYPES
    for key in ("colour", "fit", "length"):
        value = attrs.get(key)
        if key == "fit" and not garment:  # shoes, bags and accessories have no fit to state
            continue
        words = {"colour": COLOUR_WORDS, "fit": FIT_WORDS, "length": LENGTH_WORDS}[key].get(value)
        if words and rng.random() < STATE_PROB[key]:
            stated[key] = value
            say[key] = _pick(rng, words)
    if rng.random() < STATE_PROB["material"]:
        word, names_fibre = _pick(rng, material_options(attrs["material"], attrs["fibre"]))
        stated["material"] = attrs["material"]
        if names_fibre:
            stated["fibre"] = attrs["fibre"]
        if names_fibre or IMPLIED_MATERIAL.get(attrs["category"]) != attrs["material"]:
            say["material"] = word
    solid = attrs["pattern"] == "solid"
    if rng.random() < STATE_PROB["pattern_solid" if solid else "pattern"]:
        stated["pattern"] = attrs["pattern"]
        say["pattern"] = _pick(rng, PATTERN_WORDS[attrs["pattern"]])
    explicit_fibre = rng.random() < STATE_PROB["fibre"]
    weight = rng.random() < STATE_PROB["weight"]
    occasion = rng.random() < STATE_PROB["occasion"]
    noun = _pick(rng, TYPE_WORDS[attrs["category"]])
    noun_words = set(noun.split())
    in_title = {k: say.get(k) if rng.random() < TITLE_PROB[k] else None for k in ("fit", "material")}
    if in_title["material"] and noun_words & set(say["material"].split()):  # no "denim denim jacket"
        in_title["material"] = None
    weight_word = _pick(rng, WEIGHT_WORDS[attrs["weight"]]) if weight else None
    weight_in_title = weight_word if weight and rng.random() < TITLE_PROB["weight"] else None
    # The title carries colour, pattern and the noun; fit, length, weight and material go in the title or the description.
    title_words = [w for w in (in_title["fit"], weight_in_title, say.get("length"), say.get("colour"), say.get("pattern"),
                               in_title["material"], noun) if w]
    title = " ".join(title_words)
    title = title[0].upper() + title[1:]
    sentences = []
    if "material" in say and not in_title["material"] and say["material"] not in noun_words:  # "denim jacket" says denim
        sentences.append(_pick(rng, ("Cut from {} fabric.", "Made in {}.", "Crafted from soft {}.")).format(say["material"]))
    if "fit" in say and not in_title["fit"]:
        sentences.append(_fit_sentence(rng, say["fit"]))
    if explicit_fibre:
        stated["fibre"] = attrs["fibre"]
        sentences.append(_pick(rng, ("Composition: {}.", "Made from {}.")).format(_pick(rng, FIBRE_WORDS[attrs["fibre"]])))
    if weight:
        stated["weight"] = attrs["weight"]
        if not weight_in_title:
            sentences.append(_pick(rng, (_a(weight_word).capitalize() + " piece.", f"Weight: {weight_word}.")))
    if occasion:
        stated["occasion"] = attrs["occasion"]
        sentences.append(_pick(rng, OCCASION_SENTENCES[attrs["occasion"]]))
    if rng.random() < 0.35:
        sentences.append(_pick(rng, STYLE_PHRASES[style]))
    sentences.append(_pick(rng, ("Easy care.", "Machine washable.", "Dry clean only.", "Model wears size M.",
                                 "Designed in our studio.", "A wardrobe essential.")))
    return title, " ".join(sentences), stated

"""Product titles and descriptions for the studio catalog, from varied templates and synonyms.

Like real listings, a title states some attributes and leaves others unsaid; which ones is
drawn per item. `stated` returns exactly what the text says, which becomes the item's
visible `attributes`.
"""
import numpy as np

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
MATERIAL_WORDS = {
    "cotton": ("cotton", "organic cotton"), "jersey": ("jersey", "stretch jersey"), "linen": ("linen", "linen-blend"),
    "silk": ("silk", "mulberry silk"), "satin": ("satin",), "chiffon": ("chiffon",), "velvet": ("velvet",),
    "denim": ("denim",), "flannel": ("flannel", "brushed flannel"), "wool": ("wool", "merino wool"),
    "cashmere": ("cashmere",), "tweed": ("tweed",), "knit": ("knit", "chunky knit"), "fleece": ("fleece",),
    "leather": ("leather", "faux leather"), "suede": ("suede",), "nylon": ("nylon", "technical nylon"),
    "canvas": ("canvas",), "acetate": ("acetate",),
}
TYPE_WORDS = {
    "t-shirt": ("t-shirt", "tee"), "shirt": ("shirt", "button-down shirt"), "blouse": ("blouse",),
    "sweater": ("sweater", "jumper", "pullover"), "hoodie": ("hoodie", "hooded sweatshirt"), "tank top": ("tank top", "vest top"),
    "polo": ("polo shirt", "polo"), "crop top": ("crop top", "cropped top"), "jeans": ("jeans",),
    "trousers": ("trousers", "tailored pants", "slacks"), "shorts": ("shorts",), "skirt": ("skirt",),
    "leggings": ("leggings",), "joggers": ("joggers", "track pants"), "chinos": ("chinos",),
    "day dress": ("dress", "day dress", "sundress"), "evening gown": ("evening gown", "gown"), "blazer": ("blazer",),
    "coat": ("coat", "overcoat"), "denim jacket": ("denim jacket", "jean jacket"), "leather jacket": ("leather jacket", "biker jacket"),
    "puffer": ("puffer jacket", "down jacket"), "sneakers": ("sneakers", "trainers"), "boots": ("boots", "ankle boots"),
    "heels": ("heels", "pumps"), "loafers": ("loafers",), "sandals": ("sandals",), "tote": ("tote bag", "tote"),
    "backpack": ("backpack",), "clutch": ("clutch", "evening clutch"), "crossbody": ("crossbody bag", "shoulder bag"),
    "cap": ("cap", "baseball cap"), "beanie": ("beanie",), "scarf": ("scarf",), "belt": ("belt",), "sunglasses": ("sunglasses",),
}
FIT_WORDS = {"slim": ("slim-fit", "fitted"), "regular": ("classic", "regular-fit"), "oversized": ("oversized", "relaxed")}
LENGTH_WORDS = {"cropped": ("cropped",), "mini": ("mini",), "midi": ("midi",), "maxi": ("maxi",), "long": ("long",)}

# Phrases that hint at an occasion; listings use them, so text carries some style signal.
OCCASION_PHRASES = {
    "minimalist": ("A clean, pared-back staple.", "Understated and easy to layer."),
    "street": ("Made for the city.", "A streetwear favourite."),
    "preppy": ("A campus classic.", "Smart-casual with a heritage feel."),
    "boho": ("Free-spirited and easy.", "Perfect for festival season."),
    "sporty": ("Built to move.", "From the gym to the street."),
    "office": ("Ready for the office.", "Sharp enough for meetings."),
    "evening": ("Made for evenings out.", "A statement for special occasions."),
    "grunge": ("With an undone, rebellious edge.", "Lived-in and effortless."),
}

# How often a listing states each attribute (pattern: when not solid / when solid).
STATE_PROB = {"colour": 0.85, "pattern": 0.75, "pattern_solid": 0.1, "material": 0.6, "fit": 0.35, "length": 0.7}


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def listing(rng: np.random.Generator, attrs: dict, style: str) -> tuple[str, str, dict]:
    """Title, description and the attributes that text states, for one item."""
    stated = {}
    say = {}
    for key in ("colour", "material", "fit", "length"):
        value = attrs.get(key)
        words = {"colour": COLOUR_WORDS, "material": MATERIAL_WORDS, "fit": FIT_WORDS, "length": LENGTH_WORDS}[key].get(value)
        if words and rng.random() < STATE_PROB[key]:
            stated[key] = value
            say[key] = _pick(rng, words)
    solid = attrs["pattern"] == "solid"
    if rng.random() < STATE_PROB["pattern_solid" if solid else "pattern"]:
        stated["pattern"] = attrs["pattern"]
        say["pattern"] = _pick(rng, PATTERN_WORDS[attrs["pattern"]])
    noun = _pick(rng, TYPE_WORDS[attrs["category"]])
    # The title carries colour, pattern and the noun; fit, length and material go in the title or the description.
    in_title = [say.get("fit") if rng.random() < 0.5 else None, say.get("length"), say.get("colour"), say.get("pattern"),
                say.get("material") if rng.random() < 0.6 else None, noun]
    title_words = [w for w in in_title if w]
    title = " ".join(title_words)
    title = title[0].upper() + title[1:]
    sentences = []
    rest = [k for k in ("material", "fit") if k in say and say[k] not in title_words]
    if "material" in rest:
        sentences.append(_pick(rng, ("Cut from {} fabric.", "Made in {}.", "Crafted from soft {}.")).format(say["material"]))
    if "fit" in rest:
        sentences.append(_pick(rng, ("A {} silhouette.", "Wears {} through the body.", "In a {} cut.")).format(say["fit"]))
    if rng.random() < 0.35:
        sentences.append(_pick(rng, OCCASION_PHRASES[style]))
    sentences.append(_pick(rng, ("Easy care.", "Machine washable.", "Dry clean only.", "Model wears size M.",
                                 "Designed in our studio.", "A wardrobe essential.")))
    return title, " ".join(sentences), stated

"""The vocabulary of the studio wardrobe: fine types, colours, patterns, materials, fits, and
the facts a picture cannot show (fibre, weight, occasion).

Type, colour, pattern, material (the drawn texture), fit and length are facts anyone can see
on a garment (listings may or may not state them). Fibre, weight and occasion are never
drawn: only a listing's words can tell them (world v2). The hidden part of the world (styles
and how they weigh these facts) lives in `styles.py`.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class FineType:
    name: str  # as written in titles, e.g. "t-shirt"
    slot: str  # one of schema.SLOTS
    formality: float  # 0 = gym, 1 = black tie
    warmth: float  # 0 = high summer, 1 = deep winter
    materials: tuple[str, ...]  # materials this type is made in
    lengths: tuple[str, ...] = ("regular",)  # length variants the renderer draws


FINE_TYPES: tuple[FineType, ...] = (
    # tops
    FineType("t-shirt", "top", 0.15, 0.3, ("cotton", "jersey", "linen")),
    FineType("shirt", "top", 0.6, 0.4, ("cotton", "linen", "silk", "denim", "flannel")),
    FineType("blouse", "top", 0.65, 0.35, ("silk", "cotton", "chiffon", "linen")),
    FineType("sweater", "top", 0.4, 0.8, ("wool", "cashmere", "knit", "cotton")),
    FineType("hoodie", "top", 0.05, 0.7, ("jersey", "cotton", "fleece")),
    FineType("tank top", "top", 0.1, 0.05, ("jersey", "cotton", "silk", "linen")),
    FineType("polo", "top", 0.35, 0.3, ("cotton", "jersey")),
    FineType("crop top", "top", 0.15, 0.1, ("jersey", "cotton", "knit")),
    # bottoms
    FineType("jeans", "bottom", 0.25, 0.5, ("denim",), ("regular", "cropped")),
    FineType("trousers", "bottom", 0.7, 0.55, ("wool", "cotton", "linen", "tweed"), ("regular", "cropped")),
    FineType("shorts", "bottom", 0.1, 0.05, ("cotton", "denim", "linen", "jersey")),
    FineType("skirt", "bottom", 0.55, 0.35, ("cotton", "leather", "silk", "wool", "denim", "tweed"), ("mini", "midi", "maxi")),
    FineType("leggings", "bottom", 0.05, 0.45, ("jersey", "nylon")),
    FineType("joggers", "bottom", 0.05, 0.5, ("jersey", "fleece", "nylon")),
    FineType("chinos", "bottom", 0.5, 0.45, ("cotton", "linen")),
    # dresses
    FineType("day dress", "dress", 0.45, 0.25, ("cotton", "linen", "chiffon", "jersey"), ("mini", "midi", "maxi")),
    FineType("evening gown", "dress", 0.95, 0.3, ("silk", "satin", "velvet", "chiffon"), ("midi", "maxi")),
    # outerwear
    FineType("blazer", "outerwear", 0.8, 0.55, ("wool", "tweed", "linen", "velvet")),
    FineType("coat", "outerwear", 0.65, 0.95, ("wool", "cashmere", "tweed"), ("regular", "long")),
    FineType("denim jacket", "outerwear", 0.2, 0.5, ("denim",)),
    FineType("biker jacket", "outerwear", 0.35, 0.6, ("leather", "suede")),
    FineType("puffer", "outerwear", 0.05, 1.0, ("nylon",)),
    # shoes
    FineType("sneakers", "shoes", 0.05, 0.4, ("canvas", "leather", "suede", "nylon")),
    FineType("boots", "shoes", 0.4, 0.85, ("leather", "suede")),
    FineType("heels", "shoes", 0.9, 0.3, ("leather", "satin", "suede", "velvet")),
    FineType("loafers", "shoes", 0.7, 0.45, ("leather", "suede", "velvet")),
    FineType("sandals", "shoes", 0.25, 0.0, ("leather", "canvas")),
    # bags
    FineType("tote", "bag", 0.4, 0.4, ("canvas", "leather", "cotton")),
    FineType("backpack", "bag", 0.05, 0.5, ("nylon", "canvas", "leather")),
    FineType("clutch", "bag", 0.95, 0.4, ("satin", "leather", "velvet")),
    FineType("crossbody", "bag", 0.45, 0.4, ("leather", "suede", "canvas")),
    # accessories
    FineType("cap", "accessory", 0.0, 0.3, ("cotton", "nylon", "denim")),
    FineType("beanie", "accessory", 0.1, 0.95, ("knit", "wool", "cashmere")),
    FineType("scarf", "accessory", 0.5, 0.85, ("wool", "cashmere", "silk", "knit")),
    FineType("belt", "accessory", 0.6, 0.4, ("leather", "suede")),
    FineType("sunglasses", "accessory", 0.4, 0.1, ("acetate",)),
)
TYPE_BY_NAME = {t.name: t for t in FINE_TYPES}


@dataclass(frozen=True)
class Colour:
    name: str
    family: str  # neutral, earth, pastel, bright, jewel
    rgb: tuple[int, int, int]
    hue: float  # degrees, for harmony; neutrals carry -1


COLOURS: tuple[Colour, ...] = (
    Colour("black", "neutral", (28, 28, 30), -1),
    Colour("white", "neutral", (246, 245, 241), -1),
    Colour("grey", "neutral", (150, 152, 156), -1),
    Colour("navy", "neutral", (32, 44, 84), 225),
    Colour("beige", "neutral", (222, 204, 172), 38),
    Colour("cream", "neutral", (243, 234, 214), 43),
    Colour("brown", "earth", (110, 72, 46), 25),
    Colour("camel", "earth", (193, 144, 92), 31),
    Colour("olive", "earth", (112, 114, 56), 61),
    Colour("rust", "earth", (172, 78, 42), 17),
    Colour("khaki", "earth", (178, 164, 118), 46),
    Colour("blush", "pastel", (238, 196, 196), 0),
    Colour("lavender", "pastel", (200, 186, 228), 260),
    Colour("mint", "pastel", (182, 228, 206), 150),
    Colour("baby blue", "pastel", (176, 210, 236), 205),
    Colour("butter", "pastel", (246, 230, 160), 50),
    Colour("red", "bright", (210, 34, 44), 357),
    Colour("cobalt", "bright", (24, 72, 200), 224),
    Colour("yellow", "bright", (250, 204, 20), 48),
    Colour("orange", "bright", (246, 120, 28), 26),
    Colour("hot pink", "bright", (236, 48, 140), 330),
    Colour("kelly green", "bright", (28, 160, 72), 140),
    Colour("emerald", "jewel", (4, 110, 78), 162),
    Colour("sapphire", "jewel", (18, 52, 130), 222),
    Colour("burgundy", "jewel", (112, 22, 44), 346),
    Colour("amethyst", "jewel", (104, 52, 140), 276),
)
COLOUR_BY_NAME = {c.name: c for c in COLOURS}
COLOUR_FAMILIES = ("neutral", "earth", "pastel", "bright", "jewel")

PATTERNS = ("solid", "stripes", "checks", "dots", "floral", "graphic", "animal", "denim wash", "knit")

# material -> (warmth, formality, sheen) used by the hidden score and by the renderer's texture.
MATERIALS: dict[str, tuple[float, float, float]] = {
    "cotton": (0.4, 0.4, 0.0),
    "jersey": (0.4, 0.15, 0.0),
    "linen": (0.0, 0.5, 0.0),
    "silk": (0.3, 0.9, 0.8),
    "satin": (0.3, 0.95, 1.0),
    "chiffon": (0.1, 0.8, 0.3),
    "velvet": (0.7, 0.9, 0.6),
    "denim": (0.5, 0.2, 0.0),
    "flannel": (0.8, 0.3, 0.0),
    "wool": (0.9, 0.7, 0.0),
    "cashmere": (0.9, 0.85, 0.1),
    "tweed": (0.9, 0.75, 0.0),
    "knit": (0.85, 0.3, 0.0),
    "fleece": (0.9, 0.05, 0.0),
    "leather": (0.6, 0.6, 0.5),
    "suede": (0.6, 0.55, 0.0),
    "nylon": (0.5, 0.1, 0.4),
    "canvas": (0.4, 0.1, 0.0),
    "acetate": (0.3, 0.5, 0.7),
}

FITS = ("slim", "regular", "oversized")


# ----------------------------------------------------------------------------- what pictures cannot show
# Fibre: the composition behind the drawn texture. A knit looks the same in cashmere and in
# acrylic, a leather texture in real and faux leather, a satin in silk and in polyester; on
# Mango's product data the fabric code (woven, jersey, knit, denim, leather, faux leather)
# follows from the product type for 84 % of products, and real against faux leather (71 vs 97
# products) not at all.
FIBRES = ("cashmere", "merino", "wool blend", "acrylic", "cotton", "linen", "linen blend", "silk", "polyester",
          "viscose", "performance", "nylon", "leather", "faux leather", "acetate")
# material -> {fibre: base share}: which fibres each drawn texture comes in, and how common each
# is on the high street (acrylic and polyester are the cheap majority in knits and satins).
MATERIAL_FIBRES: dict[str, dict[str, float]] = {
    "cotton": {"cotton": 0.75, "polyester": 0.25},
    "jersey": {"cotton": 0.5, "viscose": 0.25, "performance": 0.25},
    "linen": {"linen": 0.6, "linen blend": 0.4},
    "silk": {"silk": 0.55, "polyester": 0.45},
    "satin": {"silk": 0.35, "polyester": 0.65},
    "chiffon": {"silk": 0.3, "polyester": 0.7},
    "velvet": {"viscose": 0.5, "polyester": 0.5},
    "denim": {"cotton": 0.6, "polyester": 0.4},
    "flannel": {"cotton": 0.6, "wool blend": 0.4},
    "wool": {"merino": 0.4, "wool blend": 0.6},
    "cashmere": {"cashmere": 0.65, "wool blend": 0.35},
    "tweed": {"wool blend": 0.7, "polyester": 0.3},
    "knit": {"cashmere": 0.12, "merino": 0.23, "acrylic": 0.45, "cotton": 0.2},
    "fleece": {"polyester": 1.0},
    "leather": {"leather": 0.5, "faux leather": 0.5},
    "suede": {"leather": 0.5, "faux leather": 0.5},
    "nylon": {"nylon": 0.6, "performance": 0.4},
    "canvas": {"cotton": 0.7, "polyester": 0.3},
    "acetate": {"acetate": 1.0},
}
# Fibre -> how much warmer (+) or lighter (-) than its texture suggests (fine-gauge merino is
# lighter than a wool-blend of the same look; linen and technical fabrics are cool).
FIBRE_WARMTH = {"cashmere": 0.05, "merino": -0.1, "wool blend": 0.05, "linen": -0.1, "linen blend": -0.05,
                "silk": -0.05, "viscose": -0.05, "performance": -0.1, "leather": 0.05}

# Weight of the fabric. Drawn from the item's warmth (type and texture) and fibre.
WEIGHTS = ("light", "mid", "heavy")
# Types whose weight is not in their shell's texture: a puffer's nylon shell holds a heavy fill.
TYPE_WEIGHT_SHIFT = {"puffer": 0.2, "coat": 0.05}
WEIGHT_CENTRES = (0.2, 0.5, 0.8)  # warmth at which each weight is most likely
WEIGHT_SPREAD = 0.16

# What the piece is for. Drawn from type, the maker's style and the fibre.
OCCASIONS = ("work", "evening", "weekend", "sport", "beach")
# Fine type -> occasion logits (unlisted 0): a blazer is mostly for work, leggings for sport, a
# gown only for the evening, a t-shirt for the weekend but also for the gym or the beach.
TYPE_OCCASIONS: dict[str, dict[str, float]] = {
    "t-shirt": dict(weekend=1.2, sport=0.6, beach=0.5, work=-0.6, evening=-1.2),
    "shirt": dict(work=1.2, weekend=0.8, evening=0.2, sport=-2.0),
    "blouse": dict(work=1.0, evening=0.8, weekend=0.5, beach=-0.3, sport=-2.5),
    "sweater": dict(weekend=1.2, work=0.8, evening=-0.6, sport=-1.2, beach=-2.0),
    "hoodie": dict(weekend=1.2, sport=1.0, work=-2.0, evening=-2.0, beach=-0.8),
    "tank top": dict(sport=1.0, beach=1.0, weekend=0.8, evening=-0.5, work=-1.8),
    "polo": dict(weekend=1.0, sport=0.6, work=0.2, beach=0.2, evening=-1.5),
    "crop top": dict(weekend=0.8, beach=0.8, sport=0.6, evening=0.3, work=-2.0),
    "jeans": dict(weekend=1.6, work=-0.6, beach=-0.6, sport=-2.5),
    "trousers": dict(work=1.6, evening=0.6, weekend=0.3, sport=-3.0, beach=-1.5),
    "shorts": dict(weekend=0.8, beach=1.0, sport=0.8, work=-2.5, evening=-2.0),
    "skirt": dict(work=0.6, evening=0.6, weekend=0.8, sport=-2.5),
    "leggings": dict(sport=1.8, weekend=0.6, work=-2.5, evening=-1.5, beach=-1.0),
    "joggers": dict(sport=1.2, weekend=1.2, work=-2.5, evening=-2.5, beach=-1.0),
    "chinos": dict(weekend=1.0, work=1.0, evening=-0.4, sport=-2.0),
    "day dress": dict(weekend=1.0, work=0.4, beach=0.6, evening=0.2, sport=-3.0),
    "evening gown": dict(evening=4.0, work=-4.0, weekend=-4.0, sport=-6.0, beach=-4.0),
    "blazer": dict(work=1.6, evening=0.6, weekend=0.2, sport=-3.0, beach=-2.0),
    "coat": dict(work=1.0, weekend=1.0, evening=0.6, sport=-3.0, beach=-3.0),
    "denim jacket": dict(weekend=1.6, evening=-0.4, work=-1.0, sport=-1.5),
    "biker jacket": dict(weekend=1.2, evening=0.8, work=-0.8, sport=-2.0, beach=-1.5),
    "puffer": dict(weekend=1.4, sport=0.6, work=-0.6, evening=-2.0, beach=-3.0),
    "sneakers": dict(weekend=1.2, sport=1.2, work=-1.2, evening=-1.8, beach=-0.2),
    "boots": dict(weekend=1.0, work=0.4, evening=0.4, sport=-2.0, beach=-2.0),
    "heels": dict(evening=1.6, work=0.8, weekend=-0.8, sport=-4.0, beach=-2.0),
    "loafers": dict(work=1.4, weekend=0.8, sport=-3.0, beach=-0.5),
    "sandals": dict(beach=1.4, weekend=1.0, work=-1.2, sport=-1.5),
    "tote": dict(work=1.0, weekend=1.0, beach=0.8, evening=-1.0, sport=-0.5),
    "backpack": dict(weekend=1.0, sport=1.0, work=-0.2, evening=-2.5),
    "clutch": dict(evening=2.0, work=-1.5, weekend=-0.5, sport=-4.0, beach=-1.5),
    "crossbody": dict(weekend=1.2, evening=0.4, work=0.2, beach=0.3, sport=-1.5),
    "cap": dict(sport=1.2, weekend=1.0, beach=0.8, work=-2.5, evening=-2.5),
    "beanie": dict(weekend=1.4, work=-1.0, evening=-1.5, beach=-3.0),
    "scarf": dict(weekend=1.0, work=0.8, evening=0.2, sport=-2.0, beach=-1.5),
    "belt": dict(work=1.0, weekend=0.8, evening=0.4, sport=-2.0),
    "sunglasses": dict(beach=1.4, weekend=1.0, work=-0.6, evening=-1.0),
}
# Fibre or texture -> occasion logits: technical fabrics are for sport, satin and velvet for evenings.
FIBRE_OCCASIONS = {"performance": dict(sport=1.5), "silk": dict(evening=0.5, work=0.3), "linen": dict(beach=0.6),
                   "linen blend": dict(beach=0.4), "cashmere": dict(work=0.3)}
MATERIAL_OCCASIONS = {"satin": dict(evening=0.8), "velvet": dict(evening=0.8), "chiffon": dict(evening=0.5),
                      "fleece": dict(sport=0.5, weekend=0.5), "tweed": dict(work=0.5)}
# How much a piece's weight counts in an outfit's weight coherence: garments fully, shoes and
# warm accessories partly, bags, belts and sunglasses not at all.
WEIGHT_RELEVANCE = {"shoes": 0.6, "bag": 0.0, "accessory": 0.7}
WEIGHT_RELEVANCE_TYPE = {"belt": 0.0, "sunglasses": 0.0, "cap": 0.4}

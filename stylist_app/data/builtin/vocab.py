"""The visible vocabulary of the studio wardrobe: fine types, colours, patterns, materials, fits.

These are facts anyone can see on a garment (and that listings may or may not state). The
hidden part of the world (styles and how they weigh these facts) lives in `styles.py`.
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
    FineType("leather jacket", "outerwear", 0.35, 0.6, ("leather", "suede")),
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

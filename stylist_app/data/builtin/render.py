"""Fashion-flat renderer for the generated catalogue.

A *fashion flat* is the flat technical drawing designers hand to a factory: the garment
laid out symmetrically, front view, no body and no perspective, a clean outline with the
construction written on it (seams, topstitching, collars, plackets, buttons, pockets,
cuffs, ribbing, zips).  Shoes are drawn in side profile (sandals as a pair from above),
bags and accessories front on; everything sits near the centre of a light studio background.

How a drawing is built (`render_item`):

1. A *pen* collects drawing operations in local unit coordinates (x centred on 0, y
   growing downwards).  Each fine type has one small function in `_DRAWERS` that
   describes its silhouette as polygons (bodies, sleeves, collars, soles, straps...),
   the details as lines (seams, dashed stitching, folds, zips) and dots (buttons,
   rivets, eyelets).  Shared helpers (`_torso` + `_sleeve` for every top, jacket and
   bodice, `_pants` for every trouser, `_skirt_shape`, `_collar`, `_lapels`, `_cuff`,
   `_shoe_sole`, ...) keep the per-type functions short.  `fit` widens or narrows the
   body and legs, `length` moves hems.
2. The operations are fitted into the canvas (2x the requested size, ~8% white margin).
3. The fill is a palette image: a cached pattern tile (colour index + shading, per
   pattern and `seed % 8`) plus a cached material texture (twill, ribbing, sheen,
   speckle, ...), both expressed as shade steps, looked up in a 256-entry palette built
   from `colour` and `colour2`.  Each silhouette part pastes that fill through its own
   polygon mask, so patterns stay inside the garment; then its outline (a darker shade
   of the fill) and the details are drawn on top in order.
4. The 2x drawing is box-downsampled for anti-aliasing; `packshot` then lays it on a studio
   background (tint, shadow, light, folds, grain; the piece posed a little askew).

Everything is deterministic: randomness comes only from `random.Random(seed)` and
numpy generators seeded from fixed keys.
"""
from __future__ import annotations

import functools
import math
import random
import zlib
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from stylist_app.data.builtin import vocab

__all__ = ["render_item", "render_flat", "packshot"]

MARGIN = 0.08  # white margin on each side, fraction of the canvas
SUPER = 2  # internal supersampling factor
FIT_WIDTH = {"slim": 0.86, "regular": 1.0, "oversized": 1.17}
GARMENT_SLOTS = ("top", "bottom", "dress", "outerwear")
WHITE = (255, 255, 255)
SHADES = 64  # palette entries per colour index; 32 is the plain colour
SHADE_RANGE = 0.6  # shade step 0 / 63 mixes this far towards black / white


# ----------------------------------------------------------------------------- geometry
def _bez(*ctrl, n=10):
    """Points on a Bezier curve (any degree) through the first and last control point."""
    pts = []
    for i in range(n + 1):
        t = i / n
        q = list(ctrl)
        while len(q) > 1:
            q = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]) for a, b in zip(q, q[1:])]
        pts.append(q[0])
    return pts


def _flip(pts):
    return [(-x, y) for x, y in pts]


def _sym(half):
    """Close a right half outline running from the top centre to the bottom centre."""
    return list(half) + [(-x, y) for x, y in reversed(half[:-1])]


def _lerp(a, b, t):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _add(a, b, k=1.0):
    return (a[0] + b[0] * k, a[1] + b[1] * k)


def _unit(a, b):
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy) or 1.0
    return (dx / d, dy / d)


def _ellipse(cx, cy, rx, ry, rot=0.0, n=28, a0=0.0, a1=2 * math.pi):
    c, s = math.cos(rot), math.sin(rot)
    out = []
    for i in range(n + (0 if a1 - a0 >= 2 * math.pi - 1e-9 else 1)):
        a = a0 + (a1 - a0) * i / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        out.append((cx + x * c - y * s, cy + x * s + y * c))
    return out


def _rrect(x0, y0, x1, y1, r, n=4):
    """Rounded rectangle polygon."""
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    out = []
    for cx, cy, a in ((x1 - r, y0 + r, -math.pi / 2), (x1 - r, y1 - r, 0.0),
                      (x0 + r, y1 - r, math.pi / 2), (x0 + r, y0 + r, math.pi)):
        out += [(cx + r * math.cos(a + k * math.pi / 2 / n), cy + r * math.sin(a + k * math.pi / 2 / n))
                for k in range(n + 1)]
    return out


def _offset(pts, d):
    """Offset an open polyline sideways by d (positive = to the right of travel, y down)."""
    out = []
    for i, p in enumerate(pts):
        a = pts[max(i - 1, 0)]
        b = pts[min(i + 1, len(pts) - 1)]
        tx, ty = _unit(a, b)
        out.append((p[0] - ty * d, p[1] + tx * d))
    return out


def _strip(pts, w):
    """A band polygon of width w around a polyline (straps, handles, cords)."""
    return _offset(pts, w / 2) + list(reversed(_offset(pts, -w / 2)))


def _hit(p, d, a, b):
    """Where the ray from p along d meets the line through a and b."""
    ex, ey = b[0] - a[0], b[1] - a[1]
    den = d[0] * ey - d[1] * ex
    if abs(den) < 1e-9:
        return b
    t = ((a[0] - p[0]) * ey - (a[1] - p[1]) * ex) / den
    return (p[0] + d[0] * t, p[1] + d[1] * t)


def _resample(pts, n):
    """n points evenly spaced along a polyline."""
    seg = [math.dist(a, b) for a, b in zip(pts, pts[1:])]
    total = sum(seg) or 1.0
    out, i, acc = [], 0, 0.0
    for k in range(n):
        target = total * k / max(n - 1, 1)
        while i < len(seg) - 1 and acc + seg[i] < target:
            acc += seg[i]
            i += 1
        t = 0.0 if seg[i] == 0 else min(max((target - acc) / seg[i], 0.0), 1.0)
        out.append(_lerp(pts[i], pts[i + 1], t))
    return out


# ----------------------------------------------------------------------------- colour
def _mix(a, b, t):
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def _lum(c):
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255.0


@functools.lru_cache(maxsize=1024)
def _roles(c1, c2, metal_gold, denim):
    """Named colours for one item: outline, seams, stitching, hardware, soles..."""
    dark = _lum(c1) < 0.3
    black, white = (0, 0, 0), (255, 255, 255)
    seam = _mix(c1, white, 0.3) if dark else _mix(c1, black, 0.28)
    metal = (206, 170, 92) if metal_gold else (196, 198, 204)
    return {
        "ol": _mix(c1, black, 0.58 if not dark else 0.45),
        "seam": seam,
        "fold": _mix(c1, seam, 0.55),
        "stitch": (214, 152, 64) if denim else _mix(c1, seam, 0.85),
        "inside": _mix(c1, black, 0.32),
        "light": _mix(c1, white, 0.45),
        "bed": _mix(c1, white, 0.15),
        "c2": c2,
        "c2ol": _mix(c2, black, 0.5),
        "c2dark": _mix(c2, black, 0.3),
        "metal": metal,
        "metalol": _mix(metal, black, 0.45),
        "button": _mix(c1, white, 0.4) if dark else _mix(c1, black, 0.18),
        "sole": (243, 241, 235),
        "soleol": (150, 148, 142),
        "rubber": (62, 58, 56),
        "rubberol": (30, 28, 27),
        "lens": _mix(_mix(c2, (40, 40, 44), 0.55), black, 0.35),
        "lensol": _mix(c1, black, 0.6),
        "main": c1,
        "white": white,
        "grey": (120, 120, 120),
    }


@functools.lru_cache(maxsize=512)
def _palette(c1, c2):
    """256 entries: 4 colour indices (c1, c2, their mix (nearer c1), deep c2) x 64 shade steps."""
    bases = np.array([c1, c2, _mix(c1, c2, 0.3), _mix(c2, (0, 0, 0), 0.38)], np.float32)
    s = (np.arange(SHADES, dtype=np.float32) - 32) / 32 * SHADE_RANGE
    s = s[None, :, None]
    b = bases[:, None, :]
    pal = np.where(s < 0, b * (1 + s), b + (255 - b) * s)
    return np.clip(np.round(pal), 0, 255).astype(np.uint8).tobytes()


# ----------------------------------------------------------------------------- noise
def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _smooth(rng, n, cy, cx=None):
    """Smooth noise (unit std-ish) by bicubic upsampling of a coarse random grid."""
    g = rng.standard_normal((cy, cx or cy)).astype(np.float32)
    return np.asarray(Image.fromarray(g, mode="F").resize((n, n), Image.BICUBIC))


def _grid(n):
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    return x, y


# ----------------------------------------------------------------------------- materials
@functools.lru_cache(maxsize=64)
def _material(name, n):
    """Texture of a material as an int16 shade offset (palette steps, 0 = plain)."""
    rng = _rng("material", name, n)
    u = n / 448.0
    x, y = _grid(n)
    fine = rng.standard_normal((n, n)).astype(np.float32)

    def sheen(amount, freq, power, angle=0.6):
        warp = _smooth(rng, n, 3) * 0.9
        t = (x * math.cos(angle) + y * math.sin(angle)) / n * 2 * math.pi * freq + warp
        return amount * np.maximum(np.sin(t), 0) ** power

    if name == "cotton":
        s = 0.7 * fine + 0.8 * _smooth(rng, n, int(60 / u) or 1)
    elif name == "jersey":
        s = 0.6 * fine - 1.0 * ((x % (5 * u)) < 1.5 * u)
    elif name == "linen":
        s = 1.6 * _smooth(rng, n, int(160 / u), 6) + 0.8 * fine + 1.2 * _smooth(rng, n, int(90 / u), 3)
    elif name == "silk":
        s = sheen(8, 1.1, 3) + 0.4 * fine - 1.5
    elif name == "satin":
        s = sheen(13, 1.3, 4) + sheen(5, 2.7, 2, 0.9) - 3
    elif name == "chiffon":
        s = 3 + 2.0 * np.sin((x * 0.3 + y) / n * 2 * math.pi * 3 + _smooth(rng, n, 4) * 2) + 0.4 * fine
    elif name == "velvet":
        s = 2.6 * _smooth(rng, n, 6) - 1.0 + 0.5 * fine
    elif name == "denim":
        s = -2.6 * (((x + y) % (6 * u)) < 2.2 * u) + 1.0 * fine + 1.6 * _smooth(rng, n, 8, int(120 / u))
    elif name == "flannel":
        s = 1.0 * _smooth(rng, n, int(110 / u)) + 0.7 * fine + 0.6 * _smooth(rng, n, 14)
    elif name == "wool":
        s = 1.2 * fine + 0.9 * _smooth(rng, n, int(70 / u)) + 0.6 * _smooth(rng, n, 10)
    elif name == "cashmere":
        s = 1.1 * _smooth(rng, n, int(60 / u)) + 0.9 * _smooth(rng, n, 12) + 0.5 * fine
    elif name == "tweed":
        r = rng.random((n, n))
        s = 1.4 * fine + 8.0 * (r < 0.035) - 7.0 * (r > 0.965)
        s += 1.5 * np.sin((np.abs(((x + 0.0) % (14 * u)) - 7 * u) + y) / (3 * u))  # herringbone
    elif name == "knit":
        w, h = 7 * u, 8 * u
        cu = (x % w) / w - 0.5
        v = (y % h) / h
        s = 3.0 * np.cos(2 * math.pi * (v - np.abs(cu) * 0.9)) - 3.0 * (np.abs(cu) > 0.44) + 0.5 * fine
    elif name == "fleece":
        s = 1.1 * _smooth(rng, n, int(130 / u)) + 0.8 * _smooth(rng, n, 16) + 0.5 * fine
    elif name == "leather":
        s = sheen(9, 0.8, 5) + 1.4 * _smooth(rng, n, int(150 / u)) + 1.0 * _smooth(rng, n, 7) - 1.5
    elif name == "suede":
        s = 1.5 * _smooth(rng, n, int(60 / u)) + 0.9 * _smooth(rng, n, 9) + 0.6 * fine
    elif name == "nylon":
        s = sheen(6, 0.9, 2) - 1.2 * (((x % (18 * u)) < u) | ((y % (18 * u)) < u)) + 0.3 * fine
    elif name == "canvas":
        s = 1.4 * np.sign(np.sin(x * math.pi / (2 * u)) * np.sin(y * math.pi / (2 * u))) + 0.9 * fine
        s += 0.8 * _smooth(rng, n, int(90 / u))
    elif name == "acetate":
        s = sheen(12, 0.7, 6, 1.1) + 0.3 * fine
    else:
        s = 0.5 * fine
    return np.round(s).astype(np.int16)


# ----------------------------------------------------------------------------- patterns
def _motif(d, cx, cy, r, kind):
    """A printed graphic drawn into an L image with colour indices (0 cuts back to base)."""
    e = lambda k, ink: d.ellipse((cx - k * r, cy - k * r, cx + k * r, cy + k * r), fill=ink)  # noqa: E731
    if kind == 0:  # retro sunset
        e(1.0, 1)
        for i in range(4):
            yy = cy + r * (0.1 + 0.22 * i)
            d.rectangle((cx - r, yy, cx + r, yy + r * (0.05 + 0.03 * i)), fill=0)
    elif kind == 1:  # star in a ring
        e(1.0, 2)
        e(0.84, 0)
        pts = [(cx + r * (0.72 if i % 2 == 0 else 0.3) * math.sin(i * math.pi / 5),
                cy - r * (0.72 if i % 2 == 0 else 0.3) * math.cos(i * math.pi / 5)) for i in range(10)]
        d.polygon(pts, fill=1)
    elif kind == 2:  # heart
        d.ellipse((cx - r, cy - 0.75 * r, cx + 0.05 * r, cy + 0.3 * r), fill=1)
        d.ellipse((cx - 0.05 * r, cy - 0.75 * r, cx + r, cy + 0.3 * r), fill=1)
        d.polygon([(cx - 0.97 * r, cy - 0.1 * r), (cx + 0.97 * r, cy - 0.1 * r), (cx, cy + r)], fill=1)
    elif kind == 3:  # lightning bolt on a disc
        e(1.0, 3)
        d.polygon([(cx + 0.15 * r, cy - 0.85 * r), (cx - 0.45 * r, cy + 0.12 * r), (cx - 0.02 * r, cy + 0.12 * r),
                   (cx - 0.2 * r, cy + 0.85 * r), (cx + 0.45 * r, cy - 0.15 * r), (cx + 0.02 * r, cy - 0.15 * r)],
                  fill=1)
    elif kind == 4:  # mountains under a sun
        d.ellipse((cx + 0.2 * r, cy - 0.9 * r, cx + 0.75 * r, cy - 0.35 * r), fill=2)
        d.polygon([(cx - r, cy + 0.7 * r), (cx - 0.25 * r, cy - 0.5 * r), (cx + 0.45 * r, cy + 0.7 * r)], fill=1)
        d.polygon([(cx - 0.1 * r, cy + 0.7 * r), (cx + 0.45 * r, cy - 0.15 * r), (cx + r, cy + 0.7 * r)], fill=3)
    elif kind == 5:  # target rings
        for k, ink in ((1.0, 1), (0.78, 0), (0.6, 2), (0.4, 0), (0.22, 1)):
            e(k, ink)
    elif kind == 6:  # smiley
        e(1.0, 1)
        for sx in (-0.33, 0.33):
            d.ellipse((cx + (sx - 0.11) * r, cy - 0.45 * r, cx + (sx + 0.11) * r, cy - 0.1 * r), fill=0)
        d.arc((cx - 0.6 * r, cy - 0.45 * r, cx + 0.6 * r, cy + 0.62 * r), 20, 160, fill=0, width=max(1, int(r * 0.13)))
    else:  # slogan block
        for i, (w, ink) in enumerate(((1.0, 1), (0.75, 1), (0.9, 2))):
            yy = cy - 0.7 * r + i * 0.5 * r
            d.rectangle((cx - w * r, yy, cx + w * r, yy + 0.32 * r), fill=ink)
        d.rectangle((cx - 0.5 * r, cy + 0.85 * r, cx + 0.5 * r, cy + 0.95 * r), fill=3)


@functools.lru_cache(maxsize=160)
def _pattern(name, variant, n, vertical):
    """(colour index uint8, shade int16 or None) tiles of the canvas size for one pattern."""
    rng = _rng("pattern", name, variant, n)
    r = random.Random(zlib.crc32(f"{name}/{variant}".encode()))
    u = n / 448.0
    x, y = _grid(n)
    cid = np.zeros((n, n), np.uint8)
    shade = np.zeros((n, n), np.int16) if name in ("denim wash", "knit") else None
    if name == "stripes":
        period = r.choice((18, 24, 30, 40, 52)) * u
        duty = r.choice((0.4, 0.3, 0.22))  # the second colour never covers more than the main one
        c = x if (vertical or r.random() < 0.2) else y
        cid[(c % period) < period * duty] = 1
        if r.random() < 0.3:  # a thin accent stripe
            cid[np.abs((c % period) - period * 0.72) < 1.3 * u] = 2
    elif name == "checks":
        kind = variant % 3
        if kind == 0:  # gingham
            p = r.choice((20, 26, 34)) * u
            h, v = (y % p) < p * 0.25, (x % p) < p * 0.25  # narrow bands: most of the cloth stays the main colour
            cid[:] = np.where(h & v, 1, np.where(h | v, 2, 0))
        elif kind == 1:  # tartan
            p = r.choice((80, 96)) * u
            hx, hy = (x % p) < p * 0.25, (y % p) < p * 0.25
            cid[:] = np.where(hx & hy, 3, np.where(hx | hy, 2, 0))
            lx = np.abs((x % p) - p * 0.67) < 1.6 * u
            ly = np.abs((y % p) - p * 0.67) < 1.6 * u
            cid[lx | ly] = 1
        else:  # windowpane
            p = r.choice((40, 52)) * u
            cid[((x % p) < 2.4 * u) | ((y % p) < 2.4 * u)] = 1
    elif name == "dots":
        p = r.choice((22, 28, 36, 46)) * u
        rad = p * r.choice((0.14, 0.18, 0.22))
        d1 = np.hypot((x % p) - p / 2, (y % p) - p / 2)
        d2 = np.hypot(((x + p / 2) % p) - p / 2, ((y + p / 2) % p) - p / 2)
        cid[np.minimum(d1, d2) < rad] = 1
    elif name in ("floral", "animal", "graphic"):
        im = Image.new("L", (n, n), 0)
        d = ImageDraw.Draw(im)
        if name == "floral":
            cell = r.choice((54, 64, 76)) * u
            fr = cell * r.uniform(0.2, 0.26)
            for gy in range(-1, int(n / cell) + 2):
                for gx in range(-1, int(n / cell) + 2):
                    cx = (gx + 0.5 * (gy % 2)) * cell + r.uniform(-0.2, 0.2) * cell
                    cy = gy * cell + r.uniform(-0.2, 0.2) * cell
                    rot = r.uniform(0, math.pi)
                    lx, ly = cx + math.cos(rot) * fr * 1.5, cy + math.sin(rot) * fr * 1.5
                    d.polygon(_ellipse(lx, ly, fr * 0.75, fr * 0.32, rot, 12), fill=2)
                    s = fr * r.uniform(0.8, 1.1)
                    for k in range(5):
                        a = rot + k * 2 * math.pi / 5
                        px, py = cx + math.cos(a) * s * 0.55, cy + math.sin(a) * s * 0.55
                        d.ellipse((px - s * 0.48, py - s * 0.48, px + s * 0.48, py + s * 0.48), fill=1)
                    d.ellipse((cx - s * 0.26, cy - s * 0.26, cx + s * 0.26, cy + s * 0.26), fill=3)
                    bx, by = cx + cell * 0.5, cy + cell * 0.1
                    d.ellipse((bx - 2.5 * u, by - 2.5 * u, bx + 2.5 * u, by + 2.5 * u), fill=3)
        elif name == "animal":
            if variant % 3 != 2:  # leopard rosettes
                cell = r.choice((30, 36)) * u
                for gy in range(-1, int(n / cell) + 2):
                    for gx in range(-1, int(n / cell) + 2):
                        cx = (gx + 0.5 * (gy % 2)) * cell + r.uniform(-0.25, 0.25) * cell
                        cy = gy * cell + r.uniform(-0.25, 0.25) * cell
                        rad = cell * r.uniform(0.26, 0.36)
                        d.polygon(_ellipse(cx, cy, rad * 0.7, rad * 0.55, r.uniform(0, 3), 10), fill=2)
                        a0 = r.uniform(0, 2 * math.pi)
                        for k in range(r.randint(3, 5)):
                            a = a0 + k * r.uniform(1.1, 1.5)
                            px, py = cx + math.cos(a) * rad, cy + math.sin(a) * rad * 0.85
                            d.polygon(_ellipse(px, py, rad * r.uniform(0.28, 0.42), rad * 0.22, a + 1.57, 10),
                                      fill=3)
            else:  # zebra
                ph = _smooth(rng, n, 5) * 22 * u
                band = np.sin((y + ph + 12 * u * np.sin(x / (40 * u))) / (9 * u))
                thick = 0.15 + 0.25 * _smooth(rng, n, 7)
                cid_np = (band > thick).astype(np.uint8) * 3
                im = Image.fromarray(cid_np)
        else:  # all-over small graphic motifs
            cell = 78 * u
            for gy in range(-1, int(n / cell) + 2):
                for gx in range(-1, int(n / cell) + 2):
                    _motif(d, (gx + 0.5 * (gy % 2)) * cell, gy * cell, 22 * u, variant)
        cid[:] = np.asarray(im)
    elif name == "denim wash":
        blot = _smooth(rng, n, 5)
        shade[:] = np.round(np.clip(blot, -0.4, None) * 7 + 2.0 * _smooth(rng, n, 6, int(80 / u))
                            + 3.0 * np.clip(_smooth(rng, n, 14), 0.6, None) - 1).astype(np.int16)
    elif name == "knit":
        col = 44 * u
        cu = ((x % col) - col / 2) / (col * 0.3)  # -1..1 over the cable
        t = y / (30 * u) * math.pi
        d1 = np.abs(cu - 0.55 * np.sin(t))
        d2 = np.abs(cu + 0.55 * np.sin(t))
        top = np.where(np.cos(t) > 0, d1, d2)
        s = np.clip(1 - np.minimum(top, np.maximum(d1, d2) + 0.15) / 0.5, 0, 1)
        cable = np.abs(cu) < 1.05
        rib = np.cos(((x % col) / (5.5 * u)) * 2 * math.pi)
        shade[:] = np.round(np.where(cable, s * 11 - 5, rib * 3 - 2)).astype(np.int16)
    return cid, shade


def _fill(pattern, variant, material, c1, c2, n, vertical, box):
    """RGB fill of the canvas region `box` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    if pattern in ("solid", "knit"):
        variant = 0  # nothing to vary
    cid, pshade = _pattern(pattern, variant, n, vertical and pattern == "stripes")
    s = _material(material, n)[y0:y1, x0:x1] + 32
    if pshade is not None:
        s += pshade[y0:y1, x0:x1]
    np.clip(s, 0, SHADES - 1, out=s)
    idx = s.astype(np.uint8)
    idx += cid[y0:y1, x0:x1] * np.uint8(SHADES)
    im = Image.fromarray(idx, "P")
    im.putpalette(_palette(c1, c2))
    return im.convert("RGB")


# ----------------------------------------------------------------------------- the pen
class _Pen:
    """Collects drawing operations in local units; see module docstring."""

    def __init__(self, fw, length, rng, material, pattern="solid"):
        self.fw, self.length, self.rng, self.material, self.pattern = fw, length, rng, material, pattern
        self.ops = []

    def part(self, pts, fill="main", shade=0.0, outline="ol", mirror=False, sheen=(), art=None):
        """A filled polygon.  `sheen`: [(polyline, width, alpha)] soft shading clipped to it
        (alpha > 0 darkens, < 0 lightens); `art`: (x, y, r) where a graphic print goes."""
        self.ops.append(("part", list(pts), fill, shade, outline, list(sheen), art))
        if mirror:
            self.ops.append(("part", _flip(pts), fill, shade, outline,
                             [(_flip(q), w, a) for q, w, a in sheen], art and (-art[0], art[1], art[2])))

    def line(self, pts, style="seam", closed=False, mirror=False, lw=None):
        """A polyline; `lw` is a width in local units (else the style's pixel width)."""
        self.ops.append(("line", list(pts), style, closed, lw))
        if mirror:
            self.ops.append(("line", _flip(pts), style, closed, lw))

    def dot(self, x, y, r, fill="button", outline="seam", mirror=False):
        self.ops.append(("dot", [(x, y)], r, fill, outline))
        if mirror:
            self.ops.append(("dot", [(-x, y)], r, fill, outline))

    # small conveniences shared by many types
    def stitch(self, pts, mirror=False, closed=False):
        self.line(pts, "stitch", closed, mirror)

    def band(self, top, bot, ribs=0.0, fill="main", shade=0.0, mirror=False, outline="ol"):
        """A band between two roughly parallel polylines, optionally with rib lines."""
        self.part(list(top) + list(reversed(bot)), fill, shade, outline, mirror)
        if ribs:
            length = sum(math.dist(a, b) for a, b in zip(top, top[1:]))
            k = max(int(length / ribs), 2)
            for a, b in list(zip(_resample(top, k), _resample(bot, k)))[1:-1]:
                self.line([_lerp(a, b, 0.12), _lerp(a, b, 0.88)], "fold", mirror=mirror)

    def buttons(self, pts, r=0.012, fill="button", outline="seam"):
        for x, y in pts:
            self.dot(x, y, r, fill, outline)


# ----------------------------------------------------------------------------- tops
def _neck(kind, nw, nd):
    """Front neckline, right half, from the centre front (0, nd) up to the neck point."""
    if kind == "v":
        return _bez((0, nd), (nw * 0.55, nd * 0.45), (nw, 0), n=6)
    if kind == "square":
        return [(0, nd), (nw * 0.92, nd), (nw, 0)]
    return _bez((0, nd), (nw * 0.62, nd), (nw, nd * 0.55), (nw, 0), n=8)


def _sleeve(p, S, A, angle, length, cuff, puff=0.0, shade=0.05):
    """Sleeve hanging from shoulder tip S / underarm A; returns its cuff geometry."""
    a = math.radians(angle)
    d, nrm = (math.cos(a), math.sin(a)), (-math.sin(a), math.cos(a))
    S2 = _add(S, d, length)
    A2 = _add(S2, nrm, cuff)
    outer = _bez(S, _add(_lerp(S, S2, 0.5), nrm, -puff), S2)
    inner = _bez(A2, _add(_lerp(A2, A, 0.5), nrm, puff), A)
    p.part(outer + inner + [(A[0] - 0.06, A[1] - 0.04), (S[0] - 0.06, S[1] + 0.03)], shade=shade, mirror=True)
    return SimpleNamespace(S=S, A=A, S2=S2, A2=A2, d=d, di=_unit(A, A2), shade=shade)


def _cuff(p, sl, depth, ribs=0.0, button=False):
    top = [_add(sl.S2, sl.d, -depth), _add(sl.A2, sl.di, -depth)]
    p.band(top, [sl.S2, sl.A2], ribs=ribs, shade=sl.shade, mirror=True)
    if button:
        b = _lerp(*top, 0.8)
        p.dot(*_lerp(b, _lerp(sl.S2, sl.A2, 0.8), 0.5), 0.009, mirror=True)


def _sleeve_hem(p, sl, k=0.025):
    p.stitch([_add(sl.S2, sl.d, -k), _add(sl.A2, sl.di, -k)], mirror=True)


def _torso(p, *, hw=0.235, hem=0.9, nw=0.085, nd=0.075, neck="round", drop=0.055, arm=0.29,
           flare=0.0, waist=0.0, tail=0.0, cutaway=0.0, sleeve=None, strap=None, art=True,
           inside=True, sheen=()):
    """Body of any top / jacket / bodice; sleeve = (angle, length, cuff[, puff])."""
    hw *= p.fw
    S = (nw + strap, 0.0) if strap else (hw + 0.035, drop)
    A = (hw, arm)
    H = (hw + flare * p.fw, hem - tail)
    neckc = _neck(neck, nw, nd)
    sl = _sleeve(p, S, A, *sleeve) if sleeve else None
    if inside:
        back = _bez((nw, 0), (nw * 0.5, 0.028), (-nw * 0.5, 0.028), (-nw, 0), n=8)
        p.part([(-x, y) for x, y in reversed(neckc)] + neckc[1:] + back[1:-1], "inside")
    if strap:
        arm_c = _bez(S, (S[0] + 0.01, arm * 0.55), (hw - 0.045, arm - 0.01), A)
    else:
        arm_c = _bez(S, (S[0] - 0.012, S[1] + 0.11), (hw + 0.004, arm - 0.08), A)
    if waist:
        side = _bez(A, (hw - waist, arm + (hem - arm) * 0.45), (H[0] - waist * 0.3, hem - (hem - arm) * 0.2), H)
    else:
        side = [A, H]
    if tail:
        hem_c = _bez(H, (H[0] * 0.55, hem + 0.012), (H[0] * 0.2, hem), (0, hem))
    elif cutaway:
        hem_c = [H, (cutaway + 0.03, hem), (0.012, hem - cutaway), (0, hem - cutaway)]
    else:
        hem_c = [H, (0, hem)]
    half = neckc + arm_c + side[1:] + hem_c[1:]
    p.part(_sym(half), art=(0, arm * 0.45 + hem * 0.3, min(0.11, (hem - nd) * 0.3)) if art else None,
           sheen=sheen)
    return SimpleNamespace(S=S, A=A, H=H, hw=hw, nw=nw, nd=nd, hem=hem, neck=neckc, sl=sl, arm=arm)


def _neckband(p, g, w=0.022, ribs=0.0):
    inner = [(x + w * 0.35 * (x / max(g.nw, 1e-6)), y + w * (1 - 0.55 * x / max(g.nw, 1e-6))) for x, y in g.neck]
    full_top = [(-x, y) for x, y in reversed(g.neck)] + g.neck[1:]
    full_bot = [(-x, y) for x, y in reversed(inner)] + inner[1:]
    p.band(full_top, full_bot, ribs=ribs)


def _hem_band(p, g, depth, ribs=0.02):
    x = g.H[0]
    p.band([(-x, g.hem - depth), (x, g.hem - depth)], [(-x, g.hem), (x, g.hem)], ribs=ribs)


def _hem_stitch(p, g, k=0.025):
    p.stitch([(-g.H[0], g.hem - k), (g.H[0], g.hem - k)])


def _collar(p, nw, size=1.0, polo=False):
    """Shirt collar: a stand behind the neck and two leaves meeting at the centre front."""
    p.part(_bez((-nw - 0.006, 0.004), (-nw * 0.6, -0.045), (nw * 0.6, -0.045), (nw + 0.006, 0.004), n=8)
           + _bez((nw, 0.0), (nw * 0.5, 0.028), (-nw * 0.5, 0.028), (-nw, 0.0), n=8), shade=0.08)
    if polo:  # flat knitted collar, rounder and shorter points
        outer = _bez((nw + 0.025, 0.015), (nw + 0.045, 0.1), (0.09, 0.125), n=5)
        front = [(0.03, 0.07), (0.004, 0.058)]
    else:
        outer = _bez((nw + 0.02, 0.02), (nw + 0.02 * size, 0.08 * size), (0.085 * size + 0.02, 0.14 * size), n=4)
        front = [(0.006, 0.07 + 0.01 * size)]
    leaf = [(nw + 0.008, -0.014)] + outer + front
    leaf += _bez((0.03, 0.04), (nw - 0.02, -0.005), (nw - 0.005, -0.02), n=4)
    p.part(leaf, mirror=True)
    p.line(_offset(leaf[1:len(outer) + 1], -0.013), "fold" if polo else "stitch", mirror=True)


def _placket(p, top, bottom, w=0.026, n=6, r=0.011, stitch=True):
    p.part([(-w, top), (w, top), (w, bottom), (-w, bottom)], outline="seam")
    if stitch:
        p.stitch([(w * 0.55, top + 0.01), (w * 0.55, bottom - 0.01)])
    if n:
        p.buttons([(0, top + (bottom - top) * (i + 0.4) / n) for i in range(n)], r)


def _patch_pocket(p, x, y, w, h, flap=False):
    """Pointed patch pocket, optionally under a buttoned flap."""
    body = [(x - w / 2, y), (x + w / 2, y), (x + w / 2, y + h), (x, y + h + 0.02), (x - w / 2, y + h)]
    p.part(body, outline="seam")
    p.stitch(_offset(body[1:] + [body[0]], 0.008))
    if flap:
        f = [(x - w / 2 - 0.006, y - 0.005), (x + w / 2 + 0.006, y - 0.005), (x + w / 2 + 0.006, y + h * 0.3),
             (x, y + h * 0.42), (x - w / 2 - 0.006, y + h * 0.3)]
        p.part(f, shade=0.04)
        p.stitch(_offset(f[1:] + [f[0]], -0.008)[:-1])
        p.dot(x, y + h * 0.3, 0.01)


def _t_shirt(p):
    g = _torso(p, sleeve=(32, 0.19, 0.15))
    _neckband(p, g, 0.022)
    _sleeve_hem(p, g.sl)
    _hem_stitch(p, g)


def _shirt(p):
    g = _torso(p, hw=0.23, hem=0.95, nd=0.08, tail=0.055, sleeve=(69, 0.6, 0.1))
    _cuff(p, g.sl, 0.075, button=True)
    _placket(p, g.nd - 0.005, g.hem - 0.005, n=7)
    _patch_pocket(p, 0.12, 0.22, 0.095, 0.1)
    _collar(p, g.nw)


def _blouse(p):
    g = _torso(p, hw=0.225, hem=0.86, nd=0.17, neck="v", waist=0.02, flare=0.025, tail=0.02,
               sleeve=(66, 0.56, 0.085, 0.05))
    _cuff(p, g.sl, 0.05, button=True)
    for t in (0.25, 0.5, 0.75):  # gathers into the cuff and at the sleeve head
        a = _lerp(_add(g.sl.S2, g.sl.d, -0.05), _add(g.sl.A2, g.sl.di, -0.05), t)
        p.line([a, _add(a, g.sl.d, -0.07)], "fold", mirror=True)
        b = _lerp(g.S, _add(g.S, (0.0, 1.0), 0.05), t)
        p.line([b, _add(b, g.sl.d, 0.05)], "fold", mirror=True)
    # pussy bow at the V
    k = (0, g.nd - 0.005)
    for sx in (-1, 1):
        p.part(_strip(_bez(k, (sx * 0.035, g.nd + 0.12), (sx * 0.05, g.nd + 0.24), n=6), 0.032), shade=0.06)
    for sx in (-1, 1):
        p.part(_ellipse(sx * 0.052, g.nd - 0.012, 0.055, 0.03, sx * 0.25, 18), shade=0.02)
    p.part(_rrect(-0.018, g.nd - 0.035, 0.018, g.nd + 0.012, 0.01))
    for x in (-0.1, 0.1):
        p.line(_bez((x, 0.32), (x * 1.25, 0.6), (x * 1.1, g.hem - 0.03)), "fold")
    _hem_stitch(p, g, 0.02)


def _sweater(p):
    g = _torso(p, hw=0.245, hem=0.9, nd=0.07, drop=0.06, sleeve=(67, 0.62, 0.11))
    _cuff(p, g.sl, 0.08, ribs=0.018)
    _hem_band(p, g, 0.085)
    _neckband(p, g, 0.03, ribs=0.016)


def _hoodie(p):
    nw = 0.085
    p.part(_bez((-nw - 0.05, 0.06), (-0.19, -0.26), (0.19, -0.26), (nw + 0.05, 0.06), n=14))
    g = _torso(p, hw=0.25, hem=0.9, nd=0.1, drop=0.06, sleeve=(68, 0.62, 0.11), inside=False)
    # hood opening and its rim
    opening = _bez((-nw + 0.01, 0.1), (-0.13, -0.17), (0.13, -0.17), (nw - 0.01, 0.1), n=14)
    p.part(opening + [(0, 0.14)], "inside")
    p.stitch(_offset(opening, -0.018))
    for sx in (-1, 1):  # drawstrings with aglets
        cord = [(sx * 0.035, 0.115), (sx * 0.045, 0.2), (sx * 0.04, 0.33)]
        p.part(_strip(cord, 0.013), "c2", outline="c2ol")
        p.part(_strip([(sx * 0.04, 0.33), (sx * 0.04, 0.37)], 0.016), "metal", outline="metalol")
        p.dot(sx * 0.035, 0.112, 0.01, "metal", "metalol")
    _cuff(p, g.sl, 0.08, ribs=0.018)
    _hem_band(p, g, 0.08)
    top, bot = 0.55, g.hem - 0.08
    pocket = [(-0.13, top), (0.13, top)] + _bez((0.13, top), (0.2, top + 0.03), (0.21, top + 0.12), n=5)[1:]
    pocket += [(0.21, bot), (-0.21, bot)] + _bez((-0.21, top + 0.12), (-0.2, top + 0.03), (-0.13, top), n=5)[:-1]
    p.part(pocket, outline="seam")
    p.stitch(_offset(pocket[:2], 0.012))


def _tank_top(p):
    g = _torso(p, hw=0.2, hem=0.88, nw=0.105, nd=0.2, strap=0.055, arm=0.33, waist=0.012, inside=True)
    p.stitch(_offset(g.neck, 0.015), mirror=True)
    p.stitch(_bez(_add(g.S, (-0.012, 0.02)), (g.S[0] - 0.0, 0.18), (g.hw - 0.055, g.arm - 0.02),
                  (g.hw - 0.012, g.arm - 0.0)), mirror=True)
    _hem_stitch(p, g)


def _polo(p):
    g = _torso(p, hw=0.235, hem=0.9, nd=0.06, sleeve=(32, 0.19, 0.145))
    _cuff(p, g.sl, 0.035, ribs=0.014)
    _placket(p, g.nd - 0.005, 0.25, w=0.028, n=3)
    _collar(p, g.nw, polo=True)
    p.line([(g.H[0] - 0.001, g.hem - 0.06), (g.H[0] - 0.001, g.hem)], "seam", mirror=True)
    _hem_stitch(p, g)


def _crop_top(p):
    g = _torso(p, hw=0.2, hem=0.5, nw=0.1, nd=0.11, neck="square", drop=0.045, arm=0.24,
               waist=0.015, sleeve=(30, 0.1, 0.115))
    _neckband(p, g, 0.018)
    _sleeve_hem(p, g.sl, 0.02)
    _hem_band(p, g, 0.05, ribs=0.018)


# ----------------------------------------------------------------------------- outerwear
def _lapels(p, nw, brk, width=0.1, peak=0.0):
    """Notched lapels rolling from the neck to the break point (0, brk), over a back collar."""
    p.part(_bez((-nw - 0.01, 0.005), (0, -0.06), (nw + 0.01, 0.005), n=8)
           + _bez((nw, 0.0), (0, 0.025), (-nw, 0.0), n=8), shade=0.08)
    tip = (nw + width, 0.2)
    lap = [(nw - 0.012, -0.005), (nw + 0.045, 0.15), (nw + 0.03, 0.175), (tip[0], tip[1] - peak)]
    lap += _bez(tip, (tip[0] - 0.01, brk * 0.75), (0.004, brk), n=6)
    lap += _bez((0.004, brk), (0.02, brk * 0.6), (nw - 0.025, 0.04), n=5)
    p.part(lap, mirror=True)
    p.stitch(_offset(lap[len(lap) - 12:len(lap) - 6], 0.012), mirror=True)


def _flap_pocket(p, x, y, w, h=0.045, welt=False):
    """A pocket flap (stitched) or a slightly slanted chest welt."""
    tilt = 0.006 if welt else 0.0
    q = [(x - w / 2, y), (x + w / 2, y - tilt), (x + w / 2, y + h), (x - w / 2, y + h + tilt)]
    p.part(q, shade=0.05, outline="seam")
    if not welt:
        p.stitch(_offset([q[3], q[0], q[1]], -0.008))


def _blazer(p):
    brk = 0.43
    g = _torso(p, hw=0.235, hem=0.96, nw=0.08, nd=brk, neck="v", drop=0.04, flare=0.015, waist=0.02,
               cutaway=0.06, sleeve=(71, 0.66, 0.1), art=False)
    _sleeve_hem(p, g.sl, 0.05)
    for k in range(3):
        p.dot(*_lerp(_add(g.sl.S2, g.sl.d, -0.045), _add(g.sl.A2, g.sl.di, -0.045), 0.55 + k * 0.13), 0.006,
              mirror=True)
    _lapels(p, g.nw, brk)
    p.line([(0.004, brk), (0.004, g.hem - 0.06)], "seam")
    p.buttons([(0.004, brk + 0.05), (0.004, brk + 0.2)], 0.017)
    for sx in (-1, 1):
        _flap_pocket(p, sx * 0.15, 0.68, 0.13)
    _flap_pocket(p, 0.14, 0.3, 0.09, 0.02, welt=True)


def _coat(p):
    hem = 1.5 if p.length == "long" else 1.2
    brk = 0.4
    g = _torso(p, hw=0.245, hem=hem, nw=0.085, nd=brk, neck="v", drop=0.045, flare=0.07,
               sleeve=(73, 0.7, 0.115), art=False)
    _cuff(p, g.sl, 0.07)
    _lapels(p, g.nw, brk, width=0.12, peak=0.035)
    edge = 0.085
    p.line([(edge, brk - 0.05), (edge, g.hem)], "seam")
    p.stitch([(edge - 0.012, brk), (edge - 0.012, g.hem - 0.01)])
    rows = [brk + 0.04, brk + 0.17, brk + 0.3]
    p.buttons([(sx * 0.055, y) for y in rows for sx in (-1, 1)], 0.017)
    for sx in (-1, 1):
        _flap_pocket(p, sx * 0.16, brk + 0.38, 0.14, 0.05)
    _hem_stitch(p, g, 0.03)


def _denim_jacket(p):
    g = _torso(p, hw=0.24, hem=0.72, nd=0.075, drop=0.05, sleeve=(70, 0.56, 0.1), art=False)
    _cuff(p, g.sl, 0.06, button=True)
    band = 0.065
    _hem_band(p, g, band, ribs=0.0)
    p.stitch([(-g.H[0], g.hem - band + 0.012), (g.H[0], g.hem - band + 0.012)])
    _placket(p, g.nd - 0.005, g.hem, w=0.03, n=0, stitch=False)
    p.stitch([(0.018, g.nd), (0.018, g.hem - 0.01)])
    p.buttons([(0, g.nd + 0.04 + i * (g.hem - g.nd - 0.1) / 5) for i in range(6)], 0.014)
    for sx in (-1, 1):
        p.dot(sx * (g.H[0] - 0.07), g.hem - band / 2, 0.011)
    # pointed yoke and vertical pleat seams
    yoke = [(-g.hw + 0.005, 0.16), (-0.08, 0.17), (-0.03, 0.2), (0.03, 0.2), (0.08, 0.17), (g.hw - 0.005, 0.16)]
    p.line(yoke, "seam")
    p.stitch(_offset(yoke, -0.012))
    for sx in (-1, 1):
        _patch_pocket(p, sx * 0.12, 0.22, 0.1, 0.09, flap=True)
        p.line([(sx * 0.08, 0.34), (sx * 0.085, g.hem - band)], "seam")
        p.stitch([(sx * 0.092, 0.34), (sx * 0.097, g.hem - band)])
    _collar(p, g.nw, 1.25)


def _leather_jacket(p):
    g = _torso(p, hw=0.235, hem=0.76, nw=0.08, nd=0.34, neck="v", drop=0.05, sleeve=(70, 0.58, 0.095),
               art=False)
    _sleeve_hem(p, g.sl, 0.03)
    a = _lerp(g.sl.S2, g.sl.A2, 0.3)  # zipped cuffs
    p.line([a, _add(a, g.sl.d, -0.14)], "zip", mirror=True)
    # belt with buckle
    band = 0.06
    _hem_band(p, g, band, ribs=0.0)
    p.part(_rrect(-g.H[0] + 0.04, g.hem - band - 0.008, -g.H[0] + 0.1, g.hem + 0.008, 0.008), "metal",
           outline="metalol")
    p.part(_rrect(-g.H[0] + 0.055, g.hem - band + 0.008, -g.H[0] + 0.085, g.hem - 0.008, 0.004), "inside",
           outline="metalol")
    # asymmetric zip from the right hem up to the left shoulder, lapels with snaps
    _lapels(p, g.nw, 0.34, width=0.13)
    p.line([(0.11, g.hem - band), (0.11, 0.36), (-0.02, 0.2)], "zip")
    p.line([(0.004, 0.34), (0.004, g.hem - band)], "seam")
    for sx in (-1, 1):
        p.dot(sx * (g.nw + 0.11), 0.205, 0.011, "metal", "metalol")
        p.line([(sx * 0.08, 0.5), (sx * 0.18, 0.6)], "zip")
    p.line([(-0.19, 0.26), (-0.11, 0.3)], "zip")
    p.part(_strip([(g.S[0] - 0.01, g.S[1] - 0.002), (g.nw + 0.02, 0.002)], 0.035), shade=0.05, mirror=True)
    p.dot(g.nw + 0.03, 0.004, 0.008, "metal", "metalol", mirror=True)


def _puffer(p):
    nw, hem = 0.085, 0.92
    quilt = [0.17 + 0.125 * i for i in range(6)]
    x = 0.3 * p.fw
    shading = [([(-x, y), (x, y)], w, a) for y in quilt for w, a in ((0.045, 0.06), (0.022, 0.08))]
    shading += [([(-x, y + 0.062), (x, y + 0.062)], 0.03, -0.08) for y in [0.06] + quilt[:-1]]
    p.part(_rrect(-nw - 0.02, -0.08, nw + 0.02, 0.05, 0.02))  # funnel collar
    g = _torso(p, hw=0.27, hem=hem, nw=nw + 0.005, nd=0.04, drop=0.07, arm=0.31, sleeve=(70, 0.62, 0.13),
               inside=False, art=False, sheen=shading)
    _cuff(p, g.sl, 0.05)
    for y in quilt:
        p.line([(-g.H[0] + 0.004, y), (g.H[0] - 0.004, y)], "seam")
    for t in (0.3, 0.5, 0.7, 0.88):
        a = _lerp(g.sl.S, g.sl.S2, t)
        p.line([a, _hit(a, (-g.sl.d[1], g.sl.d[0]), g.sl.A, g.sl.A2)], "seam", mirror=True)
    p.line([(0, -0.06), (0, g.hem)], "zip")
    p.line([(-nw - 0.01, 0.01), (nw + 0.01, 0.01)], "seam")
    for sx in (-1, 1):
        p.line([(sx * 0.16, 0.58), (sx * 0.19, 0.74)], "zip")


# ----------------------------------------------------------------------------- bottoms
def _pants(p, *, L=1.0, waist=0.205, hip=0.235, rise=0.31, cx=0.125, leg=0.07, knee=None, band=0.055,
           loops=True, fly=True, waist_button=True, art=True):
    """Trouser-like outline; leg = half width of one leg at the hem (scaled by fit)."""
    fw = p.fw
    leg *= fw ** 1.6
    hip *= 0.92 + 0.08 * fw
    ky = rise + (L - rise) * 0.5
    if knee:  # shaped leg (leggings, joggers): the knee sets the width half way down
        knee *= fw ** 0.5
        ko, ki = (cx + knee + 0.02, ky), (cx - knee + 0.005, ky)
    else:  # straight taper from the hip to the hem
        ko = (hip + (cx + leg - hip) * 0.5 + 0.008, (rise * 0.7 + L) / 2)
        ki = (0.014 + (cx - leg - 0.014) * 0.5 + 0.004, (rise + L) / 2)
    outer = _bez((hip, rise * 0.7), ko, (cx + leg, L), n=8)
    inner = _bez((cx - leg, L), ki, (0.014, rise + 0.03), n=8)
    half = [(0, 0), (waist, 0)] + _bez((waist, 0), (hip, rise * 0.2), (hip, rise * 0.7), n=5)[1:]
    half += outer[1:] + inner + [(0, rise)]
    p.part(_sym(half), art=(cx + 0.01, band + (L - band) * 0.4, 0.06) if art else None)
    p.band([(-waist, 0), (waist, 0)], [(-waist - 0.004, band), (waist + 0.004, band)])
    g = SimpleNamespace(L=L, waist=waist, hip=hip, rise=rise, cx=cx, leg=leg, band=band)
    if loops:
        for x in (0.085, waist - 0.025):
            p.part(_rrect(x - 0.009, -0.008, x + 0.009, band + 0.012, 0.004), outline="seam", mirror=True)
    if fly:
        p.line([(0, band), (0, rise)], "seam")
        p.stitch([(0.042, band + 0.005)] + _bez((0.042, rise - 0.08), (0.042, rise - 0.035), (0.002, rise - 0.03),
                                                n=5))
    if waist_button:
        p.dot(0, band / 2, 0.014, "metal" if p.material == "denim" else "button",
              "metalol" if p.material == "denim" else "seam")
    return g


def _leg_hem(p, g, k=0.028, cuff=0.0):
    a, b = (g.cx - g.leg, g.L), (g.cx + g.leg, g.L)
    if cuff:
        d = 0.006
        p.band([(a[0] - d, g.L - cuff), (b[0] + d, g.L - cuff)], [(a[0] - d, g.L + 0.004), (b[0] + d, g.L + 0.004)],
               mirror=True, shade=0.05)
    else:
        p.stitch([(a[0] + 0.003, g.L - k), (b[0] - 0.003, g.L - k)], mirror=True)


def _slant_pocket(p, g, depth=0.13):
    p.line([(g.waist - 0.05, g.band), (g.hip - 0.003, g.band + depth)], "seam", mirror=True)
    p.stitch([(g.waist - 0.062, g.band + 0.003), (g.hip - 0.004, g.band + depth + 0.018)], mirror=True)


def _jean_pockets(p, g):
    scoop = _bez((g.waist - 0.08, g.band), (g.waist - 0.07, g.band + 0.08), (g.hip - 0.004, g.band + 0.09), n=8)
    p.line(scoop, "seam", mirror=True)
    p.stitch(_offset(scoop, 0.01), mirror=True)
    p.part([(g.waist - 0.065, g.band), (g.waist - 0.02, g.band), (g.waist - 0.019, g.band + 0.05),
            (g.waist - 0.062, g.band + 0.052)], outline="seam")
    for x, y in ((g.waist - 0.08, g.band + 0.005), (g.hip - 0.008, g.band + 0.088)):
        p.dot(x, y, 0.007, "metal", "metalol", mirror=True)


def _jeans(p):
    g = _pants(p, L=0.84 if p.length == "cropped" else 1.04, leg=0.062)
    _jean_pockets(p, g)
    _leg_hem(p, g)


def _trousers(p):
    g = _pants(p, L=0.84 if p.length == "cropped" else 1.04, leg=0.078, rise=0.33, waist_button=False)
    p.part([(-0.03, 0), (0.07, 0), (0.07, g.band), (-0.03, g.band)], outline="seam")
    p.dot(0.05, g.band / 2, 0.007, "metal", "metalol")
    _slant_pocket(p, g, 0.14)
    for sx in (-1, 1):
        p.line([(sx * (g.cx - 0.01), g.band), (sx * (g.cx - 0.012), g.band + 0.08)], "seam")
        p.line([(sx * (g.cx - 0.01), g.band + 0.08), (sx * g.cx, g.L - 0.01)], "fold")
    _leg_hem(p, g, 0.02)


def _chinos(p):
    g = _pants(p, L=1.0, leg=0.06)
    _slant_pocket(p, g, 0.12)
    _leg_hem(p, g, cuff=0.045)
    p.line([(g.waist - 0.07, g.band), (g.waist - 0.06, g.band + 0.1)], "seam", mirror=True)


def _shorts(p):
    g = _pants(p, L=0.48, leg=0.1, cx=0.145, rise=0.3)
    if p.material == "denim":
        _jean_pockets(p, g)
        _leg_hem(p, g, cuff=0.04)
    else:
        _slant_pocket(p, g, 0.1)
        _leg_hem(p, g)


def _leggings(p):
    g = _pants(p, L=1.04, waist=0.19, hip=0.22, rise=0.3, cx=0.105, leg=0.035, knee=0.05, band=0.1,
               loops=False, fly=False, waist_button=False)
    p.line([(0, g.band), (0, g.rise)], "seam")
    p.stitch([(-g.waist + 0.01, g.band - 0.015), (g.waist - 0.01, g.band - 0.015)])
    _leg_hem(p, g, 0.02)
    p.line(_bez((0.16, 0.35), (0.165, 0.7), (g.cx + g.leg - 0.01, g.L - 0.01)), "fold", mirror=True)


def _joggers(p):
    g = _pants(p, L=1.0, leg=0.048, knee=0.085, band=0.075, loops=False, fly=False, waist_button=False)
    for i in range(1, 18):  # elastic gathers
        x = -g.waist + 2 * g.waist * i / 18
        p.line([(x, 0.012), (x, g.band - 0.012)], "fold")
    for sx in (-1, 1):
        cord = [(sx * 0.015, g.band * 0.6), (sx * 0.04, g.band + 0.05), (sx * 0.03, g.band + 0.14)]
        p.part(_strip(cord, 0.012), "c2", outline="c2ol")
        p.dot(sx * 0.012, g.band * 0.55, 0.008, "metal", "metalol")
    p.line([(0, g.band), (0, g.rise)], "seam")
    p.line(_bez((g.waist - 0.055, g.band), (g.hip - 0.03, g.band + 0.06), (g.hip - 0.002, g.band + 0.14)),
           "seam", mirror=True)
    c = 0.06
    p.band([(g.cx - g.leg, g.L - c), (g.cx + g.leg, g.L - c)], [(g.cx - g.leg, g.L), (g.cx + g.leg, g.L)],
           ribs=0.014, mirror=True)
    for t in (0.3, 0.6):
        a = (g.cx - g.leg + 2 * g.leg * t, g.L - c)
        p.line([a, (a[0] + 0.02, a[1] - 0.05)], "fold", mirror=True)


def _skirt_shape(p, top, w0, hem, w1, art=None, hem_curve=0.025):
    w1 *= p.fw
    half = [(0, top), (w0, top)] + _bez((w0, top), (w0 + (w1 - w0) * 0.35, top + (hem - top) * 0.3),
                                        (w1, hem), n=8)[1:]
    half += _bez((w1, hem), (w1 * 0.5, hem + hem_curve), (0, hem + hem_curve), n=6)[1:]
    p.part(_sym(half), art=art)


def _skirt(p):
    hem, w1 = {"mini": (0.48, 0.3), "midi": (0.82, 0.36), "maxi": (1.16, 0.43)}[p.length]
    band = 0.055
    _skirt_shape(p, band * 0.5, 0.2, hem, w1, art=(0.0, hem * 0.45, 0.08))
    p.band([(-0.2, 0), (0.2, 0)], [(-0.203, band), (0.203, band)])
    kind = p.rng.randrange(3)
    w1 *= p.fw
    if kind == 0:  # knife pleats
        for i in range(1, 10):
            t = -1 + 2 * i / 10
            p.line([(t * 0.19, band), (t * w1, hem + 0.02 * (1 - t * t))], "fold")
    elif kind == 1:  # button front
        p.line([(0.0, band), (0.0, hem + 0.025)], "seam")
        p.buttons([(0.02, band + (hem - band) * (i + 0.3) / 6) for i in range(6)], 0.012)
        p.stitch([(0.032, band), (0.032, hem + 0.024)])
    else:  # wrap with a tie
        p.line(_bez((0.2, band), (0.05, hem * 0.5), (-w1 * 0.45, hem + 0.02)), "seam")
        p.part(_strip([(0.2, band * 0.5), (0.26, band + 0.09), (0.24, band + 0.2)], 0.03), shade=0.06)
        p.part(_strip([(0.2, band * 0.5), (0.3, band + 0.05), (0.33, band + 0.15)], 0.03), shade=0.03)
    p.stitch([(-w1 * 0.98, hem - 0.02), (0, hem + 0.005), (w1 * 0.98, hem - 0.02)])


# ----------------------------------------------------------------------------- dresses
def _day_dress(p):
    hem, w1 = {"mini": (0.95, 0.33), "midi": (1.28, 0.4), "maxi": (1.62, 0.47)}[p.length]
    waist_y = 0.43
    _skirt_shape(p, waist_y - 0.01, 0.17 * p.fw, hem, w1)
    for t in (-0.6, -0.2, 0.2, 0.6):
        p.line([(t * 0.17 * p.fw, waist_y + 0.02), (t * w1 * p.fw * 0.95, hem - 0.06)], "fold")
    g = _torso(p, hw=0.19, hem=waist_y, nw=0.085, nd=0.14, neck="v" if p.rng.random() < 0.5 else "round",
               arm=0.26, waist=0.02, sleeve=(28, 0.14, 0.13, 0.025), art=False)
    _sleeve_hem(p, g.sl, 0.02)
    if p.rng.random() < 0.5:  # tie belt
        x = g.H[0] + 0.005
        p.band([(-x, waist_y - 0.02), (x, waist_y - 0.02)], [(-x, waist_y + 0.02), (x, waist_y + 0.02)])
        for sx in (-1, 1):
            p.part(_ellipse(sx * 0.045, waist_y, 0.045, 0.022, sx * 0.3, 16), shade=0.04)
        p.part(_strip([(0, waist_y), (-0.03, waist_y + 0.12)], 0.026), shade=0.06)
        p.part(_strip([(0, waist_y), (0.035, waist_y + 0.1)], 0.026), shade=0.03)
        p.part(_rrect(-0.015, waist_y - 0.02, 0.015, waist_y + 0.02, 0.008))
    else:
        p.buttons([(0, g.nd + 0.04 + i * 0.07) for i in range(int((waist_y - g.nd) / 0.07))], 0.011)
    p.stitch([(-w1 * p.fw * 0.98, hem - 0.02), (0, hem + 0.005), (w1 * p.fw * 0.98, hem - 0.02)])


def _evening_gown(p):
    hem = 1.62 if p.length == "maxi" else 1.15
    fw = p.fw
    w1 = (0.44 if p.length == "maxi" else 0.32) * fw
    # halter: two straps up to a neck band, fitted bodice, fluid skirt
    half = [(0, 0.24)] + _bez((0.02, 0.14), (0.05, 0.02), (0.06, -0.12), n=6)[1:]
    half += [(0.095, -0.12)] + _bez((0.1, 0.0), (0.19 * fw, 0.08), (0.16 * fw, 0.2), n=6)[1:]
    half += _bez((0.16 * fw, 0.2), (0.125 * fw, 0.38), (0.17 * fw, 0.55), n=6)[1:]
    half += _bez((0.17 * fw, 0.55), (0.16 * fw, hem * 0.7), (w1, hem), n=10)[1:]
    half += _bez((w1, hem), (w1 * 0.5, hem + 0.03), (0, hem + 0.03), n=6)[1:]
    p.part(_rrect(-0.085, -0.16, 0.085, -0.1, 0.02), shade=0.08)
    p.part(_sym(half), sheen=[(_bez((0.05, 0.6), (0.1, hem * 0.8), (w1 * 0.7, hem)), 0.05, -0.12)])
    p.line([(-0.14 * fw, 0.37), (0.14 * fw, 0.37)], "seam")
    p.line([(0, 0.24), (0, 0.37)], "seam")
    for t in (-0.55, -0.15, 0.3, 0.7):
        p.line(_bez((t * 0.15 * fw, 0.5), (t * 0.15 * fw, hem * 0.7), (t * w1 * 0.95, hem)), "fold")
    if p.rng.random() < 0.5:  # thigh slit
        p.line([(0.07 * fw, hem * 0.55), (0.11 * fw, hem + 0.025)], "seam")


# ----------------------------------------------------------------------------- shoes (side, toe left)
def _shoe_sole(p, top, bottom, heel_h):
    """A dark sole strip from toe to heel with a block heel under it."""
    p.part([(0.22, bottom - 0.01), (0.47, bottom - 0.01), (0.465, bottom + heel_h), (0.23, bottom + heel_h)],
           "rubber", outline="rubberol")
    sole = _bez((-0.5, top - 0.02), (-0.52, bottom), (-0.4, bottom), n=5)
    sole += [(0.44, bottom)] + _bez((0.44, bottom), (0.5, bottom), (0.5, top), n=4)[1:]
    p.part(sole, "rubber", outline="rubberol")


def _sneakers(p):
    sole = _bez((-0.47, 0.3), (-0.53, 0.31), (-0.5, 0.4), (-0.43, 0.4), n=6)
    sole += [(0.45, 0.4)] + _bez((0.45, 0.4), (0.51, 0.4), (0.51, 0.31), (0.48, 0.3), n=5)[1:]
    p.part(sole, "sole", outline="soleol")
    p.line([(-0.5, 0.375), (0.505, 0.375)], "soleline")
    lace = [(-0.19, 0.15), (0.12, -0.005)]
    upper = [(-0.49, 0.31)] + _bez((-0.53, 0.2), (-0.44, 0.14), lace[0], n=8)[1:] + [lace[1]]
    upper += [(0.13, -0.05), (0.2, -0.04)] + _bez((0.21, 0.04), (0.3, 0.08), (0.45, 0.03), n=6)
    upper += _bez((0.45, 0.03), (0.52, 0.12), (0.51, 0.25), (0.48, 0.31), n=6)[1:]
    p.part(upper, art=(0.2, 0.2, 0.065))
    p.part(_bez((-0.49, 0.31), (-0.53, 0.2), (-0.42, 0.15), (-0.31, 0.152), n=6)
           + _bez((-0.31, 0.152), (-0.34, 0.25), (-0.29, 0.305), n=4), shade=0.06)  # toe cap
    # colour-blocked heel tab and side stripe on a plain upper; a printed upper keeps its own colour there
    block, block_ol = ("c2", "c2ol") if p.pattern == "solid" else ("inside", "ol")
    p.part([(0.35, 0.305), (0.48, 0.31)] + _bez((0.51, 0.25), (0.52, 0.12), (0.45, 0.03), n=5)
           + _bez((0.45, 0.03), (0.4, 0.12), (0.36, 0.14), (0.35, 0.305), n=5), block, outline=block_ol)  # heel
    p.part(_bez((-0.12, 0.29), (0.05, 0.27), (0.2, 0.19), (0.33, 0.12), n=8)
           + _bez((0.33, 0.16), (0.2, 0.24), (0.05, 0.3), (-0.12, 0.29), n=8), block, outline=block_ol)  # side stripe
    p.stitch([(-0.46, 0.285), (0.47, 0.285)])
    stay = _offset(lace, 0.03)
    p.part(_strip(stay, 0.045), shade=0.08)
    for x, y in _resample(stay, 5):
        p.line([(x, y), (x - 0.012, y - 0.04)], "lace", lw=0.018)
        p.dot(x, y, 0.009, "white", "seam")
    p.line([(0.44, 0.05), (0.27, 0.1)], "fold")


def _boots(p):
    _shoe_sole(p, 0.4, 0.445, heel_h=0.06)
    upper = [(0.47, 0.41), (-0.48, 0.41)] + _bez((-0.5, 0.4), (-0.5, 0.2), (-0.28, 0.16), n=6)
    upper += _bez((-0.28, 0.16), (-0.05, 0.1), (0.0, -0.1), n=5)[1:] + [(0.02, -0.55), (0.38, -0.56)]
    upper += _bez((0.38, -0.56), (0.4, -0.1), (0.42, 0.12), (0.49, 0.4), n=8)[1:]
    p.part(upper, art=(0.2, -0.2, 0.1))
    gusset = [(0.08, -0.555), (0.3, -0.56)] + _bez((0.3, -0.56), (0.24, -0.2), (0.2, -0.06), n=6)[1:]
    gusset += _bez((0.2, -0.06), (0.14, -0.2), (0.08, -0.555), n=6)[1:]
    p.part(gusset, "inside", outline="seam")
    for x in np.linspace(0.1, 0.28, 7):
        p.line([(x, -0.54), (0.2 + (x - 0.19) * 0.2, -0.1)], "fold")
    p.part(_rrect(0.31, -0.65, 0.38, -0.5, 0.02), "c2", outline="c2ol")
    p.stitch([(0.325, -0.63), (0.325, -0.53)])
    p.stitch([(-0.47, 0.385), (0.46, 0.385)])
    p.line(_bez((-0.33, 0.4), (-0.35, 0.25), (-0.22, 0.19), n=5), "seam")


def _heels(p):
    heel = [(0.28, 0.22), (0.46, 0.2), (0.44, 0.6)] + _bez((0.415, 0.6), (0.4, 0.36), (0.28, 0.22), n=6)[:-1]
    p.part(heel, "rubber", outline="rubberol")
    p.part([(0.412, 0.59), (0.443, 0.59), (0.442, 0.625), (0.414, 0.625)], "rubber", outline="rubberol")
    throat, back = (-0.1, 0.42), (0.44, 0.03)
    near = _bez(throat, (0.12, 0.37), (0.36, 0.1), back, n=10)
    far = _bez(throat, (0.08, 0.25), (0.3, 0.02), back, n=10)
    p.part(far + list(reversed(near)), "inside")
    sole = _bez((0.46, 0.2), (0.28, 0.2), (0.05, 0.52), (-0.2, 0.6), n=10) + [(-0.44, 0.6)]
    sole += _bez((-0.44, 0.6), (-0.52, 0.6), (-0.5, 0.54), n=4)[1:]
    upper = _bez((-0.5, 0.54), (-0.5, 0.47), (-0.36, 0.43), throat, n=8) + near[1:]
    upper += _bez(back, (0.49, 0.08), (0.47, 0.16), (0.46, 0.2), n=5)[1:] + sole[1:-1]
    p.part(upper, art=(-0.25, 0.52, 0.05))
    p.line(sole[:-3], "rubber", lw=0.012)
    p.stitch(_offset(near, -0.014))


def _loafers(p):
    _shoe_sole(p, 0.37, 0.4, heel_h=0.05)
    topline = _bez((-0.05, 0.07), (0.2, 0.14), (0.45, 0.08), n=6)
    body = [(0.48, 0.38), (-0.47, 0.38)] + _bez((-0.52, 0.34), (-0.48, 0.2), (-0.3, 0.13), n=6)
    body += _bez((-0.3, 0.13), (-0.15, 0.06), (-0.05, 0.07), n=4)[1:]
    body += topline[1:] + _bez((0.45, 0.08), (0.5, 0.2), (0.48, 0.38), n=4)[1:]
    p.part(_bez((-0.05, 0.07), (0.2, 0.08), (0.45, 0.08), n=6) + list(reversed(topline)), "inside")  # lining
    p.part(body, art=(0.15, 0.27, 0.05))
    moc = _bez((-0.42, 0.3), (-0.42, 0.12), (-0.05, 0.1), n=8)
    p.line(moc, "seam")
    p.stitch(_offset(moc, -0.012))
    strap = _bez((-0.24, 0.15), (-0.12, 0.23), (0.02, 0.2), n=5)
    p.part(_strip(strap, 0.06), shade=0.05)
    p.part(_ellipse(-0.11, 0.185, 0.05, 0.012, 0.1, 14), "inside", outline="seam")
    p.stitch([(-0.45, 0.355), (0.46, 0.355)])


def _foot(cx, flip=1, grow=0.0):
    """Sandal footbed outline seen from above (toe up), centred on x = cx."""
    prof = [(0.0, 0.09), (0.1, 0.125), (0.28, 0.135), (0.5, 0.1), (0.72, 0.092), (0.9, 0.09), (1.0, 0.085)]
    ts = np.linspace(0, 1, 36)
    w = np.interp(ts, [t for t, _ in prof], [v for _, v in prof])
    w = w * np.sqrt(np.clip(np.minimum(ts / 0.1, (1 - ts) / 0.13), 0, 1)) + grow
    off = 0.03 * flip * (1 - ts) ** 2  # toes lean towards the big toe
    right = [(cx + off[i] + w[i], ts[i] * (1 + 2 * grow) - grow) for i in range(len(ts))]
    left = [(cx + off[i] - w[i] * 0.93, ts[i] * (1 + 2 * grow) - grow) for i in range(len(ts))]
    pts = right + list(reversed(left))
    return pts if flip > 0 else [(2 * cx - x, y) for x, y in pts]


def _sandals(p):
    for flip in (1, -1):
        cx = 0.2 * flip
        p.part(_foot(cx, -flip, 0.014), "inside", outline="ol")
        p.part(_foot(cx, -flip), "bed", outline="seam")
        for y, w, tilt in ((0.27, 0.09, 0.03), (0.47, 0.08, -0.04)):
            a, b = (cx - 0.16, y + tilt * flip), (cx + 0.16, y - tilt * flip)
            p.part(_strip([a, b], w), shade=0.04 if y > 0.4 else 0.0, art=(cx, y, 0.04) if y < 0.3 else None)
            p.stitch(_offset([a, b], w / 2 - 0.012))
            p.stitch(_offset([a, b], -w / 2 + 0.012))
        ankle = [(cx - 0.16, 0.8), (cx + 0.16, 0.8)]
        p.part(_strip(ankle, 0.045), shade=0.06)
        bx = cx + 0.1 * flip
        p.part(_rrect(bx - 0.022, 0.77, bx + 0.022, 0.83, 0.008), "metal", outline="metalol")


# ----------------------------------------------------------------------------- bags
def _tote(p):
    handle = _bez((-0.2, 0.34), (-0.24, -0.3), (0.24, -0.3), (0.2, 0.34), n=14)
    p.part(_strip([(x, y - 0.03) for x, y in handle], 0.06), shade=0.12)
    rim = _bez((-0.43, 0.3), (0, 0.37), (0.43, 0.3), n=8)
    p.part(rim + _bez((0.43, 0.3), (0, 0.24), (-0.43, 0.3), n=8), "inside")
    p.part(rim + [(0.385, 0.99), (-0.385, 0.99)], art=(0, 0.62, 0.13))
    p.stitch(_bez((-0.425, 0.345), (0, 0.405), (0.425, 0.345), n=8))
    for sx in (-1, 1):
        x = sx * 0.2
        p.part(_strip([(x, 0.3), (x, 0.65)], 0.06))
        p.stitch([(x - 0.02, 0.5), (x + 0.02, 0.58)])  # box-and-cross stitch
        p.stitch([(x + 0.02, 0.5), (x - 0.02, 0.58)])
        p.stitch([(x - 0.02, 0.5), (x + 0.02, 0.5), (x + 0.02, 0.58), (x - 0.02, 0.58)], closed=True)
    p.part(_strip(handle, 0.06))
    p.stitch(_offset(handle, 0.018))
    p.stitch(_offset(handle, -0.018))


def _backpack(p):
    for sx in (-1, 1):
        p.part(_strip(_bez((sx * 0.18, 0.12), (sx * 0.46, 0.2), (sx * 0.42, 0.8), n=8), 0.08), shade=0.14)
        p.part(_rrect(sx * 0.42 - 0.04, 0.78, sx * 0.42 + 0.04, 0.84, 0.01), "metal", outline="metalol")
    p.part(_strip(_bez((-0.08, 0.08), (-0.08, -0.06), (0.08, -0.06), (0.08, 0.08), n=10), 0.035), shade=0.08)
    body = _bez((-0.34, 0.96), (-0.37, 0.3), (-0.36, 0.05), (0, 0.03), n=10)
    body = body + [(-x, y) for x, y in reversed(body[:-1])]
    p.part(body)
    zip_arc = _bez((-0.31, 0.55), (-0.32, 0.12), (-0.3, 0.09), (0, 0.085), n=10)
    zip_arc = zip_arc + [(-x, y) for x, y in reversed(zip_arc[:-1])]
    p.line(zip_arc, "zip")
    pocket = _rrect(-0.25, 0.56, 0.25, 0.92, 0.07)
    p.part(pocket, shade=0.03, outline="seam", art=(0, 0.74, 0.09))
    p.line(_bez((-0.22, 0.6), (0, 0.56), (0.22, 0.6), n=8), "zip")
    p.stitch(_offset(pocket, 0.012), closed=True)
    for x, y in ((0.2, 0.6), (-0.3, 0.55), (0.3, 0.55)):
        p.part(_rrect(x - 0.013, y, x + 0.013, y + 0.07, 0.008), "c2", outline="c2ol")
    p.part(_rrect(-0.06, 0.34, 0.06, 0.42, 0.01), "c2", outline="c2ol")
    p.part(_bez((-0.335, 0.9), (0, 0.94), (0.335, 0.9), n=6) + [(0.33, 0.965), (-0.33, 0.965)], shade=0.18)


def _clutch(p):
    body = _rrect(-0.5, 0.0, 0.5, 0.56, 0.03)
    p.part(body)
    flap = [(-0.5, 0.0), (0.5, 0.0)] + _bez((0.5, 0.0), (0.3, 0.28), (0.03, 0.38), n=8)[1:]
    flap += _bez((-0.03, 0.38), (-0.3, 0.28), (-0.5, 0.0), n=8)
    p.part(flap, shade=0.03, sheen=[([(-0.45, 0.02), (0.45, 0.02)], 0.05, 0.15)], art=(0, 0.14, 0.08))
    p.stitch(_offset(flap[2:-1], 0.015))
    p.part(_ellipse(0, 0.37, 0.04, 0.04, 0, 16), "metal", outline="metalol")
    p.part(_ellipse(0, 0.37, 0.018, 0.018, 0, 12), "metalol", outline="metalol")


def _crossbody(p):
    strap = _bez((-0.3, 0.6), (-0.36, -0.55), (0.36, -0.55), (0.3, 0.6), n=18)
    p.part(_strip(strap, 0.035), shade=0.06)
    p.stitch(_offset(strap, 0.009)[:-2])
    p.part(_strip(_resample(strap, 19)[7:9], 0.06), "metal", outline="metalol")
    body = [(-0.3, 0.58), (0.3, 0.58)] + _rrect(-0.3, 0.6, 0.3, 1.0, 0.06)[5:15]
    p.part(body)
    for sx in (-1, 1):
        p.part(_ellipse(sx * 0.3, 0.6, 0.028, 0.028, 0, 12), "metal", outline="metalol")
    flap = [(-0.3, 0.58), (0.3, 0.58)] + _bez((0.3, 0.58), (0.31, 0.9), (0.0, 0.9), n=8)[1:]
    flap += _bez((0.0, 0.9), (-0.31, 0.9), (-0.3, 0.58), n=8)[1:]
    p.part(flap, shade=0.03, art=(0, 0.7, 0.07))
    p.stitch(_offset(flap[1:-1], 0.014))
    p.part(_rrect(-0.04, 0.82, 0.04, 0.9, 0.012), "metal", outline="metalol")


# ----------------------------------------------------------------------------- accessories
def _cap(p):
    brim = _bez((-0.22, 0.44), (-0.45, 0.39), (-0.66, 0.46), (-0.77, 0.58), n=10)
    brim += _bez((-0.77, 0.58), (-0.6, 0.53), (-0.45, 0.52), (-0.2, 0.55), n=10)
    p.part(brim, shade=0.04)
    p.stitch(_bez((-0.3, 0.465), (-0.47, 0.43), (-0.64, 0.49), (-0.72, 0.555), n=10))
    dome = _bez((-0.3, 0.5), (-0.37, 0.02), (0.25, -0.1), (0.53, 0.2), (0.5, 0.5), n=16)
    p.part(dome + _bez((0.5, 0.5), (0.1, 0.53), (-0.3, 0.5), n=6)[1:], art=(-0.02, 0.28, 0.1))
    top = min(dome, key=lambda q: q[1])
    for end in ((-0.08, 0.52), (0.26, 0.51)):
        seam = _bez(top, ((top[0] + end[0]) / 2 + (0.03 if end[0] > 0 else -0.06), 0.2), end)
        p.line(seam, "seam")
        p.stitch(_offset(seam, 0.012))
    p.dot(top[0], top[1] + 0.01, 0.028, "main", "ol")
    for x, y in ((-0.16, 0.16), (0.24, 0.14)):
        p.dot(x, y, 0.01, "inside", "seam")
    p.part(_rrect(0.4, 0.42, 0.52, 0.52, 0.02), "c2", outline="c2ol")


def _beanie(p):
    pom = p.rng.random() < 0.5
    if pom:
        r = 0.13
        wob = [1 + 0.06 * math.sin(k * 2.1) + 0.05 * (k % 2) for k in range(48)]
        fluff = [(math.cos(a) * r * w, -0.01 + math.sin(a) * r * w)
                 for a, w in zip(np.linspace(0, 2 * math.pi, 48, endpoint=False), wob)]
        p.part(fluff, "c2", outline="c2ol")
        for a in np.linspace(0.3, 6.0, 9):
            c = (math.cos(a) * r * 0.45, -0.01 + math.sin(a) * r * 0.45)
            p.line([c, (c[0] * 1.5, c[1] * 1.5 + 0.005)], "c2line")
    dome = [(-0.38, 0.62)] + _bez((-0.38, 0.62), (-0.4, 0.02), (0.4, 0.02), (0.38, 0.62), n=16)[1:]
    p.part(dome, art=(0, 0.34, 0.1))
    for t in (-0.66, -0.33, 0.0, 0.33, 0.66):
        p.line(_bez((t * 0.12, 0.2), (t * 0.33, 0.3), (t * 0.37, 0.58)), "fold")
    top = [(-0.4, 0.58), (0.4, 0.58)]
    p.band(top, [(-0.4, 0.84), (0.4, 0.84)], ribs=0.03)


def _scarf(p):
    p.part(_ellipse(0, 0.14, 0.3, 0.16, 0, 30))
    p.part(_ellipse(0, 0.12, 0.19, 0.08, 0, 24), "white", outline="ol")
    tails = (((-0.12, 0.22), (-0.17, 0.6), (-0.15, 1.02)), ((0.08, 0.22), (0.13, 0.5), (0.1, 0.88)))
    for ctrl, shade in zip(tails, (0.06, 0.0)):  # the back tail a little darker
        c = _bez(*ctrl, n=8)
        (ex, ey) = c[-1]
        p.part(_strip(c, 0.2), shade=shade, art=(c[-3][0], c[-3][1], 0.05))
        for k in range(9):  # fringe
            x = ex - 0.09 + 0.18 * k / 8
            p.line([(x, ey), (x + 0.004, ey + 0.06)], "fringe", lw=0.012)
        p.stitch([(ex - 0.09, ey - 0.03), (ex + 0.09, ey - 0.03)])
    p.part(_rrect(-0.11, 0.2, 0.11, 0.32, 0.05), shade=0.08)


def _belt(p):
    strap = [(-0.42, -0.045), (0.4, -0.045), (0.5, 0.0), (0.4, 0.045), (-0.42, 0.045)]
    p.part(strap, art=(0.05, 0.0, 0.035))
    p.stitch([(-0.3, -0.032), (0.4, -0.032), (0.48, 0.0), (0.4, 0.032), (-0.3, 0.032)])
    for k in range(5):
        p.dot(0.18 + 0.045 * k, 0.0, 0.009, "inside", "seam")
    p.part(_rrect(-0.3, -0.06, -0.26, 0.06, 0.006), shade=0.1)
    p.line(_rrect(-0.49, -0.085, -0.35, 0.085, 0.03) + [(-0.49, -0.055)], "buckle", lw=0.022)
    p.line([(-0.49, 0.0), (-0.32, 0.0)], "buckle", lw=0.016)


def _lens(kind, cx, cy):
    if kind == 0:  # wayfarer: wider at the top
        base = _rrect(-0.19, -0.13, 0.19, 0.13, 0.07, 6)
        return [(cx + x * (1 + 0.12 * (-y / 0.13)), cy + y) for x, y in base]
    if kind == 1:  # round
        return _ellipse(cx, cy, 0.155, 0.15, 0, 32)
    if kind == 2:  # cat eye: outer top corner lifted
        base = _ellipse(0, 0, 0.19, 0.12, 0, 32)
        return [(cx + x, cy + y - 0.06 * max(0.0, x / 0.19) ** 2 * (1 if y < 0 else 0.3)) for x, y in base]
    base = _ellipse(0, 0, 0.18, 0.14, 0, 32)  # aviator: teardrop
    return [(cx + x, cy + y + (0.05 * max(0.0, -x / 0.18) if y > 0 else 0)) for x, y in base]


def _sunglasses(p):
    kind = p.rng.randrange(4)
    cx = 0.25
    inner = _lens(kind, cx, 0.0)
    outer = [(cx + (x - cx) * 1.11, y * 1.14) for x, y in inner]
    for sx in (-1, 1):
        p.part(_strip([(sx * 0.4, -0.1), (sx * 0.52, -0.13)], 0.05), shade=0.12)
    p.part(_strip(_bez((-0.1, -0.05), (0, -0.11), (0.1, -0.05), n=6), 0.05))
    p.part(outer, mirror=True)
    glare = [(cx - 0.12, 0.05), (cx + 0.02, -0.1)]
    p.part(inner, "lens", outline="lensol", mirror=True,
           sheen=[(glare, 0.035, -0.4), (_offset(glare, 0.05), 0.012, -0.3)])
    for sx in (-1, 1):
        p.dot(sx * (cx + 0.2), -0.07, 0.012, "metal", "metalol")


_DRAWERS = {
    "t-shirt": _t_shirt, "shirt": _shirt, "blouse": _blouse, "sweater": _sweater, "hoodie": _hoodie,
    "tank top": _tank_top, "polo": _polo, "crop top": _crop_top,
    "jeans": _jeans, "trousers": _trousers, "shorts": _shorts, "skirt": _skirt, "leggings": _leggings,
    "joggers": _joggers, "chinos": _chinos,
    "day dress": _day_dress, "evening gown": _evening_gown,
    "blazer": _blazer, "coat": _coat, "denim jacket": _denim_jacket, "biker jacket": _leather_jacket,
    "puffer": _puffer,
    "sneakers": _sneakers, "boots": _boots, "heels": _heels, "loafers": _loafers, "sandals": _sandals,
    "tote": _tote, "backpack": _backpack, "clutch": _clutch, "crossbody": _crossbody,
    "cap": _cap, "beanie": _beanie, "scarf": _scarf, "belt": _belt, "sunglasses": _sunglasses,
}

# line styles: colour role, width in px at 224, dash (on, off) in px at 224 or None
_STYLES = {
    "ol": ("ol", 2.0, None),
    "seam": ("seam", 1.0, None),
    "fold": ("fold", 1.0, None),
    "stitch": ("stitch", 0.8, (3.0, 2.2)),
    "zip": ("metalol", 2.2, None),
    "lace": ("white", 1.0, None),
    "c2line": ("c2dark", 1.0, None),
    "rubber": ("rubber", 1.0, None),
    "soleline": ("soleol", 1.0, None),
    "fringe": ("ol", 1.0, None),
    "buckle": ("metal", 1.0, None),
}


# outline roles drawn at full outline weight (the others, e.g. "seam", mark parts sewn onto a garment)
_SILHOUETTE_OUTLINES = ("ol", "c2ol", "metalol", "rubberol", "soleol", "lensol")


# ----------------------------------------------------------------------------- rendering
def _dashed(draw, pts, fill, width, on, off, closed):
    if closed:
        pts = list(pts) + [pts[0]]
    carry, drawing = 0.0, True
    for a, b in zip(pts, pts[1:]):
        seg = math.dist(a, b)
        pos = 0.0
        while pos < seg - 1e-9:
            step = min((on if drawing else off) - carry, seg - pos)
            if drawing:
                draw.line([_lerp(a, b, pos / seg), _lerp(a, b, (pos + step) / seg)], fill=fill, width=width)
            pos += step
            carry += step
            if carry >= (on if drawing else off) - 1e-9:
                carry, drawing = 0.0, not drawing


def _layout(ops, n):
    """Scale and centre the drawing into the canvas; returns ops in pixel coordinates."""
    xs, ys = [], []
    for op in ops:
        pts = op[1]
        pad = op[2] if op[0] == "dot" else (op[4] or 0) / 2 if op[0] == "line" else 0
        for x, y in pts:
            xs += (x - pad, x + pad)
            ys += (y - pad, y + pad)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = (1 - 2 * MARGIN) * n / max(x1 - x0, y1 - y0)
    ox, oy = n / 2 - (x0 + x1) / 2 * scale, n / 2 - (y0 + y1) / 2 * scale
    tf = lambda pts: [(ox + x * scale, oy + y * scale) for x, y in pts]  # noqa: E731
    out = []
    for op in ops:
        if op[0] == "part":
            kind, pts, fill, shade, outline, sheen, art = op
            sheen = [(tf(q), w * scale, a) for q, w, a in sheen]
            art = art and (ox + art[0] * scale, oy + art[1] * scale, art[2] * scale)
            out.append((kind, tf(pts), fill, shade, outline, sheen, art))
        elif op[0] == "line":
            kind, pts, style, closed, lw = op
            out.append((kind, tf(pts), style, closed, lw and lw * scale))
        else:
            kind, pts, r, fill, outline = op
            out.append((kind, tf(pts), r * scale, fill, outline))
    return out


def _bbox(pts, n, pad=2):
    xs = [x for x, _ in pts]
    ys = [y for _, y in pts]
    return (max(int(min(xs)) - pad, 0), max(int(min(ys)) - pad, 0),
            min(int(max(xs)) + pad + 1, n), min(int(max(ys)) + pad + 1, n))


def _print(box, art, variant, c1, c2):
    """A graphic motif (index image -> RGB) and its footprint, positioned in `box`."""
    x0, y0, x1, y1 = box
    idx = Image.new("L", (x1 - x0, y1 - y0), 0)
    _motif(ImageDraw.Draw(idx), art[0] - x0, art[1] - y0, art[2], variant)
    rgb = idx.point([k * SHADES + 32 if k else 0 for k in range(256)]).convert("P")
    rgb.putpalette(_palette(c1, c2))
    return rgb.convert("RGB"), idx.point([255 if k else 0 for k in range(256)])


def _render(ops, n, u, roles, fill, fill_box, graphic, c1, c2, variant):
    """The drawing on white, and its coverage mask (255 where anything is drawn)."""
    canvas = Image.new("RGB", (n, n), WHITE)
    draw = ImageDraw.Draw(canvas)
    cover = Image.new("L", (n, n), 0)
    cdraw = ImageDraw.Draw(cover)
    wo = max(1, round(_STYLES["ol"][1] * u))
    for op in ops:
        if op[0] == "part":
            _, pts, kind, shade, outline, sheen, art = op
            box = _bbox(pts, n)
            w, h = box[2] - box[0], box[3] - box[1]
            if w <= 0 or h <= 0:
                continue
            need_mask = kind == "main" or shade or sheen or (art and graphic)
            if need_mask:
                mask = Image.new("L", (w, h), 0)
                ImageDraw.Draw(mask).polygon([(x - box[0], y - box[1]) for x, y in pts], fill=255)
            if kind == "main":
                fx, fy = fill_box[0], fill_box[1]
                canvas.paste(fill.crop((box[0] - fx, box[1] - fy, box[2] - fx, box[3] - fy)), box[:2], mask)
            else:
                draw.polygon(pts, fill=roles[kind])
            if art and graphic:
                motif, foot = _print(box, art, variant, c1, c2)
                canvas.paste(motif, box[:2], ImageChops.multiply(foot, mask))
            if shade:
                level = int(255 * abs(shade))
                canvas.paste((0, 0, 0) if shade > 0 else WHITE, box[:2],
                             mask.point([k * level // 255 for k in range(256)]))
            for sign in (1, -1):  # soft shading (darker) and highlights (lighter), clipped to the part
                lines = [(q, lw, alpha) for q, lw, alpha in sheen if alpha * sign > 0]
                if lines:
                    sm = Image.new("L", (w, h), 0)
                    sd = ImageDraw.Draw(sm)
                    for q, lw, alpha in lines:
                        sd.line([(x - box[0], y - box[1]) for x, y in q], fill=int(255 * abs(alpha)),
                                width=max(1, int(lw)), joint="curve")
                    canvas.paste((0, 0, 0) if sign > 0 else WHITE, box[:2], ImageChops.multiply(sm, mask))
            width = wo if outline in _SILHOUETTE_OUTLINES else max(1, round(1.2 * u))
            draw.line(pts + [pts[0], pts[1]], fill=roles[outline], joint="curve", width=width)
            cdraw.polygon(pts, fill=255)
            cdraw.line(pts + [pts[0], pts[1]], fill=255, joint="curve", width=width)
        elif op[0] == "line":
            _, pts, style, closed, lw = op
            role, width, dash = _STYLES[style]
            width = max(1, round(lw if lw else width * u))
            col = roles[role]
            cdraw.line(pts + ([pts[0]] if closed else []), fill=255, width=width + max(1, round(1.4 * u)), joint="curve")
            if dash:
                _dashed(draw, pts, col, width, dash[0] * u, dash[1] * u, closed)
            else:
                if style in ("buckle", "zip"):
                    draw.line(pts + ([pts[0]] if closed else []), fill=roles["metalol"],
                              width=width + max(1, round(1.4 * u)), joint="curve")
                    col = roles["metal"]
                    if style == "zip":
                        width = max(1, width - round(1.6 * u))
                draw.line(pts + ([pts[0]] if closed else []), fill=col, width=width, joint="curve")
        else:
            _, pts, r, kind, outline = op
            (x, y), r = pts[0], max(r, 1.5 * u)
            box = (x - r, y - r, x + r, y + r)
            draw.ellipse(box, fill=roles[kind], outline=roles[outline], width=max(1, round(0.8 * u)))
            cdraw.ellipse(box, fill=255)
    return canvas, cover


def _pose(seed: int, n: int) -> tuple[float, float, float]:
    """(degrees counter-clockwise, dx, dy in canvas pixels) of a piece laid down by hand."""
    rng = np.random.default_rng([seed, 4051])
    return float(rng.uniform(-MAX_ROTATION, MAX_ROTATION)), *(float(v) for v in rng.uniform(-MAX_OFFSET, MAX_OFFSET, 2) * n)


def _turn(ops, angle, dx, dy, n):
    """Ops in pixel coordinates turned `angle` degrees counter-clockwise about the canvas centre, then shifted,
    exactly as PIL's Image.rotate(angle, center=centre, translate=(dx, dy)) moves pixels."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    h = n / 2
    tf = lambda pts: [(h + (x - h) * c + (y - h) * s + dx, h - (x - h) * s + (y - h) * c + dy) for x, y in pts]  # noqa: E731
    out = []
    for op in ops:
        if op[0] == "part":
            kind, pts, fill, shade, outline, sheen, art = op
            art = art and (*tf([art[:2]])[0], art[2])
            out.append((kind, tf(pts), fill, shade, outline, [(tf(q), w, a) for q, w, a in sheen], art))
        else:
            out.append((op[0], tf(op[1]), *op[2:]))
    return out


def render_flat(attrs: dict, size: int = 224, pose: bool = True) -> tuple[Image.Image, Image.Image]:
    """The bare fashion flat on pure white, and its coverage mask ("L", 255 where drawn). With `pose`
    the piece lies a little off centre and askew (deterministic from its seed), as on a packshot."""
    ft = vocab.TYPE_BY_NAME[attrs["category"]]
    c1 = vocab.COLOUR_BY_NAME[attrs.get("colour", "black")].rgb
    c2 = vocab.COLOUR_BY_NAME[attrs.get("colour2", attrs.get("colour", "white"))].rgb
    pattern = attrs.get("pattern", "solid")
    material = attrs.get("material", ft.materials[0])
    length = attrs.get("length", ft.lengths[0])
    if length not in ft.lengths:
        length = ft.lengths[0]
    seed = int(attrs.get("seed", 0))
    rng = random.Random(seed)
    fw = FIT_WIDTH.get(attrs.get("fit", "regular"), 1.0) if ft.slot in GARMENT_SLOTS else 1.0

    pen = _Pen(fw, length, rng, material, pattern)
    _DRAWERS[ft.name](pen)
    n = int(size) * SUPER
    u = n / 224.0  # canvas pixels per output pixel of a 224 px image
    ops = _layout(pen.ops, n)

    variant = seed % 8
    graphic = pattern == "graphic" and any(op[0] == "part" and op[6] for op in ops)
    tile_pattern = "solid" if graphic else pattern
    main = [p for op in ops if op[0] == "part" and op[2] == "main" for p in op[1]]
    fill_box = _bbox(main, n) if main else (0, 0, 1, 1)
    vertical = ft.slot == "bottom" or ft.name in ("shirt", "blazer", "coat", "scarf")
    fill = _fill(tile_pattern, variant, material, c1, c2, n, vertical, fill_box)
    if pose:  # laid down a little off centre and askew: the geometry and its fill turn together
        angle, dx, dy = _pose(seed, n)
        ops = _turn(ops, angle, dx, dy, n)
        whole = Image.new("RGB", (n, n), WHITE)
        whole.paste(fill, fill_box[:2])
        fill, fill_box = whole.rotate(angle, Image.NEAREST, center=(n / 2, n / 2), translate=(dx, dy)), (0, 0, n, n)
    roles = _roles(c1, c2, seed % 3 == 0, material == "denim")
    canvas, cover = _render(ops, n, u, roles, fill, fill_box, graphic, c1, c2, variant)

    # downsample (box-filter the supersampled pixels) only the drawn region; the rest is white
    everything = [p for op in ops for p in op[1]]
    x0, y0, x1, y1 = _bbox(everything, n, pad=int(4 * u) + 4)
    x0, y0 = x0 - x0 % SUPER, y0 - y0 % SUPER
    x1, y1 = min(n, x1 + -(x1 - x0) % SUPER), min(n, y1 + -(y1 - y0) % SUPER)
    out = Image.new("RGB", (size, size), WHITE)
    out.paste(canvas.crop((x0, y0, x1, y1)).reduce(SUPER), (x0 // SUPER, y0 // SUPER))
    mask = Image.new("L", (size, size), 0)
    mask.paste(cover.crop((x0, y0, x1, y1)).reduce(SUPER), (x0 // SUPER, y0 // SUPER))
    return out, mask


# ----------------------------------------------------------------------------- packshot
# What product photos have and flats lack (DESIGN.md "Pictures like packshots"): a light studio
# background with a tint and a soft fall-off, a soft contact shadow, light from the upper left,
# soft folds across the cloth, fabric grain, and a piece laid down a little off centre and
# askew (render_flat's pose). All of it is deterministic from the item's seed, and none of it
# changes the garment's colour by more than a few percent, so the picture keeps the colour its
# title names.
BACKGROUNDS = ((245, 245, 243), (247, 244, 239), (242, 244, 247), (246, 245, 241), (243, 242, 240))
MAX_ROTATION = 4.0  # degrees either way
MAX_OFFSET = 0.03  # of the picture size, either way
GRAIN = 2.2  # std of the per-pixel fabric grain, in grey levels
LOW = 56  # shading, folds and shadow are computed at this size and scaled up (they are soft anyway)
FOLD_SLOTS = GARMENT_SLOTS + ("accessory",)


@functools.lru_cache(maxsize=8)
def _grain(size: int) -> np.ndarray:
    return _rng("grain", size).normal(0.0, GRAIN / 255.0, (2 * size, 2 * size)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _coords(size: int):
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    return x, y


def _up(a: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize((size, size), Image.BILINEAR))


def _folds(rng, slot) -> np.ndarray:
    """Soft fold shading at LOW x LOW (negative = shadow, positive = highlight), roughly in [-1, 1]."""
    big = LOW * 4
    shade = Image.new("L", (big, big), 0)
    light = Image.new("L", (big, big), 0)
    ds, dl = ImageDraw.Draw(shade), ImageDraw.Draw(light)
    n_folds = int(rng.integers(2, 5)) if slot in FOLD_SLOTS else int(rng.integers(0, 2))
    for _ in range(n_folds):
        x, y = rng.uniform(0.25, 0.75) * big, rng.uniform(0.2, 0.8) * big
        ang = rng.uniform(0, math.pi) if slot == "accessory" else math.pi / 2 + rng.uniform(-0.6, 0.6)
        length, bend = rng.uniform(0.15, 0.35) * big, rng.uniform(-0.12, 0.12) * big
        ddx, ddy = math.cos(ang) * length / 2, math.sin(ang) * length / 2
        a, b = (x - ddx, y - ddy), (x + ddx, y + ddy)
        mid = ((a[0] + b[0]) / 2 - math.sin(ang) * bend, (a[1] + b[1]) / 2 + math.cos(ang) * bend)
        pts = _bez(a, mid, b, n=12)
        w = max(1, int(rng.uniform(7, 11)))
        ds.line(pts, fill=int(rng.uniform(150, 255)), width=w, joint="curve")
        off = w * 0.9
        dl.line([(px + math.sin(ang) * off, py - math.cos(ang) * off) for px, py in pts],
                fill=int(rng.uniform(90, 180)), width=max(1, w // 2), joint="curve")
    small = lambda im: np.asarray(im.resize((LOW, LOW), Image.BOX), np.float32) / 255.0  # noqa: E731
    return small(light) - small(shade)


@functools.lru_cache(maxsize=16)
def _background(size: int, tint: int) -> tuple[np.ndarray, Image.Image]:
    """A studio background (float and as an image): the tint, a little lighter in the middle."""
    x, y = _coords(size)
    bg = np.array(BACKGROUNDS[tint], np.float32) * (1 - 0.05 * (x ** 2 + y ** 2))[..., None]
    return bg, Image.fromarray(np.clip(bg + 0.5, 0, 255).astype(np.uint8), "RGB")


def packshot(flat: Image.Image, mask: Image.Image, seed: int, slot: str, with_mask: bool = False):
    """Lay a flat on a packshot background: tint, fall-off, contact shadow, light, folds and grain.

    With `with_mask`, also the piece's coverage mask ("L")."""
    size = flat.width
    rng = np.random.default_rng([seed, 2024])
    # light from the upper left, broad soft shading, folds (computed small, scaled up), fabric grain
    low = 0.03 * rng.standard_normal((4, 4)).astype(np.float32)
    low = np.asarray(Image.fromarray(low, mode="F").resize((LOW, LOW), Image.BICUBIC)) + 0.09 * _folds(rng, slot)
    ox, oy = rng.integers(size, size=2)
    bg, bg_image = _background(size, int(rng.integers(len(BACKGROUNDS))))
    k = max(1, size // LOW)
    low_alpha = np.asarray(mask.resize((LOW, LOW), Image.BOX), np.float32) / 255.0
    low_shadow = np.asarray(Image.fromarray((low_alpha * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.0)),
                            np.float32) / 255.0
    box = mask.getbbox()
    out = bg_image.copy()
    if box is None:
        return (out, mask) if with_mask else out
    # everything below happens only around the piece (its shadow reaches a few pixels out)
    pad = 3 * k
    x0, y0, x1, y1 = max(0, box[0] - pad), max(0, box[1] - pad), min(size, box[2] + 2 * pad), min(size, box[3] + 2 * pad)
    region = np.s_[y0:y1, x0:x1]
    x, y = _coords(size)
    light = (-0.07 * (x[region] + y[region]) + _up(low, size)[region]
             + _grain(size)[oy + y0:oy + y1, ox + x0:ox + x1])
    gain = 1 + np.minimum(light, 0) - 0.6 * np.maximum(light, 0)  # darken towards black, lighten towards white
    lift = 153.0 * np.maximum(light, 0)
    shadow = np.roll(_up(low_shadow, size), (3 * k // 4, 3 * k // 8), (0, 1))[region]  # soft contact shadow
    alpha = np.asarray(mask, np.float32)[region] / 255.0
    rgb = np.asarray(flat, np.float32)[region]
    p, q, r = gain * alpha, lift * alpha, (1 - 0.16 * shadow) * (1 - alpha)
    px = rgb * p[..., None] + q[..., None] + bg[region] * r[..., None]
    out.paste(Image.fromarray(np.clip(px + 0.5, 0, 255).astype(np.uint8), "RGB"), (x0, y0))
    return (out, mask) if with_mask else out


def render_item(attrs: dict, size: int = 224, with_mask: bool = False):
    """Draw one catalogue item as a packshot of its fashion flat: RGB, `size` x `size`, light background
    (with `with_mask`: the image and the piece's coverage mask).

    Only what a picture can show is drawn (type, colour, second colour, pattern, material
    texture, fit, length); fibre, weight and occasion are never read."""
    flat, mask = render_flat(attrs, size)
    return packshot(flat, mask, int(attrs.get("seed", 0)), vocab.TYPE_BY_NAME[attrs["category"]].slot, with_mask)

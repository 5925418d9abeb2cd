"""What every tab shares: turning user input into clean values, and any failure into a readable message.

Every handler is wrapped with `friendly`. A person's mistake (not an image, a huge or damaged
image, an empty or overlong text, an unknown item id, a count out of range) is a `BadInput`,
raised here or by the engine, and reaches the person as its one sentence. A missing or stale
checkpoint (`CheckpointError`) shows its message too, which names the file and the command that
rebuilds it. Anything else is a bug: its traceback goes to the server's log and the person sees
"Something went wrong (logged)."; the server keeps serving.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import gradio as gr
from PIL import Image, ImageDraw, UnidentifiedImageError

from stylist_app.checkpoints import CheckpointError
from stylist_app.data.builtin.vocab import COLOURS, FINE_TYPES, MATERIALS, PATTERNS
from stylist_app.data.schema import SLOTS
from stylist_app.errors import BadInput
from stylist_app.models.reader import MIN_SIDE, on_white

log = logging.getLogger("stylist")

MAX_PIXELS = 40_000_000  # a 6000 x 6000 photo is 36 MP: accepted, then scaled down
MAX_SIDE = 512  # uploads are scaled to this before encoding (the encoders use 224)
MAX_TEXT = 300


SOMETHING_WENT_WRONG = "Something went wrong (logged)."


def friendly(fn):
    """Wrap a Gradio handler: a BadInput or CheckpointError becomes a gr.Error with its message; any other
    exception is logged with its traceback and shown as SOMETHING_WENT_WRONG."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except CheckpointError as err:  # the operator's to fix; the message says how
            log.warning("handler %s: %s", fn.__name__, err)
            raise gr.Error(str(err), print_exception=False) from None
        except BadInput as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception:  # noqa: BLE001 - a bug: the server logs it and keeps serving
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(SOMETHING_WENT_WRONG, print_exception=False) from None

    return wrapper


def open_image(value, what: str = "image") -> Image.Image:
    """A PIL RGB image from a path, a PIL image or a numpy array, checked and scaled to MAX_SIDE."""
    if value is None or (isinstance(value, str) and not value):
        raise BadInput(f"Please add an {what}.")
    if isinstance(value, dict) and "path" in value:  # gradio FileData
        value = value["path"]
    try:
        if isinstance(value, (str, Path)):
            with Image.open(value) as probe:
                w, h = probe.size
                if w * h > MAX_PIXELS:
                    raise BadInput(f"That {what} is {w} x {h} pixels; please upload one under "
                                     f"{MAX_PIXELS // 1_000_000} megapixels.")
                probe.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size, fast
                img = on_white(probe)
        elif isinstance(value, Image.Image):
            img = on_white(value)
        else:
            img = on_white(Image.fromarray(value))
    except BadInput:
        raise
    except Image.DecompressionBombError:
        raise BadInput(f"That {what} is far too large; please upload a smaller picture.") from None
    except UnidentifiedImageError:
        raise BadInput("That file is not an image we can read (JPEG, PNG or WebP please).") from None
    except (OSError, SyntaxError, ValueError, TypeError) as err:
        raise BadInput(f"That {what} looks damaged or incomplete ({err}); please try another file.") from None
    if img.width * img.height > MAX_PIXELS:
        raise BadInput(f"That {what} is {img.width} x {img.height} pixels; please upload one under "
                         f"{MAX_PIXELS // 1_000_000} megapixels.")
    if min(img.size) < MIN_SIDE:
        raise BadInput(f"That {what} is only {img.width} x {img.height} pixels, too small to see a garment in; "
                       f"please upload a product photo at least {MIN_SIDE} pixels on its shorter side.")
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    return img


def clean_text(text: str | None, required: bool = False, what: str = "description") -> str | None:
    """Stripped text, None when empty and optional; too long or required-but-empty is a BadInput."""
    text = (text or "").strip()
    if not text:
        if required:
            raise BadInput(f"Please type a {what}.")
        return None
    if len(text) > MAX_TEXT:
        raise BadInput(f"Please keep the {what} under {MAX_TEXT} characters (it has {len(text)}).")
    return text


def count(value, name: str, low: int = 1, high: int = 50) -> int:
    """An integer in [low, high], or a BadInput naming the setting."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be a whole number between {low} and {high}.") from None
    if not low <= n <= high or n != float(value):
        raise BadInput(f"{name} must be a whole number between {low} and {high} (got {value}).")
    return n


def item_id(wardrobe, value: str, slot: str | None = None) -> str:
    """A catalog id (whitespace stripped), optionally of one slot; unknown ids are a BadInput."""
    iid = (value or "").strip()
    if not iid:
        raise BadInput("Please pick an item.")
    if iid not in wardrobe.items:
        raise BadInput(f"There is no item {iid[:60]!r} in this catalog.")
    if slot and wardrobe.items[iid].slot != slot:
        raise BadInput(f"Item {iid!r} is a {wardrobe.items[iid].slot}, not a {slot}.")
    return iid


def item_ids(wardrobe, value: str, what: str = "items", low: int = 1, high: int = 8) -> list[str]:
    """Catalog ids from comma- or space-separated text, each checked with `item_id`."""
    ids = [v for v in (value or "").replace(",", " ").split() if v]
    if not low <= len(ids) <= high:
        raise BadInput(f"Please give between {low} and {high} {what} as catalog ids, separated by commas "
                         f"(got {len(ids)}).")
    return [item_id(wardrobe, v) for v in ids]


def upload(label: str = "Picture") -> gr.Image:
    """An image input for handlers registered with `preprocess=False`: they get the uploaded file's record
    (gr.Image would open it with PIL before the handler, where a bad file cannot get a readable message)
    and read it with `open_image`."""
    return gr.Image(label=label, type="filepath", sources=["upload", "clipboard"], height=260)


READ_FIELDS = ("slot", "fine_type", "colour", "pattern", "material")  # what a person may correct in a reading


def reading_controls():
    """The "Read as" line of an upload and, folded under it, one dropdown per attribute to correct the reading
    (each set to what was read when a picture is uploaded; "" = as read)."""
    read_as = gr.Markdown()
    choices = {"slot": SLOTS, "fine_type": [t.name for t in FINE_TYPES], "colour": [c.name for c in COLOURS],
               "pattern": PATTERNS, "material": list(MATERIALS)}
    with gr.Accordion("Not right? Correct what the picture was read as", open=False):
        with gr.Row():
            controls = [gr.Dropdown(["", *choices[f]], value="", label=f.replace("_", " ").replace("fine ", ""),
                                    min_width=120) for f in READ_FIELDS]
    return read_as, controls


def show_reading(engine, image):
    """What an upload was read as (one line) and the correction dropdowns set to it; nothing for no upload."""
    if not image:
        return "", *[""] * len(READ_FIELDS)
    try:
        r = engine.read(open_image(image, "picture"))
    except BadInput as err:
        return f"⚠ {err}", *[""] * len(READ_FIELDS)
    line = r.describe() if r.readable else f"⚠ {r.problem} If it is a garment, say what it is below."
    return line, *[(getattr(r, f) or "") for f in READ_FIELDS]


def corrections(engine, picture, values) -> dict:
    """The dropdowns' values that differ from what `picture` was read as: the person's corrections."""
    if picture is None or isinstance(picture, str):
        return {}
    r = engine.read(picture)
    return {f: v for f, v in zip(READ_FIELDS, values) if v and v != getattr(r, f)}


def top_or_id(wardrobe, image, iid: str, slot: str):
    """The PIL image uploaded, else the catalog id typed (of `slot`); neither is a BadInput."""
    if image:
        return open_image(image, f"picture of a {slot}")
    if (iid or "").strip():
        return item_id(wardrobe, iid, slot)
    raise BadInput(f"Please upload a picture of a {slot} or type a catalog {slot} id.")


def picture(wardrobe, iid: str, size: int = 256):
    """An item's picture for a gallery: its file when it has one (Gradio serves it as it is, no re-encoding; a
    builtin picture is drawn into its file the first time), else the image scaled to fit `size`."""
    item = wardrobe.items[iid]
    if isinstance(item.image, (str, Path)) and Path(item.image).is_file():
        return str(item.image)
    if hasattr(item.image, "file") and (path := item.image.file()):  # a builtin picture, drawn on first use
        return str(path)
    img = item.load_image()
    img.thumbnail((size, size))
    return img


def strip(images: list[Image.Image], size: int = 128) -> Image.Image:
    """Pictures side by side on white, each fitted into a size x size cell: an outfit at a glance."""
    sheet = Image.new("RGB", (size * max(len(images), 1), size), "white")
    for k, img in enumerate(images):
        img = img.copy()
        img.thumbnail((size, size))
        sheet.paste(img, (k * size + (size - img.width) // 2, (size - img.height) // 2))
    return sheet


def outfit_sheet(wardrobe, outfits: list, labels: list[str], size: int = 96) -> Image.Image:
    """Outfits one per row, each row its label then its items' pictures: a ranked list at a glance."""
    label_w, width, top = 120, max((len(o) for o in outfits), default=1), 36  # top: room for Gradio's label
    sheet = Image.new("RGB", (label_w + size * width, top + size * max(len(outfits), 1)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, (items, label) in enumerate(zip(outfits, labels)):
        y = top + row * size
        draw.text((8, y + size // 2 - 10), label, fill=(60, 50, 45), font_size=15)
        sheet.paste(strip([wardrobe.items[i].load_image() for i in items], size), (label_w, y))
        if row:
            draw.line([(0, y), (sheet.width, y)], fill=(232, 226, 220))
    return sheet


def caption(wardrobe, iid: str) -> str:
    item = wardrobe.items.get(iid)
    return f"{item.title} · {iid}" if item else iid


def pending(model: str, does: str, data: str, checkpoints: str, why: str | None = None) -> None:
    """What a tab shows when its model is not loaded: what it would do and the command that trains it."""
    gr.Markdown(f"This tab will {does}.\n\nIts model (`{model}`) is not loaded"
                + (f" ({why})" if why else f": there is no `{model}` checkpoint in `{checkpoints}/`")
                + f". Train it with:\n\n```\nstylist train {model} --data {data} --out {checkpoints}\n```")

"""A contact sheet: a grid of catalog thumbnails with their fine type, to look at a source."""
import numpy as np
from PIL import Image, ImageDraw

from stylist_app.data.schema import SLOTS, DataError, Wardrobe


def contact_sheet(wardrobe: Wardrobe, n: int = 48, thumb: int = 112, seed: int = 0, columns: int | None = None) -> Image.Image:
    """`n` items drawn evenly across slots (deterministic from `seed`), each captioned with its fine type."""
    rng = np.random.default_rng(seed)
    by_slot = {s: wardrobe.items_in_slot(s) for s in SLOTS}
    by_slot = {s: list(rng.permutation(ids)) for s, ids in by_slot.items() if ids}
    chosen: list[str] = []
    while len(chosen) < min(n, len(wardrobe.items)):
        for ids in by_slot.values():
            if ids and len(chosen) < n:
                chosen.append(ids.pop())
    columns = columns or max(1, int(np.ceil(np.sqrt(len(chosen) * 1.5))))
    rows = int(np.ceil(len(chosen) / columns))
    caption = 14
    sheet = Image.new("RGB", (columns * thumb, rows * (thumb + caption)), "white")
    draw = ImageDraw.Draw(sheet)
    skipped = 0
    for k, iid in enumerate(chosen):
        x, y = (k % columns) * thumb, (k // columns) * (thumb + caption)
        item = wardrobe.items[iid]
        try:
            img = item.load_image()
        except DataError:
            skipped += 1
            continue
        img.thumbnail((thumb, thumb))
        sheet.paste(img, (x + (thumb - img.width) // 2, y + (thumb - img.height) // 2))
        draw.text((x + 4, y + thumb), item.category[:18], fill=(90, 90, 90))
    if skipped == len(chosen):
        raise DataError(f"{wardrobe.spec}: none of the {len(chosen)} sampled images could be read")
    return sheet

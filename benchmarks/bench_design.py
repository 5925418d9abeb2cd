"""Latency of the design canvas (`StylistEngine.design`) on the default catalog.

    python benchmarks/bench_design.py [--checkpoints checkpoints] [--data builtin] [--n 10] [--threads 1] [--json FILE]
                                      [--grid assets/design_grid.png]

Median and p95 over `--n` warm calls, each for a different shopper and category, of: 4 designs
x 50 steps for a shopper (eta = 1); the taste fit alone from 5 liked items (target: well under
a second); design for such a taste (the fit is part of the call); and an edit (the item inverted
into the GAN by L1, then 50 steps), reported with its inversion step count. Target (issue 7):
under 3 s median for 4 designs x 50 steps on 2 CPU cores.
The output records torch's thread count and the machine's load average; on a machine shared with
other busy processes use `--threads 1` (the engine's default) rather than torch's own choice.

`--grid PNG` also writes the README's picture: for one shopper, a row per category with the
catalog's best item for them (left, after a gap) and four designs at eta = 1, then a row with an
item and four edits of it.
"""
import argparse
import json
import os

import torch
from PIL import Image

from stylist_app.bench import timed_calls
from stylist_app.engine import StylistEngine


def design_grid(engine: StylistEngine, user: str, size: int = 64, gap: int = 12) -> Image.Image:
    """Rows of [best existing item | 4 designs] per category, then [an item | 4 edits of it], on white."""
    w = engine.wardrobe
    rows = []
    for c in engine.model("gan").config.classes:
        d = engine.design(user=user, category=c, n=4, eta=1.0, steps=50)
        rows.append([w.items[d.best_existing].load_image(), *d.images])
    source = engine.design(user=user, category="top", n=1, steps=0).best_existing
    d = engine.design(user=user, from_item=source, n=4, eta=1.0, steps=50)
    rows.append([w.items[source].load_image(), *d.images])
    canvas = Image.new("RGB", (5 * size + gap, len(rows) * size), "white")
    for r, row in enumerate(rows):
        for k, picture in enumerate(row):
            tile = picture.convert("RGB")
            tile.thumbnail((size, size), Image.BICUBIC)
            left = k * size + (gap if k else 0) + (size - tile.width) // 2
            canvas.paste(tile, (left, r * size + (size - tile.height) // 2))
    return canvas


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoints", default="checkpoints")
    p.add_argument("--data", default="builtin")
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's own choice)")
    p.add_argument("--json", default=None)
    p.add_argument("--grid", default=None, help="also write a PNG of designs for the first shopper")
    args = p.parse_args()
    engine = StylistEngine.from_checkpoints(args.checkpoints, data=args.data, device="cpu", threads=args.threads or None)
    w = engine.wardrobe
    users = list(w.users)[: args.n]
    categories = engine.model("gan").config.classes
    by_slot = {c: [i for i, it in w.items.items() if it.slot == c] for c in categories}
    jobs = [(u, categories[k % len(categories)]) for k, u in enumerate(users)]
    taste = engine.model("dvbpr")
    taste.item_vectors()  # computed once, before the timed calls
    result = {
        "taste_fit": timed_calls([lambda c=c, k=k: taste.taste(liked_items=by_slot[c][k:k + 5])
                            for k, (_, c) in enumerate(jobs)]),
        "shopper_4x50": timed_calls([lambda u=u, c=c: engine.design(user=u, category=c, n=4, eta=1.0, steps=50)
                               for u, c in jobs]),
        "liked_items_4x50": timed_calls([lambda c=c, k=k: engine.design(liked_items=by_slot[c][k:k + 5], category=c, n=4,
                                                                  eta=1.0, steps=50)
                                   for k, (_, c) in enumerate(jobs)]),
        "edit_4x50": timed_calls([lambda u=u, c=c: engine.design(user=u, from_item=by_slot[c][0], n=4, eta=1.0, steps=50)
                            for u, c in jobs]),
        "edit_invert_steps": engine.model("gan").config.invert_steps,
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    if args.grid:
        design_grid(engine, users[0]).save(args.grid)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()

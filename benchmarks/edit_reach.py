"""How far an edit goes at each `reach`, judged by the photo reader (not by DVBPR, which the edit climbs).

    python benchmarks/edit_reach.py [--checkpoints checkpoints] [--item TITLE_WORDS] [--reaches 0,0.25,0.5,1]

Edits one catalog item (the first whose title has every word of `--item`; default a grey hoodie) for
the first shopper, 4 designs at eta 1 and 50 steps, at each reach, and prints what the photo reader
reads in each design, how many keep the item's colour name, and DVBPR's preference before and after.
"""
import argparse

from stylist_app.engine import StylistEngine


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoints", default="checkpoints")
    p.add_argument("--data", default="builtin")
    p.add_argument("--item", default="grey hoodie")
    p.add_argument("--reaches", default="0,0.25,0.5,1")
    args = p.parse_args()
    engine = StylistEngine.from_checkpoints(args.checkpoints, data=args.data, device="cpu")
    w = engine.wardrobe
    words = args.item.lower().split()
    item = next(i for i, it in w.items.items() if all(x in it.title.lower() for x in words))
    user = next(iter(w.users))
    colour = engine.read(w.items[item].load_image()).colour
    print(f"{w.items[item].title} ({item}), read as {colour}; shopper {user}")
    for reach in (float(r) for r in args.reaches.split(",")):
        d = engine.design(user=user, from_item=item, n=4, eta=1.0, steps=50, reach=reach)
        reads = [engine.read(img) for img in d.images]
        kept = sum(r.readable and r.colour == colour for r in reads)
        print(f"reach {reach:g}: colour kept in {kept} of {len(reads)}; read as "
              + "; ".join(r.words() if r.readable else "not readable" for r in reads)
              + f"; DVBPR preference {d.from_item_preference:+.2f} -> "
              + ", ".join(f"{a:+.2f}" for a in d.preference_after))


if __name__ == "__main__":
    main()

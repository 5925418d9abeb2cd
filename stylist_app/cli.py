"""`stylist ...`: the command line (DESIGN.md "CLI contract").

Every sub-command is a small function taking the parsed arguments. Bad input of any kind
(a wrong spec, a missing directory, a negative size) ends in one line on stderr and exit 2.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from stylist_app.data.schema import DataError


def _positive(value: str) -> int:
    n = int(value)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return n


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return n


def write_json(path: str | Path, payload: dict) -> None:
    """Write a metrics file (DESIGN.md "Metrics files"), creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")


# ---------------------------------------------------------------- data
def cmd_data_build(args) -> None:
    from stylist_app.data.builtin import WorldConfig, build_to_dir

    cfg = WorldConfig(n_items=args.items, n_outfits=args.outfits, n_users=args.users, seed=args.seed)
    out = build_to_dir(cfg, args.out)
    print(f"wrote the studio wardrobe to {out}  (use --data builtin:{out})")


def cmd_data_stats(args) -> None:
    from stylist_app.data.stats import wardrobe_stats, print_stats

    t0 = time.time()
    stats = wardrobe_stats(args.data)
    stats["seconds"] = round(time.time() - t0, 2)
    print_stats(stats)
    if args.json:
        write_json(args.json, stats)


def cmd_data_sheet(args) -> None:
    from stylist_app.data import load
    from stylist_app.data.sheet import contact_sheet

    img = contact_sheet(load(args.data), n=args.n, thumb=args.thumb, seed=args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    img.save(args.out)
    print(f"wrote {args.out} ({img.width}x{img.height})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stylist", description="An interactive AI stylist.")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build, inspect and look at wardrobes").add_subparsers(dest="data_command", required=True)
    b = data.add_parser("build", help="generate the studio wardrobe into a folder")
    b.add_argument("--out", required=True)
    b.add_argument("--items", type=_positive, default=None)
    b.add_argument("--outfits", type=_positive, default=None)
    b.add_argument("--users", type=_non_negative, default=None)
    b.add_argument("--seed", type=_non_negative, default=0)
    b.set_defaults(func=cmd_data_build)
    s = data.add_parser("stats", help="counts, histograms, oracle and baseline figures")
    s.add_argument("--data", default="builtin")
    s.add_argument("--json", default=None)
    s.set_defaults(func=cmd_data_stats)
    c = data.add_parser("sheet", help="a contact sheet (PNG) of the catalog")
    c.add_argument("--data", default="builtin")
    c.add_argument("--out", required=True)
    c.add_argument("--n", type=_positive, default=48)
    c.add_argument("--thumb", type=_positive, default=112)
    c.add_argument("--seed", type=_non_negative, default=0)
    c.set_defaults(func=cmd_data_sheet)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (DataError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as err:
        print(f"stylist: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`stylist ...`: the command line (DESIGN.md "CLI contract").

Every sub-command is a small function taking the parsed arguments. A person's mistake (a wrong
spec, a missing directory, a negative size, a model that cannot run on the data: `BadInput`,
`DataError`, `OSError`) ends in one line on stderr and exit 2; anything else is a bug and shows
its traceback.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

from stylist_app.data.schema import DataError
from stylist_app.errors import BadInput


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


def _share(value: str) -> float:
    """A share in (0, 1]."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {value!r}") from None
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return x


def write_json(path: str | Path, payload: dict) -> None:
    """Write a metrics file (DESIGN.md "Metrics files"), creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")


# ---------------------------------------------------------------- data
def cmd_data_build(args) -> None:
    from stylist_app.data.builtin import WorldConfig, build_to_dir

    try:
        cfg = WorldConfig(n_items=args.items, n_outfits=args.outfits, n_users=args.users, seed=args.seed,
                          observed=args.observed, train_share=args.train_share)
    except ValueError as err:  # sizes too small for a wardrobe: the person's numbers
        raise BadInput(str(err)) from err
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


# ---------------------------------------------------------------- train / eval
def _device(value: str) -> str:
    from stylist_app.train import pick_device

    try:
        pick_device(value)
    except BadInput as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return value


def _plan(args, verb: str, checkpoint_dir=None):
    """The wardrobe and the models to run; for `all`, print which run and which are skipped, and why."""
    from stylist_app.data import load
    from stylist_app.models.registry import ModelNotAvailable, plan

    wardrobe = load(args.data)
    run, skipped = plan(args.model, wardrobe, checkpoint_dir)
    if args.model == "all":
        print(f"{verb} all: running {', '.join(s.name for s in run) or 'nothing'}")
        for name, why in skipped.items():
            print(f"  skipping {name}: {why}")
    if not run:
        raise ModelNotAvailable(f"nothing to {verb}: every model was skipped (reasons above)")
    return wardrobe, run, skipped


def _config(config_class, settings: list[str]):
    """config_class() with each KEY=VALUE of `settings` applied (VALUE read as JSON, else as text)."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(config_class)}
    changes = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise BadInput(f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(fields))}")
        try:
            changes[key] = json.loads(value)
        except ValueError:
            changes[key] = value
    return dataclasses.replace(config_class(), **changes)


def cmd_train(args) -> None:
    from stylist_app.features import SHIPPED
    from stylist_app.train import is_main_process

    wardrobe, run, _ = _plan(args, "train")
    if args.settings and len(run) > 1:
        raise BadInput("--set changes one model's settings: name the model instead of all")
    for spec in run:
        t0 = time.time()
        config = _config(spec.impl().Config, args.settings) if args.settings else None
        entry = spec.impl().train(wardrobe, args.out, config=config, epochs=args.epochs, device=args.device)
        if is_main_process():  # under torchrun, rank 0 wrote it
            print(f"{spec.name}: wrote {Path(args.out) / entry['file']} ({time.time() - t0:.1f}s)")
    # the rule: new weights ship with their catalog files (those of the default builtin wardrobe)
    if is_main_process() and args.data == "builtin" and (Path(args.out) / SHIPPED).is_dir():
        print(f"refreshing the shipped catalog files in {Path(args.out) / SHIPPED}")
        cache_build(args.out, args.data)


# ---------------------------------------------------------------- cache
def cache_build(checkpoints, data: str) -> list[Path]:
    """Write CHECKPOINTS/catalog/: every catalog array the app's start and first calls read (encoder features,
    item vectors), as float16, for `data` and these weights; return the files."""
    from stylist_app import features
    from stylist_app.engine import StylistEngine

    with features.recording() as arrays:
        engine = StylistEngine.from_checkpoints(checkpoints, data=data, device="cpu", threads=None)
        engine.warm_up()
    paths = features.write_shipped(Path(checkpoints) / features.SHIPPED, arrays)
    for path in paths:
        print(f"  {path.name}: {arrays[path.name.split('.')[0]][2]}, {path.stat().st_size / 1e6:.1f} MB")
    print(f"wrote {len(paths)} files, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB in all, "
          f"to {Path(checkpoints) / features.SHIPPED}")
    return paths


def cmd_cache_build(args) -> None:
    cache_build(args.checkpoints, args.data)


def cmd_eval(args) -> None:
    from stylist_app.evaluate import evaluate

    t_all = time.time()
    wardrobe, run, skipped = _plan(args, "evaluate", args.checkpoints)
    results = {}
    for spec in run:
        t0 = time.time()
        metrics = evaluate(spec.name, wardrobe, args.checkpoints, split=args.split, device=args.device)
        results[spec.name] = {**metrics, "data": args.data, "split": args.split,
                              "checkpoint": str(Path(args.checkpoints) / f"{spec.name}.safetensors"),
                              "seconds": round(time.time() - t0, 2)}
        print(f"{spec.name}: " + "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in metrics.items() if isinstance(v, (int, float))))
    if args.model == "all":
        payload = {**results, "skipped": skipped, "data": args.data, "split": args.split,
                   "checkpoint": str(args.checkpoints), "seconds": round(time.time() - t_all, 2)}
    else:
        payload = results[args.model]
    write_json(args.json, payload)
    print(f"wrote {args.json}")


def _add_model_commands(sub) -> None:
    from stylist_app.models.registry import CHOICES, MODELS, PAPER_MODELS, TRAINED_BY_ALL

    models = ("; ".join(f"{s.name}: {s.what}" for s in MODELS.values())
              + f"; all: {', '.join(TRAINED_BY_ALL)} (train), {', '.join(PAPER_MODELS)} (eval: bilstm reports every "
              "outfit model).")
    t = sub.add_parser("train", help="train a model (or all paper models) and save its checkpoint",
                       description=f"Models -- {models}")
    t.add_argument("model", choices=CHOICES)
    t.add_argument("--data", default="builtin")
    t.add_argument("--out", required=True, help="checkpoint folder (DIR/<model>.safetensors + manifest.json)")
    t.add_argument("--epochs", type=_positive, default=None, help="default: the model's own")
    t.add_argument("--device", type=_device, default="auto", help="auto | cpu | cuda (auto: cuda when available)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="change one setting of the model's Config (repeatable), e.g. --set hard_negatives=15; "
                        "values are read as JSON (true, 0.5, [1, 2]) or else as text")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("eval", help="evaluate trained models and write a metrics JSON file",
                       description=f"Models -- {models}")
    e.add_argument("model", choices=CHOICES)
    e.add_argument("--data", default="builtin")
    e.add_argument("--checkpoints", required=True)
    e.add_argument("--json", required=True)
    e.add_argument("--split", choices=("test", "valid", "all"), default="test")
    e.add_argument("--device", type=_device, default="auto", help="auto | cpu | cuda (auto: cuda when available)")
    e.set_defaults(func=cmd_eval)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit 2), like every other error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ---------------------------------------------------------------- bench
def _sizes(value: str) -> tuple[int, ...]:
    try:
        return tuple(_positive(v) for v in value.split(",") if v.strip())
    except (ValueError, argparse.ArgumentTypeError) as err:
        raise argparse.ArgumentTypeError(f"sizes are positive integers separated by commas, got {value!r}") from err


def cmd_bench(args) -> None:
    from stylist_app.bench import SCALE_SIZES, run

    sizes = () if args.skip_scale else args.sizes or SCALE_SIZES
    result = run(args.checkpoints, data=args.data, device=args.device, sizes=sizes, repeats=args.repeats,
                 threads=args.threads or None, with_cold_start=not args.skip_cold_start)
    write_json(args.json, result)
    print(f"wrote {args.json}")


def _add_bench_command(sub) -> None:
    b = sub.add_parser("bench", help="latency of every engine call, start-up, memory and index scale, beside baselines",
                       description="Median and p95 latency of every engine call (warm) beside a baseline timed in the "
                                   "same run, start-up time, peak memory, and the retrieval index on synthetic "
                                   "catalogs; see benchmarks/README.md.")
    b.add_argument("--json", required=True)
    b.add_argument("--data", default="builtin")
    b.add_argument("--checkpoints", default="checkpoints")
    b.add_argument("--device", type=_device, default="auto", help="auto | cpu | cuda (auto: cuda when available)")
    b.add_argument("--repeats", type=_positive, default=30, help="timed calls per engine call (design: a sixth)")
    b.add_argument("--threads", type=_non_negative, default=1, help="torch / faiss CPU threads (0: their default)")
    b.add_argument("--sizes", type=_sizes, default=None, help="scale points (default 10000,100000,1000000)")
    b.add_argument("--skip-scale", action="store_true", help="no scale points (a quick run)")
    b.add_argument("--skip-cold-start", action="store_true",
                   help="no cold_start section (two starts of `python app.py` in a fresh HOME, about a minute)")
    b.set_defaults(func=cmd_bench)


# ---------------------------------------------------------------- experiment
def _values(value: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"values are numbers separated by commas, got {value!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one value")
    return values


def cmd_experiment(args) -> None:
    import dataclasses

    from stylist_app.experiments import EXPERIMENTS, run

    exp = EXPERIMENTS[args.name]
    if args.values:
        kind = type(exp.values[0])
        if kind is int and any(v != int(v) for v in args.values):
            raise BadInput(f"{exp.knob} takes whole numbers, got {args.values}")
        exp = dataclasses.replace(exp, values=tuple(kind(v) for v in args.values))
    print(f"{exp.name}: {exp.hypothesis}\n{exp.knob} = {', '.join(f'{v:g}' for v in exp.values)}; "
          f"{args.seeds} seed(s) each; {exp.subsampled}")
    summary = run(exp, args.out, seeds=args.seeds, device=args.device)
    print(f"wrote {Path(args.out) / (exp.name + '.json')} and {Path(args.out) / (exp.name + '.png')} "
          f"({summary['seconds'] / 60:.0f} min of compute over all points)")


def _add_experiment_command(sub) -> None:
    from stylist_app.experiments import EXPERIMENTS

    x = sub.add_parser("experiment", help="a controlled sweep over one knob of the builtin world: JSON + PNG plot",
                       description="Builds the builtin world at every value of one knob for every seed, trains the "
                                   "method, measures every model on the test split beside the oracle and random; "
                                   "writes OUT/NAME.json and OUT/NAME.png. Finished points are kept in "
                                   "OUT/NAME.points/: a killed run picks up where it stopped. Experiments -- "
                                   + "; ".join(f"{e.name}: {e.hypothesis}" for e in EXPERIMENTS.values()))
    x.add_argument("name", choices=list(EXPERIMENTS))
    x.add_argument("--out", required=True)
    x.add_argument("--seeds", type=_positive, default=3, help="seeds per point (default 3)")
    x.add_argument("--values", type=_values, default=None, help="the knob's values, comma separated (default: "
                                                                 "the experiment's own)")
    x.add_argument("--device", type=_device, default="auto", help="auto | cpu | cuda (auto: cuda when available)")
    x.set_defaults(func=cmd_experiment)


# ---------------------------------------------------------------- app
def cmd_app(args) -> None:
    from stylist_app.ui import launch

    launch(data=args.data, checkpoints=args.checkpoints, host=args.host, port=args.port, device=args.device)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="stylist", description="An interactive AI stylist.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = sub.add_parser("data", help="build, inspect and look at wardrobes").add_subparsers(dest="data_command", required=True)
    b = data.add_parser("build", help="generate the studio wardrobe into a folder")
    b.add_argument("--out", required=True)
    b.add_argument("--items", type=_positive, default=None)
    b.add_argument("--outfits", type=_positive, default=None)
    b.add_argument("--users", type=_non_negative, default=None)
    b.add_argument("--seed", type=_non_negative, default=0)
    b.add_argument("--observed", type=_share, default=0.2,
                   help="share of each shopper's true likes that the log records, in (0, 1] (default 0.2)")
    b.add_argument("--train-share", type=_share, default=1.0,
                   help="share of training outfits kept, in (0, 1]; valid and test stay as they are (default 1)")
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

    _add_model_commands(sub)
    _add_bench_command(sub)
    _add_experiment_command(sub)

    cache = sub.add_parser("cache", help="the catalog files shipped beside the checkpoints").add_subparsers(
        dest="cache_command", required=True)
    cb = cache.add_parser("build", help="rewrite CHECKPOINTS/catalog/ (features and item vectors, float16) for --data",
                          description="Computes (or reads from the cache) every catalog array the app's start and "
                                      "first calls need, for these checkpoints and this catalog, and writes them to "
                                      "CHECKPOINTS/catalog/ as float16. A retrained checkpoint ships with its "
                                      "refreshed catalog files (`stylist train --out DIR` does this when DIR has "
                                      "them); a test fails when they do not match.")
    cb.add_argument("--checkpoints", default="checkpoints")
    cb.add_argument("--data", default="builtin")
    cb.set_defaults(func=cmd_cache_build)

    a = sub.add_parser("app", help="start the Gradio app")
    a.add_argument("--data", default="builtin")
    a.add_argument("--checkpoints", default="checkpoints")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=_positive, default=7860)
    a.add_argument("--device", type=_device, default="auto", help="auto | cpu | cuda (auto: cuda when available)")
    a.set_defaults(func=cmd_app)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (BadInput, DataError, OSError) as err:
        if os.environ.get("STYLIST_DEBUG"):
            raise
        print(f"stylist: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""About: what is loaded, and each checkpoint's headline metrics from its manifest."""
import json
import re
from pathlib import Path

import gradio as gr

from stylist_app.checkpoints import read_manifest
from stylist_app.experiments import EXPERIMENTS, finding
from stylist_app.models import outfit_transformer

# The shipped results of `stylist experiment` (the repository's benchmarks/experiments/), when present.
EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "experiments"
# The shipped metrics file of `stylist eval gan --data builtin` (the design canvas judged independently).
GAN_METRICS = Path(__file__).resolve().parents[2] / "benchmarks" / "gan-builtin.json"


def _headline(metrics: dict) -> str:
    """The first level of numbers in a manifest's metrics (validation figures recorded at training time)."""
    flat = {}
    for split, models in metrics.items():
        if isinstance(models, dict):
            for name, m in models.items():
                if isinstance(m, dict) and not re.search(r"_seed[1-9]\d*$", name):
                    flat[f"{split} · {name}"] = ", ".join(f"{k} {v:.3f}" for k, v in m.items()
                                                          if isinstance(v, float) and k != "loss"
                                                          and "seconds" not in k and not k.endswith("_std"))
    return "<br>".join(f"{k}: {v}" for k, v in flat.items() if v)


def render(engine) -> None:
    manifest = read_manifest(engine.checkpoint_dir)
    rows = []
    for name, entry in manifest.items():
        why = " ".join(engine.skipped.get(name, "?").split()).replace("|", "/")
        state = "loaded" if name in engine.models else f"not loaded: {why}"
        rows.append(f"| `{name}` | {state} | {entry.get('data', '')} | {entry.get('created', '')[:10]} | "
                    f"{_headline(entry.get('metrics', {}))} |")
    w = engine.wardrobe
    gr.Markdown(
        f"Catalog `{w.spec}`: {len(w.items):,} items, {len(w.outfits):,} outfits, {len(w.users):,} shoppers. "
        f"Device: `{engine.device}`. Checkpoints: `{engine.checkpoint_dir}`.\n\n"
        "| model | state | trained on | date | validation figures |\n|---|---|---|---|---|\n" + "\n".join(rows)
        + "\n\nTest-split figures against baselines and the papers are in the README (`stylist eval MODEL`).",
        elem_id="about-models")
    if "bilstm" in engine.models or "outfit_transformer" in engine.models:
        gr.Markdown(served_outfit_model(engine))
    gr.Markdown(design_judged())
    experiments()
    with gr.Accordion("Manifest (JSON)", open=False):
        gr.Code(json.dumps({k: {kk: v for kk, v in e.items() if kk != "config"} for k, e in manifest.items()}, indent=1),
                language="json")


def served_outfit_model(engine) -> str:
    """Which outfit model answers fill-in-the-blank and outfit scores, and why (`outfit_transformer.served`)."""
    name = engine.outfit_scorer()
    _, why = outfit_transformer.served(engine.checkpoint_dir)
    names = {"bilstm": "the Bi-LSTM", "outfit_transformer": "the outfit transformer"}
    text = f"**Fill in the blank and outfit scores** are answered by {names.get(name, name)}"
    if "valid" in why:
        figures = ", ".join(f"{names.get(k, k)} {v:.3f}" for k, v in why["valid"].items() if v is not None)
        text += f", the better by the {why['by']} ({figures})"
    else:
        text += f" ({why['by']})"
    return text + ". Outfits are built by the Bi-LSTM (beam search over the catalog)."


def experiments(folder: Path = EXPERIMENT_DIR) -> None:
    """"When each method helps": every shipped experiment's plot, its hypothesis and what came out."""
    shown = [(name, folder / f"{name}.json", folder / f"{name}.png") for name in EXPERIMENTS]
    shown = [(name, j, p) for name, j, p in shown if j.exists() and p.exists()]
    with gr.Accordion("When each method helps: controlled experiments on the builtin world", open=True):
        if not shown:
            gr.Markdown(f"No experiment results in `{folder}` (`stylist experiment NAME --out {folder}` makes them).")
        for name, json_path, png in shown:
            summary = json.loads(json_path.read_text())
            n = len(summary["seeds"])
            gr.Markdown(f"**{name}**. Hypothesis: {summary['hypothesis']}  \n{finding(summary)}  \n"
                        f"<small>{n} seeds per point, test split of a world generated per point and seed; "
                        f"subsampled: {summary['subsampled']}.</small>")
            gr.Image(str(png), show_label=False, interactive=False, buttons=["fullscreen"])


def design_judged(path: Path = GAN_METRICS) -> str:
    """The design canvas's win rate by the independent judge, by eta, from the metrics file (the app itself cannot
    judge a design: the judge needs the builtin world's hidden taste)."""
    try:
        m = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return (f"**Design canvas, judged independently**: no metrics file at `{path}` (`stylist eval gan --data "
                f"builtin --checkpoints checkpoints --json {path}` writes it).")
    rows = [f"| {eta} | {r['win_rate']:.2f} | {r['win_rate_oracle']:.2f} | {r['readable_share']:.3f} | "
            f"{r['kid']:.3f} | {r['diversity']:.2f} |" for eta, r in m["by_eta"].items() if "win_rate_oracle" in r]
    if not rows:
        return f"**Design canvas, judged independently**: `{path}` has no judged figures (it needs the photo reader)."
    first = next(r for r in m["by_eta"].values() if "kid_real" in r)
    at_size = f"; real at the generator's size {m['kid_real_at_size']:.3f}" if "kid_real_at_size" in m else ""
    return (f"**Design canvas, judged independently** (`{path.name}`, {m['n_users']} test shoppers, best of "
            f"{m['n_designs_per_user']} designs): the photo reader reads each design and the shopper's hidden taste "
            "scores the reading against their best catalog item of the category; an unreadable design loses. "
            "The DVBPR win rate is the verdict of the model the design was optimised against."
            + (f" Even a perfect reading beats the catalog's best for only {first['win_rate_oracle_ceiling']:.2f} of "
               "these shoppers (the rest can at most tie with it)." if "win_rate_oracle_ceiling" in first else "")
            + "\n\n"
            f"| eta | win rate (DVBPR) | win rate (judge) | readable | KID (real {first['kid_real']:.4f}{at_size}) | "
            f"diversity (catalog {first['diversity_catalog']:.2f}) |\n|---|---:|---:|---:|---:|---:|\n"
            + "\n".join(rows))

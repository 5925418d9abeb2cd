"""`stylist experiment NAME --out DIR [--seeds N]`: when does each method help? A sweep over one knob of the
builtin world, as curves.

An experiment (`EXPERIMENTS`) states its hypothesis, the knob it turns (a `WorldConfig` field) and the
values it turns it to, the world's other settings and the training settings (both cut to fit about an hour
on 2 CPU cores; `subsampled` says what was cut), and how one trained point is measured. For every value and
seed it builds the world (`WorldConfig(seed=seed, knob=value)`: the seed draws the world and starts the
training), trains the method on its training split, measures every model on the test split (the world is
fresh, nothing there was chosen on it), with the oracle's figures and a seeded random scorer's as
references. Each finished point is written to `DIR/NAME.points/` and reused by a later run with the same
settings, so a killed run picks up where it stopped. At the end `DIR/NAME.json` holds every point and seed
with means and sample standard deviations (ddof = 1), and `DIR/NAME.png` plots every model's metrics
against the knob, with the spread as error bars and the oracle and random as dashed lines.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from stylist_app.errors import BadInput

log = logging.getLogger("stylist")
FORMAT = 2  # bump when a point file's contents change meaning: older points are then recomputed


# ---------------------------------------------------------------- measuring one trained point
RANDOM_DRAWS = 10  # random scorers averaged for the random reference (one draw is noisy on a few hundred questions)


def random_reference(metrics: Callable[[np.random.Generator], dict], seed: int) -> dict:
    """The mean of `metrics(rng)` over RANDOM_DRAWS seeded generators: what scoring at random gets."""
    draws = [metrics(np.random.default_rng([seed, 99, k])) for k in range(RANDOM_DRAWS)]
    return {key: float(np.mean([d[key] for d in draws])) for key, value in draws[0].items()
            if isinstance(value, (int, float))}


def measure_akd(wardrobe, checkpoint_dir, seed: int) -> dict:
    """Test AUC / MRR of AKD-DBPR, AKD with constant confidences, DBPR, BPR, the rules alone; the rule mass."""
    from stylist_app.data.tasks import ranking_tasks
    from stylist_app.evaluate import ranking_metrics
    from stylist_app.evaluate.akd import evaluate

    result = evaluate(wardrobe, checkpoint_dir, split="test")
    pick = ("auc", "mrr")
    series = {"akd_dbpr": {k: result[k] for k in pick}}
    series.update({name: {k: result["baselines"][name][k] for k in pick}
                   for name in ("akd_constant_lambda", "dbpr", "bpr", "rules_only")})
    tasks = ranking_tasks(wardrobe, "test")
    rand = random_reference(lambda rng: ranking_metrics(lambda tops, bottoms: rng.random(len(tops)), tasks), seed)
    return {"series": series, "oracle": {k: result["oracle"][k] for k in pick}, "random": {k: rand[k] for k in pick},
            "extra": {"rule_mass": result.get("attention_check", {}).get("rule_mass"),
                      "n_train_outfits": len(wardrobe.split_outfits("train"))}}


def measure_fnd(wardrobe, checkpoint_dir, seed: int) -> dict:
    """Test NDCG@10 / AUC of the teacher and the students; the share of sampled negatives the shopper truly likes."""
    from stylist_app.data.stats import false_negative_share
    from stylist_app.data.tasks import held_out_likes
    from stylist_app.evaluate import likes_ranking_metrics, oracle_for
    from stylist_app.evaluate.fnd import oracle_ranking
    from stylist_app.models import fnd

    bundle = fnd.load(checkpoint_dir, wardrobe, "cpu")
    data = bundle.data
    candidates = data.rows(held_out_likes(wardrobe, "test", bundle.config.eval_negatives))
    series = {key: likes_ranking_metrics(bundle.run(seed, key).score_matrix(), candidates)
              for key in ("teacher", *bundle.config.students)}
    n_outfits = len(data.outfit_ids)
    rand = random_reference(lambda rng: likes_ranking_metrics(rng.random((len(data.user_ids), n_outfits)), candidates),
                            seed)
    oracle = oracle_for(wardrobe)
    return {"series": series, "oracle": oracle_ranking(wardrobe, data, candidates), "random": rand,
            "extra": {"false_negative_share": false_negative_share(wardrobe, oracle),
                      "likes_per_shopper": float(np.mean([len(u.liked_outfits) for u in wardrobe.users.values()]))}}


def measure_dvbpr(wardrobe, checkpoint_dir, seed: int) -> dict:
    """Test AUC and cold-item AUC of DVBPR, VBPR and BPR (BPR cannot score cold items)."""
    from stylist_app.data.tasks import Purchases
    from stylist_app.evaluate import per_user_auc
    from stylist_app.evaluate.dvbpr import evaluate

    result = evaluate(wardrobe, checkpoint_dir, split="test")
    series = {"dvbpr": {"auc": result["auc"], "cold_auc": result["cold_auc"]},
              "vbpr": dict(result["baselines"]["vbpr"]), "bpr": {"auc": result["baselines"]["bpr"]["auc"]}}
    purchases = Purchases.from_wardrobe(wardrobe)
    n_items = len(wardrobe.items)
    held, cold = purchases.test, purchases.cold_items(n_items)

    def random_aucs(rng) -> dict:
        scores = rng.random((len(held.users), n_items))
        return {"auc": per_user_auc(scores, held.positives, held.bought)[0],
                "cold_auc": per_user_auc(scores, held.positives, held.bought, cold)[0]}

    rand = random_reference(random_aucs, seed)
    return {"series": series, "oracle": result["oracle"], "random": rand,
            "extra": {"purchases_per_shopper": float(np.mean([len(u.purchases) for u in wardrobe.users.values()])),
                      "n_users": len(wardrobe.users)}}


def measure_bilstm(wardrobe, checkpoint_dir, seed: int) -> dict:
    """Test FITB (easy and hard) of the Bi-LSTM, forward only, pairwise Siamese and VSE only."""
    from stylist_app.evaluate import oracle_for, outfit_scorer_metrics
    from stylist_app.evaluate.bilstm import scorer_metrics
    from stylist_app.models.bilstm import load

    bundle = load(checkpoint_dir, wardrobe, "cpu")
    pick = ("fitb_accuracy", "fitb_accuracy_hard")
    models = {"bilstm": bundle.bilstm, **bundle.baselines}
    series = {name: {k: v for k, v in scorer_metrics(m.score_ids, wardrobe, "test").items() if k in pick}
              for name, m in models.items()}
    oracle = outfit_scorer_metrics(oracle_for(wardrobe).outfit_score, wardrobe, "test")
    rand = random_reference(lambda rng: outfit_scorer_metrics(lambda ids: rng.random(), wardrobe, "test"), seed)
    return {"series": series, "oracle": {k: oracle[k] for k in pick}, "random": {k: rand[k] for k in pick},
            "extra": {"n_train_outfits": len(wardrobe.split_outfits("train"))}}


# ---------------------------------------------------------------- the experiments
@dataclass(frozen=True)
class Experiment:
    name: str
    hypothesis: str
    method: str  # the registry name trained at every point
    knob: str  # the WorldConfig field swept
    values: tuple
    measure: Callable  # (wardrobe, checkpoint_dir, seed) -> {"series", "oracle", "random", "extra"}
    metrics: tuple  # the plotted metrics, one panel each (then one panel per extra figure in `extra_plots`)
    world: dict = field(default_factory=dict)  # the world's other settings (WorldConfig fields)
    train: dict = field(default_factory=dict)  # the method's Config fields changed from its defaults
    subsampled: str = ""  # what was cut to fit the budget, in words
    extra_plots: tuple = ()  # figures of `extra` plotted in a panel of their own
    labels: dict = field(default_factory=dict)  # series name -> legend label
    contrast: tuple = ()  # (model, comparator): the pair the hypothesis is about, compared at every point
    oracle: str = "oracle"  # the oracle line's label (what the reference is, where it is not the full hidden score)

    def settings(self) -> dict:
        """What a finished point depends on (besides its value and seed): a point file with other settings is stale."""
        from stylist_app.data.builtin import _generator_hash

        return {"format": FORMAT, "experiment": self.name, "method": self.method, "knob": self.knob,
                "world": self.world, "train": self.train, "generator": _generator_hash()}


EXPERIMENTS = {e.name: e for e in (
    Experiment(
        name="akd-data", contrast=("akd_dbpr", "dbpr"),
        method="akd", knob="train_share", values=(0.05, 0.1, 0.25, 0.5, 1.0),
        hypothesis="The rules help most when training data is scarce: AKD-DBPR's lead over DBPR shrinks as the "
                   "share of training outfits grows.",
        measure=measure_akd, metrics=("auc", "mrr"), extra_plots=("rule_mass",),
        world={"n_items": 3000, "n_outfits": 6000, "n_users": 0},
        subsampled="a world of 3,000 items and 6,000 outfits (the default has 5,000 and 10,000), no shoppers "
                   "(AKD-DBPR uses none); one training seed per world (the default run trains 3 per variant)",
        labels={"akd_dbpr": "AKD-DBPR", "akd_constant_lambda": "AKD, constant λ", "dbpr": "DBPR", "bpr": "BPR",
                "rules_only": "rules alone"}),
    Experiment(
        name="fnd-observed", contrast=("student_fnd", "student_plain_kd"),
        method="fnd", knob="observed", values=(0.05, 0.1, 0.2, 0.5, 1.0),
        hypothesis="False-negative distillation gains more over plain distillation as fewer of the shoppers' true "
                   "likes are recorded (more of the sampled negatives are then liked in truth).",
        measure=measure_fnd, metrics=("ndcg@10", "auc"), extra_plots=("false_negative_share",),
        world={"n_items": 2000, "n_outfits": 4000, "n_users": 200},
        train={"students": ["student_no_kd", "student_plain_kd", "student_fnd", "student"], "teacher_epochs": 6,
               "student_epochs": 6, "patience": 2},
        subsampled="a world of 2,000 items, 4,000 outfits and 200 shoppers (default 5,000, 10,000, 500); 6 epochs "
                   "per net (default 8) with patience 2; one seed per world (default 5); the 4 students the "
                   "hypothesis needs (the run trains 6)",
        labels={"teacher": "teacher", "student_no_kd": "no KD", "student_plain_kd": "plain KD",
                "student_fnd": "FND", "student": "FND + contrastive"},
        oracle="oracle (hidden item utility, without the outfit-style prior)"),
    Experiment(
        name="dvbpr-data", contrast=("dvbpr", "vbpr"),
        method="dvbpr", knob="n_users", values=(50, 100, 200, 400, 800),
        hypothesis="Learning the image features end to end (DVBPR) pays off over fixed pre-trained features "
                   "(VBPR) only with enough interactions.",
        measure=measure_dvbpr, metrics=("auc", "cold_auc"), extra_plots=(),
        world={"n_items": 3000, "n_outfits": 2000},
        subsampled="a world of 3,000 items and 2,000 outfits (default 5,000 and 10,000); training as shipped",
        labels={"dvbpr": "DVBPR", "vbpr": "VBPR", "bpr": "BPR"}),
    Experiment(
        name="bilstm-data", contrast=("bilstm", "siamese"),
        method="bilstm", knob="train_share", values=(0.1, 0.25, 0.5, 1.0),
        hypothesis="The Bi-LSTM's sequence model needs more outfits than the pairwise and VSE-only baselines "
                   "before it pays off.",
        measure=measure_bilstm, metrics=("fitb_accuracy", "fitb_accuracy_hard"), extra_plots=(),
        world={"n_items": 3000, "n_outfits": 6000, "n_users": 0}, train={"text_input": False},
        subsampled="a world of 3,000 items and 6,000 outfits, no shoppers (default 5,000, 10,000, 500); "
                   "the paper's pictures-only Bi-LSTM (no listings), otherwise trained as shipped",
        labels={"bilstm": "Bi-LSTM", "forward_lstm": "forward only", "siamese": "pairwise Siamese",
                "vse_only": "VSE only", "pairwise_mlp": "pairwise MLP"}),
)}


# ---------------------------------------------------------------- running a sweep
def _point_key(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _settings_hash(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _cached_point(path: Path, settings: dict) -> dict | None:
    """A finished point, if its file exists and was made with these settings."""
    try:
        point = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if point.get("settings_hash") != _settings_hash(settings):
        log.info("%s: made with other settings, recomputed", path)
        return None
    return point


def run_point(exp: Experiment, value, seed: int, work: Path, device: str = "auto") -> dict:
    """Build the world for (value, seed), train the method on it, measure it on the test split."""
    from stylist_app.data.builtin import WorldConfig, build_to_dir, read_dir
    from stylist_app.models.registry import MODELS

    t0 = time.time()
    module = MODELS[exp.method].impl()
    cfg = WorldConfig(**exp.world, seed=seed, **{exp.knob: value})
    folder = Path(tempfile.mkdtemp(prefix=f"{exp.name}-{_point_key(value)}-seed{seed}.", dir=work))
    try:
        build_to_dir(cfg, folder / "world", pictures=False)
        wardrobe = read_dir(folder / "world")
        seed_field = "seeds" if "seeds" in {f.name for f in dataclasses.fields(module.Config)} else "seed"
        config = module.Config(**exp.train, **{seed_field: [seed] if seed_field == "seeds" else seed})
        t1 = time.time()
        module.train(wardrobe, folder / "checkpoints", config=config, device=device)
        t2 = time.time()
        result = exp.measure(wardrobe, folder / "checkpoints", seed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {**result, "value": value, "seed": seed, "train_seconds": round(t2 - t1, 1),
            "seconds": round(time.time() - t0, 1)}


def _stats(rows: list[dict]) -> dict:
    """{metric: mean, metric_std: sample std (0 for one seed)} over rows of {metric: value} (None skipped)."""
    out = {}
    for key in rows[0]:
        values = np.array([r[key] for r in rows if r.get(key) is not None], dtype=float)
        if len(values):
            out[key] = float(values.mean())
            out[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return out


def contrast(exp: Experiment, rows: list[dict]) -> dict:
    """The hypothesis's pair at every point, on every metric, paired by seed (both models trained and measured
    on the same world): the mean of the per-seed margins, their sample standard deviation (the spread), and
    whether the mean margin exceeds that spread."""
    if not exp.contrast:
        return {}
    a, b = exp.contrast
    out = {"model": a, "comparator": b, "paired": "per seed, on the same world", "points": []}
    for row in rows:
        point = {"value": row["value"]}
        for metric in exp.metrics:
            seeds = [s["series"] for s in row["seeds"].values()]
            if any(s[a].get(metric) is None or s[b].get(metric) is None for s in seeds):
                continue
            margins = np.array([s[a][metric] - s[b][metric] for s in seeds])
            spread = float(margins.std(ddof=1)) if len(margins) > 1 else 0.0
            point[metric] = {"margin": float(margins.mean()), "spread": spread,
                             "beyond_spread": bool(len(margins) > 1 and abs(margins.mean()) > spread)}
        out["points"].append(point)
    return out


def finding(summary: dict) -> str:
    """One line from the JSON: the hypothesis's pair on the first metric at every point, the mean margin over
    seeds and the spread of the paired margins."""
    c = summary.get("contrast") or {}
    if not c:
        return ""
    metric = summary["metrics"][0]
    labels = summary["labels"]
    cells = [f"{p['value']:g}: {p[metric]['margin']:+.3f} ± {p[metric]['spread']:.3f}" for p in c["points"]]
    beyond = sum(p[metric]["beyond_spread"] for p in c["points"])
    return (f"{labels.get(c['model'], c['model'])} − {labels.get(c['comparator'], c['comparator'])}, "
            f"{TITLES.get(metric, metric)}, by {TITLES.get(summary['knob'], summary['knob'])}: " + "; ".join(cells)
            + f" (mean ± sample std of the per-seed margins). Beyond the spread at {beyond} of {len(cells)} points.")


def summarise(exp: Experiment, points: dict, seeds: list[int]) -> dict:
    """The experiment's JSON: settings, then per value every seed's figures and their mean and spread."""
    rows = []
    for value in exp.values:
        per_seed = [points[(value, s)] for s in seeds]
        rows.append({
            "value": value,
            "series": {name: _stats([p["series"][name] for p in per_seed]) for name in per_seed[0]["series"]},
            "oracle": _stats([p["oracle"] for p in per_seed]),
            "random": _stats([p["random"] for p in per_seed]),
            "extra": _stats([p["extra"] for p in per_seed]),
            "seeds": {str(p["seed"]): {k: p[k] for k in ("series", "oracle", "random", "extra", "seconds",
                                                         "train_seconds")} for p in per_seed}})
    return {"experiment": exp.name, "hypothesis": exp.hypothesis, "method": exp.method, "knob": exp.knob,
            "values": list(exp.values), "seeds": seeds, "metrics": list(exp.metrics),
            "extra_plots": list(exp.extra_plots), "contrast": contrast(exp, rows), "oracle_label": exp.oracle,
            "series": list(rows[0]["series"]), "labels": exp.labels, "world": exp.world, "train": exp.train,
            "subsampled": exp.subsampled, "split": "test", "data": "builtin (a world generated per point and seed)",
            "checkpoint": None, "spread": "sample standard deviation over seeds (ddof = 1)",
            "seconds": round(sum(p["seconds"] for p in points.values()), 1), "points": rows}


def run(exp: Experiment, out_dir: str | Path, seeds: int = 3, device: str = "auto") -> dict:
    """Every (value, seed) point, reusing finished ones; then DIR/NAME.json and DIR/NAME.png. Returns the JSON."""
    if seeds < 1:
        raise BadInput(f"--seeds must be at least 1, got {seeds}")
    out_dir = Path(out_dir)
    point_dir, work = out_dir / f"{exp.name}.points", out_dir / f"{exp.name}.work"
    point_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(exist_ok=True)
    from stylist_app.data.builtin import WorldConfig

    for value in exp.values:  # a value the world refuses fails now, not an hour in
        try:
            WorldConfig(**exp.world, **{exp.knob: value})
        except (ValueError, TypeError) as err:
            raise BadInput(f"{exp.name}: {exp.knob}={value}: {err}") from err
    settings = exp.settings()
    seed_list = list(range(seeds))
    todo = [(v, s) for v in exp.values for s in seed_list]
    points, reused = {}, 0
    bar = tqdm(todo, desc=f"experiment {exp.name}", unit="point")
    for value, seed in bar:
        path = point_dir / f"{exp.knob}={_point_key(value)}-seed{seed}.json"
        point = _cached_point(path, settings)
        if point is None:
            bar.set_postfix_str(f"{exp.knob}={_point_key(value)} seed {seed}")
            point = {**run_point(exp, value, seed, work, device), "settings_hash": _settings_hash(settings),
                     "settings": settings}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(point, indent=1) + "\n")
            tmp.replace(path)  # a killed run leaves no half-written point
            tqdm.write(f"{exp.name} {exp.knob}={_point_key(value)} seed {seed}: " + "  ".join(
                f"{name} {m.get(exp.metrics[0], float('nan')):.3f}" for name, m in point["series"].items())
                + f"  ({point['seconds']:.0f} s)")
        else:
            reused += 1
        points[(value, seed)] = point
    shutil.rmtree(work, ignore_errors=True)
    if reused:
        log.info("%s: %d of %d points reused from %s", exp.name, reused, len(todo), point_dir)
    summary = summarise(exp, points, seed_list)
    (out_dir / f"{exp.name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    plot(summary, out_dir / f"{exp.name}.png")
    return summary


# ---------------------------------------------------------------- the plot
TITLES = {"auc": "AUC", "mrr": "MRR", "ndcg@10": "NDCG@10", "cold_auc": "AUC on cold items",
          "fitb_accuracy": "FITB accuracy", "fitb_accuracy_hard": "FITB accuracy, hard candidates",
          "rule_mass": "AKD-DBPR's attention on the fired rules", "false_negative_share":
          "sampled negatives the shopper truly likes", "train_share": "share of training outfits kept",
          "observed": "share of true likes recorded", "n_users": "shoppers"}


def plot(summary: dict, path: str | Path) -> None:
    """One panel per metric (every model with error bars, oracle and random dashed), then one per extra figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points, x = summary["points"], [p["value"] for p in summary["points"]]
    extras = [k for k in summary["extra_plots"] if k in points[0]["extra"]]
    panels = [*summary["metrics"], *extras]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    for ax, metric in zip(axes[0], panels):
        if metric in extras:
            ax.errorbar(x, [p["extra"][metric] for p in points], yerr=[p["extra"][f"{metric}_std"] for p in points],
                        marker="o", capsize=3, color="black")
        else:
            n = len(summary["series"])
            for k, name in enumerate(summary["series"]):
                ys = [p["series"][name].get(metric) for p in points]
                if any(y is None for y in ys):
                    continue  # a model without this metric (BPR has no cold AUC)
                nudge = 1.035 ** (k - (n - 1) / 2)  # side by side, so that equal means keep their error bars apart
                ax.errorbar([v * nudge for v in x], ys, yerr=[p["series"][name][f"{metric}_std"] for p in points],
                            marker="o", markersize=4, capsize=3, label=summary["labels"].get(name, name))
            for ref, style in (("oracle", "k--"), ("random", "k:")):
                if metric in points[0][ref]:
                    label = summary.get("oracle_label", "oracle") if ref == "oracle" else ref
                    ax.plot(x, [p[ref][metric] for p in points], style, label=label)
        ax.set_xscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{v:g}" for v in x])
        ax.minorticks_off()
        ax.set_xlabel(TITLES.get(summary["knob"], summary["knob"]))
        ax.set_title(TITLES.get(metric, metric), fontsize=10)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    n = len(summary["seeds"])
    fig.suptitle(f"{summary['experiment']}: mean ± sample std over {n} seed{'s' * (n > 1)} (test split)", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)

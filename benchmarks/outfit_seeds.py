"""Outfit models over seeds on one source: chosen models (`--models`: bilstm, outfit_transformer, or a baseline of
the Bi-LSTM bundle such as pairwise_mlp) trained with seeds 1..N-1 beside a checkpoint folder's seed-0 models, with
the folder's settings and only the seed changed, each measured on the test split (FITB easy, hard,
popularity-matched; compatibility AUC easy and hard), mean ± sample std over the seeds.

    python benchmarks/outfit_seeds.py --data mango:../shared/data/mango-2023 --checkpoints DIR --seeds 3 \
        --models bilstm,pairwise_mlp --out F.json

DIR holds the seed-0 `bilstm` bundle and `outfit_transformer` (`stylist train ... --out DIR`). A model of the
Bi-LSTM bundle is trained alone here (its own early stopping, as in the bundle's run). On Mango, 2 CPU cores:
the Bi-LSTM with listings 14 epochs about 20 min a seed, the outfit transformer 17 min, the pairwise MLP 3 min.
"""
import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stylist_app.checkpoints import entry  # noqa: E402
from stylist_app.data import load  # noqa: E402
from stylist_app.evaluate import mean_and_spread  # noqa: E402
from stylist_app.evaluate.bilstm import scorer_metrics  # noqa: E402
from stylist_app.models import bilstm, outfit_transformer as ot  # noqa: E402
from stylist_app.train import TrainConfig, fit, seed_everything  # noqa: E402

KEYS = ("fitb_accuracy", "fitb_accuracy_hard", "fitb_accuracy_popular", "compat_auc", "compat_auc_hard")


def figures(score, wardrobe) -> dict:
    m = scorer_metrics(score, wardrobe, "test")
    return {k: m[k] for k in KEYS if k in m}


def bundle_member(wardrobe, config: bilstm.Config, name: str, seed: int) -> dict:
    """One model of the Bi-LSTM bundle (`bilstm` or a baseline), trained alone as `bilstm.train` trains it, with
    `seed`."""
    config = replace(config, seed=seed)
    seed_everything(seed)
    bundle = bilstm.Bundle(config)
    bundle.set_catalog(wardrobe, "cpu")
    model = bundle.members()[name]
    rows, slots = bundle.rows, bundle.bilstm.slot_of.tolist()
    outfits = [bilstm._slot_rows([rows[i] for i in o.items], slots) for o in wardrobe.split_outfits("train")]
    if isinstance(model, bilstm.OutfitLSTM):
        model.set_training_outfits(outfits)
    fit(model, outfits, TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                                    weight_decay=config.weight_decay, patience=config.patience, seed=seed,
                                    device="cpu", metric="mean"), valid_data=(wardrobe, "valid"))
    return figures(model.eval().score_ids, wardrobe)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--checkpoints", required=True)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--models", default="outfit_transformer,pairwise_mlp")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    wardrobe = load(args.data)
    models = args.models.split(",")
    runs = {name: [] for name in models}
    seconds = {name: [] for name in models}
    lstm = bilstm.load(args.checkpoints, wardrobe, "cpu")
    for name in models:
        seed0 = ot.load(args.checkpoints, wardrobe, "cpu").model if name == ot.NAME else lstm.members()[name]
        runs[name].append(figures(seed0.score_ids, wardrobe))
    lstm_config = bilstm.Config(**entry(args.checkpoints, bilstm.NAME)["config"])
    for seed in range(1, args.seeds):
        for name in models:
            t0 = time.time()
            if name != ot.NAME:
                runs[name].append(bundle_member(wardrobe, lstm_config, name, seed))
            else:
                with tempfile.TemporaryDirectory() as folder:
                    config = ot.Config(**entry(args.checkpoints, ot.NAME)["config"])
                    ot.train(wardrobe, folder, config=replace(config, seed=seed), device="cpu")
                    runs[name].append(figures(ot.load(folder, wardrobe, "cpu").model.score_ids, wardrobe))
            seconds[name].append(round(time.time() - t0, 1))
            print(name, seed, runs[name][-1], flush=True)
    out = {"data": args.data, "split": "test", "checkpoint": args.checkpoints,
           **{name: {**mean_and_spread(rows), "train_seconds": seconds[name]} for name, rows in runs.items()}}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for name in models:
        print(name, {k: f"{out[name][k]:.3f} ± {out[name][k + '_std']:.3f}" for k in KEYS if k in out[name]})


if __name__ == "__main__":
    main()

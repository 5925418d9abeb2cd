"""AKD-DBPR's metrics file (`stylist eval akd`): every figure from the saved weights of `models/akd.py`.

On the split's top-bottom questions (`data.tasks.ranking_tasks`: triplet AUC, MRR and hit@10 of the
worn bottom among 100 random ones, hard negatives, cold-start tops), for AKD-DBPR by its test score
and by the other score, and for every baseline trained with it (DBPR, BPR, AKD with constant
confidences, and the rules alone), mean and sample spread over the seeds (`mean_and_spread`); the
orderings the paper reports, checked against those spreads (`ordering_checks`); and, on the builtin
wardrobe, the oracle's figures and whether the attention trusts a rule less where the hidden pair
term contradicts it (`attention_check`); on the test split, how much the rules could add to DBPR
at all (`rule_headroom`).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from stylist_app.data.schema import Wardrobe
from stylist_app.data.tasks import RankingTasks, ranking_tasks, top_bottom_triplets
from stylist_app.evaluate import mean_and_spread, oracle_for, pairwise_auc, ranking_metrics
from stylist_app.models.akd import DBPR, RULE_MODES, VARIANTS, Bundle, load
from stylist_app.train import pick_device


def ordering_checks(results: dict, pairs=(("akd", "dbpr"), ("dbpr", "bpr"), ("akd", "akd_constant_lambda")),
                    keys=("auc", "mrr", "cold_start.auc", "cold_start.mrr")) -> dict:
    """For each (better, worse) pair and metric: the margin of the means, the spread (the larger of the two
    seed standard deviations) and whether the margin exceeds it. Metrics a split lacks (no cold tops) are left out."""
    out = {}
    for better, worse in pairs:
        for key in keys:
            head, _, leaf = key.rpartition(".")
            a, b = (results[m].get(head) if head else results[m] for m in (better, worse))
            if a is None or b is None:
                continue
            margin, spread = a[leaf] - b[leaf], max(a[f"{leaf}_std"], b[f"{leaf}_std"])
            out[f"{key}: {better} > {worse}"] = {"margin": margin, "spread": spread, "met": bool(margin > spread)}
    return out


def attention_check(bundle: Bundle, wardrobe: Wardrobe, oracle, tasks: RankingTasks, split: str = "test") -> dict:
    """Does the attention trust a rule less where the hidden pair term contradicts it?

    Over the fired (pair, rule) entries of the split's (top, worn bottom) and (top, random bottom)
    pairs: the rule is contradicted when the sign of the oracle's pair term pair(t, b, s), under
    the style s of the outfit the top was worn in, differs from its polarity, and agrees when it
    is the same. Reports AKD-DBPR's mean confidence in both groups (mean over seeds) and per rule, and
    `rule_mass`: the attention's total weight on rules (1 - the null rule's) over the pairs where some
    rule fires, mean over seeds.
    """
    style_of = {}
    for outfit in wardrobe.split_outfits(split):
        for iid in outfit.items:
            style_of.setdefault(iid, oracle.outfit_style[outfit.id])
    tops, bottoms = tasks.tops * 2, tasks.positives + tasks.negatives
    fired = bundle.matcher.fires(tops, bottoms)
    pair, rule = np.nonzero(fired)
    if not len(pair):
        return {}
    term = np.array([oracle.pair_term(tops[p], bottoms[p], style_of[tops[p]]) for p in pair])
    agrees = np.sign(term) == bundle.matcher.polarity[rule]
    keep = term != 0
    confidence, rule_mass = np.zeros(len(pair)), 0.0
    fires_any = fired.any(1)
    models = [m for name, m in bundle.models.items() if name.startswith("akd_seed")]
    for model in models:
        device = model.image.device
        t = torch.tensor([bundle.rows[i] for i in tops], device=device)
        b = torch.tensor([bundle.rows[i] for i in bottoms], device=device)
        with torch.no_grad():
            lam = model.confidences(model.rows_latent("top", t), model.rows_latent("bottom", b), model.fired(t, b))
        lam = lam.float().cpu().numpy()
        confidence += lam[pair, rule] / len(models)
        rule_mass += lam[fires_any].sum(1).mean() / len(models)
    per_rule = {}
    for r, name in enumerate(x.name for x in bundle.rules):
        a, c = keep & (rule == r) & agrees, keep & (rule == r) & ~agrees
        if a.sum() >= 5 and c.sum() >= 5:
            per_rule[name] = {"agree": float(confidence[a].mean()), "contradict": float(confidence[c].mean()),
                              "n_agree": int(a.sum()), "n_contradict": int(c.sum())}
    lower = sum(v["contradict"] < v["agree"] for v in per_rule.values())
    return {"rule_mass": float(rule_mass), "confidence_agree": float(confidence[keep & agrees].mean()),
            "confidence_contradict": float(confidence[keep & ~agrees].mean()),
            "n_agree": int((keep & agrees).sum()), "n_contradict": int((keep & ~agrees).sum()),
            "rules_lower_when_contradicted": f"{lower} of {len(per_rule)}", "per_rule": per_rule}


def rule_headroom(bundle: Bundle, wardrobe: Wardrobe, tasks: RankingTasks, alphas=(0.25, 0.5, 1.0)) -> dict:
    """How much could the rules add to a student that never saw them? (The ceiling AKD-DBPR works under.)

    For each DBPR seed, the triplet AUC of m(t, b) + sum_l w_l polarity_l r_l(t, b) on the `tasks`
    split: with one weight w_l = alpha for every rule, and with each rule's w_l >= 0 fitted on the
    validation triplets (where the student makes held-out errors, unlike the training triplets it
    fits) by logistic loss, the student held fixed. Mean over seeds, with the student alone."""
    valid = bundle.triplet_rows(top_bottom_triplets(wardrobe, "valid"))
    split = bundle.triplet_rows(list(zip(tasks.tops, tasks.positives, tasks.negatives)))

    def terms(model: DBPR, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = rows.to(model.image.device)
        t, j, k = rows[:, 0], rows[:, 1], rows[:, 2]
        x = model.pair_scores(t, j, "student") - model.pair_scores(t, k, "student")
        return x.cpu(), ((model.fired(t, j).float() - model.fired(t, k).float()) * model.polarity).cpu()

    def auc_of(x: torch.Tensor) -> float:
        return pairwise_auc(x.numpy(), np.zeros(len(x)))

    rows = []
    for seed in bundle.config.seeds:
        model = bundle.models[f"dbpr_seed{seed}"]
        x, r = terms(model, split)
        xv, rv = terms(model, valid)
        a = torch.zeros(r.shape[1], requires_grad=True)
        opt = torch.optim.Adam([a], lr=0.05)
        with torch.enable_grad():
            for _ in range(300):
                loss = -F.logsigmoid(xv + rv @ F.softplus(a)).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        fitted = F.softplus(a).detach()
        rows.append({"student": auc_of(x), **{f"alpha_{al}": auc_of(x + al * r.sum(1)) for al in alphas},
                     "fitted_on_valid": auc_of(x + r @ fitted)})
    return {"auc": {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}, "model": "dbpr",
            "seeds": rows}


def evaluate(wardrobe: Wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """The metrics DESIGN.md lists for akd (test score of AKD-DBPR and every baseline, mean and spread over seeds)."""
    bundle = load(checkpoint_dir, wardrobe, pick_device(device))
    tasks = ranking_tasks(wardrobe, split)
    config = bundle.config

    def scorer(model: DBPR, score: str):
        def score_pairs(tops, bottoms):
            t = torch.tensor([bundle.rows[i] for i in tops], device=model.image.device)
            b = torch.tensor([bundle.rows[i] for i in bottoms], device=model.image.device)
            return model.pair_scores(t, b, score).cpu().numpy()
        return score_pairs

    def runs(variant: str, score: str) -> dict:
        return mean_and_spread([ranking_metrics(scorer(bundle.models[f"{variant}_seed{s}"], score), tasks)
                                for s in config.seeds])

    def rules_only(tops, bottoms):
        return (bundle.matcher.fires(tops, bottoms) * bundle.matcher.polarity).sum(1)

    results = {variant: runs(variant, config.test_score) for variant in VARIANTS}
    other = "student" if config.test_score == "teacher" else "teacher"
    akd = results.pop("akd")
    out = {**akd, "score": config.test_score, "n_triplets": len(tasks.tops), "n_cold_triplets": int(tasks.cold.sum()),
           "n_candidates": len(tasks.candidates[0]) - 1, "n_rules": len(bundle.rules),
           "baselines": {**results, "rules_only": ranking_metrics(rules_only, tasks)},
           other: {variant: runs(variant, other) for variant in RULE_MODES},
           "targets": ordering_checks({"akd": akd, **results})}
    oracle = oracle_for(wardrobe)
    if oracle is not None:
        cache: dict = {}

        def oracle_pairs(tops, bottoms):
            return [cache.setdefault((t, b), oracle.outfit_score((t, b))) for t, b in zip(tops, bottoms)]

        out["oracle"] = ranking_metrics(oracle_pairs, tasks)
        out["attention_check"] = attention_check(bundle, wardrobe, oracle, tasks, split)
    if split == "test" and top_bottom_triplets(wardrobe, "valid"):
        out["rule_headroom"] = rule_headroom(bundle, wardrobe, tasks)
    return out

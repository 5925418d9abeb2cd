"""`stylist eval fnd`: FND's teacher and six students on the held-out likes, from the saved nets of every seed.

Protocol: `tasks.held_out_likes`, each user's held-out liked outfits against `eval_negatives` outfits
they never liked (the same lists for every model); `likes_ranking_metrics` (AUC, NDCG@10) of every
saved net, mean and sample spread over the training run's seeds (`mean_and_spread`). Per model also
its parameters (the teacher's counting its image CNN) and the served pair's serving cost (`latency`),
measured here in one run: on the CPU with one thread per request, as a server that gives each
request a core; with all of torch's threads; and on the device when it is a GPU. Reference rows: a
popularity ranking (training likes per outfit) and, on the builtin wardrobe, the oracle's.
"""
import time

import numpy as np
import torch

from stylist_app.data.tasks import held_out_likes
from stylist_app.errors import BadInput
from stylist_app.evaluate import likes_ranking_metrics, mean_and_spread, oracle_for, paired_difference
from stylist_app.models import fnd
from stylist_app.models.encoders import make_image_encoder, to_pixels
from stylist_app.train import cpu_threads, pick_device

LATENCY_USERS = 20  # users timed per model in `latency`


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """The metrics file: per model (teacher, every student) AUC and NDCG@10 over seeds, parameters and
    serving cost; a summary against the paper's targets; the reference rows."""
    device = pick_device(device)
    bundle = fnd.load(checkpoint_dir, wardrobe, device)
    cfg, data = bundle.config, bundle.data
    missing = [key for key in ("student_no_kd", "student_plain_kd") if key not in cfg.students]
    if missing:
        raise BadInput(f"{checkpoint_dir}: this fnd run trained only {', '.join(cfg.students)}; the metrics file "
                       f"compares against {', '.join(missing)} (train with every student)")
    candidates = data.rows(held_out_likes(wardrobe, split, cfg.eval_negatives))
    cpu = bundle if device.type == "cpu" else fnd.load(checkpoint_dir, wardrobe, "cpu")
    threads = torch.get_num_threads()
    speed = {"cpu": latency(cpu, wardrobe, threads=1)}
    if threads > 1:
        speed[f"cpu_{threads}_threads"] = latency(cpu, wardrobe, threads=threads)
    if device.type == "cuda":
        speed["cuda"] = latency(bundle, wardrobe)
    out = {}
    for key in ("teacher", *cfg.students):
        kind = "teacher" if key == "teacher" else "student"
        per_seed = [likes_ranking_metrics(bundle.run(seed, key).score_matrix(), candidates) for seed in cfg.seeds]
        out[key] = {**mean_and_spread(per_seed), "params": bundle.params(kind)}
        for dev, cost in speed.items():
            out[key].update({m if dev == "cpu" else f"{m}_{dev}": v for m, v in cost[kind].items()})
    teacher, student = out["teacher"], out["student"]
    summary = {"compression": teacher["params"] / student["params"],
               "speedup_per_user": teacher["ms_per_user"] / student["ms_per_user"],
               **{f"speedup_per_user_{dev}": cost["teacher"]["ms_per_user"] / cost["student"]["ms_per_user"]
                  for dev, cost in speed.items() if dev != "cpu"},
               "ndcg_kept": student["ndcg@10"] / teacher["ndcg@10"]}
    summary["paired"] = {f"{a} - {b}": paired_difference(out[a]["seeds"], out[b]["seeds"])
                         for a, b in (("student", "student_plain_kd"), ("student_plain_kd", "student_no_kd"))}
    out["summary"] = {**summary, "targets": {
        "compression >= 4": summary["compression"] >= 4, "speedup_per_user >= 2": summary["speedup_per_user"] >= 2,
        "ndcg_kept >= 0.95": summary["ndcg_kept"] >= 0.95,
        **{f"fnd_cl >= plain_kd >= no_kd ({m})": student[m] >= out["student_plain_kd"][m] >= out["student_no_kd"][m]
           for m in ("auc", "ndcg@10")}}}
    popularity = np.bincount(data.likes["train"][:, 1].numpy(), minlength=len(data.outfit_ids)).astype(float)
    oracle = oracle_ranking(wardrobe, data, candidates)
    out.update({
        "latency": {"candidates": "every catalog outfit the user has not liked",
                    "cached": "item vectors (image encoder + item MLP, once per catalog); outfits are encoded per "
                              "request (ms_per_user_outfits_cached: outfit vectors cached too)",
                    "threads": f"one CPU thread per request for ms_per_*; *_cpu_{threads}_threads: torch's "
                               f"{threads} threads", "users": LATENCY_USERS},
        **({"oracle": oracle} if oracle else {}),
        "baselines": {"popularity": likes_ranking_metrics(
            np.broadcast_to(popularity, (len(data.user_ids), len(popularity))), candidates)},
        "n_users": len(candidates), "n_negatives": cfg.eval_negatives, "seeds": list(cfg.seeds),
    })
    return out


def oracle_ranking(wardrobe, data: fnd.Interactions, candidates) -> dict | None:
    """The oracle's ranking (builtin only): a user's hidden item utility averaged over the outfit's items
    (the hidden outfit-style prior of the users' likes is not part of the oracle's interface)."""
    oracle = oracle_for(wardrobe)
    if oracle is None:
        return None
    members = data.members.numpy()
    mask = members >= 0
    scores = np.zeros((len(data.user_ids), len(data.outfit_ids)))
    for u, _, _ in candidates:
        util = oracle.user_item_scores(data.user_ids[u], data.item_ids)
        scores[u] = (util[members] * mask).sum(1) / mask.sum(1)
    return likes_ranking_metrics(scores, candidates)


def latency(bundle: fnd.Bundle, wardrobe, threads: int | None = None, n_users: int = LATENCY_USERS,
            k: int = 10) -> dict:
    """Serving cost of the served teacher and student, measured alternately on the same users in one run, on
    the bundle's device with `threads` CPU threads (torch's current number when None); means in milliseconds:

    - ms_per_user: `Bundle.recommend` over every catalog outfit the user has not liked, with the catalog's
      item vectors cached (image encoder and item MLP run once per catalog, not per request);
    - ms_per_user_outfits_cached: the same ranking when the catalog outfits' vectors are cached too
      (one dot product per candidate, then the top k): what a fixed catalog allows;
    - ms_per_new_item: one new picture's item vector (a batch of 32 pictures, already resized and
      normalised): effnet-lite0 at 224 px + MLP for the teacher, the tiny CNN at 32 px for the student.
    """
    with cpu_threads(threads or torch.get_num_threads()):
        return _latency(bundle, wardrobe, n_users, k)


@torch.inference_mode()
def _latency(bundle: fnd.Bundle, wardrobe, n_users: int, k: int) -> dict:
    served = {w: bundle.net(w) for w in ("teacher", "student")}
    device = served["teacher"].seed.device
    items = {w: net.item_vectors() for w, net in served.items()}
    outfits = {w: net.outfit_vectors() for w, net in served.items()}
    times = {w: {"ms_per_user": [], "ms_per_user_outfits_cached": []} for w in served}
    data = bundle.data
    rows = np.random.default_rng(0).choice(len(data.user_ids), min(n_users, len(data.user_ids)), replace=False)
    for user in [data.user_ids[u] for u in [rows[0], *rows]]:  # the first user warms up
        candidates = bundle.candidates(user)
        for w, net in served.items():
            times[w]["ms_per_user"].append(bundle.recommend(user, k, w, items[w]).ms)
            t0 = time.perf_counter()
            (outfits[w][candidates] @ net.users.weight[data.user_row[user]]).topk(k)
            fnd.synchronize(device)
            times[w]["ms_per_user_outfits_cached"].append(1000 * (time.perf_counter() - t0))
    out = {w: {m: float(np.mean(v[1:])) for m, v in t.items()} for w, t in times.items()}
    pictures = [item.load_image() for item in list(wardrobe.items.values())[:32]]
    effnet = make_image_encoder(bundle.config.teacher_encoder).to(device).eval()
    encode = {"teacher": (lambda x: served["teacher"].item_encoder(effnet(x)), effnet.preprocess(pictures)),
              "student": (served["student"].item_encoder, to_pixels(pictures, bundle.config.thumb_size))}
    for w, (f, pixels) in encode.items():
        pixels = pixels.to(device)
        f(pixels[:2])  # warm-up
        fnd.synchronize(device)
        t0 = time.perf_counter()
        f(pixels)
        fnd.synchronize(device)
        out[w]["ms_per_new_item"] = 1000 * (time.perf_counter() - t0) / len(pixels)
    return out

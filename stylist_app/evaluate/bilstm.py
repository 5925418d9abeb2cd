"""`stylist eval bilstm`: FITB and compatibility AUC (easy, hard, popularity-matched) of the served outfit model
(the Bi-LSTM + VSE or the outfit transformer, whichever did better on valid) beside every other outfit model and
the baselines trained with the Bi-LSTM; on the builtin wardrobe also the oracle's rows, the normalised scores and
whether text steers generation (`text_query_metrics`, `text_metrics`)."""
import random
from collections import Counter

import numpy as np
import torch

from stylist_app.data.builtin.texts import MATERIAL_WORDS, PATTERN_WORDS
from stylist_app.data.builtin.vocab import COLOURS, FIBRES, FINE_TYPES, MATERIALS
from stylist_app.evaluate import oracle_for, outfit_scorer_metrics
from stylist_app.checkpoints import read_manifest
from stylist_app.data.tasks import item_popularity
from stylist_app.features import image_features
from stylist_app.models import outfit_transformer, reader
from stylist_app.models.bilstm import Bundle, ItemTable, batch_scorer, load, word_space_split
from stylist_app.train import pick_device

# One word (or phrase) per attribute value, as listings write it: kind -> {word: (attribute, value)}.
WORDS = {
    "colour": {c.name: ("colour", c.name) for c in COLOURS},
    "pattern": {PATTERN_WORDS[p][0]: ("pattern", p) for p in PATTERN_WORDS},
    "material": {(MATERIAL_WORDS[m] or (m,))[0]: ("material", m) for m in MATERIALS},
    "fibre": {f: ("fibre", f) for f in FIBRES},
    "type": {t.name: ("category", t.name) for t in FINE_TYPES},
}

# Text queries and the builtin attribute each names (measured with the oracle's true attributes).
TEXT_QUERIES = {
    "colour": {"black": "black", "white": "white", "navy": "navy", "red": "red", "camel": "camel", "burgundy": "burgundy"},
    "pattern": {"striped": "stripes", "floral": "floral", "checked": "checks", "graphic": "graphic", "leopard print": "animal"},
    "category": {"sneakers": "sneakers", "boots": "boots", "skirt": "skirt", "blazer": "blazer", "tote": "tote"},
}


def scorer_metrics(score_batch, wardrobe, split: str) -> dict:
    """`evaluate.outfit_scorer_metrics` of a batch scorer (`score_batch(list of id tuples) -> scores`), the
    outfits the protocol asks about scored in one batch (`bilstm.batch_scorer`)."""
    return outfit_scorer_metrics(batch_scorer(score_batch, wardrobe, split), wardrobe, split)


def normalised(metrics: dict, oracle: dict) -> dict:
    """(model - random) / (oracle - random) for FITB (random = 1/4) and AUC (random = 1/2), easy and hard."""
    out = {}
    for key, rand in (("fitb_accuracy", 0.25), ("compat_auc", 0.5), ("fitb_accuracy_hard", 0.25), ("compat_auc_hard", 0.5)):
        if key in metrics and key in oracle and oracle[key] != rand:
            out[key] = (metrics[key] - rand) / (oracle[key] - rand)
    return out


def text_query_metrics(bundle: Bundle, wardrobe, oracle, split: str, n_queries: int = 20) -> dict:
    """Does the text steer generation? Per kind of attribute (colour, pattern, type): the share
    of non-query items that carry the asked attribute (the oracle's true attributes) in outfits
    built from an image + the text, against the same image's outfit built without text.
    Query images: the first item of the first `n_queries` outfits of `split`. `text_only`: the
    share over all items of the outfits built from each text alone. Query words outside the
    model's vocabulary are left out (`queries` lists those used). What the text costs: the mean
    compatibility (the model's) and oracle score of the outfits with and without text.
    """
    table = bundle.table()
    queries = [bundle.rows[o.items[0]] for o in wardrobe.split_outfits(split)[:n_queries]]
    plain = {q: bundle.build_outfit(table, [q]) for q in queries}

    def carrying(outfit, kind, value, with_query=False) -> list[bool]:
        return [oracle.true_attributes(it.item)[kind] == value for it in outfit.items
                if with_query or it.how != "query"]

    def oracle_score(outfit) -> float:
        return oracle.outfit_score([it.item for it in outfit.items])

    out = {}
    for kind, words in TEXT_QUERIES.items():
        words = {t: v for t, v in words.items() if bundle.bilstm.knows(t)}
        if not words:
            continue
        with_text, without_text, text_only, scores = [], [], [], []
        for text, value in words.items():
            for q in queries:
                outfit = bundle.build_outfit(table, [q], text)
                with_text += carrying(outfit, kind, value)
                without_text += carrying(plain[q], kind, value)
                scores.append([outfit.score, plain[q].score, oracle_score(outfit), oracle_score(plain[q])])
            text_only += carrying(bundle.build_outfit(table, [], text), kind, value, with_query=True)
        scores = np.mean(scores, 0)
        out[kind] = {"with_text": float(np.mean(with_text)), "without_text": float(np.mean(without_text)),
                     "text_only": float(np.mean(text_only)), "queries": list(words),
                     "compatibility": {"with_text": float(scores[0]), "without_text": float(scores[1])},
                     "oracle_score": {"with_text": float(scores[2]), "without_text": float(scores[3])}}
    return out


def text_metrics(bundle: Bundle, wardrobe, oracle, split: str, n_queries: int = 30, n_pairs: int = 20,
                 n_builds: int = 100, seed: int = 0, **build) -> dict:
    """The `text` block (DESIGN.md "Metrics files"): how well words reach the items that carry them.

    - `precision@10`: per kind of word (colour, pattern, material, fibre, type; every value's listing word the
      model knows), the share of the 10 catalog items that best match the word (`Bundle.word_match`, what
      decoding uses) that truly carry it (the oracle's attributes).
    - `precision@10_pictures`: the same by pictures alone (the match without listings, as an upload gets it),
      among the catalog items the word space never trained on (`word_space_split` == `split`);
      `precision@10_pictures_vse` the same with the paper's VSE alone.
    - `carry_one_word`: over outfits built from each colour, pattern, material and type word, alone and with
      each of `n_queries` query items (the first item of `split`'s first outfits), the share of generated
      items carrying the word's value, counted only in slots where some catalog item carries it.
    - `carry_two_words`: the same for `n_pairs` random pairs (colour + material, colour + pattern) that some
      catalog item carries together; an item counts when it carries both.
    - `oracle_cost`: the fall of the outfit's oracle score with one word against without, from the same query
      items, as a share of the range from random outfits (each item swapped for a random one of its slot) to
      the true `split` outfits.
    - `max_repeat_share`: over `n_builds` outfits built without words from different query items, the most
      frequent generated item's share of the builds that fill its slot, the largest over slots.
    `build`: options passed to `Bundle.build_outfit` (the decoding under test)."""
    rng = random.Random(seed)
    table = bundle.table()
    ids = table.names[: table.n_catalog]
    truth = {i: oracle.true_attributes(i) for i in ids}
    slot_of = {i: wardrobe.items[i].slot for i in ids}
    outfits = wardrobe.split_outfits(split)
    queries = [bundle.rows[o.items[0]] for o in outfits[:n_queries]]
    known = {kind: {w: av for w, av in words.items() if bundle.bilstm.knows(w)} for kind, words in WORDS.items()}

    def precision_at_10(items: ItemTable, names: list[str]) -> dict[str, float]:
        """Per kind of word, the share of the 10 rows of `items` (named `names`) that best match a word that carry it."""
        out = {}
        for kind, words in known.items():
            hits = []
            for word, (attr, value) in words.items():
                top = torch.topk(bundle.word_match(items, word)[: len(names)], min(10, len(names))).indices.tolist()
                hits.append(np.mean([truth[names[r]].get(attr) == value for r in top]))
            if hits:
                out[kind] = float(np.mean(hits))
        return out

    precision = precision_at_10(table, ids)
    held = [r for r, i in enumerate(ids) if word_space_split(i) == split]
    names = [ids[r] for r in held]
    pictures = {}  # the held-out catalog rows as if uploaded (no listing): with the word space, and the VSE alone
    if table.words is not None:
        pictures["precision@10_pictures"] = precision_at_10(
            ItemTable(table.vectors[held], table.unit[held], table.slots[held], 0, names, table.words[held]), names)
    pictures["precision@10_pictures_vse"] = precision_at_10(
        ItemTable(table.vectors[held], table.unit[held], table.slots[held], 0, names), names)

    def carried(outfit, wanted: list[tuple[str, str]]) -> list[bool]:
        out = []
        for it in outfit.items:
            if it.how == "query":
                continue
            able = [i for i in ids if slot_of[i] == it.slot and all(truth[i].get(a) == v for a, v in wanted)]
            if able:
                out.append(all(truth[it.item].get(a) == v for a, v in wanted))
        return out

    plain = {q: bundle.build_outfit(table, [q], **build) for q in queries}
    one, costs = [], []
    for kind in ("colour", "pattern", "material", "type"):
        for word, av in known.get(kind, {}).items():
            one += carried(bundle.build_outfit(table, [], word, **build), [av])
            for q in queries:
                outfit = bundle.build_outfit(table, [q], word, **build)
                one += carried(outfit, [av])
                costs.append(oracle.outfit_score([i.item for i in plain[q].items])
                             - oracle.outfit_score([i.item for i in outfit.items]))
    pairs = [(c, m) for c in known.get("colour", {}) for m in [*known.get("material", {}), *known.get("pattern", {})]
             if any(truth[i].get("colour") == known["colour"][c][1] and
                    truth[i].get((known.get("material", {}).get(m) or known["pattern"][m])[0]) ==
                    (known.get("material", {}).get(m) or known["pattern"][m])[1] for i in ids)]
    two = []
    for c, m in rng.sample(pairs, min(n_pairs, len(pairs))):
        wanted = [known["colour"][c], known.get("material", {}).get(m) or known["pattern"][m]]
        two += carried(bundle.build_outfit(table, [], f"{c} {m}", **build), wanted)
        for q in queries[:5]:
            two += carried(bundle.build_outfit(table, [q], f"{c} {m}", **build), wanted)
    true_scores = [oracle.outfit_score(o.items) for o in outfits]
    by_slot = {}
    for i in ids:
        by_slot.setdefault(slot_of[i], []).append(i)
    random_scores = [oracle.outfit_score([rng.choice(by_slot[wardrobe.items[i].slot]) for i in o.items])
                     for o in outfits]
    spread = float(np.mean(true_scores) - np.mean(random_scores))
    counts: dict[str, Counter] = {}
    for o in outfits[:n_builds]:
        for it in bundle.build_outfit(table, [bundle.rows[o.items[0]]], **build).items:
            if it.how != "query":
                counts.setdefault(it.slot, Counter())[it.item] += 1
    repeat = {slot: c.most_common(1)[0][1] / sum(c.values()) for slot, c in counts.items()}
    return {"precision@10": precision, **pictures, "carry_one_word": float(np.mean(one)) if one else None,
            "carry_two_words": float(np.mean(two)) if two else None,
            "oracle_cost": float(np.mean(costs)) / spread if costs and spread > 0 else None,
            "max_repeat_share": max(repeat.values()) if repeat else None,
            "repeat_share_by_slot": repeat, "n_words": {k: len(v) for k, v in known.items()},
            "n_pairs": min(n_pairs, len(pairs)), "n_builds": min(n_builds, len(outfits))}


def popularity_scorer(wardrobe):
    """Popularity alone: an outfit's score is the mean over its items of log(1 + the number of training outfits
    the item is in)."""
    counts = item_popularity(wardrobe, "train")
    return lambda ids: float(np.mean([np.log1p(counts[i]) for i in ids]))


def give_picture_readings(bundle: Bundle, wardrobe, checkpoint_dir, device="cpu") -> None:
    """As the engine serves it: the outfit builder's words gate reads the photo reader's readings of the catalog's
    pictures (`bilstm.Bundle.set_picture_readings`), when `checkpoint_dir` has a reader."""
    if reader.NAME not in read_manifest(checkpoint_dir):
        return
    model = reader.load(checkpoint_dir, None, device)
    ids, x = image_features(wardrobe, model.config.image_encoder, device=device)
    if list(ids) != list(wardrobe.items):
        raise ValueError("the catalog's image features do not follow its order")
    bundle.set_picture_readings(reader.catalog_readings(model, wardrobe, x, device))


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """FITB and compatibility AUC (easy, hard and popularity-matched) on `split` of the served outfit model (the
    better on valid of the Bi-LSTM and the outfit transformer, `outfit_transformer.served`) at the top level, and
    of every other model under `baselines`: the other of the two, the Bi-LSTM's baselines (pairwise_mlp, siamese,
    forward_lstm, vse_only) and popularity alone. On builtin also the oracle's, the normalised scores and the
    text-query measurement (of the Bi-LSTM, which builds outfits)."""
    device = pick_device(device)
    bundle = load(checkpoint_dir, wardrobe, device)
    give_picture_readings(bundle, wardrobe, checkpoint_dir, device)
    scorers = {"bilstm": bundle.bilstm.score_ids, **{name: m.score_ids for name, m in bundle.baselines.items()}}
    served, why = outfit_transformer.served(checkpoint_dir)
    if outfit_transformer.NAME in read_manifest(checkpoint_dir):
        other = outfit_transformer.load(checkpoint_dir, wardrobe, device)
        scorers[outfit_transformer.NAME] = other.model.score_ids
    figures = {name: scorer_metrics(score, wardrobe, split) for name, score in scorers.items()}
    figures["popularity"] = outfit_scorer_metrics(popularity_scorer(wardrobe), wardrobe, split)
    out = {**figures.pop(served), "served": served, "served_because": why, "baselines": figures}
    oracle = oracle_for(wardrobe)
    if oracle is not None:
        out["oracle"] = outfit_scorer_metrics(oracle.outfit_score, wardrobe, split)
        out["normalised"] = normalised(out, out["oracle"])
        out["text_query"] = text_query_metrics(bundle, wardrobe, oracle, split)
        out["text"] = text_metrics(bundle, wardrobe, oracle, split)
    return out

"""`stylist eval bilstm`: FITB and compatibility AUC (easy and hard) of the Bi-LSTM + VSE and the baselines
trained with it; on the builtin wardrobe also the oracle's rows, the normalised scores and whether text
steers generation (`text_query_metrics`)."""
import numpy as np

from stylist_app.evaluate import oracle_for, outfit_scorer_metrics
from stylist_app.models.bilstm import Bundle, batch_scorer, load
from stylist_app.train import pick_device

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


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """FITB and compatibility AUC (easy and hard) of the Bi-LSTM and the baselines on `split`;
    for builtin also the oracle's, the normalised scores and the text-query measurement."""
    bundle = load(checkpoint_dir, wardrobe, pick_device(device))
    out = scorer_metrics(bundle.bilstm.score_ids, wardrobe, split)
    out["baselines"] = {name: scorer_metrics(m.score_ids, wardrobe, split) for name, m in bundle.baselines.items()}
    oracle = oracle_for(wardrobe)
    if oracle is not None:
        out["oracle"] = outfit_scorer_metrics(oracle.outfit_score, wardrobe, split)
        out["normalised"] = normalised(out, out["oracle"])
        out["text_query"] = text_query_metrics(bundle, wardrobe, oracle, split)
    return out

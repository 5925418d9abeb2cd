"""Words in the outfit builder, before and after: `evaluate.bilstm.text_metrics` on the builtin test split for the
paper's f + v_q swap with the VSE's retrieval alone (before), for the words inside beam decoding with the
listing-aware match alone (weight 5, no carriers' gate), with the gate (the photo reader's readings of the catalog
given, as the engine serves it) at weight 2.5 without the contrastive word space (the previous default), and with
the word space in the match at weights 2 (the default) and 5. About 10 minutes on one CPU thread.

    python benchmarks/bench_words.py [OUT.json]
"""
import sys, json
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import torch; torch.set_num_threads(1)
from stylist_app.data import load
from stylist_app.evaluate import oracle_for
from stylist_app.evaluate.bilstm import give_picture_readings, text_metrics
from stylist_app.models import bilstm
w = load("builtin"); o = oracle_for(w)
b = bilstm.load(str(__import__("pathlib").Path(__file__).resolve().parents[1] / "checkpoints"), w, "cpu")
out = {}
space, b.word_space = b.word_space, None  # the match without the contrastive word space, as before it
bilstm.LISTING_WEIGHT, bilstm.MATCH_EVERY_WORD = 0.0, False
out["before (VSE retrieval, f + v_q swap)"] = text_metrics(b, w, o, "test", mode="update")
b._text_side.pop("listings", None)
bilstm.LISTING_WEIGHT, bilstm.MATCH_EVERY_WORD = 2.0, True
gate, bilstm.GATE_PENALTY = bilstm.GATE_PENALTY, 0.0
out["words in decoding, weight 5, no gate"] = text_metrics(b, w, o, "test", words_weight=5.0)
bilstm.GATE_PENALTY = gate
give_picture_readings(b, w, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "checkpoints"), "cpu")
out["words in decoding with the gate, weight 2.5"] = text_metrics(b, w, o, "test", words_weight=2.5)
b.word_space = space
for lam in (2.0, 5.0):
    out[f"with the word space and the gate, weight {lam:g}"] = text_metrics(b, w, o, "test", words_weight=lam)
json.dump(out, open(sys.argv[1], "w"), indent=1) if len(sys.argv) > 1 else None
for k, v in out.items():
    print(k, json.dumps({kk: vv for kk, vv in v.items() if kk in ("precision@10", "carry_one_word", "carry_two_words", "oracle_cost", "max_repeat_share")}))

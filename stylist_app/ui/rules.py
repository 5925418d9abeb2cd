"""Rule attention: for a (top, bottom) pair, each fashion rule's confidence (fired rules highlighted, polarity
shown) and the student's score beside the rule-informed teacher's; across the test set, what the attention
learned per rule (AKD-DBPR)."""
import random

import gradio as gr
import pandas as pd

from stylist_app.ui import common
from stylist_app.ui.common import friendly

COLOURS = {"fired, in favour (+)": "#2f9e6e", "fired, against (−)": "#d9485f", "did not fire": "#c9c2bb"}


def _status(fired: bool, polarity: int) -> str:
    return "did not fire" if not fired else ("fired, in favour (+)" if polarity > 0 else "fired, against (−)")


def explain_pair(engine, top, bottom: str, words: str | None = None, reading: dict | None = None):
    """(per-rule confidence table for the plot, the scores in words) of one pair; `words` about the top and the
    corrections to an uploaded top's `reading`, as the look was completed with."""
    e = engine.explain(top, bottom, text=words, reading=reading)
    table = pd.DataFrame([{"rule": r.name, "confidence": round(r.confidence, 4), "status": _status(r.fired, r.polarity),
                           "contribution": round(r.contribution, 4), "says": r.text} for r in e.rules])
    fired = [r for r in e.rules if r.fired]
    lines = [f"| {'+' if r.polarity > 0 else '−'} | {r.text} | {r.confidence:.3f} | {r.contribution:+.3f} |"
             for r in sorted(fired, key=lambda r: -r.confidence)]
    top_name = common.caption(engine.wardrobe, e.top) if e.top != "upload" else "your top"
    if e.reading is not None:
        top_name += f" ({e.reading.describe()}; the rules fire on those words)"
    text = (f"**{top_name}** with **{common.caption(engine.wardrobe, e.bottom)}**\n\n"
            f"Student (no rules) **{e.student_score:+.3f}** · teacher (with rules) **{e.teacher_score:+.3f}** · "
            f"confidence left on no rule {e.null_confidence:.3f}\n\n")
    if lines:
        text += "| | rule | confidence | contribution |\n|---|---|---|---|\n" + "\n".join(lines)
    else:
        text += "No rule fired for this pair: the teacher's score is the student's."
    return table, text


def pair_outputs():
    plot = gr.BarPlot(x="rule", y="confidence", color="status", color_map=COLOURS, x_label_angle=-60, sort="-y",
                      height=360, label="Rule confidence for this pair", tooltip="all")
    return plot, gr.Markdown()


def worn_pairs(engine, split: str = "test") -> list[tuple[str, str]]:
    """(top, bottom) of each `split` outfit that has both and on which some rule fires (every such pair when no
    rule fires on any): the pairs worth explaining (found once per engine)."""
    def find():
        items = engine.wardrobe.items
        pairs = []
        for o in engine.wardrobe.split_outfits(split):
            tops = [i for i in o.items if items[i].slot == "top"]
            bottoms = [i for i in o.items if items[i].slot == "bottom"]
            if tops and bottoms:
                pairs.append((tops[0], bottoms[0]))
        if not pairs:
            return pairs
        fires = engine.model("akd").matcher.fires([t for t, _ in pairs], [b for _, b in pairs]).any(1)
        return [pair for pair, fired in zip(pairs, fires) if fired] or pairs

    return engine.cached(("ui", "worn pairs", split), find)


def worn_pair(engine, split: str = "test") -> tuple[str, str]:
    """A random (top, bottom) worn together in `split`: an example ready to explain."""
    return random.choice(worn_pairs(engine, split))


def overview(engine):
    rows = pd.DataFrame(engine.rule_overview("test"))
    rows["status"] = [("fired, in favour (+)" if p > 0 else "fired, against (−)") for p in rows["polarity"]]
    fired = rows[rows["pairs_fired"] > 0]
    text = (f"Mean confidence of each rule where it fired, over the (top, bottom) pairs worn together in the test "
            f"outfits. {len(fired)} of {len(rows)} rules fired at least once; never fired: "
            + (", ".join(rows.loc[rows["pairs_fired"] == 0, "rule"]) or "none") + ".")
    return fired[["rule", "mean_confidence", "status", "pairs_fired", "kind"]], text


def render(engine, examples: dict) -> None:
    first = worn_pair(engine)
    with gr.Row():
        top_id = gr.Textbox(label="Top id", value=first[0], scale=2)
        bottom_id = gr.Textbox(label="Bottom id", value=first[1], scale=2)
        with gr.Column(scale=1, min_width=160):
            go = gr.Button("Explain the pair", variant="primary")
            shuffle = gr.Button("A pair worn together")
    with gr.Row():
        pair_pictures = gr.Gallery(label="The pair", columns=2, height=260, object_fit="contain", scale=1,
                                   allow_preview=False, format="jpeg")
        with gr.Column(scale=3):
            plot, scores = pair_outputs()
    with gr.Accordion("Across the test set", open=False):
        show = gr.Button("Show what the attention learned per rule")
        summary = gr.Markdown()
        learned = gr.BarPlot(x="rule", y="mean_confidence", color="status", color_map=COLOURS, x_label_angle=-60,
                             sort="-y", height=380, label="Mean rule confidence where fired", tooltip="all")

    def explain(top, bottom):
        top = common.item_id(engine.wardrobe, top, "top")
        bottom = common.item_id(engine.wardrobe, bottom, "bottom")
        table, text = explain_pair(engine, top, bottom)
        pictures = [(common.picture(engine.wardrobe, i), common.caption(engine.wardrobe, i)) for i in (top, bottom)]
        return pictures, table, text

    go.click(friendly(explain), [top_id, bottom_id], [pair_pictures, plot, scores], api_name="explain_pair")
    shuffle.click(lambda: worn_pair(engine), None, [top_id, bottom_id], api_name="worn_pair").then(
        friendly(explain), [top_id, bottom_id], [pair_pictures, plot, scores], api_name=False)
    show.click(friendly(lambda: overview(engine)), None, [learned, summary], api_name="rule_overview")

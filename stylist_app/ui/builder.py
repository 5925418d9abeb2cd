"""Outfit builder: one or more pictures and/or words -> a whole outfit, slot by slot, with its compatibility
score; fill in the blank; score an outfit (Bi-LSTM + visual-semantic embedding)."""
import random

import gradio as gr
import pandas as pd

from stylist_app.errors import BadInput
from stylist_app.models.bilstm import GATE_PENALTY, SCORE_MEANING, WORDS_WEIGHT
from stylist_app.ui import common
from stylist_app.ui.common import friendly

HOW = {"query": "start", "generated": "chosen", "text": "from your words"}  # start: given, or nearest to the words


def _picture(engine, uploads: list, name: str):
    """A built outfit's item as a picture: a catalog thumbnail, or the upload it came from."""
    if name.startswith("upload-"):
        return uploads[int(name.split("-")[1])]
    return common.picture(engine.wardrobe, name)


def build_outfit(engine, image, ids, words, length, follow=WORDS_WEIGHT, *read_as):
    """The outfit (gallery, summary, steps table); `read_as`: corrections to the upload's reading (slot, type,
    colour, pattern, material; "" = as read)."""
    wardrobe = engine.wardrobe
    uploads = [common.open_image(image, "picture")] if image else []
    given = common.item_ids(wardrobe, ids, "items", low=0) if (ids or "").strip() else []
    words = common.clean_text(words, what="description")
    if not uploads and not given and not words:
        raise BadInput("Please give a picture, some catalog ids or a few words to start the outfit from.")
    length = common.count(length, "Outfit length", 0, 6)
    fixed = [common.corrections(engine, u, read_as) or None for u in uploads]
    try:
        follow = float(follow)
    except (TypeError, ValueError):
        raise BadInput("Follow the outfit / my words must be a number between 0 and 15.") from None
    out = engine.build_outfit(uploads + given, text=words, length=length or None,
                              readings=fixed + [None] * len(given), words_weight=follow)
    gallery = [(_picture(engine, uploads, it.item), f"{it.slot} · {HOW.get(it.how, it.how)} · "
                + ("your picture" if it.item.startswith("upload-") else common.caption(wardrobe, it.item)))
               for it in out.items]
    def weighed(it, how: str) -> str:  # each column one kind of score: the LSTM's, or the match to the words
        return ", ".join(f"{a} ({v:.2f})" for a, v in it.alternatives[1:4]) if it.how == how else ""

    rows = pd.DataFrame([{"slot": it.slot, "item": it.item, "how": HOW.get(it.how, it.how),
                          (f"also weighed (log-probability + {follow:g} x match to your words, - {follow * GATE_PENALTY:g} for each word "
                           "it lacks that another item of its slot has)" if words and follow
                           else "also weighed (log-probability)"): weighed(it, "generated"),
                          "also weighed (cosine to the LSTM's pick + 1.5 x cosine to your words)": weighed(it, "text")}
                         for it in out.items])
    rows = rows.loc[:, (rows != "").any()]  # a column no item was chosen by is left out
    text = "".join(f"Your picture: {r.describe()}\n\n" for r in out.readings.values())
    text += (f"**{len(out.items)} items**, compatibility **{out.score:.3f}** (mean forward + backward "
            "log-likelihood per step; higher is better)" + (f", steered by *{words}*" if words else "") + ".")
    if out.words is not None:
        text += f"\n\nUnderstood: {out.words.describe_understood()}."
        if out.words.unknown:
            text += f" Not known to the model: {out.words.describe_unknown()}."
    return gallery, text, rows


def fill_blank(engine, outfit_ids, blank, candidate_ids):
    wardrobe = engine.wardrobe
    outfit = common.item_ids(wardrobe, outfit_ids, "outfit items", low=1, high=7)
    candidates = common.item_ids(wardrobe, candidate_ids, "candidates", low=1, high=12)
    blank = common.count(blank, "Blank position", 0, len(outfit))
    answer = engine.fill_in_blank(outfit, blank, candidates)
    table = pd.DataFrame([{"rank": n + 1, "candidate": c, "title": wardrobe.items[c].title,
                           f"compatibility ({SCORE_MEANING[answer.model]})": round(s, 4)}
                          for n, (c, s) in enumerate(answer.ranking)])
    completed = [(common.picture(wardrobe, i), common.caption(wardrobe, i)) for i in answer.outfit]
    return table, completed


def score_outfit(engine, ids):
    out = engine.score_outfit(common.item_ids(engine.wardrobe, ids, "outfit items", low=1, high=8))
    return (f"Compatibility **{out.score:.3f}** for " + ", ".join(common.caption(engine.wardrobe, i) for i in out.items)
            + f" ({SCORE_MEANING[out.model]}; higher is better).")


def random_question(engine):
    """A test-split fill-in-the-blank question: the outfit without the blank, its position, the candidates
    (shuffled; the true item is among them)."""
    q = engine.fitb_question()
    candidates = list(q.candidates)
    random.shuffle(candidates)
    return ", ".join(q.context()), q.position, ", ".join(candidates)


def render(engine, examples: dict) -> None:
    with gr.Row():
        with gr.Column(scale=2):
            image = common.upload("Start from a picture (optional)")
            ids = gr.Textbox(label="…and/or catalog item ids (comma separated)", placeholder="e.g. " + examples["top_ids"][1])
            read_as, fix = common.reading_controls()
            words = gr.Textbox(label="Words (optional)", placeholder="e.g. red floral summer")
            follow = gr.Slider(0, 15, value=WORDS_WEIGHT, step=0.5, label="Follow the outfit ↔ follow my words",
                               info="how much the words count beside the outfit model (0: not at all)")
            length = gr.Slider(0, 6, value=0, step=1, label="Items in the outfit (0: the model decides)")
            go = gr.Button("Build the outfit", variant="primary")
            gr.Examples([[p] for p in examples["tops"]], [image], label="Example pictures")
        with gr.Column(scale=5):
            summary = gr.Markdown("Give a picture, some ids or a few words, then press **Build the outfit**.")
            gallery = gr.Gallery(label="The outfit, slot by slot", columns=5, height=300, object_fit="contain",
                                 allow_preview=False, format="jpeg")
            steps = gr.Dataframe(label="Each slot: how it was filled and what else was weighed", wrap=True)
    image.change(friendly(lambda i: common.show_reading(engine, i)), [image], [read_as, *fix], api_name=False,
                 preprocess=False)
    go.click(friendly(lambda *a: build_outfit(engine, *a)), [image, ids, words, length, follow, *fix],
             [gallery, summary, steps],
             api_name="build_outfit", preprocess=False)  # raw upload: open_image reports bad files

    with gr.Accordion("Fill in the blank", open=False):
        with gr.Row():
            outfit_ids = gr.Textbox(label="Outfit (catalog ids, in order)", scale=3)
            blank = gr.Number(label="Blank position (0 = first)", value=1, precision=0, scale=1)
            candidate_ids = gr.Textbox(label="Candidates (catalog ids)", scale=3)
        with gr.Row():
            ask = gr.Button("A question from the test set")
            answer = gr.Button("Rank the candidates", variant="primary")
        ranking = gr.Dataframe(label="Candidates, best first")
        completed = gr.Gallery(label="The outfit completed with the best candidate", columns=6, height=200,
                               object_fit="contain", allow_preview=False, format="jpeg")
    ask.click(friendly(lambda: random_question(engine)), None, [outfit_ids, blank, candidate_ids],
              api_name="fitb_question")
    answer.click(friendly(lambda *a: fill_blank(engine, *a)), [outfit_ids, blank, candidate_ids], [ranking, completed],
                 api_name="fill_in_blank")

    with gr.Accordion("Score an outfit", open=False):
        with gr.Row():
            score_ids = gr.Textbox(label="Outfit (catalog ids)", scale=4)
            score = gr.Button("Score", variant="primary", scale=1)
        score_text = gr.Markdown()
    score.click(friendly(lambda i: score_outfit(engine, i)), [score_ids], [score_text], api_name="score_outfit")

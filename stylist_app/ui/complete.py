"""Complete the look: a top (uploaded or from the catalog) and optional words -> bottoms that go with it,
each with the fashion rules that fired; selecting a bottom shows the pair's rule explanation (AKD-DBPR)."""
import gradio as gr

from stylist_app.errors import BadInput
from stylist_app.ui import common, rules
from stylist_app.ui.common import friendly


def complete_look(engine, image, top_id, words, k, *read_as):
    """Ranked bottoms for a top: gallery, a summary, and what the explanation needs (top, result ids, words,
    corrections). `read_as`: the correction dropdowns (slot, type, colour, pattern, material; "" = as read)."""
    wardrobe = engine.wardrobe
    top = common.top_or_id(wardrobe, image, top_id, "top")
    k = common.count(k, "Number of bottoms", 1, 30)
    words = common.clean_text(words, what="description")
    fixed = common.corrections(engine, top, read_as)
    matches = engine.complete(top, k=k, text=words, reading=fixed or None)
    if not matches:
        raise BadInput("No bottoms in this catalog match.")
    gallery = [(common.picture(wardrobe, m.item_id), f"{m.score:+.2f} · {common.caption(wardrobe, m.item_id)}")
               for m in matches]
    best = matches[0]
    fired = ", ".join(f"{'+' if r.polarity > 0 else '−'} {r.name} ({r.confidence:.2f})" for r in best.rules) or "none"
    read = ""
    if best.reading is not None:
        read = f"{best.reading.describe()}" + (f" · looks most like {common.caption(wardrobe, best.like)}"
                                                if best.like else "") + "\n\n"
    summary = (read + f"**{len(matches)} bottoms** for {'your picture' if not isinstance(top, str) else f'`{top}`'}"
               + (f" described as *{words}*" if words else "")
               + f". Best: **{common.caption(wardrobe, best.item_id)}**, score {best.score:+.2f} "
               f"(student {best.student_score:+.2f}, with rules {best.teacher_score:+.2f}); rules fired: {fired}.\n\n"
               "Select a bottom to see every rule's confidence for the pair.")
    return gallery, summary, {"top": top if isinstance(top, str) else image, "bottoms": [m.item_id for m in matches],
                              "words": words, "reading": fixed}


def render(engine, examples: dict) -> None:
    with gr.Row():
        with gr.Column(scale=2):
            image = common.upload("Top (upload a picture)")
            top_id = gr.Textbox(label="…or a catalog top id", placeholder="e.g. " + examples["top_ids"][0])
            words = gr.Textbox(label="Words about the top or the occasion (optional)",
                               placeholder="e.g. navy denim shirt, for a summer office (the rules fire on these words)")
            read_as, fix = common.reading_controls()
            k = gr.Slider(1, 30, value=12, step=1, label="How many bottoms")
            go = gr.Button("Complete the look", variant="primary")
            gr.Examples([[p] for p in examples["tops"]], [image], label="Example tops")
        with gr.Column(scale=5):
            summary = gr.Markdown("Upload a top or pick an example, then press **Complete the look**.")
            gallery = gr.Gallery(label="Bottoms that go with it", columns=4, height=520, object_fit="contain",
                                 allow_preview=False, format="jpeg")
            plot, scores = rules.pair_outputs()
    state = gr.State({})

    image.change(friendly(lambda i: common.show_reading(engine, i)), [image], [read_as, *fix], api_name="read_picture",
                 preprocess=False)
    go.click(friendly(lambda *a: complete_look(engine, *a)), [image, top_id, words, k, *fix], [gallery, summary, state],
             api_name="complete_look", preprocess=False)  # raw upload: open_image reports bad files

    def pick(state, evt: gr.SelectData):
        if not state:
            raise BadInput("Complete a look first.")
        top = state["top"]
        if not isinstance(top, str) or top not in engine.wardrobe.items:
            top = common.open_image(top, "picture of a top")
        return rules.explain_pair(engine, top, state["bottoms"][evt.index], state.get("words"),  # the same words
                                  state.get("reading") or None)  # and the same corrected reading

    gallery.select(friendly(pick), [state], [plot, scores], api_name=False)

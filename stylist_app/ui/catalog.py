"""Catalog tab: browse the wardrobe by slot and words."""
import gradio as gr

from stylist_app.data.schema import SLOTS, Wardrobe
from stylist_app.errors import BadInput
from stylist_app.ui.common import friendly, picture

PAGE = 48


def search(wardrobe: Wardrobe, slot: str, words: str) -> tuple[list, str]:
    """Items of `slot` ("all" for every slot) whose text contains every word of `words`."""
    words = (words or "").strip().lower()
    if len(words) > 200:
        raise BadInput("Please search with at most 200 characters.")
    terms = words.split()
    hits = [i for i in wardrobe.items.values()
            if (slot == "all" or i.slot == slot) and all(t in i.text.lower() for t in terms)]
    gallery = [(picture(wardrobe, i.id), f"{i.title} · {i.id}") for i in hits[:PAGE]]
    return gallery, f"{len(hits)} items match" + (f"; showing the first {PAGE}" if len(hits) > PAGE else "")


def render(wardrobe: Wardrobe) -> None:
    with gr.Row():
        slot = gr.Dropdown(["all", *[s for s in SLOTS if wardrobe.items_in_slot(s)]], value="all", label="Slot", scale=1)
        words = gr.Textbox(label="Words", placeholder="e.g. navy striped cotton", scale=3)
        go = gr.Button("Search", variant="primary", scale=1)
    summary = gr.Markdown()
    gallery = gr.Gallery(format="jpeg", label="Catalog", columns=6, height=620, object_fit="contain")

    @friendly
    def run(s, w):
        return search(wardrobe, s, w)

    go.click(run, [slot, words], [gallery, summary], api_name="catalog_search")
    words.submit(run, [slot, words], [gallery, summary], api_name=False)

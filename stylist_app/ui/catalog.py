"""Catalog tab: browse the wardrobe by slot and by meaning (MiniLM over titles and descriptions), a page at a
time."""
import math

import gradio as gr

from stylist_app.data.schema import SLOTS
from stylist_app.errors import BadInput
from stylist_app.ui.common import count, friendly, picture

PAGE = 48


def search(engine, slot: str, words: str, page=1) -> tuple[list, str, int]:
    """Page `page` of the items of `slot` ("all" for every slot), closest in meaning to `words` first (all of
    them in catalog order without words): (gallery, summary, the page shown)."""
    words = (words or "").strip()
    if len(words) > 200:
        raise BadInput("Please search with at most 200 characters.")
    if slot not in ("all", *SLOTS):
        raise BadInput(f"Slot must be all or one of {', '.join(SLOTS)} (got {slot!r}).")
    hits = engine.search(words, slot)
    pages = max(1, math.ceil(len(hits) / PAGE))
    page = min(count(page, "Page", 1, 1_000_000), pages)  # past the last page: the last
    shown = hits[(page - 1) * PAGE: page * PAGE]
    wardrobe = engine.wardrobe
    gallery = [(picture(wardrobe, i), f"{wardrobe.items[i].title} · {i}" + (f" · {s:.2f}" if words else ""))
               for i, s in shown]
    what = f"closest in meaning to *{words}* first (cosine shown)" if words else "in catalog order"
    return gallery, (f"{len(hits):,} items{'' if slot == 'all' else f' ({slot})'}, {what}; page {page} of {pages} "
                     f"(items {(page - 1) * PAGE + 1}-{(page - 1) * PAGE + len(shown)})"), page


def render(engine) -> None:
    wardrobe = engine.wardrobe
    with gr.Row():
        slot = gr.Dropdown(["all", *[s for s in SLOTS if wardrobe.items_in_slot(s)]], value="all", label="Slot", scale=1)
        words = gr.Textbox(label="Words (searched by meaning)", placeholder="e.g. white summer dress", scale=3)
        go = gr.Button("Search", variant="primary", scale=1)
    summary = gr.Markdown()
    gallery = gr.Gallery(format="jpeg", label="Catalog", columns=6, height=620, object_fit="contain")
    with gr.Row():
        back = gr.Button("← Previous page", size="sm")
        page = gr.Number(value=1, precision=0, label="Page", minimum=1, scale=0, min_width=100)
        more = gr.Button("Next page →", size="sm")

    @friendly
    def run(s, w, p=1):
        return search(engine, s, w, p)

    go.click(run, [slot, words], [gallery, summary, page], api_name="catalog_search")
    words.submit(run, [slot, words], [gallery, summary, page], api_name=False)
    page.submit(run, [slot, words, page], [gallery, summary, page], api_name="catalog_page")
    back.click(friendly(lambda s, w, p: search(engine, s, w, max(1, int(p or 1) - 1))), [slot, words, page],
               [gallery, summary, page], api_name=False)
    more.click(friendly(lambda s, w, p: search(engine, s, w, int(p or 1) + 1)), [slot, words, page],
               [gallery, summary, page], api_name=False)

"""The Gradio app: one Blocks, one tab per job, thin over the data and (later) the engine.

`build_app(data, checkpoints)` returns the Blocks; `launch(...)` serves it. Tabs whose model
is not trained yet say so plainly and give the command that trains it.
"""
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from stylist_app.data import load  # noqa: E402
from stylist_app.ui import catalog  # noqa: E402

THEME = gr.themes.Soft(primary_hue="rose", neutral_hue="stone", font=["ui-sans-serif", "system-ui", "sans-serif"])
CSS = """
.gradio-container {max-width: 1180px !important; margin: auto;}
#stylist-title h1 {font-weight: 650; letter-spacing: -0.02em; margin-bottom: 0}
"""
# tab title -> (model it needs, what it will do)
PENDING_TABS = {
    "Complete the look": ("akd", "upload a top and get bottoms that go with it, with the fashion rules behind each match"),
    "Outfit builder": ("bilstm", "build a whole outfit slot by slot from images and words; fill in the blank"),
    "Design canvas": ("gan", "design new garments tuned to a shopper's taste"),
    "Rule attention": ("akd", "see which fashion rules the model used for a pair and how much it trusted each"),
    "For you": ("fnd", "outfits recommended for a shopper by the compressed student and by the teacher"),
}


def build_app(data: str = "builtin", checkpoints: str = "checkpoints") -> gr.Blocks:
    wardrobe = load(data)
    with gr.Blocks(title="Stylist") as app:
        gr.Markdown("# Stylist\nAn interactive AI stylist. Catalog: "
                    f"`{data}` ({len(wardrobe.items)} items, {len(wardrobe.outfits)} outfits, {len(wardrobe.users)} shoppers).",
                    elem_id="stylist-title")
        with gr.Tabs():
            with gr.Tab("Catalog"):
                catalog.render(wardrobe)
            for title, (model, does) in PENDING_TABS.items():
                with gr.Tab(title):
                    gr.Markdown(f"This tab will {does}.\n\nIts model (`{model}`) is not in `{checkpoints}/` yet. "
                                f"Train it with:\n\n```\nstylist train {model} --data {data} --out {checkpoints}\n```")
    return app


def launch(data: str = "builtin", checkpoints: str = "checkpoints", host: str = "127.0.0.1", port: int = 7860, **kwargs):
    app = build_app(data, checkpoints)
    app.queue(default_concurrency_limit=4)
    return app.launch(server_name=host, server_port=port, theme=THEME, css=CSS, share=False, **kwargs)

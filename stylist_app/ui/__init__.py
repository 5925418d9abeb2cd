"""The Gradio app: one Blocks, one tab per job, thin over one StylistEngine.

`build_app(data, checkpoints, device)` loads the engine once (shared by every session) and returns the
Blocks; `launch(...)` serves it with Gradio's queue. A tab whose model is not loaded says so
plainly and gives the command that trains it. Every action is a named API endpoint.
"""
import ctypes
import logging
import os
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from stylist_app.data import builtin  # noqa: E402
from stylist_app.engine import StylistEngine, phase  # noqa: E402
from stylist_app.models.encoders import import_libraries  # noqa: E402
from stylist_app.ui import about, builder, catalog, common, complete, design, foryou, rules  # noqa: E402

THEME = gr.themes.Soft(primary_hue="rose", neutral_hue="stone", font=["ui-sans-serif", "system-ui", "sans-serif"])
CSS = """
.gradio-container {max-width: 1280px !important; margin: auto;}
#stylist-title h1 {font-weight: 650; letter-spacing: -0.02em; margin-bottom: 0}
#about-models td:nth-child(-n+4), #about-models th:nth-child(-n+4) {word-break: normal; min-width: 6em}
#about-models td:nth-child(1), #about-models td:nth-child(4) {white-space: nowrap}
#design-summary td, #design-summary th {word-break: normal; white-space: nowrap}
#design-summary td:nth-child(3) {white-space: normal; min-width: 12em}
"""
EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"
N_EXAMPLES = 4


def example_tops(engine) -> dict:
    """Example top pictures to click: the shipped ones (assets/examples, builtin catalog) when they belong to
    this catalog, else the first test-split tops of the catalog written to a temporary folder."""
    shipped = sorted(EXAMPLES.glob("*.png"))
    if shipped and all(p.stem in engine.wardrobe.items for p in shipped):
        return {"tops": [str(p) for p in shipped], "top_ids": [p.stem for p in shipped]}
    w = engine.wardrobe
    ids = [i for o in w.split_outfits("test") or list(w.outfits.values()) for i in o.items if w.items[i].slot == "top"]
    ids = list(dict.fromkeys(ids or w.items_in_slot("top") or list(w.items)))[:N_EXAMPLES]
    folder = Path(tempfile.mkdtemp(prefix="stylist-examples-"))
    paths = []
    for iid in ids:
        paths.append(str(folder / f"{iid.replace('/', '_')}.png"))
        w.items[iid].load_image().save(paths[-1])
    return {"tops": paths, "top_ids": ids}


# tab title -> (models it needs, its module's render, what it does: said when a model is missing)
TABS = {
    "Complete the look": (("akd",), complete.render,
                          "upload a top and get bottoms that go with it, with the fashion rules behind each match"),
    "Outfit builder": (("bilstm",), builder.render,
                       "build a whole outfit slot by slot from pictures and words, and fill in the blank"),
    "Design canvas": (("dvbpr", "gan"), design.render, "design new garments tuned to a shopper's taste"),
    "Rule attention": (("akd",), rules.render,
                       "show which fashion rules the model used for a pair and how much it trusted each"),
    "For you": (("fnd",), foryou.render,
                "recommend outfits for a shopper with the compressed student and the teacher side by side"),
}


def build_app(data: str = "builtin", checkpoints: str = "checkpoints", engine: StylistEngine | None = None,
              device: str = "auto") -> gr.Blocks:
    engine = engine or StylistEngine.from_checkpoints(checkpoints, data=data, device=device)
    w = engine.wardrobe
    # the catalog's picture folders are served as they are (galleries hand Gradio the files, no re-encoding)
    gr.set_static_paths(sorted({str(Path(getattr(i.image, "path", i.image)).parent) for i in w.items.values()
                                if isinstance(getattr(i.image, "path", i.image), (str, Path))}))
    examples = example_tops(engine)
    with gr.Blocks(title="Stylist") as app:
        gr.Markdown("# Stylist\nAn interactive AI stylist: complete a look, build an outfit, design for a taste, "
                    f"see the rules it learned. Catalog `{data}`: {len(w.items):,} items, {len(w.outfits):,} outfits, "
                    f"{len(w.users):,} shoppers.", elem_id="stylist-title")
        with gr.Tabs():
            for title, (needs, render, does) in TABS.items():
                with gr.Tab(title):
                    missing = [m for m in needs if m not in engine.models]
                    if missing:
                        common.pending(missing[0], does, data, checkpoints, engine.skipped.get(missing[0]))
                    else:
                        render(engine, examples)
            with gr.Tab("Catalog"):
                catalog.render(engine)
            with gr.Tab("About"):
                about.render(engine)
    return app


def cap_malloc_arenas(n: int = 2) -> None:
    """Let glibc's malloc use at most `n` arenas. By default each thread that allocates gets its own (up to 8 per
    core) and their freed memory is rarely returned: under Gradio's worker threads the server grew by 450 MB in
    a minute of 16 users (benchmarks/bench_app.py), against 140 MB with two arenas, at the same latency. Called
    before the server starts its threads; nothing happens where glibc is absent."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, n)  # -8: M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _warm_up(engine: StylistEngine) -> None:
    """`engine.warm_up()` on the serving process's side thread: a failure there is logged, never fatal (the call
    that needs the value builds it, and says what is wrong)."""
    try:
        engine.warm_up()
    except Exception:  # noqa: BLE001 - logged with its traceback
        logging.getLogger("stylist").exception("preparing the first calls failed")


def launch(data: str = "builtin", checkpoints: str = "checkpoints", host: str = "127.0.0.1", port: int = 7860,
           device: str = "auto", concurrency: int = 2, **kwargs):
    """Serve the app with its engine on `device` (auto | cpu | cuda); each action runs at most `concurrency`
    calls at once (design: one), the rest queue. The engine is shared and thread-safe; on a 2-core machine
    more parallel calls only slow each other."""
    cap_malloc_arenas()
    if data == "builtin" and not builtin.default_is_built():
        # a first start generates the catalog (about 4 s, mostly on one core): the encoders' libraries are
        # imported meanwhile on the other, so the first uploads need not wait for them (later starts skip this:
        # the import would only slow the start itself)
        threading.Thread(target=import_libraries, name="stylist-imports", daemon=True).start()
    engine = StylistEngine.from_checkpoints(checkpoints, data=data, device=device)
    # a side thread prepares what each tab's first call needs while the page comes up (`engine.warm_up`); a
    # call that needs a part meanwhile waits for that part only
    threading.Thread(target=_warm_up, args=(engine,), name="stylist-warm-up", daemon=True).start()
    with phase("page built"):
        app = build_app(data, checkpoints, engine=engine)
        app.queue(default_concurrency_limit=concurrency, max_size=64)
    return app.launch(server_name=host, server_port=port, theme=THEME, css=CSS, share=False, **kwargs)

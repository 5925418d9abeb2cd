"""Design canvas: a shopper (or a taste fitted from a few liked items) and a category -> new garments
generated to their taste, or an existing item edited towards it (DVBPR + conditional GAN)."""
import gradio as gr

from stylist_app.data.schema import SLOTS
from stylist_app.errors import BadInput
from stylist_app.models import gan
from stylist_app.ui import common
from stylist_app.ui.common import friendly


def design(engine, user, liked, category, n, eta, steps, seed, from_item, reach=None, progress=gr.Progress()):
    """The form's values, cleaned, to `engine.design` (which says what is wrong with a shopper, the liked items
    or the category); the designs as a gallery, a summary with the preference table, and the reference items."""
    wardrobe = engine.wardrobe
    user = (user or "").strip() or None
    liked = common.item_ids(wardrobe, liked, "liked items", low=1, high=20) if (liked or "").strip() else []
    if liked:
        user = None  # a taste from liked items replaces the shopper
    from_item = common.item_id(wardrobe, from_item) if (from_item or "").strip() else None
    category = None if from_item else (category or None)
    n, steps = common.count(n, "Number of designs", 1, 8), common.count(steps, "Steps", 0, 300)
    seed = common.count(seed, "Seed", 0, 2**31 - 1)
    try:
        eta = float(eta)
    except (TypeError, ValueError):
        raise BadInput("Realism weight must be a number between 0 and 5.") from None
    if not 0 <= eta <= 5:
        raise BadInput(f"Realism weight must be between 0 and 5 (got {eta}).")
    try:
        reach = gan.EDIT_REACH if reach is None else float(reach)
    except (TypeError, ValueError):
        raise BadInput("How far an edit may go must be a number between 0 and 1.") from None
    if not 0 <= reach <= 1:
        raise BadInput(f"How far an edit may go must be between 0 and 1 (got {reach}).")
    progress((0, max(steps, 1)), desc="Designing", unit="steps")
    d = engine.design(user=user, liked_items=liked, category=category, n=n, eta=eta, steps=steps, seed=seed,
                      from_item=from_item, reach=reach,
                      progress=lambda k, total: progress((k, total), desc="Designing", unit="steps"))
    readings = [engine.read(img) if "reader" in engine.models else None for img in d.images]
    words = [(r.words() if r.readable else "not readable") if r is not None else "" for r in readings]
    gallery = [(img, f"#{k + 1} · " + (f"{w} · " if w else "") + f"preference {b:+.2f} → {a:+.2f}")
               for k, (img, b, a, w) in enumerate(zip(d.images, d.preference_before, d.preference_after, words))]
    types = d.types or [""] * len(d.images)
    table = "\n".join(f"| #{k + 1} | {t} | {w or '–'} | {b:+.2f} | {a:+.2f} | {r:+.2f} |"
                      for k, (t, w, b, a, r) in enumerate(zip(types, words, d.preference_before, d.preference_after,
                                                              d.realism)))
    who = f"shopper `{user}`" if user else f"a taste fitted to {len(liked)} liked items"
    text = (f"**{len(d.images)} {d.category} designs** for {who}; eta {eta:g}, {steps} steps, seed {seed}. "
            f"Each was drawn as the fine type in the table and pushed towards DVBPR's preference (before → after); "
            f"the photo reader says what it reads. For comparison, the catalog's best {d.category} for this taste is "
            f"**{common.caption(wardrobe, d.best_existing)}** (preference {d.best_existing_preference:+.2f}). "
            f"DVBPR designed them, so its score is no judge of whether they beat it: the About tab shows how often "
            f"designs win by an independent judge.")
    text += ("\n\n| design | drawn as | reads as | preference before | after | realism (discriminator) |"
             "\n|---|---|---|---|---|---|\n" + table)
    if d.from_item:
        text += (f"\n\nEdited from **{common.caption(wardrobe, d.from_item)}** (preference "
                 f"{d.from_item_preference:+.2f}); allowed to go {reach:g} of the way (0: stay, 1: anywhere).")
    reference = [d.from_item] if d.from_item else []
    return gallery, text, common.strip([wardrobe.items[i].load_image() for i in reference + [d.best_existing]], 160)


def render(engine, examples: dict) -> None:
    users = sorted(engine.wardrobe.users)
    with gr.Row():
        with gr.Column(scale=2):
            user = gr.Dropdown(users, value=users[0] if users else None, label="Shopper", allow_custom_value=True)
            liked = gr.Textbox(label="…or items you like (catalog ids; these replace the shopper)",
                               placeholder="e.g. " + ", ".join(examples["top_ids"][:3]))
            category = gr.Dropdown(list(SLOTS), value="top", label="Category")
            from_item = gr.Textbox(label="Edit an existing item instead (catalog id, optional)")
            reach = gr.Slider(0, 1, value=gan.EDIT_REACH, step=0.05, label="How far an edit may go",
                              info="0 keeps the item's colour and shape; 1 lets the taste take it anywhere")
            n = gr.Slider(1, 8, value=4, step=1, label="Designs")
            eta = gr.Slider(0, 2, value=1, step=0.5, label="Realism weight (eta)")
            steps = gr.Slider(0, 200, value=50, step=10, label="Steps")
            seed = gr.Number(value=0, precision=0, label="Seed")
            go = gr.Button("Design", variant="primary")
        with gr.Column(scale=5):
            summary = gr.Markdown("Choose a shopper or list items you like, pick a category and press **Design**.",
                                  elem_id="design-summary")
            gallery = gr.Gallery(label="New designs", columns=4, height=420, object_fit="contain", allow_preview=False, format="jpeg")
            reference = gr.Image(label="For comparison: the item edited (if any), the catalog's best for this taste",
                                 type="pil", format="jpeg", interactive=False, height=200)
    go.click(friendly(lambda *a, progress=gr.Progress(): design(engine, *a, progress=progress)),
             [user, liked, category, n, eta, steps, seed, from_item, reach], [gallery, summary, reference],
             api_name="design",
             concurrency_limit=1)  # each design keeps a core busy for about a second

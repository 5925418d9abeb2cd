"""For you: outfits recommended for a shopper by FND's compressed student and by its teacher, side by side,
with the time each took and each model's size."""
import gradio as gr
import pandas as pd

from stylist_app.ui import common
from stylist_app.ui.common import friendly


def recommend(engine, user, k):
    user = (user or "").strip()
    k = common.count(k, "Number of outfits", 1, 20)
    out, lines, ids, table = [], [], [], []
    for which in ("student", "teacher"):
        r = engine.recommend_outfits(user, k=k, model=which)
        out.append(common.outfit_sheet(engine.wardrobe, r.outfits, [f"#{n + 1}  {s:+.2f}" for n, s in enumerate(r.scores)]))
        table.extend({"model": which, "rank": n + 1, "outfit": oid, "score": round(s, 4), "items": ", ".join(items)}
                     for n, (oid, items, s) in enumerate(zip(r.outfit_ids, r.outfits, r.scores)))
        ids.append(r.outfit_ids)
        lines.append(f"| {which} | {r.params:,} | {r.ms:.1f} ms | {r.n_candidates} |")
    same = len(set(ids[0]) & set(ids[1]))
    text = (f"Shopper `{user}` ({len(engine.wardrobe.users[user].liked_outfits)} liked outfits): "
            f"{same} of {k} recommendations agree.\n\n| model | parameters | ranking time | candidates |\n|---|---|---|---|\n"
            + "\n".join(lines))
    return out[0], out[1], text, pd.DataFrame(table)


def render(engine, examples: dict) -> None:
    users = sorted(engine.wardrobe.users)
    with gr.Row():
        user = gr.Dropdown(users, value=users[0] if users else None, label="Shopper", allow_custom_value=True, scale=3)
        k = gr.Slider(1, 20, value=6, step=1, label="Outfits", scale=2)
        go = gr.Button("Recommend", variant="primary", scale=1)
    summary = gr.Markdown("Choose a shopper and press **Recommend**.")
    with gr.Row():
        student = gr.Image(label="Student (compressed, served)", type="pil", interactive=False, buttons=["download"])
        teacher = gr.Image(label="Teacher (large)", type="pil", format="jpeg", interactive=False, buttons=["download"])
    with gr.Accordion("As a table", open=False):
        listing = gr.Dataframe(wrap=True)
    go.click(friendly(lambda *a: recommend(engine, *a)), [user, k], [student, teacher, summary, listing],
             api_name="recommend_outfits")

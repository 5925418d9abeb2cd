"""The app, served on 127.0.0.1 with the shipped checkpoints on the builtin wardrobe, called through
gradio_client: every endpoint with real inputs (checking what comes back), then bad input on each;
and how a handler's errors reach the person (a mistake: its sentence; a bug: logged, an apology)."""
import io
import logging
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from stylist_app.checkpoints import CheckpointError
from stylist_app.errors import BadInput
from stylist_app.ui.common import SOMETHING_WENT_WRONG, friendly

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = sorted((ROOT / "assets" / "examples").glob("*.png"))[0]


@pytest.fixture(scope="module")
def served(app_url):
    url, engine = app_url
    return Client(url, verbose=False), engine


def gallery_captions(gallery) -> list[str]:
    return [g["caption"] for g in gallery]


def gallery_images(gallery) -> list[Image.Image]:
    return [Image.open(g["image"]["path"] if isinstance(g["image"], dict) else g["image"]) for g in gallery]


def test_a_mistake_shows_its_sentence_and_a_bug_is_logged(caplog):
    def handler(error):
        raise error

    with pytest.raises(gr.Error) as shown:
        friendly(handler)(BadInput("There is no item 'x' in this catalog."))
    assert shown.value.message == "There is no item 'x' in this catalog."
    with pytest.raises(gr.Error) as shown:
        friendly(handler)(CheckpointError("ck/akd.safetensors: checkpoint file missing; rebuild it with: stylist train akd"))
    assert "stylist train akd" in shown.value.message
    for bug in (KeyError("item-00001"), ValueError("shapes do not match"), RuntimeError("boom")):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="stylist"), pytest.raises(gr.Error) as shown:
            friendly(handler)(bug)
        assert shown.value.message == SOMETHING_WENT_WRONG == "Something went wrong (logged)."
        record = caplog.records[-1]
        assert record.exc_info and record.exc_info[1] is bug and "Traceback" in caplog.text


def test_every_shipped_checkpoint_loads(served):
    _, engine = served
    assert engine.skipped == {}
    assert set(engine.models) == {"akd", "bilstm", "outfit_transformer", "dvbpr", "gan", "fnd", "reader"}


def test_every_action_is_a_named_endpoint(served):
    client, _ = served
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    expected = {"/catalog_search", "/catalog_page", "/read_picture", "/complete_look", "/explain_pair", "/worn_pair", "/rule_overview",
                "/build_outfit", "/fitb_question", "/fill_in_blank", "/score_outfit", "/recommend_outfits", "/design"}
    assert expected <= names, expected - names


def test_complete_the_look_from_an_upload_and_an_id(served):
    client, engine = served
    gallery, summary = client.predict(handle_file(str(EXAMPLE)), "", "for a summer office", 8, api_name="/complete_look")
    assert len(gallery) == 8 and "8 bottoms" in summary
    ids = [c.split(" · ")[-1] for c in gallery_captions(gallery)]
    assert all(engine.wardrobe.items[i].slot == "bottom" for i in ids)
    scores = [float(c.split(" · ")[0]) for c in gallery_captions(gallery)]
    assert scores == sorted(scores, reverse=True)
    assert gallery_images(gallery)[0].size[0] > 32
    # a picture has no category or words: it takes the rules of the catalog top it looks most like (itself here)
    assert engine.explain(Image.open(EXAMPLE), ids[0]).like == EXAMPLE.stem
    top = EXAMPLE.stem
    gallery, summary = client.predict(None, top, "", 5, api_name="/complete_look")
    assert f"`{top}`" in summary and len(gallery) == 5
    assert [m.item_id for m in engine.complete(top, k=5)] == [c.split(" · ")[-1] for c in gallery_captions(gallery)]


def test_rule_attention_for_a_pair_and_across_the_test_set(served):
    client, engine = served
    top, bottom = client.predict(api_name="/worn_pair")
    assert engine.wardrobe.items[top].slot == "top" and engine.wardrobe.items[bottom].slot == "bottom"
    assert engine.model("akd").matcher.fires([top], [bottom]).any()  # a pair worth explaining: some rule fires
    pictures, plot, text = client.predict(top, bottom, api_name="/explain_pair")
    assert len(pictures) == 2 and "Student (no rules)" in text and "teacher (with rules)" in text
    rows = plot["data"]
    assert len(rows) == len(engine.model("akd").rules)  # every rule, fired or not
    e = engine.explain(top, bottom)
    assert f"{e.teacher_score:+.3f}" in text
    plot, text = client.predict(api_name="/rule_overview")
    rows = plot["data"]
    assert rows and all(0 <= r[1] <= 1 for r in rows) and "rules fired at least once" in text


def test_an_upload_shows_what_it_was_read_as_and_results_follow_a_correction(served):
    client, engine = served
    line, slot, kind, colour, pattern, material = client.predict(handle_file(str(EXAMPLE)), api_name="/read_picture")
    top = engine.wardrobe.items[EXAMPLE.stem]
    assert line.startswith("Read as: ") and f"({slot}) · " in line and line.endswith("%")
    assert slot == "top" and kind == top.category  # a catalog top's own picture reads as what it is
    gallery, summary = client.predict(handle_file(str(EXAMPLE)), "", "", 6, api_name="/complete_look")
    assert summary.startswith(line) and "looks most like" in summary
    fixed, fixed_summary = client.predict(handle_file(str(EXAMPLE)), "", "", 6, "", "", "red", "floral", "silk",
                                          api_name="/complete_look")
    assert fixed_summary.startswith(f"Read as: red floral silk {kind} (top)")
    assert [c.split(" · ")[-1] for c in gallery_captions(fixed)] != [c.split(" · ")[-1] for c in gallery_captions(gallery)]


def test_catalog_search_matches_meaning_and_pages(served):
    client, engine = served
    gallery, summary, page = client.predict("all", "white summer dress", api_name="/catalog_search")
    assert len(gallery) == 48 and page == 1 and "closest in meaning" in summary
    ids = [c.split(" · ")[1] for c in gallery_captions(gallery)]
    assert sum(engine.wardrobe.items[i].slot == "dress" for i in ids[:12]) >= 9  # no word needs to match literally
    second, summary2, page2 = client.predict("all", "white summer dress", 2, api_name="/catalog_page")
    assert page2 == 2 and "page 2 of" in summary2 and not {c.split(" · ")[1] for c in gallery_captions(second)} & set(ids)
    last, summary3, page3 = client.predict("dress", "", 10_000, api_name="/catalog_page")  # past the end: the last page
    n = len(engine.wardrobe.items_in_slot("dress"))
    assert page3 == -(-n // 48) and len(last) == n - (page3 - 1) * 48


def test_outfit_builder_fill_in_the_blank_and_score(served):
    client, engine = served
    gallery, summary, table = client.predict(handle_file(str(EXAMPLE)), "", "black", 0, api_name="/build_outfit")
    captions = gallery_captions(gallery)
    assert 2 <= len(captions) <= 6 and "compatibility" in summary
    assert any(c.startswith("top · start · your picture") for c in captions)
    slots = [c.split(" · ")[0] for c in captions]
    assert len(set(slots)) == len(slots)  # one item per slot
    outfit_ids, blank, candidates = client.predict(api_name="/fitb_question")
    ranking, completed = client.predict(outfit_ids, blank, candidates, api_name="/fill_in_blank")
    ranked = [row[1] for row in ranking["data"]]
    assert sorted(ranked) == sorted(c.strip() for c in candidates.split(","))
    assert len(completed) == len(outfit_ids.split(",")) + 1
    text = client.predict(outfit_ids, api_name="/score_outfit")
    score = engine.score_outfit([i.strip() for i in outfit_ids.split(",")]).score
    assert f"{score:.3f}" in text


def test_for_you_student_beside_teacher(served):
    client, engine = served
    user = sorted(engine.wardrobe.users)[0]
    student, teacher, text, table = client.predict(user, 4, api_name="/recommend_outfits")
    assert "| student |" in text and "| teacher |" in text and "ms" in text
    assert Image.open(student).size[1] == Image.open(teacher).size[1] == 36 + 4 * 96  # one row per outfit
    rows = {m: [r for r in table["data"] if r[0] == m] for m in ("student", "teacher")}
    assert [r[2] for r in rows["student"]] == engine.recommend_outfits(user, 4).outfit_ids
    assert [r[2] for r in rows["teacher"]] == engine.recommend_outfits(user, 4, model="teacher").outfit_ids


def test_design_canvas(served):
    client, engine = served
    user = sorted(engine.wardrobe.users)[0]
    gallery, text, reference = client.predict(user, "", "top", 2, 1.0, 5, 0, "", 0.25, api_name="/design")
    assert len(gallery) == 2 and gallery[0]["caption"].startswith("#1") and "2 top designs" in text
    assert all(g["caption"].count(" · ") == 2 and " → " in g["caption"] for g in gallery)  # "#1 · <reading> · preference -1.20 → +0.42"
    assert "photo reader" in text and "no judge" in text  # DVBPR's verdict is not offered as proof
    assert text.count("| #") == 2  # preference before / after and realism of each design
    liked = ", ".join(engine.wardrobe.items_in_slot("shoes")[:3])
    gallery, text, reference = client.predict(user, liked, "shoes", 1, 0.5, 3, 1, "", 0.25, api_name="/design")
    assert "taste fitted to 3 liked items" in text


# ---------------------------------------------------------------- bad input: a readable message, and serving goes on
@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.txt").write_text("not a picture")
    buf = io.BytesIO()
    Image.open(EXAMPLE).convert("RGB").save(buf, "JPEG")
    (d / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    Image.new("RGB", (10, 10), (20, 20, 20)).save(d / "tiny.png")
    big = np.full((6000, 6000, 3), 255, np.uint8)
    big[2000:4000, 2500:3500] = (30, 40, 120)
    Image.fromarray(big).save(d / "huge.jpg", quality=80)
    return d


def message(client, *args, api_name):
    with pytest.raises(AppError) as err:
        client.predict(*args, api_name=api_name)
    text = str(err.value)
    assert "Traceback" not in text and len(text) < 400
    return text


def test_bad_images_get_readable_messages(served, bad_files):
    client, _ = served
    for api, args in (("/complete_look", ("", "", 5)), ("/build_outfit", ("", "", 0))):
        assert "not an image" in message(client, handle_file(str(bad_files / "notes.txt")), *args, api_name=api)
        assert "damaged or incomplete" in message(client, handle_file(str(bad_files / "truncated.jpg")), *args,
                                                  api_name=api)
        assert "only 10 x 10 pixels" in message(client, handle_file(str(bad_files / "tiny.png")), *args, api_name=api)
    # a 6000 x 6000 photo is scaled down and read: a navy block is no top, and says what it was read as
    huge = handle_file(str(bad_files / "huge.jpg"))
    assert "not a top" in message(client, huge, "", "", 3, api_name="/complete_look")
    # corrected (slot, type, colour, pattern, material dropdowns), it is answered as the top it was said to be
    gallery, summary = client.predict(huge, "", "", 3, "top", "shirt", "", "", "", api_name="/complete_look")
    assert len(gallery) == 3 and "shirt (top) · set by you" in summary


def test_bad_text_ids_and_counts_get_readable_messages(served):
    client, engine = served
    top = EXAMPLE.stem
    user = sorted(engine.wardrobe.users)[0]
    long = "x" * 10_000
    assert "under 300 characters" in message(client, None, top, long, 5, api_name="/complete_look")
    assert "upload a picture" in message(client, None, "", "", 5, api_name="/complete_look")
    assert "no item" in message(client, None, "no-such-top", "", 5, api_name="/complete_look")
    assert "between 1 and 30" in message(client, None, top, "", -3, api_name="/complete_look")
    assert "no item" in message(client, "nope", "also-nope", api_name="/explain_pair")
    assert "not a bottom" in message(client, top, top, api_name="/explain_pair")
    assert "Please give a picture" in message(client, None, "", "", 0, api_name="/build_outfit")
    assert "under 300 characters" in message(client, None, "", long, 0, api_name="/build_outfit")
    assert "between 0 and 6" in message(client, None, top, "", -1, api_name="/build_outfit")
    assert "between 1 and 7" in message(client, "", 0, top, api_name="/fill_in_blank")
    assert "Blank position" in message(client, top, -2, top, api_name="/fill_in_blank")
    assert "no item" in message(client, "bogus-id", api_name="/score_outfit")
    assert "no shopper" in message(client, "nobody", 3, api_name="/recommend_outfits")
    assert "less than minimum value 1" in message(client, user, -1, api_name="/recommend_outfits")  # the slider
    assert "at most 200 characters" in message(client, "all", long, api_name="/catalog_search")
    assert "no shopper" in message(client, "nobody", "", "top", 2, 1.0, 5, 0, "", 0.25, api_name="/design")
    assert "less than minimum value 1" in message(client, user, "", "top", -4, 1.0, 5, 0, "", 0.25, api_name="/design")
    assert "Seed" in message(client, user, "", "top", 2, 1.0, 5, -7, "", 0.25, api_name="/design")
    assert "no item" in message(client, user, "", "top", 2, 1.0, 5, 0, "bogus", 0.25, api_name="/design")
    # still serving
    gallery, _ = client.predict(None, top, "", 2, api_name="/complete_look")
    assert len(gallery) == 2


def test_transparent_pictures_are_read_on_white():
    """A cut-out product PNG (transparent around the garment) is put on white, not on black."""
    from stylist_app.ui.common import open_image

    cutout = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    cutout.paste((200, 30, 30, 255), (16, 16, 48, 48))
    for value in (cutout, np.asarray(cutout), cutout.convert("LA")):
        img = open_image(value, "picture")
        assert img.mode == "RGB" and img.getpixel((2, 2)) == (255, 255, 255)
    assert open_image(cutout).getpixel((32, 32)) == (200, 30, 30)
    palette = cutout.convert("P")  # a GIF-style palette picture with a transparent index
    palette.info["transparency"] = palette.getpixel((0, 0))
    assert open_image(palette).getpixel((2, 2)) == (255, 255, 255)

"""The photo reader: label mappings of the real sources, readings and their corrections, what is not readable,
and the engine's upload paths following a corrected reading."""
import csv

import numpy as np
import pytest
from PIL import Image

from conftest import SHARED_DATA
from stylist_app.errors import BadInput
from stylist_app.evaluate import reader as reader_eval
from stylist_app.models import reader

MANGO_CSV = SHARED_DATA / "mango-2023" / "datathon" / "dataset" / "product_data.csv"


def mango_row(**kw):
    row = {"des_product_category": "Tops", "des_product_aggregated_family": "T-shirts", "des_product_family": "T-shirt",
           "des_product_type": "T-Shirt", "des_color_specification_esp": "NEGRO", "des_fabric": "K-CIRCULAR"}
    return {**row, **kw}


def test_mango_labels_map_onto_ours():
    assert reader_eval.mango_labels(mango_row()) == {
        "garment": True, "slot": "top", "fine_type": ("t-shirt",), "colour": "black", "colour_family": "neutral",
        "material": ("jersey",)}
    jacket = reader_eval.mango_labels(mango_row(des_product_category="Outerwear", des_product_family="Jackets",
                                                des_product_type="Jacket", des_fabric="J-JEANS",
                                                des_color_specification_esp="TEJANO OSCURO"))
    assert jacket["slot"] == "outerwear" and jacket["fine_type"] == ("denim jacket",) and jacket["colour"] == "navy"
    woven_jacket = reader_eval.mango_labels(mango_row(des_product_category="Outerwear", des_product_family="Jackets",
                                                      des_product_type="Jacket", des_fabric="P-PLANA"))
    assert "fine_type" not in woven_jacket  # a woven "Jacket" names no type of ours
    gold = reader_eval.mango_labels(mango_row(des_product_category="Accesories, Swim and Intimate",
                                              des_product_family="Jewellery", des_product_type="Earrings",
                                              des_color_specification_esp="ORO", des_fabric="C-COMPLEMENTOS"))
    assert gold == {"garment": True, "slot": "accessory"}  # no type, no colour (metallic), no fabric
    assert reader_eval.mango_labels(mango_row(des_product_category="Home", des_product_family="Bedding")) == \
        {"garment": False}
    assert reader_eval.mango_labels(mango_row(des_product_category="Accesories, Swim and Intimate",
                                              des_product_family="Gadgets"))["garment"] is None
    swim = reader_eval.mango_labels(mango_row(des_product_category="Accesories, Swim and Intimate",
                                              des_product_family="Swimwear", des_product_type="Bikini top"))
    assert swim["garment"] is True and "slot" not in swim
    wallet = reader_eval.mango_labels(mango_row(des_product_category="Accesories, Swim and Intimate",
                                                des_product_family="Wallets & cases", des_product_type="Wallet"))
    assert wallet["slot"] == "bag"
    # every mapped type belongs to the slot it is mapped under, every colour to our palette
    for kind, types in reader_eval.MANGO_TYPES.items():
        assert len({reader.TYPE_BY_NAME[t].slot for t in types}) == 1, kind
    assert set(reader_eval.MANGO_COLOURS.values()) <= set(reader.COLOUR_BY_NAME)


@pytest.mark.skipif(not MANGO_CSV.is_file(), reason="../shared/data/mango-2023 is not here")
def test_every_real_mango_product_maps():
    with open(MANGO_CSV, newline="", encoding="utf-8") as f:
        labels = [reader_eval.mango_labels(r) for r in csv.DictReader(f)]
    garments = [x for x in labels if x["garment"]]
    assert sum(x["garment"] is False for x in labels) == 91 - 11  # Home and Beauty but Home's 11 pyjama sweaters
    assert sum("slot" in x for x in garments) / len(garments) > 0.95
    assert sum("fine_type" in x for x in garments) / len(garments) > 0.8
    assert sum("colour" in x for x in garments) / len(garments) > 0.85


def test_folder_labels_from_category_and_color_columns():
    from stylist_app.data.schema import Item

    item = Item(id="1", slot="top", category="Tshirts", title="x", attributes={"color": "Navy Blue"}, image=None)
    assert reader_eval.folder_labels(item) == {"garment": True, "slot": "top", "fine_type": ("t-shirt",),
                                               "colour": "navy", "colour_family": "neutral"}
    item = Item(id="2", slot="shoes", category="Flip Flops", title="x", attributes={"color": "Multi"}, image=None)
    assert reader_eval.folder_labels(item) == {"garment": True, "slot": "shoes", "fine_type": ("sandals",)}


def test_scores_count_refusals_apart_and_leave_unmapped_labels_out():
    r = reader.Reading("top", "t-shirt", "black", "neutral", "solid", "jersey")
    refused = reader.Reading("bag", "tote", "red", "bright", "solid", "canvas", problem="unsure")
    labels = {"a": {"garment": True, "slot": "top", "fine_type": ("t-shirt", "polo"), "colour": "navy"},
              "b": {"garment": True, "slot": "top"}, "c": {"garment": False}}
    out = reader_eval.score({"a": r, "b": refused, "c": refused}, labels)
    assert out["slot"] == {"accuracy": 0.5, "n": 2} and out["fine_type"] == {"accuracy": 1.0, "n": 1}
    assert out["colour"] == {"accuracy": 0.0, "n": 1} and "material" not in out
    assert out["unreadable_share"] == 0.5 and out["non_garment_unreadable_share"] == 1.0


def test_a_correction_keeps_a_reading_consistent():
    r = reader.Reading("top", "t-shirt", "black", "neutral", "solid", "jersey", {"fine_type": 0.9})
    assert r.words() == "black plain jersey t-shirt" and r.describe() == "Read as: black plain jersey t-shirt (top) · 90 %"
    fixed = r.correct(fine_type="jeans", colour="navy")
    assert (fixed.slot, fixed.fine_type, fixed.colour_family) == ("bottom", "jeans", "neutral")
    assert "set by you" in fixed.describe() and set(fixed.corrected) == {"fine_type", "colour"}
    assert r.correct(slot="bag").fine_type is None  # a t-shirt is no bag
    assert r.correct(slot="top", colour="").colour == "black"  # "" leaves an attribute as read
    with pytest.raises(BadInput, match="not a colour"):
        r.correct(colour="plaid")
    unreadable = reader.Reading(problem="blank")
    with pytest.raises(BadInput, match="which slot"):
        unreadable.correct(colour="red")
    assert unreadable.correct(fine_type="coat").readable


def test_colour_is_read_from_the_garment_not_the_background():
    img = np.full((200, 160, 3), (236, 233, 226), np.uint8)  # an off-white studio background
    img[40:170, 40:120] = (32, 44, 84)  # a navy garment
    votes, cover = reader.garment_colours(Image.fromarray(img))
    assert reader.COLOURS[votes.argmax()].name == "navy" and 0.2 < cover < 0.5
    white_shirt = np.full((200, 160, 3), (236, 233, 226), np.uint8)
    white_shirt[40:170, 40:120] = (250, 250, 250)
    white_shirt[40:170, 40:42] = white_shirt[40:170, 118:120] = (150, 150, 150)  # its outline
    white_shirt[40:42, 40:120] = white_shirt[168:170, 40:120] = (150, 150, 150)
    votes, _ = reader.garment_colours(Image.fromarray(white_shirt))
    assert reader.COLOURS[votes.argmax()].name == "white"


def test_transparent_pictures_are_put_on_white():
    cutout = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    cutout.paste((200, 30, 30, 255), (16, 16, 48, 48))
    for picture in (cutout, cutout.convert("LA")):
        rgb = reader.on_white(picture)
        assert rgb.mode == "RGB" and rgb.getpixel((2, 2)) == (255, 255, 255)
    votes, _ = reader.garment_colours(reader.on_white(cutout))
    assert reader.COLOURS[votes.argmax()].name == "red"


def test_augmented_pictures_keep_the_garment_and_its_colour(small_wardrobe):
    item = next(i for i in small_wardrobe.items.values() if i.image.attrs.get("pattern") == "solid")
    picture = item.load_image()
    for seed in range(3):
        out = reader.augment(picture, np.random.default_rng(seed))
        assert out.mode == "RGB" and out.width == picture.width and out.height >= picture.height
        votes, cover = reader.garment_colours(out)
        assert cover > 0.02
        assert reader.COLOURS[votes.argmax()].family == reader.COLOUR_BY_NAME[item.image.attrs["colour"]].family


# ------------------------------------------------------------------ the engine, with a reader trained on the small world
@pytest.fixture(scope="module")
def engine(small_dir, small_wardrobe, tmp_path_factory, add_small_reader):
    from stylist_app.engine import StylistEngine
    from stylist_app.models import akd
    from test_akd import FAST

    out = tmp_path_factory.mktemp("reader")
    akd.train(small_wardrobe, out, device="cpu", config=FAST)
    return StylistEngine.from_checkpoints(add_small_reader(out), data=f"builtin:{small_dir}", device="cpu")


def test_not_readable_blank_and_tiny_pictures(engine):
    blank = engine.read(Image.new("RGB", (200, 260), (240, 238, 232)))
    assert not blank.readable and "blank" in blank.problem
    tiny = engine.read(Image.new("RGB", (10, 10), (20, 20, 20)))
    assert not tiny.readable and "10 x 10" in tiny.problem
    with pytest.raises(BadInput, match="too small"):
        engine.complete(Image.new("RGB", (10, 10), (20, 20, 20)), k=3)


def test_a_reading_and_its_correction_steer_complete(engine):
    w = engine.wardrobe
    top = w.items_in_slot("top")[0]
    picture = w.items[top].load_image()
    read = engine.read(picture)
    assert read.slot in reader.SLOTS and 0 < read.probability["slot"] <= 1  # a reading guesses, readable or not
    assert engine.read(picture) is read  # the same pixels are read once
    striped = {"slot": "top", "fine_type": "shirt", "colour": "navy", "pattern": "stripes", "material": "cotton"}
    plain = {"slot": "top", "fine_type": "hoodie", "colour": "red", "pattern": "solid", "material": "fleece"}
    a = engine.complete(picture, k=10, reading=striped)
    b = engine.complete(picture, k=10, reading=plain)
    assert a[0].reading.words() == "navy striped cotton shirt" and b[0].reading.words() == "red plain fleece hoodie"
    assert [m.item_id for m in a] != [m.item_id for m in b] or \
        [sorted(r.name for r in m.rules) for m in a] != [sorted(r.name for r in m.rules) for m in b]
    # the rules fire on the reading's words (their top side), and explain scores a pair as complete ranked it
    model = engine.model("akd")
    top_side = model.matcher.match_texts(["navy striped cotton shirt"])[0][0]
    names = [r.name for r in model.rules]
    for m in a:
        assert all(top_side[names.index(r.name)] for r in m.rules)
        e = engine.explain(picture, m.item_id, reading=striped)
        assert e.teacher_score == pytest.approx(m.teacher_score, abs=1e-4)
    # the look-alike shown is a catalog top of the read type
    if any(w.items[i].category == "shirt" for i in w.items_in_slot("top")):
        assert w.items[a[0].like].category == "shirt"
    with pytest.raises(BadInput, match="not a top"):
        engine.complete(picture, k=3, reading={**striped, "fine_type": "jeans"})


def test_eval_reader_on_a_folder_catalog_with_category_and_color_columns(tmp_path):
    """`stylist eval reader` on a shop-style folder: its category and color columns mapped to ours, each attribute
    reported with its count, the mapping written down (the shipped reader reads drawn pictures well)."""
    from pathlib import Path

    from stylist_app.data import load
    from stylist_app.data.builtin.render import render_item

    rows = [("1", "Jeans", "Navy Blue", {"category": "jeans", "colour": "navy", "pattern": "denim wash",
                                         "material": "denim"}),
            ("2", "Tshirts", "Red", {"category": "t-shirt", "colour": "red", "pattern": "solid", "material": "jersey"}),
            ("3", "Handbags", "Multi", {"category": "tote", "colour": "camel", "pattern": "solid",
                                        "material": "leather"})]
    (tmp_path / "img").mkdir()
    lines = ["id,image,title,category,color"]
    for iid, category, colour, attrs in rows:
        render_item({**attrs, "length": "regular", "seed": int(iid)}, 224).save(tmp_path / "img" / f"{iid}.jpg")
        lines.append(f"{iid},img/{iid}.jpg,Product {iid},{category},{colour}")
    (tmp_path / "items.csv").write_text("\n".join(lines) + "\n")
    checkpoints = Path(__file__).resolve().parents[1] / "checkpoints"
    out = reader_eval.evaluate(load(f"folder:{tmp_path}"), checkpoints, split="all", device="cpu")
    assert out["slot"]["n"] == 3 and out["fine_type"]["n"] == 2 and out["colour"]["n"] == 2  # "Handbags", "Multi": no type, no colour
    assert out["slot"]["accuracy"] == 1.0 and out["n_items"] == 3 and "colour" in out["mapping"]
    assert "non_garment_unreadable_share" not in out  # a shop catalog of garments only

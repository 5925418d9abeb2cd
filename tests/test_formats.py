"""Readers in stylist_app/data/formats.

Tiny fixtures in each format are written here into tmp_path (always run); the real samples in
../shared/data are checked when that folder exists and skipped cleanly when it does not.
"""
from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path

import pytest
from PIL import Image

from stylist_app.data import load, tasks
from stylist_app.data.formats.common import guess_type, hash_split, norm_id
from stylist_app.data.schema import SLOT_ORDER, SPLITS, DataError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# ---------------------------------------------------------------- helpers

def _image(path: Path, rgb=(180, 40, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), rgb).save(path)


def _csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _check_splits(w) -> None:
    """Splits partition the outfits and cold_items are exactly the items in no training outfit."""
    ids = [o for s in SPLITS for o in w.splits[s]]
    assert sorted(ids) == sorted(w.outfits)
    warm = {i for o in w.splits["train"] for i in w.outfits[o].items}
    assert set(w.splits["cold_items"]) == set(w.items) - warm


def _in_slot_order(w, outfit) -> bool:
    ranks = [SLOT_ORDER[w.items[i].slot] for i in outfit.items]
    return ranks == sorted(ranks)


# ---------------------------------------------------------------- shared helpers

@pytest.mark.parametrize("text, expected", [
    ("shirt dress", ("dress", "dress")),
    ("denim jacket", ("outerwear", "jacket")),
    ("boot cut jeans", ("bottom", "jeans")),
    ("versace jeans old clutch", ("bag", "clutch")),
    ("converse high-top sneaker", ("shoes", "sneakers")),
    ("T-Shirt", ("top", "t-shirt")),
    ("crop cami", ("top", "tank top")),
    ("Silk scarves", ("accessory", "scarf")),
    ("Tops", ("top", "top")),
    ("maybelline express mascara", None),
])
def test_guess_type(text, expected):
    assert guess_type(text) == expected


def test_hash_split_is_deterministic_and_80_10_10():
    keys = [f"outfit-{k}" for k in range(20000)]
    first = [hash_split(k) for k in keys]
    assert first == [hash_split(k) for k in keys]
    for split, share in (("train", 0.8), ("valid", 0.1), ("test", 0.1)):
        assert abs(first.count(split) / len(keys) - share) < 0.015


def test_norm_id():
    assert norm_id("189058595.0") == "189058595"
    assert norm_id(" 42 ") == "42"
    assert norm_id("a.0") == "a.0"


def test_spec_errors(tmp_path):
    with pytest.raises(DataError, match="needs a directory"):
        load("mango:")
    with pytest.raises(DataError, match="does not exist"):
        load(f"mango:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="unknown data spec"):
        load(f"nosuch:{tmp_path}")


# ---------------------------------------------------------------- mango

MANGO_COLUMNS = ["cod_modelo_color", "cod_color_code", "des_color_specification_esp", "des_agrup_color_eng",
                 "des_sex", "des_age", "des_line", "des_fabric", "des_product_category",
                 "des_product_aggregated_family", "des_product_family", "des_product_type", "des_filename"]
MANGO_PRODUCTS = [  # id, Spanish colour, group, fabric, category, aggregated family, family, type
    ("P1", "NEGRO", "GREY", "K-CIRCULAR", "Tops", "T-shirts", "T-shirt", "T-Shirt"),
    ("P2", "TEJANO OSCURO", "BLUE", "J-JEANS", "Bottoms", "Jeans", "Jeans", "Jeans"),
    ("P3", "ROSA PASTEL", "PINK", "P-PLANA", "Dresses, jumpsuits and Complete set", "Dresses and jumpsuits",
     "Dresses", "Dress"),
    ("P4", "MARRON", "BROWN", "L-PIEL", "Outerwear", "Jackets and Blazers", "Leather jackets", "Leather Jacket"),
    ("P5", "NEGRO", "GREY", "C-COMPLEMENTOS", "Accesories, Swim and Intimate", "Accessories", "Footwear",
     "Ankle Boots"),
    ("P6", "OFFWHITE", "WHITE", "C-COMPLEMENTOS", "Accesories, Swim and Intimate", "Accessories", "Bags", "Handbag"),
    ("P7", "ORO", "WHITE", "C-COMPLEMENTOS", "Accesories, Swim and Intimate", "Accessories", "Jewellery", "Earrings"),
    ("P8", "BEIGE", "WHITE", "T-TRICOT", "Home", "Swim and intimate", "Intimate", "Pyjiama Sweater"),
]
MANGO_SLOTS = {"P1": "top", "P2": "bottom", "P3": "dress", "P4": "outerwear", "P5": "shoes", "P6": "bag",
               "P7": "accessory", "P8": "accessory"}


def _mango(root: Path, n_outfits: int = 40) -> Path:
    dataset = root / "datathon" / "dataset"
    rows = []
    for k, (pid, esp, group, fabric, cat, agg, fam, kind) in enumerate(MANGO_PRODUCTS):
        name = f"datathon/images/2023_{pid}.jpg"
        _image(root / name, (30 * k, 80, 120))
        rows.append([pid, "01", esp, group, "Female", "Adult", "SHE", fabric, cat, agg, fam, kind, name])
    _csv(dataset / "product_data.csv", MANGO_COLUMNS, rows)
    outfit_rows = []
    for k in range(1, n_outfits + 1):  # listed out of slot order on purpose; P8 is in no outfit
        members = ("P7", "P5", "P2", "P1") if k % 2 else ("P6", "P4", "P3")
        outfit_rows += [[str(k), p] for p in members]
    _csv(dataset / "outfit_data.csv", ["cod_outfit", "cod_modelo_color"], outfit_rows)
    return root


def test_mango_fixture(tmp_path):
    w = load(f"mango:{_mango(tmp_path)}")
    assert len(w.items) == 8 and len(w.outfits) == 40
    assert {i: it.slot for i, it in w.items.items()} == MANGO_SLOTS
    assert w.outfits["1"].items == ("P1", "P2", "P5", "P7")
    assert w.outfits["2"].items == ("P3", "P4", "P6")
    assert all(_in_slot_order(w, o) for o in w.outfits.values())
    _check_splits(w)
    for split in SPLITS:
        assert all(hash_split(o) == split for o in w.splits[split])
    assert "P8" in w.splits["cold_items"]
    assert not w.users
    top = w.items["P1"]
    assert top.title == "black t-shirt" and top.category == "t-shirt"
    assert top.attributes == {"colour": "black", "colour_group": "grey", "family": "t-shirt", "type": "t-shirt",
                              "fabric": "jersey"}
    assert w.items["P2"].attributes["colour"] == "dark denim" and w.items["P2"].attributes["fabric"] == "denim"
    assert "fabric" not in w.items["P5"].attributes  # C-COMPLEMENTOS names no fabric
    assert isinstance(top.image, str) and top.load_image().size == (8, 8)
    assert load(f"mango:{tmp_path}").fingerprint() == w.fingerprint()


def test_mango_missing_column(tmp_path):
    _mango(tmp_path)
    path = tmp_path / "datathon" / "dataset" / "product_data.csv"
    rows = list(csv.reader(open(path)))
    _csv(path, rows[0][:-1], [r[:-1] for r in rows[1:]])
    with pytest.raises(DataError, match=r"product_data\.csv: missing column\(s\) des_filename"):
        load(f"mango:{tmp_path}")


def test_mango_unknown_product_in_outfit(tmp_path):
    _mango(tmp_path)
    path = tmp_path / "datathon" / "dataset" / "outfit_data.csv"
    with open(path, "a") as f:
        f.write("41,NOPE\n")
    with pytest.raises(DataError, match=r"outfit_data\.csv line \d+: outfit '41' names unknown product 'NOPE'"):
        load(f"mango:{tmp_path}")


def test_mango_empty_outfits(tmp_path):
    _mango(tmp_path)
    _csv(tmp_path / "datathon" / "dataset" / "outfit_data.csv", ["cod_outfit", "cod_modelo_color"], [])
    with pytest.raises(DataError, match=r"outfit_data\.csv: no outfits"):
        load(f"mango:{tmp_path}")


def test_mango_missing_image_is_counted_skip(tmp_path, caplog):
    _mango(tmp_path)
    (tmp_path / "datathon" / "images" / "2023_P1.jpg").unlink()
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"mango:{tmp_path}")
    assert "P1" not in w.items and len(w.outfits) == 40
    assert "left out 1 of 8 products whose image file is missing" in caplog.text


def test_mango_unreadable_image_fails_lazily(tmp_path):
    _mango(tmp_path)
    (tmp_path / "datathon" / "images" / "2023_P2.jpg").write_bytes(b"not a jpeg")
    w = load(f"mango:{tmp_path}")  # images are never opened at load time
    with pytest.raises(DataError, match="item 'P2': cannot read image .*2023_P2.jpg"):
        w.items["P2"].load_image()


# ---------------------------------------------------------------- maryland

MARYLAND = {  # split -> [(set_id, [item names])]; "-" marks an item whose image is missing
    "train": [("111", ["striped cotton shirt", "skinny jeans", "leather ankle boots", "maybelline mascara",
                       "-canvas tote bag"]),
              ("112", ["floral midi dress", "strappy sandals", "gold hoop earrings"])],
    "valid": [("113", ["wool coat", "black trousers", "red lipstick"])],
    "test": [("114", ["eau de toilette", "scented candle"]),
             ("115", ["cotton tee", "denim shorts", "white sneakers"])],
}


def _maryland(root: Path) -> Path:
    for split, outfits in MARYLAND.items():
        records = []
        for set_id, names in outfits:
            _image(root / "images" / set_id / "0.jpg")  # the collage
            items = []
            for index, name in enumerate(names, 1):
                if not name.startswith("-"):
                    _image(root / "images" / set_id / f"{index}.jpg")
                items.append({"index": index, "name": name.lstrip("-"), "price": 10.0, "likes": 3,
                              "image": f"data/images/{set_id}/{index}.jpg", "categoryid": 4})
            records.append({"name": "look", "views": 1, "items": items, "set_id": set_id, "likes": 1})
        _json(root / "label" / f"{split}_no_dup.json", records)
    return root


def test_maryland_fixture(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"maryland:{_maryland(tmp_path)}")
    assert len(w.items) == 11 and sorted(w.outfits) == ["111", "112", "113", "115"]
    assert w.outfits["111"].items == ("111_1", "111_2", "111_3")  # listed order
    assert [w.items[i].slot for i in w.outfits["112"].items] == ["dress", "shoes", "accessory"]
    assert w.items["113_1"].slot == "outerwear" and w.items["113_1"].category == "coat"
    assert w.items["111_1"].title == "striped cotton shirt"
    assert w.items["111_2"].image.endswith("images/111/2.jpg")
    assert w.splits["train"] == ["111", "112"] and w.splits["valid"] == ["113"] and w.splits["test"] == ["115"]
    _check_splits(w)
    assert "left out 1 items whose image file is missing and 4 whose name names no garment" in caplog.text
    assert "dropped 1 outfits" in caplog.text


def test_maryland_bad_json(tmp_path):
    _maryland(tmp_path)
    (tmp_path / "label" / "valid_no_dup.json").write_text('[{"set_id": "113", "items": [}]')
    with pytest.raises(DataError, match=r"valid_no_dup\.json: bad JSON at line 1"):
        load(f"maryland:{tmp_path}")


def test_maryland_empty_outfit(tmp_path):
    _maryland(tmp_path)
    _json(tmp_path / "label" / "test_no_dup.json", [{"set_id": "116", "items": []}])
    with pytest.raises(DataError, match=r"test_no_dup\.json: outfit '116' \(record 0\) has no items"):
        load(f"maryland:{tmp_path}")


def test_maryland_missing_field(tmp_path):
    _maryland(tmp_path)
    _json(tmp_path / "label" / "test_no_dup.json", [{"set_id": "116", "items": [{"index": 1}]}])
    with pytest.raises(DataError, match=r"test_no_dup\.json: outfit '116' \(record 0\) item 1 has no 'name' field"):
        load(f"maryland:{tmp_path}")


def test_maryland_no_label_files(tmp_path):
    (tmp_path / "label").mkdir()
    with pytest.raises(DataError, match="no label/"):
        load(f"maryland:{tmp_path}")


# ---------------------------------------------------------------- polyvore outfits

POLYVORE_META = {  # item_id -> metadata (1099 is in an outfit but not here)
    "1001": {"semantic_category": "tops", "category_id": 104, "title": "cotton tank", "description": "soft"},
    "1002": {"semantic_category": "bottoms", "category_id": 237, "title": "skinny jeans"},
    "1003": {"semantic_category": "shoes", "category_id": 42, "title": "ankle boots"},
    "1004": {"semantic_category": "bags", "category_id": 37, "title": "leather purse"},
    "1005": {"semantic_category": "all-body", "category_id": 4, "title": "midi dress"},
    "1006": {"semantic_category": "shoes", "category_id": 41, "title": "flat sandals"},
    "1007": {"semantic_category": "jewellery", "category_id": 62, "title": "gold necklace"},
    "1008": {"category_id": 11, "title": "cosy knit"},  # slot from categories.csv
    "1009": {"title": "pleated skirt"},  # slot from the title's keyword
    "1010": {"semantic_category": "shoes", "title": "white sneakers"},
    "1011": {"semantic_category": "tops", "title": "striped tee"},
    "1012": {"semantic_category": "bottoms", "title": "denim shorts"},
    "1013": {"semantic_category": "shoes", "title": "loafers"},
}
POLYVORE_OUTFITS = {
    "train": [("s1", ["1004", "1001", "1002", "1003"]), ("s2", ["1005", "1006", "1007"])],
    "valid": [("s3", ["1008", "1009", "1010"])],
    "test": [("s4", ["1011", "1012", "1013", "1099"])],
}


def _polyvore(root: Path) -> Path:
    _json(root / "polyvore_item_metadata.json", POLYVORE_META)
    (root / "categories.csv").write_text("category_id,sub_category,main_category\n11,sweater,tops\n37,purse,bags\n")
    for iid in POLYVORE_META:
        _image(root / "images" / f"{iid}.jpg")
    for split, outfits in POLYVORE_OUTFITS.items():
        _json(root / "nondisjoint" / f"{split}.json",
              [{"set_id": s, "items": [{"item_id": i, "index": k} for k, i in enumerate(ids, 1)]}
               for s, ids in outfits])
    _json(root / "disjoint" / "train.json", [{"set_id": "s1", "items": [{"item_id": "1001", "index": 1},
                                                                         {"item_id": "1002", "index": 2}]}])
    part = root / "nondisjoint"
    _json(part / "fill_in_blank_valid.json",
          [{"question": ["s3_1", "s3_2"], "blank_position": 3, "answers": ["s3_3", "s1_4", "s4_3", "s2_2"]}])
    _json(part / "fill_in_blank_test.json",
          [{"question": ["s4_2", "s4_3"], "blank_position": 1, "answers": ["s2_2", "s4_1", "s1_1", "s3_1"]},
           {"question": ["s4_1", "s4_2"], "blank_position": 4, "answers": ["s4_4", "s1_4", "s2_3", "s3_3"]}])
    (part / "compatibility_valid.txt").write_text("1 s3_1 s3_2 s3_3\n0 s1_2 s2_2 s4_3\n")
    (part / "compatibility_test.txt").write_text("1 s4_1 s4_2 s4_3\n1 s4_1 s4_4\n")
    return root


def test_polyvore_fixture(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"polyvore-outfits:{_polyvore(tmp_path)}")
    assert len(w.items) == 13 and len(w.outfits) == 4
    assert w.outfits["s1"].items == ("1001", "1002", "1003", "1004")  # slot order
    assert w.outfits["s4"].items == ("1011", "1012", "1013")  # 1099 has no metadata
    assert w.items["1008"].slot == "top" and w.items["1008"].category == "sweater"
    assert w.items["1009"].slot == "bottom" and w.items["1009"].category == "skirt"
    assert w.items["1005"].slot == "dress" and w.items["1007"].slot == "accessory"
    assert w.items["1001"].description == "soft" and w.items["1001"].image.endswith("images/1001.jpg")
    assert w.splits["train"] == ["s1", "s2"] and w.splits["test"] == ["s4"]
    _check_splits(w)
    assert "left out 1 items missing from the metadata" in caplog.text
    assert "fill_in_blank_test.json: left out 1 of 2 questions" in caplog.text
    fitb = w.given_tasks["fitb"]
    assert fitb["valid"] == [{"items": ["1008", "1009", "1010"], "position": 2,
                              "candidates": ["1010", "1003", "1013", "1006"]}]
    # the correct answer is the one from the question's own outfit, not answers[0]
    assert fitb["test"] == [{"items": ["1011", "1012", "1013"], "position": 0,
                             "candidates": ["1011", "1006", "1004", "1008"]}]
    compat = w.given_tasks["compat"]
    assert compat["valid"] == [{"items": ["1008", "1009", "1010"], "label": 1},
                               {"items": ["1001", "1006", "1013"], "label": 0}]
    assert compat["test"] == [{"items": ["1011", "1012", "1013"], "label": 1}]


def test_polyvore_disjoint(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"polyvore-outfits:{_polyvore(tmp_path)}:disjoint")
    assert list(w.outfits) == ["s1"] and w.splits["train"] == ["s1"] and not w.given_tasks
    assert "no outfit file for split(s) valid, test" in caplog.text


def test_polyvore_without_metadata_or_images(tmp_path, caplog):
    _polyvore(tmp_path)
    (tmp_path / "polyvore_item_metadata.json").unlink()
    for p in (tmp_path / "images").iterdir():
        p.unlink()
    (tmp_path / "images").rmdir()
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"polyvore-outfits:{tmp_path}")
    assert len(w.items) == 14 and all(i.slot == "accessory" and i.image is None for i in w.items.values())
    assert w.outfits["s1"].items == ("1004", "1001", "1002", "1003")  # the file's index order
    assert "no polyvore_item_metadata.json: 14 items" in caplog.text
    assert "no images/ folder: 14 items have no image" in caplog.text


def test_polyvore_bad_fitb_json(tmp_path):
    _polyvore(tmp_path)
    (tmp_path / "nondisjoint" / "fill_in_blank_valid.json").write_text('[{"question": ["s3_1"],\n "answers": ]')
    with pytest.raises(DataError, match=r"fill_in_blank_valid\.json: bad JSON at line 2"):
        load(f"polyvore-outfits:{tmp_path}")


def test_polyvore_bad_compat_line(tmp_path):
    _polyvore(tmp_path)
    (tmp_path / "nondisjoint" / "compatibility_valid.txt").write_text("1 s3_1 s3_2\nyes s3_1 s3_2\n")
    with pytest.raises(DataError, match=r"compatibility_valid\.txt line 2: expected 'label item item"):
        load(f"polyvore-outfits:{tmp_path}")


def test_polyvore_outfit_without_items_field(tmp_path):
    _polyvore(tmp_path)
    _json(tmp_path / "nondisjoint" / "valid.json", [{"set_id": "s3"}])
    with pytest.raises(DataError, match=r"valid\.json: outfit 's3' \(record 0\) has no 'items' field"):
        load(f"polyvore-outfits:{tmp_path}")


# ---------------------------------------------------------------- fashionvc

def _fashionvc(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "top_id.txt").write_text("11.0\n12.0\n13.0\n")
    (root / "top_text.txt").write_text("striped cotton shirt women fashion tops shirts\nwool sweater\nsilk blouse\n")
    (root / "bottom_id.txt").write_text("21.0\n22.0\n23.0\n24.0\n")
    (root / "bottom_text.txt").write_text(
        "skinny jeans\npleated skirt\nfloral dress women fashion dresses\nwide trousers\n")
    (root / "train_ijk_x.txt").write_text("11.0\t21.0\t22.0\n12.0\t22.0\t23.0\n11.0\t21.0\t24.0\n99.0\t21.0\t22.0\n")
    (root / "valid_ijk_x.txt").write_text("13.0\t23.0\t21.0\n")
    (root / "test_ijk_x.txt").write_text("12.0\t24.0\t98.0\n")
    (root / "extra_ijk_all.txt").write_text("13.0\t24.0\t22.0\n")
    _image(root / "images" / "11.jpg")
    return root


def test_fashionvc_fixture(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="stylist"):
        w = load(f"fashionvc:{_fashionvc(tmp_path)}")
    assert len(w.items) == 7
    assert [w.items[i].slot for i in ("11", "12", "13")] == ["top"] * 3
    assert w.items["23"].slot == "bottom" and w.items["23"].category == "dress"  # the source's role wins
    assert w.items["11"].category == "shirt" and w.items["11"].image.endswith("images/11.jpg")
    assert w.items["12"].image is None
    assert sorted(w.outfits) == ["11_21", "12_22", "12_24", "13_23", "13_24"]
    assert w.outfits["11_21"].items == ("11", "21")
    hashed = hash_split("13_24")  # from extra_ijk_all.txt, whose name says no split
    expected = {"train": ["11_21", "12_22"], "valid": ["13_23"], "test": ["12_24"]}
    expected[hashed].append("13_24")
    assert {s: w.splits[s] for s in SPLITS} == expected
    _check_splits(w)
    triplets = {"train": [("11", "21", "22"), ("12", "22", "23"), ("11", "21", "24")], "valid": [("13", "23", "21")]}
    triplets.setdefault(hashed, []).append(("13", "24", "22"))
    assert w.given_tasks["triplets"] == triplets
    assert "left out 1 triplets" in caplog.text and "kept 1 more only as outfits" in caplog.text


def test_fashionvc_misaligned_text(tmp_path):
    _fashionvc(tmp_path)
    (tmp_path / "bottom_text.txt").write_text("skinny jeans\npleated skirt\n")
    with pytest.raises(DataError, match=r"bottom_id\.txt has 4 lines but .*bottom_text\.txt has 2"):
        load(f"fashionvc:{tmp_path}")


def test_fashionvc_bad_triplet_line(tmp_path):
    _fashionvc(tmp_path)
    (tmp_path / "valid_ijk_x.txt").write_text("13.0\t23.0\t21.0\n13.0 23.0\n")
    with pytest.raises(DataError, match=r"valid_ijk_x\.txt line 2: expected 'top positive_bottom negative_bottom'"):
        load(f"fashionvc:{tmp_path}")


def test_fashionvc_no_usable_triplets(tmp_path):
    _fashionvc(tmp_path)
    for p in tmp_path.glob("*_ijk_*.txt"):
        p.write_text("99.0\t98.0\t97.0\n")
    with pytest.raises(DataError, match="no triplet names a top and bottom"):
        load(f"fashionvc:{tmp_path}")
    for p in tmp_path.glob("*_ijk_*.txt"):
        p.unlink()
    with pytest.raises(DataError, match="no triplet files"):
        load(f"fashionvc:{tmp_path}")


# ---------------------------------------------------------------- folder

def _folder(root: Path, outfits: bool = True) -> Path:
    elsewhere = root.parent / f"{root.name}-abs" / "a2.png"
    for name in ("a1", "a3", "a4", "a5"):
        _image(root / "img" / f"{name}.png")
    _image(elsewhere)
    _csv(root / "items.csv", ["id", "image", "title", "category", "color", "material", "slot"], [
        ["a1", "img/a1.png", "White linen shirt", "shirt", "white", "linen", ""],
        ["a2", str(elsewhere), "Blue jeans", "Bottoms", "blue", "denim", ""],
        ["a3", "img/a3.png", "Ankle boots", "boots", "black", "", ""],
        ["a4", "img/a4.png", "Silk square", "mystery", "red", "silk", "accessory"],
        ["a5", "img/a5.png", "Trucker", "denim jacket", "blue", "denim", ""],
    ])
    if outfits:
        _csv(root / "outfits.csv", ["outfit_id", "item_id", "position"],
             [["o1", "a3", "3"], ["o1", "a1", "1"], ["o1", "a2", "2"], ["o2", "a2", "1"], ["o2", "a5", "0"]])
    return root


def test_folder_fixture(tmp_path):
    w = load(f"folder:{_folder(tmp_path / 'cat')}")
    assert {i: it.slot for i, it in w.items.items()} == {"a1": "top", "a2": "bottom", "a3": "shoes",
                                                         "a4": "accessory", "a5": "outerwear"}
    assert w.items["a1"].attributes == {"color": "white", "material": "linen"}
    assert w.items["a3"].attributes == {"color": "black"}
    assert w.items["a5"].category == "denim jacket"
    assert w.items["a1"].load_image().size == (8, 8) and w.items["a2"].load_image().size == (8, 8)
    assert w.outfits["o1"].items == ("a1", "a2", "a3") and w.outfits["o2"].items == ("a5", "a2")
    _check_splits(w)


def test_folder_without_outfits(tmp_path):
    w = load(f"folder:{_folder(tmp_path / 'cat', outfits=False)}")
    assert len(w.items) == 5 and not w.outfits and not w.splits


def test_folder_slot_order_without_position(tmp_path):
    root = _folder(tmp_path / "cat")
    _csv(root / "outfits.csv", ["outfit_id", "item_id"], [["o1", "a3"], ["o1", "a5"], ["o1", "a1"]])
    assert load(f"folder:{root}").outfits["o1"].items == ("a1", "a5", "a3")


def test_folder_missing_column(tmp_path):
    root = _folder(tmp_path / "cat")
    _csv(root / "items.csv", ["id", "image", "title"], [["a1", "img/a1.png", "shirt"]])
    with pytest.raises(DataError, match=r"items\.csv: missing column\(s\) category"):
        load(f"folder:{root}")


def test_folder_unreadable_image(tmp_path):
    root = _folder(tmp_path / "cat")
    (root / "img" / "a3.png").unlink()
    with pytest.raises(DataError, match=r"items\.csv line 4: item 'a3': image 'img/a3.png' is not a readable file"):
        load(f"folder:{root}")


def test_folder_unknown_item_in_outfit(tmp_path):
    root = _folder(tmp_path / "cat")
    _csv(root / "outfits.csv", ["outfit_id", "item_id", "position"], [["o1", "a1", "1"], ["o1", "zz", "2"]])
    with pytest.raises(DataError, match=r"outfits\.csv line 3: outfit 'o1' names unknown item 'zz'"):
        load(f"folder:{root}")


def test_folder_empty_outfits(tmp_path):
    root = _folder(tmp_path / "cat")
    _csv(root / "outfits.csv", ["outfit_id", "item_id", "position"], [])
    with pytest.raises(DataError, match=r"outfits\.csv: no outfits"):
        load(f"folder:{root}")


SHOP_CATEGORIES = {  # category words of real shop catalogs (a 44k-product fashion shop's, among others) -> slot
    "Topwear": "top", "Tshirts": "top", "T-shirts": "top", "Kurtas": "top", "Kurtis": "top", "Tunics": "top",
    "Bottomwear": "bottom", "Jeans": "bottom", "Track Pants": "bottom", "Capris": "bottom", "Leggings": "bottom",
    "Dresses": "dress", "Sarees": "dress", "Nightdress": "dress", "Jumpsuit": "dress",
    "Jackets": "outerwear", "Blazers": "outerwear", "Waistcoat": "outerwear",
    "Footwear": "shoes", "Casual Shoes": "shoes", "Sports Shoes": "shoes", "Flip Flops": "shoes", "Heels": "shoes",
    "Sandal": "shoes", "Flats": "shoes",
    "Handbags": "bag", "Clutches": "bag", "Backpacks": "bag", "Waist Pouch": "bag",
    "Eyewear": "accessory", "Watches": "accessory", "Belts": "accessory", "Wallets": "accessory", "Caps": "accessory",
    "Headwear": "accessory", "Mufflers": "accessory", "Stoles": "accessory", "Dupatta": "accessory",
    "Jewellery": "accessory", "Cufflinks": "accessory", "Socks": "accessory", "Ties": "accessory",
}


def test_a_shop_style_catalog_imports(tmp_path):
    """`folder:` maps the category words real shops use to slots, without a slot column."""
    root = tmp_path / "shop"
    rows = []
    for k, category in enumerate(SHOP_CATEGORIES):
        _image(root / "images" / f"{k}.jpg")
        rows.append([str(1000 + k), f"images/{k}.jpg", f"Product {k}", category])
    _csv(root / "items.csv", ["id", "image", "title", "category"], rows)
    w = load(f"folder:{root}")
    assert {it.category: it.slot for it in w.items.values()} == SHOP_CATEGORIES


def test_folder_category_no_word_places_takes_the_slot_read_from_the_picture(tmp_path, monkeypatch):
    """A category the word table cannot place does not fail the import: the shipped photo reader reads the
    item's slot from its picture, the item is marked, and `data stats` counts it; without a reader the error
    says what to do."""
    from stylist_app.data.builtin.render import render_item
    from stylist_app.data.stats import wardrobe_stats

    root = _folder(tmp_path / "cat", outfits=False)
    render_item({"category": "jeans", "colour": "navy", "pattern": "denim wash", "material": "denim",
                 "length": "regular", "seed": 1}, 224).save(root / "img" / "jeans.png")
    _csv(root / "items.csv", ["id", "image", "title", "category"],
         [["a1", "img/jeans.png", "Thing", "gizmo"], ["a3", "img/a3.png", "Boots", "boots"]])
    w = load(f"folder:{root}")
    assert w.items["a1"].slot == "bottom" and w.items["a1"].attributes["slot_from"] == "picture"
    assert "slot_from" not in w.items["a3"].attributes
    assert wardrobe_stats(f"folder:{root}")["slot_from_picture"] == {"gizmo": 1}
    monkeypatch.setenv("STYLIST_CHECKPOINTS", str(tmp_path / "none"))
    with pytest.raises(DataError, match=r"1 items have a category no word places.*add a slot column"):
        load(f"folder:{root}")


def test_folder_bad_slot(tmp_path):
    root = _folder(tmp_path / "cat")
    _csv(root / "items.csv", ["id", "image", "title", "category", "slot"], [["a1", "img/a1.png", "T", "top", "hat"]])
    with pytest.raises(DataError, match=r"items\.csv line 2: item 'a1': slot 'hat' is not one of"):
        load(f"folder:{root}")


# ---------------------------------------------------------------- task generation on every source with outfits

FIXTURES = {
    "mango": (_mango, "all"),
    "maryland": (_maryland, "train"),
    "polyvore-outfits": (_polyvore, "train"),
    "fashionvc": (_fashionvc, "train"),
    "folder": (_folder, "all"),
}


@pytest.mark.parametrize("kind", FIXTURES)
def test_tasks_on_fixture(tmp_path, kind):
    make, split = FIXTURES[kind]
    w = load(f"{kind}:{make(tmp_path / 'src')}")
    questions = tasks.fitb_questions(w, split, seed=0, n_candidates=2)
    assert questions == tasks.fitb_questions(w, split, seed=0, n_candidates=2)
    for q in questions:
        assert q.items[q.position] == q.candidates[0] and set(q.candidates) <= set(w.items)
    pairs = tasks.compatibility_pairs(w, split, seed=0)
    assert len(pairs) == len(w.split_outfits(split)) > 0
    for p in pairs:
        assert [w.items[i].slot for i in p.positive] == [w.items[i].slot for i in p.negative]
    if w.items_in_slot("top") and len(w.items_in_slot("bottom")) >= 2:
        for top, bottom, negative in tasks.top_bottom_triplets(w, "train", seed=0):
            assert (w.items[top].slot, w.items[bottom].slot, w.items[negative].slot) == ("top", "bottom", "bottom")


def test_tasks_use_polyvore_given_questions(tmp_path):
    w = load(f"polyvore-outfits:{_polyvore(tmp_path)}")
    (q,) = tasks.fitb_questions(w, "test")
    assert q.candidates[0] == "1011" and q.context() == ("1012", "1013")
    (pair,) = tasks.compatibility_pairs(w, "valid")
    assert pair.positive == ("1008", "1009", "1010") and pair.negative == ("1001", "1006", "1013")


def test_tasks_use_fashionvc_given_triplets(tmp_path):
    w = load(f"fashionvc:{_fashionvc(tmp_path)}")
    assert tasks.top_bottom_triplets(w, "valid") == [("13", "23", "21")]


# ---------------------------------------------------------------- real samples in ../shared/data

def _shared(*parts) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"real sample {path} is not here")
    return path


def test_real_mango():
    root = _shared("mango-2023")
    dataset = root / "datathon" / "dataset"
    with open(dataset / "product_data.csv", newline="") as f:
        products = {r["cod_modelo_color"]: r for r in csv.DictReader(f)}
    with_image = {p for p, r in products.items() if (root / r["des_filename"]).is_file()}
    with open(dataset / "outfit_data.csv", newline="") as f:
        members: dict[str, set] = {}
        for r in csv.DictReader(f):
            members.setdefault(r["cod_outfit"], set()).add(r["cod_modelo_color"])
    expected_outfits = {o for o, m in members.items() if len(m & with_image) >= 2}

    start = time.perf_counter()
    w = load(f"mango:{root}")
    seconds = time.perf_counter() - start
    assert seconds < 10, f"Mango took {seconds:.1f} s to load"
    assert set(w.items) == with_image and set(w.outfits) == expected_outfits
    tops = sum(r["des_product_category"] == "Tops" for p, r in products.items() if p in with_image)
    assert len(w.items_in_slot("top")) == tops
    assert all(_in_slot_order(w, o) for o in w.outfits.values())
    _check_splits(w)
    for split, share in (("train", 0.8), ("valid", 0.1), ("test", 0.1)):
        assert abs(len(w.splits[split]) / len(w.outfits) - share) < 0.03


def test_real_maryland():
    root = _shared("formats", "maryland-polyvore")
    items, outfits = set(), set()
    for split in SPLITS:
        for record in json.loads((root / "label" / f"{split}_no_dup.json").read_text()):
            usable = {f"{record['set_id']}_{i['index']}" for i in record["items"]
                      if (root / "images" / record["set_id"] / f"{i['index']}.jpg").is_file()
                      and guess_type(i["name"]) is not None}
            items |= usable
            if len(usable) >= 2:
                outfits.add(record["set_id"])
    w = load(f"maryland:{root}")
    assert set(w.outfits) == outfits and set(w.items) == items
    assert all(w.outfits[o].items == tuple(sorted(w.outfits[o].items, key=lambda i: int(i.split("_")[1])))
               for o in w.outfits)
    _check_splits(w)


@pytest.mark.parametrize("version", ["", ":disjoint"])
def test_real_polyvore_outfits(version):
    root = _shared("formats", "polyvore-outfits")
    records = json.loads((root / (version[1:] or "nondisjoint") / "valid.json").read_text())
    w = load(f"polyvore-outfits:{root}{version}")
    assert set(w.outfits) == {r["set_id"] for r in records}
    assert set(w.items) == {i["item_id"] for r in records for i in r["items"]}
    lines = (root / (version[1:] or "nondisjoint") / "compatibility_valid.txt").read_text().split("\n")
    resolvable = [line for line in lines if line and all(x.split("_")[0] in w.outfits for x in line.split()[1:])]
    assert len(w.given_tasks["compat"]["valid"]) == len(resolvable) > 0
    _check_splits(w)


def test_real_fashionvc():
    root = _shared("formats", "fashionvc-triplets")
    tops = {norm_id(x) for x in (root / "top_id.txt").read_text().split()}
    bottoms = {norm_id(x) for x in (root / "bottom_id.txt").read_text().split()}
    pairs = set()
    for path in root.glob("*_ijk_*.txt"):
        for line in path.read_text().splitlines():
            top, pos, _ = (norm_id(x) for x in line.split())
            if top in tops and pos in bottoms:
                pairs.add(f"{top}_{pos}")
    w = load(f"fashionvc:{root}")
    assert len(w.items) == len(tops) + len(bottoms) and set(w.outfits) == pairs
    _check_splits(w)


REAL = {"mango": ("mango-2023",), "maryland": ("formats", "maryland-polyvore"),
        "polyvore-outfits": ("formats", "polyvore-outfits"), "fashionvc": ("formats", "fashionvc-triplets")}


@pytest.mark.parametrize("kind", REAL)
def test_tasks_on_real_sample(kind):
    w = load(f"{kind}:{_shared(*REAL[kind])}")
    split = max(SPLITS, key=lambda s: len(w.splits[s]))
    questions = tasks.fitb_questions(w, split, seed=0)
    assert all(q.items[q.position] == q.candidates[0] and len(q.candidates) == 4 for q in questions)
    pairs = tasks.compatibility_pairs(w, split, seed=0)
    assert all(len(p.positive) == len(p.negative) for p in pairs)
    if "compat" not in w.given_tasks:  # the Polyvore sample's own compatibility lines are all positives
        assert len(pairs) == len(w.splits[split]) > 0
    if kind == "mango":
        assert len(questions) > 0.9 * len(w.splits[split])
        assert len(tasks.fitb_questions(w, "test", seed=0, hard=True)) > 0
        assert len(tasks.top_bottom_triplets(w, "train", seed=0)) > 0

"""`stylist data ...` end to end, and bad input: one line on stderr, exit code 2."""
import json
import subprocess
import sys

import pytest
from PIL import Image

STYLIST = [sys.executable, "-m", "stylist_app.cli"]


def run(*args):
    return subprocess.run([*STYLIST, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args", [
    ["data", "build", "--out", "{tmp}/w", "--items", "-5"],
    ["data", "build", "--out", "{tmp}/w", "--outfits", "0"],
    ["data", "build", "--out", "{tmp}/w", "--items", "3"],
    ["data", "build", "--out", "{tmp}/afile/w"],
    ["data", "build", "--out", "{tmp}/w", "--observed", "0"],
    ["data", "build", "--out", "{tmp}/w", "--observed", "1.5"],
    ["data", "build", "--out", "{tmp}/w", "--observed", "half"],
    ["data", "build", "--out", "{tmp}/w", "--train-share", "0"],
    ["data", "build", "--out", "{tmp}/w", "--train-share", "-0.5"],
    ["data", "build", "--out", "{tmp}/w", "--train-share", "2"],
    ["data", "build", "--out", "{tmp}/w", "--outfits", "9"],
    ["data", "stats", "--data", "nonsense:{tmp}"],
    ["data", "stats", "--data", "builtin:{tmp}/missing"],
    ["data", "stats", "--data", "mango:{tmp}/missing"],
    ["data", "stats", "--data", "mango"],
    ["data", "sheet", "--data", "builtin:{tmp}/missing", "--out", "{tmp}/s.png"],
    ["data", "frobnicate"],
])
def test_bad_input_is_one_line_and_exit_2(args, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    r = run(*[a.format(tmp=tmp_path) for a in args])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylist"), r.stderr
    assert "Traceback" not in r.stderr


def test_stats_json_and_sheet(small_dir, tmp_path):
    out = tmp_path / "stats.json"
    r = run("data", "stats", "--data", f"builtin:{small_dir}", "--json", str(out))
    assert r.returncode == 0, r.stderr
    stats = json.loads(out.read_text())
    assert (stats["n_items"], stats["n_outfits"], stats["n_users"]) == (240, 400, 30)
    for scorer in (stats["oracle"], *stats["baselines"].values()):
        assert 0 <= scorer["fitb_accuracy"] <= 1 and 0 <= scorer["compat_auc"] <= 1
    assert set(stats["baselines"]) == {"cooccurrence", "rules_only"}
    for key in ("fitb_accuracy", "compat_auc"):
        assert 0 <= stats["oracle_visible"][key] <= 1
    assert 0 <= stats["false_negative_share"] <= 1
    assert {"true_items", "true_outfits", "recorded_purchases", "recorded_outfits"} <= set(stats["likes_per_shopper"])
    assert {"fibre", "weight", "occasion"} <= set(stats["stated_share"])
    assert "oracle" in r.stdout and "oracle_visible" in r.stdout and "FITB" in r.stdout and "false-negative" in r.stdout
    sheet = tmp_path / "sheet.png"
    r = run("data", "sheet", "--data", f"builtin:{small_dir}", "--out", str(sheet), "--n", "12")
    assert r.returncode == 0, r.stderr
    img = Image.open(sheet)
    assert img.width > 200 and len(img.convert("L").getcolors(maxcolors=1 << 16) or []) > 10  # pictures, not a blank page


def test_build_writes_a_readable_folder(tmp_path):
    r = run("data", "build", "--out", str(tmp_path / "w"), "--items", "100", "--outfits", "50", "--users", "5", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert f"builtin:{tmp_path / 'w'}" in r.stdout
    assert len(list((tmp_path / "w" / "images").glob("*.jpg"))) == 100


def test_build_knobs(tmp_path):
    """--observed and --train-share reach the world: all likes recorded; a quarter of the training outfits."""
    from stylist_app.data import load

    args = ["--items", "80", "--outfits", "100", "--users", "4", "--seed", "3"]
    r = run("data", "build", "--out", str(tmp_path / "w"), *args, "--observed", "1", "--train-share", "0.25")
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "w" / "wardrobe.json").read_text())
    assert meta["config"]["observed"] == 1.0 and meta["config"]["train_share"] == 0.25
    w = load(f"builtin:{tmp_path / 'w'}")
    assert len(w.splits["train"]) == 20 and len(w.splits["valid"]) == len(w.splits["test"]) == 10
    hidden = json.loads((tmp_path / "w" / "hidden" / "world.json").read_text())
    for u in hidden["users"]:
        assert set(w.users[u["id"]].purchases) == set(u["true_items"])
        assert set(w.users[u["id"]].liked_outfits) == set(u["true_outfits"])

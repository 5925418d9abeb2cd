"""`stylist bench` on tiny inputs: the JSON's keys and sane values (no timing assertions).

Quick AKD and Bi-LSTM checkpoints of the small studio wardrobe (thumbnail features) stand in for
the shipped ones; FND, DVBPR and the GAN have no checkpoint here, so their calls say skipped.
"""
import json
import shutil
import weakref
from pathlib import Path

import pytest
import torch

from stylist_app import bench, features
from stylist_app.cli import main
from stylist_app.engine import StylistEngine
from stylist_app.models import akd, bilstm

AKD_FAST = akd.Config(image_encoder="thumbnail", seeds=[0], epochs=1)
BILSTM_FAST = bilstm.Config(image_encoder="thumbnail", dim=32, min_count=3, epochs=1, batch_size=64)
TIMED = ("complete", "complete_upload", "explain", "build_outfit", "build_outfit_upload", "fill_in_blank",
         "score_outfit")


@pytest.fixture(scope="module")
def checkpoints(small_wardrobe, tmp_path_factory, add_small_reader):
    threads = torch.get_num_threads()
    out = tmp_path_factory.mktemp("bench-ckpt")
    akd.train(small_wardrobe, out, device="cpu", config=AKD_FAST)
    bilstm.train(small_wardrobe, out, device="cpu", config=BILSTM_FAST)
    add_small_reader(out)
    torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="module")
def calls(checkpoints, small_dir):
    threads = torch.get_num_threads()
    engine = StylistEngine.from_checkpoints(checkpoints, data=f"builtin:{small_dir}", device="cpu")
    yield bench.engine_calls(engine, repeats=2)
    torch.set_num_threads(threads)


def test_every_call_has_its_figures_beside_a_named_baseline(calls):
    for name in TIMED:
        c = calls[name]
        assert 0 < c["median_ms"] <= c["p95_ms"] and c["n"] == 2, name
        assert isinstance(c["baseline"], str) and c["baseline"] and c["baseline_median_ms"] > 0, name
        assert c["first_ms"] > 0 and c["ratio"] > 0, name
    for name in ("complete", "complete_upload"):
        assert 0 <= calls[name]["agreement@10"] <= 1


def test_calls_without_a_checkpoint_say_why(calls):
    assert "fnd" in calls["recommend_outfits"]["skipped"]
    assert "dvbpr" in calls["design"]["skipped"]


def test_scale_point_reports_recall_against_exact_search():
    out = bench.scale([2000])
    point = out["2000"]
    assert point["kind"] == "IndexFlatIP" and point["recall@10"] == 1.0
    assert point["build_s"] >= 0 and point["memory_mb"] > 0 and point["median_ms"] > 0
    assert point["baseline_median_ms"] > 0 and point["baseline"]


def test_timed_calls_the_baseline_alternately():
    order = []
    t = bench.timed(lambda: order.append("a"), repeats=3, warmup=1, baseline=lambda: order.append("b"))
    assert order == ["a", "b"] * 4 and t["n"] == 3 and t["p95_ms"] >= t["median_ms"] >= 0
    assert t["baseline_p95_ms"] >= t["baseline_median_ms"] >= 0 and "ratio" in t


def test_cli_writes_the_contract_keys(checkpoints, small_dir, tmp_path):
    out, threads = tmp_path / "bench.json", torch.get_num_threads()
    assert main(["bench", "--json", str(out), "--checkpoints", str(checkpoints), "--data", f"builtin:{small_dir}",
                 "--device", "cpu", "--repeats", "1", "--skip-scale"]) == 0
    torch.set_num_threads(threads)
    d = json.loads(out.read_text())
    assert {"calls", "startup_s", "peak_mb", "scale", "device"} <= set(d)
    assert set(TIMED) <= set(d["calls"]) and d["scale"] == {}
    assert d["startup_s"] > 0 and d["peak_mb"] > 0 and d["device"].startswith("cpu")


def test_cli_rejects_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--json", "x.json", "--sizes", "10,-3"])
    assert exit_.value.code == 2 and "sizes" in capsys.readouterr().err


def test_cold_start_serves_a_fresh_home_without_encoding():
    """`python app.py` in a fresh HOME (the shipped checkpoints and catalog files, the builtin wardrobe): the page
    answers, every tab's first call answers, and nothing was encoded or computed that the shipped files hold."""
    out = bench.cold_start(Path(__file__).resolve().parents[1] / "checkpoints")
    assert out["computed"] == [] and out["shipped_mb"] > 0
    assert set(out["first_call_s"]) == {"Complete the look", "Outfit builder", "Design canvas", "Rule attention",
                                        "For you", "Catalog"}
    assert out["first_page_s"] > 0 and out["warm_start_s"] > 0 and out["peak_mb"] > 0
    lines = " ".join(out["start_lines"])
    assert "catalog builtin loaded" in lines and "page built" in lines and "first calls prepared" in lines


def test_cache_build_ships_what_a_start_reads(checkpoints, small_dir, tmp_path, monkeypatch):
    """`stylist cache build` writes DIR/catalog; an engine started on it in a fresh cache computes nothing."""
    shipped = tmp_path / "ckpt"
    shutil.copytree(checkpoints, shipped)
    assert main(["cache", "build", "--checkpoints", str(shipped), "--data", f"builtin:{small_dir}"]) == 0
    files = sorted((shipped / features.SHIPPED).glob("*.safetensors"))
    assert files and all(f.stat().st_size < features.SHIPPED_FILE_BYTES for f in files)

    def computed(what, *args):
        raise AssertionError(f"computed instead of read from the shipped files: {what}")

    monkeypatch.setenv("STYLIST_CACHE", str(tmp_path / "fresh-cache"))
    monkeypatch.setattr(features, "_shipped", [])
    monkeypatch.setattr(features, "_live", weakref.WeakValueDictionary())
    monkeypatch.setattr(features, "announce", computed)
    threads = torch.get_num_threads()
    StylistEngine.from_checkpoints(shipped, data=f"builtin:{small_dir}", device="cpu").warm_up()
    torch.set_num_threads(threads)

"""`stylist experiment`: a tiny sweep of every experiment runs end to end and writes its JSON and plot; a
resumed run reuses finished points and recomputes only what is missing or stale."""
import dataclasses
import json
import subprocess
import sys

import pytest
from PIL import Image

import stylist_app.experiments as X

TINY_WORLD = dict(n_items=120, n_outfits=300)


def tiny(name: str, values=None) -> X.Experiment:
    """The experiment on a tiny world, one epoch per net, two knob values."""
    exp = X.EXPERIMENTS[name]
    world = {**TINY_WORLD, "n_users": 40} if exp.method in ("fnd", "dvbpr") else {**TINY_WORLD, "n_users": 0}
    train = dict(exp.train)
    if exp.method == "fnd":
        train.update(teacher_epochs=1, student_epochs=1)
    else:
        train["epochs"] = 1
    if exp.method == "dvbpr":
        train["baseline_epochs"] = 1
    if exp.knob == "n_users":
        world.pop("n_users")
        values = values or (20, 40)
    return dataclasses.replace(exp, world=world, train=train, values=values or exp.values[-2:])


@pytest.mark.parametrize("name", list(X.EXPERIMENTS))
def test_tiny_sweep_writes_json_and_plot(name, tmp_path):
    exp = tiny(name)
    summary = X.run(exp, tmp_path, seeds=1)
    saved = json.loads((tmp_path / f"{name}.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    assert saved["values"] == list(exp.values) and saved["seeds"] == [0] and saved["knob"] == exp.knob
    assert saved["hypothesis"] and saved["subsampled"] and saved["world"] == exp.world
    assert [p["value"] for p in saved["points"]] == list(exp.values)
    for point in saved["points"]:
        assert set(point["series"]) == set(exp.labels)  # every model the issue names, under its label
        for name_, figures in point["series"].items():
            for metric in exp.metrics:
                if name_ == "bpr" and metric == "cold_auc":
                    assert metric not in figures  # BPR cannot score cold items
                    continue
                assert 0 <= figures[metric] <= 1 and figures[f"{metric}_std"] == 0.0  # one seed: no spread
        for ref in ("oracle", "random"):
            assert set(exp.metrics) <= set(point[ref])
        assert set(point["seeds"]) == {"0"}
    # the oracle knows the hidden score: it beats random on the first metric at every point
    assert all(p["oracle"][exp.metrics[0]] > p["random"][exp.metrics[0]] for p in saved["points"])
    with Image.open(tmp_path / f"{name}.png") as img:
        assert img.width > 400 and img.height > 200
    assert not (tmp_path / f"{name}.work").exists()  # worlds and checkpoints of the points are removed
    # the About tab shows the plot with the hypothesis and the pair it is about, point by point
    import gradio as gr

    from stylist_app.ui.about import experiments

    with gr.Blocks() as demo:
        experiments(tmp_path)
    texts = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown)]
    images = [b for b in demo.blocks.values() if isinstance(b, gr.Image)]
    assert len(images) == 1 and any(exp.hypothesis in t and X.finding(saved) in t for t in texts)
    assert X.finding(saved).count(" ± ") == len(exp.values) + 1


def test_a_resumed_run_reuses_finished_points(tmp_path, monkeypatch):
    exp = tiny("akd-data", values=(0.5, 1.0))
    first = X.run(exp, tmp_path, seeds=1)
    calls = []

    def counted(exp_, value, seed, work, device="auto"):
        calls.append((value, seed))
        return real(exp_, value, seed, work, device)

    real = X.run_point
    monkeypatch.setattr(X, "run_point", counted)
    again = X.run(exp, tmp_path, seeds=1)
    assert calls == [] and again["points"] == first["points"]
    # a run killed after one point: only the missing point is computed
    (tmp_path / "akd-data.points" / "train_share=1-seed0.json").unlink()
    X.run(exp, tmp_path, seeds=1)
    assert calls == [(1.0, 0)]
    # more values or seeds add only their points; other settings make the old points stale
    X.run(dataclasses.replace(exp, values=(0.25, 0.5, 1.0)), tmp_path, seeds=1)
    assert calls == [(1.0, 0), (0.25, 0)]
    X.run(dataclasses.replace(exp, world={**exp.world, "n_outfits": 320}), tmp_path, seeds=1)
    assert calls[2:] == [(0.5, 0), (1.0, 0)]


def test_bad_requests_fail_before_any_work(tmp_path):
    from stylist_app.errors import BadInput

    with pytest.raises(BadInput, match="train_share=2"):
        X.run(dataclasses.replace(X.EXPERIMENTS["akd-data"], values=(0.5, 2.0)), tmp_path)
    with pytest.raises(BadInput, match="seeds"):
        X.run(X.EXPERIMENTS["akd-data"], tmp_path, seeds=0)
    assert not list((tmp_path).glob("*.points/*.json"))
    cli = [sys.executable, "-m", "stylist_app.cli", "experiment"]
    for args, said in ((["nope", "--out", str(tmp_path)], "invalid choice"),
                       (["dvbpr-data", "--out", str(tmp_path), "--values", "50.5"], "whole numbers"),
                       (["akd-data", "--out", str(tmp_path), "--values", "0,1"], "train_share=0")):
        run = subprocess.run(cli + args, capture_output=True, text=True)
        assert run.returncode == 2 and said in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_fnd_trains_only_the_students_asked_for(small_wardrobe, tmp_path):
    from stylist_app.errors import BadInput
    from stylist_app.models import fnd

    with pytest.raises(BadInput, match="served 'student'"):
        fnd.train(small_wardrobe, tmp_path, config=fnd.Config(seeds=[0], students=["student_no_kd"]), epochs=1)
    fnd.train(small_wardrobe, tmp_path, config=fnd.Config(seeds=[0], students=["student_no_kd", "student"]), epochs=1)
    bundle = fnd.load(tmp_path, small_wardrobe)
    assert set(bundle.runs["0"]) == {"teacher", "student_no_kd", "student"}
    with pytest.raises(BadInput, match="student_plain_kd"):
        from stylist_app.evaluate.fnd import evaluate
        evaluate(small_wardrobe, tmp_path)

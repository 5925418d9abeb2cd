"""AKD-DBPR: rule tables as data, the vectorised matcher, the teacher's projection, the ranking protocol,
train / evaluate / load, the engine."""
import dataclasses
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from stylist_app.checkpoints import CheckpointError
from stylist_app.data.schema import DataError, Item, Outfit, Rule, Wardrobe
from stylist_app.data.tasks import RankingTasks, ranking_tasks
from stylist_app.errors import BadInput
from stylist_app.evaluate import akd as akd_eval
from stylist_app.evaluate import ranking_metrics
from stylist_app.models import akd
from stylist_app.models.rules import RuleMatcher, conditions, generate_rules, load_rules, rules_for, save_rules

# Small and quick: thumbnail pictures, two seeds, two epochs.
FAST = akd.Config(image_encoder="thumbnail", seeds=[0, 1], epochs=2)


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    out = tmp_path_factory.mktemp("akd")
    akd.train(small_wardrobe, out, device="cpu", config=FAST)
    return out


@pytest.fixture(scope="module")
def metrics(small_wardrobe, trained):
    return akd_eval.evaluate(small_wardrobe, trained, device="cpu")


def test_rule_table_round_trips_and_bad_files_name_themselves(small_wardrobe, tmp_path):
    path = tmp_path / "rules.json"
    save_rules(small_wardrobe.rules, path)
    assert load_rules(path) == small_wardrobe.rules
    path.write_text(json.dumps([{"name": "x", "kind": "colour", "top": ["red"], "bottom": [], "polarity": 1}]))
    with pytest.raises(DataError, match="rules.json"):
        load_rules(path)


def test_an_edited_rules_file_beside_the_source_wins(small_wardrobe, tmp_path):
    mine = [Rule("red_with_blue", "colour", ("red",), ("blue",), 1, "Red goes with blue.")]
    save_rules(mine, tmp_path / "rules.json")
    assert rules_for(dataclasses.replace(small_wardrobe, source_dir=str(tmp_path))) == mine


def _listing(iid, slot, category, colour, group, fabric):
    return Item(iid, slot, category, f"{colour} {category}", fabric, {"colour": colour, "colour_group": group,
                                                                     "fabric": fabric})


def test_generated_rules_speak_the_sources_own_words():
    """Colour groups that no listing names become the colour words their items do state; rules are mined from outfits."""
    items = {}
    for n in range(40):
        items[f"t{n}"] = _listing(f"t{n}", "top", "shirt" if n % 2 else "sweater", ("ecru", "ivory", "navy", "ink")[n % 4],
                                  ("white", "white", "blue", "blue")[n % 4], ("woven", "knit")[n % 2])
        items[f"b{n}"] = _listing(f"b{n}", "bottom", "skirt" if n % 2 else "jeans", ("ecru", "ivory", "navy", "ink")[n % 4],
                                  ("white", "white", "blue", "blue")[n % 4], ("woven", "denim")[n % 2])
    outfits = {f"o{n}": Outfit(f"o{n}", (f"t{n}", f"b{n}")) for n in range(40)}
    w = Wardrobe("test", items, outfits, splits={"train": list(outfits)})
    conds = conditions(w)
    assert conds[("colour", "white")] == ("ecru", "ivory") and conds[("material", "knit")] == ("knit",)
    rules = generate_rules(w, min_expected=2.0)
    assert rules and {r.polarity for r in rules} == {-1, 1}
    assert len({r.name for r in rules}) == len(rules)
    by_name = {r.name: r for r in rules}
    assert by_name["knit_with_denim"].polarity == 1  # every knit top was worn with denim
    assert "no_knit_with_woven" in by_name


def test_matcher_fires_every_rule_on_a_batch_as_a_per_pair_loop_would(small_wardrobe):
    m = RuleMatcher(small_wardrobe.rules, small_wardrobe)
    tops, bottoms = small_wardrobe.items_in_slot("top")[:30], small_wardrobe.items_in_slot("bottom")[:30]
    fired = m.fires(tops, bottoms)

    def has(text, phrases):
        # whole words, where a hyphen joins words ("shirt" never matches "t-shirt")
        return any(re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text.lower()) for p in phrases)

    expect = [[has(small_wardrobe.items[t].text, r.top) and has(small_wardrobe.items[b].text, r.bottom)
               for r in m.rules] for t, b in zip(tops, bottoms)]
    assert (fired == np.array(expect)).all()
    top, bottom = m.match_texts(["A striped cotton shirt"])
    stripes = [n for n, r in enumerate(m.rules) if r.name == "no_stripes_on_stripes"][0]
    assert top[0, stripes] and bottom[0, stripes]


def test_teacher_is_the_student_projected_onto_the_fired_rules():
    rules = [Rule("a", "colour", ("red",), ("blue",), 1), Rule("b", "colour", ("red",), ("green",), -1)]
    config = akd.Config(image_dim=4, text_dim=3, hidden=2, rules=[akd.rule_to_dict(r) for r in rules])
    model = akd.DBPR(config, "akd_constant_lambda")
    model.polarity = torch.tensor([1.0, -1.0])
    u = torch.rand(3, model.latent_dim)
    fired = torch.tensor([[True, False], [True, True], [False, False]])
    bonus, lam = model.rule_bonus(u, u, fired)
    # equal confidences over the fired rules and the null rule: 1/2, then 1/3 each
    assert torch.allclose(lam, torch.tensor([[0.5, 0.0], [1 / 3, 1 / 3], [0.0, 0.0]]))
    assert torch.allclose(bonus, torch.tensor([3.0 * 0.5, 0.0, 0.0]))
    attentive = akd.DBPR(config, "akd")
    attentive.polarity = model.polarity
    lam = attentive.confidences(u, u, fired)
    assert (lam[~fired] == 0).all() and (lam.sum(1) < 1).all() and (lam[fired] > 0).all()


def test_config_reads_back_exactly_from_json():
    config = akd.Config(rules=[akd.rule_to_dict(Rule("a", "colour", ("red",), ("blue",), 1))])
    assert akd.Config(**json.loads(json.dumps(dataclasses.asdict(config)))) == config


def test_latents_and_scores_stay_float32_under_autocast():
    rule = akd.rule_to_dict(Rule("a", "colour", ("red",), ("blue",), 1))
    model = akd.DBPR(akd.Config(image_dim=4, text_dim=3, hidden=2, rules=[rule]), "akd")
    model.image, model.text = torch.randn(5, 4), torch.randn(5, 3)
    model.top_rules, model.bottom_rules = torch.ones(5, 1, dtype=torch.bool), torch.ones(5, 1, dtype=torch.bool)
    model.polarity = torch.tensor([1.0])
    rows = torch.arange(5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.rows_latent("top", rows).dtype == torch.float32
        assert model.pair_scores(rows, rows, "teacher").dtype == torch.float32


def test_ranking_tasks_put_the_worn_bottom_first_among_other_bottoms(small_wardrobe):
    tasks = ranking_tasks(small_wardrobe, "test", n_candidates=20)
    items = small_wardrobe.items
    assert len(tasks.tops) == len(tasks.candidates) == len(tasks.cold) > 0
    seen = {i for o in small_wardrobe.split_outfits("train") for i in o.items}
    assert list(tasks.cold) == [t not in seen for t in tasks.tops]
    for j, candidates, popular, same in zip(tasks.positives, tasks.candidates, tasks.popular_negatives,
                                             tasks.same_type_negatives):
        assert candidates[0] == j and len(candidates) == 21 and len(set(candidates)) == 21
        assert all(items[b].slot == "bottom" for b in candidates) and j not in (popular, same)
    same_type = [items[j].category == items[b].category for j, b in zip(tasks.positives, tasks.same_type_negatives)]
    assert np.mean(same_type) > 0.9
    with pytest.raises(DataError, match="no outfit"):
        ranking_tasks(dataclasses.replace(small_wardrobe, splits={**small_wardrobe.splits, "test": []}), "test")


def test_ranking_metrics_score_every_question_of_the_protocol():
    tasks = RankingTasks(tops=["t1", "t2"], positives=["a", "b"], negatives=["b", "a"],
                         candidates=[["a", "b", "c"], ["b", "a", "c"]], popular_negatives=["c", "c"],
                         same_type_negatives=["b", "a"], cold=np.array([True, False]))
    score = {("t1", "a"): 3, ("t1", "b"): 1, ("t1", "c"): 2, ("t2", "a"): 2, ("t2", "b"): 0, ("t2", "c"): 1}
    out = ranking_metrics(lambda tops, bottoms: [score[p] for p in zip(tops, bottoms)], tasks)
    # t1's worn bottom wins everywhere; t2's ranks last of three
    assert out == {"auc": 0.5, "mrr": pytest.approx(2 / 3), "hit@10": 1.0, "auc_hard": 0.5, "auc_same_type": 0.5,
                   "cold_start": {"auc": 1.0, "mrr": 1.0, "hit@10": 1.0}}


def test_training_takes_its_steps_on_each_variant(small_wardrobe, trained):
    entry = json.loads((trained / "manifest.json").read_text())["akd"]
    assert set(entry["metrics"]["valid"]) == {f"{v}_seed{s}" for v in akd.VARIANTS for s in (0, 1)}
    assert (trained / "akd.safetensors").stat().st_size < 5e6
    assert entry["config"]["rules"] == [akd.rule_to_dict(r) for r in small_wardrobe.rules]


def test_metrics_have_the_documented_keys_with_a_spread_over_seeds(metrics):
    for key in ("auc", "mrr", "hit@10", "auc_hard", "auc_same_type"):
        assert 0 <= metrics[key] <= 1 and f"{key}_std" in metrics
    if metrics["n_cold_triplets"]:
        assert set(metrics["cold_start"]) >= {"auc", "mrr", "auc_std", "mrr_std"}
    assert len(metrics["seeds"]) == 2 and metrics["n_triplets"] > 0
    assert set(metrics["baselines"]) == {"bpr", "dbpr", "rules_only", "akd_constant_lambda"}
    assert {"auc", "mrr"} <= set(metrics["oracle"]) and metrics["oracle"]["auc"] > 0.5
    check = metrics["attention_check"]
    assert check["n_agree"] > 0 and 0 <= check["confidence_contradict"] <= 1
    assert all(set(v) == {"margin", "spread", "met"} for v in metrics["targets"].values())


def test_rule_headroom_scores_the_dbpr_student_with_rules_added(metrics):
    headroom = metrics["rule_headroom"]["auc"]
    assert headroom["student"] == pytest.approx(metrics["baselines"]["dbpr"]["auc"])
    assert set(headroom) == {"student", "alpha_0.25", "alpha_0.5", "alpha_1.0", "fitted_on_valid"}
    assert all(0 <= v <= 1 for v in headroom.values())


def test_a_checkpoint_with_another_config_is_a_clear_error(small_wardrobe, trained, tmp_path):
    manifest = json.loads((trained / "manifest.json").read_text())
    manifest["akd"]["config"]["hidden"] += 1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "akd.safetensors").write_bytes((trained / "akd.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="stylist train akd"):
        akd.load(tmp_path, small_wardrobe, "cpu")


@pytest.fixture(scope="module")
def engine(small_dir, trained, add_small_reader):
    from stylist_app.engine import StylistEngine

    return StylistEngine.from_checkpoints(add_small_reader(trained), data=f"builtin:{small_dir}", device="cpu")


def test_complete_ranks_bottoms_with_their_rules(engine):
    w = engine.wardrobe
    top = w.items_in_slot("top")[0]
    found = engine.complete(top, k=5)
    assert len(found) == 5 and all(w.items[m.item_id].slot == "bottom" for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(r.fired and 0 < r.confidence < 1 for m in found for r in m.rules)
    jeans = engine.complete(top, k=3, category="jeans")
    assert all(w.items[m.item_id].category == "jeans" for m in jeans)
    upload = Image.new("RGB", (300, 400), (240, 238, 232))
    upload.paste((30, 40, 120), (60, 80, 240, 320))  # a navy block on a studio background: no garment to read
    with pytest.raises(BadInput, match="does not look like something worn|unsure|not a top"):
        engine.complete(upload, k=4)
    found = engine.complete(upload, k=4, text="for the office", reading={"fine_type": "shirt", "pattern": "stripes"})
    assert len(found) == 4 and found[0].reading.fine_type == "shirt" and "set by you" in found[0].reading.describe()


def test_a_persons_mistakes_are_bad_input(engine, small_wardrobe):
    w = engine.wardrobe
    top, bottom = w.items_in_slot("top")[0], w.items_in_slot("bottom")[0]
    for call, why in ((lambda: engine.complete(bottom, k=3), "not a top"),
                      (lambda: engine.complete("no-such-item", k=3), "no item"),
                      (lambda: engine.complete(top, k=0), "at least one"),
                      (lambda: engine.complete(3, k=3), "picture"),
                      (lambda: engine.complete(top, k=3, category="no-such-type"), "no bottoms of type"),
                      (lambda: engine.explain(top, top), "not a bottom"),
                      (lambda: engine.explain(top, "no-such-item"), "not a bottom")):
        with pytest.raises(BadInput, match=why):
            call()
    from stylist_app.engine import StylistEngine

    no_test = dataclasses.replace(small_wardrobe, splits={**small_wardrobe.splits, "test": []})
    with pytest.raises(BadInput, match="no outfit with a top and a bottom"):
        StylistEngine(no_test, engine.checkpoint_dir, engine.device, engine.models, {}).rule_overview("test")


def test_explain_with_the_words_of_complete_explains_the_pair_as_ranked(engine):
    """The words typed with a top fire rules in `complete`; `explain` given the same words scores the pair the same."""
    w = engine.wardrobe
    words = "a navy striped cotton shirt for the office, with jeans"
    for top in w.items_in_slot("top")[:3]:
        matches = engine.complete(top, k=5, text=words)
        for m in matches:
            e = engine.explain(top, m.item_id, text=words)
            assert e.teacher_score == pytest.approx(m.teacher_score, abs=1e-4)
            assert [r.name for r in e.rules if r.fired] == sorted([r.name for r in m.rules],
                                                                  key=[x.name for x in e.rules].index)


def test_explain_lists_every_rule(engine):
    w = engine.wardrobe
    top, bottom = w.items_in_slot("top")[1], w.items_in_slot("bottom")[1]
    e = engine.explain(top, bottom)
    model = engine.model("akd")
    assert [r.name for r in e.rules] == [r.name for r in model.rules]
    assert [r.fired for r in e.rules] == list(model.matcher.fires([top], [bottom])[0])
    assert e.teacher_score == pytest.approx(e.student_score + sum(r.contribution for r in e.rules), abs=1e-4)
    assert e.null_confidence + sum(r.confidence for r in e.rules) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        engine.explain(top, top)

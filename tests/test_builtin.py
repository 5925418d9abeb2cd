"""The builtin studio wardrobe: determinism, layout, a world worth modelling, no way to cheat."""
import ast
import hashlib
from pathlib import Path

import pytest

from stylist_app.data.builtin import WorldConfig, build_to_dir
from stylist_app.data.builtin.oracle import Oracle
from stylist_app.data.builtin.vocab import COLOURS, FINE_TYPES, PATTERNS
from stylist_app.data.schema import SLOTS

PACKAGE = Path(__file__).resolve().parents[1] / "stylist_app"


def tree_hash(directory: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(directory)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes(small_dir, small_config, tmp_path):
    again = build_to_dir(WorldConfig(**small_config), tmp_path / "again", workers=1)
    assert tree_hash(again) == tree_hash(small_dir)
    other_seed = {**small_config, "seed": small_config["seed"] + 1, "n_users": 2}
    other = build_to_dir(WorldConfig(**other_seed), tmp_path / "other", workers=1)
    assert (other / "items.jsonl").read_bytes() != (small_dir / "items.jsonl").read_bytes()


def test_layout_and_counts(small_dir, small_wardrobe, small_config):
    for name in ("wardrobe.json", "items.jsonl", "outfits.jsonl", "users.jsonl", "rules.json", "hidden/world.json"):
        assert (small_dir / name).is_file(), name
    w = small_wardrobe
    assert (len(w.items), len(w.outfits), len(w.users)) == (
        small_config["n_items"], small_config["n_outfits"], small_config["n_users"])
    assert {i.slot for i in w.items.values()} == set(SLOTS)
    assert all(3 <= len(o.items) <= 7 for o in w.outfits.values())
    for o in w.outfits.values():  # ordered by slot
        order = [SLOTS.index(w.items[i].slot) for i in o.items]
        assert order == sorted(order) and len(set(o.items)) == len(o.items)
    assert sum(len(w.splits[s]) for s in ("train", "valid", "test")) == len(w.outfits)
    cold = set(w.splits["cold_items"])
    assert cold and not cold & {i for o in w.split_outfits("train") for i in o.items}
    img = next(iter(w.items.values())).load_image()
    assert img.size == (224, 224) and img.mode == "RGB"
    assert 20 <= len(w.rules) <= 40 and {r.polarity for r in w.rules} == {-1, 1}
    assert all(u.purchases and u.liked_outfits for u in w.users.values())


def test_vocabulary_is_rich_enough():
    assert len(FINE_TYPES) >= 24 and len(COLOURS) >= 20
    assert {"solid", "stripes", "checks", "dots", "floral", "graphic", "animal", "denim wash", "knit"} <= set(PATTERNS)


def test_listings_state_only_some_attributes(small_wardrobe):
    items = list(small_wardrobe.items.values())
    stated = [len(i.attributes) for i in items]
    assert min(stated) < max(stated)  # some listings leave attributes unsaid
    assert all(i.title and i.description for i in items)
    assert len({i.title for i in items}) > 0.5 * len(items)


def test_models_cannot_see_hidden_truth(small_wardrobe):
    w = small_wardrobe
    assert not {"style", "hidden"} & set(vars(w))
    for item in w.items.values():
        assert not {"style", "hidden", "styles"} & (set(vars(item)) | set(item.attributes))
    for user in w.users.values():
        assert set(vars(user)) == {"id", "purchases", "liked_outfits"}


def test_no_model_code_imports_the_oracle():
    hidden = {"stylist_app.data.builtin.oracle", "stylist_app.data.builtin.styles", "stylist_app.data.builtin.world"}
    offenders = []
    for path in (PACKAGE / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n in hidden or n.endswith((".oracle", ".styles"))]
    assert not offenders, offenders


def test_default_world_is_worth_modelling(tmp_path, monkeypatch):
    """Oracle FITB in [0.75, 0.95], AUC in [0.85, 0.98]; co-occurrence >= 0.15 FITB below; rules-only below."""
    import stylist_app.data.builtin as builtin
    from stylist_app.data.stats import wardrobe_stats

    monkeypatch.setattr(builtin, "_render_all", lambda *a, **k: None)  # statistics need no pictures
    build_to_dir(WorldConfig(), tmp_path / "default")
    stats = wardrobe_stats(f"builtin:{tmp_path / 'default'}")
    assert (stats["n_items"], stats["n_outfits"], stats["n_users"]) == (5000, 10000, 500)
    oracle, base = stats["oracle"], stats["baselines"]
    assert 0.75 <= oracle["fitb_accuracy"] <= 0.95
    assert 0.85 <= oracle["compat_auc"] <= 0.98
    assert base["cooccurrence"]["fitb_accuracy"] <= oracle["fitb_accuracy"] - 0.15
    assert base["rules_only"]["fitb_accuracy"] < oracle["fitb_accuracy"]
    assert base["rules_only"]["compat_auc"] < oracle["compat_auc"]
    assert oracle["n_fitb"] > 500 and oracle["n_compat"] > 500


def test_oracle_prefers_true_outfits(small_wardrobe):
    oracle = Oracle.for_wardrobe(small_wardrobe)
    assert oracle is not None
    from stylist_app.data.tasks import compatibility_pairs

    pairs = compatibility_pairs(small_wardrobe, "train")
    better = sum(oracle.outfit_score(p.positive) > oracle.outfit_score(p.negative) for p in pairs)
    assert better > 0.8 * len(pairs)
    some_item = next(iter(small_wardrobe.items))
    assert set(oracle.true_attributes(some_item)) >= {"category", "colour", "pattern", "material"}


@pytest.mark.parametrize("kwargs", [dict(n_items=10), dict(n_outfits=3)])
def test_bad_sizes_are_refused(kwargs):
    with pytest.raises(ValueError):
        WorldConfig(**kwargs)


"""The builtin studio wardrobe: determinism, layout, a world worth modelling, no way to cheat."""
import ast
import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from stylist_app.data.builtin import WorldConfig, build_to_dir, read_dir
from stylist_app.data.builtin import styles as S
from stylist_app.data.builtin import texts
from stylist_app.data.builtin.oracle import Oracle
from stylist_app.data.builtin.rules import OCCASION_KEYWORDS, RULES
from stylist_app.data.builtin.vocab import COLOURS, FIBRES, FINE_TYPES, MATERIAL_FIBRES, OCCASIONS, PATTERNS, WEIGHTS
from stylist_app.data.builtin.world import generate, visible_beliefs
from stylist_app.data.schema import SLOTS, Wardrobe
from stylist_app.models.rules import RuleMatcher

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


def test_pictures_are_drawn_on_first_use(small_dir, small_config, tmp_path, monkeypatch):
    """A folder built without pictures draws each one the first time it is read, into the same bytes an eager
    build writes; features are keyed by what decides the picture, so drawing it does not change their key."""
    from stylist_app import features
    from stylist_app.data.builtin import Picture
    from stylist_app.ui.common import picture

    lazy = build_to_dir(WorldConfig(**small_config), tmp_path / "lazy", pictures=False)
    assert not list((lazy / "images").iterdir())
    w = read_dir(lazy)
    first = next(iter(w.items))
    assert isinstance(w.items[first].image, Picture)
    second = list(w.items)[1]
    drawn = np.asarray(w.items[second].load_image())  # drawn by this read
    assert np.array_equal(drawn, np.asarray(read_dir(lazy).items[second].load_image()))  # the same pixels read back
    assert picture(w, first) == str(lazy / "images" / f"{first}.jpg")  # a gallery's file, drawn now
    assert len(list((lazy / "images").iterdir())) == 2
    assert (lazy / "images" / f"{first}.jpg").read_bytes() == (small_dir / "images" / f"{first}.jpg").read_bytes()
    encoded = []
    monkeypatch.setattr(features, "encode_images", lambda enc, images, *a, **k: encoded.append(1) or np.stack(
        [np.asarray(i.resize((4, 4))).ravel() for i in images]).astype(np.float32))
    features.image_features(w, "thumbnail", cache_dir=tmp_path / "cache")  # reads (so draws) every picture
    assert len(list((lazy / "images").glob("*.jpg"))) == small_config["n_items"]
    features.image_features(read_dir(lazy), "thumbnail", cache_dir=tmp_path / "cache")
    assert len(encoded) == 1  # the same key, drawn or not
    eager = read_dir(small_dir)  # built by this code with its pictures: known by what decides them, too
    assert eager.items[first].image.identity == w.items[first].image.identity
    for item in w.items.values():  # a picture carries nothing a model may not see
        assert not set(item.image.attrs) & {"fibre", "weight", "occasion"}
        assert not any(f'"{fact}"' in item.image.identity for fact in ("fibre", "weight", "occasion"))


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
    assert 30 <= len(w.rules) <= 50 and {r.polarity for r in w.rules} == {-1, 1}
    assert {"category", "colour", "pattern", "material", "fibre", "weight", "occasion", "formality"} <= {r.kind for r in w.rules}
    assert all(len(u.purchases) >= 2 and len(u.liked_outfits) >= 2 for u in w.users.values())


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
        assert not {"style", "hidden", "styles", "seed", "colour2"} & (set(vars(item)) | set(item.attributes))
    for user in w.users.values():
        assert set(vars(user)) == {"id", "purchases", "liked_outfits"}


def _tokens(text: str) -> list[str]:
    """Words as a person reads them: letters, digits, % and hyphens ("t-shirt", "faux-leather" are one word)."""
    return re.findall(r"[a-z0-9%]+(?:-[a-z0-9%]+)*", text.lower())


def _says(text: str, phrase: str) -> bool:
    """Does `text` contain `phrase` as whole words (an implementation independent of the rule matcher)."""
    t, p = _tokens(text), _tokens(phrase)
    return any(t[k:k + len(p)] == p for k in range(len(t) - len(p) + 1))


def test_hidden_facts_are_stated_truthfully_and_only_sometimes(medium_wardrobe):
    """Fibre, weight and occasion reach a model only through the listing's words, never wrongly,
    at rates close to those the comments in texts.py take from real listings."""
    w = medium_wardrobe
    oracle = Oracle.for_wardrobe(w)
    items = list(w.items.values())
    for item in items:
        truth = oracle.true_attributes(item.id)
        assert {"fibre", "weight", "occasion"} <= set(truth)
        assert all(truth[k] == v for k, v in item.attributes.items()), item  # a listing never lies
    share = {k: np.mean([k in i.attributes for i in items]) for k in ("fibre", "weight", "occasion")}
    assert 0.45 <= share["fibre"] <= 0.7 and 0.3 <= share["occasion"] <= 0.5 and 0.17 <= share["weight"] <= 0.33, share
    fibre_phrases = {f: set(texts.FIBRE_WORDS[f]) | {p for (m, g), ws in texts.MATERIAL_FIBRE_WORDS.items() if g == f
                                                       for p in ws} for f in FIBRES}
    for item in items:
        truth, text = oracle.true_attributes(item.id), item.text
        for f, phrases in fibre_phrases.items():  # a fibre's own words appear only on that fibre
            if any(_says(text, p) for p in phrases):
                assert truth["fibre"] == f, (item.text, f)
        for o, keys in OCCASION_KEYWORDS.items():  # occasion words appear only on that occasion
            if any(_says(text, k) for k in keys):
                assert truth["occasion"] == o, (item.text, o)
        for weight, words in texts.WEIGHT_WORDS.items():
            if any(_says(text, x) for x in words):
                assert truth["weight"] == weight, (item.text, weight)
        if "fibre" in item.attributes:  # a stated fibre is in the text
            assert any(_says(text, p) for p in fibre_phrases[truth["fibre"]]), item.text
        if "occasion" in item.attributes:
            assert any(_says(text, k) for k in OCCASION_KEYWORDS[truth["occasion"]]), item.text
        if "weight" in item.attributes:
            assert any(_says(text, x) for x in texts.WEIGHT_WORDS[truth["weight"]]), item.text


def test_every_occasion_sentence_names_its_keyword():
    for occasion, sentences in texts.OCCASION_SENTENCES.items():
        for sentence in sentences:
            assert any(_says(sentence, k) for k in OCCASION_KEYWORDS[occasion]), sentence
            others = [k for o, ks in OCCASION_KEYWORDS.items() if o != occasion for k in ks]
            assert not any(_says(sentence, k) for k in others), sentence
    for phrase in [p for ps in texts.STYLE_PHRASES.values() for p in ps]:
        assert not any(_says(phrase, k) for ks in OCCASION_KEYWORDS.values() for k in ks), phrase


def test_hidden_facts_are_plausible(medium_config):
    """Drawn from type and style: a puffer is heavy, a tank top light, leggings for sport, a gown for the evening."""
    world = generate(WorldConfig(**{**medium_config, "n_outfits": 10, "n_users": 0, "n_items": 3000}))
    facts = Counter()
    for it in world.items:
        a = it["hidden"]["attrs"]
        facts[(a["category"], "weight", a["weight"])] += 1
        facts[(a["category"], "occasion", a["occasion"])] += 1
        facts[(a["category"], "all")] += 1

    def share(category, kind, value):
        return facts[(category, kind, value)] / facts[(category, "all")]

    assert share("puffer", "weight", "heavy") > 0.85 and share("coat", "weight", "heavy") > 0.8
    assert share("tank top", "weight", "light") > 0.8 and share("shorts", "weight", "light") > 0.8
    assert share("leggings", "occasion", "sport") > 0.6 and share("evening gown", "occasion", "evening") > 0.97
    assert share("blazer", "occasion", "work") > 0.5 and share("sandals", "occasion", "beach") > 0.35
    assert share("hoodie", "occasion", "work") < 0.05 and share("heels", "occasion", "sport") < 0.01
    for it in world.items:  # a fibre always fits its texture
        a = it["hidden"]["attrs"]
        assert a["fibre"] in MATERIAL_FIBRES[a["material"]]
    pairs = Counter((it["hidden"]["attrs"]["material"], it["hidden"]["attrs"]["fibre"]) for it in world.items)
    knits = {f for (m, f) in pairs if m == "knit"}
    assert {"cashmere", "acrylic"} <= knits  # the same drawn knit, different fibres


def test_hidden_terms_behave_like_real_outfits():
    """Weight coherence, occasion coherence and fibre pairings point the way stylists say."""
    t = S.style_tables()
    s = {name: S.STYLES.index(name) for name in S.STYLES}
    w, o, f = WEIGHTS.index, OCCASIONS.index, FIBRES.index
    for style in ("minimalist", "office", "preppy"):
        k = s[style]
        # a heavy coat over light pieces is worse than over mid ones; heavy with light is wrong between garments
        assert t.weight_layer[k, w("heavy"), w("light")] < t.weight_layer[k, w("heavy"), w("mid")]
        assert t.weight_pair[k, w("light"), w("heavy")] < -1
        assert t.occasion_pair[k, o("sport"), o("work")] < -1 < 0 < t.occasion_pair[k, o("work"), o("work")]
        assert t.fibre_pair[k, f("cashmere"), f("leather")] > 0.5 > 0 > t.fibre_pair[k, f("acrylic"), f("silk")]
        assert t.fibre_pair[k, f("linen"), f("wool blend")] < 0
    # style-dependent: grunge tolerates the light dress with heavy boots, street mixes sport into the weekend
    assert t.weight_pair[s["grunge"], w("light"), w("heavy")] > t.weight_pair[s["office"], w("light"), w("heavy")]
    assert t.occasion_pair[s["street"], o("sport"), o("weekend")] > t.occasion_pair[s["office"], o("sport"), o("weekend")]
    assert t.occasion_pref[s["office"], o("work")] > 1 and t.occasion_pref[s["sporty"], o("sport")] > 1
    assert t.fibre_pref[s["minimalist"], f("cashmere")] > 0 > t.fibre_pref[s["minimalist"], f("acrylic")]


def test_visible_beliefs_match_the_generator(medium_config):
    """The oracle restricted to pictures: exact expectations; with certain beliefs it is the full oracle."""
    world = generate(WorldConfig(**{**medium_config, "n_outfits": 10, "n_users": 0}))
    t, codes = S.style_tables(), world.codes
    soft = visible_beliefs(t, codes)
    for probs in soft.beliefs:
        assert np.allclose(probs.sum(1), 1, atol=1e-4) and (probs >= 0).all()
    pf, pw, po = soft.beliefs
    # calibrated: the mean belief in each fact matches how often it is true
    for probs, truth in ((pf, codes.fibre), (pw, codes.weight), (po, codes.occasion)):
        assert np.abs(probs.mean(0) - np.bincount(truth, minlength=probs.shape[1]) / len(truth)).max() < 0.06
        assert (probs[np.arange(len(truth)), truth]).mean() < 0.9  # and pictures leave real doubt
    gowns = codes.type == [ft.name for ft in FINE_TYPES].index("evening gown")
    assert (po[gowns, OCCASIONS.index("evening")] > 0.97).all()
    one_hot = codes.with_beliefs(*(np.eye(k)[c] for k, c in ((len(FIBRES), codes.fibre), (len(WEIGHTS), codes.weight),
                                                            (len(OCCASIONS), codes.occasion))))
    rng = np.random.default_rng(0)
    a, b = rng.integers(len(codes.type), size=(2, 1, 400))
    styles = np.arange(len(S.STYLES))[:, None]
    assert np.allclose(S.pair_score(t, codes, a, b, styles), S.pair_score(t, one_hot, a, b, styles), atol=1e-5)
    assert np.allclose(S.item_fit(t, codes, a, styles), S.item_fit(t, one_hot, a, styles), atol=1e-5)
    assert not np.allclose(S.pair_score(t, codes, a, b, styles), S.pair_score(t, soft, a, b, styles), atol=1e-2)


def test_render_never_reads_the_hidden_facts(small_dir):
    from stylist_app.data.builtin.render import render_item

    oracle = Oracle(small_dir)
    for iid in list(oracle.attrs)[:6]:
        a = oracle.true_attributes(iid)
        other = a | {"fibre": "acrylic", "weight": "heavy", "occasion": "beach"}
        assert render_item(a).tobytes() == render_item(other).tobytes()


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
    """Oracle FITB in [0.75, 0.95], AUC in [0.85, 0.98]; co-occurrence >= 0.15 FITB below; rules-only below;
    the oracle restricted to pictures measurably below the full one (words matter); shoppers who truly
    like dozens of items and hundreds of outfits, a fifth of them recorded."""
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
    visible = stats["oracle_visible"]
    assert visible["fitb_accuracy"] <= oracle["fitb_accuracy"] - 0.02
    assert visible["fitb_accuracy_hard"] <= oracle["fitb_accuracy_hard"] - 0.04
    assert visible["compat_auc"] < oracle["compat_auc"] and visible["compat_auc_hard"] < oracle["compat_auc_hard"]
    assert visible["fitb_accuracy"] > base["cooccurrence"]["fitb_accuracy"]
    likes = stats["likes_per_shopper"]
    assert 24 <= likes["true_items"]["mean"] <= 200 and 100 <= likes["true_outfits"]["mean"] <= 1000
    assert abs(likes["recorded_outfits"]["mean"] / likes["true_outfits"]["mean"] - 0.2) < 0.02
    assert 0.01 <= stats["false_negative_share"] <= 0.06  # 100 sampled negatives hold a few true likes


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



# ---------------------------------------------------------------- rules
def _vocabulary() -> set[str]:
    """Every phrase a listing may use (garment names, colours, patterns, textures, fibres, weights)."""
    tables = (texts.TYPE_WORDS, texts.COLOUR_WORDS, texts.PATTERN_WORDS, texts.MATERIAL_WORDS, texts.FIBRE_WORDS,
              texts.WEIGHT_WORDS, texts.MATERIAL_FIBRE_WORDS, texts.FIT_WORDS, texts.LENGTH_WORDS)
    return {w.lower() for table in tables for ws in table.values() for w in ws} | {t.name for t in FINE_TYPES}


def _matcher() -> RuleMatcher:
    return RuleMatcher(RULES, Wardrobe("rules-test", {}))


def test_rule_triggers_match_whole_words_only():
    """Every trigger fires on a listing that has it as a whole word, never on one that only contains it
    inside a longer word ("shirt" in "t-shirt" or "overshirt", "leather" in "faux-leather")."""
    m = _matcher()
    vocab = _vocabulary()
    checked = 0
    for r, rule in enumerate(RULES):
        for side, phrases in ((0, rule.top), (1, rule.bottom)):
            for w in phrases:
                assert m.match_texts([f"Buy {w}. Easy care. (x)"])[side][0, r], (rule.name, w)
                assert m.match_texts([f"{w.upper()}"])[side][0, r], (rule.name, w)
                longer = [f"t-{w}", f"over{w}", f"{w}-effect", f"{w}s", f"x{w}", f"{w}-look"]
                longer += [v for v in vocab if w in v and not _says(v, w)]  # e.g. "t-shirt" for "shirt"
                for text in longer:
                    expected = any(_says(text, p) for p in phrases)  # another phrase of the rule may be in it
                    assert m.match_texts([f"Buy {text} in stock."])[side][0, r] == expected, (rule.name, w, text)
                    checked += 1
    assert checked > 1000


def test_a_t_shirt_never_fires_a_shirt_rule(small_wardrobe):
    """The case of item-00723 (a t-shirt with chinos) in world v1."""
    m = RuleMatcher(small_wardrobe.rules, small_wardrobe)
    r = [x.name for x in small_wardrobe.rules].index("shirt_with_tailoring")
    tees = [i for i in small_wardrobe.items.values() if i.category == "t-shirt"]
    assert tees and not m.top_match[[m.index[i.id] for i in tees], r].any()
    top, bottom = m.match_texts(["Navy t-shirt. (t-shirt)", "Navy shirt. (shirt)", "Khaki chinos. (chinos)"])
    assert not top[0, r] and top[1, r] and bottom[2, r]


def test_rules_fire_as_the_words_say(small_wardrobe):
    """On every listing, the matcher agrees with a plain whole-word reading of every rule."""
    m = RuleMatcher(small_wardrobe.rules, small_wardrobe)
    for item in small_wardrobe.items.values():
        k = m.index[item.id]
        for r, rule in enumerate(small_wardrobe.rules):
            assert m.top_match[k, r] == any(_says(item.text, p) for p in rule.top), (item.text, rule.name)
            assert m.bottom_match[k, r] == any(_says(item.text, p) for p in rule.bottom), (item.text, rule.name)


# ---------------------------------------------------------------- shoppers and knobs
def test_shoppers_like_everything_above_a_threshold(medium_dir, medium_wardrobe, medium_config):
    w, oracle = medium_wardrobe, Oracle(medium_dir)
    n_items, n_outfits = len(w.items), len(w.outfits)
    recorded = []
    for uid, user in w.users.items():
        true_items, true_outfits = oracle.true_likes(uid)
        assert set(user.purchases) <= true_items and set(user.liked_outfits) <= true_outfits
        assert len(set(user.purchases)) == len(user.purchases)
        util = oracle.user_item_scores(uid)
        liked = np.array([oracle.index[i] for i in true_items])
        others = np.setdiff1d(np.arange(n_items), liked)
        assert util[liked].min() > util[others].max()  # everything above the threshold, nothing below (ties liked together)
        assert 0.008 * n_items - 1 <= len(true_items) <= 0.024 * n_items + 1
        assert 0.015 * n_outfits - 1 <= len(true_outfits) <= 0.045 * n_outfits + 1
        recorded.append((len(user.purchases) + len(user.liked_outfits)) / (len(true_items) + len(true_outfits)))
    assert abs(np.mean(recorded) - 0.2) < 0.05  # --observed 0.2 by default


def test_recorded_likes_are_in_a_random_order(medium_config):
    """Not in the order of the shopper's utility (world v1 wrote its Gumbel top-k ranking)."""
    from stylist_app.data.builtin.world import user_item_utility

    world = generate(WorldConfig(**{**medium_config, "n_outfits": 50, "n_users": 40, "observed": 1.0}))
    tables = S.style_tables()
    rhos = []
    for user in world.users:
        util = user_item_utility(tables, world.codes, np.array(user["styles"]), np.array(user["leaning"]))[user["purchases"]]
        assert sorted(user["purchases"]) == user["true_items"]  # observed 1: every true like is recorded
        rank = np.argsort(np.argsort(-util))
        rhos.append(np.corrcoef(rank, np.arange(len(rank)))[0, 1])
    assert abs(np.mean(rhos)) < 0.1 and np.std(rhos) > 0.15  # neither sorted nor reversed, varied per shopper


def test_observed_records_a_subset_and_changes_nothing_else(medium_config, tmp_path, monkeypatch):
    import stylist_app.data.builtin as builtin

    monkeypatch.setattr(builtin, "_render_all", lambda *a, **k: None)
    cfg = {**medium_config, "n_items": 300, "n_outfits": 300, "n_users": 12}
    dirs = {p: build_to_dir(WorldConfig(**cfg, observed=p), tmp_path / f"obs{p}") for p in (0.1, 0.2, 1.0)}
    for name in ("items.jsonl", "outfits.jsonl", "rules.json"):
        assert len({(d / name).read_bytes() for d in dirs.values()}) == 1, name
    w = {p: read_dir(d) for p, d in dirs.items()}
    oracle = Oracle(dirs[1.0])
    for uid in w[1.0].users:
        small, mid, full = (w[p].users[uid] for p in (0.1, 0.2, 1.0))
        assert set(full.purchases) == oracle.true_likes(uid)[0] and set(full.liked_outfits) == oracle.true_likes(uid)[1]
        assert set(small.purchases) <= set(mid.purchases) or len(small.purchases) <= 2  # nested, but at least two
        assert set(small.liked_outfits) <= set(mid.liked_outfits) or len(small.liked_outfits) <= 2


def test_train_share_keeps_a_share_of_training_outfits(medium_config, tmp_path, monkeypatch):
    import stylist_app.data.builtin as builtin

    monkeypatch.setattr(builtin, "_render_all", lambda *a, **k: None)
    cfg = {**medium_config, "n_items": 300, "n_outfits": 400, "n_users": 12}
    full = read_dir(build_to_dir(WorldConfig(**cfg), tmp_path / "full"))
    parts = {p: read_dir(build_to_dir(WorldConfig(**cfg, train_share=p), tmp_path / f"s{p}")) for p in (0.25, 0.5)}
    for p, w in parts.items():
        for split in ("valid", "test"):
            assert w.splits[split] == full.splits[split]
            assert all(w.outfits[o] == full.outfits[o] for o in w.splits[split])
        assert len(w.splits["train"]) == round(p * len(full.splits["train"]))
        assert set(w.splits["train"]) <= set(full.splits["train"])
        assert all(w.outfits[o] == full.outfits[o] for o in w.splits["train"])
        assert w.items.keys() == full.items.keys() and w.splits["cold_items"] == full.splits["cold_items"]
        assert all(set(u.liked_outfits) <= set(w.outfits) for u in w.users.values())
    assert set(parts[0.25].splits["train"]) <= set(parts[0.5].splits["train"])


@pytest.mark.parametrize("kwargs", [dict(observed=0), dict(observed=1.5), dict(observed=-0.2), dict(train_share=0),
                                    dict(train_share=1.01), dict(n_outfits=9), dict(n_users=-1)])
def test_bad_knobs_are_refused(kwargs):
    with pytest.raises(ValueError):
        WorldConfig(**kwargs)


def test_every_split_is_nonempty_at_the_smallest_size(tmp_path, monkeypatch):
    import stylist_app.data.builtin as builtin

    monkeypatch.setattr(builtin, "_render_all", lambda *a, **k: None)
    w = read_dir(build_to_dir(WorldConfig(n_items=56, n_outfits=10, n_users=2, train_share=0.1), tmp_path / "tiny"))
    assert [len(w.splits[s]) for s in ("train", "valid", "test")] == [1, 1, 1]

"""Bi-LSTM + VSE: the sequence likelihood, training and checkpoints, generation, evaluation and the engine.

Everything runs on the small studio wardrobe with `thumbnail` image features (no CNN), a few epochs.
"""
import dataclasses
import json
from collections import Counter
from dataclasses import replace
from functools import partial

import pytest
import numpy as np
import torch

from stylist_app.cli import main
from stylist_app.data.schema import SLOT_ORDER, SLOTS
from stylist_app.data.tasks import fitb_questions
from stylist_app.engine import StylistEngine
from stylist_app.errors import BadInput
from stylist_app.evaluate import bilstm as bilstm_eval
from stylist_app.models import bilstm

CONFIG = bilstm.Config(image_encoder="thumbnail", dim=32, min_count=3, epochs=2, batch_size=32, text_input=False)
# Text steering needs a VSE that has learnt the colours: on 240 items of 8x8 thumbnails that takes a stronger
# VSE loss, a higher lr and more epochs, and a stronger pull towards the words (text_weight).
TEXT_CONFIG = replace(CONFIG, epochs=10, patience=0, lr=5e-3, vse_weight=5.0, text_weight=3.0)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run faster on one torch thread, and far faster when other jobs share the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    out = tmp_path_factory.mktemp("bilstm-ckpt")
    entry = bilstm.train(small_wardrobe, out, device="cpu", config=CONFIG)
    return out, entry


@pytest.fixture(scope="module")
def bundle(trained, small_wardrobe):
    return bilstm.load(trained[0], small_wardrobe, "cpu")


@pytest.fixture(scope="module")
def model(bundle):
    return bundle.bilstm


@pytest.fixture(scope="module")
def steered_dir(small_wardrobe, tmp_path_factory):
    """A checkpoint trained with TEXT_CONFIG (10 epochs), for the text-steering and evaluation checks."""
    out = tmp_path_factory.mktemp("bilstm-text")
    bilstm.train(small_wardrobe, out, device="cpu", config=TEXT_CONFIG)
    return out


@pytest.fixture(scope="module")
def steered(steered_dir, small_wardrobe):
    return bilstm.load(steered_dir, small_wardrobe, "cpu")


def test_next_item_distribution_sums_to_one():
    """At every step, Pr over X plus the end marker is a distribution (the paper's softmax with x_{N+1} = 0)."""
    torch.manual_seed(0)
    m = bilstm.OutfitLSTM(replace(CONFIG, in_dim=8, dim=6, directions=["forward"])).eval()
    x = torch.randn(5, 6)
    with torch.no_grad():
        prefix = (3, 1)
        total = sum(m._next_item_logprobs("forward", x, [prefix + (r,)])[0, 2].exp() for r in range(5))
        end = m._next_item_logprobs("forward", x, [prefix])[0, 2].exp()  # the end marker after x_2
    assert float(total + end) == pytest.approx(1.0, abs=1e-5)
    padded = m._next_item_logprobs("forward", x, [(0, 1, 2, 3), (4,)])
    assert padded.shape == (2, 5) and (padded[1, 2:] == 0).all() and (padded <= 0).all()


def test_train_saves_vocab_and_baselines_and_loads(trained, small_wardrobe, bundle, model):
    out, entry = trained
    assert entry["config"]["vocab"] and entry["config"]["image_encoder"] == "thumbnail"
    assert set(entry["metrics"]["valid"]) == {"bilstm", "siamese", "vse_only", "forward_lstm", "pairwise_mlp", "word_space"}
    assert (out / "bilstm.safetensors").stat().st_size < 10e6
    assert isinstance(bundle, bilstm.Bundle) and not bundle.training and set(bundle.baselines) == {
        "siamese", "vse_only", "forward_lstm", "pairwise_mlp"}
    # the manifest holds every setting, and reads back exactly (no fix-up)
    filled = replace(CONFIG, vocab=entry["config"]["vocab"], in_dim=192)  # thumbnail features: 8 x 8 x 3
    assert bundle.config == bilstm.Config(**entry["config"]) == filled
    assert bilstm.Config(**json.loads(json.dumps(dataclasses.asdict(bundle.config)))) == bundle.config
    assert model.config.vocab == entry["config"]["vocab"]  # the bag of words is rebuilt from the checkpoint
    assert model.encode_text(["black"]).abs().sum() > 0 and model.encode_text(["zzzz"]).abs().sum() == 0
    slots = lambda o: [small_wardrobe.items[i].slot for i in o]  # noqa: E731
    outfits = [o.items for o in small_wardrobe.split_outfits("test") if len(set(slots(o.items))) == len(o.items)][:5]
    assert model.score_ids(outfits) == pytest.approx(model.score_ids([tuple(reversed(o)) for o in outfits]))


def test_same_command_same_checkpoint(trained, small_wardrobe, tmp_path):
    bilstm.train(small_wardrobe, tmp_path, device="cpu", config=CONFIG)
    assert (tmp_path / "bilstm.safetensors").read_bytes() == (trained[0] / "bilstm.safetensors").read_bytes()


def test_generation_keeps_queries_one_item_per_slot(model, small_wardrobe):
    table = model.table()
    slots = table.slot_list
    test = small_wardrobe.split_outfits("test")
    for queries in ([model.rows[test[0].items[0]]], [model.rows[i] for i in test[1].items[:2]]):
        steps, score = model.build(table, queries)
        rows = [s.row for s in steps]
        assert set(queries) <= set(rows) and [s.how for s in steps if s.row in queries] == ["query"] * len(queries)
        assert [slots[r] for r in rows] == sorted(set(slots[r] for r in rows))  # slot order, no slot twice
        assert score == pytest.approx(float(model.score_rows(table, [rows])[0]))
        assert all(s.row in [r for r, _ in s.alternatives] for s in steps if s.how == "generated")
    for length in (2, 5):
        assert len(model.build(table, [model.rows[test[0].items[0]]], length=length)[0]) == length
    with pytest.raises(BadInput, match="one item per slot"):
        tops = [r for r, s in enumerate(slots) if s == SLOT_ORDER["top"]][:2]
        model.build(table, tops)


def test_variety_spreads_builds_from_different_items_and_repeats_the_same_build(model, small_wardrobe):
    """Without words, the Gumbel noise fixed by the query pictures: the same query, the same outfit; over many queries
    the model's favourite items fill fewer of the outfits than with the plain beam search (variety 0)."""
    table = model.table()
    queries = [model.rows[o.items[0]] for o in small_wardrobe.split_outfits("train")[:40]]

    def top_share(variety):
        counts = Counter()
        for q in queries:
            counts.update((s.row for s in model.build(table, [q], variety=variety)[0] if s.how == "generated"))
        return counts.most_common(1)[0][1] / len(queries)

    assert top_share(2.0) < top_share(0.0)
    once, again = (model.build(table, queries[:1])[0] for _ in range(2))
    assert [s.row for s in once] == [s.row for s in again]
    assert model.variety_noise(table, queries[:1], 0.0) is None
    noise = model.variety_noise(table, queries[:1], 0.5)
    assert noise.shape == (len(table.vectors),) and torch.equal(noise, model.variety_noise(table, queries[:1], 0.5))
    assert not torch.equal(noise, model.variety_noise(table, queries[1:2], 0.5))
    # the draw does not hang on a vector's last bits (another machine or thread count encodes slightly differently)
    nudged = dataclasses.replace(table, vectors=table.vectors * (1 + 1e-6))
    assert torch.equal(noise, model.variety_noise(nudged, queries[:1], 0.5))


def test_generation_never_pairs_slots_no_training_outfit_pairs(bundle, small_wardrobe):
    """The slots the training outfits combine are learnt at load (a dress is never worn with a top there); a pair
    they never combine is never built, however strongly words pull."""
    model = bundle.bilstm
    train = small_wardrobe.split_outfits("train")
    seen = {(a, b) for o in train for a in {small_wardrobe.items[i].slot for i in o.items}
            for b in {small_wardrobe.items[i].slot for i in o.items}}
    together = model.slots_together
    assert all(bool(together[SLOT_ORDER[a], SLOT_ORDER[b]]) == ((a, b) in seen or a == b) for a in SLOTS for b in SLOTS)
    table = model.table()
    top = next(r for r in range(table.n_catalog) if table.slot_list[r] == SLOT_ORDER["top"])
    try:
        model.slots_together = together.clone()
        model.slots_together[SLOT_ORDER["top"], SLOT_ORDER["bottom"]] = False
        model.slots_together[SLOT_ORDER["bottom"], SLOT_ORDER["top"]] = False
        bottoms = (table.slots == SLOT_ORDER["bottom"]).float() * 50  # words that pull hard towards every bottom
        steps, _ = model.generate(table, [top], bonus=bottoms)
        assert SLOT_ORDER["bottom"] not in [table.slot_list[s.row] for s in steps]
    finally:
        model.slots_together = together


def test_text_steps_keep_the_query(model, small_wardrobe):
    table = model.table()
    query = model.rows[small_wardrobe.split_outfits("test")[0].items[0]]
    steps, _ = model.build(table, [query], "black")  # the words inside decoding
    assert steps[[s.row for s in steps].index(query)].how == "query"
    assert {s.how for s in steps} <= {"query", "generated"}
    swapped, _ = model.build(table, [query], "black", mode="update")  # the paper's f + v_q swap afterwards
    assert {s.how for s in swapped} <= {"query", "text"}
    with pytest.raises(BadInput, match="mode"):
        model.build(table, [query], "black", mode="sideways")
    only, _ = model.build(table, [], "black")
    assert sum(s.how == "query" for s in only) == 1  # the image nearest the text, kept
    with pytest.raises(BadInput, match="no word"):
        model.build(table, [query], "zzzz qqqq")


def test_text_moves_items_towards_the_words(steered, small_wardrobe):
    """Built from each test outfit's first item, with a colour word the generated items carry that colour (the
    listing's own attribute) at least twice as often (as a share) as the same queries' outfits built without text, pooled over
    the wardrobe's common colours the model knows. Ignoring the text would give equal shares."""
    w = small_wardrobe
    colours = Counter(item.attributes.get("colour") for item in w.items.values())
    words = [c for c, n in colours.most_common() if c and n >= 8 and steered.bilstm.knows(c)]
    assert len(words) >= 5
    table = steered.table()
    queries = [[steered.rows[o.items[0]]] for o in w.split_outfits("test")]
    plain = [steered.build_outfit(table, q) for q in queries]

    def share(outfits, colour) -> list[bool]:
        return [w.items[it.item].attributes.get("colour") == colour for o in outfits for it in o.items
                if it.how != "query"]

    with_text = [x for c in words for x in share([steered.build_outfit(table, q, c) for q in queries], c)]
    without_text = [x for c in words for x in share(plain, c)]
    assert len(with_text) > 100 and len(without_text) > 100  # the words may change how many items an outfit has
    assert np.mean(with_text) >= 2 * np.mean(without_text) > 0, (np.mean(with_text), np.mean(without_text))


def test_the_weight_of_the_words_moves_the_outfit_from_the_model_to_the_words(steered, small_wardrobe):
    """Weight 0 ignores the words (the outfit built without them); a large weight puts the asked colour on
    more of the generated items than the default; the match ranks items whose listing says the word first."""
    w = small_wardrobe
    table = steered.table()
    queries = [[steered.rows[o.items[0]]] for o in w.split_outfits("test")[:8]]
    colour = next(c for c, n in Counter(i.attributes.get("colour") for i in w.items.values()).most_common()
                  if c and steered.bilstm.knows(c))
    for q in queries:
        assert [i.item for i in steered.build_outfit(table, q, colour, words_weight=0).items] == \
            [i.item for i in steered.build_outfit(table, q).items]

    def carrying(weight) -> int:
        return sum(w.items[it.item].attributes.get("colour") == colour for q in queries
                   for it in steered.build_outfit(table, q, colour, words_weight=weight).items if it.how != "query")

    assert carrying(30) > carrying(0)
    top = torch.topk(steered.word_match(table, colour)[: table.n_catalog], 5).indices.tolist()
    assert sum(colour in w.items[table.names[r]].text.lower() for r in top) >= 4  # (which epoch is kept moves one)


def test_words_name_what_listings_state_and_only_carriers_fill_the_slots_that_have_them(steered, small_wardrobe):
    """`terms` learns from the listings which value a word names; `word_carriers` follows the listing where it states
    the attribute; with the gate every generated item carries the colour in slots where some item does (without it,
    GATE_PENALTY 0, no more do), and the gate costs words_weight x GATE_PENALTY to exactly the rows that miss it there."""
    w, table = small_wardrobe, steered.table()
    colour = next(c for c, n in Counter(i.attributes.get("colour") for i in w.items.values()).most_common()
                  if c and steered.bilstm.knows(c) and c in steered.terms())
    assert steered.terms()[colour] == {"colour": {colour}}
    carriers = steered.word_carriers(table, colour) > 0
    for row, name in enumerate(table.names[: table.n_catalog]):
        stated = w.items[name].attributes.get("colour")
        if stated is not None:
            assert bool(carriers[row]) == (stated == colour)
    assert steered.word_carriers(table, "zzz") is None
    able = {SLOTS[int(s)] for s in table.slots[: table.n_catalog][carriers[: table.n_catalog]]}
    queries = [[steered.rows[o.items[0]]] for o in w.split_outfits("test")[:8]]

    def carried(penalty) -> list[bool]:
        old, bilstm.GATE_PENALTY = bilstm.GATE_PENALTY, penalty
        try:
            outfits = [steered.build_outfit(table, q, colour) for q in queries]
        finally:
            bilstm.GATE_PENALTY = old
        return [bool(carriers[steered.rows[it.item]]) for o in outfits for it in o.items
                if it.how != "query" and it.slot in able]

    gated = carried(bilstm.GATE_PENALTY)
    assert len(gated) >= 8 and all(gated) and np.mean(gated) >= np.mean(carried(0.0))
    match = steered.word_match(table, colour)
    lost = (steered.bilstm.decoding_bonus(table, match, 5.0)
            - steered.bilstm.decoding_bonus(table, match, 5.0, carriers.float()))
    in_able = torch.tensor([SLOTS[int(s)] in able for s in table.slots])
    assert torch.allclose(lost, 5.0 * bilstm.GATE_PENALTY * (~carriers & in_able).float())


def test_the_gate_asks_each_slot_for_the_most_words_one_of_its_items_carries(steered):
    """Two words: in a slot where some item carries both, an item loses the gate once per word it lacks; in a slot
    where none carries both, only the items carrying neither lose it ("white dress": white shoes still count)."""
    table = steered.table()
    slots = table.slots[: table.n_catalog]
    counts = torch.zeros(len(table.names))
    first, second = slots.unique()[:2].tolist()
    rows_first, rows_second = (slots == first).nonzero().flatten(), (slots == second).nonzero().flatten()
    counts[rows_first[:3]] = torch.tensor([2.0, 1.0, 0.0])
    counts[rows_second[:2]] = torch.tensor([1.0, 0.0])
    match = torch.zeros(len(table.names))
    lost = -steered.bilstm.decoding_bonus(table, match, 2.0, counts) / (2.0 * bilstm.GATE_PENALTY)
    assert lost[rows_first[:3]].tolist() == [0.0, 1.0, 2.0] and float(lost[rows_first[3:]].min()) == 2.0
    assert lost[rows_second[:2]].tolist() == [0.0, 1.0] and float(lost[rows_second[2:]].max()) == 1.0


def test_picture_readings_decide_where_the_listing_is_silent_and_one_word_values_name_themselves(steered_dir,
                                                                                                small_wardrobe):
    """Where a listing does not state an item's colour, the picture's reading (`set_picture_readings`) decides
    whether it carries a colour word; a stated colour still wins over the reading; a one-word value no listing word
    names is named by itself."""
    w = small_wardrobe
    fresh = bilstm.load(steered_dir, w, "cpu")
    table = fresh.table()
    colour = next(c for c, n in Counter(i.attributes.get("colour") for i in w.items.values()).most_common()
                  if c and fresh.bilstm.knows(c) and c in fresh.terms())
    other = next(c for c in Counter(i.attributes.get("colour") for i in w.items.values()) if c and c != colour)
    names = table.names[: table.n_catalog]
    silent = [n for n in names if "colour" not in w.items[n].attributes]
    stated_other = [n for n in names if w.items[n].attributes.get("colour") == other]
    assert silent and stated_other
    fresh.set_picture_readings({**{n: {"colour": colour} for n in silent[::2]},
                                **{n: {"colour": other} for n in silent[1::2]},
                                **{n: {"colour": colour} for n in stated_other}})
    carriers = fresh.word_carriers(table, colour) > 0
    rows = fresh.rows
    assert all(carriers[rows[n]] for n in silent[::2]) and not any(carriers[rows[n]] for n in silent[1::2])
    assert not any(carriers[rows[n]] for n in stated_other)  # the listing says otherwise
    values = {v for it in w.items.values() for v in [*it.attributes.values(), it.category]}
    assert all(len(bilstm.words(v)) != 1 or bilstm.words(v)[0] in fresh.terms() for v in values)


def test_word_space_learns_which_pictures_carry_a_word_and_reads_uploads(bundle, small_wardrobe):
    """The contrastive word space, trained with the bundle, ranks pictures it never trained on: for the colour words
    the listings name, held-out items whose listing states that colour score above held-out items stating another.
    An upload's picture gets the vector its catalog twin has."""
    table = bundle.table()
    assert table.words.shape == (table.n_catalog, bundle.config.dim)
    assert torch.allclose(table.words.norm(dim=1), torch.ones(table.n_catalog), atol=1e-4)
    ids = table.names[: table.n_catalog]
    held = [r for r, i in enumerate(ids) if bilstm.word_space_split(i) != "train"]
    assert 0.1 < len(held) / len(ids) < 0.3  # one in five items is kept out of its training
    colour = {r: small_wardrobe.items[ids[r]].attributes.get("colour") for r in held}
    aucs = []
    for word, named in bundle.terms().items():
        if set(named) != {"colour"}:
            continue
        pos = [r for r in held if colour[r] in named["colour"]]
        neg = [r for r in held if colour[r] is not None and colour[r] not in named["colour"]]
        if len(pos) >= 2 and neg:
            vector = bundle.word_space.phrases(bundle._phrase_vectors([word], "cpu"))
            score = (table.words @ vector.T)[:, 0].detach()
            aucs.append(float((score[pos][:, None] > score[neg][None, :]).float().mean()))
    assert len(aucs) >= 3 and np.mean(aucs) > 0.75, aucs
    uploaded = bundle.add_items(table, bundle.bilstm.features[:2])
    assert torch.allclose(uploaded.words[-2:], table.words[:2], atol=1e-5)


def test_word_space_without_words_is_silent():
    """A batch whose listings state no word costs nothing; on one that does, the loss falls as the space learns."""
    torch.manual_seed(0)
    space = bilstm.WordSpace(CONFIG)
    features, minilm = torch.randn(4, CONFIG.in_dim), torch.randn(3, CONFIG.text_dim)
    assert space.loss(features, minilm, torch.full((4, 3), -1, dtype=torch.int8)).item() == 0
    labels = torch.tensor([[1, 0, -1], [0, 1, -1], [0, 0, 1], [-1, -1, 0]], dtype=torch.int8)
    before = space.loss(features, minilm, labels).item()
    opt = torch.optim.Adam(space.parameters(), lr=1e-3)
    for _ in range(30):
        opt.zero_grad()
        space.loss(features, minilm, labels).backward()
        opt.step()
    assert space.loss(features, minilm, labels).item() < before / 2


def test_minilm_text_side(small_wardrobe, tmp_path):
    """The MiniLM option: the VSE's text side is a linear map of MiniLM sentence vectors."""
    bilstm.train(small_wardrobe, tmp_path, device="cpu", config=replace(CONFIG, text_encoder="minilm", epochs=1))
    bundle = bilstm.load(tmp_path, small_wardrobe, "cpu")
    outfit = bundle.build_outfit(bundle.table(), [], "a black leather boot")
    assert sum(it.how == "query" for it in outfit.items) == 1
    assert all(it.how in ("query", "generated") for it in outfit.items)


def test_evaluate_reports_models_baselines_oracle_and_text(steered_dir, small_wardrobe):
    m = bilstm_eval.evaluate(small_wardrobe, steered_dir, split="test", device="cpu")
    for key in ("fitb_accuracy", "compat_auc", "fitb_accuracy_hard", "compat_auc_hard", "n_fitb", "n_compat"):
        assert key in m
    assert m["served"] == "bilstm" and "outfit transformer" in m["served_because"]["by"]  # none was trained here
    assert set(m["baselines"]) == {"siamese", "vse_only", "forward_lstm", "pairwise_mlp", "popularity"}
    assert all("fitb_accuracy_popular" in b for b in m["baselines"].values()) and "fitb_accuracy_popular" in m
    assert 0.6 < m["oracle"]["compat_auc"] <= 1 and "fitb_accuracy" in m["normalised"]
    assert set(m["text_query"]) <= {"colour", "pattern", "category"} and m["text_query"]
    text = m["text"]
    assert set(text["precision@10"]) <= {"colour", "pattern", "material", "fibre", "type"} and text["precision@10"]
    assert all(0 <= v <= 1 for v in text["precision@10"].values())
    for key in ("precision@10_pictures", "precision@10_pictures_vse"):  # pictures alone, on held-out items
        assert text[key] and all(0 <= v <= 1 for v in text[key].values())
    for key in ("carry_one_word", "carry_two_words", "max_repeat_share"):
        assert text[key] is None or 0 <= text[key] <= 1
    assert "oracle_cost" in text and text["n_builds"] > 0
    assert m["compat_auc"] > 0.5  # above chance after ten epochs on 240 items (seeded, so not flaky)


@pytest.fixture(scope="module")
def engine(trained, small_dir, add_small_reader):
    return StylistEngine.from_checkpoints(add_small_reader(trained[0]), data=f"builtin:{small_dir}", device="cpu")


def test_engine_builds_fills_and_scores(engine, small_wardrobe):
    outfit = small_wardrobe.split_outfits("test")[0].items
    picture = small_wardrobe.items[outfit[0]].load_image()
    slot = {"slot": small_wardrobe.items[outfit[0]].slot}  # as the person would correct it, whatever was read
    built = engine.build_outfit([picture], text="black", readings=[slot])
    upload = built.items[[i.item for i in built.items].index("upload-0")]
    assert upload.how == "query" and upload.slot == slot["slot"] and built.readings["upload-0"].slot == slot["slot"]
    assert engine.build_outfit([outfit[0]], length=3).items and engine.build_outfit(text="black").items
    answer = engine.fill_in_blank(list(outfit[1:]), 0, [outfit[0], picture], readings=[None] * (len(outfit) - 1) + [None, slot])
    assert {c for c, _ in answer.ranking} == {outfit[0], "upload-0"} and len(answer.outfit) == len(outfit)
    scored = engine.score_outfit(list(reversed(outfit)))
    assert scored.items == sorted(outfit, key=lambda i: SLOT_ORDER[small_wardrobe.items[i].slot])
    assert scored.score < 0
    q = engine.fitb_question(seed=3)
    assert q == engine.fitb_question(seed=3) and q in fitb_questions(small_wardrobe, "test")


def test_engine_gives_the_builder_the_readers_readings_of_the_catalog(engine, small_wardrobe):
    """The words' gate reads the photo reader's readings of every catalog picture (warm-up, or the first words)."""
    engine.catalog_readings()
    readings = engine.models["bilstm"]._text_side["readings"]
    assert set(readings) == set(small_wardrobe.items)
    read = [r for r in readings.values() if r]
    assert len(read) >= len(readings) // 2 and all(set(r) == {"colour", "pattern", "material"} for r in read)
    truth = [small_wardrobe.items[i].attributes.get("colour") == r["colour"] for i, r in readings.items()
             if r and "colour" in small_wardrobe.items[i].attributes]
    assert np.mean(truth) > 0.5  # the colour is read from the pixels, trained or not


def test_bundle_fill_in_blank_ranks_the_completed_outfits(bundle, small_wardrobe):
    """FITB assembly: each candidate put in at the blank, the completed outfits scored, best first."""
    table = bundle.table()
    for q in fitb_questions(small_wardrobe, "test")[:5]:
        context = [bundle.rows[i] for i in q.context()]
        answer = bundle.fill_in_blank(table, context, q.position, [bundle.rows[c] for c in q.candidates])
        completed = [q.context()[:q.position] + (c,) + q.context()[q.position:] for c in q.candidates]
        expected = dict(zip(q.candidates, bundle.bilstm.score_ids(completed)))
        assert [c for c, _ in answer.ranking] == sorted(q.candidates, key=lambda c: -expected[c])
        assert [s for _, s in answer.ranking] == pytest.approx([expected[c] for c, _ in answer.ranking])
        best = answer.ranking[0][0]
        assert answer.outfit == sorted(q.context() + (best,), key=lambda i: SLOT_ORDER[small_wardrobe.items[i].slot])


def test_words_the_model_does_not_know_are_listed_with_known_neighbours(engine):
    vocab = engine.model("bilstm").vocabulary()
    known = next(w for w in vocab if len(w) > 3)
    built = engine.build_outfit(text=f"{known} sequin gold {known}")
    assert built.words.understood == [known]
    assert list(built.words.unknown) == ["sequin", "gold"]
    assert all(len(near) == 3 and set(near) <= set(vocab) for near in built.words.unknown.values())
    assert built.words.describe_unknown().startswith("sequin (nearest known: ")
    with pytest.raises(BadInput, match=r"knows none of these words: sequin \(nearest known: [a-z]+"):
        engine.build_outfit(text="sequin")


def test_engine_mistakes_are_bad_input(engine, small_wardrobe):
    """A person's mistake in the outfit builder's calls is BadInput with a readable sentence."""
    outfit = list(small_wardrobe.split_outfits("test")[0].items)
    for call, match in ((lambda: engine.score_outfit(["no-such-item"]), "neither a catalog item id nor a picture"),
                        (lambda: engine.score_outfit([]), "at least one item"),
                        (lambda: engine.fill_in_blank(outfit[1:], 0, []), "at least one candidate"),
                        (lambda: engine.fill_in_blank(outfit[1:], len(outfit), outfit[:1]), "blank's position"),
                        (lambda: engine.build_outfit(), "at least one"),
                        (lambda: engine.build_outfit(outfit[:1], text="zzzz qqqq"), "knows none of these words: zzzz"),
                        (lambda: engine.build_outfit(outfit[:1], length=9), "length"),
                        (lambda: engine.build_outfit(outfit[:1], variety=-1), "variety")):
        with pytest.raises(BadInput, match=match):
            call()


def test_cli_train_and_eval(small_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(bilstm, "train", partial(bilstm.train, config=CONFIG))
    spec = f"builtin:{small_dir}"
    assert main(["train", "bilstm", "--data", spec, "--out", str(tmp_path / "ck")]) == 0
    assert main(["eval", "bilstm", "--data", spec, "--checkpoints", str(tmp_path / "ck"),
                 "--json", str(tmp_path / "m.json")]) == 0
    m = json.loads((tmp_path / "m.json").read_text())
    assert {"fitb_accuracy", "compat_auc", "oracle", "baselines", "data", "split", "checkpoint", "seconds"} <= set(m)


def test_text_input_reads_the_listing_and_uploads_go_without(small_wardrobe, tmp_path):
    """With text_input the LSTMs read each item's listing beside its picture (the VSE's f stays the picture's): a
    catalog item's input differs from its picture alone, an upload of the same picture has none."""
    bilstm.train(small_wardrobe, tmp_path, device="cpu", config=replace(CONFIG, text_input=True, epochs=1))
    bundle = bilstm.load(tmp_path, small_wardrobe, "cpu")
    table = bundle.table()
    with_upload = bundle.add_items(table, bundle.bilstm.features[:1], [small_wardrobe.items[table.names[0]].slot])
    assert torch.allclose(with_upload.unit[-1], table.unit[0], atol=1e-5)  # the same picture: the same f
    assert not torch.allclose(with_upload.vectors[-1], table.vectors[0], atol=1e-3)  # but no listing
    q = fitb_questions(small_wardrobe, "test")[0]
    assert np.isfinite(bundle.bilstm.score_ids([q.items])).all() and bundle.build_outfit(table, [0]).items

"""The conditional GAN and preference-guided design, on the small studio wardrobe."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn.utils import parametrize

from stylist_app import checkpoints
from stylist_app.data.schema import SLOTS, DataError
from stylist_app.errors import BadInput
from stylist_app.evaluate import gan as gan_eval
from stylist_app.models import dvbpr as dv
from stylist_app.models import gan as gm

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    """DVBPR and the GAN trained for one epoch each into one checkpoint folder."""
    out = tmp_path_factory.mktemp("gan")
    dv.train(small_wardrobe, out, epochs=1, device="cpu")
    gm.train(small_wardrobe, out, epochs=1, device="cpu")
    return out


@pytest.fixture(scope="module")
def models(trained, small_wardrobe):
    return gm.load(trained, small_wardrobe, "cpu"), dv.load(trained, small_wardrobe, "cpu")


def test_training_continues_from_a_checkpoint(trained, small_wardrobe, tmp_path):
    """`init_from` starts from another folder's GAN: with a learning rate of zero its generator stays that GAN's,
    and the folder is named in the new manifest (its BatchNorm statistics move: they are not weights). A checkpoint
    saved before a setting existed loads at its default."""
    config = gm.Config(init_from=str(trained), lr=0.0, epochs=1, probe_size=50)
    gm.train(small_wardrobe, tmp_path, config=config, device="cpu")
    before, after = gm.load(trained, small_wardrobe, "cpu"), gm.load(tmp_path, small_wardrobe, "cpu")
    assert after.config.init_from == str(trained)
    for a, b in zip(before.generator.parameters(), after.generator.parameters()):
        assert torch.equal(a, b)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["gan"]["config"]["init_from"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert gm.load(tmp_path, small_wardrobe, "cpu").config.init_from == ""


def test_config_round_trips_through_json():
    c = gm.Config(width=8, epochs=2)
    assert gm.Config(**json.loads(json.dumps(dataclasses.asdict(c)))) == c
    assert c.classes == list(SLOTS)


class Constant(nn.Module):
    """A stand-in network: G returns pictures of one value; D scores a picture by `gain` x its mean value."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, x, c):
        if x.dim() == 2:  # a code: a picture of `self.value`
            return torch.full((len(x), 3, 8, 8), self.value)
        return self.value * x.mean((1, 2, 3))

    def heads(self, x, c):  # as a discriminator: one head
        return self.forward(x, c)[:, None]

    def scores(self, x, c):  # ... and no type logits
        return self.heads(x, c), torch.zeros(len(x), 1)


@pytest.mark.parametrize("gain, loss_d, loss_g", [(0.5, 1.0, 0.5), (2.0, 0.0, 2.0), (-0.5, 3.0, -0.5)])
def test_hinge_losses(gain, loss_d, loss_g):
    """L_D = relu(1 - D(x)) + relu(1 + D(G(z))), L_G = -D(G(z)): with white real pictures (+1) and black fakes
    (-1), D(real) = gain and D(fake) = -gain. Beyond the margin (gain 2) D takes no loss."""
    gan = gm.Bundle(gm.Config(width=8, d_width=8, projected=False, augment="", classify=0.0, mode_seeking=0.0))
    gan.pixels = torch.full((4, 3, 8, 8), 255, dtype=torch.uint8)
    gan.labels = gan.types = torch.zeros(4, dtype=torch.long)
    gan.generator = Constant(-1.0)
    gan.discriminator = Constant(gain)
    rows = torch.arange(4)
    assert gan.loss(rows, "discriminator").item() == pytest.approx(loss_d)
    assert gan.loss(rows, "generator").item() == pytest.approx(loss_g)
    assert gm.realism_loss(torch.tensor([[2.0], [0.5], [-1.0]])).tolist() == [0.0, 0.5, 2.0]
    assert gm.realism_loss(torch.tensor([[2.0, 0.0]])).tolist() == [0.5]  # the mean over D's heads


def test_networks_shapes_and_spectral_norm(small_wardrobe):
    gan = gm.Bundle(gm.Config(width=8))
    gan.set_catalog(small_wardrobe)
    z, c = gan.sample_z(5), torch.arange(5)
    x = gan.generator(z, c)
    assert x.shape == (5, 3, 64, 64) and x.min() >= -1 and x.max() <= 1
    assert gan.discriminator(x, c).shape == (5,)
    assert gan.discriminator.heads(x, c).shape == (5, 5)  # the pixel head and four projected heads
    d = gan.discriminator
    d.eval()
    assert not any("backbone" in k or k.startswith("net.") for k in d.state_dict())  # effnet is not saved
    for layer in (*d.pixel.phi[::2], d.pixel.psi, d.pixel.embed, d.feature_heads[0].phi[0]):
        # spectral norm: weight = W / sigma, sigma = u . W v (power iteration)
        assert parametrize.is_parametrized(layer, "weight")
        sn = layer.parametrizations.weight
        original = sn.original.detach()
        sigma = sn[0]._u @ original.reshape(len(original), -1) @ sn[0]._v
        assert torch.allclose(layer.weight, original / sigma)
    assert gan.sample_grid(per_class=3).size == (3 * 64, len(gan.config.types) * 64)
    assert gan.sample_grid(per_class=2, types=[0, 5]).size == (2 * 64, 2 * 64)


def test_projected_heads_are_calibrated_on_real_pictures(small_wardrobe):
    """Each projected head's input is divided by its spread over the real pictures it was calibrated on."""
    gan = gm.Bundle(gm.Config(width=8))
    gan.set_catalog(small_wardrobe)
    gan.load_pixels()
    real = dv.to_unit(gan.pixels[:16])
    gan.discriminator.calibrate(real)
    with torch.no_grad():
        spreads = [float(f.std()) for f in gan.discriminator.mixed(real)]
    assert spreads == pytest.approx([1.0] * 4, rel=1e-4)


def test_the_auxiliary_classifier_is_fitted_on_real_pictures_before_the_game(small_wardrobe):
    """A linear probe of the frozen features learns the catalog's fine types (training accuracy), and G hears the
    type: the same code drawn as two types gives two pictures."""
    gan = gm.Bundle(gm.Config(width=8))
    gan.set_catalog(small_wardrobe)
    gan.load_pixels()
    real = dv.to_unit(gan.pixels)
    gan.discriminator.calibrate(real[:64])
    chance = np.bincount(gan.types.numpy()).max() / len(gan.types)
    assert gan.discriminator.fit_classifier(real, gan.types, steps=100) > max(0.8, chance + 0.2)
    gan.generator.eval()
    with torch.no_grad():
        z = gan.sample_z(1)
        assert not torch.allclose(gan.generator(z, torch.tensor([0])), gan.generator(z, torch.tensor([1])))


def test_diff_augment_moves_and_cuts_but_keeps_the_page():
    x = torch.ones(6, 3, 16, 16)
    x[:, :, 6:10, 6:10] = -1.0  # a black square on a white page
    g = torch.Generator().manual_seed(0)
    moved = gm.diff_augment(x, "translation", g)
    assert moved.shape == x.shape and (moved == -1).sum() == (x == -1).sum()  # shifted, not lost; the page stays white
    assert not torch.equal(moved, x)
    cut = gm.diff_augment(x, "cutout", g)
    assert ((cut == 0).flatten(1).sum(1) == 3 * 8 * 8).all()  # a square of half the side set to grey
    assert torch.equal(gm.diff_augment(x, ""), x)


def test_a_catalog_with_types_the_gan_never_saw_is_refused(small_wardrobe):
    gan = gm.Bundle(gm.Config(width=8, types=["t-shirt"], type_slots=["top"]))
    with pytest.raises(DataError, match="stylist train gan"):
        gan.set_catalog(small_wardrobe)


def test_shipped_checkpoint_loads_strictly():
    gan = gm.Bundle(gm.Config(**checkpoints.entry(SHIPPED, gm.NAME)["config"]))
    checkpoints.load(SHIPPED, gm.NAME, gan)  # strict: every key of the parametrized discriminator is in the file


def test_moving_average_follows_the_generator_and_keeps_its_own_batch_statistics():
    gan = gm.Bundle(gm.Config(width=8, d_width=8, projected=False))
    with torch.no_grad():
        for p in gan.generator.parameters():
            p.add_(1.0)
    gan.generator.norms[0].norm.running_var.fill_(3.0)
    before = [p.clone() for p in gan.generator_ema.parameters()]
    gan.update_ema()
    for b, e, g in zip(before, gan.generator_ema.parameters(), gan.generator.parameters()):
        assert torch.allclose(e, b + (g - b) * (1 - gan.config.ema))
    assert gan.sampler is gan.generator_ema
    # the average's statistics come from its own activations, not G's
    gan.refresh_ema_statistics(batches=2, size=16)
    norm = gan.generator_ema.norms[0].norm
    assert not torch.equal(norm.running_var, gan.generator.norms[0].norm.running_var)
    ema, k = gan.generator_ema, len(gan.config.types)
    with torch.no_grad():  # the first layer's input over many codes: its spread is what the refresh measured
        t = torch.randint(0, k, (2000,))
        h = ema.project(torch.cat([gan.sample_z(2000), ema.type_embed(t)], 1)).view(2000, -1, 4, 4)
    assert torch.allclose(norm.running_var, h.var((0, 2, 3)), rtol=0.3)
    assert not gan.generator_ema.training and norm.momentum == 0.1 and int(norm.num_batches_tracked) == 2


def test_training_writes_samples_and_checkpoint(trained, small_wardrobe):
    assert (trained / "gan-samples.png").is_file() and (trained / "gan.safetensors").is_file()
    entry = checkpoints.entry(trained, gm.NAME)
    types = entry["config"]["types"]  # the catalog's own fine types, each with its slot
    assert Image.open(trained / "gan-samples.png").size == (8 * 64, len(types) * 64)
    assert types == sorted({it.category for it in small_wardrobe.items.values()})
    assert entry["config"]["type_slots"] == [next(it.slot for it in small_wardrobe.items.values() if it.category == t)
                                             for t in types]
    assert set(entry["metrics"]) == {"valid"} and entry["config"]["epochs"] == 1


def test_design_ascends_preference_without_touching_weights(models):
    gan, taste = models
    vectors = taste.item_vectors()
    theta = taste.dvbpr.user_vectors([0, 1]).detach()
    c = torch.tensor([0, 1])
    scale, best, _ = gm.category_scale(vectors, theta, gan.labels, c)
    calls = []
    out = gan.design_batch(taste, theta, c, scale, n=3, eta=0.0, steps=15, seed=1,
                           progress=lambda k, total: calls.append((k, total)))
    assert out.images.shape == (2, 3, 3, 64, 64)
    assert (out.preference_after > out.preference_before).all()
    for slot, types in zip(c.tolist(), out.types.tolist()):  # each design is a fine type of its slot
        assert set(types) <= set(gan.slot_types(slot))
    assert calls[-1] == (15, 15) and len(calls) == 15
    assert all(p.grad is None for p in [*gan.parameters(), *taste.parameters()])
    again = gan.design_batch(taste, theta, c, scale, n=3, eta=0.0, steps=15, seed=1)
    assert torch.equal(again.images, out.images)  # a seed gives the same designs


def test_the_diversity_term_spreads_the_designs_of_one_request():
    """With the diversity term the n designs of a request lie further apart in DVBPR's embedding than without,
    with the shipped GAN and DVBPR (a 1-epoch GAN draws the same picture from every code: nothing to spread)."""
    from pathlib import Path

    from stylist_app.data import load

    shipped = Path(__file__).resolve().parents[1] / "checkpoints"
    wardrobe = load("builtin")
    gan, taste = gm.load(shipped, wardrobe, "cpu"), dv.load(shipped, wardrobe, "cpu")
    theta = taste.dvbpr.user_vectors([0, 1]).detach()
    c = torch.tensor([0, 1])
    scale, _, _ = gm.category_scale(taste.item_vectors(), theta, gan.labels, c)

    def spread(diversity: float) -> float:
        out = gan.design_batch(taste, theta, c, scale, n=4, eta=0.0, steps=20, seed=3, diversity=diversity)
        with torch.no_grad():
            u = torch.nn.functional.normalize(taste.embed(out.images.flatten(0, 1)).float(), dim=1).view(2, 4, -1)
        return float((1 - u @ u.transpose(1, 2)).mean())

    assert spread(5.0) > spread(0.0) + 0.01


def test_editing_starts_from_the_inverted_item(models):
    gan, taste = models
    target = dv.to_unit(gan.item_pixels(0))  # one picture, read on its own
    c = gan.labels[:1]
    theta = taste.dvbpr.user_vectors([0]).detach()
    scale, _, _ = gm.category_scale(taste.item_vectors(), theta, gan.labels, c)
    fresh = gan.design_batch(taste, theta, c, scale, n=2, steps=0, seed=0)
    edited = gan.design_batch(taste, theta, c, scale, n=2, steps=0, seed=0, start=target, types=gan.types[:1])
    assert (edited.types == gan.types[0]).all()  # an edit keeps the item's fine type

    def l1(out):
        return (out.images[0] - target).abs().mean().item()

    assert l1(edited) < l1(fresh)


def test_design_for_a_shopper_a_liked_taste_and_an_edit(models, small_wardrobe):
    gan, taste = models
    user = next(iter(small_wardrobe.users))
    d = gan.design(taste, user=user, category="top", n=2, steps=5)
    assert len(d.images) == 2 and d.images[0].size == (64, 64) and len(d.preference_after) == 2
    assert small_wardrobe.items[d.best_existing].slot == "top"
    liked = [i for i in small_wardrobe.items if small_wardrobe.items[i].slot == "shoes"][:3]
    d = gan.design(taste, liked_items=liked, category="shoes", n=1, steps=3)
    assert d.category == "shoes"
    assert len(d.types) == 1 and gan.config.type_slots[gan.config.types.index(d.types[0])] == "shoes"
    d = gan.design(taste, user=user, from_item=liked[0], n=1, steps=3)
    assert d.category == "shoes" and d.from_item_preference is not None
    assert d.types == [small_wardrobe.items[liked[0]].category]


def test_reach_bounds_how_far_an_edit_goes(models, small_wardrobe, monkeypatch):
    """An edit at reach 0 stays nearer the edited item's pixels than one the taste may take anywhere (reach 1).
    The tiny test GAN barely moves in 30 steps either way, so the anchor is made strong enough to show."""
    gan, taste = models
    monkeypatch.setattr(gm, "EDIT_ANCHOR", 2000.0)
    user = next(iter(small_wardrobe.users))
    item = next(i for i in small_wardrobe.items if small_wardrobe.items[i].slot == "top")
    row, = taste.rows([item])
    original = np.asarray(gm.grid_image(dv.to_unit(gan.item_pixels(row)), 1), dtype=float)
    far = {reach: np.mean([np.abs(np.asarray(img, dtype=float) - original).mean()
                           for img in gan.design(taste, user=user, from_item=item, n=2, steps=30, reach=reach).images])
           for reach in (0.0, 1.0)}
    assert far[0.0] < far[1.0]
    with pytest.raises(BadInput, match="reach"):
        gan.design(taste, user=user, from_item=item, n=1, steps=1, reach=1.5)


@pytest.mark.parametrize("bad, words", [
    (dict(user="nobody", category="top"), "no shopper"),
    (dict(category="top"), "shopper"),
    (dict(liked_items=["nope"], category="top"), "no item"),
    (dict(user="?", from_item="nope"), "no item"),
    (dict(user="?", category="hats"), "category"),
    (dict(user="?"), "category"),
    (dict(user="?", from_item="shoes", category="top"), "edit it as a shoes"),
    (dict(user="?", category="top", n=0), "1 <= n <= 16"),
    (dict(user="?", category="top", steps=501), "steps <= 500"),
    (dict(user="?", category="top", eta=-1), "0 <= eta"),
])
def test_a_persons_mistake_is_bad_input(models, small_wardrobe, bad, words):
    gan, taste = models
    user = next(iter(small_wardrobe.users))
    shoes = next(i for i in small_wardrobe.items if small_wardrobe.items[i].slot == "shoes")
    bad = {k: {"?": user, "shoes": shoes}.get(v, v) if isinstance(v, str) else v for k, v in bad.items()}
    with pytest.raises(BadInput, match=words):
        gan.design(taste, **bad)


def test_evaluate_reports_every_eta(trained, small_wardrobe, add_small_reader, tmp_path):
    m = gan_eval.design_metrics(small_wardrobe, add_small_reader(trained), split="test", device="cpu", n_users=4, n=2,
                                steps=3, seed=0)
    for key in ("preference_existing_best", "preference_generated", "win_rate", "eta", "realism", "n_users",
                "win_rate_oracle", "win_rate_oracle_ceiling", "readable_share", "kid", "kid_real", "kid_real_at_size",
                "diversity", "diversity_catalog"):
        assert key in m
    assert 0 <= m["win_rate_oracle"] <= 1 and 0 <= m["readable_share"] <= 1 and 0 <= m["readable_share_real"] <= 1
    assert 0 <= m["diversity"] <= 2 and 0 < m["diversity_catalog"] <= 2
    assert m["win_rate_oracle"] <= m["win_rate_oracle_ceiling"] <= 1
    assert set(m["by_eta"]) == {str(e) for e in gan_eval.ETAS} and m["eta"] == 1.0 and m["n_users"] == 4
    assert 0 <= m["win_rate"] <= 1 and np.isfinite(m["feature_distance"])
    assert m["realism_real"]["p05"] <= m["realism_real"]["p95"]
    # the About tab shows the judged win rate, by eta, from such a metrics file
    import json

    from stylist_app.ui.about import design_judged

    path = tmp_path / "gan.json"
    path.write_text(json.dumps(m))
    text = design_judged(path)
    assert text.count("\n| ") == 1 + len(gan_eval.ETAS)  # header and one row per eta
    assert f"| 1.0 | {m['win_rate']:.2f} | {m['win_rate_oracle']:.2f} |" in text
    assert "no metrics file" in design_judged(tmp_path / "absent.json")
    with pytest.raises(DataError, match="--split test or valid"):
        gan_eval.evaluate(small_wardrobe, trained, split="all", device="cpu")


def test_the_judge_scores_the_catalog_on_the_readers_terms(trained, small_wardrobe, add_small_reader):
    """The shopper's best catalog item is scored on what the reader reads (its fit left out, as a design's is), and
    the ceiling, the best any reading could score, is at least that: every catalog item is a reading it could give."""
    judge = gan_eval.Judge(small_wardrobe, add_small_reader(trained), "cpu", list(gm.Config().classes))
    oracle, user = judge.oracle, list(small_wardrobe.users)[0]
    fits = set()
    for category in ("top", "bottom", "shoes"):
        rows = [i for i in small_wardrobe.items if small_wardrobe.items[i].slot == category]
        attrs = [oracle.true_attributes(i) for i in rows]
        fits |= {a["fit"] for a in attrs}
        as_read = oracle.visible_user_scores(user, [{k: a[k] for k in gan_eval.READ_TERMS} for a in attrs])
        best, ceiling = judge.best_scores(user, category)
        assert best == pytest.approx(as_read.max()) and ceiling >= best
    assert fits - {"regular"}  # some items have a fit the reader cannot see, which the judge leaves out


def test_the_judges_measures():
    """The kernel distance is about zero between samples of one distribution and grows when one is shifted; the
    pairwise distance of identical vectors is zero."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(300, 16, generator=g), torch.randn(300, 16, generator=g)
    same, shifted = gan_eval.kernel_distance(a, b), gan_eval.kernel_distance(a, b + 1.0)
    assert abs(same) < 0.1 * shifted and shifted > 0
    unit = torch.nn.functional.normalize(torch.ones(4, 8), dim=1)
    assert abs(gan_eval.mean_pairwise_distance(unit)) < 1e-6
    assert gan_eval.mean_pairwise_distance(torch.eye(4)) == pytest.approx(1.0)


def test_a_reading_is_scored_by_the_taste_as_the_catalog_item_it_describes(small_wardrobe):
    """The judge's terms: a catalog item's visible attributes, given as a reading, score exactly as that item on
    the same terms, and follow the shopper's true utility closely."""
    from stylist_app.evaluate import oracle_for

    oracle = oracle_for(small_wardrobe)
    user, ids = list(small_wardrobe.users)[0], list(small_wardrobe.items)[:40]
    attrs = [oracle.true_attributes(i) for i in ids]
    visible = oracle.visible_user_scores(user, attrs)
    as_read = oracle.visible_user_scores(user, [{k: a[k] for k in ("category", "colour", "pattern", "material", "fit")}
                                                 for a in attrs])
    np.testing.assert_allclose(visible, as_read)
    assert np.corrcoef(visible, oracle.user_item_scores(user, ids))[0, 1] > 0.8
    impossible = {"category": "beanie", "colour": "black", "pattern": "solid", "material": "jersey"}  # no style knits it so
    assert oracle.visible_user_scores(user, [impossible])[0] == -np.inf


class FollowsCode(nn.Module):
    """A stand-in G whose pictures follow the code: every pixel tanh(z_0)."""

    def forward(self, z, c):
        return z[:, :1, None, None].expand(-1, 3, 8, 8).tanh()


def test_the_mode_seeking_term_punishes_a_generator_that_ignores_its_code():
    """G's loss with the mode-seeking term is far larger for a G that draws the same picture from every code."""
    gan = gm.Bundle(gm.Config(width=8, d_width=8, projected=False, augment="", classify=0.0))
    gan.pixels = torch.full((4, 3, 8, 8), 255, dtype=torch.uint8)
    gan.labels = gan.types = torch.zeros(4, dtype=torch.long)
    gan.discriminator = Constant(0.0)
    gan.generator = Constant(-1.0)  # ignores z
    collapsed = gan.loss(torch.arange(4), "generator").item()
    gan.generator = FollowsCode()
    assert collapsed > 1e4 > gan.loss(torch.arange(4), "generator").item()

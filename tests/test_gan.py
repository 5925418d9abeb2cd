"""The conditional GAN and preference-guided design, on the small studio wardrobe."""
import numpy as np
import pytest
import torch
from PIL import Image

from stylist_app.data.schema import SLOTS, DataError
from stylist_app.models import dvbpr as dv
from stylist_app.models import gan as gm


@pytest.fixture(scope="module")
def trained(small_wardrobe, tmp_path_factory):
    """DVBPR and the GAN trained for one epoch each into one checkpoint folder."""
    out = tmp_path_factory.mktemp("gan")
    dv.train(small_wardrobe, out, epochs=1, device="cpu")
    gm.train(small_wardrobe, out, epochs=1, device="cpu")
    return out


@pytest.fixture(scope="module")
def models(trained, small_wardrobe):
    model = dv.load(trained, small_wardrobe, "cpu")
    with torch.no_grad():
        vectors = model.item_vectors()
    return gm.load(trained, small_wardrobe, "cpu"), model, vectors


def test_networks_shapes_and_lsgan_losses(small_wardrobe):
    gan = gm.ConditionalGAN(gm.GANConfig(width=8))
    gan.set_catalog(small_wardrobe)
    z, c = gan.sample_z(5), torch.arange(5)
    x = gan.generator(z, c)
    assert x.shape == (5, 3, 64, 64) and x.min() >= -1 and x.max() <= 1
    assert gan.discriminator(x, c).shape == (5,)
    rows = torch.arange(6)
    for group in ("discriminator", "generator"):
        assert torch.isfinite(gan.loss(rows, group))
    assert gan.sample_grid(per_class=3).size == (3 * 64, len(SLOTS) * 64)


def test_moving_average_follows_the_generator_and_copies_its_batch_statistics():
    gan = gm.ConditionalGAN(gm.GANConfig(width=8, d_width=8))
    with torch.no_grad():
        for p in gan.generator.parameters():
            p.add_(1.0)
    gan.generator.norms[0].norm.running_var.fill_(3.0)
    before = [p.clone() for p in gan.generator_ema.parameters()]
    gan.update_ema()
    for b, e, g in zip(before, gan.generator_ema.parameters(), gan.generator.parameters()):
        assert torch.allclose(e, b + (g - b) * (1 - gan.config.ema))
    assert torch.equal(gan.generator_ema.norms[0].norm.running_var, gan.generator.norms[0].norm.running_var)
    assert gan.sampler is gan.generator_ema


def test_training_writes_samples_and_checkpoint(trained):
    assert (trained / "gan-samples.png").is_file() and (trained / "gan.safetensors").is_file()
    assert Image.open(trained / "gan-samples.png").size == (8 * 64, len(SLOTS) * 64)


def test_design_ascends_preference_without_touching_weights(models):
    gan, model, vectors = models
    theta = model.user_vectors([0, 1]).detach()
    c = torch.tensor([0, 1])
    scale, best, _ = gm.category_scale(vectors, theta, gan.labels, c)
    calls = []
    out = gm.design_batch(gan, model, theta, c, scale, n=3, eta=0.0, steps=15, seed=1,
                          progress=lambda k, total: calls.append((k, total)))
    assert out.images.shape == (2, 3, 3, 64, 64)
    assert (out.preference_after > out.preference_before).all()
    assert calls[-1] == (15, 15) and len(calls) == 15
    assert all(p.grad is None for p in [*gan.parameters(), *model.parameters()])
    again = gm.design_batch(gan, model, theta, c, scale, n=3, eta=0.0, steps=15, seed=1)
    assert torch.equal(again.images, out.images)  # a seed gives the same designs


def test_editing_starts_from_the_inverted_item(models, small_wardrobe):
    gan, model, vectors = models
    target = dv.to_unit(gan.pixels[:1])
    c = gan.labels[:1]
    theta = model.user_vectors([0]).detach()
    scale, _, _ = gm.category_scale(vectors, theta, gan.labels, c)
    fresh = gm.design_batch(gan, model, theta, c, scale, n=2, steps=0, seed=0)
    edited = gm.design_batch(gan, model, theta, c, scale, n=2, steps=0, seed=0, start=target)
    def l1(out):
        return (out.images[0] - target).abs().mean().item()
    assert l1(edited) < l1(fresh)


def test_design_for_a_shopper_a_liked_taste_and_an_edit(models, small_wardrobe):
    gan, model, vectors = models
    user = next(iter(small_wardrobe.users))
    d = gm.design(gan, model, vectors, small_wardrobe, user=user, category="top", n=2, steps=5)
    assert len(d.images) == 2 and d.images[0].size == (64, 64) and len(d.preference_after) == 2
    assert small_wardrobe.items[d.best_existing].slot == "top"
    liked = [i for i in small_wardrobe.items if small_wardrobe.items[i].slot == "shoes"][:3]
    d = gm.design(gan, model, vectors, small_wardrobe, liked_items=liked, category="shoes", n=1, steps=3)
    assert d.category == "shoes"
    d = gm.design(gan, model, vectors, small_wardrobe, user=user, from_item=liked[0], n=1, steps=3)
    assert d.category == "shoes" and d.from_item_preference is not None
    for bad in (dict(user=user, category="hats"), dict(category="top"), dict(liked_items=["nope"], category="top"),
                dict(user=user, from_item=liked[0], category="top"), dict(user=user, category="top", n=0)):
        with pytest.raises(DataError):
            gm.design(gan, model, vectors, small_wardrobe, **bad)


def test_evaluate_reports_every_eta(trained, small_wardrobe):
    m = gm.evaluate(small_wardrobe, trained, device="cpu", n_users=4, n=2, steps=3)
    for key in ("preference_existing_best", "preference_generated", "win_rate", "eta", "realism", "n_users"):
        assert key in m
    assert set(m["by_eta"]) == {str(e) for e in gm.ETAS} and m["eta"] == 1.0 and m["n_users"] == 4
    assert 0 <= m["win_rate"] <= 1 and np.isfinite(m["feature_distance"])
    assert m["realism_real"]["p05"] <= m["realism_real"]["p95"]

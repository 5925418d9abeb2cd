"""The fashion-flat renderer: every type draws, output is well formed and deterministic."""
import random

import numpy as np
import pytest

from stylist_app.data.builtin import vocab
from stylist_app.data.builtin.render import render_item

WHITE = (255, 255, 255)


def attrs_for(ft, **over):
    a = dict(category=ft.name, colour="navy", colour2="cream", pattern="solid", material=ft.materials[0],
             fit="regular", length=ft.lengths[0], seed=11)
    a.update(over)
    return a


def assert_flat(img, size=224):
    assert img.mode == "RGB" and img.size == (size, size)
    arr = np.asarray(img)
    for y, x in ((0, 0), (0, size - 1), (size - 1, 0), (size - 1, size - 1)):
        assert tuple(arr[y, x]) == WHITE
    c = arr[size // 4: 3 * size // 4, size // 4: 3 * size // 4].astype(int)
    assert ((255 - c).max(axis=2) > 6).mean() > 0.05, "nothing drawn in the centre"


@pytest.mark.parametrize("ft", vocab.FINE_TYPES, ids=lambda t: t.name)
def test_every_category_renders(ft):
    assert_flat(render_item(attrs_for(ft)))


def test_every_material_length_and_fit_renders():
    r = random.Random(3)
    for ft in vocab.FINE_TYPES:
        for material in ft.materials:
            for length in ft.lengths:
                a = attrs_for(ft, material=material, length=length, fit=r.choice(vocab.FITS),
                              pattern=r.choice(vocab.PATTERNS), colour=r.choice(vocab.COLOURS).name,
                              colour2=r.choice(vocab.COLOURS).name, seed=r.randrange(2**31))
                assert_flat(render_item(a))


def test_deterministic():
    r = random.Random(5)
    for _ in range(12):
        ft = r.choice(vocab.FINE_TYPES)
        a = attrs_for(ft, pattern=r.choice(vocab.PATTERNS), material=r.choice(ft.materials), seed=r.randrange(99))
        assert render_item(a).tobytes() == render_item(dict(a)).tobytes()


def test_colour_changes_the_mean_colour():
    ft = vocab.TYPE_BY_NAME["t-shirt"]
    means = {c: np.asarray(render_item(attrs_for(ft, colour=c))).reshape(-1, 3).mean(0)
             for c in ("red", "cobalt", "kelly green", "black")}
    names = list(means)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(means[a] - means[b]).max() > 10, (a, b)
    assert means["red"][0] > means["red"][2] and means["cobalt"][2] > means["cobalt"][0]


@pytest.mark.parametrize("pattern", vocab.PATTERNS)
def test_every_pattern_renders_on_a_top(pattern):
    ft = vocab.TYPE_BY_NAME["t-shirt"]
    a = attrs_for(ft, pattern=pattern, colour="white", colour2="red", seed=2)
    img = render_item(a)
    assert_flat(img)
    if pattern != "solid":  # the pattern is visible: the picture differs from the plain one
        plain = np.asarray(render_item(a | {"pattern": "solid"})).astype(int)
        assert np.abs(np.asarray(img).astype(int) - plain).mean() > 1.0


def test_other_sizes():
    ft = vocab.TYPE_BY_NAME["sneakers"]
    for size in (64, 128, 300):
        assert_flat(render_item(attrs_for(ft), size), size)

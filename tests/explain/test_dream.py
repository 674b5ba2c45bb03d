import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_core.explain import dream as d
from mnist_core.inference import to_input
from tests.conftest import small_spec


@pytest.fixture(scope="module")
def plain(sample):
    """A tiny plain conv net trained on a few batches of the sample: no calibration, no non-digits."""
    torch.manual_seed(0)
    spec = small_spec()
    model = spec.build()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(120):
        i = torch.randint(0, len(sample.train_labels), (64,), generator=gen)
        loss = F.cross_entropy(model(to_input(sample.train_images[i])), sample.train_labels[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return spec, model, d.class_means(sample.train_images, sample.train_labels)


def test_a_class_dream_raises_its_score_over_the_mean_digit(plain):
    spec, model, means = plain
    for dr in d.class_dreams(spec, model, means, classes=[0, 3, 7], steps=24):
        assert dr.score > dr.start_score + 1
        assert dr.image.shape == (28, 28) and dr.image.min() >= 0 and dr.image.max() <= 1
        assert np.array_equal(dr.start, means[dr.target])


def test_filter_dreams_cover_the_first_conv_and_excite_most_filters(plain):
    spec, model, _ = plain
    dreams = d.filter_dreams(spec, model, steps=24)
    assert len(dreams) == 8
    assert sum(dr.score > dr.start_score for dr in dreams) >= 6


def test_a_fooling_image_is_called_a_digit_with_99_percent(plain):
    spec, model, _ = plain
    fooled = d.fooling_images(spec, model, classes=[1, 4], steps=150)
    for f in fooled:
        assert f.prob >= 0.99
    v = d.verdicts(spec, model, [f.image for f in fooled])
    assert [x.label for x in v] == [1, 4] and all(x.sure for x in v)


def test_a_seed_gives_the_same_image_and_another_seed_another(plain):
    spec, model, _ = plain
    a = d.class_dreams(spec, model, start="noise", classes=[5], steps=8, seed=3)[0].image
    b = d.class_dreams(spec, model, start="noise", classes=[5], steps=8, seed=3)[0].image
    c = d.class_dreams(spec, model, start="noise", classes=[5], steps=8, seed=4)[0].image
    assert np.array_equal(a, b) and not np.allclose(a, c)
    fa = d.fooling_images(spec, model, classes=[2], steps=5, seed=1)[0].image
    assert np.array_equal(fa, d.fooling_images(spec, model, classes=[2], steps=5, seed=1)[0].image)


@pytest.mark.parametrize("call, words", [
    (lambda s, m, mu: d.class_dreams(s, m, mu, classes=[11]), "class 11 does not exist"),
    (lambda s, m, mu: d.fooling_images(s, m, classes=[-1]), "class -1 does not exist"),
    (lambda s, m, mu: d.filter_dreams(s, m, layer=2), "layer 2 is ReLU, not a convolution"),
    (lambda s, m, mu: d.filter_dreams(s, m, layer=99), "layer 99 does not exist"),
    (lambda s, m, mu: d.class_dreams(s, m, None), "needs the mean digit"),
    (lambda s, m, mu: d.class_dreams(s, m, mu, steps=0), "steps must be"),
    (lambda s, m, mu: d.class_dreams(s, m, mu, start="moon"), "unknown start"),
])
def test_bad_arguments_are_refused_in_one_line(plain, call, words):
    spec, model, means = plain
    with pytest.raises(d.DreamError) as e:
        call(spec, model, means)
    assert words in str(e.value) and "\n" not in str(e.value)

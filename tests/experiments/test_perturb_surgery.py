import numpy as np
import pytest
import torch

from mnist_core.experiments.perturb import (
    KINDS,
    PerturbError,
    adversarial,
    default_strengths,
    erase_until_flip,
    loss_of,
    perturb,
    perturb_batch,
    robustness_curve,
)
from mnist_core.experiments.surgery import SurgeryError, ablate, ablation_sweep, fixed_subset, per_class_accuracy
from mnist_core.runs import load_demo


@pytest.fixture(scope="module")
def demo():
    return load_demo()


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("fgsm", "pgd")])
def test_strength_zero_is_the_identity_and_more_changes_the_digit(kind, sample):
    img = sample.test_images[0].numpy()
    np.testing.assert_array_equal(perturb(img, kind, 0), img)
    lo, hi = KINDS[kind][1]
    assert not np.array_equal(perturb(img, kind, hi), img)


def test_shift_moves_the_ink(sample):
    img = sample.test_images[0].numpy()
    ys, xs = np.nonzero(img > 100)
    ys2, xs2 = np.nonzero(perturb(img, "shift", 3) > 100)
    assert ys2.mean() == pytest.approx(ys.mean() + 3, abs=0.5) and xs2.mean() == pytest.approx(xs.mean() + 3, abs=0.5)
    assert (perturb(img, "thickness", 1) > 100).sum() > (img > 100).sum() > (perturb(img, "thickness", -1) > 100).sum()


def test_fgsm_raises_the_loss_and_bad_strengths_are_refused(demo, sample):
    spec, model = demo
    x, y = sample.test_images[:64], sample.test_labels[:64]
    adv = adversarial(spec, model, x, y, "fgsm", 15)
    assert loss_of(spec, model, adv, y) > loss_of(spec, model, x, y) + 0.1
    assert torch.equal(adversarial(spec, model, x, y, "pgd", 0), x)
    assert (adv.int() - x.int()).abs().max() <= 0.15 * 255 + 1  # within epsilon
    with pytest.raises(PerturbError, match="between"):
        perturb(x[0].numpy(), "rotate", 500)
    with pytest.raises(PerturbError, match="unknown"):
        perturb_batch(x, "melt", 1)


def test_robustness_curve_starts_at_the_clean_accuracy_and_falls(demo, sample):
    spec, model = demo
    idx = fixed_subset(sample.test_labels, 300)
    x, y = sample.test_images[idx], sample.test_labels[idx]
    strengths = default_strengths("rotate")
    accs = robustness_curve(spec, model, x, y, "rotate", strengths)
    assert strengths[0] == 0 and accs[0] == pytest.approx(per_class_accuracy(model, x, y)[0])
    assert accs[-1] < accs[0] - 0.3


def test_erase_until_flip_changes_the_answer(demo, sample):
    spec, model = demo
    f = erase_until_flip(spec, model, sample.test_images[0].numpy())
    assert f.flipped and f.after != f.before and 0 < f.removed == f.mask.sum() < (sample.test_images[0] > 30).sum()
    assert (f.image[f.mask] == 0).all()


def test_ablating_every_first_layer_filter_drops_to_chance(demo, sample):
    spec, model = demo
    idx = fixed_subset(sample.test_labels, 500)
    x, y = sample.test_images[idx], sample.test_labels[idx]
    base, per = per_class_accuracy(model, x, y)
    dead = ablate(model, 1, list(range(model[0].out_channels)))
    acc, _ = per_class_accuracy(dead, x, y)
    assert base > 0.95 and acc < 0.25 and per.shape == (10,)
    assert torch.count_nonzero(model[0].weight) > 0  # the original is untouched
    sweep = ablation_sweep(model, 1, x[:200], y[:200])
    assert len(sweep) == model[0].out_channels and sweep[0][1] >= sweep[-1][1]
    with pytest.raises(SurgeryError):
        ablate(model, 2, [0])
    with pytest.raises(SurgeryError, match="does not exist"):
        ablate(model, 1, [99])

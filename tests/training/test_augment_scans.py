"""The "scans" augmentation (the demo's), its "photos" variant, and the scan checks they are measured on."""

import numpy as np
import pytest
import torch

from mnist_core import synthetic
from mnist_core.data import MEAN, STD
from mnist_core.inference import to_input
from mnist_core.training.augment import augment_batch, coarse_scan, paper_patch, pressure


@pytest.fixture(scope="module")
def batch(sample):
    return to_input(sample.train_images[:128])


def test_scans_are_seeded_and_stay_in_the_range_of_ink(batch):
    a = augment_batch(batch, torch.Generator().manual_seed(5), "scans")
    b = augment_batch(batch, torch.Generator().manual_seed(5), "scans")
    c = augment_batch(batch, torch.Generator().manual_seed(6), "scans")
    assert torch.equal(a, b) and not torch.equal(a, c)
    ink = a * STD + MEAN
    assert ink.min() > -1e-4 and ink.max() < 1 + 1e-4 and a.shape == batch.shape


def test_light_pressure_makes_some_digits_fainter_and_leaves_the_rest(batch):
    out = pressure(batch, torch.Generator().manual_seed(0))
    darkest = (out * STD + MEAN).amax((1, 2, 3))
    before = (batch * STD + MEAN).amax((1, 2, 3))
    changed = ~torch.isclose(darkest, before)
    assert 0.15 < changed.float().mean() < 0.55  # about a third
    assert (darkest[changed] <= before[changed] + 1e-5).all()


def test_a_coarse_scan_loses_the_fine_detail(batch):
    out = coarse_scan(batch, torch.Generator().manual_seed(1))
    picked = (out - batch).abs().amax((1, 2, 3)) > 1e-4
    assert picked.any() and not picked.all()
    # high frequencies: the mean absolute difference of neighbouring pixels drops
    tv = lambda t: (t[..., 1:, :] - t[..., :-1, :]).abs().mean((1, 2, 3))  # noqa: E731
    assert (tv(out[picked]) < tv(batch[picked])).float().mean() > 0.9


@pytest.mark.parametrize("kind", synthetic.SCAN_CHECKS)
def test_each_scan_check_changes_the_digit_and_keeps_its_label(sample, kind):
    images, labels = sample.test_images.numpy()[:50], sample.test_labels.numpy()[:50]
    checks = synthetic.scan_checks(images, labels, n=50, seed=3, kinds=(kind,))
    out, lab = checks[kind]
    assert out.shape == (50, 28, 28) and out.dtype == np.uint8
    assert np.array_equal(lab, labels)
    assert (np.abs(out.astype(int) - images).sum((1, 2)) > 0).mean() > 0.9
    again = synthetic.scan_checks(images, labels, n=50, seed=3, kinds=(kind,))[kind][0]
    assert np.array_equal(out, again)


def test_large_and_small_digits_are_what_they_say(sample):
    images, labels = sample.test_images.numpy()[:40], sample.test_labels.numpy()[:40]
    checks = synthetic.scan_checks(images, labels, n=40, kinds=("large", "small"))

    def height(im):
        rows = np.nonzero((im > 30).any(1))[0]
        return rows.max() - rows.min() + 1
    assert np.mean([height(i) for i in checks["large"][0]]) > np.mean([height(i) for i in images]) + 3
    assert np.mean([height(i) for i in checks["small"][0]]) < np.mean([height(i) for i in images]) - 5


def test_an_unknown_check_is_refused():
    with pytest.raises(ValueError, match="unknown check 'wobbly'"):
        synthetic.scan_check("wobbly", np.zeros((28, 28), np.uint8), np.random.default_rng(0))


def test_scans_thin_some_strokes_as_far_as_the_thin_check(batch):
    from mnist_core.training.augment import stroke_thickness
    out = stroke_thickness(batch, torch.Generator().manual_seed(2), thin3=True)
    eroded = -torch.nn.functional.max_pool2d(-batch, 3, 1, 1)  # the "thin" scan check's 3x3 min
    as_eroded = torch.isclose(out, eroded).flatten(1).all(1) & ~torch.isclose(out, batch).flatten(1).all(1)
    assert 0.05 < as_eroded.float().mean() < 0.3  # about 15%
    plain = stroke_thickness(batch, torch.Generator().manual_seed(2))
    assert not (torch.isclose(plain, eroded).flatten(1).all(1) & ~torch.isclose(plain, batch).flatten(1).all(1)).any()


def test_photos_are_seeded_and_stay_in_the_range_of_ink(batch):
    a = augment_batch(batch, torch.Generator().manual_seed(5), "photos")
    assert torch.equal(a, augment_batch(batch, torch.Generator().manual_seed(5), "photos"))
    ink = a * STD + MEAN
    assert ink.min() > -1e-4 and ink.max() < 1 + 1e-4 and a.shape == batch.shape


def test_a_paper_patch_greys_a_box_behind_some_digits_and_keeps_their_strokes(batch):
    out = paper_patch(batch, torch.Generator().manual_seed(3))
    ink, before = out * STD + MEAN, batch * STD + MEAN
    changed = (ink - before).abs().flatten(1).amax(1) > 1e-4
    assert 0.1 < changed.float().mean() < 0.45  # about a quarter
    assert (ink >= before - 1e-5).all()  # the paper only adds grey: no stroke is lost
    assert torch.allclose(ink.amax((1, 2, 3)), before.amax((1, 2, 3)), atol=1e-5)  # the strokes stay brightest
    background = (before < 1e-3) & changed.view(-1, 1, 1, 1)
    greyed = (ink > 0.02) & background
    assert greyed.flatten(1).sum(1)[changed].min() >= 14 * 14 // 4  # a box of paper, not a few specks

import numpy as np
import pytest
import torch

from mnist_core.calibration import choose_threshold, fit_temperature, reliability, verdict


def test_fit_temperature_recovers_a_known_temperature():
    g = torch.Generator().manual_seed(0)
    true = torch.randn(4000, 10, generator=g) * 3          # the "real" logits
    labels = torch.multinomial(torch.softmax(true, 1), 1, generator=g).squeeze(1)  # drawn from them
    assert fit_temperature(true * 2.5, labels) == pytest.approx(2.5, rel=0.1)  # over-confident by 2.5x
    assert fit_temperature(true / 2, labels) == pytest.approx(0.5, rel=0.1)


def test_fit_temperature_accepts_inference_tensors():
    with torch.inference_mode():
        logits = torch.randn(50, 10)
    assert 0.05 <= fit_temperature(logits, torch.zeros(50, dtype=torch.long)) <= 20


def test_reliability_of_calibrated_and_overconfident_predictions():
    rng = np.random.default_rng(0)
    n = 20000
    conf = rng.uniform(0.1, 1.0, n)
    right = rng.uniform(size=n) < conf                       # right exactly as often as it says
    probs = np.full((n, 10), 0.0)
    probs[:, 0] = conf
    probs[:, 1:] = ((1 - conf) / 9)[:, None]
    labels = np.where(right, 0, 1)
    rel = reliability(probs, labels)
    assert rel.ece < 0.02 and rel.counts.sum() == n
    liar = reliability(probs, np.ones(n, dtype=int))         # never right, often sure
    assert liar.ece > 0.5
    assert np.nanmax(np.abs(rel.accuracy - rel.confidence)) < 0.05


def test_verdict_reads_sure_and_unsure():
    sure = verdict(np.array([0.001] * 7 + [0.993, 0.002, 0.002]))
    assert sure.sure and sure.label == 7 and "sure" in sure.reading and sure.entropy < 0.2
    flat = verdict(np.full(10, 0.1))
    assert not flat.sure and flat.entropy == pytest.approx(np.log2(10)) and "not a digit" in flat.reading
    torn = verdict(np.array([0.45, 0.45] + [0.1 / 8] * 8))
    assert not torn.sure and "torn between" in torn.reading
    d = torn.to_dict()
    assert d["sure"] is False and len(d["top"]) == 3


def test_choose_threshold_keeps_the_asked_share():
    conf = np.linspace(0, 1, 1001)
    t = choose_threshold(conf, keep=0.9)
    assert (conf >= t).mean() == pytest.approx(0.9, abs=0.002)

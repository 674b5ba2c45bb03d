"""The shipped demo model: a class can trust its confidence, and it says when it is not sure."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core import synthetic
from mnist_core.calibration import UNSURE_BELOW, reliability, verdict
from mnist_core.inference import evaluate_model, predict
from mnist_core.preprocess import preprocess
from mnist_core.runs import DEMO_DIR, load_demo


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def clear_seven():
    im = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    ImageDraw.Draw(im).line([(70, 50), (210, 50), (125, 245)], fill=(255, 255, 255, 255), width=18)
    return np.asarray(im)


def test_a_clear_digit_reads_at_least_99_percent(demo):
    spec, model = demo
    p = predict(spec, model, preprocess(clear_seven()).tensor())
    assert p.argmax() == 7 and p[7] >= 0.99, p


def test_demo_is_calibrated_and_carries_its_temperature(demo):
    spec, model = demo
    assert model.temperature != 1.0  # fitted on held-out digits and stored in the weights
    summary = json.loads((DEMO_DIR / "summary.json").read_text())
    assert summary["temperature"] == pytest.approx(model.temperature)
    assert "label_smoothing" not in summary["command"]


def test_demo_on_the_full_test_set(demo, full):
    spec, model = demo
    ev = evaluate_model(spec, model, full.test_images, full.test_labels)
    assert ev.accuracy >= 0.993
    assert reliability(ev.probs, ev.labels).ece <= 0.02
    assert (ev.probs.max(1) >= UNSURE_BELOW).mean() >= 0.98  # real digits are read, not refused


def test_demo_turns_away_most_non_digits_and_reads_other_hands(demo):
    spec, model = demo
    junk = synthetic.non_digits()
    refused = [not verdict(predict(spec, model, preprocess(s.image).tensor())).sure for s in junk]
    assert np.mean(refused) >= 0.5, np.mean(refused)
    hand = [s for s in synthetic.handwriting_set(3) if s.style != "font"]
    right = [predict(spec, model, preprocess(s.image).tensor()).argmax() == s.label for s in hand]
    assert np.mean(right) >= 0.85


def test_the_shipped_demo_is_what_its_preset_trains():
    from mnist_core import presets
    config = json.loads((DEMO_DIR / "config.json").read_text())
    spec = json.loads((DEMO_DIR / "spec.json").read_text())
    preset = presets.get("demo")
    for key, value in preset.train.items():  # the preset's settings are the demo's: its command reproduces it
        want = list(value) if isinstance(value, tuple) else value
        assert config[key] == want, (key, config[key], want)
    assert spec["description"] == preset.description and spec["layers"] == json.loads(preset.spec().to_json())["layers"]
    assert "--preset demo" in json.loads((DEMO_DIR / "summary.json").read_text())["command"]

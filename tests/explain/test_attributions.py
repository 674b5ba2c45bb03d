import numpy as np
import pytest
import torch

from mnist_core import presets
from mnist_core.explain.attributions import (
    METHODS,
    AttributionError,
    attribute,
    block_end,
    cascading_randomisation,
    conv_layers,
    randomised,
    rank_similarity,
)
from mnist_core.inference import to_input
from mnist_core.runs import load_demo


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def test_every_method_gives_a_28x28_map_for_the_predicted_class(demo, sample):
    spec, model = demo
    x = to_input(sample.test_images[:1])
    for m in METHODS:
        a = attribute(spec, model, x, m)
        assert a.map.shape == (28, 28) and np.isfinite(a.map).all() and np.abs(a.map).sum() > 0
        assert a.target == int(model(x).argmax())
    assert "grid" in attribute(spec, model, x, "grad-cam").note


def test_grad_cam_reads_a_conv_block_and_is_never_blank_on_the_demo(demo, sample):
    spec, model = demo
    kinds = [lay.kind for lay in spec.layers]
    last = conv_layers(spec)[-1]
    end = block_end(spec, last)  # conv -> pool -> batch norm -> ReLU: the block ends before the flatten
    assert kinds[end - 1] == "ReLU" and kinds[end] == "Flatten" and end > last
    assert block_end(spec, 1) == 3  # conv -> batch norm -> ReLU; the next conv starts another block
    x = to_input(sample.test_images[:40])
    blank = [i for i in range(40) if np.abs(attribute(spec, model, x[i:i + 1], "grad-cam").map).sum() == 0]
    assert not blank, blank  # a batch norm after the conv could flip its raw output: an empty positive part


def test_integrated_gradients_add_up_to_the_score_difference(demo, sample):
    spec, model = demo
    x = to_input(sample.test_images[:1])
    a = attribute(spec, model, x, "integrated gradients", target=3)
    with torch.no_grad():
        diff = float(model(x)[0, 3] - model(torch.full_like(x, float(x.min())))[0, 3])
    assert a.map.sum() == pytest.approx(diff, rel=0.1, abs=0.2)  # completeness, up to 32 steps' error


def test_maps_change_when_the_weights_are_randomised(demo, sample):
    spec, model = demo
    x = to_input(sample.test_images[:1])
    steps = cascading_randomisation(spec, model, x, "saliency")
    assert steps[0].similarity == 1.0 and len(steps) == 1 + sum(1 for m in model if list(m.parameters()))
    assert steps[-1].similarity < 0.9  # fully random: not the same explanation
    assert not np.allclose(steps[0].map, steps[-1].map)
    r = randomised(model, 1)
    assert not torch.equal(r[0].weight, model[0].weight) and torch.equal(load_demo()[1][0].weight, model[0].weight)


def test_bad_requests_are_one_line_errors(demo, sample):
    spec, model = demo
    x = to_input(sample.test_images[:1])
    with pytest.raises(AttributionError, match="unknown method"):
        attribute(spec, model, x, "magic")
    with pytest.raises(AttributionError, match="class 12"):
        attribute(spec, model, x, "saliency", target=12)
    with pytest.raises(AttributionError, match="not a conv layer"):
        attribute(spec, model, x, "grad-cam", layer=2)
    mlp = presets.get("seed004").spec()
    assert conv_layers(mlp) == []
    with pytest.raises(AttributionError, match="no"):
        attribute(mlp, mlp.build().eval(), x, "grad-cam")
    assert attribute(mlp, mlp.build().eval(), x, "saliency").map.shape == (28, 28)  # softmax-ending works


def test_rank_similarity():
    a = np.arange(100.0).reshape(10, 10)
    assert rank_similarity(a, a * 2) == pytest.approx(1.0)
    assert rank_similarity(a, np.zeros_like(a)) == 0.0

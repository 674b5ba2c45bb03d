import numpy as np
import pytest
import torch

from mnist_core import presets
from mnist_core.explain.trace import TraceError, receptive_box, trace
from mnist_core.explain.whatif import HAND_KERNELS, fit_kernel, parse_kernel, with_kernel, with_weight
from mnist_core.inference import to_input


def cells(shape, rng, n=3):
    return [tuple(int(rng.integers(0, s)) for s in shape) for _ in range(n)]


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_traced_arithmetic_equals_the_models_activation_for_every_layer(name, sample):
    spec = presets.get(name).spec()
    torch.manual_seed(0)
    model = spec.build().eval()
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    x = to_input(sample.test_images[:1])
    rng = np.random.default_rng(0)
    kinds = set()
    with torch.no_grad():
        h = x
        outs = []
        for mod in model:
            h = mod(h)
            outs.append(h[0])
    for i, out in enumerate(outs, start=1):
        for cell in cells(tuple(out.shape), rng):
            t = trace(spec, model, x, i, cell)
            assert t.value == pytest.approx(t.actual, abs=1e-4), (i, t.kind, cell)
            assert t.actual == pytest.approx(float(out[cell]), abs=1e-6)
            kinds.add(t.kind)
    assert "Linear" in kinds and (name == "seed004" or "Conv2d" in kinds)


def test_conv_trace_shows_patch_kernel_and_products(sample):
    spec = presets.get("seed001").spec()
    model = spec.build().eval()
    x = to_input(sample.test_images[:1])
    t = trace(spec, model, x, 1, (3, 10, 12))
    assert t.patch.shape == t.kernel.shape == t.products.shape == (1, 5, 5)
    np.testing.assert_allclose(t.products, t.patch * t.kernel)
    assert t.box == (8, 12, 10, 14)  # 5x5 with padding 2 around (10, 12)
    t3 = trace(spec, model, x, 3, (0, 5, 5))  # the max pool: window and winner
    assert t3.winner is not None and t3.patch[t3.winner] == pytest.approx(t3.value)
    t4 = trace(spec, model, x, 4, (2, 3, 3))  # conv 2 sees 16 channels
    assert t4.channel_sums.shape == (16,) and t4.channel_sums.sum() == pytest.approx(t4.steps[0][1])


def test_receptive_box_grows_through_the_layers():
    spec = presets.get("seed001").spec()
    assert receptive_box(spec, 1, 0, 0) == (0, 2, 0, 2)  # clipped at the border
    y0, y1, x0, x1 = receptive_box(spec, 4, 3, 3)  # after pool and a second 5x5
    assert y1 - y0 + 1 == 14 and x1 - x0 + 1 == 14


def test_bad_cells_are_one_line_errors(sample):
    spec = presets.get("seed001").spec()
    model = spec.build().eval()
    x = to_input(sample.test_images[:1])
    with pytest.raises(TraceError, match="outside"):
        trace(spec, model, x, 1, (99, 0, 0))
    with pytest.raises(TraceError, match="does not exist"):
        trace(spec, model, x, 42, (0,))


def test_what_if_changes_a_copy_only(sample):
    spec = presets.get("seed001").spec()
    model = spec.build().eval()
    before = model[0].weight.detach().clone()
    edited = with_kernel(model, 1, 0, HAND_KERNELS["Sobel x (vertical edges)"])
    assert torch.equal(model[0].weight, before)
    np.testing.assert_allclose(edited[0].weight[0, 0].detach().numpy(),
                               fit_kernel(HAND_KERNELS["Sobel x (vertical edges)"], 5))
    one = with_weight(model, 1, 2, 0, 1, 1, 3.5)
    assert float(one[0].weight[2, 0, 1, 1]) == 3.5 and torch.equal(model[0].weight, before)
    x = to_input(sample.test_images[:1])
    assert not torch.allclose(one[:2](x), model[:2](x))
    with pytest.raises(TraceError):
        with_kernel(model, 2, 0, HAND_KERNELS["Blur"])  # layer 2 is a ReLU


def test_parse_kernel():
    np.testing.assert_array_equal(parse_kernel("-1 0 1; -2 0 2\n-1, 0, 1"), HAND_KERNELS["Sobel x (vertical edges)"])
    for bad in ("", "1 2; 3", "a b; c d", "1 2 3 4 5 6 7 8 9 10 11 12"):
        with pytest.raises(TraceError):
            parse_kernel(bad)

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_core import presets
from mnist_core.explain.backprop import (
    OPTIMIZERS,
    GradientError,
    WeightRef,
    gradient,
    learnable,
    numpy_gradient,
    numpy_net,
    optimizer_step,
)
from mnist_core.inference import to_input
from mnist_core.runs import model_for
from mnist_core.spec import ArchSpec, make
from mnist_core.training.numpy_engine import NumpyMLP

HYPER = dict(betas=(0.9, 0.999), eps=1e-8, momentum=0.9, alpha=0.99)


def lively(model):
    """Non-trivial batch-norm statistics, as a trained network has."""
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def torch_grads(model, x, label, end=None):
    """Autograd on the float32 model itself: the reference the trace must meet."""
    m = copy.deepcopy(model).eval()
    h = x
    for mod in list(m)[:end]:
        h = mod(h)
    loss = F.cross_entropy(h, torch.tensor([label]))
    loss.backward()
    return float(loss.detach()), m


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_hand_gradient_equals_autograd_for_every_weight_of_every_preset(name, sample):
    spec = presets.get(name).spec()
    torch.manual_seed(0)
    model = lively(spec.build())
    x = to_input(sample.test_images[:1])
    label = int(sample.test_labels[0])
    loss32, ref = torch_grads(model, x, label)
    rng = np.random.default_rng(0)
    kinds, through = set(), set()
    for layer, param, _, shape in learnable(spec, model):
        g32 = getattr(ref[layer - 1], param).grad
        biggest = tuple(int(i) for i in np.unravel_index(int(g32.abs().argmax()), shape))
        anywhere = tuple(int(rng.integers(0, s)) for s in shape)
        for idx in (biggest, anywhere):
            tr = gradient(spec, model, x, label, WeightRef(layer, param, idx), optimizer=None)
            assert tr.ok, (layer, param, idx, tr.diff, [s.max_diff for s in tr.chain])
            assert tr.diff < 1e-9  # float64 both: the rules are exact
            assert tr.grad == pytest.approx(float(g32[idx]), abs=1e-5), (layer, param, idx)
            assert tr.loss == pytest.approx(loss32, abs=1e-5)
            np.testing.assert_allclose(tr.dlogits, tr.probs - tr.target)
            assert tr.target[label] == 1.0 and tr.probs.sum() == pytest.approx(1.0)
            for step in tr.chain:  # each layer's example cell is the whole tensor's value there
                assert step.value == pytest.approx(float(step.grad_in[step.cell]))
                assert step.value == pytest.approx(step.autograd, abs=1e-9)
            through.update(s.kind for s in tr.chain)
        assert float(g32[biggest]) != 0.0  # the check above met a real gradient, not only zeros
        kinds.add((spec.layers[layer - 1].kind, param))
    assert ("Linear", "weight") in kinds and ("Linear", "bias") in kinds
    if name in ("fast", "demo", "best"):
        assert {("BatchNorm2d", "weight"), ("BatchNorm2d", "bias"), ("Conv2d", "weight")} <= kinds
        assert {"BatchNorm2d", "MaxPool2d", "ReLU", "Conv2d", "Flatten"} <= through
    elif name != "seed004":
        assert {("Conv2d", "weight"), ("Conv2d", "bias")} <= kinds
    if name == "lenet5":
        assert {"AvgPool2d", "Tanh"} <= through
    if name in ("seed000", "seed004"):
        assert "Softmax" in through  # the loss applies its own softmax after the network's


def test_every_layer_kind_of_the_builder_carries_the_gradient():
    """Kinds no preset has: dropout (off in eval), LeakyReLU, GELU, sigmoid, 1-d batch norm, overlapping max
    pools, padded average pools and strided convs."""
    spec = ArchSpec(layers=[make("Conv2d", out_channels=4, kernel_size=3, stride=2, padding=1), make("LeakyReLU"),
                            make("MaxPool2d", kernel_size=3, stride=2, padding=1), make("Conv2d", out_channels=6),
                            make("BatchNorm2d"), make("GELU"), make("AvgPool2d", kernel_size=3, stride=1, padding=1),
                            make("Dropout", p=0.3), make("Flatten"), make("Linear", out_features=20),
                            make("BatchNorm1d"), make("Sigmoid"), make("Dropout"), make("Linear"), make("Softmax")])
    torch.manual_seed(3)
    model = lively(spec.build())
    x = torch.randn(1, 1, 28, 28)
    loss32, ref = torch_grads(model, x, 4)
    seen = set()
    for layer, param, _, shape in learnable(spec, model):
        g32 = getattr(ref[layer - 1], param).grad
        idx = tuple(int(i) for i in np.unravel_index(int(g32.abs().argmax()), shape))
        tr = gradient(spec, model, x, 4, WeightRef(layer, param, idx), optimizer="adam", lr=1e-3)
        assert tr.ok and tr.grad == pytest.approx(float(g32[idx]), abs=1e-5)
        seen.update(s.kind for s in tr.chain)
        seen.add(spec.layers[layer - 1].kind)
    assert {lay.kind for lay in spec.layers} <= seen


def test_a_conv_weights_gradient_is_the_sum_of_its_grid_of_products(sample):
    spec = presets.get("seed001").spec()
    torch.manual_seed(0)
    model = spec.build().eval()
    x = to_input(sample.test_images[:1])
    tr = gradient(spec, model, x, int(sample.test_labels[0]), WeightRef(4, "weight", (5, 3, 2, 1)))
    up, seen, prods = tr.grids["upstream"], tr.grids["input"], tr.grids["products"]
    assert up.shape == seen.shape == prods.shape == (14, 14)  # one product per output position
    np.testing.assert_allclose(prods, up * seen)
    assert prods.sum() == pytest.approx(tr.grad) and tr.grad == pytest.approx(tr.autograd, abs=1e-12)
    # the input each position met is the layer's input shifted by the kernel offset (padding 2)
    with torch.no_grad():
        h = x.double()
        for mod in list(copy.deepcopy(model).double())[:3]:
            h = mod(h)
    padded = F.pad(h[0, 3], (2, 2, 2, 2))
    assert seen[4, 6] == pytest.approx(float(padded[4 + 2, 6 + 1]))
    assert tr.chain[0].layer == 8 and tr.chain[-1].layer == 5  # from the loss down to the layer above the weight
    kinds = [s.kind for s in tr.chain]
    assert kinds == ["Linear", "Flatten", "MaxPool2d", "ReLU"]
    pool = tr.chain[2]
    assert any("winner" in line.text for line in pool.lines)
    assert tr.upstream == pytest.approx(float(up[tr.upstream_cell[1:]]))


@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_each_optimizers_step_is_torch_optims_step(opt, sample):
    spec = presets.get("seed002").spec()
    torch.manual_seed(0)
    model = spec.build().eval()
    x, label = to_input(sample.test_images[:1]), int(sample.test_labels[0])
    lr, wd = 1e-3 if opt.startswith("adam") or opt == "rmsprop" else 0.05, 5e-4
    make_opt = {"sgd": lambda p: torch.optim.SGD(p, lr=lr, weight_decay=wd),
                "momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=wd),
                "nesterov": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd),
                "adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.999), weight_decay=wd),
                "adamw": lambda p: torch.optim.AdamW(p, lr=lr, betas=(0.9, 0.999), weight_decay=wd),
                "rmsprop": lambda p: torch.optim.RMSprop(p, lr=lr, momentum=0.9, weight_decay=wd)}[opt]
    ref = WeightRef(4, "weight", (7, 11, 1, 2))

    def torch_step(m, xb, yb):
        o = make_opt(m.parameters()) if not hasattr(m, "_opt") else m._opt
        m._opt = o
        o.zero_grad()
        F.cross_entropy(m(xb), yb).backward()
        o.step()

    # the first step, from zero state: on a float64 copy and on the float32 model itself
    tr = gradient(spec, model, x, label, ref, optimizer=opt, lr=lr, weight_decay=wd, **HYPER)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-6)):
        m = copy.deepcopy(model).to(dtype).eval()
        before = {k: v.detach().clone() for k, v in m.state_dict().items()}
        torch_step(m, x.to(dtype), torch.tensor([label]))
        assert float(m[3].weight.detach()[ref.index]) == pytest.approx(tr.step.new_w, abs=tol), dtype
        if dtype == torch.float32:  # every weight moved: the loss after is the real forward's
            assert tr.loss_after_all == pytest.approx(float(F.cross_entropy(m(x), torch.tensor([label]))), abs=1e-5)
            alone = copy.deepcopy(model)
            with torch.no_grad():
                alone[3].weight[ref.index] = tr.step.new_w
            assert tr.loss_after == pytest.approx(float(F.cross_entropy(alone(x), torch.tensor([label]))), abs=1e-5)
            assert not torch.equal(before["3.weight"], m.state_dict()["3.weight"])

    # from a given state: three steps on other digits first, then this digit
    m = copy.deepcopy(model).double().eval()
    for k in range(1, 4):
        torch_step(m, to_input(sample.test_images[k:k + 1]).double(), sample.test_labels[k:k + 1].long())
    st = m._opt.state[m[3].weight]
    given = {k: (float(v) if v.dim() == 0 else float(v[ref.index])) for k, v in st.items() if v is not None}
    assert given or opt == "sgd"  # plain SGD keeps no state: every step is a first step
    tr2 = gradient(spec, m, x, label, ref, optimizer=opt, lr=lr, state=given, weight_decay=wd, **HYPER)
    assert (tr2.loss_after_all is None) == bool(given)  # with a state, only this weight's own is known
    torch_step(m, x.double(), torch.tensor([label]))
    assert float(m[3].weight.detach()[ref.index]) == pytest.approx(tr2.step.new_w, abs=1e-12)
    after = m._opt.state[m[3].weight]
    for k, v in tr2.step.state.items():
        want = after[k] if after[k].dim() == 0 else after[k][ref.index]
        assert v == pytest.approx(float(want), abs=1e-12), k


def test_adams_first_step_from_zero_is_about_the_learning_rate_whatever_the_gradient():
    for g in (1e-6, 0.3, -20.0):
        s = optimizer_step("adam", 0.5, g, 1e-3)
        assert abs(s.delta) == pytest.approx(1e-3, rel=1e-2)
        assert np.sign(s.delta) == -np.sign(g)
        texts = [line.text for line in s.lines]
        assert any("bias correction" in t for t in texts) and s.state["step"] == 1
    assert optimizer_step("sgd", 0.5, 2.0, 0.1).new_w == pytest.approx(0.3)


def test_bad_requests_are_one_line_errors(sample):
    spec = presets.get("seed001").spec()
    model = spec.build().eval()
    x = to_input(sample.test_images[:1])
    for ref, words in ((WeightRef(2, "weight", (0,)), "no weights"), (WeightRef(99, "weight", (0,)), "does not exist"),
                       (WeightRef(1, "weight", (16, 0, 0, 0)), "outside"), (WeightRef(1, "weight", (0,)), "outside"),
                       (WeightRef(1, "scale", (0,)), "has no")):
        with pytest.raises(GradientError, match=words):
            gradient(spec, model, x, 3, ref)
    with pytest.raises(GradientError, match="unknown optimizer"):
        gradient(spec, model, x, 3, WeightRef(1, "bias", (0,)), optimizer="lion")
    with pytest.raises(GradientError, match="learning rate"):
        gradient(spec, model, x, 3, WeightRef(1, "bias", (0,)), lr=float("nan"))
    with pytest.raises(GradientError, match="class"):
        gradient(spec, model, x, 10, WeightRef(1, "bias", (0,)))


# --- seed004: the hand-written NumPy backprop beside the numerical gradient ----------------------------------------

def seed004_net(sample, steps=30):
    """seed004's network after a few SGD steps of its own engine code (not all-zero biases and tiny weights)."""
    net = NumpyMLP(784, 50, 10, seed=0)
    x = sample.train_images[:300].reshape(300, -1).numpy().astype(np.float64) / 255.0
    t = sample.train_labels[:300].numpy()
    for i in range(steps):
        b = slice((i * 50) % 300, (i * 50) % 300 + 50)
        for k, g in net.gradient(x[b], t[b]).items():
            net.params[k] -= 0.5 * g
    return net


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_seed004s_numpy_backprop_matches_the_numerical_gradient(key, sample):
    net = seed004_net(sample)
    x01 = sample.test_images[0].reshape(-1).numpy() / 255.0
    label = int(sample.test_labels[0])
    ink = int(np.argmax(x01))
    index = {"W1": (ink, 7), "b1": (7,), "W2": (7, label), "b2": (label,)}[key]
    before = {k: v.copy() for k, v in net.params.items()}
    r = numpy_gradient(net, x01, label, key, index)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)  # the check restores the weight
    assert r.grad == pytest.approx(r.engine, abs=1e-12)   # the lines' arithmetic is the engine's backprop
    assert abs(r.engine) > 1e-6                            # a gradient worth checking
    # central differences agree with the hand backprop (they differ by the 1e-7 that the loss adds inside its log)
    assert r.diff < 1e-5 and r.relative_error < 1e-5
    assert r.autograd == pytest.approx(r.engine, abs=1e-6)
    assert r.new_w == pytest.approx(r.weight - 0.1 * r.engine)
    net.params[key][index] = r.new_w
    assert r.loss_after == pytest.approx(net.loss(x01[None], np.array([label])))
    assert r.loss_after < r.loss                           # one SGD step on this digit lowers its loss
    assert r.lines and any("numerical" not in line.text for line in r.lines)


def test_seed004_as_a_torch_module_unfolds_back_to_the_numpy_network(sample):
    net = seed004_net(sample)
    spec = presets.get("seed004").spec()
    model = model_for(spec, net.state_dict())
    back = numpy_net(spec, model)
    for k in net.params:
        np.testing.assert_allclose(back.params[k], net.params[k], atol=2e-6)
    x = to_input(sample.test_images[:1])
    x01 = sample.test_images[0].reshape(-1).numpy() / 255.0
    label = int(sample.test_labels[0])
    r = numpy_gradient(back, x01, label, "b2", (label,))
    tr = gradient(spec, model, x, label, WeightRef(4, "bias", (label,)), engine="numpy")
    assert tr.loss == pytest.approx(r.loss, abs=1e-5)           # the softmax is the answer: applied once
    assert tr.grad == pytest.approx(r.engine, abs=1e-5) and tr.ok
    assert "Softmax" not in [s.kind for s in tr.chain]
    torch_way = gradient(spec, model, x, label, WeightRef(4, "bias", (label,)))  # as the torch engine would train
    assert torch_way.chain[0].kind == "Softmax" and abs(torch_way.grad) < abs(tr.grad)
    with pytest.raises(GradientError, match="outside"):
        numpy_gradient(back, x01, label, "W1", (784, 0))


def test_gradient_grids_write_tiny_gradients_with_one_common_factor():
    from mnist_core import charts
    fig = charts.gradient_grid(np.array([[1e-7, -3.2e-7], [-0.0, 2e-8]]), "dL/d(input)", mark=(0, 1), clickable=True)
    assert fig.layout.title.text == "dL/d(input) (x 1e-7)"
    assert fig.data[0].text == (["1.00", "-3.20"], ["0.00", "0.20"])  # no "-0" where ReLU stopped it
    assert len(fig.data[1].x) == 4 and fig.layout.clickmode == "event+select"  # one clickable marker per cell
    big = charts.gradient_grid(np.random.default_rng(0).normal(size=(14, 14)), "map")
    assert big.data[0].text is None and big.data[0].showscale  # too many cells to write: the values on hover

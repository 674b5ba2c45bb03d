import numpy as np
import pytest
import torch

from mnist_core import presets
from mnist_core.inference import to_input
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.loop import fit
from mnist_core.training.numpy_engine import NumpyMLP, check_spec, softmax


def batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


def test_backprop_matches_numerical_gradient():
    net = NumpyMLP(784, 50, 10, weight_init_std=0.5, seed=1)
    x, t = batch()
    ana = net.gradient(x, t)
    num = net.numerical_gradient(x, t, max_entries=300)
    for k in ("W1", "b1", "W2", "b2"):
        a, n = ana[k].reshape(-1)[:300], num[k].reshape(-1)[:300]
        assert np.abs(a - n).max() < 1e-6 + 1e-4 * np.abs(n).max(), k


def test_backprop_matches_pytorch_autograd():
    net = NumpyMLP(784, 50, 10, weight_init_std=0.3, seed=2)
    x, t = batch(16, 1)
    ana = net.gradient(x, t)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    xt = torch.tensor(x)
    z = torch.sigmoid(xt @ p["W1"] + p["b1"])
    loss = torch.nn.functional.cross_entropy(z @ p["W2"] + p["b2"], torch.tensor(t))
    loss.backward()
    assert loss.item() == pytest.approx(net.loss(x, t), abs=1e-5)  # the seed adds 1e-7 inside its log
    for k in p:
        np.testing.assert_allclose(ana[k], p[k].grad.numpy(), rtol=1e-6, atol=1e-9)


def test_softmax_is_stable():
    y = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(y).all() and y[0, 0] == pytest.approx(1.0)


def test_seed004_trains_through_the_same_interface(sample):
    p = presets.get("seed004")
    events = []
    cfg = TrainConfig(**{**p.train, "epochs": 15, "max_steps": None, "lr": 0.5})
    res = fit(p.spec(), cfg, sample, callback=events.append)
    assert res.status == "finished" and res.test_accuracy > 0.8
    assert {"start", "step", "epoch", "end"} <= {e.type for e in events}
    # the NumPy weights load into the spec's torch module, which reads normalised inputs like every model
    x = sample.test_images[:5].reshape(5, -1).numpy() / 255.0
    ours = res.model.numpy_net.predict(x)
    theirs = res.model(to_input(sample.test_images[:5])).detach().numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_numpy_engine_refuses_other_networks():
    with pytest.raises(ConfigError, match="NumPy engine"):
        check_spec(presets.get("seed001").spec())

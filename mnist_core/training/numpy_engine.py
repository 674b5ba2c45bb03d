"""seed004, from scratch: 784 -> 50 sigmoid -> 10 softmax in NumPy, with hand-written
backprop and a numerical gradient to check it against."""

from __future__ import annotations

import numpy as np
import torch

from mnist_core.data import MEAN, STD, Dataset
from mnist_core.i18n import N_, Text
from mnist_core.spec import ArchSpec, Flatten, Linear, Sigmoid, Softmax
from mnist_core.training.config import ConfigError


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(a):
    a = a - a.max(axis=1, keepdims=True)  # stable: exp never overflows
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(y, t):
    """Mean cross-entropy of probabilities ``y`` (B, 10) against integer labels ``t`` (B,)."""
    return float(-np.log(y[np.arange(len(t)), t] + 1e-7).mean())


class NumpyMLP:
    def __init__(self, n_in=784, n_hidden=50, n_out=10, weight_init_std=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": weight_init_std * rng.standard_normal((n_in, n_hidden)),
            "b1": np.zeros(n_hidden),
            "W2": weight_init_std * rng.standard_normal((n_hidden, n_out)),
            "b2": np.zeros(n_out),
        }

    def forward(self, x):
        p = self.params
        a1 = x @ p["W1"] + p["b1"]   # (B, 50)
        z1 = sigmoid(a1)
        a2 = z1 @ p["W2"] + p["b2"]  # (B, 10)
        return softmax(a2), (a1, z1)

    def predict(self, x):
        return self.forward(x)[0]

    def loss(self, x, t):
        return cross_entropy(self.predict(x), t)

    def accuracy(self, x, t):
        return float((self.predict(x).argmax(1) == t).mean())

    def gradient(self, x, t):
        """Backprop by hand: softmax+CE gives (y - onehot) / B at the output."""
        p = self.params
        y, (a1, z1) = self.forward(x)
        b = len(t)
        dy = y.copy()
        dy[np.arange(b), t] -= 1.0
        dy /= b
        grads = {"W2": z1.T @ dy, "b2": dy.sum(0)}
        dz1 = dy @ p["W2"].T
        da1 = dz1 * z1 * (1.0 - z1)  # sigmoid'(a1) = z1 (1 - z1)
        grads["W1"] = x.T @ da1
        grads["b1"] = da1.sum(0)
        return grads

    def numerical_gradient(self, x, t, h=1e-5, keys=None, max_entries=None):
        """Central differences, entry by entry: slow, the oracle for ``gradient``."""
        grads = {}
        for k in keys or self.params:
            w = self.params[k]
            g = np.zeros_like(w)
            flat_w, flat_g = w.reshape(-1), g.reshape(-1)
            n = len(flat_w) if max_entries is None else min(max_entries, len(flat_w))
            for i in range(n):
                old = flat_w[i]
                flat_w[i] = old + h
                fp = self.loss(x, t)
                flat_w[i] = old - h
                fm = self.loss(x, t)
                flat_w[i] = old
                flat_g[i] = (fp - fm) / (2 * h)
            grads[k] = g
        return grads

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The same network in the layout of the spec's nn.Sequential (Linear = index 1 and 3),
        for inputs normalised like every other model's (MNIST's mean and std).

        This network trains on pixels in 0..1 (as seed004 did); x01 = x * STD + MEAN folds
        into the first layer: W1 @ x01 + b1 = (STD W1) @ x + (b1 + MEAN * sum of W1's rows).
        """
        p = self.params
        w1 = p["W1"].T * STD                               # (50, 784)
        b1 = p["b1"] + MEAN * p["W1"].sum(axis=0)          # (50,)
        f32 = torch.float32
        return {"1.weight": torch.tensor(w1, dtype=f32), "1.bias": torch.tensor(b1, dtype=f32),
                "3.weight": torch.tensor(p["W2"].T, dtype=f32), "3.bias": torch.tensor(p["b2"], dtype=f32)}


def check_spec(spec: ArchSpec) -> int:
    """The NumPy engine trains Flatten, Linear(H), Sigmoid, Linear(10)[, Softmax] only."""
    kinds = [type(l) for l in spec.layers]
    if kinds not in ([Flatten, Linear, Sigmoid, Linear, Softmax], [Flatten, Linear, Sigmoid, Linear]):
        raise ConfigError(N_("the NumPy engine trains Flatten, Linear, Sigmoid, Linear(10), Softmax only: choose the "
                             "torch engine for this network"))
    return spec.layers[1].out_features


# What the NumPy engine does not do, as (setting, the value that means "off").
UNSUPPORTED = {"optimizer": "sgd", "weight_decay": 0.0, "label_smoothing": 0.0, "augment": False,
               "val_split": 0.0, "loss_reduction": "mean", "ema": 0.0}


def unsupported_settings(cfg) -> list[str]:
    """The settings in ``cfg`` that the NumPy engine would have to ignore."""
    return [k for k, off in UNSUPPORTED.items() if getattr(cfg, k) != off]


class NumpyEngine:
    """Mini-batch SGD as seed004 wrote it, as an engine of the one loop."""

    device = "CPU (NumPy)"

    def __init__(self, spec: ArchSpec, cfg, data: Dataset):
        hidden = check_spec(spec)
        ignored = unsupported_settings(cfg)
        if ignored:
            said = N_("the NumPy engine trains with plain SGD on mean cross-entropy only; it cannot use {items}: "
                      "reset it or choose the torch engine") if len(ignored) == 1 else \
                N_("the NumPy engine trains with plain SGD on mean cross-entropy only; it cannot use {items}: "
                   "reset them or choose the torch engine")
            raise ConfigError(Text(said, items=', '.join(ignored)))
        self.spec = spec
        self.rng = np.random.default_rng(cfg.seed)
        x_all = data.train_images.reshape(len(data.train_images), -1).numpy().astype(np.float64) / 255.0
        t_all = data.train_labels.numpy()
        order = self.rng.permutation(len(t_all))
        if cfg.subset:
            order = order[:cfg.subset]
        self.x_tr, self.t_tr = x_all[order], t_all[order]
        self.x_te = data.test_images.reshape(len(data.test_images), -1).numpy().astype(np.float64) / 255.0
        self.t_te = data.test_labels.numpy()
        self.net = NumpyMLP(784, hidden, 10, seed=cfg.seed)
        self.n_train = len(self.t_tr)
        self.losses, self.accs = [], []

    def start_info(self) -> dict:
        return {"train_size": self.n_train, "val_size": 0, "params": sum(v.size for v in self.net.params.values())}

    def begin_epoch(self, epoch: int):
        self.perm = self.rng.permutation(self.n_train)

    def train_step(self, b: int, bs: int, lr: float) -> int:
        idx = self.perm[b * bs:(b + 1) * bs]
        xb, tb = self.x_tr[idx], self.t_tr[idx]
        y, _ = self.net.forward(xb)
        self.losses.append(cross_entropy(y, tb))
        self.accs.append(float((y.argmax(1) == tb).mean()))
        for k, g in self.net.gradient(xb, tb).items():
            self.net.params[k] -= lr * g
        return len(tb)

    def take_log(self) -> tuple[float, float]:
        loss, acc = float(np.mean(self.losses)), float(np.mean(self.accs))
        self.losses, self.accs = [], []
        return loss, acc

    def evaluate(self) -> dict:
        y = self.net.predict(self.x_te)
        return {"test_loss": cross_entropy(y, self.t_te), "test_acc": float((y.argmax(1) == self.t_te).mean())}

    def module(self):
        return _as_module(self.spec, self.net)

    def finish(self, status: str):
        model = _as_module(self.spec, self.net)
        model.numpy_net = self.net  # the from-scratch object, for the curious
        return model, None, None


def _as_module(spec: ArchSpec, net: NumpyMLP):
    model = spec.build()
    model.load_state_dict(net.state_dict())
    return model.eval()

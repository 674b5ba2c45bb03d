"""seed004, from scratch: 784 -> 50 sigmoid -> 10 softmax in NumPy, with hand-written
backprop and a numerical gradient to check it against."""

from __future__ import annotations

import time

import numpy as np
import torch

from mnist_core.data import MEAN, STD, Dataset
from mnist_core.spec import ArchSpec, Flatten, Linear, Sigmoid, Softmax
from mnist_core.training.config import ConfigError
from mnist_core.training.loop import TrainResult, Watchdog, collapse_message, divergence_message, lr_factor, step_budget


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
        raise ConfigError("the NumPy engine trains Flatten, Linear, Sigmoid, Linear(10), Softmax only: "
                          "choose the torch engine for this network")
    return spec.layers[1].out_features


# What the NumPy engine does not do, as (setting, the value that means "off").
UNSUPPORTED = {"optimizer": "sgd", "weight_decay": 0.0, "label_smoothing": 0.0, "augment": False,
               "val_split": 0.0, "loss_reduction": "mean"}


def unsupported_settings(cfg) -> list[str]:
    """The settings in ``cfg`` that the NumPy engine would have to ignore."""
    return [k for k, off in UNSUPPORTED.items() if getattr(cfg, k) != off]


def fit_numpy(spec: ArchSpec, cfg, data: Dataset, emit, control, on_epoch_end=None):
    """Mini-batch SGD as seed004 wrote it, behind the same events and control as ``fit``."""
    hidden = check_spec(spec)
    ignored = unsupported_settings(cfg)
    if ignored:
        raise ConfigError(f"the NumPy engine trains with plain SGD on mean cross-entropy only; it cannot use "
                          f"{', '.join(ignored)}: reset {'it' if len(ignored) == 1 else 'them'} or choose the "
                          "torch engine")
    rng = np.random.default_rng(cfg.seed)
    x_all = data.train_images.reshape(len(data.train_images), -1).numpy().astype(np.float64) / 255.0
    t_all = data.train_labels.numpy()
    order = rng.permutation(len(t_all))
    if cfg.subset:
        order = order[:cfg.subset]
    x_tr, t_tr = x_all[order], t_all[order]
    x_te = data.test_images.reshape(len(data.test_images), -1).numpy().astype(np.float64) / 255.0
    t_te = data.test_labels.numpy()
    net = NumpyMLP(784, hidden, 10, seed=cfg.seed)
    n = len(t_tr)
    bs, steps_per_epoch, total = step_budget(cfg, n)
    emit({"type": "start", "device": "CPU (NumPy)", "total_steps": total, "steps_per_epoch": steps_per_epoch,
          "train_size": n, "val_size": 0, "params": sum(v.size for v in net.params.values()),
          "channels_last": False, "amp": "None"})
    dog = Watchdog(10, window=max(20, 200 // cfg.log_every))
    base_lr, step, seen, status, message = cfg.lr, 0, 0, "finished", ""
    history, t0, paused_for = [], time.perf_counter(), 0.0
    losses, accs = [], []
    for epoch in range(1, cfg.epochs + 1):
        perm = rng.permutation(n)
        ep_l = ep_a = ep_n = 0.0
        for b in range(steps_per_epoch):
            if control.paused:
                tp = time.perf_counter()
                control.wait_if_paused()
                paused_for += time.perf_counter() - tp
            stop, base_lr = control.poll(step, base_lr, emit)
            if stop:
                status, message = "stopped", f"stopped by the user at step {step}"
                break
            lr = base_lr * lr_factor(cfg, step, total, steps_per_epoch)
            idx = perm[b * bs:(b + 1) * bs]
            xb, tb = x_tr[idx], t_tr[idx]
            y, _ = net.forward(xb)
            losses.append(cross_entropy(y, tb))
            accs.append(float((y.argmax(1) == tb).mean()))
            for k, g in net.gradient(xb, tb).items():
                net.params[k] -= lr * g
            step += 1
            seen += len(tb)
            if step % cfg.log_every == 0 or b == steps_per_epoch - 1 or step == total:
                elapsed = time.perf_counter() - t0 - paused_for
                ml, ma = float(np.mean(losses)), float(np.mean(accs))
                ep_l, ep_a, ep_n = ep_l + ml * len(losses), ep_a + ma * len(losses), ep_n + len(losses)
                losses, accs = [], []
                emit({"type": "step", "step": step, "epoch": epoch, "loss": ml, "acc": ma, "lr": lr,
                      "ips": seen / elapsed if elapsed > 0 else 0.0, "elapsed": elapsed,
                      "eta": (total - step) * elapsed / step, "progress": step / total})
                if dog.diverged(ml):
                    status, message = "diverged", divergence_message(step, lr)
                    emit({"type": "message", "level": "error", "text": message})
                    break
                if dog.collapsed(step, ml, ma):
                    emit({"type": "message", "level": "warning",
                          "text": collapse_message(len(dog.window) * cfg.log_every, lr)})
            if step >= total:
                break
        if ep_n == 0:
            break
        yte = net.predict(x_te)
        rec = {"type": "epoch", "epoch": epoch, "train_loss": ep_l / ep_n, "train_acc": ep_a / ep_n,
               "test_loss": cross_entropy(yte, t_te), "test_acc": float((yte.argmax(1) == t_te).mean()),
               "seconds": time.perf_counter() - t0 - paused_for, "step": step}
        history.append(rec)
        emit(rec)
        if on_epoch_end and status != "diverged":
            on_epoch_end(_as_module(spec, net), epoch)
        if status != "finished" or step >= total:
            break
    model = _as_module(spec, net)
    model.numpy_net = net  # the from-scratch object, for the curious
    secs = time.perf_counter() - t0 - paused_for
    last = history[-1] if history else {"test_acc": None, "test_loss": None}
    emit({"type": "end", "status": status, "test_acc": last["test_acc"], "seconds": secs, "message": message})
    return TrainResult(model=model, status=status, test_accuracy=last["test_acc"], test_loss=last["test_loss"],
                       train_seconds=secs, images_seen=seen, steps=step, epochs_done=len(history),
                       device="CPU (NumPy)", history=history, message=message)


def _as_module(spec: ArchSpec, net: NumpyMLP):
    model = spec.build()
    model.load_state_dict(net.state_dict())
    return model.eval()

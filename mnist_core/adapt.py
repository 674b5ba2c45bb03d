"""Adapt a trained model to our handwriting: fine-tune it on MNIST plus our digits, then compare.

The test is our *held-out writers* (``classroom.handwriting.split_by_writer``: never a random share
of the digits, which would test the model on hands it learned from) and MNIST's test set (did it
forget MNIST?). Every score carries how many digits and writers it stands on, with a 95% interval,
and ``too_few`` says when that is too little to conclude anything.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core import MnistLabError
from mnist_core.data import Dataset
from mnist_core.i18n import N_, Text
from mnist_core.inference import predict_logits, to_input
from mnist_core.spec import ArchSpec
from mnist_core.training.augment import augment_batch

MAX_STEPS = 2000


class AdaptError(MnistLabError):
    """Fine-tuning cannot start (no digits, no writer to hold out, bad settings); one line."""


@dataclass(frozen=True)
class Score:
    accuracy: float | None  # None: no digits to score on
    n: int                  # digits
    writers: int            # writers (0 for MNIST: its writers are not recorded per digit)

    @property
    def interval(self) -> float:
        """Half-width of the 95% (Wilson) interval around the accuracy, in accuracy units."""
        if not self.n or self.accuracy is None:
            return float("nan")
        p, n, z = self.accuracy, self.n, 1.96
        return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


@dataclass(frozen=True)
class AdaptResult:
    model: nn.Module
    before_ours: Score
    after_ours: Score
    before_mnist: Score
    after_mnist: Score
    trained_on: Score       # our digits it learned from (training writers)
    steps: int

    def note(self) -> str:
        """One line for the new run: what it learned from and how it did (English: a run's note)."""
        return (f"fine-tuned on MNIST plus {self.trained_on.n} of our digits by {self.trained_on.writers} writers "
                f"for {self.steps} steps; held-out writers ({self.after_ours.n} digits, {self.after_ours.writers} "
                f"writers): {fmt(self.before_ours)} -> {fmt(self.after_ours)}; MNIST test: "
                f"{fmt(self.before_mnist)} -> {fmt(self.after_mnist)}")


def fmt(s: Score) -> str:
    return "n/a" if s.accuracy is None else f"{s.accuracy:.1%}"


def score(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, writers: list[str] | None = None) -> Score:
    n = len(labels)
    if n == 0:
        return Score(None, 0, 0)
    pred = predict_logits(model, images).argmax(1)
    return Score(float((pred == labels).float().mean()), n, len(set(writers)) if writers else 0)


def per_writer(pred: np.ndarray, labels: np.ndarray, writers: list[str]) -> list[tuple[str, float, int]]:
    """(writer, accuracy, digits) for each writer, worst read first (ties: more digits first)."""
    w = np.asarray(writers, dtype=object)
    rows = []
    for who in sorted(set(writers)):
        m = w == who
        rows.append((who, float((pred[m] == labels[m]).mean()), int(m.sum())))
    return sorted(rows, key=lambda r: (r[1], -r[2], r[0]))


def finetune(spec: ArchSpec, model: nn.Module, mnist: Dataset, ours_images: torch.Tensor, ours_labels: torch.Tensor,
             steps: int = 200, batch_size: int = 64, lr: float = 5e-4, ours_share: float = 0.5, augment: bool = True,
             seed: int = 0) -> nn.Module:
    """A copy of ``model`` trained ``steps`` Adam steps on batches that are ``ours_share`` our digits
    (drawn with replacement, distorted a little each time) and the rest MNIST training digits, so that
    it learns our hands without forgetting MNIST's. The original model is not changed."""
    if len(ours_labels) == 0:
        raise AdaptError(N_("there are no digits of training writers to fine-tune on"))
    if not 1 <= int(steps) <= MAX_STEPS:
        raise AdaptError(Text(N_("steps must be between 1 and {max_steps}"), max_steps=MAX_STEPS))
    if not 0.0 < ours_share <= 1.0 or not 1 <= int(batch_size) <= 1024 or not 0 < lr <= 1:
        raise AdaptError(N_("share of our digits in (0, 1], batch 1 to 1024, learning rate in (0, 1]"))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    tuned = copy.deepcopy(model).cpu().train()
    temperature = getattr(model, "temperature", 1.0)
    opt = torch.optim.Adam(tuned.parameters(), lr=lr)
    softmax_out = spec.ends_with_softmax()
    n_ours = max(1, round(batch_size * ours_share))
    n_mnist = batch_size - n_ours
    mx, my = mnist.train_images, mnist.train_labels
    for _ in range(int(steps)):
        pick = torch.randint(len(ours_labels), (n_ours,), generator=gen)
        xb, yb = ours_images[pick], ours_labels[pick]
        if n_mnist and len(my):
            pm = torch.randint(len(my), (n_mnist,), generator=gen)
            xb, yb = torch.cat([xb, mx[pm]]), torch.cat([yb, my[pm]])
        x = to_input(xb)
        if augment:
            x = augment_batch(x, gen, "affine")
        out = tuned(x)
        logp = torch.log(out.clamp_min(1e-12)) if softmax_out else F.log_softmax(out, 1)
        loss = F.nll_loss(logp, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    tuned.eval()
    tuned.temperature = temperature  # the old calibration: a fine-tuned model is re-checked on the Evaluation page
    return tuned


def adapt(spec: ArchSpec, model: nn.Module, mnist: Dataset, ours: Dataset, **kw) -> AdaptResult:
    """Fine-tune on MNIST plus our training writers; score before and after on held-out writers and MNIST test."""
    if ours.train_writers is None:
        raise AdaptError(N_("fine-tuning needs our digits (the 'Our class' set)"))
    if not ours.test_writers:
        raise AdaptError(N_("fine-tuning needs digits by at least two writers: one to learn from, one to test on "
                            "(the test is by writer, never by digit)"))
    before_ours = score(model, ours.test_images, ours.test_labels, ours.test_writers)
    before_mnist = score(model, mnist.test_images, mnist.test_labels)
    tuned = finetune(spec, model, mnist, ours.train_images, ours.train_labels, **kw)
    return AdaptResult(tuned, before_ours, score(tuned, ours.test_images, ours.test_labels, ours.test_writers),
                       before_mnist, score(tuned, mnist.test_images, mnist.test_labels),
                       Score(None, len(ours.train_labels), len(set(ours.train_writers))), int(kw.get("steps", 200)))

"""How far to trust a model's "99% sure": temperature scaling, reliability, and "not sure".

A network trained with cross-entropy tends to be over- or under-confident; label
smoothing caps its confidence near 1 - smoothing. Temperature scaling (Guo et al.,
2017) divides the logits by one number T fitted on held-out digits, which leaves every
prediction unchanged and makes "p% sure" mean "right p% of the time". The reliability
diagram and the expected calibration error (ECE) show how well that holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mnist_core.i18n import _

# Below this top probability the app says "not sure" instead of naming a digit. Chosen on
# data (benchmarks/demo_model_check.py's sweep, in BENCHMARKS.md): for the demo model it is
# the knee where turning away non-digits stops paying: at 0.70 it still reads 98.9% of
# MNIST's test digits (99.7% of those right) and refuses 97.7% of letters, smileys and
# scribbles; at 0.60 it refuses only 95.5%, at 0.80 it reads 1.5% fewer digits.
UNSURE_BELOW = 0.70


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, steps: int = 100) -> float:
    """The T > 0 that minimises the NLL of ``softmax(logits / T)`` on held-out data."""
    logits, labels = logits.detach().float().clone(), labels.detach().long().clone()  # clone: may be inference tensors
    if len(labels) == 0:
        return 1.0
    log_t = torch.zeros((), requires_grad=True)  # optimise log T: T stays positive
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss
    opt.step(closure)
    t = float(log_t.detach().exp())
    return t if math.isfinite(t) and 0.05 <= t <= 20 else 1.0


@dataclass
class Reliability:
    edges: np.ndarray        # (bins + 1,) confidence bin edges, 0..1
    confidence: np.ndarray   # (bins,) mean top probability per bin (NaN for an empty bin)
    accuracy: np.ndarray     # (bins,) fraction right per bin (NaN for an empty bin)
    counts: np.ndarray       # (bins,) digits per bin
    ece: float               # expected calibration error: sum over bins of |acc - conf| * share

    @property
    def mean_confidence(self) -> float:
        n = self.counts.sum()
        return float(np.nansum(self.confidence * self.counts) / n) if n else float("nan")


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> Reliability:
    """Bin digits by the model's top probability; compare each bin's confidence with its accuracy."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    conf, pred = probs.max(1), probs.argmax(1)
    right = (pred == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)  # (N,) bin of each digit
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, bins) / counts
        mean_acc = np.bincount(which, right, bins) / counts
    n = max(len(labels), 1)
    ece = float(np.nansum(np.abs(mean_acc - mean_conf) * counts) / n)
    return Reliability(edges, mean_conf, mean_acc, counts, ece)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    return reliability(probs, labels, bins).ece


@dataclass
class Verdict:
    """What to tell a student about one prediction."""
    label: int               # the top class
    confidence: float        # its probability
    margin: float            # top minus runner-up
    entropy: float           # in bits: 0 = certain, log2(10) = 3.32 = no idea
    sure: bool               # confidence >= the threshold
    top: list[tuple[int, float]]  # the three likeliest classes

    @property
    def reading(self) -> str:
        """The uncertainty in plain words, in this session's language (the CLI's: English)."""
        if self.sure and self.margin > 0.9:
            return _("sure: the other digits hardly get a look-in")
        if self.sure:
            return _("fairly sure, though {digit} also got {share}").format(digit=self.top[1][0],
                                                                            share=f"{self.top[1][1]:.0%}")
        if self.entropy > 2.0:
            return _("lost: the probability is spread over many digits, as for something that is not a digit")
        return _("torn between {first} and {second}").format(first=self.top[0][0], second=self.top[1][0])

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(self.confidence, 6), "margin": round(self.margin, 6),
                "entropy_bits": round(self.entropy, 4), "sure": self.sure, "reading": self.reading,
                "top": [[c, round(p, 6)] for c, p in self.top]}


def verdict(probs: np.ndarray, threshold: float = UNSURE_BELOW) -> Verdict:
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    order = np.argsort(-p)
    ent = float(-(p * np.log2(np.clip(p, 1e-12, 1))).sum())
    return Verdict(label=int(order[0]), confidence=float(p[order[0]]), margin=float(p[order[0]] - p[order[1]]),
                   entropy=max(ent, 0.0), sure=bool(p[order[0]] >= threshold),
                   top=[(int(i), float(p[i])) for i in order[:3]])


def choose_threshold(digit_conf: np.ndarray, keep: float = 0.995) -> float:
    """The largest confidence threshold that still accepts ``keep`` of real digits."""
    conf = np.sort(np.asarray(digit_conf, dtype=np.float64))
    if len(conf) == 0:
        return UNSURE_BELOW
    return float(conf[int(np.floor((1 - keep) * len(conf)))])

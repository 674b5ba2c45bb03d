"""Looking inside a model: kernels, feature maps, saliency, embeddings, confusion.

(Named like the standard library's ``inspect``; always imported as
``mnist_core.inspect``, so the two never meet.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset
from .spec import ArchSpec
from .engine import predict_logits, to_input


@dataclass
class LayerOutput:
    index: int          # 1-based layer number
    label: str
    kind: str
    shape: tuple
    values: np.ndarray  # (C, H, W) for maps, (F,) for vectors


def probabilities(spec: ArchSpec, outputs: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Model outputs -> probabilities, without a second softmax for specs that end in one;
    logits are divided by the run's calibration temperature first."""
    if spec.ends_with_softmax():
        return outputs
    return F.softmax(outputs / temperature if temperature != 1.0 else outputs, dim=-1)


def temperature(model: nn.Module) -> float:
    """The calibration temperature a loaded run carries (1.0: uncalibrated)."""
    return float(getattr(model, "temperature", 1.0))


@torch.inference_mode()
def predict(spec: ArchSpec, model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Calibrated probabilities (10,) for one normalised input (1, 1, 28, 28)."""
    if model.training:
        model.eval()
    return probabilities(spec, model(x), temperature(model))[0].float().numpy()


def kernels(spec: ArchSpec, model: nn.Module) -> list[tuple[int, str, np.ndarray]]:
    """(layer number, label, weights (C_out, C_in, k, k)) for every conv layer."""
    out = []
    for i, (layer, mod) in enumerate(zip(spec.layers, model)):
        if isinstance(mod, nn.Conv2d):
            out.append((i + 1, layer.label(), mod.weight.detach().float().cpu().numpy()))
    return out


@torch.inference_mode()
def layer_outputs(spec: ArchSpec, model: nn.Module, x: torch.Tensor) -> list[LayerOutput]:
    """The output of every layer for one input (1, 1, 28, 28), in order."""
    model.eval()
    outs = []
    h = x
    for i, (layer, mod) in enumerate(zip(spec.layers, model)):
        h = mod(h)
        outs.append(LayerOutput(i + 1, layer.label(), layer.kind, tuple(h.shape[1:]), h[0].float().cpu().numpy()))
    return outs


def saliency(spec: ArchSpec, model: nn.Module, x: torch.Tensor, target: int | None = None) -> tuple[np.ndarray, int]:
    """Gradient x input of the target class score (default: the predicted class), (28, 28)."""
    model.eval()
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = model(x)
        score = torch.log(out.clamp_min(1e-12)) if spec.ends_with_softmax() else out
        if target is None:
            target = int(out.argmax(1))
        score[0, target].backward()
    sal = (x.grad * x).detach()[0, 0].numpy()
    return sal, target


@dataclass
class Evaluation:
    accuracy: float
    per_class: np.ndarray       # (10,)
    confusion: np.ndarray       # (10, 10): rows true, columns predicted
    pred: np.ndarray            # (N,)
    probs: np.ndarray           # (N, 10)
    labels: np.ndarray          # (N,)

    def cell(self, true: int, pred: int) -> np.ndarray:
        """Indices of test digits of class ``true`` that were predicted as ``pred``."""
        return np.nonzero((self.labels == true) & (self.pred == pred))[0]

    def worst_mistakes(self, k: int = 24) -> np.ndarray:
        """Indices of the most confident wrong predictions, most confident first."""
        wrong = np.nonzero(self.pred != self.labels)[0]
        conf = self.probs[wrong, self.pred[wrong]]
        return wrong[np.argsort(-conf)][:k]


def evaluate_model(spec: ArchSpec, model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                   num_classes: int = 10) -> Evaluation:
    out = predict_logits(model, images)
    probs = probabilities(spec, out, temperature(model)).numpy()
    pred = probs.argmax(1)
    y = labels.numpy()
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    per_class = np.divide(np.diag(cm), cm.sum(1), out=np.full(num_classes, np.nan), where=cm.sum(1) > 0)
    return Evaluation(float((pred == y).mean()) if len(y) else float("nan"), per_class, cm, pred, probs, y)


# --- dataset views -----------------------------------------------------------------

def class_counts(labels: torch.Tensor, num_classes: int = 10) -> np.ndarray:
    return torch.bincount(labels, minlength=num_classes).numpy()


def mean_digits(images: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> np.ndarray:
    """(10, 28, 28) mean image of each class, 0..255 (NaN-free: an absent class is zeros)."""
    out = np.zeros((num_classes, 28, 28), dtype=np.float32)
    for c in range(num_classes):
        sel = images[labels == c]
        if len(sel):
            out[c] = sel.float().mean(0).numpy()
    return out


def pixel_histogram(images: torch.Tensor, bins: int = 32) -> tuple[np.ndarray, np.ndarray]:
    counts = torch.histc(images.float(), bins=bins, min=0, max=255).numpy()
    edges = np.linspace(0, 255, bins + 1)
    return counts, edges


def pca_2d(images: torch.Tensor, n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D PCA of (a sample of) images: (N, 2) coordinates and the indices used."""
    idx = np.arange(len(images))
    if n is not None and n < len(images):
        idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    x = images[torch.from_numpy(idx)].reshape(len(idx), -1).float() / 255.0
    x = x - x.mean(0, keepdim=True)
    _, _, v = torch.pca_lowrank(x, q=2, center=False, niter=4)
    return (x @ v[:, :2]).numpy(), idx


def tsne_2d(images: torch.Tensor, n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """t-SNE of a sample (slow: seconds per thousand digits), after a 50-D PCA."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = min(n, len(images))
    idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    x = images[torch.from_numpy(idx)].reshape(n, -1).float().numpy() / 255.0
    x50 = PCA(n_components=min(50, n - 1), random_state=seed).fit_transform(x)
    emb = TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, max(5.0, n / 10))).fit_transform(x50)
    return emb, idx


def digit_input(data: Dataset, split: str, index: int) -> tuple[torch.Tensor, int]:
    """A dataset digit as a normalised input (1, 1, 28, 28) and its label."""
    images, labels = data.split(split)
    index = int(np.clip(index, 0, len(images) - 1))
    return to_input(images[index:index + 1]), int(labels[index])

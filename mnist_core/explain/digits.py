"""What a dataset looks like, before any model: class balance, mean digits, pixel intensities,
2-D projections (PCA, t-SNE).

Each takes the images and labels as NumPy arrays or CPU tensors. Counts, means and the histogram are
NumPy only, so that the Dataset page (the first page a visitor sees) never waits for torch to load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def class_counts(labels: np.ndarray | torch.Tensor, num_classes: int = 10) -> np.ndarray:
    return np.bincount(np.asarray(labels), minlength=num_classes)


def mean_digits(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor,
                num_classes: int = 10) -> np.ndarray:
    """(10, 28, 28) mean image of each class, 0..255 (NaN-free: an absent class is zeros)."""
    images, labels = np.asarray(images), np.asarray(labels)
    out = np.zeros((num_classes, 28, 28), dtype=np.float32)
    for c in range(num_classes):
        sel = images[labels == c]
        if len(sel):
            out[c] = sel.mean(0, dtype=np.float64)
    return out


def pixel_histogram(images: np.ndarray | torch.Tensor, bins: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """How many pixels fall in each of ``bins`` equal brightness bins over 0..255 (as ``torch.histc``:
    bin ``floor(v * bins / 255)``, 255 in the last), and the bins' edges. Counted per brightness
    first (``bincount`` of uint8 values), so 47 million pixels take a fraction of a second."""
    per_value = np.bincount(np.asarray(images, dtype=np.uint8).ravel(), minlength=256).astype(np.float32)
    which = np.minimum(np.arange(256) * bins // 255, bins - 1)
    counts = np.bincount(which, weights=per_value, minlength=bins).astype(np.float32)
    edges = np.linspace(0, 255, bins + 1)
    return counts, edges


def pca_2d(images: np.ndarray | torch.Tensor, n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2-D PCA of (a sample of) images: (N, 2) coordinates and the indices used."""
    import torch

    images = torch.as_tensor(images)
    idx = np.arange(len(images))
    if n is not None and n < len(images):
        idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    x = images[torch.from_numpy(idx)].reshape(len(idx), -1).float() / 255.0
    x = x - x.mean(0, keepdim=True)
    _, _, v = torch.pca_lowrank(x, q=2, center=False, niter=4)
    return (x @ v[:, :2]).numpy(), idx


def tsne_2d(images: np.ndarray | torch.Tensor, n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """t-SNE of a sample (slow: seconds per thousand digits), after a 50-D PCA."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    images = np.asarray(images)
    n = min(n, len(images))
    idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    x = images[idx].reshape(n, -1).astype(np.float32) / 255.0
    x50 = PCA(n_components=min(50, n - 1), random_state=seed).fit_transform(x)
    emb = TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, max(5.0, n / 10))).fit_transform(x50)
    return emb, idx

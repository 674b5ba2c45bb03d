"""What a dataset looks like, before any model: class balance, mean digits, pixel intensities,
2-D projections (PCA, t-SNE)."""

from __future__ import annotations

import numpy as np
import torch


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

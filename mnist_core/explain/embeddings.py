""""You are here": a digit placed among the training digits, in pixels and in the network's eyes.

The network's penultimate layer (what the last Linear layer reads) is its own description
of a digit. For a fixed sample of training digits we take those features, fit a 2-D PCA
(which, unlike t-SNE, can place a new point on the existing map) and a nearest-neighbour
index, then place any input (a student's drawing) as a star and list its nearest training
digits: in feature space they share the network's idea of the digit; in raw pixel space
they merely share ink in the same places. The contrast is the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mnist_core import MnistLabError
from mnist_core.data import Dataset
from mnist_core.i18n import _
from mnist_core.inference import to_input
from mnist_core.spec import ArchSpec


class EmbeddingError(MnistLabError):
    pass


def feature_layer(spec: ArchSpec) -> int:
    """How many layers feed the last Linear layer (its input is the embedding)."""
    linear = [i for i, lay in enumerate(spec.layers) if lay.kind == "Linear"]
    if not linear:
        raise EmbeddingError(_("this network has no Linear layer to read features before"))
    return linear[-1]


@torch.inference_mode()
def features(spec: ArchSpec, model: nn.Module, images: torch.Tensor, batch: int = 1000) -> np.ndarray:
    """(N, F) penultimate features of uint8 images (N, 28, 28)."""
    model.eval()
    head = model[:feature_layer(spec)]
    out = [head(to_input(images[i:i + batch])).flatten(1).float() for i in range(0, len(images), batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)


def sample_indices(n_total: int, n: int, seed: int = 0) -> np.ndarray:
    """A fixed, sorted sample of ``n`` indices (the same for every model, so maps compare)."""
    n = min(n, n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, n, replace=False))


@dataclass
class EmbeddingMap:
    space: str                 # "features" or "pixels"
    indices: np.ndarray        # (N,) training-digit indices of the sample
    labels: np.ndarray         # (N,)
    vectors: np.ndarray        # (N, F) the sample in that space
    coords: np.ndarray         # (N, 2) PCA coordinates
    pca: object                # sklearn PCA, fitted
    knn: object                # sklearn NearestNeighbors, fitted
    explained: float           # share of the variance the two axes show
    separation: float          # how well the classes separate on the map: mean silhouette (-1..1)

    def place(self, vectors: np.ndarray) -> np.ndarray:
        """(M, F) new vectors -> (M, 2) coordinates on this map."""
        return self.pca.transform(np.asarray(vectors, dtype=np.float32))

    def neighbours(self, vector: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(training indices, distances) of the k nearest sample digits to one vector."""
        d, i = self.knn.kneighbors(np.asarray(vector, dtype=np.float32).reshape(1, -1), n_neighbors=k)
        return self.indices[i[0]], d[0]


def pixel_vectors(images: torch.Tensor) -> np.ndarray:
    return images.reshape(len(images), -1).float().numpy() / 255.0


def build_map(data: Dataset, space: str = "features", spec: ArchSpec | None = None, model: nn.Module | None = None,
              n: int = 2000, seed: int = 0) -> EmbeddingMap:
    """The map of a fixed sample of training digits, in pixel or feature space."""
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    if space not in ("features", "pixels"):
        raise EmbeddingError(_("unknown space {space}: features or pixels").format(space=repr(space)))
    idx = sample_indices(len(data.train_labels), n, seed)
    images = data.train_images[torch.from_numpy(idx)]
    if space == "pixels":
        vecs = pixel_vectors(images)
    else:
        if spec is None or model is None:
            raise EmbeddingError(_("a feature map needs a model"))
        vecs = features(spec, model, images)
    pca = PCA(n_components=2, random_state=seed).fit(vecs)
    coords, labels = pca.transform(vecs), data.train_labels[torch.from_numpy(idx)].numpy()
    sep = float(silhouette_score(coords, labels)) if len(set(labels)) > 1 else 0.0  # O(n^2): once, here
    return EmbeddingMap(space, idx, labels, vecs, coords, pca, NearestNeighbors().fit(vecs),
                        float(pca.explained_variance_ratio_.sum()), sep)


def vector_of(space: str, image: np.ndarray | torch.Tensor, spec: ArchSpec | None = None,
              model: nn.Module | None = None) -> np.ndarray:
    """One uint8 28x28 image (a drawing) in the map's space."""
    img = torch.as_tensor(np.asarray(image, dtype=np.uint8))[None]
    return pixel_vectors(img)[0] if space == "pixels" else features(spec, model, img)[0]

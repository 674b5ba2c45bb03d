"""Training time-travel: replay how a network's insides formed, snapshot by snapshot.

A run keeps its weights at log-spaced optimizer steps of the first epoch
(``snapshots/step_NNNNNN.safetensors``: 0, 1, 2, 5, 10, 20, 50, ...) and at every epoch's
end (``epochs/epoch_NNN.safetensors``); runs saved before the step snapshots existed
still replay their epochs. ``frame`` computes what one moment looks like for one input:
the first layer's kernels, its feature maps, the ten probabilities, and accuracy and the
confusion matrix on a fixed test subset. ``EmbeddingBasis`` fixes one 2-D basis (PCA of
the final model's features) so the class clusters are seen to form in the same picture.
A snapshot's label is in the session's language (``snapshots`` is called in the page's run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mnist_core import MnistLabError
from mnist_core.explain.activations import kernels, layer_outputs
from mnist_core.explain.embeddings import feature_layer, features, sample_indices
from mnist_core.i18n import _
from mnist_core.inference import evaluate_model, predict
from mnist_core.runs import model_for, read_weights
from mnist_core.spec import ArchSpec


class TimeTravelError(MnistLabError):
    pass


@dataclass
class Snapshot:
    label: str       # "step 20", "end of epoch 2"
    order: int       # sort key: steps first, then epoch ends
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem


def snapshots(run_dir: Path) -> list[Snapshot]:
    """A run's snapshots in the order they were taken (empty for a run without any)."""
    out = []
    for p in sorted((Path(run_dir) / "snapshots").glob("step_*.safetensors")):
        m = re.fullmatch(r"step_(\d+)", p.stem)
        if m:
            n = int(m.group(1))
            out.append(Snapshot(_("the random start") if n == 0 else _("step {n}").format(n=n), n, p))
    for p in sorted((Path(run_dir) / "epochs").glob("epoch_*.safetensors")):
        m = re.fullmatch(r"epoch_(\d+)", p.stem)
        if m:
            out.append(Snapshot(_("end of epoch {n}").format(n=int(m.group(1))), 10 ** 9 + int(m.group(1)), p))
    return sorted(out, key=lambda s: s.order)


def load_snapshot(spec: ArchSpec, snap: Snapshot) -> nn.Module:
    state, _ = read_weights(snap.path)
    return model_for(spec, state)


def snapshot_bytes(run_dir: Path) -> int:
    return sum(s.path.stat().st_size for s in snapshots(run_dir))


@dataclass
class Frame:
    label: str
    kernels: np.ndarray | None    # (C_out, C_in, k, k) of the first conv layer, or None
    maps: np.ndarray | None       # (C, H, W) the first conv layer's output for the input
    probs: np.ndarray             # (10,)
    accuracy: float               # on the fixed test subset
    confusion: np.ndarray         # (10, 10)


def frame(spec: ArchSpec, model: nn.Module, x: torch.Tensor, test_images: torch.Tensor, test_labels: torch.Tensor,
          label: str = "") -> Frame:
    ks = kernels(spec, model)
    outs = layer_outputs(spec, model, x)
    first = next((o for o in outs if o.kind == "Conv2d"), None)
    ev = evaluate_model(spec, model, test_images, test_labels)
    return Frame(label, ks[0][2] if ks else None, first.values if first else None, predict(spec, model, x),
                 ev.accuracy, ev.confusion)


class EmbeddingBasis:
    """One PCA basis for every snapshot of a run: fitted on the final model's features of a fixed
    training sample, so that moving clusters mean the network changed, not the axes."""

    def __init__(self, spec: ArchSpec, final: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                 n: int = 1000, seed: int = 0):
        from sklearn.decomposition import PCA
        if feature_layer(spec) == 0:
            raise TimeTravelError(_("this network has no hidden layer to map"))
        idx = torch.from_numpy(sample_indices(len(labels), n, seed))
        self.spec, self.images, self.labels = spec, images[idx], labels[idx].numpy()
        self.pca = PCA(n_components=2, random_state=seed).fit(features(spec, final, self.images))

    def coords(self, model: nn.Module) -> np.ndarray:
        """(n, 2): the sample as this snapshot's features see it, on the fixed axes."""
        return self.pca.transform(features(self.spec, model, self.images))

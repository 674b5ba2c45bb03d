"""Inference, shared by every page and module that asks a model something: images to the
network's input, outputs in batches, probabilities with the run's calibration, and a model's
evaluation on a labelled set. Training imports this; this imports no training code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.data import MEAN, STD, Dataset
from mnist_core.spec import ArchSpec


def autocast_dtype(device: torch.device, amp: bool = True) -> torch.dtype | None:
    """bf16 on CUDA (fast on tensor cores); None elsewhere: bf16 is slower on CPUs without it."""
    if amp and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def to_input(images: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """uint8 (B, 28, 28) -> normalised float (B, 1, 28, 28), on the images' device."""
    x = images.unsqueeze(1).to(torch.float32).mul_(1.0 / (255.0 * STD)).sub_(MEAN / STD)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, device: torch.device | str = "cpu",
                   batch_size: int = 2000, channels_last: bool = False) -> torch.Tensor:
    """Model outputs for uint8 images (N, 28, 28), in batches, returned on the CPU as float32."""
    device = torch.device(device)
    was_training = model.training
    model.eval()
    outs = []
    dtype = autocast_dtype(device)
    for i in range(0, len(images), batch_size):
        xb = to_input(images[i:i + batch_size].to(device, non_blocking=True), channels_last)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            outs.append(model(xb).float())
    model.train(was_training)
    return torch.cat(outs).cpu() if outs else torch.empty(0, 10)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device="cpu",
             outputs_probs: bool = False, channels_last: bool = False) -> dict:
    """Loss and accuracy on a labelled set. ``outputs_probs``: the model ends with Softmax."""
    out = predict_logits(model, images, device, channels_last=channels_last)
    labels = labels.cpu()
    logp = torch.log(out.clamp_min(1e-12)) if outputs_probs else F.log_softmax(out, 1)
    loss = F.nll_loss(logp, labels).item() if len(labels) else float("nan")
    pred = out.argmax(1)
    acc = (pred == labels).float().mean().item() if len(labels) else float("nan")
    return {"loss": loss, "accuracy": acc, "pred": pred}


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


def digit_input(data: Dataset, split: str, index: int) -> tuple[torch.Tensor, int]:
    """A dataset digit as a normalised input (1, 1, 28, 28) and its label."""
    images, labels = data.split(split)
    index = int(np.clip(index, 0, len(images) - 1))
    return to_input(images[index:index + 1]), int(labels[index])

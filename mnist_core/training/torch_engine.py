"""The torch engine: what the loop (``loop.py``) needs from PyTorch, for any spec. The data is
staged once (uint8 stays uint8 until a batch is drawn: 4x less memory traffic; on CUDA the whole
set sits on the GPU), each step is one optimizer step with the config's loss, augmentation and
outlier exposure, losses are summed on the device and read back once per log interval."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.data import Dataset
from mnist_core.i18n import N_
from mnist_core.inference import autocast_dtype, evaluate, predict_logits, to_input
from mnist_core.spec import ArchSpec
from mnist_core.training.augment import augment_batch
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.devices import describe_device, pick_device, use_channels_last
from mnist_core.training.schedule import make_optimizer


class TorchEngine:
    def __init__(self, spec: ArchSpec, cfg: TrainConfig, data: Dataset):
        analysis = spec.analyze(loss="cross_entropy")
        if not analysis.ok:
            raise ConfigError(analysis.errors[0])
        self.spec, self.cfg, self.params = spec, cfg, analysis.total_params
        self.dev = pick_device(cfg.device)
        if self.dev.type == "cpu" and cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self._stage(data)
        self.chlast = use_channels_last(spec, cfg, self.dev)
        self.model = spec.build().to(self.dev)
        if self.chlast:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.softmax_out = spec.ends_with_softmax()
        self.opt = make_optimizer(self.model.parameters(), cfg)
        self.ema = None  # an exponential average of the weights (and batch-norm statistics), when asked
        if cfg.ema:
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
            self.ema = AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema), use_buffers=True)
        self.amp = autocast_dtype(self.dev, cfg.amp)
        self.device = describe_device(self.dev)
        self.loss_sum = torch.zeros((), device=self.dev)
        self.correct = torch.zeros((), device=self.dev, dtype=torch.long)
        self.count = 0

    def _stage(self, data: Dataset):
        images, labels = data.train_images, data.train_labels
        order = torch.randperm(len(labels), generator=self.gen)
        if self.cfg.subset:
            order = order[:self.cfg.subset]
        n_val = int(len(order) * self.cfg.val_split)
        val_idx, train_idx = order[:n_val], order[n_val:]
        if len(train_idx) == 0:
            raise ConfigError(N_("no training images left: raise the subset size or lower the validation split"))
        self.x_train, self.y_train = images[train_idx].to(self.dev), labels[train_idx].to(self.dev)
        self.x_val, self.y_val = images[val_idx], labels[val_idx]
        self.x_test, self.y_test = data.test_images.to(self.dev), data.test_labels.to(self.dev)
        self.n_train, self.n_val = len(train_idx), n_val
        self.bank = outlier_bank(self.cfg, self.dev)  # (M, 28, 28) uint8 non-digits, or None

    def start_info(self) -> dict:
        return {"train_size": self.n_train, "val_size": self.n_val, "params": self.params,
                "channels_last": self.chlast, "amp": str(self.amp)}

    def begin_epoch(self, epoch: int):
        self.model.train()
        self.perm = torch.randperm(self.n_train, generator=self.gen).to(self.dev)

    def train_step(self, b: int, bs: int, lr: float) -> int:
        cfg = self.cfg
        for g in self.opt.param_groups:
            g["lr"] = lr
        idx = self.perm[b * bs:(b + 1) * bs]
        xb, yb = to_input(self.x_train[idx], self.chlast), self.y_train[idx]  # (B, 1, 28, 28), (B,)
        n_out = 0
        if self.bank is not None:  # outlier exposure: a few non-digits ride along in the batch
            n_out = max(1, int(len(yb) * cfg.outliers))
            pick = torch.randint(len(self.bank), (n_out,), generator=self.gen).to(self.dev)
            xb = torch.cat([xb, to_input(self.bank[pick], self.chlast)])
        if cfg.augment:  # the first augment_clean of the (shuffled) digits stay as they are, or mildly distorted
            k = int(len(yb) * cfg.augment_clean)
            clean = xb[:k]
            if k and cfg.augment_clean_style:
                clean = augment_batch(clean, self.gen, cfg.augment_clean_style)
            xb = torch.cat([clean, augment_batch(xb[k:], self.gen, cfg.augment_style)]) if k else \
                augment_batch(xb, self.gen, cfg.augment_style)
        with torch.autocast(self.dev.type, dtype=self.amp, enabled=self.amp is not None):
            out = self.model(xb).float()  # (B [+ outliers], 10)
        if n_out:
            out, out_junk = out[:-n_out], out[-n_out:]
        # With a final Softmax this is seed000's bug, reproduced on purpose: CE of probabilities.
        loss = F.cross_entropy(out, yb, reduction=cfg.loss_reduction, label_smoothing=cfg.label_smoothing)
        digit_loss = loss  # what the charts show: the loss on the digits alone
        if n_out:  # cross-entropy to the flat distribution: "I don't know" on non-digits
            loss = loss - cfg.outlier_weight * F.log_softmax(out_junk, 1).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        bn = len(yb)
        per_sample = digit_loss.detach() / bn if cfg.loss_reduction == "sum" else digit_loss.detach()
        self.loss_sum += per_sample * bn  # stays on the device: no sync per step
        self.correct += (out.detach().argmax(1) == yb).sum()
        self.count += bn
        return bn

    def take_log(self) -> tuple[float, float]:
        k = max(self.count, 1)
        loss, acc = self.loss_sum.item() / k, self.correct.item() / k  # a CPU-GPU sync point
        self.loss_sum.zero_()
        self.correct.zero_()
        self.count = 0
        return loss, acc

    def _eval_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.model

    def evaluate(self) -> dict:
        model = self._eval_model()
        ev = evaluate(model, self.x_test, self.y_test, self.dev, self.softmax_out, self.chlast)
        scores = {"test_loss": ev["loss"], "test_acc": ev["accuracy"]}
        if self.n_val:
            vx, vy = self.x_val.to(self.dev), self.y_val.to(self.dev)
            scores["val_acc"] = evaluate(model, vx, vy, self.dev, self.softmax_out, self.chlast)["accuracy"]
        return scores

    def module(self) -> nn.Module:
        return self._eval_model()

    def finish(self, status: str) -> tuple[nn.Module, float | None, float | None]:
        temperature = ece = None
        if self.ema is not None:
            self.model = self.ema.module
        if status != "diverged" and not self.softmax_out:
            temperature, ece = calibrate(self.model, self.cfg, self.x_val, self.y_val, self.x_test, self.y_test,
                                         self.dev, self.chlast)
        model = self.model.to("cpu", memory_format=torch.contiguous_format).eval()
        model.temperature = temperature or 1.0
        return model, temperature, ece


def outlier_bank(cfg: TrainConfig, device: torch.device) -> torch.Tensor | None:
    if not cfg.outliers:
        return None
    from mnist_core.synthetic import outlier_bank as make
    return torch.from_numpy(make(seed=cfg.seed + 12345)).to(device)


def calibrate(model, cfg: TrainConfig, val_x, val_y, test_x, test_y, device, chlast) -> tuple[float | None, float]:
    """(temperature fitted on the validation digits or None, the test set's ECE with it)."""
    from mnist_core.calibration import expected_calibration_error, fit_temperature
    t = None
    if cfg.calibrate and len(val_y):
        t = fit_temperature(predict_logits(model, val_x.to(device), device, channels_last=chlast), val_y)
    logits = predict_logits(model, test_x, device, channels_last=chlast)
    probs = F.softmax(logits / (t or 1.0), 1).numpy()
    return t, expected_calibration_error(probs, test_y.cpu().numpy())

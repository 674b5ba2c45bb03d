"""How much and how fast a run trains: the optimizer, the step budget, the learning-rate
schedule and the steps at which the weights are kept for time travel."""

from __future__ import annotations

import math

import torch

from mnist_core.training.config import TrainConfig


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    o, lr, wd = cfg.optimizer, cfg.lr, cfg.weight_decay
    if o == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, nesterov=o == "nesterov", weight_decay=wd)
    if o == "adam":
        return torch.optim.Adam(params, lr=lr, betas=cfg.betas, weight_decay=wd)
    if o == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=cfg.betas, weight_decay=wd)
    return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)


def step_budget(cfg: TrainConfig, n: int) -> tuple[int, int, int]:
    """(batch size, optimizer steps per epoch, steps in all) for ``n`` training digits, after the
    dry-run caps ``max_batches`` and ``max_steps``."""
    bs = min(cfg.batch_size, n)
    steps_per_epoch = math.ceil(n / bs)
    if cfg.max_batches:
        steps_per_epoch = min(steps_per_epoch, cfg.max_batches)
    total = steps_per_epoch * cfg.epochs
    return bs, steps_per_epoch, min(total, cfg.max_steps) if cfg.max_steps else total


def lr_factor(cfg: TrainConfig, step: int, total: int, steps_per_epoch: int) -> float:
    """The schedule as a multiplier of the base rate at optimizer step ``step`` (0-based)."""
    frac = min(step / max(total, 1), 1.0)
    if cfg.schedule == "step":
        return cfg.gamma ** (step // max(steps_per_epoch * cfg.step_epochs, 1))
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * frac))
    if cfg.schedule == "onecycle":  # linear warm-up over 25%, then linear decay to near zero
        warm = 0.25
        return 0.04 + 0.96 * frac / warm if frac < warm else max(1.0 - (frac - warm) / (1 - warm), 0.0) + 1e-3
    return 1.0


def snapshot_plan(steps_per_epoch: int) -> set[int]:
    """Log-spaced optimizer steps in the first epoch (1, 2, 5, 10, 20, 50, ...): a network changes
    most at the start, so evenly spaced snapshots would miss how it learns. Epoch ends come on top."""
    plan, base = set(), 1
    while base < steps_per_epoch:
        plan |= {m * base for m in (1, 2, 5) if m * base < steps_per_epoch}
        base *= 10
    return plan

"""A class sweep: one preset trained at several learning rates (or batch sizes) side by side.

Each setting is an ordinary training job started through ``cluster.start_job``: on this server they
wait their turn in the slot queue, on a Ray cluster they run in parallel. Every point trains for the
same number of optimizer steps, so the curve compares settings, not training time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mnist_core import MnistLabError, presets
from mnist_core.data import Dataset
from mnist_core.i18n import N_, Text, _
from mnist_core.jobs.start import start_job
from mnist_core.training.config import TrainConfig

PARAMS = {"lr": "learning rate", "batch_size": "batch size"}
MAX_POINTS = 8


class SweepError(MnistLabError):
    """A sweep that cannot start as asked; the message says why."""


def _round(x: float) -> float:
    return float(f"{x:.2g}")


def run_name(preset: str, param: str, value) -> str:
    """A sweep run's name, kept on disk: in the language of the page that started it (called in its thread),
    as the run names the Experiments and Adapt sections make are."""
    return _("sweep {preset} {param}={value}").format(preset=preset, param=param, value=f"{value:g}")


def default_values(preset: str, param: str) -> list:
    """Around the preset's own setting: x0.1 to x10 for the learning rate, 16 to 256 for batches."""
    if param == "lr":
        lr = float(presets.get(preset).train.get("lr", 1e-3))
        return [_round(lr * f) for f in (0.1, 0.3, 1, 3, 10) if lr * f <= 10]
    if param == "batch_size":
        return [16, 32, 64, 128, 256]
    raise SweepError(Text(N_("cannot sweep {param!r}: choose {items}"), param=param, items=' or '.join(PARAMS)))


def parse_values(text: str, param: str) -> list:
    """'0.001, 0.01 0.1' -> [0.001, 0.01, 0.1]: sorted, duplicates dropped, each checked."""
    if param not in PARAMS:
        raise SweepError(Text(N_("cannot sweep {param!r}: choose {items}"), param=param, items=' or '.join(PARAMS)))
    words = [w for w in str(text).replace(",", " ").replace(";", " ").split() if w]
    if not words:
        raise SweepError(Text(N_("type two or more values, separated by commas")))
    out = set()
    for w in words:
        try:
            v = float(w)
        except ValueError:
            raise SweepError(Text(N_("{value} is not a number"), value=repr(w))) from None
        if param == "lr":
            if not (math.isfinite(v) and 0 < v <= 10):
                raise SweepError(Text(N_("learning rate {value} is out of range: above 0 and at most 10"), value=w))
            out.add(v)
        else:
            if v != int(v) or not 1 <= v <= 8192:
                raise SweepError(Text(N_("batch size {value} is out of range: a whole number from 1 to 8192"), value=w))
            out.add(int(v))
    if len(out) < 2:
        raise SweepError(Text(N_("a sweep needs at least two different values")))
    if len(out) > MAX_POINTS:
        raise SweepError(Text(N_("at most {most} settings at once ({n} given): each one is a training run"),
                              most=MAX_POINTS, n=len(out)))
    return sorted(out)


def point_config(preset: str, param: str, value, steps: int) -> TrainConfig:
    """The preset's own settings, one of them changed, trained for ``steps`` optimizer steps."""
    if not 10 <= int(steps) <= 20_000:
        raise SweepError(Text(N_("steps per setting must be from 10 to 20,000, not {steps}"), steps=steps))
    train = dict(presets.get(preset).train)
    train.update({param: value, "max_steps": int(steps), "epochs": max(int(train.get("epochs", 1)), 200),
                  "val_split": 0.0, "calibrate": False})  # held-out data and calibration: not what is compared
    return TrainConfig(**train).validate()


@dataclass
class Sweep:
    preset: str
    param: str
    values: list
    steps: int
    jobs: list = field(default_factory=list)

    @classmethod
    def start(cls, preset: str, param: str, values: list, steps: int, data: Dataset, store=None, *,
              actor=None) -> Sweep:
        from mnist_core import bounds, settings
        spec = presets.get(preset).spec()
        configs = [point_config(preset, param, v, steps) for v in values]  # all checked before any starts
        if actor is not None and not actor.is_teacher and \
                bounds.active_runs(actor) + len(values) > settings.max_active_runs():
            raise bounds.BoundsError(Text(N_("a sweep of {k} settings would give you more than {n} runs waiting "
                                             "or training"), k=len(values), n=settings.max_active_runs()))
        sweep = cls(preset, param, list(values), int(steps))
        for v, cfg in zip(values, configs):
            sweep.jobs.append(start_job(spec, cfg, data, store=store, name=run_name(preset, param, v),
                                        preset=preset, actor=actor))
        return sweep

    def rows(self) -> list[dict]:
        out = []
        for v, job in zip(self.values, self.jobs):
            s = job.snapshot()
            r = s.result or {}
            out.append({"value": v, "state": s.state, "progress": s.progress,
                        "accuracy": r.get("test_accuracy"),
                        "loss": s.steps[-1].loss if s.steps else None,
                        "run_id": s.run_id, "error": s.error})
        return out

    @property
    def active(self) -> bool:
        return any(job.snapshot().active for job in self.jobs)

    def stop(self):
        for job in self.jobs:
            job.stop()

"""The training engine: ``fit`` reads top to bottom like pytorch/examples' ``train``: stage
the data, build the model, loop over epochs and batches, evaluate. Everything a chart needs
leaves it as plain-dict events. Device choices come from ``devices.py``; the loop's shared
parts (control, health checks, schedule, result) from ``loop.py``; the NumPy network trains
through ``numpy_mlp.fit_numpy`` behind the same interface.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from mnist_core.data import Dataset
from mnist_core.inference import autocast_dtype, evaluate, predict_logits, to_input
from mnist_core.spec import ArchSpec
from mnist_core.training.augment import augment_batch
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.devices import describe_device, pick_device, use_channels_last
from mnist_core.training.loop import (
    Control,
    TrainResult,
    Watchdog,
    collapse_message,
    divergence_message,
    lr_factor,
    make_optimizer,
    snapshot_plan,
    step_budget,
)
from mnist_core.training.numpy_engine import fit_numpy

# --- data staging ------------------------------------------------------------------

# --- the loop ------------------------------------------------------------------------

def fit(spec: ArchSpec, cfg: TrainConfig, data: Dataset,
        callback: Callable[[dict], None] | None = None, control: Control | None = None,
        on_epoch_end: Callable[[nn.Module, int], None] | None = None,
        on_snapshot: Callable[[nn.Module, int], None] | None = None) -> TrainResult:
    """Train ``spec`` on ``data`` with ``cfg``; events go to ``callback`` as plain dicts."""
    cfg.validate()
    emit = callback or (lambda e: None)
    control = control or Control()
    if cfg.engine == "numpy":
        return fit_numpy(spec, cfg, data, emit, control, on_epoch_end)
    analysis = spec.analyze(loss="cross_entropy")
    if not analysis.ok:
        raise ConfigError(analysis.errors[0])
    device = pick_device(cfg.device)
    if device.type == "cpu" and cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    # Stage the data: uint8 stays uint8 until a batch is drawn (4x less memory traffic).
    images, labels = data.train_images, data.train_labels
    order = torch.randperm(len(labels), generator=gen)
    if cfg.subset:
        order = order[:cfg.subset]
    n_val = int(len(order) * cfg.val_split)
    val_idx, train_idx = order[:n_val], order[n_val:]
    if len(train_idx) == 0:
        raise ConfigError("no training images left: raise the subset size or lower the validation split")
    x_train, y_train = images[train_idx].to(device), labels[train_idx].to(device)  # whole set on the device
    x_test, y_test = data.test_images.to(device), data.test_labels.to(device)
    bank = outlier_bank(cfg, device)  # (M, 28, 28) uint8 non-digits, or None

    chlast = use_channels_last(spec, cfg, device)
    model = spec.build().to(device)
    if chlast:
        model = model.to(memory_format=torch.channels_last)
    softmax_out = spec.ends_with_softmax()
    opt = make_optimizer(model.parameters(), cfg)
    base_lr = cfg.lr
    amp = autocast_dtype(device, cfg.amp)
    n = len(y_train)
    bs, steps_per_epoch, total_steps = step_budget(cfg, n)
    dog = Watchdog(spec.num_classes, window=max(20, 200 // cfg.log_every))
    emit({"type": "start", "device": describe_device(device), "total_steps": total_steps,
          "steps_per_epoch": steps_per_epoch, "train_size": n, "val_size": int(n_val),
          "params": analysis.total_params, "channels_last": chlast, "amp": str(amp)})

    history: list[dict] = []
    plan = snapshot_plan(steps_per_epoch) if on_snapshot else set()  # steps where learning is seen to happen
    if on_snapshot:
        on_snapshot(model, 0)  # the random start
    step = seen = 0
    status, message = "finished", ""
    train_time = 0.0
    t_last = time.perf_counter()
    loss_acc = torch.zeros((), device=device)
    correct_acc = torch.zeros((), device=device, dtype=torch.long)
    logged_seen = 0
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        ep_loss = ep_correct = ep_seen = 0.0
        t_epoch = time.perf_counter()
        for b in range(steps_per_epoch):
            if control.paused:
                train_time += time.perf_counter() - t_last
                control.wait_if_paused(lambda: emit({"type": "message", "level": "info",
                                                     "text": f"paused at step {step}"}))
                t_last = time.perf_counter()
            stop, base_lr = control.poll(step, base_lr, emit)
            if stop:
                status, message = "stopped", f"stopped by the user at step {step}"
                break
            lr = base_lr * lr_factor(cfg, step, total_steps, steps_per_epoch)
            for g in opt.param_groups:
                g["lr"] = lr

            idx = perm[b * bs:(b + 1) * bs]
            xb = to_input(x_train[idx], chlast)  # (B, 1, 28, 28)
            yb = y_train[idx]
            n_out = 0
            if bank is not None:  # outlier exposure: a few non-digits ride along in the batch
                n_out = max(1, int(len(yb) * cfg.outliers))
                pick = torch.randint(len(bank), (n_out,), generator=gen).to(device)
                xb = torch.cat([xb, to_input(bank[pick], chlast)])
            if cfg.augment:
                xb = augment_batch(xb, gen, cfg.augment_style)
            with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                out = model(xb)  # (B [+ outliers], 10)
            out = out.float()
            if n_out:
                out, out_junk = out[:-n_out], out[-n_out:]
            # With a final Softmax this is seed000's bug, reproduced on purpose: CE of probabilities.
            loss = F.cross_entropy(out, yb, reduction=cfg.loss_reduction, label_smoothing=cfg.label_smoothing)
            digit_loss = loss  # what the charts show: the loss on the digits alone
            if n_out:  # cross-entropy to the flat distribution: "I don't know" on non-digits
                loss = loss - 0.25 * F.log_softmax(out_junk, 1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            bn = len(yb)
            seen += bn
            per_sample = digit_loss.detach() / bn if cfg.loss_reduction == "sum" else digit_loss.detach()
            loss_acc += per_sample * bn
            correct_acc += (out.detach().argmax(1) == yb).sum()

            if step % cfg.log_every == 0 or b == steps_per_epoch - 1 or step == total_steps:
                now = time.perf_counter()
                train_time += now - t_last
                t_last = now
                k = seen - logged_seen
                mean_loss = loss_acc.item() / k  # the one host sync per log interval
                acc = correct_acc.item() / k
                loss_acc.zero_()
                correct_acc.zero_()
                logged_seen = seen
                ep_loss += mean_loss * k
                ep_correct += acc * k
                ep_seen += k
                ips = seen / train_time if train_time > 0 else 0.0
                eta = (total_steps - step) * (train_time / step) if step else None
                emit({"type": "step", "step": step, "epoch": epoch, "loss": mean_loss, "acc": acc, "lr": lr,
                      "ips": ips, "elapsed": train_time, "eta": eta, "progress": step / total_steps})
                if dog.diverged(mean_loss):
                    status, message = "diverged", divergence_message(step, lr)
                    emit({"type": "message", "level": "error", "text": message})
                    break
                if dog.collapsed(step, mean_loss, acc):
                    emit({"type": "message", "level": "warning", "text": collapse_message(len(dog.window) * cfg.log_every, lr)})
            if step in plan:
                on_snapshot(model, step)
            if cfg.max_steps and step >= cfg.max_steps:
                break
        train_time += time.perf_counter() - t_last
        if ep_seen == 0:
            break
        rec = {"type": "epoch", "epoch": epoch, "train_loss": ep_loss / ep_seen,
               "train_acc": ep_correct / ep_seen, "seconds": time.perf_counter() - t_epoch, "step": step}
        if cfg.eval_every_epoch or epoch == cfg.epochs or status != "finished":
            ev = evaluate(model, x_test, y_test, device, softmax_out, chlast)
            rec.update(test_loss=ev["loss"], test_acc=ev["accuracy"])
            if n_val:
                vx, vy = images[val_idx].to(device), labels[val_idx].to(device)
                rec["val_acc"] = evaluate(model, vx, vy, device, softmax_out, chlast)["accuracy"]
        history.append(rec)
        emit(rec)
        if on_epoch_end and status != "diverged":
            on_epoch_end(model, epoch)
        t_last = time.perf_counter()
        if status != "finished" or (cfg.max_steps and step >= cfg.max_steps):
            break

    last = next((h for h in reversed(history) if "test_acc" in h), None)
    if last is None and status != "diverged":
        ev = evaluate(model, x_test, y_test, device, softmax_out, chlast)
        last = {"test_acc": ev["accuracy"], "test_loss": ev["loss"]}
    temperature = test_ece = None
    if status != "diverged" and not softmax_out:
        temperature, test_ece = calibrate(model, cfg, images[val_idx], labels[val_idx], x_test, y_test, device,
                                          chlast)
    model = model.to("cpu", memory_format=torch.contiguous_format).eval()
    model.temperature = temperature or 1.0
    result = TrainResult(model=model, status=status, test_accuracy=last and last["test_acc"],
                         test_loss=last and last["test_loss"], train_seconds=train_time, images_seen=seen,
                         steps=step, epochs_done=len(history), device=describe_device(device),
                         history=history, message=message, temperature=temperature, test_ece=test_ece)
    emit({"type": "end", "status": status, "test_acc": result.test_accuracy, "seconds": train_time,
          "message": message})
    return result


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

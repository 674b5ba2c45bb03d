"""CLI: python -m mnist_core train|evaluate|predict|presets|runs|bench|dataset

Bad arguments, missing data and unreadable files end with exit status 2 and one
line on stderr; a JSON object is the last line of stdout for scripts to read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mnist_core import MnistLabError, settings


class UsageError(MnistLabError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exits print usage blocks; one line is kinder
        raise UsageError(f"{self.prog}: {message}")


def _progress_bar():
    """Events -> a one-line progress bar on stderr, redrawn at most four times a second."""
    last = [0.0]

    def cb(e):
        from mnist_core.training.events import Epoch, Message, Step
        if isinstance(e, Step):
            now = time.monotonic()
            if now - last[0] < 0.25 and e.progress < 1:
                return
            last[0] = now
            width = 30
            done = int(e.progress * width)
            eta = f"{e.eta:.0f}s" if e.eta is not None else "?"
            sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {e.progress:5.1%} epoch {e.epoch} "
                             f"loss {e.loss:.3f} acc {e.acc:.3f} {e.ips:,.0f} img/s eta {eta}   ")
            sys.stderr.flush()
        elif isinstance(e, Epoch):
            ta = e.test_acc
            sys.stderr.write(f"\repoch {e.epoch}: train acc {e.train_acc:.4f}"
                             + (f", test acc {ta:.4f}" if ta is not None else "") + " " * 40 + "\n")
        elif isinstance(e, Message):
            sys.stderr.write(f"\n{e.level}: {e.text}\n")
    return cb


def _load_data(args, name="mnist"):
    from mnist_core.data import load_dataset
    return load_dataset(name, data_dir=args.data, allow_download=getattr(args, "download", False))


def cmd_train(args) -> int:
    from mnist_core import presets
    from mnist_core.runs import RunStore
    from mnist_core.spec import MAX_SPEC_BYTES, ArchSpec, SpecError
    from mnist_core.training.config import TrainConfig, with_changes
    from mnist_core.training.loop import fit

    if args.spec:
        try:
            with Path(args.spec).open("rb") as f:
                text = f.read(MAX_SPEC_BYTES + 1)  # enough to know it is too big, even from /dev/zero
        except OSError as exc:
            raise UsageError(f"{args.spec}: cannot read the spec ({exc.strerror or exc})") from None
        try:
            spec = ArchSpec.from_json(text)
        except SpecError as exc:
            raise UsageError(f"{args.spec}: {exc}") from None
        preset = None
        base = {}
    else:
        preset = presets.get(args.preset)
        spec, base = preset.spec(), dict(preset.train)
    overrides = {k: v for k, v in {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "optimizer": args.optimizer,
        "schedule": args.schedule, "device": args.device, "seed": args.seed, "subset": args.subset,
        "max_batches": args.max_batches, "threads": args.threads}.items() if v is not None}
    cfg = with_changes(TrainConfig.from_dict(base), overrides)
    data = _load_data(args)
    events: list = []
    bar = _progress_bar()
    snaps: list = []  # weights at the planned steps and epoch ends, written with the run

    def keep(kind):
        return lambda model, n: snaps.append((kind, n, {k: v.detach().to("cpu", copy=True)
                                                        for k, v in model.state_dict().items()}))
    res = fit(spec, cfg, data, callback=lambda e: (events.append(e), bar(e)), on_epoch_end=keep("epoch"),
              on_snapshot=keep("step"))
    sys.stderr.write("\n")
    run = RunStore(args.runs).save_result(args.name or (preset.name if preset else spec.name), spec, cfg, res,
                                          data.describe(), preset=preset.name if preset else None, logged=events,
                                          dataset=data.name, snapshots=snaps)
    out = {"run_id": run.run_id, "run_dir": str(run.path), "status": res.status, "test_accuracy": res.test_accuracy,
           "train_seconds": round(res.train_seconds, 3), "images_per_second": round(res.images_per_second, 1),
           "epochs": res.epochs_done, "steps": res.steps, "device": res.device, "data_source": data.describe(),
           "message": res.message}
    print(json.dumps(out))
    return 0 if res.status in ("finished", "stopped") else 1


def cmd_evaluate(args) -> int:
    from mnist_core.inference import evaluate_model
    from mnist_core.runs import RunStore

    spec, model = RunStore(args.runs).load(args.run)
    data = _load_data(args)
    ev = evaluate_model(spec, model, data.test_images, data.test_labels)
    print(json.dumps({"run": str(args.run), "test_accuracy": ev.accuracy,
                      "per_class_accuracy": [None if a != a else round(float(a), 6) for a in ev.per_class],
                      "confusion_matrix": ev.confusion.tolist(), "data_source": data.describe()}))
    return 0


def cmd_predict(args) -> int:
    from mnist_core.calibration import verdict
    from mnist_core.inference import predict
    from mnist_core.preprocess import ImageError, preprocess_upload
    from mnist_core.runs import RunStore, load_demo

    spec, model = RunStore(args.runs).load(args.run) if args.run else load_demo()
    failed = False
    for name in args.images:
        try:
            p = Path(name)
            if not p.is_file():
                raise ImageError(f"{name}: no such file")
            steps = preprocess_upload(p.read_bytes(), p.name)
            if steps.empty:
                raise ImageError(f"{name}: {steps.message}")
            probs = predict(spec, model, steps.tensor())
            v = verdict(probs)  # "sure": false when the model should not name a digit
            print(json.dumps({"image": name, "label": v.label, "sure": v.sure,
                              "probabilities": [round(float(p), 6) for p in probs], "uncertainty": v.to_dict()}))
        except (ImageError, OSError) as exc:
            failed = True
            print(json.dumps({"image": name, "error": str(exc)}))
    return 2 if failed else 0


def cmd_presets(args) -> int:
    from mnist_core.presets import PRESETS
    if args.json:
        print(json.dumps([{"name": p.name, "title": p.title, "description": p.description, "train": p.train,
                           "params": p.spec().analyze().total_params, "origin": p.origin}
                          for p in PRESETS.values()], default=list))
    else:
        for p in PRESETS.values():
            print(f"{p.name:9s} {p.spec().analyze().total_params:>9,} params  {p.description}")
    return 0


def cmd_runs(args) -> int:
    from mnist_core.runs import RunStore
    runs = RunStore(args.runs).list(damaged=True)
    if args.json:
        print(json.dumps([{"run_id": r.run_id, "name": r.display_name, **r.summary, "damaged": r.damaged}
                          for r in runs], default=str))
    else:
        if not runs:
            print(f"no runs in {args.runs}")
        for r in runs:
            acc = r.summary.get("test_accuracy")
            print(f"{r.run_id}  {r.display_name:20s} {r.summary.get('status', '?'):9s} "
                  + (f"({r.damaged})" if r.damaged else '' if acc is None else f'{acc:.4f}'))
    return 0


def _class_teacher(code: str):
    """The teacher's actor in the class with ``code`` (a shell on the server is the teacher's)."""
    from mnist_core.classroom import classes, identity
    want = classes.normalise_code(code)
    teacher = identity.teacher_actor(identity.new_visitor()[0])
    found = [c for c in classes.open_classes(teacher) if c.code == want]
    found.sort(key=lambda c: c.closed is not None)  # an open class before a closed one with the same code
    if not found:
        raise UsageError(f"no class has the code {want}")
    return identity.Actor(teacher.visitor_id, True, found[0].id)


def cmd_dataset(args) -> int:
    """Our class's digits to and from .npz: images uint8 N x 28 x 28, labels, writer ids [, nicknames]."""
    from mnist_core.classroom import handwriting
    actor = _class_teacher(args.class_code)
    if args.action == "export":
        raw = handwriting.export_npz(actor, nicknames=args.nicknames)
        out = Path(args.file)
        try:
            out.write_bytes(raw)
        except OSError as exc:
            raise UsageError(f"{args.file}: cannot write ({exc.strerror or exc})") from None
        with __import__("numpy").load(out, allow_pickle=False) as z:
            n, w = len(z["labels"]), len(set(z["writers"].tolist()))
        print(json.dumps({"exported": n, "writers": w, "file": str(out), "bytes": len(raw),
                          "nicknames": bool(args.nicknames)}))
        return 0
    p = Path(args.file)
    try:
        size = p.stat().st_size
        if size > handwriting.MAX_FILE_BYTES:  # refused before reading it into memory
            raise UsageError(f"{p.name}: {size / 1e6:.1f} MB is more than the "
                             f"{handwriting.MAX_FILE_BYTES / 1e6:.0f} MB a digits file may be")
        raw = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.file}: cannot read ({exc.strerror or exc})") from None
    n = handwriting.import_npz(actor, raw, p.name)
    print(json.dumps({"imported": n, "class": args.class_code, "file": str(p)}))
    return 0


def cmd_bench(args) -> int:
    from mnist_core.bench import bench, markdown
    data = _load_data(args)
    if data.kind != "full":
        raise UsageError("bench needs the full MNIST: pass --data DIR or set MNIST_DATA_DIR")
    res = bench(data, data.directory, quick=args.quick,  # where the data was found, not a guess
                device=args.device or "auto", seeds=args.seeds, log=lambda s: print(s, file=sys.stderr))
    print(markdown(res), file=sys.stderr)
    print(json.dumps(res, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m mnist_core", description="MNIST Lab's engine, headless.")
    p.add_argument("--runs", default=str(settings.runs_dir()), help="runs folder (default ./runs)")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a preset (or a spec JSON) and save the run")
    t.add_argument("--preset", default="seed001")
    t.add_argument("--spec", help="a spec JSON file instead of a preset")
    t.add_argument("--name")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--optimizer")
    t.add_argument("--schedule")
    t.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    t.add_argument("--seed", type=int)
    t.add_argument("--subset", type=int)
    t.add_argument("--max-batches", type=int)
    t.add_argument("--threads", type=int)
    t.add_argument("--download", action="store_true", help="download MNIST when it is not found locally")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="test accuracy, per-class accuracy and confusion matrix of a run")
    e.add_argument("--run", required=True)
    e.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser("predict", help="classify PNG/JPEG images of digits")
    pr.add_argument("--run")
    pr.add_argument("images", nargs="+")
    pr.set_defaults(func=cmd_predict)

    ps = sub.add_parser("presets", help="list the presets")
    ps.add_argument("--json", action="store_true")
    ps.set_defaults(func=cmd_presets)

    rs = sub.add_parser("runs", help="list saved runs")
    rs.add_argument("--json", action="store_true")
    rs.set_defaults(func=cmd_runs)

    b = sub.add_parser("bench", help="the seeds' pipeline against the engine, in one process")
    b.add_argument("--quick", action="store_true", help="a few batches each: a smoke test, not a measurement")
    b.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    b.add_argument("--seeds", type=int, default=3)
    b.set_defaults(func=cmd_bench)

    ds = sub.add_parser("dataset", help="export or import a class's own digits as .npz (as the teacher)")
    ds.add_argument("action", choices=["export", "import"])
    ds.add_argument("file", help="the .npz file to write (export) or read (import)")
    ds.add_argument("--class", dest="class_code", required=True, help="the class's code, as the teacher shows it")
    ds.add_argument("--nicknames", action="store_true", help="export: include the writers' nicknames")
    ds.set_defaults(func=cmd_dataset)

    for sp in (t, e, b):
        sp.add_argument("--data", help="folder with the MNIST IDX files (or set MNIST_DATA_DIR)")
    for sp in (t, e, pr, rs, b):  # also after the sub-command, where people put it: SUPPRESS keeps the global one
        sp.add_argument("--runs", default=argparse.SUPPRESS, help="runs folder (default ./runs)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        from mnist_core.training.devices import size_thread_pool
        size_thread_pool()  # the container's CPUs, not the host's
        return args.func(args)
    except MnistLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug still ends in one line, never a traceback
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

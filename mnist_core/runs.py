"""The run store: weights + spec + metrics on disk, listing and loading.

A run is a folder ``runs/<run_id>/`` with ``weights.safetensors`` (the spec JSON in
its metadata too), ``spec.json``, ``config.json``, ``metrics.jsonl``, ``summary.json``
and ``epochs/epoch_NNN.safetensors``. Every file is written to a temp name and
renamed, so a run killed mid-save leaves the old state or the new, never a torn one.
Loading never unpickles: safetensors only.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import socket
import stat
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from mnist_core import MnistLabError, safejson, settings
from mnist_core.i18n import N_, Text
from mnist_core.spec import ArchSpec, SpecError
from mnist_core.training import events
from mnist_core.training.events import Event

DEFAULT_RUNS = settings.runs_dir()
DEMO_DIR = Path(__file__).parent / "assets" / "demo"
MAX_WEIGHTS_BYTES = 200 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024               # summary, config, spec, tags: a few kB when honest
MAX_METRICS_BYTES = 64 * 1024 * 1024       # 200 epochs of step lines are a few MB
STALE_TEMP_SECONDS = 600                   # no honest atomic_write takes minutes (200 MB at most)
STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted")


class RunError(MnistLabError):
    """A run that cannot be found, read or trusted."""


_LIVE: set[str] = set()  # run folders this process is writing now
_LIVE_LOCK = threading.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, but not ours to signal
    return True


def settle_status(path: Path, summary: dict) -> dict:
    """A "running" summary whose writer is gone (a crash, a server restart) reads "interrupted".

    Only runs written on this host can be judged; a run from another machine keeps its word.
    """
    if summary.get("status") != "running" or summary.get("host") != socket.gethostname():
        return summary
    pid = summary.get("pid")
    if not isinstance(pid, int):
        return summary
    ours = pid == os.getpid()
    with _LIVE_LOCK:
        live = str(path.resolve()) in _LIVE
    if (ours and not live) or (not ours and not _alive(pid)):
        return {**summary, "status": "interrupted",
                "message": summary.get("message") or "the process training this run ended before it finished"}
    return summary


def read_file(path: Path, limit: int) -> bytes:
    """A run file's bytes, refusing what is not a regular file (a symlink to ``/dev/zero`` has
    st_size 0 and never ends; a FIFO blocks) and anything over ``limit`` bytes."""
    path = Path(path)
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise RunError(Text(N_("{name}: file not found"), name=path.name)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise RunError(Text(N_("{name}: a symbolic link, not a file; refused"), name=path.name)) from None
        raise RunError(Text(N_("{name}: cannot be read ({why})"),
                            name=path.name, why=exc.strerror or type(exc).__name__)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # before fdopen: a folder named like the file raises IsADirectoryError there
        os.close(fd)
        raise RunError(Text(N_("{name}: not a regular file; refused"), name=path.name))
    with os.fdopen(fd, "rb") as f:
        if st.st_size > limit:
            raise RunError(Text(N_("{name}: {size:,} bytes is more than such a file ever holds"),
                                name=path.name, size=st.st_size))
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while we read
        raise RunError(Text(N_("{name}: more than {limit:,} bytes; refused"), name=path.name, limit=limit))
    return data


def _said(exc: BaseException) -> str:
    """What an error was raised with, kept translatable: its ``Text`` or marked sentence (a ``str``
    either way), else its message."""
    arg = exc.args[0] if len(exc.args) == 1 else None
    return arg if isinstance(arg, str) else str(exc)


def read_json(path: Path, limit: int = MAX_JSON_BYTES):
    raw = read_file(path, limit)
    try:  # safejson: a file nested 100,000 deep or holding 1e400 is refused in one line, not a RecursionError
        return safejson.loads(raw, limit)
    except safejson.JSONInputError as exc:
        raise RunError(Text(N_("{name}: {error}"), name=Path(path).name, error=str(exc)[:120])) from None


# --- what each file of a run folder may hold ---------------------------------------------------------
# A run folder can be edited, truncated or planted by anyone with the disk; every value a page or the
# CLI reads goes through these tables first, so a bad file makes one run "damaged", never a page error.

_NUM = N_("number")      # int or float, never bool
_INT = N_("whole number")
_STR = N_("text")
_BOOL = N_("true or false")
_LIST = N_("list")
_SCALAR = N_("a number, text, true/false or null")


def _is(value, kind: str) -> bool:
    if kind == _NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _LIST:
        return isinstance(value, list) and all(_is(v, _NUM) for v in value)
    return value is None or isinstance(value, (int, float, str, bool))


SUMMARY_SCHEMA: dict[str, tuple[str, bool]] = {  # field -> (kind, may be null)
    "name": (_STR, True), "preset": (_STR, True), "status": (_STR, False), "created": (_NUM, True),
    "finished": (_NUM, True), "pid": (_INT, True), "host": (_STR, True), "message": (_STR, True),
    "dataset": (_STR, True), "data_source": (_STR, True), "test_accuracy": (_NUM, True), "test_loss": (_NUM, True),
    "train_seconds": (_NUM, True), "images_per_second": (_NUM, True), "steps": (_INT, True),
    "epochs": (_INT, True), "device": (_STR, True), "temperature": (_NUM, True), "test_ece": (_NUM, True),
    "note": (_STR, True), "parent": (_STR, True), "command": (_STR, True),
}


def _config_schema() -> dict[str, tuple[str, bool]]:
    """config.json: the TrainConfig fields typed by their defaults (a field added later is checked
    too), plus what an edited run keeps."""
    from mnist_core.training.config import TrainConfig
    out = {"edited_from": (_STR, True), "note": (_STR, True)}
    for f in fields(TrainConfig):
        d = f.default
        kind = (_BOOL if isinstance(d, bool) else _INT if isinstance(d, int) else _NUM if isinstance(d, float)
                else _STR if isinstance(d, str) else _LIST if isinstance(d, tuple) else _SCALAR)
        out[f.name] = (kind, d is None)
    return out


def check_fields(name: str, data, schema: dict[str, tuple[str, bool]]) -> str | None:
    """None when ``data`` is an object whose known fields have their types, else the first reason (a
    ``Text``: English as a ``str``, the page's language through ``tr``)."""
    if not isinstance(data, dict):
        return Text(N_("{name} holds {kind}, not an object"), name=name,
                    kind=type(data).__name__ if data is not None else "null")
    for key, (kind, nullable) in schema.items():
        if key not in data or (data[key] is None and nullable):
            continue
        if not _is(data[key], kind):
            return Text(N_("{name}: {key} is {value}, not {kind}"), name=name, key=key,
                        value=json.dumps(data[key], default=str)[:30], kind=Text(kind))
        if kind == _NUM and not math.isfinite(data[key]) and key not in ("test_loss",):
            return Text(N_("{name}: {key} is not a finite number"), name=name, key=key)
    return None


def check_summary(summary) -> str | None:
    why = check_fields("summary.json", summary, SUMMARY_SCHEMA)
    if why is None and summary.get("status", "running") not in STATUSES:
        why = Text(N_("summary.json: status {status} is not one of {statuses}"),
                   status=repr(str(summary["status"])[:30]), statuses=", ".join(STATUSES))
    return why


_EVENT_INTS = ("step", "epoch")
_EVENT_NUMS = ("loss", "acc", "accuracy", "lr", "progress", "eta", "seconds", "val_loss", "val_acc", "test_acc",
               "train_loss", "train_acc", "grad_norm")


def valid_event(e) -> bool:
    """A metrics.jsonl line the pages can draw: an object with a text ``type`` whose counters are
    whole numbers and whose measurements are numbers (or null)."""
    if not isinstance(e, dict) or not isinstance(e.get("type"), str):
        return False
    if any(k in e and not _is(e[k], _INT) for k in _EVENT_INTS):
        return False
    return not any(e.get(k) is not None and not _is(e[k], _NUM) for k in _EVENT_NUMS)


# --- temporary files of atomic_write -----------------------------------------------------------------

_HOST_TAG = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_TEMP = re.compile(r"\..+?(?:\.(?P<pid>\d+)-(?P<host>[0-9a-f]{6}))?\.[a-z0-9_]+\.tmp")
_swept: dict[str, float] = {}  # folder -> when its temporary files were last looked at
_SWEEP_EVERY = 30.0


def sweep_temp(folder: Path, force: bool = False) -> list[str]:
    """Remove the temporary files a killed writer left behind (a 16 MB ``.weights.safetensors.*.tmp``
    for ever, otherwise): stale when its writer (pid and host are in the name) is dead, or when it
    is older than STALE_TEMP_SECONDS whoever wrote it. Looks at a folder at most every 30 s."""
    key = str(folder)
    now = time.time()
    if not force and now - _swept.get(key, 0.0) < _SWEEP_EVERY:
        return []
    _swept[key] = now
    if len(_swept) > 10_000:
        _swept.clear()
    removed = []
    for sub in (folder, folder / "epochs", folder / "snapshots"):
        try:
            entries = list(os.scandir(sub))
        except OSError:
            continue
        for e in entries:
            m = _TEMP.fullmatch(e.name)
            if not m:
                continue
            try:
                st = e.stat(follow_symlinks=False)
                dead = m["pid"] is not None and m["host"] == _HOST_TAG and not _alive(int(m["pid"]))
                if dead or now - st.st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(e.path)
                    removed.append(e.name)
            except OSError:
                continue  # gone already, or not ours to remove
    return removed


def slugify(text: str, limit: int = 40) -> str:
    """Anything a user typed -> a safe folder-name fragment."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:limit].strip("-") or "run"


def atomic_write(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    # the writer's pid and host in the name: the store can tell a killed writer's leftovers (sweep_temp)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-{_HOST_TAG}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are shared with the app's other users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_json(path: Path, obj):
    atomic_write(path, json.dumps(obj, indent=2, default=str).encode())


def weights_bytes(state: dict[str, torch.Tensor], spec: ArchSpec, temperature: float | None = None,
                  half: bool = False) -> bytes:
    """safetensors bytes with the spec in the metadata; ``half``: float16, for snapshots (half the
    bytes; replaying them needs no more precision)."""
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in state.items()
               if v.dtype.is_floating_point}
    tensors.update({k: v.detach().cpu().contiguous() for k, v in state.items() if not v.dtype.is_floating_point})
    meta = {"spec": spec.to_json(indent=None), "format": "mnist-lab/1"}
    if temperature is not None:
        meta["temperature"] = repr(float(temperature))  # logits / T: calibrated probabilities
    return st_save(tensors, metadata=meta)


def temperature_of(meta: dict) -> float:
    """The stored calibration temperature (1.0 when absent or unreadable)."""
    try:
        t = float(meta.get("temperature", 1.0))
    except (TypeError, ValueError):
        return 1.0
    return t if 0.05 <= t <= 20 else 1.0


def read_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Tensors and metadata of a safetensors file, with one-line errors for bad files."""
    try:
        raw = read_file(path, MAX_WEIGHTS_BYTES)
    except RunError as exc:
        if "bytes" in str(exc) and "refused" not in str(exc):
            raise RunError(Text(N_("{name}: larger than any MNIST Lab model"), name=path.name)) from None
        raise
    return parse_weights(raw, path.name)


def parse_weights(raw: bytes, name: str = "weights") -> tuple[dict[str, torch.Tensor], dict]:
    looks_safetensors = raw[8:9] == b"{"  # an 8-byte header length, then the JSON header
    if not looks_safetensors and (raw[:2] == b"PK" or raw[:1] == b"\x80"):
        raise RunError(Text(N_("{name}: this is a pickled PyTorch file; MNIST Lab loads safetensors only (pickles can "
                               "run code)"), name=name))
    try:
        tensors = st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = safejson.loads(raw[8:8 + header_len], MAX_WEIGHTS_BYTES)
        meta = (header.get("__metadata__", {}) if isinstance(header, dict) else {}) or {}
    except (SafetensorError, ValueError, safejson.JSONInputError, OverflowError) as exc:
        raise RunError(Text(N_("{name}: not a readable safetensors file ({error})"),
                            name=name, error=str(exc).splitlines()[0][:120])) from None
    return tensors, meta


def model_for(spec: ArchSpec, state: dict[str, torch.Tensor], temperature: float = 1.0):
    """The spec's module with ``state`` loaded, in eval mode; weights that do not fit the
    spec are refused, naming the layer that differs. ``temperature`` rides along as
    ``model.temperature`` for whoever turns its outputs into probabilities."""
    model = spec.build()
    want = model.state_dict()
    labels = spec.param_names()
    for key, ref in want.items():
        where = labels.get(key.split(".")[0], (None, key))
        if key not in state:
            raise RunError(Text(N_("the weights have no {key!r} for layer {layer} ({label})"),
                                key=key, layer=where[0], label=where[1]))
        if tuple(state[key].shape) != tuple(ref.shape):
            raise RunError(Text(N_("layer {layer} ({label}): weights {key!r} have shape {shape} but the spec needs "
                                   "{needed}"),
                                layer=where[0], label=where[1], key=key, shape=tuple(state[key].shape),
                                needed=tuple(ref.shape)))
    extra = sorted(set(state) - set(want))
    if extra:
        raise RunError(Text(N_("the weights hold {key!r}, which the spec has no layer for"), key=extra[0]))
    model.load_state_dict(state)
    model.temperature = float(temperature)
    return model.eval()


def model_from_weights(raw: bytes, name: str = "weights", spec: ArchSpec | None = None):
    """(spec, model in eval mode) from safetensors bytes; the spec from its metadata if not given."""
    state, meta = parse_weights(raw, name)
    if spec is None:
        if "spec" not in meta:
            raise RunError(Text(N_("{name}: no MNIST Lab spec in its metadata; upload the spec JSON with it"),
                                name=name))
        try:
            spec = ArchSpec.from_json(meta["spec"])
        except SpecError as exc:
            raise RunError(Text(N_("{name}: its spec is broken: {error}"), name=name, error=exc)) from None
    return spec, model_for(spec, state, temperature_of(meta))


@dataclass
class RunInfo:
    run_id: str
    path: Path
    summary: dict
    config: dict
    spec: ArchSpec | None          # None only when damaged
    damaged: str | None = None     # why this folder cannot be trusted; it is then never a model

    @property
    def display_name(self) -> str:
        return self.summary.get("name") or self.run_id

    @property
    def dataset(self) -> str | None:
        """The dataset this run was trained on ("mnist", "fashion", "kmnist"), or None if unknown."""
        return trained_on(self.summary)


def trained_on(summary: dict) -> str | None:
    """A run's dataset key, from its summary (older runs: from the words of its data source)."""
    from mnist_core.data import DATASETS
    if summary.get("dataset") in DATASETS:
        return summary["dataset"]
    source = str(summary.get("data_source", ""))
    for key, d in sorted(DATASETS.items(), key=lambda kv: -len(kv[1]["title"])):  # "Fashion-MNIST" before "MNIST"
        if source.startswith(d["title"] + " "):
            return key
    return None


class Run:
    """A run being written by a training job."""

    def __init__(self, path: Path, spec: ArchSpec):
        self.path, self.spec = path, spec
        self.run_id = path.name
        self._lock = threading.Lock()

    def log(self, event: Event):
        line = json.dumps(event.to_dict(), default=str) + "\n"
        with self._lock, open(self.path / "metrics.jsonl", "a") as f:
            f.write(line)  # one line per write: a crash loses at most the last line

    def save_epoch(self, model, epoch: int):
        atomic_write(self.path / "epochs" / f"epoch_{epoch:03d}.safetensors",
                     weights_bytes(model.state_dict(), self.spec, half=True))

    def save_snapshot(self, model, step: int):
        """The weights at optimizer step ``step`` (for time travel: log-spaced in the first epoch)."""
        atomic_write(self.path / "snapshots" / f"step_{step:06d}.safetensors",
                     weights_bytes(model.state_dict(), self.spec, half=True))

    def finish(self, model, summary: dict):
        atomic_write(self.path / "weights.safetensors", weights_bytes(model.state_dict(), self.spec,
                                                                      summary.get("temperature")))
        self._close(summary)

    def fail(self, message: str):
        """The run ended in an error: say so in its summary, keep what it logged."""
        self._close({"status": "failed", "message": message})

    def _close(self, summary: dict):
        if not self.path.is_dir():  # removed under the writer (by hand: the store refuses): nothing to close
            with _LIVE_LOCK:
                _LIVE.discard(str(self.path.resolve()))
            return
        try:
            old = read_json(self.path / "summary.json")
        except RunError:
            old = {}
        old = old if isinstance(old, dict) else {}
        atomic_json(self.path / "summary.json", {**old, **summary, "finished": time.time()})
        with _LIVE_LOCK:
            _LIVE.discard(str(self.path.resolve()))


def require_change(actor, run_id: str, action: str = "delete"):
    """Refuse in one line unless ``actor`` may ``action`` run ``run_id`` (``classroom.ownership``).

    ``actor`` None is the CLI, which is the teacher's; nobody changes the shipped demo."""
    from mnist_core.classroom import ownership
    if run_id in ownership.PROTECTED_RUNS:
        ownership.require_run(actor, run_id, action)  # refuses whoever asks
    if actor is None or actor.is_teacher:
        return
    ownership.require_run(actor, run_id, action)


class RunStore:
    def __init__(self, root: str | Path = DEFAULT_RUNS):
        self.root = Path(root)

    def create(self, name: str, spec: ArchSpec, config, preset: str | None = None, *, actor=None) -> Run:
        """A new run folder, recorded as ``actor``'s (None: the CLI, so the teacher's)."""
        from mnist_core.classroom import ownership
        run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{slugify(name, 30)}-{uuid.uuid4().hex[:4]}"
        path = self.root / run_id
        path.mkdir(parents=True)
        try:
            ownership.record_run(run_id, actor)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        atomic_json(path / "spec.json", spec.to_dict())
        atomic_json(path / "config.json", config.to_dict())
        atomic_json(path / "summary.json", {"name": str(name)[:80], "preset": preset, "status": "running",
                                            "created": time.time(), "pid": os.getpid(),
                                            "host": socket.gethostname()})
        (path / "metrics.jsonl").touch()
        with _LIVE_LOCK:
            _LIVE.add(str(path.resolve()))
        return Run(path, spec)

    def resolve(self, run: str | Path) -> Path:
        """A run folder, or a run id inside this store; never a path outside it by id."""
        p = Path(run)
        if p.is_dir() and (p / "spec.json").is_file():
            return p
        if str(run) == "demo":
            return DEMO_DIR
        if "/" in str(run) or "\\" in str(run) or str(run).startswith("."):
            raise RunError(Text(N_("{run}: not a run folder (no spec.json there)"), run=str(run)[:60]))
        p = self.root / str(run)
        if not (p.is_dir() or p.is_symlink()):  # a folder without spec.json is a damaged run, not none
            raise RunError(Text(N_("no run {run!r} in this store"), run=str(run)[:60]))
        return p

    def info(self, run: str | Path) -> RunInfo:
        """The run's spec, summary and config, each checked; a folder that fails a check comes back
        ``damaged`` (with the reason) rather than raising, so it can be listed and deleted."""
        path = self.resolve(run)
        if path.parent.resolve() == self.root.resolve():
            sweep_temp(path)
        summary: dict = {}
        try:
            if path.is_symlink():
                raise RunError(N_("the run folder is a symbolic link"))
            if not (path / "spec.json").exists() and not (path / "spec.json").is_symlink():
                raise RunError(N_("no spec.json"))
            try:
                spec = ArchSpec.from_dict(read_json(path / "spec.json"))
            except SpecError as exc:  # its own sentence, still translatable (a Text, or a marked string)
                raise RunError(Text(N_("spec.json: {error}"), error=_said(exc))) from None
            present = lambda f: (path / f).exists() or (path / f).is_symlink()  # noqa: E731
            summary = read_json(path / "summary.json") if present("summary.json") else {}
            why = check_summary(summary)
            if why is None:
                config = read_json(path / "config.json") if present("config.json") else {}
                why = check_fields("config.json", config, _config_schema())
            if why is not None:
                raise RunError(why)
        except RunError as exc:
            name = summary.get("name") if isinstance(summary, dict) and isinstance(summary.get("name"), str) else None
            why = _said(exc)  # a str everywhere (JSON, the CLI); the page shows it in its language with tr
            return RunInfo(path.name, path, {"name": name, "status": "damaged", "message": str(why)}, {}, None,
                           damaged=why)
        return RunInfo(path.name, path, settle_status(path, summary), config, spec)

    def list(self, damaged: bool = False) -> list[RunInfo]:
        """Runs, newest first; damaged folders only when ``damaged`` (the history shows them, with the
        reason; a model picker never does)."""
        out = []
        if not self.root.is_dir():
            return out
        for p in sorted(self.root.iterdir(), reverse=True):
            if (p.is_dir() or p.is_symlink()) and not p.name.startswith("."):
                try:
                    info = self.info(p.name)
                except RunError:
                    continue
                if damaged or info.damaged is None:
                    out.append(info)
        return out

    def healthy(self, run: str | Path) -> RunInfo:
        """``info``, refusing a damaged run in one line."""
        info = self.info(run)
        if info.damaged is not None:
            raise RunError(Text(N_("{run_id} is damaged ({damaged}); it can only be deleted"),
                                run_id=info.run_id, damaged=info.damaged))
        return info

    def load(self, run: str | Path):
        """(spec, model in eval mode) of a finished run."""
        info = self.healthy(run)
        state, meta = read_weights(info.path / "weights.safetensors")
        return info.spec, model_for(info.spec, state, temperature_of(meta))

    def load_epoch(self, run: str | Path, epoch: int):
        info = self.healthy(run)
        state, _ = read_weights(info.path / "epochs" / f"epoch_{epoch:03d}.safetensors")
        return model_for(info.spec, state)

    def metrics(self, run: str | Path) -> list[Event]:
        """The run's events, typed; lines that are no valid event (a torn last line from a killed run, an
        edited file) are left out."""
        path = self.resolve(run) / "metrics.jsonl"
        out = []
        if path.exists() or path.is_symlink():
            for line in read_file(path, MAX_METRICS_BYTES).decode("utf-8", "replace").splitlines():
                try:  # plain json: a diverged run's losses are NaN; a line nested too deep is just skipped
                    d = json.loads(line)
                except (json.JSONDecodeError, RecursionError):
                    continue
                e = events.from_dict(d) if valid_event(d) else None
                if e is not None:
                    out.append(e)
        return out

    def mark_failed(self, run: str, message: str) -> bool:
        """A run whose trainer died elsewhere (a Ray worker): failed, with the reason, if it still reads running."""
        try:
            info = self.info(run)
        except RunError:
            return False
        if info.summary.get("status") not in ("running", "interrupted"):
            return False
        Run(info.path, info.spec).fail(message)
        return True

    def rename(self, run: str, name: str, *, actor=None):
        path = self.resolve(run)
        require_change(actor, path.name if path != DEMO_DIR else "demo", "rename")
        self._guard(path)
        info = self.healthy(path.name)
        summary = read_json(path / "summary.json") if (path / "summary.json").exists() else {}
        summary["name"] = str(name).strip()[:80] or info.summary.get("name")
        atomic_json(path / "summary.json", summary)

    def delete(self, run: str, *, actor=None):
        """Remove a run for good, if ``actor`` may (its owner or the teacher; None: the CLI); never one
        that is training (whoever started it: the run's summary names its live writer), a damaged one always."""
        from mnist_core.classroom import ownership
        path = self.resolve(run)
        require_change(actor, path.name if path != DEMO_DIR else "demo", "delete")
        self._guard(path)
        info = self.info(path.name)
        if info.damaged is None and info.summary.get("status") == "running":
            raise RunError(Text(N_("{name} is still training: it can be deleted once it has finished or been "
                                   "stopped"), name=info.display_name))
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path)
        if actor is not None:  # the CLI's runs have no record; a class's runs do
            ownership.forget_run(actor, path.name)

    def _guard(self, path: Path):
        if Path(os.path.abspath(path)).parent != Path(os.path.abspath(self.root)) and \
                path.resolve().parent != self.root.resolve():
            raise RunError(Text(N_("{name}: only runs inside this store can be changed"), name=path.name))

    def save_edited(self, name: str, spec: ArchSpec, model, note: str, parent: str | None = None, *,
                    actor=None) -> Run:
        """Store a model edited by hand (what-if kernels, surgery) as a new run, saying what changed."""
        class _Note:  # the run's config.json: where it came from and what was changed
            def to_dict(self):
                return {"edited_from": parent, "note": note}
        from mnist_core import bounds
        params = sum(int(t.numel()) for t in model.state_dict().values())
        bounds.check(actor, self, 4 * params + 8192, starting=False)
        run = self.create(name, spec, _Note(), actor=actor)
        run.finish(model, {"status": "finished", "note": str(note)[:500], "parent": parent, "test_accuracy": None,
                           "temperature": getattr(model, "temperature", None)})
        return run

    def save_result(self, name: str, spec: ArchSpec, config, result, data_source: str = "",
                    preset: str | None = None, logged: list[Event] | None = None, dataset: str | None = None,
                    snapshots: list[tuple[str, int, dict]] | None = None, *, actor=None) -> Run:
        """Store a finished ``fit`` result in one go (the CLI's path); ``snapshots``: ("step" or
        "epoch", number, state dict) kept in memory during training."""
        from mnist_core import bounds
        params = sum(int(t.numel()) for t in result.model.state_dict().values())
        bounds.check(actor, self, 4 * params + 2 * params * len(snapshots or []) + 8192, starting=False)
        run = self.create(name, spec, config, preset=preset, actor=actor)
        for e in logged or []:
            run.log(e)
        for kind, n, state in snapshots or []:
            folder, stem = ("snapshots", f"step_{n:06d}") if kind == "step" else ("epochs", f"epoch_{n:03d}")
            atomic_write(run.path / folder / f"{stem}.safetensors", weights_bytes(state, spec, half=True))
        run.finish(result.model, result.summary(data_source, dataset))
        return run


def load_demo():
    """(spec, model) of the demo model shipped in the package."""
    return RunStore(DEMO_DIR.parent).load(DEMO_DIR)

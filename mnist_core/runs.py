"""The run store: weights + spec + metrics on disk, listing and loading.

A run is a folder ``runs/<run_id>/`` with ``weights.safetensors`` (the spec JSON in
its metadata too), ``spec.json``, ``config.json``, ``metrics.jsonl``, ``summary.json``
and ``epochs/epoch_NNN.safetensors``. Every file is written to a temp name and
renamed, so a run killed mid-save leaves the old state or the new, never a torn one.
Loading never unpickles: safetensors only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from mnist_core import MnistLabError, safejson, settings
from mnist_core.spec import ArchSpec, SpecError
from mnist_core.training import events
from mnist_core.training.events import Event

DEFAULT_RUNS = settings.runs_dir()
DEMO_DIR = Path(__file__).parent / "assets" / "demo"
MAX_WEIGHTS_BYTES = 200 * 1024 * 1024


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


def slugify(text: str, limit: int = 40) -> str:
    """Anything a user typed -> a safe folder-name fragment."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:limit].strip("-") or "run"


def atomic_write(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
        size = path.stat().st_size
    except FileNotFoundError:
        raise RunError(f"{path}: file not found") from None
    if size > MAX_WEIGHTS_BYTES:
        raise RunError(f"{path.name}: {size:,} bytes is larger than any MNIST Lab model")
    return parse_weights(path.read_bytes(), path.name)


def parse_weights(raw: bytes, name: str = "weights") -> tuple[dict[str, torch.Tensor], dict]:
    looks_safetensors = raw[8:9] == b"{"  # an 8-byte header length, then the JSON header
    if not looks_safetensors and (raw[:2] == b"PK" or raw[:1] == b"\x80"):
        raise RunError(f"{name}: this is a pickled PyTorch file; MNIST Lab loads safetensors only "
                       "(pickles can run code)")
    try:
        tensors = st_load(raw)
        header_len = int.from_bytes(raw[:8], "little")
        header = safejson.loads(raw[8:8 + header_len], MAX_WEIGHTS_BYTES)
        meta = (header.get("__metadata__", {}) if isinstance(header, dict) else {}) or {}
    except (SafetensorError, ValueError, safejson.JSONInputError, OverflowError) as exc:
        raise RunError(f"{name}: not a readable safetensors file ({str(exc).splitlines()[0][:120]})") from None
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
            raise RunError(f"the weights have no {key!r} for layer {where[0]} ({where[1]})")
        if tuple(state[key].shape) != tuple(ref.shape):
            raise RunError(f"layer {where[0]} ({where[1]}): weights {key!r} have shape "
                           f"{tuple(state[key].shape)} but the spec needs {tuple(ref.shape)}")
    extra = sorted(set(state) - set(want))
    if extra:
        raise RunError(f"the weights hold {extra[0]!r}, which the spec has no layer for")
    model.load_state_dict(state)
    model.temperature = float(temperature)
    return model.eval()


def model_from_weights(raw: bytes, name: str = "weights", spec: ArchSpec | None = None):
    """(spec, model in eval mode) from safetensors bytes; the spec from its metadata if not given."""
    state, meta = parse_weights(raw, name)
    if spec is None:
        if "spec" not in meta:
            raise RunError(f"{name}: no MNIST Lab spec in its metadata; upload the spec JSON with it")
        try:
            spec = ArchSpec.from_json(meta["spec"])
        except SpecError as exc:
            raise RunError(f"{name}: its spec is broken: {exc}") from None
    return spec, model_for(spec, state, temperature_of(meta))


@dataclass
class RunInfo:
    run_id: str
    path: Path
    summary: dict
    config: dict
    spec: ArchSpec

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
        old = json.loads((self.path / "summary.json").read_text())
        atomic_json(self.path / "summary.json", {**old, **summary, "finished": time.time()})
        with _LIVE_LOCK:
            _LIVE.discard(str(self.path.resolve()))


class RunStore:
    def __init__(self, root: str | Path = DEFAULT_RUNS):
        self.root = Path(root)

    def create(self, name: str, spec: ArchSpec, config, preset: str | None = None) -> Run:
        run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{slugify(name, 30)}-{uuid.uuid4().hex[:4]}"
        path = self.root / run_id
        path.mkdir(parents=True)
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
            raise RunError(f"{run}: not a run folder (no spec.json there)")
        p = self.root / str(run)
        if not (p / "spec.json").is_file():
            raise RunError(f"no run {str(run)!r} in {self.root}")
        return p

    def info(self, run: str | Path) -> RunInfo:
        path = self.resolve(run)
        try:
            spec = ArchSpec.from_json((path / "spec.json").read_text())
            summary = json.loads((path / "summary.json").read_text()) if (path / "summary.json").exists() else {}
            config = json.loads((path / "config.json").read_text()) if (path / "config.json").exists() else {}
        except (OSError, json.JSONDecodeError, SpecError) as exc:
            raise RunError(f"{path.name}: broken run folder ({exc})") from None
        return RunInfo(path.name, path, settle_status(path, summary), config, spec)

    def list(self) -> list[RunInfo]:
        """Finished and running runs, newest first; broken folders are skipped, not fatal."""
        out = []
        if not self.root.is_dir():
            return out
        for p in sorted(self.root.iterdir(), reverse=True):
            if p.is_dir() and not p.name.startswith("."):
                try:
                    out.append(self.info(p))
                except RunError:
                    continue
        return out

    def load(self, run: str | Path):
        """(spec, model in eval mode) of a finished run."""
        info = self.info(run)
        state, meta = read_weights(info.path / "weights.safetensors")
        return info.spec, model_for(info.spec, state, temperature_of(meta))

    def load_epoch(self, run: str | Path, epoch: int):
        info = self.info(run)
        state, _ = read_weights(info.path / "epochs" / f"epoch_{epoch:03d}.safetensors")
        return model_for(info.spec, state)

    def metrics(self, run: str | Path) -> list[Event]:
        """The run's events, typed; lines that are no event we know (a torn last line from a killed run,
        a field of the wrong type) are left out."""
        path = self.resolve(run) / "metrics.jsonl"
        out = []
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    e = events.from_dict(json.loads(line))
                except json.JSONDecodeError:
                    continue
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

    def rename(self, run: str, name: str):
        path = self.resolve(run)
        self._guard(path)
        summary = json.loads((path / "summary.json").read_text())
        summary["name"] = str(name).strip()[:80] or summary.get("name")
        atomic_json(path / "summary.json", summary)

    def delete(self, run: str):
        path = self.resolve(run)
        self._guard(path)
        shutil.rmtree(path)

    def _guard(self, path: Path):
        if path.resolve().parent != self.root.resolve():
            raise RunError(f"{path.name}: only runs inside {self.root} can be changed")

    def save_edited(self, name: str, spec: ArchSpec, model, note: str, parent: str | None = None) -> Run:
        """Store a model edited by hand (what-if kernels, surgery) as a new run, saying what changed."""
        class _Note:  # the run's config.json: where it came from and what was changed
            def to_dict(self):
                return {"edited_from": parent, "note": note}
        run = self.create(name, spec, _Note())
        run.finish(model, {"status": "finished", "note": str(note)[:500], "parent": parent, "test_accuracy": None,
                           "temperature": getattr(model, "temperature", None)})
        return run

    def save_result(self, name: str, spec: ArchSpec, config, result, data_source: str = "",
                    preset: str | None = None, logged: list[Event] | None = None, dataset: str | None = None,
                    snapshots: list[tuple[str, int, dict]] | None = None) -> Run:
        """Store a finished ``fit`` result in one go (the CLI's path); ``snapshots``: ("step" or
        "epoch", number, state dict) kept in memory during training."""
        run = self.create(name, spec, config, preset=preset)
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

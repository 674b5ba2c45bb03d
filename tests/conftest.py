import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MNIST_LAB_CACHE", str(ROOT / ".cache" / "test-cache"))  # never the user's cache

from mnist_core.data import load_idx_dir, load_sample  # noqa: E402

FULL = [Path(os.environ["MNIST_DATA_DIR"])] if os.environ.get("MNIST_DATA_DIR") else []
FULL.append(ROOT.parent / "shared" / "data" / "MNIST" / "raw")


def full_mnist_dir() -> Path | None:
    for d in FULL:
        if (d / "t10k-labels-idx1-ubyte.gz").exists() or (d / "t10k-labels-idx1-ubyte").exists():
            return d
    return None


@pytest.fixture(scope="session")
def sample():
    return load_sample()


IN_CI = bool(os.environ.get("CI"))


def need(what: str):
    """A test that cannot run here: CI must have everything (fail there); elsewhere, skip with the reason."""
    if IN_CI:
        pytest.fail(f"{what} (CI must provide it)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def mnist_dir():
    d = full_mnist_dir()
    if d is None:
        need("the full MNIST is needed: set MNIST_DATA_DIR to the folder with its four IDX files")
    return d


@pytest.fixture(scope="session")
def full(mnist_dir):
    return load_idx_dir(mnist_dir)


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)
    yield


def small_spec():
    """A tiny conv net that trains in a second: for tests of jobs, not of accuracy."""
    from mnist_core.spec import ArchSpec, Conv2d, Flatten, Linear, MaxPool2d, ReLU
    return ArchSpec(name="small", layers=[Conv2d(8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(10)])


def wait_for(cond, timeout: float = 120.0) -> bool:
    """Poll ``cond`` until it is true or ``timeout`` seconds have passed."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def table_cells(html: str) -> list[list[str]]:
    """The text of each row's cells in an HTML table (``charts.grid_table``): its header row first, each row's
    header cell first; what a screen reader reads."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(self.cell)
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data
    parser = Cells()
    parser.feed(html)
    return parser.rows

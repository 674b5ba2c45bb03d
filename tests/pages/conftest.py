from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The whole app (navigation + sidebar), with a private runs folder; on the full MNIST
    where it is at hand, else on the embedded sample (as a fresh install would run)."""
    from streamlit.testing.v1 import AppTest

    import mnist_core.data
    import ui.common
    from tests.conftest import full_mnist_dir
    monkeypatch.chdir(ROOT)
    full = full_mnist_dir()
    if full is not None:
        monkeypatch.setenv("MNIST_DATA_DIR", str(full))
    else:
        monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
        monkeypatch.setattr(mnist_core.data, "DEFAULT_CACHE", tmp_path / "no-cache")
    monkeypatch.setattr(ui.common, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", f"sqlite:///{tmp_path / 'classroom.sqlite'}")  # visitors, classes

    def make(page: str | None = None, timeout: float = 60):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        if page:
            at.switch_page(f"app_pages/{page}.py")
        return at
    make.train_count = "60,000" if full is not None else "4,000"  # what the sidebar will say
    return make


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + \
        [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def has(at, key: str) -> bool:
    """Whether the page drew an element with this key (AppTest raises KeyError for one it did not)."""
    try:
        at.get_by_key(key)
    except KeyError:
        return False
    return True


def grids(at) -> list[list[list[str]]]:
    """The coloured number tables the page drew (``charts.grid_table`` through ``st.html``), in order: each as
    its rows of cell texts, the header row first."""
    from tests.conftest import table_cells
    return [table_cells(h.proto.body) for h in at.get("html") if 'class="mnist-grid"' in h.proto.body]


def grid_numbers(cells: list[list[str]]):
    """A ``grids`` table's numbers, without its header row and column (NaN for a dash)."""
    import numpy as np
    return np.array([[np.nan if x == "—" else float(x) for x in row[1:]] for row in cells[1:]])

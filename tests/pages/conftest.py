import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(tmp_path, monkeypatch, mnist_dir):
    """The whole app (navigation + sidebar), with a private runs folder and the full MNIST."""
    from streamlit.testing.v1 import AppTest

    import ui.common
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    monkeypatch.setattr(ui.common, "RUNS_DIR", tmp_path / "runs")

    def make(page: str | None = None, timeout: float = 60):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        if page:
            at.switch_page(f"pages/{page}.py")
        return at
    return make


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error] + \
        [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)

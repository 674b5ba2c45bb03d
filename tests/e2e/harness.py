"""Start the app as a real server and a real browser: shared by the browser test and
benchmarks/chart_overhead.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(runs_dir: str | Path, timeout: float = 90):
    """``streamlit run app.py`` on a free port; yields its URL; always stops it."""
    with streamlit_process(runs_dir, timeout) as (url, _):
        yield url


@contextlib.contextmanager
def streamlit_process(runs_dir: str | Path, timeout: float = 90, env: dict | None = None,
                      script: str = "app.py", cwd: str | Path = ROOT):
    """The same, yielding (URL, process): for the load test's memory readings. ``env`` entries
    set to None are removed from the server's environment. ``cwd``: where the server starts, whose
    ``.streamlit/config.toml`` it reads (the repository's by default)."""
    port = free_port()
    env = {**os.environ, "MNIST_LAB_RUNS": str(runs_dir), "PYTHONUNBUFFERED": "1", **(env or {})}
    env = {k: v for k, v in env.items() if v is not None}
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - the server writes to it until stop() closes it
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start: {log.read()[-2000:]}")
            time.sleep(0.1)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_idle(page, timeout: float = 60):
    """Until Streamlit's 'running' indicator has gone (the script run is over)."""
    deadline = time.time() + timeout
    time.sleep(0.5)
    while time.time() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        time.sleep(0.2)

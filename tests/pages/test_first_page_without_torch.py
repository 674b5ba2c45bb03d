"""The first page of a fresh server shows before torch has loaded (issue 21's cold start).

Importing torch takes 2-3 s, most of a fresh server's start. The Dataset page (the default) and the
Glossary never import it: a thread loads it once such a page has run. Each case runs in a fresh Python
process, so that torch is not already imported by the tests themselves.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.pages.conftest import ROOT

SCRIPT = r"""
import json, os, sys, threading, time
first = {}


class Watch:  # who imports torch (and pandas) first: the page's own script thread, or the loader
    # (and who imports the module that sizes torch's pool: load_torch does, then sizes it)
    def find_spec(self, name, path=None, target=None):
        if name in ("torch", "pandas", "mnist_core.training.devices") and name not in first:
            first[name] = threading.current_thread().name
        return None


sys.meta_path.insert(0, Watch())
from streamlit.testing.v1 import AppTest

import ui.common
ui.common.RUNS_DIR = sys.argv[2]
at = AppTest.from_file(os.path.join(sys.argv[1], "app.py"), default_timeout=120)
if sys.argv[3]:
    at.switch_page(sys.argv[3])
at.run()
out = {"exceptions": [e.value for e in at.exception],
       "title": at.title[0].value if at.title else None,
       "sidebar_first": [m.value for m in at.sidebar.markdown]}
deadline = time.time() + 120  # the loader starts as the page's run ends: it may not have begun yet
while not ui.common.torch_ready() and time.time() < deadline:
    time.sleep(0.1)
import torch
at.run()
out.update(first=first, ready=ui.common.torch_ready(), threads=torch.get_num_threads(),
           sidebar_later=[m.value for m in at.sidebar.markdown], exceptions_later=[e.value for e in at.exception])
print("RESULT " + json.dumps(out))
"""


def first_visit(tmp_path, page: str = "") -> dict:
    env = {**os.environ, "MNIST_LAB_DATABASE_URL": f"sqlite:///{tmp_path / 'classroom.sqlite'}",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(tmp_path / "runs"), page], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, out.stderr[-2000:]
    return json.loads(line[len("RESULT "):])


@pytest.mark.parametrize("page, title", [("", "Dataset"), ("app_pages/glossary.py", "Glossary")])
def test_the_first_page_shows_without_torch_and_torch_loads_after_it(tmp_path, page, title):
    got = first_visit(tmp_path, page)
    assert got["exceptions"] == [] and got["exceptions_later"] == []
    assert got["title"].endswith(title)
    # torch was not imported by the page: only by the loader the page started once it had run
    assert got["first"].get("torch") == "mnist-lab-load-torch", got["first"]
    if not page:  # nor pandas (0.4 s), which the Dataset page's first tab does without
        assert got["first"].get("pandas") in (None, "mnist-lab-load-torch"), got["first"]
    # the sidebar said honestly that the device is not known yet, and names it on the next run
    assert any("known once PyTorch has loaded" in m for m in got["sidebar_first"]), got["sidebar_first"]
    assert got["ready"] and any(m.startswith("**CPU") or m.startswith("**CUDA") for m in got["sidebar_later"])
    # the loader ran load_torch (which imports the sizing module, then sizes the pool: the test below checks
    # the sizing itself, since on a machine whose cores are all usable torch's own default is already right)
    assert got["first"].get("mnist_core.training.devices") == "mnist-lab-load-torch", got["first"]
    assert got["threads"] == 1  # a page's computing: one thread (settings.page_threads)


@pytest.mark.parametrize("env, threads", [(None, 1), ("2", 2), ("zero", 1)])
def test_a_page_that_computes_with_torch_has_it_loaded_and_sized_before_it_runs(monkeypatch, env, threads):
    import torch

    import ui.common
    from mnist_core.training.devices import usable_cpus
    monkeypatch.setattr(ui.common, "_torch_ready", ui.common.threading.Event())
    if env is None:
        monkeypatch.delenv("MNIST_LAB_PAGE_THREADS", raising=False)
    else:
        monkeypatch.setenv("MNIST_LAB_PAGE_THREADS", env)
    ui.common.before_page("")  # the default page (Dataset) goes without
    ui.common.before_page("glossary")
    assert not ui.common.torch_ready()
    torch.set_num_threads(usable_cpus() + 3)  # as torch would size it on a host with more cores
    try:
        ui.common.before_page("draw")
        # one thread for a page's small computations, unless the server says otherwise (a bad value: the default)
        assert ui.common.torch_ready() and torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(2)


def test_the_sidebar_names_the_threads_a_training_run_uses_not_the_pages(app, monkeypatch):
    import torch

    import mnist_core.jobs.local
    monkeypatch.setattr(mnist_core.jobs.local, "THREADS_PER_JOB", 3)  # a server whose runs get three
    torch.set_num_threads(1)  # the pages' one
    at = app("draw").run()
    assert not at.exception
    cpu = [m.value for m in at.sidebar.markdown if m.value.startswith("**CPU")]
    assert cpu == ["**CPU, 3 threads**"], cpu

"""Issue 22 item 4: nobody deletes a run that is training, whoever started it.

On wave 2's main the delete guard checked only the deleting session's own job: a second visitor
deleting a run that another session was training made that session fail with
``FileNotFoundError`` and the server's path in the message.
"""

from __future__ import annotations

import pytest

from mnist_core import presets
from mnist_core.runs import RunError, RunStore
from mnist_core.training.config import TrainConfig
from tests.pages.conftest import app, no_exception  # noqa: F401  (the app fixture)


def a_run_in_training(root):
    """A run as a live writer leaves it: status running, this (alive) process as its writer."""
    return RunStore(root).create("someone else's run", presets.get("seed001").spec(), TrainConfig(epochs=1))


def test_the_store_refuses_to_delete_a_run_that_is_training(tmp_path):
    run = a_run_in_training(tmp_path)
    with pytest.raises(RunError, match="still training") as exc:
        RunStore(tmp_path).delete(run.path.name)
    assert str(tmp_path) not in str(exc.value) and "\n" not in str(exc.value)
    assert run.path.is_dir() and (run.path / "spec.json").is_file()


def test_another_session_on_the_training_page_cannot_delete_it(app, tmp_path):  # noqa: F811
    import ui.common
    run = a_run_in_training(ui.common.RUNS_DIR)
    at = no_exception(app("training").run(timeout=120))
    at.selectbox(key="tr_edit_run").set_value(run.path.name)
    at.checkbox(key="tr_sure").check()
    at.run()
    at.button(key="tr_delete").click()
    at.run()
    no_exception(at)
    # the teacher's run (no owner): a visitor is refused by ownership first, else by the training guard
    assert any("still training" in e.value or "only its owner or the teacher" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert not any(str(ui.common.RUNS_DIR) in e.value for e in at.error)
    assert run.path.is_dir()

"""My report: a visitor's own runs go in, another visitor's do not; the model card for any model."""

import pytest

from mnist_core import presets
from mnist_core.classroom.identity import Actor, new_visitor
from mnist_core.classroom.ownership import record_run
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig
from mnist_core.training.loop import fit

from .conftest import no_exception, texts


@pytest.fixture
def two_runs(sample):
    """(mine, theirs): two finished runs in the page's store; ownership is recorded by the test."""
    import ui.common
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=5)
    logged = []
    res = fit(spec, cfg, sample, callback=logged.append)
    store = RunStore(ui.common.RUNS_DIR)
    return store.save_result("my own run", spec, cfg, res, logged=logged).path.name, \
        store.save_result("someone else's run", spec, cfg, res, logged=logged).path.name


def test_a_new_visitor_is_told_how_to_get_runs_into_the_report(app):
    at = no_exception(app("report").run())
    assert "no finished runs of your own" in texts(at)
    assert at.multiselect(key="rep_runs").options == []


def test_my_runs_are_offered_and_built_into_the_report_and_others_are_not(app, two_runs):
    mine, theirs = two_runs
    at = no_exception(app("report").run())
    me = at.session_state["actor"]
    other_id, _ = new_visitor()
    record_run(mine, me)
    record_run(theirs, Actor(other_id))
    at.run()
    box = at.multiselect(key="rep_runs")
    assert box.options == [f"my own run ({mine})"], box.options
    box.set_value([mine]).run()
    at.button(key="rep_build").click().run()
    no_exception(at)
    html = at.session_state["report_html"]
    assert "my own run" in html and "someone else" not in html
    assert "Accuracy per digit" in html and html.count("<svg") >= 3


def test_a_model_card_for_the_demo(app):
    at = no_exception(app("report").run())
    at.button(key="rep_card_build").click().run()
    no_exception(at)
    run_id, card = at.session_state["report_model_card"]
    assert run_id == "demo" and "Model card" in card and "The digits it confuses" in card


def test_the_page_in_chinese(app):
    at = app("report")
    at.query_params["lang"] = "zh"
    at = no_exception(at.run())
    assert at.title[0].value == "📄 我的报告"

import pytest

from .conftest import no_exception, texts


def test_opens_and_the_button_makes_the_pictures(app):
    at = no_exception(app("dream").run(timeout=120))
    assert "Make the pictures" in texts(at)  # nothing computed before the button
    assert len(at.dataframe) == 0
    at.button(key="dream_run").click().run(timeout=180)
    no_exception(at)
    shown = texts(at)
    assert "What each first-layer filter looks for" in [s.value for s in at.subheader]
    assert "the demo is sure of" in shown and "You picked the demo itself" in shown
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 10
    assert list(at.dataframe[0].value.columns) == ["made for", "reached", "picked model says"]  # the demo: once
    assert len(at.session_state["dream_results"]) == 1
    at.number_input(key="dream_seed").set_value(3).run(timeout=120)  # another seed: made on the button again
    assert "Press **Make the pictures**" in texts(no_exception(at))


@pytest.fixture
def chinese():
    from mnist_core import i18n
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def test_in_chinese(app, chinese):
    at = app("dream", timeout=180)
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    at.session_state["language"] = "zh"
    assert "看它想看什么" in at.title[0].value
    at.button(key="dream_run").click().run(timeout=180)
    no_exception(at)
    assert "骗过它" in [s.value for s in at.subheader]
    assert "Fooling it" not in texts(at)


def test_a_plain_model_is_judged_beside_the_demo(app, sample):
    import ui.common
    from mnist_core import presets
    from mnist_core.runs import RunStore
    from mnist_core.training.config import TrainConfig
    from mnist_core.training.loop import fit
    p = presets.get("fast")
    cfg = TrainConfig.from_dict({**p.train, "max_batches": 8})
    run = RunStore(ui.common.RUNS_DIR).save_result("plain fast", p.spec(), cfg, fit(p.spec(), cfg, sample))
    at = app("dream")
    at.session_state["active_model"] = run.run_id
    no_exception(at.run(timeout=120))
    at.button(key="dream_run").click().run(timeout=180)
    no_exception(at)
    assert list(at.dataframe[0].value.columns) == ["made for", "reached", "picked model says", "demo says"]
    assert "You picked the demo itself" not in texts(at)
    assert list(at.session_state["dream_results"]) == [(run.run_id, 0, "mean")]

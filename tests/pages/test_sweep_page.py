import time

from .conftest import no_exception, texts


def test_defaults_bad_settings_and_a_real_sweep(app):
    at = no_exception(app("sweep").run())
    box = at.text_input(key="sw_values_seed003_lr")
    assert "0.01" in box.value.split(", ")  # seed003's collapse is one of the default points
    assert "No sweep yet" in texts(at)

    box.set_value("0.01, lots")
    at.button(key="sw_start").click().run()
    no_exception(at)
    assert any("'lots' is not a number" in e.value for e in at.error) and "sweep" not in at.session_state

    at.selectbox(key="sw_preset").set_value("fast").run()
    at.text_input(key="sw_values_fast_lr").set_value("0.006, 8")
    at.number_input(key="sw_steps").set_value(20)
    at.button(key="sw_start").click().run()
    no_exception(at)
    sweep = at.session_state["sweep"]
    deadline = time.time() + 180
    while sweep.active and time.time() < deadline:
        time.sleep(0.2)
    assert not sweep.active
    at.run()
    no_exception(at)
    finished = sum(r["accuracy"] is not None for r in sweep.rows())
    assert finished >= 1 and f"{finished} of 2 settings finished" in [p.proto.text for p in at.get("progress")]
    assert at.get_by_key("sw_chart") is not None
    assert at.button(key="sw_start").disabled is False  # the form comes back when it is over
    at.switch_page("app_pages/training.py")
    history = at.run()  # the same visitor: a run history shows one's own runs (and one's class's)
    names = set(history.dataframe[0].value["name"])
    assert {"sweep fast lr=0.006", "sweep fast lr=8"} <= names

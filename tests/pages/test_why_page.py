from .conftest import has, no_exception, texts


def test_attribution_lab_sanity_check_and_map(app):
    at = no_exception(app("why").run(timeout=120))
    assert at.get_by_key("why_maps") is not None
    assert "grid" in texts(at)  # Grad-CAM's resolution note
    at.selectbox(key="why_target").set_value(5).run(timeout=120)
    at.selectbox(key="why_baseline").set_value("blurred").run(timeout=120)
    no_exception(at)
    at.session_state["why_tab"] = "Sanity check"
    no_exception(at.run(timeout=120))
    at.button(key="why_sanity_run").click().run(timeout=120)
    no_exception(at)
    assert at.get_by_key("why_sanity_maps") is not None and "rank similarity" in texts(at)
    at.session_state["why_tab"] = "You are here"
    no_exception(at.run(timeout=120))
    for space in ("features", "pixels"):
        assert at.get_by_key(f"why_map_{space}") is not None and at.get_by_key(f"why_nn_{space}") is not None
    assert "the 8 nearest are mostly" in texts(at)
    at.session_state["why_tab"] = "Which pixels"
    no_exception(at.run(timeout=120))
    assert at.selectbox(key="why_target").value == 5  # kept while its tab was not open


def test_the_last_drawing_is_placed_on_the_map(app):
    import numpy as np
    at = app("why")
    img = np.zeros((28, 28), dtype=np.uint8)
    img[4:24, 13:16] = 255  # a 1
    at.session_state["last_drawing"] = img
    no_exception(at.run(timeout=120))
    at.session_state["why_tab"] = "You are here"
    at.radio(key="why_source").set_value("My last drawing").run(timeout=120)
    no_exception(at)
    assert "The network says **1**" in texts(at)
    assert "features: the 8 nearest are mostly 1s" in texts(at)


def test_only_the_open_tab_is_computed(app):
    at = no_exception(app("why").run(timeout=120))
    assert len(at.get("plotly_chart")) == 1 and has(at, "why_probs")  # the maps, the probabilities' picture, no more
    assert "You are here: among the training digits" not in [s.value for s in at.subheader]


def test_attribution_maps_are_computed_once_per_model_input_class_and_language(app, monkeypatch):
    import ui.explain
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[3])  # the method
        return attribute(*args, **kwargs)

    attribute = ui.explain.attribute
    monkeypatch.setattr(ui.explain, "attribute", counted)
    ui.explain._attribution.clear()
    at = no_exception(app("why").run(timeout=120))
    assert sorted(calls) == sorted(ui.explain.METHODS)
    no_exception(at.run(timeout=120))  # a rerun (a revisit, another visitor on the same digit): no new map
    assert len(calls) == 4
    at.selectbox(key="why_baseline").set_value("blurred").run(timeout=120)  # only the method it changes
    assert calls[4:] == ["integrated gradients"] and "the input blurred" in texts(at)
    at.selectbox(key="why_target").set_value(3).run(timeout=120)  # another class: every map again
    assert len(calls) == 9
    at.selectbox(key="sidebar_lang").set_value("zh").run(timeout=120)  # a note in the reader's language
    no_exception(at)
    assert len(calls) == 13 and "基线：模糊后的输入" in texts(at)

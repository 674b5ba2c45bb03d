from .conftest import no_exception


def test_inside_shows_kernels_maps_and_saliency(app):
    at = no_exception(app("inside").run())
    assert at.get_by_key("inside_saliency") is not None
    assert at.get_by_key("inside_k1") is not None  # the first conv's kernels
    at.selectbox(key="inside_class").set_value(7).run()
    at.number_input(key="inside_k").set_value(3).run()
    no_exception(at)
    assert "the label is **7**" in "\n".join(m.value for m in at.markdown)
    layers = at.multiselect(key="inside_layers")
    layers.set_value(layers.options and [1, len(layers.options)]).run()
    no_exception(at)


def test_inside_uses_the_last_drawing(app):
    import numpy as np
    at = app("inside")
    img = np.zeros((28, 28), dtype=np.uint8)
    img[4:24, 13:15] = 255
    at.session_state["last_drawing"] = img
    at.run()
    at.radio(key="inside_source").set_value("My last drawing").run()
    no_exception(at)
    assert "The network says" in "\n".join(m.value for m in at.markdown)

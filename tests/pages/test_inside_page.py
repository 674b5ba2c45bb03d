import base64
import json

import numpy as np

from ui import state

from .conftest import grid_numbers, grids, has, no_exception, texts


def plotly_array(v) -> np.ndarray:
    """An array from a figure's JSON: a list, or Plotly's binary form ({dtype, bdata, shape})."""
    if isinstance(v, dict) and "bdata" in v:
        shape = tuple(int(n) for n in str(v.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).reshape(shape)
    return np.asarray(v, dtype=float)


def test_inside_shows_kernels_maps_and_saliency(app):
    at = no_exception(app("inside").run())
    assert at.get_by_key("inside_saliency") is not None
    assert has(at, "inside_f1") and not has(at, "inside_k1")  # the maps' tab is open, the kernels' is not run
    at.session_state["inside_tab"] = "Kernels"
    no_exception(at.run())
    assert at.get_by_key("inside_k1") is not None  # the first conv's kernels
    assert not has(at, "inside_f1")
    at.session_state["inside_tab"] = "Feature maps and trace"
    no_exception(at.run())
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


def test_trace_a_cell_and_see_its_arithmetic(app):
    at = no_exception(app("inside").run())
    assert "trace: layer 1" in texts(at)  # a default cell is traced at once
    assert at.radio(key="trace_cell_layer").value == 1  # the layer to click and trace, picked above the maps
    at.text_input(key="trace_cell_pos").set_value("3,5,6").run()
    no_exception(at)
    line = next(c.value for c in at.caption if c.value.startswith("trace:"))
    assert line.startswith("trace: layer 1 cell (3, 5, 6) =")
    assert any("the network computed" in m.value and "(the same)" in m.value for m in at.markdown)
    captions = [c.value for c in at.caption]
    titles = captions[captions.index("input patch"):][:3]  # three small tables of numbers, titled
    assert titles == ["input patch", "kernel weights", "patch x kernel"]
    patch, kernel, products = (grid_numbers(g) for g in grids(at))  # three coloured tables of numbers
    assert patch.shape == kernel.shape == products.shape == (5, 5)  # seed001's first layer: 5 x 5 kernels
    # what the third table says is the first two's product (each written to two decimals)
    assert np.allclose(patch * kernel, products, atol=0.025) and not np.allclose(products, 0)
    at.text_input(key="trace_cell_pos").set_value("99,0,0").run()
    no_exception(at)
    assert any("outside this layer" in e.value for e in at.error)
    at.text_input(key="trace_cell_pos").set_value("a,b").run()
    assert any("numbers separated by commas" in e.value for e in at.error)


def sobel_in_what_if(app):
    """Inside with its What if tab open and a Sobel x kernel applied to the session's copy."""
    at = no_exception(app("inside").run())
    at.session_state["inside_tab"] = "What if?"
    no_exception(at.run())
    at.selectbox(key="wi_hand").set_value("Sobel x (vertical edges)").run()
    at.button(key="wi_apply").click().run()
    return no_exception(at)


def test_what_if_a_kernel_changes_a_session_copy_then_reset_and_save(app):
    import ui.common
    at = sobel_in_what_if(app)
    assert any("Edited copy" in i.value and "Sobel x" in i.value for i in at.info)
    assert at.get_by_key("wi_after") is not None
    at.button(key="wi_save").click().run()
    no_exception(at)
    runs = ui.common.store().list()
    assert len(runs) == 1 and "Sobel x" in runs[0].summary["note"]
    at.button(key="wi_reset").click().run()
    no_exception(at)
    assert not any("Edited copy" in i.value for i in at.info)
    at.selectbox(key="wi_hand").set_value("Type my own").run()
    at.text_input(key="wi_typed").set_value("1 2; 3").run()
    at.button(key="wi_apply").click().run()
    no_exception(at)
    assert any("square" in e.value for e in at.error)


def test_a_link_opens_a_layer_and_digit_and_bad_values_fall_back(app):
    at = app("inside")
    at.query_params.update({"layer": "4", "cls": "3", "k": "1"})
    no_exception(at.run())
    assert next(c.value for c in at.caption if c.value.startswith("trace:")).startswith("trace: layer 4 cell (0,")
    assert at.selectbox(key="inside_class").value == 3
    assert at.query_params["layer"] in ("4", ["4"])
    bad = app("inside")
    bad.query_params.update({"layer": "x", "k": "999999"})
    no_exception(bad.run())
    assert any("layer='x'" in i.value for i in bad.info)
    assert bad.number_input(key="inside_k").value < 999999  # clamped to the class's last digit


def test_the_traced_map_is_shown_large_and_follows_the_traced_cell(app):
    at = no_exception(app("inside").run())
    assert not has(at, "inside_one1_0")  # large on request: its 676 clickable cells are the page's slowest figure
    at.button(key="inside_large").click().run()
    assert has(at, "inside_one1_0") and not has(at, "inside_large")  # the traced map, large (its cells take clicks)
    at.text_input(key="trace_cell_pos").set_value("5,3,4").run()
    no_exception(at)
    assert has(at, "inside_one1_5") and not has(at, "inside_one1_0")
    assert at.caption and next(c.value for c in at.caption if c.value.startswith("trace:")).startswith(
        "trace: layer 1 cell (5, 3, 4)")
    at.session_state["inside_tab"] = "Kernels"  # another tab: the traced cell and the link's layer stay
    no_exception(at.run())
    assert at.query_params["layer"] in ("1", ["1"])
    at.session_state["inside_tab"] = "Feature maps and trace"
    no_exception(at.run())
    assert at.text_input(key="trace_cell_pos").value == "5,3,4"


def test_an_edited_copy_is_named_on_the_maps_tab(app):
    at = sobel_in_what_if(app)
    at.session_state["inside_tab"] = "Feature maps and trace"
    no_exception(at.run())
    assert any("Edited copy" in i.value and "Sobel x" in i.value for i in at.info)
    assert has(at, "inside_f1") and not has(at, "wi_after")


def layer_pictures(at) -> list[tuple[str, str]]:
    """The plain layers' pictures (``st.html``): each one's (alt, caption), in the page's order."""
    import re
    from html import unescape
    return [(unescape(alt), unescape(cap)) for el in at.get("html") for alt, cap in
            re.findall(r'<figure><img [^>]*alt="([^"]*)"><figcaption>(.*?)</figcaption></figure>', el.proto.body)]


def test_a_vector_layer_is_a_picture_until_its_units_are_made_clickable(app):
    """The demo's dense layers (9: Linear 128, 10: ReLU, 11: Linear 10) are bar pictures while layer 1 is
    traced; picking a layer above the maps makes its bars a chart whose click traces a unit."""
    at = no_exception(app("inside").run())
    assert not has(at, "inside_f9") and not has(at, "inside_f11")
    pictures = layer_pictures(at)
    captions = [c for _, c in pictures]
    assert any(c.startswith("Layer 9: Linear") and "from " in c for c in captions), captions
    small = next(c for c in captions if c.startswith("Layer 11:"))  # ten units: each value is written out
    assert all(f"{i}: " in small for i in range(10))
    assert not any(c.startswith("Layer 1:") for c in captions)  # the traced layer is the clickable figure
    assert all(alt.startswith(("the feature maps of layer", "a bar chart of")) for alt, _ in pictures)
    at.radio(key="trace_cell_layer").set_value(9).run()
    no_exception(at)
    assert has(at, "inside_f9") and not has(at, "inside_one1_0")  # layer 9's bars; layer 1 is a picture again
    assert len(plotly_array(json.loads(at.get_by_key("inside_f9").proto.spec)["data"][0]["y"])) == 128
    assert any(c.startswith("Layer 1:") for _, c in layer_pictures(at))
    assert next(c.value for c in at.caption if c.value.startswith("trace:")).startswith("trace: layer 9 cell (")


def test_the_layer_to_trace_is_shown_even_when_not_listed(app):
    """Picking a layer the "Layers to show" list leaves out draws it anyway: it is the one to click."""
    at = no_exception(app("inside").run())
    at.multiselect(key="inside_layers").set_value([1]).run()
    assert [c for _, c in layer_pictures(at)] == []  # only layer 1, and it is the clickable one
    at.radio(key="trace_cell_layer").set_value(4).run()
    no_exception(at)
    assert has(at, "inside_f4") and [c.split(":")[0] for _, c in layer_pictures(at)] == ["Layer 1"]


def test_another_layer_starts_on_its_middle_cell_with_its_own_large_map(app):
    """Picking another layer with a map shown large: the new layer's first map, large, its middle cell traced
    (not the last layer's cell), and the clicks recorded on the last layer's charts forgotten."""
    at = no_exception(app("inside").run())
    at.button(key="inside_large").click().run()
    at.text_input(key="trace_cell_pos").set_value("5,10,10").run()
    assert has(at, "inside_one1_5")
    clicks = state.TRACE_CLICKS.key  # the session value ui.state declares for it
    at.session_state[clicks] = {"1": (5, 10, 10)}  # as a click on layer 1's maps leaves it
    at.radio(key="trace_cell_layer").set_value(4).run()
    no_exception(at)
    line = next(c.value for c in at.caption if c.value.startswith("trace:"))
    assert line.startswith("trace: layer 4 cell (0, 7, 7)"), line  # the demo's layer 4: 32 maps of 14 x 14
    assert has(at, "inside_one4_0") and not has(at, "inside_one4_5")  # the map of the traced cell, large
    assert at.session_state[clicks] == {}
    assert at.query_params["layer"] in ("4", ["4"])


def test_a_links_layer_past_the_last_is_not_passed_on_from_another_tab(app):
    at = app("inside")
    at.query_params.update({"layer": "40"})
    at.session_state["inside_tab"] = "Kernels"  # the maps' tab, where the layer is clamped, is not run
    no_exception(at.run())
    assert at.query_params["layer"] in ("11", ["11"])  # the demo's last layer

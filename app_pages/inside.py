"""Inside the CNN: what each filter looks like and what it makes of one digit, layer by layer;
click any cell to trace its arithmetic, and change a kernel to see what happens."""

import numpy as np
import streamlit as st

from mnist_core import charts, inference
from mnist_core.explain import activations
from mnist_core.i18n import _
from ui import state
from ui.common import describe, friendly_errors, lazy_tabs, model_and_data
from ui.explain import (
    TRACE_LAYER_KEY,
    chart_points,
    clicked_cell,
    pick_input,
    select_cell,
    trace_section,
    traced_cell,
    traced_layer,
    whatif_model,
    whatif_section,
)
from ui.fragment import fragment
from ui.links import read_link, write_link


def feature_maps(spec, model, x) -> None:
    """Each layer's output for this digit; the traced layer's maps take clicks: a click on a map shows it
    large, a click on one of its cells traces that cell below."""
    st.subheader(_("Feature maps, layer by layer"))
    outs = activations.layer_outputs(spec, model, x)
    show = st.multiselect(_("Layers to show"), [o.index for o in outs],
                          default=[o.index for o in outs if o.kind in ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d",
                                                                       "Linear", "Tanh", "Sigmoid")][:8],
                          format_func=lambda i: f"{i}: {outs[i - 1].label}", key="inside_layers")
    # Only the traced layer's maps take clicks (a marker per map, and one per cell of the map shown large):
    # a marker on every cell of eight layers took the browser seconds to draw. The others are pictures.
    traced_layer(spec)  # within this model's layers, its cell reset when the layer is new: before its picker
    traced = st.radio(_("Layer to click and trace"), [o.index for o in outs], horizontal=True,
                      format_func=lambda i: f"{i} · {outs[i - 1].kind}", key=TRACE_LAYER_KEY,
                      help=_("Its maps (or bars) take clicks: a click on a map shows it large, a click on a cell "
                             "or a bar traces it below. The other layers are pictures."))
    pictures = []  # the plain layers next to each other, drawn as one piece of the page (one element, not three each)
    for o in outs:
        if o.index not in show and o.index != traced:  # the one to click is shown even when not listed
            continue
        shape = "x".join(map(str, o.shape))
        words = dict(layer=o.index, label=o.label, shape=shape)
        if o.values.ndim == 3 and o.index != traced:
            # a picture, not a Plotly figure: nothing clicks it, and a dozen figures were most of the page's time
            pictures.append((charts.feature_maps_img(
                o.values, _("the feature maps of layer {layer} ({label}), {shape}: one small picture per channel.")
                .format(**words)), _("Layer {layer}: {label} → {shape}").format(**words)))
            continue
        if o.values.ndim != 3 and o.index != traced:  # a vector nobody clicks: a picture of its bars
            values = o.values[:512]
            low, high = f"{float(np.nanmin(values)):.2f}", f"{float(np.nanmax(values)):.2f}"
            said = (", ".join(f"{i}: {v:.2f}" for i, v in enumerate(values)) if len(values) <= 16 else  # each one
                    _("from {low} to {high}").format(low=low, high=high))
            pictures.append((charts.vector_img(
                values, _("a bar chart of the {shape} activations of layer {layer} ({label}).").format(**words)),
                _("Layer {layer}: {label} → {shape}").format(**words) + " · " + said))
            continue
        _pictures(pictures)
        if o.values.ndim != 3:  # the traced vector: one bar per unit, each clickable
            describe(_("a bar chart of the {shape} activations of layer {layer} ({label}).").format(**words))
            event = st.plotly_chart(
                charts.activations_bar(o.values[:512], _("Layer {layer}: {label} → {shape}").format(**words)),
                key=f"inside_f{o.index}", on_select="rerun", selection_mode="points")
            cell = clicked_cell(event, o.values)
            if cell is not None:
                select_cell(o.index, cell)
            continue
        describe(_("the feature maps of layer {layer} ({label}), {shape}: one small picture per channel.")
                 .format(**words))
        event = st.plotly_chart(
            charts.feature_maps(o.values, _("Layer {layer}: {label} → {shape} (click a map)").format(**words)),
            key=f"inside_f{o.index}", on_select="rerun", selection_mode="points")
        cell = clicked_cell(event, o.values)
        if cell is not None and select_cell(o.index, cell, f"inside_f{o.index}"):  # a new click on a map:
            state.MAP_LARGE.set(True)  # its middle cell traced, and the map shown large
        at = traced_cell()
        n = min(len(o.values), 32)
        ch = at[0] if at and len(at) == 3 and 0 <= at[0] < n else 0
        if not state.MAP_LARGE.get():  # its 676 clickable cells cost more than the rest of the page: on request
            st.button(_("🔍 Map {map} large, to click its cells").format(map=ch), key="inside_large",
                      on_click=state.MAP_LARGE.set, args=(True,),
                      help=_("Or click a map above: it is shown large, and a click on one of its cells traces it."))
            continue
        big = f"inside_one{o.index}_{ch}"  # a map of its own: another map's old click is not this one's
        # its click, read before it is drawn, so that the square drawn around the traced cell is the new one
        points = chart_points(st.session_state.get(big))
        if points:
            r, c = int(round(points[0].get("y", -1))), int(round(points[0].get("x", -1)))
            if 0 <= r < o.values.shape[1] and 0 <= c < o.values.shape[2]:
                select_cell(o.index, (ch, r, c), big)
        at = traced_cell()
        mark = at[1:] if at and len(at) == 3 and at[0] == ch else None
        left, right = st.columns([2, 3])
        describe(_("map {map} of layer {layer}, large: one square per cell, its brightness the value.")
                 .format(map=ch, layer=o.index), left)
        left.plotly_chart(charts.one_map(o.values[ch], _("Map {map} (click a cell)").format(map=ch), mark), key=big,
                          on_select="rerun", selection_mode="points")
        right.caption(_("Click a map above to see it here; click a cell of it to trace how the network computed "
                        "it (below)."))
    _pictures(pictures)


def _pictures(pictures: list) -> None:
    """Draw the plain layers gathered so far, and forget them."""
    if pictures:
        st.html(charts.figures_html(pictures))
        pictures.clear()


st.title(_("🔬 Inside the CNN"))
read_link("inside", {"cls": "inside_class", "k": "inside_k", "layer": TRACE_LAYER_KEY})
run_id, spec, trained, data = model_and_data("inside_model")
x, image, label = pick_input(data, "inside")
model = whatif_model(run_id, trained)  # the session's edited copy, when "what if" made one

with friendly_errors(_("inspection")):
    probs = inference.predict(spec, model, x)
    pred = int(probs.argmax())
    said = dict(digit=data.classes[pred], share=f"{probs[pred]:.0%}")
    st.markdown(_("The network says **{digit}** ({share}); the label is **{label}**.").format(
        label=data.classes[label], **said) if label is not None else
        _("The network says **{digit}** ({share}).").format(**said))
    # the input and its saliency in one figure (the input alone beside it was one more figure to draw)
    a, b = st.columns([3, 2])
    sal, target = activations.saliency(spec, model, x)
    # a picture (nothing clicks it): as a figure it was drawn again for every digit and every tab
    svg, lim = charts.saliency_svg(sal, image)
    a.container(key="inside_saliency").image(
        svg, caption=_("Which pixels pushed it towards {digit}").format(digit=data.classes[target]),
        alt=_("a saliency map over the digit: the pixels that pushed the network towards {digit}.")
        .format(digit=data.classes[target]))
    b.caption(_("Left, the digit as the network gets it (28 x 28 pixels). Right, how much each pixel pushed the "
                "answer: red towards {digit}, blue away from it (from -{lim} to +{lim}).").format(
        digit=data.classes[target], lim=f"{lim:.2g}"))

# One section at a time: the page settles as soon as the open tab's figures are drawn.
maps_tab, kernels_tab, whatif_tab = lazy_tabs(
    [_("Feature maps and trace"), _("Kernels"), _("What if?")], key="inside_tab",
    keep=("inside_layers", TRACE_LAYER_KEY, "trace_cell_pos", "trace_in_ch", "wi_layer", "wi_filter", "wi_hand",
          "wi_typed", "wi_in", "wi_row", "wi_col", "wi_value"))
edited = state.edited_model("what-if", run_id)
if edited and not whatif_tab.open:  # the maps and the trace read the edited copy: say so wherever they are
    st.info(_("Edited copy (this session only): {changes}").format(changes="; ".join(edited.changes)))

with kernels_tab:
    if kernels_tab.open:
        with friendly_errors(_("inspection")):
            st.caption(_("Each small square is one filter's weights: red adds where ink is, blue subtracts. "
                         "Filters with many input channels are shown as their mean over those channels."))
            kernels = activations.kernels(spec, model)
            if not kernels:
                st.info(_("This network has no convolution layers: it sees the digit as one long list of pixels."))
            for idx, label_, w in kernels:  # pictures (nothing clicks them): a figure each cost 100-150 ms
                svg, lim = charts.kernel_grid_svg(w)
                scale = _("blue {low} · white 0 · red {high}").format(low=f"{-lim:.2f}", high=f"+{lim:.2f}")
                st.container(key=f"inside_k{idx}").image(
                    svg, caption=_("Layer {layer}: {label} · weights {shape}").format(
                        layer=idx, label=label_, shape=tuple(w.shape)) + " · " + scale,
                    alt=_("the weights of the {n} filters of layer {layer} ({label}), one small square each.")
                    .format(n=len(w), layer=idx, label=label_))


def view_link(run_id: str, spec, layer: int) -> None:
    """The page's view into its address: the model, the digit and the traced layer (within this model's: a
    link's layer past the last is not passed on from a tab that did not clamp it)."""
    write_link("inside", {"model": run_id, "cls": st.session_state.get("inside_class", 0),
                          "k": st.session_state.get("inside_k", 0),
                          "layer": min(max(int(layer), 1), len(spec.layers))})


def maps_and_trace(spec, model, x, image, run_id: str) -> None:
    """The maps and the trace of one cell: a click in them (a map, a cell, another layer) reruns this alone,
    not the page's model, digit and saliency above (its arguments are the last full run's)."""
    with friendly_errors(_("inspection")):
        feature_maps(spec, model, x)
    view_link(run_id, spec, trace_section(spec, model, x, image))


with maps_tab:
    if maps_tab.open:
        fragment(maps_and_trace)(spec, model, x, image, run_id)

with whatif_tab:
    if whatif_tab.open:
        whatif_section(run_id, spec, trained, x)
if not maps_tab.open:
    view_link(run_id, spec, st.session_state.get(TRACE_LAYER_KEY, 1))

"""Inside the CNN: what each filter looks like and what it makes of one digit, layer by layer;
click any cell to trace its arithmetic, and change a kernel to see what happens."""

import streamlit as st

from mnist_core import charts, inference
from mnist_core.explain import activations
from mnist_core.i18n import _
from ui.common import describe, friendly_errors, model_and_data
from ui.explain import (
    TRACE_LAYER_KEY,
    clicked_cell,
    pick_input,
    select_cell,
    trace_section,
    whatif_model,
    whatif_section,
)
from ui.links import read_link, write_link

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
    a, b = st.columns([1, 2])
    describe(_("the input digit as a 28 x 28 grid of pixel brightnesses."), a)
    a.plotly_chart(charts.digit_heatmap(image, _("input"), zmax=1), key="inside_input")
    sal, target = activations.saliency(spec, model, x)
    describe(
        _("a saliency map over the digit: the pixels that pushed the network towards {digit}.")
        .format(digit=data.classes[target]), b)
    b.plotly_chart(charts.saliency_map(sal, image, _("Which pixels pushed it towards {digit}").format(
        digit=data.classes[target])), key="inside_saliency")

    # --- kernels ---------------------------------------------------------------------------------
    st.subheader(_("Kernels"))
    st.caption(_("Each small square is one filter's weights: red adds where ink is, blue subtracts. "
                 "Filters with many input channels are shown as their mean over those channels."))
    kernels = activations.kernels(spec, model)
    if not kernels:
        st.info(_("This network has no convolution layers: it sees the digit as one long list of pixels."))
    for idx, label_, w in kernels:
        describe(
            _("the weights of the {n} filters of layer {layer} ({label}), one small square each.")
            .format(n=len(w), layer=idx, label=label_))
        st.plotly_chart(charts.kernel_grid(w, _("Layer {layer}: {label} · weights {shape}").format(
            layer=idx, label=label_, shape=tuple(w.shape))), key=f"inside_k{idx}")

    # --- feature maps and activations: click a cell to trace it ----------------------------------------
    st.subheader(_("Feature maps, layer by layer"))
    outs = activations.layer_outputs(spec, model, x)
    show = st.multiselect(_("Layers to show"), [o.index for o in outs],
                          default=[o.index for o in outs if o.kind in ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d",
                                                                       "Linear", "Tanh", "Sigmoid")][:8],
                          format_func=lambda i: f"{i}: {outs[i - 1].label}", key="inside_layers")
    # Only the traced layer's maps take clicks: a clickable map carries one marker per cell, and eight of
    # them took the browser seconds to draw. Any other layer becomes the clickable one with its button.
    traced_layer = st.session_state.get(TRACE_LAYER_KEY, 1)
    for o in outs:
        if o.index not in show:
            continue
        shape = "x".join(map(str, o.shape))
        words = dict(layer=o.index, label=o.label, shape=shape)
        if o.values.ndim == 3 and o.index != traced_layer:
            describe(_("the feature maps of layer {layer} ({label}), {shape}: one small picture per channel.")
                     .format(**words))
            st.plotly_chart(charts.feature_maps(o.values, _("Layer {layer}: {label} → {shape}").format(**words),
                                                clickable=False), key=f"inside_p{o.index}")
            st.button(_("🖱️ Click cells of layer {layer}").format(layer=o.index), key=f"inside_pick{o.index}",
                      on_click=st.session_state.__setitem__, args=(TRACE_LAYER_KEY, o.index),
                      help=_("Makes this layer's maps clickable: a click traces that cell below."))
            continue
        fig = charts.feature_maps(o.values, _("Layer {layer}: {label} → {shape} (click a cell)").format(**words)) \
            if o.values.ndim == 3 else \
            charts.activations_bar(o.values[:512], _("Layer {layer}: {label} → {shape}").format(**words))
        alt = _("the feature maps of layer {layer} ({label}), {shape}: one small picture per channel.") \
            if o.values.ndim == 3 else _("a bar chart of the {shape} activations of layer {layer} ({label}).")
        describe(alt.format(**words))
        event = st.plotly_chart(fig, key=f"inside_f{o.index}", on_select="rerun", selection_mode="points")
        cell = clicked_cell(event, o.values)
        if cell is not None:
            select_cell(o.index, cell)

traced = trace_section(spec, model, x, image)
write_link("inside", {"model": run_id, "cls": st.session_state.get("inside_class", 0),
                      "k": st.session_state.get("inside_k", 0), "layer": traced})
whatif_section(run_id, spec, trained, x)

"""Inside the CNN: what each filter looks like and what it makes of one digit, layer by layer."""

import numpy as np
import streamlit as st
import torch

from mnist_core import charts
from mnist_core import inspect as ins
from mnist_core.data import MEAN, STD
from ui.common import friendly_errors, model_and_data

st.title("🔬 Inside the CNN")
run_id, spec, model, data = model_and_data("inside_model")

# --- the input ---------------------------------------------------------------------------------
sources = ["A test digit"] + (["My last drawing"] if "last_drawing" in st.session_state else [])
src = st.radio("Input", sources, horizontal=True, key="inside_source")
if src == "A test digit":
    c1, c2 = st.columns(2)
    cls = c1.selectbox("Class", list(range(10)), format_func=lambda i: data.classes[i], key="inside_class")
    where = torch.nonzero(data.test_labels == cls).flatten()
    if len(where) == 0:
        st.warning("no test digits of that class in this dataset")
        st.stop()
    k = c2.number_input(f"Which one (of {len(where)})", 0, len(where) - 1, 0, key="inside_k")
    x, label = ins.digit_input(data, "test", int(where[k]))
else:
    img = st.session_state["last_drawing"]
    x = torch.from_numpy(((img / 255.0 - MEAN) / STD).astype(np.float32))[None, None]
    label = None
image = (x[0, 0].numpy() * STD + MEAN).clip(0, 1)

with friendly_errors("inspection"):
    probs = ins.predict(spec, model, x)
    pred = int(probs.argmax())
    st.markdown(f"The network says **{data.classes[pred]}** ({probs[pred]:.0%})"
                + (f"; the label is **{data.classes[label]}**." if label is not None else "."))
    a, b = st.columns([1, 2])
    a.plotly_chart(charts.digit_heatmap(image, "input", zmax=1), key="inside_input")
    sal, target = ins.saliency(spec, model, x)
    b.plotly_chart(charts.saliency_map(sal, image, f"Which pixels pushed it towards {data.classes[target]}"),
                   key="inside_saliency")

    # --- kernels ---------------------------------------------------------------------------------
    st.subheader("Kernels")
    st.caption("Each small square is one filter's weights: red adds where ink is, blue subtracts. "
               "Filters with many input channels are shown as their mean over those channels.")
    kernels = ins.kernels(spec, model)
    if not kernels:
        st.info("This network has no convolution layers: it sees the digit as one long list of pixels.")
    for idx, label_, w in kernels:
        st.plotly_chart(charts.kernel_grid(w, f"Layer {idx}: {label_} · weights {tuple(w.shape)}"),
                        key=f"inside_k{idx}")

    # --- feature maps and activations ---------------------------------------------------------------
    st.subheader("Feature maps, layer by layer")
    outs = ins.layer_outputs(spec, model, x)
    show = st.multiselect("Layers to show", [o.index for o in outs],
                          default=[o.index for o in outs if o.kind in ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d",
                                                                       "Linear", "Tanh", "Sigmoid")][:8],
                          format_func=lambda i: f"{i}: {outs[i - 1].label}", key="inside_layers")
    for o in outs:
        if o.index not in show:
            continue
        shape = "x".join(map(str, o.shape))
        if o.values.ndim == 3:
            st.plotly_chart(charts.feature_maps(o.values, f"Layer {o.index}: {o.label} → {shape}"),
                            key=f"inside_f{o.index}")
        else:
            st.plotly_chart(charts.activations_bar(o.values[:512], f"Layer {o.index}: {o.label} → {shape}"),
                            key=f"inside_a{o.index}")

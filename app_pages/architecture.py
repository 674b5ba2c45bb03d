"""Architecture: compose layers, see every shape, parameter and multiply-add, export it."""

import pandas as pd
import streamlit as st

from mnist_core import charts, presets
from mnist_core.i18n import N_, _, tr, tr_error
from mnist_core.safe_text import plain
from mnist_core.spec import LAYER_TYPES, ArchSpec, SpecError
from ui import builder, state
from ui.common import friendly_errors

st.title("🧱 " + _("Architecture"))

# the table's columns and the layers' settings, in words (the spec's own names stay in the JSON and the code)
COLUMNS = {"#": "#", "layer": N_("layer"), "input": N_("input"), "output": N_("output"), "params": N_("params"),
           "MACs": N_("MACs"), "receptive field": N_("receptive field"), "message": N_("message")}
SETTINGS = {"out_channels": N_("out_channels (kernels)"), "kernel_size": N_("kernel_size"), "stride": N_("stride"),
            "padding": N_("padding"), "bias": N_("bias"), "p": N_("p (drop share)"), "out_features": N_("out_features"),
            "negative_slope": N_("negative_slope")}


def setting_words(name: str, kind: str = "") -> str:
    if name == "kernel_size" and kind.endswith("Pool2d"):  # a pool has a window, not a kernel of weights
        return _("kernel_size (window)")
    return _(SETTINGS[name]) if name in SETTINGS else name


# --- where to start --------------------------------------------------------------------------
if not builder.started():
    builder.set_spec(presets.get("seed001").spec(), preset="seed001")

c1, c2, c3 = st.columns([3, 1, 1])
names = list(presets.PRESETS)
preset_name = c1.selectbox(_("Start from a preset"), names, key="arch_preset_choice",
                           index=names.index(builder.preset() or "seed001"),
                           format_func=lambda n: f"{_(presets.get(n).title)} — {_(presets.get(n).description)}")
if c2.button(_("Load preset"), key="arch_load", width="stretch"):
    builder.set_spec(presets.get(preset_name).spec(), preset=preset_name)
    st.rerun()
if c3.button(_("Start from scratch"), key="arch_scratch", width="stretch"):
    builder.set_spec(ArchSpec(name="custom"))
    st.rerun()

uploaded = st.file_uploader(_("…or upload a spec (JSON)"), type=["json"], key="arch_upload")
if uploaded is not None and state.ARCH_UPLOAD_SEEN.get() != uploaded.file_id:
    state.ARCH_UPLOAD_SEEN.set(uploaded.file_id)
    with friendly_errors(_("cannot use {file}").format(file=uploaded.name)):
        builder.set_spec(ArchSpec.from_json(uploaded.getvalue()))
        st.rerun()

# --- the editor -----------------------------------------------------------------------------------
builder.sync_from_widgets()
try:
    spec = builder.spec()
    preset = builder.preset()
    engine = presets.get(preset).train.get("engine") if preset else None
    analysis = spec.analyze(loss="nll" if engine == "numpy" else "cross_entropy")
except SpecError as exc:  # settings that do not even parse: say so, keep the editor alive
    st.error(plain(tr_error(exc)))
    spec, analysis = None, None

# The network as a table, every layer's shape and cost at once, and one layer's settings below it: a row of
# widgets for every layer (sixty for seed001) took the browser a quarter of a second to draw on each rerun.
st.subheader(_("Layers"))
st.caption(_("Input: 1x28x28 (one grey channel). Channels and features are inferred from the layer before."))
if analysis is not None:
    # st.table reads its cells as Markdown: every text cell is shown as it is written
    rows = [{**row, "message": tr(row["message"])} for row in analysis.rows()]
    if rows:  # none in a network started from scratch: the message below says what to do
        table = pd.DataFrame([{k: plain(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows])
        # as text: a layer with no receptive field (after Flatten) shows nothing, not a NaN that makes each a float
        table["receptive field"] = ["" if v is None else str(v) for v in (row["receptive field"] for row in rows)]
        # a plain table: a dozen rows read at once, where a dataframe's grid (a canvas) took the browser 0.3 s more;
        # its "#" is the number the picker below gives each layer
        st.table(table.rename(columns=lambda c: plain(_(COLUMNS.get(c, c)))), hide_index=True)  # "#" alone: a heading
    for err in analysis.errors:
        if not any(err == li.error for li in analysis.layers):
            st.error(plain(tr(err)))
    for li in analysis.layers:
        if li.error:
            st.error(plain(tr(li.error)))
        elif li.warning:
            st.warning(plain(tr(li.warning)))

kinds = list(LAYER_TYPES)
layers = builder.layers()
with st.container(border=True, key="arch_editor"):
    if layers:
        i = builder.edited()
        st.radio(_("Layer to edit"), list(range(len(layers))), key=builder.EDITED, horizontal=True,
                 format_func=lambda k: f"{k + 1} · {layers[k]['type']}")
        layer, uid = layers[i], layers[i]["uid"]
        info = analysis.layers[i] if analysis and i < len(analysis.layers) else None
        cols = st.columns([1.6, 4, 0.5, 0.5, 0.5], vertical_alignment="bottom")
        cols[0].selectbox(_("type"), kinds, index=kinds.index(layer["type"]), key=f"L{uid}_type")
        with cols[1]:
            settings = builder.settings_of(layer["type"])
            if settings:
                inner = st.columns(len(settings))
                for box, f in zip(inner, settings):
                    v = layer[f.name]
                    key = f"L{uid}_{f.name}"
                    if isinstance(f.default, bool):
                        box.checkbox(setting_words(f.name, layer["type"]), value=v, key=key)
                        continue
                    # The spec's own bounds: whatever the parser let in, the widget can show.
                    lo, hi = builder.widget_range(layer["type"], f.name)
                    if isinstance(f.default, float):
                        box.number_input(setting_words(f.name, layer["type"]), lo, hi, float(v), 0.05, key=key)
                    else:
                        box.number_input(_("{setting} (0 = kernel)").format(
                            setting=setting_words(f.name, layer["type"])) if f.default is None
                            else setting_words(f.name, layer["type"]), lo, hi, int(v or 0), 1, key=key)
            else:
                st.caption(_("This layer has no settings."))
        cols[2].button("↑", key=f"up{uid}", on_click=builder.move, args=(i, -1), disabled=i == 0,
                       help=_("move this layer one place earlier"))
        cols[3].button("↓", key=f"down{uid}", on_click=builder.move, args=(i, 1), disabled=i == len(layers) - 1,
                       help=_("move this layer one place later"))
        cols[4].button("✕", key=f"del{uid}", on_click=builder.remove, args=(i,), help=_("remove this layer"))
        shape = "x".join(map(str, info.out_shape)) if info and info.out_shape else "?"
        st.caption(_("→ output {shape}").format(shape=shape) + (_(" · {n} params").format(n=f"{info.params:,}")
                                                                if info and info.params else ""))
    a1, a2 = st.columns([2, 1], vertical_alignment="bottom")
    new_kind = a1.selectbox(_("Add a layer"), kinds, key="arch_new_kind")
    a2.button("➕ " + _("Add at the end"), key="arch_add", width="stretch", on_click=builder.insert,
              args=(len(layers), new_kind))  # what the page showed when the button was pressed

if analysis is None:
    st.stop()

# --- totals and diagram ----------------------------------------------------------------------
st.subheader(_("Shapes, parameters and cost"))
m1, m2, m3 = st.columns(3)
m1.metric(_("Parameters"), f"{analysis.total_params:,}")
m2.metric(_("Multiply-adds per image"), f"{analysis.total_macs:,}")
m3.metric(_("Layers"), len(spec.layers))
if analysis.ok:  # a picture: nothing clicks it, and as a figure it was the page's slowest element to draw
    st.container(key="arch_diagram").image(
        charts.architecture_svg(analysis.rows()),
        caption=_("The network, left to right (height: map size, width: channels)"),
        alt=_("the network as blocks from left to right, the input's and then one for each of its {n} layers, each "
              "named with its output shape beneath it.").format(n=len(spec.layers)))

# --- export and hand-over ---------------------------------------------------------------------------------
st.subheader(_("Export"))
e1, e2, e3 = st.columns(3)
e1.download_button("⬇️ " + _("Spec JSON"), spec.to_json(), file_name=f"{spec.file_stem()}.json", mime="application/json",
                   key="arch_dl_json")
if analysis.ok:
    code = spec.to_code()
    e2.download_button("⬇️ " + _("PyTorch code"), code, file_name=f"{spec.file_stem()}.py", mime="text/x-python",
                       key="arch_dl_code")
    if e3.button("🚀 " + _("Train this"), key="arch_train", type="primary"):
        state.hand_to_training(spec, builder.preset())
        st.switch_page("app_pages/training.py")
    with st.expander(_("PyTorch code")):
        st.code(code, language="python")
else:
    e3.button("🚀 " + _("Train this"), key="arch_train", disabled=True, help=_("fix the messages above first"))

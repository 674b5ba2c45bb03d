"""Experiments: perturb one digit, measure robustness, and operate on the network's filters.
The perturbation view lives in the URL, so a link opens the same view for every student."""

import numpy as np
import pandas as pd
import streamlit as st
import torch

from mnist_core import charts, inference
from mnist_core.experiments.perturb import (
    KINDS,
    apply,
    default_strengths,
    erase_until_flip,
    kind_name,
    robustness_curve,
)
from mnist_core.experiments.surgery import ablate, ablation_sweep, fixed_subset, per_class_accuracy
from mnist_core.explain import activations
from mnist_core.explain.attributions import conv_layers
from mnist_core.explain.whatif import HAND_KERNELS, with_kernel
from mnist_core.i18n import _, ngettext
from mnist_core.training.devices import wide_pool
from ui import state
from ui.common import dataset, friendly_errors, lazy_tabs, load_model, model_options, model_picker
from ui.explain import kernel_name, pick_input, pixels, reset_or_save
from ui.links import read_link, write_link

st.title(_("🧪 Experiments"))
data = dataset()
if data is None:
    st.stop()

# --- the shared link: read once per URL, before any widget exists --------------------------------
read_link("experiments", {"kind": "ex_kind", "cls": "ex_class", "k": "ex_k", "strength": "ex_strength"})

picked = model_picker("ex_model")
if picked is None:
    st.stop()
run_id, spec, model = picked
# The digit every section works on (the surgery tab shows what its operated copy makes of it), above the tabs
_x, image, label = pick_input(data, "ex")
img = pixels(image)  # uint8 (28, 28): what the perturbations work on

# One section at a time: the page settles as soon as the open tab's figures are drawn, and the robustness
# curves (500 digits perturbed at each strength) are computed only when asked for.
tab_perturb, tab_curves, tab_surgery = lazy_tabs(
    [_("Perturb a digit"), _("Robustness curves"), _("CNN surgery")], key="ex_tab",
    keep=("ex_kind", "ex_strength", "ex_curve_models", "ex_curve_kind", "sx_layer",
          "sx_off", "sx_kfilt", "sx_kname"))

# --- perturbation lab ------------------------------------------------------------------------------
with tab_perturb:
    if tab_perturb.open:
        cls, k = st.session_state.get("ex_class", 7), st.session_state.get("ex_k", 0)
        p1, p2 = st.columns(2)
        kind = p1.selectbox(_("Perturbation"), list(KINDS), key="ex_kind",
                            format_func=lambda k_: _("{kind}: {what}").format(kind=kind_name(k_), what=_(KINDS[k_][0])))
        lo, hi = KINDS[kind][1]
        st.session_state["ex_strength"] = int(min(max(st.session_state.get("ex_strength", 0), lo), hi))
        strength = p2.slider(_("Strength"), lo, hi, step=KINDS[kind][2], key="ex_strength")
        shared = write_link("experiments", {"model": run_id, "source": "test", "cls": cls, "k": k, "kind": kind,
                                            "strength": strength})
        with friendly_errors(_("perturbation")):
            x0 = torch.from_numpy(img)[None]
            before = inference.predict(spec, model, inference.to_input(x0))
            # what an attack pushes away from
            target = torch.tensor([label if label is not None else int(before.argmax())])
            x1 = apply(spec, model, x0, target, kind, strength)
            after = inference.predict(spec, model, inference.to_input(x1))
            names = (_("original"), f"{kind_name(kind)} {strength}")
            a, b = st.columns([2, 3])
            # pictures (nothing clicks them): as two figures they were most of what a new perturbation waited for
            a.container(key="ex_pair").image(
                charts.digits_svg(np.stack([x0[0].numpy(), x1[0].numpy()]), list(names), cols=2, scale=6),
                alt=_("the digit before and after: {kind} {strength}.").format(kind=kind_name(kind), strength=strength))
            b.container(key="ex_probs").image(
                charts.probabilities_pair_svg(before, after, data.classes, names), caption=_("What the network thinks"),
                alt=_("a bar chart of the network's probability for each class, before and after the perturbation."))
            st.markdown(_("Original: **{before}** ({before_share}) → perturbed: **{after}** ({after_share})").format(
                before=data.classes[int(before.argmax())], before_share=f"{before.max():.0%}",
                after=data.classes[int(after.argmax())], after_share=f"{after.max():.0%}"))
            st.caption(_("perturbed: {kind} {strength} · sum of pixels {total}").format(
                kind=kind_name(kind), strength=strength, total=int(x1.sum())))
        st.markdown(_("Share this view (the same digit, perturbation and model for every student):"))
        st.code(shared, language=None)
        if st.button(_("✂️ Erase until it flips"), key="ex_flip"):
            with friendly_errors(_("erase until it flips")):
                f = erase_until_flip(spec, model, img)
                erased = ngettext("{n} ink pixel erased", "{n} ink pixels erased", f.removed).format(n=f.removed)
                st.container(key="ex_flip_pair").image(
                    charts.digits_svg(np.stack([np.asarray(img), np.asarray(f.image)]), [_("original"), erased],
                                      cols=2, scale=6),
                    alt=_("the digit before and after its most important ink was erased: {erased}.").format(
                        erased=erased))
                said = (ngettext("Erasing the **{n}** pixel that mattered most turned **{before}** into **{after}**.",
                                 "Erasing the **{n}** pixels that mattered most turned **{before}** into **{after}**.",
                                 f.removed) if f.flipped else
                        ngettext("Even with {n} pixel erased it still says **{before}**.",
                                 "Even with {n} pixels erased it still says **{before}**.", f.removed))
                st.markdown(said.format(n=f.removed, before=f.before, after=f.after))

# --- robustness curves -------------------------------------------------------------------------------
subset = fixed_subset(data.test_labels, 500)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=_("Perturbing 500 test digits at each strength…"))
def curve(run: str, kind: str, data_key: tuple):
    s, m = load_model(run)
    xs = default_strengths(kind)
    with wide_pool():  # 500 digits at each strength: every core for it
        return xs, robustness_curve(s, m, data.test_images[subset], data.test_labels[subset], kind, xs)


with tab_curves:
    if tab_curves.open:
        opts = model_options()
        names = {v: k_ for k_, v in opts.items()}
        chosen = st.multiselect(_("Models (one or two)"), list(opts.values()), default=[run_id], max_selections=2,
                                format_func=lambda r: names[r], key="ex_curve_models")
        ckind = st.selectbox(_("Perturbation"), list(KINDS), key="ex_curve_kind", format_func=kind_name)
        if chosen:
            with friendly_errors(_("robustness")):
                curves = {names[r][:40]: curve(r, ckind, (data.name, data.kind, len(data.test_labels))) for r in chosen}
                st.plotly_chart(charts.robustness_curves(curves, kind_name(ckind), _(KINDS[ckind][0])), key="ex_curves")
                st.caption(_("Accuracy on a fixed 500 test digits at each strength; the same digits for every model."))

# --- CNN surgery --------------------------------------------------------------------------------------
with tab_surgery:
    if tab_surgery.open:
        convs = conv_layers(spec)
        if not convs:
            st.info(_("This network has no conv layers to operate on."))
        else:
            op = state.edited_model("surgery", run_id)  # None when another model was picked
            s1, s2 = st.columns(2)
            if st.session_state.get("sx_layer") not in convs:  # another model was picked
                st.session_state.pop("sx_layer", None)
            layer = s1.selectbox(_("Conv layer"), convs, key="sx_layer")
            n_f = model[layer - 1].out_channels
            st.session_state["sx_off"] = [f for f in st.session_state.get("sx_off", []) if f < n_f]
            if "sx_kfilt" in st.session_state:
                st.session_state["sx_kfilt"] = min(int(st.session_state["sx_kfilt"]),
                                                   model[convs[0] - 1].out_channels - 1)
            off = s2.multiselect(_("Filters to switch off (of {n})").format(n=n_f), list(range(n_f)), key="sx_off")
            r1, r2, r3 = st.columns(3)
            kfilt = r1.number_input(_("Replace first-layer filter"), 0, model[convs[0] - 1].out_channels - 1, 0,
                                    key="sx_kfilt")
            kname = r2.selectbox(_("with"), ["—"] + list(HAND_KERNELS), key="sx_kname", format_func=kernel_name)
            if r3.button(_("Operate"), key="sx_apply", type="primary"):
                with friendly_errors(_("surgery")):
                    patient, notes = model, []
                    if off:
                        patient = ablate(patient, layer, off)
                        notes.append(_("layer {layer} filters {filters} off").format(
                            layer=layer, filters=", ".join(map(str, off))))
                    if kname != "—":
                        patient = with_kernel(patient, convs[0], int(kfilt), HAND_KERNELS[kname])
                        notes.append(_("layer {layer} filter {filter} := {kernel}").format(
                            layer=convs[0], filter=kfilt, kernel=kernel_name(kname)))
                    if notes:
                        state.set_edited_model(state.EditedModel("surgery", run_id, patient, tuple(notes)))
                        st.rerun()
            if op:
                st.info(_("Operated copy (this session only): {changes}").format(changes="; ".join(op.changes)))
                with friendly_errors(_("surgery")):
                    xs_, ys_ = data.test_images[subset], data.test_labels[subset]
                    acc0, per0 = per_class_accuracy(model, xs_, ys_)
                    acc1, per1 = per_class_accuracy(op.model, xs_, ys_)
                    st.metric(_("Test accuracy (500 digits)"), f"{acc1:.1%}",
                              _("{points} points").format(points=f"{(acc1 - acc0) * 100:+.1f}"))
                    st.plotly_chart(charts.per_class_compare(per0, per1, data.classes), key="sx_bars")
                    xin = inference.to_input(torch.from_numpy(img)[None])
                    outs = activations.layer_outputs(spec, op.model, xin)
                    st.plotly_chart(charts.feature_maps(outs[layer - 1].values,
                                                        _("Layer {layer} after surgery").format(layer=layer),
                                                        clickable=False), key="sx_maps")
                    p = inference.predict(spec, op.model, xin)
                    st.caption(_("The digit above now reads {digit} ({share}).").format(
                        digit=data.classes[int(p.argmax())], share=f"{p.max():.0%}"))
                reset_or_save(op, "sx", spec, _("surgery"))
            if st.button(_("🔎 Which filters matter most?"), key="sx_sweep"):
                with friendly_errors(_("ablation sweep")):
                    sweep = ablation_sweep(model, layer, data.test_images[subset], data.test_labels[subset])
                    f_col, lost_col = _("filter"), _("accuracy lost")
                    st.dataframe(pd.DataFrame([{f_col: f, lost_col: d} for f, d in sweep[:8]]),
                                 hide_index=True, key="sx_table",
                                 column_config={lost_col: st.column_config.NumberColumn(format="percent")})
                    st.caption(_("Each filter switched off alone, on 500 test digits: the biggest losses first."))

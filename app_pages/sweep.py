"""Class sweep: one preset at several learning rates (or batch sizes), side by side, and the curve."""

import pandas as pd
import streamlit as st

from mnist_core import charts, presets
from mnist_core.i18n import N_, _, ngettext, tr
from mnist_core.jobs.start import where
from mnist_core.jobs.sweep import MAX_POINTS, PARAMS, Sweep, default_values, parse_values
from mnist_core.safe_text import plain
from mnist_core.settings import ray_address
from ui import state
from ui.common import dataset, friendly_errors, refresh_every, state_words, store
from ui.fragment import fragment

st.title("🧮 " + _("Class sweep"))
st.caption(_("The same network trained at several settings for the same number of steps: where does it learn, "
             "where does it collapse? Each setting is a training run of its own, saved to the run history."))
PARAM_WORDS = {"lr": N_("learning rate"), "batch_size": N_("batch size")}  # jobs.sweep.PARAMS, in words


def param_words(p: str) -> str:
    return _(PARAM_WORDS[p]) if p in PARAM_WORDS else PARAMS.get(p, p)

data = dataset()
if data is None:
    st.stop()

sweep: Sweep | None = state.sweep()
busy = sweep is not None and sweep.active

c1, c2, c3 = st.columns([2, 1, 1])
preset = c1.selectbox(_("Preset"), list(presets.PRESETS), index=list(presets.PRESETS).index("seed003"),
                      key="sw_preset", format_func=lambda n: _(presets.get(n).title), disabled=busy)
param = c2.radio(_("Sweep the"), list(PARAMS), format_func=param_words, key="sw_param", disabled=busy)
steps = c3.number_input(_("Steps per setting"), 10, 20_000, 300, 50, key="sw_steps", disabled=busy,
                        help=_("Every setting trains for this many optimizer steps"))
values_key = f"sw_values_{preset}_{param}"
text = st.text_input(_("Settings (up to {n}, separated by commas)").format(n=MAX_POINTS),
                     value=", ".join(f"{v:g}" for v in default_values(preset, param)), key=values_key, disabled=busy)
st.caption(_("{sentence} {next}").format(  # two sentences: Chinese puts no space between them
    sentence=_("The preset trains at {param} {value}.").format(
        param=param_words(param), value=presets.get(preset).train.get(param, _("(default)"))),
    next=_("Settings run in parallel on the {where}.").format(where=tr(where())) if ray_address() else
    _("Settings wait their turn for this server's training slots.")))

b1, b2, _rest = st.columns([1, 1, 4])
if b1.button("▶️ " + _("Start the sweep"), type="primary", key="sw_start", disabled=busy):
    with friendly_errors(_("cannot start the sweep")):
        values = parse_values(text, param)
        state.set_sweep(Sweep.start(preset, param, values, int(steps), data, store=store(),
                                        actor=state.actor()))
        st.rerun()
if b2.button("⏹️ " + _("Stop all"), key="sw_stop", disabled=not busy):
    sweep.stop()


def progress_view():
    sw: Sweep | None = state.sweep()
    if sw is None:
        st.info(_("No sweep yet: pick the settings and press Start. seed003 at learning rate 0.01 is the "
                  "one that collapses to chance."))
        return
    rows = sw.rows()
    st.subheader(_("{preset}: {param} sweep, {steps} steps each").format(
        preset=_(presets.get(sw.preset).title), param=param_words(sw.param), steps=f"{sw.steps:,}"))
    done = sum(r["accuracy"] is not None for r in rows)
    st.progress(sum(min(max(r["progress"], 0.0), 1.0) for r in rows) / len(rows),
                text=ngettext("{done} of {n} setting finished", "{done} of {n} settings finished",
                              len(rows)).format(done=done, n=len(rows)))
    st.plotly_chart(charts.sweep_curve(rows, sw.param), key="sw_chart")
    table = pd.DataFrame([{param_words(sw.param): f"{r['value']:g}", _("state"): state_words(r["state"]),
                           _("progress"): r["progress"], _("test accuracy"): r["accuracy"], _("last loss"): r["loss"],
                           _("run"): r["run_id"]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        _("progress"): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0),
        _("test accuracy"): st.column_config.NumberColumn(format="percent")})
    for r in rows:
        if r["error"]:
            st.error(plain(_("{param} {value}: {error}").format(param=param_words(sw.param), value=f"{r['value']:g}",
                                                                 error=tr(r["error"]))))
    collapsed = [r for r in rows if r["accuracy"] is not None and r["accuracy"] < 0.2]
    if collapsed:
        st.warning(_("Collapsed to chance at {values}: the loss stopped falling and the network answers the same "
                     "digit for everything.").format(values=", ".join(f"{r['value']:g}" for r in collapsed)))
    if not sw.active and state.sweep_end_is_new(sw):
        st.rerun()  # once: the buttons above come back


fragment(progress_view, run_every=refresh_every("running") if busy else None)()

"""Class sweep: one preset at several learning rates (or batch sizes), side by side, and the curve."""

import pandas as pd
import streamlit as st

from mnist_core import charts, presets
from mnist_core.jobs.start import where
from mnist_core.jobs.sweep import MAX_POINTS, PARAMS, Sweep, default_values, parse_values
from mnist_core.safe_text import plain
from mnist_core.settings import ray_address
from ui import state
from ui.common import dataset, friendly_errors, refresh_every, store

st.title("🧮 Class sweep")
st.caption("The same network trained at several settings for the same number of steps: where does it learn, "
           "where does it collapse? Each setting is a training run of its own, saved to the run history.")
data = dataset()
if data is None:
    st.stop()

sweep: Sweep | None = state.sweep()
busy = sweep is not None and sweep.active

c1, c2, c3 = st.columns([2, 1, 1])
preset = c1.selectbox("Preset", list(presets.PRESETS), index=list(presets.PRESETS).index("seed003"), key="sw_preset",
                      format_func=lambda n: presets.get(n).title, disabled=busy)
param = c2.radio("Sweep the", list(PARAMS), format_func=lambda p: PARAMS[p], key="sw_param", disabled=busy)
steps = c3.number_input("Steps per setting", 10, 20_000, 300, 50, key="sw_steps", disabled=busy,
                        help="Every setting trains for this many optimizer steps")
values_key = f"sw_values_{preset}_{param}"
text = st.text_input(f"Settings (up to {MAX_POINTS}, separated by commas)",
                     value=", ".join(f"{v:g}" for v in default_values(preset, param)), key=values_key, disabled=busy)
st.caption(f"The preset trains at {PARAMS[param]} {presets.get(preset).train.get(param, '(default)')}. "
           + ("Settings run in parallel on the " + where() + "." if ray_address() else
              "Settings wait their turn for this server's training slots."))

b1, b2, _rest = st.columns([1, 1, 4])
if b1.button("▶️ Start the sweep", type="primary", key="sw_start", disabled=busy):
    with friendly_errors("cannot start the sweep"):
        values = parse_values(text, param)
        state.set_sweep(Sweep.start(preset, param, values, int(steps), data, store=store()))
        st.rerun()
if b2.button("⏹️ Stop all", key="sw_stop", disabled=not busy):
    sweep.stop()


def progress_view():
    sw: Sweep | None = state.sweep()
    if sw is None:
        st.info("No sweep yet: pick the settings and press Start. seed003 at learning rate 0.01 is the "
                "one that collapses to chance.")
        return
    rows = sw.rows()
    st.subheader(f"{presets.get(sw.preset).title}: {PARAMS[sw.param]} sweep, {sw.steps:,} steps each")
    done = sum(r["accuracy"] is not None for r in rows)
    st.progress(sum(min(max(r["progress"], 0.0), 1.0) for r in rows) / len(rows),
                text=f"{done} of {len(rows)} settings finished")
    st.plotly_chart(charts.sweep_curve(rows, sw.param), key="sw_chart")
    table = pd.DataFrame([{PARAMS[sw.param]: f"{r['value']:g}", "state": r["state"], "progress": r["progress"],
                           "test accuracy": r["accuracy"], "last loss": r["loss"], "run": r["run_id"]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "progress": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0),
        "test accuracy": st.column_config.NumberColumn(format="percent")})
    for r in rows:
        if r["error"]:
            st.error(plain(f"{PARAMS[sw.param]} {r['value']:g}: {r['error']}"))
    collapsed = [r for r in rows if r["accuracy"] is not None and r["accuracy"] < 0.2]
    if collapsed:
        st.warning("Collapsed to chance at " + ", ".join(f"{r['value']:g}" for r in collapsed)
                   + ": the loss stopped falling and the network answers the same digit for everything.")
    if not sw.active and state.sweep_end_is_new(sw):
        st.rerun()  # once: the buttons above come back


st.fragment(progress_view, run_every=refresh_every("running") if busy else None)()

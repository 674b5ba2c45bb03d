"""The Training page's live view: what the fragment redraws about once a second.

A module of its own so that benchmarks/chart_overhead.py can time exactly this code.
"""

import streamlit as st

from mnist_core import charts
from mnist_core.i18n import _, tr
from mnist_core.safe_text import plain
from ui import state
from ui.common import current_job, describe, friendly_errors


def live_view():
    job = current_job()
    if job is None:
        st.info(_("No run yet: choose settings above and press Start."))
        return
    snap = job.snapshot()
    st.subheader(_("Run: {name}").format(name=plain(job.name, 80)))
    words = {"queued": "⏳ " + _("Waiting for a free training slot (position {n}): another run is using this "
                                "server's cores.").format(n=snap.queue_position),
             "running": "🏃 " + _("Training…"), "paused": "⏸️ " + _("Paused"), "finished": "✅ " + _("Finished"),
             "stopped": "⏹️ " + _("Stopped"), "diverged": "💥 " + _("Diverged"), "failed": "❌ " + _("Failed")}
    st.markdown(f"**{words.get(snap.state, snap.state)}** · {snap.info.device if snap.info else ''}")
    eta = _(" · about {s} s left").format(s=f"{snap.eta:.0f}") if snap.eta and snap.active else ""
    st.progress(min(max(snap.progress, 0.0), 1.0), text=f"{snap.progress:.0%}{eta}")

    b1, b2, b3, b4, b5 = st.columns([1, 1, 1, 1.5, 1])
    if snap.state == "paused":
        b1.button("▶️ " + _("Resume"), key="tr_resume", on_click=job.resume)
    else:
        b1.button("⏸️ " + _("Pause"), key="tr_pause", on_click=job.pause, disabled=snap.state != "running")
    b2.button("⏹️ " + _("Stop"), key="tr_stop", on_click=job.stop, disabled=not snap.active)
    new_lr = b4.number_input(_("New learning rate"), 1e-6, 10.0, float(snap.steps[-1].lr) if snap.steps else 1e-3,
                             format="%.5f", key="tr_new_lr", disabled=not snap.active)
    if b5.button(_("Apply"), key="tr_apply_lr", disabled=not snap.active):
        with friendly_errors(_("learning rate")):
            job.set_lr(new_lr)

    if snap.error:
        st.error(plain(tr(snap.error)))
    for m in snap.messages:  # made in the training loop in English; shown in this session's language
        {"error": st.error, "warning": st.warning}.get(m.level, st.info)(plain(tr(m.words()), 1000))
    if snap.steps:
        last = snap.steps[-1]
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(_("Step"), f"{last.step:,}")
        m2.metric(_("Loss"), f"{last.loss:.3f}")
        m3.metric(_("Batch accuracy"), f"{last.acc:.1%}")
        m4.metric(_("Images / s"), f"{last.ips:,.0f}")
        c1, c2 = st.columns(2)
        describe(_("the training loss over the steps so far."), c1)
        c1.plotly_chart(charts.loss_curve(snap.steps, snap.lr_changes), key="tr_loss")
        describe(_("the test accuracy after each epoch so far."), c2)
        c2.plotly_chart(charts.accuracy_curve(snap.epochs), key="tr_acc")
        c3, c4 = st.columns(2)
        describe(_("the learning rate over the steps so far."), c3)
        c3.plotly_chart(charts.lr_curve(snap.steps), key="tr_lr_chart")
        describe(_("the training speed in images per second over the steps so far."), c4)
        c4.plotly_chart(charts.throughput_curve(snap.steps), key="tr_ips")
    if snap.result:
        r = snap.result
        acc = r.get("test_accuracy")
        st.success(_("Test accuracy {acc} after {s} s of training on {device}.").format(
            acc="" if acc is None else f"{acc:.2%}", s=f"{r['train_seconds']:.1f}", device=r["device"]))
    if not snap.active and state.job_end_is_new(job.ticket):
        st.rerun()  # once, so that the history below lists the new run
    drawn = state.job_drawn_state()
    if snap.active and drawn is not None and drawn != snap.state and "running" in (drawn, snap.state):
        st.rerun()  # it started (or paused, or resumed): the whole page again, for the redraw rhythm that fits



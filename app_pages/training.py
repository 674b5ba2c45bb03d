"""Training: settings in, a background run out, live charts while it learns, and the history."""

import pandas as pd
import streamlit as st

from mnist_core import charts, presets
from mnist_core.classroom import ownership
from mnist_core.i18n import N_, _, tr
from mnist_core.jobs.start import start_job
from mnist_core.safe_text import plain
from mnist_core.training.config import AUGMENT_STYLES, OPTIMIZERS, SCHEDULES, TrainConfig, with_changes
from mnist_core.training.events import Step
from mnist_core.training.numpy_engine import UNSUPPORTED
from ui import state
from ui.common import current_job, dataset, describe, friendly_errors, refresh_every, state_words, store
from ui.fragment import fragment
from ui.identity import who
from ui.links import read_link, write_link
from ui.live import live_view
from ui.ours import adapt_section

st.title("📈 " + _("Training"))
me = who()
data = dataset()
if data is None:
    st.stop()

# --- what to train -------------------------------------------------------------------------------
handed = state.train_spec()
PRESET_SOURCE, HANDED_SOURCE = N_("A preset"), N_("The network from the Architecture page")  # shown translated
sources = [PRESET_SOURCE] + ([HANDED_SOURCE] if handed else [])
if state.take_training_request():  # Architecture's "Train this": this page selects it, before the radio exists
    st.session_state["tr_source"] = sources[-1]
elif "preset" in st.query_params and state.applied_query("training") != {"preset": st.query_params["preset"]}:
    st.session_state["tr_source"] = PRESET_SOURCE  # a lesson's link to a preset: show that preset's form
read_link("training", {"preset": "tr_preset"})
source = st.radio(_("Train"), sources, horizontal=True, key="tr_source", format_func=_)
if source == PRESET_SOURCE:
    pname = st.selectbox(_("Preset"), list(presets.PRESETS), key="tr_preset",
                         format_func=lambda n: f"{_(presets.get(n).title)} — {_(presets.get(n).origin)}")
    spec = presets.get(pname).spec()
    write_link("training", {"preset": pname})
else:
    pname = handed.preset
    spec = handed.spec()
    analysis = spec.analyze()
    if analysis.ok:
        st.caption(_("{name}: {layers} layers, {params} parameters").format(
            name=plain(spec.name, 80), layers=len(spec.layers), params=f"{analysis.total_params:,}"))
    else:  # the count stops at the first layer that fails its check: a total would be a wrong number
        st.error(plain(_("{name} cannot be trained: {error}").format(name=spec.name, error=tr(analysis.errors[0]))))
base = TrainConfig(**(presets.get(pname).train if pname else {}))
st.caption(_("The form starts from the preset's original settings.") if pname else _("Default settings."))
numpy = base.engine == "numpy"  # seed004's from-scratch engine: plain SGD on mean cross-entropy only
NUMPY_WHY = _("The NumPy engine (seed004, written by hand) trains with plain SGD on mean cross-entropy only")
SETTING_WORDS = {"optimizer": N_("Optimizer"), "weight_decay": N_("Weight decay"),
                 "label_smoothing": N_("Label smoothing"), "augment": N_("Augment (distort each batch)"),
                 "val_split": N_("Validation split"), "loss_reduction": N_("Loss reduction")}


def lock(help: str | None = None) -> dict:
    """Widget options: greyed out, with the reason, for what the NumPy engine cannot do."""
    return dict(disabled=True, help=NUMPY_WHY) if numpy else dict(help=help)


if numpy:
    st.info(_("This network is trained by hand-written NumPy code, as seed004 was: plain SGD on the mean "
              "cross-entropy, so {settings} are greyed out.").format(
        settings=_(", ").join(_(SETTING_WORDS[k]) if k in SETTING_WORDS else k for k in UNSUPPORTED)))

# --- the settings form ---------------------------------------------------------------------------
k = f"_{pname}"  # keys per preset: switching presets refills the form with that preset's settings
with st.form("tr_form"):
    f1, f2, f3, f4 = st.columns(4)
    optimizer = f1.selectbox(_("Optimizer"), OPTIMIZERS, index=OPTIMIZERS.index(base.optimizer), key="tr_opt" + k,
                             **lock())
    lr = f2.number_input(_("Learning rate"), 1e-6, 10.0, float(base.lr), format="%.5f", key="tr_lr" + k)
    schedule = f3.selectbox(_("Schedule"), SCHEDULES, index=SCHEDULES.index(base.schedule), key="tr_sched" + k)
    epochs = f4.number_input(_("Epochs"), 1, 200, int(base.epochs), key="tr_epochs" + k)
    g1, g2, g3, g4 = st.columns(4)
    batch = g1.number_input(_("Batch size"), 1, 8192, int(base.batch_size), key="tr_bs" + k)
    wd = g2.number_input(_("Weight decay"), 0.0, 1.0, float(base.weight_decay), format="%.5f", key="tr_wd" + k,
                         **lock())
    ls = g3.number_input(_("Label smoothing"), 0.0, 0.5, float(base.label_smoothing), 0.05, key="tr_ls" + k, **lock())
    augment = g4.checkbox(_("Augment (distort each batch)"), value=base.augment, key="tr_aug" + k, **lock())
    with st.expander(_("More settings")):
        h1, h2, h3, h4 = st.columns(4)
        subset = h1.number_input(_("Train on the first N digits (0 = all)"), 0, 60000, 0, key="tr_subset" + k)
        val = h2.number_input(_("Validation split"), 0.0, 0.4, float(base.val_split), 0.05, key="tr_val" + k, **lock())
        seed = h3.number_input(_("Seed"), 0, 10**6, int(base.seed), key="tr_seed" + k)
        device = h4.selectbox(_("Device"), ["auto", "cpu", "cuda", "mps"], key="tr_device" + k)
        j1, j2, j3 = st.columns(3)
        max_batches = j1.number_input(_("Batches per epoch (0 = all; a dry run)"), 0, 100000, 0, key="tr_mb" + k)
        momentum = j2.number_input(_("Momentum"), 0.0, 0.99, float(base.momentum), 0.05, key="tr_mom" + k, **lock())
        reduction = j3.selectbox(_("Loss reduction"), ["mean", "sum"], index=["mean", "sum"].index(base.loss_reduction),
                                 key="tr_red" + k, **lock())
        a1, a2, a3 = st.columns(3)
        style = a1.selectbox(_("Augmentation"), AUGMENT_STYLES, index=AUGMENT_STYLES.index(base.augment_style),
                             key="tr_augstyle" + k, **lock(_("affine: small turns, shifts and scales; handwriting: "
                                                              "wider ones, slant, thicker and thinner strokes, blur")))
        calibrate = a2.checkbox(_("Calibrate confidence on the validation split"), value=base.calibrate,
                                key="tr_cal" + k, **lock(_("Fits a temperature so that '90% sure' means right 90% "
                                                           "of the time; needs a validation split")))
        outliers = a3.number_input(_("Non-digits per batch (share)"), 0.0, 0.5, float(base.outliers), 0.05,
                                   key="tr_outl" + k,
                                   **lock(_("Letters and scribbles the network is taught to be unsure of")))
    name = st.text_input(_("Run name"), value=spec.name, max_chars=80, key="tr_name" + k)
    submitted = st.form_submit_button("▶️ " + _("Start training"), type="primary")

if submitted:
    job = current_job()
    if job is not None and job.snapshot().active:
        st.warning(_("A run of yours is still going: stop it first (one run per person at a time)."))
    else:
        with friendly_errors(_("cannot start")):
            cfg = with_changes(base, {
                "optimizer": optimizer, "lr": lr, "schedule": schedule, "epochs": int(epochs),
                "batch_size": int(batch), "weight_decay": wd, "label_smoothing": ls, "augment": augment,
                "subset": int(subset) or None, "val_split": val, "seed": int(seed), "device": device,
                "max_batches": int(max_batches) or None, "momentum": momentum, "loss_reduction": reduction,
                "augment_style": style, "calibrate": calibrate, "outliers": outliers})
            state.set_job(start_job(spec, cfg, data, store=store(), name=name or spec.name, preset=pname,
                                    actor=me))
            st.rerun()  # the sidebar was drawn before this run existed: redraw it so its indicator ticks too


# --- the live view: a fragment that redraws itself about once a second ---------------------------------
job = current_job()
drawn = job.snapshot().state if job is not None else None
state.set_job_drawn_state(drawn)
fragment(live_view, run_every=refresh_every(drawn))()  # only this part reruns

HISTORY = {"id": N_("id"), "name": N_("name"), "owner": N_("owner"), "preset": N_("preset"), "status": N_("status"),
           "test accuracy": N_("test accuracy"), "seconds": N_("seconds"), "device": N_("device"),
           "optimizer": N_("optimizer"), "lr": N_("lr"), "batch": N_("batch"), "epochs": N_("epochs"),
           "problem": N_("problem")}

# --- history -------------------------------------------------------------------------------------------
st.subheader(_("Run history"))
MINE, MY_CLASS = N_("Mine"), N_("My class")
which = st.radio(_("Show"), [MINE, MY_CLASS], index=1, horizontal=True, key="tr_whose", format_func=_)
runs = store().list(damaged=True)  # damaged folders too, with the reason, so they can be deleted
known: dict = {}
with friendly_errors():
    shown, known = ownership.runs_for(me, [r.run_id for r in runs], "mine" if which == MINE else "class")
    runs = [r for r in runs if r.run_id in set(shown)]


def owner_words(run_id: str) -> str:
    o = known.get(run_id)
    return _("the teacher") if o is None or o.owner_id is None else (o.nickname or "")


if not runs:
    st.caption(_("Finished runs appear here."))
else:
    rows = [{"id": r.run_id, "name": r.display_name, "owner": owner_words(r.run_id), "preset": r.summary.get("preset"),
             "status": state_words(r.summary.get("status")), "test accuracy": r.summary.get("test_accuracy"),
             "seconds": r.summary.get("train_seconds"), "device": r.summary.get("device"),
             "optimizer": r.config.get("optimizer"), "lr": r.config.get("lr"), "batch": r.config.get("batch_size"),
             "epochs": r.summary.get("epochs"), "problem": r.damaged or ""} for r in runs]
    st.dataframe(pd.DataFrame(rows).rename(columns=lambda c: _(HISTORY.get(c, c))), hide_index=True,
                 width="stretch", key="tr_history",
                 column_config={_("test accuracy"): st.column_config.NumberColumn(format="percent")})
    for r in runs:
        if r.damaged:
            st.warning(_("Run {run} is damaged ({why}): it is not offered as a model; delete it below.").format(
                run=r.run_id, why=tr(r.damaged)))
    ids = [r.run_id for r in runs]
    names = {r.run_id: r.display_name for r in runs}
    healthy = [r.run_id for r in runs if r.damaged is None]
    chosen = st.multiselect(_("Overlay the curves of"), healthy, default=healthy[:min(2, len(healthy))],
                            key="tr_overlay", format_func=lambda i: f"{names[i]} ({i})")
    if chosen:
        with friendly_errors(_("curves")):
            curves = {f"{names[i]} ({i[-4:]})": [e for e in store().metrics(i) if isinstance(e, Step)]
                      for i in chosen}
            describe(
                _("the loss curves of {n} runs over their training steps, one line per run.").format(n=len(curves)))
            st.plotly_chart(charts.runs_overlay(curves, "loss"), key="tr_overlay_chart")
    with st.expander(_("Rename or delete a run")):
        target = st.selectbox(_("Run"), ids, format_func=lambda i: f"{names[i]} ({i})", key="tr_edit_run")
        n1, n2 = st.columns([3, 1])
        new_name = n1.text_input(_("New name"), key="tr_new_name", max_chars=80)
        if n2.button(_("Rename"), key="tr_rename") and new_name.strip():
            with friendly_errors(_("rename")):
                store().rename(target, new_name, actor=me)
                st.rerun()
        sure = st.checkbox(_("Yes, delete this run for good"), key="tr_sure")
        if st.button("🗑️ " + _("Delete"), key="tr_delete", disabled=not sure):
            with friendly_errors(_("delete")):  # the store refuses a run that is training, whoever started it
                store().delete(target, actor=me)
                if state.active_model() == target:
                    state.set_active_model("demo")
                st.rerun()

adapt_section()  # fine-tune any model on MNIST plus our digits, tested on held-out writers

"""My report: one self-contained HTML file of a student's work, and a model card for any run."""

import streamlit as st

from mnist_core import reports
from mnist_core.calibration import verdict
from mnist_core.i18n import _, ngettext
from mnist_core.inference import predict, to_input
from mnist_core.safe_text import plain
from mnist_core.training.devices import wide_pool
from ui import state
from ui.common import dataset, friendly_errors, load_model, model_options, store

st.title(_("📄 My report"))
st.caption(_("One HTML file of your work to hand in: your runs with their curves and settings, accuracy per digit "
             "and the confusion matrix, calibration, the mistakes you tagged, your lesson answers beside the "
             "answers and the digits you drew with the model's verdicts. It opens offline in any browser."))

me = state.actor()
data = dataset()
if data is None:
    st.stop()


healthy_runs = store().list()  # read once per rerun: every run folder's files are checked


def my_runs() -> list[str]:
    """The runs this visitor may put in their report: their own; the teacher's are those nobody else owns
    (the CLI's, the laptop's)."""
    from mnist_core.classroom.ownership import owners, runs_of
    healthy = [r.run_id for r in healthy_runs]
    if me.is_teacher:
        recorded = owners(healthy)
        return [i for i in healthy if i not in recorded or recorded[i].owner_id is None]
    owned = set(runs_of(visitor_id=me.visitor_id))
    return [i for i in healthy if i in owned]


def lesson_answers() -> list[reports.Answer]:
    lesson, guesses = state.LESSON.get(), state.LESSON_GUESSES.get()
    if lesson is None:
        return []
    return [reports.Answer(step.prompt, guesses.get(i), step.answer) for i, step in enumerate(lesson.steps)
            if i in guesses or step.answer]


def my_drawings() -> list[reports.Drawing]:
    img = state.last_drawing()
    if img is None:
        return []
    spec, model = load_model("demo")
    v = verdict(predict(spec, model, to_input(img)))
    return [reports.Drawing(img, None, v.label, v.confidence, v.reading)]


mine = []
with friendly_errors(_("your runs")):
    mine = my_runs()
names = {r.run_id: r.display_name for r in healthy_runs}
picked = st.multiselect(_("Runs to include"), mine, default=mine[:5], key="rep_runs",
                        format_func=lambda i: f"{names.get(i, i)} ({i})",
                        help=_("Your own runs; evaluating each on the test set takes a second or two."))
answers, drawings = lesson_answers(), my_drawings()
st.write(" · ".join([ngettext("{n} run chosen", "{n} runs chosen", len(picked)).format(n=len(picked)),
                     ngettext("{n} lesson answer", "{n} lesson answers", len(answers)).format(n=len(answers)),
                     ngettext("{n} drawn digit", "{n} drawn digits", len(drawings)).format(n=len(drawings))]))
if not mine:
    st.info(_("You have no finished runs of your own yet: train one on the Training page and it will be here."))

if st.button(_("Build my report"), key="rep_build", type="primary"):
    built = []
    with st.spinner(_("Evaluating your runs…")):
        for run_id in picked:
            with friendly_errors(plain(names.get(run_id, run_id))), wide_pool():  # a whole test set: every core
                built.append(reports.run_report(store(), run_id, data))
    student = me.nickname or (_("the teacher") if me.is_teacher else _("a visitor"))
    state.REPORT_HTML.set(reports.student_report(student, built, answers, drawings))
if state.REPORT_HTML.get():
    st.download_button(_("⬇️ Download my report (HTML)"), state.REPORT_HTML.get(), "mnist-lab-report.html",
                       "text/html", key="rep_download")

st.subheader(_("Model card"))
st.caption(_("What a model is, what it was trained and tested on, how well, which digits it confuses and what it "
             "was not tested on: for any model you can use."))
opts = model_options()
label = st.selectbox(_("Model"), list(opts), key="rep_card_model")
if st.button(_("Make the model card"), key="rep_card_build"):
    with friendly_errors(_("model card")):
        with wide_pool():
            card = reports.model_card(reports.run_report(store(), opts[label], data))
        state.MODEL_CARD.set((opts[label], card))
card = state.MODEL_CARD.get()
if card and card[0] == opts.get(label):
    st.download_button(_("⬇️ Download the model card (HTML)"), card[1], f"model-card-{card[0]}.html", "text/html",
                       key="rep_card_download")

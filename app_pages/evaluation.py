"""Evaluation: how good is a model, where it goes wrong, and which digits fool it."""

import numpy as np
import streamlit as st

from mnist_core import charts
from mnist_core import inference as ins
from mnist_core.calibration import reliability
from mnist_core.data import DATASETS
from mnist_core.i18n import _, ngettext
from mnist_core.safe_text import for_plotly
from mnist_core.training.devices import wide_pool
from ui.common import describe, friendly_errors, lazy_tabs, model_and_data, model_dataset
from ui.explain import chart_points, mistakes_explained
from ui.links import read_link, write_link
from ui.ours import beside_mnist, evaluation_set, is_ours

st.title(_("🎯 Evaluation"))
read_link("evaluation", {})  # a lesson's link: which model
run_id, spec, model, data = model_and_data("eval_model")
write_link("evaluation", {"model": run_id})
ours = is_ours(data)
if ours:  # all our digits, or only the held-out writers
    data = evaluation_set(data)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def evaluation(run: str, data_key: tuple, _spec, _model, _data) -> ins.Evaluation:
    """A model's whole test set, once per (run id, dataset) for the server: a run's weights never change."""
    with wide_pool():  # every core for this one pass
        return ins.evaluate_model(_spec, _model, _data.test_images, _data.test_labels)


ev = None
with st.spinner(_("Classifying {n} test digits…").format(n=f"{len(data.test_labels):,}")), \
        friendly_errors(_("evaluation")):
    ev = evaluation(run_id, (data.name, data.kind, len(data.test_labels)), spec, model, data)
if ev is None:
    st.stop()
classes = data.classes
if ours:
    beside_mnist(run_id, spec, model, data, ev, evaluation)

m1, m2, m3 = st.columns(3)
m1.metric(_("Test accuracy"), f"{ev.accuracy:.2%}")
m2.metric(_("Mistakes"), _("{wrong} of {n}").format(wrong=f"{int((ev.pred != ev.labels).sum()):,}",
                                                     n=f"{len(ev.labels):,}"))
worst_class = int(np.nanargmin(ev.per_class))
m3.metric(_("Hardest class"), f"{classes[worst_class]} · {ev.per_class[worst_class]:.1%}")
trained = model_dataset(run_id)
if trained is not None and trained != data.name and not (ours and trained == "mnist"):
    st.warning(_("This model was trained on {trained}; on {shown} its answers are guesses.").format(
        trained=DATASETS[trained]["title"], shown=data.title))

# One section at a time: the page settles as soon as the open tab's figures are drawn.
good_tab, cm_tab, worst_tab = lazy_tabs([_("How good"), _("Confusion matrix"), _("The most confident mistakes")],
                                        key="eval_tab", keep=("eval_true", "eval_pred"))
with good_tab:
    if good_tab.open:
        # a picture (nothing clicks it, every value is written on it): a figure cost the browser 100-150 ms
        st.container(key="eval_per_class").image(
            charts.per_class_svg(ev.per_class, classes), caption=_("Accuracy per class"),
            alt=_("a bar chart of the test accuracy on each class."))

        # --- calibration: what "90% sure" means
        st.subheader(_("How far to trust its confidence"))
        rel = reliability(ev.probs, ev.labels)
        describe(_("a reliability diagram: for each confidence bin, how often the network was right."))
        st.plotly_chart(charts.reliability_diagram(rel), key="eval_reliability")
        st.caption(_("Test digits binned by how sure the network was. On the dashed line, \"90% sure\" means right "
                     "90% of the time; bars below it are over-confident, above it under-confident. The expected "
                     "calibration error is the average gap, weighted by how many digits each bin holds."))
        if ins.temperature(model) != 1.0:
            st.caption(_("This model's probabilities are calibrated with a temperature of {t}.").format(
                t=f"{ins.temperature(model):.2f}"))


with cm_tab:
    if cm_tab.open:
        # --- the confusion matrix: pick a cell to see its digits
        left, right = st.columns([3, 2])
        describe(_("the confusion matrix: true classes down, predicted classes across, how many test digits in each "
                   "cell."), left)
        event = left.plotly_chart(charts.confusion_matrix(ev.confusion, classes), key="eval_cm", on_select="rerun",
                                  selection_mode="points")
        points = chart_points(event)
        if points:  # a click on a cell: x is the predicted class, y the true one, as the chart labels them
            p = points[0]
            shown = [for_plotly(c) for c in classes]
            st.session_state["eval_true"] = shown.index(str(p["y"])) if str(p["y"]) in shown else 0
            st.session_state["eval_pred"] = shown.index(str(p["x"])) if str(p["x"]) in shown else 0
        with right:
            st.caption(_("Click a cell, or choose it here:"))
            off = ev.confusion - np.diag(np.diag(ev.confusion))
            top_t, top_p = np.unravel_index(int(off.argmax()), off.shape)  # start on the commonest confusion
            t = st.selectbox(_("True class"), list(range(10)), index=int(top_t), format_func=lambda i: classes[i],
                             key="eval_true")
            p = st.selectbox(_("Predicted as"), list(range(10)), index=int(top_p), format_func=lambda i: classes[i],
                             key="eval_pred")
            cell = ev.cell(t, p)
            st.write(ngettext("**{n}** test digit of class {true} was read as {pred}.",
                              "**{n}** test digits of class {true} were read as {pred}.", len(cell)).format(
                n=len(cell), true=classes[t], pred=classes[p]))
            if len(cell):
                with friendly_errors(_("digits")):
                    shown = cell[:30]
                    # a picture: nothing clicks it (as a figure it was a third of this tab's drawing)
                    st.container(key="eval_cell").image(
                        charts.digits_svg(data.test_images[shown].numpy(),
                                          [f"#{i}\n{ev.probs[i, p]:.0%}" for i in shown], cols=6, scale=2),
                        alt=_("the first {n} test digits of class {true} read as {pred}, with the confidence under "
                              "each.").format(n=len(shown), true=classes[t], pred=classes[p]))
        if len(cell) and t != p:
            with friendly_errors(_("mistakes")):
                mistakes_explained(run_id, spec, model, data, ev, cell, t, p)


with worst_tab:
    if worst_tab.open:
        worst = ev.worst_mistakes(20)
        if len(worst) == 0:
            st.success(_("No mistakes at all on this test set."))
        else:
            words = [f"{classes[ev.labels[i]]}→{classes[ev.pred[i]]} {ev.probs[i, ev.pred[i]]:.0%}" for i in worst]
            st.container(key="eval_worst").image(
                charts.digits_svg(data.test_images[worst].numpy(), words, cols=10),
                alt=_("the {n} test digits the network got wrong most confidently, each with its true and predicted "
                      "class.").format(n=len(worst)))
            st.caption(_("Under each digit: true → predicted, and how sure the network was."))

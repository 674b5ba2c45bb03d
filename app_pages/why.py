"""Why it decides: attribution maps side by side, a sanity check, and the digit among the training digits."""

import streamlit as st

from mnist_core import charts
from mnist_core import inference as ins
from mnist_core.i18n import _
from ui.common import friendly_errors, lazy_tabs, model_and_data
from ui.explain import attribution_lab, explained_class, pick_input, sanity_section, you_are_here
from ui.links import read_link, write_link
from ui.ours import map_set

st.title(_("🧭 Why it decides"))
read_link("why", {"cls": "why_class", "k": "why_k"})  # a lesson's link: which model and test digit
run_id, spec, model, data = model_and_data("why_model")
x, image, label = pick_input(data, "why")
write_link("why", {"model": run_id, "cls": st.session_state.get("why_class", 0), "k": st.session_state.get("why_k", 0)})

with friendly_errors(_("prediction")):
    probs = ins.predict(spec, model, x)
    pred = int(probs.argmax())
    said = dict(digit=data.classes[pred], share=f"{probs[pred]:.0%}")
    st.markdown(_("The network says **{digit}** ({share}); the label is **{label}**.").format(
        label=data.classes[label], **said) if label is not None else
        _("The network says **{digit}** ({share}).").format(**said))
    # a picture (nothing clicks it, every value is written on it): a figure cost the browser 100-150 ms
    st.container(key="why_probs").image(
        charts.probabilities_svg(probs, data.classes), caption=_("What the network thinks"),
        alt=_("a bar chart of the probability the network gives each class; the tallest is {digit}.")
        .format(digit=data.classes[pred]))
# One section at a time: only the open tab's maps are computed and drawn.
lab, check, here = lazy_tabs([_("Which pixels"), _("Sanity check"), _("You are here")], key="why_tab",
                             keep=("why_target", "why_baseline", "why_layer", "why_sanity_method"))
with lab:
    if lab.open:
        with friendly_errors(_("attributions")):
            attribution_lab(spec, model, x, image, data.classes, run_id)
with check:
    if check.open:
        with friendly_errors(_("attributions")):
            sanity_section(spec, model, x, image, explained_class(probs))
with here:
    if here.open:
        with friendly_errors(_("map")):
            you_are_here(run_id, spec, model, image, map_set(data),  # our digits go on MNIST's map
                         _("your drawing") if label is None else _("this digit"))  # no label for a drawing

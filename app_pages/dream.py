"""What it wants to see: for each class the input the network scores highest, beside the class's mean
digit; what each first-layer filter looks for; and fooling images, with what the picked model and the
shipped demo (calibrated, taught to say "not sure") make of them."""

import streamlit as st

from mnist_core.explain import dream
from mnist_core.i18n import _
from ui import state
from ui.common import demo_model, friendly_errors, model_and_data

st.title(_("🌙 What it wants to see"))
st.markdown(_("Start from a picture and change its pixels, step by step, to make one answer as strong as "
              "it can be: the picture the network *wants* to see. Small shifts, a little blur and a pull "
              "towards black paper keep it looking like strokes rather than noise."))
run_id, spec, model, data = model_and_data("dream_model")
a, b = st.columns(2)
seed = int(a.number_input(_("Seed"), 0, 9999, 0, key="dream_seed",
                          help=_("The same seed always makes the same pictures.")))
start = b.radio(_("Start from"), dream.STARTS, key="dream_start", horizontal=True,
                format_func=lambda s: _("the mean digit") if s == "mean" else _("faint noise"))
key = (run_id, seed, start)
results = state.DREAMS.get()

if st.button(_("Make the pictures"), key="dream_run", type="primary"):
    with friendly_errors(_("pictures")), st.spinner(_("Climbing the gradient…")):
        means = dream.class_means(data.train_images, data.train_labels, spec.num_classes)
        classes = dream.class_dreams(spec, model, means, start=start, seed=seed)
        convs = dream.conv_layers(spec, model)
        filters = dream.filter_dreams(spec, model, seed=seed) if convs else []
        fooled = dream.fooling_images(spec, model, seed=seed)
        demo_spec, demo = demo_model()
        images = [f.image for f in fooled]
        results[key] = dict(means=means, classes=classes, filters=filters, layer=convs[0] if convs else None,
                            fooled=fooled, mine=dream.verdicts(spec, model, images),
                            demo=dream.verdicts(demo_spec, demo, images))
        for old in list(results)[:-4]:  # about 0.3 MB each: a session keeps its last four
            del results[old]
        state.DREAMS.set(results)

got = results.get(key)
if got is None:
    st.info(_("Press **Make the pictures**: it takes a few seconds."))
    st.stop()

names = data.classes
st.subheader(_("Each class: its mean digit and what the network wants"))
st.caption(_("Top row: the mean of every training digit of each class; bottom row: the picture changed to "
             "make the network's score for that class as high as it can."))
st.image([got["means"][d.target] for d in got["classes"]], width=72, clamp=True,
         caption=[_("mean {digit}").format(digit=names[d.target]) for d in got["classes"]])
st.image([d.image for d in got["classes"]], width=72, clamp=True,
         caption=[_("{digit}: {share}").format(digit=names[d.target], share=f"{d.prob:.0%}") for d in got["classes"]])
st.caption(_("Score (logit) before → after: {scores}").format(scores=", ".join(
    f"{names[d.target]} {d.start_score:.1f}→{d.score:.1f}" for d in got["classes"])))

st.subheader(_("What each first-layer filter looks for"))
if got["filters"]:
    st.caption(_("One picture per filter of layer {layer}, grown from faint noise to excite that filter as much "
                 "as possible over the whole digit: edges and strokes at one angle show as stripes.").format(
        layer=got["layer"]))
    st.image([d.image for d in got["filters"]], width=56, clamp=True,
             caption=[_("filter {n}").format(n=d.target + 1) for d in got["filters"]])
else:
    st.info(_("This network has no convolution layers: it has no filters to dream of."))

st.subheader(_("Fooling it"))
st.markdown(_("Now no blur and no pull towards strokes: from faint noise, push the picked model's probability "
              "of each digit up until it is 99% sure (Nguyen, Yosinski and Clune, 2015). Then ask the shipped "
              "demo model, which was calibrated and shown letters and scribbles to be *not sure* of, the same "
              "question."))
st.caption(_("Ten fooling pictures, one per digit, each labelled with the digit it was made for; "
             "the table below says what both models make of them."))
st.image([f.image for f in got["fooled"]], width=72, clamp=True,
         caption=[_("made for {digit}").format(digit=names[f.target]) for f in got["fooled"]])


def said(v) -> str:
    word = _("sure") if v.sure else _("not sure")
    return _("{digit} ({share}, {word})").format(digit=names[v.label], share=f"{v.confidence:.0%}", word=word)


rows = [{_("made for"): names[f.target], _("reached"): f"{f.prob:.1%}", _("picked model says"): said(m),
         **({} if run_id == "demo" else {_("demo says"): said(dm)})}  # the demo picked: one column, not two alike
        for f, m, dm in zip(got["fooled"], got["mine"], got["demo"])]
st.dataframe(rows, hide_index=True, key="dream_verdicts")
fooled = sum(f.prob >= 0.99 for f in got["fooled"])
demo_sure = sum(v.sure for v in got["demo"])
st.markdown(_("The picked model was pushed to 99% for **{fooled} of 10** digits; the demo is sure of "
              "**{sure} of 10** of these pictures.").format(fooled=fooled, sure=demo_sure))
if run_id == "demo":
    st.caption(_("You picked the demo itself: the pictures were made against it, so this is the hardest test of "
                 "its \"not sure\". Pick a plain model (trained with the fast preset) to see whether pictures "
                 "that fool one network fool another."))

"""Draw: a digit from the canvas or a file, the MNIST preprocessing step by step, the verdict."""

import hashlib

import streamlit as st

from mnist_core import charts
from mnist_core.calibration import UNSURE_BELOW, verdict
from mnist_core.i18n import _
from mnist_core.inference import predict
from mnist_core.preprocess import SWITCHES, ImageError, decode_upload, preprocess
from mnist_core.safe_text import plain
from ui import canvas, state
from ui.common import describe, friendly_errors, model_picker
from ui.ours import contribute_footer, contribute_header


def upload_steps(raw: bytes, name: str, **switches):
    """The steps for an upload, decoding it once per upload (not once per rerun: a large picture is
    a large decode); the session keeps only the current upload: its shrunk picture and its steps."""
    digest = hashlib.sha256(raw).hexdigest()
    memo = state.DRAW_UPLOAD.get()
    if memo is None or memo["digest"] != digest:
        try:
            memo = {"digest": digest, "image": decode_upload(raw, name), "error": None, "steps": {}}
        except ImageError as exc:
            memo = {"digest": digest, "image": None, "error": str(exc), "steps": {}}
        state.DRAW_UPLOAD.set(memo)
    if memo["error"] is not None:
        raise ImageError(memo["error"])
    key = tuple(bool(switches.get(k, True)) for k in SWITCHES)
    if key not in memo["steps"]:
        memo["steps"][key] = preprocess(memo["image"], **switches)
    return memo["steps"][key]


def steps_of(image, source: str, **switches):
    return upload_steps(image, source, **switches) if isinstance(image, bytes) else preprocess(image, **switches)


st.title(_("✏️ Draw a digit"))
picked = model_picker("draw_model")
if picked is None:
    st.stop()
run_id, spec, model = picked
contributing = contribute_header()  # Contribute: the digit to draw, and what is stored, above the canvas

left, right = st.columns([1, 2])
with left:
    modes = {"Draw": _("Draw"), "Upload": _("Upload")}  # the values stay English: tests and state read them
    mode = st.radio(_("Input"), list(modes), format_func=modes.get, horizontal=True, key="draw_mode")
    if mode == "Draw":
        width = st.slider(_("Stroke width"), 6, 40, 18, key="draw_stroke")
        if st.button(_("🧹 Clear"), key="draw_clear"):
            state.CANVAS_GENERATION.set(state.CANVAS_GENERATION.get() + 1)
        describe(_("a black 280 x 280 canvas to draw one digit on in white with the mouse, a finger or a pen."))
        image = canvas.draw_canvas(key=f"draw_canvas_{state.CANVAS_GENERATION.get()}",
                                   stroke_width=width)
        source = _("what you drew")
    else:
        up = st.file_uploader(_("A PNG or JPEG of one digit (dark on light or light on dark)"),
                              type=["png", "jpg", "jpeg"], key="draw_upload")
        image = up.getvalue() if up is not None else None
        source = up.name if up is not None else ""

    with st.expander(_("Preprocessing switches: why each step exists")):
        st.caption(_("Turn a step off and see what the network makes of the digit without it. Try a digit drawn "
                     "small in a corner."))
        switches = {k: st.checkbox(_(words).capitalize(), value=True, key=f"draw_sw_{k}")
                    for k, words in SWITCHES.items()}

with right:
    steps = None
    if image is None:
        st.info(_("Draw a digit on the black square (or upload a picture) and the network will read it."))
    else:
        try:
            steps = steps_of(image, source, **switches)
        except ImageError as exc:
            st.error(plain(str(exc)))  # it names the uploaded file
    if steps is not None and steps.empty and isinstance(image, bytes):
        st.info(_("No digit found in {name}: the picture is blank (or nearly), so there is nothing to guess.").format(
            name=plain(str(source), 80)))
    elif steps is not None and steps.empty:
        st.info(_("Nothing drawn yet: the canvas is empty, so there is nothing to guess."))
    elif steps is not None:
        with friendly_errors(_("prediction")):
            probs = predict(spec, model, steps.tensor())
            v = verdict(probs)
            state.set_last_drawing(steps.as_uint8())
            if v.sure:
                sure = _("({share} sure)").format(share=f"{v.confidence:.0%}")
                st.markdown(_("## It's a **{digit}** {sure}").format(
                    digit=v.label, sure=f"<span style='font-size:0.6em'>{sure}</span>"), unsafe_allow_html=True)
                st.caption(_("prediction: {digit}").format(digit=v.label))
            else:
                guesses = ", ".join(f"{c} ({p:.0%})" for c, p in v.top if p >= 0.01)
                st.markdown(_("## 🤔 Not sure this is a digit"), unsafe_allow_html=True)
                st.caption(_("prediction: unsure · top guesses {guesses}").format(guesses=guesses))
            st.caption(_("The network is {reading}. Margin over the runner-up {margin}; uncertainty {bits} of 3.32 "
                         "bits. Below {threshold} confidence it does not name a digit.").format(
                reading=v.reading, margin=f"{v.margin:.0%}", bits=f"{v.entropy:.2f}",
                threshold=f"{UNSURE_BELOW:.0%}"))
            off = [_(SWITCHES[k]) for k, on in switches.items() if not on]
            if off:
                full = steps_of(image, source)
                p_full = predict(spec, model, full.tensor())
                missing = _(", ").join(_("'{step}'").format(step=w) for w in off)
                st.warning(_("Without {steps} the network reads **{digit}** ({share}); with every step on it reads "
                             "**{full}** ({full_share}).").format(
                    steps=missing, digit=v.label, share=f"{v.confidence:.0%}", full=int(p_full.argmax()),
                    full_share=f"{p_full.max():.0%}"))
            describe(
                _("a bar chart of the probability the network gives each digit; the tallest is {digit}.")
                .format(digit=v.label))
            st.plotly_chart(charts.probabilities_bar(probs), key="draw_probs")
        describe(_("the picture at each preprocessing step: as given, cropped to the ink, scaled, centred in 28 x 28."))
        st.plotly_chart(charts.preprocessing_steps([
            (source.capitalize() if source else _("input"), steps.original),
            (_("cropped to the ink"), steps.cropped),
            (_("scaled to {size}").format(size=f"{steps.resized.shape[1]}x{steps.resized.shape[0]}"), steps.resized),
            (_("centred in 28x28"), steps.centered)]), key="draw_steps")
        st.caption(_("MNIST's own recipe: crop to the ink, scale the longer side to 20 px, paste into 28x28 with the "
                     "centre of mass in the middle. The picture was dark on light, so it was flipped first.")
                   if steps.inverted else
                   _("MNIST's own recipe: crop to the ink, scale the longer side to 20 px, paste into 28x28 with the "
                     "centre of mass in the middle."))

contribute_footer(steps, contributing)  # Keep / Skip, my digits, and the teacher's review grid

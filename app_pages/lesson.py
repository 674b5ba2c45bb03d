"""Lessons: a teacher's sequence of views with a question each; the answer waits for a guess."""

import streamlit as st

from mnist_core.experiments.lessons import Lesson, Step
from mnist_core.experiments.views import from_query, link
from mnist_core.spec import ArchSpec
from ui import builder
from ui.common import friendly_errors

st.title("🎓 Lesson")

# --- load a lesson, or make one from where you are ------------------------------------------------
left, right = st.columns(2)
with left:
    up = st.file_uploader("Open a lesson file (JSON)", type=["json"], key="ls_upload")
    if up is not None and st.session_state.get("ls_loaded") != up.file_id:
        with friendly_errors(up.name):
            st.session_state["lesson"] = Lesson.from_json(up.getvalue())
            st.session_state.update(ls_loaded=up.file_id, ls_step=0, ls_guesses={})
with right:
    st.markdown("**Make one from the current Experiments view**")
    prompt = st.text_input("Question for the class", "What will the network answer now?", key="ls_prompt",
                           max_chars=300)
    answer = st.text_input("Answer (hidden until they guess)", key="ls_answer", max_chars=300)
    if st.button("➕ Add this view as a step", key="ls_add"):
        view, _ = from_query("experiments", st.session_state.get("_experiments_applied") or {})
        lesson = st.session_state.get("lesson") or Lesson("My lesson", [],
                                                          st.session_state.get("train_spec"), None)
        lesson.steps.append(Step("experiments", view, prompt, answer))
        st.session_state["lesson"] = lesson
        st.session_state.setdefault("ls_step", 0)

lesson = st.session_state.get("lesson")
if lesson is None:
    st.info("Open a lesson file, or add a step from the current Experiments view.")
    st.stop()
st.download_button("⬇️ Download this lesson", lesson.to_json(), file_name="lesson.json", mime="application/json",
                   key="ls_download")

# --- walk through it ------------------------------------------------------------------------------
st.subheader(lesson.title)
if lesson.spec and st.button("🧱 Use the lesson's network on the Architecture and Training pages", key="ls_spec"):
    with friendly_errors("the lesson's network"):
        spec = ArchSpec.from_dict(lesson.spec)
        builder.set_spec(spec)  # the Architecture page's editor
        st.session_state["arch_preset"] = None
        st.session_state["train_spec"] = spec.to_dict()
        st.session_state["train_spec_preset"] = None  # not a preset: default training settings
        st.session_state["tr_source"] = "The network from the Architecture page"
        st.success("Done: the Architecture page shows it and the Training page can train it.")
i = min(st.session_state.get("ls_step", 0), len(lesson.steps) - 1)
step = lesson.steps[i]
st.markdown(f"**Step {i + 1} of {len(lesson.steps)}.** {step.prompt}")
st.markdown(f"[Open this view]({link(step.view, step.state)[1:]})")
guesses = st.session_state.setdefault("ls_guesses", {})
if step.answer:
    if i in guesses:
        st.caption(f"Your guess: {guesses[i]}")
        st.success(f"Answer: {step.answer}")
    else:
        g = st.text_input("Your guess first", key=f"ls_guess_{i}", max_chars=200)
        if st.button("Commit my guess", key=f"ls_commit_{i}", disabled=not g.strip()):
            guesses[i] = g.strip()
            st.rerun()
        st.caption("The answer appears once you have committed a guess.")
b1, b2 = st.columns(2)
if b1.button("◀ Previous", key="ls_prev", disabled=i == 0):
    st.session_state["ls_step"] = i - 1
    st.rerun()
if b2.button("Next ▶", key="ls_next", disabled=i >= len(lesson.steps) - 1):
    st.session_state["ls_step"] = i + 1
    st.rerun()

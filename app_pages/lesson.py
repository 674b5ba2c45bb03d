"""Lessons: a teacher's sequence of views with a question each; the answer waits for a guess."""

import streamlit as st

from mnist_core.experiments.lessons import Lesson, Step
from mnist_core.experiments.views import from_query, link
from mnist_core.i18n import _
from mnist_core.safe_text import lesson_markdown, plain
from mnist_core.spec import ArchSpec
from ui import builder, state
from ui.common import friendly_errors

st.title(_("🎓 Lesson"))

# --- load a lesson, or make one from where you are ------------------------------------------------
left, right = st.columns(2)
with left:
    up = st.file_uploader(_("Open a lesson file (JSON)"), type=["json"], key="ls_upload")
    if up is not None and state.LESSON_FILE_SEEN.get() != up.file_id:
        with friendly_errors(up.name):
            state.LESSON.set(Lesson.from_json(up.getvalue()))
            state.LESSON_FILE_SEEN.set(up.file_id)
            state.LESSON_STEP.set(0)
            state.LESSON_GUESSES.set({})
with right:
    st.markdown(_("**Make one from the current Experiments view**"))
    prompt = st.text_input(_("Question for the class"), _("What will the network answer now?"), key="ls_prompt",
                           max_chars=300)
    answer = st.text_input(_("Answer (hidden until they guess)"), key="ls_answer", max_chars=300)
    if st.button(_("➕ Add this view as a step"), key="ls_add"):
        view, _notes = from_query("experiments", state.applied_query("experiments"))
        handed = state.train_spec()
        lesson = state.LESSON.get() or Lesson(_("My lesson"), [], handed.spec_dict if handed else None, None)
        lesson.steps.append(Step("experiments", view, prompt, answer))
        state.LESSON.set(lesson)

lesson = state.LESSON.get()
if lesson is None:
    st.info(_("Open a lesson file, or add a step from the current Experiments view."))
    st.stop()
st.download_button(_("⬇️ Download this lesson"), lesson.to_json(), file_name="lesson.json", mime="application/json",
                   key="ls_download")

# --- walk through it ------------------------------------------------------------------------------
st.subheader(plain(lesson.title, 200))
if lesson.spec and st.button(_("🧱 Use the lesson's network on the Architecture and Training pages"), key="ls_spec"):
    with friendly_errors(_("the lesson's network")):
        spec = ArchSpec.from_dict(lesson.spec)
        builder.set_spec(spec)  # the Architecture page's editor
        state.set_train_spec(spec)
        st.success(_("Done: the Architecture page shows it and the Training page can train it."))
i = min(state.LESSON_STEP.get(), len(lesson.steps) - 1)
step = lesson.steps[i]
st.markdown(_("**Step {i} of {n}.** {prompt}").format(i=i + 1, n=len(lesson.steps),
                                                       prompt=lesson_markdown(step.prompt)))  # bold and italic only
st.markdown(_("[Open this view]({link})").format(link=link(step.view, step.state)[1:]))
guesses = state.LESSON_GUESSES.get()
if step.answer:
    if i in guesses:
        st.caption(_("Your guess: {guess}").format(guess=plain(guesses[i], 200)))
        st.success(_("Answer: {answer}").format(answer=lesson_markdown(step.answer)))
    else:
        g = st.text_input(_("Your guess first"), key=f"ls_guess_{i}", max_chars=200)
        if st.button(_("Commit my guess"), key=f"ls_commit_{i}", disabled=not g.strip()):
            guesses[i] = g.strip()
            st.rerun()
        st.caption(_("The answer appears once you have committed a guess."))
b1, b2 = st.columns(2)
if b1.button(_("◀ Previous"), key="ls_prev", disabled=i == 0):
    state.LESSON_STEP.set(i - 1)
    st.rerun()
if b2.button(_("Next ▶"), key="ls_next", disabled=i >= len(lesson.steps) - 1):
    state.LESSON_STEP.set(i + 1)
    st.rerun()

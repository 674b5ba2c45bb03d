"""Lessons: the library of shipped lessons, or a teacher's own sequence of views; each step asks a question
and its answer waits for a committed guess. ``/lesson?lesson=NAME&step=K`` opens a shipped lesson at step K."""

import streamlit as st

from mnist_core.experiments.lessons import LEVELS, Lesson, Step, library, load_shipped
from mnist_core.experiments.views import from_query, link
from mnist_core.i18n import _, language, ngettext
from mnist_core.safe_text import lesson_markdown, plain
from mnist_core.spec import ArchSpec
from ui import builder, state
from ui.common import friendly_errors

st.title(_("🎓 Lesson"))


def start_shipped(name: str, step: int = 0) -> None:
    lesson = load_shipped(name)  # raises one line for an unknown name
    state.LESSON_SHIPPED.set(name)
    state.LESSON.set(lesson)
    state.LESSON_STEP.set(min(max(step, 0), len(lesson.steps) - 1))
    state.LESSON_GUESSES.set({})


def own_lesson() -> None:
    """A file or a made lesson replaces the shipped one (and its address)."""
    state.LESSON_SHIPPED.clear()
    for k in ("lesson", "step"):
        st.query_params.pop(k, None)


# --- a link to a shipped lesson's step --------------------------------------------------------------------
asked = st.query_params.get("lesson")
if asked is not None and (asked, st.query_params.get("step")) != state.LESSON_LINK_SEEN.get():
    state.LESSON_LINK_SEEN.set((asked, st.query_params.get("step")))
    raw_step = st.query_params.get("step", "1")
    with friendly_errors(_("the lesson link")):
        try:
            k = int(raw_step)
        except ValueError:
            k = 1
            st.info(_("The link's step={value} is not a step number: showing step 1 instead.").format(
                value=repr(plain(raw_step, 40))))
        start_shipped(asked, k - 1)

# a shipped lesson reads again in the session's language (a language switch shows it translated)
if state.LESSON_SHIPPED.get() is not None:
    with friendly_errors(_("the lesson")):
        state.LESSON.set(load_shipped(state.LESSON_SHIPPED.get()))

# --- the library --------------------------------------------------------------------------------------------
with st.expander(_("📚 Lesson library"), expanded=state.LESSON.get() is None):
    for info in library():
        c1, c2 = st.columns([5, 1])
        c1.markdown(ngettext("**{title}** · {level} · {n} step", "**{title}** · {level} · {n} steps",
                             info.steps).format(
            title=plain(info.title, 200), level=_(LEVELS.get(info.level, info.level)), n=info.steps))
        c1.caption(plain(info.summary, 600))
        if c2.button(_("Start"), key=f"ls_start_{info.id}"):
            with friendly_errors(info.title):
                start_shipped(info.id)
                st.rerun()

# --- load a lesson, or make one from where you are ------------------------------------------------
with st.expander(_("Your own lesson: a file, or steps from the Experiments view"),
                 expanded=state.LESSON.get() is None):
    left, right = st.columns(2)
    with left:
        up = st.file_uploader(_("Open a lesson file (JSON)"), type=["json"], key="ls_upload")
        if up is not None and state.LESSON_FILE_SEEN.get() != up.file_id:
            with friendly_errors(up.name):
                state.LESSON.set(Lesson.from_json(up.getvalue()))
                state.LESSON_FILE_SEEN.set(up.file_id)
                state.LESSON_STEP.set(0)
                state.LESSON_GUESSES.set({})
                own_lesson()
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
            own_lesson()  # a shipped lesson with a step of one's own is one's own lesson now

lesson = state.LESSON.get()
if lesson is None:
    st.info(_("Open a lesson file, or add a step from the current Experiments view."))
    st.stop()
shipped = state.LESSON_SHIPPED.get()
d1, d2 = st.columns(2)
d1.download_button(_("⬇️ Download this lesson"), lesson.to_json(), file_name=f"{shipped or 'lesson'}.json",
                   mime="application/json", key="ls_download")
if d2.button(_("📚 Back to the library"), key="ls_library"):
    state.LESSON.clear()
    state.LESSON_GUESSES.set({})
    own_lesson()
    st.rerun()

# --- walk through it ------------------------------------------------------------------------------
st.subheader(plain(lesson.title, 200))
if lesson.summary:
    st.caption(plain(lesson.summary, 600))
if lesson.spec and st.button(_("🧱 Use the lesson's network on the Architecture and Training pages"), key="ls_spec"):
    with friendly_errors(_("the lesson's network")):
        spec = ArchSpec.from_dict(lesson.spec)
        builder.set_spec(spec)  # the Architecture page's editor
        state.set_train_spec(spec)
        st.success(_("Done: the Architecture page shows it and the Training page can train it."))
i = min(state.LESSON_STEP.get(), len(lesson.steps) - 1)
if shipped is not None:  # the address is this step's link: a teacher passes it round as it is
    st.query_params.from_dict({"lesson": shipped, "step": str(i + 1), "lang": language()})
    state.LESSON_LINK_SEEN.set((shipped, str(i + 1)))
step = lesson.steps[i]
st.markdown(_("**Step {i} of {n}.** {prompt}").format(i=i + 1, n=len(lesson.steps),
                                                       prompt=lesson_markdown(step.prompt)))  # bold and italic only
st.markdown(_("[Open this view]({link})").format(link=link(step.view, step.state)[1:]))
guesses = state.LESSON_GUESSES.get()
if step.answer:
    if i in guesses:
        st.caption(_("Your guess: {guess}").format(guess=plain(guesses[i], 200)))
        if step.choices:
            st.markdown(_("✅ Right.") if guesses[i] == step.answer else _("❌ Not this time."))
        st.success(_("Answer: {answer}").format(answer=lesson_markdown(step.answer)))
        if step.explanation:
            st.info(lesson_markdown(step.explanation))
    else:
        if step.choices:
            g = st.radio(_("Your guess first"), step.choices, index=None, key=f"ls_pick_{shipped or id(lesson)}_{i}")
        else:
            g = st.text_input(_("Your guess first"), key=f"ls_guess_{i}", max_chars=200)
        if st.button(_("Commit my guess"), key=f"ls_commit_{i}", disabled=not (g or "").strip()):
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

"""Class: join the teacher's class with its code and a nickname, then answer the live poll."""

from pathlib import Path

import streamlit as st

from mnist_core import MnistLabError
from mnist_core.classroom import board, classes, polls
from mnist_core.experiments.views import link
from mnist_core.i18n import _, tr_error
from mnist_core.safe_text import lesson_markdown, plain
from ui import identity, state
from ui.classroom import looked, poll_every, rerun_part
from ui.fragment import fragment

st.title(_("🏫 Class"))
me = state.actor()


def _refusal(exc: Exception) -> None:
    st.error(plain(tr_error(exc)))  # a refusal with values (a nickname's length) too


if me.is_teacher:
    st.info(_("You are the teacher on this browser: start a class and run the poll on the Board page."))
    st.page_link(Path(__file__).with_name("board.py"), label=_("Open the Board"), icon="📋")

if me.class_id is None:
    st.markdown(_("Join your teacher's class with the code on the board and a nickname. No account, no e-mail: "
                  "your nickname is what the class sees."))
    asked = st.query_params.get("code", "")
    with st.form("cl_join"):
        code = st.text_input(_("Class code"), value=asked[:12], max_chars=12, key="cl_code",
                             placeholder="K7M3QX")
        nickname = st.text_input(_("Nickname"), max_chars=40, key="cl_nickname")
        go = st.form_submit_button(_("Join the class"), type="primary")
    if go:
        try:
            joined = classes.join(me, code, nickname)
        except MnistLabError as exc:
            _refusal(exc)
        else:
            state.set_actor(joined)
            identity.refresh_class(joined)
            st.query_params.pop("code", None)
            st.rerun()
    st.stop()

try:
    room = classes.class_info(me, me.class_id)
except MnistLabError as exc:
    _refusal(exc)
    identity.refresh_class(me)
    st.stop()
st.subheader(_("{title} · code {code}").format(title=plain(room.title, 80), code=room.code))
st.caption(_("You are {nickname} in this class.").format(nickname=plain(me.nickname or "", 40)))


def live_poll():
    me = state.ACTOR.get()
    looked()
    try:
        classes.touch(me)
        view = polls.member_view(me, me.class_id)  # the class's shared read: no query of its own, mostly
    except MnistLabError as exc:
        _refusal(exc)
        return
    poll = view.poll
    if poll is None:
        st.info(_("No question yet: it appears here as soon as the teacher opens one."))
        return
    revealed = poll.state == "revealed"
    shown = board.shown_step(poll.step, revealed)
    if shown.index is not None and shown.count:
        st.caption(_("{lesson}: step {i} of {n}").format(lesson=plain(shown.lesson, 120), i=shown.index + 1,
                                                         n=shown.count))
    st.markdown(f"### {lesson_markdown(shown.prompt)}")
    if shown.view:
        st.markdown(_("[Open this view]({link})").format(link=link(shown.view, shown.state)[1:]))
    mine = view.mine
    if mine is None and not revealed:
        if shown.choices:
            guess = st.radio(_("Your guess"), shown.choices, index=None, key=f"cl_choice_{poll.id}",
                             horizontal=len(shown.choices) > 4)
        else:
            guess = st.text_input(_("Your guess"), max_chars=200, key=f"cl_guess_{poll.id}")
        if st.button(_("Commit my guess"), key=f"cl_commit_{poll.id}", type="primary",
                     disabled=not (guess or "").strip()):
            try:
                polls.commit_answer(me, poll.id, guess)
            except MnistLabError as exc:
                _refusal(exc)
            else:
                rerun_part()
        st.caption(_("A guess is final once committed: think first, then commit."))
    elif mine is not None:
        st.success(_("Your guess: {guess}").format(guess=plain(mine, 200)))
    if revealed:
        if shown.answer:
            st.success(_("Answer: {answer}").format(answer=lesson_markdown(shown.answer)), icon="💡")
        else:
            st.success(_("The teacher has revealed the class's answers."), icon="💡")
        counts = view.counts or {}
        total = sum(counts.values())
        for answer, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            st.progress(n / total if total else 0.0, text=f"{plain(answer, 60)}: {n}")
    elif mine is not None:
        st.caption(_("The answer appears here when the teacher reveals it."))
    state.CLASS_POLL_SEEN.set((poll.id, poll.state))


fragment(live_poll, run_every=poll_every())()

"""The class in every page's sidebar: which class I am in, and whether a question waits for me.

A class member's sidebar polls the class database every few seconds (a fragment: only it reruns),
which also marks them online for the teacher's board, whatever page they are on.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core import MnistLabError
from mnist_core.classroom import classes, polls
from mnist_core.i18n import _
from mnist_core.safe_text import plain
from ui import state
from ui.fragment import fragment

CLASS_PAGE = Path(__file__).resolve().parents[1] / "app_pages" / "classroom.py"
POLL_EVERY = 3.0  # seconds between a member's looks at the class's poll: Reveal reaches them within this


def rerun_part() -> None:
    """Rerun the fragment a button of it was clicked in (the whole page when it ran as a whole)."""
    from streamlit.errors import StreamlitAPIException
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # drawn in a full run of the page: a fragment rerun is not allowed then
        st.rerun()


def sidebar_indicator() -> None:
    """For a class member: the class, and a line when a question is open or its answer revealed."""
    me = state.ACTOR.get()
    if me is None or me.class_id is None:
        return
    fragment(_indicator, run_every=POLL_EVERY * 2)()


def _indicator() -> None:
    me = state.ACTOR.get()
    if me is None or me.class_id is None:
        return
    try:
        classes.touch(me)
        poll = polls.current_poll(me, me.class_id)
        answered = poll is not None and polls.my_answer(me, poll.id) is not None
    except MnistLabError:
        return  # removed, or the class is gone: the Class page says so; the sidebar stays quiet
    st.caption(_("Class: {nickname}").format(nickname=plain(me.nickname or "", 40)))
    if poll is None:
        return
    seen = state.CLASS_POLL_SEEN.get()
    if poll.state == "open" and not answered:
        st.info(_("❓ A question is open for the class."))
        st.page_link(CLASS_PAGE, label=_("Answer it on the Class page"), icon="🏫")
    elif poll.state == "revealed" and seen != (poll.id, "revealed"):
        st.success(_("💡 The teacher revealed the answer."))
        st.page_link(CLASS_PAGE, label=_("See it on the Class page"), icon="🏫")

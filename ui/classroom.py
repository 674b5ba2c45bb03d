"""The class in every page's sidebar: which class I am in, and whether a question waits for me.

A class member's sidebar polls the class every few seconds (a fragment: only it reruns), which
also marks them online for the teacher's board, whatever page they are on; on the Class page the
page's own live poll does both, and the sidebar only names the class. Each look reads the class's
shared state (``polls.member_view``: one database read per class per second in this process) and
writes ``last_seen`` at most every ``classes.TOUCH_EVERY`` seconds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import streamlit as st

from mnist_core import MnistLabError
from mnist_core.classroom import classes, polls
from mnist_core.i18n import _
from mnist_core.safe_text import plain
from ui import state
from ui.fragment import fragment

CLASS_PAGE = Path(__file__).resolve().parents[1] / "app_pages" / "classroom.py"
POLL_EVERY = 3.0  # seconds between a member's looks at the class's poll, for a class of up to 10 ...
POLL_EVERY_MAX = 6.0  # ... and at most this for 30 and more: Reveal reaches every student within it
POLLERS_FOR = 20.0  # a session counts as polling for this long after its last look (the slowest look: 12 s)

_pollers: dict[str, float] = {}  # session id -> when it last looked at a class's poll (this process)
_pollers_lock = threading.Lock()


def looked() -> int:
    """Count this session as polling now; how many sessions of this process look at a class's poll."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    now = time.time()
    with _pollers_lock:
        if ctx is not None:
            _pollers[ctx.session_id] = now
        for sid in [k for k, t in _pollers.items() if now - t > POLLERS_FOR]:
            del _pollers[sid]
        return len(_pollers)


def poll_every(pollers: int | None = None) -> float:
    """Seconds between a member's looks at the class's poll, for ``pollers`` sessions polling in
    this process (counted, this one included, when not given).

    Each look is a fragment run on the server: 3-4 ms of CPU in its function when every look read
    the database (three sessions), 0.2-0.6 ms from the class's shared read (measured with
    benchmarks/class_poll_cost.py), plus Streamlit's own work for the run; 30 students on the Class
    page, their sidebars looking too, made fifteen runs a second. Like ``ui.common.refresh_every``
    the interval stretches with the sessions polling, but bounded, because Reveal must reach every
    student within a few seconds: 3 s for up to 10 sessions, then linearly to ``POLL_EVERY_MAX`` =
    6 s at 30 and more (4.5 s for 20). Whole classes on one server count together: the load is the
    server's. A fragment keeps the interval of the full run that drew it (navigating or joining
    draws anew), so a student who came first keeps a shorter one; those who come later stretch theirs.
    """
    n = looked() if pollers is None else pollers
    return round(min(POLL_EVERY_MAX, POLL_EVERY * max(1.0, (n + 10) / 20)), 1)


def rerun_part() -> None:
    """Rerun the fragment a button of it was clicked in (the whole page when it ran as a whole)."""
    from streamlit.errors import StreamlitAPIException
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # drawn in a full run of the page: a fragment rerun is not allowed then
        st.rerun()


def sidebar_indicator(on_class_page: bool = False) -> None:
    """For a class member: the class, and a line when a question is open or its answer revealed.

    On the Class page only the class's line, without a look of its own: the page's live poll looks.
    """
    me = state.ACTOR.get()
    if me is None or me.class_id is None:
        return
    if on_class_page:
        _class_line(me)
        return
    fragment(_indicator, run_every=poll_every() * 2)()


def _class_line(me) -> None:
    st.caption(_("Class: {nickname}").format(nickname=plain(me.nickname or "", 40)))


def _indicator() -> None:
    me = state.ACTOR.get()
    if me is None or me.class_id is None:
        return
    looked()
    try:
        classes.touch(me)
        view = polls.member_view(me, me.class_id)
    except MnistLabError:
        return  # removed, or the class is gone: the Class page says so; the sidebar stays quiet
    _class_line(me)
    poll, answered = view.poll, view.mine is not None
    if poll is None:
        return
    seen = state.CLASS_POLL_SEEN.get()
    if poll.state == "open" and not answered:
        st.info(_("❓ A question is open for the class."))
        st.page_link(CLASS_PAGE, label=_("Answer it on the Class page"), icon="🏫")
    elif poll.state == "revealed" and seen != (poll.id, "revealed"):
        st.success(_("💡 The teacher revealed the answer."))
        st.page_link(CLASS_PAGE, label=_("See it on the Class page"), icon="🏫")

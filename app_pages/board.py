"""The teacher's board: start a class, show its code large, see who is in and what they trained, run the poll."""

import contextlib
import html
import io
import time
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from mnist_core import MnistLabError
from mnist_core.classroom import board, classes, ownership, polls
from mnist_core.experiments.lessons import Lesson, library, load_shipped
from mnist_core.i18n import _, language, tr_error
from mnist_core.jobs.local import SLOTS
from mnist_core.safe_text import lesson_markdown, plain
from ui import state
from ui.classroom import rerun_part
from ui.common import friendly_errors, store
from ui.fragment import fragment

LIVE_EVERY = 2.0  # seconds between the board's looks at the poll and the class: a guess shows within this
RUNS_EVERY = 5.0

st.title(_("📋 Board"))
me = state.actor()
if not me.is_teacher:  # the navigation hides this page from others; a typed address still ends here
    st.error(_("Only the teacher sees the board. The teacher opens it with the link printed in the terminal "
               "where the server started."))
    st.stop()


def _refusal(exc: Exception) -> None:
    st.error(plain(tr_error(exc)))  # a refusal with values (a nickname's length) too


# --- which class --------------------------------------------------------------------------------------
with friendly_errors():
    rooms = classes.open_classes(me)
rooms = sorted(rooms, key=lambda r: (r.closed is not None, -r.created))
with st.expander(_("Start a class"), expanded=not rooms), st.form("bd_start"):
    title = st.text_input(_("Title (optional)"), max_chars=80, key="bd_title", placeholder=_("Class"))
    if st.form_submit_button(_("Start a class"), type="primary"):
        try:
            room = classes.start_class(me, title)
        except MnistLabError as exc:
            _refusal(exc)
        else:
            state.BOARD_CLASS.set(room.id)
            st.rerun()
if not rooms:
    st.info(_("No class yet: start one, then show its code to the class."))
    st.stop()
ids = [r.id for r in rooms]
if state.BOARD_CLASS.get() not in ids:
    state.BOARD_CLASS.set(ids[0])


def _room_label(i: int) -> str:
    r = next(r for r in rooms if r.id == i)
    label = f"{r.code} · {r.title}"
    return _("{label} (closed)").format(label=label) if r.closed else label


cid = st.selectbox(_("Class"), ids, index=ids.index(state.BOARD_CLASS.get()), format_func=_room_label,
                   key="bd_class")
state.BOARD_CLASS.set(cid)
room = next(r for r in rooms if r.id == cid)


# --- the projector: code, QR, link ------------------------------------------------------------------------
def _app_address() -> str:
    """The address this board was opened at, without the page: what students' browsers open too."""
    url = str(getattr(st.context, "url", "") or "")
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "http://localhost:8501"
    path = parts.path.rstrip("/")
    if path.endswith("/board"):
        path = path[: -len("/board")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _qr_png(text: str) -> bytes:
    import segno
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=10, border=2)
    return buf.getvalue()


if room.closed is None:
    address = st.text_input(_("The address students open"), _app_address(), key="bd_address", max_chars=200)
    host = urlsplit(address).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1"):
        st.caption(_("localhost works on this computer only: for students, type this computer's address in the "
                     "school network (for example http://192.168.1.20:8501)."))
    join_link = f"{address.rstrip('/')}/classroom?code={room.code}&lang={language()}"  # the class's language
    left, right = st.columns([3, 2])
    with left:
        where = html.escape(address.rstrip("/") + "/classroom")  # typed by the teacher: escaped, never markup
        join_at = html.escape(_("Join at"))
        st.html(f'<div style="font-size:1.6rem">{join_at} <b>{where}</b></div>')
        # the code is drawn from the class-code alphabet (capitals and digits): nothing to escape
        st.html(f'<div data-testid="bd-code" style="font-size:7rem;font-weight:800;letter-spacing:0.25em;'
                f'font-family:monospace;line-height:1.1">{room.code}</div>')
        st.code(join_link, language=None)
    with right:
        st.image(_qr_png(join_link), caption=_("Scan to join"), width=300)
else:
    st.warning(_("This class is closed: nobody can join or answer. Its data is kept until you delete it."))


# --- who is in the class ------------------------------------------------------------------------------
def _delete_run(run_id: str) -> None:
    """Delete one run as the teacher: through the run store's own rule when it takes the actor."""
    store().delete(run_id, actor=me)


def _clear_runs(visitor_id: str) -> tuple[int, list[str]]:
    done, refused = 0, []
    for run_id in ownership.runs_of(visitor_id=visitor_id, class_id=cid):
        try:
            _delete_run(run_id)
            done += 1
        except MnistLabError as exc:
            refused.append(tr_error(exc))  # in the board's language, values and all
    return done, refused


def members_panel():
    try:
        people = classes.members(me, cid)
    except MnistLabError as exc:
        _refusal(exc)
        return
    active = [m for m in people if not m.removed]
    online = sum(m.online for m in active)
    st.subheader(_("Students: {n} in the class, {k} online").format(n=len(active), k=online))
    if not people:
        st.caption(_("Nobody has joined yet."))
        return
    run_counts: dict[str, int] = {}
    for o in ownership.owners(ownership.runs_of(class_id=cid)).values():  # one query, not one a run
        if o.owner_id:
            run_counts[o.owner_id] = run_counts.get(o.owner_id, 0) + 1
    now = time.time()
    st.dataframe(pd.DataFrame([{
        _("nickname"): m.nickname,
        _("online"): "🟢" if m.online else ("⛔" if m.removed else "⚪"),
        _("last seen"): _("{s} s ago").format(s=int(now - m.last_seen)),
        _("runs"): run_counts.get(m.visitor_id, 0),
    } for m in people]), hide_index=True, width="stretch")
    if not active:
        return
    by_id = {m.id: m for m in active}
    c1, c2, c3 = st.columns([2, 1, 1])
    who = c1.selectbox(_("Student"), list(by_id), format_func=lambda i: by_id[i].nickname, key="bd_student")
    if c2.button(_("Remove from the class"), key="bd_remove"):
        try:
            classes.remove_member(me, cid, who)
            st.success(_("{nickname} is out of the class.").format(nickname=plain(by_id[who].nickname, 40)))
        except MnistLabError as exc:
            _refusal(exc)
    if c3.button(_("Clear their runs"), key="bd_clear"):
        done, refused = _clear_runs(by_id[who].visitor_id)
        st.success(_("{n} run(s) of {nickname} deleted.").format(n=done, nickname=plain(by_id[who].nickname, 40)))
        for line in refused[:3]:
            st.error(plain(line))


fragment(members_panel, run_every=LIVE_EVERY * 2)()


# --- what they trained ------------------------------------------------------------------------------------
def runs_panel():
    try:
        ids_ = ownership.runs_of(class_id=cid)
        rows = board.run_rows(store().list(damaged=True), ownership.owners(ids_), _("teacher"))
    except MnistLabError as exc:
        _refusal(exc)
        return
    st.subheader(_("The class's runs"))
    st.caption(_("Server queue: {busy} training, {queued} waiting, {capacity} at a time.").format(
        busy=SLOTS.busy, queued=SLOTS.queued, capacity=SLOTS.capacity))
    if not rows:
        st.caption(_("No runs in this class yet: they appear here as students train on the Training page."))
        return

    def table(rs):
        return pd.DataFrame([{
            _("student"): r.nickname, _("run"): r.name, _("state"): r.state,
            _("test accuracy"): None if r.accuracy is None else round(100 * r.accuracy, 2),
            _("parameters"): r.params, _("multiply-adds"): r.macs,
            _("training seconds"): None if r.train_seconds is None else round(r.train_seconds, 1),
        } for r in rs])
    st.dataframe(table(rows), hide_index=True, width="stretch")
    ranked = board.leaderboard(rows)
    if ranked:
        left, right = st.columns(2)
        with left:
            st.markdown(_("**Leaderboard** (test accuracy, %)"))
            st.dataframe(table(ranked[:10])[[_("student"), _("run"), _("test accuracy"), _("multiply-adds")]],
                         hide_index=True, width="stretch")
        with right:
            st.plotly_chart(board.scatter(rows, _("multiply-adds per digit"), _("test accuracy"),
                                          _("Pareto front")), key="bd_scatter")
            front = board.front_rows(rows)
            st.caption(_("On the Pareto front (no run is both more accurate and cheaper): {runs}").format(
                runs=plain(", ".join(f"{r.nickname}: {r.name}" for r in front), 300)))


fragment(runs_panel, run_every=RUNS_EVERY)()


# --- the live poll --------------------------------------------------------------------------------------------
st.subheader(_("Live poll"))
source = st.radio(_("Ask about"), ["lesson", "shipped", "file", "own"], horizontal=True, key="bd_source",
                  format_func=lambda k: {"shipped": _("a lesson from the library"),
                                         "lesson": _("the Lesson page's lesson"), "file": _("a lesson file"),
                                         "own": _("a question of my own")}[k])
lesson: Lesson | None = None
if source == "shipped":  # the whole class through one shipped lesson, step by step
    shelf = {info.id: info for info in library()}
    pick_id = st.selectbox(_("Lesson"), list(shelf), key="bd_shipped",
                           format_func=lambda n: plain(shelf[n].title, 120) if n in shelf else n)
    with friendly_errors(_("the lesson")):
        lesson = load_shipped(pick_id) if pick_id else None
elif source == "file":
    up = st.file_uploader(_("Open a lesson file (JSON)"), type=["json"], key="bd_upload")
    if up is not None and state.BOARD_LESSON_FILE_SEEN.get() != up.file_id:
        with friendly_errors(up.name):
            state.BOARD_LESSON.set(Lesson.from_json(up.getvalue()))
            state.BOARD_LESSON_FILE_SEEN.set(up.file_id)
    lesson = state.BOARD_LESSON.get()
elif source == "lesson":
    lesson = state.LESSON.get()
    if lesson is None:
        st.caption(_("No lesson is open on the Lesson page: open or make one there, or open a lesson file here."))


def _lesson_step(lesson: Lesson, i: int, choices: str) -> dict:
    """A step's poll: its own choices when it has them (a shipped lesson's), else the teacher's; the
    answer shown on Reveal carries the step's explanation."""
    s = lesson.steps[i]
    answer = f"{s.answer} — {s.explanation}" if s.explanation else s.answer
    return board.poll_step(s.prompt, answer, s.choices or board.parse_choices(choices), lesson.title, i,
                           len(lesson.steps), s.view, s.state)


open_step = None
if room.closed is not None:
    st.caption(_("A closed class takes no answers."))
elif source == "own":
    prompt = st.text_input(_("Question"), max_chars=300, key="bd_prompt")
    choices = st.text_input(_("Choices, separated by commas (empty: students type their answer)"),
                            max_chars=300, key="bd_choices")
    answer = st.text_input(_("Answer (shown on Reveal)"), max_chars=300, key="bd_answer")
    if prompt.strip():
        open_step = board.poll_step(prompt.strip(), answer.strip(), board.parse_choices(choices))
elif lesson is not None:
    i = st.selectbox(_("Step"), range(len(lesson.steps)), key="bd_step",
                     format_func=lambda k: _("Step {i}: {prompt}").format(i=k + 1, prompt=lesson.steps[k].prompt[:80]))
    if lesson.steps[i].choices:
        choices = ""
        st.caption(_("Choices: {choices}").format(choices=plain(" · ".join(lesson.steps[i].choices), 300)))
    else:
        choices = st.text_input(_("Choices, separated by commas (empty: students type their answer)"),
                                max_chars=300, key="bd_lesson_choices")
    open_step = _lesson_step(lesson, i, choices)
if open_step is not None and st.button(_("Ask the class"), type="primary", key="bd_open"):
    try:
        polls.next_poll(me, cid, open_step)
    except MnistLabError as exc:
        _refusal(exc)


def poll_panel():
    try:
        poll = polls.current_poll(me, cid)
        t = polls.tally(me, poll.id) if poll else None
    except MnistLabError as exc:
        _refusal(exc)
        return
    if poll is None:
        st.caption(_("No question is open."))
        return
    shown = board.shown_step(poll.step, True)
    st.markdown(f"#### {lesson_markdown(shown.prompt)}")
    answered, everyone = len(t.answered), len(t.answered) + len(t.missing)
    st.markdown(_("**{k} of {n} answered.**").format(k=answered, n=everyone)
                + (" " + _("Revealed.") if poll.state == "revealed" else ""))
    counts = dict(t.counts)
    for c in shown.choices:
        counts.setdefault(c, 0)
    if counts:
        st.dataframe(pd.DataFrame({_("answer"): list(counts), _("students"): list(counts.values())})
                     .sort_values(_("students"), ascending=False), hide_index=True, key=f"bd_counts_{poll.id}")
    if t.missing:
        st.caption(_("Not answered yet: {names}").format(names=plain(", ".join(t.missing), 600)))
    if shown.answer:
        st.caption(_("Answer: {answer}").format(answer=lesson_markdown(shown.answer)))
    b1, b2 = st.columns(2)
    if b1.button(_("Reveal"), key="bd_reveal", disabled=poll.state != "open", type="primary"):
        try:
            polls.reveal(me, poll.id)
        except MnistLabError as exc:
            _refusal(exc)
        rerun_part()
    nxt = None
    if lesson is not None and shown.index is not None and shown.lesson == lesson.title[:120] \
            and shown.index + 1 < len(lesson.steps):
        nxt = shown.index + 1
    if b2.button(_("Next step"), key="bd_next", disabled=nxt is None):
        try:
            polls.next_poll(me, cid, _lesson_step(lesson, nxt, ",".join(shown.choices)))
        except MnistLabError as exc:
            _refusal(exc)
        rerun_part()


fragment(poll_panel, run_every=LIVE_EVERY)()


# --- the class itself ------------------------------------------------------------------------------------
st.subheader(_("The class"))
c1, c2 = st.columns(2)
if room.closed is None and c1.button(_("Close the class"), key="bd_close"):
    try:
        classes.close_class(me, cid)
    except MnistLabError as exc:
        _refusal(exc)
    else:
        st.rerun()
sure = c2.checkbox(_("Delete this class and all its runs for good"), key="bd_delete_sure")
if c2.button(_("Delete the class"), key="bd_delete", disabled=not sure):
    try:
        run_ids = classes.delete_class(me, cid)
    except MnistLabError as exc:
        _refusal(exc)
    else:
        for run_id in run_ids:
            with contextlib.suppress(MnistLabError):  # a run still training stays on disk, its record gone
                _delete_run(run_id)
        state.BOARD_CLASS.clear()
        st.rerun()

"""Server CPU of an idle class member: one run of the Class page's live poll and of the sidebar's class line.

Drives the real app with Streamlit's AppTest (a student who joined with the form, the teacher's poll
opened through ``polls``), and times each run of the two fragment functions (``live_poll`` on the
Class page, ``ui.classroom._indicator`` in the sidebar): CPU of the script thread, wall time, and
within that the time spent in class database sessions (``db.session``), how many sessions and SQL
statements. Three states of the poll: open and not answered (the guess form), answered (waiting
for Reveal), revealed (the answer and the counts). Each state on the Class page (its
live poll) and on another page (Glossary: the sidebar's look). Then ``--members`` students in one
process poll in turn on the Class page (each student's AppTest runs once a round): what a class
costs the database per look. (AppTest gives every session the same id, so ``poll_every`` counts
them as one here: the interval's stretch is tested in tests/classroom/test_idle_polling.py.)

    python benchmarks/class_poll_cost.py                      # SQLite in a temporary folder
    python benchmarks/class_poll_cost.py --runs 40 --members 30 --pause 0.1
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
TMP = Path(tempfile.mkdtemp(prefix="class-poll-cost-"))
os.environ["MNIST_LAB_RUNS"] = str(TMP / "runs")
os.environ.setdefault("MNIST_LAB_DATABASE_URL", f"sqlite:///{TMP / 'classroom.sqlite'}")
os.environ.pop("MNIST_LAB_TEACHER_KEY", None)

from sqlalchemy import event  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import ui.classroom  # noqa: E402
import ui.common  # noqa: E402
import ui.fragment  # noqa: E402
from mnist_core.classroom import classes, db, identity, polls  # noqa: E402

ui.common.RUNS_DIR = TMP / "runs"
STEP = {"format": "mnist-lab-poll/1", "prompt": "Which digit?", "answer": "a seven", "choices": ["1", "7"],
        "lesson": "L", "index": 0, "count": 2, "view": None, "state": {}}

_local = threading.local()
CALLS: dict[str, list[dict]] = {}


def _timed_session(real):
    @contextlib.contextmanager
    def session(*a, **k):
        rec = getattr(_local, "rec", None)
        t = time.perf_counter()
        try:
            with real(*a, **k) as s:
                yield s
        finally:
            if rec is not None:
                rec["db_ms"] += (time.perf_counter() - t) * 1e3
                rec["sessions"] += 1
    return session


def _timed_fragment(real):
    def fragment(func, *, run_every=None):
        name = func.__name__

        def timed():
            rec = _local.rec = {"db_ms": 0.0, "sessions": 0, "sql": 0, "every": run_every}
            c, w = time.thread_time(), time.perf_counter()
            try:
                func()
            finally:
                rec["cpu_ms"] = (time.thread_time() - c) * 1e3
                rec["wall_ms"] = (time.perf_counter() - w) * 1e3
                _local.rec = None
                CALLS.setdefault(name, []).append(rec)
        timed.__name__ = timed.__qualname__ = name
        timed.__module__ = func.__module__
        return real(timed, run_every=run_every)
    return fragment


def _count_sql(*_a, **_k):
    rec = getattr(_local, "rec", None)
    if rec is not None:
        rec["sql"] += 1


def install():
    db.session = _timed_session(db.session)
    wrapped = _timed_fragment(ui.fragment.fragment)
    ui.fragment.fragment = ui.classroom.fragment = ui.common.fragment = wrapped
    event.listen(db.engine(), "before_cursor_execute", _count_sql)


def member(code: str, nickname: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("app_pages/classroom.py")
    at.run()
    at.text_input(key="cl_code").input(code)
    at.text_input(key="cl_nickname").input(nickname)
    next(b for b in at.button if b.label == "Join the class").click()
    at.run()
    if at.exception:
        raise SystemExit(at.exception[0].value)
    return at


def _line(label: str, name: str, recs: list[dict]) -> str:
    med = {k: statistics.median(r[k] for r in recs) for k in ("cpu_ms", "wall_ms", "db_ms", "sessions", "sql")}
    return (f"  {label:28s} {name:11s} cpu {med['cpu_ms']:5.2f} ms · wall {med['wall_ms']:5.2f} ms · "
            f"db {med['db_ms']:5.2f} ms in {med['sessions']:.0f} sessions, {med['sql']:.0f} SQL · "
            f"the rest {med['wall_ms'] - med['db_ms']:5.2f} ms (n={len(recs)})")


def summary(label: str, runs: int):
    """Medians of the last ``runs`` runs of each fragment; the runs that read the database apart."""
    for name in ("live_poll", "_indicator"):
        recs = CALLS.get(name, [])[-runs:]
        if not recs:
            print(f"  {label:28s} {name:11s} not run")
            continue
        read = [r for r in recs if r["sessions"]]
        if read and len(read) < len(recs):
            print(_line(label + ", database read", name, read))
            print(_line(label + ", shared read", name, [r for r in recs if not r["sessions"]]))
        else:
            print(_line(label, name, recs))


def timed_runs(at: AppTest, runs: int, pause: float) -> list[float]:
    full = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        full.append((time.perf_counter() - t) * 1e3)
        time.sleep(pause)
    if at.exception:
        raise SystemExit(at.exception[0].value)
    return full


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30, help="runs timed per state (medians are printed)")
    ap.add_argument("--members", type=int, default=30, help="students polling in one process, last part")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pause", type=float, default=0.1, help="seconds between a student's timed runs")
    args = ap.parse_args()
    install()
    teacher = identity.teacher_actor(identity.new_visitor()[0])
    room = classes.start_class(teacher, "P3")
    print(f"database: {db.engine().url.get_backend_name()} · CPU threads: {os.cpu_count()}")
    at = member(room.code, "Ana")
    me = at.session_state["actor"]
    poll = polls.open_poll(teacher, room.id, STEP)
    for label in ("open, not answered", "answered, waiting", "revealed"):
        if label == "answered, waiting":
            polls.commit_answer(me, poll.id, "7")
        elif label == "revealed":
            polls.reveal(teacher, poll.id)
        for page in ("classroom", "glossary"):
            at.switch_page(f"app_pages/{page}.py")
            for _ in range(2):
                at.run()
            CALLS.clear()
            full = timed_runs(at, args.runs, args.pause)
            summary(f"{label} ({page})", args.runs)
            print(f"  {label + ' (' + page + ')':28s} a full run of the page through AppTest: "
                  f"{statistics.median(full):.0f} ms")
        at.switch_page("app_pages/classroom.py")

    second = classes.start_class(teacher, "P4")
    ats = [member(second.code, f"S{i:02d}") for i in range(args.members)]
    polls.open_poll(teacher, second.id, STEP)
    for a in ats:
        a.run()
    CALLS.clear()
    t = time.perf_counter()
    for _ in range(args.rounds):
        for a in ats:
            a.run()
    took = time.perf_counter() - t
    for name in ("live_poll", "_indicator"):
        recs = CALLS.get(name, [])
        n = len(recs)
        if not n:
            print(f"  {args.members} members x {args.rounds} rounds on the Class page, {name:11s}: not run")
            continue
        sessions, sql = sum(r["sessions"] for r in recs), sum(r["sql"] for r in recs)
        print(f"  {args.members} members x {args.rounds} rounds on the Class page, {name:11s}: {n} runs in "
              f"{took:.1f} s · db sessions {sessions} ({sessions / n:.2f}/run) · SQL {sql} ({sql / n:.2f}/run) · "
              f"cpu {statistics.fmean(r['cpu_ms'] for r in recs):.2f} ms mean")

if __name__ == "__main__":
    main()

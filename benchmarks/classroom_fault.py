"""A server that dies mid-class, and two servers that serve one class (real servers, real browsers).

Part 1, kill: a class of ``--members`` students (joined and answered through ``mnist_core``, as
their browsers would) plus one real browser student, who joins on the Class page, trains a short
run to the end and starts a long one. While the long run trains, the server is killed with SIGKILL
(no clean-up of any kind) and started again on the same run folder and database. Then every member,
answer and finished run must still be there, the run that was training must read "interrupted"
(never "running" for ever), its worker process must be gone, and the browser student, reloading,
must still be themselves in the class.

Part 2, replicas (``--replicas``, needs Debian's PostgreSQL): two ``streamlit run`` processes on
one PostgreSQL database, a student on each; both join the same class, both guesses reach the
teacher's tally, and Reveal reaches both.

    python benchmarks/classroom_fault.py [--db sqlite|postgresql] [--members 30] [--replicas]

Bounded: every wait has a timeout, servers and the PostgreSQL cluster are always stopped.
Prints one JSON report; exit 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process, wait_idle  # noqa: E402

KEY = "fault-teacher-key"
QUESTION = "What will the network answer?"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextlib.contextmanager
def database(kind: str, folder: Path):
    """A database URL: a SQLite file in ``folder``, or a fresh database in a throwaway PostgreSQL cluster."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'classroom.sqlite'}"
        return
    from tests.classroom import pgserver
    with pgserver.cluster() as server:
        name = "f" + uuid.uuid4().hex[:12]
        server.create(name)
        yield server.url(name)


def _page(browser, timeout: float):
    ctx = browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(timeout * 1000)
    return ctx, pg


def _join(pg, base: str, code: str, nick: str):
    pg.goto(f"{base}/classroom?code={code}", wait_until="commit")
    pg.get_by_role("heading", name="🏫 Class").first.wait_for()
    wait_idle(pg, 120)
    pg.get_by_label("Nickname", exact=True).fill(nick)
    pg.get_by_role("button", name="Join the class").first.click()
    pg.get_by_text(f"You are {nick} in this class.").first.wait_for()


def _start_training(pg, base: str, name: str, epochs: int, batches: int):
    pg.goto(f"{base}/training", wait_until="commit")
    pg.get_by_role("heading", name="📈 Training").first.wait_for()
    wait_idle(pg, 120)
    pg.get_by_label("Epochs", exact=True).fill(str(epochs))
    pg.get_by_text("More settings").click()
    pg.get_by_label("Batches per epoch (0 = all; a dry run)").fill(str(batches))
    pg.get_by_label("Run name", exact=True).fill(name)
    pg.get_by_label("Run name", exact=True).press("Tab")  # Enter would submit the form
    pg.get_by_role("button", name="Start training").click()


def _runs_by_name(runs_dir: Path) -> dict:
    from mnist_core.runs import RunStore
    return {r.display_name: r for r in RunStore(runs_dir).list(damaged=True)}


def _wait(what, timeout: float, every: float = 0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = what()
        if got:
            return got
        time.sleep(every)
    return None


def _class_state(teacher, cid: int, poll_id: int) -> dict:
    from mnist_core.classroom import classes, polls
    t = polls.tally(teacher, poll_id)
    return {"members": len(classes.members(teacher, cid)), "answers": sum(t.counts.values()), "counts": t.counts}


def kill_part(db_kind: str, members: int, timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    from mnist_core.classroom import board, classes, db, identity, polls
    folder = Path(tempfile.mkdtemp(prefix="fault-"))
    runs_dir = folder / "runs"
    with database(db_kind, folder) as url:
        os.environ["MNIST_LAB_DATABASE_URL"] = url
        env = {"MNIST_LAB_TEACHER_KEY": KEY, "MNIST_LAB_DATABASE_URL": url}
        teacher = identity.teacher_actor(identity.new_visitor()[0])
        room = classes.start_class(teacher, "Period 3")
        poll = polls.open_poll(teacher, room.id, board.poll_step(QUESTION, "7", ["1", "7"]))
        t0 = time.perf_counter()
        for i in range(members):  # the class, as its browsers would do it through the pages
            student = classes.join(identity.Actor(identity.new_visitor()[0]), room.code, f"s{i:02d}")
            polls.commit_answer(student, poll.id, "7" if i % 3 else "1")
        join_and_answer_s = (time.perf_counter() - t0) / max(1, members)
        report: dict = {"db": db_kind, "members_made": members, "per_join_and_answer_s": round(join_and_answer_s, 4)}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                ctx, pg = _page(browser, timeout)
                with streamlit_process(runs_dir, env=env) as (base, proc):
                    _join(pg, base, room.code, "Zoe")
                    _start_training(pg, base, "zoe short", 1, 20)
                    pg.get_by_text("✅ Finished").first.wait_for(timeout=timeout * 1000)
                    wait_idle(pg, timeout)
                    _start_training(pg, base, "zoe long", 30, 0)
                    long_run = _wait(lambda: (_runs_by_name(runs_dir).get("zoe long") or None)
                                     if getattr(_runs_by_name(runs_dir).get("zoe long"), "summary", {}).get("status")
                                     == "running" else None, timeout)
                    if long_run is None:
                        raise RuntimeError("the long run never started training")
                    time.sleep(3)  # a few batches in
                    worker_pid = long_run.summary.get("pid")
                    before = _class_state(teacher, room.id, poll.id)
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(30)
                    killed_at = time.time()
                report["before_kill"] = before
                worker_gone = _wait(lambda: not _alive(worker_pid), 60) if isinstance(worker_pid, int) else None
                report["worker_pid_was_other_process"] = isinstance(worker_pid, int) and worker_pid != proc.pid
                report["worker_gone_s"] = round(time.time() - killed_at, 1) if worker_gone else None
                db.dispose(url)
                with streamlit_process(runs_dir, env=env) as (base, _proc):  # the same folder and database
                    t1 = time.time()
                    after = _class_state(teacher, room.id, poll.id)
                    listed = _runs_by_name(runs_dir)
                    report["after_restart"] = after
                    report["runs_after_restart"] = {n: r.summary.get("status") for n, r in listed.items()}
                    pg.goto(f"{base}/classroom", wait_until="commit")
                    pg.get_by_text("You are Zoe in this class.").first.wait_for()
                    report["browser_student_still_in_class"] = True
                    pg.goto(f"{base}/training", wait_until="commit")
                    pg.get_by_role("heading", name="📈 Training").first.wait_for()
                    wait_idle(pg, timeout)
                    report["training_page_exceptions"] = pg.locator('[data-testid="stException"]').count()
                    report["restart_to_checked_s"] = round(time.time() - t1, 1)
                ctx.close()
            finally:
                browser.close()
        db.dispose(url)
    report["nothing_lost"] = (report["after_restart"] == report["before_kill"]
                              and report["after_restart"]["members"] == members + 1
                              and report["after_restart"]["answers"] == members
                              and report["runs_after_restart"].get("zoe short") == "finished"
                              and report["runs_after_restart"].get("zoe long") == "interrupted"
                              and report["worker_gone_s"] is not None
                              and report["training_page_exceptions"] == 0)
    return report


def replicas_part(timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    from mnist_core.classroom import board, classes, db, identity, polls
    folder = Path(tempfile.mkdtemp(prefix="replicas-"))
    runs_dir = folder / "runs"
    report: dict = {"db": "postgresql", "servers": 2}
    with database("postgresql", folder) as url:
        os.environ["MNIST_LAB_DATABASE_URL"] = url
        env = {"MNIST_LAB_TEACHER_KEY": KEY, "MNIST_LAB_DATABASE_URL": url}
        teacher = identity.teacher_actor(identity.new_visitor()[0])
        room = classes.start_class(teacher, "Two servers")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                with streamlit_process(runs_dir, env=env) as (base_a, _a), \
                        streamlit_process(runs_dir, env=env) as (base_b, _b):
                    pages = {}
                    for nick, base in (("Ana", base_a), ("Bea", base_b)):
                        ctx, pg = _page(browser, timeout)
                        _join(pg, base, room.code, nick)
                        pages[nick] = pg
                    report["members_seen_by_teacher"] = sorted(m.nickname for m in classes.members(teacher, room.id))
                    poll = polls.open_poll(teacher, room.id, board.poll_step(QUESTION, "7", ["1", "7"]))
                    for nick, guess in (("Ana", "7"), ("Bea", "1")):
                        pg = pages[nick]
                        pg.get_by_text(QUESTION).first.wait_for()
                        pg.locator('[data-testid="stRadio"]').get_by_text(guess, exact=True).click()
                        wait_idle(pg, timeout)
                        pg.get_by_role("button", name="Commit my guess").first.click()
                        pg.get_by_text(f"Your guess: {guess}").first.wait_for()
                    report["tally"] = polls.tally(teacher, poll.id).counts
                    polls.reveal(teacher, poll.id)
                    t0 = time.time()
                    for pg in pages.values():
                        pg.get_by_text("Answer: 7").first.wait_for(timeout=30_000)
                    report["reveal_reached_both_s"] = round(time.time() - t0, 1)
                    report["exceptions"] = sum(pg.locator('[data-testid="stException"]').count()
                                               for pg in pages.values())
            finally:
                browser.close()
        db.dispose(url)
    report["consistent"] = (report["members_seen_by_teacher"] == ["Ana", "Bea"]
                            and report["tally"] == {"7": 1, "1": 1} and report["exceptions"] == 0)
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--members", type=int, default=30)
    ap.add_argument("--replicas", action="store_true", help="also two servers on one PostgreSQL")
    ap.add_argument("--timeout", type=float, default=240, help="seconds any one step may take")
    a = ap.parse_args(argv)
    if not 1 <= a.members <= 200:
        ap.error("members must be 1-200")
    out = {"kill": kill_part(a.db, a.members, a.timeout)}
    if a.replicas:
        out["replicas"] = replicas_part(a.timeout)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    ok = out["kill"]["nothing_lost"] and out.get("replicas", {"consistent": True})["consistent"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""A classroom on one server: N real browser sessions against one ``streamlit run app.py``.

Every session (a Playwright context in Debian's Chromium, all on loopback) opens a shared link
(Inside the CNN, as a teacher would hand it out), draws a 7 on the canvas and times the prediction,
visits Evaluation, and looks at the Training page; ``--trainers`` of them start a short training run
at about the same time (they wait for each other at the form) and watch it to the end.

It reports time to prediction (p50, max; and the ratio against one session alone on the same
server, measured first in this process), errors seen (exceptions on a page, a step that timed out),
the server's RSS before and after, and checks that every session saw only its own live run, that
every run finished and was listed by the run store, and that nothing was left running.
Bounded: every wait has a timeout, the whole thing a deadline, and the server is always stopped.

    python benchmarks/classroom_load.py --sessions 8 --trainers 8 [--sample] [--linger 150]

Class mode (``--class-size N``): the teacher opens the board with the teacher key, starts a class
and asks the class about the first step of a shipped lesson; N student contexts join with the code
and a nickname, commit a guess, draw a digit on Draw, ``--trainers`` of them start a short run (it
trains on in its worker), and all go back to the Class page; then the teacher presses Reveal. It
reports the time for a guess to reach the board (from the click on Commit to the board's "k of n
answered" counting it; guesses are matched to counts in commit order) and for Reveal to reach each
student (from the teacher's click to the answer on the student's page), p50 and p95; errors; the
server's RSS; and counts, afterwards, the joins and answers in the class database and the class's
finished runs in the run store, against what the students did.

    python benchmarks/classroom_load.py --class-size 30 --trainers 8 [--browser-nice 19]

``--browser-nice N`` keeps the browsers that play the class at that niceness (the server keeps 0):
on one machine the class's 31 browsers would otherwise take most of the CPU a real server has to
itself (in a classroom each browser is on its own laptop), so the figures would be the browsers'.
They still include each browser's own drawing, on what CPU the server leaves.

``--sample`` serves the embedded 5,000-digit sample (a fresh install, Community Cloud), otherwise
the full MNIST from MNIST_DATA_DIR. ``--linger S`` stays S seconds after the class leaves and
reads the RSS again (Streamlit drops a disconnected session's state after 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnist_core.experiments.views import link  # noqa: E402
from mnist_core.runs import RunStore  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

SEVEN = [(70, 50), (210, 50), (180, 110), (150, 175), (125, 245)]
BATCHES = 30   # a short run: the point is many sessions at once, not a good model


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, its worker children that have ended included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds every process of this machine has used (all cores; idle and I/O wait left out)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in Path("/proc/stat").read_text()
                                                               .split("\n")[0].split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def idle(page, timeout: float):
    """Until Streamlit's 'running' indicator is gone."""
    deadline = time.time() + timeout
    await asyncio.sleep(0.4)
    while time.time() < deadline:
        if await page.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the page kept running")


async def visit(page, url: str, heading: str, timeout: float, errors: list, who: str):
    await page.goto(url)
    await page.get_by_role("heading", name=heading).first.wait_for()
    await idle(page, timeout)
    n = await page.locator('[data-testid="stException"]').count()
    if n:
        errors.append(f"{who}: exception on {url.rsplit('/', 1)[-1]}")


async def draw_seven(page, base: str, timeout: float, errors: list, who: str) -> tuple[float, str]:
    await visit(page, base + "/draw", "✏️ Draw a digit", timeout, errors, who)
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.wait_for()
    box = await canvas.bounding_box()
    await page.mouse.move(box["x"] + SEVEN[0][0], box["y"] + SEVEN[0][1])
    await page.mouse.down()
    for x, y in SEVEN[1:]:
        await page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    await page.mouse.up()
    t0 = time.perf_counter()
    shown = page.get_by_text("prediction:").first
    await shown.wait_for()
    took = time.perf_counter() - t0
    return took, (await shown.inner_text()).strip()


async def press_start(page, base: str, name: str, ready: asyncio.Barrier, timeout: float, errors: list):
    """Set up a short run on Training and press Start together with the other trainers."""
    await visit(page, base + "/training", "📈 Training", timeout, errors, name)
    await page.get_by_label("Epochs", exact=True).fill("1")
    await page.get_by_text("More settings").click()
    await page.get_by_label("Batches per epoch (0 = all; a dry run)").fill(str(BATCHES))
    await page.get_by_label("Run name", exact=True).fill(name)
    await page.get_by_label("Run name", exact=True).press("Tab")  # Enter would submit the form
    await ready.wait()
    await page.get_by_role("button", name="Start training").click()


async def train(page, base: str, name: str, ready: asyncio.Barrier, timeout: float, errors: list) -> dict:
    await press_start(page, base, name, ready, timeout, errors)
    await page.get_by_text("✅ Finished").first.wait_for(timeout=timeout * 1000)
    await idle(page, timeout)
    heads = await page.get_by_role("heading", name="Run:").all_inner_texts()
    return {"name": name, "headings": [h.strip() for h in heads]}


async def student(browser, base: str, i: int, trains: bool, ready, timeout: float, out: dict):
    who = f"class-{i}"
    errors: list[str] = []
    ctx = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await ctx.new_page()
    page.set_default_timeout(timeout * 1000)
    rec = {"session": who, "trains": trains, "errors": errors}
    try:
        await visit(page, base + link("inside", {"cls": i % 10}), "🔬 Inside the CNN", timeout, errors, who)
        rec["prediction_s"], rec["shown"] = await draw_seven(page, base, timeout, errors, who)
        await visit(page, base + "/evaluation", "🎯 Evaluation", timeout, errors, who)
        await page.locator(".js-plotly-plot").first.wait_for()
        if trains:
            rec["run"] = await train(page, base, who, ready, timeout, errors)
        else:
            await visit(page, base + "/training", "📈 Training", timeout, errors, who)
            rec["run"] = {"name": None, "headings": [h.strip() for h in
                                                     await page.get_by_role("heading", name="Run:").all_inner_texts()]}
    except Exception as exc:  # a step that timed out or broke: counted, the others go on
        errors.append(f"{who}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}")
        if os.environ.get("LOAD_SHOTS"):  # a folder: what the failing page showed
            await page.set_viewport_size({"width": 1300, "height": 2400})
            await page.screenshot(path=str(Path(os.environ["LOAD_SHOTS"]) / f"{who}.png"))
        if trains:
            await ready.abort()  # the others must not wait for a trainer that is gone
    finally:
        await ctx.close()
    out[who] = rec


async def classroom(base: str, sessions: int, trainers: int, timeout: float, first: int = 0) -> list[dict]:
    from playwright.async_api import async_playwright
    out: dict[str, dict] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ready = asyncio.Barrier(max(1, trainers))
            await asyncio.gather(*(student(browser, base, first + i, i < trainers, ready, timeout, out)
                                   for i in range(sessions)))
        finally:
            await browser.close()
    return [out[k] for k in sorted(out)]


def run(sessions: int = 4, trainers: int = 2, sample: bool = False, timeout: float = 240,
        linger: float = 0, deadline: float = 1200) -> dict:
    env = {"MNIST_DATA_DIR": None, "MNIST_LAB_CACHE": tempfile.mkdtemp()} if sample else {}
    runs_dir = Path(tempfile.mkdtemp()) / "runs"
    t_start = time.time()
    with streamlit_process(runs_dir, env=env) as (base, proc):
        rss_start = rss_mb(proc.pid)
        # the baseline: one session alone, after a first one has warmed the server (imports, data, demo model)
        warm = asyncio.run(asyncio.wait_for(classroom(base, 1, 0, timeout, first=100), deadline))
        alone = warm + asyncio.run(asyncio.wait_for(classroom(base, 1, 0, timeout, first=101), deadline))
        rss_warm = rss_mb(proc.pid)
        t0 = time.time()
        recs = asyncio.run(asyncio.wait_for(classroom(base, sessions, trainers, timeout), deadline))
        wall = time.time() - t0
        rss_after = rss_mb(proc.pid)
        rss_linger = None
        if linger:
            time.sleep(linger)
            rss_linger = rss_mb(proc.pid)
        listed = {r.display_name: r.summary.get("status") for r in RunStore(runs_dir).list()}
        server_alive = proc.poll() is None

    errors = [e for r in alone + recs for e in r["errors"]]
    times = [r["prediction_s"] for r in recs if "prediction_s" in r]
    solo = alone[-1].get("prediction_s")
    own_only = all(r.get("run", {}).get("headings") == ([f"Run: {r['session']}"] if r["trains"] else [])
                   for r in recs)
    trainer_names = [r["session"] for r in recs if r["trains"]]
    return {
        "sessions": sessions, "trainers": trainers, "data": "sample" if sample else "full MNIST",
        "wall_s": round(wall, 1),
        "prediction_s": {"p50": round(statistics.median(times), 3) if times else None,
                         "max": round(max(times), 3) if times else None,
                         "alone": round(solo, 3) if solo else None,
                         "first_visitor": round(alone[0]["prediction_s"], 3) if "prediction_s" in alone[0] else None,
                         "ratio_p50_vs_alone": round(statistics.median(times) / solo, 2) if times and solo else None},
        "predictions": sorted({r.get("shown", "-") for r in recs}),
        "errors": errors,
        "rss_mb": {"start": round(rss_start), "after_two_alone": round(rss_warm), "after_class": round(rss_after),
                   **({"after_linger": round(rss_linger), "linger_s": linger} if linger else {})},
        "own_run_only": own_only,
        "runs_listed": {n: listed.get(n) for n in trainer_names},
        "all_runs_finished_and_listed": all(listed.get(n) == "finished" for n in trainer_names),
        "left_running": sum(s in ("running", "queued") for s in listed.values()),
        "server_alive": server_alive,
        "total_s": round(time.time() - t_start, 1),
    }


# --- class mode: a teacher, a class that joins with the code, a live poll, Reveal ------------------------
KEY = "load-teacher-key"
LESSON_RADIO = "a lesson from the library"  # the board's first shipped lesson, its first step
CHOICES = ("raw scores", "probabilities squashed into 0-1", "the labels")
ANSWERED = re.compile(r"(\d+) of (\d+) answered")


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of ``values``, rounded; None when there are none."""
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))], 2)


async def teacher_starts(page, base: str, timeout: float, errors: list) -> str:
    """The teacher's board: a class started, the lesson's first step asked. Returns the class code."""
    await visit(page, f"{base}/board?teacher={KEY}", "📋 Board", timeout, errors, "teacher")
    await page.get_by_label("Title (optional)", exact=True).fill("Load class")
    await page.get_by_role("button", name="Start a class").first.click()
    code_box = page.locator('[data-testid="bd-code"]')
    await code_box.wait_for()
    code = (await code_box.inner_text()).strip()
    await idle(page, timeout)
    await page.get_by_text(LESSON_RADIO).first.click()
    await idle(page, timeout)
    await page.get_by_role("button", name="Ask the class").first.click()
    await page.get_by_text(ANSWERED).first.wait_for()
    return code


async def watch_board(page, seen: dict, stop: asyncio.Event):
    """Note when the board first shows each count of answers (read every 0.2 s, no reload)."""
    while not stop.is_set():
        try:
            texts = await page.get_by_text(ANSWERED).all_inner_texts()
        except Exception:  # noqa: BLE001 - the fragment redrew under us: read again
            texts = []
        now = time.time()
        for t in texts:
            m = ANSWERED.search(t)
            if m:
                seen.setdefault(int(m.group(1)), now)
        await asyncio.sleep(0.2)


async def class_student(browser, base: str, code: str, i: int, trains: bool, ready, timeout: float,
                        shared: dict, out: dict):
    nick = f"s{i:02d}"
    guess = CHOICES[i % len(CHOICES)]
    errors: list[str] = []
    rec = {"nickname": nick, "trains": trains, "guess": guess, "errors": errors}
    out[nick] = rec
    ctx = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await ctx.new_page()
    page.set_default_timeout(timeout * 1000)
    try:
        await asyncio.sleep(i * shared["ramp"])  # students arrive over a few seconds, not in one instant
        await visit(page, f"{base}/classroom?code={code}", "🏫 Class", timeout, errors, nick)
        await page.get_by_label("Nickname", exact=True).fill(nick)
        await page.get_by_role("button", name="Join the class").first.click()
        await page.get_by_text(f"You are {nick} in this class.").first.wait_for()
        rec["joined"] = True
        await page.get_by_text(shared["question"]).first.wait_for()
        await page.locator('[data-testid="stRadio"]').get_by_text(guess, exact=True).click()
        await idle(page, timeout)
        await page.get_by_role("button", name="Commit my guess").first.click()
        rec["committed_at"] = time.time()
        await page.get_by_text(f"Your guess: {guess}").first.wait_for()
        rec["prediction_s"], rec["shown"] = await draw_seven(page, base, timeout, errors, nick)
        if trains:
            rec["run"] = await start_run(page, base, nick, ready, timeout, errors)
        await visit(page, f"{base}/classroom", "🏫 Class", timeout, errors, nick)
        await page.get_by_text(f"Your guess: {guess}").first.wait_for()  # the guess is kept
        shared["back"] += 1
        await asyncio.wait_for(shared["revealed"].wait(), timeout * 4)
        await page.get_by_text("Answer: " + CHOICES[1]).first.wait_for()  # no reload: the page's own refresh
        rec["answer_seen_at"] = time.time()
        n = await page.locator('[data-testid="stException"]').count()
        if n:
            errors.append(f"{nick}: exception on the Class page")
    except Exception as exc:  # a step that timed out or broke: counted, the others go on
        errors.append(f"{nick}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}")
        if os.environ.get("LOAD_SHOTS"):
            await page.screenshot(path=str(Path(os.environ["LOAD_SHOTS"]) / f"{nick}.png"))
        if trains and "run" not in rec:
            await ready.abort()  # the others must not wait for a trainer that is gone
        shared["failed"] += 1
    finally:
        await ctx.close()


async def start_run(page, base: str, name: str, ready: asyncio.Barrier, timeout: float, errors: list) -> str:
    """Start a short run on Training (the trainers press Start together) and see it begin; the run trains on
    in its worker while the student goes back to the Class page (counted in the run store afterwards)."""
    await press_start(page, base, name, ready, timeout, errors)
    await page.get_by_role("heading", name=f"Run: {name}").first.wait_for()
    return name


def wait_runs(runs_dir: Path, started: int, timeout: float):
    """Until the run store holds ``started`` runs and none is queued or running (bounded)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = RunStore(runs_dir).list(damaged=True)
        if len(runs) >= started and not any(r.summary.get("status") in ("running", "queued") for r in runs):
            return
        time.sleep(1)


async def class_session(base: str, size: int, trainers: int, timeout: float, ramp: float) -> dict:
    from playwright.async_api import async_playwright

    from mnist_core.experiments.lessons import library, load_shipped
    question = load_shipped(library()[0].id).steps[0].prompt[:60]
    out: dict[str, dict] = {}
    teacher_errors: list[str] = []
    shared = {"back": 0, "failed": 0, "question": question, "ramp": ramp, "revealed": asyncio.Event()}
    seen: dict[int, float] = {}
    result: dict = {"teacher_errors": teacher_errors}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            tctx = await browser.new_context(viewport={"width": 1400, "height": 1200})
            teacher = await tctx.new_page()
            teacher.set_default_timeout(timeout * 1000)
            code = await teacher_starts(teacher, base, timeout, teacher_errors)
            result["code"] = code
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_board(teacher, seen, stop))
            ready = asyncio.Barrier(max(1, trainers))
            t0 = time.time()
            students = [asyncio.create_task(class_student(browser, base, code, i, i < trainers, ready, timeout,
                                                          shared, out)) for i in range(size)]
            deadline = time.time() + timeout * 4
            while shared["back"] + shared["failed"] < size and time.time() < deadline:
                await asyncio.sleep(0.5)
            await asyncio.sleep(LIVE_WAIT)  # the board's last count of answers
            stop.set()
            await watcher
            result["class_before_reveal_s"] = round(time.time() - t0, 1)
            await teacher.get_by_role("button", name="Reveal").first.click()
            result["revealed_at"] = time.time()
            shared["revealed"].set()
            await asyncio.gather(*students)
            result["wall_s"] = round(time.time() - t0, 1)
            n = await teacher.locator('[data-testid="stException"]').count()
            if n:
                teacher_errors.append("teacher: exception on the board")
            await tctx.close()
        except Exception as exc:
            teacher_errors.append(f"teacher: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:160]}")
        finally:
            await browser.close()
    result["students"] = [out[k] for k in sorted(out)]
    result["board_counts_seen"] = seen
    return result


LIVE_WAIT = 5.0  # seconds: more than the board's poll interval (2 s), so the last guess is counted


def class_counts(code: str, runs_dir: Path) -> dict:
    """What the class database and the run store hold afterwards, read as the teacher."""
    from mnist_core.classroom import classes, identity, ownership, polls
    teacher = identity.teacher_actor("vbenchmark")
    room = next(r for r in classes.open_classes(teacher) if r.code == code)
    members = classes.members(teacher, room.id)
    poll = polls.current_poll(teacher, room.id)
    tally = polls.tally(teacher, poll.id)
    runs = RunStore(runs_dir).list(damaged=True)
    owned = ownership.owners([r.run_id for r in runs])
    nick = {m.visitor_id: m.nickname for m in members}
    class_runs = {nick.get(owned[r.run_id].owner_id, "?"): r.summary.get("status") for r in runs
                  if r.run_id in owned and owned[r.run_id].class_id == room.id}
    return {"members": len(members), "answers": sum(tally.counts.values()), "counts": dict(tally.counts),
            "poll_state": poll.state, "class_runs": class_runs,
            "left_running": sum(r.summary.get("status") in ("running", "queued") for r in runs)}


def renice_browsers(server_pid: int, nice: int, stop) -> None:
    """Keep every thread of this process's children, but the server's, at ``nice`` until ``stop`` is set.

    Chromium sets its own threads' priorities (its compositor and GPU threads to -8, its renderers back
    to 0), so a niceness inherited at start does not hold; on Linux a niceness is per thread, so each
    thread of each browser process is set again every second."""
    while not stop.wait(1.0):
        parents: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        todo = [c for c in parents.get(os.getpid(), []) if c != server_pid]
        while todo:
            pid = todo.pop()
            todo += parents.get(pid, [])
            for task in Path(f"/proc/{pid}/task").glob("[0-9]*"):
                with contextlib.suppress(OSError):  # a thread that has ended
                    os.setpriority(os.PRIO_PROCESS, int(task.name), nice)


def class_run(size: int, trainers: int, sample: bool = False, timeout: float = 300, ramp: float = 0.5,
              deadline: float | None = None, browser_nice: int = 0) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="class-load-"))
    runs_dir = folder / "runs"
    url = f"sqlite:///{folder / 'classroom.sqlite'}"
    os.environ["MNIST_LAB_DATABASE_URL"] = url  # this process reads the same database afterwards
    env = {"MNIST_LAB_TEACHER_KEY": KEY, "MNIST_LAB_DATABASE_URL": url}
    if sample:
        env |= {"MNIST_DATA_DIR": None, "MNIST_LAB_CACHE": tempfile.mkdtemp()}
    t_start = time.time()
    # past the class's own bound (arrivals, then four steps' timeouts for the last to come back): the class
    # gives up on a student who is not back first, presses Reveal and reports what it saw
    deadline = deadline or size * ramp + timeout * 6 + 300
    with streamlit_process(runs_dir, env=env) as (base, proc):
        rss_start = rss_mb(proc.pid)
        stop = threading.Event()
        if browser_nice:  # the browsers this process starts from now on (the server started above)
            threading.Thread(target=renice_browsers, args=(proc.pid, browser_nice, stop), daemon=True).start()
        cpu0, busy0, t0 = cpu_s(proc.pid), machine_busy_s(), time.time()
        try:
            res = asyncio.run(asyncio.wait_for(class_session(base, size, trainers, timeout, ramp), deadline))
        finally:
            stop.set()
        cpu1, busy1, t1 = cpu_s(proc.pid), machine_busy_s(), time.time()
        rss_after = rss_mb(proc.pid)
        wait_runs(runs_dir, sum(bool(r.get("run")) for r in res["students"]), timeout)
        counts = class_counts(res["code"], runs_dir) if "code" in res else {}
        server_alive = proc.poll() is None
    recs = res["students"]
    commits = sorted(r["committed_at"] for r in recs if "committed_at" in r)
    seen = res["board_counts_seen"]
    to_board = []
    for j, c in enumerate(commits, start=1):  # the j-th guess is on the board once it counts j or more
        shown = [t for k, t in seen.items() if k >= j]
        if shown:
            to_board.append(min(shown) - c)
    revealed = res.get("revealed_at")
    to_students = [r["answer_seen_at"] - revealed for r in recs if revealed and "answer_seen_at" in r]
    errors = res["teacher_errors"] + [e for r in recs for e in r["errors"]]
    early = [r["nickname"] for r in recs if revealed and r.get("answer_seen_at", revealed) < revealed]
    joined = sum(bool(r.get("joined")) for r in recs)
    committed = len(commits)
    trained = sorted(r["nickname"] for r in recs if r.get("run"))  # started on the page
    runs = counts.get("class_runs", {})
    preds = [r["prediction_s"] for r in recs if "prediction_s" in r]
    return {
        "class_size": size, "trainers": trainers, "data": "sample" if sample else "full MNIST", "ramp_s": ramp,
        "browser_nice": browser_nice,
        "guess_to_board_s": {"p50": pct(to_board, 0.5), "p95": pct(to_board, 0.95),
                             "max": pct(to_board, 1.0), "n": len(to_board)},
        "reveal_to_student_s": {"p50": pct(to_students, 0.5), "p95": pct(to_students, 0.95),
                                "max": pct(to_students, 1.0), "n": len(to_students)},
        "prediction_on_draw_s": {"p50": pct(preds, 0.5), "max": pct(preds, 1.0), "n": len(preds)},
        "errors": errors, "answer_shown_before_reveal": early,
        "rss_mb": {"start": round(rss_start), "after_class": round(rss_after)},
        # who had the CPU during the class: the server (its training workers included once they ended) against
        # the whole machine, where the browsers that play the class (and anything else running) live too
        "cpu_s": {"server": round(cpu1 - cpu0, 1), "machine": round(busy1 - busy0, 1),
                  "machine_capacity": round((t1 - t0) * (os.cpu_count() or 1), 1)},
        "did": {"joined": joined, "committed": committed, "started_a_run": len(trained)},
        "stored": counts,
        "nothing_lost": bool(counts) and counts["members"] == joined == size and counts["answers"] == committed == size
        and sorted(n for n, s in runs.items() if s == "finished") == trained and len(trained) == trainers
        and counts["left_running"] == 0,
        "server_alive": server_alive,
        "class_before_reveal_s": res.get("class_before_reveal_s"), "wall_s": res.get("wall_s"),
        "total_s": round(time.time() - t_start, 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--trainers", type=int, default=3)
    ap.add_argument("--sample", action="store_true", help="serve the embedded sample, not the full MNIST")
    ap.add_argument("--timeout", type=float, default=240, help="seconds any one step may take")
    ap.add_argument("--linger", type=float, default=0, help="seconds to wait after the class, then read RSS again")
    ap.add_argument("--class-size", type=int, default=0,
                    help="class mode: a teacher and this many students who join, guess, draw and train")
    ap.add_argument("--ramp", type=float, default=0.5, help="class mode: seconds between two students' arrivals")
    ap.add_argument("--browser-nice", type=int, default=0, choices=range(0, 20), metavar="0-19",
                    help="class mode: the browsers' niceness (the server keeps its own)")
    a = ap.parse_args(argv)
    if a.class_size:
        if not 1 <= a.class_size <= 64 or not 0 <= a.trainers <= a.class_size:
            ap.error("class size must be 1-64 and trainers between 0 and the class size")
        report = class_run(a.class_size, a.trainers, a.sample, a.timeout, a.ramp, browser_nice=a.browser_nice)
        print(json.dumps(report, indent=2))
        return 0 if not report["errors"] and report["nothing_lost"] else 1
    if not 1 <= a.sessions <= 64 or not 0 <= a.trainers <= a.sessions:
        ap.error("sessions must be 1-64 and trainers between 0 and sessions")
    report = run(a.sessions, a.trainers, a.sample, a.timeout, a.linger)
    print(json.dumps(report, indent=2))
    return 0 if not report["errors"] and report["all_runs_finished_and_listed"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""A class in real browsers: the teacher and two students, each a browser context of their own
(their own cookies, as three laptops would be), on one real server.

The teacher opens the printed link (``?teacher=KEY``), starts a class and asks a question; both
students join with the code and a nickname, commit a guess, see the guess reach the board, and see
Reveal reach them. Then Bea, offered Ana's run on Training's "Rename or delete a run", is refused its
delete in one line and the run stays; the teacher deletes it and it is gone. The board's screenshot
goes to docs/ with ``MNIST_LAB_UPDATE_DOCS=1``.
"""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import need

from .harness import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_process, wait_idle

KEY = "e2e-teacher-key"
DOCS = ROOT / "docs" if os.environ.get("MNIST_LAB_UPDATE_DOCS") else ROOT / ".cache" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("class") / "runs"
    with streamlit_process(runs, env={"MNIST_LAB_TEACHER_KEY": KEY, "MNIST_LAB_DATABASE_URL": None}) as (url, _):
        yield url, runs


# (student, preset, test accuracy, training seconds): finished runs of the class, for the board's table,
# leaderboard and Pareto front (made on disk as the run store lays them out; training them would take minutes)
CLASS_RUNS = [("Ana", "seed004", 0.962, 41.0), ("Ana", "lenet5", 0.981, 63.5), ("Bea", "seed000", 0.902, 12.2),
              ("Bea", "fast", 0.978, 88.1), ("Bea", "best", 0.991, 240.3)]


def _lay_class_runs(runs: Path, monkeypatch):
    """The students' finished runs in the server's run folder, each recorded as theirs in its class database."""
    from mnist_core.classroom import classes, identity, ownership
    from mnist_core.presets import PRESETS
    from mnist_core.runs import atomic_json
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", f"sqlite:///{runs.resolve().parent / 'classroom.sqlite'}")
    teacher = identity.teacher_actor("vteacher")
    room = classes.open_classes(teacher)[0]
    who = {m.nickname: m.visitor_id for m in classes.members(teacher, room.id)}
    config = (ROOT / "tests" / "fixtures" / "wave2_run" / "config.json").read_text()
    for k, (nick, preset, acc, secs) in enumerate(CLASS_RUNS):
        run_id = f"20260101-0900{k:02d}-{preset}-{k:04d}"
        path = runs / run_id
        path.mkdir(parents=True)
        atomic_json(path / "spec.json", PRESETS[preset].spec().to_dict())
        (path / "config.json").write_text(config)
        atomic_json(path / "summary.json", {"name": f"{preset} run", "preset": preset, "status": "finished",
                                            "created": time.time(), "finished": time.time(), "dataset": "mnist",
                                            "test_accuracy": acc, "train_seconds": secs})
        (path / "metrics.jsonl").touch()
        ownership.record_run(run_id, identity.Actor(who[nick], False, room.id, nick))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    return ctx, pg


def _heading(page, title):
    page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)  # a first visit on a loaded machine
    wait_idle(page)


def _type(page, label, text):
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def _wait_text(page, text, timeout=30.0) -> float:
    """Seconds until ``text`` shows on ``page`` (no reload: the page's own live refresh brings it)."""
    t0 = time.time()
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)
    return time.time() - t0


def _no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()


def _delete_run(page, server, run_id, name):
    """On Training's "Rename or delete a run": choose ``run_id``, tick the box, press Delete."""
    page.goto(f"{server}/training", wait_until="commit")
    _heading(page, "📈 Training")
    page.get_by_text("Rename or delete a run").first.click()
    wait_idle(page)
    box = page.locator(".st-key-tr_edit_run input[role='combobox']").first
    option = page.get_by_role("option", name=f"{name} ({run_id})", exact=True)  # offered: classmates view it
    for _ in range(4):  # a rerun that lands just after the click redraws the select box and closes its list
        box.click()
        try:
            option.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    option.click()
    wait_idle(page)
    page.get_by_text("Yes, delete this run for good").first.click()
    wait_idle(page)
    page.locator(".st-key-tr_delete button").first.click()
    wait_idle(page)


def test_two_students_join_guess_and_see_the_reveal(server, browser, monkeypatch):
    server, runs = server
    contexts = []
    try:
        tctx, teacher = _page(browser)
        contexts.append(tctx)
        teacher.goto(f"{server}/board?teacher={KEY}", wait_until="commit")
        _heading(teacher, "📋 Board")
        assert "teacher=" not in teacher.url and KEY not in teacher.url  # dropped from the address bar
        assert KEY not in str([c["value"] for c in tctx.cookies()])  # the cookie holds a proof, not the key
        teacher.get_by_label("Title (optional)", exact=True).fill("Period 3")  # in a form: Enter would submit it
        teacher.get_by_role("button", name="Start a class").first.click()
        code_box = teacher.locator('[data-testid="bd-code"]')
        code_box.wait_for()
        code = code_box.inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code), code
        wait_idle(teacher)
        teacher.locator('[data-testid="stImage"] img').first.wait_for()  # the QR code

        teacher.goto(f"{server}/board", wait_until="commit")  # a reload without the key: the cookie keeps the teacher
        _heading(teacher, "📋 Board")

        students = {}
        for nick in ("Ana", "Bea"):
            ctx, pg = _page(browser)
            contexts.append(ctx)
            pg.goto(f"{server}/classroom?code={code}", wait_until="commit")  # the join link of the QR code
            _heading(pg, "🏫 Class")
            assert pg.locator('[data-testid="stSidebarNav"]').get_by_text("Board").count() == 0
            pg.get_by_label("Nickname", exact=True).fill(nick)
            pg.get_by_role("button", name="Join the class").first.click()
            _wait_text(pg, f"You are {nick} in this class.")
            students[nick] = pg
        _lay_class_runs(runs, monkeypatch)
        teacher.get_by_text("best run").first.wait_for(state="attached")  # the runs reach the board's table
        # (a table's cells are drawn on a canvas; its text is in a hidden grid for screen readers)
        teacher.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=120_000)  # accuracy vs
        # multiply-adds with the front drawn (below the fold: attached, not necessarily painted yet)
        ana = students["Ana"]
        ana.reload(wait_until="commit")  # a reload keeps the visitor, so the class
        _wait_text(ana, "You are Ana in this class.")
        bea = students["Bea"]
        bea.goto(f"{server}/board", wait_until="commit")  # a student who types the board's address
        bea.get_by_role("heading", name="🗂️ Dataset").first.wait_for()  # gets the first page, not the board
        assert bea.get_by_role("heading", name="📋 Board").count() == 0
        bea.goto(f"{server}/classroom", wait_until="commit")
        _wait_text(bea, "You are Bea in this class.")

        teacher.get_by_text("a question of my own").click()
        wait_idle(teacher)
        _type(teacher, "Question", "What will the network answer?")
        _type(teacher, "Choices, separated by commas (empty: students type their answer)", "1, 7")
        _type(teacher, "Answer (shown on Reveal)", "7")
        teacher.get_by_role("button", name="Ask the class").first.click()
        wait_idle(teacher)

        for nick, guess in (("Ana", "7"), ("Bea", "1")):
            pg = students[nick]
            _wait_text(pg, "What will the network answer?")
            pg.locator('[data-testid="stRadio"]').get_by_text(guess, exact=True).click()
            wait_idle(pg)
            pg.get_by_role("button", name="Commit my guess").first.click()
            _wait_text(pg, f"Your guess: {guess}")
        to_board = _wait_text(teacher, "2 of 2 answered.", timeout=20)
        _no_exception(teacher)

        # .first: under load a fragment's next run may draw while the last one's elements are still shown
        teacher.get_by_role("button", name="Reveal").first.click()
        t0 = time.time()
        for pg in students.values():
            pg.get_by_text("Answer: 7").first.wait_for(timeout=20_000)
        to_students = time.time() - t0
        print(f"guesses reached the board within {to_board:.1f} s; Reveal reached both students in "
              f"{to_students:.1f} s")
        assert to_students < 15  # the Class page polls every 3 s
        for pg in students.values():
            _no_exception(pg)

        DOCS.mkdir(parents=True, exist_ok=True)
        teacher.set_viewport_size({"width": 1400, "height": 2600})
        teacher.reload(wait_until="commit")  # from the top (the cookie keeps the teacher)
        _heading(teacher, "📋 Board")
        teacher.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=120_000)
        wait_idle(teacher)
        deadline = time.time() + 20  # a fragment that is rerunning fades its elements: shoot between runs
        while teacher.locator('[data-stale="true"]').count() and time.time() < deadline:
            time.sleep(0.1)
        teacher.screenshot(path=str(DOCS / "board.png"))

        # whose run is whose: Bea views Ana's run but may not delete it; the teacher may
        from mnist_core.runs import RunStore
        ana_run = f"20260101-090000-{CLASS_RUNS[0][1]}-0000"  # Ana's first run, as _lay_class_runs named it
        _delete_run(bea, server, ana_run, f"{CLASS_RUNS[0][1]} run")
        bea.get_by_text("only its owner or the teacher may delete this run").first.wait_for()
        assert ana_run in {r.run_id for r in RunStore(runs).list()}
        assert (runs / ana_run / "summary.json").is_file()
        _no_exception(bea)
        _delete_run(teacher, server, ana_run, f"{CLASS_RUNS[0][1]} run")
        deadline = time.time() + 30
        while (runs / ana_run).exists() and time.time() < deadline:
            time.sleep(0.2)
        assert not (runs / ana_run).exists()
        assert ana_run not in {r.run_id for r in RunStore(runs).list(damaged=True)}
        wait_idle(teacher)
        assert teacher.get_by_text("only its owner or the teacher").count() == 0
        _no_exception(teacher)
    except Exception:
        for k, ctx in enumerate(contexts):  # what each browser showed, for the failure's reader
            for pg in ctx.pages:
                pg.screenshot(path=str(ROOT / ".cache" / f"class-browser-failure-{k}.png"))
        raise
    finally:
        for ctx in contexts:
            ctx.close()

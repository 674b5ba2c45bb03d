"""Our handwriting in real browsers: two students in one class each draw three digits with the mouse
and keep them (Contribute on the Draw page); the teacher then has six, each labelled with the digit
its writer was asked for, by two writers.

Each browser's own visitor (its cookie identity, read back from the database) joins the class as the
Class page would; the Draw page puts a member's digits in their class. The teacher's six are checked
where the rule lives (``drawings.class_drawings`` as the teacher) and in the teacher's review with
the class picked, rendered by AppTest for the same database.
"""

import re
import time
from pathlib import Path

import pytest

from tests.conftest import need

from .harness import CHROMIUM, CHROMIUM_ARGS, streamlit_process, wait_idle
from .test_browser import stroke

ONE = [[(140, 40), (138, 140), (136, 240)]]
SEVEN = [[(70, 50), (210, 50), (180, 110), (150, 175), (125, 245)]]


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'classroom.sqlite'}"
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", url)
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "a-teacher-key-for-the-test")
    return url


def new_visitors(known: set[str]) -> list[str]:
    from sqlalchemy import select

    from mnist_core.classroom import db
    from mnist_core.classroom.models import Visitor
    with db.session() as s:
        return [v for v in s.scalars(select(Visitor.id).order_by(Visitor.created)).all() if v not in known]


def prompt_of(page) -> int:
    text = page.locator("h3", has_text="Draw a").first.inner_text()
    return int(re.search(r"Draw a (\d)", text).group(1))


def draw(page, paths, tries: int = 3):
    """Strokes on the (fresh) canvas until the page reads them: a canvas still mounting drops a stroke."""
    for _ in range(tries):
        wait_idle(page)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for()
        time.sleep(1.0)  # the canvas of a new key mounts after its frame appears
        box = canvas.bounding_box()
        if box is None:
            continue
        for path in paths:
            stroke(page, box, path)
        try:
            page.get_by_text("prediction:").first.wait_for(timeout=30_000)
            wait_idle(page)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: stroke again
            page.screenshot(path="/tmp/contribute_draw.png")
    raise AssertionError("the page never read the strokes")


def test_two_students_keep_three_digits_each_and_the_teacher_sees_six(class_db, tmp_path):
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    from playwright.sync_api import sync_playwright

    from mnist_core.classroom import classes, drawings, identity
    from mnist_core.classroom.identity import Actor

    teacher = identity.teacher_actor(identity.new_visitor()[0])
    room = classes.start_class(teacher, "Period 3")
    known = {teacher.visitor_id}
    prompts: dict[str, list[int]] = {}
    with streamlit_process(tmp_path / "runs", timeout=120, env={"MNIST_LAB_DATABASE_URL": class_db}) as (url, _), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for nick in ("Ana", "Bea"):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
            page = ctx.new_page()
            page.set_default_timeout(90_000)
            page.goto(f"{url}/draw")
            page.get_by_role("heading", name="Draw a digit").first.wait_for()
            wait_idle(page)
            page.get_by_text("Contribute to our digits").first.click()
            page.get_by_text("Only the 28x28 digit, its label").first.wait_for()
            wait_idle(page)
            (vid,) = new_visitors(known)  # this browser's pseudonymous visitor
            known.add(vid)
            classes.join(Actor(vid), room.code, nick)  # what the Class page does
            page.get_by_role("button", name="Skip: ask for another digit").click()  # a rerun: now in the class
            page.get_by_text(f"your class's set, as {nick}").first.wait_for()
            wait_idle(page)
            for k in range(3):
                prompt_of(page)  # the prompt is shown above the canvas
                draw(page, ONE if k % 2 else SEVEN)  # kept whatever the model reads: the label is the prompt
                keep = page.get_by_role("button", name=re.compile(r"Keep this as a \d"))
                deadline = time.time() + 60
                while keep.first.is_disabled() and time.time() < deadline:
                    time.sleep(0.3)
                asked = int(re.search(r"Keep this as a (\d)", keep.first.inner_text()).group(1))
                assert asked == prompt_of(page)  # the button keeps the digit asked for
                keep.first.click()
                try:
                    page.get_by_text(f"Kept your {asked}").first.wait_for()
                except Exception:
                    page.screenshot(path="/tmp/contribute_keep.png", full_page=True)
                    raise
                wait_idle(page)
                prompts.setdefault(vid, []).append(asked)
            page.get_by_text("My digits (3)").first.wait_for()
            assert page.locator('[data-testid="stException"]').count() == 0
            ctx.close()
        browser.close()

    in_room = Actor(teacher.visitor_id, True, room.id)
    seen = drawings.class_drawings(in_room, room.id)
    assert len(seen) == 6
    assert {d.nickname for d in seen} == {"Ana", "Bea"}
    for vid, asked in prompts.items():
        assert [d.label for d in seen if d.visitor_id == vid] == asked  # each digit labelled with its prompt
        assert len(set(asked)) == 3  # prompts are balanced: three different digits
    assert all(d.pixels.dtype.name == "uint8" and d.pixels.shape == (28, 28) and d.pixels.max() > 0 for d in seen)

    # the teacher's review of the same database shows the six, two writers
    from streamlit.testing.v1 import AppTest

    from .harness import ROOT
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("app_pages/draw.py")
    # the teacher as the app makes them (in no class: ui/identity reads class membership again and a teacher is
    # no member), then the class picked in the review's "Set" box, as a teacher does
    at.session_state["actor"] = Actor(teacher.visitor_id, True)
    at.run()
    assert not at.exception
    at.selectbox(key="draw_review_class").set_value(room.id).run()
    assert not at.exception
    shown = "\n".join(str(c.value) for c in at.caption)
    assert "6 digits · 2 writers" in shown

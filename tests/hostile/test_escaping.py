"""Hostile text from a link, a run's name or a lesson file, driven through the pages that show it:
what they show is escaped (Markdown) or HTML-escaped (charts), and cut to a sane length."""

import ast
import json
import re

import pytest

from mnist_core.experiments.lessons import FORMAT
from mnist_core.experiments.views import from_query
from mnist_core.safe_text import plain
from mnist_core.training.events import Step
from tests.pages.conftest import app, no_exception, texts  # noqa: F401  (the app fixture)

SESSION = "**Session expired** [sign in again](https:evil.example) ![](https:127.0.0.1:9)"
LOCKED = ":red[**Your account is locked**]"
ANCHOR = '<a href="https://evil.example/">CLICK: answers</a>'
SPAN = '<span style="font-size:80px;color:red">HACKED</span>'
CORPUS = [SESSION, LOCKED, ANCHOR, SPAN, "![](http://host/track.png)", "[x](data:text/html,<script>1</script>)",
          "$$\\int$$ `x` ~~y~~ www.evil.example a@evil.example", "# big\n> quote\n- list"]
MARKS = set("\\`*_[]()!<>&$~|#@")


def unescaped(md: str) -> str:
    """The Markdown marks in ``md`` that no backslash escapes."""
    return "".join(c for c in re.sub(r"\\.", "", md) if c in MARKS)


def shown(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


@pytest.mark.parametrize("value", CORPUS)
@pytest.mark.parametrize("view, field", [("inside", "layer"), ("timetravel", "k"), ("experiments", "kind")])
def test_a_bad_link_value_is_cut_and_shown_as_plain_text(view, field, value):
    _, notes = from_query(view, {field: value})
    assert len(notes) == 1
    quoted = re.search(r"=(.*) is not", notes[0]).group(1)
    cut = ast.literal_eval(quoted)  # the value, as repr() wrote it
    assert len(cut) <= 40 and (cut.endswith("…") if len(value) > 40 else True), cut
    md = plain(notes[0])
    assert unescaped(md) == "", md
    assert shown(md) == notes[0]  # escaped, not changed: the reader sees what the link said


def test_inside_link_with_a_hostile_model_shows_it_escaped_and_cut(app):  # noqa: F811
    at = app("inside")
    at.query_params.update({"model": SESSION, "layer": "<img src=x>"})
    no_exception(at.run(timeout=120))
    notes = [i.value for i in at.info if "The link's" in i.value]
    assert len(notes) == 2, [i.value for i in at.info]
    for note in notes:
        assert unescaped(note) == "", note  # no bold, no link, no image: every mark escaped
        assert len(note) < 200
    model = next(n for n in notes if "model" in n)
    assert "127.0.0.1" not in model and "…" in model  # cut at 40 characters: the image is not even quoted
    assert shown(model).startswith("The link's model '**Session expired** [sign in again](h")
    assert at.session_state["active_model"] == "demo"


def test_timetravel_link_with_a_directive_shows_no_colour(app):  # noqa: F811
    at = app("timetravel")
    at.query_params.update({"k": LOCKED})
    no_exception(at.run(timeout=120))
    note = next(i.value for i in at.info if "k=" in i.value)
    assert "\\:red\\[" in note and unescaped(note) == "", note
    assert ":red[" not in note  # the escapes break the directive


def lesson_file(title: str, prompt: str, answer: str) -> bytes:
    return json.dumps({"format": FORMAT, "title": title, "steps": [
        {"view": "experiments", "state": {"kind": "rotate"}, "prompt": prompt, "answer": answer}]}).encode()


def test_a_hostile_lesson_file_shows_text_and_emphasis_only(app):  # noqa: F811
    at = no_exception(app("lesson").run())
    prompt = ("Look **closely** at the *seven* ![](http://host/track.png) and "
              "[open the answers](https://evil.example/) " + SPAN + " " + LOCKED +
              " ![x](data:image/png;base64,AAAA) <img src=http://host/x.png>")
    answer = "It reads a 1. [Sign in](https:evil.example) " + ANCHOR
    at.file_uploader(key="ls_upload").upload("lesson.json", lesson_file(SESSION, prompt, answer), "application/json")
    no_exception(at.run())
    step = next(m.value for m in at.markdown if m.value.startswith("**Step 1 of 1.**"))
    body = step[len("**Step 1 of 1.** "):]
    assert set(unescaped(body)) <= {"*", "_"}, body  # emphasis is all that renders
    assert "**closely**" in body and "*seven*" in body
    for gone in ("track.png", "evil.example", "data:", "<img", "<span", "font-size", ":red"):
        assert gone not in body, (gone, body)
    assert "open the answers" in body and "HACKED" in body and "Your account is locked" in body
    title = next(h.value for h in at.subheader if "Session expired" in h.value)
    assert unescaped(title) == "", title
    at.text_input(key="ls_guess_0").set_value("**my** [guess](http://evil.example)").run()
    at.button(key="ls_commit_0").click().run()
    no_exception(at)
    guess = next(c.value for c in at.caption if c.value.startswith("Your guess:"))
    assert unescaped(guess) == "", guess
    shown_answer = next(s.value for s in at.success)
    assert shown_answer.startswith("Answer: It reads a 1. Sign in ")
    assert "evil.example" not in shown_answer and "<a" not in shown_answer and "CLICK" in shown_answer


def test_a_broken_lesson_file_with_a_hostile_name_is_one_escaped_line(app):  # noqa: F811
    at = no_exception(app("lesson").run())
    at.file_uploader(key="ls_upload").upload("![](http:127.0.0.1:9)[x](https:evil.example).json", b"{nope",
                                             "application/json")
    no_exception(at.run())
    assert len(at.error) == 1
    err = at.error[0].value
    assert "not valid JSON" in err and unescaped(err) == "", err


@pytest.mark.parametrize("name", [ANCHOR, SPAN])
def test_training_overlay_shows_hostile_run_names_escaped(app, name):  # noqa: F811
    import ui.common
    from mnist_core.runs import load_demo
    spec, model = load_demo()
    store = ui.common.store()
    for n in (name, "plain run"):
        run = store.save_edited(n, spec, model, "a test run")
        for s in range(1, 6):
            run.log(Step(step=s, loss=2.0 / s, acc=0.5, lr=0.01, ips=100.0))
    at = no_exception(app("training").run(timeout=120))
    chart = at.get_by_key("tr_overlay_chart")
    assert chart is not None  # the newest runs are overlaid by default
    fig = json.loads(chart.proto.spec)
    names = [t.get("name", "") for t in fig["data"]]
    assert any(n.startswith(name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                            .replace('"', "&#34;")) for n in names), names
    assert not any("<a" in n or "<span" in n for n in names)
    assert "<a" not in chart.proto.spec.replace("\\u003c", "<").replace("<extra>", "")


def test_a_hostile_run_name_in_the_sidebar_and_the_live_view_is_escaped(app, sample):  # noqa: F811
    import ui.common
    from mnist_core.jobs.local import SlotQueue, TrainingJob
    from mnist_core.presets import get
    from mnist_core.training.config import TrainConfig
    job = TrainingJob(get("seed001").spec(), TrainConfig(epochs=1, max_batches=2), sample, name=SESSION,
                      store=ui.common.store(), slots=SlotQueue(1)).start()
    job.join(120)
    at = app()  # AppTest drops the sidebar after switch_page: the default page has it
    at.session_state["job"] = job
    no_exception(at.run())
    last = next(c.value for c in at.sidebar.caption if c.value.startswith("Last run:"))
    name = last[len("Last run: "):last.rindex(" (")]  # then the state, in our own brackets
    assert unescaped(name) == "" and "Session expired" in name, last
    live = app("training")
    live.session_state["job"] = job
    no_exception(live.run(timeout=120))
    header = next(h.value for h in live.subheader if h.value.startswith("Run:"))
    assert unescaped(header) == "" and "Session expired" in header, header

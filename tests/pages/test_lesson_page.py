import pytest

from mnist_core import presets
from mnist_core.experiments.lessons import Lesson, Step
from mnist_core.experiments.views import from_query

from .conftest import no_exception, texts


def lesson_json():
    return Lesson("Turned digits", [
        Step("experiments", from_query("experiments", {"kind": "rotate", "strength": "60"})[0],
             "Will it still read the 7?", "No: it reads another digit."),
        Step("timetravel", from_query("timetravel", {})[0], "When do the kernels start to look like edges?")],
        spec=presets.get("fast").spec().to_dict()).to_json().encode()


def test_open_a_lesson_guess_before_the_answer_and_step_through(app):
    at = no_exception(app("lesson").run())
    assert any("Open a lesson file" in i.value for i in at.info)
    at.session_state["lesson"] = Lesson.from_json(lesson_json())
    at.run()
    no_exception(at)
    assert "Step 1 of 2." in texts(at) and "Will it still read the 7?" in texts(at)
    assert not at.success  # the answer is hidden
    assert at.button(key="ls_commit_0").disabled
    at.text_input(key="ls_guess_0").set_value("a 2").run()
    at.button(key="ls_commit_0").click().run()
    no_exception(at)
    assert "Answer: No: it reads another digit." in [s.value for s in at.success]
    assert "experiments?model=demo" in texts(at) and "kind=rotate&strength=60" in texts(at)
    at.button(key="ls_next").click().run()
    assert "Step 2 of 2." in texts(at)
    at.button(key="ls_spec").click().run()
    assert at.session_state["train_spec"].spec_dict["name"] == "fast"


def test_add_a_step_from_the_current_view(app):
    at = no_exception(app("lesson").run())
    at.text_input(key="ls_prompt").set_value("What now?").run()
    at.button(key="ls_add").click().run()
    no_exception(at)
    assert "Step 1 of 1." in texts(at) and "What now?" in texts(at)
    back = Lesson.from_json(at.session_state["lesson"].to_json())
    assert back.steps[0].view == "experiments"


# --- the shipped lessons -------------------------------------------------------------------------------------

def _shipped_steps():
    from mnist_core.experiments.lessons import library, load_shipped
    seen, out = set(), []
    for info in library("en"):
        for k, s in enumerate(load_shipped(info.id, "en").steps):
            key = (s.view, tuple(sorted(s.state.items())))
            if key not in seen:  # one run per distinct view: the same view twice opens the same way
                seen.add(key)
                out.append(pytest.param(s.view, s.state, id=f"{info.id}-{k + 1}"))
    return out


@pytest.fixture
def small(app, monkeypatch, tmp_path):
    """The app on the embedded 5,000-digit sample: every view of every lesson, quickly."""
    import mnist_core.data
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mnist_core.data, "DEFAULT_CACHE", tmp_path / "no-cache")
    return app


@pytest.mark.parametrize(("view", "state"), _shipped_steps())
def test_every_step_of_every_shipped_lesson_opens(small, view, state):
    from mnist_core.experiments.views import PAGES, to_query
    at = small(PAGES[view], timeout=120)
    for k, v in to_query(view, state).items():
        at.query_params[k] = v
    no_exception(at.run())
    assert not at.error, [e.value for e in at.error]
    assert not any("The link's" in i.value for i in at.info)  # every value of the step was taken


def test_the_page_opens_on_the_library_and_a_lesson_starts_with_its_answer_hidden(app):
    at = no_exception(app("lesson").run())
    assert "What a kernel detects" in texts(at) and "4 steps" not in texts(at)
    at.button(key="ls_start_what-a-kernel-detects").click().run()
    no_exception(at)
    assert "Step 1 of 2." in texts(at) and "bright on its left" in texts(at)
    assert at.query_params["lesson"] == "what-a-kernel-detects" and at.query_params["step"] == "1"
    assert not at.success and "stroke and background" not in texts(at)  # answer and explanation hidden
    assert at.button(key="ls_commit_0").disabled
    at.radio(key="ls_pick_what-a-kernel-detects_0").set_value("the blank background").run()
    at.button(key="ls_commit_0").click().run()
    no_exception(at)
    assert "Answer: vertical edges" in [s.value for s in at.success] and "Not this time" in texts(at)
    assert "stroke and background" in texts(at)
    assert "inside?model=demo&cls=7&k=0&layer=1&lang=en" in texts(at)
    at.button(key="ls_next").click().run()
    assert "Step 2 of 2." in texts(at) and at.query_params["step"] == "2" and not at.success
    at.button(key="ls_library").click().run()
    no_exception(at)
    assert "Step 2 of 2." not in texts(at) and "lesson" not in at.query_params


def test_a_link_opens_a_shipped_lesson_at_its_step_in_its_language(app):
    at = app("lesson")
    at.query_params.update({"lesson": "learning-rate-collapse", "step": "2", "lang": "zh"})
    no_exception(at.run())
    assert "lesson" in at.query_params and at.query_params["step"] == "2"
    assert "学习率缩小 10 倍" in [o for r in at.radio for o in r.options]
    assert not at.success


@pytest.mark.parametrize(("name", "step"), [("no-such-lesson", "1"), ("../etc", "1"),
                                            ("learning-rate-collapse", "x"), ("learning-rate-collapse", "99")])
def test_a_bad_lesson_link_is_one_line(app, name, step):
    at = app("lesson")
    at.query_params.update({"lesson": name, "step": step})
    no_exception(at.run())
    if name == "learning-rate-collapse":
        assert "Step 1 of 2." in texts(at) or "Step 2 of 2." in texts(at)
    else:
        assert len(at.error) == 1 and "no shipped lesson" in at.error[0].value


def test_the_new_views_read_their_links(small):
    at = small("training")
    at.query_params.update({"preset": "seed003"})
    no_exception(at.run())
    assert at.selectbox(key="tr_preset").value == "seed003" and at.query_params["preset"] == "seed003"
    at = small("why")
    at.query_params.update({"model": "demo", "cls": "3", "k": "2"})
    no_exception(at.run())
    assert at.selectbox(key="why_class").value == 3 and at.number_input(key="why_k").value == 2
    at = small("training")
    at.query_params.update({"preset": "no-such"})
    no_exception(at.run())
    assert any("The link's preset='no-such'" in i.value for i in at.info)

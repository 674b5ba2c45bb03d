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

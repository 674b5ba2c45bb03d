import json

import pytest

from mnist_core import presets
from mnist_core.experiments.lessons import FORMAT, Lesson, LessonError, Step
from mnist_core.experiments.views import ViewError, from_query, link, to_query


def test_query_round_trip_and_bad_values_fall_back_with_a_message():
    state = {"model": "demo", "source": "test", "cls": 3, "k": 12, "kind": "noise", "strength": 40}
    back, notes = from_query("experiments", to_query("experiments", state))
    assert back == state and notes == []
    bad, notes = from_query("experiments", {"cls": "eleven", "kind": "melt", "strength": "999", "model": "../etc"})
    assert bad["cls"] == 7 and bad["kind"] == "rotate" and bad["strength"] == 30 and bad["model"] == "demo"
    assert len(notes) == 4 and all(n.startswith("The link's") for n in notes)
    assert link("experiments", state).startswith("/experiments?model=demo&source=test&cls=3")
    with pytest.raises(ViewError):
        from_query("nowhere", {})


def test_a_lesson_round_trips_through_json():
    lesson = Lesson("Why rotations fool it", [
        Step("experiments", from_query("experiments", {"kind": "rotate", "strength": "45"})[0],
             "Will it still read a 7 turned by 45 degrees?", "Usually not: MNIST's digits are upright."),
        Step("timetravel", from_query("timetravel", {"moment": "3"})[0], "What do the kernels look like at step 5?")],
        spec=presets.get("fast").spec().to_dict(), train={"epochs": 1, "lr": 0.003})
    again = Lesson.from_json(lesson.to_json())
    assert again == lesson


@pytest.mark.parametrize("text,words", [
    ("{not json", "not valid JSON"),
    ('{"format": "something else"}', "format"),
    (json.dumps({"format": FORMAT, "steps": []}), "at least one step"),
    (json.dumps({"format": FORMAT, "steps": [{"view": "moon", "prompt": "?"}]}), "step 1"),
    (json.dumps({"format": FORMAT, "steps": [{"view": "experiments", "prompt": "?", "state": {"cls": 12}}]}),
     "step 1: The link's cls"),
    (json.dumps({"format": FORMAT, "steps": [{"view": "inside", "prompt": "?"}], "train": {"lr": -1}}),
     "training settings"),
    (json.dumps({"format": FORMAT, "steps": [{"view": "inside", "prompt": "?"}], "spec": {"layers": "x"}}),
     "network"),
])
def test_bad_lesson_files_are_one_line_errors(text, words):
    with pytest.raises(LessonError, match=words):
        Lesson.from_json(text)

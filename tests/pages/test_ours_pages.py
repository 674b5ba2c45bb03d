"""Our handwriting through the pages (AppTest): Contribute on Draw, the teacher's review grid, and
"Our class" as the sidebar's dataset on Dataset, Evaluation, Why and Training."""

import numpy as np
import pytest

from mnist_core.classroom import classes, drawings, identity
from mnist_core.classroom.identity import Actor

from .conftest import has, no_exception, texts
from .test_draw_page import digit_rgba


def table(at, column: str):
    """The one table on the page with this column (AppTest does not keep a dataframe's key)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


@pytest.fixture
def patched_canvas(monkeypatch):
    import ui.canvas
    box = {"image": None}
    monkeypatch.setattr(ui.canvas, "draw_canvas", lambda key, stroke_width=18, size=280: box["image"])
    return box


def test_contribute_keeps_the_prompted_digit_and_deletes_mine(app, patched_canvas):
    at = no_exception(app("draw").run())
    assert not has(at, "draw_keep")  # off until switched on
    at.toggle(key="draw_contribute").set_value(True).run()
    no_exception(at)
    assert "Only the 28x28 digit, its label" in texts(at)
    assert "your own set" in texts(at)  # no class: the visitor's own set
    prompt = at.session_state["draw_contrib_prompt"]
    assert f"Draw a **{prompt}**" in texts(at)
    assert at.button(key="draw_keep").disabled  # nothing drawn yet
    patched_canvas["image"] = digit_rgba("1")
    at.run()
    drawn = at.session_state["last_drawing"].copy()
    at.button(key="draw_keep").click().run()
    no_exception(at)
    me = at.session_state["actor"]
    (kept,) = drawings.my_drawings(me)
    assert kept.label == prompt and np.array_equal(kept.pixels, drawn)  # kept whatever the model thought of it
    assert f"Kept your {prompt}" in texts(at)
    assert at.session_state["draw_contrib_prompt"] != prompt  # a digit drawn least comes next
    patched_canvas["image"] = digit_rgba("0")
    at.run()
    at.button(key="draw_keep").click().run()
    assert len(drawings.my_drawings(me)) == 2
    at.button(key=f"draw_mine_del_{kept.id}").click().run()
    no_exception(at)
    assert [d.id for d in drawings.my_drawings(me)] != [kept.id] and len(drawings.my_drawings(me)) == 1
    at.checkbox(key="draw_mine_sure").check().run()
    at.button(key="draw_mine_all").click().run()
    no_exception(at)
    assert drawings.my_drawings(me) == []
    assert not has(at, "draw_review_balance")  # a student sees no review


def fill_class(n_per: dict[str, int]):
    teacher = identity.teacher_actor(identity.new_visitor()[0])
    room = classes.start_class(teacher, "Period 3")
    rng = np.random.default_rng(0)
    for nick, n in n_per.items():
        m = classes.join(Actor(identity.new_visitor()[0]), room.code, nick)
        for k in range(n):
            drawings.add_drawing(m, k % 10, rng.integers(0, 256, (28, 28), dtype=np.uint8))
    return Actor(teacher.visitor_id, True, room.id), room


def test_the_teacher_reviews_counts_and_drops_bad_digits(app):
    at = app("draw")
    at.run()  # the first run makes the database (the app fixture's own file)
    teacher, room = fill_class({"Ana": 3, "Bea": 3})
    at.session_state["actor"] = teacher
    at.run()
    no_exception(at)
    assert "6 digits · 2 writers" in texts(at)
    assert "Too few to conclude" in texts(at)
    tab = table(at, "writer")
    assert sorted(tab["writer"]) == ["Ana", "Bea"] and list(tab["digits"]) == [3, 3]
    first = drawings.class_drawings(teacher, room.id)[0]
    at.button(key=f"draw_review_drop_{first.id}").click().run()
    no_exception(at)
    assert first.id not in [d.id for d in drawings.class_drawings(teacher, room.id)]
    assert "5 digits · 2 writers" in texts(at)
    assert has(at, "draw_export")


def test_our_class_on_the_dataset_evaluation_and_why_pages(app):
    at = app("dataset")
    at.run()
    teacher, room = fill_class({"Ana": 10, "Bea": 10, "Cy": 10, "Dee": 10})
    at.session_state["actor"] = teacher
    at.selectbox(key="dataset_name").set_value("ours").run()
    no_exception(at)
    assert "40 digits by 4 writers" in texts(at)  # the sidebar and the page caption
    assert has(at, "ds_ours_means") and has(at, "ds_ours_mnist_means")
    at.switch_page("app_pages/evaluation.py").run(timeout=120)
    no_exception(at)
    assert "Accuracy on our digits" in [m.label for m in at.metric]
    writers = table(at, "accuracy")
    assert sorted(writers["writer"]) == ["Ana", "Bea", "Cy", "Dee"] and writers["digits"].sum() == 40
    assert list(writers["accuracy"]) == sorted(writers["accuracy"])  # worst first
    at.radio(key="eval_ours_which").set_value("held").run(timeout=120)
    no_exception(at)
    assert table(at, "accuracy")["digits"].sum() < 40
    at.switch_page("app_pages/why.py").run(timeout=180)
    no_exception(at)
    assert "One of our digits (40 digits · 4 writers)" in texts(at)


def test_an_empty_set_says_how_to_fill_it(app):
    at = app("evaluation").run()
    at.selectbox(key="dataset_name").set_value("ours").run()
    no_exception(at)
    assert any("No digits in our set yet" in i.value for i in at.info)


def test_adapt_on_the_training_page_saves_a_model_and_shows_before_and_after(app):
    import torch
    torch.set_num_threads(1)  # small batches on a busy machine: one thread is the faster
    at = app("training")
    at.run()
    teacher, _ = fill_class({"Ana": 6, "Bea": 6, "Cy": 6})
    at.session_state["actor"] = teacher
    at.number_input(key="adapt_steps").set_value(20)
    at.button(key="adapt_go").click().run(timeout=240)
    no_exception(at)
    scores = table(at, "before")
    assert list(scores["tested on"]) == ["our held-out writers", "MNIST test"]
    assert scores["digits"].iloc[0] == 6 and int(scores["writers"].iloc[0]) == 1  # one of three writers held out
    assert scores["digits"].iloc[1] == (10000 if app.train_count == "60,000" else 1000)
    assert 0 <= scores["after"].iloc[1] <= 1
    assert "Saved as a new model" in texts(at) and "Too few to conclude: 6 digits by 1 writer." in texts(at)
    assert "It learned from 12 digits · 2 writers" in texts(at)
    import ui.common
    assert any("our digits" in label for label in ui.common.model_options())  # pickable like any model


def test_one_of_our_digits_as_the_input_on_inside(app):
    at = app("inside")
    at.run()
    teacher, _ = fill_class({"Ana": 10})  # one writer: nobody held out, and still every digit can be picked
    at.session_state["actor"] = teacher
    at.selectbox(key="dataset_name").set_value("ours").run(timeout=120)
    no_exception(at)
    assert "One of our digits (10 digits · 1 writer)" in texts(at)


def test_contribute_speaks_chinese(app, patched_canvas):
    at = app("draw")
    at.query_params["lang"] = "zh"
    at.run()
    at.toggle(key="draw_contribute").set_value(True).run()
    no_exception(at)
    assert "只保存 28x28 的数字" in texts(at) and "请画一个" in texts(at)
    assert at.button(key="draw_keep").label.startswith("✅ 作为")


@pytest.mark.parametrize("page", ["experiments", "timetravel", "sweep"])
def test_the_other_pages_take_our_class_without_an_exception(app, page):
    at = app(page)
    at.run(timeout=120)
    teacher, _ = fill_class({"Ana": 10, "Bea": 10, "Cy": 10})
    at.session_state["actor"] = teacher
    at.selectbox(key="dataset_name").set_value("ours").run(timeout=180)
    no_exception(at)

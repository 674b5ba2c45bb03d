"""ui/state.py: the one owner of what pages hand each other. Accessors on a plain dict standing in for
``st.session_state``, and through the real pages with AppTest."""

import ast
from pathlib import Path

import pytest
import streamlit as st
import torch

from ui import state

from .conftest import no_exception, texts

ROOT = Path(__file__).resolve().parents[2]
FROM_ARCH = "The network from the Architecture page"


@pytest.fixture
def ss(monkeypatch):
    """A fresh session: the accessors read ``st.session_state`` at each call."""
    d: dict = {}
    monkeypatch.setattr(st, "session_state", d)
    return d


def page_files():
    return [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


def session_keys(path: Path):
    """(line, key) of every constant key a file uses on ``st.session_state`` directly."""
    for node in ast.walk(ast.parse(path.read_text())):
        target = node.value if isinstance(node, ast.Subscript) else \
            node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        if isinstance(target, ast.Attribute) and target.attr == "session_state":
            arg = node.slice if isinstance(node, ast.Subscript) else (node.args[0] if node.args else None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield node.lineno, arg.value
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and any(
                isinstance(c, ast.Attribute) and c.attr == "session_state" for c in node.comparators):
                yield node.lineno, node.left.value


def widget_keys(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "key" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    yield kw.value.value


# --- the table ---------------------------------------------------------------------------------------

def test_every_value_is_declared_once_with_a_type_default_and_reason():
    assert len(state.SLOTS) >= 20
    for key, slot in state.SLOTS.items():
        assert slot.key == key and len(slot.why) > 20, key
    with pytest.raises(ValueError, match="share the key 'job'"):
        state.Slot("job", None, "a second job would silently replace the first")


def test_no_page_uses_a_declared_key_or_another_pages_widget_key():
    declared = set(state.SLOTS)
    for path in page_files():
        if path.name == "state.py":
            continue
        for line, key in session_keys(path):
            assert key not in declared, f"{path.name}:{line} uses {key!r} raw: go through ui/state.py"
            assert key != "tr_source" or path.name == "training.py", f"{path.name}:{line} sets Training's widget"
    arch = (ROOT / "app_pages" / "architecture.py").read_text()
    assert "tr_source" not in arch and "session_state" not in arch


def test_widget_prefixes_are_unambiguous():
    """``tr_`` is Training (its page and its live view); the Trace section's keys are ``trace_``."""
    for path in page_files():
        for key in widget_keys(path):
            if key.startswith("tr_"):
                assert path.name in ("training.py", "live.py"), f"{path.name}: {key}"
            if key.startswith("trace_"):
                assert path.name == "explain.py", f"{path.name}: {key}"
    assert not set(state.SLOTS) & {k for p in page_files() for k in widget_keys(p)}


# --- accessors ---------------------------------------------------------------------------------------

def test_active_model_defaults_to_the_demo_until_chosen(ss):
    assert state.active_model() == "demo" and not state.active_model_chosen()
    state.set_active_model("20250101-run-ab12")
    assert state.active_model() == "20250101-run-ab12" and state.active_model_chosen()


def test_edited_model_has_one_shape_for_what_if_and_surgery(ss):
    wi = state.EditedModel("what-if", "run-a", torch.nn.Linear(2, 2), ("layer 1 filter 0 := Sobel x",))
    wi = wi.with_change(torch.nn.Linear(2, 2), "layer 1 filter 1 := blur")
    sx = state.EditedModel("surgery", "run-a", torch.nn.Linear(2, 2), ("layer 1 filters 0, 1 off",))
    state.set_edited_model(wi)
    state.set_edited_model(sx)
    assert state.edited_model("what-if", "run-a") is wi and state.edited_model("surgery") is sx  # side by side
    assert wi.changes == ("layer 1 filter 0 := Sobel x", "layer 1 filter 1 := blur") and wi.kind == "what-if"
    assert state.edited_model("what-if", "run-b") is None  # made from another model: does not apply
    state.drop_edited_model("what-if")
    assert state.edited_model("what-if") is None and state.edited_model("surgery", "run-a") is sx


def test_a_hand_over_selects_once_and_an_offer_does_not_select(ss):
    from mnist_core import presets
    spec = presets.get("seed002").spec()
    assert state.train_spec() is None and not state.take_training_request()
    state.hand_to_training(spec, "seed002")
    got = state.train_spec()
    assert got.preset == "seed002" and got.spec().to_dict() == spec.to_dict()
    assert state.take_training_request() and not state.take_training_request()  # once
    state.set_train_spec(presets.get("fast").spec())  # a lesson's network: offered, with no preset, not selected
    assert state.train_spec().preset is None and state.train_spec().spec_dict["name"] == "fast"
    assert not state.take_training_request()


def test_applied_links_per_view_keep_their_notes_until_another_link(ss):
    assert state.applied_link("experiments") is None and state.applied_query("experiments") == {}
    state.set_applied_link("experiments", {"cls": "x"}, ["The link's cls='x' is not a digit 0-9: showing 7 instead."])
    state.link_written("experiments", {"cls": "7", "kind": "rotate"})  # the view's own write: not a new link
    a = state.applied_link("experiments")
    assert a.query == {"cls": "7", "kind": "rotate"} and len(a.notes) == 1
    assert state.applied_query("experiments") == {"cls": "7", "kind": "rotate"}
    assert state.applied_link("inside") is None  # one per view


def test_an_end_is_new_once_and_two_equal_sweeps_are_two(ss):
    assert state.job_end_is_new(3) and not state.job_end_is_new(3) and state.job_end_is_new(4)

    class Same:
        def __eq__(self, other):  # a dataclass compares by fields: equal sweeps are still two sweeps
            return True
    a, b = Same(), Same()
    assert state.sweep_end_is_new(a) and not state.sweep_end_is_new(a) and state.sweep_end_is_new(b)


def test_a_mutable_default_is_kept_once_read(ss):
    state.TRACE_CLICKS.get()["inside_f2"] = (0, 5, 6)
    state.LESSON_GUESSES.get()[0] = "a 2"
    assert state.TRACE_CLICKS.get() == {"inside_f2": (0, 5, 6)} and state.LESSON_GUESSES.get() == {0: "a 2"}
    assert state.LESSON_STEP.get() == 0 and "lesson_step" not in ss  # an immutable default is not written


# --- through the pages -------------------------------------------------------------------------------

def test_training_selects_the_spec_handed_over_by_architecture(app):
    at = no_exception(app("architecture").run())
    at.selectbox(key="arch_preset_choice").set_value("seed002").run()
    at.button(key="arch_load").click().run()
    at.button(key="arch_train").click().run()
    no_exception(at)
    assert at.title[0].value.endswith("Training")
    assert at.radio(key="tr_source").value == FROM_ARCH
    assert "121,930 parameters" in texts(at)  # seed002, as built on Architecture
    assert "The form starts from the preset's original settings." in texts(at)
    assert at.number_input(key="tr_lr_seed002") is not None  # the form of the preset it came from
    handed = at.session_state["train_spec"]
    assert isinstance(handed, state.SpecToTrain) and handed.preset == "seed002"
    at.switch_page("app_pages/training.py")  # AppTest's next run would go back to the page it was told
    at.radio(key="tr_source").set_value("A preset").run()  # the request was taken once: the choice is the user's
    at.run()
    no_exception(at)
    assert at.radio(key="tr_source").value == "A preset" and FROM_ARCH in at.radio(key="tr_source").options


def test_what_if_and_surgery_keep_edited_copies_of_one_shape_side_by_side(app):
    at = no_exception(app("inside").run())
    at.session_state["inside_tab"] = "What if?"
    at.run()
    at.selectbox(key="wi_hand").set_value("Sobel x (vertical edges)").run()
    at.button(key="wi_apply").click().run()
    at.switch_page("app_pages/experiments.py")
    at.session_state["ex_tab"] = "CNN surgery"
    at.run(timeout=120)
    at.multiselect(key="sx_off").set_value([0, 1]).run(timeout=120)
    at.button(key="sx_apply").click().run(timeout=180)
    no_exception(at)
    edited = at.session_state["edited_models"]
    wi, sx = edited["what-if"], edited["surgery"]
    assert type(wi) is type(sx) is state.EditedModel
    assert (wi.kind, wi.run_id, sx.kind, sx.run_id) == ("what-if", "demo", "surgery", "demo")
    assert "Sobel x" in wi.changes[0] and sx.changes == ("layer 1 filters 0, 1 off",)
    at.switch_page("app_pages/inside.py")
    at.run()
    no_exception(at)
    assert any("Edited copy" in i.value and "Sobel x" in i.value for i in at.info)  # surgery did not replace it

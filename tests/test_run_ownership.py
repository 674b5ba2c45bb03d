"""Whose run is whose, enforced by the run store itself (issue 17, section 2)."""

import pytest

from mnist_core import presets
from mnist_core.classroom import OwnershipError, classes, identity, ownership
from mnist_core.classroom.identity import Actor
from mnist_core.mistakes import load_tags, set_tag
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", f"sqlite:///{tmp_path / 'classroom.sqlite'}")
    monkeypatch.delenv("MNIST_LAB_TEACHER_KEY", raising=False)
    teacher = identity.teacher_actor(identity.new_visitor()[0])
    room = classes.start_class(teacher, "Period 3")
    a = classes.join(Actor(identity.new_visitor()[0]), room.code, "ada")
    b = classes.join(Actor(identity.new_visitor()[0]), room.code, "bob")
    other_room = classes.start_class(teacher, "Period 4")
    c = classes.join(Actor(identity.new_visitor()[0]), other_room.code, "cy")
    return RunStore(tmp_path / "runs"), teacher, a, b, c


def _run(store, actor, name="mine"):
    spec = presets.get("seed001").spec()
    return store.create(name, spec, TrainConfig(epochs=1), actor=actor)


def _finish(run):
    run._close({"status": "finished"})


def test_another_visitor_is_refused_in_one_line_the_owner_may(world):
    store, teacher, a, b, c = world
    run = _run(store, a)
    _finish(run)
    for action, call in (("delete", lambda: store.delete(run.run_id, actor=b)),
                         ("rename", lambda: store.rename(run.run_id, "stolen", actor=b)),
                         ("change the tags", lambda: set_tag(run.path, "mnist", 3, "ambiguous", actor=b))):
        with pytest.raises(OwnershipError) as e:
            call()
        assert "\n" not in str(e.value) and "only its owner or the teacher" in str(e.value), action
    assert run.path.is_dir() and store.info(run.run_id).display_name == "mine"
    assert load_tags(run.path) == {}
    store.rename(run.run_id, "still mine", actor=a)
    set_tag(run.path, "mnist", 3, "ambiguous", actor=a)
    assert store.info(run.run_id).display_name == "still mine"
    store.delete(run.run_id, actor=a)
    assert not run.path.exists() and ownership.owner_of(run.run_id) is None


def test_the_teacher_may_and_a_cli_run_is_the_teachers(world):
    store, teacher, a, b, c = world
    run = _run(store, a)
    _finish(run)
    store.delete(run.run_id, actor=teacher)
    assert not run.path.exists() and ownership.owner_of(run.run_id) is None
    cli = _run(store, None, "from the cli")
    _finish(cli)
    assert ownership.owner_of(cli.run_id) is None  # no record: the teacher's
    with pytest.raises(OwnershipError):
        store.delete(cli.run_id, actor=a)
    store.rename(cli.run_id, "renamed by the teacher", actor=teacher)
    store.delete(cli.run_id)  # the CLI (no actor) is the teacher
    assert not cli.path.exists()


def test_nobody_changes_the_demo(world):
    store, teacher, a, b, c = world
    for who in (None, teacher, a):
        with pytest.raises(OwnershipError, match="demo"):
            store.delete("demo", actor=who)
        with pytest.raises(OwnershipError, match="demo"):
            store.rename("demo", "mine now", actor=who)
    with pytest.raises(OwnershipError):
        set_tag(store.root / ".demo", "mnist", 1, "ambiguous", actor=a)


def test_a_saved_run_is_its_savers_and_classmates_view_but_do_not_change(world):
    store, teacher, a, b, c = world
    spec = presets.get("seed001").spec()
    saved = store.save_edited("edited", spec, spec.build(), "a test", actor=a)
    o = ownership.owner_of(saved.run_id)
    assert o.owner_id == a.visitor_id and o.class_id == a.class_id
    assert ownership.can_view(b, o.owner_id, o.class_id)          # a classmate sees it
    assert not ownership.can_view(c, o.owner_id, o.class_id)      # another class does not
    with pytest.raises(OwnershipError):
        store.delete(saved.run_id, actor=b)
    assert saved.path.is_dir()


def test_a_run_that_trains_is_still_not_deleted_even_by_its_owner(world):
    store, teacher, a, b, c = world
    run = _run(store, a)
    with pytest.raises(Exception, match="still training"):
        store.delete(run.run_id, actor=a)
    assert run.path.is_dir()

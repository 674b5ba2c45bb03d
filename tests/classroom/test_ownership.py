"""Whose work is whose: every change called as another visitor is refused in one line."""

import numpy as np
import pytest

from mnist_core.classroom import ClassroomError, OwnershipError, drawings, ownership
from mnist_core.classroom.identity import Actor
from tests.classroom.conftest import join, new_actor

RUN = "20260101-101500-mine-ab12"


def test_the_rules_themselves():
    ana, bob, teacher = Actor("va"), Actor("vb", class_id=1), Actor("vt", is_teacher=True)
    assert ownership.can_modify(ana, "va", None) and ownership.can_modify(teacher, "va", 1)
    assert not ownership.can_modify(bob, "va", 1)  # a classmate views, never changes
    assert not ownership.can_modify(ana, None, None)  # no owner: the teacher's
    assert ownership.can_view(bob, "va", 1) and not ownership.can_view(bob, "va", 2)
    assert not ownership.can_view(bob, "va", None) and ownership.can_view(bob, None, None)
    with pytest.raises(OwnershipError, match="^only its owner or the teacher may delete this run$"):
        ownership.require_owner(bob, "va", 1)
    with pytest.raises(OwnershipError, match="^only its owner or the teacher may rename this run$"):
        ownership.require_owner(bob, "va", 1, action="rename")
    with pytest.raises(OwnershipError, match="^only its owner or the teacher may change the tags of this run$"):
        ownership.require_owner(bob, "va", 1, action="retag")


def test_another_visitor_cannot_touch_my_run_the_teacher_can(room, teacher):
    ana, bea, stranger = join(room, "Ana"), join(room, "Bea"), new_actor()
    ownership.record_run(RUN, ana)
    o = ownership.owner_of(RUN)
    assert (o.owner_id, o.class_id, o.nickname) == (ana.visitor_id, room.id, "Ana")
    for other in (bea, stranger):
        for action in ("delete", "rename", "retag"):
            with pytest.raises(OwnershipError, match=f"only its owner or the teacher may .*{action[2:]}"):
                ownership.require_run(other, RUN, action)
        assert not ownership.can_modify_run(other, RUN)
        with pytest.raises(OwnershipError, match="may delete this run"):
            ownership.forget_run(other, RUN)
    ownership.require_run(ana, RUN, "rename")
    ownership.require_run(teacher, RUN, "delete")
    assert ownership.owners([RUN, "20260101-other-cd34"]) == {RUN: o}
    assert ownership.runs_of(visitor_id=ana.visitor_id) == [RUN] == ownership.runs_of(class_id=room.id)
    assert ownership.runs_of(visitor_id=bea.visitor_id) == []
    ownership.forget_run(teacher, RUN)
    assert ownership.owner_of(RUN) is None


def test_an_owner_is_recorded_once(room):
    ana, bea = join(room, "Ana"), join(room, "Bea")
    ownership.record_run(RUN, ana)
    with pytest.raises(OwnershipError, match="already has an owner"):
        ownership.record_run(RUN, bea)
    assert ownership.owner_of(RUN).owner_id == ana.visitor_id


def test_runs_from_the_cli_or_the_teacher_are_the_teachers(room, teacher):
    ana = join(room, "Ana")
    ownership.record_run("cli-run-0001", None)
    ownership.record_run("teacher-run-0001", Actor(teacher.visitor_id, True, room.id))
    assert ownership.owner_of("cli-run-0001") is None
    assert ownership.owner_of("teacher-run-0001").owner_id is None
    for run_id in ("cli-run-0001", "teacher-run-0001"):
        with pytest.raises(OwnershipError, match="only its owner or the teacher may delete this run"):
            ownership.require_run(ana, run_id)
        ownership.require_run(teacher, run_id)


def test_nobody_deletes_the_demo(room, teacher):
    ana = join(room, "Ana")
    for who in (ana, teacher):
        with pytest.raises(OwnershipError, match="^the demo run ships with MNIST Lab; nobody can delete it$"):
            ownership.require_run(who, "demo", "delete")
        assert not ownership.can_modify_run(who, "demo")
    with pytest.raises(OwnershipError, match="nobody can rename it"):
        ownership.require_run(teacher, "demo", "rename")
    with pytest.raises(OwnershipError):
        ownership.record_run("demo", ana)


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".hidden", None, "x" * 121])
def test_run_ids_are_checked(db_url, bad):
    with pytest.raises(OwnershipError, match="not a run id"):
        ownership.owner_of(bad)


def test_drawings_are_their_authors(room, teacher):
    ana, bea, outsider = join(room, "Ana"), join(room, "Bea"), new_actor()
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:15] = 255
    first = drawings.add_drawing(ana, 1, image)
    second = drawings.add_drawing(bea, 7, bytes(784))
    got = drawings.class_drawings(bea, room.id)
    assert [(d.nickname, d.label) for d in got] == [("Ana", 1), ("Bea", 7)]
    assert np.array_equal(got[0].pixels, image)
    with pytest.raises(ClassroomError, match="only the teacher and the members"):
        drawings.class_drawings(outsider, room.id)
    with pytest.raises(OwnershipError, match="^only its owner or the teacher may delete this drawing$"):
        drawings.delete_drawing(bea, first)
    drawings.delete_drawing(ana, first)
    drawings.delete_drawing(teacher, second)
    assert drawings.class_drawings(teacher, room.id) == []


@pytest.mark.parametrize("label, image, refusal", [
    (10, bytes(784), "a digit from 0 to 9"), (True, bytes(784), "a digit from 0 to 9"),
    ("3", bytes(784), "a digit from 0 to 9"), (3, bytes(100), "not 100 bytes"),
    (3, np.zeros((28, 28), np.float32), "28x28 array of uint8"), (3, np.zeros((27, 28), np.uint8), "28x28"),
])
def test_bad_drawings_are_refused(room, label, image, refusal):
    with pytest.raises(ClassroomError, match=refusal):
        drawings.add_drawing(join(room, "Ana"), label, image)

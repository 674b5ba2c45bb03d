"""Starting, joining (codes, nicknames, guessing), removing, closing, deleting; classes kept apart."""

import time

import pytest
from sqlalchemy import update

from mnist_core.classroom import ClassroomError, JoinError, classes, db, ownership, polls
from mnist_core.classroom.models import Member
from tests.classroom.conftest import join, new_actor


def test_only_the_teacher_starts_a_class_and_codes_avoid_look_alikes(teacher):
    with pytest.raises(ClassroomError, match="only the teacher can start a class"):
        classes.start_class(new_actor(), "mine")
    codes = {classes.start_class(teacher).code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(c) == 6 and not set(c) & set("0O1IL") and set(c) <= set(classes.ALPHABET) for c in codes)


def test_codes_are_unique_among_open_classes_and_reusable_after_closing(teacher, monkeypatch):
    drawn = iter("AAAAAA" "AAAAAA" "BBBBBB" "AAAAAA")
    monkeypatch.setattr(classes.secrets, "choice", lambda _alphabet: next(drawn))
    first = classes.start_class(teacher)
    second = classes.start_class(teacher)  # AAAAAA is taken: drawn again
    assert (first.code, second.code) == ("AAAAAA", "BBBBBB")
    classes.close_class(teacher, first.id)
    assert classes.start_class(teacher).code == "AAAAAA"


def test_joining_with_a_code_as_typed(room):
    ana = classes.join(new_actor(), " " + room.code[:3].lower() + "-" + room.code[3:] + " ", "  Ana   Lima ")
    assert (ana.class_id, ana.nickname, ana.is_teacher) == (room.id, "Ana Lima", False)
    again = classes.join(ana, room.code, "ana lima")  # a reload: the same membership
    assert (again.class_id, again.nickname) == (room.id, "Ana Lima")
    with pytest.raises(JoinError, match="already in this class under another nickname"):
        classes.join(ana, room.code, "Someone")


@pytest.mark.parametrize("nickname, refusal", [
    ("", "a nickname is needed"),
    ("   ", "a nickname is needed"),
    (None, "a nickname is needed"),
    ("x" * 25, "at most 24 characters; this one has 25"),
    ("<b>Ana</b>", "only letters, digits"),
    ("[me](http://x.io)", "only letters, digits"),
    ("**bold**", "only letters, digits"),
    ("Ana\tLima", "control characters"),
    ("Ana\nLima", "control characters"),
    ("A\u200bna", "control characters"),  # a zero-width space: two "Ana"s that look the same
])
def test_bad_nicknames_are_refused_one_line_each(room, nickname, refusal):
    with pytest.raises(JoinError, match=refusal) as exc:
        classes.join(new_actor(), room.code, nickname)
    assert "\n" not in str(exc.value)


def test_nicknames_are_unique_in_a_class_whatever_the_case(room, teacher):
    join(room, "Ana")
    with pytest.raises(JoinError, match="already taken in this class"):
        join(room, "ANA")
    other = classes.start_class(teacher, "Period 4")
    assert join(other, "Ana").class_id == other.id  # another class: free
    assert join(room, "O'Brien-Lee_2.0").nickname == "O'Brien-Lee_2.0"
    assert join(room, "Zoë").nickname == "Zoë"


def test_wrong_codes_are_refused_and_guessing_is_slowed_per_visitor(room):
    guesser, honest = new_actor(), new_actor()
    wrong = "ZZZZZZ" if room.code != "ZZZZZZ" else "YYYYYY"
    with pytest.raises(JoinError, match="a class code is 6 letters"):
        classes.join(guesser, "K7M", "Eve")  # cannot be a code: not a guess, not counted
    for _ in range(classes.VISITOR_GUESSES):
        with pytest.raises(JoinError, match="no open class has this code"):
            classes.join(guesser, wrong, "Eve")
    with pytest.raises(JoinError, match=r"too many wrong class codes; try again in \d+ seconds"):
        classes.join(guesser, room.code, "Eve")  # even the right code waits
    assert classes.join(honest, room.code, "Bea").class_id == room.id
    with db.session() as s:  # a minute later the guesser may try again
        s.execute(update(classes.JoinFailure).values(at=time.time() - classes.GUESS_WINDOW - 1))
    assert classes.join(guesser, room.code, "Eve").class_id == room.id


def test_guessing_from_many_visitors_is_slowed_per_server(room, monkeypatch):
    monkeypatch.setattr(classes, "SERVER_GUESSES", 4)
    for _ in range(4):
        with pytest.raises(JoinError, match="no open class"):
            classes.join(new_actor(), "ZZZZZZ" if room.code != "ZZZZZZ" else "YYYYYY", "Eve")
    with pytest.raises(JoinError, match="too many wrong class codes on this server"):
        classes.join(new_actor(), room.code, "Bea")


def test_classes_on_one_server_see_nothing_of_each_other(teacher):
    a, b = classes.start_class(teacher, "A"), classes.start_class(teacher, "B")
    ana, bob = join(a, "Ana"), join(b, "Bob")
    assert [m.nickname for m in classes.members(ana, a.id)] == ["Ana"]
    for call in (lambda: classes.members(ana, b.id), lambda: classes.class_info(ana, b.id),
                 lambda: classes.online(bob, a.id), lambda: polls.current_poll(bob, a.id)):
        with pytest.raises(ClassroomError, match="only the teacher and the members of a class"):
            call()
    with pytest.raises(ClassroomError, match="only the teacher can list"):
        classes.open_classes(ana)
    assert {c.title for c in classes.open_classes(teacher)} == {"A", "B"}
    assert [c.id for c in classes.my_classes(ana)] == [a.id]


def test_removing_a_student(room, teacher):
    ana, bea = join(room, "Ana"), join(room, "Bea")
    (ana_row,) = [m for m in classes.members(teacher, room.id) if m.nickname == "Ana"]
    with pytest.raises(ClassroomError, match="only the teacher can remove a student"):
        classes.remove_member(bea, room.id, ana_row.id)
    classes.remove_member(teacher, room.id, ana_row.id)
    assert [m.nickname for m in classes.members(bea, room.id)] == ["Bea"]
    assert [(m.nickname, m.removed) for m in classes.members(teacher, room.id)] == [("Ana", True), ("Bea", False)]
    with pytest.raises(ClassroomError, match="only the teacher and the members"):
        classes.members(ana, room.id)
    with pytest.raises(ClassroomError, match="removed you"):
        classes.member_actor(ana.visitor_id, room.id)
    with pytest.raises(JoinError, match="the teacher removed you from this class"):
        classes.join(ana, room.code, "Ana")


def test_who_is_online(room, teacher):
    ana, bea = join(room, "Ana"), join(room, "Bea")
    with db.session() as s:
        s.execute(update(Member).values(last_seen=time.time() - 600))
    assert classes.online(teacher, room.id) == []
    classes.touch(ana)
    assert classes.online(teacher, room.id) == ["Ana"]
    assert classes.online(bea, room.id, within=1e6) == ["Ana", "Bea"]


def test_closing_keeps_the_data_and_deleting_removes_it(room, teacher):
    ana = join(room, "Ana")
    poll = polls.open_poll(teacher, room.id, "lesson-1/2")
    polls.commit_answer(ana, poll.id, "3")
    ownership.record_run("20260101-ana-ab12", ana)
    with pytest.raises(ClassroomError, match="only the teacher can close"):
        classes.close_class(ana, room.id)
    classes.close_class(teacher, room.id)
    assert classes.class_info(teacher, room.id).closed is not None
    assert [m.nickname for m in classes.members(teacher, room.id)] == ["Ana"]
    assert polls.tally(teacher, poll.id).counts == {"3": 1}
    with pytest.raises(JoinError, match="no open class has this code"):
        join(room, "Bea")
    with pytest.raises(ClassroomError, match="only the teacher can delete"):
        classes.delete_class(ana, room.id)
    assert classes.delete_class(teacher, room.id) == ["20260101-ana-ab12"]
    with pytest.raises(ClassroomError, match="does not exist"):
        classes.class_info(teacher, room.id)
    assert ownership.owner_of("20260101-ana-ab12") is None  # the record went with the class
    assert classes.my_classes(ana) == []

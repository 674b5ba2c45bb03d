"""Live polls: only the teacher opens and reveals, only the class's members answer, once."""

import pytest

from mnist_core.classroom import ClassroomError, PollError, classes, polls
from mnist_core.classroom.identity import Actor
from tests.classroom.conftest import join, new_actor

STEP = {"lesson": "how-a-cnn-reads", "step": 3}


def test_only_the_teacher_opens_reveals_and_closes(room, teacher):
    ana = join(room, "Ana")
    with pytest.raises(PollError, match="only the teacher can open a poll"):
        polls.open_poll(ana, room.id, STEP)
    poll = polls.open_poll(teacher, room.id, STEP)
    assert (poll.step, poll.state) == (STEP, "open")
    with pytest.raises(PollError, match="only the teacher can reveal"):
        polls.reveal(ana, poll.id)
    with pytest.raises(PollError, match="only the teacher can close"):
        polls.close_poll(ana, poll.id)
    assert polls.current_poll(ana, room.id).state == "open"


def test_a_poll_from_commit_to_reveal(room, teacher):
    ana, bea, cid = join(room, "Ana"), join(room, "Bea"), join(room, "Cid")
    poll = polls.open_poll(teacher, room.id, STEP)
    polls.commit_answer(ana, poll.id, "7")
    polls.commit_answer(bea, poll.id, " 7 ")
    t = polls.tally(teacher, poll.id)
    assert (t.counts, t.answered, t.missing) == ({"7": 2}, ["Ana", "Bea"], ["Cid"])
    with pytest.raises(PollError, match="once the teacher reveals"):
        polls.tally(ana, poll.id)  # the counts would steer Cid's guess
    polls.commit_answer(cid, poll.id, "1")
    assert polls.my_answer(cid, poll.id) == "1" and polls.my_answer(teacher, poll.id) is None
    assert polls.reveal(teacher, poll.id).state == "revealed"
    assert polls.current_poll(bea, room.id).state == "revealed"
    seen = polls.tally(ana, poll.id)
    assert (seen.counts, seen.answered, seen.missing) == ({"7": 2, "1": 1}, [], [])


def test_a_commit_is_final(room, teacher):
    ana = join(room, "Ana")
    poll = polls.open_poll(teacher, room.id, STEP)
    polls.commit_answer(ana, poll.id, "7")
    with pytest.raises(PollError, match="already committed an answer"):
        polls.commit_answer(ana, poll.id, "1")
    assert polls.tally(teacher, poll.id).counts == {"7": 1}
    late = join(room, "Bea")
    polls.reveal(teacher, poll.id)
    with pytest.raises(PollError, match="no longer takes answers"):
        polls.commit_answer(late, poll.id, "7")


def test_only_members_of_the_class_answer(room, teacher):
    other_room = classes.start_class(teacher, "Period 4")
    outsider, other_member, ana = new_actor(), join(other_room, "Zed"), join(room, "Ana")
    poll = polls.open_poll(teacher, room.id, STEP)
    forged = Actor(other_member.visitor_id, False, room.id, "Ana")  # claims the class: the database says no
    for who in (outsider, other_member, forged, teacher):
        with pytest.raises(PollError, match="only members of this class can answer"):
            polls.commit_answer(who, poll.id, "7")
    (row,) = classes.members(teacher, room.id)
    classes.remove_member(teacher, room.id, row.id)
    with pytest.raises(PollError, match="only members of this class can answer"):
        polls.commit_answer(ana, poll.id, "7")
    with pytest.raises(ClassroomError, match="only the teacher and the members"):
        polls.tally(other_member, poll.id)
    assert polls.tally(teacher, poll.id).counts == {}


def test_next_moves_the_class_to_the_next_step(room, teacher):
    first = polls.open_poll(teacher, room.id, "lesson-1/1")
    second = polls.next_poll(teacher, room.id, "lesson-1/2")
    assert polls.current_poll(teacher, room.id) == second
    with pytest.raises(PollError, match="no longer takes answers"):
        polls.commit_answer(join(room, "Ana"), first.id, "3")
    with pytest.raises(PollError, match="this poll is closed"):
        polls.reveal(teacher, first.id)
    polls.close_poll(teacher, second.id)
    assert polls.current_poll(teacher, room.id) is None
    classes.close_class(teacher, room.id)
    with pytest.raises(PollError, match="closed or gone"):
        polls.open_poll(teacher, room.id, "lesson-1/3")


@pytest.mark.parametrize("answer, refusal", [
    ("", "an answer is needed"), (None, "an answer is needed"), ("x" * 65, "at most 64"),
    ("7\u200b", "control characters"),
])
def test_bad_answers_are_refused(room, teacher, answer, refusal):
    poll = polls.open_poll(teacher, room.id, STEP)
    with pytest.raises(PollError, match=refusal):
        polls.commit_answer(join(room, "Ana"), poll.id, answer)


def test_a_step_must_be_json(room, teacher):
    with pytest.raises(PollError, match="text or JSON data"):
        polls.open_poll(teacher, room.id, {1, 2})
    with pytest.raises(PollError, match="at most 2000"):
        polls.open_poll(teacher, room.id, "x" * 3000)

"""Idle students cost little (issue 17): one shared read of the class per second, a throttled touch, a
bounded poll interval; and still, whoever acts in this process sees the change on the next look."""

import threading
import time

import pytest
from sqlalchemy import event, update

from mnist_core.classroom import ClassroomError, classes, db, polls, shared
from mnist_core.classroom.models import Member, Poll
from tests.classroom.conftest import join, new_actor

STEP = {"format": "mnist-lab-poll/1", "prompt": "Which digit?", "answer": "7", "choices": ["1", "7"]}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The class reads' own clock: a read ages only when the test says so."""
    c = Clock()
    monkeypatch.setattr(shared.CLASSES, "clock", c)
    shared.CLASSES.clear()
    return c


@pytest.fixture
def statements(db_url):
    """The SQL statements run on the class database from here on (a list the test reads)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_a):
        seen.append(statement)
    eng = db.engine()
    event.listen(eng, "before_cursor_execute", count)
    yield seen
    event.remove(eng, "before_cursor_execute", count)


def test_thirty_students_looking_share_one_read_of_the_class(room, teacher, clock, statements):
    students = [join(room, f"S{i:02d}") for i in range(30)]
    poll = polls.open_poll(teacher, room.id, STEP)
    reads, statements[:] = shared.CLASSES.reads, []
    for _ in range(3):
        views = [polls.member_view(s, room.id) for s in students]
    assert shared.CLASSES.reads - reads == 1
    assert 1 <= len(statements) <= 6  # one read of the class (before: 5 statements a look, 450 here)
    assert all(v.poll == poll and v.mine is None and v.counts is None for v in views)
    clock.now += shared.CLASS_SECONDS + 0.01  # a second later the next look reads again, once
    [polls.member_view(s, room.id) for s in students]
    assert shared.CLASSES.reads - reads == 2


def test_what_is_done_here_is_seen_by_the_next_look_at_once(room, teacher, clock):
    ana, bea = join(room, "Ana"), join(room, "Bea")
    assert polls.member_view(ana, room.id).poll is None
    poll = polls.open_poll(teacher, room.id, STEP)  # the clock stands still: only the change makes it read
    assert polls.member_view(bea, room.id).poll == poll
    polls.commit_answer(ana, poll.id, "7")
    assert polls.member_view(ana, room.id).mine == "7"  # her own guess, on her next look
    assert polls.member_view(bea, room.id).mine is None
    polls.commit_answer(bea, poll.id, "1")
    polls.reveal(teacher, poll.id)
    seen = polls.member_view(bea, room.id)
    assert (seen.poll.state, seen.mine, seen.counts) == ("revealed", "1", {"7": 1, "1": 1})
    assert seen.counts == polls.tally(bea, poll.id).counts
    second = polls.next_poll(teacher, room.id, "lesson-1/2")
    assert polls.member_view(ana, room.id).poll == second
    polls.close_poll(teacher, second.id)
    assert polls.member_view(ana, room.id).poll is None


def test_another_servers_change_is_seen_within_a_second(room, teacher, clock):
    ana = join(room, "Ana")
    poll = polls.open_poll(teacher, room.id, STEP)
    assert polls.member_view(ana, room.id).poll.state == "open"
    with db.session() as s:  # what a second server on the same PostgreSQL does: nothing told this one
        s.execute(update(Poll).where(Poll.id == poll.id).values(state="revealed"))
    assert polls.member_view(ana, room.id).poll.state == "open"
    clock.now += shared.CLASS_SECONDS + 0.01
    assert polls.member_view(ana, room.id).poll.state == "revealed"


def test_joining_removing_and_deleting_are_not_held_back(room, teacher, clock):
    ana = join(room, "Ana")
    polls.member_view(ana, room.id)
    bea = join(room, "Bea")
    assert polls.member_view(bea, room.id).poll is None  # not refused by a read from before she joined
    visitor = new_actor().visitor_id
    with db.session() as s:  # a join on another server: a member the kept read does not know is read again
        s.add(Member(class_id=room.id, visitor_id=visitor, nickname="Cid", nickname_key="cid", joined=time.time(),
                     last_seen=time.time()))
    cid = classes.member_actor(visitor, room.id)
    assert polls.member_view(cid, room.id).poll is None
    (row,) = [m for m in classes.members(teacher, room.id) if m.nickname == "Ana"]
    classes.remove_member(teacher, room.id, row.id)
    with pytest.raises(ClassroomError, match="only the teacher and the members"):
        polls.member_view(ana, room.id)
    classes.delete_class(teacher, room.id)
    with pytest.raises(ClassroomError, match="does not exist"):
        polls.member_view(bea, room.id)


def test_a_read_under_way_when_something_changes_is_not_kept():
    cache = shared.Shared(ttl=60)
    calls = []

    def read():
        calls.append(1)
        if len(calls) == 1:
            cache.changed("k")  # the teacher revealed while this look read the class
        return len(calls)
    assert cache.get("k", read) == 1  # the look under way shows what it read ...
    assert cache.get("k", read) == 2  # ... but the next look reads again
    assert cache.get("k", read) == 2 and cache.reads == 2


def test_looks_that_come_together_wait_for_one_read():
    cache = shared.Shared(ttl=60)
    started = threading.Event()

    def read():
        started.set()
        time.sleep(0.2)
        return "class"
    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get("k", read))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert out == ["class"] * 8 and cache.reads == 1


def test_touch_writes_at_most_every_few_seconds(room, teacher, statements):
    ana = join(room, "Ana")

    def age():
        with db.session() as s:
            s.execute(update(Member).values(last_seen=time.time() - 600))

    def writes():
        return [q for q in statements if q.lstrip().upper().startswith("UPDATE")]
    age()
    statements[:] = []
    classes.touch(ana)
    assert len(writes()) == 1 and classes.online(teacher, room.id) == ["Ana"]
    age()
    statements[:] = []
    for _ in range(5):
        classes.touch(ana)  # the next looks within TOUCH_EVERY: no database work at all
    assert statements == [] and classes.online(teacher, room.id) == []
    key = (db.database_url(), room.id, ana.visitor_id)
    classes._touched[key] -= classes.TOUCH_EVERY  # TOUCH_EVERY seconds later
    classes.touch(ana)
    assert len(writes()) == 1 and classes.online(teacher, room.id) == ["Ana"]


def test_a_polling_member_stays_online_on_the_board():
    from ui.classroom import POLL_EVERY_MAX
    slowest_look = 2 * POLL_EVERY_MAX  # the sidebar's look, on a page other than the Class page
    assert classes.TOUCH_EVERY + slowest_look < classes.ONLINE_SECONDS


@pytest.mark.parametrize(("pollers", "every"), [(0, 3.0), (1, 3.0), (10, 3.0), (20, 4.5), (30, 6.0), (300, 6.0)])
def test_the_poll_interval_stretches_with_the_class_but_reveal_stays_within_seconds(pollers, every):
    from ui.classroom import poll_every
    assert poll_every(pollers) == every


def test_the_poll_interval_counts_the_sessions_polling_in_this_process(monkeypatch):
    from ui import classroom
    monkeypatch.setattr(classroom, "_pollers", {f"s{i}": time.time() for i in range(28)})
    classroom._pollers["gone"] = time.time() - classroom.POLLERS_FOR - 1  # left: not counted
    assert classroom.poll_every() == 5.7  # 28 polling (this bare call is no session)
    assert "gone" not in classroom._pollers

"""An upgrade keeps a class's data: a database made at revision 0001, with data, upgraded to head."""

import time

from sqlalchemy import create_engine, inspect, text

from mnist_core.classroom import classes, db, drawings, identity, polls
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.ownership import owner_of


def _fill_revision_1(url: str):
    """Data written as a server running revision 0001 would write it (raw SQL: today's models are newer)."""
    eng = create_engine(db.database_url(url))
    with eng.begin() as c:
        c.execute(text("INSERT INTO visitors VALUES ('vteacher', 'h0', 1.0, 1.0), ('vana', 'h1', 1.0, 1.0)"))
        c.execute(text("INSERT INTO classes (code, title, created) VALUES ('K7M3QX', 'Period 3', 10.0)"))
        c.execute(text("INSERT INTO members (class_id, visitor_id, nickname, nickname_key, joined) "
                       "VALUES (1, 'vana', 'Ana', 'ana', 12.5)"))
        c.execute(text("INSERT INTO polls (class_id, step, state, created) VALUES (1, '\"lesson-1/3\"', 'open', 13)"))
        c.execute(text("INSERT INTO answers (poll_id, member_id, visitor_id, answer, committed) "
                       "VALUES (1, 1, 'vana', '7', 14.0)"))
        c.execute(text("INSERT INTO run_owners VALUES ('20260101-run-ab12', 'vana', 1, 15.0)"))
    eng.dispose()


def test_upgrading_a_revision_1_database_keeps_its_data(db_url):
    db.migrate(db_url, "0001")
    eng = create_engine(db.database_url(db_url))
    tables = set(inspect(eng).get_table_names())
    eng.dispose()
    assert "members" in tables and "drawings" not in tables
    _fill_revision_1(db_url)

    db.migrate(db_url)  # what the first use of a newer MNIST Lab does (engine() runs it)
    teacher = identity.teacher_actor("vteacher")
    room = classes.class_info(teacher, 1)
    assert (room.code, room.title, room.closed) == ("K7M3QX", "Period 3", None)
    (ana,) = classes.members(teacher, 1)
    assert (ana.nickname, ana.joined, ana.last_seen) == ("Ana", 12.5, 12.5)  # backfilled from joined
    assert polls.tally(teacher, 1).counts == {"7": 1}
    assert owner_of("20260101-run-ab12").owner_id == "vana"

    # the new revision's table and column work on the old rows
    member = Actor("vana", False, 1, "Ana")
    drawings.add_drawing(member, 3, bytes(784))
    classes.touch(member)
    assert classes.members(teacher, 1)[0].last_seen > time.time() - 5
    assert classes.online(teacher, 1) == ["Ana"]


def test_migrating_twice_changes_nothing(db_url):
    db.migrate(db_url)
    identity.new_visitor()
    db.migrate(db_url)
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM visitors")).scalar() == 1
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"


def test_upgrading_a_revision_2_database_keeps_its_drawings(db_url):
    """0003 adds who wrote an imported digit; the digits drawn before it are the visitors' own."""
    db.migrate(db_url, "0002")
    eng = create_engine(db.database_url(db_url))
    with eng.begin() as c:
        c.execute(text("INSERT INTO visitors VALUES ('vteacher', 'h0', 1.0, 1.0), ('vana', 'h1', 1.0, 1.0)"))
        c.execute(text("INSERT INTO classes (code, title, created) VALUES ('K7M3QX', 'Period 3', 10.0)"))
        c.execute(text("INSERT INTO members (class_id, visitor_id, nickname, nickname_key, joined, last_seen) "
                       "VALUES (1, 'vana', 'Ana', 'ana', 12.5, 12.5)"))
        c.execute(text("INSERT INTO drawings (class_id, visitor_id, label, pixels, created) "
                       "VALUES (1, 'vana', 4, :p, 20.0)"), {"p": bytes(range(256)) * 3 + bytes(16)})
    eng.dispose()
    db.migrate(db_url)
    teacher = identity.teacher_actor("vteacher")
    (d,) = drawings.class_drawings(teacher, 1)
    assert (d.label, d.nickname, d.writer, d.imported, d.created) == (4, "Ana", "vana", False, 20.0)
    assert d.pixels.tobytes() == bytes(range(256)) * 3 + bytes(16)
    assert drawings.delete_my_drawings(Actor("vana", False, 1, "Ana")) == 1

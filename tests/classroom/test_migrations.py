"""An upgrade keeps a class's data: a database made at revision 0001, with data, upgraded to head."""

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from mnist_core.classroom import ClassroomError, classes, db, drawings, identity, polls
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


def _schema(url: str) -> dict:
    """Every table's columns, keys, indexes and constraints, as SQLAlchemy's inspector reads them."""
    eng = create_engine(db.database_url(url))
    try:
        insp = inspect(eng)
        out = {}
        for t in sorted(insp.get_table_names()):
            out[t] = {
                # in any order: a migration that adds a column puts it last, the models where it reads best
                # (nothing reads a row by position: the queries name their columns)
                "columns": sorted((c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                                  for c in insp.get_columns(t)),
                "pk": insp.get_pk_constraint(t)["constrained_columns"],
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                               str(f.get("options", {}).get("ondelete"))) for f in insp.get_foreign_keys(t)),
                "indexes": sorted((tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(t)),
                "checks": sorted(" ".join(c["sqltext"].split()) for c in insp.get_check_constraints(t)),
            }
        with eng.connect() as c:  # each index as SQLite keeps it: its columns, its uniqueness, its WHERE
            out["index_sql"] = sorted(" ".join(sql.split()) for (sql,) in c.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")))
        with eng.connect() as c:
            out["revision"] = c.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return out
    finally:
        eng.dispose()


def test_the_newest_revision_read_from_the_files_is_alembics():
    from alembic.script import ScriptDirectory
    assert db.head_revision() == ScriptDirectory.from_config(db.alembic_config("sqlite:///x.sqlite")).get_current_head()


def test_a_new_sqlite_database_made_without_alembic_is_the_one_alembic_makes(tmp_path):
    """A fresh server makes its SQLite database from the models and stamps it (no Alembic import, a
    quarter of a second of its first page); the result must be what the migrations make."""
    quick, slow = f"sqlite:///{tmp_path / 'quick.sqlite'}", f"sqlite:///{tmp_path / 'slow.sqlite'}"
    try:
        db.engine(quick)
        db.migrate(slow)  # Alembic's three migrations
        made = _schema(quick)
        assert made == _schema(slow) and made["revision"] == [db.head_revision()]
        assert {"visitors", "classes", "members", "polls", "answers", "run_owners", "drawings"} <= set(made)
        db.dispose(quick)
        db.migrate(quick)  # Alembic finds it at the newest revision: nothing to do
        assert _schema(quick) == made
    finally:
        db.dispose(quick)


OPEN = """
import json, sys
from sqlalchemy import text
from mnist_core.classroom import db, identity
identity.new_visitor()  # engine(): the database made or migrated at first use
with db.engine().connect() as c:
    rev = c.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    n = c.execute(text("SELECT count(*) FROM visitors")).scalar()
print("RESULT " + json.dumps({"alembic": "alembic" in sys.modules, "revision": rev, "visitors": n}))
"""


def _open_in_a_new_process(url: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", OPEN], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"MNIST_LAB_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(root),
                              "HOME": str(Path.home())})
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, out.stderr[-1500:]
    return json.loads(line[len("RESULT "):])


def test_a_server_opens_its_sqlite_database_without_alembic_unless_it_must_upgrade(tmp_path):
    head = db.head_revision()
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert _open_in_a_new_process(fresh) == {"alembic": False, "revision": [head], "visitors": 1}  # made
    assert _open_in_a_new_process(fresh) == {"alembic": False, "revision": [head], "visitors": 2}  # at head
    old = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db.migrate(old, "0002")
    assert _open_in_a_new_process(old) == {"alembic": True, "revision": [head], "visitors": 1}  # upgraded


def test_a_new_database_is_made_whole_or_not_at_all(tmp_path, monkeypatch):
    """Made in one transaction: a start that fails half-way leaves no tables without a revision (which no
    later start could open), and the next start makes it."""
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setattr(db, "ALEMBIC_VERSION", "CREATE TABLE this is not SQL")  # after every model table
    try:
        db.engine(url)
        raise AssertionError("the broken statement should have stopped it")
    except ClassroomError:
        pass
    eng = create_engine(db.database_url(url))
    assert inspect(eng).get_table_names() == []  # the tables made before it were rolled back
    eng.dispose()
    monkeypatch.undo()
    try:
        db.engine(url)
        assert _schema(url)["revision"] == [db.head_revision()]
    finally:
        db.dispose(url)

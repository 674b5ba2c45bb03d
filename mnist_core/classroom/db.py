"""Where the class database lives, one engine per URL, short sessions, migrations at first use.

By default it is SQLite in WAL mode, in ``classroom.sqlite`` *beside* the runs folder (not in
it: the runs folder holds runs only, so the per-class disk budget that measures it counts runs,
and wiping or copying the runs folder never tears a live database's WAL files).
``MNIST_LAB_DATABASE_URL=postgresql://user:password@host/db`` switches to PostgreSQL (through
psycopg 3) so that several app replicas serve one class. The first use of a URL in a process
runs the Alembic migrations to the newest revision; concurrent starts are serialised by a
file lock (SQLite) or an advisory lock (PostgreSQL, in ``migrations/env.py``).

A fresh server should show its first page at once, and importing Alembic and running three migrations
took a quarter of a second of it. So on SQLite a database already at the newest revision is opened
without Alembic, and an empty one is made from the models (which the tests hold equal to the
migrations) and stamped with the newest revision, as Alembic's documentation advises for a new
database; anything else (an older schema to upgrade, PostgreSQL) goes through Alembic.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from mnist_core import settings
from mnist_core.classroom import ClassroomError
from mnist_core.i18n import N_, Text

try:
    import fcntl
except ImportError:  # Windows: one server process per SQLite file is the supported case there
    fcntl = None

log = logging.getLogger(__name__)

DEFAULT_NAME = "classroom.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_MS = 15_000  # a writer waits this long for another (30 students committing at once queue, not fail)

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()

URL_HELP = "use sqlite:///path/to/classroom.sqlite or postgresql://user:password@host/database"


def default_url() -> str:
    path = settings.runs_dir().resolve().parent / DEFAULT_NAME
    return f"sqlite:///{path}"


def database_url(url: str | None = None) -> str:
    """The URL to use (given, else ``MNIST_LAB_DATABASE_URL``, else the default), checked and normalised.

    ``postgresql://`` and ``postgres://`` mean psycopg 3 (the driver installed), not psycopg2.
    """
    raw = url or settings.database_url() or default_url()
    try:
        u = make_url(raw)
    except ArgumentError:
        raise ClassroomError(Text(N_("MNIST_LAB_DATABASE_URL is not a database URL: {url_help}"),
                                  url_help=URL_HELP)) from None
    backend = u.drivername.split("+")[0]
    if backend in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if not u.database or u.database == ":memory:":
            raise ClassroomError(Text(N_("the class database must be a file, not SQLite in memory: {url_help}"),
                                      url_help=URL_HELP))
    else:
        raise ClassroomError(Text(N_("the class database must be SQLite or PostgreSQL: {url_help}"), url_help=URL_HELP))
    return u.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable across a killed process
    # (the SIGKILL test), and loses at most the last commits only on power loss.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    cur.close()


def _create(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, pool_pre_ping=True, connect_args={"timeout": BUSY_MS / 1000,
                                                                   "check_same_thread": False})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def alembic_config(url: str):
    """Alembic's configuration in code: no alembic.ini; the URL travels as an attribute (no % escaping)."""
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


@contextmanager
def _file_lock(url: str) -> Iterator[None]:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or fcntl is None:
        yield
        return
    lock = Path(u.database + ".migrate-lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def head_revision() -> str | None:
    """The newest migration's revision, read from the files (the one no other names as its parent);
    None when there is not exactly one. Alembic's own ``ScriptDirectory`` says the same (a test checks)."""
    parents = {}
    for f in (MIGRATIONS / "versions").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*=\s*[\"']([^\"']+)[\"']", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(?:[\"']([^\"']+)[\"']|None)", text, re.M)
        if rev:
            parents[rev.group(1)] = down.group(1) if down else None
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


ALEMBIC_VERSION = ("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                   "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")  # as Alembic makes it


def _without_alembic(eng: Engine) -> bool:
    """SQLite only: open a database at the newest revision as it is, or make an empty one from the models
    and stamp it. False: Alembic has to look at it."""
    head = head_revision()
    if head is None or eng.dialect.name != "sqlite":
        return False
    with eng.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" in tables:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [head]
    if tables:  # tables without a revision: not ours to guess
        return False
    _create_stamped(eng, head)
    return True


def _create_stamped(eng: Engine, head: str) -> None:
    """Every table and index of the models and Alembic's revision row, in one transaction of SQLite's own
    (``BEGIN IMMEDIATE`` ... ``COMMIT``): Python's sqlite3 would commit before each ``CREATE``, and a start
    killed half-way would leave tables without a revision, which no later start could open."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    from mnist_core.classroom.models import Base
    ddl = []
    for table in Base.metadata.sorted_tables:
        ddl.append(str(CreateTable(table).compile(dialect=eng.dialect)))
        ddl += [str(CreateIndex(ix).compile(dialect=eng.dialect)) for ix in sorted(table.indexes, key=lambda i: i.name)]
    raw = eng.raw_connection()  # a pooled connection: WAL and the pragmas are set on it
    try:
        sqlite = raw.driver_connection
        level = sqlite.isolation_level
        sqlite.isolation_level = None  # no implicit transactions: the one below is the only one
        cur = sqlite.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                for statement in [*ddl, ALEMBIC_VERSION]:
                    cur.execute(statement)
                cur.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        finally:
            cur.close()
            sqlite.isolation_level = level
    finally:
        raw.close()


def migrate(url: str | None = None, revision: str = "head", eng: Engine | None = None):
    """Upgrade the database to ``revision`` (the newest by default); a new database is created.
    With ``eng`` (the URL's engine, SQLite), a database at the newest revision or an empty one is
    handled without importing Alembic."""
    key = database_url(url)
    try:
        with _file_lock(key):
            if revision == "head" and eng is not None and _without_alembic(eng):
                return
            from alembic import command
            command.upgrade(alembic_config(key), revision)
    except (SQLAlchemyError, OSError, sqlite3.Error) as exc:  # sqlite3's own: the new database's raw DDL
        log.error("class database %s: %s", make_url(key).render_as_string(hide_password=True), exc)
        raise ClassroomError(N_("the class database cannot be opened; the server's log says why")) from None


def engine(url: str | None = None) -> Engine:
    """The engine for ``url``: made and migrated once per process, then shared by every thread."""
    key = database_url(url)
    with _LOCK:
        eng = _ENGINES.get(key)
        if eng is None:
            eng = _create(key)
            try:
                migrate(key, eng=eng)
            except BaseException:
                eng.dispose()
                raise
            _ENGINES[key] = eng
    return eng


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A short transaction: committed when the block ends, rolled back if it raises."""
    s = Session(engine(url), expire_on_commit=False)
    try:
        with s.begin():
            yield s
    except ClassroomError:
        raise
    except SQLAlchemyError as exc:
        log.error("class database error: %s", exc)
        raise ClassroomError(N_("the class database did not answer; try again in a moment")) from None
    finally:
        s.close()


def dispose(url: str | None = None):
    """Close the pooled connections of ``url``'s engine (tests; a database about to be dropped)."""
    key = database_url(url)
    with _LOCK:
        eng = _ENGINES.pop(key, None)
    if eng is not None:
        eng.dispose()

"""Every class test runs twice: on SQLite (a file per test) and on a real PostgreSQL.

The PostgreSQL server is a throwaway cluster made for the session in a temporary folder with
Debian's binaries, listening on a Unix socket in that folder only (no TCP port to collide
with), run as a non-root user (the server refuses root), and always stopped at the end.
Without PostgreSQL the PostgreSQL half skips with the reason, except under ``CI``, where it fails.
"""

import uuid

import pytest

from mnist_core.classroom import classes, db, identity
from mnist_core.classroom.identity import Actor
from tests.classroom import pgserver
from tests.conftest import need


@pytest.fixture(scope="session")
def postgres_server():
    try:
        with pgserver.cluster() as server:
            yield server
    except pgserver.PgUnavailable as exc:
        need(str(exc))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    """A fresh, empty class database for one test, named by MNIST_LAB_DATABASE_URL."""
    monkeypatch.delenv("MNIST_LAB_TEACHER_KEY", raising=False)
    server, name = None, None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'classroom.sqlite'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = "t" + uuid.uuid4().hex[:12]
        server.create(name)
        url = server.url(name)
    monkeypatch.setenv("MNIST_LAB_DATABASE_URL", url)
    yield url
    db.dispose(url)
    if server is not None:
        server.drop(name)


def new_actor() -> Actor:
    return Actor(identity.new_visitor()[0])


@pytest.fixture
def teacher(db_url) -> Actor:
    return identity.teacher_actor(identity.new_visitor()[0])


@pytest.fixture
def room(teacher):
    return classes.start_class(teacher, "Period 3")


def join(room, nickname: str) -> Actor:
    return classes.join(new_actor(), room.code, nickname)

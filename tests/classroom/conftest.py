"""Every class test runs twice: on SQLite (a file per test) and on a real PostgreSQL.

The PostgreSQL server is a throwaway cluster made for the session in a temporary folder with
Debian's binaries, listening on a Unix socket in that folder only (no TCP port to collide
with), run as a non-root user (the server refuses root), and always stopped at the end.
Without PostgreSQL the PostgreSQL half skips with the reason, except under ``CI``, where it fails.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnist_core.classroom import classes, db, identity
from mnist_core.classroom.identity import Actor
from tests.conftest import need

PG_USERS = ("postgres", "mnistpg", "nobody")  # Debian's package makes ``postgres``


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _server_user() -> pwd.struct_passwd | None:
    """The account to run the server as: None when we are not root (then we run it ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in PG_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(["useradd", "--system", "--no-create-home", "mnistpg"], check=True)
    return pwd.getpwnam("mnistpg")


@dataclass
class PgServer:
    socket_dir: Path
    user: str = "mnist"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}"

    def _admin(self):
        import psycopg
        return psycopg.connect(host=str(self.socket_dir), user=self.user, dbname="postgres", autocommit=True)

    def create(self, database: str):
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')

    def drop(self, database: str):
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _runner(user: pwd.struct_passwd | None):
    def run(*cmd):
        argv = [str(c) for c in cmd]
        if user is not None:
            argv = ["runuser", "-u", user.pw_name, "--", *argv]
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120)
    return run


@pytest.fixture(scope="session")
def postgres_server():
    bindir = _pg_bindir()
    if bindir is None:
        need("PostgreSQL is not installed (Debian: apt-get install postgresql): class tests on it cannot run")
    user = _server_user()
    if user is not None and shutil.which("runuser") is None:
        need("runuser (util-linux) is needed to start PostgreSQL as a non-root user")
    root = Path(tempfile.mkdtemp(prefix="mnistpg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    run = _runner(user)
    data, started = root / "data", False
    opts = f"-k {root} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    try:
        try:
            run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "mnist", "-E", "UTF8", "--locale=C", "--no-sync")
            started = True  # pg_ctl may have started it even when it reports a failure
            run(bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60", "-o", opts, "start")
        except subprocess.CalledProcessError as exc:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            need(f"PostgreSQL did not start: {(exc.stderr or log).strip().splitlines()[-1:]}")
        yield PgServer(root)
    finally:
        if started:
            with contextlib.suppress(Exception):
                run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


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

"""A throwaway PostgreSQL cluster for tests and benchmarks (Debian's binaries, no system server).

Made in a temporary folder, listening on a Unix socket in that folder only (no TCP port to collide
with), run as a non-root user (the server refuses root), and always stopped at the end.
``cluster()`` raises ``PgUnavailable`` with the reason when it cannot start one.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class PgUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or did not start."""


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


@contextlib.contextmanager
def cluster() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    if bindir is None:
        raise PgUnavailable("PostgreSQL is not installed (Debian: apt-get install postgresql): "
                            "class tests on it cannot run")
    user = _server_user()
    if user is not None and shutil.which("runuser") is None:
        raise PgUnavailable("runuser (util-linux) is needed to start PostgreSQL as a non-root user")
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
            raise PgUnavailable(f"PostgreSQL did not start: {(exc.stderr or log).strip().splitlines()[-1:]}") from None
        yield PgServer(root)
    finally:
        if started:
            with contextlib.suppress(Exception):
                run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)

"""The class database: where it lives, which URLs it takes, one engine per URL, models = migrations."""

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select

from mnist_core.classroom import ClassroomError, db, identity
from mnist_core.classroom.models import Base, Visitor


def test_default_database_is_beside_the_runs_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_LAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("MNIST_LAB_RUNS", str(tmp_path / "store" / "runs"))
    assert db.database_url() == f"sqlite:///{tmp_path / 'store' / 'classroom.sqlite'}"


def test_postgresql_urls_mean_psycopg3():
    assert db.database_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert db.database_url("postgres://u@h:5433/d") == "postgresql+psycopg://u@h:5433/d"


@pytest.mark.parametrize("bad", ["not a url", "mysql://u:secret@h/d", "sqlite://", "sqlite:///:memory:"])
def test_bad_urls_are_refused_in_one_line_without_the_password(bad):
    with pytest.raises(ClassroomError) as exc:
        db.database_url(bad)
    msg = str(exc.value)
    assert "\n" not in msg and "secret" not in msg and "sqlite:///" in msg


def test_an_unreachable_database_is_one_line(tmp_path):
    url = "postgresql://nobody:secret@/nodb?host=" + str(tmp_path)  # no server listens there
    with pytest.raises(ClassroomError, match="cannot be opened") as exc:
        db.engine(url)
    assert "secret" not in str(exc.value) and str(tmp_path) not in str(exc.value)


def test_models_and_migrations_agree(db_url):
    db.migrate(db_url)  # through Alembic's migrations (engine() makes a new SQLite database from the models)
    eng = create_engine(db.database_url(db_url))
    try:
        with eng.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        eng.dispose()


def test_one_engine_per_url_and_sqlite_in_wal(db_url):
    assert db.engine() is db.engine(db_url)
    if db_url.startswith("sqlite"):
        with db.engine().connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_threads_share_the_engine_and_lose_nothing(db_url):
    errors = []

    def work():
        try:
            for _ in range(10):
                identity.new_visitor()
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Visitor)) == 80

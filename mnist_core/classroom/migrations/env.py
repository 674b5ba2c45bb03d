"""Alembic's environment for the class database, run by ``db.migrate`` with the URL set in code.

On PostgreSQL a transaction-scoped advisory lock makes replicas that start together migrate one
after the other (the second finds the schema at head and does nothing).
"""

from alembic import context
from sqlalchemy import create_engine, pool, text

from mnist_core.classroom.models import Base

MIGRATION_LOCK = 7_301_017  # any constant; the same in every process of MNIST Lab

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")


def run_offline():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    eng = create_engine(url, poolclass=pool.NullPool)
    try:
        with eng.connect() as conn:
            context.configure(connection=conn, target_metadata=Base.metadata,
                              render_as_batch=conn.dialect.name == "sqlite")
            with context.begin_transaction():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
                context.run_migrations()
    finally:
        eng.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

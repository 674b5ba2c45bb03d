"""Alembic migrations of the class database (``db.migrate`` runs them; no alembic.ini needed)."""

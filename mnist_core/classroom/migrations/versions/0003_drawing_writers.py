"""Imported digits keep their writer: drawings.writer and drawings.writer_nickname (both NULL for drawn ones).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns: SQLite and PostgreSQL add them in place; every existing row was drawn here (NULL).
    op.add_column("drawings", sa.Column("writer", sa.String(48), nullable=True))
    op.add_column("drawings", sa.Column("writer_nickname", sa.String(24), nullable=True))
    op.create_index(op.f("ix_drawings_visitor_id"), "drawings", ["visitor_id"])


def downgrade():
    op.drop_index(op.f("ix_drawings_visitor_id"), table_name="drawings")
    with op.batch_alter_table("drawings") as batch:
        batch.drop_column("writer_nickname")
        batch.drop_column("writer")

"""Who is online (members.last_seen, backfilled from joined), contributed drawings, wrong-code counts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # A server default lets SQLite add a NOT NULL column in place (no table rebuild under live rows).
    op.add_column("members", sa.Column("last_seen", sa.Float, nullable=False, server_default=sa.text("0")))
    op.execute("UPDATE members SET last_seen = joined")
    op.create_table(
        "drawings",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer, sa.ForeignKey(
            "classes.id", ondelete="CASCADE", name=op.f("fk_drawings_class_id_classes")), nullable=True),
        sa.Column("visitor_id", sa.String(32), sa.ForeignKey(
            "visitors.id", ondelete="CASCADE", name=op.f("fk_drawings_visitor_id_visitors")), nullable=False),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("pixels", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawings")),
        sa.CheckConstraint("label >= 0 AND label <= 9", name=op.f("ck_drawings_label")),
    )
    op.create_index(op.f("ix_drawings_class_id"), "drawings", ["class_id"])
    op.create_table(
        "join_failures",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("visitor_id", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_failures")),
    )
    op.create_index(op.f("ix_join_failures_visitor_id"), "join_failures", ["visitor_id"])
    op.create_index(op.f("ix_join_failures_at"), "join_failures", ["at"])


def downgrade():
    op.drop_table("join_failures")
    op.drop_table("drawings")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("last_seen")

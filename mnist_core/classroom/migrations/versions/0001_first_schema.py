"""The first schema: visitors, classes, members, polls, answers and run owners.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visitors",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitors")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_visitors_token_hash")),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("closed", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
    )
    op.create_index(op.f("uq_classes_open_code"), "classes", ["code"], unique=True,
                    sqlite_where=sa.text("closed IS NULL"), postgresql_where=sa.text("closed IS NULL"))
    _members()
    _polls_answers()
    op.create_table(
        "run_owners",
        sa.Column("run_id", sa.String(120), nullable=False),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey(
            "visitors.id", ondelete="SET NULL", name=op.f("fk_run_owners_owner_id_visitors")), nullable=True),
        sa.Column("class_id", sa.Integer, sa.ForeignKey(
            "classes.id", ondelete="CASCADE", name=op.f("fk_run_owners_class_id_classes")), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_owners")),
    )
    op.create_index(op.f("ix_run_owners_owner_id"), "run_owners", ["owner_id"])
    op.create_index(op.f("ix_run_owners_class_id"), "run_owners", ["class_id"])


def _members():
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer, sa.ForeignKey(
            "classes.id", ondelete="CASCADE", name=op.f("fk_members_class_id_classes")), nullable=False),
        sa.Column("visitor_id", sa.String(32), sa.ForeignKey(
            "visitors.id", ondelete="CASCADE", name=op.f("fk_members_visitor_id_visitors")), nullable=False),
        sa.Column("nickname", sa.String(24), nullable=False),
        sa.Column("nickname_key", sa.String(96), nullable=False),
        sa.Column("joined", sa.Float, nullable=False),
        sa.Column("removed", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("class_id", "nickname_key", name=op.f("uq_members_class_nickname")),
        sa.UniqueConstraint("class_id", "visitor_id", name=op.f("uq_members_class_visitor")),
    )
    op.create_index(op.f("ix_members_visitor_id"), "members", ["visitor_id"])


def _polls_answers():
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("class_id", sa.Integer, sa.ForeignKey(
            "classes.id", ondelete="CASCADE", name=op.f("fk_polls_class_id_classes")), nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.CheckConstraint("state IN ('open', 'revealed', 'closed')", name=op.f("ck_polls_state")),
    )
    op.create_index(op.f("ix_polls_class_state"), "polls", ["class_id", "state"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("poll_id", sa.Integer, sa.ForeignKey(
            "polls.id", ondelete="CASCADE", name=op.f("fk_answers_poll_id_polls")), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey(
            "members.id", ondelete="CASCADE", name=op.f("fk_answers_member_id_members")), nullable=False),
        sa.Column("visitor_id", sa.String(32), sa.ForeignKey(
            "visitors.id", ondelete="CASCADE", name=op.f("fk_answers_visitor_id_visitors")), nullable=False),
        sa.Column("answer", sa.String(64), nullable=False),
        sa.Column("committed", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("poll_id", "visitor_id", name=op.f("uq_answers_poll_visitor")),
    )


def downgrade():
    for table in ("run_owners", "answers", "polls", "members", "classes", "visitors"):
        op.drop_table(table)

"""The class database's tables (SQLAlchemy 2 typed declarative models).

Times are seconds since the epoch (floats), as in the run store: the same on SQLite and
PostgreSQL, and "seen in the last N seconds" is one comparison. The schema is created and
upgraded only by the Alembic migrations in ``migrations/``; a test checks that these models
and the migrated database agree, so the two cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so a migration can name what it alters on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE_LENGTH = 6
NICKNAME_MAX = 24
ANSWER_MAX = 64
POLL_STATES = ("open", "revealed", "closed")
PIXELS = 28 * 28
WRITER_MAX = 48


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Visitor(Base):
    """A browser: a pseudonymous id and the SHA-256 of its token (never the token)."""

    __tablename__ = "visitors"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)


class Classroom(Base):
    """A class; its code is unique among open classes only, so codes can be reused after closing."""

    __tablename__ = "classes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    title: Mapped[str] = mapped_column(String(80))
    created: Mapped[float] = mapped_column(Float)
    closed: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = (
        Index("uq_classes_open_code", "code", unique=True,
              sqlite_where=text("closed IS NULL"), postgresql_where=text("closed IS NULL")),
    )


class Member(Base):
    """A visitor in a class under a nickname; ``nickname_key`` (case-folded) is what must be unique."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"), index=True)
    nickname: Mapped[str] = mapped_column(String(NICKNAME_MAX))
    nickname_key: Mapped[str] = mapped_column(String(4 * NICKNAME_MAX))
    joined: Mapped[float] = mapped_column(Float)
    # Added by revision 0002 (backfilled from ``joined``); the server default lets SQLite add it in place.
    last_seen: Mapped[float] = mapped_column(Float, server_default=text("0"))
    removed: Mapped[float | None] = mapped_column(Float, nullable=True)
    __table_args__ = (
        UniqueConstraint("class_id", "nickname_key", name="uq_members_class_nickname"),
        UniqueConstraint("class_id", "visitor_id", name="uq_members_class_visitor"),
    )


class Poll(Base):
    """A question about one lesson step (``step``: JSON text), open, then revealed, then closed."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))
    created: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        CheckConstraint("state IN ('open', 'revealed', 'closed')", name="state"),
        Index("ix_polls_class_state", "class_id", "state"),
    )


class Answer(Base):
    """One committed answer per visitor per poll (the unique constraint is the rule)."""

    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(ANSWER_MAX))
    committed: Mapped[float] = mapped_column(Float)
    __table_args__ = (UniqueConstraint("poll_id", "visitor_id", name="uq_answers_poll_visitor"),)


class RunOwner(Base):
    """Who made a run, and in which class. No row: the run is the teacher's (the CLI, the demo)."""

    __tablename__ = "run_owners"
    run_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("visitors.id", ondelete="SET NULL"), nullable=True, index=True)
    class_id: Mapped[int | None] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), nullable=True, index=True)
    created: Mapped[float] = mapped_column(Float)


class Drawing(Base):
    """A digit a visitor drew and labelled for the class (revision 0002): 784 bytes, row-major.

    ``writer`` and ``writer_nickname`` (revision 0003) are set only on digits imported from a file: who
    wrote them there (the file's writer id, made unique per import) and the nickname the file gave, if any.
    A digit drawn here has neither: its writer is ``visitor_id``, its nickname the member's.
    """

    __tablename__ = "drawings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int | None] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), nullable=True, index=True)
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"), index=True)  # 0003
    label: Mapped[int] = mapped_column(SmallInteger)
    pixels: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[float] = mapped_column(Float)
    writer: Mapped[str | None] = mapped_column(String(WRITER_MAX), nullable=True)
    writer_nickname: Mapped[str | None] = mapped_column(String(NICKNAME_MAX), nullable=True)
    __table_args__ = (CheckConstraint("label >= 0 AND label <= 9", name="label"),)


class JoinFailure(Base):
    """A wrong class code (revision 0002); counted per visitor and per server to slow guessing."""

    __tablename__ = "join_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visitor_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)

"""Digits that visitors draw and label for their class: 28x28 uint8, stored with their owner.

Only the owner or the teacher deletes one; the class (and the teacher) can look at them. A cap
per visitor keeps an anonymous visitor of a public server from filling the database. Outside a
class a visitor's digits (class id None) are their own set, seen only by them (and the teacher).
Only the 28x28 digit, its label, its owner's pseudonymous id and the time are stored: no canvas,
no address. Digits imported from a file (``import_drawings``, the teacher) keep the file's writer.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select

from mnist_core.classroom import ClassroomError, db
from mnist_core.classroom.classes import require_class_access
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.models import NICKNAME_MAX, PIXELS, WRITER_MAX, Drawing, Member
from mnist_core.classroom.ownership import require_owner
from mnist_core.i18n import N_, Text

MAX_PER_VISITOR = 500  # 500 x 784 bytes: under half a megabyte per visitor
MAX_PER_SET = 20_000  # imported digits in one class (or one visitor's own set): 16 MB


@dataclass(frozen=True)
class DrawingInfo:
    id: int
    class_id: int | None
    visitor_id: str
    nickname: str | None
    label: int
    pixels: np.ndarray  # (28, 28) uint8
    created: float
    writer: str = ""  # who wrote it: the visitor id, or the imported writer's id

    @property
    def imported(self) -> bool:
        return self.writer != self.visitor_id


def _pixels(image: object) -> bytes:
    if isinstance(image, bytes | bytearray):
        if len(image) != PIXELS:
            raise ClassroomError(Text(N_("a drawing is 28x28 pixels ({pixels} bytes), not {n} bytes"),
                                      pixels=PIXELS, n=len(image)))
        return bytes(image)
    a = np.asarray(image)
    if a.shape != (28, 28) or a.dtype != np.uint8:
        raise ClassroomError(N_("a drawing is a 28x28 array of uint8 pixels"))
    return a.tobytes()


def add_drawing(actor: Actor, label: object, image: object) -> int:
    """Store a labelled drawing for ``actor``'s class (or for the actor alone, outside a class)."""
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= int(label) <= 9:
        raise ClassroomError(N_("a drawing's label is a digit from 0 to 9"))
    data = _pixels(image)
    with db.session() as s:
        if actor.class_id is not None:
            require_class_access(s, actor, actor.class_id)
        n = s.scalar(select(func.count()).select_from(Drawing).where(Drawing.visitor_id == actor.visitor_id,
                                                                     Drawing.writer.is_(None)))
        if n >= MAX_PER_VISITOR:
            raise ClassroomError(Text(N_("you have stored {max_per_visitor} drawings, the most one visitor may keep"),
                                      max_per_visitor=MAX_PER_VISITOR))
        d = Drawing(class_id=actor.class_id, visitor_id=actor.visitor_id, label=int(label), pixels=data,
                    created=time.time())
        s.add(d)
        s.flush()
        return d.id


def _info(d: Drawing, nick: str | None) -> DrawingInfo:
    return DrawingInfo(d.id, d.class_id, d.visitor_id, d.writer_nickname if d.writer else nick, d.label,
                       np.frombuffer(d.pixels, dtype=np.uint8).reshape(28, 28).copy(), d.created,
                       d.writer or d.visitor_id)


def _rows(s, where) -> list[DrawingInfo]:
    rows = s.execute(select(Drawing, Member.nickname).outerjoin(
        Member, (Member.class_id == Drawing.class_id) & (Member.visitor_id == Drawing.visitor_id))
        .where(*where).order_by(Drawing.id)).all()
    return [_info(d, nick) for d, nick in rows]


def class_drawings(actor: Actor, class_id: int) -> list[DrawingInfo]:
    """The class's drawings with their authors' nicknames (the teacher and members)."""
    with db.session() as s:
        require_class_access(s, actor, class_id)
        return _rows(s, [Drawing.class_id == class_id])


def own_drawings(actor: Actor) -> list[DrawingInfo]:
    """The digits ``actor`` drew (and imported) outside any class: their own set."""
    with db.session() as s:
        return _rows(s, [Drawing.class_id.is_(None), Drawing.visitor_id == actor.visitor_id])


def set_drawings(actor: Actor) -> list[DrawingInfo]:
    """The actor's set: their class's digits in a class, else their own."""
    return class_drawings(actor, actor.class_id) if actor.class_id is not None else own_drawings(actor)


def my_drawings(actor: Actor) -> list[DrawingInfo]:
    """The digits ``actor`` drew in their set (what a student sees and may delete)."""
    with db.session() as s:
        if actor.class_id is not None:
            require_class_access(s, actor, actor.class_id)
        where = [Drawing.visitor_id == actor.visitor_id, Drawing.writer.is_(None),
                 Drawing.class_id == actor.class_id if actor.class_id is not None else Drawing.class_id.is_(None)]
        return _rows(s, where)


def delete_my_drawings(actor: Actor) -> int:
    """Delete every digit ``actor`` drew, in every class and their own set (one button); returns how many."""
    with db.session() as s:
        res = s.execute(delete(Drawing).where(Drawing.visitor_id == actor.visitor_id, Drawing.writer.is_(None)))
        return int(res.rowcount or 0)


def import_drawings(actor: Actor, images: np.ndarray, labels: np.ndarray, writers: list[str],
                    nicknames: list[str | None] | None = None) -> int:
    """Store checked digits from a file in the actor's set (only the teacher); returns how many.

    ``writers[i]`` is digit i's writer id as the file gives it; each import makes them unique (two
    files' writer 0 are two people), so a writer split never joins writers of different files.
    """
    if not actor.is_teacher:
        raise ClassroomError(N_("only the teacher can import digits"))
    n = len(labels)
    if images.shape != (n, 28, 28) or images.dtype != np.uint8 or len(writers) != n:
        raise ClassroomError(N_("the digits, labels and writers to import do not line up"))
    batch = secrets.token_hex(4)
    now = time.time()
    with db.session() as s:
        if actor.class_id is not None:
            require_class_access(s, actor, actor.class_id)
            scope = Drawing.class_id == actor.class_id
        else:
            scope = (Drawing.class_id.is_(None)) & (Drawing.visitor_id == actor.visitor_id)
        have = s.scalar(select(func.count()).select_from(Drawing).where(scope))
        if have + n > MAX_PER_SET:
            raise ClassroomError(Text(N_("a set holds at most {max_per_set:,} digits; it has {have:,} and the file "
                                         "{n:,}"), max_per_set=MAX_PER_SET, have=have, n=n))
        for i in range(n):
            label = int(labels[i])
            if not 0 <= label <= 9:
                raise ClassroomError(N_("a drawing's label is a digit from 0 to 9"))
            nick = nicknames[i] if nicknames else None
            s.add(Drawing(class_id=actor.class_id, visitor_id=actor.visitor_id, label=label,
                          pixels=images[i].tobytes(), created=now,
                          writer=f"i{batch}-{writers[i]}"[:WRITER_MAX],
                          writer_nickname=(nick or None) and str(nick)[:NICKNAME_MAX]))
    return n


def delete_drawing(actor: Actor, drawing_id: int):
    """Delete a drawing (only its owner or the teacher)."""
    with db.session() as s:
        d = s.get(Drawing, drawing_id)
        if d is None:
            raise ClassroomError(N_("this drawing does not exist"))
        require_owner(actor, d.visitor_id, d.class_id, action="delete", thing="drawing")
        s.delete(d)

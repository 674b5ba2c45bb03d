"""Digits that visitors draw and label for their class: 28x28 uint8, stored with their owner.

Only the owner or the teacher deletes one; the class (and the teacher) can look at them. A cap
per visitor keeps an anonymous visitor of a public server from filling the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from mnist_core.classroom import ClassroomError, db
from mnist_core.classroom.classes import require_class_access
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.models import PIXELS, Drawing, Member
from mnist_core.classroom.ownership import require_owner

MAX_PER_VISITOR = 500  # 500 x 784 bytes: under half a megabyte per visitor


@dataclass(frozen=True)
class DrawingInfo:
    id: int
    class_id: int | None
    visitor_id: str
    nickname: str | None
    label: int
    pixels: np.ndarray  # (28, 28) uint8
    created: float


def _pixels(image: object) -> bytes:
    if isinstance(image, bytes | bytearray):
        if len(image) != PIXELS:
            raise ClassroomError(f"a drawing is 28x28 pixels ({PIXELS} bytes), not {len(image)} bytes")
        return bytes(image)
    a = np.asarray(image)
    if a.shape != (28, 28) or a.dtype != np.uint8:
        raise ClassroomError("a drawing is a 28x28 array of uint8 pixels")
    return a.tobytes()


def add_drawing(actor: Actor, label: object, image: object) -> int:
    """Store a labelled drawing for ``actor``'s class (or for the actor alone, outside a class)."""
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= int(label) <= 9:
        raise ClassroomError("a drawing's label is a digit from 0 to 9")
    data = _pixels(image)
    with db.session() as s:
        if actor.class_id is not None:
            require_class_access(s, actor, actor.class_id)
        n = s.scalar(select(func.count()).select_from(Drawing).where(Drawing.visitor_id == actor.visitor_id))
        if n >= MAX_PER_VISITOR:
            raise ClassroomError(f"you have stored {MAX_PER_VISITOR} drawings, the most one visitor may keep")
        d = Drawing(class_id=actor.class_id, visitor_id=actor.visitor_id, label=int(label), pixels=data,
                    created=time.time())
        s.add(d)
        s.flush()
        return d.id


def class_drawings(actor: Actor, class_id: int) -> list[DrawingInfo]:
    """The class's drawings with their authors' nicknames (the teacher and members)."""
    with db.session() as s:
        require_class_access(s, actor, class_id)
        rows = s.execute(select(Drawing, Member.nickname).outerjoin(
            Member, (Member.class_id == Drawing.class_id) & (Member.visitor_id == Drawing.visitor_id))
            .where(Drawing.class_id == class_id).order_by(Drawing.id)).all()
    return [DrawingInfo(d.id, d.class_id, d.visitor_id, nick, d.label,
                        np.frombuffer(d.pixels, dtype=np.uint8).reshape(28, 28).copy(), d.created)
            for d, nick in rows]


def delete_drawing(actor: Actor, drawing_id: int):
    """Delete a drawing (only its owner or the teacher)."""
    with db.session() as s:
        d = s.get(Drawing, drawing_id)
        if d is None:
            raise ClassroomError("this drawing does not exist")
        require_owner(actor, d.visitor_id, d.class_id, action="delete", thing="drawing")
        s.delete(d)

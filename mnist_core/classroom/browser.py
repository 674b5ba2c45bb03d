"""What a browser keeps, and who it is when it comes back: the visitor cookie and the teacher's proof.

The visitor token lives in a first-party cookie (``VISITOR_COOKIE``): it is sent with every new
connection of that browser (a reload, a new tab, a shared link opened there) and never travels in
a link, so a link pasted to a neighbour carries the view, not the identity. Being the teacher is
kept in a second cookie (``TEACHER_COOKIE``) that holds a *proof*, never the key: an HMAC of the
visitor id under the teacher key. It cannot be made without the key, it is worth nothing with
another visitor's token, and it stops working when the key changes (a generated key changes at
each restart, as Jupyter's token does). No Streamlit here: ``ui/identity.py`` reads the cookies
and the address and writes what ``arrive`` decides.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from mnist_core.classroom import ClassroomError, IdentityError, classes, identity
from mnist_core.classroom.identity import Actor
from mnist_core.i18n import N_

VISITOR_COOKIE = "mnist_lab_visitor"
TEACHER_COOKIE = "mnist_lab_teacher"
COOKIE_SECONDS = identity.STALE_AFTER  # the cookie lives as long as the server honours its token
_PROOF_LABEL = b"mnist-lab-teacher:"

WRONG_KEY = N_("This teacher key is not this server's: you are a visitor. Use the link printed in the terminal "
               "where the server started.")
OLD_PROOF = N_("The teacher key has changed since this browser was the teacher (the server restarted): open the "
               "new link printed in its terminal.")
NEW_VISITOR = N_("This browser's visitor token was not accepted ({reason}): you are a new visitor.")


def teacher_proof(visitor_id: str) -> str:
    """What the teacher's browser keeps: HMAC-SHA256(teacher key, visitor id), in hex."""
    return hmac.new(identity.teacher_key().encode("utf-8"), _PROOF_LABEL + visitor_id.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def is_teacher_proof(visitor_id: str, proof: object) -> bool:
    if not isinstance(proof, str) or len(proof) != 64:
        return False
    return hmac.compare_digest(proof.encode("ascii", "replace"), teacher_proof(visitor_id).encode("ascii"))


@dataclass
class Arrival:
    """Who a browser session is, and what its cookies must say from now on."""

    actor: Actor
    token: str                 # the visitor token for the cookie
    proof: str | None          # the teacher cookie's value; None: no teacher cookie (clear it)
    write_cookies: bool        # whether the cookies must be (re)written: the browser's differ from these
    # one line each: (an English N_ sentence, its English values); translate both where shown
    notes: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def with_class(actor: Actor) -> Actor:
    """``actor`` in the open class it joined most recently (or in none): read again from the database."""
    mine = sorted(classes.my_classes(Actor(actor.visitor_id)), key=lambda c: c.created, reverse=True)
    for room in mine:
        try:
            m = classes.member_actor(actor.visitor_id, room.id)
        except ClassroomError:  # removed between the two reads: try the next class
            continue
        return Actor(actor.visitor_id, actor.is_teacher, room.id, m.nickname)
    return Actor(actor.visitor_id, actor.is_teacher)


def arrive(token: object = None, proof: object = None, teacher_key: object = None) -> Arrival:
    """Who a new browser session is, from its cookies (``token``, ``proof``) and a ``?teacher=`` value.

    A forged, unknown or stale token gives a new visitor and one line saying why; a right teacher
    key makes this browser the teacher, a wrong one is one line (and changes nothing else).
    """
    notes: list[tuple[str, dict[str, str]]] = []
    visitor_id = None
    if token:
        try:
            visitor_id = identity.resolve_visitor(token)
        except IdentityError as exc:
            notes.append((NEW_VISITOR, {"reason": str(exc)}))
    fresh = visitor_id is None
    if fresh:
        visitor_id, token = identity.new_visitor()
    teacher = False
    if not fresh and proof:
        teacher = is_teacher_proof(visitor_id, proof)
        if not teacher and teacher_key is None:
            notes.append((OLD_PROOF, {}))
    if teacher_key is not None:
        if identity.is_teacher_key(teacher_key):
            teacher = True
        else:
            notes.append((WRONG_KEY, {}))
    new_proof = teacher_proof(visitor_id) if teacher else None
    write = fresh or new_proof != (proof or None)
    return Arrival(with_class(Actor(visitor_id, teacher)), str(token), new_proof, write, notes)

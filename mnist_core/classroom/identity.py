"""Who is asking: pseudonymous visitors, the teacher's key, and the ``Actor`` every rule takes.

A visitor is a random token (``secrets.token_urlsafe(32)``) that only the browser keeps; the
database stores its SHA-256, so a copy of the database cannot be used to act as anyone. The
teacher proves it with a key, like Jupyter's token: ``MNIST_LAB_TEACHER_KEY`` if set, otherwise
one generated once per server process and printed in the terminal with a ready link.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select, update

from mnist_core import settings
from mnist_core.classroom import IdentityError, db
from mnist_core.classroom.models import Visitor
from mnist_core.i18n import N_

TOKEN_BYTES = 32
STALE_AFTER = 30 * 24 * 3600  # a token unused this long is refused: a browser forgotten in a lab
TOUCH_EVERY = 60.0  # resolving a token writes last_seen at most this often (not on every rerun)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) makes, nothing else

_KEY: str | None = None
_KEY_LOCK = threading.Lock()


@dataclass(frozen=True)
class Actor:
    """Someone acting: a visitor, whether they hold the teacher key, and their class (if any)."""

    visitor_id: str
    is_teacher: bool = False
    class_id: int | None = None
    nickname: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_visitor() -> tuple[str, str]:
    """A new visitor: (visitor id, token). Give the token to the browser; it is not stored anywhere."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    visitor_id = "v" + secrets.token_hex(8)
    now = time.time()
    with db.session() as s:
        s.add(Visitor(id=visitor_id, token_hash=hash_token(token), created=now, last_seen=now))
    return visitor_id, token


def resolve_visitor(token: object) -> str:
    """The visitor id of ``token``; a forged, unknown or stale token is refused in one line."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise IdentityError(N_("this visitor token is not one MNIST Lab makes; a new visitor is needed"))
    now = time.time()
    with db.session() as s:
        v = s.scalars(select(Visitor).where(Visitor.token_hash == hash_token(token))).first()
        if v is None:
            raise IdentityError(N_("this visitor token is unknown on this server; a new visitor is needed"))
        if now - v.last_seen > STALE_AFTER:
            raise IdentityError(N_("this visitor token has not been used for 30 days and has expired; "
                                   "a new visitor is needed"))
        if now - v.last_seen > TOUCH_EVERY:
            s.execute(update(Visitor).where(Visitor.id == v.id).values(last_seen=now))
        return v.id


def teacher_key() -> str:
    """``MNIST_LAB_TEACHER_KEY``, else this process's generated key (made once, at first call)."""
    configured = settings.teacher_key()
    if configured:
        return configured
    global _KEY
    with _KEY_LOCK:
        if _KEY is None:
            _KEY = secrets.token_urlsafe(24)
        return _KEY


def is_teacher_key(candidate: object) -> bool:
    """Whether ``candidate`` is the teacher key (constant-time: the comparison leaks no prefix)."""
    if not isinstance(candidate, str) or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), teacher_key().encode("utf-8"))


def teacher_banner(base_url: str = "http://localhost:8501") -> str:
    """The one line to print in the terminal at start.

    A generated key is printed in a ready link; a configured one is not (it sits in a secret
    store, and logs are read by more people than secrets are).
    """
    base = base_url.rstrip("/")
    if settings.teacher_key():
        return f"Teacher: open {base}/?teacher=<MNIST_LAB_TEACHER_KEY> to teach this server."
    return f"Teacher: open {base}/?teacher={quote(teacher_key(), safe='')} to teach this server (keep it private)."


def teacher_actor(visitor_id: str) -> Actor:
    """The teacher's ``Actor``; call it only after ``is_teacher_key`` said yes."""
    return Actor(visitor_id=visitor_id, is_teacher=True)

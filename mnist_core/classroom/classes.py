"""Classes and their members: start, join with a code and a nickname, remove, close, delete, who is online.

Codes are 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), unique among open
classes (a partial unique index), so a code read off a projector is typed right. Wrong codes
are counted in the database, not in this process: replicas behind a load balancer and a
restarted server share the count, so guessing cannot be multiplied by replicas or restarts.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mnist_core.classroom import ClassroomError, JoinError, db, shared
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.models import (
    CODE_LENGTH,
    NICKNAME_MAX,
    Classroom,
    Drawing,
    JoinFailure,
    Member,
    Poll,
    RunOwner,
)
from mnist_core.i18n import N_, Text

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector, typed right
TITLE_MAX = 80
ONLINE_SECONDS = 30.0  # online on the board: seen within this (a member's poll touches well within it)
# touch() writes at most this often per member: a look at the poll every 3-12 s (``ui.classroom``)
# keeps last_seen at most TOUCH_EVERY + 12 s = 22 s old, inside ONLINE_SECONDS
TOUCH_EVERY = 10.0
GUESS_WINDOW = 60.0
VISITOR_GUESSES = 5  # wrong codes per visitor per window, then wait
SERVER_GUESSES = 60  # wrong codes per server per window (visitors are free to make, so count them all)
NICK_PUNCTUATION = frozenset(" -_.'")


@dataclass(frozen=True)
class ClassInfo:
    id: int
    code: str
    title: str
    created: float
    closed: float | None


@dataclass(frozen=True)
class MemberInfo:
    id: int
    visitor_id: str
    nickname: str
    joined: float
    last_seen: float
    removed: bool
    online: bool


class _CodeTaken(ClassroomError):
    """Another open class drew the same code first."""


def _info(c: Classroom) -> ClassInfo:
    return ClassInfo(c.id, c.code, c.title, c.created, c.closed)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in text)


def check_nickname(raw: object) -> tuple[str, str]:
    """(nickname as shown, its case-folded key); every bad nickname is refused in its own line."""
    if not isinstance(raw, str):
        raise JoinError(N_("a nickname is needed"))
    text = unicodedata.normalize("NFKC", raw)
    if _has_control(text):
        raise JoinError(N_("a nickname cannot contain control characters (tabs, line breaks, invisible marks)"))
    nick = " ".join(text.split())
    if not nick:
        raise JoinError(N_("a nickname is needed"))
    if len(nick) > NICKNAME_MAX:
        raise JoinError(Text(N_("a nickname has at most {nickname_max} characters; this one has {n}"),
                             nickname_max=NICKNAME_MAX, n=len(nick)))
    if any(not (unicodedata.category(ch)[0] in "LMN" or ch in NICK_PUNCTUATION) for ch in nick):
        raise JoinError(N_("a nickname may contain only letters, digits, spaces and - _ . ' (no markup or symbols)"))
    return nick, nick.casefold()


def normalise_code(raw: object) -> str:
    """A code as typed ("k7m 3qx") -> as stored ("K7M3QX"); anything that cannot be a code is refused."""
    code = "".join(raw.split()).replace("-", "").upper() if isinstance(raw, str) else ""
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise JoinError(Text(N_("a class code is {n} letters and digits, as the teacher shows it"), n=CODE_LENGTH))
    return code


def _require_teacher(actor: Actor, message: str):
    if not actor.is_teacher:
        raise ClassroomError(message)


def start_class(actor: Actor, title: str = "") -> ClassInfo:
    """A new open class with a fresh code (only the teacher)."""
    _require_teacher(actor, "only the teacher can start a class")
    title = " ".join(str(title or "").split())
    if _has_control(title) or len(title) > TITLE_MAX:
        raise ClassroomError(Text(N_("a class title has at most {title_max} characters and no control characters"),
                                  title_max=TITLE_MAX))
    for _ in range(20):  # a clash needs two open classes among 887 million codes: retries are for the test
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with db.session() as s:
                room = Classroom(code=code, title=title or "Class", created=time.time())
                s.add(room)
                try:
                    s.flush()
                except IntegrityError:
                    raise _CodeTaken(code) from None
                return _info(room)
        except _CodeTaken:
            continue
    raise ClassroomError(N_("no free class code was found; try again"))


def _guess_wait(s: Session, visitor_id: str, now: float) -> str | None:
    """The refusal while this visitor (or the whole server) has guessed too many wrong codes."""
    since = now - GUESS_WINDOW
    mine = s.scalars(select(JoinFailure.at).where(JoinFailure.visitor_id == visitor_id, JoinFailure.at > since)
                     .order_by(JoinFailure.at.desc()).limit(VISITOR_GUESSES)).all()
    if len(mine) >= VISITOR_GUESSES:
        wait = math.ceil(mine[-1] + GUESS_WINDOW - now)
        return f"too many wrong class codes; try again in {wait} seconds"
    every = s.scalars(select(JoinFailure.at).where(JoinFailure.at > since)
                      .order_by(JoinFailure.at.desc()).limit(SERVER_GUESSES)).all()
    if len(every) >= SERVER_GUESSES:
        wait = math.ceil(every[-1] + GUESS_WINDOW - now)
        return f"too many wrong class codes on this server; try again in {wait} seconds"
    return None


def _find_open(code: str, visitor_id: str) -> int:
    """The open class with ``code``; a wrong code is counted (committed) before it is refused."""
    now = time.time()
    with db.session() as s:
        refusal = _guess_wait(s, visitor_id, now)
        room_id = None if refusal else s.scalars(
            select(Classroom.id).where(Classroom.code == code, Classroom.closed.is_(None))).first()
        if refusal is None and room_id is None:
            s.add(JoinFailure(visitor_id=visitor_id, at=now))
            s.execute(delete(JoinFailure).where(JoinFailure.at < now - GUESS_WINDOW))
    if refusal:
        raise JoinError(refusal)
    if room_id is None:
        raise JoinError(N_("no open class has this code; check it with your teacher"))
    return room_id


def join(actor: Actor, code: object, nickname: object) -> Actor:
    """Join the open class with ``code`` as ``nickname``; the returned ``Actor`` is the member.

    Joining again with the same nickname (a reload, a second tab) is the same membership.
    """
    nick, key = check_nickname(nickname)
    class_id = _find_open(normalise_code(code), actor.visitor_id)
    now = time.time()
    taken = N_("this nickname is already taken in this class; choose another")
    with db.session() as s:
        mine = s.scalars(select(Member).where(Member.class_id == class_id,
                                              Member.visitor_id == actor.visitor_id)).first()
        if mine is not None:
            if mine.removed is not None:
                raise JoinError(N_("the teacher removed you from this class"))
            if mine.nickname_key != key:
                raise JoinError(N_("you are already in this class under another nickname"))
            mine.last_seen = now
            return Actor(actor.visitor_id, actor.is_teacher, class_id, mine.nickname)
        if s.scalars(select(Member.id).where(Member.class_id == class_id, Member.nickname_key == key)).first():
            raise JoinError(taken)
        s.add(Member(class_id=class_id, visitor_id=actor.visitor_id, nickname=nick, nickname_key=key,
                     joined=now, last_seen=now))
        try:
            s.flush()
        except IntegrityError:  # someone took it between the check and the insert
            raise JoinError(taken) from None
    shared.class_changed(class_id)  # the new member's first look at the poll is not refused
    return Actor(actor.visitor_id, actor.is_teacher, class_id, nick)


def _active_member(s: Session, visitor_id: str, class_id: int) -> Member | None:
    return s.scalars(select(Member).where(Member.class_id == class_id, Member.visitor_id == visitor_id,
                                          Member.removed.is_(None))).first()


def require_class_access(s: Session, actor: Actor, class_id: int) -> Classroom:
    """The class, if ``actor`` is the teacher or one of its (not removed) members; else a refusal."""
    room = s.get(Classroom, class_id)
    if room is None:
        raise ClassroomError(N_("this class does not exist (it may have been deleted)"))
    if not actor.is_teacher and _active_member(s, actor.visitor_id, class_id) is None:
        raise ClassroomError(N_("only the teacher and the members of a class can see it"))
    return room


def member_actor(visitor_id: str, class_id: int) -> Actor:
    """The ``Actor`` of a visitor in a class, read from the database (a removed member is refused)."""
    with db.session() as s:
        m = _active_member(s, visitor_id, class_id)
        if m is None:
            raise ClassroomError(N_("you are not a member of this class (or the teacher removed you)"))
        return Actor(visitor_id, False, class_id, m.nickname)


def my_classes(actor: Actor) -> list[ClassInfo]:
    """The open classes this visitor is a member of (to put a returning browser back in its class)."""
    with db.session() as s:
        rows = s.scalars(select(Classroom).join(Member, Member.class_id == Classroom.id).where(
            Member.visitor_id == actor.visitor_id, Member.removed.is_(None), Classroom.closed.is_(None))).all()
        return [_info(c) for c in rows]


def open_classes(actor: Actor) -> list[ClassInfo]:
    _require_teacher(actor, "only the teacher can list the classes on this server")
    with db.session() as s:
        return [_info(c) for c in s.scalars(select(Classroom).order_by(Classroom.created.desc())).all()]


def class_info(actor: Actor, class_id: int) -> ClassInfo:
    with db.session() as s:
        return _info(require_class_access(s, actor, class_id))


def members(actor: Actor, class_id: int, within: float = ONLINE_SECONDS) -> list[MemberInfo]:
    """The class's members by nickname; the teacher also sees removed ones, classmates do not."""
    now = time.time()
    with db.session() as s:
        require_class_access(s, actor, class_id)
        q = select(Member).where(Member.class_id == class_id).order_by(func.lower(Member.nickname))
        if not actor.is_teacher:
            q = q.where(Member.removed.is_(None))
        return [MemberInfo(m.id, m.visitor_id, m.nickname, m.joined, m.last_seen, m.removed is not None,
                           m.removed is None and now - m.last_seen <= within) for m in s.scalars(q).all()]


def online(actor: Actor, class_id: int, within: float = ONLINE_SECONDS) -> list[str]:
    """Nicknames seen (``touch``) in the last ``within`` seconds."""
    return [m.nickname for m in members(actor, class_id, within) if m.online]


_touched: dict[tuple[str, int, str], float] = {}  # (database URL, class id, visitor id) -> when written here
_touch_lock = threading.Lock()


def touch(actor: Actor):
    """Mark the actor's membership as seen now: at most one write every ``TOUCH_EVERY`` seconds,
    counted in this process (no database work in between) and in the database (another server's)."""
    if actor.class_id is None:
        return
    now = time.time()
    key = (db.database_url(), actor.class_id, actor.visitor_id)
    with _touch_lock:
        if now - _touched.get(key, -math.inf) < TOUCH_EVERY:
            return
        _touched[key] = now
        if len(_touched) > 4096:  # a long-running server: forget the members not seen lately
            for k in [k for k, t in _touched.items() if now - t >= TOUCH_EVERY]:
                del _touched[k]
    try:
        with db.session() as s:
            s.execute(update(Member).where(Member.class_id == actor.class_id, Member.visitor_id == actor.visitor_id,
                                           Member.removed.is_(None), Member.last_seen < now - TOUCH_EVERY)
                      .values(last_seen=now))
    except BaseException:
        with _touch_lock:
            if _touched.get(key) == now:
                del _touched[key]  # not written: the next look tries again
        raise


def remove_member(actor: Actor, class_id: int, member_id: int):
    """Take a student out of the class (their answers and runs are kept; they cannot rejoin it)."""
    _require_teacher(actor, "only the teacher can remove a student")
    with db.session() as s:
        m = s.get(Member, member_id)
        if m is None or m.class_id != class_id:
            raise ClassroomError(N_("this student is not in this class"))
        if m.removed is None:
            m.removed = time.time()
    shared.class_changed(class_id)


def close_class(actor: Actor, class_id: int):
    """Close a class: nobody can join or answer, its code may be reused; its data is kept, except the
    digits its members drew (their handwriting is theirs: the class's set goes with the class)."""
    _require_teacher(actor, "only the teacher can close a class")
    with db.session() as s:
        room = s.get(Classroom, class_id)
        if room is None:
            raise ClassroomError(N_("this class does not exist (it may have been deleted)"))
        if room.closed is None:
            room.closed = time.time()
        s.execute(update(Poll).where(Poll.class_id == class_id).values(state="closed"))
        s.execute(delete(Drawing).where(Drawing.class_id == class_id))
    shared.class_changed(class_id)


def delete_class(actor: Actor, class_id: int) -> list[str]:
    """Delete a class and everything recorded in it; returns its run ids, for the run store to delete."""
    _require_teacher(actor, "only the teacher can delete a class")
    with db.session() as s:
        room = s.get(Classroom, class_id)
        if room is None:
            raise ClassroomError(N_("this class does not exist (it may have been deleted)"))
        run_ids = list(s.scalars(select(RunOwner.run_id).where(RunOwner.class_id == class_id)).all())
        s.delete(room)  # members, polls, answers, drawings and run owners go with it (ON DELETE CASCADE)
    shared.class_changed(class_id)
    return run_ids

"""Live polls: the teacher asks about a lesson step, members commit one answer, the teacher reveals.

A commit is final: a second commit to the same poll is refused, not replaced. The lesson asks
students to predict before they see, so changing a guess after talking to a neighbour (or after
the counts move) would defeat it; a final commit also makes the board's counts only grow, so
"nothing lost" is one count. Opening a poll (``next_poll``) closes the class's previous one: a
class looks at one step at a time.

A member's screen looks at the poll every few seconds (``member_view``); those looks share one
read of the class per second in this process (``shared.CLASSES``), and every change made here
(open, reveal, close, a commit) is seen by the next look at once.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mnist_core.classroom import ClassroomError, PollError, db, shared
from mnist_core.classroom.classes import require_class_access
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.models import ANSWER_MAX, Answer, Classroom, Member, Poll
from mnist_core.i18n import N_, Text

STEP_MAX = 2000


@dataclass(frozen=True)
class PollInfo:
    id: int
    class_id: int
    step: Any  # the lesson step reference as the teacher gave it (text or JSON data)
    state: str
    created: float


@dataclass(frozen=True)
class Tally:
    poll_id: int
    state: str
    counts: dict[str, int]
    answered: list[str] = field(default_factory=list)  # nicknames; the teacher's view only
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClassPoll:
    """What every member's screen needs of a class, read at once and shared (``shared.CLASSES``)."""
    class_id: int
    poll: PollInfo | None  # the open or revealed poll
    members: frozenset[str]  # visitor ids of the members not removed
    answers: dict[str, str]  # visitor id -> answer to ``poll``, in the order committed


@dataclass(frozen=True)
class MemberView:
    """What one member's screen shows of the class's poll."""
    poll: PollInfo | None
    mine: str | None  # this member's committed answer
    counts: dict[str, int] | None  # answer -> how many, once revealed (before: None, as ``tally`` refuses)


def _info(p: Poll) -> PollInfo:
    return PollInfo(p.id, p.class_id, json.loads(p.step), p.state, p.created)


def _step_text(step: Any) -> str:
    try:
        text = json.dumps(step, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        raise PollError(N_("a lesson step must be text or JSON data (numbers, lists, mappings)")) from None
    if len(text) > STEP_MAX:
        raise PollError(Text(N_("a lesson step reference has at most {step_max} characters"), step_max=STEP_MAX))
    return text


def _check_answer(raw: object) -> str:
    text = " ".join(unicodedata.normalize("NFKC", raw).split()) if isinstance(raw, str) else ""
    if not text:
        raise PollError(N_("an answer is needed"))
    if len(text) > ANSWER_MAX:
        raise PollError(Text(N_("an answer has at most {answer_max} characters"), answer_max=ANSWER_MAX))
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise PollError(N_("an answer cannot contain control characters"))
    return text


def _poll(s: Session, poll_id: int) -> Poll:
    p = s.get(Poll, poll_id)
    if p is None:
        raise PollError(N_("this poll does not exist (its class may have been deleted)"))
    return p


def open_poll(actor: Actor, class_id: int, step: Any) -> PollInfo:
    """Open a poll on ``step`` for the class (only the teacher); the class's previous poll closes."""
    if not actor.is_teacher:
        raise PollError(N_("only the teacher can open a poll"))
    text = _step_text(step)
    with db.session() as s:
        room = s.get(Classroom, class_id)
        if room is None or room.closed is not None:
            raise PollError(N_("this class is closed or gone; open a poll in an open class"))
        s.execute(update(Poll).where(Poll.class_id == class_id, Poll.state != "closed").values(state="closed"))
        p = Poll(class_id=class_id, step=text, state="open", created=time.time())
        s.add(p)
        s.flush()
        info = _info(p)
    shared.class_changed(class_id)  # after the commit: a look that reads now sees it
    return info


def next_poll(actor: Actor, class_id: int, step: Any) -> PollInfo:
    """"Next": move the whole class to ``step`` (the same as opening a poll on it)."""
    return open_poll(actor, class_id, step)


def current_poll(actor: Actor, class_id: int) -> PollInfo | None:
    """The class's poll that is open or revealed (what every screen in the class shows), if any."""
    with db.session() as s:
        require_class_access(s, actor, class_id)
        p = s.scalars(select(Poll).where(Poll.class_id == class_id, Poll.state != "closed")
                      .order_by(Poll.id.desc())).first()
        return _info(p) if p else None


def _read_class(class_id: int) -> ClassPoll | None:
    """The class's poll, members and answers in one session; None when the class is gone."""
    with db.session() as s:
        if s.get(Classroom, class_id) is None:
            return None
        members = frozenset(s.scalars(select(Member.visitor_id).where(Member.class_id == class_id,
                                                                       Member.removed.is_(None))).all())
        p = s.scalars(select(Poll).where(Poll.class_id == class_id, Poll.state != "closed")
                      .order_by(Poll.id.desc())).first()
        answers = {} if p is None else dict(s.execute(
            select(Answer.visitor_id, Answer.answer).where(Answer.poll_id == p.id)
            .order_by(Answer.committed, Answer.id)).tuples().all())
        return ClassPoll(class_id, _info(p) if p else None, members, answers)


def member_view(actor: Actor, class_id: int) -> MemberView:
    """What ``actor``'s screen shows of the class's poll: ``current_poll``, ``my_answer`` and the
    members' ``tally`` in one, from the class's shared read (at most ``shared.CLASS_SECONDS`` old,
    and never older than a change made in this process). The same refusals as ``current_poll``."""
    key = shared.class_key(class_id)
    snap = shared.CLASSES.get(key, lambda: _read_class(class_id))
    if snap is not None and not actor.is_teacher and actor.visitor_id not in snap.members:
        snap = shared.CLASSES.get(key, lambda: _read_class(class_id), fresh=True)  # joined on another server?
    if snap is None:
        raise ClassroomError(N_("this class does not exist (it may have been deleted)"))
    if not actor.is_teacher and actor.visitor_id not in snap.members:
        raise ClassroomError(N_("only the teacher and the members of a class can see it"))
    poll = snap.poll
    if poll is None:
        return MemberView(None, None, None)
    counts = dict(Counter(snap.answers.values())) if poll.state == "revealed" else None
    return MemberView(poll, snap.answers.get(actor.visitor_id), counts)


def commit_answer(actor: Actor, poll_id: int, answer: object):
    """Commit ``actor``'s answer (members of the poll's class only, once, while the poll is open)."""
    text = _check_answer(answer)
    already = N_("you have already committed an answer to this poll")
    with db.session() as s:
        p = _poll(s, poll_id)
        m = s.scalars(select(Member).where(Member.class_id == p.class_id, Member.visitor_id == actor.visitor_id,
                                           Member.removed.is_(None))).first()
        if m is None:
            raise PollError(N_("only members of this class can answer its poll"))
        if p.state != "open":
            raise PollError(N_("this poll no longer takes answers: the teacher has revealed or closed it"))
        if s.scalars(select(Answer.id).where(Answer.poll_id == poll_id, Answer.visitor_id == actor.visitor_id)
                     ).first():
            raise PollError(already)
        s.add(Answer(poll_id=poll_id, member_id=m.id, visitor_id=actor.visitor_id, answer=text,
                     committed=time.time()))
        try:
            s.flush()
        except IntegrityError:  # a double click in two tabs: the unique constraint keeps one
            raise PollError(already) from None
        class_id = p.class_id
    shared.class_changed(class_id)


def my_answer(actor: Actor, poll_id: int) -> str | None:
    with db.session() as s:
        return s.scalars(select(Answer.answer).where(Answer.poll_id == poll_id,
                                                     Answer.visitor_id == actor.visitor_id)).first()


def reveal(actor: Actor, poll_id: int) -> PollInfo:
    """Show the answer on every screen of the class (only the teacher)."""
    if not actor.is_teacher:
        raise PollError(N_("only the teacher can reveal the answer"))
    with db.session() as s:
        p = _poll(s, poll_id)
        if p.state == "closed":
            raise PollError(N_("this poll is closed; open the next one"))
        p.state = "revealed"
        info = _info(p)
    shared.class_changed(info.class_id)
    return info


def close_poll(actor: Actor, poll_id: int):
    if not actor.is_teacher:
        raise PollError(N_("only the teacher can close a poll"))
    with db.session() as s:
        p = _poll(s, poll_id)
        p.state = "closed"
        class_id = p.class_id
    shared.class_changed(class_id)


def tally(actor: Actor, poll_id: int) -> Tally:
    """Counts per answer; the teacher also gets who answered and who has not (active members).

    Members see the counts only after the reveal, so that the counts cannot steer their guess.
    """
    with db.session() as s:
        p = _poll(s, poll_id)
        require_class_access(s, actor, p.class_id)
        if not actor.is_teacher and p.state == "open":
            raise PollError(N_("the answers are shown once the teacher reveals them"))
        rows = s.execute(select(Answer.answer, Member.nickname).join(Member, Member.id == Answer.member_id)
                         .where(Answer.poll_id == poll_id).order_by(Answer.committed)).all()
        counts: dict[str, int] = {}
        for answer, _nick in rows:
            counts[answer] = counts.get(answer, 0) + 1
        if not actor.is_teacher:
            return Tally(p.id, p.state, counts)
        answered = [nick for _a, nick in rows]
        everyone = s.scalars(select(Member.nickname).where(Member.class_id == p.class_id,
                                                           Member.removed.is_(None)).order_by(Member.joined)).all()
        done = set(answered)
        return Tally(p.id, p.state, counts, answered, [n for n in everyone if n not in done])

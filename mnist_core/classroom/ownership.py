"""Whose work is whose: the rules, and the record of who made each run.

Only the owner or the teacher changes something (renames, deletes, re-tags it); classmates may
view and use a class's runs read-only. A run with no recorded owner (made by the CLI, or by the
teacher) is the teacher's. The demo ships with MNIST Lab: nobody deletes or changes it, not even
the teacher. The run store calls ``record_run`` when it creates a run and ``require_run`` before
it changes one, so the rule holds whatever page (or script) asks.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from mnist_core.classroom import OwnershipError, db
from mnist_core.classroom.identity import Actor
from mnist_core.classroom.models import Member, RunOwner
from mnist_core.i18n import N_

PROTECTED_RUNS = frozenset({"demo"})
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")

# One whole sentence per (action, thing), each marked, so that a page shows it in the session's language.
REFUSALS = {
    ("delete", "run"): N_("only its owner or the teacher may delete this run"),
    ("rename", "run"): N_("only its owner or the teacher may rename this run"),
    ("retag", "run"): N_("only its owner or the teacher may change the tags of this run"),
    ("change", "run"): N_("only its owner or the teacher may change this run"),
    ("delete", "drawing"): N_("only its owner or the teacher may delete this drawing"),  # a drawing of Contribute
    ("change", "drawing"): N_("only its owner or the teacher may change this drawing"),
}
DEMO_REFUSALS = {
    "delete": N_("the demo run ships with MNIST Lab; nobody can delete it"),
    "rename": N_("the demo run ships with MNIST Lab; nobody can rename it"),
    "retag": N_("the demo run ships with MNIST Lab; nobody can change its tags"),
    "change": N_("the demo run ships with MNIST Lab; nobody can change it"),
}


@dataclass(frozen=True)
class RunOwnership:
    run_id: str
    owner_id: str | None  # None: the teacher's
    class_id: int | None
    nickname: str | None  # the owner's nickname in that class, for the run history


def can_modify(actor: Actor, owner_visitor_id: str | None, class_id: int | None) -> bool:
    """Whether ``actor`` may change something owned by ``owner_visitor_id`` in ``class_id``.

    Being in the same class never widens this: classmates view, they do not change. ``class_id``
    is taken so that both rules read the same way at the call site.
    """
    if actor.is_teacher:
        return True
    return owner_visitor_id is not None and owner_visitor_id == actor.visitor_id


def can_view(actor: Actor, owner_visitor_id: str | None, class_id: int | None) -> bool:
    """The teacher's things (owner None) are everyone's to view; a class's things are its members'."""
    if actor.is_teacher or owner_visitor_id is None or owner_visitor_id == actor.visitor_id:
        return True
    return class_id is not None and class_id == actor.class_id


def require_owner(actor: Actor, owner_visitor_id: str | None, class_id: int | None, *,
                  action: str = "delete", thing: str = "run"):
    """Refuse in one line unless ``actor`` may ``action`` it (``OwnershipError``)."""
    if not can_modify(actor, owner_visitor_id, class_id):
        raise OwnershipError(REFUSALS.get((action, thing)) or REFUSALS["change", thing])  # fallback only if needed


def _check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise OwnershipError(N_("this is not a run id"))
    return run_id


def owner_of(run_id: str) -> RunOwnership | None:
    """Who owns ``run_id`` (None: no record, so the teacher's), with the owner's nickname."""
    run_id = _check_run_id(run_id)
    with db.session() as s:
        row = s.execute(
            select(RunOwner, Member.nickname).outerjoin(
                Member, (Member.class_id == RunOwner.class_id) & (Member.visitor_id == RunOwner.owner_id))
            .where(RunOwner.run_id == run_id)).first()
    if row is None:
        return None
    r, nickname = row
    return RunOwnership(r.run_id, r.owner_id, r.class_id, nickname)


def owners(run_ids: list[str]) -> dict[str, RunOwnership]:
    """``owner_of`` for many runs in one query (the run history); runs without a record are left out."""
    ids = [_check_run_id(r) for r in run_ids]
    if not ids:
        return {}
    with db.session() as s:
        rows = s.execute(
            select(RunOwner, Member.nickname).outerjoin(
                Member, (Member.class_id == RunOwner.class_id) & (Member.visitor_id == RunOwner.owner_id))
            .where(RunOwner.run_id.in_(ids))).all()
    return {r.run_id: RunOwnership(r.run_id, r.owner_id, r.class_id, nick) for r, nick in rows}


def can_modify_run(actor: Actor, run_id: str) -> bool:
    if run_id in PROTECTED_RUNS:
        return False
    o = owner_of(run_id)
    return can_modify(actor, o.owner_id if o else None, o.class_id if o else None)


def require_run(actor: Actor, run_id: str, action: str = "delete"):
    """Refuse in one line unless ``actor`` may ``action`` (delete, rename, retag) this run."""
    if run_id in PROTECTED_RUNS:
        raise OwnershipError(DEMO_REFUSALS.get(action, DEMO_REFUSALS["change"]))
    o = owner_of(run_id)
    require_owner(actor, o.owner_id if o else None, o.class_id if o else None, action=action, thing="run")


def record_run(run_id: str, actor: Actor | None):
    """Record who made ``run_id``. No actor (the CLI) or the teacher: no owner, so the teacher's.

    A run's owner is recorded once; recording it again for someone else is refused.
    """
    run_id = _check_run_id(run_id)
    if run_id in PROTECTED_RUNS:
        raise OwnershipError(DEMO_REFUSALS["change"])
    if actor is None or (actor.is_teacher and actor.class_id is None):
        return
    owner = None if actor.is_teacher else actor.visitor_id
    with db.session() as s:
        s.add(RunOwner(run_id=run_id, owner_id=owner, class_id=actor.class_id, created=time.time()))
        try:
            s.flush()
        except IntegrityError:
            raise OwnershipError(N_("this run already has an owner")) from None


def forget_run(actor: Actor, run_id: str):
    """Drop the record of a run that is being deleted (only its owner or the teacher)."""
    require_run(actor, run_id, "delete")
    with db.session() as s:
        s.execute(delete(RunOwner).where(RunOwner.run_id == run_id))


def runs_of(visitor_id: str | None = None, class_id: int | None = None) -> list[str]:
    """Run ids recorded for a visitor and/or a class (mine, my class; a student's runs to clear)."""
    q = select(RunOwner.run_id).order_by(RunOwner.created)
    if visitor_id is not None:
        q = q.where(RunOwner.owner_id == visitor_id)
    if class_id is not None:
        q = q.where(RunOwner.class_id == class_id)
    with db.session() as s:
        return list(s.scalars(q).all())


def runs_for(actor: Actor, run_ids: list[str], which: str = "class") -> tuple[list[str], dict[str, RunOwnership]]:
    """The runs of ``run_ids`` that ``actor`` is shown, in their order, with their owners.

    ``which``: "mine" (what ``actor`` made; the teacher's are those without an owner), "class"
    (what ``actor`` may view: theirs, their class's and the teacher's; the teacher sees all).
    A folder name that is no run id has no record, so it is the teacher's."""
    known = owners([r for r in run_ids if isinstance(r, str) and _RUN_ID.fullmatch(r)])
    out = []
    for r in run_ids:
        o = known.get(r)
        owner, cls = (o.owner_id, o.class_id) if o else (None, None)
        if which == "mine":
            keep = owner is None if actor.is_teacher else owner == actor.visitor_id
        else:
            keep = can_view(actor, owner, cls)
        if keep:
            out.append(r)
    return out, known

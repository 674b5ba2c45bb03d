"""Visitors (a token only the browser keeps) and the teacher's key."""

import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from mnist_core.classroom import IdentityError, db, identity
from mnist_core.classroom.models import Visitor


def test_a_visitor_is_resolved_by_its_token_and_the_token_is_not_stored(db_url):
    vid, token = identity.new_visitor()
    assert len(token) == 43 and identity.resolve_visitor(token) == vid
    with db.session() as s:
        stored = s.scalars(select(Visitor)).one()
    assert stored.token_hash == identity.hash_token(token) != token
    if db_url.startswith("sqlite"):
        db.dispose()  # checkpoint the WAL so that every byte is in the files read below
        files = Path(make_url(db_url).database).parent.glob("classroom.sqlite*")
        assert all(token.encode() not in f.read_bytes() for f in files)


@pytest.mark.parametrize("forged", ["", "short", "x" * 43 + "!", "a" * 42 + "<", None, 42, ["t"]])
def test_forged_tokens_are_refused_in_one_line(db_url, forged):
    identity.new_visitor()
    with pytest.raises(IdentityError, match="not one MNIST Lab makes") as exc:
        identity.resolve_visitor(forged)
    assert "\n" not in str(exc.value)


def test_unknown_and_stale_tokens_are_refused(db_url):
    with pytest.raises(IdentityError, match="unknown on this server"):
        identity.resolve_visitor(secrets.token_urlsafe(32))
    vid, token = identity.new_visitor()
    with db.session() as s:
        s.execute(update(Visitor).where(Visitor.id == vid)
                  .values(last_seen=time.time() - identity.STALE_AFTER - 1))
    with pytest.raises(IdentityError, match="has expired"):
        identity.resolve_visitor(token)


def test_resolving_marks_the_visitor_seen(db_url):
    vid, token = identity.new_visitor()
    old = time.time() - 3600
    with db.session() as s:
        s.execute(update(Visitor).where(Visitor.id == vid).values(last_seen=old))
    identity.resolve_visitor(token)
    with db.session() as s:
        assert s.get(Visitor, vid).last_seen > old + 3000


def test_the_generated_teacher_key_is_made_once_and_printed_in_a_link(monkeypatch):
    monkeypatch.delenv("MNIST_LAB_TEACHER_KEY", raising=False)
    monkeypatch.setattr(identity, "_KEY", None)
    key = identity.teacher_key()
    assert identity.teacher_key() == key and len(key) >= 32
    assert identity.is_teacher_key(key)
    for wrong in (key[:-1], key + "x", "", None, 7, "é" * 32, key.upper()):
        assert not identity.is_teacher_key(wrong)
    banner = identity.teacher_banner("http://localhost:8501/")
    assert f"http://localhost:8501/?teacher={key} " in banner and "\n" not in banner


def test_a_configured_teacher_key_wins_and_is_not_printed(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "correct horse battery")
    assert identity.is_teacher_key("correct horse battery")
    assert not identity.is_teacher_key(identity._KEY or "generated")
    assert "correct horse" not in identity.teacher_banner()

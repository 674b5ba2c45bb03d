"""A browser coming back: its visitor cookie, the teacher's proof, ?teacher=KEY (mnist_core.classroom.browser)."""

import time

from sqlalchemy import update

from mnist_core.classroom import browser, classes, db, identity
from mnist_core.classroom.models import Visitor
from tests.classroom.conftest import join


def test_a_new_browser_gets_a_visitor_and_keeps_it(db_url):
    first = browser.arrive()
    assert first.write_cookies and first.notes == [] and not first.actor.is_teacher
    assert first.proof is None and first.actor.class_id is None
    again = browser.arrive(first.token)  # a reload, a new tab, a shared link opened in the same browser
    assert again.actor.visitor_id == first.actor.visitor_id and again.token == first.token
    assert not again.write_cookies and again.notes == []


def test_a_forged_or_stale_token_is_a_new_visitor_with_one_line(db_url):
    forged = browser.arrive("x" * 43)
    assert forged.write_cookies and len(forged.notes) == 1
    template, values = forged.notes[0]
    assert template == browser.NEW_VISITOR and "unknown on this server" in values["reason"]
    assert "\n" not in template.format(**values)
    assert "not one MNIST Lab makes" in browser.arrive("<script>").notes[0][1]["reason"]
    old = browser.arrive()
    with db.session() as s:
        s.execute(update(Visitor).where(Visitor.id == old.actor.visitor_id)
                  .values(last_seen=time.time() - identity.STALE_AFTER - 10))
    stale = browser.arrive(old.token)
    assert stale.actor.visitor_id != old.actor.visitor_id and "30 days" in stale.notes[0][1]["reason"]


def test_the_teacher_key_makes_this_browser_the_teacher_and_the_proof_keeps_it(db_url, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "right-key")
    visitor = browser.arrive()
    wrong = browser.arrive(visitor.token, None, "wrong-key")
    assert not wrong.actor.is_teacher and wrong.notes == [(browser.WRONG_KEY, {})] and wrong.proof is None
    t = browser.arrive(visitor.token, None, "right-key")
    assert t.actor.is_teacher and t.actor.visitor_id == visitor.actor.visitor_id  # the same visitor: nothing lost
    assert t.write_cookies and t.proof == browser.teacher_proof(visitor.actor.visitor_id)
    assert "right-key" not in t.proof  # the cookie holds a proof, never the key
    back = browser.arrive(t.token, t.proof)  # a reload: still the teacher, no key in the address
    assert back.actor.is_teacher and not back.write_cookies and back.notes == []
    other = browser.arrive()
    stolen = browser.arrive(other.token, t.proof)  # the proof is worth nothing with another visitor
    assert not stolen.actor.is_teacher and stolen.notes == [(browser.OLD_PROOF, {})] and stolen.write_cookies
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "new-key")  # a restart with another key
    after = browser.arrive(t.token, t.proof)
    assert not after.actor.is_teacher and after.notes == [(browser.OLD_PROOF, {})] and after.proof is None


def test_a_proof_without_a_key_is_not_a_proof(db_url, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_TEACHER_KEY", "right-key")
    v = browser.arrive()
    for forged in ("", "0" * 64, "g" * 64, "é" * 64, None, 42):
        assert not browser.is_teacher_proof(v.actor.visitor_id, forged)


def test_a_returning_member_is_back_in_their_class_unless_removed(db_url, room, teacher):
    v = browser.arrive()
    classes.join(v.actor, room.code, "Ana")
    back = browser.arrive(v.token)
    assert (back.actor.class_id, back.actor.nickname) == (room.id, "Ana")
    bea = join(room, "Bea")
    members = {m.nickname: m.id for m in classes.members(teacher, room.id)}
    classes.remove_member(teacher, room.id, members["Ana"])
    assert browser.arrive(v.token).actor.class_id is None
    assert browser.with_class(bea).class_id == room.id
    classes.close_class(teacher, room.id)
    assert browser.with_class(bea).class_id is None  # a closed class is nobody's current class

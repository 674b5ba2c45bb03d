"""A server killed mid-class loses nothing; two servers on one PostgreSQL serve one class.

The checks of ``benchmarks/classroom_fault.py`` (real servers, a real browser), with a smaller class.
"""

import sys
from pathlib import Path

import pytest

from tests.conftest import need

from .harness import CHROMIUM, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(autouse=True)
def _chromium(monkeypatch):
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    monkeypatch.delenv("MNIST_LAB_DATABASE_URL", raising=False)  # the benchmark sets its own


def test_a_server_killed_mid_class_loses_nothing_and_the_training_run_reads_interrupted():
    import classroom_fault
    r = classroom_fault.kill_part("sqlite", members=5, timeout=240)
    assert r["before_kill"] == r["after_restart"] == {"members": 6, "answers": 5, "counts": {"1": 2, "7": 3}}
    assert r["runs_after_restart"] == {"zoe short": "finished", "zoe long": "interrupted"}
    assert r["worker_pid_was_other_process"] and r["worker_gone_s"] is not None  # no orphan keeps training
    assert r["browser_student_still_in_class"] and r["training_page_exceptions"] == 0
    assert r["nothing_lost"]


def test_two_servers_on_one_postgresql_serve_one_class():
    import classroom_fault

    from tests.classroom import pgserver
    try:
        with pgserver.cluster():
            pass
    except pgserver.PgUnavailable as exc:
        need(str(exc))
    r = classroom_fault.replicas_part(timeout=240)
    assert r["members_seen_by_teacher"] == ["Ana", "Bea"]  # one joined on each server
    assert r["tally"] == {"7": 1, "1": 1}  # both guesses reached the teacher
    assert r["reveal_reached_both_s"] < 30 and r["exceptions"] == 0

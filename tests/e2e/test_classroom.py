"""A classroom on one server, in CI: benchmarks/classroom_load.py at N = 4 sessions, two of which
train at the same time (the N = 8 figures are in BENCHMARKS.md). Real browsers, one real server."""

from pathlib import Path

from tests.conftest import need

from .harness import CHROMIUM


def test_four_sessions_draw_train_and_see_only_their_own_run():
    if not Path(CHROMIUM).exists():
        need("Chromium is missing: apt-get install -y chromium (CI's .ci/run does this)")
    from benchmarks.classroom_load import run
    report = run(sessions=4, trainers=2, timeout=180, deadline=600)
    print(report)  # the figures, in CI's log
    assert report["errors"] == []
    assert report["predictions"] == ["prediction: 7"]  # every session read its own drawing
    assert report["own_run_only"]  # each trainer saw its run, the others none
    assert report["all_runs_finished_and_listed"] and report["left_running"] == 0
    assert report["server_alive"]
    assert report["rss_mb"]["after_class"] < 1500  # far above the goal: a leak, not noise, would trip it

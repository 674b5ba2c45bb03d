"""What the board computes: the class's runs, the leaderboard, the Pareto front, what a poll shows."""

from dataclasses import dataclass, field

from mnist_core.classroom import board
from mnist_core.classroom.ownership import RunOwnership
from mnist_core.presets import PRESETS


def test_the_pareto_front_keeps_only_the_runs_nothing_beats_on_both():
    pts = [(100, 0.90), (200, 0.95), (150, 0.89), (300, 0.95), (50, 0.80), (200, 0.97), (400, 0.99)]
    front = board.pareto_front(pts)
    assert [pts[i] for i in front] == [(50, 0.80), (100, 0.90), (200, 0.97), (400, 0.99)]
    assert board.pareto_front([]) == []
    assert board.pareto_front([(5, 0.5), (5, 0.5)]) == [0, 1]  # two students who built the same network
    assert board.pareto_front([(5, 0.5), (5, 0.6)]) == [1]


@dataclass
class FakeInfo:
    run_id: str
    summary: dict
    spec: object = None
    damaged: str | None = None
    config: dict = field(default_factory=dict)


def _rows():
    spec = PRESETS[next(iter(PRESETS))].spec()
    a = spec.analyze()
    infos = [FakeInfo("20260101-000001-a", {"name": "A", "status": "finished", "test_accuracy": 0.91,
                                           "train_seconds": 12.3}, spec),
             FakeInfo("20260101-000002-b", {"name": "B", "status": "running"}, spec),
             FakeInfo("20260101-000003-c", {"name": "C", "status": "finished", "test_accuracy": float("nan")}, spec),
             FakeInfo("20260101-000004-x", {"name": "other class", "status": "finished", "test_accuracy": 1.0}),
             FakeInfo("20260101-000005-t", {"name": "T", "status": "finished", "test_accuracy": 0.95}, spec)]
    owners = {"20260101-000001-a": RunOwnership("20260101-000001-a", "v1", 1, "Ana"),
              "20260101-000002-b": RunOwnership("20260101-000002-b", "v2", 1, "Bea"),
              "20260101-000003-c": RunOwnership("20260101-000003-c", "v2", 1, "Bea"),
              "20260101-000005-t": RunOwnership("20260101-000005-t", None, 1, None)}
    return board.run_rows(infos, owners, "teacher"), a


def test_run_rows_are_the_class_runs_with_owner_state_and_counts():
    rows, a = _rows()
    assert [r.run_id[-1] for r in rows] == ["t", "c", "b", "a"]  # newest first, the other class's run left out
    ana = rows[-1]
    assert (ana.nickname, ana.state, ana.accuracy, ana.train_seconds) == ("Ana", "finished", 0.91, 12.3)
    assert (ana.params, ana.macs) == (a.total_params, a.total_macs) and a.total_macs > 0
    assert rows[1].accuracy is None  # NaN is not a score
    assert rows[0].nickname == "teacher"


def test_the_leaderboard_ranks_finished_runs_and_the_front_is_on_it():
    rows, _ = _rows()
    assert [r.name for r in board.leaderboard(rows)] == ["T", "A"]
    front = board.front_rows(rows)
    assert [r.name for r in front] == ["T"]  # the same network, more accurate: A is dominated
    fig = board.scatter(rows)
    assert [t.mode for t in fig.data] == ["markers", "markers", "lines"]


def test_a_poll_step_shows_its_answer_only_once_revealed():
    step = board.poll_step("Which digit?", "7", ["7", " 1 ", "7", "", "x" * 99], "Lesson", 2, 5, "experiments",
                           {"cls": 3})
    hidden = board.shown_step(step, revealed=False)
    assert hidden.answer is None and hidden.prompt == "Which digit?"
    assert hidden.choices == ("7", "1", "x" * board.CHOICE_MAX)
    assert (hidden.index, hidden.count, hidden.view, hidden.state) == (2, 5, "experiments", {"cls": 3})
    assert board.shown_step(step, revealed=True).answer == "7"
    assert board.shown_step({"lesson": "a", "step": 3}, True).prompt == "{'lesson': 'a', 'step': 3}"
    assert board.parse_choices("a, b\nc, A") == ("a", "b", "c")
    assert len(board.parse_choices(",".join(str(i) for i in range(40)))) == board.CHOICES_MAX

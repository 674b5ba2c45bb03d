"""What the teacher's board and the students' Class page show, computed without Streamlit.

- ``run_rows``: each class run with its owner's nickname, state, test accuracy, parameters,
  multiply-adds and training seconds; ``leaderboard`` ranks the finished ones.
- ``pareto_front``: the runs no other run beats on both accuracy (higher) and multiply-adds (fewer):
  the trade-off a class explores when it designs networks.
- ``poll_step`` / ``shown_step``: the data a poll is opened on (a lesson step, with optional
  choices) and what a student may see of it (the answer only once revealed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mnist_core.classroom.ownership import RunOwnership
from mnist_core.safe_text import for_plotly as _t

POLL_FORMAT = "mnist-lab-poll/1"
CHOICES_MAX = 12
CHOICE_MAX = 40
TEXT_MAX = 2000 - 400  # what fits in a poll's step reference (polls.STEP_MAX) with the rest of the step


@dataclass(frozen=True)
class RunRow:
    run_id: str
    name: str
    nickname: str          # the owner's nickname in the class ("teacher" for the teacher's runs)
    owner_id: str | None
    state: str             # running, finished, stopped, failed, interrupted...
    accuracy: float | None
    params: int | None
    macs: int | None
    train_seconds: float | None


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def run_rows(infos: Iterable[Any], ownerships: Mapping[str, RunOwnership], teacher_name: str = "teacher"
             ) -> list[RunRow]:
    """One row per run in ``ownerships`` that the store lists (``infos``: ``RunInfo``s), newest first."""
    rows = []
    for info in infos:
        own = ownerships.get(info.run_id)
        if own is None:
            continue
        params = macs = None
        if info.spec is not None:
            try:
                a = info.spec.analyze()
                if a.ok:
                    params, macs = a.total_params, a.total_macs
            except Exception:  # noqa: BLE001 - a spec the store read but cannot analyse: shown without counts
                pass
        s = info.summary if isinstance(info.summary, dict) else {}
        state = "damaged" if getattr(info, "damaged", None) else str(s.get("status") or "unknown")
        rows.append(RunRow(info.run_id, str(s.get("name") or info.run_id), own.nickname or teacher_name,
                           own.owner_id, state, _number(s.get("test_accuracy")), params, macs,
                           _number(s.get("train_seconds"))))
    return sorted(rows, key=lambda r: r.run_id, reverse=True)  # run ids begin with their start time


def leaderboard(rows: Sequence[RunRow]) -> list[RunRow]:
    """Finished runs with a test accuracy, best first; a tie goes to fewer multiply-adds."""
    done = [r for r in rows if r.accuracy is not None and r.state in ("finished", "stopped")]
    return sorted(done, key=lambda r: (-r.accuracy, r.macs if r.macs is not None else math.inf, r.run_id))


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points (cost, score) that no other point dominates, by rising cost.

    A point is dominated by one that costs no more and scores no less, and is better in one of
    the two. Equal points are all on the front (two students who built the same network).
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front: list[int] = []
    best = -math.inf
    last: tuple[float, float] | None = None
    for i in order:
        cost, score = points[i]
        if score > best or (last is not None and (cost, score) == last):
            front.append(i)
            best = max(best, score)
            last = (cost, score)
    return front


def front_rows(rows: Sequence[RunRow]) -> list[RunRow]:
    """The leaderboard's runs on the accuracy-vs-multiply-adds Pareto front, by rising multiply-adds."""
    ranked = [r for r in leaderboard(rows) if r.macs is not None]
    return [ranked[i] for i in pareto_front([(float(r.macs), r.accuracy) for r in ranked])]


def scatter(rows: Sequence[RunRow], x_title: str = "multiply-adds per digit", y_title: str = "test accuracy",
            front_name: str = "Pareto front", height: int = 420):
    """Accuracy vs multiply-adds of the class's finished runs, each student a colour, the front a line."""
    import plotly.graph_objects as go

    from mnist_core.charts import PALETTE, _layout
    ranked = [r for r in leaderboard(rows) if r.macs is not None]
    fig = go.Figure()
    for k, nick in enumerate(sorted({r.nickname for r in ranked}, key=str.casefold)):
        mine = [r for r in ranked if r.nickname == nick]
        fig.add_scatter(x=[r.macs for r in mine], y=[r.accuracy for r in mine], mode="markers", name=_t(nick),
                        marker=dict(size=11, color=PALETTE[k % len(PALETTE)]),
                        text=[_t(f"{r.nickname}: {r.name}") for r in mine],
                        hovertemplate="%{text}<br>%{x:,} · %{y:.2%}<extra></extra>")
    front = front_rows(rows)
    if front:
        fig.add_scatter(x=[r.macs for r in front], y=[r.accuracy for r in front], mode="lines",
                        line=dict(shape="hv", color="black", dash="dot"), name=_t(front_name), hoverinfo="skip")
    fig.update_xaxes(type="log", title=_t(x_title))
    fig.update_yaxes(title=_t(y_title), tickformat=".0%")
    return _layout(fig, height=height, legend=dict(orientation="h", y=-0.25))


# --- polls ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownStep:
    """A poll's step as a screen shows it."""
    prompt: str
    choices: tuple[str, ...]      # empty: the answer is typed
    answer: str | None            # None until revealed (and for steps without one)
    lesson: str
    index: int | None             # 0-based step of the lesson, None for a question of the teacher's own
    count: int | None
    view: str | None
    state: dict


def parse_choices(text: object) -> tuple[str, ...]:
    """"0, 1, 2" or one per line -> ("0", "1", "2"): trimmed, no empties or repeats, bounded."""
    if not isinstance(text, str):
        return ()
    out: list[str] = []
    for part in text.replace("\n", ",").split(","):
        c = " ".join(part.split())[:CHOICE_MAX]
        if c and c.casefold() not in {o.casefold() for o in out}:
            out.append(c)
    return tuple(out[:CHOICES_MAX])


def poll_step(prompt: str, answer: str = "", choices: Sequence[str] = (), lesson: str = "",
              index: int | None = None, count: int | None = None, view: str | None = None,
              state: dict | None = None) -> dict:
    """The JSON a poll is opened on: everything a student's screen needs, answer included (kept back
    by ``shown_step`` until Reveal)."""
    return {"format": POLL_FORMAT, "prompt": str(prompt)[:TEXT_MAX // 2], "answer": str(answer)[:TEXT_MAX // 4],
            "choices": list(parse_choices(",".join(choices))) if choices else [], "lesson": str(lesson)[:120],
            "index": index, "count": count, "view": view, "state": dict(state or {})}


def shown_step(step: Any, revealed: bool) -> ShownStep:
    """What a screen shows of a poll's step; the answer only once ``revealed``. Any other step
    reference (text, data from a script) shows as its text."""
    if not isinstance(step, dict) or step.get("format") != POLL_FORMAT:
        return ShownStep(str(step)[:TEXT_MAX], (), None, "", None, None, None, {})
    choices = tuple(str(c) for c in step.get("choices") or () if isinstance(c, str))
    answer = step.get("answer") if revealed and isinstance(step.get("answer"), str) and step["answer"] else None
    index = step.get("index") if isinstance(step.get("index"), int) else None
    count = step.get("count") if isinstance(step.get("count"), int) else None
    view = step.get("view") if isinstance(step.get("view"), str) else None
    st = step.get("state") if isinstance(step.get("state"), dict) else {}
    return ShownStep(str(step.get("prompt", "")), choices, answer, str(step.get("lesson", "")), index, count,
                     view, st)

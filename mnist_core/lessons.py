"""Shareable lessons: a view's state in the URL, and lesson files a teacher walks a class through.

A view a teacher may share keeps its whole state in the query string
(``/experiments?kind=rotate&strength=30&cls=7``). ``from_query`` reads it back with each
value checked: a bad or stale value falls back to its default with one line saying so,
never an exception. A lesson file (JSON) holds an optional architecture spec and training
settings and an ordered list of steps, each a view, its state and a prompt; a step can
hide its answer until the student has committed a guess ("predict before you reveal").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from . import MnistLabError
from .perturb import KINDS

FORMAT = "mnist-lab-lesson/1"
MAX_BYTES = 256 * 1024


class LessonError(MnistLabError):
    pass


@dataclass
class Field:
    default: Any
    parse: Callable[[str], Any]   # raises ValueError for a bad value
    words: str                    # what a good value is, for the one-line message


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(v: str) -> int:
        n = int(v)
        if not lo <= n <= hi:
            raise ValueError
        return n
    return parse


def _choice(options) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if v not in options:
            raise ValueError
        return v
    return parse


def _run_id(v: str) -> str:
    if not v or len(v) > 100 or any(c in v for c in "/\\") or v.startswith("."):
        raise ValueError
    return v


VIEWS: dict[str, dict[str, Field]] = {
    "experiments": {
        "model": Field("demo", _run_id, "a run id or demo"),
        "source": Field("test", _choice(("test", "drawing")), "test or drawing"),
        "cls": Field(7, _int_in(0, 9), "a digit 0-9"),
        "k": Field(0, _int_in(0, 100_000), "a whole number"),
        "kind": Field("rotate", _choice(tuple(KINDS)), "one of " + ", ".join(KINDS)),
        "strength": Field(30, _int_in(-100, 100), "a whole number from -100 to 100"),
    },
    "timetravel": {
        "model": Field("demo", _run_id, "a run id or demo"),
        "moment": Field(-1, _int_in(-1, 1000), "a snapshot number"),
        "cls": Field(7, _int_in(0, 9), "a digit 0-9"),
        "k": Field(0, _int_in(0, 100_000), "a whole number"),
    },
    "inside": {
        "model": Field("demo", _run_id, "a run id or demo"),
        "cls": Field(7, _int_in(0, 9), "a digit 0-9"),
        "k": Field(0, _int_in(0, 100_000), "a whole number"),
        "layer": Field(1, _int_in(1, 40), "a layer number"),
    },
}
PAGES = {"experiments": "experiments", "timetravel": "timetravel", "inside": "inside"}


def from_query(view: str, params) -> tuple[dict, list[str]]:
    """(the view's state, one line per value that was bad and replaced by its default)."""
    if view not in VIEWS:
        raise LessonError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")
    state, notes = {}, []
    for name, f in VIEWS[view].items():
        raw = params.get(name) if hasattr(params, "get") else None
        if raw is None:
            state[name] = f.default
            continue
        try:
            state[name] = f.parse(str(raw))
        except (ValueError, TypeError):
            state[name] = f.default
            notes.append(f"The link's {name}={str(raw)[:40]!r} is not {f.words}: showing {f.default!r} instead.")
    return state, notes


def to_query(view: str, state: dict) -> dict[str, str]:
    """The state as query parameters (every field, so a link is complete)."""
    return {name: str(state.get(name, f.default)) for name, f in VIEWS[view].items()}


def link(view: str, state: dict) -> str:
    from urllib.parse import urlencode
    return f"/{PAGES[view]}?{urlencode(to_query(view, state))}"


@dataclass
class Step:
    view: str
    state: dict
    prompt: str
    answer: str = ""            # shown only after the student commits a guess (if any)


@dataclass
class Lesson:
    title: str
    steps: list[Step] = field(default_factory=list)
    spec: dict | None = None     # an ArchSpec as a dict, to build on the Architecture page
    train: dict | None = None    # TrainConfig settings

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "title": self.title, "spec": self.spec, "train": self.train,
                           "steps": [{"view": s.view, "state": s.state, "prompt": s.prompt, "answer": s.answer}
                                     for s in self.steps]}, indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Lesson":
        if len(text) > MAX_BYTES:
            raise LessonError(f"a lesson file is at most {MAX_BYTES // 1024} KB")
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LessonError(f"not a lesson file: not valid JSON ({str(exc)[:80]})") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise LessonError(f"not a lesson file: it has no \"format\": \"{FORMAT}\"")
        steps = d.get("steps")
        if not isinstance(steps, list) or not steps:
            raise LessonError("a lesson needs at least one step")
        out = []
        for i, s in enumerate(steps, start=1):
            if not isinstance(s, dict) or s.get("view") not in VIEWS or not isinstance(s.get("prompt"), str):
                raise LessonError(f"step {i}: needs a view ({', '.join(VIEWS)}) and a prompt")
            state, notes = from_query(s["view"], {k: str(v) for k, v in (s.get("state") or {}).items()})
            if notes:
                raise LessonError(f"step {i}: {notes[0]}")
            out.append(Step(s["view"], state, s["prompt"][:2000], str(s.get("answer", ""))[:2000]))
        if d.get("spec") is not None:
            from .spec import ArchSpec, SpecError
            try:
                ArchSpec.from_dict(d["spec"])
            except SpecError as exc:
                raise LessonError(f"the lesson's network: {exc}") from None
        if d.get("train") is not None:
            from .config import ConfigError, TrainConfig
            try:
                TrainConfig.from_dict(d["train"]).validate()
            except (ConfigError, TypeError) as exc:
                raise LessonError(f"the lesson's training settings: {exc}") from None
        return cls(str(d.get("title", "A lesson"))[:200], out, d.get("spec"), d.get("train"))

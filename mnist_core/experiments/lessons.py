"""Lesson files a teacher walks a class through.

A lesson file (JSON) holds an optional architecture spec and training
settings and an ordered list of steps, each a view, its state and a prompt; a step can
hide its answer until the student has committed a guess ("predict before you reveal").
Errors are in the session's language (a lesson is opened in the page's script run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from mnist_core import MnistLabError, safejson
from mnist_core.experiments.views import VIEWS, from_query
from mnist_core.i18n import _

FORMAT = "mnist-lab-lesson/1"
MAX_BYTES = 256 * 1024


class LessonError(MnistLabError):
    pass


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
    def from_json(cls, text: str | bytes) -> Lesson:
        try:
            d = safejson.loads(text, MAX_BYTES)
        except safejson.JSONInputError as exc:
            raise LessonError(_("cannot open the lesson: {error}").format(error=exc)) from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise LessonError(_("not a lesson file: it has no \"format\": \"{format}\"").format(format=FORMAT))
        steps = d.get("steps")
        if not isinstance(steps, list) or not steps:
            raise LessonError(_("a lesson needs at least one step"))
        out = []
        for i, s in enumerate(steps, start=1):
            view = s.get("view") if isinstance(s, dict) else None
            if not isinstance(view, str) or view not in VIEWS or not isinstance(s.get("prompt"), str):
                raise LessonError(_("step {i}: needs a view ({views}) and a prompt").format(
                    i=i, views=", ".join(VIEWS)))
            raw_state = s.get("state")
            if raw_state is not None and not isinstance(raw_state, dict):
                raise LessonError(_("step {i}: the state must be an object of settings, such as {example}").format(
                    i=i, example='{"cls": 3}'))
            answer = s.get("answer", "")
            if not isinstance(answer, str):
                raise LessonError(_("step {i}: the answer must be text").format(i=i))
            state, notes = from_query(view, {k: str(v) for k, v in (raw_state or {}).items()})
            if notes:
                raise LessonError(_("step {i}: {problem}").format(i=i, problem=notes[0]))
            out.append(Step(view, state, s["prompt"][:2000], answer[:2000]))
        title = d.get("title", _("A lesson"))
        if not isinstance(title, str):
            raise LessonError(_("the lesson's title must be text"))
        if d.get("spec") is not None:
            from mnist_core.spec import ArchSpec, SpecError
            try:
                ArchSpec.from_dict(d["spec"])
            except SpecError as exc:
                raise LessonError(_("the lesson's network: {error}").format(error=exc)) from None
        if d.get("train") is not None:
            from mnist_core.training.config import ConfigError, TrainConfig
            try:
                TrainConfig.from_dict(d["train"]).validate()
            except ConfigError as exc:
                raise LessonError(_("the lesson's training settings: {error}").format(error=exc)) from None
        return cls(title[:200], out, d.get("spec"), d.get("train"))

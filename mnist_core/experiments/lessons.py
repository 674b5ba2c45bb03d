"""Lesson files a teacher walks a class through.

A lesson file (JSON) holds an optional architecture spec and training
settings and an ordered list of steps, each a view, its state and a prompt; a step can
hide its answer until the student has committed a guess ("predict before you reveal").
Errors are in the session's language (a lesson is opened in the page's script run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mnist_core import MnistLabError, safejson
from mnist_core.experiments.views import VIEWS, from_query
from mnist_core.i18n import DEFAULT, LANGUAGES, N_, _, language, normalize

FORMAT = "mnist-lab-lesson/1"
MAX_BYTES = 256 * 1024
MAX_CHOICES, CHOICE_CHARS = 8, 40   # what a class poll can show (classroom.board's limits)
LEVELS = {"beginner": N_("beginner"), "intermediate": N_("intermediate"), "advanced": N_("advanced")}


class LessonError(MnistLabError):
    pass


@dataclass
class Step:
    view: str
    state: dict
    prompt: str
    answer: str = ""            # shown only after the student commits a guess (if any)
    choices: tuple[str, ...] = ()   # the guesses offered (the answer among them); none: the student types one
    explanation: str = ""       # why the answer is right, shown with it


@dataclass
class Lesson:
    title: str
    steps: list[Step] = field(default_factory=list)
    spec: dict | None = None     # an ArchSpec as a dict, to build on the Architecture page
    train: dict | None = None    # TrainConfig settings
    summary: str = ""            # one or two sentences for the library
    level: str = ""              # one of LEVELS, or ""

    def to_json(self) -> str:
        d = {"format": FORMAT, "title": self.title, "spec": self.spec, "train": self.train,
             "steps": [{"view": s.view, "state": s.state, "prompt": s.prompt, "answer": s.answer,
                        **({"choices": list(s.choices)} if s.choices else {}),
                        **({"explanation": s.explanation} if s.explanation else {})} for s in self.steps]}
        if self.summary:
            d["summary"] = self.summary
        if self.level:
            d["level"] = self.level
        return json.dumps(d, indent=2, ensure_ascii=False)

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
            choices = s.get("choices", [])
            if not isinstance(choices, list) or len(choices) > MAX_CHOICES or not all(
                    isinstance(c, str) and c.strip() and len(c) <= CHOICE_CHARS and "," not in c for c in choices) \
                    or len(set(choices)) != len(choices):
                raise LessonError(_("step {i}: the choices must be a list of at most {n} different short texts "
                                    "without commas").format(i=i, n=MAX_CHOICES))
            if choices and answer not in choices:
                raise LessonError(_("step {i}: the answer must be one of its choices").format(i=i))
            explanation = s.get("explanation", "")
            if not isinstance(explanation, str):
                raise LessonError(_("step {i}: the explanation must be text").format(i=i))
            state, notes = from_query(view, {k: str(v) for k, v in (raw_state or {}).items()})
            if notes:
                raise LessonError(_("step {i}: {problem}").format(i=i, problem=notes[0]))
            out.append(Step(view, state, s["prompt"][:2000], answer[:2000], tuple(choices), explanation[:2000]))
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
        summary, level = d.get("summary", ""), d.get("level", "")
        if not isinstance(summary, str) or level not in ("", *LEVELS):
            raise LessonError(_("the lesson's summary must be text and its level one of {levels}").format(
                levels=", ".join(LEVELS)))
        return cls(title[:200], out, d.get("spec"), d.get("train"), summary[:600], level)


# --- the lessons that ship with the app (mnist_core/assets/lessons/NAME.json) ---------------------------
# Each text field of a shipped file is either one string (a digit, a number: the same in every language)
# or {"en": ..., "zh": ...}; ``pick`` chooses the session's language. A shipped file is checked in each
# language against the lesson format above, so what a class opens is a lesson like any other.

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assets" / "lessons"
TEXT_FIELDS = ("title", "summary")
STEP_TEXT_FIELDS = ("prompt", "answer", "explanation")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True)
class LessonInfo:
    id: str
    title: str
    summary: str
    level: str       # a key of LEVELS
    steps: int


def pick(text: object, lang: str | None = None) -> str:
    """A shipped text in ``lang`` (else this thread's language): a string as it is; {"en", "zh"} the
    language's entry, else English; anything else ""."""
    if isinstance(text, str):
        return text
    if isinstance(text, dict):
        lang = normalize(lang) or language()
        for key in (lang, DEFAULT):
            if isinstance(text.get(key), str):
                return text[key]
    return ""


def _picked(d: dict, lang: str) -> dict:
    out = {**d, **{k: pick(d[k], lang) for k in TEXT_FIELDS if k in d}}
    out["steps"] = [{**s, **{k: pick(s[k], lang) for k in STEP_TEXT_FIELDS if k in s},
                     **({"choices": [pick(c, lang) for c in s["choices"]]} if isinstance(s.get("choices"), list)
                        else {})}
                    if isinstance(s, dict) else s for s in d.get("steps") or []]
    return out


def untranslated(d: dict) -> list[str]:
    """Where a shipped file's text lacks a language: ["step 2 prompt", ...] ({} with one language, or no text)."""
    def bad(t) -> bool:
        return not (isinstance(t, str) and t.strip() or isinstance(t, dict) and all(
            isinstance(t.get(lang), str) and t[lang].strip() for lang in LANGUAGES))
    where = [k for k in ("title", "summary") if bad(d.get(k))]
    for i, s in enumerate(d.get("steps") or [], start=1):
        s = s if isinstance(s, dict) else {}
        fields = ("prompt", *(k for k in ("answer", "explanation") if k in s))
        where += [f"step {i} {k}" for k in fields if bad(s.get(k))]
        where += [f"step {i} choice {j}" for j, c in enumerate(s.get("choices") or [], start=1) if bad(c)]
    return where


def _shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.json")) if SHIPPED_DIR.is_dir() else []


def _read_shipped(name: object) -> dict:
    names = _shipped_names()
    if not isinstance(name, str) or not name or len(name) > 60 or not set(name) <= _NAME_CHARS or name not in names:
        raise LessonError(_("no shipped lesson is called {name}: choose one of {names}").format(
            name=repr(str(name)[:40]), names=", ".join(names)))
    try:
        d = safejson.loads((SHIPPED_DIR / f"{name}.json").read_bytes(), MAX_BYTES)
    except (OSError, safejson.JSONInputError) as exc:
        raise LessonError(_("cannot open the lesson: {error}").format(error=exc)) from None
    if not isinstance(d, dict):
        raise LessonError(_("not a lesson file: it has no \"format\": \"{format}\"").format(format=FORMAT))
    missing = untranslated(d)
    if missing:
        raise LessonError(_("the lesson {name} lacks a language in: {where}").format(
            name=name, where=", ".join(missing[:5])))
    return d


def load_shipped(name: object, lang: str | None = None) -> Lesson:
    """The shipped lesson ``name`` in ``lang`` (else this thread's language), checked in every language;
    an unknown name or a bad file is one LessonError line."""
    d = _read_shipped(name)
    lang = normalize(lang) or language()
    lesson = None
    for other in LANGUAGES:  # a file good in one language only is refused in both
        one = Lesson.from_json(json.dumps(_picked(d, other)))
        if other == lang:
            lesson = one
    return lesson


def library(lang: str | None = None) -> list[LessonInfo]:
    """Every shipped lesson that opens, in the library's order (its "order" field, then its name)."""
    out = []
    for name in _shipped_names():
        try:
            d = _read_shipped(name)
            lesson = load_shipped(name, lang)
        except LessonError:
            continue  # the tests say which one: the library shows the others
        order = d.get("order") if isinstance(d.get("order"), int) else 999
        out.append((order, LessonInfo(name, lesson.title, lesson.summary, lesson.level, len(lesson.steps))))
    return [info for _order, info in sorted(out, key=lambda t: (t[0], t[1].id))]

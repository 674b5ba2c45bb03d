"""The views a teacher may share: each view's whole state as query parameters, one table per
view (like TensorFlow Playground's ``state.ts``) that drives both reading and writing a link.

``from_query`` reads a link back with each value checked: a bad or stale value falls back to
its default with one line saying so (the value cut to 40 characters), never an exception. The
lines are plain text; a page shows them through ``safe_text.plain`` like any user value. They are
in the session's language (links are read in the page's script run); the parameters stay English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnist_core import MnistLabError
from mnist_core.experiments.perturb import KINDS
from mnist_core.i18n import N_, _
from mnist_core.presets import PRESETS
from mnist_core.safe_text import clip


class ViewError(MnistLabError):
    """A view that does not exist."""


@dataclass
class Field:
    default: Any
    parse: Callable[[str], Any]   # raises ValueError for a bad value
    words: str                    # what a good value is, for the one-line message (N_: translated there)


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


def _weight(v: str) -> str:
    """A learnable tensor as "layer.param" (``4.weight``, ``11.bias``)."""
    layer, _, param = v.partition(".")
    if not (layer.isdigit() and 1 <= int(layer) <= 40 and param in ("weight", "bias")):
        raise ValueError
    return f"{int(layer)}.{param}"


def _run_id(v: str) -> str:
    if not v or len(v) > 100 or any(c in v for c in "/\\") or v.startswith("."):
        raise ValueError
    return v


VIEWS: dict[str, dict[str, Field]] = {
    "experiments": {
        "model": Field("demo", _run_id, N_("a run id or demo")),
        "source": Field("test", _choice(("test", "drawing")), N_("test or drawing")),
        "cls": Field(7, _int_in(0, 9), N_("a digit 0-9")),
        "k": Field(0, _int_in(0, 100_000), N_("a whole number")),
        "kind": Field("rotate", _choice(tuple(KINDS)), N_("one of {kinds}")),
        "strength": Field(30, _int_in(-100, 100), N_("a whole number from -100 to 100")),
    },
    "timetravel": {
        "model": Field("demo", _run_id, N_("a run id or demo")),
        "moment": Field(-1, _int_in(-1, 1000), N_("a snapshot number")),
        "cls": Field(7, _int_in(0, 9), N_("a digit 0-9")),
        "k": Field(0, _int_in(0, 100_000), N_("a whole number")),
    },
    "inside": {
        "model": Field("demo", _run_id, N_("a run id or demo")),
        "cls": Field(7, _int_in(0, 9), N_("a digit 0-9")),
        "k": Field(0, _int_in(0, 100_000), N_("a whole number")),
        "layer": Field(1, _int_in(1, 40), N_("a layer number")),
    },
    "gradient": {
        "model": Field("demo", _run_id, "a run id or demo"),
        "cls": Field(7, _int_in(0, 9), "a digit 0-9"),
        "k": Field(0, _int_in(0, 100_000), "a whole number"),
        "weight": Field("1.weight", _weight, "a layer and weight or bias, such as 4.weight"),
        "o": Field(0, _int_in(0, 8192), "a whole number"),   # filter, output unit or channel
        "i": Field(0, _int_in(0, 8192), "a whole number"),   # input channel or unit
        "r": Field(2, _int_in(0, 10), "a kernel row"),
        "c": Field(2, _int_in(0, 10), "a kernel column"),
    },
    "why": {  # Why it decides, on a test digit
        "model": Field("demo", _run_id, N_("a run id or demo")),
        "cls": Field(7, _int_in(0, 9), N_("a digit 0-9")),
        "k": Field(0, _int_in(0, 100_000), N_("a whole number")),
    },
    "evaluation": {
        "model": Field("demo", _run_id, N_("a run id or demo")),
    },
    "training": {  # the Training page's form, filled from a preset
        "preset": Field(next(iter(PRESETS)), _choice(tuple(PRESETS)), N_("one of {presets}")),  # the page's first
    },
}
PAGES = {"experiments": "experiments", "timetravel": "timetravel", "inside": "inside", "gradient": "gradient",
         "why": "why", "evaluation": "evaluation", "training": "training"}
# what ``out_of_range`` may be told a value is: its callers pass these English words
WHATS = (N_("digit"), N_("layer"), N_("moment"), N_("value"))


def from_query(view: str, params) -> tuple[dict, list[str]]:
    """(the view's state, one line per value that was bad and replaced by its default)."""
    if view not in VIEWS:
        raise ViewError(_("unknown view {view}: choose one of {views}").format(view=repr(view), views=", ".join(VIEWS)))
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
            notes.append(_("The link's {name}={value} is not {words}: showing {default} instead.").format(
                name=name, value=repr(clip(raw, 40)), words=_(f.words).format(kinds=", ".join(KINDS),
                                                                        presets=", ".join(PRESETS)),
                default=repr(f.default)))
    return state, notes


def out_of_range(field: str, asked: int, shown: int, what: str) -> str:
    """The one line for a link's value that parses but lies past what this model or dataset has
    (``what``: "digit", "layer", "moment"), in the words of ``from_query``'s notes."""
    words = _(what)
    if asked > shown:
        return _("The link's {field}={asked} is past the last {what} ({shown}): showing {shown} instead.").format(
            field=field, asked=asked, what=words, shown=shown)
    return _("The link's {field}={asked} is before the first {what} ({shown}): showing {shown} instead.").format(
        field=field, asked=asked, what=words, shown=shown)


def to_query(view: str, state: dict) -> dict[str, str]:
    """The state as query parameters (every field, so a link is complete)."""
    return {name: str(state.get(name, f.default)) for name, f in VIEWS[view].items()}


def link(view: str, state: dict, lang: str | None = None) -> str:
    """The view's path and query, with the language it is shared in (``lang``, else this thread's):
    a link a Chinese class passes round opens in Chinese."""
    from urllib.parse import urlencode

    from mnist_core.i18n import language, normalize
    return f"/{PAGES[view]}?{urlencode({**to_query(view, state), 'lang': normalize(lang) or language()})}"

"""Mistakes, explained: a teacher's tags on a model's wrong answers, kept with the run.

Each mistake (a test digit the model got wrong) can be tagged: the digit is *ambiguous*
(a person could read it either way), *mislabelled* (MNIST's label is wrong), or a *model
error* (it is clear, and the model is wrong). Tags are a small JSON file beside the run
(``mistake_tags.json``, keyed by dataset and test index), so they outlive the session
and a class can compare how many of a model's mistakes are really its own.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from mnist_core import MnistLabError
from mnist_core.i18n import N_, Text
from mnist_core.runs import RunError, atomic_json, read_json

TAGS = ("ambiguous", "mislabelled", "model error")
FILE = "mistake_tags.json"
_lock = threading.Lock()


class TagError(MnistLabError):
    pass


def _key(dataset: str, index: int) -> str:
    return f"{dataset}:{int(index)}"


def load_tags(folder: Path) -> dict[str, str]:
    """{"mnist:1234": "ambiguous", ...}; a missing or unreadable file (or one that is not a regular
    file: the store's reader refuses those) is no tags yet."""
    try:
        d = read_json(Path(folder) / FILE)
    except RunError:
        return {}
    return {k: v for k, v in d.items() if isinstance(k, str) and v in TAGS} if isinstance(d, dict) else {}


def set_tag(folder: Path, dataset: str, index: int, tag: str | None, *, actor=None) -> dict[str, str]:
    """Tag one test digit (``None`` removes the tag); returns all tags. Only the run's owner or the
    teacher (``actor`` None: the CLI) may; the demo's tags (kept in ``.demo``) are the teacher's."""
    from mnist_core.runs import require_change
    if actor is not None and not actor.is_teacher:
        name = Path(folder).name
        require_change(actor, "demo" if name == ".demo" else name, "retag")
    if tag is not None and tag not in TAGS:
        raise TagError(Text(N_("unknown tag {tag!r}: choose one of {items}"), tag=tag, items=', '.join(TAGS)))
    if int(index) < 0:
        raise TagError(N_("a test digit's index cannot be negative"))
    with _lock:
        tags = load_tags(folder)
        if tag is None:
            tags.pop(_key(dataset, index), None)
        else:
            tags[_key(dataset, index)] = tag
        atomic_json(Path(folder) / FILE, tags)
    return tags


def tag_of(tags: dict[str, str], dataset: str, index: int) -> str | None:
    return tags.get(_key(dataset, index))


def summary(tags: dict[str, str], dataset: str) -> dict[str, int]:
    """How many mistakes carry each tag, for one dataset."""
    c = Counter(v for k, v in tags.items() if k.startswith(dataset + ":"))
    return {t: c.get(t, 0) for t in TAGS}

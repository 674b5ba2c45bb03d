"""What a training run tells the world, as small typed records.

The loop emits them; a job keeps them, the run log writes them to ``metrics.jsonl`` (one
``to_dict()`` per line, so the file stays JSON), charts and the CLI read their fields. A run
saved before these types existed still reads: ``from_dict`` takes the old keys too (an epoch's
``seconds`` meant the epoch's wall time for the torch engine and the time since the start for
the NumPy one; it is read as ``epoch_seconds``, with ``elapsed`` unknown).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = ""

    def to_dict(self) -> dict:
        return {"type": self.type, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        """The known fields of ``d``; a field missing from an older file takes its default."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class Start(Event):
    type: ClassVar[str] = "start"
    device: str = ""
    total_steps: int = 0
    steps_per_epoch: int = 0
    train_size: int = 0
    val_size: int = 0
    params: int = 0
    channels_last: bool = False
    amp: str = "None"


@dataclass(frozen=True)
class Step(Event):
    """One log interval: its mean loss and accuracy on the training batches."""
    type: ClassVar[str] = "step"
    step: int = 0
    epoch: int = 0
    loss: float = float("nan")
    acc: float = 0.0
    lr: float = 0.0
    ips: float = 0.0               # images per second of training time so far
    elapsed: float = 0.0           # seconds of training so far (pauses and evaluation not counted)
    eta: float | None = None       # seconds left at the rate so far
    progress: float = 0.0          # 0..1 of the run's steps


@dataclass(frozen=True)
class Epoch(Event):
    type: ClassVar[str] = "epoch"
    epoch: int = 0
    step: int = 0
    train_loss: float = float("nan")
    train_acc: float = 0.0
    epoch_seconds: float | None = None  # this epoch's training time
    elapsed: float | None = None        # training time since the start, at this epoch's end
    test_loss: float | None = None      # None: not evaluated this epoch
    test_acc: float | None = None
    val_acc: float | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Epoch:
        if "seconds" in d and "epoch_seconds" not in d:  # a run saved before the typed events
            d = {**d, "epoch_seconds": d["seconds"]}
        return super().from_dict(d)


@dataclass(frozen=True)
class Message(Event):
    """A line for the person watching: ``text`` in English; ``template`` and ``params``, when it was made
    from a ``Text``, so that a page shows it in its own language even after a trip through JSON."""
    type: ClassVar[str] = "message"
    level: str = "info"            # info, warning, error
    text: str = ""
    template: str = ""             # the English template, marked N_ where it was written
    params: dict | None = None     # its values

    @classmethod
    def of(cls, level: str, text: str) -> Message:
        from mnist_core.i18n import Text
        if isinstance(text, Text):
            return cls(level, text, text.template, {k: str(v) if isinstance(v, Text) else v
                                                    for k, v in text.params.items()})
        return cls(level, text)

    def words(self) -> str:
        """The text as a ``Text`` again where it was one (for ``i18n.tr``), else the text."""
        from mnist_core.i18n import Text
        if isinstance(self.text, Text) or not self.template:
            return self.text
        try:
            return Text(self.template, **(self.params or {}))
        except (KeyError, IndexError, ValueError):  # a damaged log line: its English
            return self.text


@dataclass(frozen=True)
class LrChange(Event):
    type: ClassVar[str] = "lr_change"
    step: int = 0
    lr: float = 0.0


@dataclass(frozen=True)
class End(Event):
    type: ClassVar[str] = "end"
    status: str = "finished"       # finished, stopped, diverged
    test_acc: float | None = None
    seconds: float = 0.0           # training time in all
    message: str = ""


KINDS: dict[str, type[Event]] = {k.type: k for k in (Start, Step, Epoch, Message, LrChange, End)}


def from_dict(d) -> Event | None:
    """A stored event back as its type; None for a line that is no event we know."""
    kind = KINDS.get(d.get("type")) if isinstance(d, dict) else None
    if kind is None:
        return None
    try:
        return kind.from_dict(d)
    except TypeError:
        return None

"""The one owner of what the pages keep for a session: every value that one page hands another, or
that is not a widget's own, is declared here once, with its type, default and why it exists
(in the manner of TensorFlow Playground's ``state.ts`` and CNN Explainer's ``stores.js``).

Pages read and write these values only through the accessors below, never by a raw
``st.session_state`` key. A page's own widgets keep their page-prefixed keys (``tr_`` Training,
``trace_`` the Trace section, ``ex_`` Experiments...); when a page must change another page's
widget, it leaves a request here and the owning page sets its widget before drawing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import streamlit as st

if TYPE_CHECKING:  # for the annotations only: importing them here would load torch and the engines
    import numpy as np
    from torch import nn

    from mnist_core.experiments.lessons import Lesson
    from mnist_core.jobs.sweep import Sweep
    from mnist_core.spec import ArchSpec

T = TypeVar("T")


class Slot(Generic[T]):
    """One value kept for the session: its key, its default, and the reason it exists."""

    def __init__(self, key: str, default: T, why: str, factory: Callable[[], T] | None = None):
        if key in SLOTS:
            raise ValueError(f"two session values share the key {key!r}")
        self.key, self.default, self.why, self.factory = key, default, why, factory
        SLOTS[key] = self

    def get(self) -> T:
        """The value; a mutable default (``factory``) is stored on first read so that changes to it stay."""
        ss = st.session_state
        if self.key in ss:
            return ss[self.key]
        if self.factory is not None:
            return ss.setdefault(self.key, self.factory())
        return self.default

    def set(self, value: T) -> None:
        st.session_state[self.key] = value

    def is_set(self) -> bool:
        return self.key in st.session_state and bool(st.session_state[self.key])

    def clear(self) -> None:
        st.session_state.pop(self.key, None)


SLOTS: dict[str, Slot] = {}  # key -> declaration: the whole table, for tests and for a reader


# --- what the pages hand each other -------------------------------------------------------------------

@dataclass(frozen=True)
class SpecToTrain:
    """A network handed to the Training page (by Architecture's "Train this" or a lesson)."""
    spec_dict: dict            # ArchSpec.to_dict(): plain data, so a later change on Architecture does not leak in
    preset: str | None = None  # the preset it was built from: Training starts its form from that preset's settings

    def spec(self) -> ArchSpec:
        from mnist_core.spec import ArchSpec
        return ArchSpec.from_dict(self.spec_dict)


EditKind = Literal["what-if", "surgery"]


@dataclass(frozen=True)
class EditedModel:
    """A session-only edited copy of a trained model: what-if (Inside) and surgery (Experiments) alike."""
    kind: EditKind
    run_id: str                # the run it was made from: another model picked means these edits do not apply
    model: nn.Module
    changes: tuple[str, ...]   # what was changed, in words, in order (the saved run's note)

    def with_change(self, model: nn.Module, change: str) -> EditedModel:
        return EditedModel(self.kind, self.run_id, model, (*self.changes, change))


@dataclass(frozen=True)
class AppliedLink:
    """The query of a shared view that was last applied to its widgets (or written by the view itself)."""
    query: dict[str, str]
    notes: tuple[str, ...] = ()  # one line per bad value of that link, shown until another link comes


@dataclass
class Draft:
    """The Architecture page's network being edited: layer dicts with a stable uid for their widgets."""
    layers: list[dict] = field(default_factory=list)
    name: str = "custom"
    description: str = ""
    preset: str | None = None  # the preset it was loaded from, None once loaded from scratch or a file


ACTOR: Slot[Any] = Slot(
    "actor", None, "who this session is (a classroom.identity.Actor): every rule of the run store and the class "
    "database takes it; made on first use")
VISITOR_TOKEN: Slot[str | None] = Slot(
    "visitor_token", None, "this browser's visitor token (only the browser keeps it; the database stores its hash)")
TEACHER_PROOF: Slot[str | None] = Slot(
    "teacher_proof", None, "the teacher cookie's value (an HMAC of the visitor id under the teacher key), None: "
    "not the teacher")
COOKIES_PENDING: Slot[bool] = Slot(
    "cookies_pending", False, "the browser's cookies differ from this session's token or proof: write them")
CLASS_READ: Slot[float] = Slot("class_read", 0.0, "when the actor's class was last read from the class database")
IDENTITY_NOTES: Slot[tuple | None] = Slot(
    "identity_notes", None, "((note, values), ...), when: a refused token or a wrong teacher key, shown a short while")
LANGUAGE: Slot[str | None] = Slot(
    "language", None, "the language chosen in the sidebar or by ?lang=; None: the browser's (st.context.locale)")
ACTIVE_MODEL: Slot[str] = Slot(
    "active_model", "demo", "the model every model page shows and the sidebar names: one choice for the session")
JOB: Slot[Any] = Slot(
    "job", None, "this session's training job (one at a time): started on Training, watched on every page's sidebar")
JOB_DRAWN_STATE: Slot[str | None] = Slot(
    "job_drawn_state", None, "the job state the Training page last drew: the live view reruns the page when it moves")
JOB_END_SEEN: Slot[int | None] = Slot(
    "job_end_seen", None, "the ticket of the finished job the live view already reran for (once, for the history)")
SWEEP: Slot[Sweep | None] = Slot("sweep", None, "this session's class sweep, started and watched on the Sweep page")
SWEEP_END_SEEN: Slot[Sweep | None] = Slot(
    "sweep_end_seen", None, "the finished sweep the progress view already reran for (once, for the buttons)")
LAST_DRAWING: Slot[np.ndarray | None] = Slot(
    "last_drawing", None, "the last digit drawn or uploaded on Draw (uint8 28x28): an input on the model pages")
TRAIN_SPEC: Slot[SpecToTrain | None] = Slot("train_spec", None, "the network handed to Training to train")
TRAIN_SPEC_SELECT: Slot[bool] = Slot(
    "train_spec_select", False, "a request to Training to select the handed network (its radio is its own widget)")
EDITED: Slot[dict[str, EditedModel]] = Slot(
    "edited_models", {}, "the edited copy of each kind (what-if, surgery), kept until reset", factory=dict)
LINKS: Slot[dict[str, AppliedLink]] = Slot(
    "applied_links", {}, "per shared view, the link last applied: a link is applied once, not on every rerun",
    factory=dict)

# --- a page's own values that are not widgets -------------------------------------------------------------

ARCH_DRAFT: Slot[Draft | None] = Slot("arch_draft", None, "the network on the Architecture page, None until started")
ARCH_UPLOAD_SEEN: Slot[str | None] = Slot(
    "arch_upload_seen", None, "the uploaded spec file already loaded: the uploader keeps its file across reruns")
LESSON: Slot[Lesson | None] = Slot("lesson", None, "the lesson opened or being made on the Lesson page")
LESSON_FILE_SEEN: Slot[str | None] = Slot(
    "lesson_file_seen", None, "the lesson file already opened: the uploader keeps its file across reruns")
LESSON_STEP: Slot[int] = Slot("lesson_step", 0, "the step of the lesson being shown")
LESSON_SHIPPED: Slot[str | None] = Slot(
    "lesson_shipped", None, "the shipped lesson open on the Lesson page (its name: read again in each language)")
LESSON_LINK_SEEN: Slot[tuple | None] = Slot(
    "lesson_link_seen", None, "(lesson, step) of the address already applied: our own writes are not a new link")
LESSON_GUESSES: Slot[dict[int, str]] = Slot(
    "lesson_guesses", {}, "step -> the guess committed for it: the answer shows only after one", factory=dict)
BOARD_CLASS: Slot[int | None] = Slot("board_class", None, "the class the teacher's board shows (its id)")
BOARD_LESSON: Slot[Lesson | None] = Slot(
    "board_lesson", None, "the lesson file opened on the board (else the board polls the Lesson page's lesson)")
BOARD_LESSON_FILE_SEEN: Slot[str | None] = Slot(
    "board_lesson_file_seen", None, "the lesson file already opened on the board: the uploader keeps its file")
CLASS_POLL_SEEN: Slot[tuple | None] = Slot(
    "class_poll_seen", None, "(poll id, state) the Class page last showed: the sidebar says when a new one comes")
SHUFFLE_SEED: Slot[int | None] = Slot("dataset_shuffle_seed", None, "the Dataset grid's shuffle, None for in order")
TSNE_ASKED: Slot[tuple | None] = Slot(
    "dataset_tsne_asked", None, "the t-SNE asked for with the button (it takes seconds, so it runs on request)")
CANVAS_GENERATION: Slot[int] = Slot("draw_canvas_generation", 0, "bumped by Clear: a new canvas key empties it")
DRAW_UPLOAD: Slot[object] = Slot(
    "draw_upload_memo", None, "the current upload's hash with its decoded, shrunk picture: decoded once, not per rerun")
LINKED: Slot[dict[str, tuple]] = Slot(
    "linked_values", {}, "widget key -> (view, field, value) a link set: a page that must clamp it says so",
    factory=dict)
REPORT_HTML: Slot[str | None] = Slot(
    "report_html", None, "the report last built on My report: building evaluates runs, so the download keeps it")
MODEL_CARD: Slot[tuple[str, str] | None] = Slot(
    "report_model_card", None, "(run id, HTML) of the model card last made on My report")
REPLAY_PLAYING: Slot[bool] = Slot("timetravel_playing", False, "whether time travel steps through the moments")
TRACE_CLICKS: Slot[dict[str, tuple]] = Slot(
    "trace_clicks", {}, "chart -> the cell last clicked on it: a chart keeps its selection across reruns, "
    "so only a new click moves the trace", factory=dict)
MAP_LARGE: Slot[bool] = Slot(
    "inside_map_large", False, "whether Inside shows the traced map large (its 676 clickable cells are the page's "
    "slowest figure: shown once the visitor has clicked a map or asked for it, then kept)")
TRACE_LAST_LAYER: Slot[int | None] = Slot(
    "trace_last_layer", None, "the layer the trace cell belongs to: another layer starts on its middle cell")
GRADIENT_CLICK: Slot[tuple | None] = Slot(
    "gradient_click", None, "the kernel cell last clicked on the gradient page: a chart keeps its selection across "
    "reruns, so only a new click moves the weight")
SANITY_RESULT: Slot[tuple | None] = Slot(
    "why_sanity_result", None, "(method, steps) of the last sanity check run on Why: it takes seconds, so it is kept")
CONTRIB_PROMPT: Slot[int | None] = Slot(
    "draw_contrib_prompt", None, "the digit Contribute asks this writer to draw next (balanced over the ten)")
CONTRIB_KEPT: Slot[int | None] = Slot(
    "draw_contrib_kept", None, "the digit Contribute kept last, for its thank-you line after the rerun")
DREAMS: Slot[dict[tuple, dict]] = Slot(
    "dream_results", {}, "(run id, seed, start) -> the pictures made on What it wants to see: they take seconds, "
    "so they are made on the button and kept", factory=dict)
ADAPT_LAST: Slot[dict | None] = Slot(
    "adapt_last", None, "the last fine-tune on our digits (new run id, scores before and after), shown until the next")


# --- accessors ----------------------------------------------------------------------------------------------

def actor():
    """Who this session is, for every rule that asks (run store, class database): from the browser's
    cookie, made on first use (``ui.identity.who``, which app.py calls before any page draws)."""
    me = ACTOR.get()
    if me is None:
        from ui.identity import who
        me = who()
    return me


def set_actor(me) -> None:
    ACTOR.set(me)


def active_model() -> str:
    return ACTIVE_MODEL.get()


def set_active_model(run_id: str) -> None:
    ACTIVE_MODEL.set(run_id)


def active_model_chosen() -> bool:
    """Whether a page already picked a model this session (a link without a model then keeps it)."""
    return ACTIVE_MODEL.is_set()


def job():
    return JOB.get()


def set_job(j) -> None:
    JOB.set(j)


def job_drawn_state() -> str | None:
    return JOB_DRAWN_STATE.get()


def set_job_drawn_state(s: str | None) -> None:
    JOB_DRAWN_STATE.set(s)


def job_end_is_new(ticket: int) -> bool:
    """True the first time the job with this ticket is seen finished (and remembers it)."""
    if JOB_END_SEEN.get() == ticket:
        return False
    JOB_END_SEEN.set(ticket)
    return True


def sweep() -> Sweep | None:
    return SWEEP.get()


def set_sweep(sw: Sweep) -> None:
    SWEEP.set(sw)


def sweep_end_is_new(sw: Sweep) -> bool:
    """True the first time this sweep is seen finished (and remembers it). By identity: a sweep is a dataclass,
    and two sweeps of the same settings are still two sweeps."""
    if SWEEP_END_SEEN.get() is sw:
        return False
    SWEEP_END_SEEN.set(sw)
    return True


def last_drawing() -> np.ndarray | None:
    return LAST_DRAWING.get()


def set_last_drawing(img: np.ndarray) -> None:
    LAST_DRAWING.set(img)


def train_spec() -> SpecToTrain | None:
    return TRAIN_SPEC.get()


def set_train_spec(spec: ArchSpec, preset: str | None = None) -> None:
    """Offer a network to the Training page without selecting it there."""
    TRAIN_SPEC.set(SpecToTrain(spec.to_dict(), preset))


def hand_to_training(spec: ArchSpec, preset: str | None) -> None:
    """Hand a network to the Training page and ask it to select it (it does, before drawing its radio)."""
    set_train_spec(spec, preset)
    TRAIN_SPEC_SELECT.set(True)


def take_training_request() -> bool:
    """Whether a network was handed over to be selected since the Training page last looked (once)."""
    asked = bool(TRAIN_SPEC_SELECT.get()) and train_spec() is not None
    TRAIN_SPEC_SELECT.clear()
    return asked


def edited_model(kind: EditKind, run_id: str | None = None) -> EditedModel | None:
    """The session's edited copy of this kind; with ``run_id``, only if it was made from that run."""
    em = EDITED.get().get(kind)
    return None if em is None or (run_id is not None and em.run_id != run_id) else em


def set_edited_model(em: EditedModel) -> None:
    EDITED.get()[em.kind] = em


def drop_edited_model(kind: EditKind) -> None:
    EDITED.get().pop(kind, None)


def applied_link(view: str) -> AppliedLink | None:
    return LINKS.get().get(view)


def applied_query(view: str) -> dict[str, str]:
    """The query parameters the view last applied or wrote ({} before any)."""
    a = applied_link(view)
    return dict(a.query) if a else {}


def set_applied_link(view: str, query: dict[str, str], notes=()) -> AppliedLink:
    a = AppliedLink(dict(query), tuple(notes))
    LINKS.get()[view] = a
    return a


def link_written(view: str, query: dict[str, str]) -> None:
    """The view wrote its own state into the URL: not a new link, and the last link's notes stay."""
    a = applied_link(view)
    set_applied_link(view, query, a.notes if a else ())

"""Shared pieces of every page: data, models, the run store, errors, the sidebar."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

from mnist_core import MnistLabError, settings
from mnist_core.data import DATASETS, DataError, Dataset, load_dataset
from mnist_core.i18n import LANGUAGES, N_, _, language, ngettext, tr, tr_error
from mnist_core.safe_text import plain
from mnist_core.settings import ray_address
from ui import classroom, state
from ui.fragment import fragment

if TYPE_CHECKING:
    from mnist_core.runs import RunStore

RUNS_DIR = settings.runs_dir()

# --- torch, loaded once the first page is shown ------------------------------------------------
# Importing torch takes 2-3 s, most of a fresh server's start. The pages that show data without a model
# (Dataset, Glossary: TORCH_FREE_PAGES) never import it, so the first page a visitor opens
# need not wait for it; once that page's script has run, a thread loads it for the pages that will.

TORCH_FREE_PAGES = frozenset({"", "dataset", "glossary"})  # url paths ("": the default)
_torch_lock = threading.Lock()
_torch_ready = threading.Event()


def torch_ready() -> bool:
    """Whether torch is imported and its thread pool sized (without importing it)."""
    return _torch_ready.is_set()


def load_torch() -> None:
    """Import torch and size its intra-op pool for the pages (``settings.page_threads``: one, where
    torch's own default is the host's cores): once per server, before any page computes with it.
    Training sizes its own, in its worker process.

    Then what is alive (torch, the libraries, the loaded modules) is frozen out of the garbage collector
    (``gc.freeze``): none of it is ever garbage, and a full collection that walked it took 140 ms (see
    ``.streamlit/config.toml``); a collection now walks what the pages made since."""
    if _torch_ready.is_set():
        return
    with _torch_lock:
        if not _torch_ready.is_set():
            import gc

            from mnist_core.training.devices import size_thread_pool
            size_thread_pool(settings.page_threads())
            gc.collect()  # once per server: what is garbage now is not frozen with the rest
            gc.freeze()
            _torch_ready.set()


def before_page(url_path: str | None) -> None:
    """Called before a page runs: torch is ready for every page but the few that do without it."""
    if (url_path or "") not in TORCH_FREE_PAGES:
        load_torch()


def after_page() -> None:
    """Called after a page has run: load torch in the background for the next page (once per server)."""
    if _torch_ready.is_set() or _torch_lock.locked():
        return
    threading.Thread(target=_load_quietly, name="mnist-lab-load-torch", daemon=True).start()


def _load_quietly() -> None:
    with contextlib.suppress(Exception):  # a broken install shows on the first page that needs torch
        load_torch()


@contextlib.contextmanager
def friendly_errors(what: str = ""):
    """Turn any failure inside into one ``st.error`` line; the page keeps working.

    An error's message is plain text that may quote a user's value (a spec's or a run's name, a
    file's name; so may ``what``): it is escaped here, where it is shown, and raised unescaped,
    because the CLI and the logs print the same messages."""
    try:
        yield
    except MnistLabError as exc:
        said = tr_error(exc)  # a sentence marked N_ (or a Text) where it was raised reads in this session's language
        st.error(plain(_("{what}: {error}").format(what=what, error=said) if what else said))
    except Exception as exc:  # a bug: still one line for the user, the trace for the server log
        import traceback
        traceback.print_exc()
        said = _("unexpected {kind}: {error}").format(kind=type(exc).__name__, error=exc)
        st.error(plain(_("{what}: {error}").format(what=what, error=said) if what else said))


ACCESSIBLE_CSS = """<style>
/* WCAG AA: the primary colour is light (text in it reads 8:1 on the dark background), so the text
   on primary buttons is dark: 9:1 instead of white's 2.2:1. */
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-primary"] p,
[data-testid="stBaseButton-primaryFormSubmit"], [data-testid="stBaseButton-primaryFormSubmit"] p { color: #0e1117; }
/* A disabled widget's label (My report's "Runs to include" before any run): Streamlit greys it to #6d6b69,
   3.4:1 on the background; #8f8d8a still reads as greyed and is 5.5:1. */
[data-testid="stWidgetLabel"][disabled], [data-testid="stWidgetLabel"][disabled] p { color: #8f8d8a; }
/* A slider's keyboard input sits in a visually hidden 1 px box on its thumb, but keeps the browser's 129 px
   width: with the thumb at the right end (Time travel's last moment) it reached past a phone's edge. */
[data-testid="stSlider"] input[type="range"] { width: 1px; }
/* Where the keyboard's focus is (WCAG 2.4.7; 1.4.11 asks 3:1): Streamlit shows a focused page link, radio option
   or check box only by a background 1.4-1.7:1 against the page's; a ring in the primary colour reads 8:1. */
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stRadioOption"][data-focus-visible],
[data-testid="stCheckbox"] label[data-focus-visible] { outline: 2px solid #56B4E9; outline-offset: 2px; }
/* A figure's text alternative (ui.common.describe): read by screen readers, hidden from the eye, and taking
   no room in the page's column (absolute: out of the flex gap). */
[data-testid="stElementContainer"]:has(.mnist-alt) { position: absolute; width: 1px; height: 1px; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
/* charts.grid_table's coloured numbers: a cell's colours are its own (inline, each with its ink), its numbers in
   columns of equal width; a grid wider than its column scrolls inside it, never the page (a phone). */
.mnist-grid { overflow-x: auto; max-width: 100%; }
.mnist-grid table { border-collapse: collapse; font-size: 0.8rem; font-variant-numeric: tabular-nums; margin: 0; }
.mnist-grid th, .mnist-grid td { padding: 0.15rem 0.4rem; border: 1px solid rgba(250, 250, 250, 0.12);
  text-align: right; white-space: nowrap; }
.mnist-grid th { font-weight: normal; color: #bdbcb8; }
/* charts.figures_html's pictures: one pixel a cell drawn as a sharp square, never wider than the column (a phone),
   each caption as st.image writes one. */
.mnist-figures figure { margin: 0 0 1rem 0; }
.mnist-figures img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; }
.mnist-figures figcaption { font-size: 0.875rem; color: #bdbcb8; margin-top: 0.25rem; }
</style>"""


def accessible_theme():
    """What the theme cannot say by itself (once per script run, before any page text)."""
    st.html(ACCESSIBLE_CSS)


def describe(what: str, where=None) -> None:
    """A figure's one-sentence text alternative, drawn just before it (a chart, an image, the canvas).

    Plotly's SVG and a canvas say nothing to a screen reader; this paragraph does ("Figure: ..."), and is
    visually hidden by ``ACCESSIBLE_CSS``. ``where`` is the column or container the figure goes in."""
    import html
    text = html.escape(_("Figure: {what}").format(what=what))
    (where or st).html(f'<p class="mnist-alt" role="note">{text}</p>')


def small_table(df, key: str, numbers: str = "{:.6g}", where=None) -> None:
    """A few rows as a plain table (``st.table``): the browser draws it at once, where each
    ``st.dataframe`` grid (a canvas) cost it 0.05-0.3 s, and a screen reader reads it cell by cell. Text
    cells are shown as written (``st.table`` reads Markdown); float columns as text in the ``numbers`` format.
    ``key``: a container's, for tests and links to find the table by."""
    import math
    shown = df.copy()
    for col in shown.columns:  # written out here: a pandas Styler cost the server 10-15 ms a table to send
        if shown[col].dtype == object:
            shown[col] = [plain(v) if isinstance(v, str) else v for v in shown[col]]
        elif shown[col].dtype.kind == "f":
            shown[col] = ["—" if not math.isfinite(v) else numbers.format(v) for v in shown[col]]
    (where or st).container(key=key).table(shown, hide_index=True)


def lazy_tabs(labels: list[str], key: str, keep: tuple[str, ...] = ()):
    """Tabs whose hidden sections do not run: only the open tab's figures are computed, sent and drawn.

    A page of many figures settles at once when it draws one section; a click on another tab reruns the
    page with that one open. ``keep``: keys of widgets inside the tabs whose values outlive a switch (a
    widget that is not drawn in a run forgets its value; set again here, it is the session's to keep)."""
    for k in keep:
        if k in st.session_state:
            st.session_state[k] = st.session_state[k]
    return st.tabs(labels, key=key, on_change="rerun")


def use_language() -> str:
    """This script run's language: ``?lang=`` in the address, else the sidebar's choice, else the browser's.

    A link's ``?lang=`` becomes the session's choice (a page switch drops the query, the choice stays), and
    the address keeps the choice in step, so that what a visitor copies from the address bar carries it."""
    from mnist_core.i18n import normalize, set_language
    asked = normalize(st.query_params.get("lang"))
    if asked is not None:
        state.LANGUAGE.set(asked)
    chosen = state.LANGUAGE.get()
    if chosen is not None and st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen
    return set_language(chosen or normalize(getattr(st.context, "locale", None)))


def _language_chosen() -> None:
    """The sidebar's switch: the session's language, and the address with it."""
    lang = st.session_state.get("sidebar_lang")
    state.LANGUAGE.set(lang)
    st.query_params["lang"] = lang


# --- shared, read-only resources ----------------------------------------------------

@st.cache_resource(max_entries=3, show_spinner=False)  # one per dataset (MNIST, Fashion, KMNIST)
def _dataset(name: str, data_dir: str | None) -> Dataset:
    return load_dataset(name, data_dir=data_dir or None)


def dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason shown) when it cannot load."""
    name = st.session_state.get("dataset_name", "mnist")
    if DATASETS.get(name, {}).get("built"):  # "Our class": per person, from the class database, never cached by name
        from ui.ours import our_set
        return our_set()
    try:
        with st.spinner(_("Loading the digits…")):
            return _dataset(name, None)  # load_dataset looks in MNIST_DATA_DIR, ./data and the cache
    except DataError as exc:
        st.error(plain(_("{what}: {error}").format(what=DATASETS[name]["title"], error=tr_error(exc))))
        return None


DATA_KINDS = {"full": N_("full"), "sample": N_("sample")}


def describe_data(data: Dataset) -> str:
    """``Dataset.describe()`` in this session's language."""
    n_train, n_test = data.sizes()
    return _("{title} ({kind}): {train} train + {test} test digits from {source}").format(
        title=data.title, kind=_(DATA_KINDS.get(data.kind, data.kind)), train=f"{n_train:,}",
        test=f"{n_test:,}", source=data.source)


@st.cache_resource
def demo_model():
    from mnist_core.runs import load_demo
    load_torch()
    spec, model = load_demo()
    return spec, model


@st.cache_resource(max_entries=16)
def _run_model(path: str, mtime: float):
    load_torch()
    return store().load(path)


def store() -> RunStore:
    from mnist_core.runs import RunStore
    return RunStore(RUNS_DIR)


def model_options() -> dict[str, str]:
    """label -> run id ('demo' for the shipped model), finished runs only."""
    from mnist_core.classroom import ownership
    opts = {_("Demo model (shipped)"): "demo"}
    runs = store().list()  # damaged runs are left out by the store
    try:  # another class's runs are not offered (ownership.can_view)
        seen = set(ownership.runs_for(state.actor(), [r.run_id for r in runs])[0])
    except MnistLabError:
        seen = set()
    for r in (r for r in runs if r.run_id in seen):
        if r.summary.get("status") in ("finished", "stopped") and (r.path / "weights.safetensors").is_file():
            acc = r.summary.get("test_accuracy")
            opts[f"{r.display_name} · {'' if acc is None else f'{acc:.2%}'} · {r.run_id}"] = r.run_id
    return opts


def load_model(run_id: str):
    if run_id == "demo":
        return demo_model()
    info = store().healthy(run_id)
    try:
        mtime = (info.path / "weights.safetensors").stat().st_mtime
    except OSError:
        from mnist_core.runs import RunError
        raise RunError(_("{run} has no weights (it never finished)").format(run=info.run_id)) from None
    return _run_model(str(info.path), mtime)


def model_version(run_id: str) -> tuple[str, float]:
    """(run id, when its weights were written): the key of what is computed from a model and cached.
    Its folder only (``load_model`` has read and checked the run's files on this rerun already)."""
    return run_id, (store().resolve(run_id) / "weights.safetensors").stat().st_mtime


def model_dataset(run_id: str) -> str | None:
    """The dataset a model was trained on ("mnist", "fashion", ...), None when unknown."""
    from mnist_core.runs import DEMO_DIR
    try:
        return (store().info(DEMO_DIR) if run_id == "demo" else store().info(run_id)).dataset
    except MnistLabError:
        return None


def model_picker(key: str, label: str | None = None):
    """A selectbox of models shared across pages; returns (run id, spec, model) or None."""
    label = label or _("Model")
    opts = model_options()
    labels = list(opts)
    current = state.active_model()
    index = next((i for i, l in enumerate(labels) if opts[l] == current), 0)
    choice = st.selectbox(label, labels, index=index, key=key)
    run_id = opts[choice]
    state.set_active_model(run_id)
    try:
        spec, model = load_model(run_id)
    except MnistLabError as exc:
        st.error(plain(_("cannot load {model}: {error}").format(model=choice, error=tr_error(exc))))
        return None
    return run_id, spec, model


def model_and_data(key: str):
    """The page header of the model pages: (run id, spec, model, dataset), or stop the page."""
    picked = model_picker(key)
    data = dataset()
    if picked is None or data is None:
        st.stop()
    return (*picked, data)


def current_job():
    return state.job()


# --- how often live views redraw ---------------------------------------------------------------

_watchers: dict[str, float] = {}  # session id -> when it last drew a live view (server-wide, pruned)
_watch_lock = threading.Lock()
BASE_EVERY = {"running": 1.0, "queued": 3.0, "paused": 3.0}


def refresh_every(state: str) -> float | None:
    """Seconds between a live view's redraws, None when nothing moves.

    Each redraw is a script run on the server; a run still going when the browser asks for the next
    one is cut short, and on a loaded server (a class watching runs on two cores) a 1 s rhythm meant
    that no redraw ever finished: every page froze (measured with 6-8 sessions in the classroom load
    test). So a waiting run redraws seldom, and every interval stretches with the number of sessions
    watching a live view: 1 s for up to three, about 2.7 s for eight, 10 s for thirty.
    """
    base = BASE_EVERY.get(state)
    if base is None:
        return None
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    now = time.time()
    with _watch_lock:
        if ctx is not None:
            _watchers[ctx.session_id] = now
        for sid in [k for k, t in _watchers.items() if now - t > 15]:
            del _watchers[sid]
        n = len(_watchers)
    return round(base * max(1.0, n / 3), 1)


# --- the sidebar -------------------------------------------------------------------------

def device_words(dev, threads: int) -> str:
    """``describe_device`` in this session's language; ``threads``: what a training run uses."""
    import torch
    if dev.type == "cuda":
        return _("CUDA GPU: {name}").format(name=torch.cuda.get_device_name(dev))
    if dev.type == "mps":
        return _("Apple GPU (MPS)")
    return ngettext("CPU, {n} thread", "CPU, {n} threads", threads).format(n=threads)


def sidebar(page=None):
    """The sidebar of every page; ``page``: the page this run shows (``st.navigation``'s choice)."""
    with st.sidebar:
        langs = list(LANGUAGES)
        st.session_state["sidebar_lang"] = language()  # the switch shows what this run speaks, whoever chose it
        st.selectbox("🌐 " + _("Language"), langs, format_func=LANGUAGES.get, key="sidebar_lang",
                     on_change=_language_chosen)
        st.caption(_("Compute"))
        if torch_ready():
            from mnist_core.jobs.local import THREADS_PER_JOB  # a run's threads (a page computes on one)
            from mnist_core.training.devices import pick_device
            dev = pick_device("auto")
            threads = ngettext(" · {n} thread", " · {n} threads", THREADS_PER_JOB).format(n=THREADS_PER_JOB)
            st.write(f"**{device_words(dev, THREADS_PER_JOB)}**" + (threads if dev.type != "cpu" else ""))
        else:  # the first page of a fresh server: torch (which finds the GPU) is still loading
            st.write(_("CPU or GPU: known once PyTorch has loaded (a few seconds)"))
        st.caption(_("Dataset"))
        names = list(DATASETS)
        st.selectbox(_("Dataset"), names, format_func=lambda n: DATASETS[n]["title"], key="dataset_name",
                     label_visibility="collapsed")
        data = dataset()
        if data is not None:
            st.write(describe_data(data))
            if data.kind == "sample":
                st.info(_("Only the 5,000-digit sample is loaded. For the full 70,000 MNIST digits, set "
                          "`MNIST_DATA_DIR` to a folder with the four IDX files and restart."), icon="ℹ️")
                if st.button(_("Try to download MNIST"), key="sidebar_download"):
                    from mnist_core.data import download
                    bar = st.progress(0.0, _("connecting…"))
                    with friendly_errors(_("download")):
                        download("mnist", progress=lambda f, t: bar.progress(f, t))
                        _dataset.clear()
                        st.rerun()
        st.caption(_("Active model"))
        active = state.active_model()
        st.write(_("Demo model (shipped)") if active == "demo" else plain(active))
        job = current_job()
        every = refresh_every(job.snapshot().state) if job is not None else None
        fragment(_job_indicator, run_every=every and every * 2)()  # ticks on every page while it trains
        on_class_page = getattr(page, "url_path", None) == classroom.CLASS_PAGE.stem  # it looks at the poll itself
        classroom.sidebar_indicator(on_class_page)  # a class member: the class, and a question waiting


JOB_STATES = {"queued": N_("queued"), "running": N_("running"), "paused": N_("paused"),
              "finished": N_("finished"), "stopped": N_("stopped"), "diverged": N_("diverged"),
              "failed": N_("failed"), "cancelled": N_("cancelled"), "interrupted": N_("interrupted")}


def state_words(s: str) -> str:
    """A job's or run's state (``finished``, ``diverged``...) in this session's language."""
    return _(JOB_STATES[s]) if s in JOB_STATES else s


def _job_indicator():
    job = current_job()
    if job is not None:
        snap = job.snapshot()
        name = plain(job.name, 80)
        if snap.active:
            if snap.state == "queued":
                what = _("waiting for a free slot (#{n})").format(n=snap.queue_position)
            elif snap.state == "paused":
                what = _("paused")
            else:
                what = _("training: {progress}").format(progress=f"{snap.progress:.0%}")
            st.warning(f"⏳ {name}: {what}")
        else:
            st.caption(_("Last run: {name} ({state})").format(name=name, state=state_words(snap.state)))
    if ray_address():
        from mnist_core.jobs.start import where
        st.caption(_("Training runs on the {where}").format(where=tr(where())))
        return
    local = sys.modules.get("mnist_core.jobs.local")  # not imported: no run has started on this server
    slots = local.SLOTS if local is not None else None
    if slots is not None and (slots.busy or slots.queued):
        st.caption(_("Server: {busy} training, {queued} waiting").format(
            busy=ngettext("{n} run", "{n} runs", slots.busy).format(n=slots.busy), queued=slots.queued))

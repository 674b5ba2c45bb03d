"""Shared pieces of every page: data, models, the run store, errors, the sidebar."""

from __future__ import annotations

import contextlib
import threading
import time

import streamlit as st
import torch

from mnist_core import MnistLabError, settings
from mnist_core.data import DATASETS, DataError, Dataset, load_dataset
from mnist_core.jobs.local import SLOTS
from mnist_core.jobs.start import where
from mnist_core.runs import RunError, RunStore, load_demo
from mnist_core.safe_text import plain
from mnist_core.settings import ray_address
from mnist_core.training.devices import describe_device, pick_device, size_thread_pool
from ui import classroom, state

RUNS_DIR = settings.runs_dir()
size_thread_pool()  # once per server: torch would size its pool from the host's cores, not the container's


@contextlib.contextmanager
def friendly_errors(what: str = ""):
    """Turn any failure inside into one ``st.error`` line; the page keeps working.

    An error's message is plain text that may quote a user's value (a spec's or a run's name, a
    file's name; so may ``what``): it is escaped here, where it is shown, and raised unescaped,
    because the CLI and the logs print the same messages."""
    try:
        yield
    except MnistLabError as exc:
        st.error(plain(f"{what}: {exc}" if what else str(exc)))
    except Exception as exc:  # a bug: still one line for the user, the trace for the server log
        import traceback
        traceback.print_exc()
        st.error(plain(f"{what}: unexpected {type(exc).__name__}: {exc}" if what
                       else f"unexpected {type(exc).__name__}: {exc}"))


ACCESSIBLE_CSS = """<style>
/* WCAG AA: the primary colour is light (text in it reads 8:1 on the dark background), so the text
   on primary buttons is dark: 9:1 instead of white's 2.2:1. */
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-primary"] p,
[data-testid="stBaseButton-primaryFormSubmit"], [data-testid="stBaseButton-primaryFormSubmit"] p { color: #0e1117; }
</style>"""


def accessible_theme():
    """What the theme cannot say by itself (once per script run, before any page text)."""
    st.html(ACCESSIBLE_CSS)


def use_language() -> str:
    """This script run's language: ``?lang=`` in the address, else the sidebar's choice, else the browser's."""
    from mnist_core.i18n import normalize, set_language
    lang = (normalize(st.query_params.get("lang")) or state.LANGUAGE.get()
            or normalize(getattr(st.context, "locale", None)))
    return set_language(lang)


# --- shared, read-only resources ----------------------------------------------------

@st.cache_resource(max_entries=3, show_spinner="Loading the digits…")  # one per dataset (MNIST, Fashion, KMNIST)
def _dataset(name: str, data_dir: str | None) -> Dataset:
    return load_dataset(name, data_dir=data_dir or None)


def dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason shown) when it cannot load."""
    name = st.session_state.get("dataset_name", "mnist")
    if DATASETS.get(name, {}).get("built"):  # "Our class": per person, from the class database, never cached by name
        from ui.ours import our_set
        return our_set()
    try:
        return _dataset(name, None)  # load_dataset looks in MNIST_DATA_DIR, ./data and the cache
    except DataError as exc:
        st.error(plain(f"{DATASETS[name]['title']}: {exc}"))
        return None


@st.cache_resource
def demo_model():
    spec, model = load_demo()
    return spec, model


@st.cache_resource(max_entries=16)
def _run_model(path: str, mtime: float):
    return store().load(path)


def store() -> RunStore:
    return RunStore(RUNS_DIR)


def model_options() -> dict[str, str]:
    """label -> run id ('demo' for the shipped model), finished runs only."""
    opts = {"Demo model (shipped)": "demo"}
    for r in store().list():  # damaged runs are left out by the store
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
        raise RunError(f"{info.run_id} has no weights (it never finished)") from None
    return _run_model(str(info.path), mtime)


def model_dataset(run_id: str) -> str | None:
    """The dataset a model was trained on ("mnist", "fashion", ...), None when unknown."""
    from mnist_core.runs import DEMO_DIR
    try:
        return (store().info(DEMO_DIR) if run_id == "demo" else store().info(run_id)).dataset
    except MnistLabError:
        return None


def model_picker(key: str, label: str = "Model"):
    """A selectbox of models shared across pages; returns (run id, spec, model) or None."""
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
        st.error(plain(f"cannot load {choice}: {exc}"))
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

def sidebar():
    with st.sidebar:
        dev = pick_device("auto")
        st.caption("Compute")
        st.write(f"**{describe_device(dev)}**" + (f" · {torch.get_num_threads()} threads" if dev.type != "cpu" else ""))
        st.caption("Dataset")
        names = list(DATASETS)
        st.selectbox("Dataset", names, format_func=lambda n: DATASETS[n]["title"], key="dataset_name",
                     label_visibility="collapsed")
        data = dataset()
        if data is not None:
            st.write(data.describe())
            if data.kind == "sample":
                st.info("Only the 5,000-digit sample is loaded. For the full 70,000 MNIST digits, set "
                        "`MNIST_DATA_DIR` to a folder with the four IDX files and restart.", icon="ℹ️")
                if st.button("Try to download MNIST", key="sidebar_download"):
                    from mnist_core.data import download
                    bar = st.progress(0.0, "connecting…")
                    with friendly_errors("download"):
                        download("mnist", progress=lambda f, t: bar.progress(f, t))
                        _dataset.clear()
                        st.rerun()
        st.caption("Active model")
        active = state.active_model()
        st.write("Demo model (shipped)" if active == "demo" else plain(active))
        job = current_job()
        every = refresh_every(job.snapshot().state) if job is not None else None
        st.fragment(_job_indicator, run_every=every and every * 2)()  # ticks on every page while it trains
        classroom.sidebar_indicator()  # a class member: the class, and a question waiting


def _job_indicator():
    job = current_job()
    if job is not None:
        snap = job.snapshot()
        if snap.active:
            what = {"queued": f"waiting for a free slot (#{snap.queue_position})", "paused": "paused"}.get(
                snap.state, f"training: {snap.progress:.0%}")
            st.warning(f"⏳ {plain(job.name, 80)}: {what}")
        else:
            st.caption(f"Last run: {plain(job.name, 80)} ({snap.state})")
    if ray_address():
        st.caption(f"Training runs on the {where()}")
    elif SLOTS.busy or SLOTS.queued:
        st.caption(f"Server: {SLOTS.busy} run(s) training, {SLOTS.queued} waiting")


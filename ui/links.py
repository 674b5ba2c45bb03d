"""A shareable view: its state in the URL, read once per link before any widget, written back as it changes."""

import streamlit as st

from mnist_core.experiments.views import from_query, link, out_of_range, to_query
from mnist_core.i18n import _, language
from mnist_core.safe_text import clip, plain
from ui import state as app_state  # `state` below is a view's values, as in views.py
from ui.common import model_options


def read_link(view: str, keys: dict[str, str]) -> None:
    """Put a new link's values into the widgets' keys (``keys``: field -> widget key; "model" sets the
    active model); say in one line each what was bad and replaced by a default."""
    query = _view_query()
    applied = app_state.applied_link(view)
    if applied is None or applied.query != query:
        state, notes = from_query(view, query)
        if state.get("model") is not None and state["model"] not in model_options().values():
            if "model" in query:
                notes.append(_("The link's model {model} is not on this server: showing the demo model.").format(
                    model=repr(clip(state["model"], 40))))
            state["model"] = "demo"
        if "model" in state and "model" in query or not app_state.active_model_chosen():
            app_state.set_active_model(state.get("model", "demo"))
        linked = app_state.LINKED.get()
        for field, key in keys.items():  # the page's own widget keys, set before its widgets are drawn
            linked.pop(key, None)
            if field in query or key not in st.session_state:
                st.session_state[key] = state[field]
                if field in query:  # a page may find it out of range later: clamp_linked says so then
                    linked[key] = (view, field, state[field])
        applied = app_state.set_applied_link(view, query, notes)
    for note in applied.notes:
        st.info(plain(note))  # a note quotes the link's value: whoever sent the link chose it


def _view_query() -> dict[str, str]:
    """The address's query without ``lang``: switching the language is not a new link to apply."""
    return {k: v for k, v in st.query_params.to_dict().items() if k != "lang"}


def write_link(view: str, state: dict) -> str:
    """The view's current state into the URL (our own write is not a new link); returns the link,
    with this server's address in front when the browser told us it (a teacher pastes it as is)."""
    st.query_params.from_dict({**to_query(view, state), "lang": language()})  # the address keeps the language
    app_state.link_written(view, _view_query())
    path = link(view, state)
    try:
        page_url = st.context.url or ""
    except Exception:  # no browser (AppTest, bare mode): the path alone
        page_url = ""
    base = page_url.rsplit("/", 1)[0] if page_url.count("/") >= 3 else ""
    return base + path


def clamp_linked(key: str, lo: int, hi: int, what: str) -> None:
    """Keep a number widget's value inside [lo, hi] (a smaller model, a class with fewer digits); when
    the value clamped came from the link, say so in one line beside the link's other notes."""
    if key not in st.session_state:
        return
    asked = int(st.session_state[key])
    shown = min(max(asked, lo), hi)
    if shown == asked:
        return
    st.session_state[key] = shown
    view, field, value = app_state.LINKED.get().get(key, (None, None, None))
    if view is not None and value == asked:
        del app_state.LINKED.get()[key]
        note = out_of_range(field, asked, shown, what)
        st.session_state.setdefault(f"_{view}_notes", []).append(note)  # shown again on later reruns
        st.info(note)

"""``st.fragment`` that speaks the session's language on every run of its own.

The language of a script run lives in a ``ContextVar`` of the script's thread (``mnist_core.i18n``),
set at the top of ``app.py``. A fragment that reruns alone (``run_every``, or a button inside it)
runs in a new script thread when the session was idle, without ``app.py``: its text came out in
English on a Chinese page (the board's counts, the Class page's poll, the sidebar's class line).
Every fragment of the app goes through here, so that each of its runs sets the language first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st


def fragment(func: Callable[..., None], *, run_every: float | None = None) -> Callable[..., None]:
    """``func`` as a fragment whose every run first sets this session's language (its arguments, if any: those
    of the full run that drew it, as ``st.fragment`` keeps them)."""
    @functools.wraps(func)
    def speaking(*args, **kwargs) -> None:
        from ui.common import use_language  # ui.common imports ui.classroom, which uses this
        use_language()
        func(*args, **kwargs)
    return st.fragment(speaking, run_every=run_every)

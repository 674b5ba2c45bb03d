"""Who this browser is: the visitor cookie, the teacher key in the address, the banner in the terminal.

``mnist_core.classroom.browser`` decides; this module reads what the browser sent (its cookies, at
connection time, through ``st.context.cookies``; ``?teacher=`` in the address) and writes back what
must change: the cookies, with a few lines of JavaScript (a cookie cannot be set from the server
over Streamlit's websocket), and the address, from which the teacher key is dropped at once. The
visitor token never appears in a link or the address; a ``?visitor=`` someone typed is dropped and
ignored, since a link must never carry who you are.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time

import streamlit as st

from mnist_core import settings
from mnist_core.classroom import browser
from mnist_core.classroom.identity import Actor
from mnist_core.i18n import _
from ui import state

NOTE_SECONDS = 30.0  # a note about this browser's identity stays on screen this long
REFRESH_CLASS = 5.0  # the class this visitor is in is read again at most this often (a removal, a close)

_banner_lock = threading.Lock()
_banner_printed = False


def _secret_teacher_key() -> None:
    """``MNIST_LAB_TEACHER_KEY`` from ``st.secrets`` (Community Cloud, ``.streamlit/secrets.toml``) when
    the environment does not set it: Streamlit exports root-level secrets itself; this covers the rest."""
    if settings.teacher_key():
        return
    try:
        value = st.secrets.get("MNIST_LAB_TEACHER_KEY")
    except Exception:  # noqa: BLE001 - no secrets file at all: nothing configured
        return
    if isinstance(value, str) and value.strip():
        os.environ["MNIST_LAB_TEACHER_KEY"] = value.strip()


def base_url() -> str:
    """The server's address as the terminal shows it (``browser.serverAddress``, the port, the base path)."""
    host = st.get_option("browser.serverAddress") or "localhost"
    port = st.get_option("browser.serverPort") or st.get_option("server.port") or 8501
    path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{port}" + (f"/{path}" if path else "")


def print_banner() -> None:
    """The teacher's line in the terminal, once per server process (the first script run)."""
    global _banner_printed
    _secret_teacher_key()
    with _banner_lock:
        if _banner_printed:
            return
        _banner_printed = True
    from mnist_core.classroom.identity import teacher_banner
    with contextlib.suppress(OSError):  # no terminal (a closed stdout): nowhere to print
        print(teacher_banner(base_url()), flush=True)


def _take_query(name: str) -> str | None:
    """A query parameter, removed from the address at once (it must not stay in the bar, the history or a
    copied link)."""
    if name not in st.query_params:
        return None
    value = st.query_params.get(name)
    del st.query_params[name]
    return value if isinstance(value, str) else ""


def _cookies() -> dict[str, str]:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001 - no browser connection (a bare script run): no cookies
        return {}


def who() -> Actor:
    """This session's ``Actor``: made at the session's first script run from the browser's cookies,
    changed by ``?teacher=KEY``, its class read again every few seconds. Call before any page draws."""
    print_banner()
    teacher_key = _take_query("teacher")
    _take_query("visitor")
    me = state.ACTOR.get()
    if me is None or teacher_key is not None:
        cookies = _cookies()
        token = state.VISITOR_TOKEN.get() or cookies.get(browser.VISITOR_COOKIE)
        proof = state.TEACHER_PROOF.get() if me is not None else cookies.get(browser.TEACHER_COOKIE)
        a = browser.arrive(token, proof, teacher_key)
        state.ACTOR.set(a.actor)
        state.VISITOR_TOKEN.set(a.token)
        state.TEACHER_PROOF.set(a.proof)
        state.CLASS_READ.set(time.time())
        if a.write_cookies:
            state.COOKIES_PENDING.set(True)
        if a.notes:
            state.IDENTITY_NOTES.set((tuple(a.notes), time.time()))
        return a.actor
    if time.time() - state.CLASS_READ.get() > REFRESH_CLASS:
        me = refresh_class(me)
    return me


def refresh_class(me: Actor | None = None) -> Actor:
    """Read again which class this visitor is in (after joining, or when the teacher removed them)."""
    me = me or state.ACTOR.get()
    fresh = browser.with_class(me)
    state.ACTOR.set(fresh)
    state.CLASS_READ.set(time.time())
    return fresh


def show_notes() -> None:
    """The lines about this browser's identity (a refused token, a wrong key), for a short while."""
    notes = state.IDENTITY_NOTES.get()
    if not notes:
        return
    lines, at = notes
    if time.time() - at > NOTE_SECONDS:
        state.IDENTITY_NOTES.clear()
        return
    for template, values in lines:
        st.warning(_(template).format(**{k: _(v) for k, v in values.items()}), icon="🪪")


def _cookie_js(name: str, value: str | None) -> str:
    if value is None:
        return f"document.cookie = {json.dumps(name + '=; Path=/; Max-Age=0; SameSite=Lax')} + secure;"
    return (f"document.cookie = {json.dumps(f'{name}={value}; Path=/; Max-Age={browser.COOKIE_SECONDS}; SameSite=Lax')}"
            " + secure;")


def write_cookies() -> None:
    """Keep this session's token (and the teacher's proof) in the browser's cookies.

    Written on every script run of a session whose browser sent other cookies: the server cannot
    see whether the browser ran the snippet until it connects again. Both values are URL-safe
    (base64url, hex), so they go into the cookie as they are."""
    if not state.COOKIES_PENDING.get():
        return
    token, proof = state.VISITOR_TOKEN.get(), state.TEACHER_PROOF.get()
    if not token:
        return
    js = ("(function(){var secure = location.protocol === 'https:' ? '; Secure' : '';"
          + _cookie_js(browser.VISITOR_COOKIE, token) + _cookie_js(browser.TEACHER_COOKIE, proof) + "})();")
    st.html(f'<div data-mnist-lab="identity" style="display:none"></div><script>{js}</script>',
            unsafe_allow_javascript=True)

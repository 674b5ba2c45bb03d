"""A fragment that reruns alone speaks the page's language.

Streamlit runs a fragment's own rerun (``run_every``, a button in it) in a new script thread when the
session was idle, without ``app.py`` and so without the language it sets: the board's counts and the
Class page's poll came out in English on a Chinese page. ``ui.fragment.fragment`` sets the language
on every run; every fragment of the app goes through it.
"""

import re
import threading
from pathlib import Path

import ui.common
import ui.fragment
from mnist_core.i18n import _, language

ROOT = Path(__file__).resolve().parents[2]


def test_a_fragment_run_in_a_fresh_thread_speaks_the_sessions_language(monkeypatch):
    monkeypatch.setattr(ui.fragment.st, "fragment", lambda func, run_every=None: func)
    from mnist_core.i18n import set_language
    monkeypatch.setattr(ui.common, "use_language", lambda: set_language("zh"))
    seen = {}

    def panel():
        seen["lang"], seen["text"] = language(), _("Live poll")

    def bare_panel():
        seen["bare"] = language()

    # a new thread starts from the ContextVar's default, as a new ScriptRunner thread does
    for func in (ui.fragment.fragment(panel, run_every=2.0), bare_panel):
        t = threading.Thread(target=func)
        t.start()
        t.join()
    assert seen["bare"] == "en"  # without the wrapper: English, the bug this guards against
    assert seen["lang"] == "zh" and seen["text"] == "实时投票"


def test_no_page_draws_a_fragment_without_its_language():
    raw = re.compile(r"\bst\.fragment\b")
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in [ROOT / "app.py", *ROOT.glob("app_pages/*.py"),
                                                       *ROOT.glob("ui/*.py")]
                 if p.name != "fragment.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if raw.search(line)
                 and not line.lstrip().startswith("#")]
    assert not offenders, "use ui.fragment.fragment, which sets the language: " + ", ".join(offenders)

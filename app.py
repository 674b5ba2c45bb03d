"""MNIST Lab: see the digits, build a CNN, watch it learn, draw for it, look inside it."""

from pathlib import Path

import streamlit as st

from mnist_core.i18n import _
from ui import identity
from ui.common import accessible_theme, after_page, before_page, sidebar, use_language

PAGES = Path(__file__).parent / "app_pages"  # from this file, not the entrypoint: cloud/streamlit_app.py runs it too

st.set_page_config(page_title="MNIST Lab", page_icon="🔢", layout="wide")
use_language()  # before any text: every _() below reads this session's language
accessible_theme()
me = identity.who()  # this browser's visitor (its cookie), the teacher with ?teacher=KEY; before any page

pages = {  # section names and titles in this session's language: use_language() ran above
    _("Data"): [st.Page(PAGES / "dataset.py", title=_("Dataset"), icon="🗂️", default=True),
                st.Page(PAGES / "glossary.py", title=_("Glossary"), icon="📖")],
    _("Model"): [st.Page(PAGES / "architecture.py", title=_("Architecture"), icon="🧱"),
                 st.Page(PAGES / "training.py", title=_("Training"), icon="📈"),
                 st.Page(PAGES / "timetravel.py", title=_("Time travel"), icon="⏪"),
                 st.Page(PAGES / "sweep.py", title=_("Class sweep"), icon="🧮")],
    _("Use it"): [st.Page(PAGES / "draw.py", title=_("Draw"), icon="✏️"),
                  st.Page(PAGES / "inside.py", title=_("Inside the CNN"), icon="🔬"),
                  st.Page(PAGES / "gradient.py", title=_("Trace a gradient"), icon="📉"),
                  st.Page(PAGES / "why.py", title=_("Why it decides"), icon="🧭"),
                  st.Page(PAGES / "dream.py", title=_("What it wants to see"), icon="🌙"),
                  st.Page(PAGES / "experiments.py", title=_("Experiments"), icon="🧪"),
                  st.Page(PAGES / "lesson.py", title=_("Lesson"), icon="🎓"),
                  st.Page(PAGES / "evaluation.py", title=_("Evaluation"), icon="🎯"),
                  st.Page(PAGES / "report.py", title=_("My report"), icon="📄")],
    _("Class"): [st.Page(PAGES / "classroom.py", title=_("Class"), icon="🏫")]
    + ([st.Page(PAGES / "board.py", title=_("Board"), icon="📋")] if me.is_teacher else []),  # it refuses others too
}
nav = st.navigation(pages, expanded=True)  # every page listed: no 'View 5 more' fold (Streamlit's English)
before_page(nav.url_path)  # torch for the pages that compute with it (the sidebar names the device then too)
sidebar(nav)  # the Class page's own live poll stands in for the sidebar's
identity.show_notes()
with st.sidebar:
    identity.write_cookies()
try:
    nav.run()
finally:
    after_page()  # then torch loads in the background, for the next page

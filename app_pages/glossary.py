"""Glossary (术语对照): the Chinese and English words of CNNs, what they mean, and where the app shows them."""

import pandas as pd
import streamlit as st

from mnist_core.glossary import PAGES, TERMS, search
from mnist_core.i18n import _, language
from ui.common import small_table

st.title("📖 " + _("Glossary"))
st.caption(_("The words a student meets in Chinese tutorials and in PyTorch, side by side: the Chinese term, "
             "the English one, what it means, and the page of this app where you can see it."))

words = st.text_input(_("Search"), key="gl_search", placeholder=_("a term in either language, e.g. 卷积 or stride"))
found = search(words, language())
if not found:
    st.info(_("No term matches {words}.").format(words=repr(words.strip()[:40])))
    st.stop()

other = "en" if language() == "zh" else "zh"
table = pd.DataFrame([{_("Chinese"): t.zh, _("English"): t.en, _("Meaning"): t.meaning_in(language()),
                       _("In the other language"): t.meaning_in(other), _("Shown on"): _(PAGES[t.page])}
                      for t in found])
small_table(table, "gl_table")  # a real table: found with the browser's own search, read by a screen reader
st.caption(_("{n} of {total} terms").format(n=len(found), total=len(TERMS)))

st.subheader(_("Where to see them"))
for stem, title in PAGES.items():
    here = [t.zh for t in found if t.page == stem]
    if here:
        c1, c2 = st.columns([1, 3])
        c1.page_link(f"app_pages/{stem}.py", label=_(title), query_params={"lang": language()})
        c2.write("、".join(here) if language() == "zh" else ", ".join(f"{t.zh} ({t.en})" for t in found
                                                                     if t.page == stem))

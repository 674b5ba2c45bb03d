"""MNIST Lab: see the digits, build a CNN, watch it learn, draw for it, look inside it."""

import streamlit as st

from ui.common import sidebar

st.set_page_config(page_title="MNIST Lab", page_icon="🔢", layout="wide")

pages = {
    "Data": [st.Page("app_pages/dataset.py", title="Dataset", icon="🗂️", default=True)],
    "Model": [st.Page("app_pages/architecture.py", title="Architecture", icon="🧱"),
              st.Page("app_pages/training.py", title="Training", icon="📈"),
              st.Page("app_pages/timetravel.py", title="Time travel", icon="⏪"),
              st.Page("app_pages/sweep.py", title="Class sweep", icon="🧮")],
    "Use it": [st.Page("app_pages/draw.py", title="Draw", icon="✏️"),
               st.Page("app_pages/inside.py", title="Inside the CNN", icon="🔬"),
               st.Page("app_pages/why.py", title="Why it decides", icon="🧭"),
               st.Page("app_pages/experiments.py", title="Experiments", icon="🧪"),
               st.Page("app_pages/lesson.py", title="Lesson", icon="🎓"),
               st.Page("app_pages/evaluation.py", title="Evaluation", icon="🎯")],
}
nav = st.navigation(pages)
sidebar()
nav.run()

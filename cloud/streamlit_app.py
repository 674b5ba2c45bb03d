"""Streamlit Community Cloud's entrypoint: the same app as ``app.py``.

It lives in this folder so that Community Cloud installs ``cloud/requirements.txt`` (the
CPU-only PyTorch build) instead of the root ``requirements.txt`` that local installs and CI use.
Deploy with the main file path ``cloud/streamlit_app.py``; see the README's Community Cloud section.
"""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # Streamlit puts only this folder on the path; the app imports from the root
    sys.path.insert(0, str(ROOT))
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")

"""The one boundary AppTest cannot drive: the drawing canvas, behind one small function."""

from __future__ import annotations

import numpy as np


def draw_canvas(key: str, stroke_width: int = 18, size: int = 280) -> np.ndarray | None:
    """Show the canvas and return what is drawn as an RGBA array (None before anything is sent)."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(stroke_width=stroke_width, stroke_color="#FFFFFF", background_color="#000000",
                       height=size, width=size, drawing_mode="freedraw", return_image_data=True, key=key)
    return result.image_data

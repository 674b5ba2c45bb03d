"""Plotly figure builders: pure functions, data in, ``go.Figure`` out.

Every string a builder is given (a title, a run's or a class's name, a layer's label, a caption)
is plain text: Plotly renders a subset of HTML in names, titles, hover and tick labels, and these
strings can come from any visitor (a run renamed ``<a href=...>``), so each builder escapes them
with ``safe_text.for_plotly`` itself. Callers never pass markup, and never escape first.

The builders' own words (default titles, axes, legends, hover text) go through ``i18n._`` when a
figure is built: pages build figures in their script run, so each visitor reads their language.
Callers translate the titles they pass.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import plotly.graph_objects as go

from mnist_core.i18n import _
from mnist_core.safe_text import for_plotly as _t
from mnist_core.training.events import Epoch, LrChange, Step

# The ten classes in Paul Tol's "muted" scheme plus its pale grey: told apart with every common
# colour-vision deficiency (deuteranopia, protanopia, tritanopia), unlike Plotly's default ten,
# whose red and green classes (3 and 2) look alike to one boy in twelve. Two-way colours (right and
# wrong, positive and negative) use Okabe and Ito's blue, vermillion and bluish green.
PALETTE = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
           "#DDCC77", "#CC6677", "#882255", "#AA4499", "#BBBBBB"]
BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"  # Okabe-Ito
GREYS = "gray"       # digits: white ink on black, as MNIST stores them
DIVERGING = "RdBu_r"  # kernels: blue negative, red positive, white at zero


def _ts(texts) -> list[str]:
    return [_t(x) for x in texts]


def _layout(fig: go.Figure, title: str | None = None, height: int | None = None, **kw) -> go.Figure:
    # No template here: Streamlit themes every chart itself, and applying a named Plotly
    # template costs ~18 ms a figure, too much for live charts redrawn every second.
    # a line break in a long title keeps it inside a phone's width: each line escaped, joined by Plotly's <br>
    title = None if title is None else "<br>".join(_t(line) for line in str(title).split("\n"))
    if isinstance(kw.get("legend_title"), str):
        kw["legend_title"] = _t(kw["legend_title"])
    top = 50 + 20 * title.count("<br>") if title else 20
    fig.update_layout(title=title, height=height, margin=dict(l=40, r=20, t=top, b=40), **kw)
    return fig


def _mosaic(images: np.ndarray, cols: int, pad: int = 2, fill: float = np.nan) -> np.ndarray:
    """(N, H, W) -> one (rows*(H+pad), cols*(W+pad)) image, so a grid is one fast trace."""
    n, h, w = images.shape
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = images[i]
    return out


def _image_axes(fig: go.Figure, panels: int = 1) -> go.Figure:
    """Pixels square, row 0 on top, no axes; for each of ``panels`` side-by-side subplots (one layout
    update for all of them: per-axis updates cost plotly's validation once per call)."""
    axes = {}
    for c in range(1, panels + 1):
        n = "" if c == 1 else str(c)
        axes[f"xaxis{n}"] = dict(visible=False, constrain="domain")
        axes[f"yaxis{n}"] = dict(visible=False, autorange="reversed", scaleanchor=f"x{n}", constrain="domain")
    fig.update_layout(**axes)
    return fig


def _panels(panels: list[list], titles: list[str], spacing: float) -> go.Figure:
    """Image panels side by side (what ``make_subplots(rows=1, cols=n)`` makes, built in one go: traces
    of panel i on axes x{i}/y{i}, each panel's title above it)."""
    n = len(panels)
    width = (1 - spacing * (n - 1)) / n
    layout, traces, notes = {}, [], []
    for i, (panel, title) in enumerate(zip(panels, titles), start=1):
        lo = (i - 1) * (width + spacing)
        suffix = "" if i == 1 else str(i)
        layout[f"xaxis{suffix}"] = dict(domain=[lo, lo + width], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(domain=[0, 1], anchor=f"x{suffix}")
        notes.append(dict(text=_t(title), x=lo + width / 2, y=1.0, xref="paper", yref="paper", xanchor="center",
                          yanchor="bottom", showarrow=False, font=dict(size=16)))
        for trace in panel:
            trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
            traces.append(trace)
    return go.Figure(traces, layout=dict(annotations=notes, **layout))


def digit_grid(images: np.ndarray, labels: list[str], cols: int = 10, title: str | None = None,
               captions: list[str] | None = None) -> go.Figure:
    """A grid of 28x28 digits (one heatmap trace) with each digit's label written under it."""
    images = np.asarray(images, dtype=np.float32)
    if len(images) == 0:
        return _layout(go.Figure(), title or _("no digits to show"), height=120)
    cols = min(cols, len(images))
    m = _mosaic(images, cols, pad=8)
    # the labels go in as one list: adding them one by one copies every earlier one each time
    notes = [dict(x=(i % cols) * 36 + 13.5, y=(i // cols) * 36 + 31,
                  text=_t(captions[i] if captions else lab), showarrow=False, font=dict(size=11))
             for i, lab in enumerate(labels)]
    fig = go.Figure(go.Heatmap(z=m, colorscale=GREYS, showscale=False, zmin=0, zmax=255, hoverinfo="skip"),
                    layout=dict(annotations=notes))
    rows = math.ceil(len(images) / cols)
    return _image_axes(_layout(fig, title, height=max(140, 70 * rows + 40)))


def pictures_svg(tiles: np.ndarray, captions: list[str], cols: int = 10, scale: int = 3) -> str:
    """Pictures in a grid as one SVG picture: ``tiles`` (N, H, W, 4) RGBA in one PNG, each cell ``scale``
    pixels square, each tile's caption under it (a caption's lines split at newlines). For grids nobody
    clicks: as a Plotly heatmap with one annotation per digit it cost the browser 100-150 ms to draw.
    Every caption is escaped for XML: it is text, never markup."""
    from html import escape
    tiles = np.asarray(tiles, dtype=np.uint8)
    n, h, w = tiles.shape[:3]
    if n == 0:
        none = escape(_("no digits to show"))
        return _svg_open(240, 40, 13) + f'<text x="10" y="25" fill="#fafafa">{none}</text></svg>'
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    split = [str(c).split("\n") for c in captions]
    lines = max(map(len, split), default=0)
    widest = max((len(t) for c in split for t in c), default=0)
    tw, th, gap, line = w * scale, h * scale, 10, 15
    cw, ch = max(tw, 7 * widest) + gap, th + lines * line + gap  # a cell: its tile, its caption (7 px a letter)
    mosaic = np.zeros((rows * ch, cols * cw, 4), dtype=np.uint8)  # transparent where no tile lies
    parts = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * cw + (cw - tw) // 2, r * ch
        mosaic[y0:y0 + th, x0:x0 + tw] = tiles[i].repeat(scale, axis=0).repeat(scale, axis=1)
        for k, text in enumerate(split[i] if i < len(split) else []):
            parts.append(f'<text x="{c * cw + cw / 2:.1f}" y="{y0 + th + (k + 1) * line - 2}" text-anchor="middle" '
                         f'fill="#fafafa">{escape(text)}</text>')
    W, H = cols * cw, rows * ch
    return (_svg_open(W, H, 12) + f'<image width="{W}" height="{H}" href="{_png_href(mosaic)}"/>'
            + "".join(parts) + "</svg>")


def digits_svg(images: np.ndarray, captions: list[str], cols: int = 10, scale: int = 3) -> str:
    """``digit_grid`` as a picture: white ink on black, each digit's caption under it."""
    images = np.asarray(images, dtype=np.float32)
    return pictures_svg(_rgba(images, GREYS, 0, 255) if len(images) else np.zeros((0, 28, 28, 4)), captions, cols,
                        scale)


def attribution_tiles(maps: list[np.ndarray], images: list[np.ndarray]) -> np.ndarray:
    """``attribution_maps``'s panels as RGBA tiles: each map in diverging colours (red pushes towards the class,
    blue away, its own scale) over a faint copy of its digit (``images`` in 0..1), where it is above 5% of its
    largest magnitude."""
    out = []
    for m, image in zip(maps, images):
        m = np.asarray(m, dtype=np.float32)
        lim = float(np.nanmax(np.abs(m))) if np.isfinite(m).any() else 1.0
        lim = lim or 1.0
        base = _rgba(np.asarray(image, dtype=np.float32), GREYS, 0, 3)  # 0..1 on a scale to 3: faint
        over = _rgba(m, DIVERGING, -lim, lim)
        shown = np.isfinite(m) & (np.abs(np.nan_to_num(m)) > 0.05 * lim)
        tile = base.copy()
        tile[shown, :3] = np.round(0.85 * over[shown, :3] + 0.15 * base[shown, :3]).astype(np.uint8)
        out.append(tile)
    return np.stack(out) if out else np.zeros((0, 28, 28, 4), dtype=np.uint8)


def digit_heatmap(image: np.ndarray, title: str | None = None, zmax: float = 255) -> go.Figure:
    """One digit as a 28x28 heatmap with each pixel's value on hover."""
    fig = go.Figure(go.Heatmap(z=np.asarray(image), colorscale=GREYS, zmin=0, zmax=zmax,
                               hovertemplate=_("row %{y}, col %{x}: %{z:.0f}") + "<extra></extra>"))
    return _image_axes(_layout(fig, title, height=360))


def class_balance(counts: np.ndarray, classes: list[str], title: str | None = None) -> go.Figure:
    fig = go.Figure(go.Bar(x=_ts(classes), y=np.asarray(counts), marker_color=PALETTE[:len(classes)],
                           text=np.asarray(counts), textposition="outside"))
    fig.update_xaxes(title=_("class"), type="category")
    fig.update_yaxes(title=_("count"))
    return _layout(fig, title or _("Digits per class"), height=320)


def mean_digits(means: np.ndarray, classes: list[str]) -> go.Figure:
    return digit_grid(means, [_("mean {c}").format(c=c) for c in classes], cols=10,
                      title=_("The mean digit of each class"))


def pixel_histogram(counts: np.ndarray, edges: np.ndarray, log: bool = True) -> go.Figure:
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centers, y=counts, width=np.diff(edges), marker_color="#555"))
    fig.update_xaxes(title=_("pixel intensity (0 = black, 255 = white)"))
    fig.update_yaxes(title=_("pixels"), type="log" if log else "linear")
    return _layout(fig, _("Pixel intensities"), height=300)


SVG_POINTS = 5000  # a 2-D map with up to this many points is drawn as SVG


def projection(coords: np.ndarray, labels: np.ndarray, classes: list[str], method: str = "PCA",
               hover: list[str] | None = None) -> go.Figure:
    fig = go.Figure()
    labels = np.asarray(labels)
    # SVG for the few thousand points these maps hold: WebGL pays for its context first (on a school laptop
    # without a usable GPU, a software one) and only wins on far more points.
    scatter = go.Scatter if len(labels) <= SVG_POINTS else go.Scattergl
    for c, name in enumerate(classes):
        sel = labels == c
        fig.add_trace(scatter(x=coords[sel, 0], y=coords[sel, 1], mode="markers", name=_t(name),
                              marker=dict(size=4, color=PALETTE[c % 10], opacity=0.7),
                              text=[_t(hover[i]) for i in np.nonzero(sel)[0]] if hover else None))
    fig.update_xaxes(title=_t(f"{method} 1"))
    fig.update_yaxes(title=_t(f"{method} 2"))
    return _layout(fig, _("2-D {method} projection, coloured by class").format(method=method), height=480,
                   legend_title=_("class"))


# --- architecture ----------------------------------------------------------------------

ARCH_COLOURS = {"Conv2d": "#1f77b4", "MaxPool2d": "#ff7f0e", "AvgPool2d": "#ff7f0e", "Linear": "#2ca02c",
                "Flatten": "#7f7f7f", "BatchNorm2d": "#9467bd", "BatchNorm1d": "#9467bd", "Dropout": "#8c564b"}
ACTIVATIONS = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax")


def _svg_open(w: int, h: int, font_size: int) -> str:
    """An SVG picture's opening, with its own dark background: readable on any theme's page."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="sans-serif" font-size="{font_size}"><rect width="{w}" height="{h}" fill="#0e1117"/>')


def architecture_svg(rows: list[dict]) -> str:
    """The network as a picture (SVG): blocks left to right, their heights by feature-map size and widths by
    channels, each named with its output shape beneath. A picture, not a figure: nothing clicks it, and as a
    Plotly figure of one trace and one annotation per layer it was the page's slowest element to draw.

    ``rows``: the analysis rows (layer label, output shape string, ...) from spec.Analysis.rows(). Every label
    is escaped for XML: a layer's label is text, never markup."""
    from html import escape
    sx, sy, top, gap = 80.0, 48.0, 2.3, 0.35  # pixels per unit across and up; units above the middle line
    blocks, x = [], 0.3
    for label, shape in [(_("input"), "1x28x28")] + [(str(r["layer"]), str(r["output"])) for r in rows]:
        dims = [int(v) for v in shape.split("x")] if re.fullmatch(r"\d+(x\d+)*", shape) else [1]
        if len(dims) == 3:
            c, h = dims[0], dims[1]
            height, width = 0.5 + h / 28 * 3, 0.3 + math.log2(c + 1) * 0.25
        else:
            height, width = 0.5 + min(math.log2(dims[0] + 1) / 12 * 3.5, 3.5), 0.35
        kind = label.split(" ")[0]
        colour = ARCH_COLOURS.get(kind, "#d62728" if kind in ACTIVATIONS else "#444444")
        blocks.append((x, width, height, colour, label, shape))
        x += width + gap
    w, h = round((x - gap + 0.3) * sx) + 110, round(6.4 * sy)  # room on the right for the last label
    parts = [_svg_open(w, h, 13)]
    for x0, width, height, colour, label, shape in blocks:
        px, py = x0 * sx, (top - height / 2) * sy
        cx, below = (x0 + width / 2) * sx, (top + height / 2) * sy + 8
        parts.append(f'<rect x="{px:.1f}" y="{py:.1f}" width="{width * sx:.1f}" height="{height * sy:.1f}" '
                     f'fill="{colour}" fill-opacity="0.8" stroke="#dddddd" stroke-width="1"/>')
        parts.append(f'<text transform="translate({cx:.1f},{below:.1f}) rotate(35)" fill="#fafafa">'
                     f'<tspan x="0" dy="0.8em">{escape(label)}</tspan>'
                     f'<tspan x="0" dy="1.2em" fill="#c8c8c8">{escape(shape)}</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)


# --- training ------------------------------------------------------------------------------

def smooth(values: list[float], alpha: float = 0.9) -> list[float]:
    """Exponential moving average, debiased like TensorBoard's."""
    out, m = [], 0.0
    for i, v in enumerate(values, start=1):
        m = alpha * m + (1 - alpha) * v
        out.append(m / (1 - alpha ** i))
    return out


def thin(points: list, limit: int = 600) -> list:
    """At most ``limit`` evenly spaced points, always keeping the last: a chart redrawn
    every second must not grow with the length of the run."""
    if len(points) <= limit:
        return points
    stride = math.ceil(len(points) / limit)
    out = points[::stride]
    return out if out[-1] is points[-1] else out + [points[-1]]


def loss_curve(steps: list[Step], lr_changes: list[LrChange] | None = None, title: str | None = None) -> go.Figure:
    y_all = [s.loss for s in steps]
    sm = smooth(y_all)  # smooth over every point, then thin
    keep = thin(list(range(len(steps))))
    x = [steps[i].step for i in keep]
    fig = go.Figure([go.Scatter(x=x, y=[y_all[i] for i in keep], mode="lines", name=_("loss"),
                                line=dict(color="#bbb", width=1)),
                     go.Scatter(x=x, y=[sm[i] for i in keep], mode="lines", name=_("smoothed"),
                                line=dict(color="#1f77b4"))])
    for ch in lr_changes or []:
        fig.add_vline(x=ch.step, line_dash="dash", line_color="#d62728",
                      annotation_text=_("lr → {lr}").format(lr=f"{ch.lr:g}"), annotation_position="top")
    fig.update_xaxes(title=_("step"))
    fig.update_yaxes(title=_("cross-entropy loss"))
    return _layout(fig, title or _("Loss per step"), height=320)


def accuracy_curve(epochs: list[Epoch]) -> go.Figure:
    x = [e.epoch for e in epochs]
    fig = go.Figure([go.Scatter(x=x, y=[e.train_acc for e in epochs], mode="lines+markers", name=_("train")),
                     go.Scatter(x=x, y=[e.test_acc for e in epochs], mode="lines+markers", name=_("test"))])
    if any(e.val_acc is not None for e in epochs):
        fig.add_trace(go.Scatter(x=x, y=[e.val_acc for e in epochs], mode="lines+markers", name=_("validation")))
    fig.update_xaxes(title=_("epoch"), dtick=1, **({} if epochs else {"range": [0.5, 1.5]}))
    fig.update_yaxes(title=_("accuracy"), tickformat=".1%", **({} if epochs else {"range": [0, 1]}))
    return _layout(fig, _("Accuracy per epoch") if epochs else _("Accuracy per epoch (after the first epoch)"),
                   height=320)


def _step_series(steps: list[Step], key: str, color: str, y_title: str, title: str, **yaxis) -> go.Figure:
    steps = thin(steps)
    fig = go.Figure(go.Scatter(x=[s.step for s in steps], y=[getattr(s, key) for s in steps], mode="lines",
                               line=dict(color=color)))
    fig.update_xaxes(title=_("step"))
    fig.update_yaxes(title=y_title, **yaxis)
    return _layout(fig, title, height=260)


def lr_curve(steps: list[Step]) -> go.Figure:
    return _step_series(steps, "lr", "#ff7f0e", _("learning rate"), _("Learning rate"), exponentformat="e",
                        rangemode="tozero")


def throughput_curve(steps: list[Step]) -> go.Figure:
    return _step_series(steps, "ips", "#2ca02c", _("images / second"), _("Speed"), rangemode="tozero")


def runs_overlay(curves: dict[str, list[Step]], metric: str = "loss") -> go.Figure:
    """Several runs' curves in one chart: ``curves`` maps a run's name to its step events."""
    fig = go.Figure()
    for i, (name, steps) in enumerate(curves.items()):
        ys = smooth([getattr(s, metric) for s in steps])
        keep = thin(list(range(len(steps))))
        fig.add_trace(go.Scatter(x=[steps[j].step for j in keep], y=[ys[j] for j in keep],
                                 mode="lines", name=_t(name), line=dict(color=PALETTE[i % 10])))
    words = _metric_words(metric)
    fig.update_xaxes(title=_("step"))
    fig.update_yaxes(title=_t(_("{metric} (smoothed)").format(metric=words)))
    return _layout(fig, _("Runs compared: {metric}").format(metric=words), height=360)


def _metric_words(metric: str) -> str:
    """A step event's field as a reader calls it (an unknown one as it is named)."""
    words = {"loss": _("loss"), "acc": _("accuracy"), "lr": _("learning rate"), "ips": _("images / second")}
    return words.get(metric, metric)


def sweep_curve(rows: list[dict], param: str) -> go.Figure:
    """A class sweep: final test accuracy against the setting (log axis for learning rates); a
    setting still training is an open marker on the floor until it ends; collapsed runs are red."""
    done = [r for r in rows if r.get("accuracy") is not None]
    fig = go.Figure()
    fig.add_hline(y=0.1, line=dict(color="#888", dash="dot"), annotation_text=_("chance (10%)"),
                  annotation_position="bottom right")
    fig.add_trace(go.Scatter(x=[r["value"] for r in done], y=[r["accuracy"] for r in done], mode="lines+markers",
                             marker=dict(size=11,
                                         color=[(VERMILLION if r["accuracy"] < 0.2 else GREEN) for r in done]),
                             line=dict(color="#4c9be8"), name=_("test accuracy"),
                             text=[_t(r["state"]) for r in done],
                             hovertemplate="%{x:g}: %{y:.1%} (%{text})<extra></extra>"))
    waiting = [r for r in rows if r.get("accuracy") is None]
    if waiting:
        fig.add_trace(go.Scatter(x=[r["value"] for r in waiting], y=[0.0] * len(waiting), mode="markers",
                                 marker=dict(size=10, symbol="circle-open", color="#888"), name=_("not finished"),
                                 hovertemplate="%{x:g}: %{text}<extra></extra>",
                                 text=_ts(r["state"] for r in waiting)))
    words = {"lr": _("learning rate"), "batch_size": _("batch size")}.get(param, param.replace("_", " "))
    fig.update_xaxes(title=_t(words), type="log",  # x10 and x2 steps evenly apart
                     tickvals=[r["value"] for r in rows], ticktext=[f"{r['value']:g}" for r in rows])
    fig.update_yaxes(title=_("test accuracy"), range=[0, 1.05], tickformat=".0%")
    return _layout(fig, _("Final accuracy against the {setting}").format(setting=words), height=380)


# --- prediction and inside the network ---------------------------------------------------------

def _probability_bars(probs: np.ndarray, classes: list[str] | None) -> go.Bar:
    classes = _ts(classes or [str(i) for i in range(len(probs))])
    best = int(np.argmax(probs))
    colors = [VERMILLION if i == best else BLUE for i in range(len(probs))]
    return go.Bar(x=classes, y=probs, marker_color=colors, text=[f"{p:.0%}" for p in probs], textposition="outside")


def probabilities_bar(probs: np.ndarray, classes: list[str] | None = None) -> go.Figure:
    fig = go.Figure(_probability_bars(probs, classes))
    fig.update_xaxes(title=_("digit"), type="category")
    fig.update_yaxes(title=_("probability"), range=[0, 1.1], tickformat=".0%")
    return _layout(fig, _("What the network thinks"), height=320)


def _bar_frame(n: int, step: float, top: int, lo: float, hi: float, axis: str, ticks: tuple[float, ...],
               tick_format: str):
    """What ``bars_svg`` and ``paired_bars_svg`` share: the picture's opening and the grid at ``ticks`` behind the
    bars (``head``), ``axis`` named under the labels and the closing (``tail``), its width and height, and ``y``,
    a value's height on the page. ``n`` groups of bars, ``step`` pixels each, from x = 46."""
    from html import escape
    left, plot_h = 46, 180
    w, h = left + step * n + 12, top + plot_h + (46 if axis else 30)
    span = (hi - lo) or 1.0

    def y(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, lo), hi) - lo) / span)
    head = [_svg_open(w, h, 12)]
    for t in ticks:  # the grid, behind the bars
        head.append(f'<line x1="{left}" x2="{w - 8}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#3a3d45"/>'
                    f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#c8c8c8">'
                    f'{escape(tick_format.format(t))}</text>')
    tail = [f'<text x="{left + step * n / 2:.1f}" y="{h - 8}" text-anchor="middle" fill="#c8c8c8">'
            f'{escape(axis)}</text>'] if axis else []
    return head, tail + ["</svg>"], y


def bars_svg(values, labels: list[str], texts: list[str], colours: list[str], lo: float = 0.0, hi: float = 1.0,
             axis: str = "", ticks: tuple[float, ...] = (0.0, 0.5, 1.0), tick_format: str = "{:.0%}",
             step: int | None = None) -> str:
    """A bar chart as a picture (SVG): one bar per value from ``lo`` up, its text above it, its label under it,
    grid lines at ``ticks`` (written with ``tick_format``) and ``axis`` named under the labels; ``step``: the
    pixels a bar takes, room and all (default: ten bars in 320). For a chart
    nobody clicks and whose every value is written on it: a Plotly figure cost the browser 100-150 ms to draw
    even ten bars. Every label and text is escaped for XML."""
    from html import escape
    values = [0.0 if not math.isfinite(float(v)) else float(v) for v in values]
    n = max(1, len(values))
    left, top, plot_h = 46, 24, 180
    step = step or max(32, min(48, 320 // n))  # ten bars: 378 px wide
    parts, tail, y = _bar_frame(n, step, top, lo, hi, axis, ticks, tick_format)
    for i, (v, label, text, colour) in enumerate(zip(values, labels, texts, colours)):
        x0, top_y = left + i * step + step * 0.15, y(v)
        parts.append(f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{step * 0.7:.1f}" height="{y(lo) - top_y:.1f}" '
                     f'fill="{colour}"/>')
        cx = left + (i + 0.5) * step
        parts.append(f'<text x="{cx:.1f}" y="{top_y - 5:.1f}" text-anchor="middle" fill="#fafafa">{escape(text)}</text>'
                     f'<text x="{cx:.1f}" y="{top + plot_h + 17}" text-anchor="middle" fill="#fafafa">'
                     f'{escape(label)}</text>')
    return "".join(parts + tail)


def paired_bars_svg(first, second, labels: list[str], names: tuple[str, str], lo: float = 0.0, hi: float = 1.1,
                    axis: str = "", ticks: tuple[float, ...] = (0.0, 0.5, 1.0)) -> str:
    """Two bars per label as a picture (SVG): ``first`` in blue and ``second`` in vermillion, each value written
    over its bar (as a percentage), the two ``names`` in a legend above; ``bars_svg``'s grid and labels. Every
    label and name is escaped for XML."""
    from html import escape
    pairs = [[0.0 if not math.isfinite(float(v)) else float(v) for v in vs] for vs in (first, second)]
    n = max(1, len(labels))
    left, top, plot_h, step = 46, 48, 180, 56
    parts, tail, y = _bar_frame(n, step, top, lo, hi, axis, ticks, "{:.0%}")
    for k, (name, colour) in enumerate(zip(names, (BLUE, VERMILLION))):  # the legend, above the grid
        x0 = left + k * max(140, 8 * len(str(names[0])) + 40)
        parts.insert(1 + k, f'<rect x="{x0}" y="10" width="12" height="12" fill="{colour}"/>'
                            f'<text x="{x0 + 18}" y="20" fill="#fafafa">{escape(str(name))}</text>')
    for i, label in enumerate(labels):
        for k, (values, colour) in enumerate(zip(pairs, (BLUE, VERMILLION))):
            v = values[i] if i < len(values) else 0.0
            x0, top_y = left + i * step + 4 + k * (step - 8) / 2, y(v)
            parts.append(f'<rect x="{x0:.1f}" y="{top_y:.1f}" width="{(step - 8) / 2 - 2:.1f}" '
                         f'height="{y(lo) - top_y:.1f}" fill="{colour}"/>')
            if v >= 0.005:
                parts.append(f'<text x="{x0 + (step - 8) / 4 - 1:.1f}" y="{top_y - 4:.1f}" text-anchor="middle" '
                             f'font-size="10" fill="#fafafa">{v:.0%}</text>')
        parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{top + plot_h + 17}" text-anchor="middle" '
                     f'fill="#fafafa">{escape(str(label))}</text>')
    return "".join(parts + tail)


def probabilities_pair_svg(before: np.ndarray, after: np.ndarray, classes: list[str], names: tuple[str, str]) -> str:
    """What the network thinks of two digits (the original in blue, what was done to it in vermillion), side by
    side per class, every probability written over its bar."""
    return paired_bars_svg(np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64),
                           list(classes)[:len(before)], names, axis=_("digit"))


def probabilities_svg(probs: np.ndarray, classes: list[str] | None = None) -> str:
    """``probabilities_bar`` as a picture: each class's probability written over its bar, the answer's in
    vermillion."""
    probs = np.asarray(probs, dtype=np.float64)
    classes = list(classes or [str(i) for i in range(len(probs))])
    best = int(np.argmax(probs)) if len(probs) else -1
    return bars_svg(probs, classes[:len(probs)], [f"{p:.0%}" for p in probs],
                    [VERMILLION if i == best else BLUE for i in range(len(probs))], 0.0, 1.1, _("digit"))


def per_class_svg(acc: np.ndarray, classes: list[str]) -> str:
    """The test accuracy of each class as a picture: each class's accuracy written over its bar (in the
    class's colour of ``PALETTE``), from a round floor a little under the lowest to 100%."""
    acc = np.asarray(acc, dtype=np.float64)
    finite = acc[np.isfinite(acc)]
    lo = max(0.0, float(finite.min()) - 0.05) if finite.size else 0.0
    lo = math.floor(lo * 20) / 20  # a round floor: 85%, 90%
    ticks = tuple(np.round(np.linspace(lo, 1.0, 3), 4))
    return bars_svg(acc, list(classes), ["—" if not math.isfinite(a) else f"{a:.1%}" for a in acc],
                    [PALETTE[i % len(PALETTE)] for i in range(len(acc))], lo, 1.02, _("class"), ticks,
                    step=48)  # room for "99.9%" over each bar


def confusion_table(cm: np.ndarray, classes: list[str]) -> str:
    """The confusion matrix as a ``grid_table``: the counts written in their cells, coloured by log count as
    ``confusion_matrix`` colours them (the diagonal would drown every mistake on a linear scale), true classes
    down and predicted across. For a matrix nobody clicks (time travel's). The class names are shown as
    written."""
    cm = np.asarray(cm)
    return grid_table(np.log1p(cm.astype(np.float64)), "Blues", fmt=".0f", shown=cm.astype(np.float64),
                      labels=[str(c) for c in classes[:len(cm)]])


def preprocessing_steps(steps: list[tuple[str, np.ndarray]]) -> go.Figure:
    """The preprocessing pipeline side by side, each image at its own resolution."""
    fig = _panels([[go.Heatmap(z=np.asarray(img), colorscale=GREYS, zmin=0, zmax=1, showscale=False,
                                hovertemplate="%{z:.2f}<extra></extra>")] for _title, img in steps],
                  [t for t, _img in steps], spacing=0.03)
    return _layout(_image_axes(fig, len(steps)), None, height=260)


def _kernel_squares(weights: np.ndarray, max_kernels: int) -> np.ndarray:
    """(C_out, C_in, k, k) -> (C_out, k, k): one square per filter, its mean over input channels when many."""
    w = np.asarray(weights, dtype=np.float32)
    if w.shape[1] > 1:
        w = w.mean(1, keepdims=True)
    return w[:max_kernels, 0]


def _clickable(fig: go.Figure, x, y, hover: list[str] | None = None, customdata: np.ndarray | None = None,
               template: str = "%{text}") -> go.Figure:
    """Plotly heatmaps report no selection to ``st.plotly_chart(on_select=...)`` (streamlit#8760):
    lay a nearly invisible square marker on every cell, whose clicks do report x and y.

    Hover words are either ``hover`` (one string per cell) or numbers per cell (``customdata``) put into
    ``template`` by the browser: for thousands of cells, numbers are much smaller and faster to build."""
    x, y = (v if isinstance(v, np.ndarray) else list(v) for v in (x, y))
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", showlegend=False, text=hover, customdata=customdata,
                             hovertemplate=template + "<extra></extra>",
                             marker=dict(symbol="square", size=9, opacity=0.02, color="white"),
                             selected=dict(marker=dict(opacity=0.9, color="#ff4b4b")),
                             unselected=dict(marker=dict(opacity=0.02))))
    fig.update_layout(clickmode="event+select", hovermode="closest")
    return fig


def feature_maps(maps: np.ndarray, title: str, max_maps: int = 32, clickable: bool = True) -> go.Figure:
    """A layer's output (C, H, W) as a grid of its channels; with ``clickable``, each map can be clicked.

    A click picks a whole map (one invisible marker in the middle of each, the nearest one answers), which
    ``one_map`` then shows large with a marker per cell: a marker on every cell of every map (21,632 for
    the demo's first layer) was the slowest thing a browser drew on these pages. Without ``clickable`` the
    grid is one image whose hover shows each value."""
    maps = np.asarray(maps, dtype=np.float32)[:max_maps]
    cols = min(8, len(maps))
    m = _mosaic(maps, cols, pad=1)
    rows = math.ceil(len(maps) / cols)
    height = int(min(900, max(160, rows * max(60, maps.shape[1] * 3) + 60)))
    if not clickable:
        fig = go.Figure(go.Heatmap(z=m, colorscale="Viridis", showscale=False,
                                   hovertemplate="%{z:.2f}<extra></extra>"))
        return _image_axes(_layout(fig, title, height=height))
    fig = go.Figure(go.Heatmap(z=m, colorscale="Viridis", hoverinfo="skip", showscale=False))
    n, h, w = maps.shape
    c = np.arange(n)
    mx, my = (c % cols) * (w + 1) + w // 2, (c // cols) * (h + 1) + h // 2  # each map's middle cell
    words = _("map {map}: click to see it large").format(map="%{customdata}")
    _clickable(fig, mx, my, customdata=c, template=words)
    fig.update_layout(hoverdistance=-1)  # the nearest map's marker answers a click anywhere on that map
    return _image_axes(_layout(fig, title, height=height))


@functools.lru_cache(maxsize=8)
def _lut(colorscale: str) -> np.ndarray:
    """A Plotly colour scale as 256 RGB rows (what the browser would draw, looked up here)."""
    import plotly.colors as pc
    rows = pc.sample_colorscale(pc.get_colorscale(colorscale), list(np.linspace(0, 1, 256)))
    return np.array([[round(float(v)) for v in r[r.index("(") + 1:-1].split(",")] for r in rows], dtype=np.uint8)


def _png_href(rgba: np.ndarray) -> str:
    """An (H, W, 4) uint8 picture as a PNG data URL, for an SVG picture's ``<image>`` or an HTML ``<img>``."""
    import base64
    return "data:image/png;base64," + base64.b64encode(_png(np.ascontiguousarray(rgba, dtype=np.uint8))).decode("ascii")


def _png(rgba: np.ndarray) -> bytes:
    """An (H, W, 4) uint8 picture as PNG bytes (fast compression: these are made on a page's rerun)."""
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def image_svg(z: np.ndarray, colorscale: str = "Viridis", width: int = 720, zmin: float | None = None,
              zmax: float | None = None) -> str:
    """A 2-D array as a picture in a Plotly colour scale (NaN: transparent), about ``width`` pixels wide: an SVG
    that holds a PNG of one pixel a cell and shows each cell as a sharp square (``image-rendering:
    pixelated``). The browser shows it at once, where a Plotly heatmap costs it a figure (30-100 ms each, and a
    page drew a dozen); and a PNG of one pixel a cell is a ninth or less of the pixels to encode that one drawn
    to size was (its encoding had been a third of Inside's script). For grids nobody clicks; hover values are
    lost. The scale spans ``zmin``..``zmax`` (default: the array's own range), as a heatmap's would."""
    z = np.asarray(z, dtype=np.float32)
    return pixels_svg(_rgba(z, colorscale, zmin, zmax), _scale(z, width))


def _scale(z: np.ndarray, width: int) -> int:
    """How many screen pixels a side a grid's cell takes in a picture about ``width`` wide (1 to 24)."""
    return max(1, min(24, width // max(1, z.shape[1])))


def pixels_svg(rgba: np.ndarray, k: int) -> str:
    """An (H, W, 4) uint8 picture as an SVG picture ``k`` times its size, each pixel a sharp square."""
    h, w = rgba.shape[:2]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * k}" height="{h * k}" viewBox="0 0 {w} {h}">'
            f'<image width="{w}" height="{h}" style="image-rendering: pixelated" href="{_png_href(rgba)}"/></svg>')


def _rgba(z: np.ndarray, colorscale: str, zmin: float | None = None, zmax: float | None = None) -> np.ndarray:
    """A grid's colours in a Plotly colour scale, one pixel per cell: (H, W, 4) uint8, NaN transparent."""
    finite = np.isfinite(z)
    lo, hi = (float(z[finite].min()), float(z[finite].max())) if finite.any() else (0.0, 1.0)
    if zmin is not None or zmax is not None:  # a given scale: what lies past it takes its end's colour
        lo, hi = lo if zmin is None else float(zmin), hi if zmax is None else float(zmax)
        z = np.clip(z, lo, hi)
    idx = np.zeros(z.shape, dtype=np.uint8)
    idx[finite] = np.round((z[finite] - lo) / ((hi - lo) or 1.0) * 255).astype(np.uint8)
    rgba = np.zeros((*z.shape, 4), dtype=np.uint8)
    rgba[..., :3] = _lut(colorscale)[idx]
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def kernel_grid_svg(weights: np.ndarray, max_kernels: int = 64, width: int = 720) -> tuple[str, float]:
    """Conv kernels (C_out, C_in, k, k) as a picture: one small square each (input channels averaged when
    there are many), diverging colours centred at zero; and the largest absolute weight, which its colours span
    from minus to plus (for the caption: a picture has no colour bar)."""
    w, lim = _centred(_kernel_squares(weights, max_kernels))  # a diverged run's NaN weights: out of the scale
    # eight a row (a figure's sixteen would be too small to see in a picture)
    return image_svg(_mosaic(w, min(8, len(w)), pad=1), DIVERGING, width, zmin=-lim, zmax=lim), lim


def figures_html(figures: list[tuple[str, str]]) -> str:
    """Pictures one under another, each with its caption, as one piece of HTML for ``st.html``: one element
    for the page to draw, where each ``st.image`` was three (a picture, its caption, a full-screen frame).
    ``figures``: (``<img>`` from ``feature_maps_img``/``vector_img``, caption); every caption is escaped: it is
    text, never markup."""
    from html import escape
    return ('<div class="mnist-figures">' + "".join(f"<figure>{img}<figcaption>{escape(caption)}</figcaption></figure>"
                                                    for img, caption in figures) + "</div>")


def _img(rgba: np.ndarray, k: int, alt: str) -> str:
    """(H, W, 4) uint8 pixels as an ``<img>`` ``k`` times their size (its alt escaped); drawn with sharp squares
    by the page's ``.mnist-figures img`` style."""
    from html import escape
    h, w = rgba.shape[:2]
    return f'<img src="{_png_href(rgba)}" width="{w * k}" height="{h * k}" alt="{escape(alt)}">'


def feature_maps_img(maps: np.ndarray, alt: str, max_maps: int = 32, width: int = 720) -> str:
    """``feature_maps_svg`` as an ``<img>`` for ``figures_html``: the same mosaic, colours and size."""
    z = _maps_mosaic(maps, max_maps)
    return _img(_rgba(z, "Viridis"), _scale(z, width), alt)


def vector_img(values: np.ndarray, alt: str, width: int = 720, height: int = 120) -> str:
    """A layer's vector of activations as a bar picture (``_vector_rgba``), an ``<img>`` for ``figures_html``."""
    return _img(_vector_rgba(values, width, height), 1, alt)


def feature_maps_svg(maps: np.ndarray, max_maps: int = 32, width: int = 720) -> str:
    """``feature_maps(..., clickable=False)`` as a picture: the same mosaic, colours and order."""
    return image_svg(_maps_mosaic(maps, max_maps), "Viridis", width)


def _maps_mosaic(maps: np.ndarray, max_maps: int) -> np.ndarray:
    """A layer's first ``max_maps`` maps (C, H, W) side by side, eight a row, one empty cell between them."""
    maps = np.asarray(maps, dtype=np.float32)[:max_maps]
    return _mosaic(maps, min(8, len(maps)), pad=1)


def _vector_rgba(values: np.ndarray, width: int, height: int) -> np.ndarray:
    """A layer's vector of activations (N,) as a bar picture's pixels (height, about width, 4): one bar per
    unit from a zero line, blue up (positive) and vermillion down (negative), as ``activations_bar`` draws them.
    For the layers nobody clicks: a Plotly bar chart of 128 units cost the browser as much as a figure of a
    thousand cells."""
    from plotly.colors import hex_to_rgb
    v = np.nan_to_num(np.asarray(values, dtype=np.float32).ravel(), nan=0.0, posinf=0.0, neginf=0.0)
    if v.size == 0:
        v = np.zeros(1, dtype=np.float32)
    n = len(v)
    step = max(1, width // n)
    w = step * n
    hi, lo = max(float(v.max(initial=0.0)), 0.0), min(float(v.min(initial=0.0)), 0.0)
    span = (hi - lo) or 1.0
    zero = int(round((hi / span) * (height - 1)))  # the row of the zero line, from the top
    tops = np.round((hi - np.maximum(v, 0)) / span * (height - 1)).astype(int)
    bottoms = np.round((hi - np.minimum(v, 0)) / span * (height - 1)).astype(int)
    rows = np.arange(height)[:, None]
    inside = (rows >= np.minimum(tops, zero)[None]) & (rows <= np.maximum(bottoms, zero)[None])
    rgba = np.zeros((height, n, 4), dtype=np.uint8)  # transparent around the bars: the page's own theme shows
    colour = np.array([(*hex_to_rgb(c), 255) for c in (BLUE, VERMILLION)], dtype=np.uint8)
    rgba[inside] = np.broadcast_to(colour[(v < 0).astype(int)][None], (height, n, 4))[inside]
    big = rgba.repeat(step, axis=1)
    if step >= 4:  # a gap between bars, as Plotly leaves one
        gap = max(1, step // 6)
        big[:, (np.arange(big.shape[1]) % step) >= step - gap] = 0
    big[zero] = (128, 128, 128, 255)  # the zero line, over every bar: grey reads on a light and a dark page
    return np.ascontiguousarray(big[:, :w])


def one_map(values: np.ndarray, title: str, mark: tuple[int, int] | None = None) -> go.Figure:
    """One channel (H, W) large, each cell clickable (x = column, y = row); ``mark``: the traced cell."""
    v = np.asarray(values, dtype=np.float32)
    h, w = v.shape
    fig = go.Figure(go.Heatmap(z=v, colorscale="Viridis", hoverinfo="skip", showscale=False))
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    words = _("row {row}, col {col}: {value}").format(row="%{y}", col="%{x}", value="%{customdata:.2f}")
    _clickable(fig, xx.ravel(), yy.ravel(), customdata=np.round(v.ravel(), 3), template=words)
    if mark is not None:
        r, c = mark
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="#ff4b4b", width=2))
    return _image_axes(_layout(fig, title, height=int(min(420, max(220, h * 12 + 60)))))


def activations_bar(values: np.ndarray, title: str) -> go.Figure:
    v = np.asarray(values, dtype=np.float32)
    fig = go.Figure(go.Bar(x=list(range(len(v))), y=v, marker_color=np.where(v >= 0, BLUE, VERMILLION)))
    fig.update_xaxes(title=_("unit"))
    fig.update_yaxes(title=_("activation"))
    return _layout(fig, title, height=260)


def saliency_svg(sal: np.ndarray, image: np.ndarray, width: int = 560) -> tuple[str, float]:
    """A saliency map as a picture: the digit in grey on the left, the saliency on the right in diverging
    colours centred at zero, side by side (a transparent cell between them); and the largest absolute
    saliency, which the colours span from minus to plus (for the caption: a picture has no colour bar)."""
    v, lim = _centred(np.asarray(sal, dtype=np.float64))
    z = np.asarray(image, dtype=np.float32)
    gap = np.zeros((z.shape[0], 1, 4), dtype=np.uint8)  # the page's own background between the two
    both = np.concatenate([_rgba(z, GREYS), gap, _rgba(v, DIVERGING, -lim, lim)], axis=1)
    return pixels_svg(both, max(1, width // both.shape[1])), lim


def confusion_matrix(cm: np.ndarray, classes: list[str], clickable: bool = True) -> go.Figure:
    """Counts of (true, predicted); ``clickable``: a marker per cell whose click reports it (a view that
    reads no click, time travel's, goes without: hover shows the same words)."""
    cm = np.asarray(cm)
    classes = _ts(classes)  # the categories too: a click reports them back escaped
    fig = go.Figure(_confusion_heatmap(cm, classes, clickable))
    if clickable:
        t, p = np.meshgrid(np.arange(len(classes)), np.arange(len(classes)), indexing="ij")
        _clickable(fig, [classes[j] for j in p.ravel()], [classes[i] for i in t.ravel()], _cell_words(cm, classes))
    fig.update_xaxes(title=_("predicted"), type="category", side="bottom")
    fig.update_yaxes(title=_("true"), type="category", autorange="reversed")
    return _layout(fig, _("Confusion matrix (colour: log count)"), height=480)


def _cell_words(cm: np.ndarray, classes: list[str]) -> list[str]:
    t, p = np.meshgrid(np.arange(len(classes)), np.arange(len(classes)), indexing="ij")
    return [_("true {true}, predicted {pred}: {n}").format(true=classes[i], pred=classes[j], n=cm[i, j])
            for i, j in zip(t.ravel(), p.ravel())]


def _confusion_heatmap(cm: np.ndarray, classes: list[str], clickable: bool) -> go.Heatmap:
    """The counts written in their cells, coloured by log count (the diagonal would drown every mistake on
    a linear scale); hover words unless the click markers carry them."""
    return go.Heatmap(z=np.log1p(cm), x=list(classes), y=list(classes), text=cm, texttemplate="%{text}",
                      colorscale="Blues", showscale=False, hoverinfo="skip" if clickable else "text",
                      hovertext=None if clickable else np.array(_cell_words(cm, classes), dtype=object)
                      .reshape(cm.shape))


def reliability_diagram(rel) -> go.Figure:
    """Confidence vs accuracy per bin (a ``calibration.Reliability``): on the diagonal, "p% sure"
    means right p% of the time; bars below it are over-confident, above it under-confident."""
    centres = (rel.edges[:-1] + rel.edges[1:]) / 2
    width = float(rel.edges[1] - rel.edges[0])
    has = rel.counts > 0
    fig = go.Figure()
    fig.add_trace(go.Bar(x=centres[has], y=rel.accuracy[has], width=width * 0.9, name=_("accuracy in the bin"),
                         marker_color=PALETTE[0], customdata=np.stack([rel.counts[has], rel.confidence[has]], 1),
                         text=[f"{c:,}" for c in rel.counts[has]], textposition="inside",  # how many digits: a
                         # bin of 12 says much less than one of 9,800
                         hovertemplate=_("confidence %{customdata[1]:.1%}<br>accuracy %{y:.1%}"
                                         "<br>%{customdata[0]:,} digits") + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("perfectly calibrated"),
                             line=dict(dash="dash", color=PALETTE[7])))
    fig.update_xaxes(title=_("confidence (the top probability)"), range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=_("accuracy"), range=[0, 1.02], tickformat=".0%")
    return _layout(fig, _("Reliability: expected calibration error {ece} · mean confidence {mean}").format(
        ece=f"{rel.ece:.2%}", mean=f"{rel.mean_confidence:.1%}"), height=360, legend=dict(x=0.02, y=0.98))


# --- explaining one decision ----------------------------------------------------------------

def mosaic_cell(x: float, y: float, shape: tuple[int, int, int], cols: int = 8, pad: int = 1) -> tuple | None:
    """The (channel, row, col) under a click at mosaic coordinates (x, y) of ``feature_maps``;
    None for a click on the padding between maps."""
    n, h, w = shape
    cols = min(cols, n)
    bx, ix = divmod(int(round(x)), w + pad)
    by, iy = divmod(int(round(y)), h + pad)
    c = by * cols + bx
    if ix >= w or iy >= h or bx >= cols or not 0 <= c < n:
        return None
    return c, iy, ix


def _centred(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Values coloured around zero (gradients, kernels) as float64, a vector as one row (+ 0.0: no "-0"
    where ReLU stopped a gradient), and the largest absolute finite one (1.0 when none is non-zero),
    which the colours span from minus to plus."""
    v = np.asarray(values, dtype=np.float64) + 0.0
    if v.ndim == 1:
        v = v[None]
    finite = v[np.isfinite(v)]
    lim = float(np.abs(finite).max()) if finite.size else 0.0
    return v, lim or 1.0


def _common_factor(v: np.ndarray, lim: float, title: str) -> tuple[str, np.ndarray, int]:
    """Tiny or huge gradients: one common factor in the title, short numbers in the cells."""
    power = int(math.floor(math.log10(lim)))
    if -2 <= power <= 2:
        return title, v, 0
    return f"{title} (x 1e{power})", v / 10.0 ** power, power


def _luminance(rgb) -> float:
    """WCAG's relative luminance of an sRGB colour (0-255 each)."""
    c = np.asarray(rgb, dtype=np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def grid_table(values: np.ndarray, colorscale: str = DIVERGING, zmin: float | None = None, zmax: float | None = None,
               fmt: str = ".2f", mark: tuple[int, int] | None = None, shown: np.ndarray | None = None,
               labels: list[str] | None = None) -> str:
    """A small grid of numbers as an HTML table (for ``st.html``): each cell coloured as ``image_svg`` colours
    it (the scale from ``zmin`` to ``zmax``, default the grid's own range), its ink black or white, whichever
    contrasts more (WCAG), the ``mark`` cell outlined in yellow; rows and columns numbered from 0 in header
    cells. A table is drawn at once and read cell by cell (a figure of the same grid cost the browser 50 ms),
    and written here it costs the server nothing (as a pandas Styler, Streamlit took 20 ms a table to send).
    ``shown``: the numbers written, where they are not the values coloured (gradients written over a common
    factor); ``labels``: the rows' and the columns' names, where they are not their numbers (a confusion
    matrix's classes), escaped: text, never markup. Styled by ``ui.common.ACCESSIBLE_CSS`` (``mnist-grid``)."""
    from html import escape
    v = np.asarray(values, dtype=np.float64) + 0.0  # no "-0"
    v = v[None] if v.ndim == 1 else v
    written = v if shown is None else np.asarray(shown, dtype=np.float64).reshape(v.shape) + 0.0
    rgba = _rgba(v, colorscale, zmin, zmax)  # the picture's colours, cell for cell
    mark = None if mark is None else tuple(int(m) for m in mark)
    rows = [escape(str(x)) for x in (labels if labels is not None else range(v.shape[0]))]
    cols = [escape(str(x)) for x in (labels if labels is not None else range(v.shape[1]))]
    out = ['<div class="mnist-grid"><table><thead><tr><td></td>',
           *(f'<th scope="col">{c}</th>' for c in cols), "</tr></thead><tbody>"]
    for r in range(v.shape[0]):
        out.append(f'<tr><th scope="row">{rows[r]}</th>')
        for c in range(v.shape[1]):
            style = []
            if rgba[r, c, 3]:  # a NaN (transparent in the picture): the page's own background
                red, green, blue = (int(x) for x in rgba[r, c, :3])
                ink = "#000" if _luminance(rgba[r, c, :3]) > 0.179 else "#fff"  # the higher contrast (WCAG)
                style.append(f"background-color: rgb({red}, {green}, {blue}); color: {ink}")
            if (r, c) == mark:
                style.append("outline: 3px solid #ffd400; outline-offset: -3px")
            x = written[r, c]
            text = "—" if not np.isfinite(x) else format(x, fmt)
            out.append(f'<td style="{"; ".join(style)}">{text}</td>' if style else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def gradient_table(values: np.ndarray, title: str, mark: tuple[int, int] | None = None) -> tuple[str, str]:
    """A small grid of gradients as a ``grid_table`` coloured as ``gradient_grid`` colours it (centred at zero),
    and its title (with the common factor, if any)."""
    v, lim = _centred(values)
    title, shown, power = _common_factor(v, lim, title)
    return grid_table(v, DIVERGING, -lim, lim, ".2f" if power else ".3g", mark, shown), title


def number_table(values: np.ndarray, diverging: bool = True, mark: tuple[int, int] | None = None,
                 fmt: str = ".2f") -> str:
    """A small grid of numbers (a patch, a kernel, their products) as a ``grid_table``: diverging colours
    centred at zero (weights, products) or Viridis (an input patch, a pooling window), the numbers written
    to ``fmt``."""
    if not diverging:
        return grid_table(values, "Viridis", fmt=fmt, mark=mark)
    v, lim = _centred(values)
    return grid_table(v, DIVERGING, -lim, lim, fmt, mark)


def input_box_png(image: np.ndarray, box: tuple[int, int, int, int] | None, width: int = 280) -> bytes:
    """``input_with_box`` as a picture: the digit in grey, the pixels a cell can see outlined in red
    (``box``: first and last row, first and last column)."""
    z = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    k = max(1, width // max(1, z.shape[1]))
    rgba = _rgba(z, GREYS, 0.0, 1.0).repeat(k, axis=0).repeat(k, axis=1)
    if box is not None:
        y0, y1, x0, x1 = (int(b) for b in box)
        y0, x0 = max(0, y0), max(0, x0)
        y1, x1 = min(z.shape[0] - 1, y1), min(z.shape[1] - 1, x1)
        if y0 <= y1 and x0 <= x1:
            t = max(2, k // 3)
            area = rgba[y0 * k:(y1 + 1) * k, x0 * k:(x1 + 1) * k]
            for edge in (area[:t], area[-t:], area[:, :t], area[:, -t:]):
                edge[...] = (255, 75, 75, 255)  # #ff4b4b, the figure's box
    return _png(rgba)


def gradient_grid(values: np.ndarray, title: str, mark: tuple[int, int] | None = None, numbers_up_to: int = 10,
                  clickable: bool = False) -> go.Figure:
    """A grid of gradients (red: raising it raises the loss, blue: lowers it), each number written in its
    cell when the grid is at most ``numbers_up_to`` wide, else shown on hover; ``clickable``: each cell's
    click reports its (x = column, y = row), as a kernel's cells do on the gradient page."""
    v, lim = _centred(values)
    small = max(v.shape) <= numbers_up_to
    if small:
        title, shown, power = _common_factor(v, lim, title)
    else:
        power, shown = 0, v
    fig = go.Figure(go.Heatmap(z=np.where(np.isfinite(v), v, np.nan), colorscale=DIVERGING, zmin=-lim, zmax=lim,
                               showscale=not small,
                               text=[[format(c + 0.0, ".2f" if power else ".3g") for c in r] for r in shown]
                               if small else None,
                               texttemplate="%{text}" if small else None, textfont=dict(size=11),
                               hovertemplate=_("row %{y}, col %{x}: %{z:.4g}") + "<extra></extra>"))
    if mark is not None:
        fig.add_shape(type="rect", x0=mark[1] - 0.5, x1=mark[1] + 0.5, y0=mark[0] - 0.5, y1=mark[0] + 0.5,
                      line=dict(color="#ffd400", width=3))
    if clickable:
        yy, xx = np.meshgrid(np.arange(v.shape[0]), np.arange(v.shape[1]), indexing="ij")
        words = _("row {row}, col {col}: {value}")
        _clickable(fig, xx.ravel(), yy.ravel(), [words.format(row=a, col=b, value=format(c, ".4g")) for a, b, c in
                                                 zip(yy.ravel(), xx.ravel(), v.ravel())])
    height = int(min(380, max(160, (44 if small else 12) * v.shape[0] + 70)))
    return _image_axes(_layout(fig, title, height=height))


def gradient_grid_png(values: np.ndarray, mark: tuple[int, int] | None = None, width: int = 360) -> tuple[bytes, float]:
    """``gradient_grid`` of a grid too wide for numbers in its cells, as a picture: the same colours
    centred at zero, the traced cell outlined in yellow; and the largest absolute gradient, which the
    colours span from minus to plus (for the caption: a picture has no colour bar)."""
    v, lim = _centred(values)
    k = max(1, min(24, width // max(1, v.shape[1])))
    rgba = _rgba(v, DIVERGING, -lim, lim).repeat(k, axis=0).repeat(k, axis=1)
    if mark is not None and 0 <= mark[0] < v.shape[0] and 0 <= mark[1] < v.shape[1]:
        t = max(1, k // 5)  # the outline, inside the cell's square
        r0, c0 = mark[0] * k, mark[1] * k
        box = rgba[r0:r0 + k, c0:c0 + k]
        for edge in (box[:t], box[-t:], box[:, :t], box[:, -t:]):
            edge[...] = (255, 212, 0, 255)  # #ffd400, the figure's mark
    return _png(rgba), lim


def attribution_maps(maps: list[tuple[str, np.ndarray]], image: np.ndarray, title: str | None = None) -> go.Figure:
    """Attribution maps side by side, each over a faint copy of the digit; red pushes towards the
    class, blue away from it."""
    panels = []
    for _title, m in maps:
        m = np.asarray(m, dtype=np.float32)
        lim = float(np.abs(m).max()) or 1.0
        panels.append([go.Heatmap(z=np.asarray(image), colorscale=GREYS, zmin=0, zmax=3, showscale=False,
                                  hoverinfo="skip"),
                       go.Heatmap(z=np.where(np.abs(m) > 0.05 * lim, m, np.nan), colorscale=DIVERGING, zmin=-lim,
                                  zmax=lim, zmid=0, showscale=False, opacity=0.85,
                                  hovertemplate=_("row %{y}, col %{x}: %{z:.3g}") + "<extra></extra>")])
    fig = _panels(panels, [t for t, _m in maps], spacing=0.02)
    return _layout(_image_axes(fig, len(maps)), title, height=300)


def embedding_map(coords: np.ndarray, labels: np.ndarray, classes: list[str], title: str,
                  star: np.ndarray | None = None, star_label: str | None = None) -> go.Figure:
    """The training sample as a PCA scatter coloured by class, with a new point as a star."""
    fig = projection(coords, labels, classes, "PCA")
    star_label = star_label or _("your digit")
    if star is not None:
        fig.add_trace(go.Scatter(x=[float(star[0])], y=[float(star[1])], mode="markers+text", name=_t(star_label),
                                 text=[_t(star_label)], textposition="top center",
                                 marker=dict(symbol="star", size=22, color="#ffd400",
                                             line=dict(color="black", width=1.5))))
    return _layout(fig, title, height=440, legend_title=_("class"))


# --- experiments ------------------------------------------------------------------------------

def robustness_curves(curves: dict[str, tuple[list[float], list[float]]], kind: str, unit: str) -> go.Figure:
    """Accuracy against the strength of one perturbation, one line per model."""
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=_t(name), line=dict(color=PALETTE[i % 10])))
    fig.add_hline(y=0.1, line=dict(dash="dot", color=PALETTE[7]), annotation_text=_("chance"))
    fig.update_xaxes(title=_t(_("{kind} ({unit})").format(kind=kind, unit=unit)))
    fig.update_yaxes(title=_("test accuracy"), range=[0, 1.02], tickformat=".0%")
    return _layout(fig, _("Robustness to {kind}").format(kind=kind), height=360)


def per_class_compare(before: np.ndarray, after: np.ndarray, classes: list[str],
                      names: tuple[str, str] | None = None) -> go.Figure:
    classes = _ts(classes)
    names = names or (_("trained"), _("after surgery"))
    fig = go.Figure([go.Bar(x=classes, y=before, name=_t(names[0]), marker_color=PALETTE[0]),
                     go.Bar(x=classes, y=after, name=_t(names[1]), marker_color=PALETTE[3])])
    fig.update_xaxes(title=_("class"), type="category")
    fig.update_yaxes(title=_("accuracy"), range=[0, 1.02], tickformat=".0%")
    return _layout(fig, _("Accuracy per class"), height=320, barmode="group")

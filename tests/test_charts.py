import re

import numpy as np
import plotly.graph_objects as go
import pytest

from mnist_core import charts, presets
from mnist_core.training.events import Epoch, LrChange, Step
from tests.conftest import table_cells


def test_digit_grid_is_one_heatmap_with_labels():
    imgs = np.random.randint(0, 255, (23, 28, 28))
    fig = charts.digit_grid(imgs, [str(i % 10) for i in range(23)], cols=10)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1 and fig.data[0].type == "heatmap"
    assert np.asarray(fig.data[0].z).shape == (3 * 36 - 8, 10 * 36 - 8)
    assert len(fig.layout.annotations) == 23
    assert charts.digit_grid(np.zeros((0, 28, 28)), []).layout.title.text == "no digits to show"


def test_class_balance_and_histogram_axes():
    fig = charts.class_balance(np.arange(10), [str(i) for i in range(10)])
    assert fig.data[0].type == "bar" and fig.layout.xaxis.title.text == "class"
    assert list(fig.data[0].y) == list(range(10))
    h = charts.pixel_histogram(np.ones(32), np.linspace(0, 255, 33))
    assert h.layout.yaxis.type == "log" and "intensity" in h.layout.xaxis.title.text


def test_projection_one_trace_per_class():
    fig = charts.projection(np.random.randn(100, 2), np.arange(100) % 10, [str(i) for i in range(10)], "PCA")
    assert len(fig.data) == 10 and fig.data[3].name == "3" and len(fig.data[3].x) == 10
    assert fig.layout.xaxis.title.text == "PCA 1"
    assert {t.type for t in fig.data} == {"scatter"}  # a few thousand points: SVG, no WebGL context to pay for
    big = charts.projection(np.random.randn(charts.SVG_POINTS + 10, 2), np.arange(charts.SVG_POINTS + 10) % 10,
                            [str(i) for i in range(10)])
    assert {t.type for t in big.data} == {"scattergl"}


def test_training_curves():
    steps = [Step(step=i, loss=2.3 / i, lr=0.001, ips=1000.0) for i in range(1, 51)]
    fig = charts.loss_curve(steps, [LrChange(step=20, lr=0.01)])
    assert [t.name for t in fig.data] == ["loss", "smoothed"] and len(fig.data[1].y) == 50
    assert fig.layout.shapes and fig.layout.shapes[0].x0 == 20  # the lr change is marked
    acc = charts.accuracy_curve([Epoch(epoch=1, train_acc=0.9, test_acc=0.95, val_acc=0.94)])
    assert [t.name for t in acc.data] == ["train", "test", "validation"]
    assert acc.layout.yaxis.title.text == "accuracy"
    assert charts.lr_curve(steps).layout.yaxis.title.text == "learning rate"
    assert charts.throughput_curve(steps).data[0].y[0] == 1000.0
    assert len(charts.runs_overlay({"a": steps, "b": steps}).data) == 2


def test_smooth_is_debiased():
    assert charts.smooth([5.0, 5.0, 5.0]) == [5.0, 5.0, 5.0]


def test_probabilities_bar_highlights_the_winner():
    p = np.full(10, 0.05)
    p[7] = 0.55
    fig = charts.probabilities_bar(p)
    assert fig.data[0].marker.color[7] != fig.data[0].marker.color[0]
    assert fig.layout.yaxis.title.text == "probability"


def test_feature_maps_and_activations_and_saliency():
    fig = charts.feature_maps(np.random.rand(12, 14, 14), "maps")
    assert np.asarray(fig.data[0].z).shape == (2 * 15 - 1, 8 * 15 - 1)
    assert len(charts.activations_bar(np.random.randn(64), "a").data[0].y) == 64
    sal = np.zeros((28, 28))
    sal[3, 4], sal[20, 20] = 0.5, -0.25
    img = np.zeros((28, 28))
    img[10, 10] = 1.0
    svg, lim = charts.saliency_svg(sal, img, width=570)  # 57 cells: 10 pixels a cell
    im = svg_picture(svg)  # one pixel a cell: the digit, a transparent cell, the saliency
    assert lim == 0.5 and im.shape == (28, 57, 4) and 'width="570" height="280"' in svg
    grey, div = charts._lut(charts.GREYS), charts._lut(charts.DIVERGING)
    assert tuple(im[10, 10, :3]) == tuple(grey[255]) and tuple(im[0, 0, :3]) == tuple(grey[0])  # the digit, left
    assert (im[:, 28, 3] == 0).all()  # the gap: transparent
    right = 29  # where the saliency starts
    assert tuple(im[3, right + 4, :3]) == tuple(div[255]) and tuple(im[20, right + 20, :3]) == tuple(div[64])
    assert tuple(im[0, right, :3]) == tuple(div[128])  # zero: the scale's middle


def test_confusion_matrix_and_per_class():
    cm = np.eye(10, dtype=int) * 100
    cm[4, 9] = 7
    fig = charts.confusion_matrix(cm, [str(i) for i in range(10)])
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].text)[4, 9] == 7
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "true"


def test_architecture_svg_one_block_per_layer_plus_input():
    import xml.etree.ElementTree as ET
    rows = presets.get("seed001").spec().analyze().rows()
    svg = ET.fromstring(charts.architecture_svg(rows))  # well-formed: a picture the browser can draw
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}rect")) == len(rows) + 2  # the background, the input, each layer
    shapes = [t.findall(f"{ns}tspan")[1].text for t in svg.findall(f"{ns}text")]
    assert shapes[0] == "1x28x28" and "1568" in shapes and len(shapes) == len(rows) + 1


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"/><image href="x"/>', "a & b %{x}"])
def test_architecture_svg_writes_a_label_as_text(hostile):
    import xml.etree.ElementTree as ET
    svg = charts.architecture_svg([{"layer": hostile, "output": "8x28x28"}, {"layer": "Flatten", "output": hostile}])
    root = ET.fromstring(svg)  # still one well-formed picture, whatever the label
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(hostile in t for t in texts)  # shown as written
    assert "<script" not in svg and "<image" not in svg


def test_preprocessing_steps_panels():
    fig = charts.preprocessing_steps([("a", np.zeros((50, 40))), ("b", np.zeros((28, 28)))])
    assert len(fig.data) == 2 and [a.text for a in fig.layout.annotations] == ["a", "b"]


def test_live_charts_stay_small_for_long_runs():
    steps = [Step(step=i, loss=1.0, lr=0.1, ips=5.0) for i in range(10_000)]
    fig = charts.loss_curve(steps)
    assert len(fig.data[0].x) <= 601 and fig.data[0].x[-1] == 9_999
    assert len(charts.lr_curve(steps).data[0].x) <= 601
    assert charts.thin([1, 2, 3]) == [1, 2, 3]


def test_reliability_diagram_shows_bins_counts_and_the_ece():
    from mnist_core.calibration import reliability
    probs = np.full((100, 10), 0.01)
    probs[:, 0] = 0.91
    rel = reliability(probs, np.zeros(100, dtype=int))
    fig = charts.reliability_diagram(rel)
    assert list(fig.data[0].y) == [1.0] and fig.data[0].text == ("100",)
    assert "9.00%" in fig.layout.title.text  # |1.00 - 0.91|


# --- user text in figures: escaped, never rendered as HTML ----------------------------------------

HOSTILE = ['<a href="https://evil.example/">CLICK: answers</a>', '<span style="font-size:80px;color:red">HACKED</span>']


def figure_strings(fig) -> list[str]:
    """Every string in the figure as the browser gets it (``to_json`` writes "<" as \\u003c)."""
    import json
    out = []

    def walk(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(json.loads(fig.to_json()))
    return out


def classes_with(name: str) -> list[str]:
    return [name] + [str(i) for i in range(1, 10)]


def _img(n=1):
    return np.random.rand(n, 28, 28).astype(np.float32) * 255


STEPS = [Step(step=i, loss=2.3 / i, lr=0.001, ips=1000.0) for i in range(1, 20)]
BUILDERS = {  # every builder that takes a string: the hostile text in each of its string inputs
    "digit_grid": lambda h: charts.digit_grid(_img(2), [h, "1"], title=h, captions=[h, h]),
    "digit_grid labels": lambda h: charts.digit_grid(_img(2), [h, h]),
    "digit_heatmap": lambda h: charts.digit_heatmap(_img()[0], h),
    "class_balance": lambda h: charts.class_balance(np.arange(10), classes_with(h), h),
    "mean_digits": lambda h: charts.mean_digits(_img(10), classes_with(h)),
    "projection": lambda h: charts.projection(np.random.randn(20, 2), np.arange(20) % 10, classes_with(h), h,
                                              hover=[h] * 20),
    "loss_curve": lambda h: charts.loss_curve(STEPS, [LrChange(step=5, lr=0.01)], title=h),
    "runs_overlay": lambda h: charts.runs_overlay({h: STEPS, "other": STEPS}, "loss"),
    "sweep_curve": lambda h: charts.sweep_curve([{"value": 0.1, "accuracy": 0.9, "state": h},
                                                 {"value": 0.01, "accuracy": None, "state": h}], h),
    "probabilities_bar": lambda h: charts.probabilities_bar(np.full(10, 0.1), classes_with(h)),
    "preprocessing_steps": lambda h: charts.preprocessing_steps([(h, np.zeros((40, 30))), ("b", np.zeros((28, 28)))]),
    "feature_maps": lambda h: charts.feature_maps(np.random.rand(2, 4, 4), h),
    "activations_bar": lambda h: charts.activations_bar(np.random.randn(8), h),
    "confusion_matrix": lambda h: charts.confusion_matrix(np.eye(10, dtype=int), classes_with(h)),
    "attribution_maps": lambda h: charts.attribution_maps([(h, np.random.randn(28, 28))], _img()[0], h),
    "embedding_map": lambda h: charts.embedding_map(np.random.randn(20, 2), np.arange(20) % 10, classes_with(h), h,
                                                    np.zeros(2), h),
    "robustness_curves": lambda h: charts.robustness_curves({h: ([0, 1], [0.9, 0.5])}, h, h),
    "per_class_compare": lambda h: charts.per_class_compare(np.ones(10), np.ones(10), classes_with(h), (h, h)),
}


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("builder", list(BUILDERS))
def test_every_builder_escapes_user_text(builder, hostile):
    strings = figure_strings(BUILDERS[builder](hostile))
    joined = "\n".join(strings)
    assert "<a" not in joined and "<span" not in joined, joined[:500]
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    assert any(escaped in s for s in strings), f"{builder}: the name is gone instead of escaped"


def test_confusion_matrix_clicks_report_the_escaped_categories():
    classes = classes_with("a<b")
    fig = charts.confusion_matrix(np.eye(10, dtype=int), classes)
    assert list(fig.data[0].x)[0] == "a&lt;b" and "a&lt;b" in set(fig.data[1].x)


def _rgb(hex_colour: str):
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]


def _deuteranopia(rgb):
    """Machado et al. (2009) deuteranopia simulation (severity 1.0) on linear-ish sRGB."""
    m = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    return [sum(m[r][c] * rgb[c] for c in range(3)) for r in range(3)]


def test_the_class_colours_stay_apart_for_a_red_green_colour_blind_reader():
    from mnist_core.charts import PALETTE
    assert len(set(PALETTE)) == 10
    sims = [_deuteranopia(_rgb(c)) for c in PALETTE]
    closest = min(sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) ** 0.5
                  for i, x in enumerate(sims) for y in sims[i + 1:])
    assert closest > 0.13, closest  # Plotly's default ten: 0.10 (its pink 6 and cyan 9 come closest)


def test_a_grid_as_a_picture_has_plotlys_colours_and_transparent_padding():
    z = np.array([[0.0, 1.0, np.nan], [0.5, 0.25, 0.75]], dtype=np.float32)
    svg = charts.image_svg(z, "Viridis", width=30)
    im = svg_picture(svg)
    assert im.shape == (2, 3, 4) and 'width="30" height="20"' in svg  # one pixel a cell, shown 10 pixels a cell
    assert tuple(im[0, 0]) == (68, 1, 84, 255) and tuple(im[0, 1]) == (253, 231, 37, 255)  # Viridis' ends
    assert im[0, 2, 3] == 0  # NaN: the padding between maps shows the page through
    maps = np.random.default_rng(0).random((12, 5, 5)).astype(np.float32)
    fig = charts.feature_maps(maps, "t", clickable=False)
    mosaic = np.asarray(fig.data[0].z, dtype=np.float32)
    svg = charts.feature_maps_svg(maps, width=len(mosaic[0]) * 4)
    pic = svg_picture(svg)  # one pixel a cell, shown 4 times as large, each cell a sharp square
    assert pic.shape[:2] == mosaic.shape  # the same mosaic, cell for cell
    assert (pic[..., 3] == 0).sum() == np.isnan(mosaic).sum()
    assert f'width="{mosaic.shape[1] * 4}" height="{mosaic.shape[0] * 4}"' in svg and "pixelated" in svg


def test_a_vector_picture_draws_each_unit_as_a_bar_from_the_zero_line():
    def pixels(v):
        img = charts.vector_img(np.asarray(v, dtype=float), "bars", width=40, height=41)
        return img_picture(img)

    img = pixels([1.0, -1.0, 0.0, 0.5])  # four units, 10 px each; zero in the middle row
    assert img.shape == (41, 40, 4)
    blue, vermillion = (0x00, 0x72, 0xB2, 255), (0xD5, 0x5E, 0x00, 255)
    assert tuple(img[5, 4]) == blue and tuple(img[35, 14]) == vermillion  # up for positive, down for negative
    assert img[5, 14, 3] == 0 and img[35, 4, 3] == 0  # nothing on the other side: transparent (the page's theme)
    assert tuple(img[20, 24]) == (128, 128, 128, 255)  # a zero unit: only the zero line
    assert tuple(img[15, 34]) == blue and img[5, 34, 3] == 0  # half as tall as the first
    for odd in ([], [np.nan, np.inf, 2.0], np.zeros(3)):  # nothing, a diverged layer, all zeros: still a picture
        assert pixels(odd).shape[0] == 41


def test_kernel_grid_svg_spans_the_finite_weights_around_zero():
    w = np.zeros((4, 1, 3, 3))
    w[0, 0, 0, 0], w[1, 0, 1, 1], w[2, 0, 2, 2] = 2.0, -1.0, np.nan  # a diverged weight is left out of the scale
    svg, lim = charts.kernel_grid_svg(w)
    pic = svg_picture(svg)
    lut = charts._lut(charts.DIVERGING)
    assert lim == 2.0 and pic.shape == (3, 4 * 3 + 3, 4)  # four kernels in a row, a transparent pixel between
    assert tuple(pic[0, 0, :3]) == tuple(lut[255]) and tuple(pic[1, 5, :3]) == tuple(lut[64])  # +2 and -1 of +-2
    assert pic[2, 10, 3] == 0  # the NaN: transparent


def test_gradient_grid_png_centres_its_colours_at_zero_and_outlines_the_traced_cell():
    import io

    from PIL import Image
    g = np.zeros((12, 12))
    g[0, 0], g[11, 11], g[5, 5] = 4.0, -2.0, np.nan
    png, lim = charts.gradient_grid_png(g, mark=(3, 6), width=120)  # 10 pixels a cell
    im = np.asarray(Image.open(io.BytesIO(png)))
    assert lim == 4.0 and im.shape == (120, 120, 4)
    lut = charts._lut(charts.DIVERGING)
    assert tuple(im[5, 5, :3]) == tuple(lut[255]) and tuple(im[115, 115, :3]) == tuple(lut[64])  # +4 and -2 of +-4
    assert tuple(im[25, 25, :3]) == tuple(lut[128]) and im[55, 55, 3] == 0  # zero: the middle; NaN: transparent
    yellow = (255, 212, 0, 255)
    assert tuple(im[30, 65]) == yellow and tuple(im[39, 65]) == yellow and tuple(im[35, 60]) == yellow  # the outline
    assert tuple(im[35, 65]) != yellow  # inside the outline: the cell's own colour
    assert charts.gradient_grid_png(np.zeros((12, 12)))[1] == 1.0  # all zeros: still a scale
    assert charts.gradient_grid_png(g, mark=(40, 40))[0][:8] == b"\x89PNG\r\n\x1a\n"  # a mark outside: ignored


def cell_styles(html: str) -> list[list[str]]:
    """Each body cell's inline style in a ``grid_table`` ('' for none), row by row."""
    import re
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r'<td(?: style="([^"]*)")?>', row) for row in body.split("</tr>")[:-1]]


def test_gradient_table_colours_each_number_as_the_figure_would_and_outlines_the_traced_cell():
    g = np.array([[2e-5, -1e-5], [0.0, np.nan]])
    html, title = charts.gradient_table(g, "dL/d(input)", mark=(0, 1))
    assert title == "dL/d(input) (x 1e-5)"  # one common factor, short numbers in the cells
    assert table_cells(html) == [["", "0", "1"], ["0", "2.00", "-1.00"], ["1", "0.00", "—"]]  # numbered from 0
    lut = charts._lut(charts.DIVERGING)
    top, low, mid = (tuple(int(x) for x in lut[i]) for i in (255, 64, 128))  # +2, -1 and 0 of +-2
    styles = cell_styles(html)
    assert styles[0][0].startswith(f"background-color: rgb{top}") and f"rgb{low}" in styles[0][1]
    assert f"rgb{mid}" in styles[1][0] and styles[1][1] == ""  # the zero: the middle; the NaN: uncoloured
    assert "outline: 3px solid #ffd400" in styles[0][1] and html.count("outline:") == 1
    plain_title = charts.gradient_table(np.array([[0.5, -0.25]]), "t")[1]
    assert plain_title == "t"  # numbers that read as they are: no factor


def test_gradient_table_numbers_are_readable_on_every_colour():
    import re
    v = np.linspace(-1, 1, 100).reshape(10, 10)
    html = charts.gradient_table(v, "t")[0]
    rules = re.findall(r"background-color: rgb\((\d+), (\d+), (\d+)\); color: (#000|#fff)", html)
    assert len(rules) == 100  # every cell its colour and its ink

    def contrast(a, b):
        hi, lo = sorted((charts._luminance(a), charts._luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)
    for r, g, b, ink in rules:
        assert contrast((int(r), int(g), int(b)), (0, 0, 0) if ink == "#000" else (255, 255, 255)) >= 4.5


def test_number_table_colours_a_patch_in_viridis_and_weights_around_zero():
    patch = np.array([[0.0, 1.0], [0.5, 2.0]])
    html = charts.number_table(patch, diverging=False, mark=(1, 1))
    viridis = charts._lut("Viridis")
    styles = cell_styles(html)
    assert f"rgb{tuple(int(x) for x in viridis[0])}" in styles[0][0]  # the lowest: Viridis' dark end
    assert f"rgb{tuple(int(x) for x in viridis[255])}" in styles[1][1]  # the highest: its yellow
    assert "outline" in styles[1][1] and html.count("outline:") == 1 and table_cells(html)[2][2] == "2.00"
    kernel = np.array([[-3.0, 0.0, 1.5]])
    lut = charts._lut(charts.DIVERGING)
    styles = cell_styles(charts.number_table(kernel))
    for cell, i in zip(styles[0], (0, 128, 191)):  # -3, 0 and +1.5 of +-3: centred at zero, not the grid's range
        assert cell.startswith(f"background-color: rgb{tuple(int(x) for x in lut[i])}; color: #")


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "*a* & b"])
def test_a_grid_tables_labels_are_text(hostile):
    html = charts.confusion_table(np.eye(2, dtype=int), [hostile, "b"])
    assert table_cells(html)[0] == ["", hostile, "b"] and table_cells(html)[1][0] == hostile  # as written
    assert "<script" not in html and "<img" not in html


def img_picture(img: str) -> np.ndarray:
    """The PNG an ``<img>`` of ``figures_html`` holds, decoded (RGBA)."""
    import base64
    import io
    import re

    from PIL import Image
    href = re.search(r'src="data:image/png;base64,([^"]+)"', img).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(href))).convert("RGBA"))


def test_layer_pictures_as_html_are_the_svg_pictures_pixels():
    maps = np.random.default_rng(1).random((12, 5, 5)).astype(np.float32)
    img = charts.feature_maps_img(maps, "twelve maps", width=200)
    svg = charts.feature_maps_svg(maps, width=200)
    assert np.array_equal(img_picture(img), svg_picture(svg))  # the same mosaic and colours, cell for cell
    size = re.search(r'width="(\d+)" height="(\d+)"', svg).groups()
    assert f'width="{size[0]}" height="{size[1]}"' in img and 'alt="twelve maps"' in img
    bars = charts.vector_img(np.array([1.0, -1.0]), "two units", width=40, height=41)
    assert img_picture(bars).shape == (41, 40, 4) and 'width="40" height="41"' in bars  # shown at its own size


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "*a* & b"])
def test_layer_pictures_captions_and_alts_are_text(hostile):
    from html import unescape
    html = charts.figures_html([(charts.feature_maps_img(np.ones((2, 3, 3)), hostile), hostile)])
    assert html.count("<img") == 1 and "<script" not in html  # the one picture, nothing a caption brought
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    caption = re.search(r"<figcaption>(.*)</figcaption>", html).group(1)
    assert unescape(alt) == hostile and unescape(caption) == hostile  # as written
    assert charts.figures_html([]) == '<div class="mnist-figures"></div>'


def test_input_box_png_outlines_what_a_cell_can_see():
    import io

    from PIL import Image
    img = np.zeros((28, 28), dtype=np.float32)
    img[10, 10] = 1.0
    im = np.asarray(Image.open(io.BytesIO(charts.input_box_png(img, (2, 6, 3, 9), width=280))))  # 10 px a pixel
    assert im.shape == (280, 280, 4)
    red = (255, 75, 75, 255)
    assert tuple(im[20, 50]) == red and tuple(im[69, 50]) == red  # the box's top and bottom edges (rows 2 and 6)
    assert tuple(im[40, 30]) == red and tuple(im[40, 99]) == red  # its left and right (columns 3 and 9)
    grey = charts._lut(charts.GREYS)
    assert tuple(im[40, 60]) != red and tuple(im[105, 105])[:3] == tuple(grey[255])  # the ink, as the digit has it
    assert tuple(im[150, 150])[:3] == tuple(grey[0])
    whole = np.asarray(Image.open(io.BytesIO(charts.input_box_png(img, (-5, 40, -5, 40), width=280))))
    assert tuple(whole[0, 0]) == red  # a box past the edges: clipped to the digit
    plain = np.asarray(Image.open(io.BytesIO(charts.input_box_png(img, None))))
    assert not (plain[..., :3] == (255, 75, 75)).all(-1).any()  # no box: the digit alone


def svg_texts(svg: str) -> list[str]:
    import xml.etree.ElementTree as ET
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


def test_probabilities_svg_writes_each_probability_over_its_bar_the_answer_in_vermillion():
    import xml.etree.ElementTree as ET
    probs = np.array([0.05, 0.9, 0.05])
    svg = charts.probabilities_svg(probs, ["a", "b", "c"])
    texts = svg_texts(svg)
    assert [t for t in texts if t.endswith("%") and t not in ("0%", "50%", "100%")] == ["5%", "90%", "5%"]
    assert {"a", "b", "c", "digit"} <= set(texts)
    bars = [r for r in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}rect")][1:]  # after the background
    assert [b.get("fill") for b in bars] == [charts.BLUE, charts.VERMILLION, charts.BLUE]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] > 10 * heights[0] > 0  # 90% against 5%, on one scale


def test_per_class_svg_starts_its_scale_under_the_lowest_class():
    texts = svg_texts(charts.per_class_svg(np.array([0.97, 0.99, np.nan]), ["0", "1", "2"]))
    assert "97.0%" in texts and "99.0%" in texts and "—" in texts  # a class with no digits: a dash
    assert "90%" in texts and "100%" in texts  # the grid from a round floor a little under 97% to 100%


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"/><image href="x"/>', "a & b"])
def test_bar_pictures_write_a_class_name_as_text(hostile):
    for svg in (charts.probabilities_svg(np.full(2, 0.5), [hostile, "b"]),
                charts.per_class_svg(np.full(2, 0.5), [hostile, "b"])):
        assert hostile in svg_texts(svg)  # shown as written, in a well-formed picture
        assert "<script" not in svg and "<image" not in svg


def test_confusion_table_writes_the_counts_coloured_by_log_count():
    cm = np.array([[980, 0, 20], [1, 1000, 0], [10, 2, 3]])
    html = charts.confusion_table(cm, ["x", "y", "z"])
    cells = table_cells(html)
    assert cells[0] == ["", "x", "y", "z"] and [row[0] for row in cells[1:]] == ["x", "y", "z"]
    assert cells[1][1:] == ["980", "0", "20"] and cells[3][3] == "3"
    blues = charts._lut("Blues")
    styles = cell_styles(html)
    assert f"rgb{tuple(int(v) for v in blues[255])}" in styles[1][1]  # the largest count: darkest
    assert f"rgb{tuple(int(v) for v in blues[0])}" in styles[0][1]  # zero: the lightest


def svg_picture(svg: str) -> np.ndarray:
    """The one PNG an SVG picture embeds, decoded (RGBA)."""
    import base64
    import io
    import xml.etree.ElementTree as ET

    from PIL import Image
    images = list(ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}image"))
    assert len(images) == 1, svg[:200]
    href = images[0].get("href")
    assert href.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))).convert("RGBA"))


def test_digits_svg_draws_every_digit_in_one_picture_with_its_caption_under_it():
    imgs = np.zeros((7, 28, 28))
    imgs[3, 10:20, 10:20] = 255  # one digit with ink
    svg = charts.digits_svg(imgs, [f"#{i}\n{i}0%" for i in range(7)], cols=3, scale=2)
    texts = svg_texts(svg)
    assert texts == [t for i in range(7) for t in (f"#{i}", f"{i}0%")]  # two lines each, in order
    pic = svg_picture(svg)
    rows, cols = 3, 3
    assert pic.shape[0] % rows == 0 and pic.shape[1] % cols == 0
    ch, cw = pic.shape[0] // rows, pic.shape[1] // cols
    ink = pic[..., :3].max(-1) > 200
    r, c = divmod(3, cols)  # the fourth digit: row 1, column 0
    assert ink[r * ch:(r + 1) * ch, c * cw:(c + 1) * cw].sum() == (10 * 2) ** 2  # its 10x10 block, 2 px a pixel
    assert ink.sum() == 400  # and nowhere else
    assert (pic[-1, -1] == 0).all()  # past the seventh digit: transparent
    assert "no digits to show" in svg_texts(charts.digits_svg(np.zeros((0, 28, 28)), []))


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"/><image href="x"/>', "a & b"])
def test_digits_svg_writes_a_caption_as_text(hostile):
    svg = charts.digits_svg(np.zeros((1, 28, 28)), [hostile])
    assert hostile in svg_texts(svg) and "<script" not in svg
    svg_picture(svg)  # still one picture: the caption added none


def test_attribution_tiles_colour_the_map_over_a_faint_digit():
    image = np.zeros((28, 28))
    image[5:10, 5:10] = 1.0
    m = np.zeros((28, 28))
    m[0, 0], m[27, 27], m[14, 14] = 2.0, -2.0, 0.01  # red, blue, and one below 5% of the largest: not drawn
    (tile,) = charts.attribution_tiles([m], [image])
    assert tile.shape == (28, 28, 4) and (tile[..., 3] == 255).all()
    red, blue = tile[0, 0, :3].astype(int), tile[27, 27, :3].astype(int)
    assert red.argmax() == 0 and red[0] > 2 * red[1]  # dark red
    assert blue.argmax() == 2 and blue[2] > 10 * blue[0]  # dark blue
    assert (tile[14, 14, :3] == 0).all()  # background: black
    ink = tile[7, 7, :3].astype(int)
    assert 60 < ink.min() <= ink.max() < min(120, ink.min() + 3)  # the digit's ink: grey, faint (a third of white)
    assert charts.attribution_tiles([], []).shape == (0, 28, 28, 4)


def test_probabilities_pair_svg_draws_two_bars_a_class_named_in_its_legend():
    import xml.etree.ElementTree as ET
    before, after = np.array([0.9, 0.1, 0.0]), np.array([0.2, 0.7, 0.1])
    svg = charts.probabilities_pair_svg(before, after, ["a", "b", "<c>"], ("original", "noise 40"))
    texts = svg_texts(svg)
    assert {"original", "noise 40", "a", "b", "<c>", "digit"} <= set(texts)
    shown = [t for t in texts if t.endswith("%") and t not in ("0%", "50%", "100%")]
    assert shown == ["90%", "20%", "10%", "70%", "10%"]  # class by class, before then after; 0%: not written
    rects = list(ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}rect"))[3:]  # background, two legend keys
    assert [r.get("fill") for r in rects] == [charts.BLUE, charts.VERMILLION] * 3
    heights = [float(r.get("height")) for r in rects]
    assert heights[0] == pytest.approx(heights[2] * 9, rel=0.01) and heights[4] == 0  # 90% against 10%; 0

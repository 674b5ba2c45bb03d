import numpy as np
import plotly.graph_objects as go

from mnist_core import charts, presets
from mnist_core.training.events import Epoch, LrChange, Step


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


def test_kernel_grid_is_centred_at_zero():
    w = np.random.randn(16, 4, 3, 3)
    fig = charts.kernel_grid(w, "k")
    hm = fig.data[0]
    assert hm.zmid == 0 and hm.zmin == -hm.zmax
    assert np.asarray(hm.z).shape == (3, 16 * 4 - 1)


def test_feature_maps_and_activations_and_saliency():
    fig = charts.feature_maps(np.random.rand(12, 14, 14), "maps")
    assert np.asarray(fig.data[0].z).shape == (2 * 15 - 1, 8 * 15 - 1)
    assert len(charts.activations_bar(np.random.randn(64), "a").data[0].y) == 64
    s = charts.saliency_map(np.random.randn(28, 28), np.random.rand(28, 28))
    assert len(s.data) == 2 and s.data[1].zmid == 0


def test_confusion_matrix_and_per_class():
    cm = np.eye(10, dtype=int) * 100
    cm[4, 9] = 7
    fig = charts.confusion_matrix(cm, [str(i) for i in range(10)])
    assert fig.data[0].type == "heatmap" and np.asarray(fig.data[0].text)[4, 9] == 7
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "true"
    pc = charts.per_class_accuracy(np.linspace(0.9, 1, 10), [str(i) for i in range(10)])
    assert pc.data[0].type == "bar"


def test_architecture_diagram_one_block_per_layer_plus_input():
    rows = presets.get("seed001").spec().analyze().rows()
    fig = charts.architecture_diagram(rows)
    assert len(fig.layout.shapes) == len(rows) + 1
    assert "1568" in " ".join(a.text for a in fig.layout.annotations)


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

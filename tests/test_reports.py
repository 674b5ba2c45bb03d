"""The report a student hands in and the model card: what they claim to hold, escaped, offline."""

import re

import numpy as np
import pytest

from mnist_core import i18n, presets, reports
from mnist_core.mistakes import set_tag
from mnist_core.runs import RunStore
from mnist_core.training.config import TrainConfig
from mnist_core.training.loop import fit


@pytest.fixture(scope="module")
def store_with_run(tmp_path_factory, sample):
    root = tmp_path_factory.mktemp("runs")
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=20)
    store = RunStore(root)
    logged = []
    res = fit(spec, cfg, sample, callback=logged.append)
    run = store.save_result('<img src=x onerror=alert(1)> "mine"', spec, cfg, res, logged=logged)
    set_tag(run.path, "mnist", 7, "ambiguous")
    set_tag(run.path, "mnist", 9, "model error")
    return store, run.path.name


@pytest.fixture(scope="module")
def built(store_with_run, sample):
    store, run_id = store_with_run
    return reports.run_report(store, run_id, sample)


def test_a_run_report_holds_its_curves_a_fresh_evaluation_and_the_tags(built, sample):
    assert len(built.losses) >= 3 and all(loss > 0 for _, loss in built.losses)
    assert [e for e, _ in built.test_acc] == [1]
    assert built.confusion.shape == (10, 10) and built.confusion.sum() == len(sample.test_labels)
    acc = np.trace(built.confusion) / built.confusion.sum()
    assert 0.1 < acc <= 1 and built.reliability.counts.sum() == len(sample.test_labels)
    assert built.tags == {"mnist:7": "ambiguous", "mnist:9": "model error"}


def test_the_report_contains_what_it_claims_and_escapes_the_student_s_words(built):
    answers = [reports.Answer("Which digit <b>is</b> hardest?", "8", "9 <script>x</script>"),
               reports.Answer("Guess the accuracy", None, "about 97%")]
    drawings = [reports.Drawing(np.full((28, 28), i * 20, np.uint8), i, (i + 1) % 10, 0.8, "fairly sure")
                for i in range(3)]
    html = reports.student_report("Ann <3", [built], answers, drawings)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "Ann &lt;3" in html
    assert html.count("<svg") == 3  # learning curve, confusion matrix, reliability diagram
    assert html.count("class='digit'") == 3  # the drawn digits, each a PNG data: image
    assert "1 run, 2 lesson answers, 3 drawn digits" in html
    assert "0 of 3 read as the digit asked for" in html  # each was read as the next digit
    assert "ambiguous: 1" in html and "model error: 1" in html
    per_class = np.diag(built.confusion) / built.confusion.sum(1)
    assert f"{per_class[0]:.1%}" in html
    assert f"{built.summary['test_accuracy']:.2%}" in html


def test_the_report_fetches_nothing(built):
    html = reports.student_report("Ann", [built], [], [])
    assert "default-src 'none'" in html
    # no URL that a browser would fetch: every src is a data: URI, and no link or script at all
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!data:|#)""", html)
    assert "<script" not in html and "<link" not in html


def test_the_model_card_names_the_commonest_confusions(built):
    card = reports.model_card(built)
    t, p, n = reports.confused_pairs(built.confusion, 1)[0]
    assert f"{t} read as {p}: {n} times" in card
    assert "What it was not tested on" in card and built.summary["data_source"] in card


def test_confused_pairs_never_counts_a_right_answer():
    conf = np.eye(10, dtype=int) * 100
    conf[3, 5], conf[4, 9], conf[7, 1] = 6, 9, 2
    assert reports.confused_pairs(conf, 5) == [(4, 9, 9), (3, 5, 6), (7, 1, 2)]


def test_the_report_speaks_chinese_when_the_session_does(built):
    i18n.set_language("zh")
    try:
        html = reports.student_report("小明", [built], [], [])
    finally:
        i18n.set_language("en")
    assert "lang='zh-CN'" in html and "小明" in html
    assert "MNIST Lab report" not in html, "the title is translated"

"""The class sweep: settings parsed and checked, one real job per setting, a curve at the end."""

import time

import pytest

from mnist_core import charts
from mnist_core.jobs.sweep import Sweep, SweepError, default_values, parse_values, point_config
from mnist_core.runs import RunStore
from mnist_core.settings import ADDRESS_ENV


def test_defaults_centre_on_the_preset_and_include_seed003s_collapse():
    assert 0.01 in default_values("seed003", "lr")
    assert default_values("seed003", "lr") == sorted(default_values("seed003", "lr"))
    assert default_values("fast", "batch_size") == [16, 32, 64, 128, 256]


@pytest.mark.parametrize("text, param, want", [
    ("0.01, 0.001;0.1", "lr", [0.001, 0.01, 0.1]),
    ("64 32 64", "batch_size", [32, 64]),
    ("1e-3, 3e-3", "lr", [0.001, 0.003]),
])
def test_parse_values(text, param, want):
    assert parse_values(text, param) == want


@pytest.mark.parametrize("text, param, says", [
    ("", "lr", "two or more"),
    ("0.01", "lr", "at least two"),
    ("0.01, fast", "lr", "'fast' is not a number"),
    ("0, 0.1", "lr", "out of range"),
    ("nan, 0.1", "lr", "out of range"),
    ("32, 64.5", "batch_size", "whole number"),
    ("1 2 3 4 5 6 7 8 9", "batch_size", "at most 8"),
    ("1, 2", "momentum", "cannot sweep"),
])
def test_bad_settings_are_one_line(text, param, says):
    with pytest.raises(SweepError, match=says) as e:
        parse_values(text, param)
    assert "\n" not in str(e.value)


def test_each_point_is_the_preset_with_one_setting_changed():
    cfg = point_config("seed003", "lr", 0.003, 300)
    assert (cfg.lr, cfg.max_steps, cfg.optimizer, cfg.batch_size, cfg.seed) == (0.003, 300, "adam", 64, 1)
    assert point_config("fast", "batch_size", 32, 50).batch_size == 32
    with pytest.raises(SweepError, match="steps per setting"):
        point_config("fast", "lr", 0.01, 5)


def test_a_real_sweep_trains_every_setting_and_charts_them(sample, tmp_path, monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    store = RunStore(tmp_path)
    sweep = Sweep.start("fast", "lr", [0.006, 8.0], 40, sample, store=store)
    deadline = time.time() + 180
    while sweep.active and time.time() < deadline:
        time.sleep(0.2)
    rows = sweep.rows()
    assert [r["state"] for r in rows] in (["finished", "finished"], ["finished", "diverged"]), rows
    good = rows[0]["accuracy"]
    assert good > 0.6 and (rows[1]["accuracy"] is None or rows[1]["accuracy"] < good)
    listed = {r.run_id for r in store.list()}
    assert rows[0]["run_id"] in listed and all(r["run_id"] in listed for r in rows)
    fig = charts.sweep_curve(rows, "lr")
    assert fig.layout.xaxis.type == "log" and list(fig.data[0].x)[0] == 0.006


def test_a_sweeps_run_names_are_in_the_language_of_the_page_that_starts_it():
    from mnist_core import i18n
    from mnist_core.jobs.sweep import run_name
    assert run_name("tiny", "lr", 0.001) == "sweep tiny lr=0.001"
    i18n.set_language("zh")
    try:
        assert run_name("tiny", "batch_size", 64) == "扫参 tiny batch_size=64"
    finally:
        i18n.set_language("en")

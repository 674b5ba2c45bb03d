import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_prints_json_last_line_and_saves_run(tmp_path, capsys, mnist_dir):
    code, out, err = run_cli(["--runs", str(tmp_path), "train", "--preset", "seed001", "--max-batches", "5",
                              "--data", str(mnist_dir), "--subset", "5000"], capsys)
    assert code == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    for key in ("run_id", "run_dir", "test_accuracy", "train_seconds", "epochs", "device", "data_source"):
        assert key in res
    assert Path(res["run_dir"]).is_dir() and res["epochs"] == 2
    assert "60,000 train" in res["data_source"]
    code, out, _ = run_cli(["--runs", str(tmp_path), "evaluate", "--run", res["run_id"], "--data", str(mnist_dir)],
                           capsys)
    ev = json.loads(out)
    assert code == 0 and len(ev["per_class_accuracy"]) == 10
    assert sum(map(sum, ev["confusion_matrix"])) == 10000
    assert ev["test_accuracy"] == pytest.approx(res["test_accuracy"], abs=1e-6)
    code, out, _ = run_cli(["--runs", str(tmp_path), "runs", "--json"], capsys)
    assert json.loads(out)[0]["run_id"] == res["run_id"]


def img_file(path, draw, black_on_white=True, fmt="PNG"):
    im = Image.new("L", (120, 160), 255 if black_on_white else 0)
    draw(ImageDraw.Draw(im), 0 if black_on_white else 255)
    im.save(path, format=fmt)
    return path


def test_predict_demo_model_and_bad_images(tmp_path, capsys):
    one = img_file(tmp_path / "one.png", lambda d, c: d.line([(60, 15), (60, 145)], fill=c, width=12))
    zero = img_file(tmp_path / "zero.jpg", lambda d, c: d.ellipse([25, 20, 95, 140], outline=c, width=12),
                    black_on_white=False, fmt="JPEG")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"definitely not a png")
    code, out, err = run_cli(["predict", str(one), str(zero), str(junk), str(tmp_path / "missing.png")], capsys)
    lines = [json.loads(l) for l in out.strip().splitlines()]
    assert code == 2
    assert lines[0]["label"] == 1 and len(lines[0]["probabilities"]) == 10
    assert abs(sum(lines[0]["probabilities"]) - 1) < 1e-3
    assert lines[1]["label"] == 0
    assert "not a PNG or JPEG" in lines[2]["error"] and "no such file" in lines[3]["error"]
    code, out, _ = run_cli(["predict", str(one)], capsys)
    assert code == 0


@pytest.mark.parametrize("args,msg", [
    (["train", "--preset", "nope"], "unknown preset"),
    (["train", "--epochs", "abc"], "invalid int value"),
    (["train", "--lr", "-3"], "learning rate"),
    (["train", "--data", "/nonexistent/dir"], "no such folder"),
    (["evaluate", "--run", "no-such-run"], "no run 'no-such-run'"),
    (["frobnicate"], "invalid choice"),
    (["train", "--device", "tpu"], "invalid choice"),
    (["train", "--spec", "/nonexistent/spec.json"], "cannot read the spec"),
    (["predict", "--run", "nope", "x.png"], "no run 'nope'"),
])
def test_bad_input_exit_2_one_line(args, msg, capsys, tmp_path):
    code, out, err = run_cli(["--runs", str(tmp_path)] + args, capsys)
    assert code == 2
    assert msg in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_train_from_a_spec_file(tmp_path, capsys, sample, monkeypatch):
    import mnist_core.data as D
    monkeypatch.setattr(D, "load_dataset", lambda *a, **k: sample)
    spec = tmp_path / "net.json"
    spec.write_text('{"name": "mine", "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}')
    code, out, err = run_cli(["--runs", str(tmp_path / "runs"), "train", "--spec", str(spec), "--epochs", "1"],
                             capsys)
    assert code == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    assert res["run_id"].split("-")[2] == "mine" and res["test_accuracy"] > 0.7
    bad = tmp_path / "bad.json"
    bad.write_text('{"layers": [{"type": "Linear", "out_features": 10}]}')
    code, out, err = run_cli(["--runs", str(tmp_path / "runs"), "train", "--spec", str(bad)], capsys)
    assert code == 2 and "add a Flatten layer" in err and len(err.strip().splitlines()) == 1


def test_presets_listing(capsys):
    code, out, _ = run_cli(["presets", "--json"], capsys)
    names = [p["name"] for p in json.loads(out)]
    assert code == 0 and names[:5] == ["seed000", "seed001", "seed002", "seed003", "seed004"]


def test_bench_quick_runs_all_four(capsys, mnist_dir):
    code, out, err = run_cli(["bench", "--quick", "--data", str(mnist_dir)], capsys)
    assert code == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    assert set(res["rows"]) == {"a", "b", "c", "d"} and res["quick"]
    assert set(res["ratios"]) == {"b_over_a_ips", "c_over_a_time", "d_over_a_time"}
    assert "| (a) seeds' pipeline" in err


def test_module_entry_point_as_a_subprocess(tmp_path):
    p = subprocess.run([sys.executable, "-m", "mnist_core", "train", "--preset", "nope"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.strip() == "error: unknown preset 'nope': choose one of " \
        "seed000, seed001, seed002, seed003, seed004, lenet5, fast, best"

import json
import os
import subprocess
import sys
from pathlib import Path

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
        "seed000, seed001, seed002, seed003, seed004, lenet5, fast, demo, best"


# --- the options go where the README and the help put them -----------------------------------

def readme_commands() -> list[list[str]]:
    """Every ``python -m mnist_core ...`` command the README shows, as argv lists."""
    import re
    import shlex
    text = (ROOT / "README.md").read_text()
    cmds = []
    for m in re.finditer(r"python -m mnist_core ([^`\n#]*)", text):
        argv = shlex.split(m.group(1).strip())
        cmds.append([{"RUN_ID": "demo", "DIR": "runs-dir"}.get(a, a) for a in argv])
    return cmds


def test_every_readme_command_parses_where_the_readme_puts_its_options():
    from mnist_core.__main__ import build_parser
    cmds = readme_commands()
    assert len(cmds) >= 8 and any("--runs" in c[1:] and c[0] != "--runs" for c in cmds)
    for argv in cmds:
        args = build_parser().parse_args(argv)  # UsageError (one line) if an option is out of place
        if "--runs" in argv:
            assert args.runs == argv[argv.index("--runs") + 1], argv


@pytest.mark.parametrize("cmd", [["train"], ["evaluate", "--run", "x"], ["predict", "a.png"], ["runs"], ["bench"]])
def test_runs_option_before_or_after_the_subcommand(cmd):
    from mnist_core.__main__ import build_parser
    p = build_parser()
    assert p.parse_args(["--runs", "A", *cmd]).runs == "A"
    assert p.parse_args([*cmd, "--runs", "B"]).runs == "B"
    assert p.parse_args(cmd).runs == os.environ.get("MNIST_LAB_RUNS", "runs")


def test_runs_after_train_saves_there(tmp_path, capsys, sample, monkeypatch):
    import mnist_core.__main__ as M
    monkeypatch.setattr(M, "_load_data", lambda args, name="mnist": sample)
    code, out, err = run_cli(["train", "--preset", "fast", "--max-batches", "2", "--runs", str(tmp_path / "R")],
                             capsys)
    assert code == 0, err
    run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
    assert (tmp_path / "R" / run_id / "weights.safetensors").exists()
    code, out, _ = run_cli(["runs", "--json", "--runs", str(tmp_path / "R")], capsys)
    assert json.loads(out)[0]["run_id"] == run_id


def test_predict_reports_uncertainty_and_refuses_a_scribble(tmp_path, capsys):
    from mnist_core.synthetic import non_digits
    scribbles = [s for s in non_digits() if s.style in ("smiley", "grid", "star")]
    paths = []
    for i, s in enumerate(scribbles):
        Image.fromarray(s.image).save(tmp_path / f"s{i}.png")
        paths.append(str(tmp_path / f"s{i}.png"))
    seven = tmp_path / "seven.png"
    img_file(seven, lambda d, c: d.line([(20, 20), (100, 20), (50, 150)], fill=c, width=12))
    code, out, _ = run_cli(["predict", str(seven), *paths], capsys)
    lines = [json.loads(l) for l in out.strip().splitlines()]
    assert code == 0
    assert lines[0]["label"] == 7 and lines[0]["sure"] and lines[0]["uncertainty"]["confidence"] >= 0.9
    assert sum(not l["sure"] for l in lines[1:]) >= len(lines[1:]) // 2, [l["uncertainty"] for l in lines[1:]]


def test_bench_uses_the_folder_where_the_data_was_found(tmp_path, capsys, monkeypatch, mnist_dir):
    """MNIST only in the cache folder: bench must be handed that folder, not a guess."""
    import mnist_core.bench as B
    import mnist_core.data as D
    cache = tmp_path / "cache"
    cache.mkdir()
    for f in mnist_dir.iterdir():
        (cache / f.name).symlink_to(f)
    monkeypatch.setattr(D, "DEFAULT_CACHE", cache)
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    seen = {}
    monkeypatch.setattr(B, "bench", lambda data, data_dir, **kw: seen.setdefault("dir", data_dir) and {})
    monkeypatch.setattr(B, "markdown", lambda res: "")
    code, out, err = run_cli(["bench", "--quick"], capsys)
    assert code == 0, err
    assert seen["dir"] == cache

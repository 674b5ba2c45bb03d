"""Issue 22 items 6 and 10: damaged run folders, as a corpus.

A run folder can be edited, truncated or planted by anyone with the disk (a crash, a careless
copy, a hostile visitor of a shared server). Each case below damages a copy of one good run; the
run store must list it as damaged with a one-line reason, never hand it out as a model, and no
page or CLI command may fail because of it. On wave 2's main every `summary.json` case below gave
an exception box on Training, Draw, Time travel, Evaluation and Experiments, and the CLI printed
`unexpected AttributeError`; a weights symlink to /dev/zero was read without bound.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from mnist_core import presets
from mnist_core.runs import RunError, RunStore, sweep_temp
from mnist_core.training.config import TrainConfig
from mnist_core.training.loop import fit
from tests.pages.conftest import app, no_exception  # noqa: F401  (the app fixture)

DEEP = "[" * 100_000 + "]" * 100_000


def _write(name, text):
    return lambda folder: (folder / name).write_text(text)


def _symlink(name, target):
    def act(folder):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(target)
    return act


def _fifo(name):
    def act(folder):
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)
    return act


def _dir(name):
    def act(folder):
        (folder / name).unlink(missing_ok=True)
        (folder / name).mkdir()
    return act


def _summary(**changes):
    def act(folder):
        s = json.loads((folder / "summary.json").read_text())
        s.update(changes)
        (folder / "summary.json").write_text(json.dumps(s))
    return act


def _remove(name):
    return lambda folder: (folder / name).unlink()


# (case id, how to damage the folder, words the reason must contain)
METADATA = [
    ("summary-null", _write("summary.json", "null"), "summary.json holds null"),
    ("summary-list", _write("summary.json", "[]"), "summary.json holds list"),
    ("summary-string", _write("summary.json", '"finished"'), "summary.json holds str"),
    ("summary-not-json", _write("summary.json", "{not json"), "not valid JSON"),
    ("summary-torn", _write("summary.json", '{"status": "fini'), "not valid JSON"),
    ("summary-not-utf8", lambda f: (f / "summary.json").write_bytes(b"\xff\xfe{\x00}"), "not valid JSON"),
    ("summary-deep", _write("summary.json", DEEP), "summary.json"),
    ("summary-huge", _write("summary.json", '{"note": "' + "x" * 3_000_000 + '"}'), "more than such a file"),
    ("accuracy-string", _summary(test_accuracy="99%"), "test_accuracy"),
    ("accuracy-bool", _summary(test_accuracy=True), "test_accuracy"),
    ("accuracy-infinite", _write("summary.json", '{"status": "finished", "test_accuracy": 1e400}'),
     "summary.json: not valid JSON here"),
    ("status-unknown", _summary(status="pwned"), "status"),
    ("status-number", _summary(status=5), "status"),
    ("name-object", _summary(name={"a": 1}), "name"),
    ("steps-float", _summary(steps=1.5), "steps"),
    ("config-list", _write("config.json", "[1, 2]"), "config.json holds list"),
    ("config-null", _write("config.json", "null"), "config.json holds null"),
    ("config-epochs-string", _write("config.json", '{"epochs": "ten"}'), "epochs"),
    ("config-lr-bool", _write("config.json", '{"lr": true}'), "lr"),
    ("spec-missing", _remove("spec.json"), "no spec.json"),
    ("spec-list", _write("spec.json", "[]"), "spec.json"),
    ("spec-deep", _write("spec.json", DEEP), "spec.json"),
    ("spec-overflow", _write("spec.json", '{"name": "x", "layers": [{"type": "Linear", "out_features": 1e400}]}'),
     "spec.json"),
    ("spec-bad-layer", _write("spec.json", '{"name": "x", "layers": [{"type": "os.system"}]}'), "spec.json"),
    ("summary-symlink-dev-zero", _symlink("summary.json", "/dev/zero"), "symbolic link"),
    ("summary-symlink-passwd", _symlink("summary.json", "/etc/passwd"), "symbolic link"),
    ("summary-fifo", _fifo("summary.json"), "not a regular file"),
    ("summary-directory", _dir("summary.json"), "summary.json"),
    ("spec-symlink", _symlink("spec.json", "/dev/zero"), "symbolic link"),
]

# weights that cannot be read: the run is listed (its metadata is fine) but never loads as a model
WEIGHTS = [
    ("weights-symlink-dev-zero", _symlink("weights.safetensors", "/dev/zero"), "symbolic link"),
    ("weights-fifo", _fifo("weights.safetensors"), "not a regular file"),
    ("weights-directory", _dir("weights.safetensors"), "weights.safetensors"),
    ("weights-garbage", _write("weights.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{garbage"),
     "not a readable safetensors"),
    ("weights-pickle", lambda f: (f / "weights.safetensors").write_bytes(b"\x80\x04\x95" + b"\0" * 64), "pickle"),
    ("weights-empty", _write("weights.safetensors", ""), "weights"),
]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, sample):
    """One finished run (seed001, three batches), saved in a store of its own: the template."""
    spec = presets.get("seed001").spec()
    cfg = TrainConfig(epochs=1, max_batches=3)
    root = tmp_path_factory.mktemp("template")
    run = RunStore(root).save_result("template", spec, cfg, fit(spec, cfg, sample))
    return run.path


def plant(root, case_id, damage, template):
    folder = root / f"20990101-000000-{case_id}"
    shutil.copytree(template, folder, symlinks=True)
    damage(folder)
    return folder


def one_line(reason: str, root) -> None:
    assert reason and "\n" not in reason and "Traceback" not in reason
    assert str(root) not in reason, "a reason must not show the server's paths"


@pytest.mark.parametrize("case_id,damage,why", METADATA, ids=[c[0] for c in METADATA])
def test_a_damaged_run_is_listed_with_its_reason_and_never_a_model(tmp_path, good_run, case_id, damage, why):
    store = RunStore(tmp_path)
    plant(tmp_path, case_id, damage, good_run)
    healthy = plant(tmp_path, "healthy", lambda f: None, good_run)
    [info] = [i for i in store.list(damaged=True) if i.run_id.endswith(case_id)]
    assert info.damaged is not None and why in info.damaged, info.damaged
    one_line(info.damaged, tmp_path)
    assert info.summary["status"] == "damaged"
    assert [i.path for i in store.list()] == [healthy]  # the model pickers never see it
    with pytest.raises(RunError, match="damaged") as exc:
        store.load(info.run_id)
    one_line(str(exc.value), tmp_path)


@pytest.mark.parametrize("case_id,damage,why", WEIGHTS, ids=[c[0] for c in WEIGHTS])
def test_weights_that_cannot_be_read_are_refused_in_one_line(tmp_path, good_run, case_id, damage, why):
    store = RunStore(tmp_path)
    folder = plant(tmp_path, case_id, damage, good_run)
    started = time.monotonic()
    with pytest.raises(RunError) as exc:
        store.load(folder.name)
    assert time.monotonic() - started < 10, "a weights file must never be read without bound"
    assert why in str(exc.value), str(exc.value)
    one_line(str(exc.value), tmp_path)


def test_metrics_lines_of_the_wrong_shape_are_skipped(tmp_path, good_run):
    store = RunStore(tmp_path)
    folder = plant(tmp_path, "metrics", lambda f: None, good_run)
    from mnist_core.runs import Run
    from mnist_core.training.events import Epoch, Step
    log = Run(folder, store.info(folder.name).spec)
    for e in (Step(step=1, loss=2.3), Step(step=2, loss=1.9), Epoch(epoch=1)):
        log.log(e)
    before = store.metrics(folder.name)
    good = (folder / "metrics.jsonl").read_text().splitlines()
    assert len(before) == 3
    bad = ["null", "[]", '"step"', '{"type": 5}', '{"type": "step", "step": "ten"}',
           '{"type": "step", "step": 1, "loss": "low"}', '{"type": "epoch", "epoch": true}', DEEP, "{torn"]
    (folder / "metrics.jsonl").write_text("\n".join(bad + good + bad) + "\n")
    assert store.metrics(folder.name) == before


def test_the_temporary_files_of_a_killed_writer_are_swept(tmp_path, good_run):
    folder = plant(tmp_path, "litter", lambda f: None, good_run)
    from mnist_core.runs import _HOST_TAG
    dead = folder / f".weights.safetensors.999999999-{_HOST_TAG}.abc123.tmp"
    live = folder / f".weights.safetensors.{os.getpid()}-{_HOST_TAG}.def456.tmp"
    dead.write_bytes(b"\0" * 1024)
    live.write_bytes(b"\0" * 1024)
    removed = sweep_temp(folder, force=True)
    assert dead.name in removed and not dead.exists()
    assert live.exists(), "a file a live writer is still writing stays"
    RunStore(tmp_path).list()
    assert (folder / "weights.safetensors").is_file()


def test_a_run_folder_that_is_a_symlink_is_damaged(tmp_path, good_run):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "20990101-000000-link").symlink_to(good_run)
    [info] = RunStore(tmp_path / "store").list(damaged=True)
    assert info.damaged == "the run folder is a symbolic link"
    assert RunStore(tmp_path / "store").list() == []


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory, good_run):
    """Every case of the corpus in one store, beside one healthy run."""
    root = tmp_path_factory.mktemp("corpus") / "runs"
    root.mkdir()
    for case_id, damage, _ in METADATA + WEIGHTS:
        plant(root, case_id, damage, good_run)
    plant(root, "healthy", lambda f: None, good_run)
    return root


def test_the_cli_lists_the_corpus_without_an_unexpected_error(corpus_store, capsys):
    from mnist_core.__main__ import main
    code = main(["--runs", str(corpus_store), "runs"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "unexpected" not in out + err and "Traceback" not in out + err
    assert out.count("damaged") >= len(METADATA)
    code = main(["--runs", str(corpus_store), "runs", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and len(rows) == len(METADATA) + len(WEIGHTS) + 1


@pytest.mark.parametrize("page", ["training", "draw", "timetravel", "evaluation", "experiments", "inside", "why"])
def test_every_model_page_opens_over_the_corpus(app, monkeypatch, corpus_store, page):  # noqa: F811
    import ui.common
    monkeypatch.setattr(ui.common, "RUNS_DIR", corpus_store)
    at = no_exception(app(page).run(timeout=120))
    errors = " ".join(e.value for e in at.error)
    assert "unexpected" not in errors, errors
    for box in at.selectbox:  # no model picker offers a damaged run (Training's history lists them, to delete)
        if "Demo model (shipped)" not in box.options:
            continue
        for option in box.options:
            assert not any(case in str(option) for case, _, _ in METADATA), option


def test_a_run_with_unreadable_weights_gives_one_line_when_picked(app, monkeypatch, corpus_store):  # noqa: F811
    """A run whose metadata is fine but whose weights are garbage is offered (the store cannot know
    without reading them); picking it gives one line, not an exception. Weights that are not a
    regular file (a symlink to /dev/zero, a FIFO, a folder) are not even offered."""
    import ui.common
    monkeypatch.setattr(ui.common, "RUNS_DIR", corpus_store)
    at = app("inside")
    garbage = next(p.name for p in corpus_store.iterdir() if p.name.endswith("weights-garbage"))
    at.session_state["active_model"] = garbage
    at = no_exception(at.run(timeout=120))
    assert any("not a readable safetensors" in e.value for e in at.error), [e.value for e in at.error]
    offered = " ".join(at.selectbox[0].options)
    assert "weights-garbage" in offered
    assert not any(case in offered for case in ("weights-symlink", "weights-fifo", "weights-directory"))


@pytest.mark.parametrize("case_id", ["spec-missing", "spec-bad-layer", "status-unknown", "summary-symlink-passwd",
                                     "summary-huge", "spec-symlink"])
def test_a_damaged_runs_reason_reads_in_chinese_on_a_chinese_page(tmp_path, good_run, case_id):
    """The reason stays a translatable sentence (a ``Text``): a Chinese Training page showed it in English."""
    from mnist_core import i18n
    damage = {c[0]: c[1] for c in METADATA}[case_id]
    plant(tmp_path, case_id, damage, good_run)
    [info] = RunStore(tmp_path).list(damaged=True)
    english = str(info.damaged)
    i18n.set_language("zh")
    try:
        said = i18n.tr(info.damaged)
    finally:
        i18n.set_language("en")
    assert said != english and any("\u4e00" <= c <= "\u9fff" for c in said), said
    assert info.summary["message"] == english and type(info.summary["message"]) is str  # JSON, the CLI: English

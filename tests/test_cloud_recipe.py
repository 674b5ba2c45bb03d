"""The Community Cloud recipe (README): its requirements, entrypoint and config, checked here."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")
            out[name.lower()] = version
    return out


def test_cloud_requirements_are_the_local_pins_with_cpu_only_torch():
    local, cloud = pins(ROOT / "requirements.txt"), pins(ROOT / "cloud" / "requirements.txt")
    assert cloud.keys() == local.keys()
    for name, version in local.items():
        want = f"{version}+cpu" if name in ("torch", "torchvision") else version
        assert cloud[name] == want, name
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (ROOT / "cloud" / "requirements.txt").read_text()
    assert "ray" not in cloud  # the cluster install stays optional


def test_the_cloud_entrypoint_runs_the_whole_app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import ui.common
    monkeypatch.chdir(ROOT)  # Community Cloud starts the app from the repository root
    monkeypatch.setattr(ui.common, "RUNS_DIR", tmp_path / "runs")
    at = AppTest.from_file(str(ROOT / "cloud" / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.endswith("Dataset")
    assert any("Demo model (shipped)" in m.value for m in at.sidebar.markdown)


def test_config_toml_holds_what_matters_on_the_cloud():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["headless"] is True and cfg["server"]["maxUploadSize"] <= 5
    assert cfg["browser"]["gatherUsageStats"] is False
    # no full garbage collection after each script run: with torch loaded it held the GIL for 140 ms a rerun
    assert cfg["runner"]["postScriptGC"] is False


def test_torch_and_the_libraries_are_frozen_out_of_the_collector_once_loaded():
    """What is alive when torch has loaded is never garbage: a collection walks only what pages make since."""
    code = ("import gc, ui.common as c; before = len(gc.get_objects()); c.load_torch(); "
            "print(before, gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    before, frozen, after = map(int, out.stdout.split())
    assert frozen > before  # torch's objects and everything imported before it
    assert after < before / 10  # what a full collection still walks


def test_nothing_heavy_is_imported_before_a_page_needs_it():
    """What every first visit pays (app.py's imports): torch and Streamlit, not the explain stack."""
    code = ("import sys; import ui.common; "
            "print(' '.join(m for m in ['captum', 'sklearn', 'matplotlib', 'ray', 'mlxtend', 'torchvision', "
            "'scipy', 'mnist_core.attributions', 'mnist_core.embeddings'] if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == ""

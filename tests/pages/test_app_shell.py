from .conftest import no_exception, texts


def test_home_runs_with_sidebar(app):
    at = no_exception(app().run())
    side = "\n".join(str(m.value) for m in at.sidebar.markdown) + "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "CPU" in side or "CUDA" in side or "MPS" in side
    assert f"{app.train_count} train" in side and "Active model" in side
    assert at.title[0].value.endswith("Dataset")


def test_sidebar_dataset_switch_explains_missing_data(app):
    at = no_exception(app().run())
    at.selectbox(key="dataset_name").set_value("kmnist").run()
    no_exception(at)
    errors = "\n".join(e.value for e in at.error)
    assert "KMNIST" in texts(at) and "not found" in errors.replace("no KMNIST", "not found")


def test_sample_fallback_shows_how_to_get_full_mnist(app, monkeypatch, tmp_path):
    import mnist_core.data as D
    import ui.common
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(D, "DEFAULT_CACHE", tmp_path / "nocache")
    ui.common._dataset.clear()
    at = no_exception(app().run())
    side = "\n".join(str(i.value) for i in at.sidebar.info)
    assert "MNIST_DATA_DIR" in side
    assert any(b.label.startswith("Try to download") for b in at.sidebar.button)
    ui.common._dataset.clear()

from mnist_core import presets
from mnist_core.training.config import TrainConfig


def test_every_preset_has_description_and_valid_settings():
    assert {"seed000", "seed001", "seed002", "seed003", "seed004", "lenet5", "fast", "best"} <= set(presets.PRESETS)
    for p in presets.PRESETS.values():
        assert p.description and p.title
        TrainConfig(**p.train).validate()


def test_presets_give_independent_specs():
    a, b = presets.get("seed001").spec(), presets.get("seed001").spec()
    a.layers[0].out_channels = 3
    assert b.layers[0].out_channels == 16


def test_unknown_preset():
    import pytest

    from mnist_core import MnistLabError
    with pytest.raises(MnistLabError, match="unknown preset 'nope'"):
        presets.get("nope")

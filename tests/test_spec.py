import json

import pytest
import torch

from mnist_core import presets
from mnist_core.spec import (
    ArchSpec,
    BatchNorm1d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Softmax,
    SpecError,
    layer_from_dict,
    make,
)


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_preset_shape_table_matches_real_module(name):
    spec = presets.get(name).spec()
    a = spec.analyze()
    assert a.ok, a.errors
    model = spec.build().eval()
    x = torch.zeros(2, *spec.input_shape)
    for info, mod in zip(a.layers, model):
        x = mod(x)
        assert tuple(x.shape[1:]) == info.out_shape, f"layer {info.index} {info.label}"
        assert sum(p.numel() for p in mod.parameters()) == info.params
    assert a.total_params == sum(p.numel() for p in model.parameters())
    assert x.shape == (2, 10)


def test_seed_presets_match_design():
    # the feature sizes that the seeds hard-code must come out of inference
    def linear_inputs(name):
        spec = presets.get(name).spec()
        return [li.in_shape[0] for li in spec.analyze().layers if li.kind == "Linear"]
    assert linear_inputs("seed000") == [64]
    assert linear_inputs("seed001") == [1568]
    assert linear_inputs("seed002") == [1600, 64]
    assert linear_inputs("seed003") == [3136]
    assert linear_inputs("seed004") == [784, 50]
    assert presets.get("seed003").train["lr"] == 0.01
    assert presets.get("seed001").train["batch_size"] == 200


def test_macs_and_receptive_field_of_seed001():
    a = presets.get("seed001").spec().analyze()
    conv1, conv2 = a.layers[0], a.layers[3]
    assert conv1.macs == 16 * 28 * 28 * 1 * 25
    assert conv2.macs == 32 * 14 * 14 * 16 * 25
    assert conv1.rf == 5 and a.layers[2].rf == 6 and conv2.rf == 6 + 4 * 2


def test_json_round_trip_every_preset():
    for p in presets.PRESETS.values():
        spec = p.spec()
        again = ArchSpec.from_json(spec.to_json())
        assert again.to_dict() == spec.to_dict()
        assert again.analyze().total_params == spec.analyze().total_params


def test_code_export_runs_and_matches_spec():
    spec = presets.get("seed002").spec()
    src = spec.to_code()
    assert "1600" in src  # the inferred size is written out for the reader
    ns = {}
    exec(compile(src.replace('if __name__ == "__main__":', "if False:"), "<export>", "exec"), ns)
    net = ns["Net"]()
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in net.parameters()) == spec.analyze().total_params


BAD = [
    ([Conv2d(8, 3), MaxPool2d(2), Conv2d(8, 3), MaxPool2d(2), Conv2d(8, 3), MaxPool2d(2), MaxPool2d(2),
      Flatten(), Linear(10)], r"layer 7 \(MaxPool2d 2x2\) receives a 1x1 map.*remove a pooling layer or add padding"),
    ([Conv2d(8, 3), Linear(10)], r"layer 2 \(Linear 10\) receives a 26x26 map with 8 channels: add a Flatten"),
    ([Flatten(), Conv2d(8, 3)], r"layer 2 .* needs a 2-D map: move it before the Flatten"),
    ([Flatten(), Linear(64)], r"ends with 64 outputs but needs 10"),
    ([Conv2d(8, 3)], r"ends with a 26x26 map with 8 channels: add Flatten and Linear\(10\)"),
    ([Conv2d(8, 31), Flatten(), Linear(10)], r"kernel size must be between 1 and 11"),
    ([Conv2d(8, 9), Conv2d(8, 9), Conv2d(8, 9), Conv2d(8, 9), Flatten(), Linear(10)],
     r"layer 4 .* receives a 4x4 map, smaller than its 9x9 window"),
    ([Conv2d(0, 3), Flatten(), Linear(10)], r"between 1 and 512 output channels"),
    ([Dropout(1.5), Flatten(), Linear(10)], r"drop probability"),
    ([Flatten(), Linear(8192), ReLU(), Linear(2048), ReLU(), Linear(10)], r"parameters; the cap"),
    ([Flatten(), Linear(8192), ReLU(), Linear(8192), Linear(10)], r"would hold 67,108,864 weights"),
    ([], r"no layers"),
    ([Flatten(), BatchNorm1d(), Linear(10), MaxPool2d(2)], r"layer 4 .*needs a 2-D map"),
]


@pytest.mark.parametrize("layers,msg", BAD)
def test_validation_messages(layers, msg):
    a = ArchSpec(layers=layers).analyze()
    assert not a.ok
    assert any(__import__("re").search(msg, e) for e in a.errors), a.errors
    with pytest.raises(SpecError):
        ArchSpec(layers=layers).build()


def test_error_marks_the_offending_layer_only():
    a = ArchSpec(layers=[Conv2d(8, 3), Linear(10), Flatten()]).analyze()
    assert a.layers[0].error is None and a.layers[1].error and a.layers[2].out_shape is None


def test_softmax_before_cross_entropy_is_flagged_not_refused():
    a = presets.get("seed000").spec().analyze()
    assert a.ok
    assert any("Softmax" in w and "cross-entropy" in w for w in a.warnings)
    assert not ArchSpec(layers=[Flatten(), Linear(10), Softmax()]).analyze(loss="nll").warnings


@pytest.mark.parametrize("bad,msg", [
    ("{", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"layers": 3}', "no \"layers\" list"),
    ('{"layers": [{"type": "Conv3d"}]}', "unknown layer type 'Conv3d'"),
    ('{"layers": [{"type": "Conv2d", "out_channels": "many"}]}', "whole number"),
    ('{"layers": [{"type": "Conv2d", "out_channels": 2.5}]}', "whole number"),
    ('{"layers": [{"type": "Conv2d", "colour": 3}]}', "unknown setting 'colour'"),
    ('{"layers": [{"type": "Linear", "bias": "yes"}]}', "true or false"),
    ('{"layers": [], "input_shape": [1, 28]}', "input_shape"),
    ('{"layers": ' + json.dumps([{"type": "ReLU"}] * 41) + "}", "cap is 40"),
])
def test_from_json_rejects_bad_input_in_one_line(bad, msg):
    with pytest.raises(SpecError, match=msg) as e:
        ArchSpec.from_json(bad)
    assert "\n" not in str(e.value)


def test_layer_from_dict_and_make():
    assert layer_from_dict({"type": "Conv2d", "out_channels": 4, "kernel_size": 5}) == Conv2d(4, 5)
    assert make("MaxPool2d", kernel_size=3).out_shape((4, 9, 9)) == (4, 3, 3)
    assert make("MaxPool2d", kernel_size=3, stride=1).out_shape((4, 9, 9)) == (4, 7, 7)

"""Hostile input, kept as data: each case is (input, words the one-line refusal must contain), driven
through every parser that reads it. A refusal is a MnistLabError subclass with one line; never an
internal error (RecursionError, OverflowError, ValueError, AttributeError, TypeError) and never a
Streamlit widget's range error."""

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_core import presets
from mnist_core.__main__ import main
from mnist_core.experiments.lessons import FORMAT, Lesson, LessonError
from mnist_core.spec import INPUT_SHAPE, LAYER_TYPES, ArchSpec, Conv2d, Flatten, Linear, SpecError
from mnist_core.training.config import ConfigError, TrainConfig
from tests.pages.conftest import app, no_exception  # noqa: F401 (app: the page tests' fixture)

ROOT = Path(__file__).resolve().parents[2]
DEEP = 100_000
DEEPEST_SPEC = 30_000  # fits in 64 KB, and is 30 times what json.loads can recurse


def net(*layers, **top) -> str:
    return json.dumps({"name": "hostile", **top,
                       "layers": [*layers, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]})


# Raw text, so that what json.dumps would never write (1e400, NaN, 5,000 digits) is in it.
SPECS = [
    ('{"layers": ' + "[" * DEEP + "]" * DEEP + "}", "the file is larger than 64 KB"),
    ('{"layers": ' + "[" * DEEPEST_SPEC + "]" * DEEPEST_SPEC + "}", "nested more than 32 levels"),
    ('{"name": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + ', "layers": []}', "nested more than 32 levels"),
    ('{"layers": [{"type": "Dropout", "p": 1e400}]}', "the number 1e400 is too large (line 1, column 38)"),
    ('{"layers": [{"type": "Dropout", "p": NaN}]}', "NaN is not a number JSON allows"),
    ('{"layers": [{"type": "LeakyReLU", "negative_slope": -Infinity}]}', "Infinity is not a number JSON allows"),
    ('{"layers": [{"type": "Conv2d", "out_channels": 1' + "0" * 5000 + "}]}", "more than 20 digits"),
    (" " * (65 * 1024) + "{}", "larger than 64 KB"),
    (b'{"name": "\xff", "layers": []}', "not UTF-8 text"),
    (net({"type": "Conv2d", "out_channels": 2_000_000}),
     "layer 1 (Conv2d) needs between 1 and 512 output channels, not 2000000"),
    (net({"type": "Conv2d", "out_channels": -5}), "layer 1 (Conv2d) needs between 1 and 512 output channels, not -5"),
    (net({"type": "Conv2d", "kernel_size": 3, "padding": -1}),
     "layer 1 (Conv2d) padding must be between 0 and 10, not -1"),
    (net({"type": "Conv2d", "stride": 0}), "layer 1 (Conv2d) stride must be between 1 and 11, not 0"),
    (net({"type": "MaxPool2d", "stride": 100}), "layer 1 (MaxPool2d) stride must be between 1 and 11, not 100"),
    (net({"type": "AvgPool2d", "kernel_size": 1_000_000}), "layer 1 (AvgPool2d) kernel size must be between 1 and 11"),
    (net({"type": "Dropout", "p": 11}), "layer 1 (Dropout) the drop probability p must be between 0 and 0.99, not 11"),
    (net({"type": "Dropout", "p": -0.5}), "the drop probability p must be between 0 and 0.99, not -0.5"),
    (net({"type": "LeakyReLU", "negative_slope": 5}),
     "layer 1 (LeakyReLU) the negative slope must be between 0 and 0.99"),
    (net({"type": "ReLU"}, {"type": "Linear", "out_features": 10**7}),
     "layer 2 (Linear) needs between 1 and 8192 output features"),
    (net({"type": "Conv2d", "kernel_size": 2.5}), "layer 1 (Conv2d) setting 'kernel_size' must be a whole number"),
    (net({"type": "Conv2d", "bias": "no"}), "setting 'bias' must be true or false"),
    (net({"type": ["Conv2d"]}), "layer 1: no layer type; use one of Conv2d"),
    (net({"type": {"nested": "object"}}), "layer 1: no layer type"),
    (net(input_shape=[3, 32, 32]), "input_shape must be [1, 28, 28]"),
    (net(input_shape=[1, 32, 32]), "input_shape must be [1, 28, 28]"),
    (net(input_shape=[1, 28, 28.5]), "input_shape must be [1, 28, 28]"),
    (net(input_shape="1x28x28"), "input_shape must be [1, 28, 28]"),
    (net(num_classes=True), "num_classes must be a whole number"),
    (net(name={"a": 1}), "the spec's name must be text"),
    (net(name="two\nlines"), "the spec's name must be one line of text"),
    (net(description=["x"]), "the spec's description must be text"),
]

TRAIN = [  # TrainConfig settings as a dict (what a lesson or a worker hands over)
    ({"batch_size": "abc"}, "batch_size must be a whole number"),
    ({"batch_size": float("inf")}, "batch_size must be a whole number"),
    ({"batch_size": float("nan")}, "batch_size must be a whole number"),
    ({"batch_size": True}, "batch_size must be a whole number"),
    ({"epochs": None}, "epochs must be a whole number"),
    ({"device": 5}, "device must be text"),
    ({"device": "cuda:abc"}, "unknown device"),
    ({"optimizer": ["adam"]}, "optimizer must be text"),
    ({"lr": True}, "lr must be a number"),
    ({"lr": "0.1"}, "lr must be a number"),
    ({"lr": float("nan")}, "learning rate must be above 0"),
    ({"lr": 10**400}, "learning rate must be above 0 and at most 10"),
    ({"momentum": float("inf")}, "momentum and betas must be at least 0 and below 1"),
    ({"weight_decay": -float("inf")}, "weight decay"),
    ({"betas": "ab"}, "betas must be two numbers"),
    ({"betas": [0.9, "x"]}, "betas must be two numbers"),
    ({"betas": [0.9, 2]}, "momentum and betas"),
    ({"amp": "yes"}, "amp must be true or false"),
    ({"augment": 1}, "augment must be true or false"),
    ({"channels_last": 0}, "channels_last must be true or false (or null)"),
    ({"subset": 2.5}, "subset must be a whole number (or null)"),
    ({"subset": 10**30}, "subset must be a positive number of images"),
    ({"threads": 10**6}, "threads must be at most 1,024"),
    ({"max_steps": 10**20}, "max_steps must be at most"),
    ({"seed": -1}, "seed must be a whole number from 0"),
    ({"seed": 2**64}, "seed must be a whole number from 0"),
    ({"log_every": 1.5}, "log_every must be a whole number"),
    ({"learning_rate": 1}, "unknown training setting(s): learning_rate"),
    ({7: 1}, "unknown training setting(s): 7"),
]
NOT_A_DICT = [[1, 2], "epochs", 3, None]


def lesson(**parts) -> dict:
    return {"format": FORMAT, "title": "t", "steps": [{"view": "inside", "prompt": "?"}], **parts}


def step(**s) -> dict:
    return lesson(steps=[{"view": "inside", "prompt": "?", **s}])


LESSONS = [
    ('{"format": "' + FORMAT + '", "steps": ' + "[" * DEEP + "]" * DEEP + "}", "nested more than 32 levels"),
    ('{"format": "' + FORMAT + '", "steps": [{"view": "inside", "prompt": "?"}], "train": {"batch_size": 1e400}}',
     "the number 1e400 is too large (line 1, column 104)"),
    ('{"format": "' + FORMAT + '", "steps": [{"view": "inside", "prompt": "?", "state": {"k": NaN}}]}',
     "NaN is not a number JSON allows"),
    (" " * (257 * 1024) + "{}", "larger than 256 KB"),
    (json.dumps(lesson(train={"batch_size": "abc"})),
     "the lesson's training settings: batch_size must be a whole number"),
    (json.dumps(lesson(train={"device": 5})), "the lesson's training settings: device must be text"),
    (json.dumps(lesson(train={"epochs": True})), "the lesson's training settings: epochs must be a whole number"),
    (json.dumps(lesson(train=[1, 2])), "the lesson's training settings: training settings must be an object"),
    (json.dumps(lesson(train="fast")), "the lesson's training settings: training settings must be an object"),
    (json.dumps(step(state=[1, 2])), "step 1: the state must be an object of settings"),
    (json.dumps(step(state="cls=3")), "step 1: the state must be an object of settings"),
    (json.dumps(step(answer={"a": 1})), "step 1: the answer must be text"),
    (json.dumps(lesson(steps=[{"view": ["inside"], "prompt": "?"}])), "step 1: needs a view"),
    (json.dumps(lesson(steps=[{"view": {"a": 1}, "prompt": "?"}])), "step 1: needs a view"),
    (json.dumps(lesson(steps=["inside"])), "step 1: needs a view"),
    (json.dumps(lesson(title=["x"])), "the lesson's title must be text"),
    (json.dumps(lesson(spec=json.loads(net({"type": "Conv2d", "out_channels": 2_000_000})))),
     "the lesson's network: layer 1 (Conv2d) needs between 1 and 512 output channels"),
    (json.dumps(lesson(spec=json.loads(net(input_shape=[3, 32, 32])))),
     "the lesson's network: input_shape must be [1, 28, 28]"),
    (json.dumps(lesson(spec=json.loads(net({"type": "Dropout", "p": 11})))),
     "the lesson's network: layer 1 (Dropout) the drop probability p must be between 0 and 0.99"),
]


def one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    return msg


def _id(case) -> str:
    return repr(case[1])[:60]


@pytest.mark.parametrize("text,words", SPECS, ids=map(_id, SPECS))
def test_spec_parser(text, words):
    with pytest.raises(SpecError) as e:
        ArchSpec.from_json(text)
    assert words in one_line(e)


@pytest.mark.parametrize("text,words", LESSONS, ids=map(_id, LESSONS))
def test_lesson_parser(text, words):
    with pytest.raises(LessonError) as e:
        Lesson.from_json(text)
    assert words in one_line(e)


@pytest.mark.parametrize("settings,words", TRAIN, ids=map(_id, TRAIN))
def test_train_config(settings, words):
    with pytest.raises(ConfigError) as e:
        TrainConfig.from_dict(settings).validate()
    assert words in one_line(e)


@pytest.mark.parametrize("settings,words", TRAIN, ids=map(_id, TRAIN))
def test_train_config_built_directly_is_checked_as_well(settings, words):
    if any(not isinstance(k, str) or k not in TrainConfig.__dataclass_fields__ for k in settings):
        pytest.raises(TypeError, TrainConfig, **{str(k): v for k, v in settings.items()})  # not a field at all
        return
    with pytest.raises(ConfigError) as e:
        TrainConfig(**settings).validate()
    assert words in one_line(e)


@pytest.mark.parametrize("settings", NOT_A_DICT)
def test_train_config_that_is_not_an_object(settings):
    with pytest.raises(ConfigError, match="training settings must be an object"):
        TrainConfig.from_dict(settings)


def test_whole_floats_from_json_are_read_as_whole_numbers():
    cfg = TrainConfig.from_dict({"batch_size": 64.0, "epochs": 2.0}).validate()
    assert (cfg.batch_size, cfg.epochs) == (64, 2) and type(cfg.batch_size) is int
    with pytest.raises(ConfigError, match="batch size must be between 1 and 8192"):
        TrainConfig.from_dict({"batch_size": 1e300}).validate()


def cases(*words) -> list:
    """The cases whose expected words, or whose input's first 200 characters, hold one of ``words``."""
    return [c for c in SPECS if any(w in c[1] or (isinstance(c[0], str) and w in c[0][:200]) for w in words)]


CLI_SPECS = SPECS + [(" " * (1024 * 1024), "larger than 64 KB")]


@pytest.mark.parametrize("text,words", CLI_SPECS, ids=map(_id, CLI_SPECS))
def test_cli_train_spec(text, words, tmp_path, capsys):
    f = tmp_path / "spec.json"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    code = main(["--runs", str(tmp_path / "runs"), "train", "--spec", str(f), "--data", str(tmp_path / "nodata")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err and "unexpected" not in err, err
    assert not (tmp_path / "runs").exists()  # refused before any run folder was made


def test_cli_as_a_process_deep_nesting_and_huge_numbers(tmp_path):
    """The real interpreter: a RecursionError would print a traceback there, whatever main() catches."""
    for text, words in cases("nested", "1e400", "input_shape must be [1, 28, 28]")[:4]:
        f = tmp_path / "spec.json"
        f.write_text(text)
        p = subprocess.run([sys.executable, "-m", "mnist_core", "--runs", str(tmp_path / "runs"), "train",
                            "--spec", str(f)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and p.stdout == "", p.stderr
        assert p.stderr.count("\n") == 1 and words in p.stderr and "Traceback" not in p.stderr, p.stderr


PAGE_SPECS = cases("nested", "1e400", "output channels", "drop probability", "no layer type", "[3, 32, 32]",
                   "not UTF-8", "larger than")


@pytest.mark.parametrize("text,words", PAGE_SPECS, ids=map(_id, PAGE_SPECS))
def test_architecture_page_upload(text, words, app):
    at = no_exception(app("architecture").run())
    before = at.radio(key="arch_edit").options  # every layer, by position and type (one is edited at a time)
    raw = text if isinstance(text, bytes) else text.encode()
    at.file_uploader(key="arch_upload").upload("hostile.json", raw, "application/json")
    at.run()
    no_exception(at)
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("cannot use hostile.json: ") and words in errors[0], errors
    assert at.radio(key="arch_edit").options == before  # editor untouched
    no_exception(at.run())
    assert not at.error  # the message was for that upload; the page goes on without it


def test_every_number_setting_has_one_bound_and_the_widgets_use_it(app):
    for kind, cls in LAYER_TYPES.items():
        numbers = {f.name for f in dataclasses.fields(cls) if not isinstance(f.default, bool)}
        assert set(cls.bounds) == numbers, kind
    at = no_exception(app("architecture").run())
    at.button(key="arch_scratch").click().run()
    for kind in ("Conv2d", "MaxPool2d", "Dropout", "LeakyReLU", "Flatten", "Linear"):
        at.selectbox(key="arch_new_kind").set_value(kind).run()
        at.button(key="arch_add").click().run()
    no_exception(at)
    seen = 0
    for pos in range(len(at.radio(key="arch_edit").options)):  # the editor shows one layer at a time
        at.radio(key="arch_edit").set_value(pos).run()
        sb = next(sb for sb in at.selectbox if sb.key and sb.key.startswith("L") and sb.key.endswith("_type"))
        uid, cls = sb.key[1:].split("_")[0], LAYER_TYPES[sb.value]
        for name, bound in cls.bounds.items():
            w = at.number_input(key=f"L{uid}_{name}")
            optional = cls.__dataclass_fields__[name].default is None  # a pool's stride: 0 means "the kernel"
            assert (w.min, w.max) == ((0 if optional else bound.lo), bound.hi), (sb.value, name)
            seen += 1
    assert seen == 4 + 3 + 1 + 1 + 1


def test_the_bounds_let_every_preset_through():
    for p in presets.PRESETS.values():
        assert ArchSpec.from_json(p.spec().to_json()).to_dict() == p.spec().to_dict()


def test_a_spec_built_in_code_with_another_input_shape_does_not_analyse_as_fine():
    spec = ArchSpec(layers=[Conv2d(8, 3), Flatten(), Linear(10)], input_shape=(3, 32, 32))
    a = spec.analyze()
    assert not a.ok and any("the input must be 1x28x28" in e for e in a.errors)
    with pytest.raises(SpecError, match="1x28x28"):
        spec.build()
    assert ArchSpec(layers=[Conv2d(8, 3), Flatten(), Linear(10)]).analyze().ok  # the shape the data has
    assert ArchSpec().input_shape == INPUT_SHAPE


def test_a_lesson_with_a_bad_network_cannot_be_opened_on_the_lesson_page(app):
    at = no_exception(app("lesson").run())
    text = json.dumps(lesson(spec=json.loads(net(input_shape=[3, 32, 32]))))
    at.file_uploader(key="ls_upload").upload("l.json", text.encode(), "application/json")
    at.run()
    no_exception(at)
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and "input_shape must be [1, 28, 28]" in errors[0], errors


def shown(markdown: str) -> str:
    """What a reader sees of an error line: the page escapes Markdown marks (safe_text.plain) with backslashes."""
    return re.sub(r"\\(.)", r"\1", markdown)

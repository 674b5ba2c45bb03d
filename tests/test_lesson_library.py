"""The shipped lessons: each opens in both languages, each step's view reads back unchanged, every text
has both languages, and every answer is one of its step's choices."""

import json

import pytest

from mnist_core.experiments import lessons
from mnist_core.experiments.lessons import LessonError, library, load_shipped, pick, untranslated
from mnist_core.experiments.views import VIEWS, from_query

NAMES = sorted(p.stem for p in lessons.SHIPPED_DIR.glob("*.json"))


def test_the_library_lists_every_shipped_lesson():
    assert len(NAMES) >= 8
    infos = library("en")
    assert [i.id for i in infos] != [] and sorted(i.id for i in infos) == NAMES
    assert all(i.title and i.summary and i.level in lessons.LEVELS and i.steps >= 2 for i in infos)
    zh = {i.id: i.title for i in library("zh")}
    assert all(zh[i.id] != i.title for i in infos)  # the titles are translated


@pytest.mark.parametrize("name", NAMES)
def test_a_shipped_lesson_loads_in_both_languages(name):
    raw = json.loads((lessons.SHIPPED_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert untranslated(raw) == []
    for key in ("title", "summary"):
        assert set(raw[key]) == {"en", "zh"}
    en, zh = load_shipped(name, "en"), load_shipped(name, "zh")
    assert len(en.steps) == len(zh.steps) == len(raw["steps"])
    for s_en, s_zh, s_raw in zip(en.steps, zh.steps, raw["steps"], strict=True):
        assert s_en.view in VIEWS and s_en.view == s_zh.view
        state, notes = from_query(s_en.view, {k: str(v) for k, v in s_raw["state"].items()})
        assert notes == [] and state == s_en.state  # every value in the file is a good one
        for field in ("prompt", "answer", "explanation"):
            assert set(s_raw[field]) == {"en", "zh"}, field
        assert s_en.prompt != s_zh.prompt and s_en.explanation != s_zh.explanation
        assert len(s_en.choices) >= 2 and len(s_zh.choices) == len(s_en.choices)
        assert s_en.answer in s_en.choices and s_zh.answer in s_zh.choices
        assert s_en.choices.index(s_en.answer) == s_zh.choices.index(s_zh.answer)  # the same answer in both


def test_pick_chooses_the_language_and_falls_back_to_english():
    t = {"en": "seven", "zh": "七"}
    assert pick(t, "zh") == "七" and pick(t, "zh-CN") == "七" and pick(t, "en") == "seven"
    assert pick(t, "fr") == "seven" and pick("7", "zh") == "7" and pick(None, "en") == ""
    assert pick({"zh": "七"}, "en") == ""


@pytest.mark.parametrize("name", ["", "nope", "../secrets", "Softmax-Before-The-Loss", 3, None, "a" * 200])
def test_an_unknown_name_is_one_line(name):
    with pytest.raises(LessonError) as e:
        load_shipped(name, "en")
    assert "\n" not in str(e.value) and "no shipped lesson" in str(e.value)


def test_a_file_lacking_a_language_or_with_an_answer_off_its_choices_is_refused(tmp_path, monkeypatch):
    good = json.loads((lessons.SHIPPED_DIR / f"{NAMES[0]}.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(lessons, "SHIPPED_DIR", tmp_path)
    half = json.loads(json.dumps(good))
    half["steps"][0]["prompt"] = {"en": "only English"}
    (tmp_path / "half.json").write_text(json.dumps(half), encoding="utf-8")
    with pytest.raises(LessonError, match="lacks a language in: step 1 prompt"):
        load_shipped("half", "en")
    off = json.loads(json.dumps(good))
    off["steps"][0]["answer"] = {"en": "something else", "zh": "别的"}
    (tmp_path / "off.json").write_text(json.dumps(off), encoding="utf-8")
    with pytest.raises(LessonError, match="one of its choices"):
        load_shipped("off", "zh")
    badview = json.loads(json.dumps(good))
    badview["steps"][0]["state"] = {"nope": "1", "preset": "no-such-preset", "model": "../x", "cls": "12"}
    (tmp_path / "badview.json").write_text(json.dumps(badview), encoding="utf-8")
    with pytest.raises(LessonError, match="step 1"):
        load_shipped("badview", "en")
    assert [i.id for i in library("en")] == []  # the library leaves the bad ones out

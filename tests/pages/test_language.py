"""One language per session: ?lang= opens it at once, the sidebar switches it, and every link the app
makes (the address of a shared view, a lesson's links, the glossary's page links) carries it."""

import contextlib

import pytest

from mnist_core import i18n
from mnist_core.experiments.lessons import Lesson, Step
from mnist_core.experiments.views import PAGES, VIEWS, from_query, link

from .conftest import no_exception, texts


@contextlib.contextmanager
def speaking(lang: str):
    """AppTest formats the last run's options again in the test's own thread (before the next run): in that
    thread's language, which must then be the one the session's page was drawn in."""
    i18n.set_language(lang)
    try:
        yield
    finally:
        i18n.set_language("en")


def sidebar_text(at) -> str:
    return "\n".join(str(e.value) for e in [*at.sidebar.caption, *at.sidebar.markdown])


def qp(at, key):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


def test_a_link_with_lang_zh_opens_in_chinese_before_any_click(app):
    at = app()
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    side = sidebar_text(at)
    assert "当前模型" in side and "计算设备" in side and "Active model" not in side
    assert at.selectbox(key="sidebar_lang").value == "zh" and at.selectbox(key="sidebar_lang").label.endswith("语言")


def test_the_sidebar_switch_changes_the_language_and_the_address(app):
    at = no_exception(app().run())
    assert "Active model" in sidebar_text(at)
    at.selectbox(key="sidebar_lang").set_value("zh").run()
    no_exception(at)
    assert "当前模型" in sidebar_text(at) and qp(at, "lang") == "zh"
    with speaking("zh"):
        at.switch_page("app_pages/architecture.py").run()  # the choice is the session's, not the page's
    no_exception(at)
    assert "当前模型" in sidebar_text(at) and qp(at, "lang") == "zh"
    with speaking("zh"):
        at.selectbox(key="sidebar_lang").set_value("en").run()
    assert "Active model" in sidebar_text(at) and qp(at, "lang") == "en"


def test_two_sessions_two_languages(app):
    zh, en = app(), app()
    zh.query_params["lang"] = "zh"
    no_exception(zh.run())
    no_exception(en.run())
    with speaking("zh"):
        no_exception(zh.run())  # a rerun of the Chinese session after the English one ran
    assert "当前模型" in sidebar_text(zh) and "Active model" in sidebar_text(en)


def test_an_unknown_lang_falls_back_to_english_without_a_word_lost(app):
    at = app()
    at.query_params["lang"] = "klingon"
    no_exception(at.run())
    assert "Active model" in sidebar_text(at)


def test_view_links_carry_the_language():
    assert link("inside", {"cls": 3}, lang="zh").endswith("&lang=zh")
    assert link("timetravel", {}, lang="zh-CN").endswith("&lang=zh")
    i18n.set_language("zh")
    try:
        assert link("experiments", {}).endswith("&lang=zh")  # by default: the language of this session
    finally:
        i18n.set_language("en")
    assert link("experiments", {}).endswith("&lang=en")
    back, notes = from_query("inside", {"cls": "3", "lang": "zh"})  # a view reads its fields, lang is no note
    assert back["cls"] == 3 and notes == []


def test_the_experiments_share_link_carries_chinese(app):
    at = app("experiments")
    at.query_params.update({"lang": "zh", "kind": "shift", "strength": "5"})
    no_exception(at.run(timeout=120))
    shared = [c.value for c in at.code]
    assert any("kind=shift" in s and s.endswith("lang=zh") for s in shared), shared
    assert qp(at, "lang") == "zh" and qp(at, "kind") == "shift"


def test_the_inside_address_keeps_the_language(app):
    at = app("inside")
    at.query_params.update({"lang": "zh", "layer": "2"})
    no_exception(at.run(timeout=120))
    assert qp(at, "lang") == "zh" and qp(at, "layer") == "2"
    assert not [i.value for i in at.info if "link" in i.value.lower()]  # lang is not a bad value of the view


def test_the_time_travel_address_keeps_the_language_and_switching_is_not_a_new_link(app):
    at = app("timetravel")
    at.query_params.update({"lang": "zh", "moment": "0"})
    no_exception(at.run(timeout=120))
    assert qp(at, "lang") == "zh" and qp(at, "moment") == "0"
    with speaking("zh"):
        at.select_slider(key="tt_index").set_value(1).run(timeout=120)
        assert at.session_state["tt_index"] == 1
        at.selectbox(key="sidebar_lang").set_value("en").run(timeout=120)
    no_exception(at)
    assert qp(at, "lang") == "en" and at.session_state["tt_index"] == 1  # the link was not applied again


def test_a_lessons_view_link_carries_the_language(app):
    lesson = Lesson("Turned digits", [Step("experiments", from_query("experiments", {"kind": "rotate"})[0],
                                           "Will it still read the 7?")])
    at = app("lesson")
    at.query_params["lang"] = "zh"
    at.session_state["lesson"] = lesson
    no_exception(at.run())
    assert "kind=rotate" in texts(at) and "lang=zh" in texts(at)


def test_the_glossary_links_its_pages_in_the_language(app):
    at = app("glossary")
    at.query_params["lang"] = "zh"
    no_exception(at.run())
    assert at.title[0].value.endswith("术语对照")
    links = at.get("page_link")
    assert links and all(p.proto.query_string == "lang=zh" for p in links)


def test_the_browsers_language_is_the_default_and_a_choice_wins_over_it(app, monkeypatch):
    import streamlit

    class ChineseBrowser:
        locale = "zh-CN"
        url = ""
        headers = {}
        cookies = {}
    monkeypatch.setattr(streamlit, "context", ChineseBrowser())
    at = no_exception(app().run())
    assert "当前模型" in sidebar_text(at) and at.selectbox(key="sidebar_lang").value == "zh"
    assert "lang" not in at.query_params  # nobody chose: the address stays as it was
    with speaking("zh"):
        at.selectbox(key="sidebar_lang").set_value("en").run()
    assert "Active model" in sidebar_text(at) and qp(at, "lang") == "en"


@pytest.mark.parametrize("view", sorted(PAGES))
def test_every_shared_view_keeps_the_language_in_its_address(app, view):
    """Each page whose view is shared by its address (views.PAGES: Experiments, Inside, Time travel, Why,
    Evaluation, Gradient, Training) writes ?lang= back with its state, and its link() says the same."""
    at = app(PAGES[view])
    at.query_params["lang"] = "zh"
    with speaking("zh"):
        no_exception(at.run(timeout=180))
        assert link(view, {}).endswith("lang=zh")
    assert qp(at, "lang") == "zh"
    assert set(VIEWS[view]) & set(at.query_params), dict(at.query_params)  # the view wrote its state beside it

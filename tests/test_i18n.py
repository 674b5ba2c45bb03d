"""The translation layer: per-thread language, the browser's codes, the Chinese catalog."""

import threading

from mnist_core import i18n


def test_browser_codes_map_to_our_languages():
    assert i18n.normalize("zh-CN") == "zh" and i18n.normalize("zh_Hans_CN") == "zh"
    assert i18n.normalize("en-GB") == "en"
    assert i18n.normalize("fr-FR") is None and i18n.normalize(None) is None and i18n.normalize(7) is None


def test_chinese_comes_from_the_catalog_and_unknown_texts_stay_english():
    i18n.set_language("zh")
    try:
        assert i18n._("Language") == "语言"
        assert i18n._("a text nobody translated") == "a text nobody translated"
    finally:
        i18n.set_language("en")
    assert i18n._("Language") == "Language"


def test_two_threads_read_two_languages():
    seen = {}
    ready = threading.Barrier(2)

    def visitor(lang):
        i18n.set_language(lang)
        ready.wait()  # both have set theirs before either reads
        seen[lang] = i18n._("Language")

    threads = [threading.Thread(target=visitor, args=(lang,)) for lang in ("zh", "en")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"zh": "语言", "en": "Language"}

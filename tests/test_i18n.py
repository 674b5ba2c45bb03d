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


def test_a_text_is_english_as_a_string_and_translated_where_shown():
    import copy
    import pickle

    from mnist_core.spec import ArchSpec, SpecError
    analysis = ArchSpec.from_dict({"layers": [{"type": "Conv2d"}, {"type": "Linear", "out_features": 10}]}).analyze()
    err = analysis.errors[0]
    assert str(err).startswith("layer 2 (Linear 10) receives a 26x26 map with 8 channels")  # the CLI's English
    for same in (err, pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):  # a job in another process, a copy
        i18n.set_language("zh")
        try:
            shown = i18n.tr(same)
        finally:
            i18n.set_language("en")
        assert shown.startswith("第 2 层（Linear 10）：收到的是 8 个通道的 26x26 特征图"), shown  # nested Texts too
    try:
        ArchSpec.from_dict({"layers": [{"type": "Conv2d", "kernel_size": 99}]})
    except SpecError as exc:
        i18n.set_language("zh")
        try:
            assert i18n.tr_error(exc) == "第 1 层（Conv2d）：卷积核大小须在 1 到 11 之间，而不是 99"
        finally:
            i18n.set_language("en")
        assert i18n.tr_error(exc) == str(exc) == "layer 1 (Conv2d) kernel size must be between 1 and 11, not 99"


def test_a_text_keeps_a_users_name_and_survives_a_translation_that_lost_a_placeholder(monkeypatch):
    t = i18n.Text("{name} must be true or false", name="Training")  # a name that is also a msgid stays a name
    i18n.set_language("zh")
    try:
        assert i18n.tr(t) == "Training 只能是 true 或 false"
        broken = i18n.Text("layer {i}", i=3)
        monkeypatch.setattr(i18n, "_", lambda m: "第 {n} 层" if m == "layer {i}" else m)
        assert i18n.tr(broken) == "layer 3"  # the English, right, rather than an exception on the page
    finally:
        i18n.set_language("en")


def test_counts_that_can_be_one_take_their_plural_form():
    from mnist_core.classroom.handwriting import too_few
    one, two = too_few(6, 1), too_few(6, 2)
    assert one.startswith("Too few to conclude: 6 digits by 1 writer.") and "by 2 writers." in two
    i18n.set_language("zh")
    try:
        assert too_few(6, 1).startswith("数据太少，无法下结论：1 位书写者的 6 个数字。")
        assert i18n.ngettext("{t} read as {p}: {n} time", "{t} read as {p}: {n} times", 1).format(
            t=7, p=1, n=1) == "7 被认成 1：1 次"
    finally:
        i18n.set_language("en")

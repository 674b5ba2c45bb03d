"""The Chinese catalog against the code: every text the code marks (``_``, ``N_``, ``ngettext``, ``pgettext``,
extracted with Babel's Python API over babel.cfg's files) is translated, nothing in the catalog is stale, empty
or held twice, and every translation keeps its msgid's placeholders."""

import gettext
import io

import pytest
from babel.messages.catalog import Catalog

from mnist_core import i18n, locale_tools
from mnist_core.locale_tools import duplicates, extract, placeholders, problems, read_catalog


@pytest.fixture(scope="module")
def code():
    return extract()


def test_the_catalog_parses_and_compiles():
    catalog = read_catalog("zh")  # abort_invalid: a syntax error fails here, not in a visitor's session
    assert catalog.locale_identifier == "zh_CN" and catalog.plural_forms.startswith("nplurals=1")
    i18n.reload()
    assert isinstance(i18n.translations("zh"), gettext.GNUTranslations)  # a compiled catalog, not the null one
    assert duplicates(i18n.po_path("zh")) == []


def test_extraction_finds_the_texts_of_every_kind_of_call(code):
    ids = {msg for (_ctx, msg) in code}
    assert "Language" in ids and "Glossary" in ids                        # _() in ui/ and app.py
    assert "tiny (seed000)" in ids                                        # N_() in mnist_core/presets.py
    assert ("{n} digit matches · page {page} of {pages}", "{n} digits match · page {page} of {pages}") in ids
    assert any(m.startswith("The loss has sat at 2.30") for m in ids if isinstance(m, str))  # training/callbacks.py
    assert all(not place.startswith(("tests/", ".venv/")) for f in code.values() for place in f.places)


def test_every_text_of_the_code_is_in_the_chinese_catalog(code):
    faults = problems("zh", code=code)
    assert faults == [], "\n".join(faults[:40]) + (f"\n… and {len(faults) - 40} more" if len(faults) > 40 else "")


def fake_code(tmp_path, source: str):
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "page.py").write_text(source, encoding="utf-8")
    return extract(tmp_path)


def test_the_check_catches_a_missing_an_empty_a_stale_and_a_broken_translation(tmp_path):
    code = fake_code(tmp_path, 'from mnist_core.i18n import _, N_, ngettext, pgettext\n'
                               '_("kept")\n_("missing one")\nN_("left empty")\n_("{n} layers of {model}")\n'
                               'ngettext("{n} run", "{n} runs", 2)\npgettext("verb", "Train")\n')
    cat = Catalog(locale="zh_CN")
    cat.add("kept", "保留")
    cat.add("left empty", "")
    cat.add("{n} layers of {model}", "{model} 的 {count} 层")  # a placeholder renamed: .format would fail
    cat.add(("{n} run", "{n} runs"), ("{n} 个",))
    cat.add("Train", "训练", context="verb")
    cat.add("an old text", "旧的")
    faults = problems("zh", code=code, catalog=cat)
    assert any(f.startswith("missing: 'missing one' (ui/page.py:3)") for f in faults), faults
    assert any(f.startswith("empty: 'left empty'") for f in faults)
    assert any(f.startswith("stale: 'an old text'") for f in faults)
    assert any(f.startswith("placeholders differ: '{n} layers of {model}'") for f in faults)
    assert len(faults) == 4, faults  # the plural and the context are found and match


def test_a_fuzzy_translation_counts_as_untranslated(tmp_path):
    code = fake_code(tmp_path, 'from mnist_core.i18n import _\n_("checked?")\n')
    cat = Catalog(locale="zh_CN")
    cat.add("checked?", "检查过？", flags=["fuzzy"])
    assert [f.split(":")[0] for f in problems("zh", code=code, catalog=cat)] == ["fuzzy (not shown)"]


def test_placeholders_are_compared_by_name_and_count():
    assert placeholders("{n} of {total}: {n}") == ["{n}", "{n}", "{total}"]
    assert placeholders("{lo:g} to {hi:g}") == placeholders("{lo} 到 {hi}")
    assert placeholders('an object like {{"type": "Conv2d"}}') == []  # doubled braces are text


def test_a_union_merge_that_doubled_an_entry_is_caught(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n\nmsgid "Run"\nmsgstr "运行"\n\nmsgid "Run"\nmsgstr "训练记录"\n\n'
                  'msgctxt "verb"\nmsgid "Run"\nmsgstr "运行"\n', encoding="utf-8")
    assert duplicates(po) == ['duplicate: "Run" (lines 4 and 7 of the catalog)']


def test_the_template_is_written_from_the_code(tmp_path, code):
    from babel.messages.pofile import read_po
    n = locale_tools.write_pot(tmp_path / "messages.pot")
    pot = read_po(io.BytesIO((tmp_path / "messages.pot").read_bytes()))
    assert n == len(pot) == len(code) and pot.get("Glossary") is not None
    assert all(not any(m.string) if isinstance(m.string, tuple) else not m.string for m in pot if m.id)

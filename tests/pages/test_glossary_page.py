"""The Glossary page: its terms as a plain table (found with the browser's own search, read by a screen reader)."""

from mnist_core.glossary import TERMS

from .conftest import no_exception


def test_the_glossary_is_a_table_of_every_term_that_a_search_narrows(app):
    at = no_exception(app("glossary").run())
    assert not at.dataframe  # no canvas grid: a table the browser draws at once
    table = at.table[0].value
    assert list(table.columns) == ["Chinese", "English", "Meaning", "In the other language", "Shown on"]
    assert list(table["Chinese"]) == [t.zh for t in TERMS]
    assert all(isinstance(m, str) and m for m in table["Meaning"])
    at.text_input(key="gl_search").input("stride").run()
    assert "步长" in list(at.table[0].value["Chinese"]) and len(at.table[0].value) < len(TERMS)
    at.text_input(key="gl_search").input("no such word here").run()
    no_exception(at)
    assert not at.table and "No term matches" in at.info[0].value


def test_the_glossary_table_speaks_chinese_first(app):
    at = app("glossary")
    at.query_params["lang"] = "zh"
    table = no_exception(at.run()).table[0].value
    assert list(table.columns)[:3] == ["中文", "英文", "含义"]

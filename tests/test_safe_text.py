import re

import pytest

from mnist_core.safe_text import clip, for_plotly, lesson_markdown, plain

LINK = "**Session expired** [sign in again](https:evil.example) ![](https:127.0.0.1:9)"
RED = ":red[**Your account is locked**]"
ANCHOR = '<a href="https://evil.example/">CLICK: answers</a>'
SPAN = '<span style="font-size:80px;color:red">HACKED</span>'
HOSTILE = [LINK, RED, ANCHOR, SPAN, "$\\frac{1}{0}$ `code` ~~gone~~ | a | b |", "# Heading", "> quoted",
           "- a list", "1. a list", "www.evil.example", "mail me: a@evil.example", "https://evil.example/x",
           "<https://evil.example>", "[ref]: https://evil.example", "\\[not escaped\\]", "&lt;b&gt;",
           ":material/lock: locked", "x" * 5000, "line\none\r\n\u2028two", "\u202eevil"]
SYNTAX = set("\\`*_[]()!<>&$~|#@")


def unescaped(md: str) -> str:
    """The Markdown-significant characters of ``md`` that are not backslash-escaped (an escape
    is a backslash that is itself not escaped)."""
    out, i = [], 0
    while i < len(md):
        if md[i] == "\\" and i + 1 < len(md):
            i += 2
            continue
        if md[i] in SYNTAX:
            out.append(md[i])
        i += 1
    return "".join(out)


def unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_escapes_every_markdown_mark_and_keeps_the_text(text):
    md = plain(text, 300)
    assert unescaped(md) == "", md
    assert "\n" not in md and "\r" not in md and "\u2028" not in md and "\u202e" not in md
    assert len(unescape(md)) <= 300
    shown = unescape(md)  # what the reader sees: the text itself, on one line
    assert shown == clip(text, 300)


def test_plain_breaks_directives_autolinks_and_block_starts():
    assert plain(RED).startswith("\\:red\\[")
    assert "https\\://" in plain("see https://evil.example") and "www\\." in plain("www.evil.example")
    assert "a\\@evil" in plain("a@evil.example")
    assert plain("- a").startswith("\\-") and plain("+ a").startswith("\\+") and plain("== a").startswith("\\=")
    assert plain("12. a").startswith("12\\.") and plain("3) a").startswith("3\\)")
    assert plain("    indented code").startswith("indented")  # four spaces would open a code block


def test_plain_leaves_ordinary_punctuation_alone():
    # what an error message or a link note is made of stays readable (and testable) as it is
    assert plain("The link's layer='x' is not a layer number: showing 1 instead.") == \
        "The link's layer='x' is not a layer number: showing 1 instead."
    assert plain("20250101-120000-my-run-ab12") == "20250101-120000-my-run-ab12"
    assert plain("at 10:30, 3.5% - ok?") == "at 10:30, 3.5% - ok?"


def test_plain_cuts_with_an_ellipsis():
    assert plain("x" * 100, 40) == "x" * 39 + "…"
    assert plain("short", 40) == "short"
    assert clip("a\n\n  b\tc", 10) == "a b c"


@pytest.mark.parametrize("text", [ANCHOR, SPAN, "<b>bold</b><br><i>x</i><sub>2</sub>", "a & b < c > d"])
def test_for_plotly_leaves_no_tag_and_decodes_to_the_text(text):
    out = for_plotly(text)
    assert "<" not in out and ">" not in out and '"' not in out
    # what Plotly shows: it decodes &amp; &lt; &gt; and numeric references (not &quot;)
    shown = re.sub(r"&#(x[0-9a-f]+|\d+);", lambda m: chr(int(m.group(1)[1:], 16) if m.group(1)[0] == "x"
                                                        else int(m.group(1))), out)
    shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert shown == text
    assert "&quot;" not in out


def test_for_plotly_one_line_and_cut():
    assert for_plotly("a\nb") == "a b"
    assert len(for_plotly("y" * 1000)) == 200


def test_lesson_markdown_keeps_emphasis_and_plain_text():
    assert lesson_markdown("Will it still read the 7?") == "Will it still read the 7?"
    assert lesson_markdown("No: it reads another digit.") == "No: it reads another digit."
    assert lesson_markdown("Is it **really** a _seven_ or *not*?") == "Is it **really** a _seven_ or *not*?"
    assert lesson_markdown("***both***") == "***both***"
    assert lesson_markdown("val_split and x_y stay") == "val\\_split and x\\_y stay"
    assert lesson_markdown("first line\nsecond\n\n\nnew paragraph") == "first line  \nsecond\n\nnew paragraph"


@pytest.mark.parametrize("text, shown", [
    ("Look: ![](http://host/track.png) here", "Look: here"),
    ("![a seven](https://evil.example/7.png)", ""),
    ("See [the answer](https://evil.example/) now", "See the answer now"),
    ("[data](data:text/html;base64,PHNjcmlwdD4=)", "data"),
    ("[own host](/inside?model=demo)", "own host"),
    ("[ref link][r]\n[r]: https://evil.example", "ref link"),
    ("go to <https://evil.example>", "go to https://evil.example"),
    ('<a href="https://evil.example/">CLICK</a> <img src="http://host/x.png"> <!-- hidden -->', "CLICK"),
    (SPAN, "HACKED"),
    (RED, "**Your account is locked**"),
    (":blue-background[hi]{x=1} :material/lock: ok", "hi ok"),
    ("$x^2$ and `code`", "$x^2$ and `code`"),
])
def test_lesson_markdown_drops_images_links_html_and_directives(text, shown):
    md = lesson_markdown(text)
    assert unescape(md).strip() == shown, md
    marks = unescaped(md).replace("*", "").replace("_", "")
    assert marks == "", md  # only emphasis markers are left to the Markdown renderer


@pytest.mark.parametrize("text", HOSTILE + ["**[bold link](http://x)**", "*![img](http://x/t.png)*",
                                            "****", "* item", "_ _", "[[a](x)](y)", "!\\[](x)"])
def test_lesson_markdown_never_leaves_a_link_image_or_html(text):
    md = lesson_markdown(text)
    assert set(unescaped(md)) <= {"*", "_"}, md
    for line in md.split("\n"):
        assert not re.match(r"\s*([-+*]\s|\d+[.)]|#|>|=+\s*$|-+\s*$|\*{3,}\s*$| {4})", line), line

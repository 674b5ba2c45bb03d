"""Text from users, made safe to show: the one place that knows what Markdown and Plotly interpret.

Anything a visitor can set reaches other visitors: a run's name, a spec's name, an uploaded file's
name, a shared link's values, a lesson's prompts. Streamlit renders its text elements as Markdown
(GitHub-flavoured, plus ``:red[...]`` directives, ``$...$`` LaTeX and bare-URL autolinks), and
Plotly renders a subset of HTML (``<a href>``, ``<span style>``, ``<b>``, ``<br>``) in trace names,
titles, hover and tick labels. So:

- ``plain(text, limit)``: user text as one line of Markdown that shows exactly those characters;
  for every ``st.markdown``/``st.info``/``st.error``/... that puts a user value in a sentence.
- ``for_plotly(text)``: user text HTML-escaped for any Plotly label; ``mnist_core.charts`` applies
  it to every string it is given, so pages hand charts plain text.
- ``lesson_markdown(text)``: a teacher's prompt or answer, keeping bold and italic only.

Lessons get no links and no images at all, not even to the teacher's own server. A lesson file
is an upload that anyone may have written and passed around, and the server cannot tell which
host is "the teacher's": the address the browser shows may be a proxy's, and a link that looks
local (``/inside?...``, ``https://lab.school.example@evil.example/``) is easy to fake. An image
is a request every student's browser makes the moment the step is shown, to wherever it points
(tracking, or a GET with side effects on a local address). Nor does a lesson need either: the
page draws each step's "Open this view" link itself, from the step's checked state, and the
views draw the digits. Link text is kept; the address is dropped.
"""

from __future__ import annotations

import html
import re
import unicodedata

ELLIPSIS = "…"
LIMIT = 500  # a message line (the longest of our own is ~350); single values are cut shorter (a link's to 40)

# ASCII punctuation that Markdown, GFM or Streamlit give a meaning to anywhere in a line:
# emphasis, code, links and images, raw HTML and entities, LaTeX, strikethrough, tables, headings.
# CommonMark shows a backslash-escaped ASCII punctuation character as itself, always.
_ALWAYS = set("\\`*_[]()!<>&$~|#")
# Marks that are harmless unless something follows: ":red[", ":material/...", "https://" (a GFM
# autolink), "mailto:x"; "www." (an autolink); "a@b.c" (an e-mail autolink).
_COLON_BEFORE = re.compile(r"[A-Za-z/]")
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])www\.")
# Line starts that open a block: a list item ("- ", "+ ", "1. ", "1) "), a setext underline ("==").
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
# Characters that change how text reads without being seen: bidi overrides and isolates.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clip(text, limit: int = LIMIT) -> str:
    """One line: whitespace runs (newlines too) to one space, control and bidi characters out,
    at most ``limit`` characters with an ellipsis where it was cut."""
    s = str(text).translate(_BIDI)
    s = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in s)
    s = re.sub(r"\s+", " ", s).strip()
    if len(s) > limit:
        s = s[:max(limit - 1, 0)].rstrip() + ELLIPSIS
    return s


def _escape(s: str) -> str:
    """Backslash-escape whatever Markdown could read as syntax; other characters stay as they are
    (quotes, commas, '=' and '.' inside a line mean nothing, and a test or a reader sees them)."""
    return _block_start(_escape_inline(s))


def _escape_inline(s: str) -> str:
    out = []
    for i, c in enumerate(s):
        nxt = s[i + 1] if i + 1 < len(s) else ""
        out.append("\\" + c if c in _ALWAYS or c == "@" or (c == ":" and _COLON_BEFORE.match(nxt)) else c)
    return _WWW.sub(lambda m: m.group(0)[:-1] + "\\.", "".join(out))


def _block_start(line: str) -> str:
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if m.group(1) else "\\" + m.group(3), line)


def plain(text, limit: int = LIMIT) -> str:
    """``text`` as one line of Markdown that Streamlit shows character for character."""
    return _escape(clip(text, limit))


def for_plotly(text, limit: int = 200) -> str:
    """``text`` for a Plotly name, title, hover or tick label: HTML-escaped and cut to ``limit``.

    Plotly decodes numeric character references but not ``&quot;``, so quotes become ``&#34;``
    and ``&#x27;``: the label shows the quote, and no tag can open without a ``<``."""
    return html.escape(clip(text, limit)).replace("&quot;", "&#34;")


# --- lessons --------------------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]\n]*\]\s*(\([^)\n]*\)?|\[[^\]\n]*\])")
_LINK = re.compile(r"\[([^\]\n]*)\]\s*(\([^)\n]*\)|\[[^\]\n]*\])")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S.*$", re.M)
_AUTOLINK = re.compile(r"<((?:[A-Za-z][A-Za-z0-9+.-]{1,31}:|www\.)[^\s<>]*|[^\s<>@]+@[^\s<>]+)>")
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>|<[!?][^<>]*>", re.S)
_DIRECTIVE = re.compile(r":{1,3}[A-Za-z][\w-]*\[([^\]\n]*)\](\{[^}\n]*\})?")  # :red[text]{attrs}
_ICON = re.compile(r":material/[\w-]+:")
_EMPHASIS = [  # (pattern, marker): the first match in the text wins; ties go to the longer marker
    (re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), "***"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), "**"),
    (re.compile(r"(?<![A-Za-z0-9])__(?=\S)(.+?)(?<=\S)__(?![A-Za-z0-9])"), "__"),
    (re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*"), "*"),
    (re.compile(r"(?<![A-Za-z0-9])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![A-Za-z0-9])"), "_"),
]


def _emphasis(s: str) -> str:
    """Escape ``s`` but keep its emphasis: only ``*`` and ``_`` markers stay unescaped, and those
    can make bold and italic, nothing else (each opens on a non-space, so never a list item)."""
    best = None
    for pattern, marker in _EMPHASIS:
        m = pattern.search(s)
        if m and (best is None or m.start() < best[0].start()):
            best = (m, marker)
    if best is None:
        return _escape_inline(s)
    m, marker = best
    return _escape_inline(s[:m.start()]) + marker + _emphasis(m.group(1)) + marker + _emphasis(s[m.end():])


def _strip_markup(s: str) -> str:
    """Images out; links, autolinks and directives down to their text; raw HTML out."""
    s = _REF_DEF.sub("", s)
    s = _IMAGE.sub("", s)
    for _ in range(3):  # "[[a](x)](y)": the inner link first, then the outer
        s = _LINK.sub(lambda m: m.group(1), s)
    s = _AUTOLINK.sub(lambda m: m.group(1), s)
    s = _HTML.sub("", s)
    return _ICON.sub("", _DIRECTIVE.sub(lambda m: m.group(1), s))


def lesson_markdown(text, limit: int = 2000) -> str:
    """A teacher's prompt or answer as Markdown with text, line breaks, bold and italic only:
    no images, no links (their text stays), no raw HTML, no Streamlit directives, no LaTeX.

    Whatever the markup removal misses is still shown literally: every character but the
    emphasis markers is escaped, as in ``plain``."""
    s = str(text).translate(_BIDI)[:limit]
    s = _strip_markup(s.replace("\r\n", "\n").replace("\r", "\n"))
    lines = []
    for raw in s.split("\n"):
        line = re.sub(r"\s+", " ", "".join(" " if unicodedata.category(c) == "Cc" else c for c in raw)).strip()
        if not line:
            if lines and lines[-1] != "":
                lines.append("")
            continue
        lines.append(_block_start(_emphasis(line)))
    while lines and lines[-1] == "":
        lines.pop()
    # a line break within a paragraph (two spaces), a blank line between paragraphs
    text_out = ""
    for i, line in enumerate(lines):
        if i:
            text_out += "\n" if line == "" or lines[i - 1] == "" else "  \n"
        text_out += line
    return text_out

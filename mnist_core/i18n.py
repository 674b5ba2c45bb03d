"""The translation layer: gettext catalogs, one language per session.

Every text a person reads is written in English in the code and wrapped: ``_("...")`` for a
sentence, ``ngettext(singular, plural, n)`` where a count is shown, ``N_("...")`` to mark a text
that is kept (in a table, an error raised in ``mnist_core``) and translated where it is shown.
Placeholders stay inside the sentence (``_("{n} digits").format(n=n)``), never glued fragments.

Babel extracts the texts (``pybabel extract -F babel.cfg``) into ``mnist_core/locale/messages.pot``
and keeps the Chinese catalog ``mnist_core/locale/zh_CN/LC_MESSAGES/messages.po``. Only the ``.po``
is kept in git (``*.po merge=union``, so branches that add texts merge); it is compiled to ``.mo``
by Babel in memory the first time a language is used, so an edited catalog needs no build step.

The language is per session: the page sets it at the start of every script run
(``set_language``); the value lives in a ``ContextVar`` of the script's thread, so two visitors on
one server read two languages. A training job never translates: it keeps English ``N_`` texts
that the page translates when it shows them.
"""

from __future__ import annotations

import gettext
import io
import threading
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_GETTEXT_LOCALE = {"zh": "zh_CN"}

_current: ContextVar[str] = ContextVar("mnist_lab_language", default=DEFAULT)
_cache: dict[str, gettext.NullTranslations] = {}
_lock = threading.Lock()


def normalize(lang: object) -> str | None:
    """``"zh"`` for zh, zh-CN, zh_Hans, zh-TW...; ``"en"`` for en-*; None for anything else."""
    if not isinstance(lang, str):
        return None
    head = lang.strip().replace("_", "-").split("-")[0].lower()
    return head if head in LANGUAGES else None


def po_path(lang: str) -> Path:
    return LOCALE_DIR / _GETTEXT_LOCALE.get(lang, lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` compiled to .mo by Babel in memory (English: the texts themselves)."""
    path = po_path(lang)
    if lang == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        catalog = read_po(f, locale=_GETTEXT_LOCALE.get(lang, lang))
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)  # a fuzzy (unchecked) translation is not shown
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translations(lang: str | None = None) -> gettext.NullTranslations:
    lang = normalize(lang) or _current.get()
    with _lock:
        if lang not in _cache:
            _cache[lang] = _compile(lang)
        return _cache[lang]


def reload() -> None:
    """Forget compiled catalogs (after editing a ``.po`` in a running server, and in tests)."""
    with _lock:
        _cache.clear()


def set_language(lang: object) -> str:
    """Make ``lang`` this thread's language (unknown values: English); returns what was set."""
    code = normalize(lang) or DEFAULT
    _current.set(code)
    return code


def language() -> str:
    return _current.get()


def _(message: str) -> str:
    """``message`` in this session's language."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A short word that means two things in English (``pgettext("verb", "Train")``)."""
    return translations().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction and leave it English: it is translated where it is shown."""
    return message


class Text(str):
    """A sentence made in ``mnist_core`` from a template and values, English wherever it goes as a ``str``
    (the CLI, logs, JSON, tests), that the page shows in the session's language with ``tr``:
    ``SpecError(Text(N_("layer {i} ({label}) {problem}"), i=3, label="Conv2d", problem=...))``.

    Values may be ``Text`` themselves (a problem inside a layer's message): ``tr`` translates them too.
    It pickles as itself (a job in another process, a deep copy), so it stays translatable."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        self = super().__new__(cls, template.format(**params) if params else template)
        self.template, self.params = template, params
        return self

    def __reduce__(self):
        return _rebuild_text, (self.template, self.params)


def _rebuild_text(template: str, params: dict) -> Text:
    return Text(template, **params)


def tr(text: object) -> str:
    """``text`` in this session's language: a ``Text`` by its template and values (the values that are
    ``Text`` translated too; others, such as a user's names, as they are), a plain string as the catalog
    has it (a fixed sentence marked ``N_``), anything else as ``str`` shows it."""
    if isinstance(text, Text):
        said = _(text.template)
        if not text.params:
            return said
        values = {k: tr(v) if isinstance(v, Text) else v for k, v in text.params.items()}  # a name stays a name
        try:
            return said.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder: the English, right
            return text.template.format(**values)
    if isinstance(text, str):
        return _(text) if text else text
    return str(text)


def tr_error(exc: BaseException) -> str:
    """An exception's message in this session's language (``tr`` of what it was raised with)."""
    arg = exc.args[0] if len(exc.args) == 1 else None
    return tr(arg) if isinstance(arg, str) else tr(str(exc))

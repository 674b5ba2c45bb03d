"""The texts of the code against the catalogs: extraction with Babel's Python API, the checks a catalog
must pass, and the ``.pot`` template translators start from.

    python -m mnist_core.locale_tools pot      # write mnist_core/locale/messages.pot from the code
    python -m mnist_core.locale_tools check    # list what the Chinese catalog misses, leaves empty or keeps stale

Extraction reads ``babel.cfg`` (which files) with the keywords the code uses: ``_``, ``N_``,
``ngettext`` and ``pgettext``. A message is keyed as gettext keys it: its msgid, ``(singular, plural)``
for a plural, and ``(context, msgid)`` under a context.
"""

from __future__ import annotations

import re
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mnist_core.i18n import LOCALE_DIR, po_path

ROOT = Path(__file__).resolve().parents[1]
POT = LOCALE_DIR / "messages.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def method_map(cfg: Path = ROOT / "babel.cfg") -> list[tuple[str, str]]:
    """``babel.cfg``'s ``[python: pattern]`` sections, as extract_from_dir wants them."""
    from babel.messages.frontend import parse_mapping_cfg
    with cfg.open(encoding="utf-8") as f:
        methods, _options = parse_mapping_cfg(f, filename=str(cfg))
    return methods


@dataclass
class Found:
    msgid: str | tuple[str, str]        # the text; (singular, plural) for a plural
    context: str | None
    places: list[str] = field(default_factory=list)  # "file:line"

    @property
    def texts(self) -> tuple[str, ...]:
        return self.msgid if isinstance(self.msgid, tuple) else (self.msgid,)


def extract(root: Path = ROOT) -> dict[tuple, Found]:
    """Every translatable text in the code: (context, msgid-or-(singular, plural)) -> where it is."""
    from babel.messages.extract import extract_from_dir
    found: dict[tuple, Found] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(root), method_map(), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue  # _(variable): nothing to extract, the text was marked where it was written
        msg = message if isinstance(message, str) else tuple(message)
        key = (context, msg)
        found.setdefault(key, Found(msg, context)).places.append(
            f"{filename}:{lineno}")
    return found


def read_catalog(lang: str = "zh"):
    from babel.messages.pofile import read_po
    with po_path(lang).open("rb") as f:
        return read_po(f, locale="zh_CN" if lang == "zh" else lang, abort_invalid=True)


FIELD = re.compile(r"\{[^{}]*\}")


def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields of a format string (sorted, repeats kept), as ``str.format`` parses them."""
    return sorted(f"{{{name}}}" for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None)


def _place_order(place: str) -> tuple[str, int]:
    file, line = place.rsplit(":", 1)
    return file, int(line)


def duplicates(path: Path) -> list[str]:
    """msgids a catalog holds twice (a union merge of two branches that added the same text): Babel would
    keep one of them silently, so the two translations must be made one by hand."""
    seen: dict[tuple, int] = {}
    out = []
    context = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if line.startswith("msgctxt "):
            context = line[8:]
        elif line.startswith("msgid "):
            text, k = line[6:], n
            while k < len(lines) and lines[k].startswith('"'):  # a msgid continued on the next lines
                text += lines[k]
                k += 1
            key = (context, text)
            if key in seen and text != '""':
                out.append(f"duplicate: {text} (lines {seen[key]} and {n} of the catalog)")
            seen.setdefault(key, n)
            context = None
    return out


def problems(lang: str = "zh", code: dict | None = None, catalog=None) -> list[str]:
    """One line per fault: a text of the code the catalog misses, an empty or fuzzy translation, a stale
    entry (no longer in the code), a translation whose placeholders differ from its msgid's."""
    code = extract() if code is None else code
    catalog = read_catalog(lang) if catalog is None else catalog
    out = []
    entries = {}
    for m in catalog:
        if not m.id:
            continue
        msg = m.id if isinstance(m.id, str) else tuple(m.id)
        entries[(m.context, msg)] = m
    for key, f in sorted(code.items(), key=lambda kv: _place_order(kv[1].places[0])):
        m = entries.get(key)
        shown = f.texts[0]
        if m is None:
            out.append(f"missing: {shown!r} ({f.places[0]})")
            continue
        strings = [s for s in (m.string if isinstance(m.string, (tuple, list)) else (m.string,))]
        if not all(strings):
            out.append(f"empty: {shown!r} ({f.places[0]})")
        elif m.fuzzy:
            out.append(f"fuzzy (not shown): {shown!r} ({f.places[0]})")
        else:
            for text in f.texts:
                for s in strings:
                    if placeholders(text) != placeholders(s):
                        out.append(f"placeholders differ: {text!r} {placeholders(text)} -> {s!r} {placeholders(s)}")
    for key, m in entries.items():
        if key not in code:
            out.append(f"stale: {(m.id if isinstance(m.id, str) else m.id[0])!r} (line {m.lineno} of the catalog)")
    return out


def write_pot(path: Path = POT) -> int:
    """The template of every text in the code (what a new language's catalog starts from); returns the count."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po
    cat = Catalog(project="MNIST Lab", charset="utf-8")
    for f in extract().values():
        for place in f.places:
            file, line = place.rsplit(":", 1)
            cat.add(f.msgid, locations=[(file, int(line))], context=f.context)
    with path.open("wb") as out:
        write_po(out, cat, width=110, sort_output=False)
    return len(cat)


def main(argv: list[str]) -> int:
    if argv[:1] == ["pot"]:
        n = write_pot()
        print(f"{POT.relative_to(ROOT)}: {n} texts")
        return 0
    if argv[:1] == ["check"]:
        lang = argv[1] if len(argv) > 1 else "zh"
        faults = duplicates(po_path(lang)) + problems(lang)
        print("\n".join(faults) or "the catalog matches the code")
        return 1 if faults else 0
    print("usage: python -m mnist_core.locale_tools pot|check [lang]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

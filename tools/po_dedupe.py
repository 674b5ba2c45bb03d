"""Keep one entry per text in the Chinese catalog (branches that add the same text merge by union,
so a text can arrive twice): ``python tools/po_dedupe.py``. Babel reads the catalog (the first
translation of a text is kept) and writes it back sorted by nothing but the order texts first came;
texts translated two different ways are printed, to be settled by a person."""

import io
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "mnist_core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def entries(text: str):
    """(id, msgstr) of each entry in file order, duplicates included: one-entry catalogs read one by one."""
    chunk: list[str] = []
    for line in text.splitlines() + ["msgid \"\""]:
        if (line.startswith(("msgid ", "msgctxt ", "#")) and chunk
                and any(c.startswith("msgstr") for c in chunk) and not chunk[-1].startswith("#")):
            cat = read_po(io.StringIO("\n".join(chunk)))
            yield from ((m.id, m.context, m.string) for m in cat if m.id)
            chunk = []
        chunk.append(line)


def main() -> int:
    text = PO.read_text(encoding="utf-8")
    first: dict = {}
    for mid, ctx, msgstr in entries(text):
        key = (ctx, mid)
        if key in first and first[key] != msgstr:
            print(f"translated two ways, kept the first: {mid!r}: {first[key]!r} / {msgstr!r}")
        first.setdefault(key, msgstr)
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_CN")
    before = len(first)
    for m in catalog:
        if m.id and (m.context, m.id) in first:
            m.string = first[(m.context, m.id)]
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False)
    PO.write_bytes(buf.getvalue())
    print(f"{before} texts, one entry each")
    return 0


if __name__ == "__main__":
    sys.exit(main())

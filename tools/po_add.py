"""Append translations to the Chinese catalog: ``python tools/po_add.py FILE.json`` (msgid -> msgstr;
a plural is "singular\\u0000plural" -> msgstr). Entries already in the catalog are left alone;
new ones go at the end, so branches that add texts merge by union."""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[1] / "mnist_core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def main(path: str) -> int:
    new = json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    blocks = []
    for msgid, msgstr in new.items():
        singular, _, plural = msgid.partition("\0")
        if singular in have or not msgstr:
            continue
        have.add(singular)
        if plural:
            blocks.append(f"msgid {quote(singular)}\nmsgid_plural {quote(plural)}\nmsgstr[0] {quote(msgstr)}\n")
        else:
            blocks.append(f"msgid {quote(singular)}\nmsgstr {quote(msgstr)}\n")
    with PO.open("a", encoding="utf-8") as f:
        for b in blocks:
            f.write("\n" + b)
    print(f"{len(blocks)} added, {len(new) - len(blocks)} already there or empty")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""The one JSON reader for text that comes from outside (uploads, lesson files, the CLI's ``--spec``).

``json.loads`` recurses once per nesting level, so a file of 100,000 ``[`` ends in a
``RecursionError`` deep inside the decoder; it also turns ``1e400`` into ``inf``, reads
``NaN``/``Infinity`` and raises a bare ``ValueError`` for integers over 4,300 digits. Here
the depth is counted before the decoder runs, the size is capped, and every number must be
finite and of a sane size, each refused with one plain line.
"""

from __future__ import annotations

import json
import math
import re

from mnist_core import MnistLabError
from mnist_core.i18n import N_, Text

MAX_DEPTH = 32        # a lesson with its spec nests about 5 deep
MAX_INT_DIGITS = 20   # a seed of 2**64 has 20 digits; anything longer is no setting of ours

# A JSON string token, escapes included: what is inside one is not structure.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[][{}]")


class JSONInputError(MnistLabError):
    """JSON that is refused before or while it is decoded; the message says why in one line."""


class _Refused(Exception):
    def __init__(self, token: str, why: str):
        super().__init__(why)
        self.token, self.why = token, why


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted without recursion. An unterminated
    string leaves its brackets counted: that errs on the side of refusing."""
    depth = deepest = 0
    for b in _BRACKETS.findall(_STRING.sub('""', text)):
        if b in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise _Refused(s, f"the number {s[:20]} is too large")
    return v


def _int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(s, f"a whole number has more than {MAX_INT_DIGITS} digits")
    return int(s)


def _constant(s: str):
    raise _Refused(s, f"{s} is not a number JSON allows")


def loads(text: str | bytes, max_bytes: int, max_depth: int = MAX_DEPTH):
    """The decoded value, or a one-line ``JSONInputError``."""
    if len(text) > max_bytes:
        raise JSONInputError(Text(N_("the file is larger than {n} KB"), n=max_bytes // 1024))
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode(json.detect_encoding(text))
        except (UnicodeDecodeError, LookupError):
            raise JSONInputError(N_("not valid JSON: the file is not UTF-8 text")) from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark from a Windows editor
    if _depth(text) > max_depth:
        raise JSONInputError(Text(N_("not valid JSON here: nested more than {max_depth} levels deep"),
                                  max_depth=max_depth))
    try:
        return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise JSONInputError(Text(N_("not valid JSON: {msg} (line {lineno}, column {colno})"),
                                  msg=exc.msg, lineno=exc.lineno, colno=exc.colno)) from None
    except _Refused as exc:
        # The hooks are not told where they are: the token's first occurrence is where to look.
        at = text.find(exc.token)
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise JSONInputError(Text(N_("not valid JSON here: {why} (line {line}, column {column})"),
                                  why=exc.why, line=line, column=column)) from None

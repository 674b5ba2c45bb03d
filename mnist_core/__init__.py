"""MNIST Lab's engine room: data, layer specs, training, inspection and charts.

Nothing in this package imports Streamlit: every number a page shows is computed
by a function that a test can call without a browser.
"""

import re
from pathlib import PurePath

__version__ = "0.1.0"


class MnistLabError(Exception):
    """An error whose message is one plain line meant for the user."""



_PART = r"[^\s'\"\\/:,;()]+"
# an absolute path of two or more parts (/srv/runs/x), or a relative one of three (runs/x/summary.json)
_PATH = re.compile(rf"(?:[A-Za-z]:)?(?:[\\/]{_PART}){{2,}}|(?:{_PART}[\\/]){{2,}}{_PART}")


def public_message(exc: BaseException | str) -> str:
    """An error as words a visitor may read: the type and text of an unexpected exception, with any
    file path cut to its last part (a server's folders are nobody's business on a page)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.strerror or 'cannot use the file'}: {PurePath(str(exc.filename)).name}"
    else:
        text = str(exc)
    text = _PATH.sub(lambda m: re.split(r"[\\/]", m.group(0).rstrip("\\/"))[-1], text)
    if isinstance(exc, BaseException) and not isinstance(exc, MnistLabError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text

"""Every error line ``mnist_core`` raises for the user is marked for translation: a page shows an
``MnistLabError`` with ``tr_error``, which can only translate a text the catalog holds. A message written
as a bare literal or f-string is never extracted, so a Chinese page would show it in English."""

import ast
from pathlib import Path

import pytest

from mnist_core import i18n

ROOT = Path(__file__).resolve().parents[1]
CLI_ONLY = {"mnist_core/__main__.py"}  # the command line's words may stay English (issue 19)


def user_errors() -> set[str]:
    """The names of MnistLabError and its subclasses defined anywhere in mnist_core."""
    bases: dict[str, set[str]] = {}
    for path in (ROOT / "mnist_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    found = {"MnistLabError"}
    while True:
        more = {name for name, b in bases.items() if b & found} - found
        if not more:
            return found
        found |= more


def unmarked_raises() -> list[str]:
    errors = user_errors()
    out = []
    for path in sorted((ROOT / "mnist_core").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in CLI_ONLY or "/migrations/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            arg = node.exc.args[0]
            literal = isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
            formatted = isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "format" and \
                not (isinstance(arg.func.value, ast.Call) and getattr(arg.func.value.func, "id", "") in ("_", "N_"))
            if name in errors and (literal or formatted):
                out.append(f"{rel}:{node.lineno}: {name}({ast.unparse(arg)[:80]})")
    return out


def test_every_error_mnist_core_raises_for_the_user_is_marked():
    left = unmarked_raises()
    assert not left, "mark these with N_() or Text(N_(...), ...):\n" + "\n".join(left)


def test_the_scan_finds_an_unmarked_raise(tmp_path, monkeypatch):
    assert {"RunError", "PollError", "JoinError", "JSONInputError"} <= user_errors()  # subclasses of subclasses too
    fake = tmp_path / "mnist_core"
    fake.mkdir()
    (fake / "__init__.py").write_text("class MnistLabError(Exception):\n    pass\n")
    (fake / "x.py").write_text("from mnist_core import MnistLabError\nclass XError(MnistLabError):\n    pass\n"
                               "def f(n):\n    raise XError(f'{n} is too many')\n"
                               "def g():\n    raise XError(N_('marked'))\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert [line.split(": ", 1)[0] for line in unmarked_raises()] == ["mnist_core/x.py:5"]


@pytest.fixture
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def test_a_broken_json_upload_reads_in_chinese_and_stays_english_for_the_cli(chinese):
    from mnist_core.safejson import JSONInputError, loads
    with pytest.raises(JSONInputError) as err:
        loads(b'{"layers": [}', max_bytes=10_000)
    assert str(err.value).startswith("not valid JSON")  # the CLI and the logs: English
    assert i18n.tr_error(err.value).startswith("不是有效的 JSON") and "第 1 行" in i18n.tr_error(err.value)


def test_a_poll_refusal_and_a_full_drawing_quota_read_in_chinese(chinese):
    from mnist_core.classroom import PollError
    from mnist_core.i18n import N_, Text
    assert i18n.tr_error(PollError(N_("this poll is closed; open the next one"))) == "这个投票已关闭，请发起下一个"
    limit = Text(N_("you have stored {max_per_visitor} drawings, the most one visitor may keep"), max_per_visitor=200)
    assert i18n.tr(limit) == "你已经保存了 200 幅手写数字，这是每位访客最多能保存的数量"

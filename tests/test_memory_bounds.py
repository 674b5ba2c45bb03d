"""Server-wide memory is bounded: every Streamlit cache in the app has a size limit.

Per-session state lives in ``st.session_state`` and goes with the session (Streamlit keeps a
disconnected session 2 minutes for a reconnect, then drops it); what outlives sessions is in the
caches below, so each must say how much it may hold.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SINGLETONS = {"demo_model"}  # no arguments: one entry, ever


def cache_decorators():
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for d in node.decorator_list:
                    target = d.func if isinstance(d, ast.Call) else d
                    if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                        kwargs = {k.arg for k in d.keywords} if isinstance(d, ast.Call) else set()
                        yield path.relative_to(ROOT), node.name, target.attr, kwargs, node


def test_every_cache_is_bounded():
    found = list(cache_decorators())
    assert len(found) >= 6
    for path, name, kind, kwargs, node in found:
        if name in SINGLETONS:
            assert not node.args.args, f"{path}:{name} takes arguments, so it is not a singleton"
            continue
        assert "max_entries" in kwargs, f"{path}:{name}: st.{kind} without max_entries grows without bound"


def test_mnist_core_never_caches_per_process_by_itself():
    """functools caches in the engine would outlive every session unseen."""
    for path in sorted((ROOT / "mnist_core").glob("*.py")):
        text = path.read_text()
        assert "lru_cache(maxsize=None)" not in text and "@cache\n" not in text, path.name

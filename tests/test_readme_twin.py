"""README.zh-CN.md is the README's Chinese twin: linked from the top, the same sections, the same commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands(text: str) -> list[str]:
    """The command lines of the ```bash blocks, without their comments (which are in each README's language)."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("  #")[0].rstrip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_chinese_readme_is_linked_from_the_top_and_links_back():
    en = (ROOT / "README.md").read_text(encoding="utf-8")
    zh = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert "(README.zh-CN.md)" in "\n".join(en.splitlines()[:4])
    assert "(README.md)" in "\n".join(zh.splitlines()[:4])
    assert len(re.findall(r"^## ", en, flags=re.M)) == len(re.findall(r"^## ", zh, flags=re.M))
    assert commands(en) == commands(zh) and commands(en)
    assert re.findall(r"`(MNIST_[A-Z_]+)`", en) and \
        set(re.findall(r"`(MNIST_[A-Z_]+)`", en)) == set(re.findall(r"`(MNIST_[A-Z_]+)`", zh))
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", line)) for line in zh.splitlines()) > 80  # Chinese, not a copy

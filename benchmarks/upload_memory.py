"""Peak memory of decoding one uploaded picture, each case in a fresh process.

Usage: python benchmarks/upload_memory.py [--code DIR]

``--code DIR``: the checkout whose ``mnist_core`` is measured (default: this one), so the same
script measures an older commit checked out elsewhere. Each case runs ``preprocess_upload`` (what
the Draw page does with an upload) in its own ``python`` process and reports that process's peak
resident memory (``ru_maxrss``), the memory after the imports alone, and the ratio of the peak to
the normal PNG's.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from mnist_core.preprocess import ImageError, preprocess_upload
raw = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    steps = preprocess_upload(raw, "case.png")
    outcome = "read" if not steps.empty else "empty"
except ImageError as exc:
    outcome = f"refused: {exc}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"imports_mb": before / 1024, "peak_mb": peak / 1024, "outcome": outcome}))
"""


def png(size: tuple[int, int], mode: str = "RGBA", digit: bool = True) -> bytes:
    im = Image.new(mode, size, (255, 255, 255, 255) if mode == "RGBA" else 255)
    if digit:  # a dark stroke down the middle: a "1"
        w, h = size
        ImageDraw.Draw(im).line([(w // 2, h // 10), (w // 2, h * 9 // 10)], fill=(0, 0, 0, 255) if mode == "RGBA"
                                else 0, width=max(1, min(w, h) // 14))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


CASES = {
    "normal PNG (280 x 280 RGBA, a drawn 1)": lambda: png((280, 280)),
    "thin PNG (1 x 24,999,999 RGBA)": lambda: png((1, 24_999_999), digit=False),
    "near-cap square PNG (5000 x 5000 RGBA, a drawn 1)": lambda: png((5000, 5000)),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", default=str(ROOT), help="checkout whose mnist_core is measured")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            path = Path(tmp) / "case.png"
            raw = make()
            path.write_bytes(raw)
            out = subprocess.run([sys.executable, "-c", CHILD, args.code, str(path)], capture_output=True,
                                 text=True, timeout=600)
            if out.returncode != 0:
                print(f"{name}: the child failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                return 1
            rows.append({"case": name, "file_kb": len(raw) / 1024, **json.loads(out.stdout)})
    base = rows[0]["peak_mb"]
    print(f"code: {args.code}")
    print("| case | file | after imports | peak | decode's own | x normal |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['file_kb']:,.0f} KB | {r['imports_mb']:,.0f} MB | {r['peak_mb']:,.0f} MB | "
              f"{r['peak_mb'] - r['imports_mb']:,.0f} MB | {r['peak_mb'] / base:.2f}x |")
    for r in rows:
        print(f"  {r['case']}: {r['outcome'][:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Digits that are not MNIST's, made here: a check of how a model reads other hands.

MNIST's digits were written by Census staff and students with similar pens, scanned and
normalised one way. A class draws with a mouse, a finger or a marker, big or small,
upright or slanted, and uploads photos of paper. This module renders such digits
deterministically, in several styles, so two models can be compared on the same set:

- ``stroke``: a pen path per digit (as a person draws it), with jitter, a pen width,
  a slant, a size and a position on a canvas;
- ``font``: the digit typed in the fonts the machine has (printed and italic forms);
- ``paper``: a stroke digit, dark on light grey paper, blurred and noisy (a photo);

plus ``non_digits``: letters, a smiley and scribbles, for the "not a digit" check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Pen paths in a unit box (x right, y down), one list of strokes per digit, drawn the usual way.
_ARC = lambda cx, cy, rx, ry, a0, a1, n=16: [  # noqa: E731  (an arc from angle a0 to a1, degrees)
    (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
    for a in np.linspace(a0, a1, n)]
PATHS: dict[int, list[list[tuple[float, float]]]] = {
    0: [_ARC(0.5, 0.5, 0.3, 0.45, -90, 270, 24)],
    1: [[(0.4, 0.15), (0.55, 0.05), (0.55, 0.95)]],  # with a short flag; half are drawn as a plain bar
    2: [_ARC(0.5, 0.3, 0.3, 0.25, 200, 380, 12) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [_ARC(0.48, 0.28, 0.28, 0.23, 210, 450, 12) + _ARC(0.48, 0.72, 0.32, 0.23, 270, 510, 12)],
    4: [[(0.65, 0.95), (0.65, 0.05), (0.15, 0.65), (0.9, 0.65)]],
    5: [[(0.8, 0.05), (0.3, 0.05), (0.25, 0.45)] + _ARC(0.48, 0.67, 0.32, 0.28, 230, 500, 14)],
    6: [[(0.7, 0.05), (0.4, 0.35)] + _ARC(0.5, 0.7, 0.28, 0.26, 200, 560, 20)],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.45, 0.95)]],
    8: [_ARC(0.5, 0.27, 0.25, 0.22, 90, 450, 18) + _ARC(0.5, 0.72, 0.3, 0.24, -90, 270, 18)],
    9: [_ARC(0.5, 0.3, 0.28, 0.25, 0, 360, 18) + [(0.78, 0.3), (0.7, 0.95)]],
}

FONT_DIRS = [Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"), Path("/Library/Fonts"),
             Path("C:/Windows/Fonts")]


@dataclass
class Sample:
    image: np.ndarray   # (H, W) uint8 grey, any polarity, as a camera or canvas gives it
    label: int          # the digit, or -1 for something that is not a digit
    style: str


PLAIN_ONE = [[(0.5, 0.05), (0.5, 0.95)]]


def _paths(label: int, rng: np.random.Generator):
    return PLAIN_ONE if label == 1 and rng.random() < 0.5 else PATHS[label]


def _draw_paths(paths, size: int, width: float, slant: float, scale: float, offset, rng, jitter: float,
                ink: int, paper: int) -> np.ndarray:
    im = Image.new("L", (size, size), paper)
    d = ImageDraw.Draw(im)
    box = size * scale
    ox, oy = offset
    for path in paths:
        pts = []
        for x, y in path:
            x, y = x + rng.normal(0, jitter), y + rng.normal(0, jitter)
            x = x + slant * (0.5 - y)  # slant: the top leans right
            pts.append((ox + x * box, oy + y * box))
        d.line(pts, fill=ink, width=max(1, int(round(width))), joint="curve")
        r = width / 2
        for px, py in (pts[0], pts[-1]):  # round pen ends
            d.ellipse([px - r, py - r, px + r, py + r], fill=ink)
    return np.asarray(im)


def stroke_digit(label: int, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """One pen-drawn digit, white on black (a canvas), in a random hand."""
    scale = rng.uniform(0.35, 0.85)
    width = rng.uniform(0.03, 0.14) * size * scale + 2
    offset = [rng.uniform(0.02, 0.98 - scale) * size for _ in range(2)]
    return _draw_paths(_paths(label, rng), size, width, rng.uniform(-0.35, 0.35), scale, offset, rng,
                       rng.uniform(0.0, 0.02), 255, 0)


def paper_digit(label: int, rng: np.random.Generator, size: int = 240) -> np.ndarray:
    """A dark digit on uneven light paper, slightly blurred and noisy: a phone photo."""
    scale = rng.uniform(0.4, 0.8)
    width = rng.uniform(0.04, 0.1) * size * scale + 1
    offset = [rng.uniform(0.05, 0.95 - scale) * size for _ in range(2)]
    paper = int(rng.uniform(170, 235))
    a = _draw_paths(_paths(label, rng), size, width, rng.uniform(-0.3, 0.3), scale, offset, rng,
                    rng.uniform(0.0, 0.015), int(rng.uniform(10, 70)), paper)
    im = Image.fromarray(a).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    a = np.asarray(im, dtype=np.float32)
    yy = np.linspace(-1, 1, size)[:, None]
    a = a + 20 * yy * rng.uniform(-1, 1) + rng.normal(0, 6, a.shape)  # shading and sensor noise
    return a.clip(0, 255).astype(np.uint8)


def fonts() -> list[Path]:
    """The TrueType fonts this machine has, sorted (possibly none)."""
    found = []
    for d in FONT_DIRS:
        if d.is_dir():
            found += [p for p in d.rglob("*.ttf") if "emoji" not in p.name.lower()]
    return sorted(set(found))


def font_digit(label: int, font: Path, rng: np.random.Generator, size: int = 200) -> np.ndarray:
    im = Image.new("L", (size, size), 0)
    f = ImageFont.truetype(str(font), int(size * rng.uniform(0.4, 0.75)))
    d = ImageDraw.Draw(im)
    d.text((size * rng.uniform(0.15, 0.4), size * rng.uniform(0.05, 0.25)), str(label), fill=255, font=f)
    return np.asarray(im)


def handwriting_set(per_digit: int = 20, seed: int = 0, max_fonts: int = 12) -> list[Sample]:
    """The non-MNIST check: ``per_digit`` stroke and paper digits of each class, plus each digit
    in up to ``max_fonts`` fonts. Deterministic for a given seed and set of fonts."""
    rng = np.random.default_rng(seed)
    out = []
    for label in range(10):
        for _ in range(per_digit):
            out.append(Sample(stroke_digit(label, rng), label, "stroke"))
            out.append(Sample(paper_digit(label, rng), label, "paper"))
    fs = fonts()
    step = max(1, len(fs) // max_fonts) if fs else 1
    for font in fs[::step][:max_fonts]:
        for label in range(10):
            out.append(Sample(font_digit(label, font, rng), label, "font"))
    return out


def non_digits(n_scribbles: int = 20, seed: int = 1) -> list[Sample]:
    """Things a class draws that are not digits: letters, a smiley, a star, scribbles."""
    rng = np.random.default_rng(seed)
    out = []
    shapes = {
        "smiley": [_ARC(0.5, 0.5, 0.45, 0.45, 0, 360, 28), _ARC(0.5, 0.55, 0.25, 0.2, 20, 160, 10),
                   [(0.33, 0.35), (0.35, 0.38)], [(0.65, 0.35), (0.67, 0.38)]],
        "A": [[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.28, 0.6), (0.72, 0.6)]],
        "H": [[(0.2, 0.05), (0.2, 0.95)], [(0.8, 0.05), (0.8, 0.95)], [(0.2, 0.5), (0.8, 0.5)]],
        "X": [[(0.1, 0.05), (0.9, 0.95)], [(0.9, 0.05), (0.1, 0.95)]],
        "M": [[(0.1, 0.95), (0.15, 0.05), (0.5, 0.6), (0.85, 0.05), (0.9, 0.95)]],
        "W": [[(0.05, 0.05), (0.3, 0.95), (0.5, 0.4), (0.7, 0.95), (0.95, 0.05)]],
        "star": [[(0.5, 0.02), (0.62, 0.38), (0.98, 0.38), (0.68, 0.6), (0.8, 0.97), (0.5, 0.74), (0.2, 0.97),
                  (0.32, 0.6), (0.02, 0.38), (0.38, 0.38), (0.5, 0.02)]],
        "grid": [[(0.1, 0.3), (0.9, 0.3)], [(0.1, 0.7), (0.9, 0.7)], [(0.3, 0.1), (0.3, 0.9)],
                 [(0.7, 0.1), (0.7, 0.9)]],
    }
    for name, paths in shapes.items():
        for _ in range(3):
            out.append(Sample(_draw_paths(paths, 280, rng.uniform(12, 24), rng.uniform(-0.2, 0.2),
                                          rng.uniform(0.6, 0.85), (30, 30), rng, 0.01, 255, 0), -1, name))
    for _ in range(n_scribbles):
        pts = [tuple(rng.uniform(0.05, 0.95, 2)) for _ in range(int(rng.integers(6, 14)))]
        out.append(Sample(_draw_paths([pts], 280, rng.uniform(10, 22), 0.0, 0.85, (20, 20), rng, 0.0, 255, 0),
                          -1, "scribble"))
    return out


# Letters that look like digits (l, I, O, S, Z, B, G, g, q, b, ...) are left out of the outliers:
# the network must not learn to refuse a 1 or a 0.
# A, H, M, W, X, smileys, stars and grids are kept out too: they are ``non_digits``'s test set.
OUTLIER_LETTERS = "CDEFJKLNPRTUVYacdefhknprtuvy#&%@*+=?!"


def outlier_bank(n: int = 3000, seed: int = 12345) -> np.ndarray:
    """(n, 28, 28) uint8 things that are not digits, MNIST-preprocessed like a drawing: letters and
    symbols in the machine's fonts, random pen paths, rings and crosses. For outlier exposure:
    a network taught to answer "no idea" (a flat distribution) on these learns to be unsure of
    non-digits in general (Hendrycks et al., 2019). Seeded apart from ``non_digits``'s test set."""
    from mnist_core.preprocess import preprocess
    rng = np.random.default_rng(seed)
    fs = fonts()
    out = []
    while len(out) < n:
        kind = rng.integers(0, 3 if fs else 2)
        if kind == 0:  # a random pen path (long enough not to be a 7 or a 1), sometimes two
            paths = [[tuple(rng.uniform(0.05, 0.95, 2)) for _ in range(int(rng.integers(7, 14)))]
                     for _ in range(int(rng.integers(1, 3)))]
            img = _draw_paths(paths, 140, rng.uniform(5, 12), 0.0, 0.85, (10, 10), rng, 0.0, 255, 0)
        elif kind == 1:  # shapes: boxes, zigzags, triangles, spirals (no rings: a ring is a 0)
            spiral = [(0.5 + r * math.cos(a), 0.5 + r * math.sin(a))
                      for r, a in zip(np.linspace(0.05, 0.45, 40), np.linspace(0, 5 * math.pi, 40))]
            shapes = [[[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)]],
                      [[(x, 0.2 + 0.6 * (i % 2)) for i, x in enumerate(np.linspace(0.05, 0.95, 7))]],
                      [[(0.5, 0.05), (0.95, 0.9), (0.05, 0.9), (0.5, 0.05)]], [spiral]]
            paths = shapes[int(rng.integers(len(shapes)))]
            img = _draw_paths(paths, 140, rng.uniform(5, 12), rng.uniform(-0.3, 0.3), rng.uniform(0.6, 0.85),
                              (15, 15), rng, 0.01, 255, 0)
        else:  # a letter or symbol
            im = Image.new("L", (140, 140), 0)
            f = ImageFont.truetype(str(fs[int(rng.integers(len(fs)))]), int(rng.uniform(60, 100)))
            ImageDraw.Draw(im).text((25, 5), OUTLIER_LETTERS[int(rng.integers(len(OUTLIER_LETTERS)))], fill=255,
                                    font=f)
            img = np.asarray(im)
        steps = preprocess(img)
        if not steps.empty:
            out.append(steps.as_uint8())
    return np.stack(out)


# --- MNIST's own test digits, written and scanned another way --------------------------------------------
# Each check takes held-out MNIST test digits (never trained on) and changes one thing a class's or
# another scanner's digits change: the digit is then as MNIST's writer wrote it, only seen otherwise.

SCAN_CHECKS = ("coarse", "usps-like", "large", "small", "thick", "thin", "faint", "slanted", "blurred")


def _box(img: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(img > 30)
    if not len(ys):
        return img
    return img[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _placed(digit: np.ndarray, side: int, rng: np.random.Generator, canvas: int = 28, jitter: int = 1) -> np.ndarray:
    """``digit`` scaled so its longer side is ``side`` px, placed near the middle of a black canvas."""
    h, w = digit.shape
    f = side / max(h, w)
    nh, nw = max(1, round(h * f)), max(1, round(w * f))
    small = np.asarray(Image.fromarray(digit).resize((nw, nh), Image.BILINEAR))
    out = np.zeros((canvas, canvas), np.uint8)
    top = min(max(0, (canvas - nh) // 2 + int(rng.integers(-jitter, jitter + 1))), canvas - nh)
    left = min(max(0, (canvas - nw) // 2 + int(rng.integers(-jitter, jitter + 1))), canvas - nw)
    out[top:top + nh, left:left + nw] = small
    return out


def scan_check(kind: str, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One MNIST digit (28x28 uint8) changed the way ``kind`` says."""
    im = Image.fromarray(img)
    if kind == "coarse":  # a low-resolution scan resampled up: 9-14 px a side, then 28
        s = int(rng.integers(9, 15))
        return np.asarray(im.resize((s, s), Image.BOX).resize((28, 28), Image.BILINEAR))
    if kind == "usps-like":  # as USPS keeps its digits: filling a 16x16 box, then resampled to 28x28
        box = _placed(_box(img), 16, rng, canvas=16, jitter=0)
        return np.asarray(Image.fromarray(box).resize((28, 28), Image.BILINEAR))
    if kind == "large":  # a digit written to fill its box: 25-28 px instead of MNIST's 20
        return _placed(_box(img), int(rng.integers(25, 29)), rng)
    if kind == "small":  # a digit written small: 10-13 px
        return _placed(_box(img), int(rng.integers(10, 14)), rng, jitter=3)
    if kind == "thick":  # a marker
        return np.asarray(im.filter(ImageFilter.MaxFilter(3)))
    if kind == "thin":  # a hard pencil
        return np.asarray(im.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(1)))
    if kind == "faint":  # light pressure: the darkest ink at 30-50%
        gain = rng.uniform(0.3, 0.5)
        return (np.asarray(img, np.float32) * gain).astype(np.uint8)
    if kind == "slanted":  # a strong slant either way (shear 0.3-0.45)
        sh = rng.uniform(0.3, 0.45) * rng.choice([-1, 1])
        return np.asarray(im.transform((28, 28), Image.AFFINE, (1, sh, -sh * 14, 0, 1, 0), Image.BILINEAR))
    if kind == "blurred":  # a photo out of focus
        return np.asarray(im.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 1.5))))
    raise ValueError(f"unknown check {kind!r}: choose one of {', '.join(SCAN_CHECKS)}")


def scan_checks(images: np.ndarray, labels: np.ndarray, n: int = 1000, seed: int = 0,
                kinds: tuple[str, ...] = SCAN_CHECKS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """kind -> (images (n, 28, 28) uint8, labels (n,)) from the first ``n`` of ``images`` (MNIST test
    digits: never trained on). Deterministic for a seed; each kind draws from its own generator."""
    images, labels = np.asarray(images[:n], np.uint8), np.asarray(labels[:n])
    out = {}
    for k, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, k])
        out[kind] = (np.stack([scan_check(kind, im, rng) for im in images]), labels.copy())
    return out

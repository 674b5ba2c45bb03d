"""Canvas drawing or uploaded picture -> an MNIST-like 28x28 digit, step by step.

MNIST itself was made this way: grey levels, the digit's bounding box scaled so its
longer side is 20 px (anti-aliased, aspect kept), then pasted into 28x28 with its
centre of mass at the centre. Every step is returned so the app can show it.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from struct import error as struct_error

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_core import MnistLabError
from mnist_core.data import MEAN, STD
from mnist_core.i18n import N_, _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # a phone photo fits; a disk image does not
MAX_PIXELS = 25_000_000              # decompression-bomb guard, checked before decoding
# Each side too: a 1 x 24,999,999 PNG is 121 KB and under the area cap, yet cost 840 MB to decode.
# 6,000 px is the long side of a 24-megapixel camera's photo (6000 x 4000); a phone's is 4,032. A
# digit needs about 20 px in the end, so no honest picture of one is larger.
MAX_SIDE = 6_000
WORK_SIDE = 1_024                    # decoded pictures are shrunk to this long side before any float work
INK_THRESHOLD = 0.2                  # of full brightness, after flipping to white-on-black
MIN_INK_PIXELS = 8


class ImageError(MnistLabError):
    """An upload that cannot be turned into a digit."""


@dataclass
class Steps:
    gray8: np.ndarray             # (H, W) uint8 grey, as received
    digit8: np.ndarray            # (H, W) uint8, bright digit on dark, background lifted to 0
    inverted: bool                # whether the polarity was flipped
    cropped: np.ndarray | None    # float 0..1: the ink's bounding box at full contrast
    resized: np.ndarray | None    # float 0..1: longer side 20 px
    centered: np.ndarray | None   # (28, 28) float 0..1, centre of mass at the centre
    empty: bool
    message: str = ""

    @property
    def original(self) -> np.ndarray:
        return self.gray8 / np.float32(255)

    @property
    def digit(self) -> np.ndarray:
        return self.digit8 / np.float32(255)

    def tensor(self) -> torch.Tensor:
        """(1, 1, 28, 28) normalised like the training data."""
        if self.centered is None:
            raise ImageError(self.message or _("nothing drawn"))
        return torch.from_numpy(((self.centered - MEAN) / STD).astype(np.float32))[None, None]

    def as_uint8(self) -> np.ndarray:
        return (self.centered * 255).round().astype(np.uint8)


def _too_large(name: str, w: int | None = None, h: int | None = None) -> ImageError:
    limits = dict(name=name, side=f"{MAX_SIDE:,}", mp=MAX_PIXELS // 1_000_000)
    if w is not None:
        return ImageError(_("{name}: {w} x {h} pixels is too large (at most {side} pixels a side and {mp} megapixels "
                            "in all)").format(w=f"{w:,}", h=f"{h:,}", **limits))
    return ImageError(_("{name}: the picture is too large (at most {side} pixels a side and {mp} megapixels "
                        "in all)").format(**limits))


def _header_size(raw: bytes) -> tuple[int | None, int | None]:
    """A PNG's width and height from its IHDR chunk (no decoding), for the too-large message."""
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR" and len(raw) >= 24:
        return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    return None, None


def _plain(im: Image.Image) -> Image.Image:
    """A mode that resamples smoothly (palette, 1-bit and 16-bit pictures would resample nearest or clip)."""
    if im.mode in ("L", "LA", "RGB", "RGBA"):
        return im
    return im.convert("RGBA" if "A" in im.getbands() or im.mode == "P" else "RGB")


def _box_reduce(im: Image.Image) -> Image.Image:
    """A box reduction of a large picture to at most 2 x WORK_SIDE, strip by strip, holding no second
    full-size copy (Pillow reduces an RGBA picture through a premultiplied copy of it: +100 MB for 25
    megapixels, measured). The same image when it is small enough already."""
    w, h = im.size
    factor = -(-max(w, h) // (2 * WORK_SIDE))
    if factor > 1:
        mode = "RGBA" if "A" in im.getbands() or im.mode == "P" else ("L" if im.mode in ("1", "L") else "RGB")
        out = Image.new(mode, (-(-w // factor), -(-h // factor)))
        rows = max(1, (4 << 20) // (w * 4 * factor)) * factor  # strips of about 4 MB
        for y in range(0, h, rows):
            strip = _plain(im.crop((0, y, w, min(h, y + rows)))).convert(mode)
            out.paste(strip.reduce(factor), (0, y // factor))
        out.info = dict(im.info)  # the EXIF orientation rides along
        return out
    return im


def _fit(im: Image.Image) -> Image.Image:
    """Long side at most WORK_SIDE, with LANCZOS over the last 2x or less (the ink's shape survives)."""
    if max(im.size) <= WORK_SIDE:
        return im
    im = _plain(im)
    f = WORK_SIDE / max(im.size)
    return im.resize((max(1, round(im.width * f)), max(1, round(im.height * f))), Image.Resampling.LANCZOS)


def decode_upload(raw: bytes, name: str = "upload") -> np.ndarray:
    """PNG or JPEG bytes -> (H, W, C) uint8 with its long side at most WORK_SIDE, refusing anything
    else or anything huge (each side and the area are checked before decoding). A JPEG is decoded
    at 1/2, 1/4 or 1/8 scale when that is still larger than WORK_SIDE (Pillow's ``draft``), so its
    full-size pixels are never held."""
    if not raw:
        raise ImageError(_("{name}: the file is empty").format(name=name))
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageError(_("{name}: {size} MB is over the {limit} MB limit").format(
            name=name, size=f"{len(raw) / 1e6:.1f}", limit=MAX_UPLOAD_BYTES // 2**20))
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        fmt = "PNG"
    elif raw[:3] == b"\xff\xd8\xff":
        fmt = "JPEG"
    else:
        raise ImageError(_("{name}: not a PNG or JPEG image (whatever its name says)").format(name=name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own caps come first
            with Image.open(io.BytesIO(raw), formats=[fmt]) as im:
                w, h = im.size
                if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
                    raise _too_large(name, w, h)
                if fmt == "JPEG" and max(w, h) > 2 * WORK_SIDE:
                    f = WORK_SIDE / max(w, h)
                    im.draft(im.mode, (math.ceil(w * f), math.ceil(h * f)))
                im.load()
                small = _box_reduce(im)
                if small is not im:
                    im.close()  # the full-size pixels go now, before the last resize needs memory
        small = ImageOps.exif_transpose(_fit(small))  # on the small copy: the EXIF rides along
        small = small.convert("RGBA") if "A" in small.getbands() or small.mode == "P" else small.convert("RGB")
        return np.asarray(small)
    except ImageError:
        raise
    except Image.DecompressionBombError:  # past Pillow's own cap (e.g. 30000 x 30000): refused at open
        raise _too_large(name, *_header_size(raw)) from None
    except UnidentifiedImageError:
        raise ImageError(_("{name}: corrupt or truncated {fmt} (its header cannot be read)").format(
            name=name, fmt=fmt)) from None
    except (OSError, ValueError, SyntaxError, struct_error, EOFError) as exc:
        words = str(exc).split(" <", 1)[0].strip()[:80] or type(exc).__name__  # never an object's repr
        raise ImageError(_("{name}: corrupt or truncated {fmt} ({words})").format(name=name, fmt=fmt, words=words)) \
            from None


def to_gray8(img: np.ndarray) -> np.ndarray:
    """Any (H, W), (H, W, 3) or (H, W, 4) array (uint8, or float 0..1) -> (H, W) uint8 grey.

    RGBA (a canvas): transparent pixels are background; strokes are laid over the
    background that contrasts with their colour, so any stroke colour works.
    """
    a = np.asarray(img)
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ImageError(_("expected a grey, RGB or RGBA image, got an array of shape {shape}").format(shape=a.shape))
    if a.dtype != np.uint8:
        a = np.asarray(a, dtype=np.float32)
        a = (a.clip(0, 1) * 255 if a.size and a.max() <= 1.0 else a.clip(0, 255)).round().astype(np.uint8)
    if a.ndim == 2:
        return a
    # PIL's C loop does the luma weights (ITU-R 601, as MNIST's scans) 8x faster than NumPy.
    g = np.asarray(Image.fromarray(a, "RGBA" if a.shape[2] == 4 else "RGB").convert("L"))
    if a.shape[2] == 4:
        alpha = a[..., 3]
        if alpha.min() < 255:
            af = alpha.astype(np.float32) / 255.0
            ink = g[alpha > 127]
            bg = 0.0 if (ink.mean() if ink.size else 255.0) > 127 else 255.0
            g = (g * af + bg * (1.0 - af)).round().astype(np.uint8)
    return g


_LEVELS = np.arange(256, dtype=np.float32)


def _lut(values: np.ndarray) -> list[int]:
    """A 256-entry lookup table for PIL's ``point`` from values computed on 0..255."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8).tolist()


SWITCHES = {"invert": N_("flip dark-on-light to light-on-dark"), "crop": N_("crop to the ink"),
            "scale": N_("scale the digit to 20 px"), "center": N_("centre of mass in the middle")}  # shown via _()


def preprocess(img, invert: bool = True, crop: bool = True, scale: bool = True, center: bool = True) -> Steps:
    """Canvas RGBA / upload RGB / grey array (or PIL image) -> MNIST-like steps.

    Works in uint8 with PIL's C loops until the 20 px digit: about 0.3 ms for a
    280x280 canvas, so a drawing is read as fast as the mouse lifts. Each step can be
    switched off (for a class to see why it is there): without ``invert`` a dark digit on
    light paper stays so; without ``crop`` the whole picture is the digit's box; without
    ``scale`` the digit keeps its size relative to the picture; without ``center`` it stays
    where it was drawn.
    """
    if not (invert and crop and scale and center):
        return _preprocess_switched(img, invert, crop, scale, center)
    if isinstance(img, Image.Image):
        img = np.asarray(img.convert("RGBA" if "A" in img.getbands() else "RGB"))
    gray = to_gray8(img)
    if gray.size == 0:
        raise ImageError(_("the image has no pixels"))
    # Polarity: the border is background; MNIST wants a bright digit on black.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    bg = int(np.median(border))
    inverted = bg > 127
    # One lookup table flips the polarity and lifts the paper's grey to black.
    if bg == 0:  # already white on black (the canvas): nothing to flip or lift
        digit = gray
    else:
        digit = np.asarray(Image.fromarray(gray).point(_lut(bg - _LEVELS if inverted else _LEVELS - bg)))
    top = int(digit.max())
    ink = digit > INK_THRESHOLD * top
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    if top < 0.15 * 255 or len(rows) * len(cols) < MIN_INK_PIXELS or np.count_nonzero(ink) < MIN_INK_PIXELS:
        return Steps(gray, digit, inverted, None, None, None, True, _("nothing drawn: the image is (nearly) empty"))
    crop = Image.fromarray(digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    if top < 255:
        crop = crop.point(_lut(_LEVELS * (255.0 / top)))  # full contrast, as MNIST's scans were
    w, h = crop.size
    scale = 20.0 / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    # reducing_gap: a cheap box reduction first, then LANCZOS over the last 3x (same look, 3x faster)
    resized = np.asarray(crop.resize((nw, nh), Image.Resampling.LANCZOS, reducing_gap=3.0),
                         dtype=np.float32) / 255.0
    canvas = np.zeros((28, 28), dtype=np.float32)
    total = float(resized.sum()) or 1.0
    cy = float((resized.sum(1) * np.arange(nh)).sum()) / total
    cx = float((resized.sum(0) * np.arange(nw)).sum()) / total
    top_ = int(np.clip(round(14.0 - cy), 0, 28 - nh))  # MNIST puts the centre of mass at (14, 14)
    left = int(np.clip(round(14.0 - cx), 0, 28 - nw))
    canvas[top_:top_ + nh, left:left + nw] = resized
    return Steps(gray, digit, inverted, np.asarray(crop, dtype=np.float32) / 255.0, resized, canvas, False)


def _preprocess_switched(img, invert, crop, scale, center) -> Steps:
    """The same recipe with some steps left out (slower, clearer; for teaching, not for speed)."""
    full = preprocess(img)  # where the ink is, found the normal way
    if full.empty:
        return full
    gray = full.gray8
    digit = full.digit8 if invert else gray
    H, W = gray.shape
    ink = full.digit8 > INK_THRESHOLD * int(full.digit8.max())
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    y0, y1, x0, x1 = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) if crop else (0, H, 0, W)
    box = Image.fromarray(digit[y0:y1, x0:x1])
    h, w = y1 - y0, x1 - x0
    factor = 20.0 / max(h, w) if scale else 28.0 / max(H, W)  # without scaling: the picture's size -> 28
    nw, nh = min(28, max(1, round(w * factor))), min(28, max(1, round(h * factor)))
    resized = np.asarray(box.resize((nw, nh), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    paper = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]))) / 255.0
    canvas = np.full((28, 28), 0.0 if invert else paper, dtype=np.float32)  # not flipped: the paper stays
    if center:
        total = float(resized.sum()) or 1.0
        cy = float((resized.sum(1) * np.arange(nh)).sum()) / total
        cx = float((resized.sum(0) * np.arange(nw)).sum()) / total
        top, left = round(14.0 - cy), round(14.0 - cx)
    else:  # where it was in the picture
        top, left = round(y0 * 28.0 / max(H, W)), round(x0 * 28.0 / max(H, W))
    top, left = int(np.clip(top, 0, 28 - nh)), int(np.clip(left, 0, 28 - nw))
    canvas[top:top + nh, left:left + nw] = resized
    return Steps(gray, digit, full.inverted and invert, np.asarray(box, dtype=np.float32) / 255.0, resized,
                 canvas.clip(0, 1), False)


def preprocess_upload(raw: bytes, name: str = "upload", **switches) -> Steps:
    return preprocess(decode_upload(raw, name), **switches)

"""Canvas drawing or uploaded picture -> an MNIST-like 28x28 digit, step by step.

MNIST itself was made this way: grey levels, the digit's bounding box scaled so its
longer side is 20 px (anti-aliased, aspect kept), then pasted into 28x28 with its
centre of mass at the centre. Every step is returned so the app can show it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from . import MnistLabError
from .data import MEAN, STD

MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # a phone photo fits; a disk image does not
MAX_PIXELS = 25_000_000              # decompression-bomb guard, checked before decoding
INK_THRESHOLD = 0.2                  # of full brightness, after flipping to white-on-black
MIN_INK_PIXELS = 8


class ImageError(MnistLabError):
    """An upload that cannot be turned into a digit."""


@dataclass
class Steps:
    original: np.ndarray          # (H, W) float 0..1 grey, as received
    digit: np.ndarray             # (H, W) float 0..1, bright digit on dark
    inverted: bool                # whether the polarity was flipped
    cropped: np.ndarray | None    # the ink's bounding box
    resized: np.ndarray | None    # longer side 20 px
    centered: np.ndarray | None   # (28, 28) float 0..1, centre of mass at the centre
    empty: bool
    message: str = ""

    def tensor(self) -> torch.Tensor:
        """(1, 1, 28, 28) normalised like the training data."""
        if self.centered is None:
            raise ImageError(self.message or "nothing drawn")
        return torch.from_numpy(((self.centered - MEAN) / STD).astype(np.float32))[None, None]

    def as_uint8(self) -> np.ndarray:
        return (self.centered * 255).round().astype(np.uint8)


def decode_upload(raw: bytes, name: str = "upload") -> np.ndarray:
    """PNG or JPEG bytes -> (H, W, C) uint8, refusing anything else or anything huge."""
    if not raw:
        raise ImageError(f"{name}: the file is empty")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageError(f"{name}: {len(raw) / 1e6:.1f} MB is over the {MAX_UPLOAD_BYTES // 2**20} MB limit")
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        fmt = "PNG"
    elif raw[:3] == b"\xff\xd8\xff":
        fmt = "JPEG"
    else:
        raise ImageError(f"{name}: not a PNG or JPEG image (whatever its name says)")
    try:
        with Image.open(io.BytesIO(raw), formats=[fmt]) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ImageError(f"{name}: {im.width}x{im.height} pixels is too large")
            im = ImageOps.exif_transpose(im)
            im.load()
            im = im.convert("RGBA") if "A" in im.getbands() or im.mode == "P" else im.convert("RGB")
            return np.asarray(im)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{name}: corrupt or truncated {fmt} ({str(exc)[:80]})") from None


def to_gray(img: np.ndarray) -> np.ndarray:
    """Any (H, W), (H, W, 3) or (H, W, 4) array -> (H, W) float 0..1.

    RGBA (a canvas): transparent pixels are background; strokes are laid over the
    background that contrasts with their colour, so any stroke colour works.
    """
    a = np.asarray(img)
    if a.ndim == 2:
        g = a.astype(np.float32)
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        rgb = a[..., :3].astype(np.float32)
        g = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        if a.shape[2] == 4:
            alpha = a[..., 3].astype(np.float32) / 255.0
            if alpha.min() < 1.0:
                ink = g[alpha > 0.5]
                bg = 0.0 if (ink.mean() if ink.size else 255.0) > 127 else 255.0
                g = g * alpha + bg * (1.0 - alpha)
    else:
        raise ImageError(f"expected a grey, RGB or RGBA image, got an array of shape {a.shape}")
    if a.dtype != np.uint8 and g.max() <= 1.0:
        return g.clip(0, 1)
    return (g / 255.0).clip(0, 1)


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    im = Image.fromarray((a * 255).astype(np.uint8))
    return np.asarray(im.resize((w, h), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0


def preprocess(img) -> Steps:
    """Canvas RGBA / upload RGB / grey array (or PIL image) -> MNIST-like steps."""
    if isinstance(img, Image.Image):
        img = np.asarray(img.convert("RGBA" if "A" in img.getbands() else "RGB"))
    gray = to_gray(img)
    if gray.size == 0:
        raise ImageError("the image has no pixels")
    # Polarity: the border is background; MNIST wants a bright digit on black.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = float(np.median(border)) > 0.5
    digit = 1.0 - gray if inverted else gray
    digit = np.clip(digit - float(np.median(border if not inverted else 1.0 - border)), 0, 1)  # lift off a grey paper
    ink = digit > INK_THRESHOLD * max(float(digit.max()), 1e-6)
    if digit.max() < 0.15 or ink.sum() < MIN_INK_PIXELS:
        return Steps(gray, digit, inverted, None, None, None, True, "nothing drawn: the image is (nearly) empty")
    ys, xs = np.nonzero(ink)
    cropped = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    cropped = cropped / cropped.max()  # full contrast, as MNIST's scans were
    h, w = cropped.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resized = _resize(cropped, nw, nh).clip(0, 1)
    canvas = np.zeros((28, 28), dtype=np.float32)
    total = resized.sum()
    cy = (resized.sum(1) * np.arange(nh)).sum() / total
    cx = (resized.sum(0) * np.arange(nw)).sum() / total
    top = int(np.clip(round(14.0 - cy), 0, 28 - nh))  # MNIST puts the centre of mass at (14, 14)
    left = int(np.clip(round(14.0 - cx), 0, 28 - nw))
    canvas[top:top + nh, left:left + nw] = resized
    return Steps(gray, digit, inverted, cropped, resized, canvas, False)


def preprocess_upload(raw: bytes, name: str = "upload") -> Steps:
    return preprocess(decode_upload(raw, name))

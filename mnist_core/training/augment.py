"""Data augmentation on normalised batches (B, 1, 28, 28): the distortions of other hands,
pens and scanners, drawn from a seeded generator."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mnist_core.data import MEAN, STD

# style -> (max turn in degrees, max relative scale change, max shift in px, max shear)
_AFFINE = {"affine": (10, 0.1, 2, 0.0), "handwriting": (15, 0.2, 3, 0.15), "scans": (15, 0.35, 3, 0.3),
           "photos": (15, 0.45, 3, 0.3)}


def stroke_thickness(x: torch.Tensor, gen: torch.Generator | None = None, thin3: bool = False) -> torch.Tensor:
    """Thicker or thinner strokes for some digits of a batch: other pens, other hands.

    Grey-level dilation (a 3x3 or 2x2 max) or erosion (a 2x2 min) on the normalised
    tensor, which keeps the order of grey levels. Of each batch: 20% 3x3-thick, 20%
    2x2-thick, 20% thin, 40% as they were. ``thin3`` (the "scans" style): 20% 3x3-thick,
    15% 2x2-thick, 15% 2x2-thin, 15% 3x3-thin (a hard pencil), 35% as they were.
    """
    b = x.shape[0]
    pick = torch.rand(b, generator=gen).to(x.device).view(b, 1, 1, 1)
    thick3 = F.max_pool2d(x, 3, 1, 1)
    thick2 = F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=float(x.min())), 2, 1)
    thin = -F.max_pool2d(F.pad(-x, (0, 1, 0, 1), value=float(-x.max())), 2, 1)
    if not thin3:
        return torch.where(pick < 0.2, thick3, torch.where(pick < 0.4, thick2, torch.where(pick < 0.6, thin, x)))
    thinner = -F.max_pool2d(-x, 3, 1, 1)  # 3x3 min; the padding max-pool adds is -inf, so edges keep theirs
    return torch.where(pick < 0.2, thick3, torch.where(pick < 0.35, thick2, torch.where(
        pick < 0.5, thin, torch.where(pick < 0.65, thinner, x))))


def soften(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """A 3x3 blur for a quarter of the batch: a photo of paper, a soft pencil, a resized scan."""
    b = x.shape[0]
    pick = torch.rand(b, generator=gen).to(x.device).view(b, 1, 1, 1) < 0.25
    k = torch.tensor([1.0, 2.0, 1.0], device=x.device)
    k = (k[:, None] * k[None, :] / 16).view(1, 1, 3, 3)  # (1, 1, 3, 3) binomial ~ Gaussian sigma 0.7
    bg = -MEAN / STD
    blurred = F.conv2d(x - bg, k.to(x.dtype), padding=1) + bg
    return torch.where(pick, blurred, x)


def pressure(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """Other pressures for a third of the batch: ink from faint (darkest stroke at 35%) to full, and a
    gamma from 0.5 to 2 that makes a stroke's edge hard or soft."""
    b = x.shape[0]
    u = torch.rand(b, 3, generator=gen).to(x.device)
    pick = (u[:, 0] < 1 / 3).view(b, 1, 1, 1)
    gain = (0.35 + 0.65 * u[:, 1]).view(b, 1, 1, 1)
    gamma = torch.exp((u[:, 2] * 2 - 1) * math.log(2)).view(b, 1, 1, 1)
    ink = (x * STD + MEAN).clamp(0, 1)
    pressed = ((ink ** gamma) * gain - MEAN) / STD
    return torch.where(pick, pressed, x)


def coarse_scan(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """A coarse, low-resolution scan resampled up to 28x28, for a third of the batch: the whole
    picture shrunk to 10-20 pixels a side (area average) and enlarged back (bilinear), one size per
    batch (a scanner's resolution)."""
    b = x.shape[0]
    u = torch.rand(b + 1, generator=gen)
    pick = (u[:b] < 1 / 3).to(x.device).view(b, 1, 1, 1)
    side = 10 + int(u[b] * 11)  # 10..20
    bg = -MEAN / STD
    small = F.interpolate(x - bg, size=(side, side), mode="area")
    back = F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False) + bg
    return torch.where(pick, back, x)


def paper_patch(x: torch.Tensor, gen: torch.Generator | None = None, share: float = 0.25) -> torch.Tensor:
    """A photo of uneven paper as the app's preprocessing leaves it, for a quarter of the batch: a
    faint, shaded, noisy rectangle (the paper's shadow, cropped with the digit) behind the digit.
    Each patch is 14-28 px a side, its grey 5-35% of the digit's brightest ink, shaded top to
    bottom by up to 15% either way, with sensor noise; the stroke keeps whichever is brighter."""
    b, _, h, w = x.shape
    u = torch.rand(b, 9, generator=gen).to(x.device)
    noise = torch.randn(x.shape, generator=gen).to(x.device)
    pick = (u[:, 0] < share).view(b, 1, 1, 1)
    side_y, side_x = 14 + u[:, 1] * (h - 14), 14 + u[:, 2] * (w - 14)
    top, left = (h - side_y) * u[:, 3], (w - side_x) * u[:, 4]
    ys = torch.arange(h, device=x.device).view(1, h, 1).float()
    xs = torch.arange(w, device=x.device).view(1, 1, w).float()
    inside = ((ys >= top.view(b, 1, 1)) & (ys < (top + side_y).view(b, 1, 1)) &
              (xs >= left.view(b, 1, 1)) & (xs < (left + side_x).view(b, 1, 1))).unsqueeze(1)  # (B, 1, H, W)
    shade = (ys - top.view(b, 1, 1)) / side_y.view(b, 1, 1) - 0.5  # -0.5 at the top .. 0.5 at the bottom
    grey = (0.05 + 0.3 * u[:, 5]).view(b, 1, 1) + 0.3 * (u[:, 6] - 0.5).view(b, 1, 1) * shade
    grey = grey.unsqueeze(1) + noise * (0.01 + 0.04 * u[:, 7]).view(b, 1, 1, 1)
    ink = (x * STD + MEAN).clamp(0, 1)
    grey = grey.clamp(0, 1) * ink.amax((1, 2, 3), keepdim=True)  # paper stays darker than this digit's ink
    papered = torch.maximum(ink, torch.where(inside, grey, torch.zeros_like(ink)))
    return torch.where(pick, (papered - MEAN) / STD, x)


def augment_batch(x: torch.Tensor, gen: torch.Generator | None = None, style: str = "affine") -> torch.Tensor:
    """Random affine distortions (turn, scale, shift, and for "handwriting" slant and stroke
    thickness), done on the normalised tensor (B, 1, 28, 28). "scans" goes further: digits written
    small or large (0.65x to 1.35x, a large one filling the frame as a scanned form's box does),
    stronger slant, strokes thinned 3x3 as a hard pencil writes, other pressures, and coarse scans
    resampled up to 28x28. "photos" adds to the scans a shaded, noisy patch of paper behind a quarter
    of the digits (a phone photo of a page, as the app's preprocessing crops it), and writes digits
    from half to 1.45x their size (a small digit on a form: 10 px of MNIST's 20)."""
    turn, zoom, shift, shear = _AFFINE[style]
    if style in ("handwriting", "scans", "photos"):
        x = soften(stroke_thickness(x, gen, thin3=style != "handwriting"), gen)
    if style in ("scans", "photos"):
        x = pressure(x, gen)
    b = x.shape[0]
    rnd = torch.rand(b, 5 if shear else 4, generator=gen).to(x.device) * 2 - 1  # (B, 4 or 5) in [-1, 1]
    angle = rnd[:, 0] * math.radians(turn)
    scale = 1 + rnd[:, 1] * zoom
    tx, ty = rnd[:, 2] * (shift / 14), rnd[:, 3] * (shift / 14)  # px of the [-1, 1] grid
    sh = rnd[:, 4] * shear if shear else 0.0
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + sh * cos, tx], 1),
                         torch.stack([sin, cos + sh * sin, ty], 1)], 1)  # (B, 2, 3): rotation @ shear
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    bg = -MEAN / STD  # the normalised value of a black pixel
    out = F.grid_sample(x - bg, grid, align_corners=False, padding_mode="zeros") + bg
    if style == "photos":  # the scans' distortions, then the paper's shadow around the digit
        return paper_patch(coarse_scan(out, gen), gen)
    return coarse_scan(out, gen) if style == "scans" else out

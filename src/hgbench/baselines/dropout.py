"""Dropout with the very masks of ``torch.nn.functional.dropout``, drawn faster on the CPU.

On the CPU, ``F.dropout(x, p)`` fills a tensor laid out like ``x`` with ``bernoulli_(1 - p)``: one
double-precision uniform per element, in memory order, kept where it is below ``1 - p``, then
divides the mask by ``1 - p`` and multiplies. ``bernoulli_`` draws element by element through a
serial kernel; ``uniform_`` draws the same uniforms from the generator (same values, same
consumption) about twice as fast, so comparing them with ``1 - p`` gives the same mask and leaves
the generator in the same state (``tests/test_dropout.py`` checks outputs, gradients and the next
draws bit for bit). On UniGCN's Cora input (2708 x 1433) that is most of an epoch.

Other devices use ``F.dropout`` itself (its fused kernel draws differently), as do ``p`` outside
``(0, 1)`` and evaluation mode, where it draws nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def draws_like_functional(x: Tensor, p: float, training: bool) -> bool:
    """True when :func:`keep_mask` reproduces ``F.dropout(x, p, training)``'s draws (CPU, ``0 < p < 1``)."""
    return training and 0.0 < p < 1.0 and x.device.type == "cpu" and x.numel() > 0


def keep_mask(x: Tensor, p: float) -> Tensor:
    """The boolean mask ``F.dropout(x, p, True)`` would keep on the CPU, consuming the same draws."""
    return torch.empty_like(x, dtype=torch.float64).uniform_() < 1.0 - p


def scale_kept(values: Tensor, keep: Tensor, p: float) -> Tensor:
    """``values * keep / (1 - p)`` with ``F.dropout``'s operations (mask cast, divided, multiplied)."""
    return values * keep.to(values.dtype).div_(1.0 - p)


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``F.dropout(x, p, training)``, bit for bit (outputs, gradients, generator state afterwards)."""
    if not draws_like_functional(x, p, training):
        return F.dropout(x, p, training)
    return scale_kept(x, keep_mask(x, p), p)

"""Graph-state vectors, the three threshold controllers and the fixed schedules (SPEC §2.1-2.2, §3).

* :class:`StateTracker` builds ``s_t`` (Eq. 8) for each level from detached quantities of past epochs;
* :class:`ThresholdController` maps it to ``theta_t = sigmoid(MLP(s_t))`` (Eqs. 7, 9), output bias 0
  so that ``theta_1 ~ 0.5``;
* :func:`scheduled_threshold` is Table 4's "w/o Neural Threshold" (exponential) and Figure 6's
  linear, cosine and step schedules, from ``theta_0 = 0.5`` to a given end point ([OD-20]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
from torch import Tensor

from .gates import MLP

LEVELS = ("comp", "edge", "node")
SCHEDULES = ("exp", "linear", "cosine", "step")
THETA_0 = 0.5
TREND_EPOCHS = 5  # Eq. 8's loss trend: mean loss of epoch t-5 minus that of epoch t-1


class ThresholdController(nn.Module):
    """``theta = sigmoid(MLP(s))``: 6 inputs, ``depth`` linear layers of ``width`` ([OD-26]), output bias 0."""

    def __init__(self, width: int = 32, depth: int = 2) -> None:
        super().__init__()
        self.mlp = MLP(6, width, depth)
        nn.init.zeros_(self.mlp.output.bias)

    def forward(self, state: Tensor) -> Tensor:
        return torch.sigmoid(self.mlp(state)).squeeze(-1)


@dataclass
class StateTracker:
    """Eq. 8's state per level, built at the start of each epoch ([OD-9] read as SPEC §2.1).

    Entries: the level's retention at the end of the previous epoch (1 at t = 1); mean and
    population std of the level's normalised scores; ``t/T``; the loss trend
    ``L(t-5) - L(t-1)`` of epoch-mean training losses (positive when improving; 0 for t <= 5); the
    mean pre-clip gradient norm of the previous epoch (0 at t = 1).
    """

    epochs: int
    retention: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEVELS, 1.0))
    epoch_losses: list[float] = field(default_factory=list)
    grad_norm: float = 0.0

    def trend(self) -> float:
        if len(self.epoch_losses) < TREND_EPOCHS:
            return 0.0
        return self.epoch_losses[-TREND_EPOCHS] - self.epoch_losses[-1]

    def state(self, level: str, scores: Tensor, epoch: int) -> Tensor:
        """``s_t`` of ``level`` given its normalised scores at the start of epoch ``epoch`` (1-based)."""
        scores = scores.detach().double()
        mean = float(scores.mean()) if scores.numel() else 0.0
        std = float(scores.std(unbiased=False)) if scores.numel() > 1 else 0.0
        return torch.tensor([self.retention[level], mean, std, epoch / self.epochs, self.trend(), self.grad_norm])

    def end_epoch(self, mean_loss: float, mean_grad_norm: float, retention: dict[str, float]) -> None:
        self.epoch_losses.append(mean_loss)
        self.grad_norm = mean_grad_norm
        self.retention = dict(retention)


def scheduled_threshold(kind: str, epoch: int, epochs: int, end: float, start: float = THETA_0) -> float:
    """SPEC §3 (Table 4, Fig. 6): the threshold at ``epoch`` (1-based) of a fixed schedule ending at ``end``.

    exp ``start e^{-lambda t}`` with ``lambda = ln(start/end)/T`` (negative when the end is above the
    start); linear; cosine; step (``start gamma^{floor(t/50)}`` for ``t < 150``, then ``end``, with
    ``gamma = (end/start)^{1/3}``).
    """
    if not 0 < end < 1:
        raise ValueError(f"a schedule's end threshold must lie in (0, 1), got {end}")
    if kind == "exp":
        return start * math.exp(-math.log(start / end) / epochs * epoch)
    if kind == "linear":
        return start + (end - start) * epoch / epochs
    if kind == "cosine":
        return end + (start - end) * (1 + math.cos(math.pi * epoch / epochs)) / 2
    if kind == "step":
        if epoch >= 150:
            return end
        return start * ((end / start) ** (1 / 3)) ** (epoch // 50)
    raise ValueError(f"unknown threshold schedule {kind!r}; valid: learned, {', '.join(SCHEDULES)}")

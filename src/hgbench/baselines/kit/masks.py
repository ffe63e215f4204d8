"""Learned masks (BASELINES.md §0.7 ``masks.py``): the straight-through step, the relaxed-Bernoulli (binary
Concrete) sampler and the hard-concrete sampler with its L0 expected-count term; HSL and AdaGLT use them.

Every random draw takes an explicit :class:`torch.Generator` (seeded from the run's seed by the caller), so
a run repeats exactly on CPU. Formulas:

* straight-through step: forward ``1[s > threshold]``, backward the identity in ``s`` (Bengio et al. 2013);
* binary step with a piecewise-linear surrogate (Dynamic Sparse Training, Liu et al. 2020; AdaGLT's weight
  tickets): forward ``1[x > 0]``, backward ``g * d(x)`` with ``d = 2 - 4|x|`` for ``|x| <= 0.4``, ``0.4`` for
  ``0.4 < |x| <= 1``, ``0`` beyond;
* relaxed Bernoulli / binary Concrete (Maddison et al. 2017; Jang et al. 2017): with ``u ~ U(0, 1)``,
  ``m = sigmoid((logit + log u - log(1 - u)) / tau)``; ``hard=True`` rounds it at 0.5 straight-through
  (HSL's sampler);
* hard concrete (Louizos et al. 2018): ``s = sigmoid((log u - log(1 - u) + log_alpha) / beta)``,
  ``z = clamp(s (zeta - gamma) + gamma, 0, 1)``; deterministic (evaluation) gate
  ``clamp(sigmoid(log_alpha) (zeta - gamma) + gamma, 0, 1)`` (HSL's code: ``sigmoid(log_alpha / beta)`` inside);
  the expected number of non-zero gates (the L0 term) ``sum sigmoid(log_alpha - beta log(-gamma / zeta))``.
  Defaults beta 2/3, gamma -0.1, zeta 1.1 (the paper's; HSL uses beta 0.6).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

BETA, GAMMA, ZETA = 2.0 / 3.0, -0.1, 1.1
EPS = 1e-6  # uniform draws are kept in [EPS, 1 - EPS] so that the logistic noise stays finite


def straight_through(soft: Tensor, threshold: float = 0.5) -> Tensor:
    """``1[soft > threshold]`` in the forward pass; the gradient flows to ``soft`` unchanged."""
    hard = (soft > threshold).to(soft.dtype)
    return hard + soft - soft.detach()


class _BinaryStep(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * binary_step_slope(x)


def binary_step_slope(x: Tensor) -> Tensor:
    """The surrogate derivative of :func:`binary_step` at ``x``."""
    a = x.abs()
    return torch.where(a <= 0.4, 2.0 - 4.0 * a, torch.where(a <= 1.0, torch.full_like(a, 0.4), torch.zeros_like(a)))


def binary_step(x: Tensor) -> Tensor:
    """``1[x > 0]`` with the piecewise-linear surrogate gradient above."""
    return _BinaryStep.apply(x)


def uniform(shape: torch.Size | tuple[int, ...], generator: torch.Generator, like: Tensor) -> Tensor:
    """``U(EPS, 1 - EPS)`` draws of ``shape`` from ``generator`` (on CPU, then moved to ``like``'s device)."""
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return u.clamp(EPS, 1.0 - EPS).to(device=like.device, dtype=like.dtype)


def logistic_noise(shape: torch.Size | tuple[int, ...], generator: torch.Generator, like: Tensor) -> Tensor:
    """``log u - log(1 - u)`` with ``u ~ U(0, 1)``."""
    u = uniform(shape, generator, like)
    return torch.log(u) - torch.log1p(-u)


def relaxed_bernoulli(logits: Tensor, temperature: float, generator: torch.Generator, hard: bool = False) -> Tensor:
    """A binary-Concrete sample ``sigmoid((logits + logistic noise) / temperature)``; ``hard``: rounded at 0.5
    straight-through."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    soft = torch.sigmoid((logits + logistic_noise(logits.shape, generator, logits)) / temperature)
    return straight_through(soft) if hard else soft


def hard_concrete(log_alpha: Tensor, generator: torch.Generator | None, beta: float = BETA, gamma: float = GAMMA,
                  zeta: float = ZETA, eval_beta: bool = False) -> Tensor:
    """A hard-concrete gate in [0, 1] per entry; ``generator=None`` gives the deterministic (evaluation) gate,
    ``sigmoid(log_alpha)`` stretched (Louizos et al.), or with ``eval_beta`` ``sigmoid(log_alpha / beta)`` stretched
    (HSL's released code)."""
    if generator is None:
        s = torch.sigmoid(log_alpha / beta if eval_beta else log_alpha)
    else:
        s = torch.sigmoid((logistic_noise(log_alpha.shape, generator, log_alpha) + log_alpha) / beta)
    return (s * (zeta - gamma) + gamma).clamp(0.0, 1.0)


def l0_expected(log_alpha: Tensor, beta: float = BETA, gamma: float = GAMMA, zeta: float = ZETA) -> Tensor:
    """The expected number of non-zero hard-concrete gates, ``sum P(z > 0)`` (Louizos et al. 2018, Eq. 12)."""
    return torch.sigmoid(log_alpha - beta * math.log(-gamma / zeta)).sum()

"""Meta-learned loss weights: inner step, meta-gradients and the simplex update (SPEC §2.14, Eqs. 28-34).

Parameters are a dict name -> tensor, as :func:`torch.func.functional_call` takes them. ``grads`` holds one
such dict per training loss, ``G_j = grad_Theta L_j(Theta)``. The inner step (Eq. 29) is one SGD step on
``L_total(.; lam) = sum_j lam_j L_j``, ``Theta*(lam) = Theta - eta * sum_j lam_j G_j``, which is linear in ``lam``,
so ``d L_val(Theta*(lam)) / d lam_i = -eta <grad L_val(Theta*(lam)), G_i>`` exactly [OD-13]. Three routes
compute it: central finite differences (Eq. 33, the default), that inner product, and autograd through the
unrolled step. Everything runs in the dtype of the given tensors (float64 on the default route [OD-11]).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Params = dict[str, Tensor]
ValLoss = Callable[[Params], Tensor]


def project_simplex(v: Tensor) -> Tensor:
    """Euclidean projection of a 1-D ``v`` onto the probability simplex (Eq. 34; Duchi et al. 2008).

    ``u`` = ``v`` sorted descending, ``rho = max{j : u_j - (sum_{r<=j} u_r - 1) / j > 0}``,
    ``theta = (sum_{r<=rho} u_r - 1) / rho``, result ``max(v - theta, 0)``.
    """
    if v.dim() != 1 or v.numel() == 0:
        raise ValueError(f"expected a non-empty 1-D tensor, got shape {tuple(v.shape)}")
    u = torch.sort(v, descending=True).values
    excess = u.cumsum(0) - 1
    j = torch.arange(1, v.numel() + 1, dtype=v.dtype, device=v.device)
    rho = int(torch.nonzero(u - excess / j > 0).max()) + 1  # j = 1 always qualifies
    return (v - excess[rho - 1] / rho).clamp_min(0)


def inner_step(params: Params, grads: list[Params], lam: Tensor, eta: float) -> Params:
    """``Theta*(lam) = Theta - eta * sum_j lam_j G_j`` (Eq. 29), differentiable in ``lam``."""
    if len(grads) != lam.numel():
        raise ValueError(f"{len(grads)} gradients for {lam.numel()} loss weights")
    return {name: p - eta * sum(lam[j] * g[name] for j, g in enumerate(grads)) for name, p in params.items()}


def fd_meta_gradient(val_loss: ValLoss, params: Params, grads: list[Params], lam: Tensor, eta: float,
                     delta: float) -> Tensor:
    """Central difference (Eq. 33): ``[L_val(Theta*(lam + delta e_i)) - L_val(Theta*(lam - delta e_i))] / 2 delta``.

    Takes ``2 len(lam)`` evaluations of ``val_loss``; ``val_loss`` must be deterministic (SPEC §2.14 step 1).
    """
    out = []
    with torch.no_grad():
        for i in range(lam.numel()):
            step = torch.zeros_like(lam)
            step[i] = delta
            plus = val_loss(inner_step(params, grads, lam + step, eta))
            minus = val_loss(inner_step(params, grads, lam - step, eta))
            out.append((plus - minus) / (2 * delta))
    return torch.stack(out)


def exact_meta_gradient(val_loss: ValLoss, params: Params, grads: list[Params], lam: Tensor, eta: float) -> Tensor:
    """``-eta <grad_Theta L_val(Theta*(lam)), G_i>`` for each ``i`` (one backward pass; SPEC §2.14, [OD-13]).

    Parameters that ``val_loss`` does not use (e.g. the contrastive heads) contribute zero.
    """
    with torch.no_grad():
        star = {name: p.detach().requires_grad_() for name, p in inner_step(params, grads, lam, eta).items()}
    loss = val_loss(star)
    val_grads = torch.autograd.grad(loss, list(star.values()), allow_unused=True)
    used = [(name, g) for name, g in zip(star, val_grads) if g is not None]
    return torch.stack([-eta * sum(((g * grad[name]).sum() for name, g in used), loss.new_zeros(()))
                        for grad in grads])


def autograd_meta_gradient(val_loss: ValLoss, params: Params, grads: list[Params], lam: Tensor,
                           eta: float) -> Tensor:
    """``d L_val(Theta*(lam)) / d lam`` by autograd through the unrolled inner step, ``lam`` a leaf (SPEC §2.14).

    ``G_j`` enter as constants, so no second-order graph (``create_graph``) is needed.
    """
    leaf = lam.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(val_loss(inner_step(params, grads, leaf, eta)), leaf)
    return grad


def meta_update(lam: Tensor, g: Tensor, eta_meta: float) -> Tensor:
    """``lam <- Proj_simplex(lam - eta_meta * g)`` (Eqs. 31, 34)."""
    return project_simplex(lam - eta_meta * g)

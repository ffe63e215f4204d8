"""Frozen transfer of the adaptive modules between datasets (Table 7, SPEC §3 T7 row, [OD-24]).

The source's three threshold controllers, MLP_beta, MLP_tau and the two mining attentions (their
``W``, ``w``, ``b``) are copied with its final lambda and frozen on the target: no gradient, no
meta-steps. What depends on the target's components or features (``Theta_k``, semantic attention,
self path, classifier, the context vectors ``c_k``) is initialised afresh and trained.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

TRANSFERABLE = ("controllers.", "scorer.", "temperature.", "mining.false_negative.", "mining.hard_negative.")
NOT_TRANSFERABLE = ("context",)  # c_k: one vector per component of the source


def _transferable(name: str) -> bool:
    return name.startswith(TRANSFERABLE) and not any(part in name.rsplit(".", 1)[-1] for part in NOT_TRANSFERABLE)


def transferable_state(model: nn.Module) -> dict[str, Tensor]:
    """The trained parameters that Table 7 moves to another dataset."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if _transferable(name)}


def apply_frozen(model: nn.Module, state: dict[str, Tensor]) -> None:
    """Load ``state`` into ``model``'s transferable parameters and freeze them (shapes must match)."""
    own = dict(model.named_parameters())
    missing = sorted(name for name in own if _transferable(name) and name not in state)
    if missing:
        raise ValueError(f"the source run lacks transferable parameters {missing[:5]} (another architecture?)")
    with torch.no_grad():
        for name, value in state.items():
            if name not in own:
                raise ValueError(f"the source's parameter {name!r} has no counterpart here (another variant?)")
            if own[name].shape != value.shape:
                raise ValueError(f"{name}: source shape {tuple(value.shape)} != target {tuple(own[name].shape)}")
            own[name].copy_(value)
            own[name].requires_grad_(False)

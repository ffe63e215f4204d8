"""Node-adaptive temperatures (SPEC §2.9, Eq. 19, [OD-18]).

``tau_i = tau_0 exp(clamp(MLP_tau([log(1 + deg_i), ||x_i||, s_bar_i]), -2.5, 2.5))`` with ``deg_i`` the
degree in the pruned graph and ``s_bar_i`` the neighbour similarity pooled over components. The
output layer starts at zero, so every ``tau_i = tau_0`` at the start; no direction in the degree
is imposed (the sign of Spearman(tau, deg) is a measured outcome, Fig. 3). ``adaptive=False`` is
Table 4's "w/o Adaptive Temperature": ``tau_i = tau_0`` and no MLP.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from .gates import MLP

TAU_0 = 0.5
CLAMP = 2.5


class Temperature(nn.Module):
    def __init__(self, adaptive: bool = True, width: int = 32, depth: int = 2, tau_0: float = TAU_0) -> None:
        super().__init__()
        self.tau_0 = tau_0
        self.mlp = MLP(3, width, depth) if adaptive else None
        if self.mlp is not None:
            nn.init.zeros_(self.mlp.output.weight)
            nn.init.zeros_(self.mlp.output.bias)

    def forward(self, degree: Tensor, feature_norm: Tensor, similarity: Tensor) -> Tensor:
        """``tau`` for the given nodes (1-D inputs of equal length)."""
        if self.mlp is None:
            return torch.full_like(feature_norm, self.tau_0)
        inputs = torch.stack([torch.log1p(degree), feature_norm, similarity], dim=1)
        return self.tau_0 * torch.exp(self.mlp(inputs).squeeze(1).clamp(-CLAMP, CLAMP))

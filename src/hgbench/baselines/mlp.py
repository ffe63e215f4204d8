"""The MLP block of the AllSet / ED-HNN codebases (set functions, classifiers).

Structure (``layers`` linear maps)::

    [input LayerNorm] -> (Linear -> ReLU -> LayerNorm -> Dropout) x (layers - 1) -> Linear

``input_norm`` adds the LayerNorm on the input (AllSet's ``InputNorm``); ``norm=False`` drops all
LayerNorms (AllSet's ``Normalization='None'``, used inside PMA's feed-forward block). With one
layer it is a (normalised) linear map. The input may be :class:`~.sparse_features.SparseFeatures`: the
input LayerNorm and first linear map then go through :func:`~.sparse_features.normalised_linear`.
"""

from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .dropout import dropout
from .sparse_features import SparseFeatures, linear, normalised_linear


class MLP(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int, layers: int, dropout: float = 0.0,
                 norm: bool = True, input_norm: bool = False) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"an MLP needs at least one layer, got {layers}")
        dims = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.input_norm = nn.LayerNorm(in_dim) if (norm and input_norm) else nn.Identity()
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) if norm else nn.Identity() for _ in range(layers - 1))
        self.dropout = dropout

    def forward(self, x: Tensor | SparseFeatures) -> Tensor:
        first, *rest = self.linears
        if isinstance(self.input_norm, nn.LayerNorm):
            x = normalised_linear(self.input_norm, first, x)
        else:
            x = linear(first, x)
        for layer, norm in zip(rest, self.norms):
            x = layer(dropout(norm(F.relu(x)), self.dropout, self.training))
        return x

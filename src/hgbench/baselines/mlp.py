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
        return self.after_first(self.first(x))

    def first(self, x: Tensor | SparseFeatures) -> Tensor:
        """The input LayerNorm (if any) and the first linear map."""
        if isinstance(self.input_norm, nn.LayerNorm):
            return normalised_linear(self.input_norm, self.linears[0], x)
        return linear(self.linears[0], x)

    def after_first(self, h: Tensor) -> Tensor:
        """The layers after the first linear map, on its output ``h``."""
        for layer, norm in zip(self.linears[1:], self.norms):
            h = layer(dropout(norm(F.relu(h)), self.dropout, self.training))
        return h

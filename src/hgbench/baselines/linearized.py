"""Linearised UniGCNII, AllDeepSets and ED-HNN: ZEN's Table 1 forms ``Y = P X W`` (Table 11).

ZEN §3.1 removes every non-linearity of an HNN and merges its weight matrices into one ``W``
(``d x c``), leaving ``Y = P X W`` with a parameter-free propagation ``P`` built from the incidence
matrix (Table 1; the layer-wise forms and the derivation are Appendix B, Table 7):

* lin UniGCNII: ``P = sum_{l=0}^{L-1} a (1 - a)^l A^l + (1 - a)^L A^L``, ``A = Dv^-1 H De~^-1 H^T``,
  ``(De~)_ee = d_e^-1 sum_{v in e} d_v`` (the mean degree of the members of ``e``, Appendix B);
* lin AllDeepSets: ``P = A^L``, ``A = Dv^-1 H De^-1 H^T``;
* lin ED-HNN: ``P = sum_{l=0}^{L-1} a (1 - a)^l A^l + (1 - a)^L A^L``, ``A = Dv^-1 H De^-1 H^T``.

``P X`` does not depend on the split, so it is computed once per dataset and configuration
(``prepare``) with the shared aggregation (``Hypergraph.v2e`` / ``e2v``: ``A x`` is
``e2v(v2e(x, "mean"), "mean")``, UniGCNII's ``e2v(v2e(x, "sum") / d~_e, "mean")``); ``W`` is then
trained by the shared trainer (cross-entropy, Adam), as the Table 11 baselines are trained models —
ZEN's own closed form for ``W`` (Eq. 4) is what ZEN adds, not part of these baselines.

Decisions (ZEN reports neither ``L`` nor ``a`` for these rows):
  * ``layers`` is ``L``, the number of layers of the HNN being linearised (``A_L``, Table 1);
    ``hidden`` does not exist after linearisation, so the grids drop it.
  * ``a = 0.5``: ED-HNN's ``--restart_alpha`` default, which its code uses for both UniGCNII and
    ED-HNN (our nonlinear ``unigcnii`` and ``edhnn`` use it too). Overridable (``alpha``).
  * ``W`` has no bias, as Table 1 writes it.
  * lin UniGCNII uses ``De~`` as Table 1 and Appendix B write it, although ED-HNN's (and our)
    nonlinear UniGCNII aggregates by means (``De``): Table 1 distinguishes the two on purpose.
    AllDeepSets sums where Table 1 averages (``De^-1``); Table 1 is followed.
  * Under a soft mask, degrees and aggregations are membership-weighted (shared ops).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Callable

from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power
from ..methods.trainer import grid
from .precomputed import FeatureTransformMethod

Step = Callable[[Tensor], Tensor]


def mean_step(hypergraph: Hypergraph) -> Step:
    """``x -> Dv^-1 H De^-1 H^T x`` (AllDeepSets and ED-HNN, Table 1)."""
    return lambda x: hypergraph.e2v(hypergraph.v2e(x, "mean"), "mean")


def unigcnii_step(hypergraph: Hypergraph) -> Step:
    """``x -> Dv^-1 H De~^-1 H^T x`` with ``De~`` the mean member degree (UniGCNII, Table 1)."""
    inverse_mean_degree = inverse_power(hypergraph.v2e(hypergraph.node_degree(), "mean"), 1.0).unsqueeze(1)
    return lambda x: hypergraph.e2v(inverse_mean_degree.to(x.dtype) * hypergraph.v2e(x, "sum"), "mean")


def power_propagation(step: Step, x: Tensor, layers: int) -> Tensor:
    """``A^L x``."""
    for _ in range(layers):
        x = step(x)
    return x


def restart_propagation(step: Step, x: Tensor, layers: int, alpha: float) -> Tensor:
    """``sum_{l=0}^{L-1} a (1 - a)^l A^l x + (1 - a)^L A^L x`` (initial-residual HNNs, Table 1)."""
    out, hop = alpha * x, x
    for l in range(1, layers + 1):
        hop = step(hop)
        out = out + (alpha * (1 - alpha) ** l if l < layers else (1 - alpha) ** layers) * hop
    return out


class LinearizedHNN(FeatureTransformMethod):
    """``Y = P X W``: ``P X`` precomputed (``prepare``), ``W`` (no bias) trained (see module doc)."""

    architecture = ("layers",)
    search_space = grid("full", architecture)
    defaults = {"bias": False, "alpha": 0.5}

    @abstractmethod
    def propagate(self, hypergraph: Hypergraph, x: Tensor, layers: int, alpha: float) -> Tensor:
        """``P x`` of the Table 1 form with ``L = layers``."""

    def prepare(self, data: NodeDataset, config: dict) -> Tensor:
        layers = int(config["layers"])
        if layers < 1:
            raise ValueError(f"{self.name}: layers (L of Table 1) must be >= 1, got {layers}")
        return self.propagate(data.hypergraph, data.features, layers, float(config["alpha"]))


class LinearizedUniGCNII(LinearizedHNN):
    """lin UniGCNII: initial-residual propagation of ``Dv^-1 H De~^-1 H^T`` (ZEN Table 1)."""

    name = "lin-unigcnii"
    label = "lin UniGCNII"
    description = "Linearised UniGCNII (ZEN Table 1): restart propagation of Dv^-1 H De~^-1 H^T, one W"

    def propagate(self, hypergraph: Hypergraph, x: Tensor, layers: int, alpha: float) -> Tensor:
        return restart_propagation(unigcnii_step(hypergraph), x, layers, alpha)


class LinearizedAllDeepSets(LinearizedHNN):
    """lin AllDeepSets: ``(Dv^-1 H De^-1 H^T)^L X W`` (ZEN Table 1)."""

    name = "lin-alldeepsets"
    label = "lin AllDeepSets"
    description = "Linearised AllDeepSets (ZEN Table 1): (Dv^-1 H De^-1 H^T)^L X W"

    def propagate(self, hypergraph: Hypergraph, x: Tensor, layers: int, alpha: float) -> Tensor:
        return power_propagation(mean_step(hypergraph), x, layers)


class LinearizedEDHNN(LinearizedHNN):
    """lin ED-HNN: initial-residual propagation of ``Dv^-1 H De^-1 H^T`` (ZEN Table 1)."""

    name = "lin-edhnn"
    label = "lin ED-HNN"
    description = "Linearised ED-HNN (ZEN Table 1): restart propagation of Dv^-1 H De^-1 H^T, one W"

    def propagate(self, hypergraph: Hypergraph, x: Tensor, layers: int, alpha: float) -> Tensor:
        return restart_propagation(mean_step(hypergraph), x, layers, alpha)

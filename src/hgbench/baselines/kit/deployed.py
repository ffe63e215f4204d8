"""What a deployed model keeps (BASELINES.md §0.6.4), recorded beside its measured time and memory.

``diagnostics["deployed"]`` of a Table 2 run: the incidences and hyperedges its forward reads, its
parameters (all, and non-zero: unstructured sparsity runs on dense kernels, so it is reported, never
claimed as a speed-up) and a FLOPs estimate of one forward over every node (multiply-adds counted twice).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import torch.nn as nn

from ...datasets.hypergraph import Hypergraph


@dataclass(frozen=True)
class Deployed:
    nnz: int  # incidences the deployed forward reads (0 for a structure-free model, an MLP student)
    edges: int
    parameters: int
    nonzero_parameters: int
    flops: float

    def diagnostics(self) -> dict[str, Any]:
        return {"deployed": asdict(self)}


def hgnn_flops(nnz: int, num_nodes: int, widths: Sequence[int], propagations: int = 2) -> float:
    """One forward of a stack of ``X' = P X W`` layers, ``widths = (d_in, h, ..., C)``: per layer the dense
    product (2 n d_in d_out) and ``propagations`` sparse passes over the incidences (2 nnz d_out each)."""
    return float(sum(2 * num_nodes * a * b + propagations * 2 * nnz * b for a, b in zip(widths[:-1], widths[1:])))


def describe(model: nn.Module, hypergraph: Hypergraph | None, flops: float) -> Deployed:
    """The deployed ``model`` on ``hypergraph`` (None: it reads no structure)."""
    parameters = [p.detach() for p in model.parameters()]
    return Deployed(nnz=hypergraph.nnz if hypergraph is not None else 0,
                    edges=hypergraph.num_edges if hypergraph is not None else 0,
                    parameters=sum(p.numel() for p in parameters),
                    nonzero_parameters=sum(int((p != 0).sum()) for p in parameters), flops=flops)

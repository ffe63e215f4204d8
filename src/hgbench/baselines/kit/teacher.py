"""The distillation rows' teacher: the trained HGNN row of the same split, read from the store.

BASELINES.md §0.3 and cards 12-14: the teacher is the ``tp-hgnn`` model (B-union HGNN) that Table 2's
HGNN row selected for the same dataset, split protocol and seed — among its configurations of the
budget ``teacher_budget`` (the distilling run's own budget), the one with the best validation metric
(MAE of the arg-max class for ordinal tasks, accuracy otherwise; the first in grid order on a tie),
exactly as the table selects it. Its weights are read from ``modules.pt`` and the model rebuilt; it is
never retrained, so the teacher's quality is the HGNN row's. A missing run raises
:class:`~hgbench.methods.base.MissingDependency` (the run is recorded ``failed``; run tp-hgnn first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
from torch import Tensor

from ...datasets.base import NodeDataset, Task
from ...datasets.splits import Split
from ...methods.base import MissingDependency, grid_points, stored_runs
from ..triprune_plain import TriPruneHGNN


@dataclass(frozen=True)
class Teacher:
    """The teacher's outputs on every node, its configuration, and the seconds it took to train."""

    logits: Tensor  # N x C
    hidden: Tensor  # N x h, the hidden layer after ReLU (the embedding DistillHGNN and SHARP-Distill align to)
    params: dict[str, Any]
    val_metric: float
    seconds: float  # prepare + fit of the teacher's run (part of the student's time to a deployed model)
    # the rebuilt network (eval mode), for a distiller that queries it on other inputs (LightHGNN+'s noisy features)
    model: nn.Module | None = field(default=None, repr=False, compare=False)

    def diagnostics(self) -> dict[str, Any]:
        return {"teacher": {"method": TriPruneHGNN.name, "params": self.params, "val_metric": self.val_metric,
                            "seconds": self.seconds}}


def _points(budget: str) -> list[dict[str, Any]]:
    grid = TriPruneHGNN().configurations(budget)
    return grid_points(grid)


def hgnn_teacher(data: NodeDataset, split: Split, seed: int, budget: str) -> Teacher:
    """The selected ``tp-hgnn`` run of ``(data, split.protocol, seed)`` at ``budget``, rebuilt from its weights."""
    method = TriPruneHGNN()
    runs, ordinal = stored_runs(), data.task is Task.ORDINAL
    best = None
    for point in _points(budget):
        params = {**method.settings(), **point}
        record = runs.record(method.name, params, data.name, split.protocol, seed)
        if record is None:
            raise MissingDependency(f"the teacher, tp-hgnn {point} on {data.name} ({split.protocol}, seed {seed}), "
                                    "is not stored; run the HGNN row first (bench run --suite triprune-main "
                                    "--methods tp-hgnn)")
        value = float(record["val"]["mae" if ordinal else "accuracy"])
        if best is None or (value < best[0] if ordinal else value > best[0]):
            best = (value, params, record)
    value, params, record = best
    state = runs.modules(method.name, params, data.name, split.protocol, seed)
    if state is None:
        raise MissingDependency(f"tp-hgnn {params} on {data.name} (seed {seed}) has no modules.pt (its weights); "
                                "rerun it with this version")
    model = method.build(data, params).to(data.features.device)
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        hidden = model.embed(data.features, data.hypergraph)
        logits = model.second(hidden, data.hypergraph)
    seconds = float(record.get("fit_seconds") or 0.0) + float(record.get("prepare_seconds") or 0.0)
    return Teacher(logits.detach(), hidden.detach(), params, value, seconds, model)

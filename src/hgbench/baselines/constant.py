"""``tp-constant`` — one class for every node, from the training labels alone: not a row of the paper.

The floor of Table 2: the training labels' median class on an ordinal task (the constant of least MAE,
the protocol's selection metric), the most frequent one on a nominal task (DBLP: the constant of highest
accuracy); the lower class on a tie. No features, no hypergraph, no training, so nothing to search or to
time (``profile_inference`` off: its efficiency columns stay empty).

A trained row whose test metrics equal this row's on the same split predicted one class on every test
node, and the notes of Table 2 count such runs (:mod:`hgbench.benchmarks.report.one_class`): with stratified
splits every seed's test set has the same class counts, so those runs give the same three numbers on
every seed.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset, Task
from ..datasets.splits import Split
from ..methods.base import Fitted, Method


def constant_class(labels: Tensor, num_classes: int, task: Task) -> int:
    """The training labels' lower median class (ordinal) or their most frequent class, the lower on a tie."""
    if task is Task.ORDINAL:
        return int(labels.median())  # torch's median of an even count is the lower of the two middle values
    return int(torch.bincount(labels, minlength=num_classes).argmax())  # argmax returns the first maximum


class Constant(Method):
    """Every node gets the training labels' median (ordinal) or most frequent (nominal) class."""

    name = "tp-constant"
    label = "Constant"
    description = "the training labels' median class (most frequent on DBLP) for every node (not a paper row)"
    defaults = {"profile_inference": False}

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        chosen = constant_class(data.labels[split.train], data.num_classes, data.task)
        scores = F.one_hot(torch.full((data.num_nodes,), chosen), data.num_classes).float()
        return Fitted(lambda: scores, {"constant_class": chosen, "num_parameters": 0})

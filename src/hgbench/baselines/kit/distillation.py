"""The fit the three distillation rows share (BASELINES.md cards 12-14): the teacher read from the store
(:mod:`.teacher`), a student trained by TriPrune's protocol with the distillation terms as an extra loss,
the student alone deployed."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Callable

import torch
import torch.nn as nn
from torch import Tensor

from ...datasets.base import NodeDataset
from ...datasets.splits import Split
from ...methods.base import Fitted, Method
from ...methods.protocol import Hooks
from .teacher import Teacher, hgnn_teacher
from .tuning import TriPruneTuning


class Distillation(TriPruneTuning, Method):
    """A distillation row (cards 12-14): the HGNN teacher read from the store, a student trained by TriPrune's
    protocol with the distillation terms as :meth:`~hgbench.methods.protocol.Hooks.extra_loss`.

    A subclass supplies :meth:`build` (a :class:`Student`, or a module whose ``student`` attribute is the
    deployed student and whose other parameters, e.g. an alignment map, serve the training losses only) and
    :meth:`distillation_hooks`. ``predict()`` runs the deployed student on the node features alone: no
    hypergraph, no teacher (BASELINES.md §0.6: for distillation only the student is timed). Diagnostics
    carry the teacher's (``teacher``, ``upstream_seconds``: the teacher run's prepare + fit seconds, part of
    the time to a deployed model) and ``num_parameters`` of the student alone.
    """

    reads_teacher = True
    defaults = {"profile_inference": True}

    @abstractmethod
    def build(self, data: NodeDataset, config: dict, prepared: Any, teacher: Teacher) -> nn.Module:
        """The trained module: called as ``module(features, hypergraph) -> logits``; ``module.student`` is deployed."""

    @abstractmethod
    def distillation_hooks(self, data: NodeDataset, split: Split, config: dict, seed: int, teacher: Teacher,
                           prepared: Any) -> Hooks:
        """The extra loss (KD, contrast) added to the protocol's cross-entropy at every step."""

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        if prepared is None:
            prepared = self.prepare(data, config)
        teacher = hgnn_teacher(data, split, seed, str(config["teacher_budget"]))
        hooks = self.distillation_hooks(data, split, config, seed, teacher, prepared)
        training = self.protocol.train(lambda: self.build(data, config, prepared, teacher), data, split, config,
                                           seed, hooks, phase="student")
        student = training.model.student
        student.eval()
        features = data.features

        def predict() -> Tensor:
            with torch.no_grad():
                return student(features).float()

        diagnostics = {**training.diagnostics, "num_parameters": sum(p.numel() for p in student.parameters()),
                       **teacher.diagnostics(), "upstream_seconds": teacher.seconds, **self.extra_diagnostics(prepared)}
        return Fitted(predict, diagnostics, trace=training.trace, state=student.state_dict(),
                      predict_on=self.predict_on(student))

    def extra_diagnostics(self, prepared: Any) -> dict[str, Any]:
        return {}

    def predict_on(self, student: nn.Module) -> Callable[[NodeDataset], Tensor] | None:
        """Scoring another dataset (transfer jobs): only a structure-free student can; ``None`` otherwise."""
        return None

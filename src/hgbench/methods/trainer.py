"""Trained methods: a baseline supplies a network, its protocol (methods/protocol.py) trains it.

A baseline subclasses :class:`TrainedMethod` and supplies only ``build(data, config)``, returning a
``torch.nn.Module`` called as ``model(features, hypergraph) -> logits`` (``N x C``); its class
attribute ``protocol`` says how it is trained (default: ZEN's, below; TriPrune's baselines declare
``TriPruneProtocol``), and ``hooks()`` may add an extra loss or trace columns. ZEN's protocol
(ZEN §4.1, "Baselines and hyperparameters"), identical for every model:

* full-batch training, Adam with **no weight decay**, cross-entropy on the training nodes;
* seeded: ``torch.manual_seed(seed)`` right before ``build`` (initialisation and dropout masks are a
  function of the seed alone; the caller's global RNG state is restored afterwards);
* after every optimisation step the model is evaluated (``eval()`` mode, no dropout) on the
  validation nodes; model selection uses the validation metric **only** (accuracy; for ordinal
  tasks the MAE of the arg-max class). Test labels are never read: ``predict()`` returns scores for
  all nodes and the runner computes test metrics;
* ties: an epoch that only equals the best validation score so far does not replace it (the first
  maximum); ``selection_ties = "last"`` (a default or a configuration key) keeps the last one
  instead, and then also prefers the larger ``E`` among tied checkpoints. With a few validation
  nodes per class the score saturates early, and the rule decides how long the model trains;
* a non-finite training loss raises :class:`Diverged`; :func:`check_deadline` is called once per
  epoch (raises :class:`TimedOut`).

Epochs as checkpoints
---------------------
ZEN's grid is ``lr x epochs x layers x hidden`` with ``epochs in {50, 100, 150, 200}`` (72 points).
As in the ED-HNN codebase the baselines come from, a run with ``epochs = E`` reports the epoch of
best validation accuracy among its ``E`` epochs. Here a configuration is ``(lr, layers, hidden)``
plus ``epochs`` (the largest E, 200) and ``epoch_step`` (50): one run trains ``epochs`` epochs and,
for every checkpoint ``E in {50, 100, 150, 200}``, records the epoch selected within the first
``E`` epochs (best validation score, first maximum), keeping a copy of the model state of that
epoch (copied whenever validation strictly improves). Among the checkpoints the best validation
score wins, ties going to the smaller ``E``; ``predict()`` uses that state.

Why this is the 72-point grid: a run of ``E`` epochs with seed ``s`` is exactly the first ``E``
epochs of the run of 200 epochs with seed ``s`` — the model is initialised and every dropout mask
drawn from the same seeded RNG in the same order, Adam's state depends only on past steps, and
evaluation consumes no randomness — so the epoch the separate ``E``-epoch run would select is the
one recorded at checkpoint ``E`` (``tests/test_baselines.py`` checks this by brute force). The
selection over ``epochs`` therefore coincides with the grid's whenever the grid breaks ties by first
occurrence with ``epochs`` enumerated innermost and ascending: the grid's first maximum is at the
first ``(lr, layers, hidden)`` reaching the best score — the runner's first maximum over our
configurations — and, within it, at the smallest ``E`` reaching it — our checkpoint tie rule.
(Checkpoints that tie select the very same epoch: the running first maximum cannot change without
a strict improvement, so the tie rule only decides which ``E`` is reported.) Bit-for-bit equality
needs deterministic kernels (CPU; on GPU ``index_add_`` uses atomics).

Budgets (:meth:`TrainedMethod.configurations`):

* ``full``: the paper's grid, lr {1e-2, 1e-3, 1e-4} x layers {1, 2} x hidden {64, 128, 256}, 200
  epochs with checkpoints every 50 (18 runs standing for the 72 points);
* ``reduced``: lr {1e-2, 1e-3} x layers {1, 2} x hidden {64}, same epochs (4 runs standing for 16
  points): drops the slowest learning rate (which rarely converges in 200 epochs) and the wide models;
* ``smoke``: one configuration (lr 1e-2, 2 layers, hidden 64), 20 epochs with checkpoints at 10 and 20.

Two hooks for models that are not a plain network on the raw features:

* a model that transforms the node features before training (SGC's propagated features, computed
  once per dataset in ``prepare``; HyperND's diffusion of the training labels) overrides
  :meth:`TrainedMethod.training_data`; the model is built for, and trained on, what it returns;
* a model whose architecture does not read ``hidden`` (or ``layers``) declares the shared keys it
  reads in ``architecture``; its grids drop the others, so no two configurations build one model.

Model-specific defaults (dropout, heads, ...) follow the official code of each model and are
documented in the baseline's docstring. A baseline declares them in ``defaults`` (merged along the
class hierarchy, :class:`~hgbench.methods.base.Method`); they are part of every job's ``params``, so
of its key, and of its record. :meth:`TrainedMethod.fit` merges them into the run's ``config``
(a configuration key overrides a default), and ``prepare``, ``training_data``, ``build`` and
``hooks`` read every hyperparameter from that ``config``, never from attributes.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import torch
import torch.nn as nn
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.splits import Split
from .base import Fitted, Method
from .protocol import ZEN_PROTOCOL, Hooks, Protocol

FULL_GRID: dict[str, list] = {
    "lr": [1e-2, 1e-3, 1e-4], "layers": [1, 2], "hidden": [64, 128, 256], "epochs": [200], "epoch_step": [50],
}
REDUCED_GRID: dict[str, list] = {
    "lr": [1e-2, 1e-3], "layers": [1, 2], "hidden": [64], "epochs": [200], "epoch_step": [50],
}
SMOKE_GRID: dict[str, list] = {
    "lr": [1e-2], "layers": [2], "hidden": [64], "epochs": [20], "epoch_step": [10],
}
GRIDS = {"full": FULL_GRID, "reduced": REDUCED_GRID, "smoke": SMOKE_GRID}
ARCHITECTURE_KEYS = ("layers", "hidden")


def grid(budget: str, architecture: tuple[str, ...] = ARCHITECTURE_KEYS) -> dict[str, list]:
    """The shared grid of ``budget`` without the architecture keys a model does not read."""
    return {key: list(values) for key, values in GRIDS[budget].items()
            if key not in ARCHITECTURE_KEYS or key in architecture}


class TrainedMethod(Method):
    """A neural baseline trained by the shared protocol; subclasses implement :meth:`build` only."""

    search_space = FULL_GRID
    architecture: ClassVar[tuple[str, ...]] = ARCHITECTURE_KEYS  # the shared keys the model reads
    # selection_ties "last": a later epoch that ties the best validation score wins
    defaults = {"selection_ties": "first"}
    protocol: ClassVar[Protocol] = ZEN_PROTOCOL  # how the model is trained and selected (methods/protocol.py)

    def configurations(self, budget: str = "full") -> dict[str, list]:
        super().configurations(budget)  # validates the budget name
        return grid(budget, self.architecture)

    @abstractmethod
    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        """The model for ``data`` under ``config`` (defaults merged): ``model(features, hypergraph) -> N x C logits``."""

    def training_data(self, data: NodeDataset, split: Split, config: dict, prepared: Any) -> NodeDataset:
        """The dataset the model is built for and trained on (``prepared`` is :meth:`prepare`'s result).

        ``data`` itself by default; a model with a feature transform returns ``data`` with new
        features. It may read the labels of ``split.train``, never those of other nodes.
        """
        return data

    def hooks(self, data: NodeDataset, split: Split, config: dict) -> Hooks:
        """The protocol's extension points for this run (an extra loss, trace columns); none by default."""
        return Hooks()

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        for key in ("lr", *self.architecture):
            if key not in config:
                raise KeyError(f"{self.name}: configuration lacks {key!r} (got {sorted(config)})")
        config = self.hyperparameters(config)
        if prepared is None:
            prepared = self.prepare(data, config)
        data = self.training_data(data, split, config, prepared)
        training = self.protocol.train(lambda: self.build(data, config), data, split, config, seed,
                                       self.hooks(data, split, config))
        model = training.model

        def predict_on(other: NodeDataset) -> Tensor:
            with torch.no_grad():
                return model(other.features, other.hypergraph).float()

        return Fitted(lambda: predict_on(data), training.diagnostics,
                      trace=training.trace if self.protocol.keep_trace else None, state=model.state_dict(),
                      predict_on=predict_on)

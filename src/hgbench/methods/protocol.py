"""Training protocols as objects, and the pieces every training loop shares.

A :class:`Protocol` trains one model (``build()`` returns it, called under the run's seed) on a
split and returns a :class:`Training`: the model with its selected state loaded, its diagnostics
and its per-epoch trace. A trained method declares the protocol it follows
(``TrainedMethod.protocol``); the runner never knows which.

* :class:`ZenProtocol`: ZEN §4.1 (full batch, Adam without weight decay, epochs as checkpoints);
  the loop the ZEN baselines always ran, unchanged.
* :class:`TriPruneProtocol`: TriPrune §4 / SPEC.md §2.15 / BASELINES.md §0.4 (Adam with weight
  decay, at most 200 epochs, mini-batches of 512 labelled nodes, early stopping on the validation
  metric with patience 20).

:class:`Hooks` are the extension points (an extra loss per step, a callback after each step,
extra trace columns after each epoch). A method with a loop of its own (bi-level meta-learning,
mask search then retraining, teacher then student) calls a protocol once per phase, or reuses the
shared pieces directly: :func:`seeded`, :func:`check_finite`, :class:`Selector`, and
:func:`~hgbench.methods.base.check_deadline` for time limits. Model selection reads the validation
nodes only; test labels are never read here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset, Task
from ..datasets.splits import Split
from .base import Diverged, check_deadline


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block under ``torch.manual_seed(seed)``, restoring the caller's RNG state afterwards."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield


def check_finite(loss: Tensor, epoch: int) -> None:
    """Raise :class:`Diverged` when the training loss is not finite (the run is recorded ``failed``)."""
    if not torch.isfinite(loss):
        raise Diverged(f"loss became {float(loss.detach())} at epoch {epoch}")


def validation_score(logits: Tensor, labels: Tensor, task: Task) -> tuple[float, float]:
    """(score to maximise, metric to report) of ``logits`` against ``labels``.

    Accuracy for classification; for ordinal tasks the MAE of the arg-max class (score = -MAE).
    """
    predicted = logits.argmax(-1)
    if task is Task.ORDINAL:
        mae = float((predicted - labels).abs().double().mean())
        return -mae, mae
    accuracy = float((predicted == labels).double().mean())
    return accuracy, accuracy


class Selector:
    """The best validation score so far and a copy of the model state that reached it.

    ``ties="first"`` keeps the first epoch reaching the best score; ``"last"`` lets a later epoch that
    equals it replace it.
    """

    def __init__(self, ties: str = "first") -> None:
        if ties not in ("first", "last"):
            raise ValueError(f"selection_ties must be 'first' or 'last', got {ties!r}")
        self.ties = ties
        self.score, self.metric, self.epoch, self.state = float("-inf"), None, 0, None

    def update(self, score: float, metric: float | None, epoch: int, model: nn.Module) -> bool:
        """Keep ``model``'s state if ``score`` improves on the best; True when it did."""
        if score > self.score or (self.ties == "last" and score == self.score):
            self.score, self.metric, self.epoch = score, metric, epoch
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return True
        return False


class Hooks:
    """Extension points of a protocol's loop; every one is a no-op here."""

    def extra_loss(self, model: nn.Module, logits: Tensor, batch: Tensor, epoch: int) -> Tensor | None:
        """A term added to the supervised loss of this step (``batch``: the labelled nodes it uses)."""
        return None

    def after_step(self, model: nn.Module, epoch: int, step: int) -> None:
        """Called after each optimiser step."""

    def after_epoch(self, model: nn.Module, epoch: int) -> dict[str, float]:
        """Extra columns for this epoch's trace row."""
        return {}


@dataclass
class Training:
    """A trained model (selected state loaded, eval mode), its diagnostics and its per-epoch trace."""

    model: nn.Module
    diagnostics: dict[str, Any]
    trace: list[dict[str, Any]] = field(default_factory=list)


Build = Callable[[], nn.Module]


class Protocol(ABC):
    """How a model is trained and selected; ``name`` is recorded in every run's diagnostics."""

    name: ClassVar[str]
    keep_trace: ClassVar[bool] = False  # store the per-epoch trace as a run artifact

    def grid(self, search_space: dict[str, list]) -> dict[str, list]:
        """The method's search space with the protocol's fixed keys added (they are part of a job's params)."""
        return search_space

    @abstractmethod
    def train(self, build: Build, data: NodeDataset, split: Split, config: dict, seed: int,
              hooks: Hooks | None = None, phase: str = "train") -> Training:
        """Train ``build()`` on ``split.train``, select on ``split.val`` only."""


def _logits(model: nn.Module, data: NodeDataset) -> Tensor:
    return model(data.features, data.hypergraph)


DEFAULT_EPOCHS, DEFAULT_EPOCH_STEP = 200, 50


def checkpoint_epochs(epochs: int, step: int) -> list[int]:
    """``step, 2 step, ...`` up to ``epochs``, always ending with ``epochs``."""
    if epochs < 1 or step < 1:
        raise ValueError(f"epochs and epoch_step must be positive, got {epochs} and {step}")
    points = list(range(step, epochs + 1, step))
    if not points or points[-1] != epochs:
        points.append(epochs)
    return points


class ZenProtocol(Protocol):
    """ZEN §4.1: full batch, Adam without weight decay, cross-entropy on the training nodes, the model
    evaluated after every step; ``epochs`` trained with checkpoints every ``epoch_step`` (see
    :mod:`hgbench.methods.trainer` for why this is the paper's grid over epochs)."""

    name = "zen"

    def train(self, build: Build, data: NodeDataset, split: Split, config: dict, seed: int,
              hooks: Hooks | None = None, phase: str = "train") -> Training:
        hooks = hooks or Hooks()
        ties = config.get("selection_ties", "first")
        epochs = int(config.get("epochs", DEFAULT_EPOCHS))
        points = checkpoint_epochs(epochs, int(config.get("epoch_step", DEFAULT_EPOCH_STEP)))
        train, val, labels = split.train, split.val, data.labels
        y_train, y_val = labels[train], labels[val]
        has_val = val.numel() > 0
        selector = Selector(ties)
        trace = []
        with seeded(seed):
            model = build().to(data.features.device)  # the runner puts the data on its device
            optimizer = torch.optim.Adam(model.parameters(), lr=float(config["lr"]), weight_decay=0.0)
            at_checkpoint: dict[int, tuple[float, float | None, int, dict]] = {}
            for epoch in range(1, epochs + 1):
                check_deadline()
                model.train()
                optimizer.zero_grad(set_to_none=True)
                logits = _logits(model, data)
                loss = F.cross_entropy(logits[train], y_train)
                extra = hooks.extra_loss(model, logits, train, epoch)
                if extra is not None:
                    loss = loss + extra
                check_finite(loss, epoch)
                loss.backward()
                optimizer.step()
                hooks.after_step(model, epoch, 1)

                model.eval()
                with torch.no_grad():
                    logits = _logits(model, data)
                # Without validation nodes every epoch "improves": each checkpoint keeps its last epoch.
                score, metric = validation_score(logits[val], y_val, data.task) if has_val else (epoch, None)
                selector.update(score, metric, epoch, model)
                if epoch in points:
                    at_checkpoint[epoch] = (selector.score, selector.metric, selector.epoch, selector.state)
                extras = hooks.after_epoch(model, epoch)
                if self.keep_trace or extras:
                    trace.append({"phase": phase, "epoch": epoch, "train_loss": float(loss.detach()),
                                  "val_metric": metric, **extras})

        # Best checkpoint on validation; max() keeps the first of equal scores: the smallest E, or the
        # largest under "last" ties.
        chosen = max(points[::-1] if ties == "last" else points, key=lambda e: at_checkpoint[e][0])
        _, chosen_metric, chosen_epoch, chosen_state = at_checkpoint[chosen]
        model.load_state_dict(chosen_state)
        model.eval()
        diagnostics = {
            "selected_epoch": chosen_epoch,
            "selected_checkpoint": chosen,
            "val_metric": data.task.selection_metric if has_val else None,
            "val_selected": chosen_metric,
            "val_by_checkpoint": {str(e): at_checkpoint[e][1] for e in points},
            "epoch_by_checkpoint": {str(e): at_checkpoint[e][2] for e in points},
            "final_train_loss": float(loss.detach()),
            "epochs_trained": epochs,
            "num_parameters": sum(p.numel() for p in model.parameters()),
        }
        return Training(model, diagnostics, trace)


STOP_ON = ("metric", "ce")  # what TriPruneProtocol selects the epoch and stops on (validation)


@dataclass(frozen=True)
class TriPruneProtocol(Protocol):
    """TriPrune §4, SPEC.md §2.15 and BASELINES.md §0.4, for TriPrune and its baselines.

    Adam (``lr`` from the grid, ``weight_decay`` 5e-4), at most ``epochs`` = 200 epochs, each a pass
    over the training nodes in shuffled mini-batches of ``batch_size`` = 512 (every step a
    full-graph forward and the cross-entropy of one batch: the paper's "batch size 512" read as
    the labelled nodes per step, SPEC [OD-10]); after every epoch the model is evaluated on the
    validation nodes and the best epoch kept (MAE of the arg-max class for ordinal tasks, accuracy
    otherwise, first maximum); training stops when ``patience`` = 20 epochs pass without a strict
    improvement. ``grad_clip`` (global norm; SPEC gives 10 for TriPrune itself) is off for
    baselines. Every key is a grid key, so it is part of a job's params and of its key.

    ``stop_on = "ce"`` (not a default: only the probes that set it carry it in their params) selects the
    epoch and stops on the validation cross-entropy instead, as TriPrune itself does (SPEC [OD-22]): the
    arg-max metric stays flat while a model still predicts one class, so patience can run out while the
    cross-entropy is still falling (docs/triprune_baselines.md, "Constant").
    """

    name: ClassVar[str] = "triprune"
    keep_trace: ClassVar[bool] = True
    defaults: ClassVar[dict[str, Any]] = {"weight_decay": 5e-4, "epochs": 200, "patience": 20, "batch_size": 512}

    def grid(self, search_space: dict[str, list]) -> dict[str, list]:
        return {**{key: [value] for key, value in self.defaults.items()}, **search_space}

    def train(self, build: Build, data: NodeDataset, split: Split, config: dict, seed: int,
              hooks: Hooks | None = None, phase: str = "train") -> Training:
        hooks = hooks or Hooks()
        settings = {**self.defaults, **config}
        epochs, patience, batch_size = int(settings["epochs"]), int(settings["patience"]), int(settings["batch_size"])
        clip = settings.get("grad_clip")
        stop_on = settings.get("stop_on", "metric")
        if stop_on not in STOP_ON:
            raise ValueError(f"stop_on must be one of {STOP_ON}, got {stop_on!r}")
        train, val, labels = split.train, split.val, data.labels
        selector = Selector("first")
        trace = []
        with seeded(seed):
            model = build().to(data.features.device)  # the runner puts the data on its device
            optimizer = torch.optim.Adam(model.parameters(), lr=float(settings["lr"]),
                                         weight_decay=float(settings["weight_decay"]))
            order = torch.Generator().manual_seed(seed)
            for epoch in range(1, epochs + 1):
                check_deadline()
                model.train()
                losses = []
                for step, batch in enumerate(train[torch.randperm(train.numel(), generator=order)].split(batch_size)):
                    optimizer.zero_grad(set_to_none=True)
                    logits = _logits(model, data)
                    loss = F.cross_entropy(logits[batch], labels[batch])
                    extra = hooks.extra_loss(model, logits, batch, epoch)
                    if extra is not None:
                        loss = loss + extra
                    check_finite(loss, epoch)
                    loss.backward()
                    if clip:
                        nn.utils.clip_grad_norm_(model.parameters(), float(clip))
                    optimizer.step()
                    hooks.after_step(model, epoch, step + 1)
                    losses.append(float(loss.detach()))
                model.eval()
                with torch.no_grad():
                    logits = _logits(model, data)[val]
                score, metric = validation_score(logits, labels[val], data.task)
                ce = float(F.cross_entropy(logits, labels[val]))
                selector.update(-ce if stop_on == "ce" else score, metric, epoch, model)
                trace.append({"phase": phase, "epoch": epoch, "train_loss": sum(losses) / len(losses),
                              "val_ce": ce, "val_metric": metric, **hooks.after_epoch(model, epoch)})
                if epoch - selector.epoch >= patience:
                    break
        model.load_state_dict(selector.state)
        model.eval()
        diagnostics = {
            "protocol": self.name, "selected_epoch": selector.epoch, "epochs_trained": epoch,
            "stopped_early": epoch < epochs, "val_metric": data.task.selection_metric, "val_selected": selector.metric,
            "stop_on": stop_on,
            "steps_per_epoch": -(-train.numel() // batch_size), "final_train_loss": trace[-1]["train_loss"],
            "num_parameters": sum(p.numel() for p in model.parameters()),
        }
        return Training(model, diagnostics, trace)


ZEN_PROTOCOL = ZenProtocol()
TRIPRUNE_PROTOCOL = TriPruneProtocol()

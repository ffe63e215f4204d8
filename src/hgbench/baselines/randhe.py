"""``randhe`` — RandHE@r, random hyperedge removal at TriPrune's retention: the control row that BASELINES.md
card 6 recommends beside HSC (its option B, "as TriPrune describes it"). Not a row of the paper
(``paper_label`` None): it is never reported under "HSC".

What it measures: how much of TriPrune's accuracy at a given structural budget a structure-blind removal
keeps. A uniformly random fraction ``1 - r`` of the hyperedges is removed once, stratified per context
(``ceil(r m_k)`` hyperedges kept in context k, at least one), before training; the B-union HGNN of
``tp-hgnn`` (two symmetric HGNN convolutions, hidden 64) is trained on what is left under TriPrune's
protocol and deployed on it. A fixed removal, not per-epoch DropEdge-style dropout (which saves nothing at
inference; card 6).

``r`` (the config key ``retention``):

* ``"triprune"`` (default): the retained-incidence fraction TriPrune's full model reached on the same
  dataset, split protocol and seed, ``record["diagnostics"]["retention"]["rho_nnz"]`` of the ``triprune`` job
  whose params are ``TriPrune().settings()`` overlaid by its grid point of the budget ``triprune_budget``
  (this run's budget), read through the runner's store; a missing run raises
  :class:`~hgbench.methods.base.MissingDependency` (run TriPrune first). TriPrune's ``rho_nnz`` counts
  incidences; RandHE keeps that fraction of *hyperedges*, so the incidences it keeps match it only in
  expectation (both fractions are recorded in ``diagnostics["retention"]``);
* a float in (0, 1]: that fixed retention (card 6's r in {0.5, 0.7, 0.9}).

The ``smoke`` budget uses the fixed r = 0.7 (the revision's choice for its "random dropout" HSC) so that a
smoke check needs no TriPrune run; ``reduced`` and ``full`` read TriPrune's retention.

Randomness: the kept hyperedges are drawn by a generator seeded by the run's seed (so the removal changes
with the seed, as the initialisation does). Search space: that of ``tp-hgnn`` (hidden {64, 128} x dropout
{0.3, 0.5} x lr {1e-3, 1e-2}), defaults hidden 64, dropout 0.5, lr 1e-3.

Efficiency columns: the deployed model runs on the compacted hypergraph (removed hyperedges and their
incidences physically gone, hyperedges renumbered), so propagation time and memory fall roughly in
proportion to the kept incidences; the dense feature transform does not shrink. ``fit_seconds`` excludes
TriPrune's own training (its retention is an input, not a part of this model).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..datasets.splits import Split
from ..methods.base import Fitted, Method, MissingDependency, grid_points, stored_runs
from .kit.structure import deployed_fit, top_fraction_per_context, train_on
from .kit.tuning import Grid, TriPruneTuning

SMOKE_RETENTION = 0.7


def triprune_retention(data: NodeDataset, split: Split, seed: int, budget: str) -> float:
    """``rho_nnz`` of TriPrune's full model on ``(data, split.protocol, seed)`` at ``budget``'s grid point."""
    from ..methods.triprune.method import TriPrune  # the method package imports the baselines' registry

    method = TriPrune()
    point = grid_points(method.configurations(budget))[0]
    params = {**method.settings(), **point}
    record = stored_runs().record(method.name, params, data.name, split.protocol, seed)
    if record is None:
        raise MissingDependency(f"RandHE@r reads TriPrune's retention: triprune ({budget}) on {data.name} "
                                f"({split.protocol}, seed {seed}) is not stored; run triprune first")
    return float(record["diagnostics"]["retention"]["rho_nnz"])


def random_hyperedges(hypergraph: Hypergraph, retention: float, seed: int) -> torch.Tensor:
    """A keep-mask over hyperedges: a uniformly random ``ceil(retention m_k)`` of each context's hyperedges."""
    scores = torch.rand(hypergraph.num_edges, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return top_fraction_per_context(scores, hypergraph.edge_context, retention)


class RandHE(TriPruneTuning, Method):
    """Random hyperedge removal at TriPrune's retention (or a fixed one), then the B-union HGNN."""

    name = "randhe"
    label = "RandHE@r"
    paper_label = None
    description = "random hyperedge removal at TriPrune's retention, B-union HGNN (control row, BASELINES.md card 6)"
    defaults = {"profile_inference": True, "retention": "triprune"}
    search_space: ClassVar[dict[str, list]] = {"hidden": [64, 128], "dropout": [0.3, 0.5], "lr": [1e-3, 1e-2]}
    default_point: ClassVar[dict[str, Any]] = {"hidden": 64, "dropout": 0.5, "lr": 1e-3}

    def configurations(self, budget: str = "full") -> Grid:
        extra = {"triprune_budget": [budget], **({"retention": [SMOKE_RETENTION]} if budget == "smoke" else {})}
        grids = super().configurations(budget)
        return [{**grid, **extra} for grid in grids] if isinstance(grids, list) else {**grids, **extra}

    def retention(self, data: NodeDataset, split: Split, config: dict, seed: int) -> float:
        value = config["retention"]
        if value == "triprune":
            return triprune_retention(data, split, seed, str(config.get("triprune_budget", "full")))
        value = float(value)
        if not 0.0 < value <= 1.0:
            raise ValueError(f"retention must be 'triprune' or in (0, 1], got {value}")
        return value

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        target = self.retention(data, split, config, seed)
        deployed = data.hypergraph.compact(keep_edges=random_hyperedges(data.hypergraph, target, seed))
        training = train_on(deployed, data, split, config, seed, "train")
        return deployed_fit(training.model, data, deployed, {**training.diagnostics, "target_retention": target},
                            training.trace)

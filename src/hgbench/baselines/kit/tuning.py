"""BASELINES.md §0.4: the tuning budgets every TriPrune baseline follows.

A baseline declares its card's ``search_space`` (the original method's own hyperparameters, and
``lr`` in {1e-3, 1e-2}) and its ``default_point`` (the original defaults). Budgets:

* ``full``: an equal budget per baseline: the whole product when it has at most
  :data:`TUNING_POINTS` = 25 points, else the default point and 24 others drawn without replacement
  from the product (a generator seeded by the baseline's name, so the draw is the same on every
  machine and every run), in the product's order after the default;
* ``reduced``: the default point alone (what the reference runs use where the full protocol does not
  fit one machine; every table caption prints the budget);
* ``smoke``: the default point at lr 1e-2 for at most 20 epochs (patience 5).

Every point also carries the protocol's fixed keys (weight decay, epochs, patience, batch size), so
they are part of each job's params. Selection among the points happens per split on validation only
(MAE for ordinal datasets, accuracy on DBLP), when the tables are built.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from ...methods.base import Grid, Method, grid_points
from ...methods.protocol import TRIPRUNE_PROTOCOL, Protocol

TUNING_POINTS = 25


def tuning_points(search_space: dict[str, list], default: dict[str, Any], name: str,
                  size: int = TUNING_POINTS) -> list[dict[str, Any]]:
    """The default point, then ``size - 1`` other points of the product drawn with a generator seeded by ``name``."""
    points = grid_points(search_space)
    default = {**points[0], **default} if points else dict(default)
    if default not in points:
        raise ValueError(f"{name}: the default point {default} is not in the search space {search_space}")
    others = [point for point in points if point != default]
    if len(points) > size:
        chosen = set(map(id, random.Random(name).sample(others, size - 1)))
        others = [point for point in others if id(point) in chosen]
    return [default, *others]


class TriPruneTuning:
    """Mixin for a :class:`~hgbench.methods.base.Method`: the budgets above from ``search_space`` and
    ``default_point``; ``teacher_budget`` (distillation) follows the run's budget."""

    protocol: ClassVar[Protocol] = TRIPRUNE_PROTOCOL
    search_space: ClassVar[dict[str, list]] = {}
    default_point: ClassVar[dict[str, Any]] = {}
    reads_teacher: ClassVar[bool] = False  # the grid carries teacher_budget: the teacher row's budget

    def configurations(self, budget: str = "full") -> Grid:
        Method.configurations(self, budget)  # validates the budget name
        if budget == "full":
            points = tuning_points(self.search_space, self.default_point, self.name)
        elif budget == "reduced":
            points = [dict(self.default_point)]
        else:
            points = [{**self.default_point, "lr": 1e-2, "epochs": 20, "patience": 5}]
        if self.reads_teacher:
            points = [{**point, "teacher_budget": budget} for point in points]
        grids = [self.protocol.grid({key: [value] for key, value in point.items()}) for point in points]
        if len(grids) == 1:
            return grids[0]
        if budget == "full" and len(points) == len(grid_points(self.search_space)) and not self.reads_teacher:
            return self.protocol.grid(self.search_space)  # the whole product, in its own order
        return grids

"""A seeded contextual hypergraph stochastic block model (the demo suite's data, and the tests').

Each hyperedge belongs to one of ``num_contexts`` contexts and has a size drawn uniformly from
``edge_size``. With probability ``homophily`` all its members are drawn from one class (chosen at
random), otherwise from all nodes. Features are class centroids on the unit sphere plus Gaussian
noise of scale ``noise``; for ``task="ordinal"`` the class index is read as a rating.
Everything is a function of the parameters and ``seed``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .base import NodeDataset, Task
from .catalog import DatasetSpec, register
from .hypergraph import Hypergraph


@dataclass(frozen=True)
class SyntheticConfig:
    num_nodes: int = 600
    num_edges: int = 400
    num_classes: int = 4
    num_features: int = 32
    homophily: float = 0.8
    num_contexts: int = 1
    edge_size: tuple[int, int] = (2, 8)
    noise: float = 1.5
    task: str = "classification"
    seed: int = 0


def generate(config: SyntheticConfig, name: str = "synthetic") -> NodeDataset:
    """Draw one contextual hypergraph from ``config``."""
    if not 0.0 <= config.homophily <= 1.0:
        raise ValueError(f"homophily must be in [0, 1], got {config.homophily}")
    low, high = config.edge_size
    if not 1 <= low <= high <= config.num_nodes:
        raise ValueError(f"edge_size must satisfy 1 <= low <= high <= num_nodes, got {config.edge_size}")
    rng = np.random.default_rng(config.seed)
    labels = rng.integers(config.num_classes, size=config.num_nodes)
    everyone = np.arange(config.num_nodes)  # built once: the cost is linear in the memberships drawn
    members_of = [np.flatnonzero(labels == c) for c in range(config.num_classes)]
    nodes, sizes = [], np.empty(config.num_edges, dtype=np.int64)
    for e in range(config.num_edges):
        size = int(rng.integers(low, high + 1))
        pool = everyone
        if rng.random() < config.homophily:
            pool = members_of[int(rng.integers(config.num_classes))]
            if pool.size == 0:
                pool = everyone
        nodes.append(rng.choice(pool, size=min(size, pool.size), replace=False))
        sizes[e] = nodes[-1].size
    edges = np.repeat(np.arange(config.num_edges), sizes)
    index = torch.as_tensor(np.stack([np.concatenate(nodes), edges]))
    context = torch.as_tensor(rng.integers(config.num_contexts, size=config.num_edges))
    centroids = rng.normal(size=(config.num_classes, config.num_features))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    features = centroids[labels] + config.noise * rng.normal(size=(config.num_nodes, config.num_features)) / np.sqrt(
        config.num_features)
    hypergraph = Hypergraph(index, config.num_nodes, config.num_edges, edge_context=context,
                            context_names=tuple(f"context{k}" for k in range(config.num_contexts)))
    return NodeDataset(
        name=name,
        hypergraph=hypergraph.with_self_loops(),
        features=torch.as_tensor(features, dtype=torch.float32),
        labels=torch.as_tensor(labels, dtype=torch.long),
        num_classes=config.num_classes,
        task=Task(config.task),
        sources={"generator": f"hgbench.datasets.synthetic {asdict(config)}"},
    )


PRESETS = {
    "synthetic": SyntheticConfig(),
    "synthetic-heterophilic": SyntheticConfig(homophily=0.2, seed=1),
    "synthetic-contexts": SyntheticConfig(num_nodes=800, num_edges=900, num_contexts=3, num_classes=5,
                                          task="ordinal", seed=2),
    # c = 10 classes for ZEN's Appendix C (suite zen-tcs: only its labels and 5-shot splits are read)
    "synthetic-tcs": SyntheticConfig(num_nodes=300, num_edges=150, num_classes=10, seed=3),
}

PAPER_NAMES = {"synthetic-tcs": "synthetic (k=5, c=10)"}  # its column in the ZEN paper's Table 8 (Appendix C)

for _name, _config in PRESETS.items():
    register(DatasetSpec(
        name=_name, files=(), build=lambda paths, c=_config, n=_name: generate(c, n), task=Task(_config.task),
        description=f"contextual hypergraph SBM: {_config.num_nodes} nodes, {_config.num_edges} hyperedges, "
                    f"homophily {_config.homophily}, {_config.num_contexts} context(s)",
        synthetic=True,
        paper=PAPER_NAMES.get(_name),
    ))

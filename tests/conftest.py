import os
from pathlib import Path

import pytest
import torch

from hgbench.datasets.hypergraph import Hypergraph

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def random_hypergraph(seed: int, num_nodes: int = 12, num_edges: int = 9, max_size: int = 5,
                      linear: bool = False) -> Hypergraph:
    """A small random hypergraph with ZEN's singletons added (sizes 2..max_size).

    ``linear=True`` rejects hyperedges that share two or more nodes with an earlier one, so any
    two nodes have at most one hyperedge in common.
    """
    g = torch.Generator().manual_seed(seed)
    nodes, edges, attempts = [], [], 0
    while len(edges) < num_edges and attempts < 1000:
        attempts += 1
        size = int(torch.randint(2, max_size + 1, (1,), generator=g))
        members = torch.randperm(num_nodes, generator=g)[:size]
        if linear and any(len(set(members.tolist()) & set(m.tolist())) > 1 for m in nodes):
            continue
        nodes.append(members)
        edges.append(torch.full((size,), len(edges)))
    index = torch.stack([torch.cat(nodes), torch.cat(edges)])
    return Hypergraph(index, num_nodes).with_self_loops()


def dense_incidence(hg: Hypergraph) -> torch.Tensor:
    h = torch.zeros(hg.num_nodes, hg.num_edges, dtype=torch.float64)
    h.index_put_((hg.nodes, hg.edges), hg.membership_weight().double(), accumulate=True)
    return h


@pytest.fixture
def real_data_dir() -> Path:
    """The raw datasets (CI: HGBENCH_DATA=../shared/datasets); tests needing them skip otherwise."""
    configured = os.environ.get("HGBENCH_DATA")
    root = Path(configured) if configured else SHARED_DATA
    if not (root / "cora" / "hypergraph.pickle").exists():
        pytest.skip(f"raw datasets not found in {root}")
    return root

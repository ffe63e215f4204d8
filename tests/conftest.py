import os
from pathlib import Path

import pytest
import torch

from hgbench.datasets.base import NodeDataset
from hgbench.datasets.hypergraph import Hypergraph
from hgbench.datasets.synthetic import SyntheticConfig, generate

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


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tiny models on one thread (``pytestmark = usefixtures("one_thread")``), then restore.

    On a loaded 2-core machine, intra-op parallel ``index_add`` / ``index_select`` on tensors of a few
    thousand entries spends most of its time waiting for the second (descheduled) thread: 20-300x
    slower than one thread. The code under test never sets threads; only the test session does.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def small() -> NodeDataset:
    return generate(SyntheticConfig(num_nodes=120, num_edges=80, num_features=8, num_classes=3))


@pytest.fixture(scope="module")
def easy() -> NodeDataset:
    return generate(SyntheticConfig(num_nodes=300, num_edges=200, num_features=16, num_classes=3,
                                    homophily=0.9, noise=0.5, seed=0))


def put_planned(store, record: dict) -> dict:
    """Store a hand-made record as ``bench run`` would: the schema's fields filled in where the test leaves
    them out, and a plan entry for ``record["suite"]`` (its budget, and its grid position when the method's
    grid for that budget holds the config; the end of the grid otherwise)."""
    from hgbench.benchmarks.run.plan import PlanEntry, expand_grid
    from hgbench.benchmarks.run.registry import method_entry, method_names

    record = {"params": record.get("config", {}), "config": {}, "reason": None, "val": None, "test": None,
              "fit_seconds": 0.0, "code_version": "test", "environment": {}, "executor": "sequential", **record}
    suite, budget = record.pop("suite"), record.pop("budget", "full")
    grid = ([dict(c) for c in expand_grid(method_entry(record["method"]).factory().configurations(budget))]
            if record["method"] in method_names() else [])
    full = (len(expand_grid(method_entry(record["method"]).factory().configurations("full")))
            if record["method"] in method_names() else 1)
    index = grid.index(record["config"]) if record["config"] in grid else len(grid)
    store.put(record)
    store.add_plan(suite, [PlanEntry(record["key"], record["method"], record["config"], record["dataset"],
                                     record["protocol"], record["seed"], budget, index, None, full)])
    return record


def plan_unrun(store, suite: str, method: str, dataset: str, seed: int, budget: str, configs: list[dict]) -> None:
    """Plan jobs that have no record yet (what an interrupted ``bench run`` leaves): one entry per config."""
    from hgbench.benchmarks.run.plan import PlanEntry

    store.add_plan(suite, [PlanEntry(f"unrun-{seed}-{budget}-{i}", method, config, dataset, "5-shot", seed, budget, i)
                           for i, config in enumerate(configs)])

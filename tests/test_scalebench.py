"""The synthetic generator's cost and draws, the locality renumbering's transparency, and ``bench scale``'s files."""

import csv
import time

import numpy as np
import pytest
import torch

from hgbench.baselines.hgnn import HGNN
from hgbench.benchmarks import scalebench
from hgbench.benchmarks.cli import main
from hgbench.datasets.ordering import Renumbering, locality_order
from hgbench.datasets.splits import make_split
from hgbench.datasets.synthetic import SyntheticConfig, generate
from hgbench.methods.zen import ZEN


def loop_index(config: SyntheticConfig) -> np.ndarray:
    """The generator's draws written out plainly (the earlier implementation, less its range per hyperedge)."""
    rng = np.random.default_rng(config.seed)
    labels = rng.integers(config.num_classes, size=config.num_nodes)
    nodes, edges = [], []
    for e in range(config.num_edges):
        size = int(rng.integers(config.edge_size[0], config.edge_size[1] + 1))
        pool = np.arange(config.num_nodes)
        if rng.random() < config.homophily:
            members = np.flatnonzero(labels == int(rng.integers(config.num_classes)))
            pool = members if members.size else pool
        chosen = rng.choice(pool, size=min(size, pool.size), replace=False)
        nodes += list(chosen)
        edges += [e] * chosen.size
    return np.array([nodes, edges])


@pytest.mark.parametrize("config", [SyntheticConfig(), SyntheticConfig(num_nodes=12, num_edges=30, edge_size=(1, 12),
                                                                       num_classes=5, num_contexts=2, seed=4)])
def test_generator_draws_what_the_plain_loop_draws(config):
    data = generate(config)
    raw = data.hypergraph.index[:, data.hypergraph.edges < config.num_edges]
    assert np.array_equal(raw.numpy(), loop_index(config))
    sizes = data.hypergraph.edge_size_count[:config.num_edges]
    assert int(sizes.min()) >= config.edge_size[0] and int(sizes.max()) <= config.edge_size[1]


def test_generator_cost_does_not_grow_with_nodes_per_hyperedge():
    """100x the nodes at the same hyperedges: a range of all nodes per hyperedge made this about 30x slower."""
    def seconds(nodes: int) -> float:
        config = SyntheticConfig(num_nodes=nodes, num_edges=3000, num_features=1)
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            generate(config)
            best = min(best, time.perf_counter() - start)
        return best

    assert seconds(1_000_000) < 15 * seconds(10_000)


def test_renumbering_is_transparent_and_local(easy):
    renumbering = locality_order(easy.hypergraph)
    moved = renumbering.dataset(easy)
    assert not torch.equal(renumbering.nodes, torch.arange(easy.num_nodes))
    # every membership kept, under new ids; contexts follow their hyperedges
    pairs = lambda h, nodes, edges: sorted(zip(nodes[h.nodes].tolist(), edges[h.edges].tolist()))  # noqa: E731
    identity = torch.arange(easy.num_nodes), torch.arange(easy.hypergraph.num_edges)
    assert pairs(moved.hypergraph, renumbering.nodes, renumbering.edges) == pairs(easy.hypergraph, *identity)
    assert torch.equal(moved.hypergraph.edge_context, easy.hypergraph.edge_context[renumbering.edges])
    split = make_split(easy.labels, "5-shot", 0)
    assert torch.equal(renumbering.nodes[renumbering.split(split).train], split.train)
    # ZEN's scores, and an HGNN's forward, back in the original order equal those on the original ids
    zen = ZEN()
    config = zen.hyperparameters({})
    scores = zen.fit(easy, split, config, 0, zen.prepare(easy, config)).predict()
    moved_scores = zen.fit(moved, renumbering.split(split), config, 0, zen.prepare(moved, config)).predict()
    assert torch.allclose(renumbering.restore(moved_scores), scores, atol=1e-6)
    hgnn = HGNN()
    model = hgnn.build(easy, hgnn.hyperparameters({"lr": 1e-2, "layers": 2, "hidden": 16})).eval()
    with torch.no_grad():
        assert torch.allclose(renumbering.restore(model(moved.features, moved.hypergraph)),
                              model(easy.features, easy.hypergraph), atol=1e-5)
    # hyperedges span fewer ids than under a random numbering of the same hypergraph
    shuffled = Renumbering(torch.randperm(easy.num_nodes, generator=torch.Generator().manual_seed(0)),
                           identity[1]).hypergraph(easy.hypergraph)

    def spread(h):
        first = torch.full((h.num_edges,), h.num_nodes).scatter_reduce(0, h.edges, h.nodes, "amin")
        return float((torch.zeros(h.num_edges, dtype=torch.long).scatter_reduce(0, h.edges, h.nodes, "amax")
                      - first).double().mean())
    assert spread(locality_order(shuffled).hypergraph(shuffled)) < 0.5 * spread(shuffled)


def test_a_renumbering_must_be_a_permutation(small):
    with pytest.raises(ValueError, match="nodes must be a permutation"):
        Renumbering(torch.zeros(small.num_nodes, dtype=torch.long), torch.arange(small.hypergraph.num_edges))


def test_bench_scale_writes_rows_exponents_and_figure(tmp_path, monkeypatch):
    rows = []

    def in_process(size, workload, order, full_epochs, threads, time_limit):
        rows.append(scalebench.measure(size, workload, order, full_epochs, threads))
        return rows[-1]

    monkeypatch.setattr(scalebench, "run_isolated", in_process)
    assert main(["scale", "--sizes", "200", "400", "--workloads", "zen,hgnn-full", "--full-epochs", "3",
                 "--out", str(tmp_path)]) == 0
    folder = tmp_path / "scaling"
    with open(folder / "scaling.csv") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == scalebench.COLUMNS
        written = list(reader)
    assert [(int(r["size"]), r["order"], r["workload"]) for r in written] == [
        (size, order, workload) for size in (200, 400) for order in ("given", "rcm")
        for workload in ("zen", "hgnn-full")]
    assert all(r["status"] == "ok" and float(r["seconds"]) > 0 and float(r["peak_mib"]) > 0 for r in written)
    assert {r["epochs"] for r in written if r["workload"] == "hgnn-full"} == {"3"}
    # ZEN has no randomness: the renumbered run scores the same in the original order
    zen = {(r["size"], r["order"]): r["test_accuracy"] for r in written if r["workload"] == "zen"}
    assert zen["200", "given"] == zen["200", "rcm"] and zen["400", "given"] == zen["400", "rcm"]
    slope, steps = scalebench.exponents(rows, "zen", "given")
    assert len(steps) == 1 and slope == pytest.approx(steps[0])
    notes = (folder / "notes.md").read_text()
    assert "| zen | given |" in notes and "code version" in notes and (folder / "scaling.png").stat().st_size > 0


def test_a_row_runs_in_its_own_process_and_failures_become_rows():
    row = scalebench.run_isolated(200, "zen", "rcm", 1, 1)
    assert row["status"] == "ok" and row["nodes"] == 200 and row["nnz"] > 200 and row["order_seconds"] >= 0
    failed = scalebench.run_isolated(200, "no-such-workload", "given", 1, 1)
    assert failed["status"].startswith("failed: KeyError")


def test_unknown_workload_is_a_usage_error(tmp_path):
    assert main(["scale", "--workloads", "zen,gpt", "--out", str(tmp_path)]) == 2

"""Parsers for the upstream raw formats of the ZEN datasets (see ../shared/datasets/SOURCES.md).

Each parser returns plain numpy arrays; :mod:`hgbench.datasets.zen_catalog` turns them into a
:class:`~hgbench.datasets.base.NodeDataset`. Hyperedges are returned as a ``2 x nnz`` array of
(node, hyperedge) pairs with 0-based ids, in file order, duplicates kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .safe_pickle import load_pickle


def membership_index(hyperedges: list) -> np.ndarray:
    """``2 x nnz`` (node, hyperedge) pairs from a list of member lists, hyperedge ids in list order."""
    sizes = np.fromiter((len(members) for members in hyperedges), dtype=np.int64, count=len(hyperedges))
    nodes = np.fromiter((int(v) for members in hyperedges for v in members), dtype=np.int64, count=int(sizes.sum()))
    edges = np.repeat(np.arange(len(hyperedges)), sizes)
    return np.stack([nodes, edges])


# --------------------------------------------------------------------------- HyperGCN pickles
def read_hypergcn_hyperedges(path: Path) -> np.ndarray:
    """``hypergraph.pickle``: a dict hyperedge-key -> member nodes; hyperedges in dict order."""
    return membership_index([sorted(int(v) for v in members) for members in load_pickle(path).values()])


def read_hypergcn_labels(path: Path) -> np.ndarray:
    return np.asarray(load_pickle(path), dtype=np.int64)


def read_hypergcn_features(path: Path) -> np.ndarray:
    """``features.pickle``: a scipy CSR matrix, densified as AllSet/ED-HNN do."""
    return np.asarray(load_pickle(path).todense(), dtype=np.float32)


# --------------------------------------------------------------------------- AllSet "LE" format
def read_le(content_path: Path, edges_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AllSet "LE" format: returns (``2 x nnz`` index, features, labels).

    ``.content`` rows are ``id, features..., label``; a row's position is its index. ``.edges``
    lines are ``node_id<TAB>hyperedge_id`` and both ids are mapped through the row order, as
    AllSet does; hyperedge rows come after the node rows, so the first hyperedge row is the
    number of nodes and hyperedge ids are shifted to start at 0.
    """
    table = np.loadtxt(content_path, dtype=np.float64, delimiter="\t", ndmin=2)
    row_of = {int(identifier): row for row, identifier in enumerate(table[:, 0])}
    pairs = np.loadtxt(edges_path, dtype=np.int64, delimiter="\t", ndmin=2)
    try:
        rows = np.vectorize(row_of.__getitem__, otypes=[np.int64])(pairs).T
    except KeyError as missing:
        raise ValueError(f"{edges_path}: id {missing} has no row in {content_path}") from None
    num_nodes = int(rows[1].min())
    if int(rows[0].max()) >= num_nodes:
        raise ValueError(f"{edges_path}: node and hyperedge rows overlap in {content_path}")
    nodes = table[:num_nodes]
    return np.stack([rows[0], rows[1] - num_nodes]), nodes[:, 1:-1].astype(np.float32), nodes[:, -1].astype(np.int64)


# --------------------------------------------------------------------------- Cornell (Benson) format
def read_cornell_hyperedges(path: Path) -> np.ndarray:
    """``hyperedges-*.txt``: one hyperedge per line, comma-separated 1-based node ids."""
    with open(path) as handle:
        hyperedges = [[int(v) - 1 for v in line.split(",")] for line in handle if line.strip()]
    return membership_index(hyperedges)


def read_cornell_labels(path: Path) -> np.ndarray:
    """``node-labels-*.txt``: one 1-based label per line, returned 0-based."""
    return np.loadtxt(path, dtype=np.int64, ndmin=1) - 1


def read_names(path: Path) -> tuple[str, ...]:
    """``label-names-*.txt``: one name per line."""
    with open(path) as handle:
        return tuple(line.strip() for line in handle if line.strip())


def cornell_features(labels: np.ndarray, num_classes: int, noise: float = 1.0, seed: int = 0) -> np.ndarray:
    """Label-dependent Gaussian features of the Cornell datasets (ED-HNN ``load_cornell_dataset``).

    ``X = N(onehot(y), noise^2)`` drawn with ``numpy.random.RandomState(seed)``; with ED-HNN's
    defaults (``feature_noise=1``, seed 0) this is bit-identical to ZEN's ``X.pt``.
    """
    onehot = np.zeros((labels.shape[0], num_classes))
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    return np.random.RandomState(seed).normal(onehot, noise, onehot.shape).astype(np.float32)

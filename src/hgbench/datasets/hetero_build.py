"""Building blocks of TriPrune-HGNN's heterogeneous hypergraphs (paper §2.3, Eq. 3; §2.5).

A heterogeneous hypergraph has master nodes ``V_m`` (the nodes that are classified) and ``K``
behavioural contexts. Context ``k`` relates master nodes to its slave entities ``V_s^k`` (directors,
venues, users, ...); every slave entity becomes one hyperedge of context ``k`` whose members are the
master nodes related to it, so ``H_k`` is ``|V_m| x |E^k|`` and the stored structure is
``H = [H_1 ... H_K]`` with a context id per hyperedge (:class:`~hgbench.datasets.hypergraph.Hypergraph`).

Rules shared by the five datasets (docs/datasets.md gives the reasons):

* memberships are 0/1: a repeated (master node, entity) pair is one membership;
* a hyperedge needs at least :data:`MIN_EDGE_SIZE` distinct members, smaller ones are dropped;
* no self-loop hyperedges are added;
* hyperedges are ordered by context, then by their entity's identifier (sorted), members by node id.

Node features are blocks of side information (multi-hot attributes, standardised numbers, log
degrees in side-information contexts); labels of the rating datasets are rounded mean ratings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import torch

from .hypergraph import Hypergraph

if TYPE_CHECKING:  # imported where a builder runs: registering the datasets does not need pandas
    import pandas as pd

MIN_EDGE_SIZE = 2
RATING_CLASSES = ("1", "2", "3", "4", "5")


# --------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class Context:
    """One behavioural context: master node ``nodes[i]`` is related to slave entity ``entities[i]``.

    ``entities`` may hold any sortable identifiers (names, integer ids); missing values are skipped.
    """

    name: str
    nodes: np.ndarray
    entities: np.ndarray


def context_hypergraph(contexts: Sequence[Context], num_nodes: int) -> Hypergraph:
    """``H = [H_1 ... H_K]``: one hyperedge per slave entity with >= :data:`MIN_EDGE_SIZE` members."""
    index_blocks, context_ids, offset = [], [], 0
    for k, context in enumerate(contexts):
        nodes, edges, num_edges = _context_memberships(context)
        index_blocks.append(np.stack([nodes, edges + offset]))
        context_ids.append(np.full(num_edges, k, dtype=np.int64))
        offset += num_edges
    return Hypergraph(
        torch.as_tensor(np.concatenate(index_blocks, axis=1)),
        num_nodes,
        offset,
        edge_context=torch.as_tensor(np.concatenate(context_ids)),
        context_names=tuple(context.name for context in contexts),
    )


def _context_memberships(context: Context) -> tuple[np.ndarray, np.ndarray, int]:
    """(node, hyperedge) pairs of one context, hyperedge ids local to the context."""
    import pandas as pd

    pairs = pd.DataFrame({"node": np.asarray(context.nodes, dtype=np.int64), "entity": context.entities})
    pairs = pairs.dropna().drop_duplicates()
    codes, _ = pd.factorize(pairs["entity"], sort=True)
    kept = np.bincount(codes, minlength=1) >= MIN_EDGE_SIZE
    new_id = np.cumsum(kept) - 1
    member = kept[codes]
    nodes, edges = pairs["node"].to_numpy()[member], new_id[codes[member]]
    order = np.lexsort((nodes, edges))
    return nodes[order], edges[order], int(kept.sum())


def split_column(frame: pd.DataFrame, column: str, separator: str = "|") -> tuple[np.ndarray, np.ndarray]:
    """(row, value) pairs of a ``separator``-joined text column (e.g. IMDB's ``genres``)."""
    values = frame[column].dropna().str.split(separator, regex=False).explode()
    values = values[values.str.len() > 0]
    return values.index.to_numpy(dtype=np.int64), values.to_numpy()


# --------------------------------------------------------------------------- labels
def rounded_mean_rating(items: np.ndarray, ratings: np.ndarray, num_items: int) -> np.ndarray:
    """Class of each item: its mean rating rounded half up to 1..5, minus 1 (classes 0..4); -1 if unrated.

    Computed in integers, ``floor((2 * sum + count) / (2 * count))``, so a mean of exactly x.5 rounds up.
    """
    ratings = np.asarray(ratings)
    as_int = ratings.astype(np.int64)
    if not (np.array_equal(as_int, ratings) and as_int.min() >= 1 and as_int.max() <= 5):
        raise ValueError("ratings must be integers in 1..5")
    total = np.bincount(items, weights=as_int, minlength=num_items).astype(np.int64)
    count = np.bincount(items, minlength=num_items)
    labels = np.full(num_items, -1, dtype=np.int64)
    rated = count > 0
    labels[rated] = (2 * total[rated] + count[rated]) // (2 * count[rated]) - 1
    return labels


# --------------------------------------------------------------------------- features
@dataclass(frozen=True)
class FeatureBlock:
    """Columns of the node feature matrix with their names."""

    values: np.ndarray
    names: tuple[str, ...]


def multi_hot(nodes: np.ndarray, values: np.ndarray, num_nodes: int, prefix: str,
              min_support: int = 2) -> FeatureBlock:
    """0/1 column per attribute value held by at least ``min_support`` nodes (columns sorted by value).

    A value held by a single node cannot be shared by a training and a test node, so it is dropped.
    """
    import pandas as pd

    pairs = pd.DataFrame({"node": np.asarray(nodes, dtype=np.int64), "value": values}).dropna().drop_duplicates()
    support = pairs["value"].value_counts()
    vocabulary = np.sort(support.index[support >= min_support].to_numpy())
    pairs = pairs[pairs["value"].isin(vocabulary)]
    column = np.searchsorted(vocabulary, pairs["value"].to_numpy())
    matrix = np.zeros((num_nodes, vocabulary.size), dtype=np.float32)
    matrix[pairs["node"].to_numpy(), column] = 1.0
    return FeatureBlock(matrix, tuple(f"{prefix}={value}" for value in vocabulary))


def numeric(values: np.ndarray, name: str) -> FeatureBlock:
    """A standardised number; missing values become 0 (the mean) plus a ``<name>_missing`` indicator."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    column = _standardised(np.where(missing, np.nanmean(values), values))
    if not missing.any():
        return FeatureBlock(column[:, None], (name,))
    return FeatureBlock(np.stack([column, missing.astype(np.float32)], axis=1), (name, f"{name}_missing"))


def context_log_degrees(hypergraph: Hypergraph, contexts: Iterable[str]) -> FeatureBlock:
    """Standardised ``log(1 + d_k(v))``: the number of hyperedges of each named context containing ``v``."""
    columns = []
    for name in contexts:
        in_context = hypergraph.edge_context[hypergraph.edges] == hypergraph.context_names.index(name)
        degree = np.bincount(hypergraph.nodes[in_context].numpy(), minlength=hypergraph.num_nodes)
        columns.append(_standardised(np.log1p(degree)))
    names = tuple(f"log_degree[{name}]" for name in contexts)
    return FeatureBlock(np.stack(columns, axis=1), names)


def feature_matrix(blocks: Sequence[FeatureBlock]) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Concatenate feature blocks into a float32 matrix and its column names."""
    values = np.concatenate([block.values for block in blocks], axis=1).astype(np.float32)
    names = tuple(name for block in blocks for name in block.names)
    return torch.from_numpy(values), names


def _standardised(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return ((values - values.mean()) / (spread if spread > 0 else 1.0)).astype(np.float32)

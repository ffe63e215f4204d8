"""TriPrune-HGNN's five heterogeneous datasets as K-context hypergraphs (paper §2.3, §2.5, §4).

Registers ``imdb``, ``dblp``, ``yelp``, ``amazon`` and ``douban``: node classification of the
master nodes into C classes (cross-entropy, Eq. 5), scored by ACC, and by MAE/RMSE on class
indices for the ordinal (rating) datasets. Builders live in :mod:`.hetero_loaders`; a built
dataset is cached on disk (:mod:`.hetero_cache`). This module also provides the split protocol,
:func:`subsample` (small induced sub-hypergraphs for tests) and :func:`hetero_summary`.
Decisions and measured statistics: docs/datasets.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .base import NodeDataset, Task
from .catalog import DatasetSpec, register
from .hetero_build import MIN_EDGE_SIZE
from .hetero_cache import load_or_build
from .hetero_loaders import FILES, build_amazon, build_dblp, build_douban, build_imdb, build_yelp
from .hypergraph import Hypergraph
from .splits import Split, make_split

# The paper states no split ratios (§4 only gives seeds 0-9); stratified 60/20/20, one split per seed.
SPLIT_PROTOCOL = "ratio-0.6-0.2"
SPLIT_SEEDS = tuple(range(10))

COMMON_NOTES = (
    "paper §4: the five datasets 'span 10K-100K nodes and 50K-500K hyperedges'; ours have fewer hyperedges",
    f"splits: {SPLIT_PROTOCOL} (stratified 60/20/20; the paper states no ratios), seeds 0-9",
)

BUILDERS: dict[str, Callable[[dict[str, Path]], NodeDataset]] = {
    "imdb": build_imdb, "dblp": build_dblp, "yelp": build_yelp, "amazon": build_amazon, "douban": build_douban,
}


def splits(dataset: NodeDataset, seeds=SPLIT_SEEDS) -> list[Split]:
    """The benchmark's splits of ``dataset``: :data:`SPLIT_PROTOCOL`, one per seed (unlabelled nodes never in one)."""
    return [make_split(dataset.labels, SPLIT_PROTOCOL, seed) for seed in seeds]


def subsample(dataset: NodeDataset, n: int, seed: int) -> NodeDataset:
    """The sub-hypergraph induced by ``n`` master nodes drawn uniformly without replacement.

    Hyperedges keep their members among the drawn nodes and are dropped below ``MIN_EDGE_SIZE``
    members, as in the full builders; features and labels are the full dataset's rows.
    """
    if not 0 < n <= dataset.num_nodes:
        raise ValueError(f"n must be in 1..{dataset.num_nodes}, got {n}")
    drawn = np.sort(np.random.default_rng(seed).choice(dataset.num_nodes, size=n, replace=False))
    return NodeDataset(
        name=f"{dataset.name}-sub{n}-seed{seed}", hypergraph=_induced(dataset.hypergraph, torch.as_tensor(drawn)),
        features=dataset.features[drawn], labels=dataset.labels[drawn], num_classes=dataset.num_classes,
        task=dataset.task, sources=dict(dataset.sources), class_names=dataset.class_names,
        feature_names=dataset.feature_names,
    )


def _induced(graph: Hypergraph, nodes: torch.Tensor) -> Hypergraph:
    new_id = torch.full((graph.num_nodes,), -1, dtype=torch.long)
    new_id[nodes] = torch.arange(nodes.numel())
    inside = new_id[graph.nodes] >= 0
    size = torch.bincount(graph.edges[inside], minlength=graph.num_edges)
    kept = graph.compact(keep_memberships=inside & (size[graph.edges] >= MIN_EDGE_SIZE))
    return Hypergraph(torch.stack([new_id[kept.nodes], kept.edges]), nodes.numel(), kept.num_edges,
                      edge_context=kept.edge_context, context_names=kept.context_names)


def hetero_summary(dataset: NodeDataset) -> dict:
    """Master nodes; per context (by name) hyperedges, memberships, mean size and nodes covered;
    classes, features and the label distribution (``labelled`` counts the nodes with a label)."""
    graph = dataset.hypergraph
    per_context = {name: graph.restrict_to_context(k) for k, name in enumerate(graph.context_names)}
    labels = dataset.labels
    class_names = dataset.class_names or tuple(str(c) for c in range(dataset.num_classes))
    return {
        "name": dataset.name,
        "master_nodes": dataset.num_nodes,
        "hyperedges": {name: part.num_edges for name, part in per_context.items()},
        "memberships": {name: part.nnz for name, part in per_context.items()},
        "mean_edge_size": {name: round(part.nnz / max(part.num_edges, 1), 2) for name, part in per_context.items()},
        "covered_nodes": {name: int(part.nodes.unique().numel()) for name, part in per_context.items()},
        "total_hyperedges": graph.num_edges,
        "isolated_nodes": int((torch.bincount(graph.nodes, minlength=graph.num_nodes) == 0).sum()),
        "classes": dataset.num_classes,
        "task": dataset.task.value,
        "features": dataset.num_features,
        "labelled": int((labels >= 0).sum()),
        "label_distribution": {name: int((labels == c).sum()) for c, name in enumerate(class_names)},
    }


# --------------------------------------------------------------------------- registration
def _cached(name: str, files: tuple) -> Callable[[dict[str, Path]], NodeDataset]:
    """The spec's build: the cached dataset for these exact source sha256s, built on a miss."""
    sources = {file.path: file.sha256 for file in files}

    def build(paths: dict[str, Path]) -> NodeDataset:
        some_path = next(iter(sources))
        root = paths[some_path].parents[len(Path(some_path).parts) - 1]
        return load_or_build(name, sources, root, lambda: BUILDERS[name](paths))

    return build


def _register(name: str, paper: str, folder: str, filenames: tuple[str, ...], task: Task, description: str,
              notes: tuple[str, ...]) -> None:
    files = tuple(FILES[f"hetero/{folder}/{filename}"] for filename in filenames)
    register(DatasetSpec(name=name, files=files, build=_cached(name, files), task=task, paper=paper,
                         description=description, notes=(*COMMON_NOTES, *notes)))


_register(
    "imdb", "IMDB", "imdb", ("movie_metadata.csv",), Task.ORDINAL,
    "IMDB 5000 movies; contexts director/actor/keyword/genre; imdb_score quintile classes",
    ("ours: 4,919 movies, 6,239 hyperedges (director 875, actor 2,301, keyword 3,038, genre 25), "
     "mean hyperedge size 7.5 (paper: 12.3); the release has no user-movie ratings, so no users context",
     "label: imdb_score binned at 5.6 / 6.3 / 6.8 / 7.4 (quintiles over all movies), 5 ordinal classes"),
)
_register(
    "dblp", "DBLP", "dblp",
    ("author_map_id.dat", "author_label.dat", "paper_author.dat", "paper_conference.dat", "paper_type.dat"),
    Task.CLASSIFICATION,
    "DBLP four-area authors; contexts paper/venue/term; research-area classes",
    ("ours: 14,475 authors (4,057 labelled), 20,745 hyperedges (paper 12,442, venue 20, term 8,283), "
     "mean hyperedge size 15.9 (paper: 4.7; the paper context alone: 3.2)",
     "classes are nominal research areas: MAE/RMSE on class indices are produced as the paper prints them "
     "but are NOT meaningful; compare ACC"),
)
_register(
    "yelp", "Yelp", "yelp", ("user_business.dat", "business_category.dat", "business_city.dat"), Task.ORDINAL,
    "Yelp businesses; contexts category/city/users; mean-rating classes 1..5",
    ("ours: 14,284 businesses, 11,326 hyperedges (category 511, city 47, users 10,768)",),
)
_register(
    "amazon", "Amazon", "amazon", ("user_item.dat", "item_brand.dat", "item_category.dat", "item_view.dat"),
    Task.ORDINAL,
    "Amazon items; contexts brand/category/also-viewed/users; mean-rating classes 1..5",
    ("ours: 2,753 items (below the paper's 10K), 7,338 hyperedges "
     "(brand 98, category 9, also_viewed 1,061, users 6,170); class '1' (mean rating < 1.5) is empty",),
)
_register(
    "douban", "Douban", "douban_movie", ("douban.mat",), Task.ORDINAL,
    "Douban Movie; contexts genre/director/actor/users; mean-rating classes 1..5",
    ("ours: 12,677 movies, 19,892 hyperedges (genre 38, director 2,449, actor 6,305, users 11,100)",),
)

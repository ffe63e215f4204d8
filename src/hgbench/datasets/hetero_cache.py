"""On-disk cache of built datasets: ``<user cache>/processed/<name>-<key>.pt``.

The key hashes the dataset name, :data:`BUILDER_VERSION` and the sha256 of every source file, so
a new version of a raw file or of a builder never reuses a stale cache. The file holds only
tensors, strings and numbers and is read with ``torch.load(weights_only=True)`` (no pickle code).
It also holds the sha256 of its own content (every array's dtype, shape and bytes, and the other
fields), computed when the cache is written and checked on every load: a cache that does not match
(an edited or corrupted file), has no checksum, or holds values no method can use (:func:`~.base.check_dataset`,
e.g. NaN features under a recomputed checksum) is warned about, naming the file, and rebuilt from the
raw files, so a poisoned cache is never used.
A cache found in ``<data dir>/processed`` is read, but caches are written only to the user cache
directory: the data directory may be a share that other users and CI read. ``$HGBENCH_CACHE``,
when set, is the only cache directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Callable

import platformdirs
import torch

from .base import NodeDataset, Task, check_dataset
from .hypergraph import Hypergraph

# Bump whenever a hetero builder changes what it produces.
BUILDER_VERSION = 1
# The key of a cache file's checksum of its other fields (see :func:`_digest`).
DIGEST_KEY = "sha256"


def cache_key(name: str, sources: dict[str, str]) -> str:
    """16 hex digits identifying (dataset, builder version, source sha256s)."""
    payload = json.dumps({"name": name, "builder": BUILDER_VERSION, "sources": sorted(sources.items())})
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def cache_dirs(root: Path) -> tuple[Path, Path]:
    """Where caches are looked for, in order: the data directory, the user cache (the only one written).

    ``$HGBENCH_CACHE`` overrides both.
    """
    if os.environ.get("HGBENCH_CACHE"):
        return (Path(os.environ["HGBENCH_CACHE"]),)
    return root / "processed", Path(platformdirs.user_cache_dir("hgbench")) / "processed"


def load_or_build(name: str, sources: dict[str, str], root: Path, build: Callable[[], NodeDataset]) -> NodeDataset:
    """The cached dataset if a readable cache exists, otherwise ``build()`` (then cached)."""
    filename = f"{name}-{cache_key(name, sources)}.pt"
    for directory in cache_dirs(root):
        cached = _read(directory / filename)
        if cached is not None:
            return cached
    dataset = check_dataset(build())  # a dataset no method can use is refused, never cached
    _write(dataset, filename, cache_dirs(root)[-1:])  # never into the data directory: it may be shared
    return dataset


def _read(path: Path) -> NodeDataset | None:
    """The dataset cached at ``path``, or ``None`` (absent, unreadable or failing its checksum: rebuild)."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, weights_only=True)
        stored = state.pop(DIGEST_KEY, None)
        dataset = check_dataset(_from_state(state), str(path)) if stored == _digest(state) else None
    except Exception as exc:  # a truncated or foreign file: rebuild and overwrite it
        warnings.warn(f"ignoring unreadable dataset cache {path} ({exc.__class__.__name__}: {exc})")
        return None
    if dataset is None:
        problem = ("has no checksum (written by an older hgbench)" if stored is None
                   else "does not match the sha256 stored when it was built (corrupted or edited)")
        warnings.warn(f"ignoring dataset cache {path}: its content {problem}; rebuilding it from the raw files")
    return dataset


def _write(dataset: NodeDataset, filename: str, directories: tuple[Path, ...]) -> None:
    for directory in directories:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            partial = directory / f".{filename}.{os.getpid()}.partial"
            state = _to_state(dataset)
            with open(partial, "wb") as handle:
                torch.save({**state, DIGEST_KEY: _digest(state)}, handle)
            os.replace(partial, directory / filename)  # atomic: readers never see a partial file
            return
        except OSError:
            continue
    warnings.warn(f"could not cache {dataset.name} in any of {[str(d) for d in directories]}")


def _digest(state: dict) -> str:
    """sha256 over every field of a cache state in key order: tensors by dtype, shape and bytes, the rest as JSON."""
    digest = hashlib.sha256()
    for key in sorted(state):
        value = state[key]
        digest.update(key.encode())
        if isinstance(value, torch.Tensor):
            flat = value.detach().cpu().contiguous().reshape(-1)
            digest.update(f"{value.dtype}{tuple(value.shape)}".encode())
            digest.update(flat.view(torch.uint8).numpy().tobytes())
        else:
            digest.update(json.dumps(value, sort_keys=True).encode())
    return digest.hexdigest()


def _to_state(dataset: NodeDataset) -> dict:
    graph = dataset.hypergraph
    return {
        "name": dataset.name, "index": graph.index, "num_nodes": graph.num_nodes, "num_edges": graph.num_edges,
        "edge_context": graph.edge_context, "context_names": list(graph.context_names),
        "features": dataset.features, "labels": dataset.labels, "num_classes": dataset.num_classes,
        "task": dataset.task.value, "sources": dict(dataset.sources),
        "class_names": list(dataset.class_names or ()), "feature_names": list(dataset.feature_names or ()),
    }


def _from_state(state: dict) -> NodeDataset:
    graph = Hypergraph(state["index"], state["num_nodes"], state["num_edges"],
                       edge_context=state["edge_context"], context_names=tuple(state["context_names"]))
    return NodeDataset(
        name=state["name"], hypergraph=graph, features=state["features"], labels=state["labels"],
        num_classes=state["num_classes"], task=Task(state["task"]), sources=state["sources"],
        class_names=tuple(state["class_names"]) or None, feature_names=tuple(state["feature_names"]) or None,
    )

"""Dataset statistics for listings, cached beside the processed datasets (``bench list datasets`` in seconds).

A statistic (``summary()``, TriPrune's per-context ``hetero_summary``) is computed once from the loaded
dataset and kept as JSON in the user cache (``$HGBENCH_CACHE`` when set) under a fingerprint of what it
was computed from: each file's path, size and modification time, the catalog's sha256 for it and the
builder version. Any change to a file (or the catalog) recomputes it, loading the dataset as ``bench run``
would (files verified). Errors (missing or corrupted files) propagate and are never cached.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from . import catalog
from .base import NodeDataset
from .files import DataUnavailable, data_dir
from .hetero_cache import BUILDER_VERSION, cache_dirs


def _fingerprint(name: str, root: Path) -> dict[str, Any]:
    spec = catalog.spec(name)
    files = {}
    for file in (*spec.files, *spec.unavailable):
        local = root / file.path
        stat = local.stat() if local.exists() else None
        files[file.path] = [file.sha256, stat.st_size if stat else None, stat.st_mtime_ns if stat else None]
    return {"builder": BUILDER_VERSION, "description": spec.description, "files": files}


def statistics(name: str, kind: str, compute: Callable[[NodeDataset], dict], root: Path | None = None) -> dict:
    """``compute(dataset)`` for dataset ``name``, from the cache when nothing it was computed from changed."""
    root = data_dir() if root is None else root
    if catalog.spec(name).synthetic:  # generated in milliseconds from its config: nothing worth a file
        return compute(catalog.load(name, root, download=False))
    path = cache_dirs(root)[-1] / "summaries" / f"{name}-{kind}.json"
    fingerprint = _fingerprint(name, root)
    try:
        cached = json.loads(path.read_text())
        if cached["fingerprint"] == fingerprint:
            return cached["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent, unreadable or stale: recompute
    reason = catalog.unavailable_reason(name, root)
    if reason:  # without loading (and hashing) the files that are there
        raise DataUnavailable(f"{name}: {reason}")
    value = compute(catalog.load(name, root, download=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "value": value}, sort_keys=True))
    tmp.replace(path)
    return value

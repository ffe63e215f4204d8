"""The dataset catalog: name -> raw files (sha256, URL), builder, task and paper statistics.

Loading a dataset verifies every raw file it reads, builds the :class:`NodeDataset`, checks it
(:func:`~.base.check_dataset`: a file that cannot be parsed or holds unusable values is a
:class:`~.files.DataError` naming the dataset and its files) and memoises it for the process, so
a suite that runs many methods on one dataset loads it once. Other packages
add datasets through the ``hgbench.datasets`` entry-point group (:mod:`hgbench.registry`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

from ..registry import Registry
from .base import InvalidDataset, NodeDataset, Task, check_dataset
from .files import DataError, DataFile, DataUnavailable, data_dir, ensure


@dataclass(frozen=True)
class DatasetSpec:
    """How to obtain one dataset.

    ``build`` receives a dict from each file's relative path to its verified local path.
    ``unavailable`` names files that have no public copy with a known checksum; such a dataset
    raises :class:`DataUnavailable` unless the user has placed the files in the data directory.
    ``paper`` is the dataset's column name in the paper tables (e.g. ``"MN40"``).
    """

    name: str
    files: tuple[DataFile, ...]
    build: Callable[[dict[str, Path]], NodeDataset]
    task: Task = Task.CLASSIFICATION
    paper: str | None = None
    description: str = ""
    unavailable: tuple[DataFile, ...] = ()
    synthetic: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def _register_builtins() -> None:
    # Importing the modules registers their datasets; imported lazily to avoid import cycles.
    from . import hetero, synthetic, zen_catalog  # noqa: F401


DATASETS: Registry[DatasetSpec] = Registry("dataset", "hgbench.datasets", _register_builtins)
_LOADED: dict[tuple, NodeDataset] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    return DATASETS.register(spec.name, spec)


def names() -> list[str]:
    return DATASETS.names()


def spec(name: str) -> DatasetSpec:
    return DATASETS.get(name)


def load(name: str, root: Path | None = None, *, download: bool = True) -> NodeDataset:
    """Load (and memoise) dataset ``name`` from the data directory, verifying every file.

    ``download=False``: an absent file raises :class:`~.files.DataMissing` and nothing is written.
    """
    dataset_spec = spec(name)
    root = data_dir() if root is None else root
    key = (name, str(root))
    if key not in _LOADED:
        paths = {file.path: ensure(file, root, download=download) for file in dataset_spec.files}
        for file in dataset_spec.unavailable:
            local = root / file.path
            if not local.exists():
                raise DataUnavailable(
                    f"{name}: {file.path} has no public copy with a known checksum (last known at "
                    f"{file.url}); place it at {local} to run this dataset"
                )
            paths[file.path] = local
        files = ", ".join(str(path) for path in paths.values())
        try:
            dataset = dataset_spec.build(paths)
        except DataError:
            raise
        except Exception as exc:  # a parser or the Hypergraph refusing the content (truncated, out-of-range ids)
            raise InvalidDataset(f"dataset {name}: its files could not be read ({exc.__class__.__name__}: {exc}); "
                                 f"files: {files}") from exc
        _LOADED[key] = check_dataset(dataset, files)
    return _LOADED[key]


def unavailable_reason(name: str, root: Path | None = None) -> str | None:
    """Why ``name`` cannot be run here (files with no public copy are absent), or ``None``.

    A cheap check that reads no file: checksums are verified when the dataset is loaded.
    """
    dataset_spec = spec(name)
    root = data_dir() if root is None else root
    missing = [file.path for file in dataset_spec.unavailable if not (root / file.path).exists()]
    if missing:
        return f"data unavailable: {', '.join(missing)} ha{'s' if len(missing) == 1 else 've'} no public copy"
    return None


def upstream_files(csv_name: str) -> dict[str, DataFile]:
    """Read a packaged file table (path, bytes, sha256, url) into ``{path: DataFile}``."""
    text = resources.files(__package__).joinpath(csv_name).read_text()
    return {row["path"]: DataFile(row["path"], row["sha256"], row["url"]) for row in csv.DictReader(text.splitlines())}

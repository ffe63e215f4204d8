"""Raw data files: where they live, how they are checked, how they are fetched.

Every file a loader reads is declared as a :class:`DataFile` (relative path, sha256, upstream
URL). The data directory is ``$HGBENCH_DATA`` or, if unset, a per-user cache directory. A file
that is present is verified against its sha256 before it is read; a file that is absent is
downloaded with :mod:`pooch` when the network allows it, otherwise the error names the file, its
URL and the directory to put it in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import pooch

ENV_VAR = "HGBENCH_DATA"


class DataError(RuntimeError):
    """A data file is missing, corrupted or unavailable; the message says which and what to do."""


class DataUnavailable(DataError):
    """The data cannot be obtained at all (no public copy); suites report it instead of failing."""


class DataMissing(DataError):
    """A data file is absent and downloading was not asked for (e.g. ``bench list``)."""


@dataclass(frozen=True)
class DataFile:
    """One raw file of a dataset: ``path`` is relative to the data directory."""

    path: str
    sha256: str
    url: str


def data_dir() -> Path:
    """The data directory: ``$HGBENCH_DATA`` or the user cache directory of hgbench."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("hgbench")) / "data"


def sha256_of(path: Path) -> str:
    return pooch.file_hash(str(path), alg="sha256")


def _download(file: DataFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(
            file.url,
            known_hash=f"sha256:{file.sha256}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
    except Exception as exc:  # network errors, HTTP errors, hash mismatch after download
        raise DataError(
            f"data file {file.path} is missing and could not be downloaded ({exc.__class__.__name__}: "
            f"{exc}).\n  Download it from {file.url}\n  and put it at {target}\n"
            f"  (data directory: {target.parent.parent}, set with ${ENV_VAR}); expected sha256 {file.sha256}"
        ) from exc


def ensure(file: DataFile, root: Path | None = None, *, download: bool = True) -> Path:
    """Return the verified local path of ``file``, downloading it if it is absent.

    ``download=False`` raises :class:`DataMissing` for an absent file instead, and creates nothing.
    """
    root = data_dir() if root is None else root
    target = root / file.path
    if not target.exists():
        if not download:
            raise DataMissing(f"data file {file.path} is not in {root} (not downloaded; bench run fetches it "
                              f"from {file.url})")
        _download(file, target)
    actual = sha256_of(target)
    if actual != file.sha256:
        raise DataError(
            f"data file {target} is corrupted or of another version: sha256 {actual}, expected "
            f"{file.sha256}. Delete it to download it again from {file.url}."
        )
    return target

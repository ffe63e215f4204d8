"""The results store: one JSON file per run record, and the splits every suite shares.

Layout under the store root::

    records/<suite>/<key>.json                  one RunRecord each
    splits/<dataset>/<protocol>/seed<i>.json    the node sets of split i

Every write goes to a temporary file in the same directory and is moved into place with
``os.replace``, so a killed run leaves either a whole record or none. A record's key is the hash
of its job (suite, method, config, dataset, protocol, seed, budget); the runner skips jobs whose
key is present, which is how an interrupted suite resumes. The record also carries the method's
fixed settings (``Method.settings``): a job stored under other settings is run again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from torch import Tensor

from ...datasets.splits import Split

STATUSES = ("ok", "failed", "oom", "timeout")


def write_json_atomic(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ records
    def _record_path(self, suite: str, key: str) -> Path:
        return self.root / "records" / suite / f"{key}.json"

    def get(self, suite: str, key: str) -> dict | None:
        """The stored record, or None when the job has no record."""
        path = self._record_path(suite, key)
        return json.loads(path.read_bytes()) if path.exists() else None

    def put(self, record: dict) -> None:
        if record.get("status") not in STATUSES:
            raise ValueError(f"record status must be one of {STATUSES}, got {record.get('status')!r}")
        write_json_atomic(self._record_path(record["suite"], record["key"]), record)

    def records(self, suite: str) -> list[dict]:
        """All records of ``suite``, in a deterministic order (by key)."""
        folder = self.root / "records" / suite
        if not folder.is_dir():
            return []
        names = sorted(name for name in os.listdir(folder) if name.endswith(".json") and not name.startswith("."))
        return [json.loads((folder / name).read_bytes()) for name in names]

    def suites(self) -> list[str]:
        folder = self.root / "records"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []

    # ------------------------------------------------------------------ splits
    def _split_path(self, dataset: str, protocol: str, seed: int) -> Path:
        return self.root / "splits" / dataset / protocol / f"seed{seed}.json"

    def split(self, dataset: str, protocol: str, seed: int, labels: Tensor, make: Callable[[], Split]) -> Split:
        """The stored split, or ``make()`` stored now; every suite and method then shares it."""
        path = self._split_path(dataset, protocol, seed)
        if path.exists():
            return Split.from_dict(json.loads(path.read_text()), labels)
        split = make()
        write_json_atomic(path, split.to_dict())
        return split

    def iter_split_files(self) -> Iterator[Path]:
        yield from sorted((self.root / "splits").rglob("seed*.json"))

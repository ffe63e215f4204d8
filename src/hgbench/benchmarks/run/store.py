"""The results store: one validated JSON record per job, artifacts beside it, suites' plans, shared splits.

Layout under the store root::

    records/<method>/<key>.json               one run record per job (key: the job's content hash)
    artifacts/<key>/trace.parquet             optional per-epoch trace of the run (a tidy table)
    artifacts/<key>/<name>.parquet            other tidy tables of the run (TriPrune: temperatures, meta-steps)
    artifacts/<key>/modules.pt                small trained parts a later job reuses (TriPrune's controllers)
    artifacts/<key>/model.pt                  optional trained state (``bench run --keep-models``)
    plans/<suite>.json                        the suite's plan entries (which jobs, which budget), one
                                              row per line under a ``columns`` header (:data:`PLAN_COLUMNS`)
    splits/<dataset>/<protocol>/seed<i>.json  the node sets of split i

    .lock                                     held by the run executing jobs here (the PID inside)

Every write goes to a temporary file in the same directory and is moved into place with
``os.replace``, so a killed run leaves either a whole record or none; a write that fails (the disk
full, a read-only store) removes its temporary file and raises :class:`StoreWriteError`, naming the
file and the OS error, so a full disk never leaves a half-written record. A record is validated on
read (:func:`validate_record`): a torn or malformed file is reported with its path, and the job it
should hold counts as not run, so ``bench run`` runs it again and replaces the file. One run at a
time executes jobs in a store (:meth:`Store.lock`); a second refuses at once (:class:`StoreLocked`).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import warnings
from contextlib import contextmanager
from dataclasses import MISSING, fields
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

import torch
from torch import Tensor

from ...datasets.splits import Split
from .plan import PlanEntry

if TYPE_CHECKING:  # read where a trace or table is read: a run that keeps none does not import pandas
    import pandas as pd

STATUSES = ("ok", "failed", "oom", "timeout")

#: Fields every record has, with their JSON types (None allowed where the tuple says so).
RECORD_SCHEMA: dict[str, tuple[type, ...]] = {
    "key": (str,), "method": (str,), "params": (dict,), "config": (dict,), "dataset": (str,), "protocol": (str,),
    "seed": (int,), "status": (str,), "reason": (str, type(None)), "val": (dict, type(None)),
    "test": (dict, type(None)), "fit_seconds": (float, int, type(None)), "code_version": (str,),
    "environment": (dict,), "executor": (str,),
}


VERIFY_FILE = "verify.csv"  # bench verify's log of reruns, in the output folder beside store/


class BadRecord(ValueError):
    """A stored record that cannot be read or fails the schema; the message names its file."""


class StoreWriteError(RuntimeError):
    """A file of the store could not be written (e.g. ENOSPC); the message names the file and the OS error.
    Nothing half-written is left: the temporary file is removed and the old file, if any, is untouched."""


class StoreLocked(RuntimeError):
    """Another process is running jobs in this store; the message names the store and that process's PID."""


def validate_record(record: Any, origin: str = "record") -> dict:
    """``record`` if it matches :data:`RECORD_SCHEMA` (an ``ok`` record also has val and test metrics)."""
    if not isinstance(record, dict):
        raise BadRecord(f"{origin}: a record is a JSON object, got {type(record).__name__}")
    missing = [name for name in RECORD_SCHEMA if name not in record]
    if missing:
        raise BadRecord(f"{origin}: missing fields {', '.join(missing)}")
    for name, types in RECORD_SCHEMA.items():
        if not isinstance(record[name], types) or (types == (int,) and isinstance(record[name], bool)):
            raise BadRecord(f"{origin}: field {name!r} is {type(record[name]).__name__}, "
                            f"expected {' or '.join(t.__name__ for t in types)}")
    if record["status"] not in STATUSES:
        raise BadRecord(f"{origin}: status {record['status']!r} is not one of {', '.join(STATUSES)}")
    if record["status"] == "ok" and not (record["val"] and record["test"]):
        raise BadRecord(f"{origin}: an ok record needs val and test metrics")
    return record


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write ``payload`` as JSON to ``path`` through a temporary file (:func:`_replace_atomic`)."""
    _write_synced(path, lambda handle: json.dump(payload, handle, indent=1, sort_keys=True))


def write_text_atomic(path: Path, text: str) -> None:
    _write_synced(path, lambda handle: handle.write(text))


def _write_synced(path: Path, fill: Callable[[IO[str]], Any]) -> None:
    """``fill`` a temporary text file, sync it, move it onto ``path`` (:func:`_replace_atomic`)."""
    def write(tmp: Path) -> None:
        with open(tmp, "w") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())

    _replace_atomic(path, write)


PLAN_FORMAT = 2  # 1: an object per entry (no ``format`` key); 2: rows under ``columns``
PLAN_COLUMNS = tuple(field.name for field in fields(PlanEntry))
_PLAN_DEFAULTS = {field.name: field.default for field in fields(PlanEntry) if field.default is not MISSING}


def plan_text(suite: str, entries: list[dict]) -> str:
    """A plan file: JSON whose ``entries`` are rows in :data:`PLAN_COLUMNS` order, one line per planned job.

    A plan lists every job of a suite (zen-5shot's full grids: thousands); an object per entry with a line
    per field made it 2.4 MB, rows make it 40% of that and a new job one added line in a committed diff."""
    rows = ",\n".join(json.dumps([entry[column] for column in PLAN_COLUMNS], sort_keys=True, separators=(",", ":"))
                       for entry in entries)
    return (f'{{"suite": {json.dumps(suite)}, "format": {PLAN_FORMAT}, "columns": {json.dumps(list(PLAN_COLUMNS))}, '
            f'"entries": [\n{rows}\n]}}\n')


def plan_entries(payload: dict) -> list[dict]:
    """The entries of a parsed plan file as dicts: rows under ``columns``, or objects (the layout before rows)."""
    entries, columns = payload["entries"], payload.get("columns")
    if columns is not None:
        if any(len(row) != len(columns) for row in entries):
            raise ValueError(f"a row without one value per column ({len(columns)})")
        entries = [dict(zip(columns, row)) for row in entries]
    return [{**_PLAN_DEFAULTS, **entry} for entry in entries]  # fields added since the file was written: defaults


def _read_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path)


def _replace_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` then move ``tmp`` onto ``path``; on any error ``tmp`` is removed, and an OS error (the
    disk full, no permission) becomes :class:`StoreWriteError` naming ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise StoreWriteError(_write_failure(path, exc)) from exc
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise StoreWriteError(_write_failure(path, exc)) from exc
        raise


def _save_torch(state: dict, tmp: Path) -> None:
    """``torch.save`` through a Python file, so a full disk is an OSError (a path gives torch's RuntimeError)."""
    with open(tmp, "wb") as handle:
        torch.save(state, handle)


def _write_failure(path: Path, exc: OSError) -> str:
    return f"could not write {path}: {exc.strerror or exc} (errno {exc.errno}); nothing half-written was left"


class Store:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._lock_depth = 0
        self._lock_thread: int | None = None

    # ------------------------------------------------------------------ lock
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's exclusive lock (``<root>/.lock``, holding the owner's PID) for the block.

        Non-blocking: :class:`StoreLocked` at once when another process holds it (or another ``Store``
        object, or another thread). Re-entrant in the thread that holds it through this object (``bench
        run`` holds it while it plans and while its executor runs). It is an advisory
        ``flock``: the kernel releases it when its holder dies, however it dies, so a killed run never
        leaves the store locked. Where there is no ``fcntl`` (Windows) runs are not locked.
        """
        if self._lock_depth and self._lock_thread == threading.get_ident():
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no advisory locks here
            fcntl = None
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")  # not truncated before the lock is ours: it names the holder
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise StoreLocked(f"the store {self.root} is in use by another run (PID {holder}); "
                                      "wait for it to finish or stop it") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            self._lock_depth, self._lock_thread = 1, threading.get_ident()
            try:
                yield
            finally:
                self._lock_depth, self._lock_thread = 0, None
        finally:
            handle.close()  # closing the only descriptor releases the flock

    # ------------------------------------------------------------------ records
    def record_path(self, method: str, key: str) -> Path:
        return self.root / "records" / method / f"{key}.json"

    def read(self, path: Path) -> dict:
        """The validated record in ``path``; :class:`BadRecord` naming the file otherwise."""
        try:
            record = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise BadRecord(f"{path}: not a readable JSON record ({exc})") from None
        return validate_record(record, str(path))

    def get(self, method: str, key: str) -> dict | None:
        """The stored record, or None when the job has none or its file is bad (warned, naming it)."""
        path = self.record_path(method, key)
        if not path.exists():
            return None
        try:
            return self.read(path)
        except BadRecord as exc:
            warnings.warn(f"{exc}; its job counts as not run", stacklevel=2)
            return None

    def put(self, record: dict) -> None:
        validate_record(record, f"record of {record.get('method')}/{record.get('key')}")
        write_json_atomic(self.record_path(record["method"], record["key"]), record)

    def all_records(self) -> Iterator[dict]:
        """Every readable record, by method then key (bad files are warned about and skipped)."""
        for path in sorted((self.root / "records").glob("*/*.json")):
            try:
                yield self.read(path)
            except BadRecord as exc:
                warnings.warn(str(exc), stacklevel=2)

    # ------------------------------------------------------------------ plans
    def _plan_path(self, suite: str) -> Path:
        return self.root / "plans" / f"{suite}.json"

    def plan(self, suite: str) -> list[dict]:
        """The suite's plan entries (``PlanEntry.to_dict``), or [] when it never ran here."""
        path = self._plan_path(suite)
        if not path.exists():
            return []
        try:
            payload = json.loads(path.read_bytes())
            written = payload.get("format", 1)
            entries = plan_entries(payload) if written <= PLAN_FORMAT else None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadRecord(f"{path}: not a readable plan ({exc}); rerun `bench run --suite {suite}`") from None
        if entries is None:
            raise BadRecord(f"{path}: plan format {written}, written by a newer hgbench (this one reads formats up "
                            f"to {PLAN_FORMAT}); update hgbench to read this store")
        return entries

    def add_plan(self, suite: str, entries: list[PlanEntry]) -> None:
        """Merge ``entries`` into the suite's plan: a grid point planned again (same method, config, dataset,
        protocol, seed, budget) takes its new key, so a changed default replaces the old job in the plan."""
        def identity(entry: dict) -> str:
            return json.dumps([entry[k] for k in ("method", "config", "dataset", "protocol", "seed", "budget",
                                                  "eval_dataset")], sort_keys=True)

        merged = {identity(entry): entry for entry in self.plan(suite)}
        merged.update({identity(e): e for e in (entry.to_dict() for entry in entries)})
        ordered = sorted(merged.values(), key=lambda e: (e["dataset"], e["method"], e["protocol"], e["seed"],
                                                          e["budget"], e["grid_index"]))
        write_text_atomic(self._plan_path(suite), plan_text(suite, ordered))

    def plans(self) -> list[str]:
        folder = self.root / "plans"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    def rewrite_old_plans(self) -> list[str]:
        """Rewrite in rows (:func:`plan_text`) every plan still written an object per entry; the suites rewritten."""
        old = [suite for suite in self.plans()
               if json.loads(self._plan_path(suite).read_bytes()).get("format", 1) < PLAN_FORMAT]
        for suite in old:
            self.add_plan(suite, [])
        return old

    def records(self, suite: str) -> list[dict]:
        """The records the suite's plan names, each with its plan entry's ``budget``, ``grid_index`` and
        ``suite``; a job planned under two budgets appears once per budget. Jobs without a (readable)
        record are missing from the list: not run yet."""
        out = []
        for entry in self.plan(suite):
            record = self.get(entry["method"], entry["key"])
            if record is not None:
                out.append({**record, "suite": suite, "budget": entry["budget"], "grid_index": entry["grid_index"],
                            "tuned_on": entry.get("tuned_on")})
        return out

    # ------------------------------------------------------------------ artifacts
    def artifact_path(self, key: str, name: str) -> Path:
        return self.root / "artifacts" / key / name

    def put_trace(self, key: str, trace: pd.DataFrame) -> Path:
        """Store a run's per-epoch trace as a Parquet table (one row per epoch, one column per quantity)."""
        path = self.artifact_path(key, "trace.parquet")
        _replace_atomic(path, lambda tmp: trace.to_parquet(tmp, index=False))
        return path

    def trace(self, key: str) -> pd.DataFrame | None:
        path = self.artifact_path(key, "trace.parquet")
        return _read_parquet(path) if path.exists() else None

    def put_table(self, key: str, name: str, table: pd.DataFrame) -> Path:
        """Store one more tidy table of a run as ``<name>.parquet``."""
        if name in ("trace", "model", "modules") or not name.isidentifier():
            raise ValueError(f"a run's table needs a plain name other than trace/model/modules, got {name!r}")
        path = self.artifact_path(key, f"{name}.parquet")
        _replace_atomic(path, lambda tmp: table.to_parquet(tmp, index=False))
        return path

    def table(self, key: str, name: str) -> pd.DataFrame | None:
        path = self.artifact_path(key, f"{name}.parquet")
        return _read_parquet(path) if path.exists() else None

    def put_modules(self, key: str, modules: dict) -> Path:
        path = self.artifact_path(key, "modules.pt")
        _replace_atomic(path, partial(_save_torch, modules))
        return path

    def modules(self, key: str) -> dict | None:
        path = self.artifact_path(key, "modules.pt")
        return torch.load(path, weights_only=True) if path.exists() else None

    def put_model(self, key: str, state: dict) -> Path:
        path = self.artifact_path(key, "model.pt")
        _replace_atomic(path, partial(_save_torch, state))
        return path

    def model(self, key: str) -> dict | None:
        path = self.artifact_path(key, "model.pt")
        return torch.load(path, weights_only=True) if path.exists() else None

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

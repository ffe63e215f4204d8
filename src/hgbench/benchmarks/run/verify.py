"""``bench verify``: rerun stored runs with the current code and compare their metrics.

A speed-up that changes summation order, or a fix, may change what a stored run would give today.
``verify`` reruns a selection of the store's ``ok`` records (the same job: method, parameters,
dataset, protocol, seed, and the stored split), compares every metric of ``val``, ``test`` and
``train``, and appends one row per rerun to ``<out>/verify.csv`` (both code versions, both CPUs, the largest
metric difference, both fit times). The same code and seed compute bit for bit the same on one CPU; on another
(vendor, model or the vector instructions torch uses) float rounding differs and training amplifies it, so
a changed rerun whose CPU differs from its record's says nothing about the code by itself; records written
before runs named their CPU show it as ``unknown``. With ``replace`` the rerun's record (and its artifacts)
replaces the stored one, whatever the comparison says: the store then holds what the current code
computes, with the current code's timings, which is how a change that moves results is made
consistent (the committed records stay valid, or are rerun).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ...datasets import catalog
from .executors import RunSummary
from .plan import Job, sorted_items
from .runner import Runner
from .store import VERIFY_FILE, Store, write_text_atomic

COLUMNS = ("verified_at", "key", "method", "dataset", "protocol", "seed", "stored_code", "current_code", "status",
           "same", "max_abs_diff", "changed", "stored_fit_seconds", "current_fit_seconds", "replaced", "stored_cpu",
           "current_cpu")
PARTS = ("val", "test", "train")


@dataclass(frozen=True)
class Selection:
    """Which stored ``ok`` runs to rerun: ``None`` means every value; ``sample`` caps runs per
    (method, dataset, protocol), taking the lowest seeds first (then keys: deterministic)."""

    methods: frozenset[str] | None = None
    datasets: frozenset[str] | None = None
    protocols: frozenset[str] | None = None
    sample: int | None = None

    def select(self, records: Iterable[dict]) -> list[dict]:
        chosen = sorted((r for r in records if r["status"] == "ok"
                         and (self.methods is None or r["method"] in self.methods)
                         and (self.datasets is None or r["dataset"] in self.datasets)
                         and (self.protocols is None or r["protocol"] in self.protocols)),
                        key=lambda r: (r["method"], r["dataset"], r["protocol"], r["seed"], r["key"]))
        if self.sample is None:
            return chosen
        taken: dict[tuple, int] = {}
        kept = []
        for record in chosen:
            cell = (record["method"], record["dataset"], record["protocol"])
            if taken.get(cell, 0) < self.sample:
                taken[cell] = taken.get(cell, 0) + 1
                kept.append(record)
        return kept


def job_of(record: dict) -> Job:
    """The job a record ran; ValueError when the record's key is not that job's (a record of another layout)."""
    job = Job(record["method"], sorted_items(record["params"]), record["dataset"], record["protocol"],
              int(record["seed"]), sorted_items(record.get("config") or {}), record.get("eval_dataset"))
    if job.key != record["key"]:
        raise ValueError(f"record {record['key']} does not hash to its own job ({job.key}); it cannot be rerun as is")
    return job


def compare(stored: dict, current: dict, tolerance: float) -> tuple[float, list[str]]:
    """The largest absolute difference over every metric of :data:`PARTS`, and the metrics past ``tolerance``."""
    largest, changed = 0.0, []
    for part in PARTS:
        before, after = stored.get(part) or {}, current.get(part) or {}
        for name in sorted(set(before) | set(after)):
            a, b = before.get(name), after.get(name)
            if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
                if a != b:
                    largest, changed = math.inf, changed + [f"{part}.{name}"]
                continue
            gap = abs(float(a) - float(b))
            largest = max(largest, gap)
            if gap > tolerance:
                changed.append(f"{part}.{name}")
    return largest, changed


def cpu_of(record: dict) -> str:
    """``vendor model (capability)`` of the CPU a record's run computed on; ``unknown`` when it names none."""
    environment = record.get("environment") or {}
    if not environment.get("cpu"):
        return "unknown"
    return f"{environment['cpu']} ({environment.get('cpu_capability', '?')})"


def verify(store: Store, selection: Selection, out: Path, replace: bool = False, tolerance: float = 1e-9,
           time_limit_s: float | None = None,
           on_row: Callable[[dict], None] = lambda row: None) -> list[dict]:
    """Rerun the selected records (:class:`Selection`) in this process, append their rows to ``out/verify.csv``.

    Only ``replace`` takes the store's lock: a plain check may run beside a ``bench run`` on the same store."""
    runner = Runner(store, time_limit_s=time_limit_s)
    rows = []
    records = selection.select(store.all_records())
    with store.lock() if replace else contextlib.nullcontext():  # a plain check writes no store file
        prepared: dict[str, dict] = {}
        for stored in records:
            job = job_of(stored)
            cache = prepared.setdefault(job.dataset, {})
            result = runner.execute(job, catalog.load(job.dataset), runner.split(job), cache)
            current = result.record
            largest, changed = compare(stored, current, tolerance) if current["status"] == "ok" else (math.nan, [])
            if current["split_digest"] != stored.get("split_digest"):  # another split: not the same run
                changed.insert(0, "split_digest")
            row = {
                "verified_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "key": job.key,
                "method": job.method, "dataset": job.dataset, "protocol": job.protocol, "seed": job.seed,
                "stored_code": stored.get("code_version"), "current_code": current["code_version"],
                "status": current["status"], "same": current["status"] == "ok" and not changed,
                "max_abs_diff": largest, "changed": " ".join(changed),
                "stored_fit_seconds": stored.get("fit_seconds"), "current_fit_seconds": current.get("fit_seconds"),
                "replaced": replace and current["status"] == "ok",
                "stored_cpu": cpu_of(stored), "current_cpu": cpu_of(current),
            }
            if row["replaced"]:
                runner.record(RunSummary(planned=1), job, result)
            append_rows(out / VERIFY_FILE, [row])
            rows.append(row)
            on_row(row)
    return rows


def append_rows(path: Path, rows: list[dict]) -> None:
    """Append ``rows`` (:data:`COLUMNS`) to the CSV ``path``, writing its header first when it is new; a file
    written with fewer columns (an earlier hgbench) is first rewritten with them, its rows' new cells empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    if not new:
        with path.open(newline="") as handle:
            header = next(csv.reader(handle), [])
        if tuple(header) != COLUMNS:
            _widen(path)
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def _widen(path: Path) -> None:
    """Rewrite ``path`` under the header :data:`COLUMNS` (atomically); ValueError naming a column it does not know."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        unknown = sorted(set(reader.fieldnames or ()) - set(COLUMNS))
        if unknown:
            raise ValueError(f"{path} has columns {unknown} that this hgbench does not write; nothing was appended")
        rows = list(reader)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, text.getvalue())

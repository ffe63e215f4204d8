"""``bench merge``: copy the runs of one store into another.

Two sequential ``bench run`` processes (or two machines) need two stores, since a store admits one run
at a time. Merging copies the source's splits, records with their artifacts, and plan entries:

* a split both stores hold must be the same file, else :class:`MergeConflict` before anything is written
  (records computed on different splits cannot share a table);
* a record the target lacks is copied; one it holds is replaced only by a record that finished later
  (a rerun: ``--retry``, ``bench verify --replace``), with its artifacts; an identical one is left;
* plan entries are added as ``bench run`` adds them (:meth:`.store.Store.add_plan`);
* the rows of the source folder's ``verify.csv`` (``bench verify``) the target's lacks are appended to it.

Artifacts are written before their record, so the target never holds a record without them.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

from .plan import PlanEntry
from .store import VERIFY_FILE, Store
from .verify import append_rows


class MergeConflict(ValueError):
    """The two stores hold different splits under one name."""


@dataclass
class MergeSummary:
    copied: int = 0
    replaced: int = 0
    unchanged: int = 0
    kept_newer: int = 0  # the target's record finished later than the source's: kept
    splits: int = 0
    plans: int = 0
    verifications: int = 0


def merge(source: Store, target: Store) -> MergeSummary:
    """Copy ``source``'s runs into ``target`` (module doc), holding ``target``'s lock."""
    if source.root.resolve() == target.root.resolve():
        raise ValueError(f"cannot merge the store {source.root} into itself")
    summary = MergeSummary()
    with target.lock():
        new_splits = []
        for path in source.iter_split_files():
            twin = target.root / path.relative_to(source.root)
            if not twin.exists():
                new_splits.append((path, twin))
            elif twin.read_bytes() != path.read_bytes():
                raise MergeConflict(f"{twin} differs from {path}: the stores split "
                                    f"{path.relative_to(source.root / 'splits')} differently; nothing was merged")
        for path, twin in new_splits:
            twin.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, twin)
        summary.splits = len(new_splits)
        for record in source.all_records():
            held = target.get(record["method"], record["key"])
            if held == record:
                summary.unchanged += 1
                continue
            if held is not None and (held.get("finished_at") or "") >= (record.get("finished_at") or ""):
                summary.kept_newer += 1
                continue
            _copy_artifacts(source, target, record["key"])
            target.put(record)
            summary.copied += held is None
            summary.replaced += held is not None
        for suite in source.plans():
            target.add_plan(suite, [PlanEntry(**entry) for entry in source.plan(suite)])
            summary.plans += 1
        summary.verifications = _merge_verifications(source.root.parent / VERIFY_FILE,
                                                     target.root.parent / VERIFY_FILE)
    return summary


def _merge_verifications(source: Path, target: Path) -> int:
    """Append the rows of ``source`` that ``target`` lacks (a row is its rerun's time and key); how many."""
    if not source.exists():
        return 0
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    held = set()
    if target.exists():
        with target.open(newline="") as handle:
            held = {(row["verified_at"], row["key"]) for row in csv.DictReader(handle)}
    new = [row for row in rows if (row["verified_at"], row["key"]) not in held]
    if new:
        append_rows(target, new)
    return len(new)


def _copy_artifacts(source: Store, target: Store, key: str) -> None:
    """Replace the target's artifacts of ``key`` by the source's (none when the source has none)."""
    theirs, ours = source.root / "artifacts" / key, target.root / "artifacts" / key
    if ours.exists():
        shutil.rmtree(ours)
    if theirs.exists():
        shutil.copytree(theirs, ours)

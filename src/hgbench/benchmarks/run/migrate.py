"""Re-key a store written before jobs were content hashes without a suite (``bench migrate``).

The old layout held ``records/<suite>/<key>.json`` with the suite and the tuning budget inside the
key, so one computation asked for by two suites (or two budgets) was run and stored twice. This
module moves every such record to ``records/<method>/<key>.json`` under the key :class:`.plan.Job`
gives it now, and writes each suite's plan from the records it held. Nothing is rerun.

* ``params`` is the record's ``settings`` (the method's current settings for a record from before
  records carried them; such records counted as current) overlaid by its ``config``.
* Records of one computation (the same key) are identical in every metric (checked: the migration
  refuses otherwise); the one kept is, in order: measured by the sequential executor (a record
  without ``executor`` predates the pool and was sequential), from the suite registered first, from
  the largest budget, finished last.
* A suite's plan lists, per (method, dataset, protocol, seed, budget) it holds records of, the
  method's current grid for that budget (configurations never stored become pending jobs) and
  after it the stored configurations the grid does not hold, so a report sees exactly the splits
  and cut grids the old report saw. A record made under settings other than the method's current
  ones is moved but not planned (the old report left such records out).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .plan import Job, PlanEntry, expand_grid, sorted_items
from .registry import method_entry, method_names
from .store import Store

_BUDGET_RANK = {"full": 0, "reduced": 1, "smoke": 2}
_SAME = ("status", "val", "test", "train")


def old_records(store: Store) -> list[tuple[Path, dict]]:
    """Every record file of the old layout (a record naming its suite and carrying no ``params``)."""
    found = []
    for path in sorted((store.root / "records").glob("*/*.json")):
        record = json.loads(path.read_bytes())
        if "suite" in record and "params" not in record:
            found.append((path, record))
    return found


def _settings(method: str) -> dict | None:
    return method_entry(method).factory().settings() if method in method_names() else None


def _new_record(record: dict, settings: dict) -> dict:
    params = {**record.get("settings", settings), **record["config"]}
    job = Job(record["method"], sorted_items(params), record["dataset"], record["protocol"], record["seed"])
    moved = {k: v for k, v in record.items() if k not in ("suite", "budget", "settings")}
    return {**moved, "key": job.key, "params": params, "eval_dataset": None,
            "executor": record.get("executor") or "sequential"}


def migrate(store: Store, suite_order: list[str]) -> dict[str, int]:
    """Re-key ``store`` in place; ``suite_order`` (registration order) breaks ties between duplicates."""
    found = old_records(store)
    if not found:
        return {"records": 0, "kept": 0, "planned_suites": 0}
    settings = {m: _settings(m) or {} for m in {r["method"] for _, r in found}}
    by_key: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for _, record in found:
        new = _new_record(record, settings[record["method"]])
        by_key[new["key"]].append((record, new))

    def preference(pair: tuple[dict, dict]):
        old, new = pair
        suite_index = suite_order.index(old["suite"]) if old["suite"] in suite_order else len(suite_order)
        return new["executor"] != "sequential", suite_index, _BUDGET_RANK.get(old.get("budget"), 9)

    for key, pairs in by_key.items():
        outcomes = {json.dumps([new[f] for f in _SAME], sort_keys=True) for _, new in pairs}
        if len(outcomes) > 1:
            raise ValueError(f"records {[old['key'] for old, _ in pairs]} are one computation ({key}) with "
                             "different results; resolve them by hand before migrating")
    for pairs in by_key.values():  # written only once every computation is known to be consistent
        latest_first = sorted(pairs, key=lambda pair: pair[0].get("finished_at") or "", reverse=True)
        store.put(min(latest_first, key=preference)[1])

    groups: dict[tuple, dict[str, dict]] = defaultdict(dict)  # (suite, method, dataset, protocol, seed, budget)
    for _, record in found:
        current = "settings" not in record or record["settings"] == settings[record["method"]]
        if current:
            group = (record["suite"], record["method"], record["dataset"], record["protocol"], record["seed"],
                     record.get("budget", "full"))
            groups[group][json.dumps(record["config"], sort_keys=True)] = record["config"]
    plans: dict[str, list[PlanEntry]] = defaultdict(list)
    for (suite, method, dataset, protocol, seed, budget), stored in sorted(groups.items()):
        known = method in method_names()
        grid = [dict(c) for c in expand_grid(method_entry(method).factory().configurations(budget))] if known else []
        full = len(expand_grid(method_entry(method).factory().configurations("full"))) if known else len(stored)
        in_grid = {json.dumps(c, sort_keys=True) for c in grid}
        configs = grid + [stored[text] for text in sorted(stored) if text not in in_grid]
        for index, config in enumerate(configs):
            job = Job(method, sorted_items({**settings[method], **config}), dataset, protocol, seed)
            plans[suite].append(PlanEntry(job.key, method, config, dataset, protocol, seed, budget, index, None,
                                          full))
    for suite, entries in plans.items():
        store.add_plan(suite, entries)
    for path, _ in found:
        path.unlink()
    for folder in {path.parent for path, _ in found}:
        if not any(folder.iterdir()):
            folder.rmdir()
    return {"records": len(found), "kept": len(by_key), "planned_suites": len(plans)}

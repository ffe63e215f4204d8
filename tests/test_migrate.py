"""``bench migrate``: an old-layout store (records/<suite>/, keys with suite and budget) re-keyed, nothing rerun."""

import json

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.migrate import migrate
from hgbench.benchmarks.run.plan import expand_grid, plan
from hgbench.benchmarks.run.registry import method_entry
from hgbench.benchmarks.run.store import BadRecord, Store


def _old(suite, method, seed, config, budget="full", accuracy=0.5, executor=None):
    record = {"key": f"old-{suite}-{method}-{seed}-{budget}-{len(json.dumps(config))}", "suite": suite,
              "budget": budget, "method": method, "config": config, "dataset": "synthetic", "protocol": "5-shot",
              "seed": seed, "status": "ok", "reason": None, "val": {"accuracy": 0.5}, "test": {"accuracy": accuracy},
              "train": None, "fit_seconds": 1.0, "code_version": "old", "environment": {}}
    return record | ({"executor": executor} if executor else {})


def _write(store, record):
    path = store.root / "records" / record["suite"] / f"{record['key']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_migration_rekeys_dedupes_and_plans_the_old_grids(tmp_path):
    store = Store(tmp_path / "store")
    grid = [dict(c) for c in expand_grid(method_entry("hgnn").factory().configurations("full"))]
    for record in (_old("zen-5shot", "zen", 0, {}), _old("zen-ablation", "zen", 0, {}, executor="pool-2"),
                   _old("zen-5shot", "hgnn", 0, grid[0]), _old("zen-5shot", "hgnn", 0, grid[0], budget="reduced")):
        _write(store, record)
    summary = migrate(store, ["zen-5shot", "zen-ablation"])
    assert summary == {"records": 4, "kept": 2, "planned_suites": 2}
    assert not (store.root / "records" / "zen-5shot").exists()
    kept = {r["method"]: r for r in store.all_records()}
    assert kept["zen"]["executor"] == "sequential" and "suite" not in kept["zen"]  # no executor: predates the pool
    (zen_job,), _ = plan("any", ["zen"], ["synthetic"], "5-shot", 1)
    assert kept["zen"]["key"] == zen_job.key  # the key bench run plans now: the store skips the job
    assert [r["method"] for r in store.records("zen-ablation")] == ["zen"]
    entries = store.plan("zen-5shot")
    assert sum(e["method"] == "hgnn" and e["budget"] == "full" for e in entries) == len(grid)  # the rest is pending
    assert {r["budget"] for r in store.records("zen-5shot") if r["method"] == "hgnn"} == {"full", "reduced"}
    assert migrate(store, [])["records"] == 0  # a second migration finds nothing to do


def test_migration_refuses_one_computation_with_two_results(tmp_path):
    store = Store(tmp_path / "store")
    _write(store, _old("zen-5shot", "zen", 0, {}, accuracy=0.5))
    _write(store, _old("zen-ablation", "zen", 0, {}, accuracy=0.6))
    with pytest.raises(ValueError, match="different results"):
        migrate(store, ["zen-5shot"])
    assert len(list((store.root / "records").glob("*/*.json"))) == 2  # nothing moved


def test_cli_migrates_an_old_store_and_then_finds_nothing_to_do(tmp_path):
    store = Store(tmp_path / "store")
    _write(store, _old("zen-5shot", "zen", 0, {}))
    assert main(["migrate", "--out", str(tmp_path)]) == 0
    assert [r["method"] for r in store.all_records()] == ["zen"] and store.plans() == ["zen-5shot"]
    assert main(["migrate", "--out", str(tmp_path)]) == 0 and len(list(store.all_records())) == 1


def test_plans_written_an_object_per_entry_are_read_and_rewritten_in_rows(tmp_path):
    store = Store(tmp_path / "store")
    _, entries = plan("zen-5shot", ["hgnn", "zen"], ["synthetic"], "5-shot", 5, budget="reduced")
    old = [entry.to_dict() for entry in entries]
    for entry in old:
        del entry["tuned_on"]  # a field added after the file was written: read as its default
    path = store.root / "plans" / "zen-5shot.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"suite": "zen-5shot", "entries": old}, indent=1, sort_keys=True))
    before = store.plan("zen-5shot")
    assert before == sorted((e.to_dict() for e in entries), key=lambda e: (e["dataset"], e["method"], e["seed"],
                                                                           e["grid_index"]))
    size = path.stat().st_size
    assert main(["migrate", "--out", str(tmp_path)]) == 0
    payload = json.loads(path.read_text())
    assert payload["format"] == 2 and all(isinstance(row, list) for row in payload["entries"])
    assert path.read_text().count("\n") == len(entries) + 2  # one line per job between header and closing line
    assert store.plan("zen-5shot") == before and path.stat().st_size < size / 2
    assert store.rewrite_old_plans() == []


def test_a_plan_row_without_a_value_per_column_is_a_bad_plan(tmp_path):
    store = Store(tmp_path / "store")
    _, entries = plan("zen-5shot", ["zen"], ["synthetic"], "5-shot", 1)
    store.add_plan("zen-5shot", entries)
    path = store.root / "plans" / "zen-5shot.json"
    path.write_text(path.read_text().replace(',null]', ']', 1))
    with pytest.raises(BadRecord, match="zen-5shot.json: not a readable plan"):
        store.plan("zen-5shot")


def test_a_plan_of_a_newer_format_is_refused_with_the_reason(tmp_path):
    store = Store(tmp_path / "store")
    path = store.root / "plans" / "zen-5shot.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"suite": "zen-5shot", "format": 99, "entries": {}}))
    with pytest.raises(BadRecord, match="plan format 99, written by a newer hgbench"):
        store.plan("zen-5shot")

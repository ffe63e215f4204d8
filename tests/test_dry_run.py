"""The cost before the run: ``bench run --dry-run`` prints jobs, stored and projected hours and writes nothing;
``--max-hours`` refuses a run projected above it (or of unknown cost) without running anything."""

import math

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.estimate import estimate, total_hours
from hgbench.benchmarks.run.plan import plan
from hgbench.benchmarks.run.store import Store

RUN = ["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "2"]


def test_dry_run_writes_nothing_and_prices_from_stored_runs(tmp_path, capsys):
    assert main([*RUN, "--dry-run", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.json"))
    assert "unknown" in capsys.readouterr().err
    assert main([*RUN, "--out", str(tmp_path)]) == 0
    store = Store(tmp_path / "store")
    jobs, _ = plan("demo", ["zen"], ["synthetic"], "5-shot", 4)
    table = estimate(store, jobs)
    assert table.jobs.sum() == 4 and table.stored.sum() == 2 and table.to_run.sum() == 2
    row = table.iloc[0]
    assert row.based_on == 2 and row.hours == 2 * row.seconds_each / 3600 and total_hours(table) == row.hours


def test_max_hours_refuses_an_unknown_or_larger_cost_and_runs_nothing(tmp_path):
    assert main([*RUN, "--max-hours", "1", "--out", str(tmp_path)]) == 5  # nothing stored: unknown cost
    assert not any((tmp_path / "store").rglob("records/*/*.json"))
    assert main([*RUN, "--out", str(tmp_path)]) == 0
    assert main([*RUN[:-1], "4", "--max-hours", "1", "--out", str(tmp_path)]) == 0  # seconds: within an hour


def _stored(store: Store, job, seconds: float) -> None:
    store.put({"method": job.method, "key": job.key, "dataset": job.dataset, "protocol": job.protocol, "seed": job.seed,
               "status": "ok", "reason": None, "params": job.params_dict, "config": job.config_dict,
               "val": {"accuracy": 0.5}, "test": {"accuracy": 0.5}, "prepare_seconds": 0.0, "fit_seconds": seconds,
               "predict_seconds": 0.0, "code_version": "test", "environment": {}, "executor": "sequential"})


def test_each_job_is_priced_from_the_stored_runs_of_its_own_configuration(tmp_path):
    store = Store(tmp_path / "store")
    jobs, _ = plan("zen-5shot", ["hgnn"], ["cora"], "5-shot", 2, "full")  # 9 configurations x 2 splits
    first_split = [job for job in jobs if job.seed == 0]
    for job in first_split:  # a wide configuration costs ten times a narrow one
        _stored(store, job, 10.0 if job.config_dict["hidden"] == 256 else 1.0)
    row = estimate(store, jobs).iloc[0]
    wide = sum(job.config_dict["hidden"] == 256 for job in first_split)
    assert row.to_run == len(first_split) and row.priced_exactly == len(first_split)
    assert row.hours == pytest.approx((wide * 10.0 + (len(first_split) - wide) * 1.0) / 3600)


def test_a_configuration_without_stored_runs_is_priced_from_the_nearest_ones(tmp_path):
    store = Store(tmp_path / "store")
    jobs, _ = plan("zen-5shot", ["hgnn"], ["cora"], "5-shot", 1, "full")
    narrow = [job for job in jobs if job.config_dict["hidden"] == 64]
    for job in narrow:  # only hidden 64 is stored; the others share their learning rate with one of them
        _stored(store, job, 2.0 if job.config_dict["lr"] == 0.01 else 4.0)
    row = estimate(store, jobs).iloc[0]
    others = [job for job in jobs if job.config_dict["hidden"] != 64]
    expected = sum(2.0 if job.config_dict["lr"] == 0.01 else 4.0 for job in others)
    assert row.to_run == len(others) and row.priced_exactly == 0
    assert row.hours == pytest.approx(expected / 3600)


def test_another_width_is_scaled_by_the_methods_cost_ratio_between_widths_on_other_datasets(tmp_path):
    store = Store(tmp_path / "store")
    cost = {64: 1.0, 128: 2.0, 256: 5.0}
    elsewhere, _ = plan("zen-5shot", ["hgnn"], ["citeseer"], "5-shot", 1, "full")
    for job in elsewhere:  # Citeseer holds every width: 128 costs 2x and 256 5x the 64's
        _stored(store, job, cost[job.config_dict["hidden"]])
    jobs, _ = plan("zen-5shot", ["hgnn"], ["cora"], "5-shot", 1, "full")
    for job in jobs:
        if job.config_dict["hidden"] == 64:
            _stored(store, job, 3.0)  # Cora holds only the narrow configurations
    row = estimate(store, jobs).iloc[0]
    others = [job for job in jobs if job.config_dict["hidden"] != 64]
    assert row.hours == pytest.approx(sum(3.0 * cost[job.config_dict["hidden"]] for job in others) / 3600)


def _timed_out(store: Store, job, reason: str, **fields) -> None:
    store.put({"method": job.method, "key": job.key, "dataset": job.dataset, "protocol": job.protocol, "seed": job.seed,
               "status": "timeout", "reason": reason, "params": job.params_dict, "config": job.config_dict,
               "val": None, "test": None, "prepare_seconds": 0.0, "fit_seconds": None, "predict_seconds": None,
               "code_version": "test", "environment": {}, "executor": "worker", **fields})


def test_a_job_that_timed_out_is_priced_at_no_less_than_the_limit_it_passed(tmp_path):
    store = Store(tmp_path / "store")
    jobs, _ = plan("zen-5shot", ["hgnn"], ["cora"], "5-shot", 2, "reduced")
    first, second = [job for job in jobs if job.seed == 0], [job for job in jobs if job.seed == 1]
    for job in first:
        _stored(store, job, 10.0)
    _timed_out(store, second[0], "time limit exceeded (900.0 s)")  # written before records named their limit
    _timed_out(store, second[1], "time limit exceeded (5.0 s)", time_limit_s=5.0)  # below the runs' price
    row = estimate(store, jobs, retry=("timeout",)).iloc[0]
    assert row.to_run == len(second) and row.at_time_limit == 1 and row.priced_exactly == len(second) - 1
    assert row.hours == pytest.approx((900.0 + 10.0 * (len(second) - 1)) / 3600)
    assert estimate(store, jobs).iloc[0].to_run == len(second) - 2  # without --retry timeout they stay stored


def test_a_cell_priced_only_by_its_time_limits_is_a_known_lower_bound(tmp_path):
    store = Store(tmp_path / "store")
    jobs, _ = plan("zen-5shot", ["hgnn"], ["cora"], "5-shot", 1, "reduced")
    for job in jobs:
        _timed_out(store, job, "time limit exceeded (60.0 s)", time_limit_s=60.0)
    row = estimate(store, jobs, retry=("timeout",)).iloc[0]
    assert row.based_on == 0 and row.at_time_limit == len(jobs) and row.seconds_each == 60.0
    assert total_hours(estimate(store, jobs, retry=("timeout",))) == pytest.approx(60.0 * len(jobs) / 3600)
    store.put({**store.get(jobs[0].method, jobs[0].key), "status": "failed", "reason": "worker process died"})
    assert math.isnan(estimate(store, jobs, retry=("timeout", "failed")).iloc[0].hours)  # a failure passed no limit

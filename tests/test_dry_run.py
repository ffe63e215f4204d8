"""The cost before the run: ``bench run --dry-run`` prints jobs, stored and projected hours and writes nothing;
``--max-hours`` refuses a run projected above it (or of unknown cost) without running anything."""

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

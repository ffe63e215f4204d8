"""``bench`` end to end on synthetic data."""

import csv
import os

import pooch

import pytest

from hgbench.benchmarks import cli
from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.store import Store
from hgbench.datasets import catalog


def test_run_then_report_end_to_end(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "synthetic:" in err and " s" in err  # time per dataset
    assert (out / "demo" / "scores.png").stat().st_size > 0 and "scores.png" in err  # the demo's picture
    board = [row for row in csv.DictReader(open(out / "demo" / "leaderboard.csv")) if row["dataset"] == "synthetic"]
    assert {"method", "dataset", "metric", "setting", "mean", "std", "n_runs", "status"} <= set(board[0])
    assert {row["status"] for row in board} == {"ok"} and {row["n_runs"] for row in board} == {"3"}
    table = (out / "demo" / "table.tex").read_bytes()
    assert main(["report", "--suite", "demo", "--out", str(out)]) == 0
    assert (out / "demo" / "table.tex").read_bytes() == table
    rendered = (out / "claims.md").stat().st_mtime_ns
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "0 runs executed" in err and "is up to date with the store" in err  # nothing ran: no re-render
    assert (out / "claims.md").stat().st_mtime_ns == rendered
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "4", "--out", str(out)]) == 0
    assert "up to date" not in capsys.readouterr().err and (out / "claims.md").stat().st_mtime_ns > rendered


def test_unknown_names_list_the_valid_ones(tmp_path, capsys):
    assert main(["run", "--suite", "nope"]) == 2
    assert "zen-5shot" in capsys.readouterr().err
    assert main(["run", "--suite", "demo", "--methods", "hgnn-typo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: unknown method hgnn-typo" in err and "valid methods: " in err and "zen" in err
    assert main(["ops", "--datasets", "nope", "--out", str(tmp_path)]) == 2
    assert "valid datasets: " in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["run", "--suite", "demo", "--retry", "ok"])
    assert usage.value.code == 2 and "valid: failed, oom, timeout" in capsys.readouterr().err


@pytest.mark.parametrize("argv, option", [
    (["run", "--seeds", "-1"], "--seeds"), (["run", "--seeds", "0"], "--seeds"), (["run", "--jobs", "0"], "--jobs"),
    (["run", "--time-limit", "-5"], "--time-limit"), (["run", "--time-limit", "0"], "--time-limit"),
    (["ops", "--repeats", "0"], "--repeats"), (["ops", "--threads", "-2"], "--threads"),
])
def test_non_positive_counts_and_limits_are_usage_errors(argv, option, tmp_path, capsys):
    """Before: --seeds -1 ran nothing (exit 0), --seeds 0 ran 10, --jobs 0 ran sequentially, --time-limit -5 passed."""
    command, rest = argv[0], argv[1:]
    chosen = ["--suite", "demo", "--methods", "zen", "--datasets", "synthetic"] if command == "run" \
        else ["--datasets", "synthetic"]
    with pytest.raises(SystemExit) as usage:
        main([command, *chosen, *rest, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert usage.value.code == 2 and f"argument {option}" in err and "must be positive" in err
    assert not (tmp_path / "store").exists() and not (tmp_path / "ops-benchmark").exists()


def test_seed_ranges_share_a_suite_between_stores_and_merge_into_the_whole_run(tmp_path, capsys):
    demo = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic"]
    assert main([*demo, "--seeds", "0:2", "--out", str(tmp_path / "a")]) == 0
    assert main([*demo, "--seeds", "2:4", "--out", str(tmp_path / "b")]) == 0
    assert main([*demo, "--seeds", "4", "--out", str(tmp_path / "whole")]) == 0
    stores = {name: Store(tmp_path / name / "store") for name in ("a", "b", "whole")}
    assert sorted(r["seed"] for r in stores["b"].all_records()) == [2, 3]
    assert main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")]) == 0
    keys = {name: sorted(r["key"] for r in store.all_records()) for name, store in stores.items()}
    assert keys["a"] == keys["whole"] and stores["a"].plan("demo") == stores["whole"].plan("demo")
    capsys.readouterr()
    for bad in ("2:2", "-1:3", "1:x"):
        with pytest.raises(SystemExit) as usage:
            main([*demo, "--seeds", bad, "--out", str(tmp_path / "bad")])
        assert usage.value.code == 2 and "argument --seeds" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_no_report_stores_the_runs_and_renders_nothing_until_a_later_run_or_report(tmp_path):
    demo = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "2"]
    assert main([*demo, "--no-report", "--out", str(tmp_path)]) == 0
    assert sorted(r["seed"] for r in Store(tmp_path / "store").all_records()) == [0, 1]
    assert not (tmp_path / "leaderboard.csv").exists() and not (tmp_path / "demo").exists()
    assert main([*demo, "--out", str(tmp_path)]) == 0  # nothing left to run: the report is rendered now
    assert (tmp_path / "demo" / "table.tex").exists() and (tmp_path / "leaderboard.csv").exists()


def test_a_corrupted_data_file_is_a_data_error_naming_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path / "data"))
    broken = [tmp_path / "data" / file.path for file in catalog.spec("zoo").files]
    for path in broken:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"truncated")
    assert main(["ops", "--datasets", "zoo", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: data file ") and str(broken[0]) in err and "Traceback" not in err


def test_list_prints_everything(capsys):
    assert main(["list", "suites"]) == 0
    assert "zen-ablation" in capsys.readouterr().out
    assert main(["list", "methods"]) == 0
    assert "linearized-hgnn" in capsys.readouterr().out


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as shown:
        main(["--help"])
    out = capsys.readouterr().out
    assert shown.value.code == 0 and "run" in out
    codes = out[out.index("exit codes:"):]
    assert all(line in codes for line in ("1  data error", "2  usage error", "3  store busy"))


def test_listing_datasets_creates_nothing_and_downloads_nothing(tmp_path, monkeypatch, capsys):
    """With no data anywhere, ``bench list datasets`` reports the files as missing and leaves the disk as it was."""
    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    monkeypatch.setenv("HGBENCH_DATA", str(data))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("HGBENCH_CACHE", raising=False)
    downloads = []
    monkeypatch.setattr(pooch, "retrieve", lambda url, *args, **kwargs: downloads.append(url))
    monkeypatch.setattr(cli.out_console, "width", 300)  # one line per table row
    before = sorted(tmp_path.rglob("*"))
    assert main(["list", "datasets"]) == 0
    assert sorted(tmp_path.rglob("*")) == before and downloads == []
    out = capsys.readouterr().out
    assert all(f"{name} " in out for name in ("cora", "imdb", "douban")) and "not downloaded" in out


def test_dataset_statistics_are_cached_and_recomputed_when_a_file_changes(tmp_path, monkeypatch, real_data_dir):
    from hgbench.datasets import catalog, summaries

    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    calls = []

    def count(data):
        calls.append(data.name)
        return data.summary()

    spec = catalog.spec("imdb")
    root = tmp_path / "data"
    for file in spec.files:  # a private copy of the raw files, so one can be touched
        (root / file.path).parent.mkdir(parents=True, exist_ok=True)
        (root / file.path).write_bytes((real_data_dir / file.path).read_bytes())
    first = summaries.statistics("imdb", "summary", count, root)
    assert summaries.statistics("imdb", "summary", count, root) == first and calls == ["imdb"]
    path = root / spec.files[0].path
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    catalog._LOADED.clear()
    assert summaries.statistics("imdb", "summary", count, root) == first and calls == ["imdb", "imdb"]

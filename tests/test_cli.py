"""``bench`` end to end on synthetic data."""

import csv

import pytest

from hgbench.benchmarks.cli import main


def test_run_then_report_end_to_end(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "synthetic:" in err and " s" in err  # time per dataset
    board = [row for row in csv.DictReader(open(out / "demo" / "leaderboard.csv")) if row["dataset"] == "synthetic"]
    assert {"method", "dataset", "metric", "setting", "mean", "std", "n_runs", "status"} <= set(board[0])
    assert {row["status"] for row in board} == {"ok"} and {row["n_runs"] for row in board} == {"3"}
    table = (out / "demo" / "table.tex").read_bytes()
    assert main(["report", "--suite", "demo", "--out", str(out)]) == 0
    assert (out / "demo" / "table.tex").read_bytes() == table
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "3", "--out", str(out)]) == 0
    assert "0 runs executed" in capsys.readouterr().err


def test_unknown_names_list_the_valid_ones(capsys):
    assert main(["run", "--suite", "nope"]) == 2
    assert "zen-5shot" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="valid methods: .*zen"):
        main(["run", "--suite", "demo", "--methods", "hgnn-typo"])
    with pytest.raises(SystemExit):
        main(["run", "--suite", "demo", "--retry", "ok"])
    assert "valid: failed, oom, timeout" in capsys.readouterr().err


def test_list_prints_everything(capsys):
    assert main(["list", "suites"]) == 0
    assert "zen-ablation" in capsys.readouterr().out
    assert main(["list", "methods"]) == 0
    assert "linearized-hgnn" in capsys.readouterr().out


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "run" in capsys.readouterr().out

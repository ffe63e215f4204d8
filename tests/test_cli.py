"""``bench`` end to end on synthetic data."""

import csv

import pooch

import pytest

from hgbench.benchmarks import cli
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

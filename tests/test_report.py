"""Reports from a hand-made store: significance marks with a known answer, missing pairs, leaderboards,
determinism, the Markdown summary."""

import csv
import dataclasses
import filecmp
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss
from statsmodels.stats.multitest import multipletests

from conftest import plan_unrun, put_planned
import hgbench
from hgbench.benchmarks.report import leaderboards, render, significance, stats
from hgbench.benchmarks.report.paper import paper_table, paper_value
from hgbench.benchmarks.run import registry
from hgbench.benchmarks import suites
from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.plan import expand_grid
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import Suite

DATASETS = ("synthetic", "synthetic-heterophilic")
SEEDS = range(6)
ZEN = np.array([0.50, 0.52, 0.48, 0.51, 0.49, 0.50])
SCORES = {  # test accuracy per seed on "synthetic"
    "zen": ZEN,
    "hgnn": ZEN - np.array([0.10, 0.11, 0.09, 0.10, 0.12, 0.10]),  # clearly worse than ZEN
    "hnhn": ZEN + np.array([0.01, -0.02, 0.015, -0.01, 0.0, 0.005]),  # indistinguishable
}
MISSING = {("hgnn", "synthetic-heterophilic"): {3, 4, 5}, ("hnhn", "synthetic-heterophilic"): {1, 2, 3, 4, 5}}
SUITE = Suite(name="t-marks", description="marks test", methods=("hgnn", "hnhn", "zen"), datasets=DATASETS,
              seeds=len(SEEDS), reference="zen", correction="bonferroni")


def _record(suite, method, dataset, seed, accuracy, config=None, val=0.5, status="ok"):
    key = f"{method}-{dataset}-{seed}-{abs(hash(str(config))) % 10**6}"
    scores = {"accuracy": accuracy, "mae": 1 - accuracy, "rmse": 1 - accuracy} if status == "ok" else None
    return {"key": key, "suite": suite, "method": method, "dataset": dataset, "protocol": "5-shot", "seed": seed,
            "budget": "full", "status": status, "reason": None if status == "ok" else "boom", "config": config or {},
            "val": {"accuracy": val, "mae": 0.5, "rmse": 0.5} if scores else None, "test": scores,
            "fit_seconds": 0.1, "predict_seconds": 0.01, "prepare_seconds": 0.0, "peak_memory_mb": 1.0,
            "code_version": "test", "task": "classification"}


def fill(store: Store, name: str = SUITE.name) -> None:
    """The scores above on "synthetic"; on "synthetic-heterophilic" the same minus 0.2, with splits missing."""
    for method, values in SCORES.items():
        for dataset in DATASETS:
            shift = 0.0 if dataset == "synthetic" else -0.2
            for seed in SEEDS:
                if seed not in MISSING.get((method, dataset), set()):
                    put_planned(store, _record(name, method, dataset, seed, float(values[seed] + shift)))


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "store")
    fill(store)
    return store


@pytest.fixture
def registered(monkeypatch):
    """SUITE and a second suite registered (as the runner's suites are) for render_all and the CLI."""
    other = dataclasses.replace(SUITE, name="t-other", reference=None)
    for chosen in (SUITE, other):
        monkeypatch.setitem(suites.base.SUITES._items, chosen.name, chosen)
    return other


def _board(path):
    return {(r["method"], r["dataset"]): r for r in csv.DictReader(open(path))}


def _ours_row(tex: str, label: str) -> str:
    """The "ours" line that follows ``label``'s paper line (suites without a paper table: the labelled line)."""
    return next(line for line in tex.splitlines() if line.startswith(f"{label} & ours"))


def test_marks_follow_scipy_paired_t_test_with_bonferroni(store, tmp_path):
    paths = render.render(store, SUITE, tmp_path / "out")
    board = _board(paths["leaderboard"])
    expected = {m: ss.ttest_rel(SCORES[m] * 100, ZEN * 100).pvalue for m in ("hgnn", "hnhn")}
    n_tests = 3  # hgnn and hnhn on synthetic, hgnn on synthetic-heterophilic (3 pairs); hnhn there has 1 pair
    for method, p in expected.items():
        row = board[(method, "synthetic")]
        assert float(row["p"]) == pytest.approx(p, rel=1e-2)
        assert float(row["p_adj"]) == pytest.approx(min(1.0, n_tests * p), rel=1e-2)
        assert row["correction"] == "bonferroni" and row["reference"] == "zen"
    assert n_tests * expected["hgnn"] < 0.001 and n_tests * expected["hnhn"] > 0.05
    tex = paths["latex"].read_text()
    hgnn, hnhn = _ours_row(tex, "HGNN"), _ours_row(tex, "HNHN")
    assert hgnn.split(" & ")[2].endswith("^{***}$") and "^{" not in hnhn.split(" & ")[2]
    assert board[("zen", "synthetic")]["p"] == "" and "^{" not in _ours_row(tex, "ZEN")
    caption = re.search(r"\\caption\{(.*)\}", tex).group(1)
    assert "paired t-test" in caption and "bonferroni over the 3 tests" in caption and "alpha = 0.05" in caption
    assert "p < 0.001" in caption


def test_missing_pairs_are_dropped_and_stated(store, tmp_path):
    paths = render.render(store, SUITE, tmp_path / "out")
    board = _board(paths["leaderboard"])
    short, alone = board[("hgnn", "synthetic-heterophilic")], board[("hnhn", "synthetic-heterophilic")]
    kept = [s for s in SEEDS if s not in MISSING[("hgnn", "synthetic-heterophilic")]]
    shift = np.full(len(kept), 20.0)
    p = ss.ttest_rel(SCORES["hgnn"][kept] * 100 - shift, ZEN[kept] * 100 - shift).pvalue
    assert short["n_pairs"] == "3" and short["dropped_seeds"] == "3 4 5" and float(short["p"]) == pytest.approx(p, 1e-2)
    assert alone["n_pairs"] == "1" and alone["dropped_seeds"] == "1 2 3 4 5"
    assert alone["p"] == "" and alone["mark"] == ""
    tex = paths["latex"].read_text()
    assert _ours_row(tex, "HNHN").split(" & ")[3].endswith(r"^{\dagger\,(1)}$")  # a value, no test; 1 split
    assert "no test (1 cell(s))" in tex and "2 comparison(s) dropped splits" in tex
    notes = paths["notes"].read_text()
    assert "| HGNN | synthetic-heterophilic | 3 | 3 4 5 |" in notes
    assert "| HNHN | synthetic-heterophilic | 1 | 1 2 3 4 5 | no test | no test | - |" in notes


def test_a_reference_outside_the_suite_is_an_error(store, tmp_path):
    with pytest.raises(ValueError, match="reference 'edhnn' is not one of its methods"):
        render.render(store, dataclasses.replace(SUITE, reference="edhnn"), tmp_path)


def test_wide_leaderboard_pairs_mean_and_std_per_dataset(store, tmp_path):
    paths = render.render(store, SUITE, tmp_path / "out")
    long = _board(paths["leaderboard"])
    wide = {row["method"]: row for row in csv.DictReader(open(paths["leaderboard_wide"]))}
    assert list(wide) == list(SUITE.methods)
    assert list(wide["zen"])[:5] == ["method", "label", "metric", "synthetic_mean", "synthetic_std"]
    for method in SUITE.methods:
        for dataset in DATASETS:
            assert wide[method][f"{dataset}_mean"] == long[(method, dataset)]["mean"]
            assert wide[method][f"{dataset}_std"] == long[(method, dataset)]["std"]
    # min-rank ties: hnhn ties zen on synthetic (50.0), beats it on the other (31.0 vs 30.0); hgnn is last on both
    assert {m: float(wide[m]["avg_rank"]) for m in wide} == {"hgnn": 3.0, "hnhn": 1.0, "zen": 1.5}


def test_render_all_writes_the_global_leaderboard_and_skips_what_it_cannot_render(store, tmp_path, registered):
    fill(store, registered.name)
    put_planned(store, _record("t-unregistered", "zen", "synthetic", 0, 0.5))
    result = render.render_all(store, tmp_path / "out")
    assert list(result.suites) == [SUITE.name, registered.name]
    assert result.skipped == {"t-unregistered": "not a registered suite"}
    rows = list(csv.DictReader(open(tmp_path / "out" / "leaderboard.csv")))
    assert [r["suite"] for r in rows] == [SUITE.name] * 6 + [registered.name] * 6
    assert list(rows[0])[:3] == ["suite", "method", "label"]
    per_suite = list(csv.DictReader(open(result.suites[registered.name]["leaderboard"])))
    assert [{k: v for k, v in r.items() if k != "suite"} for r in rows[6:]] == per_suite
    assert (tmp_path / "out" / "claims.md").exists() and len(result.claims) == 113


def test_a_kind_without_layout_is_skipped(store, tmp_path, monkeypatch):
    runtime = dataclasses.replace(SUITE, kind="not-a-layout")
    monkeypatch.setitem(suites.base.SUITES._items, SUITE.name, runtime)
    assert render.render_all(store, tmp_path).skipped == {SUITE.name: "no layout for suite kind 'not-a-layout' yet"}
    with pytest.raises(KeyError, match="no layout for kind 'not-a-layout'"):
        render.render(store, runtime, tmp_path)


def test_render_all_is_deterministic_in_parallel_and_serially(store, tmp_path, registered, monkeypatch):
    fill(store, registered.name)
    put_planned(store, _record(registered.name, "zen", "synthetic", 0, 0.3, config={"lr": 1}, status="failed"))
    render.render_all(store, tmp_path / "a")
    render.render_all(store, tmp_path / "b")
    monkeypatch.setattr(render.os, "cpu_count", lambda: 1)
    render.render_all(store, tmp_path / "c")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 2 * 5 + 4  # 4 files and scores.png per suite; the global leaderboard, provenance, claims
    for other in ("b", "c"):
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / other, files, shallow=False)
        assert (mismatch, errors) == ([], [])


def test_report_format_md_prints_a_summary(store, tmp_path, registered, capsys):
    out = tmp_path / "results"
    fill(Store(out / "store"))
    assert main(["report", "--out", str(out), "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# hgbench report") and f"## {SUITE.name}" in text
    assert "| method | synthetic | synthetic-heterophilic |" in text
    assert "| HGNN | 39.7\\*\\*\\* | 20\\*\\* [n=3] |" in text  # means with escaped marks, their splits
    assert "| HNHN | 50 | 31 [n=1] |" in text  # 31: one split, not tested
    assert "[n=k]: a mean over k splits, not the commonest number of splits in its column" in text
    counts = re.search(r"(\d+) reproduced, (\d+) not reproduced, (\d+) not testable here, (\d+) pending \(of 113", text)
    assert counts and sum(map(int, counts.groups())) == 113
    assert (out / "claims.csv").exists() and (out / SUITE.name / "table.tex").exists()
    assert main(["report", "--out", str(out), "--suite", SUITE.name, "--format", "md"]) == 2  # a usage error
    assert "drop --suite" in capsys.readouterr().err


def test_marks_agree_with_scipy_and_statsmodels_on_every_pair(store):
    data = render.SuiteData.load(store, SUITE)
    long = leaderboards.long_frame(leaderboards.select_on_validation(data.frame), SUITE, "accuracy")
    ours = significance.compare(long, SUITE, "accuracy").set_index(["method", "dataset"]).sort_index()
    values = long[long.metric == "accuracy"].set_index(["method", "dataset", "seed"]).value.dropna()
    n_pairs, p = [], []
    for method, dataset in ours.index:  # paired on the seeds both sides have, per pair of methods
        both = pd.concat([values[method, dataset], values["zen", dataset]], axis=1, join="inner").to_numpy()
        n_pairs.append(len(both))
        p.append(ss.ttest_rel(both[:, 0], both[:, 1]).pvalue if len(both) >= 2 else np.nan)
    p = np.array(p)
    p_adj = np.full(p.shape, np.nan)
    p_adj[np.isfinite(p)] = multipletests(p[np.isfinite(p)], method="bonferroni")[1]
    assert ours.n_pairs.tolist() == n_pairs
    np.testing.assert_allclose(ours.p.to_numpy(float), p, rtol=1e-12)
    np.testing.assert_allclose(ours.p_adj.to_numpy(float), p_adj, rtol=1e-12)
    assert ours.mark.tolist() == [stats.significance_mark(v) for v in p_adj]


def test_a_split_rerun_under_a_larger_budget_reports_the_larger_grid_only(tmp_path):
    store = Store(tmp_path / "store")
    reduced = _record(SUITE.name, "hgnn", "synthetic", 0, 0.9, config={"lr": 0.01}, val=0.9)
    full = _record(SUITE.name, "hgnn", "synthetic", 0, 0.4, config={"lr": 0.001}, val=0.6)
    other_split = _record(SUITE.name, "hgnn", "synthetic", 1, 0.7, config={"lr": 0.01}, val=0.7)
    for record, budget in ((reduced, "reduced"), (full, "full"), (other_split, "reduced")):
        put_planned(store, {**record, "key": f"{record['key']}-{budget}", "budget": budget})
    frame = render.SuiteData.load(store, SUITE).frame
    assert sorted(zip(frame.seed, frame.budget)) == [(0, "full"), (1, "reduced")]
    chosen = leaderboards.select_on_validation(frame).set_index("seed")
    assert chosen.at[0, "test_accuracy"] == 0.4  # the reduced run's higher validation score is not seen


def test_two_std_summary_counts_cells_with_a_result_and_lists_the_rest():
    board = pd.DataFrame({"label": ["A", "A", "A", "A"], "paper_dataset": ["x", "y", "z", "w"],
                          "mean": [50.0, 60.0, np.nan, 70.0], "paper_mean": [51.0, 50.0, 40.0, np.nan],
                          "paper_std": [1.0, 2.0, 3.0, np.nan], "status": ["ok", "ok", "timeout", "ok"]})
    assert render.two_std_summary(board)[-1] == "| A | 1 of 2 | y | z (timeout) |"


def test_validation_ties_go_to_the_configuration_the_grid_enumerates_first(tmp_path):
    store = Store(tmp_path / "store")
    base = {"epoch_step": 50, "epochs": 200, "lr": 0.01}
    for hidden, accuracy in ((128, 0.3), (64, 0.7)):  # as JSON text "128" sorts before "64"
        put_planned(store, _record(SUITE.name, "hgnn", "synthetic", 0, accuracy, config={**base, "hidden": hidden},
                                   val=0.5))
    put_planned(store, _record(SUITE.name, "hgnn", "synthetic", 0, 0.1, config={**base, "hidden": 32}, val=0.5))
    records = store.records(SUITE.name)
    assert {r["config"]["hidden"]: r["grid_index"] for r in records} == {64: 0, 128: 3, 32: 9}  # off-grid: last
    chosen = leaderboards.select_on_validation(leaderboards.records_frame(records))
    assert chosen.test_accuracy.tolist() == [0.7]


def test_a_split_with_part_of_its_grid_is_left_out_and_listed(tmp_path):
    store = Store(tmp_path / "store")
    grid = [dict(config) for config in expand_grid(registry.method_entry("hgnn").factory().configurations("full"))]
    for seed, configs in ((0, grid), (1, grid[:3])):  # complete; cut: the rest of its grid planned, never run
        for i, config in enumerate(configs):
            put_planned(store, {**_record(SUITE.name, "hgnn", "synthetic", seed, 0.5, config=config),
                                "key": f"{seed}-{i}"})
    plan_unrun(store, SUITE.name, "hgnn", "synthetic", 1, "full", grid[3:])
    reduced = [dict(c) for c in expand_grid(registry.method_entry("hgnn").factory().configurations("reduced"))]
    for i, config in enumerate(reduced):  # seed 1 also holds the whole reduced grid: it falls back to it
        put_planned(store, {**_record(SUITE.name, "hgnn", "synthetic", 1, 0.5, config=config), "key": f"r{i}",
                            "budget": "reduced"})
    data = render.SuiteData.load(store, SUITE)
    assert sorted(set(zip(data.frame.seed, data.frame.budget))) == [(0, "full"), (1, "reduced")]
    assert data.incomplete[["seed", "n_configs", "n_grid"]].values.tolist() == [[1, 3, len(grid)]]
    assert "hgnn on synthetic, seed 1, budget full: 3 of 9 configurations" in "\n".join(render.not_run(data))


def test_failed_runs_are_listed_once_per_split_and_reason(tmp_path):
    store = Store(tmp_path / "store")
    for i in range(2):
        put_planned(store, _record(SUITE.name, "hgnn", "synthetic", 0, 0.0, config={"lr": i}, status="timeout"))
    put_planned(store, _record(SUITE.name, "hgnn", "synthetic", 1, 0.0, status="oom"))
    lines = render.not_run(render.SuiteData.load(store, SUITE))
    assert lines[-2:] == ["- hgnn on synthetic, seed 0: timeout (boom), 2 configurations",
                          "- hgnn on synthetic, seed 1: oom (boom)"]


def test_a_cell_selected_from_part_of_its_grid_is_marked_and_left_out_of_bold_and_ranks(store, tmp_path):
    from hgbench.benchmarks.report import claims
    # hnhn's other configuration timed out on one split of synthetic: that split selects from what is left
    put_planned(store, _record(SUITE.name, "hnhn", "synthetic", 0, 0.0, config={"lr": 1}, status="timeout"))
    paths = render.render(store, SUITE, tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset"])
    assert board.at[("hnhn", "synthetic"), "status"] == "partial-grid"
    assert board.at[("hnhn", "synthetic"), "mean"] == pytest.approx(100 * SCORES["hnhn"].mean(), abs=1e-3)
    assert board.at[("hnhn", "synthetic-heterophilic"), "status"] == "ok"
    tex = paths["latex"].read_text()
    hnhn, zen = _ours_row(tex, "HNHN").split(" & ")[2], _ours_row(tex, "ZEN").split(" & ")[2]
    assert r"\ddagger" in hnhn and r"\mathbf" not in hnhn and r"\mathbf" in zen  # hnhn's tie for best is not bold
    assert "selected from part of its grid" in tex
    wide = pd.read_csv(paths["leaderboard_wide"]).set_index("method").avg_rank.to_dict()
    assert wide == {"hgnn": 3.0, "hnhn": 1.0, "zen": 2.0}  # over synthetic-heterophilic only
    notes = paths["notes"].read_text()
    assert "| HNHN | synthetic | 50.0 ± 0.6 | - | - | - | partial-grid |" in notes
    assert "- hnhn on synthetic, seed 0: 1 of 2 configurations ok" in notes
    measured = claims.CHECKS["best_share"](render.scores_board(render.SuiteData.load(store, SUITE)), "HNHN", "accuracy")
    assert "best on 1 of 1 cells" in measured.text  # the cut cell's dataset is not compared


def test_cells_over_another_number_of_splits_than_their_column_are_marked(store, tmp_path):
    # synthetic-heterophilic: zen 6 splits, hgnn 3, hnhn 1 (a tie of counts: the usual number is the largest, 6)
    tex = render.render(store, SUITE, tmp_path / "out")["latex"].read_text()
    rows = {label: _ours_row(tex, label).split(" & ") for label in ("HGNN", "HNHN", "ZEN")}
    assert rows["HGNN"][3].endswith(r"^{**\,(3)}$") and rows["HNHN"][3].endswith(r"^{\dagger\,(1)}$")
    assert "(" not in rows["ZEN"][3] and not any("(" in row[2] for row in rows.values())  # synthetic: 6 each
    assert "a mean over n splits, not the commonest number of splits in its column (2 cell(s): 2 over fewer" in tex
    board = pd.DataFrame({"dataset": ["a"] * 4 + ["b"] * 2, "metric": "accuracy",
                          "mean": [1.0, 2.0, 3.0, np.nan, 1.0, 2.0], "n_runs": [3, 3, 10, 0, 10, 3]})
    assert leaderboards.usual_splits(board).tolist() == [3, 3, 3, 3, 10, 10]
    assert leaderboards.other_splits(board).tolist() == [False, False, True, False, False, True]


PAPER_TABLES = sorted(p.name for p in resources.files("hgbench").joinpath("paper_tables").iterdir()
                      if p.name.startswith(("zen_table", "triprune_table")))


@pytest.mark.parametrize("csv_name", PAPER_TABLES)
def test_every_cell_of_every_paper_table_is_found(csv_name):
    """Both papers' tables: every (method, dataset, setting, metric) is found, empty settings and methods too."""
    table = paper_table(csv_name)
    first = table.drop_duplicates(["method", "dataset", "setting", "metric"])
    for row in first.itertuples():
        found = paper_value(csv_name, row.method, row.dataset, row.setting, row.metric)
        assert found is not None and found[0] == pytest.approx(row.mean, nan_ok=True), (csv_name, row)


def _filtered_cell(csv_name, method, dataset, metric, setting=None):
    """The paper cell as a boolean filter over the table finds it (first matching row): the reference for the
    indexed lookups."""
    table = paper_table(csv_name)
    rows = table[(table.method == method) & (table.dataset == dataset) & (table.metric == metric)]
    if setting is not None:
        rows = rows[rows.setting == setting]
    if rows.empty:
        return None
    return float(rows["mean"].iloc[0]), float(rows["std"].iloc[0]) if pd.notna(rows["std"].iloc[0]) else np.nan


@pytest.mark.parametrize("csv_name", PAPER_TABLES)
def test_paper_cell_lookups_return_what_a_filter_over_the_table_returns(csv_name):
    """``ablation.paper_cell`` (indexed, any setting or a named one) against a boolean filter, on every cell of
    both papers' tables and on cells that do not exist."""
    from hgbench.benchmarks.report.ablation import paper_cell

    table = paper_table(csv_name)
    keys = table.drop_duplicates(["method", "dataset", "metric", "setting"])
    probes = [(r.method, r.dataset, r.metric, setting) for r in keys.itertuples() for setting in (None, r.setting)]
    probes += [(table.method.iloc[0], "no such dataset", table.metric.iloc[0], None),
               (table.method.iloc[0], table.dataset.iloc[0], table.metric.iloc[0], "no such setting")]
    for method, dataset, metric, setting in probes:
        expected = _filtered_cell(csv_name, method, dataset, metric, setting)
        found = paper_cell(csv_name, method, dataset, metric, setting)
        assert (found is None) == (expected is None), (method, dataset, metric, setting)
        if expected is not None:
            assert np.array_equal(found, expected, equal_nan=True), (method, dataset, metric, setting, found)


_DRAW_CD = """
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hgbench.benchmarks.report import ranks

rng = np.random.default_rng(0)
rows = [{"method": f"method-{i}", "label": f"method-{i}", "dataset": f"d{d}", "paper_dataset": f"D{d}",
         "metric": "accuracy", "mean": 0.5 + 0.01 * i + rng.normal(0, 0.02), "std": 0.01, "status": "ok"}
        for d in range(6) for i in range(8)]
ranks.cd_diagram(ranks.cross_dataset(pd.DataFrame(rows)), Path(sys.argv[1]))
"""


def test_a_critical_difference_diagram_has_the_same_bytes_under_any_string_hash_seed(tmp_path):
    """Eight methods on six generated datasets, overlapping crossbars: the PNG must not depend on the order a
    Python set of labels iterates in, which changes with ``PYTHONHASHSEED`` (random per process by default)."""
    source = str(Path(hgbench.__file__).resolve().parents[1])
    pngs = []
    for hash_seed in ("1", "2"):
        png = tmp_path / f"cd-{hash_seed}.png"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": source, "MPLBACKEND": "Agg"}
        subprocess.run([sys.executable, "-c", _DRAW_CD, str(png)], env=env, check=True, timeout=300)
        pngs.append(png.read_bytes())
    assert len(pngs[0]) > 1000
    assert pngs[1] == pngs[0]


FORKED_TORCH = """
import os
import torch
from hgbench.benchmarks.report import render
os.cpu_count = lambda: 2  # fork whatever the machine has
torch.set_num_threads(2)
torch.rand(4_000_000).min()  # a parallel kernel in the parent starts libgomp's thread pool

def child(_):
    return float(torch.ones(4_000_000).min())

print(render._map(child, [0, 1]))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the report forks its workers only where fork exists")
def test_forked_report_workers_run_torch_kernels_after_the_parent_did():
    """A report worker may run torch kernels after the fork; with the parent's libgomp pool inherited it waited
    forever (`bench report` hung). In a subprocess group with a timeout."""
    process = subprocess.Popen([sys.executable, "-c", FORKED_TORCH], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)  # the parent and its forked workers
        process.communicate()
        pytest.fail("the forked workers hung in a torch kernel")
    assert process.returncode == 0, err
    assert out.strip() == "[1.0, 1.0]"

"""TriPrune-HGNN's ablation tables (Tables 4, 5, 6 and 9) from hand-made stores: changes vs the full model,
paired tests against scipy, Bonferroni and Holm, speed-ups, pending rows, paper values and the LaTeX."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss
from statsmodels.stats.multitest import multipletests

from conftest import put_planned
from hgbench.benchmarks.report import claims, render
from hgbench.benchmarks.report.leaderboards import absent_status
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import suite

SEEDS = range(5)
FULL_MAE = np.array([0.40, 0.42, 0.41, 0.39, 0.43])
FULL_ACC = np.array([0.80, 0.79, 0.81, 0.82, 0.78])
SHIFTS = {  # Table 4: per-seed MAE added to the full model's (ACC: subtracted, halved)
    "triprune-exp": np.array([0.020, 0.018, 0.022, 0.019, 0.021]),
    "triprune-fixed-mining": np.array([0.010, -0.004, 0.012, 0.003, 0.009]),
    "triprune-no-meta": np.array([0.005, 0.001, 0.004, 0.006, 0.002]),
    "triprune-global-tau": np.array([0.003, -0.002, 0.001, 0.0, 0.004]),
    "triprune-all-fixed": np.array([0.030, 0.028, 0.033, 0.029, 0.031]),
}


def record(suite_name, method, dataset, seed, mae, accuracy, latency=None, params=None):
    return {"key": f"{method}-{dataset}-{seed}", "suite": suite_name, "method": method, "dataset": dataset,
            "protocol": "ratio-0.6-0.2", "seed": seed, "budget": "full", "status": "ok", "config": {},
            "val": {"accuracy": 0.5, "mae": 0.5, "rmse": 0.6},
            "test": {"mae": float(mae), "rmse": float(mae) * 1.3, "accuracy": float(accuracy)},
            "fit_seconds": 1.0, "predict_seconds": 0.01, "prepare_seconds": 0.0, "peak_memory_mb": 1.0,
            "task": "ordinal", "diagnostics": {"adaptive_parameters": params},
            "profiles": {"adaptive_mlps": {"inference_seconds": latency}}}


def load(store, name):
    chosen = suite(name)
    data = render.SuiteData.load(store, chosen)
    layout = render.LAYOUTS[chosen.kind]
    board = layout.board(data)
    return chosen, data, board, layout.latex(board, data), layout.notes(board, data)


@pytest.fixture
def adaptive(tmp_path):
    """Table 4: every row on IMDB (5 seeds); on DBLP the full model and w/o Neural Threshold only, the latter
    without seed 4; Yelp not run."""
    store = Store(tmp_path / "store")
    for method, shift in {"triprune": np.zeros(5), **SHIFTS}.items():
        for seed in SEEDS:
            put_planned(store, record("triprune-adaptive", method, "imdb", seed, FULL_MAE[seed] + shift[seed],
                                      FULL_ACC[seed] - shift[seed] / 2))
    for method, shift in (("triprune", 0.0), ("triprune-exp", 0.05)):
        for seed in SEEDS:
            if not (method == "triprune-exp" and seed == 4):
                mae = FULL_MAE[seed] + shift + seed / 100
                put_planned(store, record("triprune-adaptive", method, "dblp", seed, mae, FULL_ACC[seed]))
    return store


def test_table4_changes_tests_and_corrections(adaptive):
    chosen, _, board, tex, notes = load(adaptive, "triprune-adaptive")
    cell = board.set_index(["method", "dataset", "metric"])
    for method, shift in SHIFTS.items():
        ours, full = FULL_MAE + shift, FULL_MAE
        assert cell.at[(method, "imdb", "mae"), "change_pct"] == pytest.approx(100 * (ours.mean() - full.mean())
                                                                              / full.mean())
        assert cell.at[(method, "imdb", "mae"), "std"] == pytest.approx(ours.std(ddof=0))
        assert cell.at[(method, "imdb", "mae"), "p"] == pytest.approx(ss.ttest_rel(ours, full).pvalue)
        accuracy = FULL_ACC - shift / 2
        assert cell.at[(method, "imdb", "accuracy"), "p"] == pytest.approx(ss.ttest_rel(accuracy, FULL_ACC).pvalue)
        assert np.isnan(float(cell.at[(method, "imdb", "rmse"), "p"]))  # Table 4 prints no RMSE: not tested
    # DBLP: w/o Neural Threshold lacks seed 4, so it is paired on seeds 0-3 and seed 4 is named as dropped
    dblp = cell.loc[("triprune-exp", "dblp", "mae")]
    assert dblp.n_pairs == 4 and dblp.dropped_seeds == "4"
    assert dblp.p == pytest.approx(ss.ttest_rel(FULL_MAE[:4] + 0.05 + np.arange(4) / 100,
                                                FULL_MAE[:4] + np.arange(4) / 100).pvalue)
    # one family over every test made: Bonferroni (the marks) and Holm beside it
    tested = board[np.isfinite(board.p.astype(float))]
    # IMDB: 5 variants x (MAE, ACC); DBLP: one variant's MAE (its ACC equals the full model's: no test)
    assert len(tested) == 2 * len(SHIFTS) + 1
    assert np.isnan(float(cell.at[("triprune-exp", "dblp", "accuracy"), "p"]))
    assert "$^{\\dagger}$ no test (1 cell(s))" in tex
    p = tested.p.astype(float).to_numpy()
    assert tested.p_adj.to_numpy(float) == pytest.approx(np.minimum(1, p * len(p)))
    assert tested.p_holm.to_numpy(float) == pytest.approx(multipletests(p, method="holm")[1])
    strong = cell.loc[("triprune-all-fixed", "imdb", "mae")]
    assert strong.mark == ("***" if strong.p_adj < 1e-3 else "**" if strong.p_adj < 1e-2 else "*"
                           if strong.p_adj < 0.05 else "")
    assert f"over the {len(p)} tests made" in tex and "ttest\\_rel" in tex
    # the paper's values, and its printed changes, beside ours on every row
    imdb = board[(board.dataset == "imdb") & board.metric.isin(["mae", "accuracy"])]
    assert imdb.paper_mean.notna().all() and imdb.label.nunique() == 6
    assert cell.at[("triprune-all-fixed", "imdb", "mae"), "paper_mean"] == pytest.approx(0.405)
    assert cell.at[("triprune-all-fixed", "dblp", "mae"), "paper_change_pct"] == pytest.approx(6.4)
    assert (board[board.method != "triprune"].paper_change_source.isin(["printed", ""])).all()
    assert "Holm" in notes and "| All Fixed | triprune-all-fixed |" in notes


def test_a_row_with_fewer_splits_is_compared_with_the_full_model_on_its_own_splits(adaptive):
    """DBLP: w/o Neural Threshold lacks seed 4, so its change is taken against the full model's seeds 0-3."""
    board = load(adaptive, "triprune-adaptive")[2]
    cell = board.set_index(["method", "dataset", "metric"])
    full = FULL_MAE + np.arange(5) / 100
    ours = full[:4] + 0.05
    paired = 100 * (ours.mean() - full[:4].mean()) / full[:4].mean()
    unpaired = 100 * (ours.mean() - full.mean()) / full.mean()
    assert cell.at[("triprune-exp", "dblp", "mae"), "change_pct"] == pytest.approx(paired)
    assert abs(paired - unpaired) > 1
    label = board.label[board.method == "triprune-exp"].iloc[0]
    claimed = claims.change_pct(board, method=label, reference="TriPrune-HGNN (Full)", metric="mae", dataset="DBLP")
    assert claimed.value == pytest.approx(paired)  # the claims read the same paired change


def test_table4_pending_cells_stay_on_the_board_and_in_the_table(adaptive):
    _, _, board, tex, notes = load(adaptive, "triprune-adaptive")
    yelp = board[board.dataset == "yelp"]
    assert len(yelp) == 6 * 4 and (yelp.status == absent_status("yelp")).all() and (yelp.n_runs == 0).all()
    printed = yelp.metric.isin(["mae", "accuracy"])  # the paper's values are there all the same (no RMSE, no val_mae)
    assert yelp.paper_mean[printed].notna().all() and yelp.paper_mean[~printed].isna().all()
    dblp = board[(board.dataset == "dblp") & (board.method == "triprune-no-meta")]
    assert (dblp.status == absent_status("dblp")).all()
    if absent_status("yelp") == "pending":
        assert "Not run yet (pending) on Yelp: every row." in tex
        assert "w/o Meta-Learning (triprune-no-meta) on DBLP" in notes


def test_table4_latex_prints_mae_acc_and_italic_changes(adaptive, tmp_path):
    chosen, _, board, tex, _ = load(adaptive, "triprune-adaptive")
    assert tex.startswith("\\begin{table*}") and "\\label{tab:triprune-adaptive}" in tex
    header = next(line for line in tex.splitlines() if line.startswith("Variant & Source"))
    assert header.count("MAE") == 3 and header.count("ACC") == 3 and "RMSE" not in header
    change = board.set_index(["method", "dataset", "metric"]).at[("triprune-exp", "imdb", "mae"), "change_pct"]
    assert f"\\textit{{{change:+.1f}\\% (+3.7\\%)}}" in tex
    assert tex.count("$\\Delta$ vs full") == 5  # one italic row per variant, none for the full model
    paths = render.render(adaptive, chosen, tmp_path / "out")
    written = pd.read_csv(paths["leaderboard"])
    assert len(written) == 6 * 3 * 4 and set(written.status) >= {"ok"}  # MAE, RMSE, ACC and val_mae


def test_table5_paper_values_and_changes_for_every_row(tmp_path):
    store = Store(tmp_path / "store")
    for method in suite("triprune-structural").methods[:3]:
        for seed in SEEDS:
            run = record("triprune-structural", method, "imdb", seed, FULL_MAE[seed] + 0.01 * seed, FULL_ACC[seed])
            put_planned(store, {**run, "val": {**run["val"], "mae": 0.4 + 0.01 * seed}})
    chosen, _, board, tex, notes = load(store, "triprune-structural")
    assert len(board) == 7 * 3 * 4
    printed = board[board.metric != "val_mae"]  # Table 5 prints mean +- std (no validation)
    assert printed.paper_mean.notna().all() and printed.paper_std.notna().all()
    validation = board[(board.metric == "val_mae") & (board.method == "triprune") & (board.dataset == "imdb")]
    assert validation["mean"].iloc[0] == pytest.approx(np.mean([0.4 + 0.01 * seed for seed in SEEDS]))
    assert validation.paper_mean.isna().all() and "val_mae" in notes
    cell = board.set_index(["method", "dataset", "metric"])
    # Table 5 prints no change: the paper's is computed from its means
    assert cell.at[("triprune-no-comp", "dblp", "mae"), "paper_change_pct"] == pytest.approx(100 * (0.437 - 0.421)
                                                                                             / 0.421)
    assert cell.at[("triprune-no-comp", "imdb", "rmse"), "within_2_std"] in ("yes", "no")
    assert "RMSE" in next(line for line in tex.splitlines() if line.startswith("Variant & Source"))
    assert (board[board.method == "triprune-no-all"].status == absent_status("imdb")).all()


@pytest.fixture
def architecture(tmp_path):
    """Table 6 on IMDB: the default and three depth rows (latency in seconds, params), the rest not run."""
    store = Store(tmp_path / "store")
    latency = {"triprune": 1e-4, "triprune-d1-w32": 5e-5, "triprune-d3-w32": 1.5e-4, "triprune-d4-w32": 2e-4}
    params = {"triprune": 1093, "triprune-d1-w32": 29, "triprune-d3-w32": 6373, "triprune-d4-w32": 11653}
    for method, seconds in latency.items():
        for seed in SEEDS:
            put_planned(store, record("triprune-architecture", method, "imdb", seed, FULL_MAE[seed], FULL_ACC[seed],
                                      latency=seconds * (1 + seed / 10), params=params[method]))
    return store, latency, params


def test_table6_speedup_params_accuracy_in_percent_and_paper_values(architecture):
    store, latency, params = architecture
    chosen, _, board, tex, notes = load(store, "triprune-architecture")
    cell = board.set_index(["method", "metric"])
    factors = 1 + np.arange(5) / 10
    for method, seconds in latency.items():
        assert cell.at[(method, "latency_ms"), "mean"] == pytest.approx(1e3 * seconds * factors.mean())
        assert cell.at[(method, "adaptive_parameters"), "mean"] == params[method]
        assert cell.at[(method, "speedup"), "mean"] == pytest.approx(latency["triprune"] / seconds)
    assert cell.at[("triprune", "accuracy"), "mean"] == pytest.approx(100 * FULL_ACC.mean())  # percent, as Table 6
    assert cell.at[("triprune-d2-w64", "speedup"), "status"] == absent_status("imdb")
    # every row has the paper's value of every column
    for metric, name in {"mae": "MAE", "rmse": "RMSE", "accuracy": "ACC", "latency_ms": "Time",
                         "adaptive_parameters": "Params", "speedup": "Speedup"}.items():
        rows = board[board.metric == metric]
        assert len(rows) == 9 and rows.paper_mean.notna().all(), name
    assert cell.at[("triprune-d4-w128", "adaptive_parameters"), "paper_mean"] == 72320
    # the default in the depth and the width blocks, bold; the [OD-26] statement
    assert tex.count("2-layer, d\\_h=32 & paper") == 2 and "\\mathbf{1{,}093}" in tex
    assert "run once" in notes and "the row '1-layer, d_h=16' shows the runs of `triprune-d1-w32`" in notes
    # the paper's second 1-layer row is answered by the one 1-layer run, beside its own paper values
    one = board[board.label == "1-layer, d_h=16"].set_index("metric")
    two = board[board.label == "1-layer, d_h=32"].set_index("metric")
    assert (one.runs_of == "triprune-d1-w32").all() and one.at["mae", "mean"] == two.at["mae", "mean"]
    assert one.at["mae", "paper_mean"] != two.at["mae", "paper_mean"]


def test_table9_settings_default_and_pending(tmp_path):
    store = Store(tmp_path / "store")
    for method, shift in (("triprune", 0.0), ("triprune-eta0.1", 0.02), ("triprune-d2-w16", 0.01)):
        for seed in SEEDS:
            put_planned(store, record("triprune-sensitivity", method, "imdb", seed, FULL_MAE[seed] + shift,
                                      FULL_ACC[seed]))
    chosen, _, board, tex, notes = load(store, "triprune-sensitivity")
    assert board.label.tolist() == list(render.board_labels(chosen)) and len(board) == 14
    assert board.paper_mean.notna().all()
    defaults = board[board.default.astype(bool)]
    assert defaults.label.tolist() == ["d_hidden=32", "eta_meta=0.01", "Delta_meta=5"]
    assert (defaults.method == "triprune").all() and (defaults.change_pct == 0).all()
    cell = board.set_index("label")
    assert cell.at["eta_meta=0.1", "change_pct"] == pytest.approx(100 * 0.02 / FULL_MAE.mean())
    assert cell.at["eta_meta=0.1", "paper_change_pct"] == pytest.approx(2.9)
    assert cell.at["d_hidden=16", "method"] == "triprune-d2-w16"
    assert cell.at["eta_meta=0.1", "p"] == pytest.approx(ss.ttest_rel(FULL_MAE + 0.02, FULL_MAE).pvalue, nan_ok=True)
    assert cell.at["Delta_meta=20", "status"] == absent_status("imdb")
    assert tex.count("\\mathbf{0.383}") == 3 and "$\\mathbf{5}$" in tex


def test_new_claim_checks_on_known_boards():
    rows = []
    changes = {"Full": 0.40, "w/o Comp": 0.416, "w/o Node": 0.412, "w/o Edge": 0.404, "w/o FN": 0.402,
               "w/o HN": 0.403, "w/o All": 0.428}
    for label, mean in changes.items():
        rows.append({"method": label, "label": label, "paper_dataset": "IMDB", "metric": "mae", "mean": mean,
                     "std": 0.01, "status": "ok", "reference": "full" if label != "Full" else np.nan,
                     "p_adj": 0.01 if label != "w/o HN" else np.nan})
    board = pd.DataFrame(rows)
    margin = claims.change_margin(board, method="w/o Comp", others="w/o Edge|w/o Node|w/o FN|w/o HN",
                                  reference="Full", metric="mae")
    assert margin.value == pytest.approx(4.0 - 3.0)
    total = claims.change_vs_sum(board, method="w/o All", parts="w/o Comp|w/o Edge|w/o Node|w/o FN|w/o HN",
                                 reference="Full", metric="mae")
    assert total.value == pytest.approx(7.0 - (4.0 + 3.0 + 1.0 + 0.5 + 0.75))
    worst = claims.max_p(board, metric="mae")
    assert worst.value == 1.0 and "1 cell(s) without a test" in worst.text  # the untested cell counts as p = 1
    assert claims.max_p(board.assign(p_adj=board.p_adj.fillna(0.02)), metric="mae").value == 0.02
    with pytest.raises(claims.Pending):
        claims.change_margin(board.assign(status=board.status.where(board.label != "w/o Edge", "pending")),
                             method="w/o Comp", others="w/o Edge",
                             reference="Full", metric="mae")


def test_the_claims_against_heal_read_table_2s_heal_and_triprune_rows():
    """The paper's speed-ups are against HEAL (Table 8): they read HEAL's and TriPrune-HGNN's Table 2 cells."""
    cells = {("HEAL", "inference_seconds"): 0.036, ("TriPrune-HGNN", "inference_seconds"): 0.010,
             ("HEAL", "inference_peak_mb"): 47.0, ("TriPrune-HGNN", "inference_peak_mb"): 10.0,
             ("HGNN", "inference_seconds"): 0.02, ("HGNN", "inference_peak_mb"): 20.0}
    board = pd.DataFrame([{"method": label.lower(), "label": label, "paper_dataset": "IMDB", "metric": metric,
                           "mean": mean, "std": 0.0, "status": "ok"} for (label, metric), mean in cells.items()])
    table = claims.evaluate({"triprune-main": board}).set_index("claim_id")
    measured = table.at["tri_inference_time_minus_72_3pct", "measured"]
    assert "-72.22 (TriPrune-HGNN vs HEAL, IMDB; signed: negative is below HEAL)" in measured
    assert table.at["tri_inference_time_minus_72_3pct", "verdict"] == "reproduced"
    assert table.at["tri_speedup_3_6x_memory_4_7x", "verdict"] == "reproduced"  # 3.6x time, 4.7x memory
    assert "3.6 (HEAL / TriPrune-HGNN on IMDB)" in table.at["tri_practical_3_5x", "measured"]
    slower = board.assign(mean=board["mean"].where(board.label != "TriPrune-HGNN", 0.03))
    assert claims.evaluate({"triprune-main": slower}).set_index("claim_id").at[
        "tri_speedup_3_6x_memory_4_7x", "verdict"] == "not reproduced"


def test_every_ablation_claim_gets_a_verdict_from_complete_boards(adaptive):
    """With every cell of the boards run, the claims mapped to these suites leave pending."""
    boards = {}
    for name in ("triprune-adaptive", "triprune-structural", "triprune-architecture", "triprune-sensitivity"):
        chosen = suite(name)
        labels = render.board_labels(chosen)
        metrics = render.board_metrics(chosen)
        datasets = [{"imdb": "IMDB", "dblp": "DBLP", "yelp": "Yelp"}[d] for d in chosen.datasets]
        boards[name] = pd.DataFrame([
            {"method": label, "label": label, "paper_dataset": d, "metric": m, "mean": 1.0 + 0.01 * i, "std": 0.01,
             "status": "ok", "reference": np.nan if i == 0 else "ref", "p_adj": 0.01}
            for i, label in enumerate(labels) for d in datasets for m in metrics])
    table = claims.evaluate(boards).set_index("claim_id")
    mine = table[table.suite.str.contains("triprune-(?:adaptive|structural|architecture|sensitivity)")]
    only = mine[~mine.suite.str.contains("triprune-transfer")]
    assert len(only) >= 30 and (only.verdict != "pending").all(), only[only.verdict == "pending"].measured
    assert table.at["tri_t4_all_significant", "verdict"] == "reproduced"

"""The claims report: every claim mapped and given a verdict; checks and the verdict rule on known boards."""

import inspect

import numpy as np
import pandas as pd
import pytest

from hgbench.benchmarks.report import claims, dataset_stats, render
from hgbench.benchmarks.report.paper import paper_table
from hgbench.benchmarks.run.registry import method_names
from hgbench.benchmarks.suites import suite, suite_names
from hgbench.datasets import catalog

RELATIONS = {"approx", "within", "<", "<=", ">", ">=", "=="}


def board(cells, metric="accuracy", status=None):
    """A long leaderboard from {label: {dataset: mean}} (std = mean / 10), statuses overridable per cell."""
    status = status or {}
    return pd.DataFrame([
        {"method": label.lower(), "label": label, "dataset": dataset.lower(), "paper_dataset": dataset,
         "metric": metric, "setting": "shots=5", "mean": np.nan if status.get((label, dataset)) else mean,
         "std": mean / 10, "status": status.get((label, dataset), "ok")}
        for label, means in cells.items() for dataset, mean in means.items()])


def test_every_claim_gets_one_valid_verdict():
    table = claims.evaluate({})
    source = claims.claims_table()
    assert len(source) == 113 and table.claim_id.tolist() == source.claim_id.tolist()
    assert set(table.verdict) == {"not testable here", "pending"}  # nothing measured without boards
    assert (table[table.verdict == "pending"].suite != "").all()
    assert (table[table.verdict == "not testable here"].measured.str.len() > 20).all()  # the reason is given


def test_mapping_rows_are_well_formed():
    rows = claims.mapping()
    assert set(rows.claim_id) == set(claims.claims_table().claim_id)
    for row in rows.itertuples():
        if not row.suite:
            assert not (row.check or row.args or row.relation or row.target) and row.note, row.claim_id
            continue
        inspect.signature(claims.CHECKS[row.check]).bind(None, **claims.arguments(row.args))
        assert row.relation in RELATIONS and [float(t) for t in row.target.split("..")], row.claim_id
        assert (row.relation == "within") == (".." in row.target) or row.relation == "approx", row.claim_id
    kinds = rows.groupby("claim_id").suite.agg(lambda s: {bool(x) for x in s})
    assert (kinds.map(len) == 1).all()  # a claim is wholly testable or wholly not


LABEL_ARGS = ("method", "reference", "methods", "exclude", "parts", "total")


def _named(args: dict[str, str], keys) -> set[str]:
    return {name for key in keys for name in claims._names(args.get(key, ""))}


def _naming_mistakes(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """(claim_id, what) for every suite, method label, dataset or metric a mapping row names that does not exist."""
    mistakes = []
    for row in rows[rows.suite != ""].itertuples():
        args = claims.arguments(row.args)
        if row.suite == dataset_stats.SUITE:
            datasets, metrics = set(dataset_stats.paper_datasets()), set(dataset_stats.STATISTICS)
            labels, named_metrics = set(), {args.get("statistic", "")}
            named_datasets = _named(args, ("datasets", "others"))
        elif row.suite in claims.PLANNED_SUITES:  # not declared yet: the paper table it will reproduce
            table = paper_table(claims.PLANNED_SUITES[row.suite])
            labels, datasets, metrics = set(table.method) | set(table.setting), set(table.dataset), None
            named_metrics, named_datasets = set(), {args.get("dataset", "")} - {"", "mean", "average"}
        elif row.suite in suite_names():
            declared = suite(row.suite)
            if not set(declared.methods) <= set(method_names()):
                continue  # checked once its methods are registered
            # a claim names the paper's row of a marked label ("AdaGLT" for "AdaGLT‡"), as claims.py reads it
            labels = {label.rstrip(claims.FIDELITY_MARKS) for label in render.board_labels(declared)}
            labels |= set(render.board_labels(declared)) | set(declared.pending_rows)
            datasets = {catalog.spec(d).paper or d for d in declared.datasets}
            metrics, named_metrics = set(render.board_metrics(declared)), set(claims._names(args.get("metric", "")))
            named_datasets = {args.get("dataset", "")} - {"", "mean", "average"}
        else:
            mistakes.append((row.claim_id, f"suite {row.suite}"))
            continue
        mistakes += [(row.claim_id, f"method {name}") for name in _named(args, LABEL_ARGS) - labels]
        mistakes += [(row.claim_id, f"dataset {name}") for name in named_datasets - datasets]
        if metrics is not None:
            mistakes += [(row.claim_id, f"metric {name}") for name in named_metrics - metrics]
    return mistakes


def test_checks_name_methods_and_datasets_of_their_suites():
    assert _naming_mistakes(claims.mapping()) == []
    assert set(claims.PLANNED_SUITES).isdisjoint(suite_names())  # a declared suite leaves the planned list


@pytest.mark.parametrize("column, wrong", [
    ("suite", "zen-5shots"), ("args", "method=ZEN; metric=acuracy"), ("args", "method=Zen; metric=accuracy"),
    ("suite", "triprune-adaptiv"), ("args", "statistic=node; datasets=Congress; others=Cora"),
    ("args", "statistic=nodes; datasets=Congres; others=Cora"),
])
def test_a_misnamed_mapping_row_is_caught(column, wrong):
    rows = claims.mapping()
    suite_of = {"zen-5shots": "zen_best_avg_rank", "triprune-adaptiv": "tri_transfer_3_9pct"}
    claim = suite_of.get(wrong, "zen_node_counts_9x" if "statistic" in wrong else "zen_best_avg_rank")
    rows = rows.assign(**{column: rows[column].where(rows.claim_id != claim, wrong)})
    assert [claim_id for claim_id, _ in _naming_mistakes(rows)] == [claim]


def test_best_share_and_rank_position_skip_cells_that_cannot_run():
    scores = board({"ZEN": {"Cora": 50, "Senate": 70, "Pubmed": 0}, "HGNN": {"Cora": 45, "Senate": 71, "Pubmed": 60}},
                   status={("ZEN", "Pubmed"): "data unavailable"})
    share = claims.best_share(scores, method="ZEN", metric="accuracy")
    assert share.value == 0.5 and "1 of 2 cells" in share.text
    assert claims.rank_position(scores, method="ZEN", metric="accuracy").value == 1  # tie on Avg. Rank 1.5
    assert claims.rank_position(scores.assign(mean=scores["mean"] * [0.8, 1, 1, 1, 1, 1]), method="ZEN",
                                metric="accuracy").value == 2
    assert claims.share_won(scores, method="ZEN", metric="accuracy").value == 0.5


def test_a_cell_without_runs_keeps_a_check_pending():
    scores = board({"ZEN": {"Cora": 50, "Senate": 70}, "HGNN": {"Cora": 45, "Senate": 71}},
                   status={("HGNN", "Senate"): "pending"})
    share = claims.best_share(scores, method="ZEN", metric="accuracy")  # Cora only, Senate waits
    assert (share.value, share.complete) == (1.0, False) and "1 cell(s) not run yet" in share.text
    with pytest.raises(claims.Pending, match="not run yet"):
        claims.best_share(scores.assign(status=["pending", "ok", "ok", "pending"]), method="ZEN", metric="accuracy")
    assert claims.ratio(scores, method="HGNN", reference="ZEN", metric="accuracy", dataset="Cora").value == 0.9
    with pytest.raises(claims.Pending, match="no rows of ED-HNN"):
        claims.value(scores, method="ED-HNN", metric="accuracy", dataset="Cora")


def test_a_cell_lost_to_a_method_that_ran_counts_before_the_others_run():
    """"Best in every cell": a cell where a method that ran beats ZEN is lost whatever the methods not run yet
    show; a cell ZEN leads so far still waits for them."""
    scores = board({"ZEN": {"Cora": 50, "Senate": 70, "House": 80}, "HGNN": {"Cora": 55, "Senate": 60, "House": 70},
                    "HCHA": {"Cora": 0, "Senate": 0, "House": 75}},
                   status={("HCHA", "Cora"): "pending", ("HCHA", "Senate"): "pending"})
    share = claims.best_share(scores, method="ZEN", metric="accuracy")
    assert (share.value, share.complete) == (0.5, False)  # House won, Cora lost to HGNN; Senate waits for HCHA
    assert "(1 where every method ran, 1 lost to a method that ran" in share.text
    assert "1 cell(s) not run yet" in share.text
    verdicts = claims.evaluate({"zen-5shot": scores}).set_index("claim_id")
    assert verdicts.at["zen_outperforms_8_baselines_11_benchmarks", "verdict"] == "not reproduced"


def test_share_won_counts_every_comparison_whose_two_methods_ran():
    """A comparison needs its two methods only: a cell where a third is not run yet still counts, and one loss
    there settles "wins every comparison" while a share below 1 waits for the rest."""
    scores = board({"A": {"IMDB": 0.5, "DBLP": 0.5}, "B": {"IMDB": 0.6, "DBLP": 0.4}, "C": {"IMDB": 0.7, "DBLP": 0.9}},
                   metric="mae", status={("C", "DBLP"): "pending"})
    share = claims.share_won(scores, method="A", metric="mae")
    assert (share.value, share.complete) == (2 / 3, False)
    assert "wins 2 of 3 comparisons" in share.text and "1 comparison(s) not run yet" in share.text
    waiting_for_a = scores.assign(status=np.where(scores.label.eq("A") & scores.dataset.eq("dblp"), "pending", "ok"))
    assert claims.share_won(waiting_for_a, method="A", metric="mae").text.endswith("2 comparison(s) not run yet")
    with pytest.raises(claims.Pending, match="not run yet"):
        claims.share_won(scores.assign(status=np.where(scores.label.eq("A"), "pending", "ok")), method="A",
                         metric="mae")
    boards = {"triprune-significance": scores.replace({"A": "TriPrune-HGNN"})}
    table = claims.evaluate(boards).set_index("claim_id")
    assert table.at["tri_outperforms_65_of_65", "verdict"] == "not reproduced"
    assert "already false" in table.at["tri_outperforms_65_of_65", "measured"]


def test_a_counterexample_settles_a_claim_about_every_cell_before_the_others_run():
    """"Best in every cell" is false as soon as one cell run is lost; "best in most cells" waits for the rest."""
    scores = board({"ZEN": {"Cora": 45, "Senate": 70, "House": 60}, "HGNN": {"Cora": 50, "Senate": 71, "House": 59}},
                   status={("HGNN", "Senate"): "pending"})
    table = claims.evaluate({"zen-5shot": scores, "zen-extra": scores}).set_index("claim_id")
    every = table.at["zen_outperforms_8_baselines_11_benchmarks", "measured"]
    assert table.at["zen_outperforms_8_baselines_11_benchmarks", "verdict"] == "not reproduced"
    assert "best on 1 of 2 cells" in every and "already false on the cells run" in every
    assert table.at["zen_extra_baselines_majority", "verdict"] == "pending"  # share > 0.5: the rest can change it
    assert "so far 0.5" in table.at["zen_extra_baselines_majority", "measured"]
    winning = board({"ZEN": {"Cora": 55, "Senate": 70}, "HGNN": {"Cora": 50, "Senate": 71}},
                    status={("HGNN", "Senate"): "pending"})
    verdicts = claims.evaluate({"zen-5shot": winning}).set_index("claim_id")
    assert verdicts.at["zen_outperforms_8_baselines_11_benchmarks", "verdict"] == "pending"  # no counterexample yet
    spread = board({"A": {"IMDB": 0.2, "DBLP": 0.1}, "TriPrune-HGNN": {"IMDB": 0.3, "DBLP": 0.3}}, metric="mae",
                   status={("A", "DBLP"): "pending"})
    measured = claims.std_range(spread, exclude="TriPrune-HGNN", metric="mae")
    assert measured.value == pytest.approx((0.02, 0.02)) and not measured.complete  # 0.02 > 0.016: settled
    table = claims.evaluate({"triprune-main": spread}).set_index("claim_id")
    assert table.at["tri_baseline_std_0_008_0_016", "verdict"] == "not reproduced"


def test_cells_that_cannot_run_make_a_part_not_testable():
    scores = board({"ZEN": {"Pubmed": 1.0}, "HGNN": {"Pubmed": 9.0}}, metric="one_config",
                   status={("ZEN", "Pubmed"): "data unavailable"})
    assert claims.fastest_competitor_ratio(scores, reference="ZEN", metric="one_config") is None
    table = claims.evaluate({"zen-runtime": scores}).set_index("claim_id")
    assert table.at["zen_1700x_alldeepsets_house", "verdict"] == "pending"  # AllDeepSets has no row: named
    measured = table.at["zen_1700x_alldeepsets_house", "measured"]
    assert "no rows of AllDeepSets / ZEN with metric one_config on House" in measured
    assert table.at["zen_speedup_696x_abstract", "verdict"] == "not testable here"
    assert "data unavailable" in table.at["zen_speedup_696x_abstract", "measured"]


def test_ratio_and_change_checks():
    seconds = board({"ZEN": {"Cora": 0.1, "House": 0.01}, "HGNN": {"Cora": 2.0, "House": 3.0},
                     "UniGCN": {"Cora": 1.0, "House": 5.0}}, metric="one_config")
    fastest = claims.fastest_competitor_ratio(seconds, reference="ZEN", metric="one_config")
    assert fastest.value == pytest.approx(300.0) and "House" in fastest.text  # the larger of 10 (Cora) and 300
    assert claims.fastest_competitor_ratio(seconds, reference="ZEN", metric="one_config",
                                           dataset="Cora").value == pytest.approx(10.0)
    measured = claims.evaluate({"zen-runtime": seconds}).set_index("claim_id").at["zen_speedup_696x_abstract",
                                                                                  "measured"]
    assert "300 (fastest competitor on House" in measured and "RTX A6000" in measured  # the mapping's note
    assert claims.ratio(seconds, method="HGNN", reference="ZEN", metric="one_config",
                        dataset="House").value == pytest.approx(300.0)
    assert claims.ratio_range(seconds, methods="HGNN|UniGCN", reference="ZEN",
                              metric="one_config").value == pytest.approx((10.0, 500.0))
    mae = board({"Full": {"IMDB": 0.4, "DBLP": 0.5}, "w/o X": {"IMDB": 0.42, "DBLP": 0.5}}, metric="mae")
    change = {d: claims.change_pct(mae, method="w/o X", reference="Full", metric="mae", dataset=d).value
              for d in ("IMDB", "mean", "average")}
    assert change == pytest.approx({"IMDB": 5.0, "mean": 2.5, "average": 100 * 0.02 / 0.9})
    assert claims.change_range(mae, methods="w/o X", reference="Full", metric="mae").value == pytest.approx((0, 5))
    assert claims.variance_change_pct(mae, method="Full", reference="w/o X", metric="mae",
                                      dataset="IMDB").value == pytest.approx(100 * (0.04 ** 2 / 0.042 ** 2 - 1))


def test_largest_change_and_validation_gap_checks():
    val = board({"Full": {"IMDB": 0.40, "DBLP": 0.50}, "Uniform": {"IMDB": 0.42, "DBLP": 0.56},
                 "Fixed": {"IMDB": 0.48, "DBLP": 0.51}}, metric="val_mae")
    largest = claims.largest_change(val, methods="Uniform|Fixed", reference="Full", metric="val_mae")
    assert largest.value == pytest.approx(20.0) and largest.text.startswith("Fixed on IMDB")  # 12 on DBLP is less
    main = pd.concat([board({"TP": {"IMDB": 0.40, "DBLP": 0.50, "Average (5 datasets)": 0.45}}, metric="mae"),
                      board({"TP": {"IMDB": 0.41, "DBLP": 0.49, "Average (5 datasets)": 0.10}}, metric="val_mae")])
    main.loc[main.paper_dataset.str.startswith("Average"), "dataset"] = "average"  # Table 2's board names it so
    gap = claims.gap_pct(main, method="TP", metric="mae", other="val_mae")
    assert gap.value == pytest.approx(2.5) and gap.complete and "IMDB" in gap.text  # |0.41 - 0.40| / 0.40; the
    # Average row (a 78 % gap here) is not a dataset
    transfer = board({"Fixed": {"DBLP": 0.50, "Yelp": 0.60}, "Frozen": {"DBLP": 0.48, "Yelp": 0.60},
                      "Full": {"DBLP": 0.45, "Yelp": 0.54}}, metric="mae")
    kept = claims.retained_share(transfer, method="Frozen", baseline="Fixed", reference="Full", metric="mae")
    assert kept.value == pytest.approx(100 * (-4.0 / 2) / (-10.0))  # mean changes -2% and -10% over Fixed
    waiting = pd.concat([main, board({"TP": {"Yelp": 0.6}}, metric="mae", status={("TP", "Yelp"): "pending"})])
    assert not claims.gap_pct(waiting, method="TP", metric="mae", other="val_mae").complete


def test_a_boards_average_row_is_neither_a_dataset_nor_a_cell():
    """TriPrune Table 2's board has an Average row per method and metric: checks over datasets or cells skip it (the
    paper's "all 15 metrics" are 5 datasets x 3 metrics), and aggregates over datasets do not count it twice."""
    scores = board({"TP": {"IMDB": 0.40, "DBLP": 0.50, "Average (5 datasets)": 0.45},
                    "B": {"IMDB": 0.42, "DBLP": 0.45, "Average (5 datasets)": 0.435}}, metric="mae")
    scores.loc[scores.paper_dataset.str.startswith("Average"), "dataset"] = "average"
    assert claims.value_range(scores, method="TP", metric="mae").text == "TP over 2 datasets"
    assert claims.best_share(scores, method="TP", metric="mae").value == pytest.approx(0.5)  # IMDB of IMDB, DBLP
    change = claims.change_pct(scores, method="TP", reference="B", metric="mae", dataset="mean").value
    assert change == pytest.approx(50 * (0.40 / 0.42 - 1) + 50 * (0.50 / 0.45 - 1))


def test_share_std_and_bonferroni_checks():
    parts = board({"A": {"IMDB": 2.0}, "B": {"IMDB": 1.0}, "Total": {"IMDB": 10.0}}, metric="predict_seconds")
    assert claims.share_pct(parts, parts="A|B", total="Total", metric="predict_seconds",
                            dataset="IMDB").value == pytest.approx(30.0)
    assert claims.max_std(parts, method="Total", metric="predict_seconds").value == pytest.approx(1.0)
    assert claims.std_range(parts, exclude="Total", metric="predict_seconds").value == pytest.approx((0.1, 0.2))
    assert claims.bonferroni_level(parts.assign(p=[0.01, 0.2, np.nan])).value == pytest.approx(0.025)
    assert claims.value_range(parts, method="A", metric="predict_seconds").value == (2.0, 2.0)


@pytest.mark.parametrize("measured, relation, target, expected", [
    (696.0, "approx", "696", True), (620.0, "approx", "696", False), (766.0, "approx", "696", False),
    (1748.7, ">", "1700", True), ((2.6, 1008.0), "within", "2.5..300", False),
    ((2.6, 290.0), "within", "2.5..300", True), (1, "==", "1", True), (0.875, "==", "1", False),
    (0.006, "<=", "0.007", True), ((0.39, 0.6), "approx", "0.383..0.642", True), (-0.2, ">", "-0.3", True),
    ((5.0, 8.0), "<", "8", False),
])
def test_relations(measured, relation, target, expected):
    assert claims.holds(measured, relation, target) is expected


def test_combine_reproduces_only_when_every_part_does():
    assert claims.combine(["not testable here"]) == "not testable here"
    assert claims.combine(["reproduced", "not testable here"]) == "not testable here"
    assert claims.combine(["reproduced", "pending", "not testable here"]) == "pending"
    assert claims.combine(["pending", "not reproduced"]) == "not reproduced"
    assert claims.combine(["reproduced", "reproduced"]) == "reproduced"


def test_verdicts_from_suite_boards(tmp_path):
    datasets = ["Cora", "Citeseer", "Senate"]
    wins = board({"ZEN": dict.fromkeys(datasets, 60.0), **{m: dict.fromkeys(datasets, 50.0) for m in
                                                            ("Linearized HGNN", "No TCS", "No RAP")}})
    loses = wins.assign(mean=np.where(wins.label == "No TCS", 70.0, wins["mean"]))
    for boards, verdict in (({"zen-ablation": wins}, "reproduced"), ({"zen-ablation": loses}, "not reproduced")):
        table = claims.evaluate(boards).set_index("claim_id")
        assert table.at["zen_ablation_full_model_best", "verdict"] == verdict
    table = claims.evaluate({"zen-5shot": wins, "zen-ablation": wins}).set_index("claim_id")
    assert table.at["zen_best_avg_rank", "verdict"] == "reproduced"
    assert table.at["zen_table3_highest_avg_rank", "verdict"] == "pending"  # 10/20-shot and extra not run
    assert "zen-5shot: 1 (ZEN Avg. Rank 1.0" in table.at["zen_table3_highest_avg_rank", "measured"]
    paths = claims.write(claims.evaluate({"zen-ablation": loses}), tmp_path)
    text = paths["claims_md"].read_text()
    assert claims.RULE in text and all(cid in text for cid in claims.claims_table().claim_id)
    written = pd.read_csv(paths["claims_csv"], keep_default_na=False)
    assert len(written) == 113 and set(written.verdict) <= set(claims.VERDICTS)
    assert "not reproduced" in set(written.verdict)


def test_a_check_reading_every_row_waits_for_the_suites_pending_rows(monkeypatch):
    from dataclasses import replace

    from hgbench.benchmarks.suites import base as suites

    chosen = suites.suite("triprune-main")  # every paper row is registered now: pretend HHGSA is not
    monkeypatch.setitem(suites.SUITES._items, chosen.name, replace(chosen, pending_rows=("HHGSA",)))
    row = next(r for r in claims.mapping().itertuples(index=False) if r.claim_id == "tri_baseline_std_0_008_0_016")
    board = pd.DataFrame({"method": ["tp-hgnn"], "label": ["HGNN"], "dataset": ["imdb"], "paper_dataset": ["IMDB"],
                          "metric": ["mae"], "mean": [0.5], "std": [0.01], "status": ["ok"]})
    verdict, text, _ = claims._part(row, {"triprune-main": board})
    assert verdict == "pending" and "HHGSA" in text and "not run yet" in text


def test_rank_position_judges_over_the_datasets_with_results_and_names_the_rest():
    scores = board({"ZEN": {"Cora": 60, "Senate": 70, "House": 50}, "HGNN": {"Cora": 50, "Senate": 60, "House": 0},
                    "HCHA": {"Cora": 55, "Senate": 75, "House": 0}},
                   status={("HGNN", "House"): "pending", ("HCHA", "House"): "pending"})
    rank = claims.rank_position(scores, method="ZEN", metric="accuracy")
    assert rank.value == 1 and "over 2 of 3 datasets" in rank.text
    assert "not run yet: HGNN on House; HCHA on House" in rank.text
    with pytest.raises(claims.Pending, match="no dataset has every method run yet"):
        claims.rank_position(scores.assign(status="pending"), method="ZEN", metric="accuracy")
    table = claims.evaluate({"zen-10shot": scores, "zen-20shot": scores}).set_index("claim_id")
    assert table.at["zen_top_rank_10_20_shot", "verdict"] == "reproduced"
    assert "not run yet: HGNN on House" in table.at["zen_top_rank_10_20_shot", "measured"]


def stats_board(values, status=None):
    """A dataset_stats-shaped board from {statistic: {paper dataset: value}}."""
    status = status or {}
    return pd.DataFrame([{"label": "", "method": "", "dataset": d.lower(), "paper_dataset": d, "metric": statistic,
                          "mean": v, "std": np.nan, "paper_mean": np.nan, "status": status.get(d, "ok")}
                         for statistic, per in values.items() for d, v in per.items()])


def test_dataset_statistic_claims_read_the_measured_statistics():
    nodes = stats_board({"nodes": {"Senate": 300, "House": 1200, "Cora": 2700, "Walmart": 90000, "Pubmed": 1}},
                        status={"Pubmed": "data unavailable"})
    ratio = claims.statistic_ratio(nodes, statistic="nodes", datasets="Senate|House", others="Cora|Walmart|Pubmed")
    assert ratio.value == pytest.approx((2.25, 300.0)) and "left out (data unavailable): Pubmed" in ratio.text
    assert "highest Walmart/Senate" in ratio.text
    assert claims.statistic_ratio(nodes, statistic="nodes", datasets="Senate|House", others="Cora",
                                  end="max").value == pytest.approx(9.0)
    assert claims.statistic_ratio(nodes, statistic="nodes", datasets="Pubmed", others="Cora") is None
    with pytest.raises(claims.Pending, match="not downloaded yet: Cora"):
        claims.statistic_ratio(nodes.assign(status=np.where(nodes.paper_dataset == "Cora", "pending", "ok")),
                               statistic="nodes", datasets="Senate", others="Cora")
    nine = stats_board({"nodes": {"Congress": 1000, "Senate": 1000, "House": 1000, "Cora": 9000}})
    table = claims.evaluate({dataset_stats.SUITE: nine}).set_index("claim_id")
    assert table.at["zen_node_counts_9x", "verdict"] == "reproduced"
    assert table.at["zen_feature_dims_5x_37x", "verdict"] == "pending"  # that board has no features rows


def test_dataset_statistics_are_measured_from_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path))  # nothing downloaded: every claim reading them is pending
    empty = dataset_stats.board()
    assert set(empty.status) <= {"pending", "data unavailable"} and "Senate" in set(empty.paper_dataset)
    table = claims.evaluate({dataset_stats.SUITE: empty}).set_index("claim_id")
    assert table.at["zen_class_counts_2x_20x", "verdict"] == "pending"
    assert "not downloaded yet" in table.at["zen_class_counts_2x_20x", "measured"]

"""The pieces behind the ZEN-paper suites: n-way episodes, run-time costs, Zoo weights, plots."""

import re

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import put_planned
from hgbench.benchmarks.report import figures, leaderboards, probes, runtime, weights
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.plan import expand_grid
from hgbench.benchmarks.suites import Comparison, Suite, suite, suite_names
from hgbench.datasets import synthetic
from hgbench.datasets.episodes import episode_classes, episode_view
from hgbench.datasets.splits import make_split, parse_episode, protocol_shots
from hgbench.methods.zen import ZEN


@pytest.fixture(scope="module")
def data():
    return synthetic.generate(synthetic.PRESETS["synthetic"])


# ----------------------------------------------------------------------------- episodes
def test_protocol_parsing():
    assert parse_episode("2-way-3-shot") == (2, 3)
    assert parse_episode("5-shot") is None
    assert protocol_shots("2-way-1-shot") == 1
    assert protocol_shots("10-shot") == 10
    assert protocol_shots("ratio-0.6-0.2") is None


def test_episode_view_keeps_only_its_classes(data):
    classes = episode_classes(data.labels, 2, 3, seed=4)
    view = episode_view(data, "2-way-3-shot", seed=4)
    assert view.num_classes == 2 and view.features is data.features and view.hypergraph is data.hypergraph
    for new, old in enumerate(classes):
        assert torch.equal(view.labels == new, data.labels == old)
    assert int((view.labels >= 0).sum()) == int(sum((data.labels == c).sum() for c in classes))


def test_episode_split_is_k_shot_within_the_episode(data):
    view = episode_view(data, "2-way-3-shot", seed=1)
    split = make_split(view.labels, "2-way-3-shot", seed=1)
    assert split.protocol == "2-way-3-shot"
    assert torch.bincount(view.labels[split.train]).tolist() == [3, 3]
    assert torch.bincount(view.labels[split.val]).tolist() == [3, 3]
    assert (view.labels[split.test] >= 0).all()
    assert split.train.numel() + split.val.numel() + split.test.numel() == int((view.labels >= 0).sum())


def test_episodes_depend_on_the_seed_only(data):
    draws = {tuple(episode_classes(data.labels, 2, 1, seed)) for seed in range(20)}
    assert len(draws) > 1
    assert episode_classes(data.labels, 2, 1, 7) == episode_classes(data.labels.clone(), 2, 1, 7)


def test_episode_needs_enough_classes(data):
    with pytest.raises(ValueError, match="2-way 10000-shot needs 2 classes"):
        episode_classes(data.labels, 2, 10_000, 0)


def test_non_episode_protocol_returns_the_dataset(data):
    assert episode_view(data, "5-shot", 0) is data


# ----------------------------------------------------------------------------- suites
def test_paper_suite_covers_every_zen_table():
    paper = suite("paper")
    assert set(paper.includes) >= {"zen-5shot", "zen-ablation", "zen-10shot", "zen-20shot", "zen-extra",
                                   "zen-nway-1shot", "zen-nway-3shot", "zen-zoo", "zen-runtime"}
    assert all(name in suite_names() for name in paper.includes)
    assert suite("zen-nway-3shot").setting == "2-way-3-shot"
    assert suite("zen-10shot").setting == "shots=10"


# ----------------------------------------------------------------------------- run time
def _record(method, seed, config, val, seconds, prepare=0.0, executor="sequential"):
    return {"method": method, "dataset": "d", "seed": seed, "config": config, "status": "ok", "val_accuracy": val,
            "prepare_seconds": prepare, "fit_seconds": seconds, "predict_seconds": 0.0, "executor": executor}


def test_costs_of_one_configuration_and_of_the_protocol():
    rows = [_record("zen", s, "{}", 0.5, 0.1, prepare=0.1) for s in (0, 1)]
    rows += [_record("hgnn", s, c, v, t) for s in (0, 1) for c, v, t in (("a", 0.9, 2.0), ("b", 0.1, 6.0))]
    rows += [_record("hgnn", 0, "c", 0.95, 100.0, executor="pool-2")]  # pool times never count
    frame = pd.DataFrame(rows)
    selected = frame[(frame.method == "zen") | (frame.config == "a")]
    costs = runtime.cost_frame(frame, selected).set_index("method")
    assert costs.loc["zen", "one_config"] == pytest.approx(0.2)
    assert costs.loc["hgnn", "one_config"] == pytest.approx(2.0)
    assert costs.loc["hgnn", "protocol"] == pytest.approx(8.0)
    assert costs.loc["hgnn", "ratio_one_config"] == pytest.approx(10.0)
    assert costs.loc["hgnn", "ratio_protocol"] == pytest.approx(40.0)
    assert runtime.fastest_competitor(costs.reset_index()).method.tolist() == ["hgnn"]


# ----------------------------------------------------------------------------- Zoo weights
def test_zen_records_its_class_feature_weights(data):
    method = ZEN(record_weights=True)
    split = make_split(data.labels, "3-shot", 0)
    fitted = method.fit(data, split, {}, 0, method.prepare(data, {}))
    w = np.asarray(fitted.diagnostics["class_feature_weights"])
    assert w.shape == (data.num_features, data.num_classes)
    np.testing.assert_allclose(np.linalg.norm(w, axis=0), 1.0, rtol=1e-6)  # Eq. (4): unit-norm class columns
    assert "class_feature_weights" not in ZEN().fit(data, split, {}, 0, method.prepare(data, {})).diagnostics


def test_paper_weights_and_pattern_comparison(tmp_path):
    paper = weights.paper_weights("zen_table5_zoo_weights.csv")
    assert paper.shape == (16, 7) and paper.index[0] == "Hair" and paper.columns[0] == "Mammal"
    same = weights.comparison(paper.to_numpy(), paper)
    assert same["pearson_r"] == pytest.approx(1.0) and same["same_top_class"] == 16
    shuffled = weights.comparison(paper.to_numpy()[:, ::-1], paper)
    assert shuffled["same_top_class"] < 16
    records = [{"status": "ok", "seed": s, "diagnostics": {"class_feature_weights": (paper.to_numpy() * s).tolist()}}
               for s in (1, 0)]
    assert weights.stored_weights(records)[1].sum() == pytest.approx(paper.to_numpy().sum())
    png = weights.heatmap({"ours": paper.to_numpy(), "paper": paper.to_numpy()}, list(paper.index),
                          list(paper.columns), tmp_path / "w.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_row_relative_scales_each_row():
    scaled = weights.row_relative(np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(scaled, [[0.0, 1.0, 0.5], [0.0, 0.0, 0.0]])


# ----------------------------------------------------------------------------- plots
def test_plots_render(tmp_path):
    board = pd.DataFrame({"method": ["zen", "hgnn"], "label": ["ZEN", "HGNN"], "dataset": ["cora"] * 2,
                          "paper_dataset": ["Cora"] * 2, "mean": [50.0, 45.0], "std": [3.0, 4.0]})
    shots = figures.accuracy_vs_shots({5: board, 10: board.assign(mean=[60.0, 55.0])}, tmp_path / "s.png")
    costs = pd.DataFrame({"method": ["zen", "hgnn"], "dataset": ["cora"] * 2, "one_config": [0.1, 3.0]})
    timing = figures.accuracy_vs_time(board, costs, tmp_path / "t.png")
    assert shots.read_bytes()[:4] == b"\x89PNG" and timing.read_bytes()[:4] == b"\x89PNG"
    assert figures.accuracy_vs_shots({5: board.assign(mean=np.nan)}, tmp_path / "none.png") is None
    assert figures.accuracy_vs_shots({5: board, 10: board.assign(mean=np.nan)}, tmp_path / "one.png") is None
    assert not (tmp_path / "one.png").exists()  # one shot setting draws no curve
    assert figures.accuracy_vs_time(board.iloc[:1], costs, tmp_path / "zen.png") is None  # one method: no trade-off
    assert not (tmp_path / "zen.png").exists()


def test_a_method_has_one_colour_in_every_panel_and_the_legend_lists_every_method(tmp_path, monkeypatch):
    board = pd.DataFrame({"method": ["zen", "hgnn", "zen"], "label": ["ZEN", "HGNN", "ZEN"],
                          "dataset": ["cora", "cora", "senate"], "paper_dataset": ["Cora", "Cora", "Senate"],
                          "mean": [50.0, 45.0, 60.0], "std": [1.0, 1.0, 1.0]})
    costs = board[["method", "dataset"]].assign(one_config=[0.1, 3.0, 0.2])
    drawn, save = [], figures._save
    monkeypatch.setattr(figures, "_save",
                        lambda fig, panels, path: drawn.append((fig, panels)) or save(fig, panels, path))
    figures.accuracy_vs_time(board.iloc[::-1], costs, tmp_path / "t.png")  # Senate first: it has ZEN only
    fig, panels = drawn[0]
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["HGNN", "ZEN"]
    colours = {}
    for ax, _ in panels:
        for points in ax.collections:
            colours.setdefault(points.get_label(), set()).add(tuple(points.get_facecolor()[0]))
    assert set(colours) == {"ZEN", "HGNN"} and all(len(c) == 1 for c in colours.values())
    assert colours["ZEN"] != colours["HGNN"]


@pytest.mark.parametrize("rows, columns", [(1, 3), (3, 2)])
def test_tight_layout_above_lays_out_as_tight_layout_with_a_rect(rows, columns):
    """One measuring pass gives matplotlib's two-pass ``tight_layout(rect=...)`` subplot parameters."""
    import matplotlib.pyplot as plt

    keys = ("left", "right", "bottom", "top", "wspace", "hspace")
    found = []
    for one_pass in (False, True):
        fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.barh(range(4), [1, 10, 100, 1000], label="bars")
            ax.set_yticks(range(4), ["a", "a long method label", "b", "c"][: 4 - i % 2] + ["d"] * (i % 2))
            ax.set_title(f"panel {i}", fontsize=9)
            ax.set_xlabel("test accuracy (%)", fontsize=8)
        if one_pass:
            figures.tight_layout_above(fig, 0.15)
        else:
            fig.tight_layout(rect=(0, 0.15, 1, 1))
        found.append([getattr(fig.subplotpars, key) for key in keys])
        plt.close(fig)
    assert found[1] == pytest.approx(found[0], abs=1e-12)
    assert found[1][2] > 0.15  # the panels start above the legend's strip


def test_a_figure_is_drawn_once_when_saved(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    draws, draw = [], Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, renderer: draws.append(fig) or draw(fig, renderer))
    board = pd.DataFrame({"method": ["zen", "hgnn"], "label": ["ZEN", "HGNN"], "dataset": ["cora"] * 2,
                          "paper_dataset": ["Cora"] * 2, "metric": ["accuracy"] * 2, "mean": [50.0, 45.0],
                          "std": [3.0, 4.0], "paper_mean": [51.0, np.nan]})
    path = figures.scores_bars(board, tmp_path / "scores.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and len(draws) == 1


# ----------------------------------------------------------------------------- layouts through the report
def _stored(suite_name, method, dataset, seed, config, val, seconds, diagnostics=None):
    return {"key": f"{method}-{dataset}-{seed}-{config}", "suite": suite_name, "method": method, "dataset": dataset,
            "protocol": "5-shot", "seed": seed, "budget": "reduced", "status": "ok", "reason": None,
            "config": {"c": config}, "val": {"accuracy": val, "mae": 0.0, "rmse": 0.0},
            "test": {"accuracy": 0.5, "mae": 0.0, "rmse": 0.0}, "fit_seconds": seconds, "predict_seconds": 0.0,
            "prepare_seconds": 0.0, "peak_memory_mb": 1.0, "code_version": "test", "task": "classification",
            "executor": "sequential", "diagnostics": diagnostics or {}}


def test_runtime_layout_renders_seconds_and_ratios(tmp_path):
    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")
    for seed in range(3):
        put_planned(store, _stored("zen-5shot", "zen", "senate", seed, 0, 0.5, 0.01))
        put_planned(store, _stored("zen-5shot", "hgnn", "senate", seed, 1, 0.9, 2.0))
        put_planned(store, _stored("zen-5shot", "hgnn", "senate", seed, 2, 0.1, 4.0))
        put_planned(store, {**_stored("zen-5shot", "hcha", "senate", seed, 1, 0.9, 2.0), "executor": "pool-2"})
        put_planned(store, {**_stored("zen-5shot", "hnhn", "senate", seed, 1, 0.0, 9.0), "status": "timeout"})
    paths = render.render(store, suite("zen-runtime"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset", "metric"])
    assert board.at[("hgnn", "senate", "ratio_one_config"), "mean"] == pytest.approx(200.0)
    assert board.at[("hgnn", "senate", "ratio_protocol"), "mean"] == pytest.approx(600.0)
    assert board.at[("hgnn", "senate", "ratio_one_config"), "paper_mean"] == pytest.approx(777.14)  # Table 4
    assert board.at[("hgnn", "cora", "one_config"), "status"] == "pending"
    assert board.at[("hcha", "senate", "one_config"), "status"] == "untimed"  # pool runs only
    assert board.at[("hnhn", "senate", "one_config"), "status"] == "timeout"
    latex = paths["latex"].read_text()
    assert "777.14" in latex and "200.00" in latex and latex.count(r"\begin{table}") == 2


def test_runtime_layout_without_a_timed_zen_leaves_the_ratios_pending(tmp_path):
    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")
    put_planned(store, _stored("zen-5shot", "hgnn", "senate", 0, 1, 0.9, 2.0))  # baselines only, no ZEN record
    put_planned(store, {**_stored("zen-5shot", "hcha", "senate", 0, 1, 0.9, 2.0), "executor": "pool-2"})
    paths = render.render(store, suite("zen-runtime"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset", "metric"])
    assert board.at[("hgnn", "senate", "one_config"), "mean"] == pytest.approx(2.0)
    assert board.at[("hgnn", "senate", "one_config"), "status"] == "ok"
    assert board.at[("hgnn", "senate", "ratio_one_config"), "status"] == "pending"  # ZEN has not run on Senate
    assert np.isnan(board.at[("hgnn", "senate", "ratio_protocol"), "mean"])
    assert board.at[("hcha", "senate", "ratio_one_config"), "status"] == "untimed"
    notes = paths["notes"].read_text()
    assert "| HGNN | Senate | 2.000 | 2.000 | -- |" in notes
    assert "no ratio over ZEN on Senate: ZEN pending" in notes


def test_runtime_cells_timed_on_part_of_their_grid_are_marked(tmp_path):
    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")
    put_planned(store, _stored("zen-5shot", "zen", "senate", 0, 0, 0.5, 0.01))
    put_planned(store, _stored("zen-5shot", "hgnn", "senate", 0, 1, 0.9, 2.0))
    put_planned(store, {**_stored("zen-5shot", "hgnn", "senate", 0, 2, 0.0, 9.0), "status": "timeout"})
    paths = render.render(store, suite("zen-runtime"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset", "metric"])
    assert board.at[("hgnn", "senate", "protocol"), "status"] == "partial-grid"
    assert board.at[("hgnn", "senate", "protocol"), "mean"] == pytest.approx(2.0)  # the timed-out run is not in it
    latex = paths["latex"].read_text()
    assert r"2.000$^{\ddagger}$" in latex and "protocol time leaves the unfinished configurations out" in latex


def test_a_store_of_pool_runs_only_renders_the_runtime_cells_untimed(tmp_path):
    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")  # what `bench run --jobs 2` leaves: no sequential record, ZEN's or other
    put_planned(store, {**_stored("zen-5shot", "hgnn", "senate", 0, 1, 0.9, 2.0), "executor": "pool-2"})
    report = render.render_all(store, tmp_path / "out")
    board = report.boards["zen-runtime"].set_index(["method", "dataset", "metric"])
    assert board.at[("hgnn", "senate", "ratio_one_config"), "status"] == "untimed"
    assert report.boards["zen-5shot"].set_index(["method", "dataset"]).at[("hgnn", "senate"), "status"] == "ok"


def test_weights_layout_compares_with_table5(tmp_path):
    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.run.store import Store
    paper = weights.paper_weights("zen_table5_zoo_weights.csv").to_numpy()
    store = Store(tmp_path / "store")
    for seed, scale in enumerate((0.9, 1.1)):
        put_planned(store, {**_stored("zen-zoo", "zen-weights", "zoo", seed, 0, 0.9, 0.01,
                             {"class_feature_weights": (paper * scale).tolist()}), "protocol": "3-shot"})
    paths = render.render(store, suite("zen-zoo"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index("metric")
    assert board.at["W*:Hair:Mammal", "mean"] == pytest.approx(0.1735, abs=1e-4)
    assert board.at["pearson_r_vs_paper", "mean"] == pytest.approx(1.0)
    assert board.at["features_with_same_top_class", "mean"] == 16
    assert paths["heatmap"].read_bytes()[:4] == b"\x89PNG"
    assert "16 of 16" in paths["notes"].read_text()


# ----------------------------------------------------------------------------- runner
def test_runner_runs_episodes_and_records_the_effective_budget(tmp_path):
    from hgbench.benchmarks.run.plan import schedule
    from hgbench.benchmarks.run.runner import Runner
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")
    jobs = schedule(store, "t-episodes", ["zen", "hgnn"], ["synthetic"], "2-way-1-shot", seeds=2, budget="smoke")
    entries = store.plan("t-episodes")
    assert {e["budget"] for e in entries if e["method"] == "zen"} == {"full"}  # ZEN's grid ignores the budget
    assert {e["budget"] for e in entries if e["method"] == "hgnn"} == {"smoke"}
    Runner(store).run(jobs)
    records = store.records("t-episodes")
    assert len(records) == len(jobs) and all(r["status"] == "ok" for r in records)
    assert {r["shots"] for r in records} == {1}
    data = synthetic.generate(synthetic.PRESETS["synthetic"])
    for record in records:  # each run saw its own episode's split
        view = episode_view(data, "2-way-1-shot", record["seed"])
        assert record["split_digest"] == make_split(view.labels, "2-way-1-shot", record["seed"]).digest


def test_provenance_lists_budgets_splits_and_statuses():
    from hgbench.benchmarks.report import render
    board = pd.DataFrame({"method": ["zen", "hgnn", "hgnn"], "dataset": ["cora", "cora", "walmart"],
                          "budget": ["full", "full,reduced", "-"], "n_runs": [10, 5, 0],
                          "status": ["ok", "ok", "pending"]})
    text = render.provenance({"zen-5shot": board})
    assert "| zen-5shot | cora | full, reduced | 5-10 | 2 ok |" in text  # every budget of the dataset's cells
    assert "| zen-5shot | walmart | - | - | 1 pending |" in text


def test_budget_and_cost_projects_the_full_grid_and_says_how_many_methods_it_covers():
    records = [_stored("t", method, "senate", seed, c, 0.5, 2.0) for method in ("hgnn", "zen") for seed in range(2)
               for c in range(2)]
    chosen = Suite(name="t", description="", methods=("hgnn", "hnhn", "zen"), datasets=("senate",), seeds=10)
    full_runs = len(expand_grid(registry.method_entry("hgnn").factory().configurations("full")))  # 9; ZEN's 1
    planned = leaderboards.planned_frame([{"key": r["key"], "method": r["method"], "dataset": r["dataset"],
                                           "protocol": "5-shot", "seed": r["seed"], "budget": "reduced",
                                           "grid_index": 0, "full_grid_size": full_runs if r["method"] == "hgnn" else 1,
                                           "config": r["config"]} for r in records])
    lines = runtime.budget_and_cost(leaderboards.records_frame(records), planned, chosen)
    projected = f"{2.0 * (full_runs + 1) * 10 / 3600:.1f}"
    assert lines[-2] == f"| senate | reduced | 2 of 3 | 2-2 | 8 | 16 | {projected} | - |"  # full grid never planned
    assert lines[-1] == f"| all | | 2 of 3 | | 8 | 16 | {projected} | - |"  # the sum over datasets


def test_budget_and_cost_prices_each_full_grid_configuration_from_the_runs_nearest_it():
    chosen = Suite(name="t", description="", methods=("hgnn",), datasets=("senate",), seeds=10)
    points = [{"lr": lr, "hidden": hidden} for lr in (1e-2, 1e-3, 1e-4) for hidden in (64, 128, 256)]
    measured = {(lr, 64): 100.0 for lr in (1e-2, 1e-3, 1e-4)} | {(1e-2, 256): 1200.0}
    records = [{**_stored("t", "hgnn", "senate", 0, 0, 0.5, seconds), "key": f"k{lr}-{hidden}",
                "config": {"lr": lr, "hidden": hidden}} for (lr, hidden), seconds in measured.items()]
    planned = leaderboards.planned_frame([{"key": f"p{i}", "method": "hgnn", "dataset": "senate", "protocol": "5-shot",
                                           "seed": 0, "budget": "full", "grid_index": i, "full_grid_size": len(points),
                                           "config": point} for i, point in enumerate(points)])
    lines = runtime.budget_and_cost(leaderboards.records_frame(records), planned, chosen)
    # hidden 64: its own runs; (1e-2, 256) its own; the rest from the runs sharing their lr or their width, a 64 run
    # pricing a 256 point scaled by the 12x this dataset shows between the two widths (no ratio reaches 128)
    per_split = 3 * 100 + 1200 + 2 * (100 * 12 + 1200) / 2 + (100 + 1200) / 2 + 2 * 100
    to_finish = per_split * 10 - 1500  # the four stored runs are split 0 of their configurations
    assert lines[-1] == f"| all | | 1 of 1 | | 4 | 1500 | {per_split * 10 / 3600:.1f} | {to_finish / 3600:.1f} |"


def test_full_protocol_coverage_counts_cells_with_every_split_on_the_full_grid_alone():
    chosen = Suite(name="t", description="", methods=("zen", "hgnn", "hnhn"), datasets=("senate", "house", "pubmed"),
                   seeds=10)
    cells = [("zen", "senate", 10, "full", "ok"), ("hgnn", "senate", 10, "full", "ok"),
             ("hnhn", "senate", 10, "full", "ok"), ("zen", "house", 10, "full", "ok"),
             ("hgnn", "house", 10, "full,reduced", "ok"), ("hnhn", "house", 0, "reduced", "timeout"),
             ("zen", "pubmed", 0, "-", "data unavailable")]
    board = pd.DataFrame([{"method": m, "label": m.upper(), "dataset": d, "paper_dataset": d.title(), "n_runs": n,
                           "budget": b, "status": s} for m, d, n, b, s in cells])
    lines = runtime.full_protocol_coverage(board, chosen)
    assert "| Senate | 3 of 3 | - |" in lines
    assert "| House | 1 of 3 | HGNN (10, full,reduced), HNHN (timeout) |" in lines  # a reduced split does not count
    assert not any(line.startswith("| Pubmed") for line in lines)  # nothing ran there
    assert lines[-1] == "Every method covers 1 dataset(s): Senate."
    assert runtime.full_protocol_coverage(board.assign(n_runs=9), chosen)[-1] == "Every method covers 0 dataset(s): -."


# ----------------------------------------------------------------------------- notes: prose, numbers from the store
# No allow-list: the notes cite sections as "Appendix F.3" and "Eq. (4)" and settings as "lr 1e-4", which the
# pattern does not match; a measured value, a paper value or a setting written as a decimal is either in a
# table the report computes (ours, paper, runs, budget, cost, probes) or belongs in docs/.
TYPED_NUMBER = re.compile(r"\d+\.\d")


def test_suite_notes_carry_no_typed_numbers():
    typed = {name: TYPED_NUMBER.findall(" ".join(suite(name).notes)) for name in suite_names()}
    assert {name: found for name, found in typed.items() if found} == {}


def test_comparisons_name_methods_of_their_suites():
    declared = [(s, c) for s in map(suite, suite_names()) for c in s.comparisons]
    assert declared  # zen-5shot puts the probes beside their baselines
    for chosen, comparison in declared:
        assert comparison.base in chosen.methods and comparison.probe in suite(comparison.probe_suite).methods


def test_probes_are_rendered_beside_their_baselines_from_the_boards():
    def board(method, label, means, status="ok"):
        return pd.DataFrame([{"method": method, "label": label, "dataset": d.lower(), "paper_dataset": d,
                              "mean": m, "std": 1.0, "paper_mean": 63.1, "paper_std": 2.0, "n_runs": 10,
                              "status": status if np.isfinite(m) else "pending"} for d, m in means.items()])
    chosen = Suite("s", "", ("unigcn",), ("house", "senate"),
                   comparisons=(Comparison("unigcn-edhnn-dropout", "unigcn", "p"),))
    boards = {"s": board("unigcn", "UniGCN", {"House": 58.0, "Senate": 50.0}),
              "p": board("unigcn-edhnn-dropout", "UniGCN (ED-HNN dropouts)", {"House": 61.4, "Senate": np.nan})}
    text = "\n".join(probes.section(chosen, boards))
    assert "| UniGCN (ED-HNN dropouts) | House | 61.4 ± 1.0 | 58.0 ± 1.0 | 63.1 ± 2.0 | yes | no | 10 / 10 |" in text
    assert "Senate" not in text  # the probe has no result there
    assert "Not in this store: p" in "\n".join(probes.section(chosen, {"s": boards["s"]}))
    assert probes.section(Suite("t", "", (), ()), boards) == []

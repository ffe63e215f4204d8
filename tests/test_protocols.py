"""Training protocols as objects (methods/protocol.py): TriPrune's protocol, its hooks, its traces and the
TriPrune-shaped rows, runs and transfer jobs on synthetic data."""

import pandas as pd
import pytest
import torch

from conftest import put_planned
from hgbench.baselines import BASELINES
from hgbench.benchmarks.report import multimetric, render
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import suite
from hgbench.datasets import catalog
from hgbench.datasets.splits import make_split
from hgbench.methods.protocol import Hooks, TRIPRUNE_PROTOCOL, ZEN_PROTOCOL

CONFIG = {"hidden": 16, "dropout": 0.5, "lr": 1e-2, "weight_decay": 5e-4, "epochs": 40, "patience": 3,
          "batch_size": 64}


@pytest.fixture
def ordinal():
    data = catalog.load("synthetic-contexts")  # 5 ordinal classes, 3 contexts
    return data, make_split(data.labels, "ratio-0.6-0.2", 0)


def test_triprune_protocol_trains_in_minibatches_and_stops_early(ordinal):
    data, split = ordinal
    fitted = BASELINES["tp-hgnn"]().fit(data, split, CONFIG, seed=0)
    d = fitted.diagnostics
    assert d["protocol"] == "triprune" and d["val_metric"] == "mae"
    assert d["steps_per_epoch"] == -(-split.train.numel() // 64)
    assert d["stopped_early"] and d["epochs_trained"] - d["selected_epoch"] == 3  # patience 3
    assert [row["epoch"] for row in fitted.trace] == list(range(1, d["epochs_trained"] + 1))
    assert {"train_loss", "val_ce", "val_metric"} <= set(fitted.trace[0])
    assert fitted.diagnostics["val_selected"] == min(row["val_metric"] for row in fitted.trace)  # MAE: lowest


def test_the_stop_on_ce_probe_selects_and_stops_on_validation_cross_entropy(ordinal):
    """``stop_on="ce"`` (TriPrune's rule, SPEC [OD-22]): the selected epoch is the first lowest validation CE and
    patience counts from it; the same network and draws as HGNN's row otherwise (same first epoch)."""
    from hgbench.baselines import PROBES

    data, split = ordinal
    config = {**CONFIG, "lr": 1e-3, "patience": 5, "epochs": 30}
    probe, base = PROBES["tp-hgnn-stop-ce"], BASELINES["tp-hgnn"]
    on_ce, on_mae = (cls().fit(data, split, config, seed=0) for cls in (probe, base))
    ce = [row["val_ce"] for row in on_ce.trace]
    d = on_ce.diagnostics
    assert d["stop_on"] == "ce" and d["selected_epoch"] == 1 + ce.index(min(ce))
    assert d["epochs_trained"] == min(30, d["selected_epoch"] + 5)
    assert on_mae.diagnostics["stop_on"] == "metric" and on_ce.trace[0] == on_mae.trace[0]
    assert "stop_on" not in BASELINES["tp-hgnn"]().settings()  # stored jobs keep their keys
    with pytest.raises(ValueError, match="stop_on"):
        BASELINES["tp-hgnn"]().fit(data, split, {**config, "stop_on": "loss"}, seed=0)


def test_the_protocol_never_reads_test_labels(ordinal):
    data, split = ordinal
    shuffled = data.labels.clone()
    shuffled[split.test] = shuffled[split.test].flip(0)
    changed = type(data)(**{**data.__dict__, "labels": shuffled})
    runs = [BASELINES["tp-mlp"]().fit(d, split, CONFIG, seed=1).predict() for d in (data, changed)]
    assert torch.equal(*runs)


def test_hooks_add_a_loss_and_trace_columns(ordinal):
    data, split = ordinal

    class Norm(Hooks):
        steps = 0

        def after_step(self, model, epoch, step):
            self.steps += 1

        def after_epoch(self, model, epoch):
            return {"weight_norm": float(sum(p.detach().square().sum() for p in model.parameters()))}

    class Penalty(Norm):
        def extra_loss(self, model, logits, batch, epoch):
            return 1.0 * sum(p.square().sum() for p in model.parameters())

    runs = {}
    for hooks in (Norm(), Penalty()):
        method = BASELINES["tp-mlp"]()
        method.hooks = lambda *args, h=hooks: h
        runs[type(hooks).__name__] = (method.fit(data, split, {**CONFIG, "patience": 100, "epochs": 5}, seed=0), hooks)
    (plain, norm), (penalised, penalty) = runs["Norm"], runs["Penalty"]
    assert norm.steps == 5 * plain.diagnostics["steps_per_epoch"] == penalty.steps
    assert penalised.trace[-1]["weight_norm"] < 0.5 * plain.trace[-1]["weight_norm"]


def test_methods_declare_their_protocol_and_its_keys_are_job_params():
    assert BASELINES["hgnn"].protocol is ZEN_PROTOCOL and BASELINES["tp-hgnn"].protocol is TRIPRUNE_PROTOCOL
    grid = BASELINES["tp-hgnn"]().configurations("full")
    assert grid["weight_decay"] == [5e-4] and grid["patience"] == [20] and grid["batch_size"] == [512]
    assert grid["epochs"] == [200] and len(grid["hidden"]) * len(grid["dropout"]) * len(grid["lr"]) == 8


def test_a_triprune_run_stores_its_trace_and_times_inference(tmp_path):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["tp-mlp"], ["synthetic-contexts"], "ratio-0.6-0.2", 2, budget="smoke")
    Runner(store).run(jobs)
    records = store.records("t")
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    for record in records:
        assert record["inference_seconds"] > 0 and record["inference_peak_mb"] >= 0
        assert record["environment"]["torch_threads"] == 1 and record["environment"]["device"] == "cpu"
        trace = store.trace(record["key"])
        assert isinstance(trace, pd.DataFrame) and len(trace) == record["diagnostics"]["epochs_trained"]


def test_a_transfer_job_trains_on_one_dataset_and_scores_another(tmp_path):
    store = Store(tmp_path)
    jobs = schedule(store, "t-transfer", ["tp-mlp"], ["synthetic"], "ratio-0.6-0.2", 1, budget="smoke",
                    eval_datasets={"synthetic": "synthetic-heterophilic"})
    (same,) = schedule(store, "t-same", ["tp-mlp"], ["synthetic"], "ratio-0.6-0.2", 1, budget="smoke")
    assert jobs[0].key != same.key  # evaluated elsewhere: another computation
    Runner(store).run(jobs + [same])
    transfer, = store.records("t-transfer")
    own, = store.records("t-same")
    assert transfer["eval_dataset"] == "synthetic-heterophilic" and transfer["status"] == "ok"
    assert transfer["val"] == own["val"]  # the same training and selection on the source dataset
    target = catalog.load("synthetic-heterophilic")
    fitted = BASELINES["tp-mlp"]().fit(catalog.load("synthetic"), make_split(catalog.load("synthetic").labels,
                                       "ratio-0.6-0.2", 0), {**jobs[0].params_dict}, seed=0)
    expected = (fitted.predict_on(target).argmax(1) == target.labels).double().mean().item()
    assert transfer["test"]["accuracy"] == pytest.approx(expected)


def _scored(method, dataset, seed, mae, accuracy, val_mae=0.5, **extra):
    return {"key": f"{method}-{dataset}-{seed}", "suite": "triprune-main", "budget": "reduced", "method": method,
            "dataset": dataset, "protocol": "ratio-0.6-0.2", "seed": seed, "status": "ok", "task": "ordinal",
            "config": {}, "val": {"accuracy": 0.5, "mae": val_mae, "rmse": 0.5},
            "test": {"accuracy": accuracy, "mae": mae, "rmse": mae + 0.1}, "fit_seconds": 2.0, "prepare_seconds": 0.0,
            "inference_seconds": extra.pop("inference_seconds", 0.01), "inference_peak_mb": 5.0,
            "diagnostics": {"num_parameters": 100}, **extra}


def test_the_multimetric_table_prints_three_decimals_in_the_paper_direction(tmp_path):
    store = Store(tmp_path / "store")
    chosen = suite("triprune-main")
    for dataset in chosen.datasets:
        for seed in range(2):
            put_planned(store, _scored("tp-hgnn", dataset, seed, 0.0438 + 0.001 * seed, 0.7,
                                       val_mae=0.04 + 0.01 * seed))
            put_planned(store, _scored("tp-mlp", dataset, seed, 0.0125, 0.6, inference_seconds=0.005))
    paths = render.render(store, chosen, tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset", "metric"])
    assert board.at[("tp-hgnn", "imdb", "mae"), "mean"] == pytest.approx(0.0443)
    assert board.at[("tp-hgnn", "imdb", "mae"), "paper_mean"] == pytest.approx(0.482)  # found: 'MAE', no setting
    assert board.at[("tp-hgnn", "average", "accuracy"), "paper_mean"] == pytest.approx(0.726)
    assert board.at[("tp-mlp", "imdb", "inference_seconds"), "ratio_to_reference"] == pytest.approx(0.5)
    assert board.at[("tp-hgnn", "average", "mae"), "std"] == pytest.approx(0.0005)  # pooled
    assert board.at[("tp-hgnn", "imdb", "val_mae"), "mean"] == pytest.approx(0.045)  # on the board, not in the table
    latex = paths["latex"].read_text()
    assert r"$\mathbf{0.013_{\pm 0.000}}$" in latex  # MLP's lower MAE is best
    assert r"$\underline{0.044_{\pm" in latex  # second: HGNN, MAE 0.0438-0.0448 at three decimals
    assert r"$\mathbf{0.700_{\pm 0.000}}$" in latex  # HGNN's higher ACC is best
    assert latex.count(r"\mathbf") == 18  # one best per (dataset or average) x metric column


def test_selection_uses_validation_mae_on_ordinal_and_accuracy_on_classification():
    frame = pd.DataFrame({"method": ["m"] * 4, "dataset": ["a", "a", "b", "b"], "protocol": "p", "seed": 0,
                          "status": "ok", "grid_index": [0, 1, 0, 1], "config": ["x", "y", "x", "y"],
                          "task": ["ordinal", "ordinal", "classification", "classification"],
                          "val_mae": [0.2, 0.1, 0.2, 0.1], "val_accuracy": [0.5, 0.4, 0.5, 0.4],
                          "fit_seconds": 1.0, "prepare_seconds": 0.0})
    chosen = multimetric.selected_runs(frame).set_index("dataset").config
    assert chosen["a"] == "y" and chosen["b"] == "x"


@pytest.mark.parametrize("workers", [1, 2])
def test_kept_models_reproduce_the_stored_predictions(tmp_path, workers):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["tp-mlp", "hgnn"], ["synthetic"], "ratio-0.6-0.2", 1, budget="smoke")
    from hgbench.benchmarks.run.pool import PoolRunner
    runner = PoolRunner(store, 2, keep_models=True) if workers == 2 else Runner(store, keep_models=True)
    runner.run(jobs)
    data = catalog.load("synthetic")
    for record in store.records("t"):
        method = BASELINES[record["method"]]()
        model = method.build(data, {**record["params"]})
        model.load_state_dict(store.model(record["key"]))
        scores = model.eval()(data.features, data.hypergraph)
        split = make_split(data.labels, "ratio-0.6-0.2", 0)
        assert (scores.argmax(1)[split.test] == data.labels[split.test]).double().mean().item() == \
            pytest.approx(record["test"]["accuracy"])
    other = Store(tmp_path / "without")
    Runner(other).run(schedule(other, "t", ["tp-mlp"], ["synthetic"], "ratio-0.6-0.2", 1, budget="smoke"))
    assert other.model(other.records("t")[0]["key"]) is None  # not kept by default


def test_a_cell_selected_from_a_cut_grid_is_marked_and_never_bold(tmp_path):
    store = Store(tmp_path / "store")
    chosen = suite("triprune-main")
    for dataset in chosen.datasets:
        put_planned(store, _scored("tp-hgnn", dataset, 0, 0.30, 0.7))
        put_planned(store, _scored("tp-mlp", dataset, 0, 0.10, 0.6))
    failed = {**_scored("tp-mlp", "imdb", 0, 0.0, 0.0), "key": "cut", "config": {"hidden": 128}, "status": "timeout",
              "reason": "time limit", "val": None, "test": None}
    put_planned(store, failed)
    paths = render.render(store, chosen, tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index(["method", "dataset", "metric"])
    assert board.at[("tp-mlp", "imdb", "mae"), "status"] == "partial-grid"
    latex = paths["latex"].read_text()
    assert r"$0.100_{\pm 0.000}^{\ddagger}$" in latex and r"$\mathbf{0.300_{\pm 0.000}}$" in latex
    notes = paths["notes"].read_text()
    assert "## Cells selected from part of their grid" in notes and "tp-mlp on imdb, seed 0: timeout" in notes


def test_a_two_phase_method_reuses_the_protocol_per_phase(ordinal):
    """Teacher then student (the distillation baselines' shape): one protocol call per phase, one trace."""
    data, split = ordinal
    method = BASELINES["tp-mlp"]()
    config = method.hyperparameters({**CONFIG, "patience": 100, "epochs": 4})

    class Distil(Hooks):
        def __init__(self, teacher):
            self.teacher = teacher.eval()

        def extra_loss(self, model, logits, batch, epoch):
            with torch.no_grad():
                target = self.teacher(data.features, data.hypergraph)[batch].softmax(-1)
            return torch.nn.functional.kl_div(logits[batch].log_softmax(-1), target, reduction="batchmean")

    teacher = TRIPRUNE_PROTOCOL.train(lambda: BASELINES["tp-hgnn"]().build(data, config), data, split, config, 0,
                                      phase="teacher")
    student = TRIPRUNE_PROTOCOL.train(lambda: method.build(data, config), data, split, config, 0,
                                      Distil(teacher.model), phase="student")
    trace = pd.DataFrame(teacher.trace + student.trace)
    assert trace.groupby("phase").epoch.max().to_dict() == {"student": 4, "teacher": 4}
    assert not torch.equal(student.model(data.features, data.hypergraph),
                           TRIPRUNE_PROTOCOL.train(lambda: method.build(data, config), data, split, config, 0)
                           .model(data.features, data.hypergraph))  # the teacher's term changed the student

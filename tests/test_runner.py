"""The runner and store: resume, failure statuses, verification before writing, deterministic reports."""

import subprocess

import pytest
import torch

import hgbench

from hgbench.baselines import BASELINES, PROBES
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.report import render
from hgbench.benchmarks.run.plan import Job, plan, schedule
from hgbench.benchmarks.run.runner import Runner, code_version
from hgbench.benchmarks.run.store import BadRecord, Store
from hgbench.benchmarks.suites import suite
from hgbench.datasets import catalog
from hgbench.datasets.catalog import DatasetSpec
from hgbench.datasets.files import DataError, DataFile
from hgbench.methods.base import Diverged, Fitted, Method, check_deadline


class Failing(Method):
    """Fails in the way its config says; ok otherwise."""

    name = "failing"
    search_space = {"mode": ["ok", "nan", "oom", "slow", "bug"]}

    def fit(self, data, split, config, seed, prepared):
        mode = config["mode"]
        if mode == "nan":
            raise Diverged("loss became nan at epoch 3")
        if mode == "oom":
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        if mode == "slow":
            while True:
                check_deadline()
        if mode == "bug":
            raise IndexError("index 7 is out of bounds")
        return Fitted(lambda: torch.nn.functional.one_hot(data.labels, data.num_classes).float())


@pytest.fixture
def failing_method(monkeypatch):
    registry.method_names()
    monkeypatch.setitem(registry.METHODS._items, "failing", registry.MethodEntry("failing", Failing, "Failing"))


def test_failures_are_recorded_and_the_suite_goes_on(tmp_path, failing_method):
    store = Store(tmp_path)
    summary = Runner(store, time_limit_s=0.2).run(schedule(store, "t", ["failing", "zen"], ["synthetic"], "5-shot", 2))
    statuses = {(r["method"], r["config"].get("mode")): r["status"] for r in store.records("t")}
    assert statuses == {("failing", "ok"): "ok", ("failing", "nan"): "failed", ("failing", "oom"): "oom",
                        ("failing", "slow"): "timeout", ("failing", "bug"): "failed", ("zen", None): "ok"}
    assert summary.executed == 12 and summary.failed == 8
    reasons = {r["config"].get("mode"): r["reason"] for r in store.records("t")}
    assert "nan at epoch 3" in reasons["nan"] and "IndexError" in reasons["bug"]


def test_retry_reruns_only_the_stored_runs_with_the_given_statuses(tmp_path, failing_method):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["failing"], ["synthetic"], "5-shot", 1)
    Runner(store, time_limit_s=0.2).run(jobs)
    rerun = []
    summary = Runner(store, time_limit_s=0.2, retry=("timeout", "oom"),
                     on_record=lambda job, record: rerun.append(job.config_dict["mode"])).run(jobs)
    assert sorted(rerun) == ["oom", "slow"] and summary.skipped == len(jobs) - 2
    assert len(store.records("t")) == len(jobs)  # replaced, not added
    with pytest.raises(ValueError, match="retry takes failure statuses"):
        Runner(store, retry=("ok",))


def test_the_key_names_the_computation_and_no_suite(failing_method, monkeypatch):
    (a,), _ = plan("suite-a", ["zen"], ["synthetic"], "5-shot", 1)
    (b,), _ = plan("suite-b", ["zen"], ["synthetic"], "5-shot", 1)
    assert a == b and a.key == b.key
    other_seed = Job(a.method, a.params, a.dataset, a.protocol, 1)
    transfer = Job(a.method, a.params, a.dataset, a.protocol, 0, eval_dataset="other")
    assert len({a.key, other_seed.key, transfer.key}) == 3
    before = plan("t", ["failing"], ["synthetic"], "5-shot", 1)[0][0]
    monkeypatch.setattr(Failing, "defaults", {"dropout": 0.3})  # a changed default is another computation
    after = plan("t", ["failing"], ["synthetic"], "5-shot", 1)[0][0]
    assert after.params_dict == {**before.params_dict, "dropout": 0.3} and after.key != before.key


def test_a_run_planned_by_three_suites_is_stored_once(tmp_path):
    store = Store(tmp_path)
    runs = [Runner(store).run(schedule(store, name, ["zen"], ["synthetic"], "5-shot", 2)) for name in "abc"]
    assert [(r.executed, r.skipped) for r in runs] == [(2, 0), (0, 2), (0, 2)]
    assert len(list(store.all_records())) == 2
    assert [len(store.records(name)) for name in "abc"] == [2, 2, 2]
    assert {r["suite"] for r in store.records("b")} == {"b"}


def test_a_replanned_default_replaces_the_old_job_in_the_plan(tmp_path, failing_method, monkeypatch):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["failing"], ["synthetic"], "5-shot", 1)[:1]
    Runner(store).run(jobs)
    assert store.records("t")[0]["params"] == {"mode": "ok"}
    monkeypatch.setattr(Failing, "defaults", {"dropout": 0.3})
    jobs = schedule(store, "t", ["failing"], ["synthetic"], "5-shot", 1)[:1]
    summary = Runner(store).run(jobs)
    assert (summary.executed, summary.skipped) == (1, 0)
    assert [r["params"] for r in store.records("t")] == [{"dropout": 0.3, "mode": "ok"}]
    assert len(list(store.all_records())) == 2  # the old record stays in the store, unplanned


def test_a_torn_record_names_its_file_and_its_job_runs_again(tmp_path):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["zen"], ["synthetic"], "5-shot", 2)
    Runner(store).run(jobs)
    path = store.record_path("zen", jobs[0].key)
    path.write_text(path.read_text()[:40])
    with pytest.warns(UserWarning, match=str(path)):
        assert len(store.records("t")) == 1
    path.write_text("{}")
    with pytest.raises(BadRecord, match=f"{path}.*missing fields"):
        store.read(path)
    with pytest.warns(UserWarning, match=str(path)):
        summary = Runner(store).run(jobs)
    assert (summary.executed, summary.skipped) == (1, 1) and store.read(path)["status"] == "ok"


def test_settings_are_the_declared_defaults_merged_along_the_class_hierarchy():
    hgnn = BASELINES["hgnn"]().settings()
    assert hgnn == {"dropout": 0.5, "min_convs": 2, "selection_ties": "first", "symmetric": True}
    assert PROBES["hgnn-last-tie"]().settings() == {**hgnn, "selection_ties": "last"}
    assert registry.method_entry("zen-no-rap").factory().settings()["variant"] == "no-rap"


def test_plan_runs_a_whole_grid_on_one_split_before_the_next(failing_method):
    jobs, _ = plan("t", ["failing"], ["synthetic"], "5-shot", 3)
    seeds = [job.seed for job in jobs]
    assert seeds == sorted(seeds) and len(jobs) == 3 * len(Failing.search_space["mode"])


def test_interrupted_run_resumes_with_only_the_missing_jobs(tmp_path):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["zen", "zen-no-rap"], ["synthetic"], "5-shot", 4)
    done = []

    def stop_after_three(job, record):
        done.append(job.key)
        if len(done) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Runner(Store(tmp_path), on_record=stop_after_three).run(jobs)
    assert len(Store(tmp_path).records("t")) == 3
    rerun = []
    summary = Runner(Store(tmp_path), on_record=lambda job, record: rerun.append(job.key)).run(jobs)
    assert summary.skipped == 3 and summary.executed == 5
    assert not set(rerun) & set(done) and len(Store(tmp_path).records("t")) == 8


def test_corrupted_dataset_stops_before_anything_is_written(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "toy.txt").write_text("not what was published")
    bad = DatasetSpec("toy-corrupt", (DataFile("toy.txt", "0" * 64, "https://example.org/toy.txt"),),
                      build=lambda paths: pytest.fail("must not build"))
    catalog.names()
    monkeypatch.setitem(catalog.DATASETS._items, "toy-corrupt", bad)
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path / "data"))
    store = Store(tmp_path / "store")
    with pytest.raises(DataError, match="0" * 64):
        Runner(store).run(plan("t", ["zen"], ["synthetic", "toy-corrupt"], "5-shot", 2)[0])
    assert not (tmp_path / "store").exists()


def test_records_carry_provenance(tmp_path):
    store = Store(tmp_path)
    Runner(store).run(schedule(store, "t", ["zen"], ["synthetic"], "5-shot", 1))
    (record,) = store.records("t")
    for field in ("suite", "method", "params", "config", "dataset", "shots", "seed", "split_id", "split_digest",
                  "val", "test", "fit_seconds", "predict_seconds", "peak_memory_mb", "status", "code_version",
                  "environment", "data_sha256", "budget", "executor"):
        assert field in record
    assert record["shots"] == 5 and 0 <= record["test"]["accuracy"] <= 1 and record["peak_memory_mb"] > 0


def test_every_method_sees_the_same_split(tmp_path):
    store = Store(tmp_path)
    Runner(store).run(schedule(store, "a", ["zen"], ["synthetic"], "5-shot", 3))
    Runner(store).run(schedule(store, "b", ["linearized-hgnn"], ["synthetic"], "5-shot", 3))
    digests = lambda s: sorted((r["seed"], r["split_digest"]) for r in store.records(s))  # noqa: E731
    assert digests("a") == digests("b")


def test_report_is_deterministic(tmp_path):
    store = Store(tmp_path / "store")
    Runner(store).run(schedule(store, "demo", ["zen", "zen-no-tcs"], ["synthetic"], "5-shot", 3))
    first = {k: p.read_bytes() for k, p in render.render(store, suite("demo"), tmp_path).items()}
    second = {k: p.read_bytes() for k, p in render.render(store, suite("demo"), tmp_path).items()}
    assert first == second
    assert b"Linearized HGNN" in first["latex"] and b"\\toprule" in first["latex"]


def test_code_version_is_dirty_only_when_the_code_changed(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       check=True, capture_output=True)

    for name in ("src/code.py", "results/record.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("0")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    clean = code_version(tmp_path)
    assert clean.startswith(hgbench.__version__ + "+") and not clean.endswith("-dirty")
    (tmp_path / "results/record.json").write_text("1")  # a run wrote results: the code is unchanged
    assert code_version(tmp_path) == clean
    (tmp_path / "src/code.py").write_text("1")
    assert code_version(tmp_path) == clean + "-dirty"

"""``bench run --jobs N``: the pool's records equal the sequential ones, it resumes, a dead worker becomes a record."""

import json
import multiprocessing
import os
import signal

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.pool import PoolRunner
from hgbench.benchmarks.run.plan import plan
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store

JOBS, ENTRIES = plan("t", ["zen", "hgnn"], ["synthetic"], "5-shot", 2, budget="smoke")
SAME = ("method", "config", "seed", "split_digest", "status", "val", "test", "train", "diagnostics")


def records(store: Store) -> dict[str, dict]:
    return {record["key"]: record for record in store.all_records()}


def test_pool_records_equal_the_sequential_ones(tmp_path):
    Runner(Store(tmp_path / "sequential")).run(JOBS)
    summary = PoolRunner(Store(tmp_path / "pool"), 2).run(JOBS)
    sequential, pooled = records(Store(tmp_path / "sequential")), records(Store(tmp_path / "pool"))
    assert summary.executed == 4 and summary.failed == 0 and sequential.keys() == pooled.keys()
    for key, record in sequential.items():
        assert {f: pooled[key][f] for f in SAME} == {f: record[f] for f in SAME}
        assert record["status"] == "ok" and record["executor"] == "sequential"
        assert pooled[key]["executor"] == "pool-2" and pooled[key]["environment"]["torch_threads"] == 1
    assert not multiprocessing.active_children()


def test_interrupted_pool_run_resumes_without_redoing_finished_runs(tmp_path):
    done = []

    def stop_after_two(job, record):
        done.append(job.key)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        PoolRunner(Store(tmp_path), 2, on_record=stop_after_two).run(JOBS)
    assert set(records(Store(tmp_path))) == set(done) and not multiprocessing.active_children()
    rerun = []
    summary = PoolRunner(Store(tmp_path), 2, on_record=lambda job, record: rerun.append(job.key)).run(JOBS)
    assert summary.skipped == 2 and summary.executed == 2 and not set(rerun) & set(done)
    assert len(records(Store(tmp_path))) == 4


EXECUTORS = {  # with a time limit the sequential executor runs its jobs in one worker process
    "pool-2": lambda store, **options: PoolRunner(store, 2, **options),
    "sequential": lambda store, **options: Runner(store, time_limit_s=600, **options),
}


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_dead_worker_s_job_is_run_once_more_in_the_same_run(tmp_path, sig, executor):
    """A job whose worker dies twice is tried in test_faults.py: ``failed``, naming the signal, run again later."""
    jobs, _ = plan("t", ["hgnn"], ["synthetic"], "5-shot", 3, budget="smoke")  # one chunk, so one worker
    run = EXECUTORS[executor]

    def kill_the_worker(job, record):
        if job.seed == 0:  # the worker is now training seed 1
            for child in multiprocessing.active_children():
                os.kill(child.pid, sig)

    summary = run(Store(tmp_path), on_record=kill_the_worker).run(jobs)
    by_seed = {record["seed"]: record for record in records(Store(tmp_path)).values()}
    assert {seed: record["status"] for seed, record in by_seed.items()} == {0: "ok", 1: "ok", 2: "ok"}
    assert f"worker process died (signal {sig.name}" in by_seed[1]["retried_after"]
    assert "retried_after" not in by_seed[0] and "retried_after" not in by_seed[2]
    assert by_seed[1]["executor"] == executor and summary.executed == 3 and summary.failed == 0
    again = run(Store(tmp_path)).run(jobs)
    assert again.executed == 0 and again.skipped == 3


def test_cli_jobs_option_runs_the_pool(tmp_path):
    out = tmp_path / "results"
    args = ["run", "--suite", "demo", "--methods", "zen,zen-no-rap", "--datasets", "synthetic", "--seeds", "2",
            "--out", str(out)]
    assert main(args + ["--jobs", "2"]) == 0
    stored = [json.loads(path.read_text()) for path in (out / "store" / "records").glob("*/*.json")]
    assert len(stored) == 4 and {record["executor"] for record in stored} == {"pool-2"}

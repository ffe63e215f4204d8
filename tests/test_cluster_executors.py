"""``bench run --executor slurm|ray``: the same records and leaderboard as the sequential executor, dead
workers recorded and rerun, a killed Ray run resumed; SLURM through submitit's local executor and through
fake ``sbatch``/``srun``/``sacct`` commands that check the generated job-array script (no cluster needed)."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Ray reads these when it is imported: usage reporting off, and a local instance on the loopback address.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import cluster_support  # noqa: E402
from hgbench.benchmarks.cli import main  # noqa: E402
from hgbench.benchmarks.run.plan import plan  # noqa: E402
from hgbench.benchmarks.run.store import Store  # noqa: E402

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
SAME = ("method", "config", "seed", "split_digest", "status", "val", "test", "train", "diagnostics")
DEMO = ["run", "--suite", "demo", "--methods", "zen,zen-no-tcs", "--datasets", "synthetic", "--seeds", "2"]


def records(store: Store) -> dict[str, dict]:
    return {record["key"]: record for record in store.all_records()}


@pytest.fixture(autouse=True)
def task_path(monkeypatch):
    """Cluster tasks (processes this one does not fork) import hgbench and cluster_support from here."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")]))


@pytest.fixture
def methods(monkeypatch):
    cluster_support.register()
    yield
    for name in cluster_support.NAMES:
        cluster_support.registry.METHODS._items.pop(name, None)


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance for this module: 2 CPUs, 127.0.0.1, no dashboard, workers at this process's priority;
    its address. (Ray starts its workers at niceness 15 by default: on a machine busy with other work they then
    took over 100 s to import torch, and the timing assertions below failed for that reason alone.)"""
    ray = pytest.importorskip("ray")
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "RAY_worker_niceness")}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS), saved["PYTHONPATH"] or ""])  # workers inherit it
    os.environ["RAY_worker_niceness"] = "0"
    try:
        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    address = ray.get_runtime_context().gcs_address
    assert address.startswith("127.0.0.1:")
    yield address
    ray.shutdown()


@pytest.fixture
def submitit():
    return pytest.importorskip("submitit")


def test_leaderboards_are_the_same_with_every_executor(tmp_path, ray_address, submitit):
    outs = {name: tmp_path / name for name in ("local", "ray", "slurm")}
    assert main(DEMO + ["--out", str(outs["local"])]) == 0
    assert main(DEMO + ["--out", str(outs["ray"]), "--executor", "ray", "--address", ray_address]) == 0
    assert main(DEMO + ["--out", str(outs["slurm"]), "--executor", "slurm", "--slurm-cluster", "local",
                        "--max-concurrent", "2"]) == 0
    stored = {name: records(Store(out / "store")) for name, out in outs.items()}
    assert len(stored["local"]) == 4 and stored["local"].keys() == stored["ray"].keys() == stored["slurm"].keys()
    for key, record in stored["local"].items():
        assert record["status"] == "ok" and record["executor"] == "sequential"
        for name in ("ray", "slurm"):
            assert {f: stored[name][key][f] for f in SAME} == {f: record[f] for f in SAME}
            assert stored[name][key]["executor"] == name and stored[name][key]["environment"]["torch_threads"] == 1
    board = (outs["local"] / "demo" / "leaderboard.csv").read_text()
    assert (outs["ray"] / "demo" / "leaderboard.csv").read_text() == board
    assert (outs["slurm"] / "demo" / "leaderboard.csv").read_text() == board
    assert not list((outs["slurm"] / "slurm" / "events").iterdir())  # the tasks' returned results are cleaned up


def _runner(name: str, store: Store, ray_address: str | None):
    from hgbench.benchmarks.run.cluster import RayRunner, SlurmRunner

    if name == "ray":
        return RayRunner(store, address=ray_address)
    return SlurmRunner(store, cluster="local")


@pytest.mark.parametrize("executor, sig", [("ray", "SIGKILL"), ("ray", "SIGTERM"), ("slurm", "SIGKILL")])
def test_a_job_killed_by_a_signal_is_recorded_failed_and_run_again(tmp_path, monkeypatch, methods, executor, sig,
                                                                   request):
    address = request.getfixturevalue("ray_address") if executor == "ray" else None
    if executor == "slurm":
        request.getfixturevalue("submitit")
    monkeypatch.setenv("HGBENCH_TEST_MARKER", str(tmp_path / "killed"))
    monkeypatch.setenv("HGBENCH_TEST_SIGNAL", sig)
    monkeypatch.setenv("HGBENCH_TEST_DEATHS", "2")  # killed once, the job runs again in the same run
    jobs, _ = plan("t", ["dies"], ["synthetic"], "5-shot", 3)  # one chunk: seeds 0, 1 (killed twice), 2
    store = Store(tmp_path / "store")
    summary = _runner(executor, store, address).run(jobs)
    by_seed = {record["seed"]: record for record in records(store).values()}
    assert by_seed[1]["status"] == "failed" and by_seed[1]["rerun_on_resume"]
    assert by_seed[1]["reason"].count(f"signal {sig}") == 2 and "it died again" in by_seed[1]["reason"]
    assert by_seed[1]["executor"] == executor and by_seed[1]["split_digest"] and by_seed[1]["test"] is None
    assert by_seed[0]["status"] == by_seed[2]["status"] == "ok"  # a new worker ran the rest of the chunk
    assert summary.executed == 3 and summary.failed == 1
    again = _runner(executor, store, address).run(jobs)  # a plain rerun runs the killed job, and only it
    assert again.executed == 1 and again.skipped == 2
    assert {r["seed"]: r["status"] for r in records(store).values()} == {0: "ok", 1: "ok", 2: "ok"}


def test_a_ray_run_past_its_time_limit_is_killed_and_recorded_timeout(tmp_path, methods, ray_address):
    from hgbench.benchmarks.run.cluster import RayRunner

    jobs, _ = plan("t", ["stuck", "zen"], ["synthetic"], "5-shot", 1)
    store = Store(tmp_path / "store")
    start = time.monotonic()
    summary = RayRunner(store, address=ray_address, time_limit_s=1).run(jobs)
    assert time.monotonic() - start < 20, "a 30 s sleep was not stopped at the 1 s limit"
    status = {r["method"]: r for r in records(store).values()}
    assert status["zen"]["status"] == "ok" and status["stuck"]["status"] == "timeout"
    assert "time limit exceeded (1 s)" in status["stuck"]["reason"] and not status["stuck"].get("rerun_on_resume")
    assert summary.executed == 2 and summary.failed == 1


def test_a_sigkilled_ray_run_resumes_without_losing_or_repeating_a_record(tmp_path, methods, ray_address):
    from hgbench.benchmarks.run.cluster import RayRunner

    root = tmp_path / "store"
    driver = textwrap.dedent(f"""
        import cluster_support
        from hgbench.benchmarks.run.cluster import RayRunner
        from hgbench.benchmarks.run.plan import plan
        from hgbench.benchmarks.run.store import Store
        cluster_support.register()
        jobs, _ = plan("t", ["slow-a", "slow-b"], ["synthetic"], "5-shot", 4)
        RayRunner(Store({str(root)!r}), address={ray_address!r}).run(jobs)
    """)
    run = subprocess.Popen([sys.executable, "-c", driver], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(root.glob("records/*/*.json"))) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.poll() is None, "the run ended before it was killed"
        os.killpg(run.pid, signal.SIGKILL)  # the whole run: the driver and whatever it started
    finally:
        run.wait()
    before = {path: path.read_bytes() for path in root.glob("records/*/*.json")}
    jobs, _ = plan("t", ["slow-a", "slow-b"], ["synthetic"], "5-shot", 4)
    assert 2 <= len(before) < len(jobs)
    summary = RayRunner(Store(root), address=ray_address).run(jobs)
    assert summary.skipped == len(before) and summary.executed == len(jobs) - len(before) and summary.failed == 0
    after = records(Store(root))
    assert set(after) == {job.key for job in jobs} and {r["status"] for r in after.values()} == {"ok"}
    assert all(path.read_bytes() == content for path, content in before.items())  # none lost, none run again


FAKE_SLURM = '''#!{python}
"""A fake SLURM for tests: sbatch checks the script against $FAKE_SLURM_EXPECT and runs its array tasks
here (at most %M at once), srun runs its command, sacct reports what ran."""
import os, re, subprocess, sys, time
from pathlib import Path

state = Path(os.environ["FAKE_SLURM_STATE"])
command = Path(sys.argv[0]).name
if command == "sbatch":
    script = Path(sys.argv[-1])
    text = script.read_text()
    missing = [line for line in os.environ.get("FAKE_SLURM_EXPECT", "").split(";") if line and line not in
               text.splitlines()]
    if missing:
        sys.exit("sbatch: the script lacks " + ", ".join(missing))
    job = 1000 + len(list(state.glob("*.sh")))
    (state / f"{{job}}.sh").write_text(text)
    array = re.search(r"^#SBATCH --array=0-(\\d+)%(\\d+)$", text, re.M)
    tasks = list(range(int(array.group(1)) + 1)) if array else [None]
    parallel = int(array.group(2)) if array else 1
    log = open(state / f"{{job}}.log", "a")
    subprocess.Popen([sys.executable, sys.argv[0] + ".run", str(script), str(job), str(parallel),
                      ",".join(map(str, tasks))], start_new_session=True, stdout=log, stderr=log)
    print(f"Submitted batch job {{job}}")
elif command == "sbatch.run":  # the tasks of one submission
    script, job, parallel, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
    running = []
    for task in tasks:
        while len([p for p in running if p.poll() is None]) >= parallel:
            time.sleep(0.05)
        env = dict(os.environ, SLURM_JOB_ID=job, SLURM_NTASKS="1", SLURM_PROCID="0", SLURM_LOCALID="0",
                   SLURM_NODEID="0", SLURM_JOB_NUM_NODES="1", SLURM_JOB_NODELIST="node1")
        name = job
        if task != "None":
            env.update(SLURM_ARRAY_JOB_ID=job, SLURM_ARRAY_TASK_ID=task)
            name = f"{{job}}_{{task}}"
        (state / f"{{name}}.state").write_text("RUNNING")
        shell = f"bash {{script}}; echo $? > {{state}}/{{name}}.exit"
        running.append(subprocess.Popen(["bash", "-c", shell], env=env))
    for process in running:
        process.wait()
elif command == "srun":
    args = sys.argv[1:]
    while args and args[0].startswith("-"):
        args = args[2:] if args[0] in ("--output", "--error") else args[1:]
    os.execvp(args[0], args)
elif command == "sacct":
    args = sys.argv[1:]
    fields = args[args.index("-o") + 1].split(",")
    lines = [] if "-n" in args else ["|".join(fields)]
    for path in sorted(state.glob("*.state")):
        name = path.name[:-len(".state")]
        exit_file = state / f"{{name}}.exit"
        code = int(exit_file.read_text()) if exit_file.exists() else None
        row = {{"JobID": name, "NodeList": "node1", "ExitCode": f"{{code or 0}}:0",
               "State": "RUNNING" if code is None else "COMPLETED" if code == 0 else "FAILED"}}
        lines.append("|".join(row[field] for field in fields))
    print("\\n".join(lines))
'''


def test_slurm_job_arrays_through_fake_sbatch(tmp_path, monkeypatch, submitit):
    bin_, state = tmp_path / "bin", tmp_path / "slurm-state"
    bin_.mkdir()
    state.mkdir()
    fake = bin_ / "sbatch"
    fake.write_text(FAKE_SLURM.format(python=sys.executable))
    fake.chmod(0o755)
    for name in ("sbatch.run", "srun", "sacct"):
        (bin_ / name).symlink_to(fake)
    for name in ("squeue", "scancel", "scontrol"):
        (bin_ / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_ / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_STATE", str(state))
    expect = ["#SBATCH --array=0-1%2", "#SBATCH --partition=tiny", "#SBATCH --time=7", "#SBATCH --mem=1G",
              "#SBATCH --cpus-per-task=1", "#SBATCH --job-name=hgbench"]
    monkeypatch.setenv("FAKE_SLURM_EXPECT", ";".join(expect))
    out = tmp_path / "results"
    args = ["run", "--suite", "demo", "--methods", "zen,zen-no-rap", "--datasets", "synthetic", "--seeds", "2",
            "--out", str(out), "--executor", "slurm", "--partition", "tiny", "--slurm-time", "7", "--mem", "1G",
            "--cpus-per-task", "1", "--max-concurrent", "2"]
    assert main(args) == 0
    (script,) = state.glob("*.sh")  # one submission: a job array of the two chunks
    text = script.read_text()
    assert all(line in text.splitlines() for line in expect) and "srun --unbuffered" in text
    stored = list(Store(out / "store").all_records())
    assert len(stored) == 4 and {r["executor"] for r in stored} == {"slurm"} and {r["status"] for r in stored} == {"ok"}
    assert main(args) == 0 and len(list(state.glob("*.sh"))) == 1  # a stored job is never submitted again


def test_cluster_options_are_checked(tmp_path, capsys):
    out = ["--out", str(tmp_path)]
    assert main(DEMO + out + ["--address", "127.0.0.1:1"]) == 2  # --address is ray's
    assert "--address does not apply to --executor local" in capsys.readouterr().err
    assert main(DEMO + out + ["--executor", "ray", "--partition", "p"]) == 2
    assert main(DEMO + out + ["--executor", "slurm", "--jobs", "2"]) == 2
    assert not (tmp_path / "store").exists()  # nothing was written


def test_a_missing_extra_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where the extra is not installed
    assert main(DEMO + ["--out", str(tmp_path), "--executor", "ray"]) == 2
    err = capsys.readouterr().err
    assert "--executor ray needs ray" in err and "hgbench[ray]" in err
    assert not (tmp_path / "store").exists()


def test_results_of_an_orphaned_slurm_task_are_stored_not_run_again(tmp_path, submitit):
    from hgbench.benchmarks.run.cluster import SlurmRunner, slurm_chunk

    store = Store(tmp_path / "store")
    runner = SlurmRunner(store, cluster="local")
    jobs, _ = plan("t", ["zen"], ["synthetic"], "5-shot", 3)
    # a task whose run (its parent) was killed before it stored anything: it went on and returned seeds 0 and 1
    slurm_chunk(jobs[:2], {job.key: runner.split(job) for job in jobs[:2]}, runner.settings(jobs),
                str(runner.folder / "events" / "dead-run" / "task"))
    returned = [pickle.loads(path.read_bytes())[1].record for path in runner.folder.glob("events/*/*/*.pkl")]
    assert sorted(r["seed"] for r in returned) == [0, 1]
    summary = runner.run(jobs[:2])
    assert summary.executed == 2 and summary.failed == 0
    assert sorted(records(store).values(), key=lambda r: r["seed"]) == sorted(returned, key=lambda r: r["seed"])
    assert [p.name for p in runner.folder.iterdir()] == ["events"]  # nothing was submitted
    assert not list(runner.folder.glob("events/*/*/*.pkl"))  # harvested, then removed

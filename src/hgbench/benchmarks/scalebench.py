"""``bench scale``: seconds and peak memory of ZEN, HGNN and TriPrune on synthetic hypergraphs of growing size.

Every size is the contextual hypergraph SBM of :mod:`hgbench.datasets.synthetic` at one density
(:data:`EDGES_PER_NODE` hyperedges per node, sizes 2-8, :data:`CONTEXTS` contexts, 32 features, 4
classes, homophily 0.8, seed 0; self-loops added), so ``nnz(H)`` grows linearly with the nodes. Each
(size, order, workload) runs in a fresh ``python`` process (:func:`measure`), which generates the
hypergraph, optionally renumbers it (:func:`~hgbench.datasets.ordering.locality_order`), then times
the workload: ``fit`` plus ``predict`` on split seed 0, everything from the raw dataset (operators,
ZEN's propagation) included, after one untimed run on a :data:`WARM_UP_SIZE`-node hypergraph (imports,
first-call set-up). Peak memory is that process's resident-set high-water mark during the
workload (it holds the dataset; ``generate_peak_mib`` is the mark after generation). Workloads:

* ``zen``: ZEN (5-shot split, its 55-point coefficient search);
* ``hgnn-epoch``: HGNN (lr 1e-2, 2 layers, hidden 64), one epoch under ZEN's protocol (5-shot);
* ``hgnn-full``: the same for ``full_epochs`` epochs (default 200, the protocol's, checkpoints every 50;
  fewer may be given for the largest sizes, so its exponent is that of seconds per epoch);
* ``triprune-epoch``: TriPrune-HGNN at its defaults for one epoch (split ``ratio-0.6-0.2``).

The exponent of a workload is the slope of ``log seconds`` against ``log nnz(H)`` (least squares over
the sizes), and per decade between consecutive sizes; 1 is linear.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..datasets.ordering import locality_order
from ..datasets.splits import make_split
from ..datasets.synthetic import SyntheticConfig, generate
from .opsbench import cpu_model, write_rows
from .run.metrics import evaluate
from .run.profile import PeakMemory, timed
from .run.runner import code_version, environment

SIZES = (10_000, 100_000, 1_000_000)
EDGES_PER_NODE = 2 / 3  # the density of the demo's ``synthetic`` preset (600 nodes, 400 hyperedges)
CONTEXTS = 3
ORDERS = ("given", "rcm")
FULL_EPOCHS = 200
WARM_UP_SIZE = 300  # nodes of the hypergraph each process runs its workload on once before the timed run
COLUMNS = ("size", "nodes", "hyperedges", "nnz", "contexts", "workload", "order", "epochs", "threads", "seconds",
           "order_seconds", "generate_seconds", "peak_mib", "generate_peak_mib", "memory_probe", "test_accuracy",
           "status")


@dataclass(frozen=True)
class Workload:
    method: str  # registered method name
    protocol: str  # split protocol
    config: dict  # the run's configuration (the method's defaults fill the rest)


HGNN = {"lr": 1e-2, "layers": 2, "hidden": 64}
WORKLOADS = {
    "zen": Workload("zen", "5-shot", {}),
    "hgnn-epoch": Workload("hgnn", "5-shot", {**HGNN, "epochs": 1, "epoch_step": 1}),
    "hgnn-full": Workload("hgnn", "5-shot", {**HGNN, "epochs": FULL_EPOCHS, "epoch_step": 50}),
    "triprune-epoch": Workload("triprune", "ratio-0.6-0.2", {"epochs": 1}),
}


def synthetic_config(size: int) -> SyntheticConfig:
    """The hypergraph of ``size`` nodes at the benchmark's fixed density and contexts."""
    return SyntheticConfig(num_nodes=size, num_edges=max(1, round(EDGES_PER_NODE * size)), num_contexts=CONTEXTS)


def measure(size: int, workload: str, order: str, full_epochs: int = FULL_EPOCHS, threads: int = 1) -> dict:
    """One row: generate, renumber (``order="rcm"``), then time ``workload`` (call in a fresh process)."""
    from .run.registry import method_entry

    torch.set_num_threads(threads)
    job = WORKLOADS[workload]
    config = dict(job.config, **({"epochs": full_epochs} if workload == "hgnn-full" else {}))
    with timed() as generating:
        data = generate(synthetic_config(size), name=f"synthetic-{size}")
    generate_peak = PeakMemory().stop()  # the high-water mark so far: generation's
    split = make_split(data.labels, job.protocol, 0)
    restore: Callable[[torch.Tensor], torch.Tensor] = lambda scores: scores  # noqa: E731
    with timed() as ordering:
        if order == "rcm":
            renumbering = locality_order(data.hypergraph)
            data, split, restore = renumbering.dataset(data), renumbering.split(split), renumbering.restore
    row = {"size": size, "nodes": data.num_nodes, "hyperedges": data.hypergraph.num_edges, "nnz": data.hypergraph.nnz,
           "contexts": data.hypergraph.num_contexts, "workload": workload, "order": order,
           "epochs": config.get("epochs"), "threads": threads, "generate_seconds": generating.seconds,
           "order_seconds": ordering.seconds if order != "given" else 0.0, "generate_peak_mib": generate_peak}
    method = method_entry(job.method).factory()
    config = method.hyperparameters(config)
    run = lambda data, split: method.fit(data, split, config, 0, method.prepare(data, config)).predict()  # noqa: E731
    warm = generate(synthetic_config(WARM_UP_SIZE))  # lazy imports and first-call set-up, untimed
    run(warm, make_split(warm.labels, job.protocol, 0))
    memory = PeakMemory()
    memory.start()
    with timed() as clock:
        scores = run(data, split)
    row.update(seconds=clock.seconds, peak_mib=memory.stop(), memory_probe=memory.probe, status="ok")
    original = make_split(restore(data.labels), job.protocol, 0)
    row["test_accuracy"] = evaluate(restore(scores), restore(data.labels), original.test)["accuracy"]
    return row


def run_isolated(size: int, workload: str, order: str, full_epochs: int, threads: int,
                 time_limit: float | None = None) -> dict:
    """:func:`measure` in a fresh interpreter; a crash or a timeout becomes a row with that status."""
    arguments = json.dumps([size, workload, order, full_epochs, threads])
    code = f"import json, sys; from {__name__} import measure; print(json.dumps(measure(*json.loads(sys.argv[1]))))"
    try:
        done = subprocess.run([sys.executable, "-c", code, arguments], capture_output=True, text=True,
                              timeout=time_limit)
    except subprocess.TimeoutExpired:
        return {"size": size, "workload": workload, "order": order, "threads": threads, "status": "timeout"}
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"size": size, "workload": workload, "order": order, "threads": threads,
                "status": f"failed: {reason}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def benchmark(sizes: tuple[int, ...] = SIZES, workloads: tuple[str, ...] = tuple(WORKLOADS),
              orders: tuple[str, ...] = ORDERS, full_epochs: tuple[int, ...] = (FULL_EPOCHS,), threads: int = 1,
              time_limit: float | None = None, on_row: Callable[[dict], None] = lambda row: None) -> list[dict]:
    """Every (size, order, workload) in the order given, each in its own process; ``full_epochs``: one
    number of ``hgnn-full`` epochs for every size, or one per size. With a ``time_limit``, a row whose
    seconds, grown linearly from a smaller size's, would exceed it is skipped (its status says so)."""
    if len(full_epochs) not in (1, len(sizes)):
        raise ValueError(f"give one number of full epochs, or one per size ({len(sizes)}), got {len(full_epochs)}")
    rows: list[dict] = []
    for size, epochs in zip(sizes, full_epochs * len(sizes) if len(full_epochs) == 1 else full_epochs):
        for order in orders:
            for workload in workloads:
                projected = _projected(rows, size, workload, order, epochs)
                if time_limit is not None and projected is not None and projected > time_limit:
                    rows.append({"size": size, "workload": workload, "order": order, "threads": threads,
                                 "status": f"skipped: {projected:.0f} s projected (linear growth from the previous "
                                           "size), above the time limit"})
                else:
                    rows.append(run_isolated(size, workload, order, epochs, threads, time_limit))
                on_row(rows[-1])
    return rows


def _projected(rows: list[dict], size: int, workload: str, order: str, epochs: int) -> float | None:
    """Seconds of the row at ``size`` if they grew linearly from the last finished smaller size (a lower bound
    where the curve bends upwards); None without one."""
    smaller = [row for row in rows if row["workload"] == workload and row["order"] == order and row["status"] == "ok"
               and row["size"] < size]
    if not smaller:
        return None
    last = max(smaller, key=lambda row: row["size"])
    return per_epoch(last) * size / last["size"] * (epochs if workload == "hgnn-full" else 1)


def per_epoch(row: dict) -> float:
    """Seconds of ``hgnn-full`` per epoch (its epochs may differ between sizes), seconds of the others."""
    return row["seconds"] / row["epochs"] if row["workload"] == "hgnn-full" else row["seconds"]


def exponents(rows: list[dict], workload: str, order: str) -> tuple[float | None, list[float]]:
    """(least-squares slope of log :func:`per_epoch` on log nnz, slopes between consecutive sizes) of finished rows."""
    done = sorted((row["nnz"], per_epoch(row)) for row in rows
                  if row["workload"] == workload and row["order"] == order and row["status"] == "ok")
    if len(done) < 2:
        return None, []
    x, y = np.log([nnz for nnz, _ in done]), np.log([seconds for _, seconds in done])
    return float(np.polyfit(x, y, 1)[0]), [float(s) for s in np.diff(y) / np.diff(x)]


def plot(rows: list[dict], path: Path) -> None:
    """Log-log seconds (:func:`per_epoch`) and peak memory against nnz(H): a colour per workload, dashed for RCM."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for colour, workload in enumerate(dict.fromkeys(row["workload"] for row in rows)):
        for order in dict.fromkeys(row["order"] for row in rows):
            done = sorted((row["nnz"], per_epoch(row), row["peak_mib"]) for row in rows if row["status"] == "ok"
                          and row["workload"] == workload and row["order"] == order)
            if not done:
                continue
            nnz, seconds, peak = zip(*done)
            style = {"color": f"C{colour}", "marker": "o", "linestyle": "--" if order != "given" else "-"}
            slope, _ = exponents(rows, workload, order)
            label = (f"{workload}{' per epoch' if workload == 'hgnn-full' else ''} ({order})"
                     + ("" if slope is None else f", slope {slope:.2f}"))
            time_axis.plot(nnz, seconds, label=label, **style)
            memory_axis.plot(nnz, np.array(peak) / 1024, label=f"{workload} ({order})", **style)
    for axis, ylabel in ((time_axis, "seconds"), (memory_axis, "peak RSS (GiB)")):
        axis.set(xscale="log", yscale="log", xlabel="nnz(H)", ylabel=ylabel)
        axis.grid(True, which="both", alpha=0.3)
    time_axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130, metadata={"Software": None})
    plt.close(fig)


def write(rows: list[dict], out: Path | str) -> dict[str, Path]:
    """``scaling.csv``, ``notes.md`` and ``scaling.png`` under ``out/scaling``."""
    folder = Path(out) / "scaling"
    write_rows(folder / "scaling.csv", COLUMNS, rows)
    plot(rows, folder / "scaling.png")
    env = environment()
    lines = [
        "# Scale curves on synthetic hypergraphs", "",
        f"Written by `bench scale` on {datetime.now(timezone.utc).isoformat(timespec='seconds')}; code version "
        f"`{code_version()}`; torch {env['torch']}, CPU {cpu_model()}, Python {env['python']}, {env['platform']}.", "",
        f"Density {EDGES_PER_NODE:.3g} hyperedges per node, {CONTEXTS} contexts; one process per row; seconds = "
        "`fit` + `predict` from the raw dataset, peak = resident-set high-water mark during it (MiB). "
        "`rcm`: nodes and hyperedges renumbered by reverse Cuthill-McKee first (`order_seconds`, not in `seconds`); "
        "its test accuracy is computed in the original node order.", "",
        "| size | nnz | workload | order | epochs | seconds | peak MiB | test accuracy | status |",
        "|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    cell = lambda row, key, spec: "-" if row.get(key) is None else format(row[key], spec)  # noqa: E731
    lines += [f"| {row['size']} | {cell(row, 'nnz', 'd')} | {row['workload']} | {row['order']} | "
              f"{cell(row, 'epochs', 'd')} | {cell(row, 'seconds', '.3f')} | {cell(row, 'peak_mib', '.0f')} | "
              f"{cell(row, 'test_accuracy', '.4f')} | {row['status']} |" for row in rows]
    lines += ["", "## Exponents in nnz(H)", "", "Slopes of log seconds on log nnz(H) (`hgnn-full`: seconds per epoch, "
              "whose epochs are in the table above).", "", "| workload | order | fitted slope | per decade |",
              "|---|---|---:|---|"]
    for workload in dict.fromkeys(row["workload"] for row in rows):
        for order in dict.fromkeys(row["order"] for row in rows):
            slope, steps = exponents(rows, workload, order)
            lines.append(f"| {workload} | {order} | {'-' if slope is None else f'{slope:.2f}'} | "
                         f"{', '.join(f'{s:.2f}' for s in steps) or '-'} |")
    (folder / "notes.md").write_text("\n".join(lines) + "\n")
    return {"csv": folder / "scaling.csv", "notes": folder / "notes.md", "figure": folder / "scaling.png"}

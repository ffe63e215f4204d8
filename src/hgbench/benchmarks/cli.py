"""``bench``: list what is registered, run suites, and render reports from the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..datasets import catalog
from ..datasets.files import DataError, DataUnavailable
from ..datasets.hetero import hetero_summary
from ..methods.base import BUDGETS
from . import report
from .paper import paper_table
from .registry import method_entry, method_names
from .runner import Runner, plan
from .store import Store
from .suites import suite, suite_names

console = Console(stderr=True)
out_console = Console()


def _names(value: str | None, valid: list[str], kind: str) -> list[str] | None:
    if value is None:
        return None
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in valid]
    if unknown:
        raise SystemExit(f"error: unknown {kind} {', '.join(unknown)}; valid {kind}s: {', '.join(valid)}")
    return chosen


# ----------------------------------------------------------------------------- list
def cmd_list(args: argparse.Namespace) -> int:
    what = args.what
    if what in ("methods", "all"):
        table = Table("method", "paper label", "description", title="methods")
        for name in method_names():
            entry = method_entry(name)
            table.add_row(name, entry.label, entry.description)
        out_console.print(table)
    if what in ("suites", "all"):
        table = Table("suite", "methods", "datasets", "protocol", "description", title="suites")
        for name in suite_names():
            s = suite(name)
            table.add_row(name, str(len(s.methods)), str(len(s.datasets)), s.protocol, s.description)
        out_console.print(table)
    if what in ("datasets", "all"):
        out_console.print(_datasets_table())
        out_console.print(_contextual_table())
    return 0


def _paper_stats() -> dict[tuple[str, str], float]:
    table = paper_table("zen_table2_dataset_stats.csv")
    return {(row.dataset, row.metric): row.mean for row in table.itertuples()}


def _datasets_table() -> Table:
    paper = _paper_stats()
    columns = [("nodes", "# nodes |V|"), ("hyperedges", "# edges |E|"), ("classes", "# classes c"),
               ("features", "# features d")]
    table = Table("dataset", "task", *(f"{c} ours (paper)" for c, _ in columns), "status",
                  title="datasets (ours: measured from the raw files; hyperedges include added singletons)")
    for name in catalog.names():
        dataset_spec = catalog.spec(name)
        if dataset_spec.paper not in {dataset for dataset, _ in paper} and not dataset_spec.synthetic:
            continue  # the heterogeneous datasets have their own table
        try:
            stats = catalog.load(name).summary()
            status = "ok"
        except DataUnavailable as exc:
            stats, status = {}, str(exc).split(";")[0]
        except DataError as exc:
            stats, status = {}, f"error: {exc}"
        cells = []
        for key, paper_key in columns:
            ours = stats.get(key, "-")
            theirs = paper.get((dataset_spec.paper, paper_key))
            cells.append(f"{ours}" + (f" ({theirs:g})" if theirs is not None else ""))
        table.add_row(name, dataset_spec.task.value, *cells, status)
    return table


def _contextual_table() -> Table:
    """TriPrune's datasets: per-context hyperedges and labels, beside the ranges the paper states."""
    table = Table("dataset", "master nodes", "hyperedges per context", "classes", "features", "labels per class",
                  "notes (paper: 10K-100K nodes, 50K-500K hyperedges)",
                  title="heterogeneous datasets (TriPrune paper, §4)")
    paper = _paper_stats()
    for name in catalog.names():
        dataset_spec = catalog.spec(name)
        if dataset_spec.synthetic or dataset_spec.paper in {dataset for dataset, _ in paper}:
            continue
        try:
            summary = hetero_summary(catalog.load(name))
        except DataError as exc:
            table.add_row(name, "-", "-", "-", "-", "-", f"error: {exc}")
            continue
        contexts = ", ".join(f"{k} {v}" for k, v in summary["hyperedges"].items())
        labels = "/".join(str(v) for v in summary["label_distribution"].values())
        table.add_row(name, str(summary["master_nodes"]), contexts, str(summary["classes"]), str(summary["features"]),
                      labels, " ".join(dataset_spec.notes))
    return table


# ----------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> int:
    chosen = suite(args.suite)
    methods = _names(args.methods, list(chosen.methods), "method") or list(chosen.methods)
    datasets = _names(args.datasets, list(chosen.datasets), "dataset") or list(chosen.datasets)
    seeds = args.seeds or chosen.seeds
    out = Path(args.out)
    store = Store(out / "store")
    jobs = plan(chosen.name, methods, datasets, chosen.protocol, seeds, args.budget)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        bar = progress.add_task(f"{chosen.name}", total=len(jobs))

        def on_record(job, record) -> None:
            progress.update(bar, advance=1, description=f"{chosen.name}: {job.method} on {job.dataset}")
            if record["status"] != "ok":
                progress.console.print(f"[yellow]{record['status']}[/]: {job.method} on {job.dataset} "
                                       f"seed {job.seed}: {record['reason']}")

        runner = Runner(store, time_limit_s=args.time_limit, on_record=on_record)
        try:
            summary = runner.run(jobs)
        except DataError as exc:
            console.print(f"[red]error:[/] {exc}")
            return 2
        progress.update(bar, completed=len(jobs))
    for dataset, seconds in summary.seconds_per_dataset.items():
        console.print(f"  {dataset}: {seconds:.2f} s")
    for dataset, reason in summary.unavailable.items():
        console.print(f"  {dataset}: skipped, {reason}")
    console.print(f"{summary.executed} runs executed ({summary.failed} not ok), {summary.skipped} already in the "
                  f"store, total {sum(summary.seconds_per_dataset.values()):.2f} s")
    paths = report.render(store, chosen, out)
    console.print(f"tables: {paths['latex'].parent}/ (leaderboard.csv, table.tex, notes.md)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    store = Store(out / "store")
    names = [args.suite] if args.suite else store.suites()
    for name in names:
        paths = report.render(store, suite(name), out)
        console.print(f"{name}: {paths['latex'].parent}/")
    return 0


# ----------------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description="hgbench: reproducible hypergraph NN benchmarks")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="list registered methods, datasets or suites")
    listing.add_argument("what", nargs="?", default="all", choices=["methods", "datasets", "suites", "all"])
    listing.set_defaults(handler=cmd_list)

    run = commands.add_parser("run", help="run a suite (finished runs in the store are skipped)")
    run.add_argument("--suite", required=True, help=f"one of: {', '.join(suite_names())}")
    run.add_argument("--methods", help="comma-separated subset of the suite's methods")
    run.add_argument("--datasets", help="comma-separated subset of the suite's datasets")
    run.add_argument("--seeds", type=int, help="number of splits (default: the suite's)")
    run.add_argument("--budget", default="full", choices=BUDGETS, help="tuning budget of trained baselines")
    run.add_argument("--time-limit", type=float, default=None, help="seconds per run before it is a timeout")
    run.add_argument("--out", default="results", help="output folder (store and tables), default: results")
    run.set_defaults(handler=cmd_run)

    rep = commands.add_parser("report", help="rebuild tables from the store without running anything")
    rep.add_argument("--suite", help="suite to render (default: every suite in the store)")
    rep.add_argument("--out", default="results", help="output folder, default: results")
    rep.set_defaults(handler=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyError as exc:  # unknown suite/method/dataset names carry the list of valid ones
        console.print(f"[red]error:[/] {exc.args[0]}")
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""``bench``: list what is registered, run suites, and render reports from the store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..datasets import catalog
from ..datasets.files import DataError, DataMissing, DataUnavailable
from ..datasets.summaries import statistics
from ..methods.base import BUDGETS
from .run.registry import method_entry, method_names
from .run.pool import PoolRunner
from .run.executors import RunSummary
from .run.plan import plan, schedule, tuned_configuration
from .run.runner import FAILURE_STATUSES, Runner, check_datasets, check_device
from .run.store import Store, StoreLocked, StoreWriteError
from .suites import Suite, suite, suite_names

console = Console(stderr=True)
out_console = Console()


EXIT_CODES = """exit codes:
  0  success
  1  data error: a data file is missing, corrupted or unreadable (the message names the file)
  2  usage error: a bad option or value, or an unknown suite, method or dataset name
  3  store busy: another bench run holds the store's lock
  4  bench ops: an implementation's outputs differ from the reference's
  5  bench run --max-hours: the projected hours exceed the limit (nothing was run)
  6  store write error: a file of the store could not be written (e.g. the disk is full); the
     message names it; nothing half-written is left and a later bench run resumes
  7  bench verify: a rerun's metrics differ from its stored record's (without --replace)"""


class UsageError(Exception):
    """A mistake on the command line that argparse cannot see (e.g. an unknown name); exit code 2."""


def _names(value: str | None, valid: list[str], kind: str) -> list[str] | None:
    if value is None:
        return None
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in valid]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(unknown)}; valid {kind}s: {', '.join(valid)}")
    return chosen


def _positive(kind: type):
    """An argparse type: a number of ``kind`` above zero, otherwise a usage error naming the value."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _seeds(text: str) -> int | range:
    """``--seeds``: a number of splits N (seeds 0..N-1) or a range ``A:B`` of split indices (A included, B not)."""
    if ":" not in text:
        return _positive(int)(text)
    first, _, stop = text.partition(":")
    try:
        seeds = range(int(first), int(stop))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or A:B (split indices), got {text!r}") from None
    if seeds.start < 0 or not seeds:
        raise argparse.ArgumentTypeError(f"a range A:B needs 0 <= A < B, got {text}")
    return seeds


def _statuses(value: str) -> tuple[str, ...]:
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in chosen if v not in FAILURE_STATUSES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown status {', '.join(unknown)}; valid: {', '.join(FAILURE_STATUSES)}")
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
    from .report.paper import paper_table  # pandas: imported by the commands that read a paper table

    table = paper_table("zen_table2_dataset_stats.csv")
    return {(row.dataset, row.metric): row.mean for row in table.itertuples()}


NARROW = 110  # below this many terminal columns, a listing prints one block per dataset


def _fit(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    """A table with one column per header on a wide terminal; on a narrow one (``NARROW``), two columns:
    the first header's value and the others as ``header: value`` lines (readable at 80 columns)."""
    if out_console.width >= NARROW:
        table = Table(*headers, title=title)
        for row in rows:
            table.add_row(*row)
        return table
    table = Table(headers[0], "statistics", title=title, show_lines=True)
    for row in rows:
        table.add_row(row[0], "\n".join(f"{h}: {v}" for h, v in zip(headers[1:], row[1:]) if v not in ("", "-")))
    return table


def _datasets_table() -> Table:
    paper = _paper_stats()
    columns = [("nodes", "# nodes |V|"), ("hyperedges", "# edges |E|"), ("classes", "# classes c"),
               ("features", "# features d")]
    rows = []
    for name in catalog.names():
        dataset_spec = catalog.spec(name)
        if dataset_spec.paper not in {dataset for dataset, _ in paper} and not dataset_spec.synthetic:
            continue  # the heterogeneous datasets have their own table
        try:
            stats = statistics(name, "summary", lambda data: data.summary())
            status = "ok"
        except DataMissing:
            stats, status = {}, "not downloaded (bench run fetches it)"
        except DataUnavailable as exc:
            stats, status = {}, str(exc).split(";")[0]
        except DataError as exc:
            stats, status = {}, f"error: {exc}"
        cells = []
        for key, paper_key in columns:
            ours = stats.get(key, "-")
            theirs = paper.get((dataset_spec.paper, paper_key))
            cells.append(f"{ours}" + (f" ({theirs:g})" if theirs is not None else ""))
        rows.append([name, dataset_spec.task.value, *cells, status])
    return _fit("datasets (ours: measured from the raw files; hyperedges include added singletons)",
                ["dataset", "task", *(f"{c} ours (paper)" for c, _ in columns), "status"], rows)


def _contextual_table() -> Table:
    """TriPrune's datasets: per-context hyperedges and labels, beside the ranges the paper states."""
    from ..datasets.hetero import hetero_summary

    headers = ["dataset", "master nodes", "hyperedges per context", "classes", "features", "labels per class",
               "notes (paper: 10K-100K nodes, 50K-500K hyperedges)"]
    paper = _paper_stats()
    rows = []
    for name in catalog.names():
        dataset_spec = catalog.spec(name)
        if dataset_spec.synthetic or dataset_spec.paper in {dataset for dataset, _ in paper}:
            continue
        try:
            summary = statistics(name, "hetero", hetero_summary)
        except DataMissing:
            rows.append([name, "-", "-", "-", "-", "-", "not downloaded (bench run fetches it)"])
            continue
        except DataError as exc:
            rows.append([name, "-", "-", "-", "-", "-", f"error: {exc}"])
            continue
        contexts = ", ".join(f"{k} {v}" for k, v in summary["hyperedges"].items())
        labels = "/".join(str(v) for v in summary["label_distribution"].values())
        rows.append([name, str(summary["master_nodes"]), contexts, str(summary["classes"]), str(summary["features"]),
                     labels, " ".join(dataset_spec.notes)])
    return _fit("heterogeneous datasets (TriPrune paper, §4)", headers, rows)


# ----------------------------------------------------------------------------- run
def runnable(name: str) -> list[Suite]:
    """The suites whose jobs ``bench run --suite name`` executes: a group's members, a view's source suite."""
    chosen = suite(name)
    if chosen.includes:
        return list(dict.fromkeys(member for included in chosen.includes for member in runnable(included)))
    return [suite(chosen.records_from)] if chosen.records_from else [chosen]


def _timing_suites(name: str) -> list[str]:
    chosen = suite(name)
    own = [name] if chosen.kind == "runtime" else []
    return own + [t for included in chosen.includes for t in _timing_suites(included)]


def _print_cost(store: Store, members: list[Suite], methods: list[str] | None, datasets: list[str] | None,
                args: argparse.Namespace) -> float:
    """Print the jobs, how many are stored and the projected hours per method and dataset; the total (NaN if
    any cell has no stored cost). Writes nothing."""
    from .run.estimate import estimate, total_hours  # pandas: only --dry-run and --max-hours price a run

    jobs = [job for member in members for job in plan(
        member.name, [m for m in member.methods if methods is None or m in methods],
        [d for d in member.datasets if datasets is None or d in datasets], member.protocol,
        args.seeds or member.seeds, args.budget, method_major=member.method_major)[0]]
    table = estimate(store, list({job.key: job for job in jobs}.values()), args.retry)
    shown = Table("method", "dataset", "jobs", "stored", "to run", "s/run", "hours", title=f"{args.suite}: cost")
    for row in table.itertuples():
        shown.add_row(row.method, row.dataset, str(row.jobs), str(row.stored), str(row.to_run),
                      "unknown" if row.seconds_each != row.seconds_each else f"{row.seconds_each:.1f}",
                      "unknown" if row.hours != row.hours else f"{row.hours:.2f}")
    console.print(shown)
    hours = total_hours(table)
    note = " (an upper bound: --tune-on runs one configuration on the other datasets)" if args.tune_on else ""
    console.print(f"{int(table.jobs.sum())} jobs, {int(table.stored.sum())} stored, {int(table.to_run.sum())} to run: "
                  + (f"at least {table.hours.sum():.2f} CPU hours, and {int(table.to_run[table.hours.isna()].sum())} "
                     "jobs of unknown cost (no stored run of their method on their dataset)" if hours != hours
                     else f"about {hours:.2f} CPU hours") + note)
    known = table[table.hours.notna()]
    limited = int(known.at_time_limit.sum())
    inexact = int(known.to_run.sum() - known.priced_exactly.sum()) - limited
    console.print("Each job is priced at the mean seconds of the stored runs of its method and dataset nearest its "
                  "configuration" + (f"; {inexact} of them have no stored run of their own configuration (priced "
                                     "from others, another width scaled by the method's cost ratio between the "
                                     "two widths where the store has one: a lower bound where it has none and "
                                     "theirs is narrower)" if inexact else "")
                  + (f"; {limited} at the time limit their stored run passed (a lower bound)" if limited else ""))
    return hours


def _confirmed(hours: float, limit: float) -> bool:
    """Ask on a terminal whether to go on past ``--max-hours``; refuse elsewhere."""
    what = "unknown" if hours != hours else f"{hours:.2f}"
    if not sys.stdin.isatty():
        console.print(f"[red]error:[/] projected hours {what} exceed --max-hours {limit}; nothing was run")
        return False
    return input(f"projected hours {what} exceed --max-hours {limit}; run anyway? [y/N] ").strip().lower() == "y"


def _merged(first: RunSummary, second: RunSummary) -> RunSummary:
    seconds = dict(first.seconds_per_dataset)
    for dataset, value in second.seconds_per_dataset.items():
        seconds[dataset] = seconds.get(dataset, 0.0) + value
    return RunSummary(first.planned + second.planned, first.skipped + second.skipped, first.executed + second.executed,
                      first.failed + second.failed, {**first.unavailable, **second.unavailable}, seconds)


SLURM_OPTIONS = {"partition": "partition", "slurm_time": "time_min", "mem": "mem", "cpus_per_task": "cpus_per_task",
                 "max_concurrent": "max_concurrent", "slurm_cluster": "cluster"}


def _cluster_options(args: argparse.Namespace) -> dict:
    """The options of ``--executor slurm|ray`` as the runner's keywords; a usage error when an option is given
    for another executor, when ``--jobs`` is combined with a cluster, or when the executor's extra is missing."""
    given = {name for name in [*SLURM_OPTIONS, "address"] if getattr(args, name) is not None}
    own = {"slurm": set(SLURM_OPTIONS), "ray": {"address"}}.get(args.executor, set())
    stray = sorted(given - own)
    if stray:
        raise UsageError(f"{', '.join('--' + name.replace('_', '-') for name in stray)} "
                         f"{'does' if len(stray) == 1 else 'do'} not apply to --executor {args.executor}")
    if args.executor == "local":
        return {}
    if args.jobs > 1:
        raise UsageError(f"--jobs runs a local pool; --executor {args.executor} sizes its own workers "
                         "(use --max-concurrent for SLURM)")
    from .run.cluster import MissingExtra, require

    try:
        require(args.executor)
    except MissingExtra as exc:
        raise UsageError(str(exc)) from None
    if args.executor == "ray":
        return {"address": args.address}
    return {keyword: getattr(args, name) for name, keyword in SLURM_OPTIONS.items() if getattr(args, name) is not None}


def cmd_run(args: argparse.Namespace) -> int:
    try:
        check_device(args.device)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    members = runnable(args.suite)
    timing = _timing_suites(args.suite)
    if args.jobs > 1 and timing:
        raise SystemExit(f"error: {', '.join(timing)} report run times, which only the sequential executor measures; "
                         "run without --jobs (or run the accuracy suites with --jobs first)")
    cluster_options = _cluster_options(args)
    if args.executor != "local" and timing:
        raise SystemExit(f"error: {', '.join(timing)} report run times, which only the sequential executor measures; "
                         f"run without --executor {args.executor}")
    methods = _names(args.methods, list(dict.fromkeys(m for s in members for m in s.methods)), "method")
    datasets = _names(args.datasets, list(dict.fromkeys(d for s in members for d in s.datasets)), "dataset")
    if args.tune_on and not any(args.tune_on in s.datasets for s in members):
        console.print(f"[red]error:[/] --tune-on {args.tune_on}: not a dataset of suite {args.suite}")
        return 2
    out = Path(args.out)
    store = Store(out / "store")
    if args.dry_run or args.max_hours is not None:
        hours = _print_cost(store, members, methods, datasets, args)
        if args.dry_run:
            return 0
        if not hours <= args.max_hours and not _confirmed(hours, args.max_hours):
            return 5
    # every dataset to run is read and checked before the store is touched: a bad one writes nothing (exit 1)
    check_datasets(dict.fromkeys(d for member in members if any(methods is None or m in methods for m in member.methods)
                                 for d in member.datasets if datasets is None or d in datasets))
    try:
        with store.lock():  # one run per store: its plans and its jobs are this process's alone
            jobs, deferred = [], []
            for member in members:  # each suite's plan is stored first: an interrupted run shows what is pending
                chosen_methods = [m for m in member.methods if methods is None or m in methods]
                chosen_datasets = [d for d in member.datasets if datasets is None or d in datasets]
                later = [d for d in chosen_datasets if d != args.tune_on] if args.tune_on in chosen_datasets else []
                if later:  # --tune-on: that dataset's grids first, the others at the configuration selected there
                    deferred.append((member, chosen_methods, later))
                    chosen_datasets = [args.tune_on]
                jobs += schedule(store, member.name, chosen_methods, chosen_datasets, member.protocol,
                                 args.seeds or member.seeds, args.budget, method_major=member.method_major)
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=False) as progress:
                bar = progress.add_task(args.suite, total=len(jobs))

                def on_record(job, record) -> None:
                    progress.update(bar, advance=1, description=f"{job.method} on {job.dataset}")
                    if record["status"] != "ok":
                        progress.console.print(f"[yellow]{record['status']}[/]: {job.method} on {job.dataset} "
                                               f"seed {job.seed}: {record['reason']}")

                options = dict(time_limit_s=args.time_limit, on_record=on_record, retry=args.retry,
                               device=args.device, threads=args.threads, keep_models=args.keep_models,
                               memory_limit_mb=args.memory_limit)
                if args.executor != "local":
                    from .run.cluster import make_cluster_runner  # only here: its packages are optional extras

                    runner = make_cluster_runner(args.executor, store, **options, **cluster_options)
                elif args.jobs > 1:
                    runner = PoolRunner(store, args.jobs, **options)
                else:
                    runner = Runner(store, **options)
                summary = runner.run(jobs)
                for member, chosen_methods, later in deferred:
                    tuned = tuned_configuration(store, [j for j in jobs if j.dataset == args.tune_on])
                    more = schedule(store, member.name, chosen_methods, later, member.protocol,
                                    args.seeds or member.seeds, args.budget, method_major=member.method_major,
                                    tuned=tuned, tuned_on=args.tune_on)
                    progress.update(bar, total=len(jobs) + len(more))
                    summary = _merged(summary, runner.run(more))
                    jobs += more
                progress.update(bar, completed=len(jobs))
    except StoreLocked as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 3
    except DataError as exc:  # a corrupted or unreadable data file: checked before anything is written
        console.print(f"[red]error:[/] {exc}")
        return 1
    for dataset, seconds in summary.seconds_per_dataset.items():
        console.print(f"  {dataset}: {seconds:.2f} s")
    for dataset, reason in summary.unavailable.items():
        console.print(f"  {dataset}: skipped, {reason}")
    console.print(f"{summary.executed} runs executed ({summary.failed} not ok), {summary.skipped} already in the "
                  f"store ({summary.planned} distinct jobs planned), "
                  f"total {sum(summary.seconds_per_dataset.values()):.2f} s")
    if args.no_report:
        console.print(f"report not rendered (--no-report): `bench report --out {out}` renders it")
    else:
        _render_changed(store, out)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    store = Store(out / "store")
    if args.suite:
        if args.format == "md":
            raise SystemExit("error: --format md summarises every suite of the store; drop --suite")
        if args.html:
            raise SystemExit("error: --html shows every suite of the store; drop --suite")
        from .report import render

        paths = render.render(store, suite(args.suite), out)
        console.print(f"{args.suite}: {paths['latex'].parent}/")
        return 0
    # --format md prints what the boards say: they are computed even where no file is out of date
    rendered = _render_changed(store, out, html=args.html, force=args.force, summary=args.format == "md")
    if args.format == "md":
        from .report import render

        sys.stdout.write(render.markdown(rendered))
    return 0


def _render_changed(store: Store, out: Path, html: bool = False, force: bool = False, summary: bool = False):
    """Render the suites whose inputs or outputs changed, and the cross-suite files when any input did
    (``report.freshness``); the Report, or None when the report in ``out`` was up to date and left as it is."""
    from .report import freshness

    found = freshness.check(store, out, html=html, force=force)
    if found.up_to_date and not summary:
        console.print(f"the report in {out} is up to date with the store and the code: left as it is "
                      "(`bench report --force` renders it again)", soft_wrap=True)
        return None
    from .report import render  # imported when needed: it pulls scipy, statsmodels and matplotlib

    if not (found.all_stale or summary):  # only some suites' files changed: the cross-suite files stay as they are
        written = {name: render.render(store, suite(name), out) for name in sorted(found.stale)}
        for name, paths in written.items():
            console.print(f"{name}: {paths['latex'].parent}/")
        freshness.save(out, found, found.kept | written, found.files)
        return None
    rendered = render.render_all(store, out, kept=found.kept)
    _print_rendered(rendered, found.kept)
    page = None
    if html:
        from .report import html as page_writer

        page = page_writer.write(rendered, out)
        console.print(f"page: {page}")
    freshness.save(out, found, rendered.suites, rendered.files, page)
    return rendered


def _print_rendered(rendered, kept: dict) -> None:
    for name in kept:
        console.print(f"{name}: up to date, left as it is")
    for name, paths in rendered.suites.items():
        if name in kept:
            continue
        folder = paths["latex"].parent
        figures = ", ".join(p.name for p in paths.values() if p.suffix == ".png")
        console.print(f"{name}: {folder}/ (leaderboard.csv, leaderboard_wide.csv, table.tex, notes.md"
                      + (f"; figures: {figures}" if figures else "") + ")")
    for name, reason in rendered.skipped.items():
        console.print(f"[yellow]{name}[/]: skipped, {reason}")
    files = rendered.files
    console.print(f"all suites: {files['leaderboard']}; claims: {files['claims_md']}, {files['claims_csv']}")


# ----------------------------------------------------------------------------- export, show
def cmd_export(args: argparse.Namespace) -> int:
    from .report.export import export, load_results

    out = Path(args.out)
    if args.suite:
        suite(args.suite)  # an unknown name fails here, naming the valid ones
    frame = load_results(Store(out / "store"), args.suite)
    path = export(frame, Path(args.to) if args.to else out / f"results.{args.format}", args.format)
    console.print(f"{len(frame)} runs, {frame.shape[1]} columns: {path}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = Store(Path(args.out) / "store")
    paths = sorted((store.root / "records").glob(f"*/{args.key}*.json"))
    if len(paths) != 1:
        found = ", ".join(p.stem for p in paths[:5]) or "none"
        raise UsageError(f"run key {args.key!r} matches {len(paths)} stored runs ({found}); give more of the key")
    record = store.get(paths[0].parent.name, paths[0].stem)
    if record is None:
        raise UsageError(f"{paths[0]} is not a readable record")
    folder = store.artifact_path(record["key"], "x").parent
    artifacts = sorted(folder.iterdir()) if folder.exists() else []
    sys.stdout.write(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")  # stdout: pipe it to jq
    sys.stdout.write("artifacts: " + (", ".join(f"{p.name} ({p.stat().st_size:,} B)" for p in artifacts) or "none")
                     + "\n")
    return 0


# ----------------------------------------------------------------------------- migrate
def cmd_migrate(args: argparse.Namespace) -> int:
    from .run.migrate import migrate

    store = Store(Path(args.out) / "store")
    summary = migrate(store, suite_names())
    rewritten = store.rewrite_old_plans()
    if rewritten:
        console.print(f"{store.root}: plans of {', '.join(rewritten)} rewritten one row per job")
    if not summary["records"]:
        console.print(f"{store.root}: no records of the old layout; nothing to migrate")
        return 0
    console.print(f"{store.root}: {summary['records']} records re-keyed into {summary['kept']} jobs, plans written "
                  f"for {summary['planned_suites']} suites; nothing was rerun")
    return 0


# ----------------------------------------------------------------------------- merge
def cmd_merge(args: argparse.Namespace) -> int:
    from .run.merge import MergeConflict, merge

    source = Store(Path(args.source) / "store")
    if not (source.root / "records").is_dir():
        raise UsageError(f"{source.root} holds no records to merge")
    try:
        summary = merge(source, Store(Path(args.out) / "store"))
    except StoreLocked as exc:
        return _error(exc, 3)
    except MergeConflict as exc:
        return _error(exc, 2)
    console.print(f"{summary.copied} records copied, {summary.replaced} replaced by later reruns, "
                  f"{summary.unchanged} already there, {summary.kept_newer} kept (the target's finished later); "
                  f"{summary.splits} splits and {summary.plans} plans merged into {Path(args.out) / 'store'}"
                  + (f"; {summary.verifications} verify.csv rows appended" if summary.verifications else ""))
    return 0


# ----------------------------------------------------------------------------- verify
def cmd_verify(args: argparse.Namespace) -> int:
    from .run.verify import Selection, verify

    out = Path(args.out)
    store = Store(out / "store")
    stored = {r["method"] for r in store.all_records()} if args.methods else set()
    as_set = lambda names: None if names is None else frozenset(names)  # noqa: E731
    selection = Selection(as_set(_names(args.methods, sorted(stored), "stored method")),
                          as_set(_names(args.datasets, catalog.names(), "dataset")),
                          as_set(args.protocols.split(",") if args.protocols else None), args.sample)

    def show(row: dict) -> None:
        verdict = "same" if row["same"] else row["status"] if row["status"] != "ok" else f"CHANGED {row['changed']}"
        elsewhere = not row["same"] and row["stored_cpu"] != row["current_cpu"]
        console.print(f"{row['method']} {row['dataset']} {row['protocol']} seed {row['seed']} {row['key']}: {verdict}"
                      + (f" (the record's CPU: {row['stored_cpu']}; this one: {row['current_cpu']})" if elsewhere
                         else "")
                      + (" (replaced)" if row["replaced"] else ""))

    try:
        rows = verify(store, selection, out, args.replace, args.tolerance, args.time_limit, show)
    except StoreLocked as exc:
        return _error(exc, 3)
    same = sum(row["same"] for row in rows)
    console.print(f"{len(rows)} runs rerun, {same} with the same metrics; rows appended to {out / 'verify.csv'}"
                  + ("; reruns stored in place of the records" if args.replace else ""))
    return 0 if same == len(rows) or args.replace else 7


# ----------------------------------------------------------------------------- ops
def cmd_ops(args: argparse.Namespace) -> int:
    from . import opsbench

    names = _names(args.datasets, catalog.names(), "dataset") or list(opsbench.DATASETS)
    datasets, skipped = [], {}
    for name in names:
        try:
            datasets.append(catalog.load(name))
        except DataUnavailable as exc:
            skipped[name] = str(exc)
            console.print(f"  {name}: skipped, {exc}")

    def on_row(row: dict) -> None:
        dhg = (f"DHG {1e3 * row['epoch_dhg_s']:.1f} ms (ours / DHG {row['ratio_dhg']:.2f})"
               if isinstance(row["ratio_dhg"], float) else f"DHG {row['ratio_dhg']}")
        console.print(f"  {row['dataset']} / {row['model']}: layer: ours {1e3 * row['ours_s']:.1f} ms, "
                      f"{row['reference']} {1e3 * row['reference_s']:.1f} ms, ratio {row['ratio']:.2f}; epoch: ours "
                      f"{1e3 * row['epoch_ours_s']:.1f} ms, {dhg}, plain {1e3 * row['epoch_plain_s']:.1f} ms "
                      f"(ours / plain {row['ratio_plain']:.2f})" + ("" if agrees(row) else " [red]outputs differ[/]"))

    def agrees(row: dict) -> bool:
        return row["allclose"] and row["epoch_plain_allclose"] is not False and row["epoch_dhg_allclose"] is not False

    rows = opsbench.benchmark(datasets, args.repeats, args.threads, on_row)
    paths = opsbench.write(rows, args.out, skipped)
    console.print(f"ops benchmark: {paths['csv']}, {paths['notes']}")
    return 0 if all(agrees(row) for row in rows) else 4


# ----------------------------------------------------------------------------- scale
def cmd_scale(args: argparse.Namespace) -> int:
    from . import scalebench

    workloads = _names(args.workloads, list(scalebench.WORKLOADS), "workload") or list(scalebench.WORKLOADS)
    orders = _names(args.orders, list(scalebench.ORDERS), "order") or list(scalebench.ORDERS)

    def on_row(row: dict) -> None:
        facts = (f"{row['seconds']:.2f} s, peak {row['peak_mib']:.0f} MiB, nnz {row['nnz']}" if row["status"] == "ok"
                 else f"[red]{escape(row['status'])}[/]")
        console.print(f"  {row['size']} nodes / {row['workload']} / {row['order']}: {facts}")

    if len(args.full_epochs) not in (1, len(args.sizes)):
        raise UsageError(f"--full-epochs takes one number or one per size ({len(args.sizes)})")
    rows = scalebench.benchmark(tuple(args.sizes), tuple(workloads), tuple(orders), tuple(args.full_epochs),
                                args.threads, args.time_limit, on_row)
    paths = scalebench.write(rows, args.out)
    console.print(f"scale benchmark: {paths['csv']}, {paths['notes']}, {paths['figure']}")
    return 0


# ----------------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description="hgbench: reproducible hypergraph NN benchmarks",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="list registered methods, datasets or suites")
    listing.add_argument("what", nargs="?", default="all", choices=["methods", "datasets", "suites", "all"])
    listing.set_defaults(handler=cmd_list)

    run = commands.add_parser("run", help="run a suite (finished runs in the store are skipped)")
    run.add_argument("--suite", required=True, help=f"one of: {', '.join(suite_names())}")
    run.add_argument("--methods", help="comma-separated subset of the suite's methods")
    run.add_argument("--datasets", help="comma-separated subset of the suite's datasets")
    run.add_argument("--seeds", type=_seeds, help="number of splits N (seeds 0..N-1; default: the suite's) or a "
                     "range A:B of split indices, e.g. to share a suite's splits between processes or machines")
    run.add_argument("--budget", default="full", choices=BUDGETS, help="tuning budget of trained baselines")
    run.add_argument("--tune-on", metavar="DATASET", help="run every grid on DATASET first, then each method on the "
                     "other datasets at the configuration with the best mean validation metric there (TriPrune's later "
                     "revision: select on imdb, reuse everywhere); default: select per dataset and split")
    run.add_argument("--time-limit", type=_positive(float), default=None, help="seconds per run before it is a "
                     "timeout (a run that does not stop at its deadline is killed soon after)")
    run.add_argument("--memory-limit", type=_positive(int), default=None, metavar="MB", help="address space each "
                     "run may map beyond what its worker process maps when it starts (RLIMIT_AS; torch and the "
                     "dataset are not counted); a run that allocates past it is recorded oom and the suite goes on")
    run.add_argument("--retry", type=_statuses, default=(), metavar="STATUSES",
                     help="comma-separated failure statuses (timeout, oom, failed) whose stored runs are run again, "
                          "e.g. timeouts under a larger --time-limit; default: every stored run is kept")
    run.add_argument("--jobs", type=_positive(int), default=1, help="worker processes (--threads each); default 1: "
                     "the sequential executor, the only one whose timings are reported")
    run.add_argument("--executor", default="local", choices=["local", "slurm", "ray"], help="where the runs execute: "
                     "local (default: sequential, or a process pool with --jobs), slurm (job arrays through submitit; "
                     "pip install 'hgbench[slurm]') or ray (pip install 'hgbench[ray]'); the parent stores every "
                     "record")
    run.add_argument("--address", help="ray: the address of an existing Ray cluster (default: the one in "
                     "RAY_ADDRESS, else a local Ray instance for this run)")
    run.add_argument("--partition", help="slurm: the partition to submit to")
    run.add_argument("--slurm-time", type=_positive(int), metavar="MINUTES", help="slurm: time limit of each "
                     "job-array task (one chunk: a method's configuration on a dataset, all its seeds)")
    run.add_argument("--mem", help="slurm: memory per task, as sbatch takes it (e.g. 8G)")
    run.add_argument("--cpus-per-task", type=_positive(int), help="slurm: CPUs per task (default: --threads)")
    run.add_argument("--max-concurrent", type=_positive(int), help="slurm: tasks of the job array running at once "
                     "(sbatch --array=0-N%%M)")
    run.add_argument("--slurm-cluster", choices=["slurm", "local"], help="slurm: local runs the tasks with "
                     "submitit's local executor on this machine (try a setup; CI); default slurm")
    run.add_argument("--keep-models", action="store_true", help="store every trained model's state beside its "
                     "record (store/artifacts/<key>/model.pt); off by default: weights are large and no table "
                     "needs them")
    run.add_argument("--no-report", action="store_true", help="store the runs and render nothing (a job whose "
                     "output folder is merged elsewhere with bench merge; bench report renders it later)")
    run.add_argument("--threads", type=_positive(int), default=1, help="torch intra-op threads per run, recorded "
                     "in every record; default 1")
    run.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]; recorded in every record and "
                                                      "printed in timing captions")
    run.add_argument("--dry-run", action="store_true", help="print the jobs, how many are stored and the projected "
                     "CPU hours per method and dataset (from the stored runs' costs), then stop; writes nothing")
    run.add_argument("--max-hours", type=_positive(float), help="refuse (exit code 5; on a terminal: ask) when the "
                     "projected hours exceed this, or are unknown")
    run.add_argument("--out", default="results", help="output folder (store and tables), default: results")
    run.set_defaults(handler=cmd_run)

    rep = commands.add_parser("report", help="rebuild tables, leaderboards and the claims report from the store "
                                             "without running anything")
    rep.add_argument("--suite", help="render only this suite (default: every suite in the store, the global "
                                     "leaderboard and the claims report)")
    rep.add_argument("--out", default="results", help="output folder, default: results")
    rep.add_argument("--format", default="files", choices=["files", "md"],
                     help="md: also print a Markdown summary (means per suite, claims' verdicts) to stdout")
    rep.add_argument("--force", action="store_true", help="render every suite and the cross-suite files even where "
                     "nothing they read changed since the last render (<out>/.report-inputs.json)")
    rep.add_argument("--html", action="store_true", help="also write <out>/report.html: one offline page of every "
                     "suite's table, leaderboard, figures and ranks, the claims (filterable) and the provenance")
    rep.set_defaults(handler=cmd_report)
    exp = commands.add_parser("export", help="every stored run as one table (hgbench.load_results): one row per run")
    exp.add_argument("--format", default="csv", choices=["csv", "parquet"])
    exp.add_argument("--suite", help="only this suite's runs (with their budget and grid position)")
    exp.add_argument("--out", default="results", help="output folder holding store/, default: results")
    exp.add_argument("--to", help="file to write (default: <out>/results.<format>)")
    exp.set_defaults(handler=cmd_export)
    show = commands.add_parser("show", help="print one stored run's record and list its artifacts")
    show.add_argument("key", help="the run's key (a prefix is enough when it is unique)")
    show.add_argument("--out", default="results", help="output folder holding store/, default: results")
    show.set_defaults(handler=cmd_show)
    mig = commands.add_parser("migrate", help="re-key a store written before job keys named no suite "
                                              "(records/<suite>/ to records/<method>/ plus plans/) and rewrite "
                                              "plans written an object per entry in rows; reruns nothing")
    mig.add_argument("--out", default="results", help="output folder holding store/, default: results")
    mig.set_defaults(handler=cmd_migrate)
    mrg = commands.add_parser("merge", help="copy another output folder's runs (records, artifacts, splits, plans) "
                                            "into this one; a held record is replaced only by a later rerun")
    mrg.add_argument("source", help="output folder holding the store/ to copy from")
    mrg.add_argument("--out", default="results", help="output folder holding the store/ to merge into, default: "
                                                      "results")
    mrg.set_defaults(handler=cmd_merge)
    ver = commands.add_parser("verify", help="rerun stored runs with the current code and compare their metrics "
                                            "(appends to <out>/verify.csv); --replace stores the reruns")
    ver.add_argument("--methods", help="comma-separated stored methods (default: all)")
    ver.add_argument("--datasets", help="comma-separated datasets (default: all)")
    ver.add_argument("--protocols", help="comma-separated protocols, e.g. 5-shot (default: all)")
    ver.add_argument("--sample", type=_positive(int), help="at most this many runs per method, dataset and protocol, "
                     "lowest seeds first (default: every selected run)")
    ver.add_argument("--tolerance", type=float, default=1e-9, help="largest metric difference that counts as the "
                     "same, default 1e-9")
    ver.add_argument("--time-limit", type=_positive(float), default=None, help="seconds per rerun")
    ver.add_argument("--replace", action="store_true", help="store every ok rerun in place of its record (with its "
                     "artifacts and the current code version), changed or not")
    ver.add_argument("--out", default="results", help="output folder holding store/, default: results")
    ver.set_defaults(handler=cmd_verify)
    ops = commands.add_parser("ops", help="time the shared hypergraph ops against plain torch.sparse.mm layers "
                                          "and DHG's (per training epoch)")
    ops.add_argument("--datasets", help="comma-separated datasets (default: cora, citeseer, 20news, walmart)")
    ops.add_argument("--repeats", type=_positive(int), default=10,
                     help="timed epochs per implementation (median), default: 10")
    ops.add_argument("--threads", type=_positive(int), default=None,
                     help="intra-op threads for every implementation (default: torch's)")
    ops.add_argument("--out", default="results", help="output folder (writes ops-benchmark/), default: results")
    ops.set_defaults(handler=cmd_ops)
    scale = commands.add_parser("scale", help="seconds and peak memory of ZEN, HGNN and TriPrune on synthetic "
                                              "hypergraphs of growing size, one process each")
    scale.add_argument("--sizes", type=_positive(int), nargs="+", default=[10_000, 100_000, 1_000_000],
                       help="numbers of nodes (default: 10000 100000 1000000)")
    scale.add_argument("--workloads", help="comma-separated: zen, hgnn-epoch, hgnn-full, triprune-epoch (default: all)")
    scale.add_argument("--orders", help="comma-separated: given (the generator's ids), rcm (reverse Cuthill-McKee "
                                        "renumbering first); default: both")
    scale.add_argument("--full-epochs", type=_positive(int), nargs="+", default=[200],
                       help="epochs of hgnn-full: one number for every size or one per size (default: 200, the "
                            "protocol's)")
    scale.add_argument("--threads", type=_positive(int), default=1, help="torch intra-op threads, default 1")
    scale.add_argument("--time-limit", type=_positive(float), default=None,
                       help="seconds per row before its process is killed (status timeout); a row projected past it "
                            "from a smaller size (linear growth) is skipped")
    scale.add_argument("--out", default="results", help="output folder (writes scaling/), default: results")
    scale.set_defaults(handler=cmd_scale)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code says what kind of mistake stopped it (:data:`EXIT_CODES`)."""
    args = build_parser().parse_args(argv)  # a bad option or value exits 2 here (argparse)
    try:
        return args.handler(args)
    except KeyError as exc:  # unknown suite/method/dataset names carry the list of valid ones
        return _error(exc.args[0], 2)
    except UsageError as exc:
        return _error(exc, 2)
    except SystemExit as exc:  # a command refusing a combination of options, e.g. --format md with --suite
        if not isinstance(exc.code, str):
            raise
        return _error(exc.code.removeprefix("error: "), 2)
    except DataError as exc:  # a corrupted or unreadable data file: the message names it
        return _error(exc, 1)
    except StoreWriteError as exc:  # the disk full while storing: the run stopped, what it stored is whole
        return _error(exc, 6)


def _error(message, code: int) -> int:
    console.print(f"[red]error:[/] {escape(str(message))}", soft_wrap=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The papers' quantitative claims (``paper_tables/claims.csv``) checked against our leaderboards.

Data plus small checks: ``paper_tables/claim_checks.csv`` maps every claim to one or more parts,
each either (suite, check, args, relation, target) or a reason why it is not testable here. A check
is a small named function of one suite's long leaderboard (``label, paper_dataset, metric, mean, std,
status``, ...) returning the measured value, or ``None`` while a cell it reads has no run yet.
Methods and datasets are named as the paper prints them (``label``, ``paper_dataset``). The claims about the
datasets themselves read the board of :mod:`.dataset_stats` (statistics measured from the data), named
``datasets`` in the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import stats
from .multimetric import AVERAGE
from .significance import ALPHA
from ..suites import suite, suite_names

VERDICTS = ("reproduced", "not reproduced", "not testable here", "pending")
TOLERANCE = 0.10  # relative, for "approx" targets
RULE = (f"A part holds when the measured value satisfies its relation to the claimed target: `approx` means "
        f"within {TOLERANCE:.0%} of the target (relative; an interval target: both ends), `within lo..hi` means "
        "inside the interval (a measured interval: wholly inside), `<`, `<=`, `>`, `>=` and `==` are exact "
        "comparisons (a measured interval is compared by its nearer end). A claim is *reproduced* when every "
        "part holds and *not reproduced* when a measured part does not hold; otherwise it is *pending* while a "
        "part's suite has no run in the store (or is not declared yet) or a cell its check reads has no run yet, "
        "except that a claim about every cell (best in every cell, wins every comparison, every std inside an "
        "interval) is *not reproduced* as soon as the cells already run hold a counterexample, "
        "and *not testable here* when the claim is about something no suite measures (the reason is given) or "
        "every cell a part reads cannot run here (data unavailable) or failed. Checks read only cells whose "
        "status is ok, and the measured text says how many cells the value covers; a rank check judges over "
        "the datasets where every method has a result and names the cells not run yet. The `datasets` parts "
        "read the statistics of the datasets as loaded when the report is rendered (report/dataset_stats.py: "
        "nodes, hyperedges, classes, features, as `bench list datasets` prints them), not a run.")

#: Suites the mapping names that are not declared yet, with the paper table each will reproduce (its
#: parts stay pending until then); any other name that is neither registered nor ``dataset_stats.SUITE``
#: is a mistake (tests/test_claims.py).
PLANNED_SUITES: dict[str, str] = {}


@dataclass(frozen=True)
class Measured:
    value: float | tuple[float, float]
    text: str
    complete: bool = True  # False: over the cells run so far, while others are not run yet (see :func:`_part`)


CHECKS: dict[str, Callable[..., Measured | None]] = {}


def check(function: Callable[..., Measured | None]) -> Callable[..., Measured | None]:
    CHECKS[function.__name__] = function
    return function


# ----------------------------------------------------------------------------- board helpers
class Pending(Exception):
    """A cell a check reads has no run yet (or the board has no row of the method/metric it names)."""


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def _rows(board: pd.DataFrame, metric: str, labels: list[str] | None = None, dataset: str = "",
          pending_ok: bool = False) -> pd.DataFrame:
    """The rows of ``metric`` (and ``labels``, and ``dataset`` unless it names an aggregate over datasets, which
    reads the datasets' rows: a board's own Average row, TriPrune Table 2's, is not a dataset or a cell);
    raises :class:`Pending` while any of them has no run yet (unless ``pending_ok``)."""
    rows = board[board.metric.isin(_names(metric))]
    rows = rows if labels is None else rows[rows.label.isin(labels)]
    one = dataset not in ("", "mean", "average")
    if one:
        rows = rows[rows.paper_dataset == dataset]
    elif "dataset" in rows:  # a board without dataset ids has no Average row either
        rows = rows[rows.dataset != AVERAGE]
    missing = [label for label in labels or [] if label not in set(rows.label)]
    if rows.empty or missing:
        where = f" on {dataset}" if one else ""
        raise Pending(f"no rows of {' / '.join(missing or labels or ['any method'])} with metric {metric}{where}")
    if (rows.status == "pending").any() and not pending_ok:
        raise Pending("cells not run yet")
    return rows


def _ok(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows.status == "ok"]


def _ok_means(rows: pd.DataFrame) -> pd.DataFrame:
    """(dataset, metric) x labels of ok means; a dataset where some label is not ok is dropped."""
    means = _ok(rows).set_index(["paper_dataset", "metric", "label"])["mean"].unstack("label")
    return means.reindex(columns=list(dict.fromkeys(rows.label))).dropna()


def _means(board: pd.DataFrame, metric: str, labels: list[str] | None = None, dataset: str = "") -> pd.DataFrame:
    """Datasets x labels of ok means of one metric, over the datasets where every label is ok."""
    return _ok_means(_rows(board, metric, labels, dataset)).droplevel("metric")


def _changes(board: pd.DataFrame, metric: str, labels: list[str], reference: str, dataset: str = "") -> pd.DataFrame:
    """Datasets x ``labels``: 100 (label - reference) / reference, over the datasets where all of them are ok. Where
    the board took its ``change_pct`` against ``reference``'s method (the ablation tables: over the splits both rows
    ran, ``change_vs``), that column is read; otherwise the cells' means are compared."""
    means = _means(board, metric, [*labels, reference], dataset)
    rows = _ok(_rows(board, metric, labels, dataset))
    if "change_vs" in board and set(rows.change_vs) <= set(board.method[board.label == reference]):
        paired = rows.set_index(["paper_dataset", "label"]).change_pct.unstack("label")
        return paired.reindex(index=means.index, columns=labels)
    return 100 * means[labels].sub(means[reference], axis=0).div(means[reference], axis=0)


def _by_cell(board: pd.DataFrame, metric: str, method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(dataset, metric) x labels: the cells' statuses, and the ok means (NaN elsewhere); pending while ``method``
    has no rows on the board."""
    _rows(board, metric, [method], pending_ok=True)
    rows = _rows(board, metric, pending_ok=True)
    status = rows.set_index(["paper_dataset", "metric", "label"])["status"].unstack("label")
    means = _ok(rows).set_index(["paper_dataset", "metric", "label"])["mean"].unstack("label")
    return status, means.reindex(index=status.index, columns=status.columns)


def _margins(means: pd.DataFrame, method: str) -> pd.DataFrame:
    """cells x other labels: how far ``method``'s mean is better than each other's, in the metric's direction
    (negative: the other is better); NaN where either is not ok."""
    sign = np.array([1.0 if stats.is_higher_better(m) else -1.0 for m in means.index.get_level_values("metric")])
    return means.drop(columns=method).rsub(means[method], axis=0).mul(sign, axis=0)


def _not_run(waiting: int) -> str:
    return f"; {waiting} cell(s) not run yet" if waiting else ""


def _span(values) -> tuple[float, float]:
    return float(np.min(values)), float(np.max(values))


# ----------------------------------------------------------------------------- checks
# Each returns the measured value, or None when no cell it reads is ok (data unavailable here, runs failed).
@check
def best_share(board, method, metric):
    """Share of (dataset, metric) cells where ``method`` has the best mean (ties count), over the cells where every
    method is ok and those already lost: where a method that ran beats it, one not run yet cannot undo that."""
    status, means = _by_cell(board, metric, method)
    margins = _margins(means, method)
    every = means.notna().all(axis=1)
    lost = (margins < 0).any(axis=1)
    waiting = int((status.eq("pending").any(axis=1) & ~lost).sum())
    judged = every | lost
    if not judged.any():
        if waiting:
            raise Pending("cells not run yet")
        return None
    wins, early = int((every & ~lost).sum()), int((lost & ~every).sum())
    text = f"{method} best on {wins} of {int(judged.sum())} cells where every method ran"
    if early:
        text = (f"{method} best on {wins} of {int(judged.sum())} cells ({int(every.sum())} where every method ran, "
                f"{early} lost to a method that ran while others are not run yet)")
    return Measured(wins / int(judged.sum()), text + _not_run(waiting), complete=not waiting)


@check
def share_won(board, method, metric):
    """Share of (other method, cell) comparisons ``method`` wins strictly, over the comparisons where both are ok.

    A comparison needs its two methods only, so a cell where a third method is not run yet still counts its
    finished comparisons; pending while ``method`` has no rows, or while no comparison is ok and some wait."""
    status, means = _by_cell(board, metric, method)
    margins = _margins(means, method)
    others = status.drop(columns=method)
    waiting = int((others.eq("pending") | status[[method]].eq("pending").to_numpy()).to_numpy().sum())
    total = int(margins.notna().to_numpy().sum())
    if not total:
        if waiting:
            raise Pending("comparisons not run yet")
        return None
    won = int((margins > 0).to_numpy().sum())
    return Measured(won / total, f"{method} wins {won} of {total} comparisons where both ran"
                    + (f"; {waiting} comparison(s) not run yet" if waiting else ""), complete=not waiting)


@check
def rank_position(board, method, metric):
    """1 + the number of methods with a better Avg. Rank (over datasets with every method ok; min-rank ties).

    An Avg. Rank is defined on any set of datasets, so cells not run yet are left out (and named) as cells
    that cannot run are; the check stays pending only while no dataset has every method ok yet."""
    _rows(board, metric, [method], pending_ok=True)  # pending while the method has no rows
    rows = _rows(board, metric, pending_ok=True)
    cells = [row for _, row in _ok_means(rows).iterrows()]
    not_run = rows[rows.status == "pending"].groupby("label", sort=False).paper_dataset.agg(", ".join)
    missing = "; ".join(f"{label} on {datasets}" for label, datasets in not_run.items())
    if not cells:
        if missing:
            raise Pending(f"no dataset has every method run yet (not run yet: {missing})")
        return None
    ranks = stats.rank_matrix(pd.DataFrame(cells).round(1), stats.is_higher_better(metric), ties="min").mean()
    position = 1 + int((ranks < ranks[method]).sum())
    best_other = ranks.drop(method).sort_values(kind="stable")
    datasets = rows.paper_dataset.nunique()
    return Measured(position, f"{method} Avg. Rank {ranks[method]:.1f}, position {position} of {len(ranks)} over "
                              f"{len(cells)} of {datasets} datasets with every method ok (best other: "
                              f"{best_other.index[0]} {best_other.iloc[0]:.1f})"
                              + (f"; not run yet: {missing}" if missing else ""))


@check
def value(board, method, metric, dataset):
    means = _means(board, metric, [method], dataset)
    return Measured(means.at[dataset, method], f"{method} on {dataset}") if dataset in means.index else None


@check
def value_range(board, method, metric):
    """Lowest and highest mean of ``method`` over its ok datasets."""
    means = _means(board, metric, [method])
    return Measured(_span(means[method]), f"{method} over {len(means)} datasets") if len(means) else None


@check
def ratio(board, method, reference, metric, dataset):
    means = _means(board, metric, [method, reference], dataset)
    if dataset not in means.index:
        return None
    return Measured(means.at[dataset, method] / means.at[dataset, reference], f"{method} / {reference} on {dataset}")


@check
def ratio_range(board, methods, reference, metric):
    """Lowest and highest ratio of each of ``methods`` over ``reference`` over the datasets all of them ran."""
    means = _means(board, metric, _names(methods) + [reference])
    if means.empty:
        return None
    ratios = means[_names(methods)].div(means[reference], axis=0)
    return Measured(_span(ratios.to_numpy()), f"{len(_names(methods))} methods / {reference}, {len(means)} datasets")


@check
def fastest_competitor_ratio(board, reference, metric, dataset=""):
    """Lowest ratio of another method over ``reference`` on ``dataset``, or its largest value over datasets."""
    means = _means(board, metric, dataset=dataset)
    if means.empty or (dataset and dataset not in means.index):
        return None
    fastest = means.drop(columns=reference).div(means[reference], axis=0).min(axis=1)
    where = dataset or fastest.idxmax()
    return Measured(float(fastest[where]), f"fastest competitor on {where}, over {len(means)} datasets")


@check
def change_pct(board, method, reference, metric, dataset):
    """100 (method - reference) / reference on ``dataset``; ``mean``: averaged over datasets; ``average``:
    of the datasets' averages (as TriPrune Table 2's Average row)."""
    means = _means(board, metric, [method, reference], dataset)
    if means.empty or dataset not in ("mean", "average", *means.index):
        return None
    if dataset == "average":
        means = means.mean().to_frame(dataset).T
        change = 100 * (means[method] - means[reference]) / means[reference]
    else:
        change = _changes(board, metric, [method], reference, dataset)[method]
    where = f"mean over {len(means)} datasets" if dataset == "mean" else dataset
    return Measured(float(change.mean() if dataset == "mean" else change[dataset]),
                    f"{method} vs {reference}, {where}; signed: negative is below {reference}")


@check
def change_range(board, methods, reference, metric):
    """Lowest and highest % change of each of ``methods`` over ``reference`` over the datasets all of them ran."""
    changes = _changes(board, metric, _names(methods), reference)
    if changes.empty:
        return None
    return Measured(_span(changes.to_numpy()),
                    f"{len(_names(methods))} settings vs {reference}, {len(changes)} datasets")


@check
def largest_change(board, methods, reference, metric):
    """The largest % change of any of ``methods`` over ``reference`` on any dataset all of them ran ("by up to
    x%"), naming where it is."""
    changes = _changes(board, metric, _names(methods), reference).dropna(how="all")
    if changes.empty:
        return None
    dataset, method = changes.stack().idxmax()
    return Measured(float(changes.at[dataset, method]),
                    f"{method} on {dataset}, the largest of {len(_names(methods))} settings vs {reference} over "
                    f"{len(changes)} datasets")


@check
def gap_pct(board, method, metric, other):
    """Largest over datasets of ``100 |other - metric| / metric`` of ``method``'s means (validation against test:
    Appendix A.5's generalization gap), over the datasets where both are ok."""
    rows = _rows(board, f"{metric}|{other}", [method], pending_ok=True)
    means = _ok(rows).pivot_table(index="paper_dataset", columns="metric", values="mean").reindex(
        columns=[metric, other]).dropna()
    if means.empty:
        return None
    gaps = 100 * (means[other] - means[metric]).abs() / means[metric].abs()
    waiting = int(rows.paper_dataset[rows.status == "pending"].nunique())
    return Measured(float(gaps.max()), f"{method}, {other} vs {metric}, largest on {gaps.idxmax()} over "
                    f"{len(gaps)} datasets" + _not_run(waiting), complete=not waiting)


@check
def retained_share(board, method, baseline, reference, metric):
    """100 x ``method``'s mean % change over ``baseline`` / ``reference``'s, over the datasets all three ran: the share
    of the reference's gain over the baseline that ``method`` keeps (Table 7's frozen transfer, between the Fixed
    Baseline and the in-domain full model on the same targets)."""
    changes = _changes(board, metric, [method, reference], baseline).dropna()
    if changes.empty:
        return None
    kept, full = float(changes[method].mean()), float(changes[reference].mean())
    return Measured(100 * kept / full, f"{method} {kept:+.2f}% and {reference} {full:+.2f}% vs {baseline}, mean over "
                                       f"{len(changes)} datasets")


@check
def change_margin(board, method, others, reference, metric):
    """Mean over datasets of ``method``'s % change over ``reference`` minus the largest such mean of ``others``
    (> 0: ``method`` changes the metric most), over the datasets where all of them ran."""
    per_dataset = _changes(board, metric, [method, *_names(others)], reference)
    if per_dataset.empty:
        return None
    changes = per_dataset.mean()
    runner_up = changes.drop(method).idxmax()
    return Measured(float(changes[method] - changes[runner_up]),
                    f"{method} {changes[method]:+.2f}% vs next largest {runner_up} {changes[runner_up]:+.2f}%, mean "
                    f"over {len(per_dataset)} datasets")


@check
def change_vs_sum(board, method, parts, reference, metric):
    """Mean over datasets of ``method``'s % change over ``reference`` minus the sum of the ``parts``' mean changes
    (< 0: removing everything costs less than the single removals added up)."""
    per_dataset = _changes(board, metric, [method, *_names(parts)], reference)
    if per_dataset.empty:
        return None
    changes = per_dataset.mean()
    total = float(changes[_names(parts)].sum())
    return Measured(float(changes[method]) - total, f"{method} {changes[method]:+.2f}% vs the sum of "
                                                    f"{len(_names(parts))} single removals {total:+.2f}%, mean over "
                                                    f"{len(per_dataset)} datasets")


@check
def max_p(board, metric, corrected="p_adj"):
    """The largest p-value (``corrected``: the board's column, the suite's correction by default) of the tests
    against the suite's reference on ``metric``; pending while a cell has no run, None without any test."""
    rows = _rows(board, metric)
    if corrected not in rows:
        return None
    tested = _ok(rows[rows.reference.notna()])
    p = tested[corrected].astype(float)
    if tested.empty:
        return None
    untested = int((~np.isfinite(p)).sum())  # no test (< 2 pairs, no variation): no evidence of a difference
    return Measured(float(p.fillna(1.0).max()), f"{int(np.isfinite(p).sum())} tests of {metric}"
                                                + (f"; {untested} cell(s) without a test count as p = 1"
                                                   if untested else ""))


@check
def share_pct(board, parts, total, metric, dataset):
    """100 * (sum of the ``parts`` rows) / the ``total`` row on ``dataset``."""
    means = _means(board, metric, _names(parts) + [total], dataset)
    if dataset not in means.index:
        return None
    return Measured(100 * means.loc[dataset, _names(parts)].sum() / means.at[dataset, total], f"of {total}")


@check
def max_std(board, method, metric):
    ok = _ok(_rows(board, metric, [method]))
    return Measured(float(ok["std"].max()), f"{method}, {len(ok)} cells") if len(ok) else None


@check
def std_range(board, exclude, metric):
    """Lowest and highest std of the ok cells of every method but ``exclude``."""
    rows = _rows(board, metric, pending_ok=True)
    rows = rows[rows.label != exclude]
    ok, waiting = _ok(rows), int((rows.status == "pending").sum())
    if not len(ok):
        if waiting:
            raise Pending("cells not run yet")
        return None
    return Measured(_span(ok["std"]), f"all but {exclude}, {len(ok)} cells" + _not_run(waiting), complete=not waiting)


@check
def variance_change_pct(board, method, reference, metric, dataset):
    """100 (var(method) / var(reference) - 1) over splits on ``dataset``."""
    ok = _ok(_rows(board, metric, [method, reference], dataset)).set_index("label")
    if len(ok) < 2:
        return None
    return Measured(100 * (ok.at[method, "std"] ** 2 / ok.at[reference, "std"] ** 2 - 1), f"{method} vs {reference}")


@check
def statistic_ratio(board, statistic, datasets, others, end=""):
    """Ratios of a dataset statistic (``dataset_stats``: nodes, hyperedges, classes, features) of each of
    ``others`` over each of ``datasets``: (lowest, highest), or one ``end`` (``min``/``max``). Datasets whose
    data is unavailable here are left out and named."""
    rows = _rows(board, statistic, pending_ok=True)
    rows = rows[rows.paper_dataset.isin(_names(datasets) + _names(others))]
    if (rows.status == "pending").any():
        raise Pending(f"not downloaded yet: {', '.join(rows[rows.status == 'pending'].paper_dataset.unique())}")
    values = _ok(rows).set_index("paper_dataset")["mean"]
    small, large = (values.reindex(_names(names)).dropna() for names in (datasets, others))
    if small.empty or large.empty:
        return None
    ratios = pd.DataFrame(np.outer(large, 1 / small), index=large.index, columns=small.index).stack()
    low, high = ratios.idxmin(), ratios.idxmax()
    left_out = [d for d in _names(datasets) + _names(others) if d not in values.index]
    text = (f"{statistic}: {len(large)} other datasets over {', '.join(small.index)}; lowest {low[0]}/{low[1]}, "
            f"highest {high[0]}/{high[1]}"
            + (f"; left out (data unavailable): {', '.join(left_out)}" if left_out else ""))
    value = {"min": ratios.min(), "max": ratios.max()}.get(end, (ratios.min(), ratios.max()))
    return Measured(float(value) if np.isscalar(value) else tuple(map(float, value)), text)


@check
def bonferroni_level(board):
    """alpha / the number of tests in the suite's significance family."""
    if (board.status == "pending").any():
        raise Pending("cells not run yet")
    n_tests = int(np.isfinite(board.p.astype(float)).sum()) if "p" in board else 0
    return Measured(ALPHA / n_tests, f"alpha {ALPHA} / {n_tests} tests") if n_tests else None


# ----------------------------------------------------------------------------- verdicts
def holds(measured: float | tuple[float, float], relation: str, target: str) -> bool:
    """Whether ``measured`` satisfies ``relation`` to ``target`` (a number, or ``lo..hi``)."""
    low, high = (measured, measured) if np.isscalar(measured) else measured
    bounds = [float(t) for t in target.split("..")]
    if relation == "approx":
        targets = bounds if len(bounds) == 2 else bounds * 2
        return all(abs(m - t) <= TOLERANCE * abs(t) for m, t in zip((low, high), targets))
    if relation == "within":
        return bounds[0] <= low and high <= bounds[1]
    compare = {"<": high < bounds[0], "<=": high <= bounds[0], ">": low > bounds[0], ">=": low >= bounds[0],
               "==": low == high == bounds[0]}
    return compare[relation]


def _fmt(value: float | tuple[float, float]) -> str:
    return f"{value:.4g}" if np.isscalar(value) else f"{value[0]:.4g}..{value[1]:.4g}"


def _part(row, boards: dict[str, pd.DataFrame]) -> tuple[str, str, str]:
    """(verdict, measured text, rule) of one mapping row."""
    if not row.suite:
        return "not testable here", row.note, ""
    rule = f"{row.check} {row.relation} {row.target}"
    if row.suite not in boards:
        return "pending", f"{row.suite}: no leaderboard from this store yet", rule
    unrun = _unrun_rows(row)
    if unrun:
        return "pending", f"{row.suite}: reads every row, and paper rows not run yet: {', '.join(unrun)}", rule
    try:
        measured = CHECKS[row.check](boards[row.suite], **arguments(row.args))
    except Pending as reason:
        return "pending", f"{row.suite}: {reason}", rule
    if measured is None:
        return "not testable here", f"{row.suite}: no ok cell (data unavailable here, or every run failed)", rule
    held = holds(measured.value, row.relation, row.target)
    note = f"; {row.note}" if row.note else ""
    if not measured.complete and (held or not _universal(row)):
        return "pending", f"{row.suite}: cells not run yet; so far {_fmt(measured.value)} ({measured.text})", rule
    settled = "" if measured.complete else "; already false on the cells run, whatever the others show"
    return ("reproduced" if held else "not reproduced"), (f"{row.suite}: {_fmt(measured.value)} ({measured.text})"
                                                          f"{settled}{note}"), rule


def _universal(row) -> bool:
    """A claim about every cell ("best in every cell", "wins every comparison", "every std in lo..hi"): one
    counterexample among the cells run settles it; adding cells can only add counterexamples."""
    if row.check in ("best_share", "share_won"):
        return row.relation == "==" and float(row.target) == 1.0
    return row.check == "std_range" and row.relation == "within"


def _unrun_rows(row) -> tuple[str, ...]:
    """The suite's paper rows not run yet (``Suite.pending_rows``) when the check reads every method's cells
    (it names no ``method``, or compares one method with all others): such a check waits for them."""
    if row.suite not in suite_names():
        return ()
    named = arguments(row.args)
    reads_all = "method" not in named or row.check in ("best_share", "share_won", "rank_position")
    return suite(row.suite).pending_rows if reads_all else ()


def arguments(text: str) -> dict[str, str]:
    """``"a=1; b=x|y"`` -> ``{"a": "1", "b": "x|y"}``."""
    pairs = (item.split("=", 1) for item in text.split(";") if item.strip())
    return {key.strip(): value.strip() for key, value in pairs}


def combine(verdicts: list[str]) -> str:
    """A claim's verdict from its parts': reproduced only when every part is."""
    for verdict in ("not reproduced", "pending", "not testable here"):
        if verdict in verdicts:
            return verdict
    return "reproduced"


@lru_cache(maxsize=None)
def _packaged(name: str) -> pd.DataFrame:
    with resources.files("hgbench").joinpath("paper_tables", name).open() as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def claims_table() -> pd.DataFrame:
    return _packaged("claims.csv")


def mapping() -> pd.DataFrame:
    return _packaged("claim_checks.csv")


FIDELITY_MARKS = "†‡*"  # BASELINES.md's marks on a baseline's label ("HEAL†‡"); claims name the paper's row


def evaluate(boards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every claim with the suites that measure it, the measured values, the rules and the verdict."""
    boards = {name: _paper_rows(name, board.assign(label=board.label.astype(str).str.rstrip(FIDELITY_MARKS)))
              if "label" in board else board for name, board in boards.items()}
    parts: dict[str, list] = {}
    for row in mapping().itertuples(index=False):  # one pass, not a group lookup and itertuples per claim
        parts.setdefault(row.claim_id, []).append(row)
    rows = []
    for claim in claims_table().itertuples(index=False):
        if claim.claim_id not in parts:
            raise ValueError(f"claim {claim.claim_id!r} has no row in claim_checks.csv")
        mine = parts[claim.claim_id]
        results = [_part(row, boards) for row in mine]
        rows.append({**claim._asdict(), "suite": " ".join(dict.fromkeys(row.suite for row in mine if row.suite)),
                     "measured": "; ".join(r[1] for r in results), "rule": "; ".join(r[2] for r in results if r[2]),
                     "verdict": combine([r[0] for r in results])})
    return pd.DataFrame(rows)


def _paper_rows(name: str, board: pd.DataFrame) -> pd.DataFrame:
    """The board without the suite's extra rows (``Suite.extra_rows``: controls shown beside the paper's rows,
    e.g. MLP and the constant floor in TriPrune's Table 2): a claim is about the paper's rows."""
    extra = suite(name).extra_rows if name in suite_names() else ()
    return board[~board.method.isin(extra)] if extra and "method" in board else board


# ----------------------------------------------------------------------------- files
def write(verdicts: pd.DataFrame, out: Path) -> dict[str, Path]:
    """``<out>/claims.csv`` (every claim, measured, verdict) and ``<out>/claims.md``."""
    paths = {"claims_csv": out / "claims.csv", "claims_md": out / "claims.md"}
    columns = ["paper", "claim_id", "quote", "quantity", "value", "source_section", "suite", "measured", "rule",
               "verdict"]
    verdicts[columns].to_csv(paths["claims_csv"], index=False, lineterminator="\n")
    paths["claims_md"].write_text(markdown(verdicts))
    return paths


def markdown(verdicts: pd.DataFrame) -> str:
    counts = verdicts.verdict.value_counts()
    lines = ["# Claims of the papers, checked against our runs", "",
             "Every quantitative claim of `paper_tables/claims.csv`, the suite that measures it "
             "(`paper_tables/claim_checks.csv`: suite, check, relation, target) and a verdict.", "",
             "Verdict rule: " + RULE, "",
             "Totals: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS) + f" (of {len(verdicts)}).", ""]
    for paper, claims in verdicts.groupby("paper", sort=False):
        for group, rows in claims.groupby(claims.suite.replace("", "not testable here"), sort=True):
            lines += [f"## {paper}: {group}", "", "| claim | quote | claimed | measured | rule | verdict |",
                      "|---|---|---|---|---|---|"]
            lines += ["| " + " | ".join(_cell(v) for v in (r.claim_id, r.quote, r.value, r.measured, r.rule, r.verdict))
                      + " |" for r in rows.itertuples()]
            lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") or "-"

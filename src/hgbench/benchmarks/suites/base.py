"""Suites: which methods run on which datasets under which split protocol, and which paper table
they reproduce. A suite only declares; the runner executes and the report renders. Other packages
add suites through the ``hgbench.suites`` entry-point group (:mod:`hgbench.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...datasets.splits import parse_episode, protocol_shots
from ...registry import Registry


@dataclass(frozen=True)
class PaperTable:
    """A paper table this suite reproduces: the packaged CSV and the setting it reports."""

    csv: str
    title: str
    setting: str  # e.g. "shots=5", matched against the CSV's ``setting`` column
    metric: str = "accuracy"


@dataclass(frozen=True)
class Comparison:
    """A probe beside the method it varies, on the same splits: the report renders both cells and the
    paper's row of the varied method from the boards (suite notes carry no measured numbers)."""

    probe: str  # a method of ``probe_suite``
    base: str  # the method it varies, a method of the suite that declares the comparison
    probe_suite: str


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    methods: tuple[str, ...]
    datasets: tuple[str, ...]
    protocol: str = "5-shot"
    seeds: int = 10
    table: PaperTable | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # prose without measured numbers (tests/test_paper_suites.py)
    comparisons: tuple[Comparison, ...] = ()  # probes beside their baselines, rendered after the notes
    kind: str = "accuracy"  # which table the report builds: accuracy, runtime or weights
    records_from: str | None = None  # render another suite's records (e.g. runtime from zen-5shot)
    includes: tuple[str, ...] = ()  # a group suite: runs and renders these suites in order
    reference: str | None = None  # significance marks: every other method is tested against it (ZEN suites: zen)
    correction: str = "holm"  # multiple-comparison correction of those tests (stats.CORRECTIONS; TriPrune: bonferroni)
    pending_rows: tuple[str, ...] = ()  # paper rows (labels) whose methods are not registered yet
    extra_rows: tuple[str, ...] = ()  # methods shown beside the paper's rows, not among them: claims leave them out
    efficiency_reference: str | None = None  # timing columns also as ratios to this method's (TriPrune: HGNN)
    row_labels: tuple[tuple[str, str], ...] = ()  # (method, the row's label in this table) where not its own label
    method_major: bool = False  # plan method by method: later methods read earlier ones' runs on other datasets

    def row_label(self, method: str) -> str | None:
        """This table's label for ``method``'s row, if the suite names one (else the method's own label)."""
        return dict(self.row_labels).get(method)

    @property
    def setting(self) -> str:
        if self.table is not None and not self.table.setting:
            return ""  # the paper's table has no setting column (TriPrune)
        shots = protocol_shots(self.protocol)
        return f"shots={shots}" if shots is not None and not parse_episode(self.protocol) else self.protocol


def _register_builtins() -> None:
    from . import zen  # noqa: F401  (importing a suite module registers its suites)


SUITES: Registry[Suite] = Registry("suite", "hgbench.suites", _register_builtins)


def register_suite(suite: Suite) -> Suite:
    return SUITES.register(suite.name, suite)


def suite(name: str) -> Suite:
    return SUITES.get(name)


def suite_names() -> list[str]:
    return SUITES.names()

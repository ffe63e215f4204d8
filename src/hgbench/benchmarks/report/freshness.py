"""Which parts of a rendered report are out of date with the store (issue 18: render only what changed).

A suite's outputs (``<out>/<suite>/``) read its plan, the records that plan names (a record is written
after its artifacts, so its bytes stand for them too), the plans and records of the probe suites its notes
compare with, and the code. Their sha256 is the suite's *inputs*; the cross-suite outputs (``leaderboard.csv``,
``figures/``, ``provenance.md``, the claims, and ``report.html`` when ``--html`` wrote it) read every suite's
inputs, and ``provenance.md`` the output folder's ``verify.csv`` (``bench verify``) too.
``<out>/.report-inputs.json`` keeps, after each render, the inputs and the sha256 of every output written.
A part is rendered again when its inputs differ, when one of its outputs is missing or was edited, when the
code changed (any file of the hgbench package), or on ``--force``; otherwise it is left as it is.

Standard library only: ``bench run`` decides here, before importing pandas or matplotlib, whether it renders.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import hgbench

from ..run.store import VERIFY_FILE, Store, write_json_atomic
from ..suites import Suite, suite, suite_names

STATE = ".report-inputs.json"
STATE_VERSION = 1  # the layout of STATE; another version reads as no state
ALL = "*"  # the state's entry for the cross-suite outputs
PAGE = "report.html"


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over every file of the installed hgbench package (sources, paper tables, templates)."""
    root = Path(hgbench.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def planned_suites(store: Store) -> list[Suite]:
    """Registered suites, in registration order, whose plan (or the plan of the suite they render) is stored."""
    present = set(store.plans())
    return [s for s in (suite(name) for name in suite_names())
            if not s.includes and (s.records_from or s.name) in present]


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def suite_inputs(store: Store, chosen: Suite, seen: dict[Path, str] | None = None) -> str:
    """sha256 of the code, then per plan the suite's outputs read (its own, its source's, its probes'): the
    plan's bytes and the bytes of every record it names. ``seen`` caches record digests across suites."""
    seen = {} if seen is None else seen
    digest = hashlib.sha256(code_version().encode())
    for source in sorted({chosen.name, chosen.records_from or chosen.name}
                         | {c.probe_suite for c in chosen.comparisons}):
        digest.update(f"\0plan {source} {_file_digest(store.root / 'plans' / f'{source}.json')}".encode())
        for entry in store.plan(source):
            path = store.record_path(entry["method"], entry["key"])
            if path not in seen:
                seen[path] = _file_digest(path)
            digest.update(seen[path].encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Freshness:
    """What :func:`check` found: the current inputs, the suites to render, whether the cross-suite outputs
    are rendered, the output paths of the suites left as they are, and of the cross-suite outputs."""

    inputs: dict[str, str]
    stale: frozenset[str]
    all_stale: bool
    kept: dict[str, dict[str, Path]]
    files: dict[str, Path]

    @property
    def up_to_date(self) -> bool:
        return not self.stale and not self.all_stale


def _outputs_intact(out: Path, outputs: dict[str, list[str]]) -> bool:
    return all(_file_digest(out / relative) == sha for relative, sha in outputs.values())


def _previous(out: Path) -> dict:
    try:
        state = json.loads((out / STATE).read_bytes())
    except (OSError, ValueError):  # never rendered here, or an unreadable state: everything is stale
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def check(store: Store, out: Path, html: bool = False, force: bool = False) -> Freshness:
    """Compare the store, the code and the outputs in ``out`` with the state of the last render."""
    out = Path(out)
    previous = _previous(out)
    seen: dict[Path, str] = {}
    inputs = {s.name: suite_inputs(store, s, seen) for s in planned_suites(store)}
    verified = _file_digest(out / VERIFY_FILE)  # bench verify's reruns, which provenance.md summarises
    inputs[ALL] = hashlib.sha256(json.dumps(sorted(inputs.items()) + [verified]).encode()).hexdigest()
    done = previous.get("suites", {})
    stale = frozenset(name for name in inputs if name != ALL and (
        force or name not in done or done[name]["inputs"] != inputs[name]
        or not _outputs_intact(out, done[name]["outputs"])))
    cross = previous.get(ALL)
    all_stale = (force or cross is None or cross["inputs"] != inputs[ALL] or not _outputs_intact(out, cross["outputs"])
                 or (html and PAGE not in cross["outputs"]))
    kept = {name: _paths(out, done[name]["outputs"]) for name in inputs if name != ALL and name not in stale}
    return Freshness(inputs, stale, all_stale, kept, {} if all_stale else _paths(out, cross["outputs"]))


def _paths(out: Path, outputs: dict[str, list[str]]) -> dict[str, Path]:
    return {key: out / relative for key, (relative, _) in outputs.items()}


def save(out: Path, found: Freshness, suites: dict[str, dict[str, Path]], files: dict[str, Path],
         page: Path | None = None) -> Path:
    """Write the state after a render: the inputs, and the sha256 of each suite's and the cross-suite outputs
    (``page``: report.html when this render wrote it)."""
    out = Path(out)

    def outputs(paths: dict[str, Path]) -> dict[str, list[str]]:
        return {key: [Path(os.path.relpath(path, out)).as_posix(), _file_digest(path)]
                for key, path in sorted(paths.items())}

    cross = dict(files) | ({PAGE: page} if page is not None else {})
    state = {"version": STATE_VERSION, "suites": {name: {"inputs": found.inputs[name], "outputs": outputs(paths)}
                        for name, paths in sorted(suites.items()) if name in found.inputs},
             ALL: {"inputs": found.inputs[ALL], "outputs": outputs(cross)}}
    write_json_atomic(out / STATE, state)
    return out / STATE

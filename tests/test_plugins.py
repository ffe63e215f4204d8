"""Plugins: a package adds methods, datasets and suites through entry points (hgbench.registry).

Each test installs a throwaway plugin by writing its module and a ``.dist-info`` (METADATA plus
entry_points.txt) into ``tmp_path`` and putting that on ``sys.path``, which is what ``pip install``
leaves behind, without pip. The ``fresh`` fixture gives every test registries that have not been
loaded yet and puts the real ones back afterwards, so no plugin outlives its test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest

from hgbench.baselines import BASELINES
from hgbench.benchmarks import cli
from hgbench.benchmarks.run.registry import METHODS, method_entry, method_names, register_method
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import suite, suite_names
from hgbench.benchmarks.suites.base import SUITES
from hgbench.datasets import catalog
from hgbench.methods.zen import ZEN
from hgbench.registry import PluginWarning, Registry

PLUGIN = "hgbench_prior_plugin"
PLUGIN_SOURCE = '''
import torch

from hgbench.benchmarks.run.registry import register_method
from hgbench.benchmarks.suites import Suite, register_suite
from hgbench.datasets.catalog import DatasetSpec, register
from hgbench.datasets.synthetic import SyntheticConfig, generate
from hgbench.methods.base import Fitted, Method


class ClassPrior(Method):
    """Scores every node with the class frequencies of the training nodes."""

    name = "prior"
    label = "Class prior"
    defaults = {"smoothing": 0.0}

    def fit(self, data, split, config, seed, prepared):
        smoothing = self.hyperparameters(config)["smoothing"]
        counts = torch.bincount(data.labels[split.train], minlength=data.num_classes).float() + smoothing
        scores = (counts / counts.sum()).expand(data.num_nodes, -1).clone()
        return Fitted(predict=lambda: scores)


class SmoothedPrior(ClassPrior):
    """Class frequencies with add-one smoothing."""

    name = "prior-smoothed"
    defaults = {"smoothing": 1.0}


def register_methods():
    register_method("prior-smoothed", SmoothedPrior, "Smoothed prior", SmoothedPrior.__doc__)


def register_datasets():
    config = SyntheticConfig(num_nodes=90, num_edges=60, num_features=8, num_classes=3, seed=5)
    register(DatasetSpec(name="prior-tiny", files=(), build=lambda paths: generate(config, "prior-tiny"),
                         description="a tiny synthetic hypergraph", synthetic=True))


def register_suites():
    register_suite(Suite(name="prior-demo", description="class priors beside ZEN", methods=("prior", "zen"),
                         datasets=("prior-tiny",), seeds=2))


def register_half():
    register_method("half-registered", ClassPrior, "Half")
    raise RuntimeError("the plugin's registration failed")
'''
ENTRY_POINTS = f"""
[hgbench.methods]
prior = {PLUGIN}:ClassPrior
prior-extras = {PLUGIN}:register_methods

[hgbench.datasets]
prior-data = {PLUGIN}:register_datasets

[hgbench.suites]
prior-suites = {PLUGIN}:register_suites
"""


@pytest.fixture
def fresh(monkeypatch) -> list[str]:
    """Registries as a new process has them: nothing loaded (methods empty, datasets and suites holding what
    importing their modules registers); restored after the test. Returns the built-in method names."""
    builtins = method_names()
    for registry in (METHODS, catalog.DATASETS, SUITES):
        registry.load()
        monkeypatch.setattr(registry, "_items", {} if registry is METHODS else dict(registry._items))
        monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(catalog, "_LOADED", dict(catalog._LOADED))
    yield builtins
    sys.modules.pop(PLUGIN, None)


def install(root, monkeypatch, distribution: str, entry_points: str, source: str | None = None) -> None:
    """What ``pip install`` leaves: the module (if any) and ``<name>-<version>.dist-info`` on ``sys.path``."""
    if source is not None:
        (root / f"{PLUGIN}.py").write_text(textwrap.dedent(source))
    info = root / f"{distribution}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    monkeypatch.syspath_prepend(str(root))  # also invalidates the import and metadata caches


def test_plugin_method_is_listed_beside_every_built_in(fresh, tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "hgbench_prior_plugin", ENTRY_POINTS, PLUGIN_SOURCE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        names = method_names()
    assert names[:len(fresh)] == fresh and names[len(fresh):] == ["prior", "prior-smoothed"]
    assert set(BASELINES) <= set(names)
    entry = method_entry("prior")  # a Method subclass: registered under the entry point's name
    assert entry.label == "Class prior" and entry.description.startswith("Scores every node")
    assert method_entry("prior-smoothed").label == "Smoothed prior"  # a registration function
    assert "prior-tiny" in catalog.names() and catalog.spec("prior-tiny").synthetic
    assert "prior-demo" in suite_names() and "demo" in suite_names()


def test_bench_run_runs_a_plugin_suite(fresh, tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "hgbench_prior_plugin", ENTRY_POINTS, PLUGIN_SOURCE)
    out = tmp_path / "out"
    assert cli.main(["run", "--suite", "prior-demo", "--out", str(out)]) == 0
    records = Store(out / "store").records("prior-demo")
    assert sorted((r["method"], r["seed"], r["status"]) for r in records) == [
        ("prior", 0, "ok"), ("prior", 1, "ok"), ("zen", 0, "ok"), ("zen", 1, "ok")]
    assert all(r["dataset"] == "prior-tiny" for r in records)
    assert "Class prior" in (out / "prior-demo" / "leaderboard.csv").read_text()


def test_a_broken_plugin_warns_and_the_built_ins_still_work(fresh, tmp_path, monkeypatch):
    install(tmp_path, monkeypatch, "hgbench_broken_plugin", textwrap.dedent(f"""
        [hgbench.methods]
        missing = hgbench_no_such_module:Method
        half = {PLUGIN}:register_half
        zen = {PLUGIN}:ClassPrior
        not-callable = {PLUGIN}:NOT_CALLABLE
        """), PLUGIN_SOURCE + "\nNOT_CALLABLE = 'x'\n")
    with pytest.warns(PluginWarning) as caught:
        names = method_names()
    messages = {str(w.message).split("'")[1]: str(w.message) for w in caught}
    assert sorted(messages) == ["half", "missing", "not-callable", "zen"]
    assert messages["missing"].startswith("hgbench plugin 'missing' (hgbench_no_such_module:Method, group "
                                          "hgbench.methods) skipped: ModuleNotFoundError")
    assert messages["half"].endswith("RuntimeError: the plugin's registration failed")
    assert messages["zen"].endswith("ValueError: method 'zen' registered twice")  # no overriding a built-in
    assert messages["not-callable"].endswith("TypeError: 'x' is not callable")
    assert names == fresh  # what a failing plugin registered ('half-registered') is undone
    assert method_entry("zen").label == "ZEN" and isinstance(method_entry("zen").factory(), ZEN)
    assert suite("demo").methods and catalog.spec("synthetic").synthetic


def test_registering_a_method_before_any_lookup_keeps_the_built_ins(fresh):
    """Regression: the built-ins used to be registered only while the registry was empty."""
    register_method("early", ZEN, "Early")
    names = method_names()
    assert set(names) == set(fresh) | {"early"}
    assert method_entry("zen").label == "ZEN" and method_entry("early").label == "Early"


def test_registry_loads_once_and_rejects_duplicates():
    calls = []
    registry: Registry[int] = Registry("widget", builtins=lambda: calls.append(registry.register("a", 1)))
    registry.register("b", 2)
    assert registry.names() == ["b", "a"] and registry.get("a") == 1 and "b" in registry
    assert registry.names() == ["b", "a"] and calls == [1]
    with pytest.raises(ValueError, match="widget 'a' registered twice"):
        registry.register("a", 3)
    with pytest.raises(KeyError, match="unknown widget 'c'; valid names: b, a"):
        registry.get("c")


def test_datasets_do_not_import_benchmarks():
    code = ("import sys; from hgbench.datasets import catalog; catalog.names(); "
            "print(sorted(m for m in sys.modules if m.startswith('hgbench.benchmarks')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""Every registered method's fixed hyperparameters (``Method.settings()``) and the job keys they enter.

A job's key hashes ``params`` = settings overlaid by the grid point (``benchmarks/run/plan.py``), so a
changed settings dict silently orphans every stored record of that method. ``data/method_settings.json``
was written with the code that produced the committed store (``results/store``), when settings were
still found by reflection (every public bool/int/float/str attribute of the class MRO and of the
instance, minus name, label, description, search_space, architecture and paper_label): ``settings``
maps each method to its settings then, ``keys`` to the key of its first planned job (cora, 5-shot,
seed 0, first point of the full grid). Never regenerate it to make a test pass: a difference means
the key of every stored record of that method changed.
"""

import json
from pathlib import Path

import pytest

from hgbench.benchmarks.run.plan import Job, plan, sorted_items
from hgbench.benchmarks.run.registry import method_entry, method_names
from hgbench.benchmarks.run.store import plan_entries

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "method_settings.json").read_text())
STORE = Path(__file__).resolve().parents[1] / "results" / "store"


def test_the_snapshot_covers_every_registered_method():
    assert sorted(SNAPSHOT["settings"]) == sorted(SNAPSHOT["keys"]) == sorted(method_names())


@pytest.mark.parametrize("name", sorted(SNAPSHOT["settings"]))
def test_settings_are_those_the_store_was_written_with(name):
    settings = method_entry(name).factory().settings()
    assert settings == SNAPSHOT["settings"][name]
    # same types too (True == 1 and 1 == 1.0 would hide a changed key: json.dumps tells them apart)
    assert json.dumps(settings, sort_keys=True) == json.dumps(SNAPSHOT["settings"][name], sort_keys=True)


@pytest.mark.parametrize("name", sorted(SNAPSHOT["keys"]))
def test_planned_keys_are_those_the_store_was_written_with(name):
    jobs, _ = plan("snapshot", [name], ["cora"], "5-shot", 1)
    assert jobs[0].key == SNAPSHOT["keys"][name]


@pytest.mark.skipif(not (STORE / "plans").is_dir(), reason="no committed store in this checkout")
def test_every_committed_plan_entry_keeps_its_key():
    settings = {}
    entries = [entry for path in sorted((STORE / "plans").glob("*.json"))
               for entry in plan_entries(json.loads(path.read_text()))]
    assert entries
    changed = []
    for entry in entries:
        method = entry["method"]
        if method not in settings:
            settings[method] = method_entry(method).factory().settings()
        job = Job(method, sorted_items({**settings[method], **entry["config"]}), entry["dataset"], entry["protocol"],
                  entry["seed"], eval_dataset=entry["eval_dataset"])
        if job.key != entry["key"]:
            changed.append((method, entry["key"], job.key))
    assert not changed, f"{len(changed)} of {len(entries)} planned keys changed, e.g. {changed[:3]}"


def test_only_declared_defaults_are_settings(monkeypatch):
    """A public scalar class attribute is not a hyperparameter unless ``defaults`` declares it."""
    method = method_entry("hgnn").factory
    before = method().settings()
    monkeypatch.setattr(method, "verbose", True, raising=False)
    monkeypatch.setattr(method, "chunk_size", 1024, raising=False)
    assert method().settings() == before
    assert plan("snapshot", ["hgnn"], ["cora"], "5-shot", 1)[0][0].key == SNAPSHOT["keys"]["hgnn"]


def test_defaults_merge_along_the_class_hierarchy_and_variants_override_them():
    from hgbench.baselines.hgnn import HCHA, HGNN
    from hgbench.methods.zen import ZEN

    assert HCHA.defaults == {**HGNN.defaults, "symmetric": False}  # HCHA declares only what it changes
    assert HGNN.defaults["symmetric"] is True  # a subclass never edits its base's mapping
    variant = ZEN(variant="no-rap")
    assert variant.settings()["variant"] == "no-rap" and ZEN.defaults["variant"] == "full"
    assert HGNN(dropout=0.1).hyperparameters({"hidden": 8}) == {**HGNN.defaults, "dropout": 0.1, "hidden": 8}
    with pytest.raises(TypeError, match="declares no default 'dropuot'"):
        HGNN(dropuot=0.1)

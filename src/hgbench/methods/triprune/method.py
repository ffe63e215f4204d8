"""TriPrune-HGNN as a registered method, its variants, and what it stores for reports and later runs.

``TriPrune()`` is the full model (SPEC §2); ``TriPrune(**overrides)`` a variant (SPEC §3), every
override a declared default (:mod:`.settings`), so a variant's jobs differ from the full model's
exactly in what it changes. Two variants read earlier runs through the runner's store
(:func:`~hgbench.methods.base.stored_runs`), never retraining them:

* a fixed threshold schedule with ``threshold_end="full"`` ends at the mean, over the full model's
  runs with seeds ``0..threshold_end_seeds-1`` on the same dataset and split protocol, of its
  checkpoint thresholds ([OD-20]);
* ``transfer_from="paper-pairs"`` (Table 7) freezes the modules and lambda of the full model trained
  with the same seed on the source dataset of the paper's pair (:data:`PAPER_PAIRS`, [OD-24]).

The run record's ``diagnostics`` hold the checkpoint thresholds, lambda, retention, seconds per
epoch and the meta-steps' share; artifacts: ``trace`` (SPEC §4.2 per epoch), ``temperatures``,
``meta_steps``, ``mined_pairs`` and, for the full model, ``modules.pt`` (the transferable modules). With
``profile_parts`` the runner also times Table 8's parts of the trained model.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ...datasets.base import NodeDataset
from ...datasets.splits import Split
from ..base import Fitted, Method, MissingDependency, stored_runs
from .controllers import LEVELS
from .backbone import Incidence
from .contrastive import context_embeddings
from .model import Draw
from .pruning import Statics, deploy
from .settings import DEFAULTS, Settings
from .structure import components
from .training import Trainer, TriPruneRun, draw_anchors
from .transfer import apply_frozen, transferable_state

# Table 7's five source -> target pairs, as target: source
PAPER_PAIRS = {"dblp": "imdb", "yelp": "dblp", "amazon": "yelp", "douban": "amazon", "imdb": "douban"}
BASE_METHOD = "triprune"
# the switches a run that reads the full model's runs undoes to name them (Table 4's replacements, transfer)
LEARNED_PARTS = ("threshold", "threshold_end", "mining", "meta", "temperature", "transfer_from")


class TriPrune(Method):
    """TriPrune-HGNN (adaptive hierarchical pruning, contrastive mining, meta-learned loss weights)."""

    name = BASE_METHOD
    label = "TriPrune-HGNN"
    description = "TriPrune-HGNN (paper 000): learned thresholds, attention mining, meta-learned loss weights"
    defaults = {**DEFAULTS, "profile_inference": True, "profile_parts": False, "threshold_end_seeds": 10,
                "transfer_from": None, "meta_probe": False}

    def __init__(self, *, keeps_modules: bool = True, **overrides: Any) -> None:
        """``keeps_modules``: store the transferable modules as ``modules.pt``. Only the full model's are
        read (by transfer runs), so the registry turns it off for the variants; it is not a parameter of
        the run (no key changes)."""
        super().__init__(**overrides)
        self.keeps_modules = keeps_modules

    def configurations(self, budget: str = "full") -> dict[str, list]:
        """No search (the paper gives one configuration); ``smoke``: 20 epochs, patience 5, and fixed
        schedules ending at the mean of the full model's first 2 seeds (a smoke run plans 2 seeds or more)."""
        super().configurations(budget)
        return {"epochs": [20], "patience": [5], "threshold_end_seeds": [2]} if budget == "smoke" else {}

    def prepare(self, data: NodeDataset, config: dict) -> Statics:
        return Statics(components(data.hypergraph), data.features.float())

    def _base(self, config: dict) -> dict[str, Any]:
        """The full model's params at this run's settings: Table 4's learned parts restored, no transfer."""
        return {**config, **{key: TriPrune.defaults[key] for key in LEARNED_PARTS}}

    def _end_points(self, config: dict, data: NodeDataset, split: Split) -> list[float]:
        base, seeds = self._base(config), int(config["threshold_end_seeds"])
        thresholds = []
        for seed in range(seeds):
            record = stored_runs().record(BASE_METHOD, base, data.name, split.protocol, seed)
            if record is None:
                raise MissingDependency(f"threshold_end='full' needs the full model's run with seed {seed} on "
                                        f"{data.name} ({split.protocol}); run it first (suite order)")
            thresholds.append(record["diagnostics"]["final_thresholds"])
        return [sum(t[level] for t in thresholds) / seeds for level in LEVELS]

    def _frozen(self, config: dict, data: NodeDataset, split: Split, seed: int) -> dict[str, Any]:
        source = PAPER_PAIRS.get(data.name) if config["transfer_from"] == "paper-pairs" else config["transfer_from"]
        if source is None:
            raise ValueError(f"transfer_from={config['transfer_from']!r}: no source dataset for {data.name}")
        modules = stored_runs().modules(BASE_METHOD, self._base(config), source, split.protocol, seed)
        if modules is None:
            raise MissingDependency(f"transfer from {source} needs the full model's run with seed {seed} on "
                                    f"{source} ({split.protocol}) and its modules.pt; run it first")
        return {"source": source, "lambda": modules.pop("lambda"), "apply": lambda model: apply_frozen(model, modules)}

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        statics = prepared if prepared is not None else self.prepare(data, config)
        resolved = {}
        if config["threshold"] != "learned" and config["threshold_end"] == "full":
            resolved["threshold_end"] = self._end_points(config, data, split)
        run_config = {**config, **resolved}
        Settings.parse(run_config)  # a bad switch fails here, before any training
        frozen = self._frozen(config, data, split, seed) if config["transfer_from"] else None
        run = Trainer(data, split, run_config, seed, statics, frozen).run()
        run.diagnostics.update(resolved_threshold_end=resolved.get("threshold_end"),
                               transfer_source=frozen["source"] if frozen else None)
        return _fitted(run, config, seed, self.keeps_modules)


def _fitted(run: TriPruneRun, config: dict, seed: int, keeps_modules: bool) -> Fitted:
    model = run.model

    def predict() -> Tensor:
        with torch.no_grad():
            return model.deployed_logits(run.deployed).float()

    profiles = {"adaptive_mlps": _adaptive_mlps(run)}
    if config["profile_parts"]:
        profiles.update(_table8_parts(run, seed))
    modules = ({**transferable_state(model), "lambda": torch.tensor(list(run.diagnostics["final_lambda"].values()))}
               if keeps_modules else None)
    return Fitted(predict, run.diagnostics, trace=run.trace, state=model.state_dict(), tables=run.tables,
                  modules=modules, profiles=profiles)


def _adaptive_mlps(run: TriPruneRun) -> Any:
    """Table 6's latency unit (SPEC §4.1): the three controllers on their state vectors, MLP_beta over the K
    components and MLP_tau over 512 nodes (the modules whose depth and width Table 6 varies)."""
    model = run.model
    states = run.states or {level: torch.zeros(6) for level in LEVELS}
    k = len(model.statics.components)
    beta_inputs, tau_inputs = torch.rand(k, 3), torch.rand(512, 3)

    def forward() -> Any:
        thetas = [model.controllers[level](states[level]) for level in LEVELS] if model.controllers else []
        taus = model.temperature.mlp(tau_inputs) if model.temperature.mlp is not None else None
        return thetas, model.scorer.beta(beta_inputs), taus

    return forward


def _table8_parts(run: TriPruneRun, seed: int) -> dict[str, Any]:
    """SPEC §4.1 Table 8 rows as callables: message passing on the deployed graph, the unpruned backbone
    (the speed-up's reference), controllers -> scores -> gates -> compaction, and one forward of the two
    mining attentions over one anchor batch's candidates."""
    model = run.model
    statics = model.statics
    fixed = {level: torch.tensor(value) for level, value in run.diagnostics["final_thresholds"].items()}
    states = run.states
    unpruned = [None if c.nnz == 0 else Incidence(c) for c in statics.components]
    generator = torch.Generator().manual_seed(seed)
    draw = Draw(statics.features.new_zeros(0).long(), draw_anchors(statics.features.shape[0], 512, generator),
                generator)
    with torch.no_grad():
        pruning = model.prune(fixed)
        z = model.backbone(statics.inputs, pruning.incidences)[0]
        batches = []
        for k in pruning.retained:
            incidence = pruning.incidences[k]
            context, _ = context_embeddings(incidence.component, incidence.weight, z)
            batches.append((k, context, model.mining.samples(k, pruning.components[k], pruning.keep[k], z, draw)))

    def controllers() -> Any:
        thetas = model.thresholds(states) if states is not None else fixed
        return deploy(model.prune(thetas))

    def mining() -> Any:
        return [(model.mining.false_negative_selection(k, z, samples.candidates),
                 model.mining.hard_selection(z, context, samples.hard)) for k, context, samples in batches]

    return {"message_passing": lambda: model.deployed_logits(run.deployed),
            "unpruned_message_passing": lambda: model.deployed_logits(unpruned),
            "controllers": controllers, "mining": mining}

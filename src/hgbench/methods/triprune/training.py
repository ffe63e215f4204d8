"""TriPrune-HGNN's own training loop (SPEC §2.15, Alg. 1) with its meta-steps (§2.14) and logs (§4.2).

Per epoch: the state vectors (§2.1) and the retention weights (§2.8) from the epoch's first gates;
``ceil(n_train/512)`` steps, each a full-graph forward, the losses on a CE batch and an anchor batch,
a backward, the pre-clip gradient norm, clipping at 10 and an Adam step; every ``meta_every``
epochs a meta-step on lambda; then deployment-mode validation (binarised gates, compacted graph)
and early stopping on its cross-entropy with patience 20 ([OD-22]). The checkpoint keeps the
parameters, the thresholds, lambda and the deployed masks. Test labels are never read.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call

from ...datasets.base import NodeDataset, Task
from ...datasets.splits import Split
from ..base import check_deadline
from ..protocol import Selector, check_finite, seeded
from .backbone import Incidence
from .contrastive import context_embeddings
from .controllers import LEVELS, StateTracker, scheduled_threshold
from .gates import node_scores
from .meta import exact_meta_gradient, fd_meta_gradient, meta_update
from .model import Draw, StepOutput, TriPruneModel
from .neighbours import mean_similarity
from .pruning import Pruning, Statics, deploy
from .settings import Settings

TEMPERATURE_EPOCHS = (1, 50, 100, 150)  # Fig. 3's snapshots, plus the checkpoint
TOP_PAIRS = 50  # Fig. 4
PROBE_EPOCH, PROBE_BATCHES, PROBE_BATCH_SIZE, PROBE_DELTAS = 100, 10, 512, (1e-6, 1e-5, 1e-4)  # Table 10


@dataclass
class TriPruneRun:
    model: TriPruneModel
    deployed: list[Incidence | None]
    diagnostics: dict[str, Any]
    trace: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    states: dict[str, Tensor] | None = None  # the checkpoint epoch's state vectors (None under a fixed schedule)


def validation_metrics(logits: Tensor, labels: Tensor) -> dict[str, float]:
    """Cross-entropy, and MAE/RMSE/ACC of the arg-max class (SPEC §1.3, on class indices)."""
    predicted = logits.argmax(-1)
    error = (predicted - labels).double()
    return {"val_ce": float(F.cross_entropy(logits, labels)), "val_mae": float(error.abs().mean()),
            "val_rmse": float(error.pow(2).mean().sqrt()), "val_acc": float((predicted == labels).double().mean())}


def draw_anchors(num_nodes: int, size: int, generator: torch.Generator) -> Tensor:
    """An anchor batch: ``size`` distinct master nodes drawn uniformly (SPEC §2.11, transductive over V_m)."""
    return torch.randperm(num_nodes, generator=generator)[:size]


def spearman(a: Tensor, b: Tensor) -> float:
    """Spearman rank correlation (average ranks for ties); NaN when either side is constant."""
    def ranks(x: Tensor) -> Tensor:
        values, inverse, counts = torch.unique(x.double(), return_inverse=True, return_counts=True)
        ends = torch.cumsum(counts, 0).double()
        return ((ends - (counts.double() - 1) / 2))[inverse]
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = float(ra.norm() * rb.norm())
    return float((ra * rb).sum()) / denominator if denominator > 0 else math.nan


class Trainer:
    """One TriPrune run on one split (the loop above); :meth:`run` returns a :class:`TriPruneRun`."""

    def __init__(self, data: NodeDataset, split: Split, config: dict, seed: int, statics: Statics,
                 frozen: dict[str, Any] | None = None) -> None:
        self.data, self.split, self.config, self.seed = data, split, config, seed
        self.settings = Settings.parse(config)
        self.statics = statics
        self.terms = self.settings.loss_terms
        self.frozen = frozen  # transfer (Table 7): modules and lambda copied from a source run, see transfer.py
        self.epochs = int(config["epochs"])

    # ------------------------------------------------------------------ thresholds
    def _fixed(self, epoch: int) -> dict[str, float] | None:
        if self.settings.threshold == "learned":
            return None
        return {level: scheduled_threshold(self.settings.threshold, epoch, self.epochs, end)
                for level, end in zip(LEVELS, self.settings.threshold_end)}

    def _states(self, model: TriPruneModel, tracker: StateTracker, previous: Pruning | None,
                epoch: int) -> dict[str, Tensor]:
        """Eq. 8 at the start of ``epoch``: scores from the current weights, node scores on the graph
        edge-pruned by the previous epoch's gates (all hyperedges at t = 1)."""
        with torch.no_grad():
            comp_score, _ = model.scorer(model.backbone.final_weight_norms(), model.activations(),
                                         self.statics.variance, model.attention_mean)
            edge = torch.cat(self.statics.edge_scores)
            nodes = []
            for k, component in enumerate(self.statics.components):
                if previous is not None and previous.edge_gates[k] is not None:
                    keep = previous.edge_gates[k] > 0.5
                else:
                    keep = torch.ones(component.num_edges, dtype=torch.bool)
                num, den = self.statics.similarity(k, keep)
                nodes.append(node_scores(mean_similarity(num, den), self.statics.feature_norm,
                                         component.members)[component.members])
        scores = {"comp": comp_score, "edge": edge, "node": torch.cat(nodes)}
        return {level: tracker.state(level, scores[level], epoch) for level in LEVELS}

    # ------------------------------------------------------------------ the loop
    def run(self) -> TriPruneRun:
        config, split, labels = self.config, self.split, self.data.labels
        with seeded(self.seed):
            model = TriPruneModel(self.statics, self.data.num_classes, config, self.settings)
            if self.frozen is not None:
                self.frozen["apply"](model)
            trainable = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.Adam(trainable, lr=float(config["lr"]), weight_decay=float(config["weight_decay"]))
            generator = torch.Generator().manual_seed(self.seed)
            lam = self._initial_lambda()
            tracker = StateTracker(self.epochs)
            selector = Selector("first")
            checkpoint: dict[str, Any] = {}
            trace, temperatures, meta_rows, probe = [], [], [], []
            previous: Pruning | None = None
            meta_seconds, started = 0.0, time.perf_counter()
            for epoch in range(1, self.epochs + 1):
                check_deadline()
                epoch_start = time.perf_counter()
                states = self._states(model, tracker, previous, epoch) if self.settings.threshold == "learned" else None
                fixed = self._fixed(epoch)
                row = self._train_epoch(model, optimizer, trainable, generator, lam, tracker, states, fixed, epoch)
                if self._meta_due(epoch):
                    meta_start = time.perf_counter()
                    lam, meta_row = self._meta_step(model, model.thresholds(states, fixed), lam, epoch)
                    meta_seconds += time.perf_counter() - meta_start
                    meta_rows.append(meta_row)
                    row.update({"meta_grad_norm": meta_row["grad_norm"], "meta_val_ce": meta_row["val_ce"]})
                thetas, pruning, deployed, tau, degree = self._deploy(model, states, fixed)
                retention = pruning.retention(self.statics)
                with torch.no_grad():
                    metrics = validation_metrics(model.deployed_logits(deployed)[split.val], labels[split.val])
                row.update(self._epoch_columns(model, thetas, lam, pruning, retention, metrics, tau, degree))
                row["epoch_seconds"] = time.perf_counter() - epoch_start
                trace.append(row)
                if epoch in TEMPERATURE_EPOCHS:
                    temperatures.extend(self._temperature_rows(str(epoch), degree, tau))
                tracker.end_epoch(row["train_loss"], row["grad_norm"],
                                  {level: retention[f"r_{level}"] for level in LEVELS})
                previous = pruning
                if selector.update(-metrics["val_ce"], metrics["val_ce"], epoch, model):
                    checkpoint = {"thetas": {k: float(v) for k, v in thetas.items()}, "lambda": lam.clone(),
                                  "states": states, "deployed": deployed, "tau": tau, "degree": degree,
                                  "retention": retention}
                stopping = epoch - selector.epoch >= int(config["patience"]) or epoch == self.epochs
                if config.get("meta_probe") and not probe and (epoch == PROBE_EPOCH or stopping):
                    probe = self._meta_probe(model, thetas, lam, epoch)
                if stopping:
                    break
            seconds = time.perf_counter() - started
        model.load_state_dict(selector.state)
        model.eval()
        temperatures.extend(self._temperature_rows("checkpoint", checkpoint["degree"], checkpoint["tau"]))
        tables = {"temperatures": temperatures, "meta_steps": meta_rows,
                  "mined_pairs": self._top_pairs(model, checkpoint, labels), "meta_gradient_probe": probe}
        diagnostics = {
            "protocol": "triprune-own", "selected_epoch": selector.epoch, "epochs_trained": epoch,
            "stopped_early": epoch < self.epochs, "val_metric": "val_ce", "val_selected": selector.metric,
            "steps_per_epoch": -(-split.train.numel() // int(config["batch_size"])),
            "final_thresholds": checkpoint["thetas"],
            "final_lambda": {term: float(checkpoint["lambda"][i]) for i, term in enumerate(self.terms)},
            "retention": checkpoint["retention"], "train_seconds": seconds,
            "seconds_per_epoch": seconds / epoch, "meta_seconds": meta_seconds,
            "meta_share": meta_seconds / seconds if seconds else 0.0,
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "deployed_parameters": sum(p.numel() for p in model.backbone.parameters()),
            "adaptive_parameters": sum(p.numel() for part in (model.controllers, model.scorer, model.temperature)
                                       if part is not None for p in part.parameters()),
        }
        return TriPruneRun(model, checkpoint["deployed"], diagnostics, trace, tables, checkpoint["states"])

    def _train_epoch(self, model: TriPruneModel, optimizer: torch.optim.Optimizer, trainable: list[Tensor],
                     generator: torch.Generator, lam: Tensor, tracker: StateTracker, states: dict[str, Tensor] | None,
                     fixed: dict[str, float] | None, epoch: int) -> dict[str, Any]:
        """§2.0 over one pass of the training nodes; the epoch's mean losses, gradient norm and mining statistics."""
        config, labels, batch_size = self.config, self.data.labels, int(self.config["batch_size"])
        with torch.no_grad():
            first = model.prune(model.thresholds(states, fixed))
        # pi^retain from the epoch's first gates (1 for every component when nothing is pruned, T5 "w/o All")
        model.retain_weights = first.retain_weights(self.statics, float(config["alpha_retain"]))
        model.train()
        sums: dict[str, float] = {}
        grad_norms, mining_stats = [], []
        clip = float(config["grad_clip"] or math.inf)
        order = self.split.train[torch.randperm(self.split.train.numel(), generator=generator)]
        for batch in order.split(batch_size):
            draw = Draw(batch, draw_anchors(self.data.num_nodes, batch_size, generator), generator)
            optimizer.zero_grad(set_to_none=True)
            out = model(model.thresholds(states, fixed), draw, labels)
            total = sum(lam[i] * out.losses[term] for i, term in enumerate(self.terms))
            total = total + self._budget(out.pruning, epoch)
            check_finite(total, epoch)
            total.backward()
            grad_norms.append(float(torch.nn.utils.clip_grad_norm_(trainable, clip)))
            optimizer.step()
            model.attention_mean.copy_(out.attention)
            for term, value in out.losses.items():
                sums[f"loss_{term}"] = sums.get(f"loss_{term}", 0.0) + float(value.detach())
            sums["train_loss"] = sums.get("train_loss", 0.0) + float(total.detach())
            mining_stats.append(out.mining)
        steps = len(grad_norms)
        row: dict[str, Any] = {"phase": "train", "epoch": epoch, **{k: v / steps for k, v in sums.items()},
                               "grad_norm": sum(grad_norms) / steps, "state_trend": tracker.trend(),
                               "state_grad_norm": tracker.grad_norm}
        for key in {key for stats in mining_stats for key in stats}:
            values = [stats[key] for stats in mining_stats if key in stats and not math.isnan(stats[key])]
            row[key] = sum(values) / len(values) if values else math.nan
        return row

    def _deploy(self, model: TriPruneModel, states: dict[str, Tensor] | None, fixed: dict[str, float] | None):
        """§2.16 with the current parameters and thresholds: the gates, the compacted graph, the temperatures."""
        model.eval()
        with torch.no_grad():
            thetas = model.thresholds(states, fixed)
            pruning = model.prune(thetas)
            return thetas, pruning, deploy(pruning), model.taus(pruning), pruning.degree()

    def _epoch_columns(self, model: TriPruneModel, thetas: dict[str, Tensor], lam: Tensor, pruning: Pruning,
                       retention: dict[str, float], metrics: dict[str, float], tau: Tensor,
                       degree: Tensor) -> dict[str, Any]:
        """SPEC §4.2's per-epoch quantities (the training losses come from :meth:`_train_epoch`)."""
        return {
            **{f"theta_{level}": float(thetas[level]) for level in LEVELS},
            **{f"lambda_{term}": float(lam[i]) for i, term in enumerate(self.terms)},
            **retention, **metrics, **self._component_columns(model, pruning),
            "band_fraction": pruning.band_fraction, "tau_mean": float(tau.mean()),
            "tau_std": float(tau.std(unbiased=False)), "tau_min": float(tau.min()), "tau_max": float(tau.max()),
            "tau_degree_spearman": spearman(tau, degree),
            "val_metric": metrics["val_mae"] if self.data.task is Task.ORDINAL else metrics["val_acc"],
        }

    # ------------------------------------------------------------------ pieces
    def _initial_lambda(self) -> Tensor:
        """lambda^(0): uniform over the active terms (0.25 each for the full model, [OD-27]); a transfer
        run starts from (and keeps) the source's final lambda."""
        if self.frozen is not None:
            return self.frozen["lambda"].clone()
        return torch.full((len(self.terms),), 1.0 / len(self.terms), dtype=torch.float64)

    def _meta_due(self, epoch: int) -> bool:
        return (self.settings.meta != "off" and self.frozen is None and len(self.terms) > 1
                and epoch % int(self.config["meta_every"]) == 0)

    def _budget(self, pruning: Pruning, epoch: int) -> Tensor | float:
        """[OD-8] opt-in ``budget_reg``: ``w_t (r^ - r*)^2`` on the soft retention, ``w_t`` decaying
        linearly from ``budget_reg`` to 0 over the first half of training."""
        weight = float(self.config["budget_reg"]) * max(0.0, 1 - 2 * epoch / self.epochs)
        if weight == 0:
            return 0.0
        gates = [g for g in pruning.edge_gates if g is not None]
        nodes = [g[c.members] for g, c in zip(pruning.node_gates, self.statics.components) if g is not None]
        soft = (pruning.component_gate.mean() * torch.cat(gates).mean() * torch.cat(nodes).mean() ** 2)
        return weight * (soft - float(self.config["budget_target"])) ** 2

    def _component_columns(self, model: TriPruneModel, pruning: Pruning) -> dict[str, float]:
        columns = {}
        for k, component in enumerate(self.statics.components):
            name = component.name
            columns[f"gate_{name}"] = float(pruning.component_gate[k].detach() > 0.5)
            columns[f"beta_{name}"] = float(pruning.beta[k])
            columns[f"s_att_{name}"] = float(model.attention_mean[k])
            columns[f"retain_{name}"] = float(model.retain_weights[k])
        return columns

    @staticmethod
    def _temperature_rows(at: str, degree: Tensor, tau: Tensor) -> list[dict[str, Any]]:
        return [{"at": at, "node": i, "degree": float(d), "tau": float(t)}
                for i, (d, t) in enumerate(zip(degree.tolist(), tau.tolist()))]

    def _top_pairs(self, model: TriPruneModel, checkpoint: dict, labels: Tensor) -> list[dict[str, Any]]:
        """Fig. 4: the top false-negative candidates by alpha_fn at the checkpoint, over one anchor batch."""
        if "fn" not in self.settings.losses or self.settings.mining != "attention":
            return []
        generator = torch.Generator().manual_seed(self.seed + 1)
        draw = Draw(self.split.train[:1], draw_anchors(self.data.num_nodes, int(self.config["batch_size"]), generator),
                    generator)
        rows = []
        with torch.no_grad():
            thetas = {level: torch.tensor(value) for level, value in checkpoint["thetas"].items()}
            pruning = model.prune(thetas)
            z = model.backbone(self.statics.inputs, pruning.incidences)[0]
            for k in pruning.retained:
                incidence = pruning.incidences[k]
                context, _ = context_embeddings(incidence.component, incidence.weight, z)
                samples = model.mining.samples(k, pruning.components[k], pruning.keep[k], z, draw)
                rows += model.mining.top_pairs(k, z, context, samples)
        rows.sort(key=lambda row: -row["alpha_fn"])
        return [{**row, "component": self.statics.components[row["component"]].name} for row in rows[:TOP_PAIRS]]

    def _meta_setup(self, model: TriPruneModel, thetas: dict[str, Tensor], dtype: torch.dtype, seed: int,
                    val: Tensor) -> tuple[Any, dict[str, Tensor], list[dict[str, Tensor]]]:
        """§2.14 steps 1-2 in ``dtype``: one fixed draw (dropout off, all training nodes for L_cls, one anchor
        batch and its mining samples), the per-loss gradients G_j at Theta, and L_val over ``val``."""
        clone = copy.deepcopy(model, memo={id(model.statics): model.statics})
        clone.statics = model.statics.as_dtype(dtype)
        clone.to(dtype).eval()
        params = {name: p.detach().clone().requires_grad_(True) for name, p in clone.named_parameters()}
        fixed_thetas = {level: value.detach().to(dtype) for level, value in thetas.items()}
        generator = torch.Generator().manual_seed(seed)
        draw = Draw(self.split.train, draw_anchors(self.data.num_nodes, int(self.config["batch_size"]), generator),
                    generator)
        labels = self.data.labels
        out: StepOutput = functional_call(clone, params, (fixed_thetas, draw, labels))
        names = list(params)
        grads = []
        for term in self.terms:
            g = torch.autograd.grad(out.losses[term], [params[n] for n in names], retain_graph=True, allow_unused=True)
            grads.append({n: (torch.zeros_like(params[n]) if gi is None else gi.detach()) for n, gi in zip(names, g)})

        def val_loss(p: dict[str, Tensor]) -> Tensor:
            logits = functional_call(clone, p, (fixed_thetas, draw, labels), {"logits_only": True}).logits
            return F.cross_entropy(logits[val], labels[val])

        return val_loss, {n: p.detach() for n, p in params.items()}, grads

    def _meta_step(self, model: TriPruneModel, thetas: dict[str, Tensor], lam: Tensor,
                   epoch: int) -> tuple[Tensor, dict[str, Any]]:
        """§2.14: one fixed draw, per-loss gradients, the meta-gradient (FD or exact), a projected step."""
        dtype = torch.float64 if self.config["meta_dtype"] == "float64" else torch.float32
        val_loss, base, grads = self._meta_setup(model, thetas, dtype, self.seed * 1000 + epoch, self.split.val)
        lam_d, eta = lam.to(dtype), float(self.config["eta_inner"])
        if self.settings.meta == "fd":
            g = fd_meta_gradient(val_loss, base, grads, lam_d, eta, float(self.config["meta_delta"]))
        else:
            g = exact_meta_gradient(val_loss, base, grads, lam_d, eta)
        with torch.no_grad():
            current = float(val_loss(base))
        new = meta_update(lam.double(), g.double(), float(self.config["eta_meta"]))
        row = {"epoch": epoch, "val_ce": current, "grad_norm": float(g.norm()),
               **{f"g_{term}": float(g[i]) for i, term in enumerate(self.terms)},
               **{f"lambda_before_{term}": float(lam[i]) for i, term in enumerate(self.terms)},
               **{f"lambda_after_{term}": float(new[i]) for i, term in enumerate(self.terms)}}
        return new, row

    def _meta_probe(self, model: TriPruneModel, thetas: dict[str, Tensor], lam: Tensor,
                    epoch: int) -> list[dict[str, Any]]:
        """Table 10 (a) and (b) at fixed Theta: the relative error of FD (delta 1e-6, 1e-5, 1e-4) against the
        exact meta-gradient over 10 validation batches of 512 nodes, in float32 and float64, and the seconds
        of each evaluation (SPEC §3 T10, [OD-13])."""
        rows = []
        generator = torch.Generator().manual_seed(self.seed + 7)
        eta = float(self.config["eta_inner"])
        for batch in range(PROBE_BATCHES):
            val = self.split.val[torch.randperm(self.split.val.numel(), generator=generator)[:PROBE_BATCH_SIZE]]
            for dtype in (torch.float32, torch.float64):
                val_loss, base, grads = self._meta_setup(model, thetas, dtype, self.seed * 1000 + batch, val)
                lam_d = lam.to(dtype)
                start = time.perf_counter()
                exact = exact_meta_gradient(val_loss, base, grads, lam_d, eta)
                exact_seconds = time.perf_counter() - start
                common = {"epoch": epoch, "batch": batch, "dtype": str(dtype).removeprefix("torch."),
                          "exact_norm": float(exact.norm())}
                rows.append({**common, "route": "exact", "delta": math.nan, "rel_error": 0.0,
                             "seconds": exact_seconds})
                for delta in PROBE_DELTAS:
                    start = time.perf_counter()
                    fd = fd_meta_gradient(val_loss, base, grads, lam_d, eta, delta)
                    seconds = time.perf_counter() - start
                    error = float((fd - exact).norm() / exact.norm()) if float(exact.norm()) > 0 else math.nan
                    rows.append({**common, "route": "fd", "delta": delta, "rel_error": error, "seconds": seconds})
        return rows

"""TriPrune-HGNN as one module (SPEC §2.0): thresholds -> gates -> backbone -> temperatures -> losses.

``forward`` runs one step's computation for given thresholds and a :class:`Draw` (the step's CE
batch, anchor batch and mining samples) and returns the four unweighted losses of Eq. 30 with what
the trace logs. Everything trainable is a parameter of this module, so the meta-step can evaluate
it at other parameters with ``torch.func.functional_call`` (§2.14). Mining and contrastive pieces
live in :mod:`.contrastive` and :mod:`.mining`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .backbone import Backbone, Incidence
from .contrastive import context_embeddings, contrastive_loss
from .controllers import LEVELS, ThresholdController
from .gates import ComponentScorer, soft_gate
from .mining import mining_statistics
from .negatives import MiningStep
from .pruning import Pruning, Statics, prune
from .settings import Settings
from .temperature import Temperature


@dataclass(eq=False)
class Draw:
    """The randomness of one step: labelled CE nodes, anchors, and the mining samples (filled on first use,
    then reused, as the meta-step needs, §2.14 step 1)."""

    ce_batch: Tensor
    anchors: Tensor
    generator: torch.Generator
    mining: dict[int, Any] = field(default_factory=dict)


@dataclass(eq=False)
class StepOutput:
    pruning: Pruning
    embeddings: Tensor
    logits: Tensor
    attention: Tensor  # S_att of this forward, detached
    losses: dict[str, Tensor]
    tau: Tensor | None = None
    mining: dict[str, float] = field(default_factory=dict)  # mining statistics (SPEC §4.2)


class TriPruneModel(nn.Module):
    def __init__(self, statics: Statics, num_classes: int, config: dict, settings: Settings) -> None:
        super().__init__()
        self.statics, self.settings, self.config = statics, settings, config
        num_components = len(statics.components)
        width, depth = int(config["controller_width"]), int(config["controller_depth"])
        hidden = int(config["hidden"])
        self.backbone = Backbone(statics.features.shape[1], hidden, num_classes, num_components,
                                 int(config["layers"]), float(config["dropout"]))
        self.scorer = ComponentScorer(width, depth)
        self.controllers = nn.ModuleDict({level: ThresholdController(width, depth) for level in LEVELS}) \
            if settings.threshold == "learned" else None
        self.temperature = Temperature(settings.temperature == "adaptive", width, depth, float(config["tau_0"]))
        self.mining = MiningStep(hidden, num_components, settings)
        self.register_buffer("attention_mean", torch.full((num_components,), 1.0 / num_components))
        self.retain_weights: list[float] = [1.0] * num_components

    # --------------------------------------------------------------- pieces
    def activations(self) -> Tensor:
        """``act_k``: mean over ``V_k`` of ``||ReLU(x_i Theta_k^(1))||`` (§2.4, the component's "MLP(X_k)")."""
        norms = F.relu(self.backbone.transform(0, self.statics.inputs)).norm(dim=2)  # n x K
        members = self.statics.membership_matrix  # n x K, 1/|V_k| on members
        return (norms * members).sum(dim=0)

    def thresholds(self, states: dict[str, Tensor] | None, fixed: dict[str, float] | None = None) -> dict[str, Tensor]:
        """``theta^(l)`` from the controllers (Eqs. 7, 9) or a fixed schedule's values."""
        if fixed is not None:
            return {level: self.statics.features.new_tensor(fixed[level]) for level in LEVELS}
        return {level: self.controllers[level](states[level].to(self.statics.features.dtype)) for level in LEVELS}

    def prune(self, thetas: dict[str, Tensor]) -> Pruning:
        """§2.4-2.7. The component scores need ``act_k`` (a transform of every member); its gradient reaches
        the parameters only through component gates inside Eq. 10's band, so it is computed without one
        and recomputed with one only when a gate lies in the band (exact either way, cheaper)."""
        eps = float(self.config["epsilon"])
        if not self.settings.prune:  # nothing is pruned (T5 "w/o All", the backbone): no score is read
            zeros = self.statics.variance.new_zeros(len(self.statics.components))
            return prune(self.statics, thetas, self.settings.prune, zeros, zeros, self.attention_mean, self.scorer,
                         eps)
        with torch.no_grad():
            norms, activations = self.backbone.final_weight_norms(), self.activations()
        if torch.is_grad_enabled() and "comp" in self.settings.prune:
            with torch.no_grad():
                score, _ = self.scorer(norms, activations, self.statics.variance, self.attention_mean)
                gate = soft_gate(score, thetas["comp"].detach(), eps)
            if bool(((gate > 0) & (gate < 1)).any()):
                norms, activations = self.backbone.final_weight_norms(), self.activations()
        return prune(self.statics, thetas, self.settings.prune, norms, activations, self.attention_mean, self.scorer,
                     eps)

    def taus(self, pruning: Pruning) -> Tensor:
        return self.temperature(pruning.degree(), self.statics.feature_norm, pruning.similarity())

    # --------------------------------------------------------------- one step
    def forward(self, thetas: dict[str, Tensor], draw: Draw, labels: Tensor, logits_only: bool = False) -> StepOutput:
        """§2.0 steps 2-7: gates, backbone, temperatures, context embeddings and the unweighted losses
        (``logits_only``: stop after the backbone, as the meta-step's validation loss needs)."""
        pruning = self.prune(thetas)
        z, logits, attention = self.backbone(self.statics.inputs, pruning.incidences)
        if logits_only:
            return StepOutput(pruning, z, logits, attention, {})
        losses = {"cls": F.cross_entropy(logits[draw.ce_batch], labels[draw.ce_batch])}
        out = StepOutput(pruning, z, logits, attention, losses)
        terms = self.settings.losses
        if terms == {"cls"}:
            return out
        tau = self.taus(pruning)
        out.tau = tau
        zero = z.new_zeros(())
        contrastive, false_neg, hard = zero, zero, zero
        fn_entries, hard_entries = [], []
        for k in pruning.retained:
            incidence: Incidence = pruning.incidences[k]
            context, defined = context_embeddings(incidence.component, incidence.weight, z)
            if "cl" in terms:
                contrastive = contrastive + self.retain_weights[k] * contrastive_loss(z, context, defined,
                                                                                      draw.anchors, tau)
            if terms & {"fn", "hard"}:
                fn_k, hard_k, fn_entry, hard_entry = self.mining(k, pruning.components[k], pruning.keep[k], z, context,
                                                                 defined, tau, draw)
                false_neg = false_neg + fn_k
                hard = hard + self.retain_weights[k] * hard_k
                fn_entries += [fn_entry] if fn_entry else []
                hard_entries += [hard_entry] if hard_entry else []
        for term, value in (("cl", contrastive), ("fn", false_neg), ("hard", hard)):
            if term in terms:
                losses[term] = value
        if fn_entries or hard_entries:
            out.mining = mining_statistics(fn_entries, hard_entries)
        return out

    def deployed_logits(self, incidences: list[Incidence | None]) -> Tensor:
        """The deployed model's logits (eval mode): the backbone on compacted incidences (§2.16)."""
        return self.backbone(self.statics.inputs, incidences)[1]

"""The mining part of a TriPrune step (SPEC §2.12-2.13): samples, attentions or fixed thresholds, losses.

:class:`MiningStep` owns ``Attn_fn`` (with the context vectors ``c_k``) and ``Attn_hn`` when mining
is attention-based; under ``mining=fixed`` (Table 4) it owns nothing and selects by the fixed
similarity thresholds with weight 1. The samples of a step (false-negative candidates, retained
neighbours, hard candidates) are drawn once per :class:`~.model.Draw` and component and reused,
so every evaluation of a meta-step sees the same pairs (§2.14 step 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
from torch import Tensor

from .mining import (FalseNegativeAttention, FalseNegativeCandidates, HardNegativeAttention, Pairs, Selection,
                     false_negative_candidates, false_negative_loss, hard_candidates, hard_negative_loss,
                     pair_similarity, retained_neighbours, select_by_attention, select_false_negatives_fixed,
                     select_hard_negatives_fixed)
from .settings import Settings
from .structure import Component


@dataclass(frozen=True, eq=False)
class Samples:
    """One component's mining samples for one draw."""

    candidates: FalseNegativeCandidates
    neighbours: Pairs
    hard: Pairs
    members: int  # |B_a ∩ V_k|


class MiningStep(nn.Module):
    def __init__(self, dim: int, num_components: int, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        attention = settings.mining == "attention"
        self.false_negative = FalseNegativeAttention(dim, num_components) if attention and "fn" in settings.losses \
            else None
        self.hard_negative = HardNegativeAttention(dim) if attention and "hard" in settings.losses else None

    def samples(self, k: int, component: Component, keep: Tensor, z: Tensor, draw: Any) -> Samples:
        if k not in draw.mining:
            anchors = draw.anchors
            draw.mining[k] = Samples(false_negative_candidates(component, keep, anchors, draw.generator),
                                     retained_neighbours(component, keep, anchors, draw.generator),
                                     hard_candidates(component, keep, anchors, z.detach()),
                                     int(component.members[anchors].sum()))
        return draw.mining[k]

    def false_negative_selection(self, k: int, z: Tensor, candidates: FalseNegativeCandidates) -> Selection:
        if self.false_negative is None:
            return select_false_negatives_fixed(z, candidates)
        return select_by_attention(self.false_negative(z[candidates.anchor], z[candidates.other],
                                                       candidates.delta_a.to(z.dtype), k))

    def hard_selection(self, z: Tensor, context: Tensor, pairs: Pairs) -> Selection:
        if self.hard_negative is None:
            return select_hard_negatives_fixed(z, pairs)
        return select_by_attention(self.hard_negative(z[pairs.anchor], z[pairs.other], context[pairs.anchor],
                                                      context[pairs.other]))

    def forward(self, k: int, component: Component, keep: Tensor, z: Tensor, context: Tensor, defined: Tensor,
                tau: Tensor, draw: Any) -> tuple[Tensor, Tensor, tuple, tuple]:
        """(L_fn, L_hard) of component ``k`` (unweighted), and the (selection, anchors) entries for statistics."""
        samples = self.samples(k, component, keep, z, draw)
        zero = z.new_zeros(())
        fn_loss, hard_loss, fn_entry, hard_entry = zero, zero, None, None
        if "fn" in self.settings.losses:
            selection = self.false_negative_selection(k, z, samples.candidates)
            fn_loss = false_negative_loss(z, samples.candidates, selection, samples.neighbours, tau, samples.members)
            fn_entry = (selection, samples.members)
        if "hard" in self.settings.losses:
            selection = self.hard_selection(z, context, samples.hard)
            anchors = int(defined[draw.anchors].sum())
            hard_loss = hard_negative_loss(z, samples.hard, selection, tau, anchors, self.settings.hard_loss)
            hard_entry = (selection, anchors)
        return fn_loss, hard_loss, fn_entry, hard_entry

    def top_pairs(self, k: int, z: Tensor, context: Tensor, samples: Samples) -> list[dict[str, Any]]:
        """Fig. 4's rows for component ``k``: every false-negative candidate with both attentions' scores."""
        candidates = samples.candidates
        if self.false_negative is None or len(candidates) == 0:
            return []
        alpha_fn = self.false_negative(z[candidates.anchor], z[candidates.other], candidates.delta_a.to(z.dtype), k)
        alpha_hn = (self.hard_negative(z[candidates.anchor], z[candidates.other], context[candidates.anchor],
                                       context[candidates.other]) if self.hard_negative is not None
                    else torch.full_like(alpha_fn, float("nan")))
        similarity = pair_similarity(z, candidates)
        contexts = torch.nn.functional.cosine_similarity(context[candidates.anchor], context[candidates.other], dim=1)
        return [{"component": k, "i": int(i), "j": int(j), "similarity": float(s), "delta_a": float(d),
                 "alpha_fn": float(a), "alpha_hn": float(b), "context_cosine": float(c)}
                for i, j, s, d, a, b, c in zip(candidates.anchor, candidates.other, similarity, candidates.delta_a,
                                               alpha_fn, alpha_hn, contexts)]

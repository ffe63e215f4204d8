"""TriPrune-HGNN's hyperparameters and variant switches (SPEC §2.15, §3, §5), parsed from a run's config.

Every switch replaces exactly one thing (SPEC §3); the defaults are the full model:

| key | values (default first) | paper |
|---|---|---|
| ``threshold`` | learned, exp, linear, cosine, step | T4 "w/o Neural Threshold" (exp), Fig. 6 |
| ``threshold_end`` | [comp, edge, node] end points of a fixed schedule | [OD-20] |
| ``mining`` | attention, fixed | T4 "w/o Attention Mining" |
| ``meta`` | fd, exact, off | T4 "w/o Meta-Learning", T10 |
| ``temperature`` | adaptive, global | T4 "w/o Adaptive Temperature" |
| ``prune`` | levels joined by ``+`` (comp+edge+node) | T5 "w/o Comp/Edge/Node" |
| ``losses`` | terms joined by ``+`` (cls+cl+fn+hard) | T5 "w/o FN/HN/All" |
| ``controller_depth``, ``controller_width`` | 2, 32 | T6, T9 (MLP_theta x3, MLP_beta, MLP_tau) |
| ``eta_meta``, ``meta_every``, ``meta_delta`` | 0.01, 5, 1e-5 | T9, T10 |
| ``hard_loss`` | softmax, hinge | [OD-15] opt-in |
| ``budget_reg`` | 0 (off) or a weight | [OD-8] opt-in |

SPEC [OD-14]'s opt-in ``mining_aux`` (auxiliary labels for the mining attentions) is not built:
its hard-negative label needs common neighbours in the pruned clique expansion (docs/triprune.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .controllers import LEVELS, SCHEDULES

LOSSES = ("cls", "cl", "fn", "hard")

DEFAULTS: dict[str, Any] = {
    # backbone and optimiser (SPEC §2.15, [OD-3], [OD-29])
    "hidden": 64, "layers": 2, "dropout": 0.3, "lr": 1e-3, "weight_decay": 5e-4, "grad_clip": 10.0,
    "epochs": 200, "patience": 20, "batch_size": 512,
    # pruning
    "threshold": "learned", "threshold_end": None, "prune": "comp+edge+node", "epsilon": 0.01,
    "controller_depth": 2, "controller_width": 32, "alpha_retain": 1.0,
    # contrastive learning and mining
    "losses": "cls+cl+fn+hard", "mining": "attention", "temperature": "adaptive", "tau_0": 0.5,
    "hard_loss": "softmax",
    # meta-learned loss weights (§2.14)
    "meta": "fd", "meta_every": 5, "eta_meta": 0.01, "eta_inner": 1e-3, "meta_delta": 1e-5, "meta_dtype": "float64",
    "budget_reg": 0.0, "budget_target": 0.31,
}


def _choice(config: dict, key: str, valid: tuple[str, ...]) -> str:
    value = config[key]
    if value not in valid:
        raise ValueError(f"triprune: {key} must be one of {', '.join(valid)}; got {value!r}")
    return value


def _subset(config: dict, key: str, valid: tuple[str, ...]) -> frozenset[str]:
    parts = frozenset(part for part in str(config[key]).split("+") if part and part != "none")
    unknown = sorted(parts - set(valid))
    if unknown:
        raise ValueError(f"triprune: {key} names unknown parts {unknown}; valid: {'+'.join(valid)} (or 'none')")
    return parts


@dataclass(frozen=True)
class Settings:
    """The parsed switches; the numeric hyperparameters stay in ``config`` (read where used)."""

    threshold: str
    threshold_end: tuple[float, float, float] | None
    prune: frozenset[str]
    losses: frozenset[str]
    mining: str
    temperature: str
    meta: str
    hard_loss: str

    @classmethod
    def parse(cls, config: dict) -> "Settings":
        threshold = _choice(config, "threshold", ("learned", *SCHEDULES))
        end = config.get("threshold_end")
        if threshold != "learned":
            if end is None or len(end) != len(LEVELS):
                raise ValueError(f"triprune: threshold={threshold} needs threshold_end, one end point per level "
                                 f"({', '.join(LEVELS)}); got {end!r}")
            end = tuple(float(v) for v in end)
        losses = _subset(config, "losses", LOSSES)
        if "cls" not in losses:
            raise ValueError("triprune: losses must include cls (the supervised loss)")
        return cls(threshold=threshold, threshold_end=end if threshold != "learned" else None,
                   prune=_subset(config, "prune", LEVELS), losses=losses,
                   mining=_choice(config, "mining", ("attention", "fixed")),
                   temperature=_choice(config, "temperature", ("adaptive", "global")),
                   meta=_choice(config, "meta", ("fd", "exact", "off")),
                   hard_loss=_choice(config, "hard_loss", ("softmax", "hinge")))

    @property
    def loss_terms(self) -> tuple[str, ...]:
        """The active losses in Eq. 30's order: lambda lives on the simplex over these."""
        return tuple(term for term in LOSSES if term in self.losses)

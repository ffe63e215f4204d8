"""BASELINES.md §0.7 ``kd.py``: the knowledge-distillation losses of the three distillers (cards 12-14).

* :func:`kd_kl` — ``KL(softmax(z_t / T) ‖ softmax(z_s / T))`` averaged over rows (``batchmean``), times
  ``T²`` when ``t_squared`` (Hinton et al.'s scaling, which keeps the gradient's size independent of
  ``T``; DistillHGNN's objective writes it, SHARP-Distill's released ``distillation_kl_loss`` applies it).
  ``code_faithful=True`` reproduces LightHGNN's released call instead (card 12): ``F.kl_div`` given the
  teacher's *probabilities* but told they are log-probabilities (``log_target=True``), i.e.
  ``mean_i Σ_c exp(p_c) (p_c − log q_c)`` — not a divergence (it is not zero at ``q = p``); kept only as
  a flag for comparison with the released numbers.
* :func:`kl_probabilities` — the same divergence between probability rows that are already averaged
  (LightHGNN+'s hyperedge-mean soft labels), with the same ``code_faithful`` switch.
* :func:`annealed_temperature` — SHARP-Distill's schedule ``T(ep) = T_max − (T_max − T_min) min(1, ep / E)``.
* :func:`aligned_info_nce` — DistillHGNN's embedding contrast: for each anchor ``i`` of a batch, the
  student's ``z_s[i]`` against the teacher's ``z_t[j]`` of every node ``j`` of the batch by cosine
  similarity over a temperature, cross-entropy with the positive ``j = i`` (or, for the released script's
  variant, the mean over the positives of the same label). A general InfoNCE with intra-/inter-view
  negatives belongs to ``contrastive.py`` (§0.7); this one is the cross-model alignment only.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def kd_kl(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0, t_squared: bool = False,
          code_faithful: bool = False) -> Tensor:
    """``KL(softmax(z_t/T) ‖ softmax(z_s/T))``, mean over rows, ``× T²`` if ``t_squared`` (module doc)."""
    t = float(temperature)
    log_q = F.log_softmax(student_logits / t, dim=-1)
    if code_faithful:
        p = F.softmax(teacher_logits / t, dim=-1)
        loss = (p.exp() * (p - log_q)).sum(-1).mean()
    else:
        log_p = F.log_softmax(teacher_logits / t, dim=-1)
        loss = (log_p.exp() * (log_p - log_q)).sum(-1).mean()
    return loss * (t * t) if t_squared else loss


def kl_probabilities(student_probs: Tensor, teacher_probs: Tensor, code_faithful: bool = False,
                     eps: float = 1e-12) -> Tensor:
    """``mean_i KL(p_i ‖ q_i)`` for probability rows ``q`` (student) and ``p`` (teacher); 0 rows → 0."""
    if student_probs.shape[0] == 0:
        return student_probs.sum() * 0.0
    log_q = student_probs.clamp_min(eps).log()
    if code_faithful:
        return (teacher_probs.exp() * (teacher_probs - log_q)).sum(-1).mean()
    p = teacher_probs
    return (p * (p.clamp_min(eps).log() - log_q)).sum(-1).mean()


def annealed_temperature(epoch: int, t_max: float, t_min: float, anneal_epochs: int) -> float:
    """``T_max − (T_max − T_min) · min(1, epoch / anneal_epochs)`` (SHARP-Distill; epoch counted from 0)."""
    progress = min(1.0, max(0, epoch) / max(1, anneal_epochs))
    return float(t_max) - (float(t_max) - float(t_min)) * progress


def aligned_info_nce(student: Tensor, teacher: Tensor, temperature: float = 0.1,
                     labels: Tensor | None = None) -> Tensor:
    """Cross-model InfoNCE over a batch: ``−mean_i log softmax_j(cos(s_i, t_j) / τ)`` at the positives.

    The positive of ``i`` is ``j = i`` (the same node in the teacher); with ``labels`` every ``j`` of the
    same label is a positive and the loss averages ``−log softmax`` over them (the released script's variant).
    """
    logits = F.normalize(student, dim=-1) @ F.normalize(teacher, dim=-1).T / float(temperature)
    log_prob = F.log_softmax(logits, dim=1)
    if labels is None:
        return -log_prob.diagonal().mean()
    positive = (labels.unsqueeze(0) == labels.unsqueeze(1)).to(log_prob.dtype)
    return -((log_prob * positive).sum(1) / positive.sum(1)).mean()

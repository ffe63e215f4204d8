"""n-way k-shot episodes (ZEN paper, Appendix F.3 and Table 12).

The paper says only that its protocol draws on Meta-GNN (Zhou et al., CIKM 2019) and that ZEN
"achieves competitive results even when applied solely to test episodes". We define it as follows
(also in docs/datasets.md):

* protocol ``"<n>-way-<k>-shot"``; episode ``i`` is a function of (labels, protocol, seed ``i``);
* its ``n`` classes are drawn uniformly without replacement from all classes with at least ``2k``
  labelled nodes (no method here meta-learns, so Meta-GNN's partition into meta-training and
  meta-test classes would leave the meta-training classes unused; we draw from all of them);
* within the episode, labels are renumbered ``0..n-1`` in increasing original class id and every
  other node becomes unlabelled (``-1``): features and hypergraph are unchanged (transductive, as
  the 5-shot protocol), so methods see the whole structure but only the episode's classes;
* the split inside the episode is ZEN's k-shot split: ``k`` support (training) and ``k``
  validation nodes per class; the query (test) set is every other node of the ``n`` classes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from .base import NodeDataset
from .splits import parse_episode


def episode_classes(labels: torch.Tensor, ways: int, shots: int, seed: int) -> list[int]:
    """The ``ways`` original class ids of episode ``seed`` (sorted), among classes with >= 2 shots nodes."""
    counts = np.bincount(labels[labels >= 0].numpy())
    eligible = np.flatnonzero(counts >= 2 * shots)
    if eligible.size < ways:
        raise ValueError(f"{ways}-way {shots}-shot needs {ways} classes with >= {2 * shots} labelled nodes, "
                         f"found {eligible.size}")
    rng = np.random.default_rng([seed, ways, shots])
    return sorted(int(c) for c in rng.choice(eligible, size=ways, replace=False))


def episode_view(data: NodeDataset, protocol: str, seed: int) -> NodeDataset:
    """The dataset as the episode's methods see it; ``data`` itself for non-episode protocols."""
    parsed = parse_episode(protocol)
    if parsed is None:
        return data
    ways, shots = parsed
    classes = episode_classes(data.labels, ways, shots, seed)
    mapping = torch.full((data.num_classes,), -1, dtype=torch.long)
    mapping[classes] = torch.arange(ways)
    labels = torch.where(data.labels >= 0, mapping[data.labels.clamp(min=0)], data.labels)
    names = tuple(data.class_names[c] for c in classes) if data.class_names else None
    return replace(data, labels=labels, num_classes=ways, class_names=names)

"""Seeded train/validation/test splits; split ``i`` depends only on (labels, protocol, seed ``i``).

* :func:`k_shot_split` is the ZEN protocol (§4.1): per class, ``k`` training and ``k`` validation
  nodes drawn without replacement, the remaining labelled nodes are the test set. A class with
  fewer than ``k`` nodes keeps all of them for training; one with fewer than ``2k`` gives the
  rest to validation (as ZEN's ``create_splits``).
* :func:`ratio_split` is a stratified split by ratios (TriPrune's datasets).

Splits are serialised with the results (:meth:`Split.to_dict`) so every method of a suite sees
the very same nodes, whatever order the runs are executed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class Split:
    protocol: str
    seed: int
    train: Tensor
    val: Tensor
    test: Tensor

    def __post_init__(self) -> None:
        for part in (self.train, self.val, self.test):
            if part.dtype != torch.long or part.dim() != 1:
                raise ValueError("split parts must be 1-d long tensors")
        joined = torch.cat([self.train, self.val, self.test])
        if joined.unique().numel() != joined.numel():
            raise ValueError("train, validation and test overlap")

    @property
    def digest(self) -> str:
        """A short content hash identifying exactly these node sets."""
        h = hashlib.sha256()
        for part in (self.train, self.val, self.test):
            h.update(part.numpy().tobytes())
            h.update(b"|")
        return h.hexdigest()[:16]

    def to_dict(self) -> dict:
        """Train and validation nodes (the test set is every other labelled node) and the digest."""
        return {"protocol": self.protocol, "seed": self.seed, "digest": self.digest,
                "train": self.train.tolist(), "val": self.val.tolist()}

    @classmethod
    def from_dict(cls, data: dict, labels: Tensor) -> "Split":
        """Rebuild a stored split; the digest check fails if ``labels`` are not the ones it was made on."""
        train, val = (np.asarray(data[part], dtype=np.int64) for part in ("train", "val"))
        split = _finish(data["protocol"], int(data["seed"]), labels, [train], [val])
        if data["digest"] != split.digest:
            raise ValueError(f"stored split {data['protocol']}/seed {data['seed']} does not match its digest")
        return split


def _by_class(labels: Tensor) -> dict[int, np.ndarray]:
    y = labels.numpy()
    return {int(c): np.flatnonzero(y == c) for c in np.unique(y[y >= 0])}


def k_shot_split(labels: Tensor, k: int, seed: int) -> Split:
    """ZEN's k-shot split: k train and k validation nodes per class, the rest test."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for members in _by_class(labels).values():
        if members.size < k:
            train.append(members)
            continue
        drawn = rng.choice(members, size=min(members.size, 2 * k), replace=False)
        train.append(drawn[:k])
        val.append(drawn[k:])
    return _finish(f"{k}-shot", seed, labels, train, val)


def ratio_split(labels: Tensor, train: float, val: float, seed: int) -> Split:
    """Stratified split: per class, a ``train`` and a ``val`` fraction, the rest test."""
    if not (0 < train and 0 <= val and train + val < 1):
        raise ValueError(f"need 0 < train, 0 <= val and train + val < 1, got {train}, {val}")
    rng = np.random.default_rng(seed)
    train_parts, val_parts = [], []
    for members in _by_class(labels).values():
        shuffled = rng.permutation(members)
        n_train = max(1, int(round(train * members.size)))
        n_val = int(round(val * members.size))
        train_parts.append(shuffled[:n_train])
        val_parts.append(shuffled[n_train:n_train + n_val])
    return _finish(f"ratio-{train:g}-{val:g}", seed, labels, train_parts, val_parts)


def _finish(protocol: str, seed: int, labels: Tensor, train: list, val: list) -> Split:
    labelled = np.flatnonzero(labels.numpy() >= 0)
    train_idx = np.sort(np.concatenate(train)) if train else np.empty(0, np.int64)
    val_idx = np.sort(np.concatenate(val)) if val else np.empty(0, np.int64)
    # both sides are unique (flatnonzero; disjoint parts): skip the sort-based deduplication, same result
    test_idx = np.setdiff1d(labelled, np.concatenate([train_idx, val_idx]), assume_unique=True)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return Split(protocol, seed, as_tensor(train_idx), as_tensor(val_idx), as_tensor(test_idx))


_EPISODE = re.compile(r"^(\d+)-way-(\d+)-shot$")


def parse_episode(protocol: str) -> tuple[int, int] | None:
    """``(n, k)`` of an n-way k-shot protocol ``"<n>-way-<k>-shot"``, ``None`` for any other protocol."""
    match = _EPISODE.match(protocol)
    return (int(match[1]), int(match[2])) if match else None


def protocol_shots(protocol: str) -> int | None:
    """Labelled nodes per class in training: ``k`` of ``"<k>-shot"`` and ``"<n>-way-<k>-shot"``."""
    episode = parse_episode(protocol)
    if episode:
        return episode[1]
    return int(protocol.removesuffix("-shot")) if protocol.endswith("-shot") else None


def make_split(labels: Tensor, protocol: str, seed: int) -> Split:
    """Build a split from its protocol name: ``"<k>-shot"``, ``"<n>-way-<k>-shot"`` or ``"ratio-<train>-<val>"``.

    An episode's split is the k-shot split of the episode's labels (:mod:`hgbench.datasets.episodes`).
    """
    episode = parse_episode(protocol)
    if episode:
        return replace(k_shot_split(labels, episode[1], seed), protocol=protocol)
    if protocol.endswith("-shot"):
        return k_shot_split(labels, int(protocol[: -len("-shot")]), seed)
    if protocol.startswith("ratio-"):
        _, train, val = protocol.split("-")
        return ratio_split(labels, float(train), float(val), seed)
    raise ValueError(f"unknown split protocol {protocol!r}; use '<k>-shot', '<n>-way-<k>-shot' or "
                     "'ratio-<train>-<val>'")

import pytest
import torch

from hgbench.benchmarks.run.store import Store
from hgbench.datasets.splits import Split, k_shot_split, make_split, ratio_split


@pytest.fixture
def labels():
    torch.manual_seed(0)
    y = torch.randint(0, 4, (300,))
    y[:3] = 4  # class 4 has 3 nodes: fewer than k = 5
    y[3:10] = 5  # class 5 has 7 nodes: between k and 2k
    y[-20:] = -1  # unlabelled nodes never enter a split
    return y


def test_k_shot_invariants(labels):
    split = k_shot_split(labels, 5, seed=0)
    parts = torch.cat([split.train, split.val, split.test])
    assert parts.unique().numel() == parts.numel()  # disjoint
    assert set(parts.tolist()) == set((labels >= 0).nonzero().flatten().tolist())  # covers the labelled nodes
    train_counts = torch.bincount(labels[split.train], minlength=6).tolist()
    val_counts = torch.bincount(labels[split.val], minlength=6).tolist()
    assert train_counts == [5, 5, 5, 5, 3, 5]  # a class smaller than k keeps all for training
    assert val_counts == [5, 5, 5, 5, 0, 2]


def test_split_i_depends_only_on_seed_i(labels):
    first = [k_shot_split(labels, 5, s).digest for s in range(4)]
    reversed_order = [k_shot_split(labels, 5, s).digest for s in reversed(range(4))][::-1]
    assert first == reversed_order
    assert len(set(first)) == 4


def test_ratio_split_is_stratified(labels):
    split = ratio_split(labels, 0.6, 0.2, seed=1)
    for c in range(4):
        n = int((labels == c).sum())
        assert abs(int((labels[split.train] == c).sum()) - 0.6 * n) <= 1
    assert make_split(labels, "ratio-0.6-0.2", 1).digest == split.digest


def test_stored_split_round_trips_and_detects_other_labels(tmp_path, labels):
    store = Store(tmp_path)
    made = store.split("toy", "5-shot", 3, labels, lambda: k_shot_split(labels, 5, 3))
    loaded = store.split("toy", "5-shot", 3, labels, lambda: pytest.fail("must be read from the store"))
    assert loaded.digest == made.digest and torch.equal(loaded.test, made.test)
    changed = labels.clone()
    changed[(labels >= 0).nonzero()[-1]] = -1
    with pytest.raises(ValueError, match="digest"):
        store.split("toy", "5-shot", 3, changed, lambda: None)


def test_overlapping_parts_are_rejected():
    with pytest.raises(ValueError, match="overlap"):
        Split("x", 0, torch.tensor([0, 1]), torch.tensor([1]), torch.tensor([2]))


def test_unknown_protocol():
    with pytest.raises(ValueError, match="unknown split protocol"):
        make_split(torch.zeros(3, dtype=torch.long), "half", 0)

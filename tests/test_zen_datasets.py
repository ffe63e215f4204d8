"""The ZEN loaders on the real raw files: checksums, reproduction of ZEN's tensors, clear errors."""

import shutil

import pytest
import torch

from hgbench.datasets import catalog
from hgbench.datasets.files import DataError, DataUnavailable, ensure
from hgbench.datasets.safe_pickle import UnsafePickle, load_pickle
from hgbench.datasets.zen_catalog import FILES, ZEN_TENSORS

pytestmark = pytest.mark.realdata
AVAILABLE = ["cora", "citeseer", "cora-ca", "20news", "congress", "walmart", "senate", "house", "zoo"]


def _memberships(index: torch.Tensor) -> torch.Tensor:
    return torch.sort(index[0].long() * 10**7 + index[1].long()).values


@pytest.mark.parametrize("name", AVAILABLE)
def test_loader_reproduces_zen_tensors(name, real_data_dir):
    data = catalog.load(name, real_data_dir)
    checked = 0
    for kind, file in ZEN_TENSORS[name].items():
        if file is None:
            continue
        zen = torch.load(ensure(file, real_data_dir), weights_only=True)
        if kind == "H":  # the same multiset of (node, hyperedge) memberships, singletons included
            assert zen.shape == data.hypergraph.index.shape
            assert torch.equal(_memberships(zen), _memberships(data.hypergraph.index))
        elif kind == "X":
            assert torch.equal(zen, data.features)
        else:  # ZEN keeps Zoo's labels 1..7; we shift them to 0..6
            assert torch.equal(zen - (1 if name == "zoo" else 0), data.labels)
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("name, expected", [
    ("cora", (2708, 1579, 7, 1433)), ("citeseer", (3312, 1079, 6, 3703)), ("cora-ca", (2708, 1072, 7, 1433)),
    ("20news", (16242, 100, 4, 100)), ("senate", (282, 315, 2, 2)), ("zoo", (101, 43, 7, 16)),
])
def test_counts_against_table_2(name, expected, real_data_dir):
    data = catalog.load(name, real_data_dir)
    added = int((data.hypergraph.index[1] >= expected[1]).sum())  # singletons come after the raw hyperedges
    assert (data.num_nodes, data.hypergraph.num_edges - added, data.num_classes, data.num_features) == expected


def test_unavailable_features_are_reported_not_crashed(real_data_dir):
    with pytest.raises(DataUnavailable, match="pubmed/features.pickle"):
        catalog.load("pubmed", real_data_dir)
    assert "no public copy" in catalog.unavailable_reason("modelnet40", real_data_dir)


def test_corrupted_file_names_file_and_checksum(tmp_path, real_data_dir):
    shutil.copytree(real_data_dir / "senate-committees", tmp_path / "senate-committees")
    target = tmp_path / "senate-committees" / "hyperedges-senate-committees.txt"
    target.chmod(0o644)
    target.write_text(target.read_text()[:-100])  # truncated
    expected = FILES["senate-committees/hyperedges-senate-committees.txt"].sha256
    with pytest.raises(DataError, match=expected) as info:
        catalog.load("senate", tmp_path)
    assert str(target) in str(info.value)


def test_missing_file_without_network_names_url_and_directory(tmp_path, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DataError) as info:
        catalog.load("house", tmp_path)
    message = str(info.value)
    assert "hyperedges-house-committees.txt" in message and "https://raw.githubusercontent.com/" in message
    assert str(tmp_path) in message


def test_restricted_unpickler_refuses_code(tmp_path):
    import os
    import pickle

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(UnsafePickle, match="system"):
        load_pickle(path)

"""Bad input tried on purpose: every supported raw format truncated or corrupted, a pickle that would run
code, out-of-range node ids, empty hyperedges, NaN/inf features, labels with gaps, a poisoned processed
cache, unknown names and malformed options. Each is a clear error with its exit code (data 1, usage 2) and
writes nothing: no plan, no record, no lock, no cache entry.

The files are small, generated under tmp_path, and registered as a dataset whose sha256 is theirs (what a
plugin's dataset or a user-placed file without a public checksum is), so the parsers themselves meet the bad
content; a file that differs from its published sha256 is refused before parsing (test_cli.py, test_hetero.py,
test_zen_datasets.py)."""

import dataclasses
import hashlib
import pickle
import re

import numpy as np
import pytest
import scipy.sparse
import torch

from hgbench.benchmarks import suites
from hgbench.benchmarks.cli import main
from hgbench.datasets import catalog, hetero_cache
from hgbench.datasets.base import InvalidDataset, NodeDataset, Task
from hgbench.datasets.catalog import DatasetSpec
from hgbench.datasets.files import DataFile
from hgbench.datasets.formats import (cornell_features, read_cornell_hyperedges, read_cornell_labels,
                                      read_hypergcn_features, read_hypergcn_hyperedges, read_hypergcn_labels, read_le)
from hgbench.datasets.hetero_loaders import build_dblp, build_douban, build_imdb
from hgbench.datasets.hypergraph import Hypergraph
from hgbench.datasets.zen_catalog import _dataset

LABELS = [0, 0, 0, 1, 1, 1]  # six nodes, two classes


# ----------------------------------------------------------------------------- the formats, written small
def hypergcn_files(hyperedges=None, labels=None, features=None) -> dict[str, bytes]:
    """HyperGCN's three pickles: hyperedge -> members, the label list, a CSR feature matrix."""
    hyperedges = {"e0": [0, 1, 2], "e1": [2, 3], "e2": [3, 4, 5]} if hyperedges is None else hyperedges
    features = np.eye(6, 3, dtype=np.float32) if features is None else features
    return {"toy/hypergraph.pickle": pickle.dumps(hyperedges), "toy/labels.pickle": pickle.dumps(labels or LABELS),
            "toy/features.pickle": pickle.dumps(scipy.sparse.csr_matrix(features))}


def build_hypergcn(paths):
    return _dataset("toy", read_hypergcn_hyperedges(paths["toy/hypergraph.pickle"]),
                    read_hypergcn_features(paths["toy/features.pickle"]),
                    read_hypergcn_labels(paths["toy/labels.pickle"]), paths)


def le_files() -> dict[str, bytes]:
    """AllSet's LE format: ``id, features..., label`` rows, then ``node<TAB>hyperedge`` rows (hyperedge ids after
    the node rows)."""
    content = "".join(f"{10 + i}\t{i % 2}.0\t1.0\t{label}\n" for i, label in enumerate(LABELS))
    content += "".join(f"{20 + e}\t0\t0\t0\n" for e in range(2))
    edges = "10\t20\n11\t20\n12\t21\n13\t21\n14\t21\n15\t20\n"
    return {"toy/toy.content": content.encode(), "toy/toy.edges": edges.encode()}


def build_le(paths):
    index, features, labels = read_le(paths["toy/toy.content"], paths["toy/toy.edges"])
    return _dataset("toy", index, features, labels, paths)


def cornell_files() -> dict[str, bytes]:
    """The Cornell (Benson) text format: 1-based node ids per hyperedge line, one 1-based label per line."""
    return {"toy/hyperedges-toy.txt": b"1,2,3\n3,4\n4,5,6\n", "toy/node-labels-toy.txt": b"1\n1\n1\n2\n2\n2\n"}


def build_cornell(paths):
    labels = read_cornell_labels(paths["toy/node-labels-toy.txt"])
    return _dataset("toy", read_cornell_hyperedges(paths["toy/hyperedges-toy.txt"]),
                    cornell_features(labels, int(labels.max()) + 1), labels, paths)


def truncated(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {**files, name: files[name][: len(files[name]) // 2]}


def corrupted(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {**files, name: bytes(range(256)) * 4}


class Exploit:
    """A pickle whose loading would run ``touch`` on the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def register_toy(monkeypatch, tmp_path, files: dict[str, bytes], build, name: str = "toy"):
    """Write ``files`` under tmp_path/data and register them as dataset ``name`` (their own sha256), in a suite
    ``toy-suite`` (the demo's methods); HGBENCH_CACHE points to tmp_path/cache."""
    data = tmp_path / "data"
    for path, content in files.items():
        (data / path).parent.mkdir(parents=True, exist_ok=True)
        (data / path).write_bytes(content)
    spec = DatasetSpec(name, tuple(DataFile(path, hashlib.sha256(content).hexdigest(), f"https://example.org/{path}")
                                   for path, content in files.items()), build=build)
    catalog.names()
    monkeypatch.setitem(catalog.DATASETS._items, name, spec)
    suites.suite_names()
    monkeypatch.setitem(suites.base.SUITES._items, "toy-suite",
                        dataclasses.replace(suites.suite("demo"), name="toy-suite", datasets=(name,)))
    monkeypatch.setenv("HGBENCH_DATA", str(data))
    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    return data


def run_toy(tmp_path, capsys, *options: str) -> tuple[int, str]:
    code = main(["run", "--suite", "toy-suite", "--methods", "zen", "--seeds", "1", *options,
                 "--out", str(tmp_path / "out")])
    return code, capsys.readouterr().err.replace("\n", "")


def assert_nothing_written(tmp_path) -> None:
    assert not (tmp_path / "out").exists(), "a plan, record or lock was written"
    cache = tmp_path / "cache"
    assert not cache.exists() or not any(cache.rglob("*")), "a cache entry was written"


HYPERGCN_NODE_OUT_OF_RANGE = {"e0": [0, 1, 2], "e1": [2, 9]}
CASES = {  # id: (files, build, what the message says)
    "hypergcn-truncated": (truncated(hypergcn_files(), "toy/hypergraph.pickle"), build_hypergcn,
                           r"could not be read \((EOFError|UnpicklingError)"),
    "hypergcn-corrupted": (corrupted(hypergcn_files(), "toy/labels.pickle"), build_hypergcn,
                           r"could not be read \(\w*(Unpickling|Error)"),
    "le-truncated": (truncated(le_files(), "toy/toy.content"), build_le, r"could not be read \(ValueError"),
    "le-corrupted": (corrupted(le_files(), "toy/toy.edges"), build_le, r"could not be read \(\w+Error"),
    "le-unknown-id": ({**le_files(), "toy/toy.edges": b"10\t20\n99\t20\n"}, build_le, r"id 99 has no row"),
    "cornell-truncated": (truncated(cornell_files(), "toy/hyperedges-toy.txt"), build_cornell,
                          r"could not be read \(ValueError"),
    "cornell-corrupted": (corrupted(cornell_files(), "toy/node-labels-toy.txt"), build_cornell,
                          r"could not be read \(\w+Error"),
    "node-id-out-of-range": (hypergcn_files(HYPERGCN_NODE_OUT_OF_RANGE), build_hypergcn,
                             r"node id 9 out of range for 6 nodes"),
    "cornell-node-id-out-of-range": ({**cornell_files(), "toy/hyperedges-toy.txt": b"1,2\n2,7\n"}, build_cornell,
                                     r"node id 6 out of range for 6 nodes"),
    "empty-hyperedge": (hypergcn_files({"e0": [0, 1], "e1": [], "e2": [2, 3, 4, 5]}), build_hypergcn,
                        r"hyperedge 1 has no member"),
    "nan-features": (hypergcn_files(features=np.where(np.eye(6, 3) > 0, np.nan, 0.0)), build_hypergcn,
                     r"3 feature values are NaN or infinite, the first at node 0, feature 0"),
    "inf-features": (hypergcn_files(features=np.where(np.eye(6, 3)[::-1] > 0, -np.inf, 0.0)), build_hypergcn,
                     r"feature values are NaN or infinite, the first at node 3, feature 2"),
    "label-gaps": (hypergcn_files(labels=[0, 0, 1, 1, 3, 3]), build_hypergcn,
                   r"the labels have gaps: classes \[0, 1, 3\] of 0..3, none labelled \[2\]"),
    "labels-below-minus-one": (hypergcn_files(labels=[0, 0, -2, 1, 1, 1]), build_hypergcn, r"label -2 is below -1"),
    "imdb-truncated": ({"hetero/imdb/movie_metadata.csv": b"color,director_name\nColor,A"}, build_imdb,
                       r"could not be read \(KeyError"),
    "dblp-corrupted": ({f"hetero/dblp/{name}": b"1\t\xff\xfe garbage\n" for name in (
        "author_map_id.dat", "author_label.dat", "paper_author.dat", "paper_conference.dat", "paper_type.dat")},
        build_dblp, r"could not be read \(\w+Error"),
    "douban-corrupted": ({"hetero/douban_movie/douban.mat": bytes(range(256)) * 8}, build_douban,
                         r"could not be read \(\w+Error"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_data_file_is_a_data_error_naming_it_and_nothing_is_written(tmp_path, monkeypatch, capsys, case):
    files, build, message = CASES[case]
    data = register_toy(monkeypatch, tmp_path, files, build)
    code, err = run_toy(tmp_path, capsys)
    assert code == 1 and err.startswith("error: dataset toy") and re.search(message, err), err
    assert all(str(data / path) in err for path in files), "the message names the dataset's files"
    assert "Traceback" not in err
    assert_nothing_written(tmp_path)


def test_a_pickle_that_would_run_code_is_refused_never_run(tmp_path, monkeypatch, capsys):
    marker = tmp_path / "pwned"
    files = {**hypergcn_files(), "toy/features.pickle": pickle.dumps(Exploit(str(marker)))}
    register_toy(monkeypatch, tmp_path, files, build_hypergcn)
    code, err = run_toy(tmp_path, capsys)
    assert code == 1 and "UnsafePickle: refusing to unpickle global posix.system" in err
    assert not marker.exists(), "the pickle's code ran"
    assert_nothing_written(tmp_path)


def test_an_ordinal_dataset_keeps_its_empty_levels(tmp_path, monkeypatch):
    """Ratings 1..5 with no item below 1.5 (Amazon): an empty class of an ordinal task is not a gap."""
    register_toy(monkeypatch, tmp_path, hypergcn_files(labels=[0, 0, 2, 2, 3, 3]),
                 lambda paths: dataclasses.replace(build_hypergcn(paths), task=Task.ORDINAL))
    built = catalog.load("toy")
    assert built.num_classes == 4 and sorted(set(built.labels.tolist())) == [0, 2, 3]


def test_bench_list_reports_a_bad_dataset_and_goes_on(tmp_path, monkeypatch, capsys):
    register_toy(monkeypatch, tmp_path, hypergcn_files(labels=[0, 0, 1, 1, 3, 3]), build_hypergcn)
    spec = catalog.spec("toy")
    monkeypatch.setitem(catalog.DATASETS._items, "toy", dataclasses.replace(spec, synthetic=True))
    assert main(["list", "datasets"]) == 0
    assert "the labels have gaps" in capsys.readouterr().out.replace("\n", "")


# ----------------------------------------------------------------------------- the processed cache
def tiny(features: torch.Tensor | None = None) -> NodeDataset:
    graph = Hypergraph(torch.tensor([[0, 1, 2, 3], [0, 0, 1, 1]]), 4)
    return NodeDataset("tiny", graph, torch.ones(4, 2) if features is None else features, torch.tensor([0, 1, 0, 1]),
                       2, sources={"a": "0" * 64})


def test_a_dataset_no_method_can_use_is_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    bad = torch.ones(4, 2)
    bad[2, 1] = float("nan")
    with pytest.raises(InvalidDataset, match="dataset tiny.*NaN or infinite, the first at node 2, feature 1"):
        hetero_cache.load_or_build("tiny", {"a": "0" * 64}, tmp_path, lambda: tiny(bad))
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_a_poisoned_cache_with_a_recomputed_checksum_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    """An edited cache whose sha256 field was recomputed to match (test_hetero.py tries a stale checksum)."""
    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    sources = {"a": "0" * 64}
    hetero_cache.load_or_build("tiny", sources, tmp_path, tiny)
    (cached,) = (tmp_path / "cache").iterdir()
    state = torch.load(cached, weights_only=True)
    del state[hetero_cache.DIGEST_KEY]
    state["features"] = torch.full((4, 2), float("inf"))
    torch.save({**state, hetero_cache.DIGEST_KEY: hetero_cache._digest(state)}, cached)
    with pytest.warns(UserWarning, match=re.escape(str(cached)) + ".*NaN or infinite"):
        loaded = hetero_cache.load_or_build("tiny", sources, tmp_path, tiny)
    assert torch.equal(loaded.features, torch.ones(4, 2))
    assert torch.isfinite(torch.load(cached, weights_only=True)["features"]).all()  # rewritten from the build


def test_a_cache_that_is_a_code_running_pickle_is_not_run_and_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    sources = {"a": "0" * 64}
    cached = tmp_path / "cache" / f"tiny-{hetero_cache.cache_key('tiny', sources)}.pt"
    cached.parent.mkdir()
    marker = tmp_path / "pwned"
    torch.save({"x": Exploit(str(marker))}, cached)
    with pytest.warns(UserWarning, match=re.escape(str(cached))):
        loaded = hetero_cache.load_or_build("tiny", sources, tmp_path, tiny)
    assert not marker.exists() and loaded.num_nodes == 4
    assert torch.load(cached, weights_only=True)["num_nodes"] == 4


# ----------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("options, message", [
    (["--time-limit", "abc"], "argument --time-limit: invalid float value: 'abc'"),
    (["--seeds", "x"], "argument --seeds: invalid int value: 'x'"),
    (["--memory-limit", "0"], "argument --memory-limit: must be positive, got 0"),
    (["--memory-limit", "1.5"], "argument --memory-limit: invalid int value: '1.5'"),
    (["--jobs", "-3"], "argument --jobs: must be positive, got -3"),
    (["--executor", "kubernetes"], "argument --executor: invalid choice: 'kubernetes'"),
    (["--budget", "huge"], "argument --budget: invalid choice: 'huge'"),
    (["--retry", "ok,timeout"], "argument --retry: unknown status ok"),
    (["--seeds"], "argument --seeds: expected one argument"),
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
])
def test_a_malformed_option_is_a_usage_error_and_writes_nothing(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as usage:
        main(["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", *options,
              "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.replace("\n", " ")
    assert usage.value.code == 2 and message in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, message", [
    (["run", "--suite", "no-such-suite"], "unknown suite"),
    (["run", "--suite", "demo", "--methods", "zen,nope"], "unknown method nope; valid methods: "),
    (["run", "--suite", "demo", "--datasets", "cora"], "unknown dataset cora; valid datasets: synthetic"),
    (["run", "--suite", "demo", "--tune-on", "cora"], "--tune-on cora: not a dataset of suite demo"),
    (["run", "--suite", "demo", "--address", "127.0.0.1:1"], "--address does not apply to --executor local"),
    (["run", "--suite", "zen-runtime", "--jobs", "2"], "only the sequential executor measures"),
    (["report", "--suite", "no-such-suite"], "unknown suite"),
    (["export", "--suite", "no-such-suite"], "unknown suite"),
    (["show", "0123abc"], "run key '0123abc' matches 0 stored runs"),
])
def test_an_unknown_name_is_a_usage_error_naming_it_and_writes_nothing(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()

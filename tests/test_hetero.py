"""TriPrune-HGNN's heterogeneous datasets (hgbench.datasets.hetero*): structure, labels, leakage, caching.

Tests marked ``realdata`` need the raw files under ``$HGBENCH_DATA/hetero`` (CI:
HGBENCH_DATA=/work/shared/datasets) and are skipped without them. Expected values below were
computed independently from the raw files (pandas / scipy in this file, not the builders).
"""

from __future__ import annotations

import pickle
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pytest
import scipy.io
import torch

from hgbench.datasets import catalog, hetero_cache
from hgbench.datasets.base import NodeDataset, Task
from hgbench.datasets.files import DataError, data_dir, ensure
from hgbench.datasets.hetero import BUILDERS, hetero_summary, splits, subsample
from hgbench.datasets.hetero_build import Context, context_hypergraph, multi_hot, numeric, rounded_mean_rating
from hgbench.datasets.hetero_loaders import FILES, IMDB_SCORE_EDGES, read_douban
from hgbench.datasets.synthetic import SyntheticConfig, generate

HETERO = data_dir() / "hetero"
NAMES = ("imdb", "dblp", "yelp", "amazon", "douban")
FOLDER = {"imdb": "imdb", "dblp": "dblp", "yelp": "yelp", "amazon": "amazon", "douban": "douban_movie"}


def raw_files_present(root: Path) -> bool:
    """Every raw hetero file is in ``root``: an existing but empty (or partial) folder is not enough."""
    return all((root / path).is_file() for path in FILES)


def realdata(test):
    """Mark a test as needing the raw files and skip it when any is absent."""
    absent = pytest.mark.skipif(not raw_files_present(data_dir()), reason=f"raw hetero files absent from {HETERO}")
    return pytest.mark.realdata(absent(test))


def test_an_empty_data_folder_does_not_count_as_real_data(tmp_path):
    for folder in FOLDER.values():
        (tmp_path / "hetero" / folder).mkdir(parents=True)
    assert not raw_files_present(tmp_path)
    for path in FILES:
        (tmp_path / path).write_bytes(b"")
    assert raw_files_present(tmp_path)


def _members(graph, context: str) -> list[set[int]]:
    """Member sets of the hyperedges of one context, in hyperedge order."""
    part = graph.restrict_to_context(graph.context_names.index(context))
    members = [set() for _ in range(part.num_edges)]
    for node, edge in part.index.t().tolist():
        members[edge].add(node)
    return members


def _same_structure_and_features(a: NodeDataset, b: NodeDataset) -> bool:
    ga, gb = a.hypergraph, b.hypergraph
    return (torch.equal(ga.index, gb.index) and torch.equal(ga.edge_context, gb.edge_context)
            and ga.num_edges == gb.num_edges and torch.equal(a.features, b.features))


def _tiny_dataset() -> NodeDataset:
    contexts = [Context("a", np.array([0, 1, 2]), np.array(["x", "x", "x"])),
                Context("b", np.array([2, 3]), np.array([7, 7]))]
    graph = context_hypergraph(contexts, 4)
    return NodeDataset("tiny", graph, torch.ones(4, 2), torch.tensor([0, 1, 2, -1]), 3, Task.ORDINAL)


# --------------------------------------------------------------------------- building blocks
def test_context_hypergraph_drops_small_edges_and_repeated_pairs():
    contexts = [
        Context("director", np.array([0, 1, 2, 2, 3]), np.array(["b", "b", "a", "a", "c"], dtype=object)),
        Context("genre", np.array([0, 1, 2, 3, 0]), np.array([5, 5, 5, 9, np.nan])),
    ]
    graph = context_hypergraph(contexts, num_nodes=5)
    assert graph.context_names == ("director", "genre")
    assert graph.num_edges == 2  # "a" has one distinct member, "c" and 9 one member each
    assert graph.edge_context.tolist() == [0, 1]
    assert _members(graph, "director") == [{0, 1}] and _members(graph, "genre") == [{0, 1, 2}]
    assert graph.weight is None


def test_rounded_mean_rating_rounds_half_up_and_marks_unrated():
    items = np.array([0, 0, 1, 1, 2, 2, 2])
    ratings = np.array([3, 4, 2, 3, 1, 1, 2])  # means 3.5, 2.5, 4/3
    assert rounded_mean_rating(items, ratings, 4).tolist() == [3, 2, 0, -1]
    with pytest.raises(ValueError, match="integers in 1..5"):
        rounded_mean_rating(items, ratings + 0.5, 4)


def test_feature_blocks():
    block = multi_hot(np.array([0, 1, 1, 2]), np.array(["u", "u", "v", "w"]), 3, "tag")
    assert block.names == ("tag=u",) and block.values[:, 0].tolist() == [1, 1, 0]  # v, w held by one node
    number = numeric(np.array([1.0, np.nan, 3.0]), "year")
    assert number.names == ("year", "year_missing")
    assert number.values[:, 1].tolist() == [0, 1, 0] and number.values[1, 0] == 0


def test_subsample_keeps_the_induced_sub_hypergraph():
    dataset = generate(SyntheticConfig(num_nodes=300, num_edges=200, num_contexts=3, seed=1))
    small = subsample(dataset, 120, seed=4)
    drawn = np.sort(np.random.default_rng(4).choice(300, size=120, replace=False))
    assert small.num_nodes == 120 and torch.equal(small.labels, dataset.labels[drawn])
    assert torch.equal(small.features, dataset.features[drawn])
    new_id = {int(node): i for i, node in enumerate(drawn)}
    expected = set()
    for k, name in enumerate(dataset.hypergraph.context_names):
        for members in _members(dataset.hypergraph, name):
            kept = frozenset(new_id[v] for v in members if v in new_id)
            if len(kept) >= 2:
                expected.add((k, kept))
    got = {(k, frozenset(members)) for k, name in enumerate(small.hypergraph.context_names)
           for members in _members(small.hypergraph, name)}
    assert got == expected
    assert subsample(dataset, 120, seed=4).hypergraph.index.equal(small.hypergraph.index)


# --------------------------------------------------------------------------- cache
@pytest.fixture
def default_cache_dirs(monkeypatch, tmp_path):
    """The data-dir / user-cache locations (CI points $HGBENCH_CACHE elsewhere); the user cache in tmp_path/user."""
    monkeypatch.delenv("HGBENCH_CACHE", raising=False)
    monkeypatch.setattr(hetero_cache.platformdirs, "user_cache_dir", lambda app: str(tmp_path / "user"))


def test_hgbench_cache_overrides_the_cache_location(tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_CACHE", str(tmp_path / "cache"))
    assert hetero_cache.cache_dirs(tmp_path / "data") == (tmp_path / "cache",)


@pytest.mark.usefixtures("default_cache_dirs")
def test_cache_is_reused_and_invalidated_by_a_new_sha256(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return _tiny_dataset()

    sources = {"hetero/x/a.dat": "0" * 64}
    first = hetero_cache.load_or_build("tiny", sources, tmp_path, build)
    second = hetero_cache.load_or_build("tiny", sources, tmp_path, build)
    assert len(calls) == 1 and _same_structure_and_features(first, second)
    assert torch.equal(first.labels, second.labels) and second.task is Task.ORDINAL
    assert (tmp_path / "user" / "processed" / f"tiny-{hetero_cache.cache_key('tiny', sources)}.pt").exists()
    assert not (tmp_path / "processed").exists()  # the data directory is never written
    hetero_cache.load_or_build("tiny", {"hetero/x/a.dat": "1" * 64}, tmp_path, build)
    assert len(calls) == 2


@pytest.mark.usefixtures("default_cache_dirs")
def test_cache_in_the_user_cache_dir_survives_a_corrupt_file(tmp_path):
    root = tmp_path / "readonly"
    root.mkdir()
    (root / "processed").write_text("not a directory")  # the data directory cannot hold the cache
    sources = {"hetero/x/a.dat": "2" * 64}
    hetero_cache.load_or_build("tiny", sources, root, _tiny_dataset)
    cached = tmp_path / "user" / "processed" / f"tiny-{hetero_cache.cache_key('tiny', sources)}.pt"
    assert cached.exists()
    cached.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="unreadable dataset cache"):
        rebuilt = hetero_cache.load_or_build("tiny", sources, root, _tiny_dataset)
    assert rebuilt.num_nodes == 4 and torch.load(cached, weights_only=True)["num_nodes"] == 4


@pytest.mark.usefixtures("default_cache_dirs")
def test_a_poisoned_cache_is_warned_about_and_rebuilt_from_the_raw_files(tmp_path):
    sources = {"hetero/x/a.dat": "3" * 64}
    hetero_cache.load_or_build("tiny", sources, tmp_path, _tiny_dataset)
    cached = tmp_path / "user" / "processed" / f"tiny-{hetero_cache.cache_key('tiny', sources)}.pt"
    state = torch.load(cached, weights_only=True)
    state["features"] = torch.full_like(state["features"], float("nan"))
    state["labels"] = torch.tensor([2, 2, 0, 1])
    torch.save(state, cached)  # same file name, same layout, poisoned arrays
    expected = _tiny_dataset()
    with pytest.warns(UserWarning, match=re.escape(str(cached))):
        loaded = hetero_cache.load_or_build("tiny", sources, tmp_path, _tiny_dataset)
    assert _same_structure_and_features(loaded, expected) and torch.equal(loaded.labels, expected.labels)

    def no_rebuild():
        raise AssertionError("the rebuilt cache should have been trusted")

    assert torch.equal(hetero_cache.load_or_build("tiny", sources, tmp_path, no_rebuild).labels, expected.labels)
    state = torch.load(cached, weights_only=True)
    del state["sha256"]  # a cache without a checksum (an older hgbench's) is not trusted either
    torch.save(state, cached)
    with pytest.warns(UserWarning, match="no checksum"):
        assert hetero_cache.load_or_build("tiny", sources, tmp_path, _tiny_dataset).num_nodes == 4


# --------------------------------------------------------------------------- registration
def test_specs_are_registered_with_paper_names_tasks_and_notes():
    expected = {"imdb": ("IMDB", Task.ORDINAL), "dblp": ("DBLP", Task.CLASSIFICATION),
                "yelp": ("Yelp", Task.ORDINAL), "amazon": ("Amazon", Task.ORDINAL),
                "douban": ("Douban", Task.ORDINAL)}
    for name, (paper, task) in expected.items():
        spec = catalog.spec(name)
        assert (spec.paper, spec.task) == (paper, task)
        assert any("10K-100K nodes" in note for note in spec.notes)
    assert any("NOT meaningful" in note for note in catalog.spec("dblp").notes)


def test_file_table_lists_the_twenty_files_with_upstream_urls():
    assert len(FILES) == 20
    assert all(file.url.startswith("https://raw.githubusercontent.com/") and len(file.sha256) == 64
               for file in FILES.values())
    assert " " not in FILES["hetero/douban_movie/movie_type.dat"].url


def test_missing_or_corrupted_file_names_the_file_and_its_sha256(tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path))
    expected = FILES["hetero/imdb/movie_metadata.csv"].sha256
    target = tmp_path / "hetero" / "imdb" / "movie_metadata.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"color,director_name\n")  # a truncated copy
    with pytest.raises(DataError, match=expected) as corrupted:
        catalog.load("imdb")
    assert str(target) in str(corrupted.value)
    target.unlink()

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DataError, match=expected) as missing:
        catalog.load("imdb")
    assert "hetero/imdb/movie_metadata.csv" in str(missing.value)


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def built() -> dict[str, NodeDataset]:
    """Every dataset built from the verified raw files, bypassing the on-disk cache."""
    return {name: BUILDERS[name](_verified_paths(name)) for name in NAMES}


def _verified_paths(name: str) -> dict[str, Path]:
    return {file.path: ensure(file) for file in catalog.spec(name).files}


def _raw(name: str, filename: str) -> Path:
    return HETERO / FOLDER[name] / filename


def _tsv(name: str, filename: str, columns: list[str], sep: str = "\t") -> pd.DataFrame:
    return pd.read_csv(_raw(name, filename), sep=sep, header=None, names=columns)


def _rounded_class(ratings) -> int:
    """Mean rating rounded half up (exact fractions), as a 0-based class."""
    mean = Fraction(int(sum(ratings)), len(ratings))
    return int(mean + Fraction(1, 2)) - 1


EXPECTED = {  # master nodes, hyperedges per context, classes, features, label counts per class
    "imdb": (4919, {"director": 875, "actor": 2301, "keyword": 3038, "genre": 25}, 5, 122,
             [940, 952, 955, 1070, 1002]),
    "dblp": (14475, {"paper": 12442, "venue": 20, "term": 8283}, 4, 503, [1197, 745, 1109, 1006]),
    "yelp": (14284, {"category": 511, "city": 47, "users": 10768}, 5, 560, [446, 900, 3631, 6137, 3170]),
    "amazon": (2753, {"brand": 98, "category": 9, "also_viewed": 1061, "users": 6170}, 5, 110,
               [0, 24, 332, 1669, 728]),
    "douban": (12677, {"genre": 38, "director": 2449, "actor": 6305, "users": 11100}, 5, 41,
               [114, 509, 4132, 6845, 1077]),
}


@realdata
def test_every_raw_file_verifies():
    for file in FILES.values():
        ensure(file)


@realdata
@pytest.mark.parametrize("name", NAMES)
def test_counts(built, name):
    nodes, hyperedges, classes, features, label_counts = EXPECTED[name]
    dataset = built[name]
    summary = hetero_summary(dataset)
    assert summary["master_nodes"] == nodes and summary["hyperedges"] == hyperedges
    assert summary["classes"] == classes and summary["features"] == features
    assert list(summary["label_distribution"].values()) == label_counts
    assert dataset.hypergraph.weight is None and min(dataset.hypergraph.edge_size_count.tolist()) >= 2
    assert dataset.features.isfinite().all() and len(dataset.feature_names) == features
    assert set(dataset.sources) == {file.path for file in catalog.spec(name).files}


@realdata
def test_imdb_rows(built):
    movies = pd.read_csv(_raw("imdb", "movie_metadata.csv")).drop_duplicates("movie_imdb_link").reset_index()
    graph, labels = built["imdb"].hypergraph, built["imdb"].labels
    avatar = int(movies.index[movies["movie_title"].str.strip() == "Avatar"][0])
    cameron = set(movies.index[movies["director_name"] == "James Cameron"].tolist())
    assert avatar in cameron and len(cameron) >= 2 and cameron in _members(graph, "director")
    assert movies.loc[avatar, "imdb_score"] == 7.9 and labels[avatar] == 4
    depp = set(movies.index[(movies[["actor_1_name", "actor_2_name", "actor_3_name"]] == "Johnny Depp").any(axis=1)])
    assert depp in _members(graph, "actor")
    quintiles = np.quantile(movies["imdb_score"], [0.2, 0.4, 0.6, 0.8])
    assert np.allclose(quintiles, IMDB_SCORE_EDGES)
    assert labels.tolist() == [sum(score >= edge for edge in IMDB_SCORE_EDGES) for score in movies["imdb_score"]]


@realdata
def test_dblp_rows(built):
    authors = _tsv("dblp", "author_map_id.dat", ["author", "original"])
    labels = _tsv("dblp", "author_label.dat", ["original", "area"])
    written = _tsv("dblp", "paper_author.dat", ["paper", "author", "one"])
    dataset = built["dblp"]
    first = labels.iloc[0]  # original id 366357, area 2
    author = int(authors.loc[authors["original"] == first["original"], "author"].iloc[0])
    assert dataset.labels[author - 1] == first["area"] - 1
    assert int((dataset.labels == -1).sum()) == len(authors) - len(labels)
    coauthored = written.groupby("paper")["author"].apply(lambda a: set(a - 1))
    coauthored = coauthored[coauthored.map(len) >= 2]
    assert _members(dataset.hypergraph, "paper")[0] == coauthored.iloc[0]  # hyperedges in paper-id order


@realdata
def test_yelp_labels_are_rounded_mean_ratings(built):
    ratings = _tsv("yelp", "user_business.dat", ["user", "business", "rating"])
    per_business = ratings.groupby("business")["rating"].apply(list)
    halves = [b for b, r in per_business.items() if (2 * sum(r)) % len(r) == 0 and (2 * sum(r) // len(r)) % 2]
    singles = [b for b, r in per_business.items() if len(r) == 1]
    for business in [1, 2, 3, *halves[:5], *singles[:2]]:
        assert built["yelp"].labels[business - 1] == _rounded_class(per_business[business])
    cities = _tsv("yelp", "business_city.dat", ["business", "city", "one"])
    same_city = set((cities.loc[cities["city"] == cities.loc[0, "city"], "business"] - 1).tolist())
    assert same_city in _members(built["yelp"].hypergraph, "city")


@realdata
def test_amazon_rows(built):
    ratings = _tsv("amazon", "user_item.dat", ["user", "item", "rating", "time"])
    per_item = ratings.groupby("item")["rating"].apply(list)
    for item in [0, 1, 2, 2645]:
        assert built["amazon"].labels[item] == _rounded_class(per_item[item])
    brands = _tsv("amazon", "item_brand.dat", ["item", "brand"], sep=",")
    by_brand = brands.groupby("brand")["item"].apply(set)
    assert set(map(frozenset, by_brand[by_brand.map(len) >= 2])) == set(
        map(frozenset, _members(built["amazon"].hypergraph, "brand")))
    raters = set(ratings.loc[ratings["user"] == ratings.loc[0, "user"], "item"])
    assert raters in _members(built["amazon"].hypergraph, "users")


@realdata
def test_douban_mat_without_pickle_and_side_files_agree(built, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle must not be used")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    relations, entities = read_douban(_raw("douban", "douban.mat"))
    assert relations[("user", "movie")].nnz == 1_068_278 and len(entities["type"]) == 38
    directed = _tsv("douban", "movie_director.dat", ["movie", "director", "one"])
    by_director = directed.groupby("director")["movie"].apply(lambda m: frozenset(m - 1))
    assert set(by_director[by_director.map(len) >= 2]) == set(
        map(frozenset, _members(built["douban"].hypergraph, "director")))
    ratings = scipy.io.loadmat(_raw("douban", "douban.mat"))["relation"][0, 0].tocsc()
    for movie in [0, 1, 2, 100, 12676]:
        column = ratings[:, [movie]].toarray().ravel()
        assert built["douban"].labels[movie] == _rounded_class(column[column > 0])


# The label source of each dataset, and how to shuffle it in a copy of the raw file.
def _permuted_table(path: Path, out: Path, column: int, sep: str) -> None:
    table = pd.read_csv(path, sep=sep, header=None)
    table[column] = np.random.default_rng(0).permutation(table[column].to_numpy())
    table.to_csv(out, sep=sep, header=False, index=False)


def _permuted_imdb(path: Path, out: Path) -> None:
    movies = pd.read_csv(path)
    movies["imdb_score"] = np.random.default_rng(0).permutation(movies["imdb_score"].to_numpy())
    movies.to_csv(out, index=False)


def _permuted_douban(path: Path, out: Path) -> None:
    mat = {key: value for key, value in scipy.io.loadmat(path).items() if not key.startswith("__")}
    ratings = mat["relation"][0, 0].tocsc()
    ratings.data = np.random.default_rng(0).permutation(ratings.data)
    mat["relation"][0, 0] = ratings
    scipy.io.savemat(out, mat)


LABEL_SOURCES = {
    "imdb": ("movie_metadata.csv", _permuted_imdb),
    "dblp": ("author_label.dat", lambda path, out: _permuted_table(path, out, 1, "\t")),
    "yelp": ("user_business.dat", lambda path, out: _permuted_table(path, out, 2, "\t")),
    "amazon": ("user_item.dat", lambda path, out: _permuted_table(path, out, 2, "\t")),
    "douban": ("douban.mat", _permuted_douban),
}


@realdata
@pytest.mark.parametrize("name", NAMES)
def test_labels_and_ratings_never_reach_features_or_structure(built, name, tmp_path):
    filename, permute = LABEL_SOURCES[name]
    relpath = f"hetero/{FOLDER[name]}/{filename}"
    paths = _verified_paths(name)
    permute(paths[relpath], tmp_path / filename)
    shuffled = BUILDERS[name]({**paths, relpath: tmp_path / filename})
    original = built[name]
    assert _same_structure_and_features(original, shuffled)
    assert shuffled.hypergraph.weight is None
    assert not torch.equal(original.labels, shuffled.labels)
    assert torch.equal((original.labels >= 0), (shuffled.labels >= 0))


@realdata
@pytest.mark.usefixtures("default_cache_dirs")
def test_catalog_load_builds_once_then_reads_the_cache(tmp_path, monkeypatch):
    for file in catalog.spec("imdb").files:
        link = tmp_path / file.path
        link.parent.mkdir(parents=True)
        link.symlink_to(HETERO.parent / file.path)
    monkeypatch.setattr(catalog, "_LOADED", {})
    first = catalog.load("imdb", tmp_path)
    assert len(list((tmp_path / "user" / "processed").glob("imdb-*.pt"))) == 1

    def no_rebuild(paths):
        raise AssertionError("the cache should have been used")

    monkeypatch.setitem(BUILDERS, "imdb", no_rebuild)
    monkeypatch.setattr(catalog, "_LOADED", {})
    second = catalog.load("imdb", tmp_path)
    assert second is not first and _same_structure_and_features(first, second)
    assert torch.equal(first.labels, second.labels) and second.class_names == first.class_names
    assert second.feature_names == first.feature_names and second.sources == first.sources


@realdata
def test_splits_are_stratified_and_never_hold_unlabelled_nodes(built):
    dataset = built["dblp"]
    all_splits = splits(dataset)
    assert [split.seed for split in all_splits] == list(range(10)) and all_splits[0].protocol == "ratio-0.6-0.2"
    assert len({split.digest for split in all_splits}) == 10
    labelled = set(dataset.labelled.tolist())
    for split in all_splits:
        parts = [split.train, split.val, split.test]
        assert set(torch.cat(parts).tolist()) == labelled
        sizes = [part.numel() / len(labelled) for part in parts]
        assert np.allclose(sizes, [0.6, 0.2, 0.2], atol=0.01)


@realdata
def test_subsample_of_a_real_dataset(built):
    small = subsample(built["yelp"], 500, seed=0)
    summary = hetero_summary(small)
    assert summary["master_nodes"] == 500 and summary["features"] == 560
    assert small.hypergraph.context_names == ("category", "city", "users")
    assert min(small.hypergraph.edge_size_count.tolist()) >= 2

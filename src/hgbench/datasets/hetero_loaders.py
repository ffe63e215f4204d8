"""Builders of TriPrune-HGNN's five datasets (paper §4 "Datasets") from their raw files.

Each ``build_<name>(paths)`` receives ``{relative path: local path}`` of the raw files
(``hetero/<dataset>/<file>``, see hetero_files.csv and ../shared/datasets/hetero/SOURCES.md) and
returns a :class:`~hgbench.datasets.base.NodeDataset` whose nodes are the master nodes ``V_m`` of
Eq. 3 and whose hyperedges carry their behavioural context (§2.3). docs/datasets.md gives the
reason for every decision. Two rules hold throughout: rating values (and IMDB's score) reach the
labels only, and the features hold side information only -- no audience response (ratings, votes,
review counts, likes, box office) and no degree in a users context.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from .base import NodeDataset, Task
from .catalog import upstream_files
from .hetero_build import (
    RATING_CLASSES,
    Context,
    FeatureBlock,
    context_hypergraph,
    context_log_degrees,
    feature_matrix,
    multi_hot,
    numeric,
    rounded_mean_rating,
    split_column,
)
from .hypergraph import Hypergraph

if TYPE_CHECKING:  # pandas and scipy.sparse are imported where a builder runs: registering the datasets needs neither
    import pandas as pd
    import scipy.sparse

FILES = upstream_files("hetero_files.csv")

# IMDB: quintiles of imdb_score over the 4,919 distinct movies (numpy's default linear quantiles
# at 0.2, 0.4, 0.6, 0.8, which fall on the 0.1 grid of the scores), frozen so that sub-samples and
# future runs use the same bins. Class c holds the scores in [edge_{c-1}, edge_c).
IMDB_SCORE_EDGES = (5.6, 6.3, 6.8, 7.4)
IMDB_CLASSES = ("<5.6", "5.6-6.2", "6.3-6.7", "6.8-7.3", ">=7.4")
IMDB_ACTOR_COLUMNS = ("actor_1_name", "actor_2_name", "actor_3_name")
IMDB_CATEGORICAL = ("content_rating", "language", "country", "color")
IMDB_NUMERIC = ("title_year", "duration", "aspect_ratio", "facenumber_in_poster")

# DBLP: an author's features are the most frequent title terms (by number of papers) it used.
DBLP_TERM_FEATURES = 500
DBLP_CLASSES = ("area 1", "area 2", "area 3", "area 4")  # the release does not name the four areas


def _file(paths: dict[str, Path], dataset: str, filename: str) -> Path:
    return paths[f"hetero/{dataset}/{filename}"]


def _read_ids(path: Path, columns: tuple[str, ...], sep: str = "\t") -> pd.DataFrame:
    """A header-less integer table; trailing columns not named (constant 1s, timestamps) are skipped."""
    import pandas as pd

    return pd.read_csv(path, sep=sep, header=None, usecols=range(len(columns)), names=list(columns),
                       dtype=np.int64)


def _dataset(name: str, hypergraph: Hypergraph, blocks: list[FeatureBlock], labels: np.ndarray,
             class_names: tuple[str, ...], task: Task, paths: dict[str, Path]) -> NodeDataset:
    features, feature_names = feature_matrix(blocks)
    return NodeDataset(
        name=name, hypergraph=hypergraph, features=features, labels=torch.as_tensor(labels, dtype=torch.long),
        num_classes=len(class_names), task=task, sources={path: FILES[path].sha256 for path in sorted(paths)},
        class_names=class_names, feature_names=feature_names,
    )


# --------------------------------------------------------------------------- IMDB
def read_imdb_movies(path: Path) -> pd.DataFrame:
    """movie_metadata.csv, one row per distinct ``movie_imdb_link`` (the first row of each)."""
    import pandas as pd

    movies = pd.read_csv(path, encoding="utf-8")
    return movies.drop_duplicates("movie_imdb_link", keep="first").reset_index(drop=True)


def build_imdb(paths: dict[str, Path]) -> NodeDataset:
    """Movies; contexts director, actor, keyword, genre; label = imdb_score quintile (5 ordinal classes)."""
    movies = read_imdb_movies(_file(paths, "imdb", "movie_metadata.csv"))
    rows = np.arange(len(movies))
    actors = movies[list(IMDB_ACTOR_COLUMNS)].melt(ignore_index=False)["value"]
    genre_rows, genres = split_column(movies, "genres")
    contexts = [
        Context("director", rows, movies["director_name"].to_numpy()),
        Context("actor", actors.index.to_numpy(dtype=np.int64), actors.to_numpy()),
        Context("keyword", *split_column(movies, "plot_keywords")),
        Context("genre", genre_rows, genres),
    ]
    hypergraph = context_hypergraph(contexts, len(movies))
    labels = np.searchsorted(IMDB_SCORE_EDGES, movies["imdb_score"].to_numpy(), side="right")
    blocks = [multi_hot(genre_rows, genres, len(movies), "genre")]
    blocks += [multi_hot(rows, movies[column].str.strip().to_numpy(), len(movies), column)
               for column in IMDB_CATEGORICAL]
    blocks += [numeric(movies[column].to_numpy(), column) for column in IMDB_NUMERIC]
    blocks.append(numeric(np.log1p(movies["budget"].to_numpy()), "log_budget"))
    blocks.append(context_log_degrees(hypergraph, hypergraph.context_names))
    return _dataset("imdb", hypergraph, blocks, labels, IMDB_CLASSES, Task.ORDINAL, paths)


# --------------------------------------------------------------------------- DBLP
def build_dblp(paths: dict[str, Path]) -> NodeDataset:
    """Authors; contexts paper (co-authorship), venue, term; label = research area (4 nominal classes)."""
    author_ids = _read_ids(_file(paths, "dblp", "author_map_id.dat"), ("author", "original"))
    num_authors = len(author_ids)
    if not np.array_equal(author_ids["author"].to_numpy(), np.arange(1, num_authors + 1)):
        raise ValueError("author_map_id.dat: author ids are not 1..N in order")
    written = _read_ids(_file(paths, "dblp", "paper_author.dat"), ("paper", "author"))
    written["node"] = written["author"] - 1
    venues = written.merge(_read_ids(_file(paths, "dblp", "paper_conference.dat"), ("paper", "venue")), on="paper")
    terms = written.merge(_read_ids(_file(paths, "dblp", "paper_type.dat"), ("paper", "term")), on="paper")
    contexts = [
        Context("paper", written["node"].to_numpy(), written["paper"].to_numpy()),
        Context("venue", venues["node"].to_numpy(), venues["venue"].to_numpy()),
        Context("term", terms["node"].to_numpy(), terms["term"].to_numpy()),
    ]
    hypergraph = context_hypergraph(contexts, num_authors)
    blocks = [_dblp_term_features(terms, num_authors), context_log_degrees(hypergraph, hypergraph.context_names)]
    labels = _dblp_labels(_file(paths, "dblp", "author_label.dat"), author_ids)
    return _dataset("dblp", hypergraph, blocks, labels, DBLP_CLASSES, Task.CLASSIFICATION, paths)


def _dblp_term_features(terms: pd.DataFrame, num_authors: int) -> FeatureBlock:
    """0/1 per author for the :data:`DBLP_TERM_FEATURES` terms in most papers (ties: smaller term id)."""
    papers_per_term = terms.drop_duplicates(["paper", "term"]).groupby("term").size()
    ranked = papers_per_term.reset_index(name="papers").sort_values(["papers", "term"], ascending=[False, True])
    frequent = terms[terms["term"].isin(ranked["term"].head(DBLP_TERM_FEATURES))]
    return multi_hot(frequent["node"].to_numpy(), frequent["term"].to_numpy(), num_authors, "term", min_support=1)


def _dblp_labels(path: Path, author_ids: pd.DataFrame) -> np.ndarray:
    """author_label.dat holds original author ids and areas 1..4; unlabelled authors get -1."""
    labelled = _read_ids(path, ("original", "area")).merge(author_ids, on="original", validate="one_to_one")
    labels = np.full(len(author_ids), -1, dtype=np.int64)
    labels[labelled["author"].to_numpy() - 1] = labelled["area"].to_numpy() - 1
    return labels


# --------------------------------------------------------------------------- Yelp
def build_yelp(paths: dict[str, Path]) -> NodeDataset:
    """Businesses; contexts category, city, users; label = mean star rating rounded to 1..5."""
    ratings = _read_ids(_file(paths, "yelp", "user_business.dat"), ("user", "business", "rating"))
    categories = _read_ids(_file(paths, "yelp", "business_category.dat"), ("business", "category"))
    cities = _read_ids(_file(paths, "yelp", "business_city.dat"), ("business", "city"))
    num_businesses = int(max(table["business"].max() for table in (ratings, categories, cities)))
    contexts = [
        Context("category", categories["business"].to_numpy() - 1, categories["category"].to_numpy()),
        Context("city", cities["business"].to_numpy() - 1, cities["city"].to_numpy()),
        Context("users", ratings["business"].to_numpy() - 1, ratings["user"].to_numpy()),
    ]
    hypergraph = context_hypergraph(contexts, num_businesses)
    blocks = [
        multi_hot(categories["business"].to_numpy() - 1, categories["category"].to_numpy(), num_businesses, "category"),
        multi_hot(cities["business"].to_numpy() - 1, cities["city"].to_numpy(), num_businesses, "city"),
        context_log_degrees(hypergraph, ("category", "city")),
    ]
    labels = rounded_mean_rating(ratings["business"].to_numpy() - 1, ratings["rating"].to_numpy(), num_businesses)
    return _dataset("yelp", hypergraph, blocks, labels, RATING_CLASSES, Task.ORDINAL, paths)


# --------------------------------------------------------------------------- Amazon
def build_amazon(paths: dict[str, Path]) -> NodeDataset:
    """Items; contexts brand, category, also-viewed, users; label = mean rating rounded to 1..5."""
    ratings = _read_ids(_file(paths, "amazon", "user_item.dat"), ("user", "item", "rating"))
    brands, categories, views = (_read_ids(_file(paths, "amazon", f"item_{kind}.dat"), ("item", kind), sep=",")
                                 for kind in ("brand", "category", "view"))
    num_items = int(max(table["item"].max() for table in (ratings, brands, categories, views))) + 1
    contexts = [
        Context("brand", brands["item"].to_numpy(), brands["brand"].to_numpy()),
        Context("category", categories["item"].to_numpy(), categories["category"].to_numpy()),
        Context("also_viewed", views["item"].to_numpy(), views["view"].to_numpy()),
        Context("users", ratings["item"].to_numpy(), ratings["user"].to_numpy()),
    ]
    hypergraph = context_hypergraph(contexts, num_items)
    blocks = [
        multi_hot(brands["item"].to_numpy(), brands["brand"].to_numpy(), num_items, "brand"),
        multi_hot(categories["item"].to_numpy(), categories["category"].to_numpy(), num_items, "category"),
        context_log_degrees(hypergraph, ("brand", "category", "also_viewed")),
    ]
    labels = rounded_mean_rating(ratings["item"].to_numpy(), ratings["rating"].to_numpy(), num_items)
    return _dataset("amazon", hypergraph, blocks, labels, RATING_CLASSES, Task.ORDINAL, paths)


# --------------------------------------------------------------------------- Douban Movie
def read_douban(path: Path) -> tuple[dict[tuple[str, str], scipy.sparse.coo_array], dict[str, list[str]]]:
    """douban.mat (MATLAB v5, read by ``scipy.io.loadmat``: no pickle) as relations and entity names.

    Returns ``{(row entity, column entity): sparse matrix}`` (e.g. ``("user", "movie")`` holds the
    ratings) and ``{entity: identifiers}`` (original Douban ids, genre names for ``"type"``).
    """
    import scipy.io  # here, not at import: only Douban needs it
    import scipy.sparse

    mat = scipy.io.loadmat(path)
    names = [str(cell[0]) for cell in mat["entityName"].ravel()]
    entities = {name: [str(cell[0]) for cell in identifiers.ravel()]
                for name, identifiers in zip(names, mat["entity"].ravel())}
    relations = {(names[int(a) - 1], names[int(b) - 1]): scipy.sparse.coo_array(matrix)
                 for (a, b), matrix in zip(mat["relationIdx"], mat["relation"].ravel())}
    return relations, entities


def build_douban(paths: dict[str, Path]) -> NodeDataset:
    """Movies; contexts genre (type), director, actor, users; label = mean rating rounded to 1..5."""
    relations, entities = read_douban(_file(paths, "douban_movie", "douban.mat"))
    ratings = relations[("user", "movie")]
    num_movies = ratings.shape[1]
    genre, director, actor = (relations[("movie", kind)] for kind in ("type", "director", "actor"))
    genre_names = np.asarray(entities["type"], dtype=object)
    contexts = [
        Context("genre", genre.row, genre.col),
        Context("director", director.row, director.col),
        Context("actor", actor.row, actor.col),
        Context("users", ratings.col, ratings.row),
    ]
    hypergraph = context_hypergraph(contexts, num_movies)
    blocks = [
        multi_hot(genre.row, genre_names[genre.col], num_movies, "genre"),
        context_log_degrees(hypergraph, ("genre", "director", "actor")),
    ]
    labels = rounded_mean_rating(ratings.col, ratings.data, num_movies)
    return _dataset("douban", hypergraph, blocks, labels, RATING_CLASSES, Task.ORDINAL, paths)

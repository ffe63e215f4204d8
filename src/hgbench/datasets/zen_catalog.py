"""The 11 hypergraphs of the ZEN paper (Table 2), built from their upstream raw files.

Preprocessing follows ZEN/ED-HNN: H is a 0/1 matrix (a node listed twice in one hyperedge is
one membership; duplicate hyperedges are kept), every node without a singleton hyperedge gets one (so ``H``
equals ZEN's ``H.pt`` as a multiset of memberships), the Cornell datasets get ED-HNN's
label-dependent Gaussian features (SOURCES.md), the HyperGCN feature matrices are densified.
One deliberate deviation: Zoo's labels are shifted to 0..6 (ZEN keeps 1..7 with an empty class
0), so Zoo has the 7 classes of Table 2.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .base import NodeDataset, Task
from .catalog import DatasetSpec, register, upstream_files
from .files import DataFile
from .formats import (
    cornell_features,
    read_cornell_hyperedges,
    read_cornell_labels,
    read_hypergcn_features,
    read_hypergcn_hyperedges,
    read_hypergcn_labels,
    read_le,
    read_names,
)
from .hypergraph import Hypergraph

FILES = upstream_files("zen_files.csv")

# Features with no public copy of known checksum (SOURCES.md, "Not available here").
PUBMED_FEATURES = DataFile(
    "pubmed/features.pickle", "",
    "https://huggingface.co/datasets/peihaowang/edgnn-hypergraph-dataset/resolve/main/cocitation/pubmed/features.pickle",
)
MODELNET40_CONTENT = DataFile(
    "ModelNet40/ModelNet40.content", "",
    "https://raw.githubusercontent.com/Fladmark/AllSet/afc426556765aa7d3d0d080f719f634befe6beb8/"
    "data/AllSet_all_raw_data/ModelNet40/ModelNet40.content",
)

ZOO_FEATURES = ("Hair", "Feathers", "Eggs", "Milk", "Airborne", "Aquatic", "Predator", "Toothed",
                "Backbone", "Breathes", "Venomous", "Fins", "Legs", "Tail", "Domestic", "Catsize")
ZOO_CLASSES = ("Mammal", "Bird", "Reptile", "Fish", "Amphibian", "Bug", "Invertebrate")  # zoo.names, types 1..7


def _dataset(name, index, features, labels, paths, class_names=None, feature_names=None) -> NodeDataset:
    num_nodes = labels.shape[0]
    raw = Hypergraph(torch.as_tensor(index), num_nodes).deduplicated()
    hypergraph = raw.with_self_loops()
    return NodeDataset(
        name=name,
        hypergraph=hypergraph,
        features=torch.as_tensor(features, dtype=torch.float32),
        labels=torch.as_tensor(labels, dtype=torch.long),
        num_classes=int(labels.max()) + 1,
        task=Task.CLASSIFICATION,
        sources={path: _sha(path) for path in paths},
        class_names=class_names,
        feature_names=feature_names,
        added_singletons=hypergraph.num_edges - raw.num_edges,
    )


def _sha(path: str) -> str:
    return FILES[path].sha256 if path in FILES else "unverified"


def _hypergcn(name: str, folder: str, features_file: DataFile | None = None):
    features_path = features_file.path if features_file else f"{folder}/features.pickle"
    files = [FILES[f"{folder}/hypergraph.pickle"], FILES[f"{folder}/labels.pickle"]]

    def build(paths: dict[str, Path]) -> NodeDataset:
        index = read_hypergcn_hyperedges(paths[f"{folder}/hypergraph.pickle"])
        labels = read_hypergcn_labels(paths[f"{folder}/labels.pickle"])
        features = read_hypergcn_features(paths[features_path])
        return _dataset(name, index, features, labels, paths)

    if features_file is None:
        files.append(FILES[features_path])
    return files, build


def _allset_le(name: str, folder: str, content: DataFile | None = None, shift_labels: int = 0,
               class_names=None, feature_names=None):
    content_path = content.path if content else f"{folder}/{folder}.content"
    files = [FILES[f"{folder}/{folder}.edges"]]

    def build(paths: dict[str, Path]) -> NodeDataset:
        index, features, labels = read_le(paths[content_path], paths[f"{folder}/{folder}.edges"])
        return _dataset(name, index, features, labels - shift_labels, paths, class_names, feature_names)

    if content is None:
        files.append(FILES[content_path])
    return files, build


def _cornell(name: str, folder: str):
    edges, labels_file, names_file = (f"{folder}/hyperedges-{folder}.txt", f"{folder}/node-labels-{folder}.txt",
                                      f"{folder}/label-names-{folder}.txt")

    def build(paths: dict[str, Path]) -> NodeDataset:
        labels = read_cornell_labels(paths[labels_file])
        class_names = read_names(paths[names_file])
        features = cornell_features(labels, num_classes=int(labels.max()) + 1)
        return _dataset(name, read_cornell_hyperedges(paths[edges]), features, labels, paths, class_names)

    return [FILES[edges], FILES[labels_file], FILES[names_file]], build


def _register(name: str, paper: str, description: str, files_and_build, unavailable=(), notes=()):
    files, build = files_and_build
    register(DatasetSpec(name=name, files=tuple(files), build=build, paper=paper, description=description,
                         unavailable=tuple(unavailable), notes=tuple(notes)))


_register("cora", "Cora", "co-citation, HyperGCN", _hypergcn("cora", "cora"))
_register("citeseer", "Citeseer", "co-citation, HyperGCN", _hypergcn("citeseer", "citeseer"))
_register("pubmed", "Pubmed", "co-citation, HyperGCN", _hypergcn("pubmed", "pubmed", PUBMED_FEATURES),
          unavailable=[PUBMED_FEATURES], notes=("features.pickle (19717x500) has no public copy here",))
_register("cora-ca", "Cora_CA", "co-authorship, HyperGCN", _hypergcn("cora-ca", "coauthor_cora"))
_register("20news", "20News", "20newsW100, AllSet", _allset_le("20news", "20newsW100"))
_register("modelnet40", "MN40", "ModelNet40, AllSet",
          _allset_le("modelnet40", "ModelNet40", MODELNET40_CONTENT),
          unavailable=[MODELNET40_CONTENT], notes=("ModelNet40.content (features) has no public copy here",))
_register("congress", "Congress", "congress-bills, Cornell", _cornell("congress", "congress-bills"))
_register("walmart", "Walmart", "walmart-trips, Cornell", _cornell("walmart", "walmart-trips"))
_register("senate", "Senate", "senate-committees, Cornell", _cornell("senate", "senate-committees"))
_register("house", "House", "house-committees, Cornell", _cornell("house", "house-committees"))
_register("zoo", "Zoo", "UCI zoo, AllSet (labels shifted to 0..6)",
          _allset_le("zoo", "zoo", shift_labels=1, class_names=ZOO_CLASSES, feature_names=ZOO_FEATURES))

# ZEN's own tensors, used by the tests to check that the loaders above reproduce them.
ZEN_TENSORS = {name: {kind: FILES.get(f"{folder}/{kind}.pt") for kind in ("H", "X", "Y")}
               for name, folder in [("cora", "cora"), ("citeseer", "citeseer"), ("pubmed", "pubmed"),
                                    ("cora-ca", "coauthor_cora"), ("20news", "20newsW100"),
                                    ("modelnet40", "ModelNet40"), ("congress", "congress-bills"),
                                    ("walmart", "walmart-trips"), ("senate", "senate-committees"),
                                    ("house", "house-committees"), ("zoo", "zoo")]}

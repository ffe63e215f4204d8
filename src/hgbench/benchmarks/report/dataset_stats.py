"""Dataset statistics (ZEN Table 2) measured from the data directory when the report is rendered.

The claims about the datasets (node, class and feature counts) read this board. It is data, not a
result: each dataset of the paper's Table 2 is loaded as ``bench run`` would load it (files verified,
nothing downloaded) and its ``summary()`` (nodes, hyperedges, classes, features) is taken, through the
statistics cache that ``bench list datasets`` reads (``datasets/summaries.py``: recomputed whenever a
file changes), so these are the numbers it prints beside the paper's. No method is run. Loading the ZEN
datasets takes seconds when nothing is cached; the board is computed once per process. ZEN's Table 2
is rendered from it (suite ``zen-datasets``, ``zen_tables_2_8.py``).

A dataset whose files have no public copy is ``data unavailable`` (its rows are skipped by the checks, as
cells that cannot run); one not downloaded yet is ``pending`` (``bench run`` fetches it), which keeps the
claims that read it pending.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...datasets.files import DataError, DataMissing, DataUnavailable, data_dir
from ...datasets.summaries import statistics
from .paper import paper_table

SUITE = "datasets"  # the name claim_checks.csv gives this board
PAPER_TABLE = "zen_table2_dataset_stats.csv"
STATISTICS = {"nodes": "# nodes |V|", "hyperedges": "# edges |E|", "classes": "# classes c",
              "features": "# features d"}  # summary() key -> the paper's metric name


def paper_datasets() -> dict[str, str]:
    """Paper name -> catalog name, for the datasets of the paper's Table 2 (catalog order)."""
    named = set(paper_table(PAPER_TABLE).dataset)
    return {catalog.spec(n).paper: n for n in catalog.names() if catalog.spec(n).paper in named}


# ZEN Table 2 as the paper counts (``NodeDataset.table2_counts``): hyperedges without the singletons preprocessing
# adds; ``hyperedges`` (with them, what the models see) has no paper value
TABLE2 = {"nodes": "# nodes |V|", "raw_hyperedges": "# edges |E|", "hyperedges": "", "classes": "# classes c",
          "features": "# features d"}
KINDS = {"summary": (STATISTICS, lambda data: data.summary()), "table2": (TABLE2, lambda data: data.table2_counts())}


def board() -> pd.DataFrame:
    """A long board (``label, method, dataset, paper_dataset, metric, mean, std, paper_mean, status``) of
    the statistics of every Table 2 dataset, for the current data directory."""
    return _board(str(data_dir()), "summary").copy()


def table2_board() -> pd.DataFrame:
    """As :func:`board`, with the counts of ``TABLE2`` (ZEN's Table 2 layout, suite ``zen-datasets``)."""
    return _board(str(data_dir()), "table2").copy()


@lru_cache(maxsize=None)
def _board(root: str, kind: str) -> pd.DataFrame:
    paper = paper_table(PAPER_TABLE).set_index(["dataset", "metric"])["mean"]
    names, compute = KINDS[kind]
    rows = []
    for paper_name, name in paper_datasets().items():
        try:
            measured, status = statistics(name, kind, compute, Path(root)), "ok"
        except DataUnavailable:
            measured, status = {}, "data unavailable"
        except DataMissing:
            measured, status = {}, "pending"
        except DataError:  # a corrupted file: bench run reports it; the claims skip the dataset
            measured, status = {}, "failed"
        rows += [{"label": "", "method": "", "dataset": name, "paper_dataset": paper_name, "metric": key,
                  "mean": float(measured.get(key, np.nan)), "std": np.nan,
                  "paper_mean": float(paper.get((paper_name, paper_key), np.nan)), "status": status}
                 for key, paper_key in names.items()]
    return pd.DataFrame(rows)

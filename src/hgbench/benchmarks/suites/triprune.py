"""The TriPrune-HGNN paper's suites (Tables 2-10): declarations only."""

from __future__ import annotations

from .base import PaperTable, Suite, register_suite

TRIPRUNE_SUITES = ("triprune-main",)
TRIPRUNE_DATASETS = ("imdb", "dblp", "yelp", "amazon", "douban")
TRIPRUNE_SPLITS = "ratio-0.6-0.2"  # the paper states no ratios (datasets/hetero.py)

register_suite(Suite(
    name="triprune-main",
    description="TriPrune-HGNN paper Table 2: MAE, RMSE and ACC on the five heterogeneous datasets, with the "
                "inference time and peak memory of the trained model",
    methods=("tp-hgnn", "tp-mlp"),
    datasets=TRIPRUNE_DATASETS,
    protocol=TRIPRUNE_SPLITS,
    seeds=10,
    table=PaperTable("triprune_table2_main.csv", "MAE, RMSE and ACC on five heterogeneous datasets "
                     "(TriPrune-HGNN paper, Table 2)", setting="", metric="mae"),
    kind="multimetric",
    pending_rows=("HHGSA", "HyGCL-AdT", "HEAL", "TriCL", "HSC", "SAVIT", "HSL", "HGNN-Struct", "AdaGLT", "Shaver",
                  "LightHGNN", "DistillHGNN", "SHARP-Distill", "TriPrune-HGNN"),
    efficiency_reference="tp-hgnn",
))

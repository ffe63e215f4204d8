"""Suites: declarations of which runs a paper table needs (one module per paper) and which layout renders them."""

from .base import Comparison, PaperTable, Suite, register_suite, suite, suite_names
from .triprune import TRIPRUNE_DATASETS, TRIPRUNE_SUITES
from .zen import ACCURACY_AND_TIME, SHOT_SERIES, ZEN_DATASETS, ZEN_SUITES

register_suite(Suite(
    name="paper",
    description="Every suite of both papers: ZEN Tables 2-6 and 8-13, TriPrune Tables 2 and 4-10",
    methods=(), datasets=(),
    includes=ZEN_SUITES + TRIPRUNE_SUITES,
))

__all__ = ["ACCURACY_AND_TIME", "Comparison", "SHOT_SERIES", "TRIPRUNE_DATASETS", "TRIPRUNE_SUITES", "ZEN_DATASETS",
           "ZEN_SUITES", "PaperTable", "Suite", "register_suite", "suite", "suite_names"]

"""Suites: declarations of which runs a paper table needs (one module per paper) and which layout renders them."""

from .base import Comparison, PaperTable, Suite, register_suite, suite, suite_names
from .triprune import TRIPRUNE_DATASETS
from .zen import ACCURACY_AND_TIME, SHOT_SERIES, ZEN_DATASETS

__all__ = ["ACCURACY_AND_TIME", "Comparison", "SHOT_SERIES", "ZEN_DATASETS", "TRIPRUNE_DATASETS", "PaperTable", "Suite", "register_suite", "suite",
           "suite_names"]

"""hgbench: a reproducible benchmark suite for hypergraph neural networks."""

__version__ = "0.1.0"


def load_results(store, suite=None):
    """Every stored run as one pandas DataFrame (:func:`hgbench.benchmarks.report.export.load_results`)."""
    from .benchmarks.report.export import load_results as load

    return load(store, suite)

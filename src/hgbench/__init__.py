"""hgbench: a reproducible benchmark suite for hypergraph neural networks."""

__version__ = "0.1.0"

"""The HNN baselines of ZEN's Table 3 and the extra baselines of its Table 11, and TriPrune's plain rows, all
trained by :mod:`hgbench.methods.trainer` under the protocol each declares.

``BASELINES`` maps each registry name (the class's ``name``) to its
:class:`~hgbench.methods.trainer.TrainedMethod` class; ``PROBES`` holds the variants that test
explanations of gaps to the paper (``probes`` module). Adding a baseline is its file plus one
``"module:Class"`` line below: the method registry and the contract tests read ``BASELINES`` (ZEN's
trainer contract) and ``TRIPRUNE_BASELINES`` (TriPrune's rows that fit by their own loops); ``CONTROLS``
holds reference rows that learn nothing (the constant floor of TriPrune's Table 2).
"""

from __future__ import annotations

from importlib import import_module

from .probes import PROBES


def _by_name(*paths: str) -> dict[str, type]:
    """``"module:Class"`` paths (modules of this package) -> ``{Class.name: Class}``, in order."""
    classes = [getattr(import_module(f".{module}", __name__), cls) for module, cls in (p.split(":") for p in paths)]
    return {cls.name: cls for cls in classes}


BASELINES = _by_name(
    "hgnn:HGNN",
    "hnhn:HNHN",
    "hgnn:HCHA",
    "unigcn:UniGCN",
    "unigcn:UniGCNII",
    "allset:AllDeepSets",
    "allset:AllSetTransformer",
    "edhnn:EDHNN",
    # Table 11 (Appendix F.2)
    "graph:SGC",
    "graph:APPNP",
    "graph:SSGC",
    "linearized:LinearizedUniGCNII",
    "linearized:LinearizedAllDeepSets",
    "linearized:LinearizedEDHNN",
    "legcn:LEGCN",
    "hypernd:HyperND",
    # TriPrune Table 2, under its protocol (methods/protocol.py)
    "triprune_plain:TriPruneHGNN",
    "triprune_plain:TriPruneMLP",
)

# TriPrune's Table 2 baselines with a contract of their own (multi-phase fits, extra losses, a teacher read
# from the store; BASELINES.md cards 2-5 and 12-14): tests/test_triprune_baselines.py checks every entry.
TRIPRUNE_BASELINES = _by_name(
    # standard (cards 2-5)
    "hhgsa:HHGSA",
    "heal:HEAL",
    "hygcl_adt:HyGCLAdT",
    "tricl:TriCL",
    # pruning (cards 6-11) and the random control RandHE@r
    "hsc:HSC",
    "savit:SAViT",
    "shaver:Shaver",
    "randhe:RandHE",
    "hgnn_struct:HGNNStruct",
    "hsl:HSL",
    "adaglt:AdaGLT",
    # distillation (cards 12-14)
    "lighthgnn:LightHGNN",
    "lighthgnn:LightHGNNPlus",
    "distillhgnn:DistillHGNN",
    "sharp_distill:SharpDistill",
)

# reference rows that learn nothing (Table 2's floor): neither contract applies, no test asks them to beat it
CONTROLS = _by_name("constant:Constant")

__all__ = ["BASELINES", "CONTROLS", "PROBES", "TRIPRUNE_BASELINES"]

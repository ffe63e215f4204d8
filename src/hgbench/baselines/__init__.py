"""The HNN baselines of ZEN's Table 3 and the extra baselines of its Table 11, all trained by
:mod:`hgbench.methods.trainer`.

``BASELINES`` maps each registry name to its :class:`~hgbench.methods.trainer.TrainedMethod` class;
``PROBES`` holds the variants that test explanations of gaps to the paper (``probes`` module).
"""

from __future__ import annotations

from .allset import AllDeepSets, AllSetTransformer
from .edhnn import EDHNN
from .graph import APPNP, SGC, SSGC
from .hgnn import HCHA, HGNN
from .hnhn import HNHN
from .hypernd import HyperND
from .legcn import LEGCN
from .linearized import LinearizedAllDeepSets, LinearizedEDHNN, LinearizedUniGCNII
from .probes import PROBES
from .triprune_plain import TriPruneHGNN, TriPruneMLP
from .unigcn import UniGCN, UniGCNII

BASELINES = {
    "hgnn": HGNN,
    "hnhn": HNHN,
    "hcha": HCHA,
    "unigcn": UniGCN,
    "unigcnii": UniGCNII,
    "alldeepsets": AllDeepSets,
    "allsettransformer": AllSetTransformer,
    "edhnn": EDHNN,
    # Table 11 (Appendix F.2)
    "sgc": SGC,
    "appnp": APPNP,
    "ssgc": SSGC,
    "lin-unigcnii": LinearizedUniGCNII,
    "lin-alldeepsets": LinearizedAllDeepSets,
    "lin-edhnn": LinearizedEDHNN,
    "legcn": LEGCN,
    "hypernd": HyperND,
    # TriPrune Table 2 (its protocol: methods/protocol.py)
    "tp-hgnn": TriPruneHGNN,
    "tp-mlp": TriPruneMLP,
}

__all__ = ["BASELINES", "PROBES", "APPNP", "AllDeepSets", "AllSetTransformer", "EDHNN", "HCHA", "HGNN", "HNHN",
           "HyperND", "LEGCN", "LinearizedAllDeepSets", "LinearizedEDHNN", "LinearizedUniGCNII", "SGC", "SSGC",
           "TriPruneHGNN", "TriPruneMLP", "UniGCN", "UniGCNII"]

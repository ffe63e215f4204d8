"""The eight HNN baselines of ZEN's Table 3, all trained by :mod:`hgbench.methods.trainer`.

``BASELINES`` maps each registry name to its :class:`~hgbench.methods.trainer.TrainedMethod` class.
"""

from __future__ import annotations

from .allset import AllDeepSets, AllSetTransformer
from .edhnn import EDHNN
from .hgnn import HCHA, HGNN
from .hnhn import HNHN
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
}

__all__ = ["BASELINES", "AllDeepSets", "AllSetTransformer", "EDHNN", "HCHA", "HGNN", "HNHN", "UniGCN", "UniGCNII"]

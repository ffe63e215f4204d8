"""``bench ops`` per training epoch: our networks beside the same networks on DHG's and on plain convolutions.

The network is the baseline's own (``method.build``: two convolutions of width 64 with the
baseline's activations and dropouts). The other two are deep copies of it with every convolution
swapped, so that only the propagation code differs:

* ``dhg``: DHG 0.9.7's ``HGNNConv`` / ``HNHNConv`` / ``UniGCNConv`` (``is_last=True``: the network
  applies its own activation and dropout) on :func:`~hgbench.datasets.interop.to_dhg` of the
  hypergraph. DHG's HGNN and UniGCN compute our operators (docs/crosscheck.md; with our weights
  copied in, the outputs are checked); DHG's HNHN aggregates by plain means (no output check) and is given
  our convolution's two linear maps, so its hyperedge neurons have our width (DHG's own sizes them at the
  output width, which would make its last layer narrower than ours);
* ``plain``: the ``torch.sparse.mm`` reference of :mod:`.opsbench` (precomputed normalised matrices,
  PyTorch's own autograd) in the form that was fastest for the layer, on the same parameters.

An epoch is ZEN's protocol's (``ZenProtocol.train``): a training step (forward, cross-entropy on 5
labelled nodes per class, backward, Adam) and a forward in eval mode without gradients. Every
network runs one untimed epoch (which builds the cached operators, ours and DHG's), then ``repeats``
rounds run each once, in an order rotated every round; medians and interquartile ranges are
reported. ``dhg`` is imported only here, when DHG is installed.
"""

from __future__ import annotations

import copy
import importlib.util
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..baselines import BASELINES
from ..baselines.dropout import dropout
from ..datasets.base import NodeDataset
from ..datasets.interop import to_dhg
from .run.profile import timed

NOT_INSTALLED = "not installed"
HIDDEN = 64
SHOTS = 5
EPOCH_COLUMNS = ("epoch_ours_s", "epoch_ours_iqr_s", "epoch_dhg_s", "epoch_dhg_iqr_s", "epoch_plain_s",
                 "epoch_plain_iqr_s", "epoch_plain_form", "ratio_dhg", "ratio_plain", "epoch_dhg_allclose",
                 "epoch_plain_allclose", "dhg")
Layer = Callable[[Tensor], Tensor]


def dhg_version() -> str | None:
    """DHG's version, or ``None`` when it is not installed (nothing is imported then)."""
    if importlib.util.find_spec("dhg") is None:
        return None
    from importlib.metadata import version
    return version("dhg")


def interleaved(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """``(median, interquartile range)`` seconds of every run, timed once per round in a rotated order."""
    names = list(runs)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for step in range(repeats):
        for name in names[step % len(names):] + names[:step % len(names)]:
            with timed() as clock:
                runs[name]()
            seconds[name].append(clock.seconds)
    stats = {}
    for name, values in seconds.items():
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        stats[name] = (float(median), float(q3 - q1))
    return stats


class _Swapped(nn.Module):
    """A convolution's slot computing ``forward(x)`` with other code (the hypergraph argument is ignored)."""

    def __init__(self, inner: nn.Module, forward: Layer) -> None:
        super().__init__()
        self.inner = inner  # its parameters are the network's
        self._forward = forward

    def forward(self, x: Tensor, hypergraph=None) -> Tensor:
        return self._forward(x)


def _dhg_conv(model: str, conv: nn.Module, structure) -> tuple[nn.Module, bool]:
    """DHG's convolution for ``conv`` with ``conv``'s weights where DHG computes the same, and whether it does."""
    import dhg

    if model == "hgnn":  # DHG adds the bias before the propagation: equal while ours is zero (at build)
        theirs = dhg.nn.HGNNConv(*conv.weight.shape, is_last=True)
        theirs.theta.weight.data.copy_(conv.weight.data.T)
        theirs.theta.bias.data.copy_(conv.bias.data)
        return theirs, bool((conv.bias == 0).all())
    if model == "unigcn":
        theirs = dhg.nn.UniGCNConv(conv.linear.in_features, conv.linear.out_features, bias=False, is_last=True)
        theirs.theta.weight.data.copy_(conv.linear.weight.data)
        return theirs, True
    # DHG's HNHNConv sizes its hyperedge neurons at its output width; given our two linear maps it has ours
    # (in -> hidden -> out), so only the message passing differs (DHG aggregates by plain means: no output check)
    theirs = dhg.nn.HNHNConv(conv.v2e_linear.in_features, conv.v2e_linear.out_features, is_last=True)
    theirs.theta_v2e, theirs.theta_e2v = conv.v2e_linear, conv.e2v_linear
    return theirs, False


def _swap(network: nn.Module, make: Callable[[nn.Module], tuple[nn.Module, Layer]]) -> nn.Module:
    """A deep copy of ``network`` whose convolutions are ``_Swapped(*make(conv))``, fed dense features
    (our sparse-feature path is ours to time; DHG's and the plain layers multiply the dense matrix)."""
    network = copy.deepcopy(network)
    if hasattr(network, "input"):
        network.input = dropout
    for i, conv in enumerate(network.convs):
        network.convs[i] = _Swapped(*make(conv))
    return network


def _agree(ours: Tensor, theirs: Tensor) -> bool:
    scale = float(ours.abs().max().clamp_min(1e-30))
    return bool(torch.allclose(theirs, ours, rtol=1e-4, atol=1e-5 * scale))


def _training_nodes(data: NodeDataset) -> Tensor:
    """``SHOTS`` labelled nodes per class (fewer where a class has fewer), drawn with a fixed seed."""
    order = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(0))
    labels = data.labels[order]
    return torch.cat([order[labels == c][:SHOTS] for c in range(data.num_classes)])


def benchmark_epoch(data: NodeDataset, model: str, repeats: int, plain_form: str,
                    plain_layer: Callable[[nn.Module], Layer]) -> dict:
    """The epoch columns of one ``ops.csv`` row (:data:`EPOCH_COLUMNS`).

    ``plain_layer(conv)`` is the plain ``torch.sparse.mm`` layer of convolution ``conv`` (its parameters).
    """
    torch.manual_seed(0)
    method = BASELINES[model]()
    ours = method.build(data, method.hyperparameters({"lr": 1e-2, "layers": 2, "hidden": HIDDEN}))
    hypergraph, x = data.hypergraph, data.features
    networks = {"ours": ours, "plain": _swap(ours, lambda conv: (conv, plain_layer(conv)))}
    comparable = {"plain": True}
    version = dhg_version()
    if version is not None:
        structure = to_dhg(hypergraph)
        same: list[bool] = []

        def dhg_slot(conv: nn.Module) -> tuple[nn.Module, Layer]:
            theirs, computes_ours = _dhg_conv(model, conv, structure)
            same.append(computes_ours)
            return theirs, lambda x: theirs(x, structure)

        networks["dhg"] = _swap(ours, dhg_slot)
        comparable["dhg"] = all(same)
    with torch.no_grad():
        outputs = {name: network.eval()(x, hypergraph) for name, network in networks.items()}
    agree = {name: _agree(outputs["ours"], outputs[name]) if comparable[name] else "n/a" for name in comparable}

    train = _training_nodes(data)
    targets = data.labels[train]
    optimizers = {name: torch.optim.Adam(network.parameters(), lr=1e-2) for name, network in networks.items()}

    def epoch(name: str) -> None:
        network, optimizer = networks[name], optimizers[name]
        network.train()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(network(x, hypergraph)[train], targets).backward()
        optimizer.step()
        network.eval()
        with torch.no_grad():
            network(x, hypergraph)

    for name in networks:  # warm-up: builds the cached operators
        epoch(name)
    stats = interleaved({name: (lambda name=name: epoch(name)) for name in networks}, repeats)
    row = {"epoch_ours_s": stats["ours"][0], "epoch_ours_iqr_s": stats["ours"][1],
           "epoch_plain_s": stats["plain"][0], "epoch_plain_iqr_s": stats["plain"][1], "epoch_plain_form": plain_form,
           "ratio_plain": stats["ours"][0] / stats["plain"][0], "epoch_plain_allclose": agree["plain"],
           "dhg": version or NOT_INSTALLED}
    if version is None:
        row.update(dict.fromkeys(("epoch_dhg_s", "epoch_dhg_iqr_s", "ratio_dhg", "epoch_dhg_allclose"), NOT_INSTALLED))
    else:
        row.update({"epoch_dhg_s": stats["dhg"][0], "epoch_dhg_iqr_s": stats["dhg"][1],
                    "ratio_dhg": stats["ours"][0] / stats["dhg"][0], "epoch_dhg_allclose": agree["dhg"]})
    return row


def notes_section(rows: list[dict]) -> list[str]:
    """The per-epoch table of ``notes.md``."""
    ms = lambda s: s if s == NOT_INSTALLED else f"{1e3 * s:.1f}"  # noqa: E731
    ratio = lambda r: r if r == NOT_INSTALLED else f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"  # noqa: E731
    same = lambda v: {True: "yes", False: "NO"}.get(v, v)  # noqa: E731
    lines = [
        "## Per training epoch: ours beside DHG and plain `torch.sparse.mm`", "",
        "One epoch of ZEN's protocol (a training step: forward, cross-entropy on 5 labelled nodes per class, "
        "backward, Adam; then an eval-mode forward) of the baseline's network (two convolutions, width "
        f"{HIDDEN}), beside the same network with every convolution swapped for DHG's (`dhg` column: its "
        "version) and for the plain reference that was fastest for the layer above; medians after a warm-up "
        "epoch, the three interleaved (`hgbench/benchmarks/opsepoch.py`). DHG's column is therefore our "
        "architecture (activations, dropouts, input dropout) on DHG's layers, not `dhg.models`' defaults; DHG's "
        "HNHN layer is given our two linear maps, so its hyperedge neurons have our width (DHG sizes them at the "
        "output width). Same outputs: the three networks with the "
        "same weights in eval mode (DHG's HNHN uses plain means: `n/a`; docs/crosscheck.md).", "",
        "| dataset | model | ours (ms) | DHG (ms) | plain (ms) | plain form | ours / DHG | ours / plain "
        "| same outputs: DHG / plain |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    lines += [f"| {row['dataset']} | {row['model']} | {ms(row['epoch_ours_s'])} | {ms(row['epoch_dhg_s'])} | "
              f"{ms(row['epoch_plain_s'])} | {row['epoch_plain_form']} | {ratio(row['ratio_dhg'])} | "
              f"{ratio(row['ratio_plain'])} | {same(row['epoch_dhg_allclose'])} / "
              f"{same(row['epoch_plain_allclose'])} |" for row in rows]
    return lines

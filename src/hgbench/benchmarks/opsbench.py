"""``bench ops``: the shared hypergraph ops against plain ``torch.sparse.mm`` implementations and DHG.

For the first convolution (``d -> 64``) of HGNN, HNHN and UniGCN, taken from the baseline networks
the suites train, one forward + backward over the whole hypergraph (what the layer costs per
training epoch, gradients for its parameters) is timed through the shared ops
(:meth:`~hgbench.datasets.hypergraph.Hypergraph.propagate`) and through references written
directly with ``torch.sparse.mm`` and PyTorch's own autograd, on normalised sparse matrices
precomputed once from the incidence matrix (not from the hypergraph's cached operators):

* ``factored``: the two normalised incidence matrices (hyperedges <- nodes, nodes <- hyperedges);
* ``collapsed`` (HGNN and UniGCN, whose propagation is linear): their product, one node x node
  matrix (HGNN's ``G``), built when ``sum_e |e|^2`` (which bounds its entries) is at most
  :data:`COLLAPSE_LIMIT` or when ours uses it too (:attr:`Hypergraph.collapses_smoothing`);

each as COO and as CSR. The ratio is ours over the fastest reference. Each implementation runs
once untimed (which builds our cached operators; the references' matrices are prebuilt), then
``repeats`` rounds time every implementation once, in an order rotated every round, on the same
thread count; the medians are reported. Every reference's output and parameter gradients must be
allclose to ours.

Each row also times a whole training epoch of the baseline's network beside the same network on
DHG's convolutions and on the fastest plain reference (:mod:`.opsepoch`; DHG's columns read
"not installed" without DHG).
"""

from __future__ import annotations

import csv
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ..baselines import BASELINES
from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power, quiet_sparse_beta
from .opsepoch import EPOCH_COLUMNS, HIDDEN, benchmark_epoch, interleaved, notes_section
from .run.profile import timed
from .run.runner import code_version, environment

MODELS = ("hgnn", "hnhn", "unigcn")
DATASETS = ("cora", "citeseer", "20news", "walmart")  # issue 18's: bag-of-words features, then the largest
COLLAPSE_LIMIT = 16_000_000
REFERENCES = ("factored-coo", "factored-csr", "collapsed-coo", "collapsed-csr")
COLUMNS = ("dataset", "nodes", "hyperedges", "memberships", "features", "model", "layer", "threads", "repeats",
           "ours_s", "ours_iqr_s", "ours_first_s", *(f"{name}_s" for name in REFERENCES), "reference", "reference_s",
           "reference_iqr_s", "ratio", "ours_entries", "reference_entries", "allclose", "max_rel_diff",
           *EPOCH_COLUMNS)
Layer = Callable[[Tensor], Tensor]
WHY = (
    "With fixed membership weights the shared ops multiply by a `SparseOperator` cached on the hypergraph: "
    "the incidence matrix in CSR with the layer's degree normalisation folded into its values, kept with its "
    "transpose. The forward product uses PyTorch's CPU CSR reduction kernel (`torch.sparse.mm(A, x, \"sum\")`, "
    "which writes its output once; the default kernel zero-fills a buffer and copies it), the backward multiplies "
    "by the stored transpose. The references' backward, PyTorch's own, transposes the sparse matrix at every step. "
    "Linear node -> hyperedge -> node propagations (HGNN, HCHA, UniGCN, UniGCNII) use the node x node operator "
    "instead when it has no more entries than the two incidence factors (`Hypergraph.collapses_smoothing`; "
    "congress), which also avoids the hyperedges x d intermediate.",
)


def _normalised(model: str, conv: torch.nn.Module, hypergraph: Hypergraph) -> tuple[Tensor, Tensor]:
    """The layer's two normalised propagation matrices (COO): ``E x N`` then ``N x E``."""
    h = hypergraph.incidence_matrix()
    nodes, edges = h.indices()
    w = h.values()
    n, m = hypergraph.num_nodes, hypergraph.num_edges
    dv, de = torch.zeros(n).index_add(0, nodes, w), torch.zeros(m).index_add(0, edges, w)
    if model == "hgnn":  # De^-1 H^T Dv^-1/2, Dv^-1/2 H
        v2e = w * inverse_power(de, 1.0)[edges] * inverse_power(dv, 0.5)[nodes]
        e2v = w * inverse_power(dv, 0.5)[nodes]
    elif model == "unigcn":  # diag(d~_e^-1/2 / d_e) H^T, Dv^-1/2 H with d~_e the mean member degree
        de_tilde = torch.zeros(m).index_add(0, edges, w * dv[nodes]) * inverse_power(de, 1.0)
        v2e = w * (inverse_power(de_tilde, 0.5) * inverse_power(de, 1.0))[edges]
        e2v = w * inverse_power(dv, 0.5)[nodes]
    else:  # hnhn: D_{e,beta}^-1 H^T Dv^beta, D_{v,alpha}^-1 H De^alpha
        dv_beta, de_alpha = inverse_power(dv, -conv.beta), inverse_power(de, -conv.alpha)
        d_e = torch.zeros(m).index_add(0, edges, w * (dv if conv.raw_sums else dv_beta)[nodes])
        d_v = torch.zeros(n).index_add(0, nodes, w * (de if conv.raw_sums else de_alpha)[edges])
        v2e = w * inverse_power(d_e, 1.0)[edges] * dv_beta[nodes]
        e2v = w * inverse_power(d_v, 1.0)[nodes] * de_alpha[edges]
    coo = lambda r, c, v, shape: torch.sparse_coo_tensor(  # noqa: E731
        torch.stack([r, c]), v, shape, check_invariants=False).coalesce()
    return coo(edges, nodes, v2e, (m, n)), coo(nodes, edges, e2v, (n, m))


def _pieces(model: str, conv: torch.nn.Module) -> tuple[Layer, Layer | None, Layer]:
    """(map before the propagation, map between its halves or ``None``, map after it) of one convolution."""
    if model == "hgnn":
        return (lambda x: x @ conv.weight), None, (lambda x: x + conv.bias)
    if model == "unigcn":
        return conv.linear, None, (lambda x: x)
    if not conv.nonlinear_inbetween:
        raise ValueError("the HNHN reference applies the ReLU between the halves")
    return conv.v2e_linear, (lambda y: conv.e2v_linear(F.relu(y))), (lambda x: x)


def references(model: str, conv: torch.nn.Module, hypergraph: Hypergraph) -> dict[str, tuple[Layer, int]]:
    """Reference implementations of ``conv`` by name, with the entries of their sparse matrices."""
    first, middle, last = _pieces(model, conv)
    v2e, e2v = _normalised(model, conv, hypergraph)
    forms = {"factored": (v2e, e2v)}
    work = float(hypergraph.edge_size_count.double().square().sum())
    if middle is None and (work <= COLLAPSE_LIMIT or hypergraph.collapses_smoothing):
        forms["collapsed"] = (torch.sparse.mm(e2v, v2e).coalesce(),)
    middle = middle or (lambda y: y)
    mm = torch.sparse.mm
    out = {}
    for form, matrices in forms.items():
        for layout in ("coo", "csr"):
            ms = [m if layout == "coo" else m.to_sparse_csr() for m in matrices]
            if form == "factored":
                def layer(x, a=ms[0], b=ms[1]):
                    return last(mm(b, middle(mm(a, first(x)))))
            else:
                def layer(x, g=ms[0]):
                    return last(mm(g, first(x)))
            out[f"{form}-{layout}"] = (layer, sum(m._nnz() for m in matrices))
    return out


def _epoch(layer: Layer, x: Tensor, cotangent: Tensor, params: list[Tensor]) -> Tensor:
    for p in params:
        p.grad = None
    out = layer(x)
    out.backward(cotangent)
    return out.detach()


def _allclose(ours: Layer, reference: Layer, x: Tensor, cotangent: Tensor,
              params: list[Tensor]) -> tuple[bool, float]:
    """Whether output and parameter gradients agree (``rtol`` 1e-4, ``atol`` 1e-5 of the largest value),
    and the largest gap relative to the largest value."""
    results = []
    for layer in (ours, reference):
        out = _epoch(layer, x, cotangent, params)
        results.append([out] + [p.grad.clone() for p in params])
    close, gap = True, 0.0
    for a, b in zip(*results):
        scale = float(a.abs().max().clamp_min(1e-30))
        close &= torch.allclose(b, a, rtol=1e-4, atol=1e-5 * scale)
        gap = max(gap, float((a - b).abs().max()) / scale)
    return close, gap


def benchmark_layer(data: NodeDataset, model: str, repeats: int) -> dict:
    """One row of ``ops.csv``: ours and every reference for ``model``'s first convolution on ``data``."""
    hypergraph, x = data.hypergraph, data.features
    torch.manual_seed(0)
    method = BASELINES[model]()
    conv = method.build(data, method.hyperparameters({"lr": 1e-2, "layers": 2, "hidden": HIDDEN})).convs[0]
    params = list(conv.parameters())
    cotangent = torch.randn(data.num_nodes, HIDDEN, generator=torch.Generator().manual_seed(0))
    with timed() as first:  # builds the hypergraph's cached operators
        conv(x, hypergraph).backward(cotangent)
    with quiet_sparse_beta():
        refs = references(model, conv, hypergraph)
    implementations: dict[str, Layer] = {"ours": lambda x: conv(x, hypergraph)}
    implementations.update({name: layer for name, (layer, _) in refs.items()})
    # the check runs every implementation at least once: the warm-up
    checks = [_allclose(implementations["ours"], layer, x, cotangent, params) for layer, _ in refs.values()]
    stats = interleaved({name: (lambda layer=layer: _epoch(layer, x, cotangent, params))
                         for name, layer in implementations.items()}, repeats)
    fastest = min(refs, key=lambda name: stats[name][0])
    ours_form = "collapsed" if "collapsed-coo" in refs and hypergraph.collapses_smoothing else "factored"
    row = {
        "dataset": data.name, "nodes": data.num_nodes, "hyperedges": hypergraph.num_edges,
        "memberships": hypergraph.nnz, "features": data.num_features, "model": model, "layer": type(conv).__name__,
        "threads": torch.get_num_threads(), "repeats": repeats, "ours_s": stats["ours"][0],
        "ours_iqr_s": stats["ours"][1], "ours_first_s": first.seconds, "reference": fastest,
        "reference_s": stats[fastest][0], "reference_iqr_s": stats[fastest][1],
        "ratio": stats["ours"][0] / stats[fastest][0],
        "ours_entries": refs[f"{ours_form}-coo"][1], "reference_entries": refs[fastest][1],
        "allclose": all(close for close, _ in checks), "max_rel_diff": max(gap for _, gap in checks),
    }
    row.update({f"{name}_s": stats[name][0] if name in stats else None for name in REFERENCES})
    row.update(benchmark_epoch(data, model, repeats, fastest,
                               lambda conv: references(model, conv, hypergraph)[fastest][0]))
    return row


def benchmark(datasets: list[NodeDataset], repeats: int = 10, threads: int | None = None,
              on_row: Callable[[dict], None] = lambda row: None) -> list[dict]:
    """Rows for every dataset and model, all on ``threads`` intra-op threads (default: unchanged)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads or previous)
    rows = []
    try:
        for data in datasets:
            for model in MODELS:
                rows.append(benchmark_layer(data, model, repeats))
                on_row(rows[-1])
    finally:
        torch.set_num_threads(previous)
    return rows


def write_rows(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """``rows`` as a CSV file with ``columns`` (missing values empty), its folder created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _why(row: dict) -> str:
    """What the measurements say about a ratio above 1.0."""
    gap, spread = row["ours_s"] - row["reference_s"], max(row["ours_iqr_s"], row["reference_iqr_s"])
    facts = (f"ours {1e3 * row['ours_s']:.1f} ms (IQR {1e3 * row['ours_iqr_s']:.1f}), reference "
             f"{1e3 * row['reference_s']:.1f} ms (IQR {1e3 * row['reference_iqr_s']:.1f}); "
             f"{row['ours_entries']} vs {row['reference_entries']} entries")
    if gap <= spread:
        return f"the gap is within the run-to-run spread ({facts})."
    if row["reference_entries"] < row["ours_entries"]:
        return f"the reference multiplies by fewer entries ({facts})."
    return f"not explained by the spread or the entries ({facts})."


def write(rows: list[dict], out: Path | str, skipped: dict[str, str] | None = None) -> dict[str, Path]:
    """``ops.csv`` and ``notes.md`` under ``out/ops-benchmark``."""
    folder = Path(out) / "ops-benchmark"
    write_rows(folder / "ops.csv", COLUMNS, rows)
    env = environment()
    threads = sorted({row["threads"] for row in rows})
    ms = lambda s: "-" if s is None else f"{1e3 * s:.1f}"  # noqa: E731
    lines = [
        "# Shared hypergraph ops against plain `torch.sparse.mm` and DHG", "",
        f"Written by `bench ops` on {datetime.now(timezone.utc).isoformat(timespec='seconds')}; "
        f"code version `{code_version()}`.", "",
        f"Environment: torch {env['torch']}, {', '.join(map(str, threads))} intra-op thread(s), CPU {cpu_model()} "
        f"({platform.machine()}), Python {env['python']}, {env['platform']}.", "",
        "Per epoch = one forward + backward of the first convolution (d -> 64) over the whole hypergraph; "
        "median over the repeats after a warm-up, implementations interleaved (see "
        "`hgbench/benchmarks/opsbench.py`). Ratio = ours / fastest reference; entries = stored entries of the "
        "sparse matrices each multiplies by.", "",
        "| dataset | model | ours (ms) | fastest reference | reference (ms) | ratio | entries ours / reference "
        "| same output and gradients |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(f"| {row['dataset']} | {row['model']} | {ms(row['ours_s'])} | {row['reference']} | "
                     f"{ms(row['reference_s'])} | {row['ratio']:.2f} | {row['ours_entries']} / "
                     f"{row['reference_entries']} | {'yes' if row['allclose'] else 'NO'} "
                     f"(max rel. diff {row['max_rel_diff']:.1e}) |")
    lines += ["", "Ours' first epoch, which builds its cached operators once per hypergraph (ms): "
              + ", ".join(f"{row['dataset']} / {row['model']} {ms(row['ours_first_s'])}" for row in rows) + ".", ""]
    lines += ["Every reference (ms): " + ", ".join(REFERENCES) + " (`-`: not built).", ""]
    lines += [f"- {row['dataset']} / {row['model']}: " + ", ".join(ms(row[f'{name}_s']) for name in REFERENCES)
              for row in rows]
    lines += ["", *notes_section(rows)]
    lines += ["", "## Where the difference comes from", "", *WHY]
    above = [row for row in rows if row["ratio"] > 1.0]
    lines += ["", "## Ratios above 1.0", ""]
    lines += [f"- {row['dataset']} / {row['model']}: {row['ratio']:.2f} against {row['reference']}: {_why(row)}"
              for row in above] or ["None."]
    for name, reason in (skipped or {}).items():
        lines.append(f"\nSkipped {name}: {reason}")
    (folder / "notes.md").write_text("\n".join(lines) + "\n")
    return {"csv": folder / "ops.csv", "notes": folder / "notes.md"}

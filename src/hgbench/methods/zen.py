"""ZEN: a zero-parameter linear HNN for few-shot node classification (Bae et al., ZEN paper).

Prediction (Eq. 12)::

    Y_hat = g_row(P* X) g_col(g_row(P* X)^T D_trn Y),   P* = a0 I + a1 A1* + a2 A2*

with the redundancy-aware 1- and 2-hop operators A_l* = A_hat_l - RSI(A_hat_l) of Eqs. (7)-(11)
(symmetric normalisation) and the tractable closed-form weights (TCS, Eq. 4). The coefficients
(a0, a1, a2) are searched on the 55-point grid of the 2-simplex with denominator 9 (§4.1) by
validation accuracy; ties go to the first point in grid order (a0 outer, a1 inner), as in the
official code.

Efficiency: ``prepare`` computes X, A1* X and A2* X once per dataset (they do not depend on the
split or on the coefficients), and each node's 3 x 3 Gram matrix of them. The search recombines the
3R hop rows of the R training and validation nodes in coordinates of an orthonormal basis of their
span when 3R is well below d (QR; 3R columns instead of d: inner products, norms and hence every
score are unchanged). ``predict`` projects each hop on the c class weights and divides by the row norms the
Gram matrices give, so the N x d matrix of the selected point is never formed (docs/zen.md, "Speed").

Decisions the paper leaves open (follow the official code, chaewoonbae/ZEN@903f7c9):
  * (d_e - 1)^-1 and (d_v - 1)^-1 are 0 for singleton hyperedges and degree-1 nodes, so the
    self-loop hyperedges added in preprocessing only enter through d_v.
  * A class without training nodes has a zero weight column (score 0).
  * Eq. (11) is implemented as printed (and as in the official code). It equals diag(A_hat_2)
    only when no two nodes share more than one hyperedge: the exact diagonal squares the sum
    over shared hyperedges, Eq. (11) sums the squares (shown in tests/test_zen.py).
Ablations (Table 6), selected by the default ``variant`` (``ZEN(variant="no-rap")``):
  * ``no-tcs``: W is the exact least-squares solution of Eq. (3), W = pinv(g_row(PX)_trn) Y_trn.
  * ``no-rap``: plain HGNN operators A1 = Dv^-1/2 H De^-1 H^T Dv^-1/2 and A2 = A1 A1 (Table 1).
  * ``no-tcs-no-rap``: both removals.
  * ``linearized-hgnn``: Y_hat = g_row(A_L X) W with plain A_L, L in {1, 2} chosen on validation,
    and least-squares W; i.e. ``no-tcs-no-rap`` without the multi-hop combination (the paper
    does not say how its linearized HGNN obtains W; least squares isolates the hop combination).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power
from ..datasets.splits import Split
from .base import Fitted, Method

VARIANTS = ("full", "no-tcs", "no-rap", "no-tcs-no-rap", "linearized-hgnn")
NORM_EPS = 1e-12  # F.normalize's: a row of norm below it is divided by it


def simplex_grid(denominator: int = 9) -> Tensor:
    """All (a0, a1, a2) >= 0 with a0 + a1 + a2 = 1 on a grid of step 1/denominator, in ZEN's order."""
    points = [(i, j, denominator - i - j) for i in range(denominator + 1) for j in range(denominator + 1 - i)]
    return torch.tensor(points, dtype=torch.float64) / denominator


# ----------------------------------------------------------------------------- propagation
@dataclass(frozen=True)
class RedundancyTerms:
    """Per-node and per-hyperedge factors of Eqs. (8)-(11), unnormalised by d_v (see ``rsi``)."""

    inv_sqrt_dv: Tensor  # d_v^-1/2
    inv_dv_minus_1: Tensor  # (d_v - 1)^-1
    inv_de_minus_1: Tensor  # (d_e - 1)^-1
    rsi1: Tensor  # sum_{e ni v} (d_e - 1)^-1                       (Eq. 10 times d_v)
    rsi2: Tensor  # sum_{e ni v} (d_e - 1)^-2 sum_{u in e, u != v} (d_u - 1)^-1   (Eq. 11 times d_v)


def redundancy_terms(hypergraph: Hypergraph) -> RedundancyTerms:
    dv, de = hypergraph.node_degree().double(), hypergraph.edge_degree().double()
    inv_dv1, inv_de1 = inverse_power(dv - 1, 1.0), inverse_power(de - 1, 1.0)
    rsi1 = hypergraph.e2v(inv_de1)
    inv_de1_sq = inv_de1.square()
    rsi2 = hypergraph.e2v(inv_de1_sq * hypergraph.v2e(inv_dv1)) - inv_dv1 * hypergraph.e2v(inv_de1_sq)
    return RedundancyTerms(inverse_power(dv, 0.5), inv_dv1, inv_de1, rsi1, rsi2)


def rsi(hypergraph: Hypergraph) -> tuple[Tensor, Tensor]:
    """Diagonals RSI(A_hat_1) and RSI(A_hat_2) of Eqs. (10) and (11)."""
    terms = redundancy_terms(hypergraph)
    dv_inv = terms.inv_sqrt_dv.square()
    return dv_inv * terms.rsi1, dv_inv * terms.rsi2


def redundancy_aware_propagation(hypergraph: Hypergraph, x: Tensor) -> tuple[Tensor, Tensor]:
    """A1* x and A2* x (Eqs. 7-9) without forming any |V| x |V| matrix; cost O(nnz(H) d)."""
    t = redundancy_terms(hypergraph)
    col = lambda v: v.unsqueeze(1).to(x.dtype)  # noqa: E731

    def without_self(z: Tensor) -> Tensor:  # (H (De - I)^-1 H^T - diag(rsi1)) z
        return hypergraph.e2v(col(t.inv_de_minus_1) * hypergraph.v2e(z)) - col(t.rsi1) * z

    x1 = col(t.inv_sqrt_dv) * x
    ax = without_self(x1)
    aax = without_self(col(t.inv_dv_minus_1) * ax) - col(t.rsi2) * x1
    return col(t.inv_sqrt_dv) * ax, col(t.inv_sqrt_dv) * aax


def hgnn_propagation(hypergraph: Hypergraph, x: Tensor) -> tuple[Tensor, Tensor]:
    """A1 x and A1 A1 x with the plain HGNN operator Dv^-1/2 H De^-1 H^T Dv^-1/2 (Table 1)."""
    dv = inverse_power(hypergraph.node_degree(), 0.5).unsqueeze(1).to(x.dtype)
    de = inverse_power(hypergraph.edge_degree(), 1.0).unsqueeze(1).to(x.dtype)

    def a1(z: Tensor) -> Tensor:
        return dv * hypergraph.e2v(de * hypergraph.v2e(dv * z))

    ax = a1(x)
    return ax, a1(ax)


# ----------------------------------------------------------------------------- weights
def tcs_weights(z_train: Tensor, y_train: Tensor, num_classes: int) -> Tensor:
    """Eq. (4): W^T = g_col(Z_trn^T Y_trn)^T, one unit-norm class embedding per row (c x d)."""
    sums = z_train.new_zeros(*z_train.shape[:-2], num_classes, z_train.shape[-1])
    sums.index_add_(-2, y_train, z_train)
    return F.normalize(sums, dim=-1)


def least_squares_weights(z_train: Tensor, y_train: Tensor, num_classes: int) -> Tensor:
    """Eq. (3): the minimum-norm least-squares W (returned transposed, c x d) via the pseudoinverse.

    Computed as pinv(Z) = Z^T pinv(Z Z^T): the Gram matrix is n_train x n_train, far smaller than
    the d x d matrix of Eq. (3) in the few-shot regime, and the result is the same W.
    """
    onehot = F.one_hot(y_train, num_classes).to(z_train.dtype)
    gram = z_train @ z_train.transpose(-1, -2)
    return (z_train.transpose(-1, -2) @ (torch.linalg.pinv(gram, hermitian=True) @ onehot)).transpose(-1, -2)


# ----------------------------------------------------------------------------- the method
def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown ZEN variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant


@dataclass(frozen=True)
class Propagated:
    """Hop-wise features of one dataset: ``hops[l]`` is A_l(*) X; ``gram[n]`` the inner products of node
    n's hop rows, so that the norm of any combination sum_l a_l hops[l, n] is sqrt(a^T gram[n] a)."""

    hops: Tensor  # (L + 1) x N x d
    gram: Tensor  # N x (L + 1) x (L + 1)


SPAN_RATIO = 4  # coordinates when k <= d / SPAN_RATIO: the QR's cost, measured, pays back below that


def span_coordinates(rows: Tensor) -> tuple[Tensor, Tensor | None]:
    """Rows ((L + 1) x R x d) in coordinates of an orthonormal basis Q (d x k) of their span, k = (L + 1) R,
    when k is well below d (else the rows themselves and None): rows = coordinates @ Q^T, and every inner
    product, norm and linear combination of them is the same in coordinates."""
    hops, count, dim = rows.shape
    if SPAN_RATIO * hops * count > dim:
        return rows, None
    basis, upper = torch.linalg.qr(rows.reshape(hops * count, dim).T)  # d x k, k x k
    return upper.T.reshape(hops, count, hops * count), basis


class ZEN(Method):
    """ZEN and its ablations; ``prepare`` and ``fit`` read the variant from the run's ``config``."""

    name = "zen"
    description = "ZEN: closed-form weights (TCS) + redundancy-aware propagation (RAP), 2-hop simplex search"
    # record_weights: store W* (d x c) in the diagnostics, for Table 5
    defaults = {"variant": "full", "grid_denominator": 9, "record_weights": False}

    def __init__(self, variant: str = "full", grid_denominator: int = 9, record_weights: bool = False) -> None:
        check_variant(variant)
        super().__init__(variant=variant, grid_denominator=grid_denominator, record_weights=record_weights)

    def prepare(self, data: NodeDataset, config: dict) -> Propagated:
        variant = check_variant(self.hyperparameters(config)["variant"])
        x = data.features.double()
        plain = variant in ("no-rap", "no-tcs-no-rap", "linearized-hgnn")
        ax, aax = (hgnn_propagation if plain else redundancy_aware_propagation)(data.hypergraph, x)
        hops = torch.stack([x, ax, aax])
        return Propagated(hops, torch.einsum("lnd,mnd->nlm", hops, hops))

    @staticmethod
    def coefficient_grid(config: dict) -> Tensor:
        if config["variant"] == "linearized-hgnn":  # A_L X with L in {1, 2}: no hop combination
            return torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
        return simplex_grid(int(config["grid_denominator"]))

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Propagated) -> Fitted:
        config = self.hyperparameters(config)  # ZEN trains nothing: its defaults are merged here
        solve = tcs_weights if check_variant(config["variant"]) in ("full", "no-rap") else least_squares_weights
        grid = self.coefficient_grid(config)
        y = data.labels
        rows = torch.cat([split.train, split.val])
        coordinates, basis = span_coordinates(prepared.hops[:, rows])
        # Embeddings of training + validation nodes for every grid point: G x R x k (3R span coordinates, or d).
        z = F.normalize(torch.einsum("gl,lrk->grk", grid, coordinates), dim=-1)
        z_train, z_val = z[:, : split.train.numel()], z[:, split.train.numel():]
        weights = solve(z_train, y[split.train], data.num_classes)  # G x c x k
        if split.val.numel():
            val_pred = torch.einsum("grd,gcd->grc", z_val, weights).argmax(-1)
            val_acc = (val_pred == y[split.val]).double().mean(-1)
            best = int(torch.argmax(val_acc))  # first maximum = ZEN's tie rule
        else:
            best = 0
        alpha, w = grid[best], weights[best] if basis is None else weights[best] @ basis.T  # c x d

        def predict() -> Tensor:  # g_row(sum_l alpha_l hops[l]) @ w^T, the row norms from the Gram matrices
            hops = prepared.hops
            if hops.shape[-1] > w.shape[0]:  # d > c: project each hop on the c classes, then combine
                per_hop = (hops.reshape(-1, hops.shape[-1]) @ w.T).reshape(hops.shape[0], hops.shape[1], -1)
                scores = torch.tensordot(alpha, per_hop, 1)
            else:
                scores = torch.tensordot(alpha, hops, 1) @ w.T
            norm = ((prepared.gram @ alpha) @ alpha).clamp_min(0).sqrt()
            return (scores / norm.clamp_min(NORM_EPS).unsqueeze(1)).float()

        diagnostics = {"alpha": [round(float(a), 6) for a in alpha], "grid_points": len(grid)}
        if config["record_weights"]:
            diagnostics["class_feature_weights"] = w.T.tolist()
        return Fitted(predict, diagnostics)

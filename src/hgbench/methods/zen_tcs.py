"""The TCS approximation error of ZEN's Appendix C (Table 8), measured as a run (method ``zen-tcs-error``).

Theorem 1 replaces the exact least-squares weights W* = ((PX)^T D_trn PX)^+ (PX)^T D_trn Y of Eq. (3)
by (1/eps) (PX)^T D_trn Y, under Assumption 1 (unit-norm rows) and Assumption 2 (cosine 1 - eps within
a class, eps across classes). With k training nodes for each of c classes, the Gram matrix of the
training embeddings is G = (1 - 2 eps)(I_c (x) J_k) + eps (I_kc + J_kc) (Lemma 5), whose spectral
decomposition lambda_1 M_1 + lambda_2 M_2 + lambda_3 M_3 is Lemma 6. Appendix C's Table 8 is the pure
formula Eq. (43): the relative Frobenius error of G^-2 ~ (1/eps) G^-1 written with the lambda_i and M_i.

One run (a split of a c-class dataset under the k-shot protocol, one ``epsilon``) computes, in %:

* ``eq43``: Eq. (43) in closed form, from lambda_i and M_i of Lemma 6 with k and c read from the split;
* ``eq43_numeric``: the same quantity from synthetic embeddings Z of the training nodes that satisfy
  Assumptions 1 and 2 exactly (rows of the symmetric square root of G, rotated into ``dimensions``
  dimensions by a seeded random orthonormal map): G = Z Z^T, inverted numerically;
* ``tcs_weights``: our implementation against the exact quantity of Theorem 1 on those embeddings:
  ZEN's TCS weights (``zen.tcs_weights``, Eq. 4: g_col(Z^T Y)) against the exact W* of Eq. (3)
  (``zen.least_squares_weights``, the pseudoinverse solution ZEN's No-TCS ablation uses), with W*'s
  class columns normalised as Eq. (4) normalises TCS's, so the constant 1/eps drops out as the paper says;
* ``scaled``: Theorem 1 as printed, ||(1/eps) Z^T Y - W*||_F / ||W*||_F, without normalising.

Eq. (43) measures the approximation on the kc x kc matrix G^-2, where the exact and approximate
M_1 components agree and the error is O(eps) relative to a 1/eps^2 norm. The weights apply that
matrix to Y, whose class-indicator columns lie in the span of M_2 and M_3 (M_1 Y = 0): W* =
Z^T G^-1 Y = Z^T (Y / lambda_2 + (1/lambda_3 - 1/lambda_2) J_kc Y / (kc)), so W* is about Z^T Y / k,
not Z^T Y / eps (``scaled`` is about k/eps), and after normalisation TCS differs from W* by the
shared term along Z^T 1, of relative size O(eps) (``tcs_weights``).

Nothing here is trained and nothing reads the dataset but its labels and the split; ``predict``
returns zero scores, so the accuracies of these records mean nothing (the report reads the
diagnostics only).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.splits import Split
from .base import Fitted, Method
from .zen import least_squares_weights, tcs_weights

EPSILONS = (0.1, 0.01, 0.001)  # Table 8's
QUANTITIES = ("eq43", "eq43_numeric", "tcs_weights", "scaled")


def spectral_parts(k: int, c: int) -> tuple[Tensor, Tensor, Tensor]:
    """M_1, M_2, M_3 of Lemma 6 (kc x kc, float64, training nodes ordered by class)."""
    n = k * c
    blocks = torch.kron(torch.eye(c, dtype=torch.float64), torch.ones(k, k, dtype=torch.float64))
    ones = torch.ones(n, n, dtype=torch.float64)
    return torch.eye(n, dtype=torch.float64) - blocks / k, blocks / k - ones / n, ones / n


def eigenvalues(eps: float, k: int, c: int) -> tuple[float, float, float]:
    """lambda_1, lambda_2, lambda_3 of Lemma 6 (Eq. 24)."""
    return eps, (1 - 2 * eps) * k + eps, k * (1 - 2 * eps + eps * c) + eps


def eq43_error(eps: float, k: int, c: int) -> float:
    """Eq. (43): ||sum M_i / lambda_i^2 - (1/eps) sum M_i / lambda_i||_F / ||sum M_i / lambda_i^2||_F."""
    parts, lambdas = spectral_parts(k, c), eigenvalues(eps, k, c)
    exact = sum(m / lam ** 2 for m, lam in zip(parts, lambdas))
    approx = sum(m / lam for m, lam in zip(parts, lambdas)) / eps
    return float(torch.linalg.matrix_norm(exact - approx) / torch.linalg.matrix_norm(exact))


def assumption_gram(labels: Tensor, eps: float) -> Tensor:
    """Gram matrix of Assumptions 1-2: 1 on the diagonal, 1 - eps within a class, eps across (Lemma 5)."""
    same = (labels.unsqueeze(0) == labels.unsqueeze(1)).double()
    gram = same * (1 - eps) + (1 - same) * eps
    gram.fill_diagonal_(1.0)
    return gram


def assumption_embeddings(labels: Tensor, eps: float, dimensions: int, seed: int) -> Tensor:
    """Rows of unit norm whose Gram matrix is exactly ``assumption_gram(labels, eps)``, in ``dimensions`` dims."""
    n = labels.numel()
    if dimensions < n:
        raise ValueError(f"dimensions ({dimensions}) must be at least the number of training nodes ({n})")
    values, vectors = torch.linalg.eigh(assumption_gram(labels, eps))
    root = vectors * values.clamp_min(0).sqrt()  # root @ root.T == gram
    generator = torch.Generator().manual_seed(seed)
    rotation, _ = torch.linalg.qr(torch.randn(dimensions, n, generator=generator, dtype=torch.float64))
    return root @ rotation.T  # n x dimensions, orthonormal columns of ``rotation`` keep the Gram matrix


def relative_error(approx: Tensor, exact: Tensor) -> float:
    return float(torch.linalg.matrix_norm(approx - exact) / torch.linalg.matrix_norm(exact))


def errors(labels: Tensor, num_classes: int, eps: float, dimensions: int, seed: int) -> dict[str, float]:
    """The four relative errors (fractions, not %) for training labels ``labels`` (k of each class)."""
    counts = torch.bincount(labels, minlength=num_classes)
    if not (counts == counts[0]).all() or int(counts[0]) == 0:
        raise ValueError(f"Theorem 1 needs k training nodes of every class; got counts {counts.tolist()}")
    k, c = int(counts[0]), num_classes
    z = assumption_embeddings(labels, eps, dimensions, seed)
    gram_inverse = torch.linalg.inv(z @ z.T)
    exact_square = gram_inverse @ gram_inverse
    exact = least_squares_weights(z, labels, c)  # W*^T (c x d): Eq. (3) via the pseudoinverse
    onehot = F.one_hot(labels, c).double()
    return {
        "eq43": eq43_error(eps, k, c),
        "eq43_numeric": relative_error(gram_inverse / eps, exact_square),
        "tcs_weights": relative_error(tcs_weights(z, labels, c), F.normalize(exact, dim=-1)),
        "scaled": relative_error((z.T @ onehot).T / eps, exact),
    }


class TCSError(Method):
    """The relative error of ZEN's TCS approximation (Theorem 1; Appendix C, Table 8) at one epsilon."""

    name = "zen-tcs-error"
    label = "TCS approximation (Theorem 1)"  # the row label of the paper's Table 8
    search_space = {"epsilon": list(EPSILONS)}
    defaults = {"dimensions": 100}

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: None) -> Fitted:
        config = self.hyperparameters(config)
        labels = data.labels[split.train].cpu()
        order = torch.argsort(labels, stable=True)  # the proof's order (by class); the errors do not depend on it
        measured = errors(labels[order], data.num_classes, float(config["epsilon"]), int(config["dimensions"]), seed)
        counts = torch.bincount(labels, minlength=data.num_classes)
        diagnostics = {"k": int(counts[0]), "c": data.num_classes, "epsilon": float(config["epsilon"]),
                       **{f"{name}_error_pct": 100 * value for name, value in measured.items()}}
        zeros = torch.zeros(data.num_nodes, data.num_classes, device=data.labels.device)
        return Fitted(lambda: zeros, diagnostics)

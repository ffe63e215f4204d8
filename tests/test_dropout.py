"""``baselines.dropout`` draws exactly what ``F.dropout`` draws: outputs, gradients, the generator afterwards."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgbench.baselines.dropout import dropout, keep_mask


def _run(fn, x: torch.Tensor, p: float, seed: int):
    """(output, gradient of a fixed cotangent, the next draws) of ``fn(x, p, True)`` under ``seed``."""
    leaf = x.detach().requires_grad_()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        out = fn(leaf, p, True)
        out.backward(torch.linspace(-1, 1, out.numel()).view_as(out).to(out.dtype))
        after = torch.rand(5)
    return out.detach(), leaf.grad, after


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.6, 1.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_dropout_matches_functional_bit_for_bit(p, dtype, layout):
    x = torch.randn(130, 70, dtype=dtype, generator=torch.Generator().manual_seed(1))
    if layout == "transposed":
        x = x.t()  # F.dropout fills its mask in memory order
    for seed in range(3):
        ours, reference = _run(dropout, x, p, seed), _run(F.dropout, x, p, seed)
        for a, b in zip(ours, reference):
            assert torch.equal(a, b)


def test_keep_mask_is_functional_dropouts_mask():
    x = torch.ones(200, 30)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        dropped = F.dropout(x, 0.6, True)
        torch.manual_seed(4)
        mask = keep_mask(x, 0.6)
    assert torch.equal(dropped != 0, mask)
    assert 0.3 < mask.double().mean() < 0.5


def test_evaluation_and_bad_rates_behave_as_functional():
    x = torch.randn(10, 4)
    assert dropout(x, 0.5, False) is x
    with pytest.raises(ValueError, match="dropout probability"):
        dropout(x, 1.5, True)

"""Sylvester Hadamard matrices and the fast Walsh-Hadamard transform in torch."""

from __future__ import annotations

import torch

from .._errors import FlowError


def _check_pow2(value: int, what: str) -> int:
    if not isinstance(value, int) or value < 1 or value & (value - 1):
        raise FlowError(f"{what} must be a power of two, got {value!r}")
    return value.bit_length() - 1


def sylvester(n: int, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The unnormalised Sylvester Hadamard matrix ``S_n`` (entries +-1)."""
    _check_pow2(n, "Hadamard order")
    s = torch.ones(1, 1, dtype=dtype)
    while s.shape[0] < n:
        s = torch.cat((torch.cat((s, s), 1), torch.cat((s, -s), 1)), 0)
    return s


def block_hadamard(n: int, block: int, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The block-diagonal matrix ``I_{n/block} (x) S_block`` (dense, for tests/export)."""
    _check_pow2(n, "hidden size")
    _check_pow2(block, "block size")
    if n % block:
        raise FlowError(f"block size {block} does not divide hidden size {n}")
    return torch.block_diag(*([sylvester(block, dtype=dtype)] * (n // block)))


def fwht(x: torch.Tensor, block: int | None = None) -> torch.Tensor:
    """``(I (x) S_block) x`` along the last axis in log2(block) butterfly stages.

    Constant-geometry form: every stage reads the pairs (2j, 2j + 1) of each block
    and writes their sum to position j and their difference to j + block/2; after
    log2(block) stages that is Sylvester's ``S_block`` (n log2 n additions, the
    same integers as the reference's in-place ordering).  Batched over all leading
    axes and differentiable (additions and subtractions only).
    """
    n = x.shape[-1]
    block = n if block is None else block
    k = _check_pow2(block, "block size")
    if n % block:
        raise FlowError(f"block size {block} does not divide length {n}")
    lead = x.shape[:-1]
    for _ in range(k):
        pairs = x.reshape(*lead, n // block, block // 2, 2)
        a, b = pairs[..., 0], pairs[..., 1]
        x = torch.cat((a + b, a - b), dim=-1).reshape(*lead, n)
    return x


def fwht_dense(x: torch.Tensor, block: int | None = None) -> torch.Tensor:
    """Reference path: the same product as :func:`fwht` as one dense matmul."""
    n = x.shape[-1]
    block = n if block is None else block
    return x @ block_hadamard(n, block, dtype=x.dtype)  # S is symmetric

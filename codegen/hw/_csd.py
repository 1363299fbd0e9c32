"""Canonical signed digits: every constant product becomes shift-add terms."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def csd(value: int) -> list[tuple[int, int]]:
    """Canonical signed-digit (non-adjacent form) digits of ``value``.

    Returns ``[(shift, sign), ...]`` with sign in {+1, -1}, lowest shift first,
    such that ``value == sum(sign << shift)`` and no two shifts are adjacent.
    Zero gives ``[]``: a zero weight produces no hardware.
    """
    digits: list[tuple[int, int]] = []
    v, shift = int(value), 0
    while v != 0:
        if v & 1:
            d = 2 - (v & 3)  # +1 when v = 1 (mod 4), -1 when v = 3 (mod 4)
            digits.append((shift, d))
            v -= d
        v >>= 1
        shift += 1
    return digits


def csd_adders(value: int) -> int:
    """Adders/subtractors a CSD shift-add multiplication by ``value`` needs."""
    return max(len(csd(value)) - 1, 0)


@dataclass(frozen=True, kw_only=True)
class Term:
    """``sign * (operand[var] << shift)`` inside a shift-add sum."""

    var: int
    shift: int
    sign: int


def row_terms(weights: Iterable[int]) -> tuple[Term, ...]:
    """Shift-add terms of ``sum_j w[j] * v[j]``: variables in order, digits lowest
    shift first; zero weights give nothing."""
    return tuple(
        Term(var=j, shift=shift, sign=sign)
        for j, w in enumerate(weights)
        for shift, sign in csd(int(w))
    )


def constant_terms(value: int, *, var: int = 0) -> tuple[Term, ...]:
    """Shift-add terms of ``value * v[var]``, lowest shift first."""
    return tuple(Term(var=var, shift=shift, sign=sign) for shift, sign in csd(value))

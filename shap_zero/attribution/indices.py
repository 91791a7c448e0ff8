"""Interaction indices as fixed linear maps of Möbius coefficients (docs/math.md, Interaction indices).

Every index value at a subset T is a weighted sum of Möbius coefficients a(S) over
supersets S of T, with a weight that depends only on |S|, |T| and the order l. The map
from the Möbius coefficients of the N sequences to the index values is therefore one
sparse matrix, shared by all sequences.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np
import scipy.sparse

from shap_zero.exceptions import InvalidParameterError
from shap_zero.indices import INDEX_NAMES, IndexName

__all__ = ["IndexName", "INDEX_NAMES", "check_index", "index_weight", "index_map", "Subset"]


#: A subset of positions: sorted 0-based positions.
Subset = tuple[int, ...]


def check_index(index: str, order: int | None, n: int, max_degree: int) -> tuple[str, int]:
    """Validate an index name and order; return the index and the resolved order.

    ``order=None`` means "every order present in the sketch" (its max degree, at least 1).
    ``"SV"`` is the Shapley value and always has order 1.
    """
    if index not in INDEX_NAMES:
        raise InvalidParameterError(f"index must be one of {list(INDEX_NAMES)}; got {index!r}")
    if index == "SV":
        if order not in (None, 1):
            raise InvalidParameterError(f"index 'SV' (Shapley values) has order 1; got order={order!r}")
        return index, 1
    if order is None:
        return index, max(1, min(max_degree, n))
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= n:
        raise InvalidParameterError(f"order must be an integer in 1..{n} (the sequence length); got {order!r}")
    return index, int(order)


@lru_cache(maxsize=None)
def _bernoulli(j: int) -> Fraction:
    """Bernoulli numbers with B_1 = -1/2 (the convention of n-Shapley values / k-SII)."""
    if j == 0:
        return Fraction(1)
    # sum_{m=0}^{j} C(j+1, m) B_m = 0
    return -sum(Fraction(comb(j + 1, m)) * _bernoulli(m) for m in range(j)) / (j + 1)


@lru_cache(maxsize=None)
def index_weight(index: str, superset_size: int, subset_size: int, order: int) -> float:
    """Weight of a(S) in the index value at T, for T ⊆ S, |S| = s, |T| = t, order l.

    .. math::
        SII(T) = \\sum_{S \\supseteq T} \\frac{a(S)}{s - t + 1}, \\qquad
        STII_l(T) = a(T) \\text{ if } t < l, \\quad \\sum_{S \\supseteq T} \\frac{a(S)}{\\binom{s}{l}} \\text{ if } t = l

    .. math::
        FSII_l(T) = a(T) + (-1)^{l-t} \\frac{t}{l+t} \\binom{l}{t}
        \\sum_{S \\supsetneq T, s > l} \\frac{\\binom{s-1}{l}}{\\binom{s+l-1}{l+t}} a(S)

    .. math::
        kSII_l(T) = \\sum_{T \\subseteq R \\subseteq S, |R| \\le l} B_{|R|-t}\\, SII\\text{-weight}(S, R)
        = \\sum_{j=0}^{\\min(l,s)-t} \\binom{s-t}{j} \\frac{B_j}{s-t-j+1}

    Returns 0 where the index gives a(S) no weight (including t > l).
    """
    s, t, l = superset_size, subset_size, order
    if t < 1 or t > l or t > s:
        return 0.0
    if index == "Moebius":
        return 1.0 if s == t else 0.0
    if index in ("SII", "SV"):
        return 1.0 / (s - t + 1)
    if index == "STII":
        if t < l:
            return 1.0 if s == t else 0.0
        return 1.0 / comb(s, l)
    if index == "FSII":
        if s == t:
            return 1.0
        if s <= l:
            return 0.0
        sign = -1.0 if (l - t) % 2 else 1.0
        return sign * t / (l + t) * comb(l, t) * comb(s - 1, l) / comb(s + l - 1, l + t)
    if index == "k-SII":
        total = Fraction(0)
        for j in range(0, min(l, s) - t + 1):
            total += comb(s - t, j) * _bernoulli(j) / (s - t - j + 1)
        return float(total)
    raise InvalidParameterError(f"index must be one of {list(INDEX_NAMES)}; got {index!r}")


def index_map(
    mobius_subsets: tuple[Subset, ...], index: str, order: int
) -> tuple[tuple[Subset, ...], scipy.sparse.csr_matrix]:
    """The sparse map from Möbius coefficients to index values.

    Parameters
    ----------
    mobius_subsets : tuple of U subsets
        The subsets on which the Möbius coefficients are given (nonempty, distinct).
    index : str
        One of :data:`INDEX_NAMES`.
    order : int
        The order l of the index.

    Returns
    -------
    subsets : tuple of V subsets
        Every subset T with 1 <= |T| <= l that receives a nonzero weight, sorted by
        size, then lexicographically.
    matrix : scipy.sparse.csr_matrix of shape (V, U)
        ``values (N, V) = mobius (N, U) @ matrix.T``.
    """
    entries: dict[Subset, list[tuple[int, float]]] = {}
    for column, superset in enumerate(mobius_subsets):
        size = len(superset)
        for subset_size in range(1, min(order, size) + 1):
            weight = index_weight(index, size, subset_size, order)
            if weight == 0.0:
                continue
            for subset in itertools.combinations(superset, subset_size):
                entries.setdefault(subset, []).append((column, weight))
    subsets = tuple(sorted(entries, key=lambda subset: (len(subset), subset)))
    rows, cols, weights = [], [], []
    for row, subset in enumerate(subsets):
        for column, weight in entries[subset]:
            rows.append(row)
            cols.append(column)
            weights.append(weight)
    matrix = scipy.sparse.csr_matrix(
        (np.asarray(weights, dtype=np.float64), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(len(subsets), len(mobius_subsets)),
    )
    return subsets, matrix

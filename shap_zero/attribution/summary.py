"""Aggregates of attributions over many sequences, without a Python loop over them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from shap_zero.exceptions import InvalidParameterError

__all__ = ["SymbolTotals", "symbol_totals"]


class SymbolTotals(NamedTuple):
    """Sums of per-position attributions, split by the symbol at that position.

    Sums rather than means, so totals of chunks of sequences add up.

    Attributes
    ----------
    sum : ndarray of shape (n, q), float64
        ``sum[i, a]``: sum of ``values[r, i]`` over the sequences r with ``codes[r, i] == a``.
    sum_abs : ndarray of shape (n, q), float64
        The same sum of absolute values.
    counts : ndarray of shape (n, q), int64
        How many sequences hold symbol a at position i.
    """

    sum: np.ndarray
    sum_abs: np.ndarray
    counts: np.ndarray

    def __add__(self, other: object) -> SymbolTotals:  # type: ignore[override]
        if not isinstance(other, SymbolTotals):
            return NotImplemented
        return SymbolTotals(self.sum + other.sum, self.sum_abs + other.sum_abs, self.counts + other.counts)

    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and mean absolute attribution per (position, symbol), NaN where a symbol never occurs.

        Returns
        -------
        mean, mean_abs : ndarray of shape (n, q), float64
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            seen = self.counts > 0
            mean = np.where(seen, self.sum / np.maximum(self.counts, 1), np.nan)
            mean_abs = np.where(seen, self.sum_abs / np.maximum(self.counts, 1), np.nan)
        return mean, mean_abs


def symbol_totals(values: np.ndarray, codes: np.ndarray, q: int) -> SymbolTotals:
    """Sum attributions per (position, symbol) with one ``bincount`` per statistic.

    Parameters
    ----------
    values : ndarray of shape (N, n), float
        Per-position attributions (e.g. SHAP values) of N sequences.
    codes : ndarray of shape (N, n), integers in 0..q-1
        The sequences.
    q : int
        Alphabet size.

    Returns
    -------
    SymbolTotals
    """
    values = np.asarray(values, dtype=np.float64)
    codes = np.asarray(codes)
    if values.ndim != 2 or codes.shape != values.shape:
        raise InvalidParameterError(
            f"values and codes must both have shape (N, n); got values {values.shape} and codes {codes.shape}"
        )
    n = values.shape[1]
    if codes.size and (codes.min() < 0 or codes.max() >= q):
        raise InvalidParameterError(f"codes must lie in 0..{q - 1}; got values in {codes.min()}..{codes.max()}")
    # Flat index of (position, symbol) for every entry: i * q + a.
    cells = (np.arange(n, dtype=np.int64) * q + codes.astype(np.int64)).ravel()
    size = n * q
    total = np.bincount(cells, weights=values.ravel(), minlength=size).reshape(n, q)
    total_abs = np.bincount(cells, weights=np.abs(values).ravel(), minlength=size).reshape(n, q)
    counts = np.bincount(cells, minlength=size).reshape(n, q).astype(np.int64)
    return SymbolTotals(total, total_abs, counts)

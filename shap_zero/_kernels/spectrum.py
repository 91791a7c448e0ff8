"""Evaluate a sparse q-ary Fourier spectrum at many sequences."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True, nogil=True)
def evaluate_spectrum(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    coef_re: np.ndarray,
    coef_im: np.ndarray,
    cos_table: np.ndarray,
    sin_table: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write ``f(x) = sum_s Re(G_s * omega^<k_s, x>)`` for every row of X into ``out``.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
        Sequence codes.
    term_ptr : ndarray of shape (S + 1,), int64
        CSR offsets: the nonzero entries of term s are ``term_ptr[s]:term_ptr[s + 1]``.
    term_pos, term_val : ndarray of shape (nnz,), int64
        Position and value of each nonzero frequency entry.
    coef_re, coef_im : ndarray of shape (S,), float64
        Real and imaginary parts of the multiplicity-weighted coefficients.
    cos_table, sin_table : ndarray of shape (q,), float64
        ``cos(2 pi j / q)`` and ``sin(2 pi j / q)``.
    out : ndarray of shape (N,), float64
        Overwritten with the function values.
    """
    q = cos_table.shape[0]
    n_terms = term_ptr.shape[0] - 1
    for r in numba.prange(X.shape[0]):
        total = 0.0
        for s in range(n_terms):
            phase = 0
            for e in range(term_ptr[s], term_ptr[s + 1]):
                phase += term_val[e] * X[r, term_pos[e]]
            phase %= q
            total += coef_re[s] * cos_table[phase] - coef_im[s] * sin_table[phase]
        out[r] = total

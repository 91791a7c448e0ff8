"""Evaluate a sparse q-ary Fourier spectrum at many sequences.

The uniform-background kernels share one layout trick: each term s has a *phase
table*, ``phase_table[phase_offset[s] + p] = Re(m_s G_s omega^p)`` for every value of
the unreduced phase ``p = sum_e k_e x_e`` (0 <= p <= (q - 1) * sum_e k_e), so a term is
evaluated with integer multiply-adds and one table read: no modulo, no trigonometry.
Sequences are processed in blocks whose codes are first transposed, so that the inner
loops run over contiguous sequences and vectorise.
"""

from __future__ import annotations

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin


@numba.njit(cache=True, nogil=True, inline="always")
def transpose_block(X: np.ndarray, start: int, count: int, block: np.ndarray) -> None:
    """Copy rows ``start:start+count`` of X (N, n) into ``block[:, :count]`` (n, B) as int64."""
    for i in range(X.shape[1]):
        for j in range(count):
            block[i, j] = X[start + j, i]


@numba.njit(cache=True, nogil=True, inline="always")
def store_block(totals: np.ndarray, start: int, count: int, out: np.ndarray) -> None:
    """Copy the accumulators ``totals`` (k, B) of a block into rows ``start:start+count`` of out (N, k)."""
    for j in range(count):
        for i in range(totals.shape[0]):
            out[start + j, i] = totals[i, j]


@numba.njit(cache=True, nogil=True, inline="always")
def block_phases(
    codes_t: np.ndarray,
    count: int,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    first: int,
    stop: int,
    phases: np.ndarray,
) -> None:
    """Unreduced phases ``sum_e term_val[e] * x[term_pos[e]]`` of one term for a block."""
    # 1-D slices: element-wise 2-D indexing was slower (measured in the block kernels).
    letters = codes_t[term_pos[first], :count]
    value = term_val[first]
    for j in range(count):
        phases[j] = value * letters[j]
    for e in range(first + 1, stop):
        letters = codes_t[term_pos[e], :count]
        value = term_val[e]
        for j in range(count):
            phases[j] += value * letters[j]


@numba.njit(parallel=True, cache=True, nogil=True)
def evaluate_spectrum(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    phase_offset: np.ndarray,
    phase_table: np.ndarray,
    block_rows: int,
    out: np.ndarray,
) -> None:
    """Write ``f(x) = sum_s Re(m_s G_s omega^<k_s, x>)`` for every row of X into ``out``.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
        Sequence codes.
    term_ptr : ndarray of shape (S + 1,), int64
        CSR offsets: the nonzero entries of term s are ``term_ptr[s]:term_ptr[s + 1]``.
    term_pos, term_val : ndarray of shape (nnz,), int64
        Position and value of each nonzero frequency entry.
    phase_offset : ndarray of shape (S + 1,), int64
        Start of each term's phase table.
    phase_table : ndarray of shape (T,), float64
        Concatenated phase tables (see the module docstring).
    block_rows : int
        Sequences per block.
    out : ndarray of shape (N,), float64
        Overwritten with the function values.
    """
    n_rows, n = X.shape
    n_terms = term_ptr.shape[0] - 1
    n_blocks = (n_rows + block_rows - 1) // block_rows
    for block in numba.prange(n_blocks):
        start = block * block_rows
        count = min(n_rows, start + block_rows) - start
        codes_t = np.empty((n, block_rows), dtype=np.int64)
        transpose_block(X, start, count, codes_t)
        phases = np.empty(block_rows, dtype=np.int64)
        totals = np.zeros(block_rows, dtype=np.float64)
        for s in range(n_terms):
            first = term_ptr[s]
            stop = term_ptr[s + 1]
            offset = phase_offset[s]
            if stop == first:  # the zero frequency: a constant
                for j in range(count):
                    totals[j] += phase_table[offset]
                continue
            block_phases(codes_t, count, term_pos, term_val, first, stop, phases)
            for j in range(count):
                totals[j] += phase_table[offset + phases[j]]
        for j in range(count):
            out[start + j] = totals[j]


evaluate_spectrum_serial = serial_twin(evaluate_spectrum)

"""Closed-form Shapley values and Möbius coefficients of a sparse Fourier spectrum.

Two families of kernels:

* ``*_uniform``: the uniform background, where a frequency k contributes only to the
  positions in its support, with the closed forms of docs/math.md, Möbius coefficients and Shapley values.
* ``*_mixture``: a background that is a weighted mixture of B product distributions
  (per-position symbol frequencies, a reference sequence, a finite background set).
  Each (frequency, component) pair is a product game (docs/math.md, Shapley values).

Conventions shared by every kernel (see :mod:`shap_zero._kernels`): the spectrum is in
CSR layout, with the nonzero entries of each term sorted by position; ``coef_re`` and
``coef_im`` (mixture kernels) and the phase tables (uniform kernels, see
:mod:`shap_zero._kernels.spectrum`) already carry the conjugate-pair multiplicity.
"""

from __future__ import annotations

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin
from shap_zero._kernels.spectrum import block_phases, store_block, transpose_block


@numba.njit(parallel=True, cache=True, nogil=True)
def shapley_uniform(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    phase_offset: np.ndarray,
    phase_table: np.ndarray,
    block_rows: int,
    out: np.ndarray,
) -> None:
    """Shapley values under the uniform background.

    .. math:: \\phi_i(x) = \\sum_{k : k_i \\neq 0} \\mathrm{Re}(G_k \\omega^{\\langle k, x\\rangle}) / |k|

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    term_ptr, term_pos, term_val, phase_offset, phase_table, block_rows
        The spectrum and block size, as in
        :func:`shap_zero._kernels.spectrum.evaluate_spectrum`.
    out : ndarray of shape (N, n), float64
        Overwritten with the Shapley values.
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
        shares = np.empty(block_rows, dtype=np.float64)
        totals = np.zeros((n, block_rows), dtype=np.float64)
        for s in range(n_terms):
            first = term_ptr[s]
            stop = term_ptr[s + 1]
            if stop == first:
                continue
            block_phases(codes_t, count, term_pos, term_val, first, stop, phases)
            offset = phase_offset[s]
            inverse_degree = 1.0 / (stop - first)
            for j in range(count):
                shares[j] = phase_table[offset + phases[j]] * inverse_degree
            for e in range(first, stop):
                position = term_pos[e]
                for j in range(count):
                    totals[position, j] += shares[j]
        store_block(totals, start, count, out)


@numba.njit(parallel=True, cache=True, nogil=True)
def pairwise_uniform(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    phase_offset: np.ndarray,
    phase_table: np.ndarray,
    out: np.ndarray,
) -> None:
    """Pairwise interaction matrices in shap's TreeExplainer convention, uniform background.

    Off the diagonal ``Phi_ij = SII({i, j}) / 2`` with
    ``SII({i, j}) = sum_{k : k_i, k_j != 0} Re(G_k omega^<k,x>) / (|k| - 1)``;
    on the diagonal ``Phi_ii = phi_i - sum_{j != i} Phi_ij``, so each row sums to phi_i.
    One sequence at a time: the (n, n) output of a sequence stays in cache.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    term_ptr, term_pos, term_val, phase_offset, phase_table
        The spectrum, as in :func:`shap_zero._kernels.spectrum.evaluate_spectrum`.
    out : ndarray of shape (N, n, n), float64
        Overwritten with the matrices.
    """
    n_terms = term_ptr.shape[0] - 1
    n = X.shape[1]
    for r in numba.prange(X.shape[0]):
        for i in range(n):
            for j in range(n):
                out[r, i, j] = 0.0
        for s in range(n_terms):
            start = term_ptr[s]
            stop = term_ptr[s + 1]
            degree = stop - start
            if degree == 0:
                continue
            phase = 0
            for e in range(start, stop):
                phase += term_val[e] * X[r, term_pos[e]]
            value = phase_table[phase_offset[s] + phase]
            # The diagonal collects phi_i first; off-diagonal sums are removed below.
            share = value / degree
            for e in range(start, stop):
                out[r, term_pos[e], term_pos[e]] += share
            if degree >= 2:
                half_pair = 0.5 * value / (degree - 1)
                for e1 in range(start, stop):
                    i = term_pos[e1]
                    for e2 in range(e1 + 1, stop):
                        j = term_pos[e2]
                        out[r, i, j] += half_pair
                        out[r, j, i] += half_pair
        for i in range(n):
            off_diagonal = 0.0
            for j in range(n):
                if j != i:
                    off_diagonal += out[r, i, j]
            out[r, i, i] -= off_diagonal


@numba.njit(parallel=True, cache=True, nogil=True)
def mobius_uniform(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    phase_offset: np.ndarray,
    phase_table: np.ndarray,
    term_column: np.ndarray,
    block_rows: int,
    out: np.ndarray,
) -> None:
    """Möbius coefficients under the uniform background.

    Only T = supp(k) survives: ``a_x(T) = sum_{k : supp k = T} Re(G_k omega^<k,x>)``.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    term_ptr, term_pos, term_val, phase_offset, phase_table, block_rows
        The spectrum and block size, as in
        :func:`shap_zero._kernels.spectrum.evaluate_spectrum`.
    term_column : ndarray of shape (S,), int64
        Output column of each term's support; -1 for terms that are skipped (the
        zero frequency, or supports above the requested order).
    out : ndarray of shape (N, U), float64
        Overwritten with the coefficients of the U output subsets.
    """
    n_rows, n = X.shape
    n_terms = term_ptr.shape[0] - 1
    n_columns = out.shape[1]
    n_blocks = (n_rows + block_rows - 1) // block_rows
    for block in numba.prange(n_blocks):
        start = block * block_rows
        count = min(n_rows, start + block_rows) - start
        codes_t = np.empty((n, block_rows), dtype=np.int64)
        transpose_block(X, start, count, codes_t)
        phases = np.empty(block_rows, dtype=np.int64)
        totals = np.zeros((n_columns, block_rows), dtype=np.float64)
        for s in range(n_terms):
            column = term_column[s]
            first = term_ptr[s]
            stop = term_ptr[s + 1]
            if column < 0 or stop == first:
                continue
            block_phases(codes_t, count, term_pos, term_val, first, stop, phases)
            offset = phase_offset[s]
            for j in range(count):
                totals[column, j] += phase_table[offset + phases[j]]
        store_block(totals, start, count, out)


@numba.njit(cache=True, nogil=True)
def expected_value_mixture(
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    coef_re: np.ndarray,
    coef_im: np.ndarray,
    symbol_moments: np.ndarray,
    component_weights: np.ndarray,
) -> float:
    """Mean of the spectrum under a mixture of product backgrounds.

    .. math:: E_P f = \\sum_b w_b \\sum_k \\mathrm{Re}(G_k \\prod_{i \\in supp k} c_{b,i}(k_i))

    Parameters
    ----------
    term_ptr, term_pos, term_val, coef_re, coef_im
        The spectrum, as in :func:`shapley_uniform`.
    symbol_moments : ndarray of shape (B, n, q), complex128
        ``c[b, i, v] = E_{a ~ p_{b,i}} omega^(v a)``.
    component_weights : ndarray of shape (B,), float64

    Returns
    -------
    float
    """
    n_terms = term_ptr.shape[0] - 1
    total = 0.0
    for s in range(n_terms):
        mean_factor = 0.0 + 0.0j
        for b in range(component_weights.shape[0]):
            product = 1.0 + 0.0j
            for e in range(term_ptr[s], term_ptr[s + 1]):
                product *= symbol_moments[b, term_pos[e], term_val[e]]
            mean_factor += component_weights[b] * product
        total += coef_re[s] * mean_factor.real - coef_im[s] * mean_factor.imag
    return total


@numba.njit(parallel=True, cache=True, nogil=True)
def shapley_mixture(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    coef_re: np.ndarray,
    coef_im: np.ndarray,
    roots: np.ndarray,
    symbol_moments: np.ndarray,
    component_weights: np.ndarray,
    quad_nodes: np.ndarray,
    quad_weights: np.ndarray,
    max_degree: int,
    out: np.ndarray,
) -> None:
    """Shapley values under a mixture of product backgrounds.

    For one frequency k and one product component with ``alpha_i = omega^(k_i x_i)``
    and ``c_i = E omega^(k_i a)`` the game is a product game whose Shapley values are

    .. math:: \\phi_j = (\\alpha_j - c_j) \\int_0^1 \\prod_{i \\in supp k, i \\neq j}
              (c_i + (\\alpha_i - c_i) t)\\, dt,

    integrated exactly by Gauss-Legendre quadrature with at least ceil(max_degree / 2)
    nodes. Products that leave out one factor use prefix and suffix products, so no
    division by a factor that may vanish.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    term_ptr, term_pos, term_val, coef_re, coef_im
        The spectrum, as in :func:`shapley_uniform`.
    roots : ndarray of shape (q,), complex128
        ``omega^j``.
    symbol_moments : ndarray of shape (B, n, q), complex128
        ``c[b, i, v] = E_{a ~ p_{b,i}} omega^(v a)``.
    component_weights : ndarray of shape (B,), float64
    quad_nodes, quad_weights : ndarray of shape (M,), float64
        Gauss-Legendre rule on [0, 1].
    max_degree : int
        Largest term degree (sizes the scratch buffers).
    out : ndarray of shape (N, n), float64
        Overwritten with the Shapley values.
    """
    q = roots.shape[0]
    n_terms = term_ptr.shape[0] - 1
    n = X.shape[1]
    n_components = component_weights.shape[0]
    n_nodes = quad_nodes.shape[0]
    width = max(max_degree, 1)
    for r in numba.prange(X.shape[0]):
        moments = np.empty(width, dtype=np.complex128)
        deltas = np.empty(width, dtype=np.complex128)
        prefix = np.empty(width + 1, dtype=np.complex128)
        suffix = np.empty(width + 1, dtype=np.complex128)
        integrals = np.empty(width, dtype=np.complex128)
        totals = np.empty(width, dtype=np.complex128)
        for i in range(n):
            out[r, i] = 0.0
        for s in range(n_terms):
            start = term_ptr[s]
            degree = term_ptr[s + 1] - start
            if degree == 0:
                continue
            for j in range(degree):
                totals[j] = 0.0
            for b in range(n_components):
                for j in range(degree):
                    position = term_pos[start + j]
                    value = term_val[start + j]
                    alpha = roots[(value * X[r, position]) % q]
                    moments[j] = symbol_moments[b, position, value]
                    deltas[j] = alpha - moments[j]
                    integrals[j] = 0.0
                for m in range(n_nodes):
                    t = quad_nodes[m]
                    prefix[0] = 1.0
                    for j in range(degree):
                        prefix[j + 1] = prefix[j] * (moments[j] + deltas[j] * t)
                    suffix[degree] = 1.0
                    for j in range(degree - 1, -1, -1):
                        suffix[j] = suffix[j + 1] * (moments[j] + deltas[j] * t)
                    for j in range(degree):
                        integrals[j] += quad_weights[m] * prefix[j] * suffix[j + 1]
                for j in range(degree):
                    totals[j] += component_weights[b] * deltas[j] * integrals[j]
            for j in range(degree):
                out[r, term_pos[start + j]] += (
                    coef_re[s] * totals[j].real - coef_im[s] * totals[j].imag
                )


@numba.njit(cache=True, nogil=True, inline="always")
def _support_index(X, r, support_pos, start, degree, q):
    """Row of sequence r in a support's table: its letters there as a base-q number."""
    index = 0
    for e in range(degree):
        index = index * q + X[r, support_pos[start + e]]
    return index


@numba.njit(parallel=True, cache=True, nogil=True)
def add_support_tables(
    X: np.ndarray,
    support_ptr: np.ndarray,
    support_pos: np.ndarray,
    table_ptr: np.ndarray,
    tables: np.ndarray,
    q: int,
    out: np.ndarray,
) -> None:
    """Add tabulated per-support contributions to per-position values.

    Support g has positions ``support_pos[support_ptr[g]:support_ptr[g+1]]`` (d of them,
    sorted); a sequence x reads row ``index_g(x) = sum_e x[pos_e] q^(d - 1 - e)`` of its
    table, d numbers at ``tables[table_ptr[g] + index_g(x) * d:...]``, and adds number e
    to ``out[r, pos_e]``.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    support_ptr : ndarray of shape (G + 1,), int64
    support_pos : ndarray of shape (support_ptr[-1],), int64
    table_ptr : ndarray of shape (G + 1,), int64
        ``table_ptr[g + 1] - table_ptr[g] = q^d * d``.
    tables : ndarray of shape (table_ptr[-1],), float64
    q : int
    out : ndarray of shape (N, n), float64
        Accumulated in place.
    """
    n_supports = support_ptr.shape[0] - 1
    for r in numba.prange(X.shape[0]):
        for g in range(n_supports):
            start = support_ptr[g]
            degree = support_ptr[g + 1] - start
            base = table_ptr[g] + _support_index(X, r, support_pos, start, degree, q) * degree
            for e in range(degree):
                out[r, support_pos[start + e]] += tables[base + e]


@numba.njit(parallel=True, cache=True, nogil=True)
def add_support_mobius(
    X: np.ndarray,
    support_ptr: np.ndarray,
    support_pos: np.ndarray,
    table_ptr: np.ndarray,
    tables: np.ndarray,
    support_column: np.ndarray,
    q: int,
    out: np.ndarray,
) -> None:
    """Add tabulated Möbius coefficients of every support's subsets to their columns.

    Support g (as in :func:`add_support_tables`, degree d) has a table of q^d rows of
    2^d numbers; a sequence x reads row ``index_g(x)`` and adds number ``mask`` (the
    coefficient of the subset of the support selected by the bits of ``mask``) to
    ``out[r, support_column[g, mask]]``, skipping columns of -1.

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    support_ptr, support_pos, table_ptr, tables, q
        As in :func:`add_support_tables`, with ``q^d * 2^d`` numbers per support.
    support_column : ndarray of shape (G, 2**max_degree), int64
    out : ndarray of shape (N, U), float64
        Accumulated in place.
    """
    n_supports = support_ptr.shape[0] - 1
    for r in numba.prange(X.shape[0]):
        for g in range(n_supports):
            start = support_ptr[g]
            degree = support_ptr[g + 1] - start
            size = 1 << degree
            base = table_ptr[g] + _support_index(X, r, support_pos, start, degree, q) * size
            for mask in range(1, size):
                column = support_column[g, mask]
                if column >= 0:
                    out[r, column] += tables[base + mask]


@numba.njit(parallel=True, cache=True, nogil=True)
def mobius_mixture(
    X: np.ndarray,
    term_ptr: np.ndarray,
    term_pos: np.ndarray,
    term_val: np.ndarray,
    coef_re: np.ndarray,
    coef_im: np.ndarray,
    roots: np.ndarray,
    symbol_moments: np.ndarray,
    component_weights: np.ndarray,
    subset_column: np.ndarray,
    out: np.ndarray,
) -> None:
    """Möbius coefficients under a mixture of product backgrounds.

    .. math:: a_x(T) = \\sum_{k : supp k \\supseteq T} \\mathrm{Re}\\Big(G_k \\sum_b w_b
              \\prod_{i \\in T} (\\alpha_i - c_{b,i}) \\prod_{i \\in supp k \\setminus T} c_{b,i}\\Big)

    Parameters
    ----------
    X : ndarray of shape (N, n), uint8
    term_ptr, term_pos, term_val, coef_re, coef_im, roots, symbol_moments, component_weights
        As in :func:`shapley_mixture`.
    subset_column : ndarray of shape (S, 2**max_degree), int64
        ``subset_column[s, mask]`` is the output column of the subset of term s's
        support selected by the bits of ``mask`` (bit e = the e-th nonzero entry), or
        -1 to skip it (the empty set, or subsets above the requested order).
    out : ndarray of shape (N, U), float64
        Overwritten with the coefficients of the U output subsets.
    """
    q = roots.shape[0]
    n_terms = term_ptr.shape[0] - 1
    n_columns = out.shape[1]
    n_components = component_weights.shape[0]
    n_masks = subset_column.shape[1]
    for r in numba.prange(X.shape[0]):
        products = np.empty(n_masks, dtype=np.complex128)
        totals = np.empty(n_masks, dtype=np.complex128)
        for u in range(n_columns):
            out[r, u] = 0.0
        for s in range(n_terms):
            start = term_ptr[s]
            degree = term_ptr[s + 1] - start
            if degree == 0:
                continue
            size = 1 << degree
            for mask in range(size):
                totals[mask] = 0.0
            for b in range(n_components):
                # Build prod_{e in mask} delta_e * prod_{e not in mask} c_e for every
                # mask by doubling the table one entry at a time.
                products[0] = 1.0
                filled = 1
                for e in range(degree):
                    position = term_pos[start + e]
                    value = term_val[start + e]
                    moment = symbol_moments[b, position, value]
                    delta = roots[(value * X[r, position]) % q] - moment
                    for mask in range(filled):
                        products[mask + filled] = products[mask] * delta
                        products[mask] = products[mask] * moment
                    filled *= 2
                weight = component_weights[b]
                for mask in range(size):
                    totals[mask] += weight * products[mask]
            for mask in range(size):
                column = subset_column[s, mask]
                if column >= 0:
                    out[r, column] += coef_re[s] * totals[mask].real - coef_im[s] * totals[mask].imag


shapley_uniform_serial = serial_twin(shapley_uniform)
pairwise_uniform_serial = serial_twin(pairwise_uniform)
mobius_uniform_serial = serial_twin(mobius_uniform)
shapley_mixture_serial = serial_twin(shapley_mixture)
mobius_mixture_serial = serial_twin(mobius_mixture)
add_support_tables_serial = serial_twin(add_support_tables)
add_support_mobius_serial = serial_twin(add_support_mobius)

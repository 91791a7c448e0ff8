"""Least-squares refit of found coefficients against every aliased transform, and its separable Gram."""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.sparse.linalg

from shap_zero._config import DENSE_REFIT_MAX_COLUMNS
from shap_zero._kernels.dispatch import choose
from shap_zero._kernels.peeling import (
    bins_of_terms,
    bins_of_terms_serial,
    refit_normal_equations,
)
from shap_zero.sketch.conjugates import conjugate_bins, self_conjugate

__all__ = [
    "SeparableGram",
    "refit_coefficients",
    "solve_refit",
    "term_columns",
    "with_partners",
    "refit_columns",
    "hermitian_coefficients",
]


class SeparableGram:
    """A least-squares Gram matrix solved block by block.

    ``G[a, b]`` is nonzero only when columns a and b share a bin in some group. A column
    alone in its bin in every group is decoupled from all others: its equation is
    ``G_aa x_a = r_a`` and ``(G^-1)_aa = 1 / G_aa``. Only the columns that share a bin go
    through a dense solve, which on sparse supports is a small fraction (an exact
    reduction: the rest of G is diagonal).

    Parameters
    ----------
    gram : ndarray of shape (S, S), complex128
    landing : ndarray of shape (S, C), int64
        Bin of every column in every group.
    n_bins : int
        Bins per group.
    """

    def __init__(self, gram: np.ndarray, landing: np.ndarray, n_bins: int) -> None:
        flat = landing + n_bins * np.arange(landing.shape[1])
        occupancy = np.bincount(flat.reshape(-1), minlength=n_bins * landing.shape[1])
        alone = (occupancy[flat] == 1).all(axis=1)
        self.gram = gram
        self.diagonal = gram.diagonal().copy()
        self.alone = np.flatnonzero(alone)
        self.coupled = np.flatnonzero(~alone)
        if self.alone.size == 0:
            self._coupled_gram = gram
        else:
            self._coupled_gram = gram[np.ix_(self.coupled, self.coupled)] if self.coupled.size else None

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``G^-1 rhs`` for rhs of shape (S,)."""
        solution = np.empty_like(rhs)
        solution[self.alone] = rhs[self.alone] / self.diagonal[self.alone]
        if self.coupled.size:
            # NumPy's LAPACK, not SciPy's: a second OpenBLAS thread pool fights NumPy's
            # and numba's for the cores and costs milliseconds per call.
            solution[self.coupled] = np.linalg.solve(self._coupled_gram, rhs[self.coupled])
        return solution

    def inverse_diagonal(self, columns: np.ndarray) -> np.ndarray:
        """``(G^-1)_aa`` (real) for the given column indices."""
        out = np.empty(columns.size)
        position = np.full(self.gram.shape[0], -1, dtype=np.int64)
        position[self.coupled] = np.arange(self.coupled.size)
        inner = position[columns]
        lone = inner < 0
        out[lone] = 1.0 / np.real(self.diagonal[columns[lone]])
        if not lone.all():
            wanted = inner[~lone]
            units = np.zeros((self.coupled.size, wanted.size), dtype=np.complex128)
            units[wanted, np.arange(wanted.size)] = 1.0
            out[~lone] = np.real(np.linalg.solve(self._coupled_gram, units)[wanted, np.arange(wanted.size)])
        return out


def refit_coefficients(
    transforms: np.ndarray,
    freqs: np.ndarray,
    matrices: np.ndarray,
    delays: np.ndarray,
    q: int,
    *,
    hermitian: bool = True,
) -> np.ndarray:
    """Least-squares coefficients of a fixed support against all aliased transforms.

    Parameters
    ----------
    transforms : ndarray of shape (C, q^b, P), complex128
    freqs : ndarray of shape (S, n), int64
        The support. With ``hermitian``, each row stands for k and -k.
    matrices : ndarray of shape (C, n, b), int64
    delays : ndarray of shape (P, n), int64
    q : int
    hermitian : bool, default True
        Solve for ``F[k]`` with ``F[-k] = conj(F[k])`` (the transforms of real samples);
        otherwise every row of ``freqs`` is an independent coefficient.

    Returns
    -------
    ndarray of shape (S,), complex128
        Real for self-conjugate frequencies when ``hermitian``.
    """
    if freqs.shape[0] == 0:
        return np.zeros(0, dtype=np.complex128)
    columns = refit_columns(freqs, matrices, delays, q, hermitian)
    return solve_refit(transforms, freqs.shape[0], *columns, hermitian)


def solve_refit(
    transforms: np.ndarray,
    n_terms: int,
    landing: np.ndarray,
    atoms: np.ndarray,
    partners: np.ndarray | None,
    self_conj: np.ndarray | None,
    hermitian: bool,
) -> np.ndarray:
    """:func:`refit_coefficients` from the columns of :func:`with_partners`."""
    n_groups, n_bins, n_delays = transforms.shape
    n_columns = landing.shape[0]
    ridge = 1e-14 * n_groups * n_delays
    if n_columns <= DENSE_REFIT_MAX_COLUMNS:
        # Small supports: the normal equations straight from the bins, solved densely
        # (scipy.sparse's constructors cost more than the solve here).
        gram = np.empty((n_columns, n_columns), dtype=np.complex128)
        rhs = np.empty(n_columns, dtype=np.complex128)
        refit_normal_equations(landing, atoms, np.ascontiguousarray(transforms), gram, rhs)
        gram.flat[:: n_columns + 1] += ridge
        solution = SeparableGram(gram, landing, n_bins).solve(rhs)
        return hermitian_coefficients(solution, n_terms, hermitian, partners, self_conj)
    flat = landing + np.arange(n_groups)[None, :] * n_bins  # (S', C) global bin ids
    occupied, block = np.unique(flat.reshape(-1), return_inverse=True)
    rows = (block.reshape(n_columns, n_groups)[:, :, None] * n_delays + np.arange(n_delays)).reshape(-1)
    cols = np.repeat(np.arange(n_columns), n_groups * n_delays)
    data = np.broadcast_to(atoms[:, None, :], (n_columns, n_groups, n_delays)).reshape(-1)
    design_matrix = scipy.sparse.csr_matrix((data, (rows, cols)), shape=(occupied.size * n_delays, n_columns))
    target = transforms.reshape(n_groups * n_bins, n_delays)[occupied].reshape(-1)
    adjoint = design_matrix.conj().T.tocsr()
    gram = (adjoint @ design_matrix).tocsc()
    # Columns of distinct frequencies are never equal (the identity delays pin k down), a
    # ridge at round-off level only guards against near-duplicates.
    gram = gram + scipy.sparse.identity(n_columns, format="csc") * ridge
    solution = np.atleast_1d(scipy.sparse.linalg.spsolve(gram, adjoint @ target))
    return hermitian_coefficients(solution, n_terms, hermitian, partners, self_conj)


def term_columns(
    freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every frequency's bin in every group, (S, C) int64, and atoms ``omega^<k, d_p>``, (S, P)."""
    freqs = np.ascontiguousarray(freqs, dtype=np.int64)
    landing = np.empty((freqs.shape[0], matrices.shape[0]), dtype=np.int64)
    choose(bins_of_terms, bins_of_terms_serial, landing.size * matrices.shape[1])(freqs, matrices, q, landing)
    roots = np.exp(2j * np.pi * np.arange(q) / q)
    # <k, d_p> through a float product: exact (entries below n q^2 << 2^53) and 3x faster
    # than NumPy's integer matmul, which has no BLAS.
    phases = (freqs.astype(np.float64) @ delays.T.astype(np.float64)).astype(np.int64) % q
    return landing, np.take(roots, phases)


def with_partners(
    freqs: np.ndarray, landing: np.ndarray, atoms: np.ndarray, q: int, b: int, hermitian: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Unknowns of a least-squares fit: the support, then -k of every non-self-conjugate k.

    Takes the support's own columns (:func:`term_columns`) and returns the columns'
    landing bins (S', C) and atoms (S', P); with ``hermitian`` also the indices of the
    frequencies that have a partner column and the self-conjugate mask (else None).
    """
    if not hermitian:
        return landing, atoms, None, None
    self_conj = self_conjugate(freqs, q)
    partners = np.flatnonzero(~self_conj)
    # -k lands in the bin of -j and has the conjugate atoms: nothing to recompute.
    landing = np.concatenate([landing, conjugate_bins(q, b)[landing[partners]]])
    atoms = np.concatenate([atoms, np.conj(atoms[partners])])
    return landing, atoms, partners, self_conj


def refit_columns(
    freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int, hermitian: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`with_partners` of the columns of ``freqs``."""
    landing, atoms = term_columns(freqs, matrices, delays, q)
    return with_partners(freqs, landing, atoms, q, matrices.shape[2], hermitian)


def hermitian_coefficients(
    solution: np.ndarray,
    n_terms: int,
    hermitian: bool,
    partners: np.ndarray | None,
    self_conj: np.ndarray | None,
) -> np.ndarray:
    """The refit's coefficients of the support from the solution over its columns."""
    if not hermitian:
        return solution.astype(np.complex128)
    coefs = solution[:n_terms].astype(np.complex128)
    # Average F[k] and conj(F[-k]): equal up to round-off for real samples.
    coefs[partners] = 0.5 * (coefs[partners] + np.conj(solution[n_terms:]))
    coefs[self_conj] = coefs[self_conj].real
    return coefs

"""Low-degree function spaces spanned by position subsets ("blocks"), and least squares in them.

Every Fourier term ``F[k] omega^<k, x>`` belongs to the block of its support
``S = supp(k)``. The terms of one block sum to a *pure-interaction table* ``T_S`` over
the letters at S: a table of q^|S| numbers whose sum over any one axis is zero
(docs/math.md; its Fourier coefficients are exactly those with support S). A sketch
restricted to a set of blocks is therefore

    f(x) = mean + sum_S T_S[x_S],

which is linear in the tables, real, and evaluated by table look-ups. The regression
and hybrid engines fit such functions to model queries by regularised least squares:

- :class:`BlockBasis` holds the blocks in the CSR layout of
  :mod:`shap_zero._kernels.blocks` and converts tables to Fourier coefficients;
- :class:`Rows` holds the query points, transposed for the kernels;
- :func:`solve` minimises ``sum_r w_r (y_r - f(x_r))^2 + penalty * sum_k |F[k]|^2``
  by preconditioned conjugate gradients, a chunk of rows at a time (no N x p matrix);
- :func:`cross_validate` chooses the penalty by K-fold cross-validation;
- :func:`block_statistics` scores blocks that are not in the fit against a residual
  (the chi-square statistic of their least-squares energy), for greedy searches.

Nothing here is random: folds are taken by row number (the rows are random already).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from shap_zero._kernels.blocks import (
    add_block_tables,
    add_block_tables_serial,
    block_histograms,
    block_histograms_serial,
    child_histograms,
    child_histograms_serial,
)
from shap_zero._kernels.dispatch import choose

#: Table reads per call above which the block kernels (evaluation and histograms) run in
#: parallel: 1.6x measured for both at 4M rows and 351 blocks on the project's 2-CPU
#: machine. Small calls stay serial: a parallel region costs a thread wake-up, and on a
#: shared machine it waits for its slowest thread.
PARALLEL_WORK = 1 << 24

__all__ = [
    "BlockBasis",
    "BlockFit",
    "Rows",
    "block_statistics",
    "blocks_up_to",
    "child_statistics",
    "count_block_terms",
    "cross_validate",
    "refine",
    "solve",
]

#: Largest number of table entries scored at once by :func:`block_statistics` (bounds memory).
SCORE_CHUNK_ENTRIES = 1 << 22


def count_block_terms(degree: int, q: int) -> int:
    """Fourier coefficients of one block of ``degree`` positions: (q - 1) ** degree."""
    return (q - 1) ** degree


def blocks_up_to(n: int, degree: int) -> list[tuple[int, ...]]:
    """Every block of 1..``degree`` positions, by degree, then lexicographically."""
    return [block for d in range(1, degree + 1) for block in itertools.combinations(range(n), d)]


class Rows:
    """Query points transposed for the block kernels.

    Parameters
    ----------
    codes : ndarray of shape (N, n), uint8
        Valid codes (entries below q); not checked.

    Attributes
    ----------
    codes_t : ndarray of shape (n, N), uint8, C-contiguous
    n_rows : int
    """

    def __init__(self, codes: np.ndarray) -> None:
        self.codes_t = np.ascontiguousarray(np.asarray(codes, dtype=np.uint8).T)
        self.n_rows = int(self.codes_t.shape[1])

    def take(self, rows: np.ndarray) -> Rows:
        """A :class:`Rows` of a subset of the points (``rows`` indexes them)."""
        subset = Rows.__new__(Rows)
        subset.codes_t = np.ascontiguousarray(self.codes_t[:, rows])
        subset.n_rows = int(subset.codes_t.shape[1])
        return subset


class BlockBasis:
    """A set of blocks over n positions and q letters, with the tables that parameterise them.

    Parameters
    ----------
    blocks : iterable of tuples of int
        Distinct, non-empty position subsets; stored sorted by degree, then
        lexicographically (positions inside a block in increasing order).
    n, q : int

    Attributes
    ----------
    blocks : list of tuple of int
    degrees : ndarray of shape (B,), int64
    table_ptr : ndarray of shape (B + 1,), int64
        Block b's table is ``tables[table_ptr[b]:table_ptr[b+1]]``.
    node_pos, node_depth, node_table : ndarray of int64
        The blocks as the prefix tree the kernels of :mod:`shap_zero._kernels.blocks`
        take: every distinct prefix of a block, in lexicographic (depth-first) order.
    n_entries : int
        Table entries, sum_S q^|S| (the length of a table vector).
    n_terms : int
        Fourier coefficients the blocks span, the mean included: 1 + sum_S (q-1)^|S|.
    """

    def __init__(self, blocks: Iterable[Sequence[int]], n: int, q: int) -> None:
        unique = {tuple(sorted(int(i) for i in block)) for block in blocks}
        if () in unique:
            raise ValueError("a block needs at least one position (the mean is fitted separately)")
        self.n, self.q = int(n), int(q)
        self.blocks = sorted(unique, key=lambda block: (len(block), block))
        self.degrees = np.array([len(block) for block in self.blocks], dtype=np.int64)
        if any(block[0] < 0 or block[-1] >= n for block in self.blocks):
            raise ValueError(f"block positions must lie in 0..{n - 1}")
        self.table_ptr = np.zeros(len(self.blocks) + 1, dtype=np.int64)
        np.cumsum(self.q**self.degrees, out=self.table_ptr[1:])
        self.n_entries = int(self.table_ptr[-1])
        offsets = {block: int(first) for block, first in zip(self.blocks, self.table_ptr[:-1])}
        prefixes = sorted({block[:length] for block in self.blocks for length in range(1, len(block) + 1)})
        self.node_pos = np.array([prefix[-1] for prefix in prefixes], dtype=np.int64)
        self.node_depth = np.array([len(prefix) - 1 for prefix in prefixes], dtype=np.int64)
        self.node_table = np.array([offsets.get(prefix, -1) for prefix in prefixes], dtype=np.int64)
        self.n_terms = 1 + int(sum(count_block_terms(int(d), self.q) for d in self.degrees))
        # Entry scale of the penalty: sum_k |F[k]|^2 = q^-|S| ||T_S||^2 on a pure table.
        self.entry_degree = np.repeat(self.degrees, self.q**self.degrees)
        self.entry_scale = np.power(float(self.q), -self.entry_degree.astype(np.float64))

    def __len__(self) -> int:
        return len(self.blocks)

    # ------------------------------------------------------------------ tables
    def _degree_slices(self) -> Iterable[tuple[int, int, int, int]]:
        """(degree, first block, stop block, entries) of every run of blocks of one degree."""
        if not len(self.blocks):
            return
        edges = np.flatnonzero(np.diff(self.degrees)) + 1
        starts = np.concatenate([[0], edges])
        stops = np.concatenate([edges, [len(self.blocks)]])
        for start, stop in zip(starts, stops):
            yield int(self.degrees[start]), int(start), int(stop), int(self.table_ptr[start])

    def project(self, tables: np.ndarray) -> np.ndarray:
        """The pure-interaction part of every table: centred along each of its axes.

        Centring along one axis after another is the orthogonal projection onto the
        tables whose Fourier coefficients all have full support on the block.

        Parameters
        ----------
        tables : ndarray of shape (n_entries,)

        Returns
        -------
        ndarray of shape (n_entries,), a new array
        """
        out = np.empty_like(tables)
        q = self.q
        for degree, start, stop, first in self._degree_slices():
            stop_entry = int(self.table_ptr[stop])
            block = tables[first:stop_entry].reshape((stop - start,) + (q,) * degree)
            for axis in range(1, degree + 1):
                block = block - block.mean(axis=axis, keepdims=True)
            out[first:stop_entry] = block.reshape(-1)
        return out

    def energies(self, tables: np.ndarray) -> np.ndarray:
        """sum_k |F[k]|^2 of every block (its variance under the uniform distribution), shape (B,)."""
        squares = tables**2 * self.entry_scale
        return np.add.reduceat(squares, self.table_ptr[:-1]) if len(self.blocks) else np.zeros(0)

    def fourier(self, mean: float, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The Fourier coefficients of ``mean + sum_S T_S[x_S]`` (pure tables).

        Returns
        -------
        frequencies : ndarray of shape (n_terms, n), uint8
            The zero frequency first, then every full-support frequency of every block.
        coefficients : ndarray of shape (n_terms,), complex128
            Full-spectrum coefficients ``F[k] = q^-|S| sum_a T_S[a] omega^(-<k_S, a>)``.
        """
        q, n = self.q, self.n
        frequencies = [np.zeros((1, n), dtype=np.uint8)]
        coefficients = [np.array([mean], dtype=np.complex128)]
        for degree, start, stop, first in self._degree_slices():
            count = stop - start
            stop_entry = int(self.table_ptr[stop])
            block = tables[first:stop_entry].reshape((count,) + (q,) * degree)
            spectrum = np.fft.fftn(block, axes=tuple(range(1, degree + 1))) / q**degree
            letters = np.array(list(itertools.product(range(1, q), repeat=degree)), dtype=np.int64)
            flat = np.ravel_multi_index(tuple(letters.T), (q,) * degree)
            coefficients.append(spectrum.reshape(count, -1)[:, flat].reshape(-1))
            rows = np.zeros((count, letters.shape[0], n), dtype=np.uint8)
            positions = np.array(self.blocks[start:stop], dtype=np.int64)  # (count, degree)
            which, letter = np.arange(count)[:, None], np.arange(letters.shape[0])[None, :]
            for e in range(degree):
                rows[which, letter, positions[:, e][:, None]] = letters[:, e][None, :]
            frequencies.append(rows.reshape(-1, n))
        return np.concatenate(frequencies), np.concatenate(coefficients)

    # ------------------------------------------------------------------ operators
    def predict(self, rows: Rows, mean: float, tables: np.ndarray) -> np.ndarray:
        """``mean + sum_S T_S[x_S]`` at every row, shape (N,)."""
        out = np.full(rows.n_rows, float(mean))
        if len(self.blocks):
            work = rows.n_rows * int(self.node_pos.size)
            kernel = choose(add_block_tables, add_block_tables_serial, work, PARALLEL_WORK)
            kernel(rows.codes_t, self.node_pos, self.node_depth, self.node_table, tables, self.q, out)
        return out

    def histograms(self, rows: Rows, weights: np.ndarray) -> np.ndarray:
        """Per block and cell, the sum of ``weights`` over the rows in that cell, shape (n_entries,)."""
        out = np.empty(self.n_entries)
        if len(self.blocks):
            kernel = choose(block_histograms, block_histograms_serial, rows.n_rows * int(self.node_pos.size), PARALLEL_WORK)
            # One partial histogram per thread; numba.set_num_threads is respected.
            parts = numba.get_num_threads() if kernel is block_histograms else 1
            kernel(rows.codes_t, np.ascontiguousarray(weights, dtype=np.float64), self.node_pos,
                   self.node_depth, self.node_table, self.q, np.empty((parts, self.n_entries)), out)  # fmt: skip
        return out


@dataclass
class BlockFit:
    """A fitted function ``mean + sum_S T_S[x_S]`` on a :class:`BlockBasis`.

    Attributes
    ----------
    basis : BlockBasis
    mean : float
    tables : ndarray of shape (basis.n_entries,)
        Pure-interaction tables.
    penalty : float
        The ridge penalty it was fitted with.
    iterations : int
        Conjugate-gradient iterations of the final solve.
    """

    basis: BlockBasis
    mean: float
    tables: np.ndarray
    penalty: float = 0.0
    iterations: int = 0

    def predict(self, rows: Rows) -> np.ndarray:
        """The fitted function at every row, shape (N,)."""
        return self.basis.predict(rows, self.mean, self.tables)

    def fourier(self) -> tuple[np.ndarray, np.ndarray]:
        """Frequencies (S, n) uint8 and full-spectrum coefficients (S,) of the fit."""
        return self.basis.fourier(self.mean, self.tables)

    def energies(self) -> np.ndarray:
        """Variance of every block's part of the fit, shape (B,)."""
        return self.basis.energies(self.tables)


class _NormalEquations:
    """The weighted ridge normal equations of a basis, a chunk of rows at a time.

    Vectors are ``[mean, tables...]`` of length ``1 + n_entries``; tables stay in the
    pure-interaction subspace because every histogram is projected.
    """

    def __init__(self, basis: BlockBasis, rows: Rows, weights: np.ndarray) -> None:
        self.basis, self.rows, self.weights = basis, rows, weights
        self.total = float(weights.sum())
        # Penalty per entry (sum_k |F[k]|^2 = q^-|S| ||T_S||^2); the mean is not penalised.
        self.scale = np.concatenate([[0.0], basis.entry_scale])

    def fitted(self, vector: np.ndarray) -> np.ndarray:
        return self.basis.predict(self.rows, vector[0], vector[1:])

    def adjoint(self, values: np.ndarray) -> np.ndarray:
        weighted = self.weights * values
        return np.concatenate([[weighted.sum()], self.basis.project(self.basis.histograms(self.rows, weighted))])

    def preconditioner(self, penalty: float) -> np.ndarray:
        # Under uniform rows A^T W A is about (sum w) q^-|S| per pure-table entry.
        return np.concatenate([[1.0 / self.total], 1.0 / ((self.total + penalty) * self.basis.entry_scale)])


@dataclass
class _State:
    """Conjugate-gradient iterate: x, the normal-equation residual and the fitted values A x."""

    x: np.ndarray
    residual: np.ndarray
    fitted: np.ndarray


def _conjugate_gradients(
    system: _NormalEquations,
    y: np.ndarray,
    penalty: float,
    state: _State,
    rhs_norm2: float,
    tolerance: float,
    statistical_tolerance: float,
    max_iterations: int,
) -> int:
    """Run preconditioned CG from ``state`` (updated in place); return the iterations done."""
    preconditioner = system.preconditioner(penalty)
    n_terms = system.basis.n_terms
    z = preconditioner * state.residual
    direction = z.copy()
    fitted_direction = None
    rz = float(state.residual @ z)
    iterations = 0
    while iterations < max_iterations and rz > tolerance**2 * rhs_norm2:
        if statistical_tolerance > 0:
            error = y - state.fitted
            rss = float(system.weights @ (error * error))
            # rz ~ (sum w) * (coefficient error)^2 in Fourier units; the coefficients'
            # statistical error is n_terms * rss / (sum w)^2 in the same units.
            if rz <= statistical_tolerance * n_terms * rss / system.total:
                break
        fitted_direction = system.fitted(direction)
        image = system.adjoint(fitted_direction) + penalty * system.scale * direction
        curvature = float(direction @ image)
        if curvature <= 0:
            break
        step = rz / curvature
        state.x += step * direction
        state.fitted += step * fitted_direction
        state.residual -= step * image
        z = preconditioner * state.residual
        rz_next = float(state.residual @ z)
        direction = z + (rz_next / rz) * direction
        rz = rz_next
        iterations += 1
    return iterations


def _start(system: _NormalEquations, y: np.ndarray, penalty: float, start: BlockFit | None) -> tuple[_State, float]:
    """The CG state at a warm start (or zero) and the squared preconditioned norm of the right-hand side.

    A warm start takes one pass of each kernel, not two histograms: its residual is the
    adjoint of ``y - f(x)``, and the norm of the right-hand side is taken as the weighted
    ``sum w y^2``, which it equals in expectation under uniform rows (each block's
    histogram of y carries that block's share of the variance; the mean's, the rest).
    """
    if start is None:
        rhs = system.adjoint(y)
        x = np.zeros(1 + system.basis.n_entries)
        state = _State(x, rhs.copy(), np.zeros(system.rows.n_rows))
        return state, float(rhs @ (system.preconditioner(penalty) * rhs))
    x = np.concatenate([[start.mean], start.tables])
    fitted = system.fitted(x)
    state = _State(x, system.adjoint(y - fitted) - penalty * system.scale * x, fitted)
    return state, float(system.weights @ (y * y))


def solve(
    basis: BlockBasis,
    rows: Rows,
    y: np.ndarray,
    *,
    penalty: float = 0.0,
    weights: np.ndarray | None = None,
    start: BlockFit | None = None,
    tolerance: float = 1e-10,
    statistical_tolerance: float = 1e-2,
    max_iterations: int = 200,
) -> BlockFit:
    """Weighted ridge least squares on the blocks by preconditioned conjugate gradients.

    Minimises ``sum_r w_r (y_r - f(x_r))^2 + penalty * sum_{k != 0} |F[k]|^2`` over the
    mean and the pure tables of ``basis`` (the mean is not penalised). Each iteration
    is one pass of :meth:`BlockBasis.predict` and one of :meth:`BlockBasis.histograms`
    over the rows. Under uniform random rows the normal matrix is close to a multiple of
    the identity in the Fourier basis, so the block-diagonal preconditioner
    ``q^|S| / (sum w + penalty)`` makes a few tens of iterations enough.

    Parameters
    ----------
    basis : BlockBasis
    rows : Rows
    y : ndarray of shape (N,)
    penalty : float, default 0
        Ridge penalty on the Fourier coefficients (the same units as a squared output).
    weights : ndarray of shape (N,), optional
        Row weights (0 leaves a row out, as in cross-validation); default all ones.
    start : BlockFit, optional
        Warm start on the same basis.
    tolerance : float, default 1e-10
        Stop when the preconditioned residual norm falls below this fraction of the
        right-hand side's (what an exactly representable model needs).
    statistical_tolerance : float, default 1e-2
        Also stop when the remaining optimisation error is below this fraction of the
        statistical error of the coefficients, ``n_terms * s^2 / sum w`` with ``s^2``
        the current residual variance per row: iterating further would only polish noise.
        0 turns this rule off.
    max_iterations : int, default 200

    Returns
    -------
    BlockFit
    """
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(rows.n_rows) if weights is None else np.asarray(weights, dtype=np.float64)
    system = _NormalEquations(basis, rows, w)
    state, rhs_norm2 = _start(system, y, penalty, start)
    iterations = _conjugate_gradients(
        system, y, penalty, state, rhs_norm2, tolerance, statistical_tolerance, max_iterations
    )
    return BlockFit(basis, float(state.x[0]), state.x[1:].copy(), float(penalty), iterations)


#: :func:`refine` takes its single step only while the terms are at most this fraction
#: of the rows (the preconditioned normal matrix then stays within about
#: (1 +- 1/4)^2 of the identity, so the step shrinks the error at least twofold); above
#: it, it solves.
REFINE_TERMS_PER_ROW = 1 / 16


def refine(fit: BlockFit, rows: Rows, y: np.ndarray) -> BlockFit:
    """Least squares on every row from a fit on some of them, in one pass of each kernel.

    Under uniform random rows the preconditioned normal matrix is the identity plus a
    deviation of norm about ``2 sqrt(p / N)`` (p terms, N rows: Marchenko-Pastur), so one
    preconditioned gradient step ``x + P A^T (y - A x)`` from a fit on a subset shrinks
    its distance to the full least-squares solution by that factor: 0.05 at 2,238 terms
    and 4M rows. A conjugate-gradient solve needs twice the passes for its first step
    (it measures the curvature). Above :data:`REFINE_TERMS_PER_ROW` terms per row this
    falls back to :func:`solve` from ``fit``.

    Parameters
    ----------
    fit : BlockFit
        Unpenalised fit, typically on a subset of ``rows``.
    rows : Rows
    y : ndarray of shape (N,)

    Returns
    -------
    BlockFit
        On the same basis; ``iterations`` counts the step as one.
    """
    y = np.asarray(y, dtype=np.float64)
    if fit.basis.n_terms > REFINE_TERMS_PER_ROW * rows.n_rows:
        return solve(fit.basis, rows, y, start=fit)
    system = _NormalEquations(fit.basis, rows, np.ones(rows.n_rows))
    x = np.concatenate([[fit.mean], fit.tables])
    x += system.preconditioner(0.0) * system.adjoint(y - system.fitted(x))
    return BlockFit(fit.basis, float(x[0]), x[1:].copy(), 0.0, fit.iterations + 1)


class IncrementalFit:
    """Least squares on a basis that grows, keeping the conjugate-gradient state between growths.

    :meth:`extend` adds blocks with zero tables; their entries of the normal-equation
    residual are the projected histograms of the current residual, which a search has
    already computed to score them (:class:`CandidateScores`), so growing costs no pass
    over the rows. The relative tolerance is measured against ``||y||^2``.

    Parameters
    ----------
    basis : BlockBasis
    rows : Rows
    y : ndarray of shape (N,)
    """

    def __init__(self, basis: BlockBasis, rows: Rows, y: np.ndarray) -> None:
        self.rows = rows
        self.y = np.asarray(y, dtype=np.float64)
        self.system = _NormalEquations(basis, rows, np.ones(rows.n_rows))
        self.state, _ = _start(self.system, self.y, 0.0, None)
        self.scale2 = float(self.y @ self.y)
        self.iterations = 0

    @property
    def basis(self) -> BlockBasis:
        return self.system.basis

    def iterate(self, *, tolerance: float = 1e-10, statistical_tolerance: float = 1e-2, max_iterations: int = 200) -> int:
        """Conjugate-gradient iterations until either stopping rule of :func:`solve` holds."""
        done = _conjugate_gradients(
            self.system, self.y, 0.0, self.state, self.scale2, tolerance, statistical_tolerance, max_iterations
        )
        self.iterations += done
        return done

    def residual_values(self) -> np.ndarray:
        """``y - f(x)`` at every row, shape (N,)."""
        return self.y - self.state.fitted

    def fit(self) -> BlockFit:
        """The current iterate as a :class:`BlockFit`."""
        x = self.state.x
        return BlockFit(self.basis, float(x[0]), x[1:].copy(), 0.0, self.iterations)

    def extend(self, gradients: dict[tuple[int, ...], np.ndarray]) -> None:
        """Add blocks (not yet in the basis) with zero tables and the given residual entries."""
        old = self.basis
        basis = BlockBasis(list(old.blocks) + list(gradients), old.n, old.q)
        x_tables = split_tables(old, self.state.x[1:])
        r_tables = split_tables(old, self.state.residual[1:])
        x = [self.state.x[:1]]
        residual = [self.state.residual[:1]]
        for block in basis.blocks:
            if block in x_tables:
                x.append(x_tables[block])
                residual.append(r_tables[block])
            else:
                x.append(np.zeros(basis.q ** len(block)))
                residual.append(np.asarray(gradients[block], dtype=np.float64))
        self.system = _NormalEquations(basis, self.rows, self.system.weights)
        self.state = _State(np.concatenate(x), np.concatenate(residual), self.state.fitted)


def cross_validate(
    basis: BlockBasis,
    rows: Rows,
    y: np.ndarray,
    penalties: Sequence[float],
    *,
    n_folds: int = 5,
    tolerance: float = 1e-4,
    statistical_tolerance: float = 1e-2,
    max_iterations: int = 100,
    on_fold: Callable[[int], None] | None = None,
) -> tuple[float, np.ndarray]:
    """K-fold cross-validated squared error of every ridge penalty.

    Row r belongs to fold ``r % n_folds`` (the rows are uniform random draws, so this
    split is random too). For each fold the penalties are solved from the largest to
    the smallest, each warm-started from the previous solution: the normal-equation
    residual and the fitted values carry over exactly, so a new penalty costs only its
    own iterations.

    Parameters
    ----------
    basis, rows, y
        As in :func:`solve`.
    penalties : sequence of float
        Candidate penalties (any order).
    n_folds : int, default 5
    tolerance, statistical_tolerance, max_iterations
        Of the fold solves, as in :func:`solve` (looser than a final solve: only errors
        are compared).
    on_fold : callable, optional
        Called with the fold number after each fold (progress).

    Returns
    -------
    best : float
        The penalty with the smallest total held-out squared error (the largest of
        ties, the most regularised).
    errors : ndarray of shape (len(penalties),)
        Mean held-out squared error per penalty, in the order given.
    """
    y = np.asarray(y, dtype=np.float64)
    penalties = np.asarray(penalties, dtype=np.float64)
    order = np.argsort(-penalties, kind="stable")
    errors = np.zeros(penalties.shape[0])
    fold = np.arange(rows.n_rows) % n_folds
    for k in range(n_folds):
        held_out = fold == k
        system = _NormalEquations(basis, rows, (~held_out).astype(np.float64))
        state, rhs_norm2 = _start(system, y, float(penalties[order[0]]), None)
        previous = float(penalties[order[0]])
        for index in order:
            penalty = float(penalties[index])
            # The residual of the normal equations moves with the penalty: r += (old - new) D x.
            state.residual += (previous - penalty) * system.scale * state.x
            _conjugate_gradients(system, y, penalty, state, rhs_norm2, tolerance, statistical_tolerance, max_iterations)
            errors[index] += float(np.sum((y - state.fitted)[held_out] ** 2))
            previous = penalty
        if on_fold is not None:
            on_fold(k)
    errors /= rows.n_rows
    smallest = errors.min()
    # Prefer more regularisation among penalties within round-off of the best.
    tied = np.flatnonzero(errors <= smallest * (1 + 1e-12))
    return float(penalties[tied].max()), errors


def block_statistics(
    candidates: BlockBasis, rows: Rows, residual: np.ndarray, noise_variance: float
) -> np.ndarray:
    """Chi-square statistics of candidate blocks against a residual.

    For block S the least-squares energy of the residual on its pure-interaction terms
    is estimated as ``E_S = sum_k |(1/N) sum_r r_r omega^(-<k, x_r>)|^2`` over the
    (q-1)^|S| frequencies of full support S. For a residual of independent noise with
    variance ``noise_variance`` and uniform random rows, ``N E_S / noise_variance`` is
    approximately chi-square with (q-1)^|S| degrees of freedom; signal on S raises it.

    Parameters
    ----------
    candidates : BlockBasis
        The blocks to score (not necessarily disjoint from a fit's).
    rows : Rows
    residual : ndarray of shape (N,)
    noise_variance : float
        Per-row variance of the residual under the null (> 0).

    Returns
    -------
    ndarray of shape (B,)
    """
    n_rows = rows.n_rows
    statistics = np.empty(len(candidates))
    q = candidates.q
    # Score a bounded number of table entries at a time (q^|S| grows fast at q = 20).
    start = 0
    while start < len(candidates):
        stop = start + 1
        while stop < len(candidates) and candidates.table_ptr[stop + 1] - candidates.table_ptr[start] <= SCORE_CHUNK_ENTRIES:
            stop += 1
        chunk = BlockBasis(candidates.blocks[start:stop], candidates.n, q)
        pure = chunk.project(chunk.histograms(rows, residual))
        # Parseval for the unnormalised DFT of a table: sum_k |DFT(h)[k]|^2 = q^|S| ||h||^2.
        squares = pure**2 / chunk.entry_scale
        energy = np.add.reduceat(squares, chunk.table_ptr[:-1]) / n_rows**2
        statistics[start:stop] = n_rows * energy / noise_variance
        start = stop
    return statistics


@dataclass
class CandidateScores:
    """The result of :func:`child_statistics`.

    Attributes
    ----------
    statistics : dict of tuple to float
        Candidate block (sorted positions) -> chi-square statistic.
    thresholds : dict of int to float
        Degree -> the statistic a candidate of that degree must exceed (Bonferroni over
        all candidates at the requested level).
    gradients : dict of tuple to ndarray
        For the candidates that pass: the projected histogram of the residual on the
        block, shape (q^|S|,), in the block's sorted layout. It is the block's entry of
        the normal-equation residual, so a fit can take the block in without a pass.
    """

    statistics: dict[tuple[int, ...], float]
    thresholds: dict[int, float]
    gradients: dict[tuple[int, ...], np.ndarray]


def child_statistics(
    parents: Sequence[tuple[int, ...]],
    n: int,
    q: int,
    rows: Rows,
    residual: np.ndarray,
    noise_variance: float,
    *,
    level: float = 0.01,
    exclude: set[tuple[int, ...]] | frozenset[tuple[int, ...]] = frozenset(),
    heredity: int = 1,
) -> CandidateScores:
    """Chi-square statistics (as :func:`block_statistics`) of every block "a parent plus one position".

    Each candidate is scored once, from the first parent that generates it; candidates
    in ``exclude`` (already fitted) are skipped. A candidate of degree d passes when its
    statistic exceeds the chi-square quantile of (q-1)^d degrees of freedom at
    ``level / (number of candidates)``.

    Parameters
    ----------
    parents : sequence of tuples of int
        Blocks to extend (sorted positions).
    n, q : int
    rows, residual, noise_variance
        As in :func:`block_statistics`.
    level : float, default 0.01
        Family-wise false-alarm level of the tests.
    exclude : set of tuples, optional
        Blocks already fitted: never candidates, and the blocks ``heredity`` counts.
    heredity : int, default 1
        A candidate is scored only when at least this many of its subsets with one
        position fewer are in ``exclude`` (its generating parent counts; capped at the
        number of such subsets). 2 is strong heredity: an interaction is looked for only
        where two of its parts already interact.

    Returns
    -------
    CandidateScores
    """
    from scipy.stats import chi2

    seen = set(exclude)
    by_degree: dict[int, list[tuple[tuple[int, ...], list[int]]]] = {}
    for parent in parents:
        children = []
        for j in range(n):
            if j in parent:
                continue
            candidate = tuple(sorted(parent + (j,)))
            if candidate in seen:
                continue
            seen.add(candidate)
            if heredity > 1:
                needed = min(heredity, len(candidate))
                present = sum(candidate[:e] + candidate[e + 1 :] in exclude for e in range(len(candidate)))
                if present < needed:
                    continue
            children.append(j)
        if children:
            by_degree.setdefault(len(parent), []).append((parent, children))
    count = sum(len(children) for groups in by_degree.values() for _, children in groups)
    thresholds = {
        degree + 1: float(chi2.isf(level / max(count, 1), count_block_terms(degree + 1, q))) for degree in by_degree
    }
    weights = np.ascontiguousarray(residual, dtype=np.float64)
    n_rows = rows.n_rows
    statistics: dict[tuple[int, ...], float] = {}
    gradients: dict[tuple[int, ...], np.ndarray] = {}
    for degree, groups in by_degree.items():
        entries = q ** (degree + 1)
        per_chunk = max(1, SCORE_CHUNK_ENTRIES // entries)
        threshold = thresholds[degree + 1]
        start = 0
        while start < len(groups):
            # Parents whose children fit in one chunk of table entries.
            stop, children_count = start, 0
            while stop < len(groups) and (children_count == 0 or children_count + len(groups[stop][1]) <= per_chunk):
                children_count += len(groups[stop][1])
                stop += 1
            chunk = groups[start:stop]
            parent_ptr = np.arange(len(chunk) + 1, dtype=np.int64) * degree
            parent_pos = np.array([i for parent, _ in chunk for i in parent], dtype=np.int64)
            child_ptr = np.zeros(len(chunk) + 1, dtype=np.int64)
            np.cumsum([len(children) for _, children in chunk], out=child_ptr[1:])
            child_pos = np.array([j for _, children in chunk for j in children], dtype=np.int64)
            out = np.empty((child_pos.shape[0], entries))
            work = n_rows * (parent_pos.size + child_pos.size)
            kernel = choose(child_histograms, child_histograms_serial, work, PARALLEL_WORK)
            parts = numba.get_num_threads() if kernel is child_histograms else 1
            kernel(rows.codes_t, weights, parent_ptr, parent_pos, child_ptr, child_pos, q, parts, out)
            tables = out.reshape((-1,) + (q,) * (degree + 1))
            for axis in range(1, degree + 2):
                tables = tables - tables.mean(axis=axis, keepdims=True)
            # Parseval for the unnormalised DFT: sum_k |DFT(h)[k]|^2 = q^|S| ||h||^2.
            energy = (tables.reshape(tables.shape[0], -1) ** 2).sum(axis=1) * float(q) ** (degree + 1) / n_rows**2
            values = n_rows * energy / noise_variance
            c = 0
            for parent, children in chunk:
                for j in children:
                    block = tuple(sorted(parent + (j,)))
                    statistics[block] = float(values[c])
                    if values[c] > threshold:
                        # The extra position is the last axis; move it to its sorted place.
                        gradients[block] = np.moveaxis(tables[c], -1, block.index(j)).reshape(-1).copy()
                    c += 1
            start = stop
    return CandidateScores(statistics, thresholds, gradients)


def count_terms(n: int, q: int, degree: int) -> int:
    """Fourier coefficients of every term of degree <= ``degree``, the mean included."""
    return sum(math.comb(n, d) * count_block_terms(d, q) for d in range(degree + 1))


def local_blocks(n: int, degree: int, window: int) -> list[tuple[int, ...]]:
    """Blocks of ``degree`` positions that lie within ``window`` consecutive positions."""
    blocks = []
    for first in range(n):
        rest = range(first + 1, min(n, first + window))
        blocks.extend((first,) + others for others in itertools.combinations(rest, degree - 1))
    return blocks


def split_tables(basis: BlockBasis, tables: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
    """Block -> its table (views into ``tables``)."""
    return dict(zip(basis.blocks, np.split(tables, basis.table_ptr[1:-1])))


def extend_fit(fit: BlockFit, basis: BlockBasis) -> BlockFit:
    """A warm start on ``basis``: the tables of ``fit`` where the blocks are shared, zeros elsewhere."""
    old = split_tables(fit.basis, fit.tables)
    q = basis.q
    tables = np.concatenate(
        [old[block] if block in old else np.zeros(q ** len(block)) for block in basis.blocks]
    ) if len(basis) else np.zeros(0)  # fmt: skip
    return BlockFit(basis, fit.mean, tables, fit.penalty, 0)

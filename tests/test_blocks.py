"""Block tables, their kernels and least squares in them, against slow, obviously correct twins."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero._kernels import blocks as kernels
from shap_zero.engines import blocks as bl


def _cell(X: np.ndarray, block: tuple[int, ...], q: int) -> np.ndarray:
    """Row-wise table index of a block, by the definition (first position most significant)."""
    index = np.zeros(X.shape[0], dtype=np.int64)
    for position in block:
        index = index * q + X[:, position]
    return index


def _character_matrix(X: np.ndarray, frequencies: np.ndarray, q: int) -> np.ndarray:
    """omega^<k, x> for every row and frequency, (N, S) complex."""
    return np.exp(2j * np.pi * ((X.astype(np.int64) @ frequencies.T.astype(np.int64)) % q) / q)


@pytest.fixture
def problem(rng):
    n, q = 6, 3
    X = rng.integers(0, q, size=(3000, n)).astype(np.uint8)
    basis = bl.BlockBasis(bl.blocks_up_to(n, 2) + [(0, 2, 5), (1, 3, 4)], n, q)
    return n, q, X, basis


@pytest.mark.parametrize("prefixes", ["all blocks", "some missing"])
def test_kernels_match_their_numpy_twins(problem, rng, prefixes):
    n, q, X, basis = problem
    if prefixes == "some missing":
        # The prefix tree then has nodes without tables: (2, 4) of (2, 4, 5), (1,) and (1, 3).
        basis = bl.BlockBasis([(0,), (0, 2), (1, 2), (3, 5), (0, 2, 5), (1, 3, 4), (2, 4, 5)], n, q)
        assert (basis.node_table < 0).sum() == 5
    rows = bl.Rows(X)
    tables = rng.normal(size=basis.n_entries)
    weights = rng.normal(size=X.shape[0])
    expected = np.full(X.shape[0], 0.25)
    histograms = []
    for block, start, stop in zip(basis.blocks, basis.table_ptr[:-1], basis.table_ptr[1:]):
        expected += tables[start:stop][_cell(X, block, q)]
        histograms.append(np.bincount(_cell(X, block, q), weights=weights, minlength=q ** len(block)))
    histograms = np.concatenate(histograms)
    for add, histogram in (
        (kernels.add_block_tables, kernels.block_histograms),
        (kernels.add_block_tables_serial, kernels.block_histograms_serial),
    ):
        out = np.full(X.shape[0], 0.25)
        add(rows.codes_t, basis.node_pos, basis.node_depth, basis.node_table, tables, q, out)
        assert_allclose(out, expected, rtol=0, atol=1e-12)
        # Any number of parts, more parts than row chunks included.
        for parts in (1, 2, 5):
            found = np.full(basis.n_entries, np.nan)
            partial = np.full((parts, basis.n_entries), np.nan)
            histogram(rows.codes_t, weights, basis.node_pos, basis.node_depth, basis.node_table, q, partial, found)
            assert_allclose(found, histograms, rtol=0, atol=1e-10)


def test_child_histograms_put_the_extra_position_last(problem, rng):
    n, q, X, _ = problem
    rows = bl.Rows(X)
    weights = rng.normal(size=X.shape[0])
    parents = [(0, 4), (1, 2)]
    children = [[1, 5], [0, 3, 5]]
    parent_ptr = np.array([0, 2, 4], dtype=np.int64)
    parent_pos = np.array([0, 4, 1, 2], dtype=np.int64)
    child_ptr = np.array([0, 2, 5], dtype=np.int64)
    child_pos = np.array([1, 5, 0, 3, 5], dtype=np.int64)
    # Any number of parts, more parts than parents included.
    for kernel, parts in ((kernels.child_histograms, 1), (kernels.child_histograms, 2),
                          (kernels.child_histograms, 5), (kernels.child_histograms_serial, 1)):  # fmt: skip
        out = np.full((5, q**3), np.nan)
        kernel(rows.codes_t, weights, parent_ptr, parent_pos, child_ptr, child_pos, q, parts, out)
        c = 0
        for parent, extra in zip(parents, children):
            for j in extra:
                index = _cell(X, parent + (j,), q)  # unsorted: the extra position is the last digit
                assert_allclose(out[c], np.bincount(index, weights=weights, minlength=q**3), atol=1e-10)
                c += 1


def test_projection_keeps_exactly_the_full_support_terms(problem, rng):
    n, q, _, basis = problem
    tables = rng.normal(size=basis.n_entries)
    pure = basis.project(tables)
    assert_allclose(basis.project(pure), pure, atol=1e-12)  # idempotent
    assert_allclose(float((tables - pure) @ pure), 0.0, atol=1e-9)  # orthogonal
    for block, table in bl.split_tables(basis, pure).items():
        cube = table.reshape((q,) * len(block))
        for axis in range(len(block)):
            assert_allclose(cube.sum(axis=axis), 0.0, atol=1e-12)


def test_fourier_coefficients_reproduce_the_tables_on_every_sequence(problem, rng):
    n, q, _, basis = problem
    tables = basis.project(rng.normal(size=basis.n_entries))
    frequencies, coefficients = basis.fourier(0.7, tables)
    assert frequencies.shape[0] == coefficients.shape[0] == basis.n_terms
    everything = np.array(list(itertools.product(range(q), repeat=n)), dtype=np.uint8)
    by_tables = basis.predict(bl.Rows(everything), 0.7, tables)
    by_fourier = (_character_matrix(everything, frequencies, q) @ coefficients).real
    assert_allclose(by_fourier, by_tables, atol=1e-10)
    # Every frequency has the support of its block, and each appears once.
    supports = {tuple(np.flatnonzero(k)) for k in frequencies[1:]}
    assert supports == set(basis.blocks)
    assert len({k.tobytes() for k in frequencies}) == basis.n_terms
    # The canonical sketch agrees too.
    sketch = sz.FourierSketch(frequencies, coefficients, q)
    assert_allclose(sketch.predict(everything), by_tables, atol=1e-10)


def _dense_ridge(X, y, frequencies, q, penalty, weights=None):
    """Ridge on the explicit character matrix: the slow twin of ``bl.solve``."""
    A = _character_matrix(X, frequencies, q)
    w = np.ones(len(y)) if weights is None else weights
    D = np.diag([0.0] + [1.0] * (frequencies.shape[0] - 1))
    G = A.conj().T @ (w[:, None] * A) + penalty * D
    return np.linalg.solve(G, A.conj().T @ (w * y))


def test_solve_matches_dense_ridge_least_squares(problem, rng):
    n, q, X, basis = problem
    y = rng.normal(size=X.shape[0]) + (X[:, 0] == 1) * 2.0 + (X[:, 1] == X[:, 2])
    weights = (rng.random(X.shape[0]) < 0.8).astype(float)
    frequencies, _ = basis.fourier(0.0, np.zeros(basis.n_entries))
    for penalty in (0.0, 37.0):
        fit = bl.solve(basis, bl.Rows(X), y, penalty=penalty, weights=weights, statistical_tolerance=0)
        _, found = fit.fourier()
        expected = _dense_ridge(X, y, frequencies, q, penalty, weights)
        assert_allclose(found, expected, atol=1e-8)


def test_solve_recovers_a_function_of_the_span_exactly(problem, rng):
    n, q, X, basis = problem
    tables = basis.project(rng.normal(size=basis.n_entries))
    y = basis.predict(bl.Rows(X), -1.5, tables)
    fit = bl.solve(basis, bl.Rows(X), y)
    assert_allclose(fit.tables, tables, atol=1e-8)
    assert fit.mean == pytest.approx(-1.5, abs=1e-9)


def test_cross_validation_matches_a_loop_of_dense_fits(problem, rng):
    n, q, X, basis = problem
    X, y = X[:600], rng.normal(size=600) + 1.5 * (X[:600, 3] == 2)
    frequencies, _ = basis.fourier(0.0, np.zeros(basis.n_entries))
    penalties = [0.0, 20.0, 200.0]
    best, errors = bl.cross_validate(
        basis, bl.Rows(X), y, penalties, n_folds=3, tolerance=1e-12, statistical_tolerance=0, max_iterations=500
    )
    expected = np.zeros(3)
    fold = np.arange(600) % 3
    for k in range(3):
        for i, penalty in enumerate(penalties):
            coefficients = _dense_ridge(X, y, frequencies, q, penalty, (fold != k).astype(float))
            predicted = (_character_matrix(X[fold == k], frequencies, q) @ coefficients).real
            expected[i] += np.sum((y[fold == k] - predicted) ** 2)
    assert_allclose(errors, expected / 600, rtol=1e-6)
    assert best == penalties[int(np.argmin(expected))]


def test_block_statistics_are_the_least_squares_energy_of_the_residual(problem, rng):
    n, q, X, _ = problem
    residual = rng.normal(size=X.shape[0])
    candidates = bl.BlockBasis([(0, 1, 2), (3, 5)], n, q)
    statistics = bl.block_statistics(candidates, bl.Rows(X), residual, noise_variance=2.0)
    frequencies, _ = candidates.fourier(0.0, np.zeros(candidates.n_entries))
    estimates = _character_matrix(X, frequencies, q).conj().T @ residual / X.shape[0]
    for block, statistic in zip(candidates.blocks, statistics):
        mask = np.array([tuple(np.flatnonzero(k)) == block for k in frequencies])
        energy = float(np.sum(np.abs(estimates[mask]) ** 2))
        assert statistic == pytest.approx(X.shape[0] * energy / 2.0, rel=1e-9)
    scores = bl.child_statistics([(0, 1), (5,)], n, q, bl.Rows(X), residual, 2.0, exclude={(0, 1, 2)})
    assert (0, 1, 2) not in scores.statistics and (3, 5) in scores.statistics
    assert scores.statistics[(3, 5)] == pytest.approx(dict(zip(candidates.blocks, statistics))[(3, 5)], rel=1e-9)


def test_statistics_of_pure_noise_follow_their_chi_square_law(rng):
    n, q = 8, 4
    X = rng.integers(0, q, size=(20000, n)).astype(np.uint8)
    residual = rng.normal(size=X.shape[0])
    pairs = bl.BlockBasis(bl.blocks_up_to(n, 2)[n:], n, q)  # the 28 pairs: 9 degrees of freedom each
    statistics = bl.block_statistics(pairs, bl.Rows(X), residual, noise_variance=1.0)
    assert 9 * 0.8 < statistics.mean() < 9 * 1.2


def test_incremental_fit_grows_without_losing_the_solution(problem, rng):
    n, q, X, basis = problem
    tables = basis.project(rng.normal(size=basis.n_entries))
    y = basis.predict(bl.Rows(X), 0.3, tables)
    rows = bl.Rows(X)
    small = bl.BlockBasis(bl.blocks_up_to(n, 2), n, q)
    fit = bl.IncrementalFit(small, rows, y)
    fit.iterate()
    extra = [block for block in basis.blocks if block not in small.blocks]
    scores = bl.child_statistics([(0, 2), (1, 3)], n, q, rows, fit.residual_values(), 1e-6, level=0.5)
    fit.extend({block: scores.gradients[block] for block in extra})
    fit.iterate()
    found = fit.fit()
    assert found.basis.blocks == basis.blocks
    assert_allclose(found.tables, tables, atol=1e-7)


def test_refine_moves_a_subset_fit_most_of_the_way_to_the_full_least_squares(rng):
    # 100 terms, 20,000 rows: one preconditioned step shrinks the distance to the full
    # solution by about 2 sqrt(p / N) = 0.14 (Marchenko-Pastur); a factor 3 is asserted.
    n, q = 8, 3
    basis = bl.BlockBasis(bl.blocks_up_to(n, 1) + [(0, 1), (2, 5), (3, 4), (1, 6)] + [(0, 2, 7)], n, q)
    X = rng.integers(0, q, size=(20_000, n)).astype(np.uint8)
    tables = basis.project(rng.normal(size=basis.n_entries))
    rows = bl.Rows(X)
    y = basis.predict(rows, 0.7, tables) + 2.0 * rng.normal(size=X.shape[0])
    full = bl.solve(basis, rows, y, statistical_tolerance=0)
    subset = bl.solve(basis, rows.take(np.arange(1000)), y[:1000], statistical_tolerance=0)
    refined = bl.refine(subset, rows, y)

    def distance(fit):
        return np.sqrt(np.sum((fit.tables - full.tables) ** 2 * basis.entry_scale) + (fit.mean - full.mean) ** 2)

    assert basis.n_terms <= bl.REFINE_TERMS_PER_ROW * rows.n_rows  # the step, not the fallback
    assert distance(refined) < distance(subset) / 3
    assert refined.iterations == subset.iterations + 1


def test_refine_keeps_an_exact_fit_and_solves_when_the_rows_are_few(problem, rng):
    n, q, X, basis = problem
    rows = bl.Rows(X)
    tables = basis.project(rng.normal(size=basis.n_entries))
    y = basis.predict(rows, -0.4, tables)
    exact = bl.solve(basis, rows.take(np.arange(2000)), y[:2000])
    assert_allclose(bl.refine(exact, rows, y).tables, tables, atol=1e-8)
    # 89 terms on 1,200 rows is above 1/16 term per row: refine falls back to a solve.
    few = rows.take(np.arange(1200))
    assert basis.n_terms > bl.REFINE_TERMS_PER_ROW * few.n_rows
    noisy = y[:1200] + rng.normal(size=1200)
    start = bl.solve(basis, rows.take(np.arange(600)), noisy[:600])
    solved = bl.solve(basis, few, noisy, start=start)
    assert_allclose(bl.refine(start, few, noisy).tables, solved.tables, atol=1e-12)

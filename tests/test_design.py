"""The q-SFT query design: full rank, aliasing identity, nesting, budgets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shap_zero._config import MAX_GROUPS
from shap_zero.exceptions import InsufficientBudgetError
from shap_zero.sketch.design import (
    choose_design,
    design_size,
    draw_design,
    is_full_rank,
    unique_rows,
)
from shap_zero.synthetic import random_sparse_sketch


def injective(matrix: np.ndarray, q: int) -> bool:
    """Slow twin of is_full_rank: l -> M l mod q has q^b distinct images."""
    b = matrix.shape[1]
    images = {tuple((matrix @ np.array(l)) % q) for l in itertools.product(range(q), repeat=b)}
    return len(images) == q**b


@pytest.mark.parametrize("q", [2, 3, 4, 5, 6, 20])
def test_full_rank_matches_injectivity(rng, q):
    for _ in range(40):
        b = int(rng.integers(1, 4))
        matrix = rng.integers(0, q, size=(int(rng.integers(b, 6)), b))
        if rng.random() < 0.3:  # force some degenerate matrices
            matrix[:, -1] = (matrix[:, 0] * int(rng.integers(0, q))) % q
        assert is_full_rank(matrix, q) == injective(matrix, q)
    assert not is_full_rank(np.array([[2, 0], [0, 2]]), 4)  # even entries: singular mod 2
    assert is_full_rank(np.eye(3, dtype=int), q)


@pytest.mark.parametrize("q,n,b", [(2, 8, 3), (3, 6, 2), (4, 7, 3), (5, 5, 2)])
def test_block_transforms_alias_the_spectrum(rng, q, n, b):
    """U_c[p, j] = sum_{k : M_c^T k = j} F[k] omega^<k, d_p>, with j in C order."""
    sketch = random_sparse_sketch(n, q, 12, max_degree=3, random_state=rng, mean=0.5)
    frequencies, coefficients = sketch.full_spectrum()
    design = draw_design(n, q, b, n_groups=2, n_repeats=2, random_state=rng)
    weights = q ** np.arange(b - 1, -1, -1)
    for c in range(design.n_groups):
        bins = (frequencies.astype(np.int64) @ design.matrices[c].astype(np.int64)) % q @ weights
        for p in range(design.n_delays):
            samples = sketch.predict(design.block(c, p))
            transform = np.fft.fftn(samples.reshape((q,) * b)).reshape(-1) / q**b
            phases = (frequencies.astype(np.int64) @ design.delays[p].astype(np.int64)) % q
            expected = np.zeros(q**b, dtype=complex)
            np.add.at(expected, bins, coefficients * np.exp(2j * np.pi * phases / q))
            np.testing.assert_allclose(transform, expected, atol=1e-10)


def test_design_structure_and_determinism():
    design = draw_design(10, 4, 3, n_groups=3, n_repeats=2, random_state=7)
    again = draw_design(10, 4, 3, n_groups=3, n_repeats=2, random_state=7)
    np.testing.assert_array_equal(design.matrices, again.matrices)
    np.testing.assert_array_equal(design.delays, again.delays)
    assert design.n_delays == 2 * 11 and design.n_points() == design_size(10, 4, 3, 3, 2) == 3 * 2 * 11 * 64
    for r in range(2):
        block = design.delays[r * 11 : (r + 1) * 11].astype(int)
        np.testing.assert_array_equal(block[0], design.offsets[r])
        for i in range(10):  # rows r - e_i
            expected = design.offsets[r].astype(int).copy()
            expected[i] = (expected[i] - 1) % 4
            np.testing.assert_array_equal(block[i + 1], expected)
    assert all(is_full_rank(m, 4) for m in design.matrices)
    points = design.points()
    assert points.shape == (design.n_points(), 10) and points.dtype == np.uint8
    np.testing.assert_array_equal(points[5 * 64 : 6 * 64], design.block(0, 5))


def test_smaller_b_reuses_the_queries_of_a_larger_design():
    design = draw_design(9, 4, 4, n_groups=2, n_repeats=1, random_state=3)
    big = design.points(4).reshape(2, design.n_delays, 4**4, 9)
    for small_b in (1, 2, 3):
        small = design.points(small_b).reshape(2, design.n_delays, 4**small_b, 9)
        stride = 4 ** (4 - small_b)  # every q^(b - b')-th sample
        np.testing.assert_array_equal(small, big[:, :, ::stride])
    with pytest.raises(ValueError, match="b: expected an integer between 1 and 4"):
        design.points(5)


def test_unique_rows(rng):
    points = rng.integers(0, 3, size=(500, 4)).astype(np.uint8)
    unique, inverse = unique_rows(points)
    np.testing.assert_array_equal(unique[inverse], points)
    assert len(unique) == len({tuple(row) for row in points.tolist()})
    first_seen = list(dict.fromkeys(tuple(row) for row in points.tolist()))
    assert [tuple(row) for row in unique.tolist()] == first_seen
    empty, empty_inverse = unique_rows(np.zeros((0, 4), dtype=np.uint8))
    assert empty.shape == (0, 4) and empty_inverse.shape == (0,)


def test_points_equal_the_block_formula_serial_and_parallel():
    # The numba kernel against M_c l + d_p (mod q) in NumPy, block by block; the second
    # design is large enough to run the parallel kernel.
    for n, q, b, repeats in ((7, 3, 2, 2), (16, 4, 5, 3)):
        design = draw_design(n, q, b, n_groups=3, n_repeats=repeats, random_state=1)
        points = design.points().reshape(3, design.n_delays, q**b, n)
        for c in range(3):
            for p in range(design.n_delays):
                np.testing.assert_array_equal(points[c, p], design.block(c, p))


def test_unique_rows_by_hashing_and_by_sorting_agree(rng):
    # Narrow rows are hashed as packed integers; wide ones (n log2 q >= 63) are sorted.
    for q, n in ((4, 20), (20, 20), (2, 70)):
        points = rng.integers(0, q, size=(3000, n)).astype(np.uint8)
        points[1000:2000] = points[rng.integers(0, 1000, size=1000)]  # many repeats
        unique, inverse = unique_rows(points)
        np.testing.assert_array_equal(unique[inverse], points)
        first_seen = list(dict.fromkeys(tuple(row) for row in points.tolist()))
        assert [tuple(row) for row in unique.tolist()] == first_seen


def test_identity_delays_repeat_points_across_groups():
    """l = 0 gives the delay point itself in every group: de-duplication must catch it."""
    design = draw_design(12, 4, 3, random_state=0)
    unique, _ = unique_rows(design.points())
    assert len(unique) <= design.n_points() - (design.n_groups - 1) * design.n_delays


def test_choose_design_fits_the_budget():
    b, groups, repeats = choose_design(4_000_000, 26, 4)
    assert (groups, repeats) == (3, 3)
    assert design_size(26, 4, b, 3, 3) <= 4_000_000 < design_size(26, 4, b + 1, 3, 3)
    assert b == 7  # the paper's TIGER design: 3,981,312 queries
    b, groups, repeats = choose_design(200, 10, 4)  # too small for C = R = 3
    assert design_size(10, 4, b, groups, repeats) <= 200
    assert choose_design(10_000, 10, 4, n_groups=2, n_repeats=1)[1:] == (2, 1)
    with pytest.raises(InsufficientBudgetError, match=r"budget=40 is below .* needs 44 queries"):
        choose_design(40, 10, 4)
    with pytest.raises(InsufficientBudgetError, match="C=R=3, b=1 needs 396"):
        choose_design(40, 10, 4)
    with pytest.raises(ValueError, match="budget"):
        choose_design(0, 10, 4)


def test_choose_design_adds_groups_to_spend_the_budget():
    """At q = 20 one step of b is 20x the queries: groups fill what C = R = 3 leaves."""
    assert choose_design(250_000, 24, 20) == (2, 8, 3)  # 240,000 points, not 90,000
    assert choose_design(1_000_000, 25, 20) == (3, 2, 2)  # b = 3 first: more bins per group
    assert choose_design(250_000, 24, 20, n_groups=3) == (2, 3, 3)  # a given C is kept
    assert choose_design(7_900_000, 24, 20) == (3, MAX_GROUPS, 3)  # room for 13 groups; at most MAX_GROUPS
    for budget in (500, 3_000, 20_000, 250_000, 4_000_000):
        for n, q in ((10, 4), (26, 4), (12, 20), (24, 20), (8, 7)):
            try:
                b, groups, repeats = choose_design(budget, n, q)
            except InsufficientBudgetError:
                continue
            assert design_size(n, q, b, groups, repeats) <= budget
            assert 1 <= groups <= MAX_GROUPS
            # No whole group is left unspent (unless one group is all that fits).
            if 2 <= groups < MAX_GROUPS:
                assert design_size(n, q, b, groups + 1, repeats) > budget


def test_draw_design_rejects_bad_arguments():
    with pytest.raises(ValueError, match="b: expected an integer between 1 and 5"):
        draw_design(5, 4, 6)
    with pytest.raises(ValueError, match="q: expected an integer between 2 and 255"):
        draw_design(5, 1, 2)
    with pytest.raises(ValueError, match="random_state"):
        draw_design(5, 4, 2, random_state="seed")


@pytest.mark.parametrize(("q", "n", "b"), [(2, 5, 3), (2, 12, 3), (3, 8, 2), (4, 40, 6), (12, 9, 2), (20, 12, 3)])
def test_drawn_matrices_have_distinct_nonzero_rows_modulo_every_prime(q, n, b, seed):
    from shap_zero.sketch.design import draw_matrix

    rng = np.random.default_rng(seed)
    for p in [p for p in (2, 3, 5, 7) if q % p == 0]:
        matrix = draw_matrix(n, q, b, rng)
        assert matrix.shape == (n, b) and matrix.min() >= 0 and matrix.max() < q
        residues = matrix % p
        assert residues.any(axis=1).all()
        if n <= p**b - 1:
            assert len({tuple(row) for row in residues}) == n


def test_frequencies_differing_in_two_positions_never_share_a_bin(seed):
    # The point of draw_matrix: with q = 4, k and k + 2 e_i (or any two-position change)
    # would collide with probability 2^-b per group for a uniform M.
    q, n, b = 4, 12, 4
    design = draw_design(n, q, b, n_groups=3, random_state=seed)
    weights = q ** np.arange(b - 1, -1, -1)
    differences = []
    for i in range(n):
        for j in range(i, n):
            for a in range(1, q):
                for c in range(q if j != i else 1):
                    v = np.zeros(n, dtype=np.int64)
                    v[i] = a
                    v[j] = (v[j] + c) % q
                    if v.any():
                        differences.append(v)
    differences = np.array(differences)
    for matrix in design.matrices.astype(np.int64):
        assert (((differences @ matrix) % q) @ weights != 0).all()

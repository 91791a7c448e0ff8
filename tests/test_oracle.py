"""Tests of the brute-force oracle :mod:`shap_zero.oracle`.

The oracle is checked three ways: against hand-worked numbers, against
shapiq's ``ExactComputer`` (an independent implementation of every index), and
against the axioms the indices satisfy. Random tests draw from
``np.random.default_rng([seed, <test-specific key>])`` with the ``seed`` fixture of
``conftest.py`` (env ``SHAP_ZERO_TEST_SEED``) and must pass for any seed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest

from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError, ModelError, ModelOutputError
from shap_zero.oracle import (
    INDEX_NAMES,
    MAX_DENSE_SIZE,
    MAX_MODEL_EVALUATIONS,
    MODEL_BATCH_SIZE,
    all_sequences,
    brute_force_interactions,
    brute_force_shapley,
    interaction_index_from_game,
    mobius_from_game,
    product_background,
    reference_background,
    sequence_set_background,
    shapley_values_from_game,
    uniform_background,
    value_function,
)

BACKGROUND_KINDS = ("uniform", "product", "reference", "sequence_set")

# Tolerances: closed-form sums are exact up to rounding; shapiq solves FSII with
# a big-M penalty (weight 1e8 on the empty and grand coalitions) instead of hard
# constraints, so it only agrees to about 1e-9 relative.
ATOL = 1e-10
ATOL_FSII_SHAPIQ = 1e-6


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def lookup_model(
    rng: np.random.Generator, n: int, q: int
) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """A random model given as a lookup table over all q**n sequences (row order of all_sequences)."""
    table = rng.normal(size=q**n)
    place_values = q ** np.arange(n - 1, -1, -1, dtype=np.int64)

    def f(Z: np.ndarray) -> np.ndarray:
        return table[np.asarray(Z, dtype=np.int64) @ place_values]

    return f, table


def make_background(kind: str, rng: np.random.Generator, n: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """One background of each supported kind, with random parameters."""
    if kind == "uniform":
        return uniform_background(n, q)
    if kind == "product":
        freq = rng.dirichlet(np.ones(q), size=n)
        freq[0, 0] = 0.0  # a zero-probability symbol must simply be skipped
        freq[0] /= freq[0].sum()
        return product_background(freq)
    if kind == "reference":
        return reference_background(rng.integers(0, q, size=n), q)
    if kind == "sequence_set":
        return sequence_set_background(rng.integers(0, q, size=(3, n)), q)
    raise AssertionError(kind)


def sequence_probabilities(weights: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """P(z) for every z in all_sequences order, computed independently of value_function."""
    _, n, q = probs.shape
    Z = np.array(list(np.ndindex((q,) * n)), dtype=np.int64)
    positions = np.arange(n)
    per_component = np.prod(probs[:, positions, Z], axis=2)  # (B, q**n) after broadcasting
    return weights @ per_component


def value_by_full_enumeration(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, weights: np.ndarray, probs: np.ndarray
) -> np.ndarray:
    """v_x(S) = sum over ALL q**n sequences z of P(z) f(x_S, z_-S), including zero-probability z."""
    _, n, q = probs.shape
    Z = np.array(list(np.ndindex((q,) * n)), dtype=np.int64)
    pz = sequence_probabilities(weights, probs)
    v = np.zeros(2**n)
    for mask in range(2**n):
        in_s = np.array([(mask >> i) & 1 == 1 for i in range(n)])
        hybrid = np.where(in_s, x, Z)
        v[mask] = pz @ f(hybrid)
    return v


def shapiq_computer(v: np.ndarray):
    """shapiq ExactComputer playing the game given by the bitmask table v (skips without shapiq)."""
    shapiq = pytest.importorskip("shapiq", reason="shapiq (test extra) is the independent index oracle")
    n = v.shape[0].bit_length() - 1
    bit_values = 2 ** np.arange(n, dtype=np.int64)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return v[coalitions.astype(np.int64) @ bit_values]

    return shapiq.ExactComputer(game, n)


def random_game(
    rng: np.random.Generator, n: int, q: int, kind: str
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Value function of a random lookup-table model at a random query, plus its ingredients."""
    f, _ = lookup_model(rng, n, q)
    weights, probs = make_background(kind, rng, n, q)
    x = rng.integers(0, q, size=n)
    return value_function(f, x, weights, probs, q), f, x, weights, probs


def mask_of(T: tuple[int, ...]) -> int:
    return sum(1 << i for i in T)


# ---------------------------------------------------------------------------
# all_sequences and backgrounds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "q"), [(1, 2), (3, 2), (2, 5), (4, 3)])
def test_all_sequences_is_ndindex_order(n: int, q: int) -> None:
    X = all_sequences(n, q)
    assert X.dtype == np.uint8
    np.testing.assert_array_equal(X, np.array(list(np.ndindex((q,) * n))).reshape(q**n, n))
    # row r is the base-q expansion of r, position 0 most significant
    np.testing.assert_array_equal(X.astype(np.int64) @ q ** np.arange(n - 1, -1, -1), np.arange(q**n))


def test_all_sequences_allows_exactly_max_dense_size() -> None:
    assert all_sequences(11, 4).shape == (MAX_DENSE_SIZE, 11)


def test_backgrounds_have_the_documented_arrays() -> None:
    w, p = uniform_background(3, 4)
    np.testing.assert_allclose(w, [1.0], atol=0)
    np.testing.assert_allclose(p, np.full((1, 3, 4), 0.25), atol=0)

    w, p = reference_background([2, 0, 1], 3)
    np.testing.assert_allclose(w, [1.0], atol=0)
    np.testing.assert_array_equal(p[0], np.eye(3)[[2, 0, 1]])

    w, p = sequence_set_background(np.array([[0, 1], [1, 1], [0, 1]]), 2)
    np.testing.assert_allclose(w, [1 / 3] * 3, atol=1e-15)
    np.testing.assert_array_equal(p[:, :, 1], [[0, 1], [1, 1], [0, 1]])
    np.testing.assert_allclose(p.sum(axis=2), 1.0, atol=0)

    freq = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    w, p = product_background(freq)
    np.testing.assert_allclose(w, [1.0], atol=0)
    np.testing.assert_array_equal(p, freq[None])


# ---------------------------------------------------------------------------
# value_function
# ---------------------------------------------------------------------------


def hand_model(Z: np.ndarray) -> np.ndarray:
    """f(z0, z1) = 1 + 2 z0 + 3 z1 + 4 z0 z1: f(00)=1, f(01)=4, f(10)=3, f(11)=10."""
    Z = np.asarray(Z, dtype=np.float64)
    return 1 + 2 * Z[:, 0] + 3 * Z[:, 1] + 4 * Z[:, 0] * Z[:, 1]


def test_value_function_by_hand_product_background() -> None:
    # x = (1, 0); P(z0 = 1) = 1/4, P(z1 = 1) = 1/2, independent.
    # v(∅)    = P(00) f(00) + P(01) f(01) + P(10) f(10) + P(11) f(11)
    #         = 0.375*1 + 0.375*4 + 0.125*3 + 0.125*10 = 3.5
    # v({0})  = x0 = 1, z1 random: 0.5 f(10) + 0.5 f(11) = 1.5 + 5 = 6.5     (mask 0b01)
    # v({1})  = x1 = 0, z0 random: 0.75 f(00) + 0.25 f(10) = 0.75 + 0.75 = 1.5 (mask 0b10)
    # v(N)    = f(10) = 3
    weights, probs = product_background([[0.75, 0.25], [0.5, 0.5]])
    v = value_function(hand_model, np.array([1, 0]), weights, probs, 2)
    np.testing.assert_allclose(v, [3.5, 6.5, 1.5, 3.0], atol=1e-14)
    # Shapley by hand: phi_0 = ((6.5-3.5) + (3-1.5))/2 = 2.25, phi_1 = ((1.5-3.5) + (3-6.5))/2 = -2.75
    np.testing.assert_allclose(shapley_values_from_game(v), [2.25, -2.75], atol=1e-14)
    # Möbius by hand: a(∅)=3.5, a({0})=6.5-3.5=3, a({1})=1.5-3.5=-2, a(N)=3-6.5-1.5+3.5=-1.5
    np.testing.assert_allclose(mobius_from_game(v), [3.5, 3.0, -2.0, -1.5], atol=1e-14)


def test_value_function_by_hand_sequence_set_background() -> None:
    # Background sequences {(0,1), (1,1)} with weight 1/2 each; x = (1, 0).
    # v(∅)   = (f(01) + f(11)) / 2 = (4 + 10) / 2 = 7
    # v({0}) = (f(1,1) + f(1,1)) / 2 = 10        (x0 = 1, z1 = 1 in both)
    # v({1}) = (f(0,0) + f(1,0)) / 2 = (1 + 3) / 2 = 2
    # v(N)   = f(10) = 3
    weights, probs = sequence_set_background([[0, 1], [1, 1]], 2)
    v = value_function(hand_model, [1, 0], weights, probs, 2)
    np.testing.assert_allclose(v, [7.0, 10.0, 2.0, 3.0], atol=1e-14)


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
@pytest.mark.parametrize(("n", "q"), [(3, 2), (3, 3), (4, 4), (5, 2)])
def test_value_function_matches_full_enumeration(kind: str, n: int, q: int, seed: int) -> None:
    rng = np.random.default_rng([seed, 1000 * n + 10 * q + BACKGROUND_KINDS.index(kind)])
    v, f, x, weights, probs = random_game(rng, n, q, kind)
    assert v.shape == (2**n,) and v.dtype == np.float64
    # v(N) = f(x)
    np.testing.assert_allclose(v[-1], f(x[None, :])[0], atol=ATOL)
    # v(∅) = E_P f, by enumerating all q**n sequences with their probabilities
    pz = sequence_probabilities(weights, probs)
    np.testing.assert_allclose(pz.sum(), 1.0, atol=1e-12)
    np.testing.assert_allclose(v[0], pz @ f(all_sequences(n, q)), atol=ATOL)
    # every S, against the sum over all q**n backgrounds (zero-probability ones included)
    np.testing.assert_allclose(v, value_by_full_enumeration(f, x, weights, probs), atol=ATOL)


def test_value_function_reference_background_is_hybrid_evaluation(seed: int) -> None:
    rng = np.random.default_rng([seed, 7])
    n, q = 5, 4
    f, _ = lookup_model(rng, n, q)
    x = rng.integers(0, q, size=n)
    r = rng.integers(0, q, size=n)
    v = value_function(f, x, *reference_background(r, q), q)
    for mask in range(2**n):
        hybrid = np.array([x[i] if (mask >> i) & 1 else r[i] for i in range(n)])
        np.testing.assert_allclose(v[mask], f(hybrid[None, :])[0], atol=ATOL)


def test_value_function_is_linear_in_the_mixture(seed: int) -> None:
    rng = np.random.default_rng([seed, 8])
    n, q = 4, 3
    f, _ = lookup_model(rng, n, q)
    x = rng.integers(0, q, size=n)
    _, p_uniform = uniform_background(n, q)
    _, p_product = product_background(rng.dirichlet(np.ones(q), size=n))
    v_uniform = value_function(f, x, np.ones(1), p_uniform, q)
    v_product = value_function(f, x, np.ones(1), p_product, q)
    # a zero-weight third component must be ignored
    mixture = np.concatenate([p_uniform, p_product, p_product])
    v_mix = value_function(f, x, np.array([0.3, 0.7, 0.0]), mixture, q)
    np.testing.assert_allclose(v_mix, 0.3 * v_uniform + 0.7 * v_product, atol=ATOL)


def test_value_function_batches_model_calls(seed: int) -> None:
    rng = np.random.default_rng([seed, 9])
    n, q = 7, 4  # (q + 1)**n = 78125 evaluations > MODEL_BATCH_SIZE
    f, table = lookup_model(rng, n, q)
    batch_sizes: list[int] = []
    dtypes: list[np.dtype] = []

    def counting_f(Z: np.ndarray) -> np.ndarray:
        batch_sizes.append(Z.shape[0])
        dtypes.append(Z.dtype)
        return f(Z)

    x = rng.integers(0, q, size=n)
    v = value_function(counting_f, x, *uniform_background(n, q), q)
    assert sum(batch_sizes) == (q + 1) ** n
    assert max(batch_sizes) <= MODEL_BATCH_SIZE
    assert 1 < len(batch_sizes) <= 4  # batched, not one call per subset
    assert all(dtype == np.uint8 for dtype in dtypes)
    np.testing.assert_allclose(v[0], table.mean(), atol=ATOL)
    np.testing.assert_allclose(v[-1], f(x[None, :])[0], atol=ATOL)


def test_value_function_accepts_list_output_and_integer_models() -> None:
    weights, probs = uniform_background(2, 2)
    v = value_function(lambda Z: [int(a) + 2 * int(b) for a, b in Z], [1, 1], weights, probs, 2)
    # f = z0 + 2 z1; x = (1, 1): v(∅)=1.5, v({0})=1+1=2, v({1})=0.5+2=2.5, v(N)=3
    np.testing.assert_allclose(v, [1.5, 2.0, 2.5, 3.0], atol=1e-14)


# ---------------------------------------------------------------------------
# Agreement with shapiq's ExactComputer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
@pytest.mark.parametrize("q", [2, 3, 4])
@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_indices_match_shapiq(n: int, q: int, kind: str, seed: int) -> None:
    rng = np.random.default_rng([seed, 100 * n + 10 * q + BACKGROUND_KINDS.index(kind)])
    v, *_ = random_game(rng, n, q, kind)
    computer = shapiq_computer(v)

    sv = computer(index="SV", order=1)
    np.testing.assert_allclose(shapley_values_from_game(v), [sv[(i,)] for i in range(n)], atol=ATOL)
    for order in range(1, min(3, n) + 1):
        for index in INDEX_NAMES:
            mine = interaction_index_from_game(v, index, order)
            expected_keys = [
                T for size in range(1, order + 1) for T in itertools.combinations(range(n), size)
            ]
            assert list(mine) == expected_keys
            theirs = computer(index=index, order=order)
            atol = ATOL_FSII_SHAPIQ if index == "FSII" else ATOL
            np.testing.assert_allclose(
                [mine[T] for T in expected_keys],
                [theirs[T] for T in expected_keys],  # shapiq returns 0.0 for dropped zeros
                atol=atol,
                err_msg=f"{index} order {order}",
            )


def test_shapiq_conventions_at_the_empty_set(seed: int) -> None:
    """Pin down shapiq 1.4.1's conventions that our dicts deliberately leave out."""
    rng = np.random.default_rng([seed, 11])
    n = 4
    v = rng.normal(size=2**n)
    computer = shapiq_computer(v)
    # SV, STII, FSII, k-SII and Moebius put v(∅) at the empty set ...
    for index, order in [("SV", 1), ("STII", 2), ("FSII", 2), ("k-SII", 2), ("Moebius", 2)]:
        np.testing.assert_allclose(computer(index=index, order=order)[()], v[0], atol=ATOL)
    # ... but SII puts the SII formula at T = ∅, i.e. sum_S |S|! (n-|S|)! / (n+1)! v(S)
    sizes = np.array([mask.bit_count() for mask in range(2**n)])
    weights = np.array([math.factorial(s) * math.factorial(n - s) / math.factorial(n + 1) for s in sizes])
    np.testing.assert_allclose(computer(index="SII", order=2)[()], weights @ v, atol=ATOL)
    # Moebius ignores `order` and returns all 2**n subsets
    assert len(computer(index="Moebius", order=1).dict_values) == 2**n


# ---------------------------------------------------------------------------
# Axioms and identities
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_shapley_efficiency(kind: str, seed: int) -> None:
    rng = np.random.default_rng([seed, 20 + BACKGROUND_KINDS.index(kind)])
    v, *_ = random_game(rng, 5, 3, kind)
    np.testing.assert_allclose(shapley_values_from_game(v).sum(), v[-1] - v[0], atol=ATOL)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_efficiency_of_stii_fsii_ksii_at_every_order(n: int, seed: int) -> None:
    rng = np.random.default_rng([seed, 30 + n])
    v = rng.normal(size=2**n)
    for order in range(1, n + 1):
        for index in ("STII", "FSII", "k-SII", "Moebius"):
            if index == "Moebius" and order < n:
                continue  # Möbius sums to v(N) - v(∅) only over all orders
            total = sum(interaction_index_from_game(v, index, order).values())
            np.testing.assert_allclose(total, v[-1] - v[0], atol=1e-9, err_msg=f"{index} {order}")


def test_symmetry_for_swapped_positions(seed: int) -> None:
    rng = np.random.default_rng([seed, 40])
    n, q = 4, 3
    pair = rng.normal(size=(q, q))
    pair = pair + pair.T  # symmetric in its two arguments
    side = rng.normal(size=(q, q))
    single = rng.normal(size=q)

    def f(Z: np.ndarray) -> np.ndarray:
        Z = Z.astype(np.int64)
        # symmetric under swapping positions 0 and 2
        return (
            pair[Z[:, 0], Z[:, 2]]
            + side[Z[:, 0], Z[:, 1]]
            + side[Z[:, 2], Z[:, 1]]
            + single[Z[:, 3]] * Z[:, 1]
        )

    x = np.array([1, 2, 1, 0])
    freq = rng.dirichlet(np.ones(q), size=n)
    freq[2] = freq[0]  # the background must treat positions 0 and 2 alike too
    for weights, probs in (
        uniform_background(n, q),
        product_background(freq),
        sequence_set_background([[2, 0, 2, 1], [0, 1, 0, 0]], q),
    ):
        v = value_function(f, x, weights, probs, q)
        phi = shapley_values_from_game(v)
        np.testing.assert_allclose(phi[0], phi[2], atol=ATOL)
        swap = {0: 2, 2: 0, 1: 1, 3: 3}
        for index in INDEX_NAMES:
            values = interaction_index_from_game(v, index, 3)
            for T, value in values.items():
                swapped = tuple(sorted(swap[i] for i in T))
                np.testing.assert_allclose(value, values[swapped], atol=1e-9, err_msg=f"{index} {T}")


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_dummy_position_gets_zero(kind: str, seed: int) -> None:
    rng = np.random.default_rng([seed, 50 + BACKGROUND_KINDS.index(kind)])
    n, q, dummy = 5, 3, 2
    f_full, _ = lookup_model(rng, n, q)

    def f(Z: np.ndarray) -> np.ndarray:
        Z = Z.copy()
        Z[:, dummy] = 0  # the model ignores position `dummy`
        return f_full(Z)

    weights, probs = make_background(kind, rng, n, q)
    v = value_function(f, rng.integers(0, q, size=n), weights, probs, q)
    np.testing.assert_allclose(shapley_values_from_game(v)[dummy], 0.0, atol=ATOL)
    for order in (1, 2, 3, n):
        for index in INDEX_NAMES:
            values = interaction_index_from_game(v, index, order)
            with_dummy = [values[T] for T in values if dummy in T]
            np.testing.assert_allclose(with_dummy, 0.0, atol=1e-9, err_msg=f"{index} order {order}")


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_order_one_indices_are_shapley_values(n: int, seed: int) -> None:
    rng = np.random.default_rng([seed, 60 + n])
    v = rng.normal(size=2**n)
    phi = shapley_values_from_game(v)
    for index in ("SII", "FSII", "k-SII"):
        values = interaction_index_from_game(v, index, 1)
        np.testing.assert_allclose([values[(i,)] for i in range(n)], phi, atol=1e-9, err_msg=index)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_full_order_ksii_stii_fsii_are_mobius(n: int, seed: int) -> None:
    rng = np.random.default_rng([seed, 70 + n])
    v = rng.normal(size=2**n)
    a = mobius_from_game(v)
    for index in ("k-SII", "STII", "FSII", "Moebius"):
        values = interaction_index_from_game(v, index, n)
        np.testing.assert_allclose(
            [values[T] for T in values], [a[mask_of(T)] for T in values], atol=1e-9, err_msg=index
        )


def test_mobius_inverts_to_the_game(seed: int) -> None:
    rng = np.random.default_rng([seed, 80])
    n = 5
    v = rng.normal(size=2**n)
    a = mobius_from_game(v)
    np.testing.assert_allclose(a[0], v[0], atol=0)
    for mask in range(2**n):
        np.testing.assert_allclose(sum(a[t] for t in range(2**n) if t & mask == t), v[mask], atol=ATOL)


def test_one_player_game() -> None:
    v = np.array([2.0, 5.0])
    np.testing.assert_allclose(shapley_values_from_game(v), [3.0], atol=0)
    for index in INDEX_NAMES:
        assert interaction_index_from_game(v, index, 1) == pytest.approx({(0,): 3.0}, abs=1e-12)


def test_additive_model_has_no_interactions(seed: int) -> None:
    rng = np.random.default_rng([seed, 90])
    n, q = 4, 3
    tables = rng.normal(size=(n, q))

    def f(Z: np.ndarray) -> np.ndarray:
        return tables[np.arange(n), Z.astype(np.int64)].sum(axis=1)

    x = rng.integers(0, q, size=n)
    weights, probs = product_background(rng.dirichlet(np.ones(q), size=n))
    v = value_function(f, x, weights, probs, q)
    # phi_i = f_i(x_i) - E f_i(z_i) for an additive model
    expected = tables[np.arange(n), x] - (probs[0] * tables).sum(axis=1)
    np.testing.assert_allclose(shapley_values_from_game(v), expected, atol=ATOL)
    for index in INDEX_NAMES:
        values = interaction_index_from_game(v, index, 3)
        np.testing.assert_allclose([values[T] for T in values if len(T) > 1], 0.0, atol=1e-9, err_msg=index)


# ---------------------------------------------------------------------------
# Conveniences over many queries
# ---------------------------------------------------------------------------


def test_brute_force_conveniences_loop_over_rows(seed: int) -> None:
    rng = np.random.default_rng([seed, 95])
    n, q = 4, 3
    f, _ = lookup_model(rng, n, q)
    weights, probs = sequence_set_background(rng.integers(0, q, size=(4, n)), q)
    X = rng.integers(0, q, size=(3, n))
    phi = brute_force_shapley(f, X, weights, probs, q)
    assert phi.shape == (3, n)
    interactions = brute_force_interactions(f, X, weights, probs, q, "STII", 2)
    assert len(interactions) == 3
    for k in range(3):
        v = value_function(f, X[k], weights, probs, q)
        np.testing.assert_allclose(phi[k], shapley_values_from_game(v), atol=0)
        assert interactions[k] == interaction_index_from_game(v, "STII", 2)


# ---------------------------------------------------------------------------
# Error paths
# ---------------------------------------------------------------------------


def zero_model(Z: np.ndarray) -> np.ndarray:
    return np.zeros(Z.shape[0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: all_sequences(12, 4), r"q\*\*n = 16777216 rows; at most MAX_DENSE_SIZE"),
        (lambda: all_sequences(0, 2), r"n: expected an integer >= 1, got 0"),
        (lambda: all_sequences(3, 1), r"q: expected an integer between 2 and 255, got 1"),
        (lambda: all_sequences(3, 300), r"q: expected an integer between 2 and 255, got 300"),
        (lambda: all_sequences(3.0, 2), r"n: expected an integer, got 3\.0 of type float"),
        (lambda: all_sequences(3, True), r"q: expected an integer, got True of type bool"),
        (lambda: uniform_background(0, 2), r"n: expected an integer >= 1"),
        (lambda: uniform_background(3, 1), r"q: expected an integer between 2 and 255"),
        (
            lambda: reference_background([0, 3], 3),
            r"reference\[0\] has code 3 at position 2 \(positions count from 1\), which is outside the valid range 0\.\.2",
        ),
        (lambda: reference_background([0, -1], 3), r"reference\[0\] has code -1 at position 2 .* outside the valid range 0\.\.2"),
        (lambda: reference_background([[0, 1]], 3), r"reference: expected one sequence, a 1-D array \(n,\) of codes, got shape \(1, 2\)"),
        (
            lambda: reference_background([0.0, 1.0], 3),
            r"reference: expected an array of integer codes, got dtype float64",
        ),
        (lambda: reference_background([], 3), r"reference: expected at least one sequence of codes, got shape \(0,\)"),
        (lambda: sequence_set_background([0, 1], 2), r"sequences: expected a 2-D array \(N, n\) of codes, got shape \(2,\)"),
        (lambda: sequence_set_background(np.zeros((0, 3), dtype=int), 2), r"sequences: expected at least one sequence of codes, got shape \(0, 3\)"),
        (lambda: sequence_set_background([[0, 2]], 2), r"sequences\[0\] has code 2 at position 2 .* outside the valid range 0\.\.1"),
        (lambda: product_background([0.5, 0.5]), r"frequencies must have shape \(n, q\)"),
        (
            lambda: product_background([[1.0]]),
            r"frequencies must have q in 2\.\.255 columns, got shape \(1, 1\)",
        ),
        (
            lambda: product_background([[0.5, 0.6]]),
            r"frequencies\[i\] must sum to 1, got sum 1\.1.* at position i=0",
        ),
        (lambda: product_background([[1.5, -0.5]]), r"frequencies must be nonnegative"),
        (lambda: product_background([[np.nan, 1.0]]), r"frequencies must be finite"),
        (lambda: product_background([["a", "b"]]), r"frequencies must hold real numbers"),
    ],
)
def test_sequence_and_background_errors(call: Callable[[], object], match: str) -> None:
    with pytest.raises((InvalidParameterError, InvalidSequenceError), match=match):
        call()


W2, P2 = uniform_background(2, 2)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: value_function(3.0, [0, 1], W2, P2, 2), r"f must be callable, got float"),
        (
            lambda: value_function(zero_model, [0, 1], W2, P2, 3),
            r"probs must have last axis of length q=3, got shape \(1, 2, 2\)",
        ),
        (
            lambda: value_function(zero_model, [0, 1, 1], W2, P2, 2),
            r"expected sequences of length 2 in 'x', got length 3",
        ),
        (lambda: value_function(zero_model, [0, 2], W2, P2, 2), r"x\[0\] has code 2 at position 2 .* outside the valid range 0\.\.1"),
        (lambda: value_function(zero_model, [[0, 1]], W2, P2, 2), r"x: expected one sequence, a 1-D array \(n,\) of codes, got shape \(1, 2\)"),
        (
            lambda: value_function(zero_model, [0, 1], [0.5, 0.5], P2, 2),
            r"probs must have one component per weight: weights has B=2",
        ),
        (
            lambda: value_function(zero_model, [0, 1], [[1.0]], P2, 2),
            r"weights must have shape \(B,\) with B >= 1, got shape \(1, 1\)",
        ),
        (lambda: value_function(zero_model, [0, 1], [0.9], P2, 2), r"weights must sum to 1, got sum 0\.9"),
        (
            lambda: value_function(zero_model, [0, 1], [1.5, -0.5], np.concatenate([P2, P2]), 2),
            r"weights must be nonnegative",
        ),
        (
            lambda: value_function(zero_model, [0, 1], W2, P2[0], 2),
            r"probs must have shape \(B, n, q\), got shape \(2, 2\)",
        ),
        (
            lambda: value_function(zero_model, [0, 1], W2, P2 * 2, 2),
            r"probs\[b, i\] must sum to 1 over the alphabet, got sum 2\.0 at component b=0, position i=0",
        ),
        (
            lambda: value_function(zero_model, [0, 1], W2, P2 - 0.75 * np.array([1, -1]), 2),
            r"probs must be nonnegative",
        ),
        (
            lambda: value_function(zero_model, [0] * 13, *uniform_background(13, 2), 2),
            r"n=13; the brute-force oracle sweeps all 2\*\*n = 8192 subsets and allows at most n=12",
        ),
        (
            lambda: value_function(zero_model, [0] * 11, *uniform_background(11, 4), 4),
            rf"needs 48828125 model evaluations .* at most MAX_MODEL_EVALUATIONS = {MAX_MODEL_EVALUATIONS}",
        ),
        (
            lambda: brute_force_shapley(zero_model, [0, 1], W2, P2, 2),
            r"X: expected a 2-D array \(N, n\) of codes, got shape \(2,\)",
        ),
        (lambda: brute_force_shapley(zero_model, [[0, 1, 0]], W2, P2, 2), r"expected sequences of length 2 in 'X', got length 3"),
        (
            lambda: brute_force_interactions(zero_model, [[0, 1]], W2, P2, 2, "SV", 1),
            r"index must be one of 'SII', 'STII', 'FSII', 'k-SII', 'Moebius', got 'SV'",
        ),
        (
            lambda: brute_force_interactions(zero_model, [[0, 1]], W2, P2, 2, "SII", 3),
            r"order: expected an integer between 1 and 2, got 3",
        ),
        (
            lambda: brute_force_interactions(zero_model, [[0, 1]], W2, P2, 1, "SII", 1),
            r"q: expected an integer between 2 and 255, got 1",
        ),
    ],
)
def test_value_function_errors(call: Callable[[], object], match: str) -> None:
    with pytest.raises((InvalidParameterError, InvalidSequenceError), match=match):
        call()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: shapley_values_from_game(np.zeros(6)),
            r"v must have length 2\*\*n with n >= 1 .* got length 6",
        ),
        (
            lambda: shapley_values_from_game(np.zeros(1)),
            r"v must have length 2\*\*n with n >= 1 .* got length 1",
        ),
        (
            lambda: shapley_values_from_game(np.zeros((2, 2))),
            r"v must have shape \(2\*\*n,\), got shape \(2, 2\)",
        ),
        (lambda: shapley_values_from_game(np.zeros(2**13)), r"v gives n=13; .* allows at most n=12"),
        (lambda: mobius_from_game([0.0, np.inf]), r"v must be finite"),
        (lambda: mobius_from_game(["a", "b"]), r"v must hold real numbers"),
        (
            lambda: interaction_index_from_game(np.zeros(8), "sii", 2),
            r"index must be one of 'SII', 'STII', 'FSII', 'k-SII', 'Moebius', got 'sii'",
        ),
        (lambda: interaction_index_from_game(np.zeros(8), None, 2), r"index must be one of .* got None"),
        (
            lambda: interaction_index_from_game(np.zeros(8), "SII", 0),
            r"order: expected an integer between 1 and 3, got 0",
        ),
        (
            lambda: interaction_index_from_game(np.zeros(8), "SII", 4),
            r"order: expected an integer between 1 and 3, got 4",
        ),
        (
            lambda: interaction_index_from_game(np.zeros(8), "SII", 2.0),
            r"order: expected an integer, got 2\.0 of type float",
        ),
    ],
)
def test_game_errors(call: Callable[[], object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()


def raising_model(Z: np.ndarray) -> np.ndarray:
    raise KeyError("no such sequence")


@pytest.mark.parametrize(
    ("f", "error", "match"),
    [
        (
            lambda Z: np.zeros((Z.shape[0], 2)),
            ModelOutputError,
            r"shape \(M,\) or \(M, 1\); got shape \(9, 2\)",
        ),
        (lambda Z: np.zeros(Z.shape[0] + 1), ModelOutputError, r"a batch of 9 sequences must have shape \(9,\) or \(9, m\) .* got shape \(10,\)"),
        (
            lambda Z: np.full(Z.shape[0], np.nan),
            ModelOutputError,
            r"a batch of 9 sequences is not finite: nan for row 0",
        ),
        (
            lambda Z: np.zeros(Z.shape[0], dtype=complex),
            ModelOutputError,
            r"a batch of 9 sequences must be real; got complex dtype complex128",
        ),
        (lambda Z: ["a"] * Z.shape[0], ModelOutputError, r"a batch of 9 sequences must be numbers; got dtype <U1"),
        (raising_model, ModelError, r"raised on a batch of 9 sequences: KeyError: 'no such sequence'"),
    ],
)
def test_model_output_errors(f: Callable[[np.ndarray], object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        value_function(f, [0, 1], W2, P2, 2)


def test_column_output_is_accepted() -> None:
    v = value_function(lambda Z: Z[:, :1].astype(float), [1, 0], W2, P2, 2)
    # f = z0 with x = (1, 0): v(S) = 1 if 0 in S else 1/2
    np.testing.assert_allclose(v, [0.5, 1.0, 0.5, 1.0], atol=1e-14)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="order: expected an integer"):
        interaction_index_from_game(np.zeros(4), "SII", 5)

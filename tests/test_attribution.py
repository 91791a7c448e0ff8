"""The closed-form attribution engine against the brute-force oracle.

The oracle (:mod:`shap_zero.oracle`) enumerates the value function of each query over
every subset and every background completion, and computes each index from its
definition; shapiq's ExactComputer checks both at the end of this file.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shap_zero import oracle
from shap_zero.alphabet import DNA
from shap_zero.attribution import (
    INDEX_NAMES,
    Background,
    engine,
    expected_value,
    interaction_values,
    mobius_coefficients,
    shap_interaction_values,
    shapley_values,
)
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError
from shap_zero.fourier import FourierSketch
from shap_zero.indices import INTERACTION_INDEX_NAMES
from shap_zero.synthetic import random_sparse_sketch

# (q, n, max_degree): q=20 only at n <= 3, as the oracle enumerates q^n completions.
CONFIGS = [(2, 6, 4), (3, 5, 3), (4, 5, 4), (5, 4, 3), (20, 3, 3)]
BACKGROUNDS = ["uniform", "product", "reference", "sequences"]
ATOL = 1e-9


def make_background(kind: str, n: int, q: int, rng: np.random.Generator):
    """The same background for the fast path (argument) and the oracle (weights, probs)."""
    if kind == "uniform":
        return "uniform", oracle.uniform_background(n, q)
    if kind == "product":
        frequencies = rng.dirichlet(np.ones(q), size=n)
        return frequencies, oracle.product_background(frequencies)
    if kind == "reference":
        reference = rng.integers(0, q, size=n)
        return reference, oracle.reference_background(reference, q)
    sequences = rng.integers(0, q, size=(4, n))
    sequences[3] = sequences[0]  # a repeated row must count twice
    return sequences, oracle.sequence_set_background(sequences, q)


class Case:
    """A random sketch, three query sequences, a background and the oracle's games."""

    def __init__(self, q: int, n: int, max_degree: int, kind: str, seed: int) -> None:
        rng = np.random.default_rng([seed, q, n, BACKGROUNDS.index(kind)])
        self.q, self.n, self.kind = q, n, kind
        self.sketch = random_sparse_sketch(
            n, q, 10, max_degree=max_degree, random_state=rng, mean=rng.normal()
        )
        self.X = rng.integers(0, q, size=(3, n)).astype(np.uint8)
        self.background, (self.weights, self.probs) = make_background(kind, n, q, rng)
        self.games = [
            oracle.value_function(self.sketch.predict, x, self.weights, self.probs, q) for x in self.X
        ]


@pytest.fixture(scope="module")
def cases(seed):
    return {
        (q, n, kind): Case(q, n, d, kind, seed) for q, n, d in CONFIGS for kind in BACKGROUNDS
    }


ALL_CASES = [(q, n, kind) for q, n, _ in CONFIGS for kind in BACKGROUNDS]


@pytest.mark.parametrize("key", ALL_CASES, ids=lambda k: f"q{k[0]}-n{k[1]}-{k[2]}")
def test_shapley_values_match_oracle(cases, key):
    case = cases[key]
    fast = shapley_values(case.sketch, case.X, background=case.background)
    slow = np.stack([oracle.shapley_values_from_game(v) for v in case.games])
    np.testing.assert_allclose(fast, slow, atol=ATOL)
    base = expected_value(case.sketch, case.background)
    assert base == pytest.approx(case.games[0][0], abs=ATOL)
    # Efficiency: values sum to f(x) minus the base value.
    np.testing.assert_allclose(fast.sum(axis=1), case.sketch.predict(case.X) - base, atol=ATOL)


@pytest.mark.parametrize("key", ALL_CASES, ids=lambda k: f"q{k[0]}-n{k[1]}-{k[2]}")
def test_pairwise_matrix_matches_oracle(cases, key):
    case = cases[key]
    fast = shap_interaction_values(case.sketch, case.X, background=case.background)
    assert fast.shape == (3, case.n, case.n)
    for matrix, v in zip(fast, case.games):
        sii = oracle.interaction_index_from_game(v, "SII", 2)
        phi = oracle.shapley_values_from_game(v)
        expected = np.zeros((case.n, case.n))
        for (i, j), value in ((k, val) for k, val in sii.items() if len(k) == 2):
            expected[i, j] = expected[j, i] = value / 2
        np.fill_diagonal(expected, phi - expected.sum(axis=1))
        np.testing.assert_allclose(matrix, expected, atol=ATOL)
        np.testing.assert_allclose(matrix, matrix.T, atol=ATOL)
        np.testing.assert_allclose(matrix.sum(axis=1), phi, atol=ATOL)
        assert matrix.sum() == pytest.approx(v[-1] - v[0], abs=ATOL)


INDEX_ORDERS = [(index, order) for index in INTERACTION_INDEX_NAMES for order in (1, 2, 3)]


@pytest.mark.parametrize("key", ALL_CASES, ids=lambda k: f"q{k[0]}-n{k[1]}-{k[2]}")
@pytest.mark.parametrize("index,order", INDEX_ORDERS)
def test_interaction_indices_match_oracle(cases, key, index, order):
    case = cases[key]
    if order > case.n:
        pytest.skip("order above n")
    result = interaction_values(case.sketch, case.X, index=index, order=order, background=case.background)
    assert result.values.shape == (3, len(result.subsets))
    assert all(1 <= len(subset) <= order for subset in result.subsets)
    assert list(result.subsets) == sorted(result.subsets, key=lambda s: (len(s), s))
    np.testing.assert_allclose(result.base_values, case.games[0][0], atol=ATOL)
    for row, v in enumerate(case.games):
        truth = oracle.interaction_index_from_game(v, index, order)
        listed = set(result.subsets)
        for subset, value in truth.items():
            if subset in listed:
                assert result.values[row, result.column(subset)] == pytest.approx(value, abs=ATOL)
            else:  # structurally zero: not a subset of any term's support
                assert value == pytest.approx(0.0, abs=ATOL), subset


@pytest.mark.parametrize("key", ALL_CASES, ids=lambda k: f"q{k[0]}-n{k[1]}-{k[2]}")
def test_mobius_all_orders_sum_to_prediction(cases, key):
    case = cases[key]
    result = mobius_coefficients(case.sketch, case.X, background=case.background)
    np.testing.assert_allclose(
        result.values.sum(axis=1) + result.base_values, case.sketch.predict(case.X), atol=ATOL
    )
    for row, v in enumerate(case.games):
        truth = oracle.mobius_from_game(v)
        for subset in result.subsets:
            mask = sum(1 << i for i in subset)
            assert result.values[row, result.column(subset)] == pytest.approx(truth[mask], abs=ATOL)


def test_shapley_index_equals_shapley_values_and_order_one_indices_agree(rng):
    sketch = random_sparse_sketch(9, 4, 25, max_degree=4, random_state=rng)
    X = rng.integers(0, 4, size=(20, 9))
    phi = shapley_values(sketch, X)
    # At order 1 every index but Möbius is the Shapley value.
    for index in [name for name in INDEX_NAMES if name != "Moebius"]:
        result = interaction_values(sketch, X, index=index, order=1)
        dense = np.zeros_like(phi)
        for u, (i,) in enumerate(result.subsets):
            dense[:, i] = result.values[:, u]
        np.testing.assert_allclose(dense, phi, atol=ATOL, err_msg=index)


def test_high_orders_collapse_to_mobius(rng):
    """FSII and k-SII at an order >= the max degree equal the Möbius coefficients."""
    sketch = random_sparse_sketch(8, 3, 15, max_degree=3, random_state=rng)
    X = rng.integers(0, 3, size=(10, 8))
    background = rng.integers(0, 3, size=(5, 8))
    for bg in ["uniform", background]:
        mobius = mobius_coefficients(sketch, X, background=bg)
        for index in ["FSII", "k-SII"]:
            result = interaction_values(sketch, X, index=index, order=3, background=bg)
            for subset in mobius.subsets:
                np.testing.assert_allclose(
                    result.get(subset), mobius.get(subset), atol=ATOL, err_msg=f"{index} {subset}"
                )


def test_conjugate_symmetric_full_spectrum_gives_real_values(rng):
    """The complex closed form over the full spectrum is real and equals the paired kernels."""
    q, n = 4, 7
    sketch = random_sparse_sketch(n, q, 12, max_degree=3, random_state=rng)
    frequencies, coefficients = sketch.full_spectrum()
    X = rng.integers(0, q, size=(30, n))
    phases = (X @ frequencies.astype(np.int64).T) % q
    localized = np.exp(2j * np.pi * phases / q) * coefficients  # (N, S')
    degrees = np.count_nonzero(frequencies, axis=1)
    weights = (frequencies != 0) / np.maximum(degrees, 1)[:, None]
    complex_shap = localized @ weights
    assert np.abs(complex_shap.imag).max() < 1e-10
    np.testing.assert_allclose(shapley_values(sketch, X), complex_shap.real, atol=ATOL)
    # Approximately conjugate estimates (as decoders produce) are symmetrised: the
    # sketch of F and of its conjugate-symmetrised version give the same values.
    noisy = coefficients + 1e-3 * (rng.normal(size=coefficients.shape) + 1j * rng.normal(size=coefficients.shape))
    noisy_sketch = FourierSketch(frequencies, noisy, q)
    symmetrised = complex(0, 0) * np.zeros(len(noisy))
    lookup = {tuple(k): c for k, c in zip(frequencies.tolist(), noisy)}
    for s, k in enumerate(frequencies.tolist()):
        partner = tuple((-np.asarray(k)) % q)
        symmetrised[s] = (lookup[tuple(k)] + np.conj(lookup[partner])) / 2
    direct = ((np.exp(2j * np.pi * phases / q) * symmetrised) @ weights).real
    np.testing.assert_allclose(shapley_values(noisy_sketch, X), direct, atol=ATOL)


# ---------------------------------------------------------------------------- axioms
def test_dummy_position_gets_zero_everywhere(rng):
    n, q = 7, 4
    base = random_sparse_sketch(n - 1, q, 12, max_degree=3, random_state=rng)
    # Position 3 is ignored by the model: insert a zero column into every frequency.
    frequencies = np.insert(base.frequencies.astype(np.int64), 3, 0, axis=1)
    sketch = FourierSketch(frequencies, base.coefficients, q)
    X = rng.integers(0, q, size=(15, n))
    for background in ["uniform", rng.integers(0, q, size=(3, n)), rng.dirichlet(np.ones(q), size=n)]:
        np.testing.assert_allclose(shapley_values(sketch, X, background=background)[:, 3], 0.0, atol=ATOL)
        np.testing.assert_allclose(
            shap_interaction_values(sketch, X, background=background)[:, 3, :], 0.0, atol=ATOL
        )
        for index in INTERACTION_INDEX_NAMES:
            result = interaction_values(sketch, X, index=index, order=3, background=background)
            assert all(3 not in subset for subset in result.subsets)


def test_symmetric_positions_get_equal_values(rng):
    n, q = 6, 3
    base = random_sparse_sketch(n, q, 10, max_degree=3, random_state=rng)
    # Symmetrise the function under swapping positions 1 and 4.
    swapped = base.frequencies[:, [0, 4, 2, 3, 1, 5]]
    sketch = FourierSketch(
        np.concatenate([base.frequencies, swapped]),
        np.concatenate([base.coefficients, base.coefficients]),
        q,
        spectrum="half",
    )
    X = rng.integers(0, q, size=(20, n))
    X[:, 4] = X[:, 1]  # the game is symmetric in 1 and 4 when x_1 = x_4
    for background in ["uniform", rng.dirichlet(np.ones(q), size=n)[[0, 1, 2, 3, 1, 5]]]:
        phi = shapley_values(sketch, X, background=background)
        np.testing.assert_allclose(phi[:, 1], phi[:, 4], atol=ATOL)
        sii = interaction_values(sketch, X, index="SII", order=2, background=background)
        for j in [0, 2, 3, 5]:
            np.testing.assert_allclose(sii.get((1, j)), sii.get((4, j)), atol=ATOL)


def test_efficiency_of_every_background_on_larger_sketch(rng):
    n, q = 26, 4
    sketch = random_sparse_sketch(n, q, 60, max_degree=5, random_state=rng, mean=0.3)
    X = rng.integers(0, q, size=(200, n))
    for background in ["uniform", X[0], rng.integers(0, q, size=(20, n)), rng.dirichlet(np.ones(q), size=n)]:
        phi = shapley_values(sketch, X, background=background)
        base = expected_value(sketch, background)
        np.testing.assert_allclose(phi.sum(axis=1), sketch.predict(X) - base, atol=1e-8)
        matrices = shap_interaction_values(sketch, X[:20], background=background)
        np.testing.assert_allclose(matrices.sum(axis=(1, 2)), sketch.predict(X[:20]) - base, atol=1e-8)


def test_reference_background_shapley_of_the_reference_is_zero(rng):
    sketch = random_sparse_sketch(10, 4, 20, max_degree=4, random_state=rng)
    reference = rng.integers(0, 4, size=10)
    phi = shapley_values(sketch, reference[None], background=reference)
    np.testing.assert_allclose(phi, 0.0, atol=ATOL)


# ---------------------------------------------------------------------------- chunking
def test_chunked_results_equal_single_chunk(rng, monkeypatch):
    sketch = random_sparse_sketch(12, 4, 30, max_degree=4, random_state=rng)
    X = rng.integers(0, 4, size=(101, 12))
    background = rng.integers(0, 4, size=(3, 12))
    expected = {
        "shap": shapley_values(sketch, X),
        "shap_bg": shapley_values(sketch, X, background=background),
        "pair": shap_interaction_values(sketch, X),
        "pair_bg": shap_interaction_values(sketch, X, background=background),
        "fsii": interaction_values(sketch, X, index="FSII", order=3, background=background).values,
        "mobius": mobius_coefficients(sketch, X).values,
    }
    monkeypatch.setattr(engine, "ROWS_PER_CHUNK", 13)
    monkeypatch.setattr(engine, "BLOCK_ROWS", 5)  # blocks that do not divide the chunks
    monkeypatch.setattr(engine, "MOBIUS_CHUNK_BYTES", 8 * 300 * 7)
    np.testing.assert_allclose(shapley_values(sketch, X, progress=True), expected["shap"], atol=1e-13)
    np.testing.assert_allclose(mobius_coefficients(sketch, X).values, expected["mobius"], atol=1e-13)
    np.testing.assert_allclose(shapley_values(sketch, X, background=background), expected["shap_bg"], atol=1e-13)
    np.testing.assert_allclose(shap_interaction_values(sketch, X), expected["pair"], atol=1e-13)
    np.testing.assert_allclose(
        shap_interaction_values(sketch, X, background=background), expected["pair_bg"], atol=1e-13
    )
    np.testing.assert_allclose(
        interaction_values(sketch, X, index="FSII", order=3, background=background, progress=True).values,
        expected["fsii"],
        atol=1e-13,
    )


def test_high_degree_terms_under_every_background(rng):
    """A degree-8 term needs 4 quadrature nodes and 256 Möbius subsets."""
    q, n = 2, 8
    sketch = FourierSketch([[1] * 8, [1, 1, 0, 0, 0, 0, 0, 0]], [1.5, -0.5], q)
    X = rng.integers(0, q, size=(4, n))
    freqs = rng.dirichlet(np.ones(q), size=n)
    weights, probs = oracle.product_background(freqs)
    phi = shapley_values(sketch, X, background=freqs)
    mobius = mobius_coefficients(sketch, X, background=freqs)
    for row, x in enumerate(X):
        v = oracle.value_function(sketch.predict, x, weights, probs, q)
        np.testing.assert_allclose(phi[row], oracle.shapley_values_from_game(v), atol=ATOL)
        truth = oracle.mobius_from_game(v)
        for subset in mobius.subsets:
            assert mobius.values[row, mobius.column(subset)] == pytest.approx(
                truth[sum(1 << i for i in subset)], abs=ATOL
            )


def test_empty_input_and_strings(rng):
    sketch = random_sparse_sketch(5, 4, 8, max_degree=3, random_state=rng, alphabet=DNA)
    assert shapley_values(sketch, np.zeros((0, 5), dtype=np.uint8)).shape == (0, 5)
    assert shap_interaction_values(sketch, np.zeros((0, 5), dtype=np.uint8)).shape == (0, 5, 5)
    empty = interaction_values(sketch, np.zeros((0, 5), dtype=np.uint8), index="STII", order=2)
    assert empty.values.shape == (0, len(empty.subsets)) and len(empty.subsets) > 0
    codes = DNA.encode(["ACGTA", "TTGCA"])
    np.testing.assert_array_equal(
        shapley_values(sketch, ["ACGTA", "TTGCA"], background="GGGGG"),
        shapley_values(sketch, codes, background=DNA.encode("GGGGG")[0]),
    )
    np.testing.assert_array_equal(
        shapley_values(sketch, "acgta", background=["ACGTA", "TTTTT"]),
        shapley_values(sketch, codes[:1], background=Background.sequences(DNA.encode(["ACGTA", "TTTTT"]), 4)),
    )


def test_shapley_values_into_preallocated_output(rng):
    sketch = random_sparse_sketch(7, 4, 10, max_degree=3, random_state=rng)
    X = rng.integers(0, 4, size=(9, 7))
    out = np.full((9, 7), np.nan)
    returned = shapley_values(sketch, X, out=out)
    assert returned is out
    np.testing.assert_array_equal(out, shapley_values(sketch, X))
    with pytest.raises(InvalidParameterError, match=r"out must be a writeable C-contiguous float64 array of shape \(9, 7\)"):
        shapley_values(sketch, X, out=np.zeros((9, 7), dtype=np.float32))
    with pytest.raises(InvalidParameterError, match="out must be"):
        shapley_values(sketch, X, out=np.zeros((7, 9)).T)


@pytest.mark.parametrize("background", ["uniform", "reference"])
def test_shap_interaction_values_into_preallocated_output(rng, tmp_path, background):
    sketch = random_sparse_sketch(7, 4, 10, max_degree=3, random_state=rng)
    X = rng.integers(0, 4, size=(9, 7))
    chosen = "uniform" if background == "uniform" else X[0]
    expected = shap_interaction_values(sketch, X, background=chosen)
    out = np.lib.format.open_memmap(tmp_path / "pairs.npy", mode="w+", dtype=np.float64, shape=(9, 7, 7))
    out[:] = np.nan
    returned = shap_interaction_values(sketch, X, background=chosen, out=out)
    assert returned is out
    np.testing.assert_array_equal(np.asarray(out), expected)
    with pytest.raises(InvalidParameterError, match=r"out must be .* of shape \(9, 7, 7\)"):
        shap_interaction_values(sketch, X, out=np.zeros((9, 7)))


@pytest.mark.parametrize("index", ["FSII", "k-SII"])
def test_interaction_values_into_preallocated_output(rng, index):
    sketch = random_sparse_sketch(7, 4, 10, max_degree=3, random_state=rng)
    X = rng.integers(0, 4, size=(9, 7))
    expected = interaction_values(sketch, X, index=index, order=2)
    width = len(interaction_values(sketch, X[:1], index=index, order=2).subsets)
    out = np.full((9, width), np.nan)
    result = interaction_values(sketch, X, index=index, order=2, out=out)
    assert result.values is out and result.subsets == expected.subsets
    np.testing.assert_array_equal(out, expected.values)
    with pytest.raises(InvalidParameterError, match=rf"out must be .* of shape \(9, {width}\)"):
        interaction_values(sketch, X, index=index, order=2, out=np.zeros((9, width + 1)))


def test_interactions_container(rng):
    sketch = random_sparse_sketch(6, 3, 10, max_degree=3, random_state=rng)
    X = rng.integers(0, 3, size=(4, 6))
    result = interaction_values(sketch, X, index="SII", order=2)
    assert result.n_sequences == 4 and result.index == "SII" and result.order == 2
    array = result.subset_array()
    assert array.shape == (len(result.subsets), 2)
    assert np.all((array[:, 1] == -1) == (result.sizes == 1))
    first = result.subsets[-1]
    np.testing.assert_array_equal(result.get(first[::-1]), result.values[:, -1])
    with pytest.raises(InvalidParameterError, match="distinct positions"):
        result.get((1, 1))
    with pytest.raises(InvalidParameterError, match="positions in 0..5"):
        result.get((9,))
    assert "SII" in repr(result)


# ---------------------------------------------------------------------------- errors
def test_errors_name_the_argument(rng):
    sketch = random_sparse_sketch(5, 4, 8, max_degree=3, random_state=rng)
    X = rng.integers(0, 4, size=(2, 5))
    with pytest.raises(InvalidParameterError, match="index must be one of"):
        interaction_values(sketch, X, index="Banzhaf")
    with pytest.raises(InvalidParameterError, match=r"order must be an integer in 1..5"):
        interaction_values(sketch, X, index="SII", order=6)
    with pytest.raises(InvalidParameterError, match="order 1"):
        interaction_values(sketch, X, index="SV", order=2)
    with pytest.raises(InvalidParameterError, match="sketch must be a shap_zero.FourierSketch"):
        shapley_values("not a sketch", X)
    with pytest.raises(InvalidParameterError, match="background is for sequences of length 4"):
        shapley_values(sketch, X, background=np.zeros((4, 4)) + 0.25)
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        shapley_values(sketch, X, background=np.full((5, 4), 0.3))
    with pytest.raises(InvalidParameterError, match="background must be"):
        shapley_values(sketch, X, background=3.5)
    with pytest.raises(InvalidSequenceError, match=r"background\[0\] has code 4 at position 5 .*range 0\.\.3"):
        shapley_values(sketch, X, background=np.array([0, 1, 2, 3, 4]))
    with pytest.raises(InvalidSequenceError, match="length"):
        shapley_values(sketch, rng.integers(0, 4, size=(2, 6)))
    with pytest.raises(InvalidParameterError, match="no alphabet"):
        shapley_values(sketch, ["ACGTA"])


def test_progress_must_be_a_bool(rng):
    sketch = random_sparse_sketch(5, 4, 8, max_degree=3, random_state=rng)
    X = rng.integers(0, 4, size=(2, 5))
    for function in (shapley_values, interaction_values, mobius_coefficients, shap_interaction_values):
        with pytest.raises(InvalidParameterError, match="progress: expected True or False, got 'yes'"):
            function(sketch, X, progress="yes")
        function(sketch, X, progress=np.bool_(False))


def test_background_containers_are_read_by_their_values(rng):
    pd = pytest.importorskip("pandas")
    sketch = random_sparse_sketch(4, 4, 8, max_degree=3, alphabet=DNA, random_state=rng)
    X = rng.integers(0, 4, size=(3, 4))
    sequences = ["ACGT", "TTGA", "CAGG"]
    expected = shapley_values(sketch, X, background=sequences)
    as_series = pd.Series(sequences, index=["ACGT", "AAAA", "CCCC"])  # labels must not be read
    np.testing.assert_allclose(shapley_values(sketch, X, background=as_series), expected, atol=ATOL)
    np.testing.assert_allclose(
        shapley_values(sketch, X, background=pd.DataFrame(DNA.encode(sequences))), expected, atol=ATOL
    )
    np.testing.assert_allclose(
        shapley_values(sketch, X, background=np.array(sequences, dtype="S")), expected, atol=ATOL
    )
    with pytest.raises(InvalidParameterError, match="background: expected an ordered collection"):
        shapley_values(sketch, X, background=set(sequences))
    masked = np.ma.masked_array(DNA.encode(sequences), mask=np.eye(3, 4, dtype=bool))
    with pytest.raises(InvalidSequenceError, match=r"background: .*3 masked entries, the first in background\[0\]"):
        shapley_values(sketch, X, background=masked)


def test_background_frequency_errors_count_positions_from_one(rng):
    sketch = random_sparse_sketch(5, 4, 8, max_degree=3, random_state=rng)
    frequencies = np.full((5, 4), 0.25)
    frequencies[0, 0] = 0.5
    with pytest.raises(InvalidParameterError, match=r"position 1 \(positions count from 1\) sums to 1.25"):
        shapley_values(sketch, np.zeros((1, 5), dtype=np.uint8), background=frequencies)


# ---------------------------------------------------------------------------- shapiq
@pytest.mark.parametrize("kind", BACKGROUNDS)
def test_fast_path_matches_shapiq_exact_computer(kind, seed):
    """Our closed forms against shapiq's ExactComputer playing the same game."""
    shapiq = pytest.importorskip("shapiq", reason="shapiq (test extra) is the independent index oracle")
    case = Case(4, 5, 4, kind, seed + 1000)
    bit_values = 2 ** np.arange(case.n)
    for row, v in enumerate(case.games):
        computer = shapiq.ExactComputer(lambda coalitions: v[coalitions.astype(np.int64) @ bit_values], case.n)
        for index, order in itertools.product(INTERACTION_INDEX_NAMES, (2, 3)):
            ours = interaction_values(case.sketch, case.X[row], index=index, order=order, background=case.background)
            theirs = computer(index=index, order=order)
            atol = 1e-6 if index == "FSII" else 1e-9  # shapiq solves FSII with a 1e8 penalty
            for size in range(1, order + 1):
                for subset in itertools.combinations(range(case.n), size):
                    assert ours.get(subset)[0] == pytest.approx(theirs[subset], abs=atol), (index, order, subset)
        sv = computer(index="SV", order=1)
        phi = shapley_values(case.sketch, case.X[row], background=case.background)[0]
        np.testing.assert_allclose(phi, [sv[(i,)] for i in range(case.n)], atol=1e-9)

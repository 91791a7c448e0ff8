"""The interaction baselines: ExactInteractions and shapiq's approximators (ShapiqInteractions).

Oracles: shap_zero's closed forms on the exact dense sketch, shapiq's ExactComputer on the
tabulated game, the axioms (efficiency, dummy position), ExactInteractions on the same
background set for shapiq's estimators at full budget, and an independent count of model
rows. Tolerances of the estimators were measured over 8 seeds (stated where used).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from baselines import (
    ExactInteractions,
    InteractionBaseline,
    InteractionResult,
    ShapiqInteractions,
    align,
    from_shap_zero,
)
from baselines.interactions import INDEX_NAMES, interaction_subsets
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError
from shap_zero.oracle import MAX_ORACLE_N, all_sequences
from tests._counting import RowCounter

pytest.importorskip("shapiq", reason="shapiq (test extra) provides the estimators and the index oracle")

ORDERS = {index: ([1] if index == "SV" else [1, 2, 3]) for index in INDEX_NAMES}
INDEX_ORDERS = [(index, order) for index in INDEX_NAMES for order in ORDERS[index]]


def _problem(seed: int, key: int, n: int, q: int, n_terms: int = 12, max_degree: int | None = None, N: int = 2):
    """A random sparse Fourier model (terms up to degree n by default) and N sequences."""
    rng = np.random.default_rng([seed, key])
    model = sz.random_sparse_sketch(n, q, n_terms, max_degree=max_degree or n, random_state=rng)
    return model, rng.integers(0, q, size=(N, n)), rng


def _explain(baseline, model, X, n, q, index, order=None, random_state=0):
    return baseline.explain_interactions(
        model, X, seq_length=n, alphabet=q, index=index, order=order, random_state=random_state
    )


# -- the dense result and the converters ------------------------------------------------


def test_dense_layout_and_result_accessors(seed):
    model, X, _ = _problem(seed, 1, 4, 3, N=3)
    result = _explain(ExactInteractions(), model, X, 4, 3, "SII", 2)
    assert isinstance(result, InteractionResult)
    expected = [(0,), (1,), (2,), (3,), (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert list(result.subsets) == expected == list(interaction_subsets(4, 2))
    assert result.values.shape == (3, 10) and result.values.dtype == np.float64 and result.n == 4
    assert_allclose(result.get([2, 0]), result.values[:, 5])
    assert result.column((3, 1)) == 8
    on = result.on([(1, 3), (0, 1, 2), (2,)])  # a size-3 subset is beyond order 2: zeros
    assert_allclose(on, np.stack([result.values[:, 8], np.zeros(3), result.values[:, 2]], axis=1))
    for bad in [(0, 0), (4,), (0, 1, 2), ()]:
        with pytest.raises(InvalidParameterError, match="subset must hold 1..2 distinct positions"):
            result.get(bad)
    with pytest.raises(AttributeError, match="cannot assign to field 'method'"):
        result.method = "other"  # frozen


def test_from_shap_zero_puts_structural_zeros_on_the_dense_layout(seed):
    # Few low-degree terms: shap_zero lists only a handful of subsets.
    sketch, X, _ = _problem(seed, 2, 6, 4, n_terms=3, max_degree=2, N=3)
    interactions = sz.interaction_values(sketch, X, index="k-SII", order=3)
    dense = from_shap_zero(interactions)
    assert dense.subsets == interaction_subsets(6, 3) and len(interactions.subsets) < len(dense.subsets)
    listed = set(interactions.subsets)
    for u, subset in enumerate(dense.subsets):
        expected = interactions.values[:, interactions.column(subset)] if subset in listed else np.zeros(3)
        assert_allclose(dense.values[:, u], expected)
    assert_allclose(align(dense, interactions.subsets), interactions.values)
    assert_allclose(dense.on(interactions.subsets), interactions.values)
    assert_allclose(dense.base_values, interactions.base_values)
    assert (dense.index, dense.order, dense.method) == ("k-SII", 3, "shap_zero")
    # A dense result is an Interactions too (one container): converting it again changes nothing.
    assert isinstance(dense, sz.Interactions)
    assert_allclose(from_shap_zero(dense).values, dense.values)
    with pytest.raises(InvalidParameterError, match="shap_zero.Interactions"):
        from_shap_zero({"values": dense.values})


# -- ExactInteractions ------------------------------------------------------------------


@pytest.mark.parametrize(("n", "q"), [(5, 3), (6, 4)])
def test_exact_brute_transform_and_shap_zero_agree(n, q, seed):
    model, X, _ = _problem(seed, 10 * n + q, n, q)
    dense = sz.exact_sketch(model, seq_length=n, alphabet=q)
    brute, transform = ExactInteractions("brute"), ExactInteractions("transform")
    for index, order in INDEX_ORDERS:
        a = _explain(brute, model, X, n, q, index, order)
        b = _explain(transform, model, X, n, q, index, order)
        c = from_shap_zero(sz.interaction_values(dense, X, index=index, order=order))
        assert a.subsets == b.subsets == c.subsets
        assert_allclose(a.values, b.values, atol=1e-9, err_msg=f"{index} {order}")
        assert_allclose(a.values, c.values, atol=1e-9, err_msg=f"{index} {order}")
        assert_allclose(a.base_values, b.base_values, atol=1e-9)
        assert_allclose(a.base_values, model(all_sequences(n, q)).mean(), atol=1e-9)


def test_brute_force_definitions_match_shapiq_exact_computer(seed):
    n, q = 5, 3
    model, X, rng = _problem(seed, 3, n, q)
    background = rng.integers(0, q, size=(4, n))
    for index, order in INDEX_ORDERS:
        ours = _explain(ExactInteractions(background=background), model, X, n, q, index, order)
        theirs = _explain(ExactInteractions(background=background, oracle="shapiq"), model, X, n, q, index, order)
        # shapiq solves FSII with a 1e8 penalty instead of hard constraints (~1e-9 relative).
        atol = 1e-6 if index == "FSII" else 1e-9
        assert_allclose(ours.values, theirs.values, atol=atol, err_msg=f"{index} {order}")
        assert_allclose(ours.base_values, theirs.base_values, atol=1e-12)


@pytest.mark.parametrize("kind", ["uniform", "set"])
def test_efficient_indices_sum_to_the_model_output(kind, seed):
    n, q = 5, 4
    model, X, rng = _problem(seed, 4, n, q, N=3)
    background = "uniform" if kind == "uniform" else rng.integers(0, q, size=(5, n))
    baseline = ExactInteractions(background=background)
    # SV, k-SII, STII and FSII are efficient at every order; Möbius only at order n.
    for index, order in [("SV", 1), ("k-SII", 1), ("k-SII", 2), ("k-SII", 3), ("STII", 2), ("FSII", 3), ("Moebius", n)]:
        result = _explain(baseline, model, X, n, q, index, order)
        assert_allclose(result.values.sum(axis=1) + result.base_values, model(X), atol=1e-9, err_msg=index)


@pytest.mark.parametrize("method", ["brute", "transform"])
def test_a_dummy_position_gets_zero_interactions(method, seed):
    n, q, dummy = 5, 3, 2
    sketch, X, _ = _problem(seed, 5, n, q)

    def model(codes):
        codes = np.array(codes)
        codes[:, dummy] = 0  # the model never looks at this position
        return sketch(codes)

    for index, order in INDEX_ORDERS:
        result = _explain(ExactInteractions(method), model, X, n, q, index, order)
        with_dummy = [u for u, subset in enumerate(result.subsets) if dummy in subset]
        assert_allclose(result.values[:, with_dummy], 0.0, atol=1e-10, err_msg=f"{index} {order}")
        if index == "SV":  # ... while the other positions matter: the check is not vacuous
            assert np.abs(np.delete(result.values, dummy, axis=1)).max() > 1e-3


def test_exact_counts_its_queries(seed):
    n, q = 5, 3
    model, X, rng = _problem(seed, 6, n, q, N=3)
    rows = RowCounter(model)
    result = _explain(ExactInteractions(), rows, X, n, q, "k-SII", 2)
    assert result.n_model_queries == rows.rows == len(X) * (q + 1) ** n
    background = rng.integers(0, q, size=(4, n))
    rows = RowCounter(model)
    result = _explain(ExactInteractions(background=background), rows, X, n, q, "FSII", 2)
    assert result.n_model_queries == rows.rows == len(X) * len(background) * 2**n
    # The dense transform costs q^n once, however many sequences are explained.
    for N in (1, 3):
        rows = RowCounter(model)
        result = _explain(ExactInteractions("transform"), rows, X[:N], n, q, "SII", 2)
        assert result.n_model_queries == rows.rows == q**n
        assert result.params["fit_queries"] == q**n and result.params["amortized"] is True


def test_exact_refuses_what_it_cannot_do():
    model = lambda codes: codes.sum(axis=1)  # noqa: E731
    n = MAX_ORACLE_N + 1
    with pytest.raises(InvalidParameterError, match=f"seq_length must be at most MAX_ORACLE_N = {MAX_ORACLE_N}.*{n}"):
        _explain(ExactInteractions(), model, np.zeros((1, n), dtype=np.uint8), n, 2, "SII", 2)
    with pytest.raises(InvalidParameterError, match=r"q\*\*n = 4\*\*12 = 16777216 .*MAX_DENSE_SIZE = 4194304"):
        _explain(ExactInteractions("transform"), model, np.zeros((1, 12), dtype=np.uint8), 12, 4, "SII", 2)
    with pytest.raises(InvalidParameterError, match="method='transform' supports only background='uniform'"):
        ExactInteractions("transform", background=np.zeros((2, 3), dtype=np.uint8))
    with pytest.raises(InvalidParameterError, match="method must be 'brute' or 'transform'"):
        ExactInteractions("dense")
    with pytest.raises(InvalidParameterError, match="oracle must be"):
        ExactInteractions(oracle="sympy")


def test_the_protocol_validates_its_arguments():
    baseline = ExactInteractions()
    assert isinstance(baseline, InteractionBaseline)
    model = lambda codes: codes.sum(axis=1)  # noqa: E731
    X = np.zeros((2, 4), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match=r"index must be one of \['SII'.*got 'Banzhaf'"):
        _explain(baseline, model, X, 4, 3, "Banzhaf", 2)
    with pytest.raises(InvalidParameterError, match=r"order must be an integer in 1..4 .*order=5"):
        _explain(baseline, model, X, 4, 3, "SII", 5)
    with pytest.raises(InvalidParameterError, match="order must be an integer in 1..4"):
        _explain(baseline, model, X, 4, 3, "SII", 0)
    with pytest.raises(InvalidParameterError, match="index 'SV' .* has order 1; got order=2"):
        _explain(baseline, model, X, 4, 3, "SV", 2)
    with pytest.raises(InvalidSequenceError, match=r"expected sequences of length 5 in 'X', got length 4"):
        _explain(baseline, model, X, 5, 3, "SII", 2)
    with pytest.raises(InvalidSequenceError, match=r"X\[0\] has code \d+ at position 1 .* range 0\.\.1"):
        _explain(baseline, model, X + 2, 4, 2, "SII", 2)
    with pytest.raises(InvalidParameterError, match="random_state"):
        _explain(baseline, model, X, 4, 3, "SII", 2, random_state=-1)
    # order=None: 2 for the interaction indices (at most n), 1 for SV.
    assert _explain(baseline, model, X, 4, 3, "STII").order == 2
    assert _explain(baseline, model, X[:, :1], 1, 3, "STII").order == 1
    assert _explain(baseline, model, X, 4, 3, "SV").order == 1


# -- shapiq's approximators at full budget against the exact values ------------------------

# (approximator, index, relative tolerance). The Monte-Carlo estimators reduce to the index
# definitions when every coalition is evaluated. The regression estimators give the empty
# and full coalitions a 1e8 weight instead of hard constraints: over 8 seeds the largest
# error relative to the largest exact value was 1.1e-7 for KernelSHAP-IQ (margin 9) and
# 2.0e-6 for RegressionFSII (margin 10).
FULL_BUDGET_CASES = [
    *[(name, index, 1e-12) for name in ("SHAPIQ", "SVARMIQ") for index in ("SV", "SII", "k-SII", "STII")],
    *[("KernelSHAPIQ", index, 1e-6) for index in ("SV", "SII", "k-SII")],
    *[("RegressionFSII", index, 2e-5) for index in ("SV", "FSII")],
]


@pytest.mark.parametrize(("approximator", "index", "rtol"), FULL_BUDGET_CASES)
def test_estimators_with_every_coalition_match_exact_on_the_same_background(approximator, index, rtol, seed):
    n, q = 6, 4
    model, X, rng = _problem(seed, 7, n, q)
    background = rng.integers(0, q, size=(6, n))
    exact_baseline = ExactInteractions(background=background)
    for order in ORDERS[index] if index == "SV" else (2, 3):
        exact = _explain(exact_baseline, model, X, n, q, index, order)
        result = _explain(ShapiqInteractions(approximator, 2**n, background=background), model, X, n, q, index, order)
        scale = np.abs(exact.values).max()
        assert_allclose(result.values, exact.values, atol=rtol * scale + 1e-12, err_msg=f"{index} {order}")
        assert_allclose(result.base_values, exact.base_values, atol=1e-12)
        assert result.method == f"shapiq-{approximator}" and result.subsets == exact.subsets


@pytest.mark.parametrize("approximator", ["SHAPIQ", "SVARMIQ", "KernelSHAPIQ", "RegressionFSII"])
def test_sampling_estimators_use_the_budget_they_are_given(approximator, seed):
    n, q, B = 6, 3, 7
    model, X, _ = _problem(seed, 8, n, q, N=3)
    index = "FSII" if approximator == "RegressionFSII" else "k-SII"
    for budget in (40, 100):  # below and above 2**n = 64: shapiq stops at every coalition
        rows = RowCounter(model)
        baseline = ShapiqInteractions(approximator, budget, background_size=B)
        result = _explain(baseline, rows, X, n, q, index, 2, random_state=seed)
        coalitions = min(budget, 2**n)
        # B rows for the base value, then B rows per coalition of every sequence.
        assert result.n_model_queries == rows.rows == B + len(X) * coalitions * B
        assert result.params["coalitions"] == [coalitions] * len(X)
        assert result.params["background_size"] == B


def test_same_seed_same_values_and_the_background_is_the_first_draw(seed):
    n, q, B = 6, 4, 8
    model, X, _ = _problem(seed, 9, n, q)
    state = np.random.get_state()
    baseline = ShapiqInteractions("SHAPIQ", budget=30, background_size=B)
    first = _explain(baseline, model, X, n, q, "k-SII", 2, random_state=seed)
    again = _explain(baseline, model, X, n, q, "k-SII", 2, random_state=seed)
    other = _explain(baseline, model, X, n, q, "k-SII", 2, random_state=seed + 1)
    assert np.array_equal(first.values, again.values) and np.array_equal(first.base_values, again.base_values)
    assert np.abs(first.values - other.values).max() > 1e-6
    assert_allclose(np.random.get_state()[1], state[1])  # the caller's global RNG is untouched
    # The uniform background is np.random.default_rng(seed)'s first draw: rebuilt and given
    # explicitly, with every coalition evaluated (so the sampler's seeds do not matter),
    # the values are the same.
    rebuilt = np.random.default_rng(seed).integers(0, q, size=(B, n), dtype=np.uint8)
    full = ShapiqInteractions("SHAPIQ", budget=2**n, background_size=B)
    explicit = ShapiqInteractions("SHAPIQ", budget=2**n, background=rebuilt)
    assert_allclose(
        _explain(full, model, X, n, q, "SII", 2, random_state=seed).values,
        _explain(explicit, model, X, n, q, "SII", 2, random_state=123).values,
        atol=1e-12,
    )


def test_shapiq_interactions_refuses_bad_settings():
    model = lambda codes: codes.sum(axis=1)  # noqa: E731
    X = np.zeros((1, 8), dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match=r"approximator must be one of \['SHAPIQ', .*got 'SHAP-IQ'"):
        ShapiqInteractions("SHAP-IQ")
    with pytest.raises(InvalidParameterError, match="budget must be an integer >= 2"):
        ShapiqInteractions("SHAPIQ", budget=1)
    with pytest.raises(InvalidParameterError, match="background must be 'uniform'"):
        ShapiqInteractions("SHAPIQ", background="data")
    calls = RowCounter(model)
    for approximator in ("SPEX", "ProxySPEX"):
        with pytest.raises(InvalidParameterError, match=f"'k-SII' is refused for {approximator}.*aggregated twice"):
            _explain(ShapiqInteractions(approximator), calls, X, 8, 4, "k-SII", 2)
        with pytest.raises(InvalidParameterError, match="index 'SII' is not supported"):
            _explain(ShapiqInteractions(approximator), calls, X, 8, 4, "SII", 2)
    with pytest.raises(InvalidParameterError, match=r"index 'FSII' is not supported .*\['SV', 'SII', 'k-SII', 'STII'\]"):
        _explain(ShapiqInteractions("SHAPIQ"), calls, X, 8, 4, "FSII", 2)
    with pytest.raises(InvalidParameterError, match="index 'STII' is not supported"):
        _explain(ShapiqInteractions("KernelSHAPIQ"), calls, X, 8, 4, "STII", 2)
    with pytest.raises(InvalidParameterError, match="order must be an integer in 1..8"):
        _explain(ShapiqInteractions("SHAPIQ"), calls, X, 8, 4, "SII", 9)
    with pytest.raises(InvalidSequenceError, match="expected sequences of length 7 in 'X'"):
        _explain(ShapiqInteractions("SHAPIQ"), calls, X, 7, 4, "SII", 2)
    with pytest.raises(InvalidSequenceError, match="expected sequences of length 8 in 'background'"):
        _explain(ShapiqInteractions("SHAPIQ", background=np.zeros((3, 6), dtype=int)), calls, X, 8, 4, "SII", 2)
    assert calls.rows == 0  # every refusal came before the first model query


# -- the sparse approximators (SPEX's first run compiles galois' BCH decoder: ~12 s) ------


@pytest.mark.slow
def test_spex_recovers_a_sparse_game_and_counts_its_queries(seed):
    # n = 8: SPEX needs at least 264 coalitions at this n; 512 >= 2**n buys a b = 3 design of
    # 504 (repeats included). Over 8 seeds the largest error was 1.1e-5 relative to the
    # largest exact value (its lasso refit shrinks slightly): rtol 1e-4 leaves a margin of 9.
    n, q, B = 8, 4, 5
    model, X, rng = _problem(seed, 11, n, q, max_degree=3, N=1)
    background = rng.integers(0, q, size=(B, n))
    baseline = ShapiqInteractions("SPEX", budget=512, background=background)
    for index in ("SV", "FSII", "STII", "Moebius"):
        order = None if index == "SV" else 2
        rows = RowCounter(model)
        result = _explain(baseline, rows, X, n, q, index, order, random_state=seed)
        exact = _explain(ExactInteractions(background=background), model, X, n, q, index, order)
        scale = np.abs(exact.values).max()
        assert_allclose(result.values, exact.values, atol=1e-4 * scale, err_msg=index)
        coalitions = result.params["coalitions"]
        assert coalitions == result.params["estimation_budget"] and coalitions[0] <= 512
        assert result.n_model_queries == rows.rows == B + sum(coalitions) * B
    again = _explain(baseline, model, X, n, q, "Moebius", 2, random_state=seed)
    assert np.array_equal(again.values, result.values)  # same seed, same design, same values


@pytest.mark.slow
def test_spex_states_its_minimum_budget(seed):
    model, X, _ = _problem(seed, 12, 8, 4, max_degree=3, N=1)
    with pytest.raises(InvalidParameterError, match="budget=200 is too small for SPEX at seq_length=8: it needs at least 264"):
        _explain(ShapiqInteractions("SPEX", budget=200, background_size=3), model, X, 8, 4, "SV")


@pytest.mark.slow
def test_proxyspex_approximates_quietly_and_deterministically(seed, capfd):
    pytest.importorskip("lightgbm", reason="ProxySPEX fits a LightGBM proxy")
    # ProxySPEX is never exact: it fits a LightGBM proxy and keeps 95% of its Fourier energy.
    # With all 2**8 coalitions, over 8 seeds the FSII values had Pearson 0.90..0.98 with the
    # exact ones (NMSE up to 0.18); 0.8 leaves a margin.
    n, q, B = 8, 4, 5
    model, X, rng = _problem(seed, 13, n, q, max_degree=3, N=1)
    background = rng.integers(0, q, size=(B, n))
    baseline = ShapiqInteractions("ProxySPEX", budget=2**n, background=background)
    rows = RowCounter(model)
    result = _explain(baseline, rows, X, n, q, "FSII", 2, random_state=seed)
    exact = _explain(ExactInteractions(background=background), model, X, n, q, "FSII", 2)
    assert np.corrcoef(result.values.ravel(), exact.values.ravel())[0, 1] > 0.8
    assert result.n_model_queries == rows.rows == B + 2**n * B
    again = _explain(baseline, model, X, n, q, "FSII", 2, random_state=seed)
    assert np.array_equal(again.values, result.values)
    # LightGBM's grid-search notices are collected, not printed.
    out, err = capfd.readouterr()
    assert "LightGBM" not in out + err
    assert any(note.startswith("lightgbm:") for note in result.params["warnings"])

"""MonteCarloSHAP: an unbiased estimate of the uniform value function's Shapley values."""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from baselines.exact import ExactSHAP
from baselines.montecarlo import MonteCarloSHAP
from shap_zero.exceptions import InvalidParameterError


def test_errors_are_standard_normal_against_enumeration(seed):
    """(estimate - exact) / standard error has mean ~0 and variance ~1 over 150 entries."""
    n, q = 6, 3
    sketch = sz.random_sparse_sketch(n, q, 25, max_degree=3, random_state=seed)
    X = np.random.default_rng(seed).integers(0, q, (25, n))
    exact = ExactSHAP().explain(sketch, X, seq_length=n, alphabet=q).values
    estimator = MonteCarloSHAP(400)
    result = estimator.explain(sketch, X, seq_length=n, alphabet=q, random_state=seed)
    z = ((result.values - exact) / estimator.standard_errors_).ravel()
    # 150 entries: the mean of z has s.d. 0.08, the mean of z^2 about 0.12 (dependent rows widen this a bit).
    assert abs(z.mean()) < 0.4
    assert 0.6 < np.mean(z**2) < 1.5
    assert result.n_model_queries == X.shape[0] * (400 * n + 1)


def test_converges_and_is_deterministic(seed):
    n, q = 5, 4
    sketch = sz.random_sparse_sketch(n, q, 20, max_degree=2, random_state=seed + 1)
    X = np.random.default_rng(seed).integers(0, q, (4, n))
    exact = ExactSHAP().explain(sketch, X, seq_length=n, alphabet=q).values
    few = MonteCarloSHAP(20).explain(sketch, X, seq_length=n, alphabet=q, random_state=seed).values
    many = MonteCarloSHAP(20_000).explain(sketch, X, seq_length=n, alphabet=q, random_state=seed).values
    assert np.abs(many - exact).max() < np.abs(few - exact).max()
    again = MonteCarloSHAP(20).explain(sketch, X, seq_length=n, alphabet=q, random_state=seed).values
    np.testing.assert_array_equal(few, again)


def test_splitting_into_model_calls_does_not_change_the_estimate(seed):
    n, q = 5, 2
    sketch = sz.random_sparse_sketch(n, q, 8, max_degree=2, random_state=seed)
    X = np.random.default_rng(seed).integers(0, q, (2, n))
    one_call = MonteCarloSHAP(40).explain(sketch, X, seq_length=n, alphabet=q, random_state=seed)
    many_calls = MonteCarloSHAP(40, max_rows=2 * n).explain(
        sketch, X, seq_length=n, alphabet=q, random_state=seed
    )
    assert one_call.n_model_queries == many_calls.n_model_queries
    # Same draws in another batching: the same permutations and completions, in the same order.
    np.testing.assert_allclose(one_call.values, many_calls.values, atol=1e-12)


def test_bad_settings():
    with pytest.raises(InvalidParameterError, match="even"):
        MonteCarloSHAP(3)
    with pytest.raises(InvalidParameterError, match="n_permutations"):
        MonteCarloSHAP(0)


def _exact_pairs(sketch, X, n, q, index):
    from shap_zero import oracle

    weights, probs = oracle.uniform_background(n, q)
    exact = oracle.brute_force_interactions(sketch.predict, X, weights, probs, q, index, 2)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return np.array([[values[pair] for pair in pairs] for values in exact])


def test_pair_interactions_are_unbiased_against_enumeration(seed):
    """(estimate - exact SII) / standard error is about standard normal over every pair."""
    from baselines.montecarlo import MonteCarloPairInteractions

    n, q = 6, 3
    sketch = sz.random_sparse_sketch(n, q, 25, max_degree=3, random_state=seed)
    X = np.random.default_rng(seed).integers(0, q, (10, n))
    exact = _exact_pairs(sketch, X, n, q, "SII")
    estimator = MonteCarloPairInteractions(600)
    values = estimator.explain(sketch.predict, X, seq_length=n, alphabet=q, random_state=seed)
    z = ((values - exact) / estimator.standard_errors_).ravel()
    assert abs(z.mean()) < 0.4  # 150 entries
    assert 0.6 < np.mean(z**2) < 1.5
    assert estimator.n_model_queries_ == X.shape[0] * (600 * (2 * n - 1) + 1)
    assert estimator.counts_.sum(axis=1).tolist() == [600 * (n - 1)] * X.shape[0]
    # At order 2 the k-SII of a pair is its SII.
    np.testing.assert_allclose(_exact_pairs(sketch, X, n, q, "k-SII"), exact, atol=1e-12)


def test_pair_interactions_are_exact_for_an_additive_model_and_deterministic(seed):
    """An additive model has no interactions: every second difference is 0."""
    from baselines.montecarlo import MonteCarloPairInteractions

    n, q = 7, 4
    table = np.random.default_rng(seed).normal(size=(n, q))
    model = lambda codes: table[np.arange(n), codes].sum(axis=1)  # noqa: E731
    X = np.random.default_rng(seed).integers(0, q, (3, n))
    estimator = MonteCarloPairInteractions(60, max_rows=50)
    values = estimator.explain(model, X, seq_length=n, alphabet=q, random_state=seed)
    np.testing.assert_allclose(values, 0.0, atol=1e-12)
    sketch = sz.random_sparse_sketch(n, q, 12, max_degree=2, random_state=seed)
    first = MonteCarloPairInteractions(60).explain(
        sketch.predict, X, seq_length=n, alphabet=q, random_state=seed
    )
    split = MonteCarloPairInteractions(60, max_rows=3 * n).explain(
        sketch.predict, X, seq_length=n, alphabet=q, random_state=seed
    )
    np.testing.assert_allclose(first, split, atol=1e-12)


def test_pair_interactions_refuse_too_few_permutations():
    from baselines.montecarlo import MonteCarloPairInteractions

    sketch = sz.random_sparse_sketch(12, 4, 5, random_state=0)
    with pytest.raises(InvalidParameterError, match="fewer than 2 samples .* at least 48"):
        MonteCarloPairInteractions(2).explain(
            sketch.predict, np.zeros((1, 12), int), seq_length=12, alphabet=4, random_state=0
        )
    with pytest.raises(InvalidParameterError, match="n_permutations"):
        MonteCarloPairInteractions(0)

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
    many_calls = MonteCarloSHAP(40, max_rows=2 * n).explain(sketch, X, seq_length=n, alphabet=q, random_state=seed)
    assert one_call.n_model_queries == many_calls.n_model_queries
    # Same draws in another batching: the same permutations and completions, in the same order.
    np.testing.assert_allclose(one_call.values, many_calls.values, atol=1e-12)


def test_bad_settings():
    with pytest.raises(InvalidParameterError, match="even"):
        MonteCarloSHAP(3)
    with pytest.raises(InvalidParameterError, match="n_permutations"):
        MonteCarloSHAP(0)

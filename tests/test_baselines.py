"""The baselines (baselines/): exact enumeration, KernelSHAP and permutation SHAP.

Oracles: shap_zero's ZeroExplainer with an exact sketch (for ExactSHAP), ExactSHAP (for
the sampling baselines given the full enumeration as background), efficiency, and an
independent count of model rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from baselines import Baseline, BaselineResult, CountingModel, ExactSHAP, KernelSHAP, PermutationSHAP
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError
from shap_zero.oracle import MAX_ORACLE_N, all_sequences
from tests._counting import RowCounter

Q = 4


def _model(n: int, seed: int, pairwise_only: bool = False):
    """Per-position effects plus pair terms and (unless pairwise_only) triple terms."""
    weights = np.random.default_rng(seed).normal(size=(n, Q))

    def model(codes):
        codes = np.asarray(codes).astype(np.int64)
        out = weights[np.arange(n), codes].sum(axis=1)
        if pairwise_only:
            return out + np.tanh(codes[:, 0] * codes[:, 1]) + 0.5 * (codes[:, 2] == codes[:, n - 1])
        return (
            out
            + np.tanh(codes[:, 0] * codes[:, 1] - codes[:, n - 1])
            + 0.3 * (codes[:, 2] == codes[:, n - 1]) * (codes[:, 1] == 1)
        )

    return model


@pytest.fixture
def problem(rng):
    n = 5
    model = _model(n, int(rng.integers(1 << 30)))
    X = rng.integers(0, Q, size=(4, n))
    return n, model, X


def _explain(baseline, model, X, n, random_state=0):
    return baseline.explain(model, X, seq_length=n, alphabet=Q, random_state=random_state)


# -- the protocol ---------------------------------------------------------------------


def test_result_fields_and_protocol(problem):
    n, model, X = problem
    for baseline in (ExactSHAP(), KernelSHAP(nsamples=64), PermutationSHAP(max_evals=55)):
        assert isinstance(baseline, Baseline)
        result = _explain(baseline, model, X, n)
        assert isinstance(result, BaselineResult)
        assert result.values.shape == (len(X), n) and result.values.dtype == np.float64
        assert result.base_values.shape == (len(X),)
        assert result.method == baseline.name and result.seconds > 0 and result.n_model_queries > 0
        assert isinstance(result.params, dict) and "background" in result.params
        with pytest.raises(AttributeError, match="cannot assign to field 'method'"):
            result.method = "other"  # frozen


def test_counting_model_counts_rows_and_calls_and_converts_codes():
    seen = []
    counting = CountingModel(lambda codes: seen.append(codes.dtype) or codes.sum(axis=1), seq_length=3, q=4)
    assert_allclose(counting(np.array([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]])), [4.0, 6.0])
    counting(np.zeros((5, 3), dtype=np.int64))
    assert (counting.rows, counting.calls) == (7, 2) and seen == [np.uint8, np.uint8]
    with pytest.raises(InvalidParameterError, match="whole numbers"):
        counting(np.full((1, 3), 0.5))


# -- ExactSHAP ------------------------------------------------------------------------


def test_exact_matches_zero_explainer_under_the_uniform_background(problem):
    n, model, X = problem
    result = _explain(ExactSHAP(), model, X, n)
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n)
    assert_allclose(result.values, explainer.shap_values(X), atol=1e-9)
    assert_allclose(result.base_values, explainer.expected_value, atol=1e-9)


def test_exact_matches_zero_explainer_under_a_background_set(problem, rng):
    n, model, X = problem
    background = rng.integers(0, Q, size=(7, n)).astype(np.uint8)
    result = _explain(ExactSHAP(background=background), model, X, n)
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n, background=background)
    assert_allclose(result.values, explainer.shap_values(X), atol=1e-9)
    assert_allclose(result.base_values, model(background).mean(), atol=1e-9)


def test_exact_counts_its_queries(problem, rng):
    n, model, X = problem
    rows = RowCounter(model)
    result = _explain(ExactSHAP(), rows, X, n)
    assert result.n_model_queries == rows.rows == len(X) * (Q + 1) ** n
    background = rng.integers(0, Q, size=(3, n))
    rows = RowCounter(model)
    result = _explain(ExactSHAP(background=background), rows, X, n)
    assert result.n_model_queries == rows.rows == len(X) * len(background) * 2**n


def test_exact_refuses_sequences_longer_than_the_oracle_limit():
    n = MAX_ORACLE_N + 1
    with pytest.raises(InvalidParameterError, match=f"seq_length.*MAX_ORACLE_N = {MAX_ORACLE_N}.*{n}"):
        ExactSHAP().explain(lambda c: c.sum(1), np.zeros((1, n), dtype=np.uint8), seq_length=n, alphabet=Q)


# -- the sampling baselines against the exact values ------------------------------------


def test_kernelshap_with_the_full_enumeration_is_exact(problem):
    n, model, X = problem
    exact = _explain(ExactSHAP(), model, X, n)
    # nsamples >= 2**n - 2 enumerates every coalition: the regression is exact.
    result = _explain(KernelSHAP(nsamples=2**n, background=all_sequences(n, Q)), model, X, n)
    assert_allclose(result.values, exact.values, atol=1e-6)
    assert_allclose(result.base_values, exact.base_values, atol=1e-9)


def test_permutation_with_the_full_enumeration_is_close_to_exact(problem, seed):
    n, model, X = problem
    exact = _explain(ExactSHAP(), model, X, n)
    # 100 antithetic permutations (max_evals = 100 * (2n + 1)). The value function is
    # exact (the full enumeration), so the only error is permutation sampling, which
    # shrinks as 1/sqrt(permutations): measured over 30 seeds, the largest absolute
    # error was 0.018 (median 0.007) on values of size ~1-3; 0.05 leaves a margin of 2.8.
    baseline = PermutationSHAP(max_evals=100 * (2 * n + 1), background=all_sequences(n, Q))
    result = _explain(baseline, model, X, n, seed)
    assert np.abs(result.values - exact.values).max() < 0.05
    assert_allclose(result.base_values, exact.base_values, atol=1e-9)


def test_permutation_is_exact_for_pairwise_models_with_one_permutation(rng):
    # A forward and a backward pass give every pair term to both players in halves:
    # for games of order <= 2 one antithetic permutation is exact.
    n = 5
    model = _model(n, int(rng.integers(1 << 30)), pairwise_only=True)
    X = rng.integers(0, Q, size=(3, n))
    exact = _explain(ExactSHAP(), model, X, n)
    result = _explain(PermutationSHAP(max_evals=2 * n + 1, background=all_sequences(n, Q)), model, X, n)
    assert_allclose(result.values, exact.values, atol=1e-10)


@pytest.mark.parametrize("baseline", [KernelSHAP(), PermutationSHAP()], ids=["kernelshap", "permutation"])
def test_a_random_uniform_background_approximates_the_uniform_value_function(problem, baseline, seed):
    n, model, X = problem
    exact = _explain(ExactSHAP(), model, X, n)
    result = _explain(baseline, model, X, n, seed)
    assert np.corrcoef(result.values.ravel(), exact.values.ravel())[0, 1] > 0.9
    # 100 random sequences are not the uniform distribution: the values differ.
    assert np.abs(result.values - exact.values).max() > 1e-6
    assert np.abs(result.base_values - exact.base_values).max() > 1e-6


@pytest.mark.parametrize(
    ("baseline", "tolerance"),
    [
        (ExactSHAP(), 1e-10),
        (KernelSHAP(nsamples=20), 1e-8),  # efficiency is a constraint of the regression
        (PermutationSHAP(max_evals=55), 1e-10),  # forward and backward sums telescope
    ],
    ids=["exact", "kernelshap", "permutation"],
)
def test_efficiency(problem, baseline, tolerance):
    n, model, X = problem
    result = _explain(baseline, model, X, n)
    assert_allclose(result.values.sum(axis=1) + result.base_values, model(X), atol=tolerance)


def test_sampling_baselines_report_their_query_counts(problem):
    n, model, X = problem
    rows = RowCounter(model)
    result = _explain(KernelSHAP(nsamples=16, background_size=10), rows, X, n)
    # 10 background rows for the base value, then f(x) and 16 coalitions x 10 rows each.
    assert result.n_model_queries == rows.rows == 10 + len(X) * (1 + 16 * 10)
    rows = RowCounter(model)
    result = _explain(PermutationSHAP(max_evals=55, background_size=10), rows, X, n)
    assert result.n_model_queries == rows.rows > 0


SMALL_SAMPLERS = [KernelSHAP(nsamples=12), PermutationSHAP(max_evals=33)]


# -- randomness -----------------------------------------------------------------------


@pytest.mark.parametrize("baseline", SMALL_SAMPLERS, ids=["kernel", "perm"])
def test_the_global_numpy_rng_is_left_alone(problem, baseline):
    n, model, X = problem
    np.random.seed(1234)
    before = np.random.get_state()
    _explain(baseline, model, X, n, random_state=5)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("baseline", SMALL_SAMPLERS, ids=["kernel", "perm"])
def test_the_same_random_state_gives_the_same_values(problem, baseline, seed):
    n, model, X = problem
    first = _explain(baseline, model, X, n, random_state=seed)
    again = _explain(baseline, model, X, n, random_state=seed)
    other = _explain(baseline, model, X, n, random_state=seed + 1)
    assert np.array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)
    generator = _explain(baseline, model, X, n, random_state=np.random.default_rng(seed))
    assert generator.values.shape == first.values.shape


# -- errors ---------------------------------------------------------------------------


def test_bad_arguments_are_named(problem):
    n, model, X = problem
    with pytest.raises(InvalidParameterError, match="nsamples.*>= 1.*0"):
        KernelSHAP(nsamples=0)
    with pytest.raises(InvalidParameterError, match="background_size"):
        KernelSHAP(background_size=-1)
    with pytest.raises(InvalidParameterError, match="max_evals.*2n \\+ 1 = 11.*10"):
        _explain(PermutationSHAP(max_evals=10), model, X, n)
    with pytest.raises(InvalidParameterError, match="background must be 'uniform'"):
        ExactSHAP(background="normal")
    for baseline in (ExactSHAP, KernelSHAP, PermutationSHAP):
        wrong_width = baseline(background=np.zeros((3, n + 1), dtype=np.uint8))
        with pytest.raises(InvalidSequenceError, match=f"expected sequences of length {n} in 'background'"):
            _explain(wrong_width, model, X, n)
    with pytest.raises(InvalidSequenceError, match="expected sequences of length .* in 'X'"):
        _explain(ExactSHAP(), model, X[:, :-1], n)
    with pytest.raises(InvalidSequenceError, match=r"X\[0\] has code \d+ at position 1 .* range 0\.\.3"):
        _explain(ExactSHAP(), model, X + 4, n)
    with pytest.raises(InvalidParameterError, match="alphabet"):
        ExactSHAP().explain(model, X, seq_length=n, alphabet="DNA")
    with pytest.raises(InvalidParameterError, match="model must be a callable"):
        ExactSHAP().explain("not a model", X, seq_length=n, alphabet=Q)

"""The harness's metrics against slow, obviously correct twins."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import metrics


def test_pearson_and_nmse_match_definitions(rng):
    reference = rng.normal(size=(7, 5))
    estimate = reference + 0.3 * rng.normal(size=(7, 5))
    assert metrics.pearson(estimate, reference) == pytest.approx(np.corrcoef(estimate.ravel(), reference.ravel())[0, 1])
    squared = sum((e - r) ** 2 for e, r in zip(estimate.ravel(), reference.ravel(), strict=True))
    assert metrics.nmse(estimate, reference) == pytest.approx(squared / sum(r * r for r in reference.ravel()))
    assert metrics.nmse(reference, reference) == 0.0
    assert math.isnan(metrics.pearson(np.ones((2, 3)), reference[:2, :3]))


def test_top_k_recall_matches_a_loop(rng):
    reference = rng.normal(size=(20, 9))
    estimate = reference + rng.normal(size=(20, 9))
    for k in (1, 3, 9):
        hits = []
        for e, r in zip(estimate, reference, strict=True):
            top_e = set(sorted(range(9), key=lambda i: -abs(e[i]))[:k])
            top_r = set(sorted(range(9), key=lambda i: -abs(r[i]))[:k])
            hits.append(len(top_e & top_r) / k)
        assert metrics.top_k_recall(estimate, reference, k) == pytest.approx(np.mean(hits))
    assert metrics.top_k_recall(reference, reference, 3) == 1.0


def test_sign_agreement_ignores_near_zero_reference_entries():
    reference = np.array([[1.0, -2.0, 0.01, 4.0]])
    estimate = np.array([[1.0, 2.0, -5.0, 4.0]])  # wrong sign at 1 (counted) and 2 (below 5% of 4: ignored)
    assert metrics.sign_agreement(estimate, reference) == pytest.approx(2 / 3)


def test_break_even_is_the_first_n_where_a_is_cheaper():
    cases = [(100.0, 0.5, 0.0, 3.0), (5.0, 1.0, 0.0, 1.5), (0.0, 1.0, 2.0, 2.0), (10.0, 2.0, 0.0, 1.0), (7.0, 0.0, 0.0, 0.7)]
    for a0, a1, b0, b1 in cases:
        expected = next((n for n in range(1, 10_000) if a0 + n * a1 <= b0 + n * b1), math.inf)
        assert metrics.break_even(a0, a1, b0, b1) == expected
    np.testing.assert_allclose(metrics.amortized_cost(3.0, 2.0, np.array([1, 10])), [5.0, 23.0])


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="same shape"):
        metrics.nmse(np.zeros((2, 3)), np.zeros((3, 2)))


def test_cost_at_error_interpolates_on_the_frontier():
    costs = np.array([1.0, 10.0, 100.0, 5.0])
    errors = np.array([0.5, 0.05, 0.005, 0.6])  # the last setting is dominated (dearer and worse than the first)
    # At a measured point: its cost.
    cost, kind, bracket = metrics.cost_at_error(costs, errors, 0.05)
    assert kind == "interpolated" and cost == pytest.approx(10.0) and set(bracket) <= {0, 1, 2}
    # Halfway in log(error) between settings 1 and 2: halfway in log(cost), sqrt(10 * 100).
    cost, kind, bracket = metrics.cost_at_error(costs, errors, math.sqrt(0.05 * 0.005))
    assert kind == "interpolated" and bracket == (1, 2) and cost == pytest.approx(math.sqrt(1000.0))
    # Outside the measured range: the nearest end, labelled.
    assert metrics.cost_at_error(costs, errors, 1e-4) == (100.0, "less accurate", (2, 2))
    assert metrics.cost_at_error(costs, errors, 0.9) == (1.0, "more accurate", (0, 0))


def test_cost_at_error_is_monotone_in_the_target(rng):
    costs = np.sort(rng.uniform(1, 1000, 6))
    errors = np.sort(rng.uniform(0.001, 1, 6))[::-1]
    targets = np.geomspace(errors.min(), errors.max(), 50)
    found = [metrics.cost_at_error(costs, errors, t)[0] for t in targets]
    assert np.all(np.diff(found) <= 1e-9)  # a looser target never costs more


def test_noise_corrected_nmse_is_unbiased_for_the_error_against_the_truth():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(20, 10))
    estimate = truth + rng.normal(scale=0.3, size=truth.shape)
    true_nmse = metrics.nmse(estimate, truth)
    standard_errors = np.full(truth.shape, 0.5)  # reference noise larger than the estimate's error
    draws = [
        metrics.noise_corrected_nmse(estimate, truth + rng.normal(size=truth.shape) * standard_errors, standard_errors)
        for _ in range(2000)
    ]
    corrected = np.array([draw["corrected_nmse"] for draw in draws])
    raw = np.array([draw["nmse"] for draw in draws])
    # The raw NMSE against the noisy reference is biased up; the corrected one is not.
    assert raw.mean() > true_nmse + 0.1
    assert abs(corrected.mean() - true_nmse) < 4 * corrected.std() / np.sqrt(corrected.size)
    floor = metrics.noise_corrected_nmse(truth, truth, standard_errors)["floor"]
    assert floor == pytest.approx(np.sum(standard_errors**2) / np.sum(truth**2))

"""The accuracy check of SHAP values: plan layout, unbiased Monte Carlo, NMSE and interval."""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from shap_zero.attribution import Background, shapley_values
from shap_zero.engines.accuracy import (
    POOR_NMSE,
    CheckPlan,
    ShapAccuracy,
    check_cost,
    draw_check_plan,
    estimate_shap_accuracy,
    monte_carlo_shapley,
)
from shap_zero.exceptions import InvalidParameterError

N, Q = 6, 3

# Fixed, clearly non-uniform backgrounds: the MC test must tell them from the uniform one.
FREQUENCIES = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.0, 0.5, 0.5],
        [0.1, 0.1, 0.8],
        [1 / 3, 1 / 3, 1 / 3],
        [0.6, 0.0, 0.4],
        [0.2, 0.7, 0.1],
    ]
)
BACKGROUND_SEQUENCES = np.array(
    [[0, 1, 2, 0, 1, 2], [2, 2, 2, 0, 0, 0], [1, 0, 1, 0, 1, 0], [2, 2, 2, 0, 0, 0]]
)
BACKGROUNDS = {
    "uniform": Background.uniform(N, Q),
    "product": Background.product(FREQUENCIES),
    "sequences": Background.sequences(BACKGROUND_SEQUENCES, Q),
}


@pytest.fixture
def truth() -> sz.FourierSketch:
    return sz.random_sparse_sketch(N, Q, 12, max_degree=3, random_state=0)


def _drop_terms(sketch: sz.FourierSketch, drop: list[int]) -> sz.FourierSketch:
    keep = np.ones(sketch.n_terms, dtype=bool)
    keep[drop] = False
    # Canonical terms stand for themselves and their conjugates: spectrum="half".
    return sz.FourierSketch(sketch.frequencies[keep], sketch.coefficients[keep], q=sketch.q, spectrum="half")


def _nmse(estimate: np.ndarray, reference: np.ndarray) -> float:
    return float(((estimate - reference) ** 2).sum() / (reference**2).sum())


def test_plan_has_check_cost_rows_of_valid_codes_in_the_documented_layout(rng):
    background = BACKGROUNDS["product"]
    plan = draw_check_plan(N, Q, background, n_sequences=3, n_permutations=6, rng=rng)
    assert check_cost(N, 3, 6) == 3 * (6 * N + 1)
    assert plan.points.shape == (check_cost(N, 3, 6), N) and plan.points.dtype == np.uint8
    assert plan.points.max() < Q and plan.sequences.shape == (3, N) and plan.n_permutations == 6
    blocks = plan.points.reshape(3, 6 * N + 1, N)
    assert np.array_equal(blocks[:, -1], plan.sequences)  # the shared endpoint s_n = x
    chains = np.concatenate(
        [blocks[:, :-1].reshape(3, 6, N, N), np.broadcast_to(plan.sequences[:, None, None], (3, 6, 1, N))],
        axis=2,
    )
    changed = chains[:, :, 1:] != chains[:, :, :-1]  # step k may only touch position pi[k]
    position = np.arange(N)[None, None, None, :] == plan.permutations[:, :, :, None]
    assert not (changed & ~position).any()
    z = chains[:, :, 0]
    assert np.array_equal(z[:, 0::2], z[:, 1::2])  # antithetic pairs share z...
    assert np.array_equal(plan.permutations[:, 1::2], plan.permutations[:, 0::2, ::-1])  # ...and reverse pi
    assert np.array_equal(np.sort(plan.permutations, axis=2), np.broadcast_to(np.arange(N), (3, 6, N)))
    assert (FREQUENCIES[np.arange(N), z] > 0).all()  # symbols of probability 0 are never drawn


def test_a_reference_background_starts_every_chain_at_the_reference(rng):
    reference = np.array([2, 0, 1, 1, 0, 2])
    plan = draw_check_plan(N, Q, Background.reference(reference, Q), n_sequences=2, n_permutations=4, rng=rng)
    starts = plan.points.reshape(2, 4 * N + 1, N)[:, : 4 * N : N]
    assert (starts == reference).all()


@pytest.mark.parametrize("name", list(BACKGROUNDS))
def test_monte_carlo_shapley_values_are_unbiased(truth, rng, name):
    background = BACKGROUNDS[name]
    plan = draw_check_plan(N, Q, background, n_sequences=6, n_permutations=400, rng=rng)
    phi, variance = monte_carlo_shapley(plan, truth.predict(plan.points))
    exact = shapley_values(truth, plan.sequences, background=background)
    # A position whose background symbol is fixed and equal to x's contributes exactly 0.
    certain = variance == 0
    assert np.allclose(phi[certain], exact[certain], atol=1e-9)
    z = (phi - exact)[~certain] / np.sqrt(variance[~certain])
    assert z.size > 20 and np.abs(z).max() < 5 and 0.3 < np.mean(z**2) < 2.5
    if name != "uniform":  # the z really come from the background, not from uniform
        uniform = shapley_values(truth, plan.sequences)[~certain]
        assert np.mean((phi[~certain] - uniform) ** 2 / variance[~certain]) > 5


@pytest.mark.parametrize("max_degree", [1, 3])
def test_variances_match_the_spread_of_repeated_checks(rng, max_degree):
    # se^2 must be unbiased: compare it with the variance across replicate checks. For an
    # additive model both chains of a pair are identical, so treating them as independent
    # would halve it.
    truth = sz.random_sparse_sketch(N, Q, 5 if max_degree == 1 else 12, max_degree=max_degree, random_state=1)
    background = BACKGROUNDS["uniform"]
    sequences = rng.integers(0, Q, size=(2, N))
    replicates = [
        monte_carlo_shapley(plan, truth.predict(plan.points))
        for plan in (
            draw_check_plan(N, Q, background, n_sequences=2, n_permutations=8, rng=rng, sequences=sequences)
            for _ in range(300)
        )
    ]
    estimates = np.array([phi for phi, _ in replicates])
    predicted = np.array([variance for _, variance in replicates]).mean(axis=0).sum()
    assert 0.8 < predicted / estimates.var(axis=0, ddof=1).sum() < 1.25


def test_a_perfect_sketch_scores_about_zero(truth, rng):
    background = BACKGROUNDS["uniform"]
    plan = draw_check_plan(N, Q, background, n_sequences=8, n_permutations=256, rng=rng)
    accuracy = estimate_shap_accuracy(plan, truth.predict(plan.points), truth, background)
    assert accuracy.nmse < 0.04 and accuracy.low == 0 and accuracy.high < 0.1
    assert 0 < accuracy.reference_noise < 0.1 and not accuracy.poor


@pytest.mark.parametrize("name", ["uniform", "product"])
def test_a_wrong_sketch_is_caught_and_its_nmse_covered(truth, name):
    # Coverage is a 95% statement, so this test fixes its own seed instead of using `rng`.
    background = BACKGROUNDS[name]
    wrong = _drop_terms(truth, [3, 8, 10])
    plan = draw_check_plan(N, Q, background, n_sequences=16, n_permutations=64, rng=np.random.default_rng(7))
    accuracy = estimate_shap_accuracy(plan, truth.predict(plan.points), wrong, background)
    true_nmse = _nmse(
        shapley_values(wrong, plan.sequences, background=background),
        shapley_values(truth, plan.sequences, background=background),
    )
    assert true_nmse > 0.05
    assert accuracy.low <= true_nmse <= accuracy.high
    assert abs(accuracy.nmse - true_nmse) < 0.3 * true_nmse
    assert accuracy.low > 0  # a clearly wrong sketch is told apart from a perfect one


def test_plan_and_estimate_are_deterministic(truth, seed):
    background = BACKGROUNDS["sequences"]
    plans = [
        draw_check_plan(N, Q, background, n_sequences=4, n_permutations=8, rng=np.random.default_rng(seed))
        for _ in range(2)
    ]
    for field in ("sequences", "points", "permutations"):
        assert np.array_equal(getattr(plans[0], field), getattr(plans[1], field))
    other = draw_check_plan(
        N, Q, background, n_sequences=4, n_permutations=8, rng=np.random.default_rng(seed + 1)
    )
    assert not np.array_equal(plans[0].points, other.points)
    values = truth.predict(plans[0].points)
    wrong = _drop_terms(truth, [2])
    first, second = (estimate_shap_accuracy(plans[0], values, wrong, background) for _ in range(2))
    assert first == second


def test_given_check_sequences_are_used(rng):
    sequences = rng.integers(0, Q, size=(3, N))
    plan = draw_check_plan(
        N, Q, BACKGROUNDS["uniform"], n_sequences=3, n_permutations=4, rng=rng, sequences=sequences
    )
    assert np.array_equal(plan.sequences, sequences)


def test_a_constant_model_is_reported_as_exact_or_infinitely_wrong(truth, rng):
    background = BACKGROUNDS["product"]
    plan = draw_check_plan(N, Q, background, n_sequences=3, n_permutations=4, rng=rng)
    values = np.full(plan.points.shape[0], 2.5)
    constant = sz.FourierSketch(np.zeros((1, N), dtype=np.uint8), [2.5], q=Q)
    exact = estimate_shap_accuracy(plan, values, constant, background)
    assert (exact.nmse, exact.low, exact.high, exact.reference_noise) == (0.0, 0.0, 0.0, 0.0)
    wrong = estimate_shap_accuracy(plan, values, truth, background)
    assert wrong.nmse == wrong.low == wrong.high == np.inf and wrong.poor


def test_report_text_flag_and_dict():
    accuracy = ShapAccuracy(0.081, 0.05, 0.12, 8, 64, 3080, 0.01)
    assert (
        str(accuracy) == "SHAP-value NMSE 0.081 (95% CI 0.05-0.12) on 8 check sequences, 64 permutations each"
    )
    assert not accuracy.poor and ShapAccuracy(POOR_NMSE * 1.5, 0.1, 0.2, 8, 64, 3080, 0.01).poor
    assert accuracy.to_dict() == {
        "nmse": 0.081, "low": 0.05, "high": 0.12, "n_sequences": 8, "n_permutations": 64,
        "n_queries": 3080, "reference_noise": 0.01, "poor": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_permutations": 7}, "n_permutations: expected an even integer"),
        ({"n_permutations": 2}, "n_permutations: expected an integer >= 4, got 2"),
        ({"n_sequences": 1}, "n_sequences: expected an integer >= 2, got 1"),
        ({"n_sequences": 2.0}, "n_sequences: expected an integer"),
        (
            {"background": Background.uniform(N + 1, Q)},
            "background: expected a background for n=6, q=3; got one for n=7",
        ),
        ({"background": Background.uniform(N, Q + 1)}, "background: .* got one for n=6, q=4"),
        (
            {"sequences": np.zeros((3, N), dtype=np.uint8)},
            r"n_sequences: expected the number of rows of sequences \(3\), got 4",
        ),
        ({"rng": 0}, "rng: expected a numpy.random.Generator, got int"),
        ({"q": 1}, "q: expected an integer between 2 and 255, got 1"),
    ],
)
def test_bad_plan_arguments_are_named(rng, kwargs, match):
    arguments = {
        "background": BACKGROUNDS["uniform"],
        "n_sequences": 4,
        "n_permutations": 4,
        "rng": rng,
        "q": Q,
    }
    arguments.update(kwargs)
    q = arguments.pop("q")
    background = arguments.pop("background")
    with pytest.raises(InvalidParameterError, match=match):
        draw_check_plan(N, q, background, **arguments)


def test_bad_estimate_arguments_are_named(truth, rng):
    background = BACKGROUNDS["uniform"]
    plan = draw_check_plan(N, Q, background, n_sequences=2, n_permutations=4, rng=rng)
    values = truth.predict(plan.points)
    m = plan.points.shape[0]
    with pytest.raises(
        InvalidParameterError, match=rf"values: expected .* shape \({m},\); got shape \({m - 1},\)"
    ):
        estimate_shap_accuracy(plan, values[:-1], truth, background)
    with pytest.raises(InvalidParameterError, match="values: expected finite numbers; got 1 non-finite"):
        estimate_shap_accuracy(plan, np.where(np.arange(m) == 5, np.nan, values), truth, background)
    with pytest.raises(InvalidParameterError, match="sketch: expected a sketch for n=6, q=3 .* got n=7, q=3"):
        estimate_shap_accuracy(plan, values, sz.random_sparse_sketch(N + 1, Q, 4, random_state=0), background)
    with pytest.raises(InvalidParameterError, match="sketch: .* got n=6, q=4"):
        estimate_shap_accuracy(plan, values, sz.random_sparse_sketch(N, Q + 1, 4, random_state=0), background)
    with pytest.raises(InvalidParameterError, match="sketch: expected a shap_zero.FourierSketch, got method"):
        estimate_shap_accuracy(plan, values, truth.predict, background)
    with pytest.raises(InvalidParameterError, match="background: expected a background for n=6, q=3"):
        estimate_shap_accuracy(plan, values, truth, Background.uniform(N, Q + 1))
    with pytest.raises(
        InvalidParameterError, match="background: expected the background the plan was drawn with"
    ):
        estimate_shap_accuracy(plan, values, truth, BACKGROUNDS["product"])
    with pytest.raises(InvalidParameterError, match="plan: expected a CheckPlan, got dict"):
        monte_carlo_shapley({}, values)  # type: ignore[arg-type]
    assert isinstance(plan, CheckPlan)


def test_check_cost_validates_like_the_plan():
    assert check_cost(30, 8, 64) == 8 * (64 * 30 + 1)
    with pytest.raises(InvalidParameterError, match="n_permutations: expected an even integer"):
        check_cost(N, 4, 5)
    with pytest.raises(InvalidParameterError, match="n: expected an integer >= 1, got 0"):
        check_cost(0, 4, 4)

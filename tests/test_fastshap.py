"""FastSHAP (baselines/fastshap.py): the Shapley kernel, the objective, training and cost.

Oracles: the Shapley kernel formula and a chi-square test for the sampler; the
Shapley values from their definition (shap_zero.oracle) for the optimum of the
objective; shap_zero's closed-form Shapley values of random sparse sketches (and, for
additive models, the per-position centered effects computed from the model) for
training; an independent row counter for the cost; ExactSHAP for the background set.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

torch = pytest.importorskip("torch", reason="the fastshap extra (torch==2.13.0) is not installed")

import shap_zero as sz
from baselines import BaselineResult, ExactSHAP, FastSHAP
from baselines.fastshap import (
    _ExplainerNetwork,
    _loss,
    _one_hot,
    sample_shapley_subsets,
    shapley_kernel_size_probabilities,
    shapley_kernel_subset_probabilities,
)
from shap_zero.exceptions import InsufficientBudgetError, InvalidParameterError, InvalidSequenceError
from shap_zero.oracle import all_sequences, shapley_values_from_game, uniform_background, value_function
from tests._counting import RowCounter

REPO = Path(__file__).resolve().parents[1]

#: Small settings for a fast fit at n <= 8 (setup and epoch costs are checked below).
SMALL = {
    "hidden_sizes": (32,),
    "n_train": 200,
    "batch_size": 50,
    "n_subsets": 4,
    "n_empty": 300,
    "max_epochs": 3,
    "patience": 100,
    "validation_size": 20,
    "progress": False,
}


def _toy_model(n: int, q: int, seed: int):
    """Per-position effects plus a pair and a triple term (not additive, not sparse)."""
    weights = np.random.default_rng(seed).normal(size=(n, q))

    def model(codes):
        codes = np.asarray(codes).astype(np.int64)
        out = weights[np.arange(n), codes].sum(axis=1)
        return out + np.tanh(codes[:, 0] * codes[:, 1] - codes[:, n - 1]) + 0.5 * (codes[:, 1] == codes[:, 2])

    return model


def _pearson(a, b):
    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]


def _masks_of_all_proper_subsets(n):
    """Every coalition with 0 < |S| < n, as a bool matrix, and their bitmasks."""
    bitmasks = np.arange(1, 2**n - 1)
    masks = ((bitmasks[:, None] >> np.arange(n)) & 1).astype(bool)
    return masks, bitmasks


def _constrained_least_squares(masks, weights, targets, total):
    """argmin_phi sum_S w_S (targets_S - 1_S^T phi)^2 subject to sum(phi) = total (KKT system)."""
    n = masks.shape[1]
    A = masks.astype(np.float64)
    kkt = np.zeros((n + 1, n + 1))
    kkt[:n, :n] = 2 * A.T @ (weights[:, None] * A)
    kkt[:n, n] = kkt[n, :n] = 1.0
    rhs = np.concatenate([2 * A.T @ (weights * targets), [total]])
    return np.linalg.solve(kkt, rhs)[:n]


# -- the Shapley kernel ------------------------------------------------------------------


def test_kernel_probabilities_follow_the_formula():
    n = 6
    # Independently: p(S) proportional to (n-1) / (C(n,|S|) |S| (n-|S|)) over all proper subsets.
    masks, _ = _masks_of_all_proper_subsets(n)
    sizes = masks.sum(axis=1)
    raw = np.array([(n - 1) / (math.comb(n, k) * k * (n - k)) for k in sizes])
    assert_allclose(shapley_kernel_subset_probabilities(n, sizes), raw / raw.sum(), rtol=1e-12)
    by_size = np.array([(n - 1) / (k * (n - k)) for k in range(1, n)])
    assert_allclose(shapley_kernel_size_probabilities(n), by_size / by_size.sum(), rtol=1e-12)


def test_sampler_draws_sizes_from_the_kernel_and_pairs_complements(seed):
    n, n_pairs = 10, 50_000
    rng = np.random.default_rng(seed)
    masks = sample_shapley_subsets(n, 2 * n_pairs, rng)
    assert masks.shape == (2 * n_pairs, n) and masks.dtype == bool
    drawn, complements = masks[0::2], masks[1::2]
    assert np.array_equal(complements, ~drawn)
    sizes = drawn.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= n - 1
    # The n_pairs drawn rows are independent: a chi-square goodness-of-fit test of their
    # sizes against (n-1)/(k(n-k)), normalized. p > 1e-6 fails by chance once in a
    # million seeds.
    expected = np.array([(n - 1) / (k * (n - k)) for k in range(1, n)])
    expected = n_pairs * expected / expected.sum()
    observed = np.bincount(sizes, minlength=n)[1:]
    assert stats.chisquare(observed, expected).pvalue > 1e-6
    # Given its size a subset is uniform, so every position is in a drawn subset with
    # probability E|S| / n; each count is binomial over n_pairs draws, and |z| < 5.5
    # fails by chance with probability < 1e-6 for the 10 positions together.
    p_in = (np.arange(1, n) * expected).sum() / n_pairs / n
    z = (drawn.sum(axis=0) - n_pairs * p_in) / math.sqrt(n_pairs * p_in * (1 - p_in))
    assert np.abs(z).max() < 5.5


def test_sampler_validates_its_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidParameterError, match="n_samples must be even"):
        sample_shapley_subsets(5, 3, rng)
    with pytest.raises(InvalidParameterError, match="n must be an integer >= 2"):
        sample_shapley_subsets(1, 2, rng)
    assert sample_shapley_subsets(5, 3, rng, paired=False).shape == (3, 5)


# -- the objective ----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "q"), [(5, 3), (4, 2)])
def test_the_kernel_weighted_objective_is_minimised_by_the_shapley_values(rng, n, q):
    # E_{S ~ p_Sh} (v(S) - v(empty) - 1_S^T phi)^2 under sum(phi) = v(all) - v(empty),
    # solved exactly over all 2^n - 2 proper coalitions with the module's weights.
    model = _toy_model(n, q, int(rng.integers(1 << 30)))
    masks, bitmasks = _masks_of_all_proper_subsets(n)
    weights = shapley_kernel_subset_probabilities(n, masks.sum(axis=1))
    for x in rng.integers(0, q, size=(3, n)):
        game = value_function(model, x, *uniform_background(n, q), q)
        phi = _constrained_least_squares(masks, weights, game[bitmasks] - game[0], game[-1] - game[0])
        assert_allclose(phi, shapley_values_from_game(game), atol=1e-10)


def test_paired_kernel_samples_recover_the_shapley_values(rng):
    # The training objective is an unweighted mean over coalitions drawn by the sampler:
    # its minimiser tends to the Shapley values as the sample grows. Measured over seeds
    # 0..19 with 20,000 pairs: the largest error was 5e-4 of max|phi| (median 1e-4).
    n, q = 5, 3
    model = _toy_model(n, q, int(rng.integers(1 << 30)))
    x = rng.integers(0, q, size=n)
    game = value_function(model, x, *uniform_background(n, q), q)
    masks = sample_shapley_subsets(n, 40_000, rng)
    bitmasks = masks @ (1 << np.arange(n))
    phi = _constrained_least_squares(masks, np.ones(len(masks)), game[bitmasks] - game[0], game[-1] - game[0])
    exact = shapley_values_from_game(game)
    assert np.abs(phi - exact).max() < 5e-3 * np.abs(exact).max()


def test_training_loss_is_the_objective_and_forward_is_efficient(rng):
    # The torch loss of the training loop against the formula evaluated in NumPy.
    n, q, b, m = 6, 4, 5, 8
    torch.manual_seed(int(rng.integers(1 << 30)))
    net = _ExplainerNetwork.build(torch, n, q, (16,))
    X = rng.integers(0, q, size=(b, n)).astype(np.uint8)
    gap = rng.normal(size=b)
    masks = sample_shapley_subsets(n, b * m, rng).reshape(b, m, n)
    targets = rng.normal(size=(b, m))
    x = _one_hot(torch, X, q)
    args = [torch.as_tensor(a, dtype=torch.float32) for a in (gap, masks, targets)]
    loss = _loss(torch, net, x, *args).item()
    with torch.no_grad():
        raw = net.raw(x).double().numpy()
        phi = net(x, args[0]).double().numpy()
    assert_allclose(phi, raw + (gap - raw.sum(1))[:, None] / n, rtol=1e-5, atol=1e-6)
    assert_allclose(phi.sum(axis=1), gap, rtol=1e-5, atol=1e-5)  # float32 efficiency
    expected = np.mean((targets - np.einsum("bmn,bn->bm", masks, phi)) ** 2)
    assert_allclose(loss, expected, rtol=1e-5)
    # The one-hot encoding: position-major, q entries per position.
    assert_allclose(x.numpy().reshape(b, n, q), np.eye(q)[X])


# -- explanations -----------------------------------------------------------------------


def test_explanations_are_efficient_and_follow_the_protocol(rng):
    n, q = 6, 4
    model = _toy_model(n, q, int(rng.integers(1 << 30)))
    X = rng.integers(0, q, size=(7, n))
    fastshap = FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, random_state=0)
    result = fastshap.explain(model, X, seq_length=n, alphabet=q)
    assert isinstance(result, BaselineResult) and result.method == "fastshap"
    assert result.values.shape == (7, n) and result.values.dtype == np.float64
    # Efficient normalization, redone in float64 at inference: exact to round-off.
    assert_allclose(result.values.sum(axis=1) + result.base_values, model(X), rtol=1e-10, atol=1e-10)
    assert_allclose(result.base_values, fastshap.null_value_)
    params = result.params
    assert params["amortized"] is True and params["fitted_in_explain"] is False
    assert params["fit_queries"] == fastshap.fit_report_.n_model_queries
    assert params["fit_seconds"] == fastshap.fit_report_.seconds > 0


def test_additive_model_is_learned(seed):
    # A first-order sketch is additive: its Shapley values are the per-position centered
    # effects, phi_i(x) = mean_a [f(x) - f(x with x_i = a)], computed here from the model.
    # Measured over seeds 0..29 with these settings: Pearson min 0.967, median 0.981 (the
    # untrained network: median 0.29, max 0.35). Threshold 0.93.
    n, q = 8, 4
    sketch = sz.random_sparse_sketch(n, q, 12, max_degree=1, random_state=seed)
    X = np.random.default_rng(seed + 1000).integers(0, q, size=(300, n))
    exact = sz.shapley_values(sketch, X)
    centered = np.stack(
        [
            np.mean([sketch(X) - sketch(np.where(np.arange(n) == i, a, X)) for a in range(q)], axis=0)
            for i in range(n)
        ],
        axis=1,
    )
    assert_allclose(exact, centered, atol=1e-9)
    fastshap = FastSHAP(
        hidden_sizes=(64, 64),
        n_train=1000,
        n_subsets=16,
        max_epochs=10,
        validation_size=100,
        n_empty=2000,
        progress=False,
    )
    result = fastshap.explain(sketch, X, seq_length=n, alphabet=q, random_state=seed)
    assert _pearson(result.values, exact) > 0.93


def test_pairwise_model_is_learned(seed):
    # Degree <= 2 sketch. Measured over seeds 0..29 with these settings: Pearson min
    # 0.958, median 0.971. Threshold 0.92.
    n, q = 8, 4
    sketch = sz.random_sparse_sketch(n, q, 20, max_degree=2, random_state=seed)
    X = np.random.default_rng(seed + 1000).integers(0, q, size=(300, n))
    fastshap = FastSHAP(
        hidden_sizes=(128, 128),
        n_train=2000,
        n_subsets=16,
        max_epochs=30,
        validation_size=200,
        n_empty=2000,
        progress=False,
    )
    fastshap.fit(
        sketch, seq_length=n, alphabet=q, random_state=seed, validation=(X, sz.shapley_values(sketch, X))
    )
    result = fastshap.explain(sketch, X, seq_length=n, alphabet=q)
    assert _pearson(result.values, sz.shapley_values(sketch, X)) > 0.92
    # The monitored history agrees with the explanation of the kept (best) epoch.
    report = fastshap.fit_report_
    assert_allclose(
        report.history[report.best_epoch]["pearson"], _pearson(result.values, sz.shapley_values(sketch, X))
    )
    assert report.history[0]["pearson"] < 0.9 <= report.history[report.best_epoch]["pearson"]


# -- cost -------------------------------------------------------------------------------


def test_fit_and_explain_count_their_queries(rng):
    n, q = 6, 4
    model = RowCounter(_toy_model(n, q, int(rng.integers(1 << 30))))
    s = SMALL
    fastshap = FastSHAP(**s).fit(model, seq_length=n, alphabet=q, random_state=1)
    report = fastshap.fit_report_
    setup = s["n_empty"] + s["n_train"] + s["validation_size"] * (1 + s["n_subsets"])
    per_epoch = s["n_train"] * s["n_subsets"]
    assert report.epochs == s["max_epochs"] and report.stopped == "max_epochs"
    assert report.n_model_queries == model.rows == setup + s["max_epochs"] * per_epoch
    assert (report.setup_queries, report.queries_per_epoch) == (setup, per_epoch)
    assert [h["queries"] for h in report.history] == [
        setup + e * per_epoch for e in range(s["max_epochs"] + 1)
    ]
    X = rng.integers(0, q, size=(9, n))
    model.rows = 0
    result = fastshap.explain(model, X, seq_length=n, alphabet=q)
    assert result.n_model_queries == model.rows == 9 and result.params["explain_queries"] == 9


def test_background_draws_and_a_background_set_change_the_cost(rng):
    n, q = 5, 3
    model = RowCounter(_toy_model(n, q, int(rng.integers(1 << 30))))
    background = rng.integers(0, q, size=(17, n))
    s = {**SMALL, "n_background": 3, "background": background}
    report = FastSHAP(**s).fit(model, seq_length=n, alphabet=q, random_state=0).fit_report_
    # B background rows replace n_empty; every coalition costs n_background rows.
    setup = 17 + s["n_train"] + s["validation_size"] * (1 + s["n_subsets"] * 3)
    assert report.n_model_queries == model.rows == setup + s["max_epochs"] * s["n_train"] * s["n_subsets"] * 3
    assert_allclose(report.null_value, model.model(background).mean(), rtol=1e-12)


def test_explain_without_fit_pays_for_training(rng):
    n, q = 6, 4
    model = RowCounter(_toy_model(n, q, int(rng.integers(1 << 30))))
    X = rng.integers(0, q, size=(5, n))
    fastshap = FastSHAP(**SMALL)
    result = fastshap.explain(model, X, seq_length=n, alphabet=q, random_state=3)
    assert fastshap.is_fitted and result.params["fitted_in_explain"] is True
    fit_queries = fastshap.fit_report_.n_model_queries
    assert result.n_model_queries == model.rows == fit_queries + 5 == result.params["fit_queries"] + 5
    assert result.seconds >= result.params["fit_seconds"]
    # Fitting inside explain and explaining after fit give the same values.
    again = FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, random_state=3)
    assert np.array_equal(again.explain(model, X, seq_length=n, alphabet=q).values, result.values)


def test_the_query_budget_is_never_exceeded(rng):
    n, q = 6, 4
    model = RowCounter(_toy_model(n, q, int(rng.integers(1 << 30))))
    s = {**SMALL, "max_epochs": 50}
    setup = s["n_empty"] + s["n_train"] + s["validation_size"] * (1 + s["n_subsets"])
    per_epoch = s["n_train"] * s["n_subsets"]
    budget = setup + 2 * per_epoch + per_epoch // 2
    report = (
        FastSHAP(**s, max_queries=budget).fit(model, seq_length=n, alphabet=q, random_state=0).fit_report_
    )
    assert report.stopped == "max_queries" and report.epochs == 2
    assert model.rows == report.n_model_queries == setup + 2 * per_epoch <= budget
    minimum = setup + per_epoch
    with pytest.raises(InsufficientBudgetError, match=f"max_queries.*at least {minimum}; got {minimum - 1}"):
        FastSHAP(**s, max_queries=minimum - 1).fit(model, seq_length=n, alphabet=q)


def test_a_background_set_of_all_sequences_gives_the_exact_base_value(rng):
    n, q = 4, 3
    model = _toy_model(n, q, int(rng.integers(1 << 30)))
    X = rng.integers(0, q, size=(3, n))
    result = FastSHAP(**{**SMALL, "background": all_sequences(n, q)}).explain(
        model, X, seq_length=n, alphabet=q, random_state=0
    )
    assert_allclose(
        result.base_values, ExactSHAP().explain(model, X, seq_length=n, alphabet=q).base_values, rtol=1e-12
    )


def test_monitoring_is_reported_apart_and_queries_to_reach(rng):
    n, q = 6, 4
    sketch = sz.random_sparse_sketch(n, q, 8, max_degree=1, random_state=int(rng.integers(1 << 30)))
    model = RowCounter(sketch)
    X_val = rng.integers(0, q, size=(40, n))
    phi_val = sz.shapley_values(sketch, X_val)
    fastshap = FastSHAP(**{**SMALL, "max_epochs": 5}).fit(
        model, seq_length=n, alphabet=q, random_state=0, validation=(X_val, phi_val)
    )
    report = fastshap.fit_report_
    # f(X_val) is queried once for monitoring and not charged to FastSHAP.
    assert report.n_monitor_queries == 40 and model.rows == report.n_model_queries + 40
    history = report.history
    assert [h["epoch"] for h in history] == list(range(6))
    assert all(np.isfinite(h["pearson"]) and h["nmse"] >= 0 for h in history)
    seconds = [h["seconds"] for h in history]
    assert seconds == sorted(seconds) and seconds[-1] <= report.seconds
    target = history[3]["pearson"]
    first = next(h for h in history if h["pearson"] >= target)
    assert fastshap.queries_to_reach("pearson", target) == (first["queries"], first["seconds"])
    assert fastshap.queries_to_reach("pearson", 1.01) is None
    first = next(h for h in history if h["nmse"] <= history[2]["nmse"])
    assert fastshap.queries_to_reach("nmse", history[2]["nmse"]) == (first["queries"], first["seconds"])
    no_monitor = FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, random_state=0)
    with pytest.raises(InvalidParameterError, match="metric must be one of.*validation"):
        no_monitor.queries_to_reach("pearson", 0.9)
    assert no_monitor.fit_report_.n_monitor_queries == 0


# -- randomness -------------------------------------------------------------------------


def test_same_random_state_same_values_and_global_rngs_untouched(rng):
    n, q = 6, 4
    model = _toy_model(n, q, int(rng.integers(1 << 30)))
    X = rng.integers(0, q, size=(5, n))
    torch.manual_seed(1234)
    np.random.seed(1234)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()

    def values(random_state):
        fastshap = FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, random_state=random_state)
        return fastshap.explain(model, X, seq_length=n, alphabet=q).values

    first, again, other = values(7), values(7), values(8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert values(np.random.default_rng(7)).shape == first.shape
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert np.array_equal(after[1], numpy_state[1]) and after[2:] == numpy_state[2:]


def test_torch_threads_are_restored(rng):
    n, q = 5, 3
    before = torch.get_num_threads()
    FastSHAP(**SMALL, torch_threads=1).fit(_toy_model(n, q, 0), seq_length=n, alphabet=q, random_state=0)
    assert torch.get_num_threads() == before


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_subsets": 5}, "n_subsets must be even.*5"),
        ({"n_subsets": 0}, "n_subsets must be an integer >= 2; got 0"),
        ({"n_train": 0}, "n_train must be an integer >= 1; got 0"),
        ({"batch_size": 2.5}, "batch_size must be an integer"),
        ({"n_background": 0}, "n_background"),
        ({"max_queries": 0}, "max_queries"),
        ({"learning_rate": -1e-3}, "learning_rate must be a finite number > 0"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"hidden_sizes": 64}, "hidden_sizes must be a sequence"),
        ({"hidden_sizes": (64, 0)}, "hidden_sizes entries must be an integer >= 1; got 0"),
        ({"patience": 0}, "patience"),
        ({"validation_size": 0}, "validation_size"),
        ({"torch_threads": 0}, "torch_threads"),
        ({"progress": "yes"}, "progress must be True or False"),
        ({"background": "normal"}, "background must be 'uniform'"),
        ({"background": np.zeros(4, dtype=int)}, "background must be 'uniform' or a non-empty integer array"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        FastSHAP(**kwargs)


def test_bad_fit_and_explain_arguments_are_named(rng):
    n, q = 6, 4
    model = _toy_model(n, q, 0)
    X = rng.integers(0, q, size=(3, n))
    wrong_width = FastSHAP(**{**SMALL, "background": np.zeros((3, n + 1), dtype=np.uint8)})
    with pytest.raises(InvalidSequenceError, match=f"expected sequences of length {n} in 'background'"):
        wrong_width.fit(model, seq_length=n, alphabet=q)
    with pytest.raises(InvalidSequenceError, match=f"expected sequences of length {n} in 'background'"):
        wrong_width.explain(model, X, seq_length=n, alphabet=q)
    with pytest.raises(InvalidParameterError, match="seq_length must be at least 2"):
        FastSHAP(**SMALL).fit(lambda c: c.sum(1), seq_length=1, alphabet=q)
    with pytest.raises(InvalidParameterError, match="X_train must have more rows than validation_size = 20"):
        FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, X_train=X)
    with pytest.raises(InvalidParameterError, match="validation phi_val"):
        FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, validation=(X, np.zeros((3, n + 1))))
    with pytest.raises(InvalidParameterError, match="validation must be a pair"):
        FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, validation=X)
    with pytest.raises(InvalidParameterError, match="not fitted"):
        FastSHAP(**SMALL).queries_to_reach()

    fitted = FastSHAP(**SMALL).fit(model, seq_length=n, alphabet=q, random_state=0)
    longer = _toy_model(n + 1, q, 0)
    with pytest.raises(
        InvalidParameterError, match=f"fitted with seq_length={n} and alphabet size q={q}.*seq_length={n + 1}"
    ):
        fitted.explain(longer, rng.integers(0, q, size=(2, n + 1)), seq_length=n + 1, alphabet=q)
    with pytest.raises(
        InvalidParameterError, match=f"fitted with seq_length={n} and alphabet size q={q}.*q=5"
    ):
        fitted.explain(model, X, seq_length=n, alphabet=5)
    with pytest.raises(InvalidSequenceError, match="expected sequences of length .* in 'X'"):
        fitted.explain(model, X[:, :-1], seq_length=n, alphabet=q)
    with pytest.warns(UserWarning, match="another model object"):
        fitted.explain(_toy_model(n, q, 0), X, seq_length=n, alphabet=q)


def test_user_training_sequences_hold_out_the_validation_set(rng):
    n, q = 6, 4
    model = RowCounter(_toy_model(n, q, 0))
    X_train = rng.integers(0, q, size=(150, n))
    s = SMALL
    report = FastSHAP(**s).fit(model, seq_length=n, alphabet=q, X_train=X_train, random_state=0).fit_report_
    n_train = 150 - s["validation_size"]
    assert report.queries_per_epoch == n_train * s["n_subsets"]
    assert (
        model.rows
        == s["n_empty"] + n_train + s["validation_size"] * (1 + s["n_subsets"]) + 3 * n_train * s["n_subsets"]
    )


def test_baselines_import_without_torch():
    # A meta-path finder that refuses torch makes it absent, as if not installed (a None
    # entry in sys.modules would break scipy, which probes sys.modules["torch"]).
    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import baselines\n"
        "from baselines import FastSHAP, KernelSHAP\n"
        "assert 'torch' not in sys.modules\n"
        "try:\n"
        "    FastSHAP()\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert 'ImportError: FastSHAP needs PyTorch: pip install "shap_zero[fastshap]"' in out.stdout
    assert "pip install torch==2.13.0" in out.stdout


def test_kernel_probabilities_of_all_subsets_sum_to_one():
    for n in (2, 3, 7):
        total = sum(
            shapley_kernel_subset_probabilities(n, np.array([k]))[0] * math.comb(n, k) for k in range(1, n)
        )
        assert_allclose(total, 1.0, rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="sizes must be integers in 1..n-1"):
        shapley_kernel_subset_probabilities(4, np.array([0, 2]))

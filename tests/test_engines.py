"""The sketch engines behind one protocol: recovery against exact spectra, budgets, resume, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero.engines import ENGINES, make_engine
from shap_zero.engines.blocks import count_terms
from shap_zero.exceptions import InsufficientBudgetError, InvalidParameterError, ModelError

from ._counting import RowCounter


def _codes(rng, count, n, q=4):
    return rng.integers(0, q, size=(count, n)).astype(np.uint8)


def _assert_same_function(sketch, truth, rng, n, q=4):
    """Equal outputs, SHAP values and expected values: the sketch is the model."""
    X = _codes(rng, 200, n, q)
    assert_allclose(sketch.predict(X), truth.predict(X), atol=1e-8 * max(1.0, np.abs(truth.coefficients).max()))
    assert_allclose(sz.shapley_values(sketch, X), sz.shapley_values(truth, X), atol=1e-7)
    assert sz.expected_value(sketch) == pytest.approx(sz.expected_value(truth), abs=1e-8)


def _degree_two_model(n, q, seed):
    """Every term of degree <= 2 with Gaussian coefficients: dense, not sparse."""
    rng = np.random.default_rng(seed)
    frequencies = []
    for i in range(n):
        for a in range(1, q):
            k = np.zeros(n, dtype=int)
            k[i] = a
            frequencies.append(k)
    for i in range(n):
        for j in range(i + 1, n):
            for a in range(1, q):
                for b in range(1, q):
                    k = np.zeros(n, dtype=int)
                    k[i], k[j] = a, b
                    frequencies.append(k)
    frequencies = np.array(frequencies)
    coefficients = rng.normal(size=len(frequencies)) + 1j * rng.normal(size=len(frequencies))
    return sz.FourierSketch(frequencies, coefficients, q, sz.DNA, spectrum="half")


def test_registry_names_every_engine_and_rejects_unknown_ones():
    assert set(ENGINES) == {"auto", "exact", "qsft", "regression", "hybrid"}
    for name, engine in ENGINES.items():
        assert engine.name == name
        assert {"budget", "random_state", "checkpoint", "executor", "batch_size"} - {"budget"} <= set(engine.option_names())
    with pytest.raises(InvalidParameterError, match="method: expected one of"):
        make_engine("sparse")
    with pytest.raises(InvalidParameterError, match=r"takes no option\(s\) \['b'\]"):
        make_engine("regression", b=3)


def test_exact_engine_is_the_dense_transform(rng):
    truth = sz.random_sparse_sketch(6, 4, 20, max_degree=4, alphabet=sz.DNA, random_state=3)
    engine = sz.ExactEngine().fit(truth.predict, seq_length=6, alphabet=sz.DNA)
    assert engine.n_queries_ == 4**6 and engine.report_.engine == "exact"
    assert engine.sketch_.n_terms == truth.n_terms
    _assert_same_function(engine.sketch_, truth, rng, 6)
    with pytest.raises(InvalidParameterError, match="MAX_DENSE_SIZE"):
        sz.ExactEngine().fit(truth.predict, seq_length=12, alphabet=sz.DNA)


def test_regression_engine_recovers_a_dense_degree_two_model_exactly(rng, seed):
    n = 8
    truth = _degree_two_model(n, 4, seed)
    engine = sz.RegressionEngine(degree=2, window=None, budget=12_000, random_state=seed)
    sketch = engine.fit(truth.predict, seq_length=n, alphabet=sz.DNA).sketch_
    _assert_same_function(sketch, truth, rng, n)
    details = engine.report_.outputs[0].details
    assert details["degree"] == 2 and details["penalty"] == 0.0  # cross-validation picks no shrinkage
    assert engine.report_.outputs[0].r2 == pytest.approx(1.0, abs=1e-10)


def test_regression_degree_and_window_come_from_the_budget():
    from shap_zero.engines.regression import choose_degree

    # Degree 2 has 1,771 terms; 1,000 allow degree 1 (61) plus the 99 pairs within 7 positions (891).
    assert choose_degree(20, 4, 10_000, 10.0) == (1, 7)
    assert choose_degree(20, 4, 500, 10.0) == (1, None)
    degree, window = choose_degree(20, 4, 50_000, 10.0)
    assert degree == 2 and window is not None and window >= 3
    assert choose_degree(20, 4, 500_000, 10.0)[0] == 3  # 32,551 terms of degree <= 3
    assert choose_degree(20, 4, 500_000, 10.0, max_terms=20_000)[0] == 2
    assert count_terms(100, 4, 2) == 1 + 100 * 3 + 4950 * 9 and count_terms(30, 20, 2) == 1 + 30 * 19 + 435 * 19**2


def test_regression_cross_validation_has_enough_rows_for_its_terms(monkeypatch, rng):
    """Each fold trains on >= CV_ROWS_PER_TERM rows per term, however small CV_ROWS is:
    with fewer the folds are underdetermined and cross-validation picks the largest penalty."""
    from shap_zero.engines import blocks as bl
    from shap_zero.engines import regression

    monkeypatch.setattr(regression, "CV_ROWS", 500)
    basis = bl.BlockBasis(bl.blocks_up_to(10, 2), 10, 4)  # 435 terms
    truth = _degree_two_model(10, 4, 0)
    codes = rng.integers(0, 4, (6_000, 10), dtype=np.uint8)
    fit, details = regression.fit_ridge(basis, bl.Rows(codes), truth.predict(codes), "cv", 3, False)
    assert details["cv_rows"] == int(np.ceil(regression.CV_ROWS_PER_TERM * basis.n_terms * 3 / 2))
    # A noiseless degree-2 model: the determined folds prefer the smallest penalties.
    assert details["penalty"] < max(details["cv_penalties"])
    assert_allclose(fit.predict(bl.Rows(codes)), truth.predict(codes), atol=1e-6 * np.abs(truth.predict(codes)).max())


def test_regression_budget_too_small_for_the_degree_names_the_minimum():
    truth = _degree_two_model(8, 4, 0)
    minimum = 2 * count_terms(8, 4, 2) + 1000  # design + held-out validation
    with pytest.raises(InsufficientBudgetError, match=f"the minimum budget is {minimum:,}"):
        sz.RegressionEngine(degree=2, budget=minimum - 1, random_state=0).fit(truth.predict, seq_length=8, alphabet=sz.DNA)
    sz.RegressionEngine(degree=2, budget=minimum, random_state=0).validate(8, sz.DNA)


def test_hybrid_engine_recovers_a_sparse_spectrum_exactly(rng, seed):
    n = 14
    truth = sz.random_sparse_sketch(n, 4, 60, max_degree=3, alphabet=sz.DNA, random_state=seed)
    engine = sz.HybridEngine(budget=30_000, random_state=seed)
    sketch = engine.fit(truth.predict, seq_length=n, alphabet=sz.DNA).sketch_
    _assert_same_function(sketch, truth, rng, n)
    assert engine.report_.outputs[0].nmse < 1e-16
    assert engine.report_.n_model_queries <= 30_000


def test_hybrid_search_on_part_of_the_rows_still_recovers_a_sparse_spectrum(rng, seed):
    n = 12
    truth = sz.random_sparse_sketch(n, 4, 40, max_degree=3, alphabet=sz.DNA, random_state=seed)
    engine = sz.HybridEngine(budget=40_000, search_rows=15_000, random_state=seed)
    sketch = engine.fit(truth.predict, seq_length=n, alphabet=sz.DNA).sketch_
    _assert_same_function(sketch, truth, rng, n)
    assert engine.report_.outputs[0].details["search_rows"] == 15_000


def test_hybrid_search_rows_above_the_design_is_a_search_on_every_row(seed):
    n = 8
    truth = sz.random_sparse_sketch(n, 4, 20, max_degree=3, alphabet=sz.DNA, random_state=seed)
    fits = [
        sz.HybridEngine(budget=8_000, search_rows=rows, n_validation=0, random_state=seed)
        .fit(truth.predict, seq_length=n, alphabet=sz.DNA)
        for rows in (None, 10**9)
    ]
    assert_allclose(fits[0].sketch_.coefficients, fits[1].sketch_.coefficients, rtol=0, atol=0)
    assert fits[0].report_.outputs[0].details["search_rows"] == 8_000


def test_hybrid_search_finds_blocks_above_the_base_degree(rng, seed):
    # A degree-4 interaction whose sub-blocks are strong (a hierarchy), on top of a dense body.
    n = 10
    body = _degree_two_model(n, 4, seed)

    def model(X):
        motif = (X[:, 2] == 1) & (X[:, 3] == 2) & (X[:, 4] == 0)
        return body.predict(X) + 6.0 * motif + 4.0 * (motif & (X[:, 6] == 3))

    engine = sz.HybridEngine(budget=60_000, random_state=seed).fit(model, seq_length=n, alphabet=sz.DNA)
    blocks = engine.report_.outputs[0].details["blocks_per_degree"]
    assert blocks.get("3", 0) >= 1 and blocks.get("4", 0) >= 1
    X = _codes(rng, 500, n)
    assert_allclose(engine.sketch_.predict(X), model(X), atol=1e-6)



def test_weak_heredity_finds_a_block_that_strong_heredity_cannot_reach(rng, seed):
    # A pure degree-4 term whose only fitted sub-block is one triple: the default
    # (heredity=1) extends that triple; heredity=2 needs two of its four triples.
    n = 10
    body = _degree_two_model(n, 4, seed)
    triple, quadruple = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    triple[[2, 3, 4]] = (1, 2, 1)
    quadruple[[2, 3, 4, 6]] = (1, 1, 2, 3)
    truth = sz.FourierSketch(
        np.vstack([body.frequencies, triple, quadruple]), np.concatenate([body.coefficients, [3 + 1j, 2 - 2j]]),
        4, sz.DNA, spectrum="half",
    )  # fmt: skip
    fits = {
        heredity: sz.HybridEngine(budget=60_000, heredity=heredity, random_state=seed).fit(
            truth.predict, seq_length=n, alphabet=sz.DNA
        )
        for heredity in (1, 2)
    }
    assert sz.HybridEngine().heredity == 1
    assert fits[1].report_.outputs[0].details["blocks_per_degree"].get("4", 0) >= 1
    _assert_same_function(fits[1].sketch_, truth, rng, n)
    assert fits[2].report_.outputs[0].details["blocks_per_degree"].get("4", 0) == 0
    assert fits[2].report_.outputs[0].nmse > 1e-3

def test_auto_is_exact_within_the_budget(rng):
    small = sz.random_sparse_sketch(5, 4, 10, max_degree=3, alphabet=sz.DNA, random_state=1)
    engine = sz.AutoEngine().fit(small.predict, seq_length=5, alphabet=sz.DNA)
    assert engine.report_.engine == "exact" and engine.chosen_ == ["exact"]
    _assert_same_function(engine.sketch_, small, rng, 5)


def test_auto_keeps_the_hybrid_on_a_hierarchical_model_and_qsft_on_a_high_degree_sparse_one(rng, seed):
    n = 10
    body = _degree_two_model(n, 4, seed)
    engine = sz.AutoEngine(budget=25_000, random_state=seed).fit(body.predict, seq_length=n, alphabet=sz.DNA)
    assert engine.report_.engine == "auto" and engine.chosen_[0] in ("hybrid", "joint")
    _assert_same_function(engine.sketch_, body, rng, n)
    # Degree-5 terms with no lower-order parts: the block search cannot reach them.
    n = 30
    sparse = sz.random_sparse_sketch(n, 4, 30, min_degree=5, max_degree=5, alphabet=sz.DNA, random_state=seed)
    engine = sz.AutoEngine(budget=60_000, random_state=seed).fit(sparse.predict, seq_length=n, alphabet=sz.DNA)
    errors = engine.report_.outputs[0].details["selection_mse"]
    assert engine.chosen_ == ["qsft"] and errors["qsft"] < 1e-12 < errors["hybrid"]
    _assert_same_function(engine.sketch_, sparse, rng, n)
    assert engine.report_.n_model_queries <= 60_000


@pytest.mark.parametrize("name", ["qsft", "regression", "hybrid"])
def test_same_seed_same_sketch_and_budget_is_respected(name):
    truth = sz.random_sparse_sketch(10, 4, 25, max_degree=3, alphabet=sz.DNA, random_state=2)

    def noisy(X):  # a deterministic function of the sequence, so repeated queries agree
        return truth.predict(X) + 0.1 * np.sin(X.astype(float) @ np.arange(1, 11))

    sketches = []
    for _ in range(2):
        counter = RowCounter(noisy)
        engine = make_engine(name, budget=20_000, random_state=5).fit(counter, seq_length=10, alphabet=sz.DNA)
        assert counter.rows == engine.n_queries_ == engine.report_.n_model_queries <= 20_000
        sketches.append(engine.sketch_)
    assert np.array_equal(sketches[0].frequencies, sketches[1].frequencies)
    assert np.array_equal(sketches[0].coefficients, sketches[1].coefficients)


@pytest.mark.parametrize("name", ["regression", "hybrid"])
def test_an_interrupted_campaign_resumes_without_requerying(tmp_path, name):
    truth = sz.random_sparse_sketch(9, 4, 25, max_degree=3, alphabet=sz.DNA, random_state=4)
    options = {"budget": 12_000, "random_state": 7, "batch_size": 1000}
    reference = make_engine(name, **options).fit(truth.predict, seq_length=9, alphabet=sz.DNA).sketch_
    calls = 0

    def failing(X):
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("node lost")
        return truth.predict(X)

    path = tmp_path / "campaign.ckpt"
    with pytest.raises(ModelError, match="batch 4"):
        make_engine(name, checkpoint=path, **options).fit(failing, seq_length=9, alphabet=sz.DNA)
    counter = RowCounter(truth.predict)
    resumed = make_engine(name, checkpoint=path, **options).fit(counter, seq_length=9, alphabet=sz.DNA)
    assert resumed.report_.n_resumed == 4000
    assert counter.rows == resumed.n_queries_ - 4000
    assert np.array_equal(resumed.sketch_.coefficients, reference.coefficients)


def test_every_output_of_a_multi_output_model_gets_its_sketch(rng):
    n = 9
    first = sz.random_sparse_sketch(n, 4, 20, max_degree=3, alphabet=sz.DNA, random_state=10)
    second = _degree_two_model(n, 4, 11)
    engine = sz.HybridEngine(budget=25_000, random_state=0)
    engine.fit(lambda X: np.stack([first.predict(X), second.predict(X)], axis=1), seq_length=n, alphabet=sz.DNA)
    assert len(engine.sketches_) == 2 and len(engine.report_.outputs) == 2
    _assert_same_function(engine.sketches_[0], first, rng, n)
    _assert_same_function(engine.sketches_[1], second, rng, n)


def test_a_model_that_writes_into_its_input_cannot_corrupt_the_design(rng):
    truth = sz.random_sparse_sketch(6, 4, 16, max_degree=3, alphabet=sz.DNA, random_state=12)

    def vandal(X):
        out = truth.predict(X)
        X[:] = 0
        return out

    for engine in (sz.ExactEngine(), sz.HybridEngine(budget=3000, random_state=0)):
        sketch = engine.fit(vandal, seq_length=6, alphabet=sz.DNA).sketch_
        _assert_same_function(sketch, truth, rng, 6)


def test_the_shap_accuracy_check_runs_inside_the_budget(seed):
    truth = sz.random_sparse_sketch(8, 4, 20, max_degree=3, alphabet=sz.DNA, random_state=seed)
    engine = sz.HybridEngine(budget=15_000, check_sequences=4, check_permutations=64, random_state=seed)
    engine.fit(truth.predict, seq_length=8, alphabet=sz.DNA)
    report = engine.report_
    accuracy = report.outputs[0].shap_accuracy
    assert report.n_check_queries == 4 * (64 * 8 + 1) and report.n_model_queries <= 15_000
    # The sketch is exact, so the estimate is Monte Carlo noise around 0.
    assert accuracy is not None and accuracy.nmse < 0.05 and accuracy.low == 0 and not accuracy.poor
    # A sketch with terms missing is caught by the same check.
    truncated = sz.FourierSketch(truth.frequencies[:-6], truth.coefficients[:-6], 4, sz.DNA)
    from shap_zero.engines.accuracy import estimate_shap_accuracy

    values = truth.predict(engine.check_plan_.points)
    worse = estimate_shap_accuracy(engine.check_plan_, values, truncated, sz.Background.uniform(8, 4))
    true_error = np.sum((sz.shapley_values(truncated, engine.check_plan_.sequences)
                         - sz.shapley_values(truth, engine.check_plan_.sequences)) ** 2)
    true_error /= np.sum(sz.shapley_values(truth, engine.check_plan_.sequences) ** 2)
    assert worse.low <= true_error <= worse.high
    assert "SHAP-value NMSE" in str(report)


def test_bad_engine_options_are_named():
    for engine, match in (
        (sz.RegressionEngine(degree=0), "degree"),
        (sz.RegressionEngine(penalty="auto"), "penalty"),
        (sz.HybridEngine(search_level=2.0), "search_level"),
        (sz.HybridEngine(check_sequences=1), "check_sequences"),
        (sz.HybridEngine(check_permutations=3, check_sequences=2), "check_permutations"),
        (sz.HybridEngine(checkpoint="x.ckpt", budget=50_000), "integer random_state"),
        (sz.QSFT(b=3, budget=1000), "b or budget"),
    ):
        with pytest.raises(InvalidParameterError, match=match):
            engine.validate(8, sz.DNA)


@pytest.mark.parametrize("name", ["qsft", "regression", "hybrid", "auto"])
def test_a_budget_covering_every_sequence_gives_the_exact_transform(name, rng):
    # Never more design points than q^n: the exact transform instead, queried once per sequence.
    truth = sz.random_sparse_sketch(6, 4, 12, max_degree=4, alphabet=sz.DNA, random_state=3)
    model = RowCounter(truth.predict)
    engine = make_engine(name, budget=10**30, random_state=0).fit(model, seq_length=6, alphabet=sz.DNA)
    assert engine.report_.engine == "exact" and engine.sketch_.metadata["method"] == "exact"
    assert engine.report_.n_model_queries == 4**6 and model.rows == 4**6
    assert engine.report_.design["requested_engine"] == name
    _assert_same_function(engine.sketch_, truth, rng, 6)


def test_a_budget_beyond_the_memory_is_refused_before_any_query(monkeypatch):
    from shap_zero.engines import base

    model = RowCounter(lambda codes: codes.sum(axis=1).astype(float))
    monkeypatch.setattr(base, "available_memory", lambda: 50 * 2**20)  # 50 MiB
    for name in ("qsft", "regression", "hybrid", "auto"):
        with pytest.raises(sz.BudgetMemoryError, match=r"lower the budget to at most about [\d,]+ queries"):
            make_engine(name, budget=5_000_000, random_state=0).fit(model, seq_length=20, alphabet=sz.DNA)
    # The exact transform of a space the budget covers is estimated too.
    with pytest.raises(sz.BudgetMemoryError, match=r"exact transform of all 4\*\*12 sequences"):
        sz.HybridEngine(budget=10**30).fit(model, seq_length=12, alphabet=sz.DNA)
    assert model.rows == 0
    # A campaign over every sequence draws nothing at random, so it resumes without a seed.
    sz.HybridEngine(checkpoint="x.ckpt").validate(8, sz.DNA)
    # The suggested budget fits.
    with pytest.raises(sz.BudgetMemoryError, match=r"lower the budget to at most about [\d,]+ queries") as info:
        sz.HybridEngine(budget=5_000_000).validate(20, sz.DNA)
    suggested = int(info.value.args[0].split("at most about ")[1].split(" ")[0].replace(",", ""))
    sz.HybridEngine(budget=suggested).validate(20, sz.DNA)


def test_an_absurd_budget_is_refused_with_the_figure():
    with pytest.raises(sz.BudgetMemoryError, match="GiB") as info:
        sz.QSFT(budget=10**30).validate(30, sz.DNA)
    assert isinstance(info.value, MemoryError) and isinstance(info.value, InvalidParameterError)


def test_unknown_or_positional_engine_options_get_a_clear_error():
    with pytest.raises(InvalidParameterError, match="QSFT: unknown option 'bogus'; its options are b, budget"):
        sz.QSFT(bogus=1)
    with pytest.raises(InvalidParameterError, match="did you mean 'budget'"):
        sz.HybridEngine(budjet=3)
    with pytest.raises(InvalidParameterError, match="keyword-only"):
        sz.AutoEngine(5)
    with pytest.raises(InvalidParameterError, match="progress: expected True or False"):
        sz.HybridEngine(progress="yes").validate(8, sz.DNA)

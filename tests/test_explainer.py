"""ZeroExplainer end to end, against independent oracles.

Oracles: shap's own ExactExplainer with an Independent masker over all q^n sequences
(exactly the uniform value function), brute-force enumeration of coalitions
(``shap_zero.oracle``), closed forms of linear models, and slow loops for aggregates.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import shap
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero import explainer as explainer_module
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError, ModelOutputError
from shap_zero.oracle import (
    all_sequences,
    brute_force_shapley,
    reference_background,
    sequence_set_background,
    uniform_background,
)


def _nonlinear_model(n: int, q: int, seed: int):
    """A dense nonlinear model on codes: per-position effects, a tanh pair term, a triple."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n, q))

    def model(codes):
        codes = np.asarray(codes).astype(np.int64)
        return (
            weights[np.arange(n), codes].sum(axis=1)
            + np.tanh(codes[:, 0] * codes[:, 1] - codes[:, n - 1])
            + 0.3 * (codes[:, 2] == codes[:, n - 1]) * (codes[:, 1] == 1)
        )

    return model


class CountingModel:
    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.rows = 0

    def __call__(self, codes):
        self.calls += 1
        self.rows += len(codes)
        return self.model(codes)


# -- the shap contract ----------------------------------------------------------------


def test_is_a_shap_explainer_and_keeps_its_class():
    explainer = sz.ZeroExplainer(_nonlinear_model(4, 4, 0), alphabet=sz.DNA, seq_length=4)
    assert isinstance(explainer, shap.Explainer)
    assert type(explainer) is sz.ZeroExplainer


def test_matches_shap_exact_explainer_on_the_uniform_value_function(rng):
    n, q = 4, 4
    model = _nonlinear_model(n, q, int(rng.integers(1 << 30)))
    background = all_sequences(n, q)  # every sequence once: the uniform background exactly
    masker = shap.maskers.Independent(background, max_samples=len(background))
    reference = shap.ExactExplainer(model, masker)
    X = rng.integers(0, q, size=(4, n))
    theirs = reference(X)
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n)
    ours = explainer(X)
    assert_allclose(ours.values, theirs.values, atol=1e-10)
    assert_allclose(ours.base_values, theirs.base_values, atol=1e-10)
    # shap's ExactExplainer(interactions=2) is the Shapley-Taylor index: STII/2 off the
    # diagonal, the order-1 STII on it.
    pairs = reference(X, interactions=2).values
    stii = explainer.interactions(X, index="STII", order=2)
    for i in range(n):
        assert_allclose(pairs[:, i, i], stii.get((i,)), atol=1e-10)
        for j in range(i + 1, n):
            assert_allclose(pairs[:, i, j], stii.get((i, j)) / 2, atol=1e-10)


def test_explanation_fields():
    n = 6
    model = _nonlinear_model(n, 4, 1)
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n)
    explanation = explainer(["ACGTAC", "TTGCAA", "GGGGGG"])
    assert explanation.values.shape == (3, n)
    assert explanation.base_values.shape == (3,)
    assert explanation.data.dtype == np.uint8
    assert_allclose(explanation.data, sz.DNA.encode(["ACGTAC", "TTGCAA", "GGGGGG"]))
    assert explanation.display_data.tolist() == [list("ACGTAC"), list("TTGCAA"), list("GGGGGG")]
    bare = explainer(["ACGTAC", "TTGCAA", "GGGGGG"], display_data=False)  # no letters: less memory
    assert bare.display_data is None and np.array_equal(bare.values, explanation.values)
    with pytest.raises(InvalidParameterError, match="display_data: expected True or False"):
        explainer("ACGTAC", display_data="no")
    assert explanation.feature_names == [f"pos{i}" for i in range(1, n + 1)]
    assert explanation.compute_time >= 0
    # Efficiency against the model itself (the exact sketch is the model).
    assert_allclose(explanation.values.sum(axis=1) + explanation.base_values, model(explanation.data), atol=1e-10)
    # Slicing keeps working as for any shap.Explanation.
    assert explanation[0].values.shape == (n,)
    assert explanation[:, 2].values.shape == (3,)


def test_every_input_form_gives_the_same_values():
    n = 5
    explainer = sz.ZeroExplainer(_nonlinear_model(n, 4, 2), alphabet=sz.DNA, seq_length=n)
    codes = sz.DNA.encode(["ACGTA", "CCCGT"])
    expected = explainer.shap_values(codes)
    assert_allclose(explainer.shap_values(["ACGTA", "CCCGT"]), expected)
    assert_allclose(explainer.shap_values(np.array(["ACGTA", "CCCGT"])), expected)
    assert_allclose(explainer.shap_values("ACGTA"), expected[:1])
    assert_allclose(explainer.shap_values(codes[0]), expected[:1])
    assert_allclose(explainer.shap_values(codes.astype(np.int64).tolist()), expected)


def test_custom_feature_and_output_names():
    n = 4
    names = ["-2", "-1", "+1", "+2"]
    explainer = sz.ZeroExplainer(
        _nonlinear_model(n, 4, 3), alphabet=sz.DNA, seq_length=n, feature_names=names, output_names=["score"]
    )
    explanation = explainer("ACGT")
    assert explanation.feature_names == names
    assert explanation.output_names == ["score"]
    assert explainer.interactions("ACGT").labels[n] == "-2 x -1"


# -- value functions: brute force enumeration ------------------------------------------


@pytest.mark.parametrize("kind", ["uniform", "reference", "sequences"])
def test_backgrounds_match_brute_force_enumeration(kind, rng):
    n, q = 5, 3
    alphabet = sz.Alphabet("XYZ")
    model = _nonlinear_model(n, q, int(rng.integers(1 << 30)))
    X = rng.integers(0, q, size=(3, n)).astype(np.uint8)
    if kind == "uniform":
        background, (weights, probs) = "uniform", uniform_background(n, q)
    elif kind == "reference":
        reference = rng.integers(0, q, size=n).astype(np.uint8)
        background, (weights, probs) = reference, reference_background(reference, q)
    else:
        members = rng.integers(0, q, size=(4, n)).astype(np.uint8)
        background, (weights, probs) = alphabet.decode(members), sequence_set_background(members, q)
    explainer = sz.ZeroExplainer(model, alphabet=alphabet, seq_length=n, background=background)
    expected = brute_force_shapley(model, X, weights, probs, q)
    assert_allclose(explainer.shap_values(X), expected, atol=1e-9)
    # Efficiency under every background.
    assert_allclose(
        explainer.shap_values(X).sum(axis=1) + explainer.expected_value, model(X), atol=1e-9
    )


def test_shap_interaction_values_follow_tree_explainer_convention(rng):
    n = 5
    model = _nonlinear_model(n, 4, int(rng.integers(1 << 30)))
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n)
    X = rng.integers(0, 4, size=(3, n))
    matrices = explainer.shap_interaction_values(X)
    assert matrices.shape == (3, n, n)
    sii = explainer.interactions(X, index="SII", order=2)
    for i in range(n):
        for j in range(i + 1, n):
            assert_allclose(matrices[:, i, j], sii.get((i, j)) / 2, atol=1e-10)
            assert_allclose(matrices[:, j, i], matrices[:, i, j])
    assert_allclose(matrices.sum(axis=2), explainer.shap_values(X), atol=1e-10)


# -- sketching --------------------------------------------------------------------------


def test_sketches_once_on_first_use_and_never_queries_again():
    counting = CountingModel(_nonlinear_model(5, 4, 4))
    explainer = sz.ZeroExplainer(counting, alphabet=sz.DNA, seq_length=5)
    assert counting.calls == 0 and explainer.sketches_ is None
    explainer("ACGTA")
    rows = counting.rows
    assert rows == 4**5 and explainer.n_queries_ == rows
    explainer(np.zeros((100, 5), dtype=np.uint8))
    explainer.interactions("ACGTA")
    explainer.fit()
    assert counting.rows == rows
    assert explainer.sketch_.metadata["method"] == "exact"
    assert explainer.report_.engine == "exact" and explainer.report_.n_model_queries == rows


def test_qsft_sketch_of_a_sparse_model_gives_its_exact_values(seed):
    n = 24
    truth = sz.random_sparse_sketch(n, 4, 40, max_degree=3, alphabet=sz.DNA, random_state=seed)
    explainer = sz.ZeroExplainer(
        truth.predict, alphabet=sz.DNA, seq_length=n, method="qsft", b=4, n_repeats=1, random_state=seed
    )
    X = np.random.default_rng(seed).integers(0, 4, size=(50, n))
    assert_allclose(explainer.shap_values(X), sz.shapley_values(truth, X), atol=1e-8)
    assert_allclose(explainer.expected_value, sz.expected_value(truth), atol=1e-8)
    assert isinstance(explainer.engine_, sz.QSFT) and explainer.report_ is explainer.engine_.report_
    assert explainer.n_queries_ == explainer.engine_.n_queries_ > 0
    assert explainer.sketch_.metadata["method"] == "qsft"


def test_auto_method_picks_exact_within_budget_and_hybrid_beyond(seed):
    assert sz.AutoEngine().covers_all_sequences(6, 4)
    assert not sz.AutoEngine(budget=2000).covers_all_sequences(6, 4)
    assert not sz.AutoEngine().covers_all_sequences(12, 4)  # 4^12 > the default budget of 10^6
    model = _nonlinear_model(6, 4, seed)
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=6, budget=3000, random_state=seed).fit()
    assert explainer.report_.engine == "auto" and explainer.n_queries_ <= 3000
    assert explainer.report_.outputs[0].details["chosen"] in ("hybrid", "qsft", "joint")
    with pytest.raises(InvalidParameterError, match="method='qsft'"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=6, b=2)


def test_same_seed_same_sketch(seed):
    n = 20
    truth = sz.random_sparse_sketch(n, 4, 30, alphabet=sz.DNA, random_state=seed)
    noisy_rng = np.random.default_rng(seed)
    noise = noisy_rng.normal(size=4**6)

    def model(codes):  # deterministic "noise" so both runs see the same outputs
        return truth.predict(codes) + 0.05 * noise[codes[:, :6].astype(np.int64) @ (4 ** np.arange(6))]

    first = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n, method="qsft", b=3, random_state=seed).sketch_
    second = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n, method="qsft", b=3, random_state=seed).sketch_
    assert_allclose(first.frequencies, second.frequencies)
    assert_allclose(first.coefficients, second.coefficients)


# -- multi-output models ----------------------------------------------------------------


def test_multi_output_model(rng):
    n = 5
    first, second = _nonlinear_model(n, 4, 10), _nonlinear_model(n, 4, 11)

    def both(codes):
        return np.stack([first(codes), second(codes)], axis=1)

    explainer = sz.ZeroExplainer(both, alphabet=sz.DNA, seq_length=n, output_names=["a", "b"])
    X = rng.integers(0, 4, size=(4, n))
    explanation = explainer(X)
    assert explanation.values.shape == (4, n, 2)
    assert explanation.base_values.shape == (4, 2)
    assert explanation.output_names == ["a", "b"]
    for column, single in enumerate((first, second)):
        alone = sz.ZeroExplainer(single, alphabet=sz.DNA, seq_length=n)
        assert_allclose(explanation.values[..., column], alone.shap_values(X), atol=1e-10)
        assert_allclose(explainer.expected_value[column], alone.expected_value, atol=1e-10)
        assert_allclose(explainer.shap_interaction_values(X)[..., column], alone.shap_interaction_values(X), atol=1e-10)
        assert_allclose(explainer.interactions(X, output=column).values, alone.interactions(X).values, atol=1e-10)
    with pytest.raises(InvalidParameterError, match="2 outputs; pass output"):
        explainer.interactions(X)
    with pytest.raises(InvalidParameterError, match="output"):
        explainer.interactions(X, output=2)
    with pytest.raises(AttributeError, match="2 outputs"):
        explainer.sketch_  # noqa: B018
    with pytest.raises(InvalidParameterError, match="output_names must hold 2"):
        sz.ZeroExplainer(both, alphabet=sz.DNA, seq_length=n, output_names=["a"]).fit()


# -- model adaptors ---------------------------------------------------------------------


def _linear_weights(n, q, seed):
    return np.random.default_rng(seed).normal(size=(n, q))


def _linear_shap(weights, codes):
    """Closed form of a linear one-hot model under the uniform background."""
    n = weights.shape[0]
    return weights[np.arange(n), codes] - weights.mean(axis=1)


@pytest.mark.parametrize("model_input", ["strings", "onehot", "onehot_flat"])
def test_model_input_adaptors(model_input, rng):
    n, q = 6, 4
    weights = _linear_weights(n, q, 5)

    def on_strings(sequences):
        codes = sz.DNA.encode(list(sequences))
        return weights[np.arange(n), codes].sum(axis=1)

    def on_onehot(onehot):
        assert onehot.shape[1:] == (n, q) and onehot.dtype == np.float64
        return np.einsum("rij,ij->r", onehot, weights)

    def on_flat(flat):
        assert flat.shape[1:] == (n * q,)
        return flat @ weights.ravel()

    model = {"strings": on_strings, "onehot": on_onehot, "onehot_flat": on_flat}[model_input]
    explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=n, model_input=model_input)
    X = rng.integers(0, q, size=(5, n))
    assert_allclose(explainer.shap_values(X), _linear_shap(weights, X), atol=1e-10)


def test_scikit_learn_regressor_and_classifier(rng):
    linear_model = pytest.importorskip("sklearn.linear_model")
    n, q = 5, 4
    train = rng.integers(0, q, size=(400, n))
    onehot = sz.SequenceModel(lambda x: x, sz.DNA, model_input="onehot_flat").convert(train)
    weights = _linear_weights(n, q, 6)
    target = weights[np.arange(n), train].sum(axis=1)
    regressor = linear_model.LinearRegression().fit(onehot, target)
    explainer = sz.ZeroExplainer(regressor, alphabet=sz.DNA, seq_length=n, model_input="onehot_flat")
    X = rng.integers(0, q, size=(5, n))
    assert_allclose(explainer.shap_values(X), _linear_shap(weights, X), atol=1e-8)

    labels = np.where(target > np.median(target), "high", "low")
    classifier = linear_model.LogisticRegression(max_iter=1000).fit(onehot, labels)
    flat = sz.SequenceModel(lambda x: x, sz.DNA, model_input="onehot_flat")
    probability = sz.ZeroExplainer(
        classifier, alphabet=sz.DNA, seq_length=n, model_input="onehot_flat", output_class="high"
    )
    column = list(classifier.classes_).index("high")
    expected = classifier.predict_proba(flat.convert(X))[:, column]
    explanation = probability(X)
    assert_allclose(explanation.values.sum(axis=1) + explanation.base_values, expected, atol=1e-10)
    every_class = sz.ZeroExplainer(
        classifier, alphabet=sz.DNA, seq_length=n, model_input="onehot_flat", model_method="predict_proba"
    )
    assert every_class(X).values.shape == (5, n, 2)
    with pytest.raises(InvalidParameterError, match="output_class must be one of"):
        sz.ZeroExplainer(classifier, alphabet=sz.DNA, seq_length=n, model_input="onehot_flat", output_class="mid")


def test_wrong_model_output_shape_is_named():
    def bad(codes):
        return np.zeros(len(codes) + 1)

    with pytest.raises(ModelOutputError, match=r"batch 0 .*shape"):
        sz.ZeroExplainer(bad, alphabet=sz.DNA, seq_length=4)("ACGT")

    def nan(codes):
        return np.full(len(codes), np.nan)

    with pytest.raises(ModelOutputError, match="not finite"):
        sz.ZeroExplainer(nan, alphabet=sz.DNA, seq_length=4).fit()


# -- interaction results ----------------------------------------------------------------


def test_interaction_result_tables_match_slow_twins(rng):
    n = 6
    explainer = sz.ZeroExplainer(_nonlinear_model(n, 4, 7), alphabet=sz.DNA, seq_length=n)
    X = rng.integers(0, 4, size=(20, n))
    result = explainer.interactions(X, index="FSII", order=2)
    values, subsets = result.values, result.subsets
    # top over the data set
    top = result.top(5)
    scores = [np.mean(np.abs(values[:, u])) for u in range(len(subsets))]
    expected = sorted(range(len(subsets)), key=lambda u: -scores[u])[:5]
    assert list(top["subset"]) == [subsets[u] for u in expected]
    assert_allclose(top["mean_abs"], [scores[u] for u in expected])
    # top per sequence
    per = result.top_per_sequence(3)
    for r in range(len(X)):
        rows = per[per["sequence"] == r]
        best = sorted(range(len(subsets)), key=lambda u: -abs(values[r, u]))[:3]
        assert_allclose(rows["value"], [values[r, u] for u in best])
    # pandas layouts
    long = result.to_pandas()
    assert len(long) == len(X) * len(subsets)
    assert_allclose(long["value"].to_numpy().reshape(len(X), -1), values)
    assert list(result.to_pandas("wide").columns) == result.labels


def test_flattened_interactions_explanation(rng):
    n = 5
    explainer = sz.ZeroExplainer(_nonlinear_model(n, 4, 8), alphabet=sz.DNA, seq_length=n)
    X = rng.integers(0, 4, size=(6, n))
    result = explainer.interactions(X, index="k-SII", order=2)
    flat = result.to_explanation()
    assert flat.values.shape == (6, len(result.subsets))
    for column, subset in enumerate(result.subsets):
        assert flat.feature_names[column] == " x ".join(f"pos{i + 1}" for i in subset)
        if len(subset) == 1:
            assert_allclose(flat.data[:, column], X[:, subset[0]])
            assert list(flat.display_data[:, column]) == [sz.DNA.symbols[c] for c in X[:, subset[0]]]
        else:
            assert_allclose(flat.data[:, column], 4 * X[:, subset[0]] + X[:, subset[1]])
            assert list(flat.display_data[:, column]) == [
                "".join(sz.DNA.symbols[c] for c in row) for row in X[:, list(subset)]
            ]
    # k-SII of the full order is efficient: columns sum to f(x) - E f.
    assert_allclose(flat.values.sum(axis=1) + flat.base_values, explainer.sketch_.predict(X), atol=1e-10)
    assert result.to_explanation(max_order=1).values.shape == (6, n)


# -- global explanations ----------------------------------------------------------------


def test_global_explanation_matches_loops(rng, monkeypatch):
    monkeypatch.setattr(explainer_module, "_SUMMARY_CHUNK", 7)  # several chunks
    n, q = 5, 4
    explainer = sz.ZeroExplainer(_nonlinear_model(n, q, 9), alphabet=sz.DNA, seq_length=n)
    X = rng.integers(0, q, size=(30, n))
    summary = explainer.global_explanation(X, n_top=3)
    phi = explainer.shap_values(X)
    assert_allclose(summary.position_mean_abs, np.abs(phi).mean(axis=0))
    assert_allclose(summary.position_mean, phi.mean(axis=0))
    for i in range(n):
        for a in range(q):
            rows = [r for r in range(len(X)) if X[r, i] == a]
            if rows:
                assert_allclose(summary.symbol_mean[i, a], np.mean([phi[r, i] for r in rows]))
                assert_allclose(summary.symbol_mean_abs[i, a], np.mean([abs(phi[r, i]) for r in rows]))
            else:
                assert np.isnan(summary.symbol_mean[i, a])
    pairs = explainer.interactions(X, index="SII", order=2)
    expected = pairs.top(20)
    expected = expected[expected["size"] == 2].head(3)
    top = summary.top_interactions()
    assert list(top["pair"]) == list(expected["subset"])
    assert_allclose(top["mean_abs"], expected["mean_abs"])
    assert summary.positions()["mean_abs"].is_monotonic_decreasing
    assert len(summary.symbols_frame()) == n * q


def test_symbol_totals_add_over_chunks(rng):
    values = rng.normal(size=(40, 6))
    codes = rng.integers(0, 3, size=(40, 6))
    whole = sz.attribution.symbol_totals(values, codes, 3)
    parts = sz.attribution.symbol_totals(values[:15], codes[:15], 3) + sz.attribution.symbol_totals(
        values[15:], codes[15:], 3
    )
    assert_allclose(whole.sum, parts.sum)
    assert_allclose(whole.counts, parts.counts)
    for i in range(6):
        for a in range(3):
            mask = codes[:, i] == a
            assert_allclose(whole.sum[i, a], values[mask, i].sum())
            assert_allclose(whole.sum_abs[i, a], np.abs(values[mask, i]).sum())
            assert whole.counts[i, a] == mask.sum()


# -- sketches as input, saving and loading -----------------------------------------------


def test_explainer_of_a_sketch_needs_no_model(tmp_path, rng):
    sketch = sz.random_sparse_sketch(12, 4, 25, alphabet=sz.DNA, random_state=0)
    explainer = sz.ZeroExplainer(sketch)
    X = rng.integers(0, 4, size=(10, 12))
    assert_allclose(explainer.shap_values(X), sz.shapley_values(sketch, X))
    assert explainer.n_queries_ == 0 and explainer.model is None
    path = tmp_path / "model.sketch.npz"
    explainer.save(path)
    for reloaded in (sz.ZeroExplainer(path), sz.ZeroExplainer(str(path)), sz.ZeroExplainer.load(path)):
        assert_allclose(reloaded.shap_values(X), explainer.shap_values(X))
        assert reloaded.alphabet == sz.DNA


def test_save_and_load_multi_output(tmp_path, rng):
    n = 4
    first, second = _nonlinear_model(n, 4, 12), _nonlinear_model(n, 4, 13)
    explainer = sz.ZeroExplainer(lambda c: np.stack([first(c), second(c)], 1), alphabet=sz.DNA, seq_length=n)
    with pytest.raises(InvalidParameterError, match=r"\{output\}"):
        explainer.save(tmp_path / "both.npz")
    explainer.save(tmp_path / "both.{output}.npz")
    assert (tmp_path / "both.0.npz").exists() and (tmp_path / "both.1.npz").exists()
    reloaded = sz.ZeroExplainer.load(str(tmp_path / "both.{output}.npz"))
    X = rng.integers(0, 4, size=(3, n))
    assert_allclose(reloaded.shap_values(X), explainer.shap_values(X))
    listed = sz.ZeroExplainer([tmp_path / "both.0.npz", tmp_path / "both.1.npz"])
    assert listed.n_outputs == 2
    with pytest.raises(FileNotFoundError, match="output 0"):
        sz.ZeroExplainer.load(str(tmp_path / "none.{output}.npz"))


def test_files_keep_feature_and_output_names_and_the_constructor_reads_templates(tmp_path, rng):
    n = 4
    first, second = _nonlinear_model(n, 4, 12), _nonlinear_model(n, 4, 13)
    names = ["g1", "g2", "PAM", "g4"]
    explainer = sz.ZeroExplainer(
        lambda c: np.stack([first(c), second(c)], 1), alphabet=sz.DNA, seq_length=n,
        feature_names=names, output_names=["efficacy", "specificity"],
    )  # fmt: skip
    template = str(tmp_path / "cnn.{output}.npz")
    explainer.save(template)
    X = rng.integers(0, 4, size=(3, n))
    for reloaded in (sz.ZeroExplainer(template), sz.ZeroExplainer.load(template)):
        assert reloaded.n_outputs == 2
        assert reloaded.feature_names == names and reloaded.output_names == ["efficacy", "specificity"]
        assert_allclose(reloaded.shap_values(X), explainer.shap_values(X))
        explanation = reloaded(X)
        assert explanation.feature_names == names and list(explanation.output_names) == ["efficacy", "specificity"]
    stored = sz.FourierSketch.load(tmp_path / "cnn.1.npz").metadata["explainer"]
    assert stored == {"feature_names": names, "output_name": "specificity", "output": 1, "n_outputs": 2}
    # Names given to the constructor win over the stored ones.
    renamed = sz.ZeroExplainer(template, feature_names=list("abcd"), output_names=["x", "y"])
    assert renamed.feature_names == list("abcd") and renamed.output_names == ["x", "y"]
    # A single-output explainer without output names stores none and restores none.
    single = sz.ZeroExplainer(first, alphabet=sz.DNA, seq_length=n)
    single.save(tmp_path / "one.npz")
    again = sz.ZeroExplainer(tmp_path / "one.npz")
    assert again.output_names is None and again.feature_names == single.feature_names
    with pytest.raises(FileNotFoundError, match="output 0"):
        sz.ZeroExplainer(str(tmp_path / "none.{output}.npz"))


def test_names_stored_in_a_file_are_checked_like_given_ones(tmp_path):
    sketch = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.DNA, random_state=0)
    sketch.with_metadata(explainer={"feature_names": ["a", "b"], "output_name": None}).save(tmp_path / "bad.npz")
    with pytest.raises(InvalidParameterError, match=r"feature_names \(stored in the sketch file\)"):
        sz.ZeroExplainer(tmp_path / "bad.npz")
    assert sz.ZeroExplainer(tmp_path / "bad.npz", feature_names=list("vwxyz")).feature_names == list("vwxyz")


def test_alphabet_can_be_attached_to_a_sketch_saved_without(tmp_path):
    bare = sz.random_sparse_sketch(6, 4, 5, random_state=1)
    assert bare.alphabet is None
    with pytest.raises(InvalidParameterError, match="no alphabet"):
        sz.ZeroExplainer(bare)("ACGTAC")
    explainer = sz.ZeroExplainer(bare, alphabet=sz.DNA)
    assert_allclose(explainer.shap_values("ACGTAC"), sz.shapley_values(bare, sz.DNA.encode("ACGTAC")))
    assert explainer("ACGTAC").display_data.tolist() == [list("ACGTAC")]
    with pytest.raises(InvalidParameterError, match="differs"):
        sz.ZeroExplainer(sz.random_sparse_sketch(6, 4, 5, alphabet=sz.RNA, random_state=1), alphabet=sz.DNA)


# -- bad input ------------------------------------------------------------------------------


def test_bad_arguments_are_named():
    model = _nonlinear_model(4, 4, 0)
    sketch = sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0)
    with pytest.raises(InvalidParameterError, match="alphabet and seq_length"):
        sz.ZeroExplainer(model)
    with pytest.raises(InvalidParameterError, match="seq_length"):
        sz.ZeroExplainer(model, alphabet=sz.DNA)
    with pytest.raises(InvalidParameterError, match=r"unknown option\(s\) \['n_group'\]"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, n_group=3)
    with pytest.raises(InvalidParameterError, match="only apply when sketching a model"):
        sz.ZeroExplainer(sketch, budget=1000)
    with pytest.raises(InvalidParameterError, match="seq_length=5 does not match"):
        sz.ZeroExplainer(sketch, seq_length=5)
    with pytest.raises(InvalidParameterError, match="method must be one of"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, method="kernel")
    with pytest.raises(InvalidParameterError, match="MAX_DENSE_SIZE"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=30, method="exact")
    with pytest.raises(InvalidParameterError, match="belong to method='qsft'"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, method="exact", b=2)
    with pytest.raises(InvalidParameterError, match="feature_names must hold 4"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, feature_names=["a", "b"])
    with pytest.raises(InvalidParameterError, match="model_input must be one of"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, model_input="fasta")
    with pytest.raises(InvalidParameterError, match="callable or have a predict"):
        sz.ZeroExplainer(object(), alphabet=sz.DNA, seq_length=4, model_input="onehot")
    with pytest.raises(InvalidParameterError, match="background"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, background="ACG")
    with pytest.raises(InvalidParameterError, match="model_or_sketch: a list must hold only"):
        sz.ZeroExplainer([sketch, model])


def test_bad_sequences_are_named():
    explainer = sz.ZeroExplainer(_nonlinear_model(4, 4, 0), alphabet=sz.DNA, seq_length=4)
    with pytest.raises(InvalidSequenceError, match="'X'"):
        explainer(["ACGT", "ACXT"])
    with pytest.raises(InvalidSequenceError, match="length"):
        explainer(["ACGTA"])
    with pytest.raises(InvalidSequenceError, match="0..3"):
        explainer.shap_values(np.array([[0, 1, 2, 4]]))


def test_exact_sketch_takes_an_executor_and_resumes_from_a_checkpoint(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    n = 6
    counting = CountingModel(_nonlinear_model(n, 4, 14))
    path = tmp_path / "exact.ckpt"
    with ThreadPoolExecutor(2) as pool:
        first = sz.ZeroExplainer(counting, alphabet=sz.DNA, seq_length=n, executor=pool, batch_size=500, checkpoint=path)
        first.fit()
    assert counting.rows == 4**n and first.sketch_.metadata["method"] == "exact"
    again = sz.ZeroExplainer(counting, alphabet=sz.DNA, seq_length=n, batch_size=500, checkpoint=path).fit()
    assert counting.rows == 4**n  # everything came from the checkpoint
    assert_allclose(again.sketch_.coefficients, first.sketch_.coefficients)


def test_checkpointed_qsft_needs_an_integer_seed_up_front(tmp_path):
    model = _nonlinear_model(20, 4, 15)
    with pytest.raises(InvalidParameterError, match="checkpoint: .*integer random_state"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=20, checkpoint=tmp_path / "c.ckpt")


def test_flattened_codes_do_not_depend_on_the_sequences_passed(rng):
    sketch = sz.random_sparse_sketch(5, 4, 10, max_degree=2, random_state=2)  # no alphabet
    explainer = sz.ZeroExplainer(sketch)
    few = np.zeros((2, 5), dtype=np.uint8)
    few[:, 0] = 1
    many = np.vstack([few, np.full((1, 5), 3, dtype=np.uint8)])
    first = explainer.interactions(few, index="SII").to_explanation()
    second = explainer.interactions(many, index="SII").to_explanation()
    assert_allclose(first.data, second.data[:2])
    assert first.display_data is None


# -- inputs and outputs that used to be silently wrong (issue 14) ------------------------


def _input_forms(codes: np.ndarray) -> dict[str, object]:
    """The same sequences as containers users pass; the labels must never be read."""
    pd = pytest.importorskip("pandas")
    letters = sz.DNA.decode(codes)
    forms = {
        "DataFrame of codes": pd.DataFrame(codes),
        "DataFrame with string labels": pd.DataFrame(codes, columns=list("ACGT")[: codes.shape[1]], index=letters),
        "Series of strings": pd.Series(letters, index=[f"s{k}" for k in range(len(letters))]),
        "DataFrame with one string column named like a sequence": pd.DataFrame({"ACGT": letters}),
        "memoryview": memoryview(np.ascontiguousarray(codes, dtype=np.uint8)),
        "masked array without masked entries": np.ma.masked_array(codes),
    }
    try:
        import torch
    except ImportError:
        return forms
    forms["torch tensor"] = torch.from_numpy(codes.astype(np.int64))
    return forms


def test_every_entry_point_reads_containers_by_their_values():
    n = 4
    explainer = sz.ZeroExplainer(_nonlinear_model(n, 4, 3), alphabet=sz.DNA, seq_length=n)
    codes = np.random.default_rng(0).integers(0, 4, size=(7, n)).astype(np.uint8)
    sketch = explainer.sketch_
    expected = explainer.shap_values(codes)
    pairs = explainer.shap_interaction_values(codes)
    sii = explainer.interactions(codes).result.values
    for form, X in _input_forms(codes).items():
        assert_allclose(explainer(X).values, expected, err_msg=form)
        assert_allclose(explainer.shap_values(X), expected, err_msg=form)
        assert_allclose(explainer.shap_interaction_values(X), pairs, err_msg=form)
        assert_allclose(explainer.interactions(X).result.values, sii, err_msg=form)
        assert_allclose(explainer.global_explanation(X).position_mean_abs, np.abs(expected).mean(axis=0), err_msg=form)
        assert_allclose(sz.shapley_values(sketch, X), expected, err_msg=form)
        assert_allclose(sz.shap_interaction_values(sketch, X), pairs, err_msg=form)
        assert_allclose(sz.interaction_values(sketch, X).values, sii, err_msg=form)
        np.testing.assert_array_equal(sketch.encode(X), codes, err_msg=form)
        assert_allclose(sketch.predict(X), sketch.predict(codes), err_msg=form)


def test_the_dataframe_of_the_issue_is_explained_row_by_row():
    pd = pytest.importorskip("pandas")
    sketch = sz.random_sparse_sketch(4, 4, 6, alphabet=sz.DNA, random_state=0)
    codes = np.random.default_rng(0).integers(0, 4, (1000, 4))
    values = sz.shapley_values(sketch, pd.DataFrame(codes))
    assert values.shape == (1000, 4)
    assert_allclose(values, sz.shapley_values(sketch, codes))


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ({"a": "ACGT"}, r"got a dict.*list\(d.values\(\)\)"),
        ({"ACGT", "TTTT"}, r"got a set, whose order is arbitrary"),
        (frozenset({"ACGT"}), r"got a frozenset, whose order is arbitrary"),
    ],
)
def test_unordered_and_keyed_containers_are_refused(X, match):
    explainer = sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0))
    with pytest.raises(InvalidParameterError, match=match):
        explainer(X)
    with pytest.raises(InvalidParameterError, match=match):
        explainer.sketch_.predict(X)


def test_masked_entries_are_refused_with_their_count_and_first_position():
    explainer = sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0))
    masked = np.ma.masked_array([[0, 1, 2, 3], [3, 2, 1, 0]], mask=[[0, 0, 0, 0], [0, 1, 1, 0]])
    with pytest.raises(InvalidSequenceError, match=r"2 masked entries, the first in X\[1\] at position 2 \(positions count from 1\)"):
        explainer(masked)


def test_error_positions_count_from_one_like_the_feature_names():
    explainer = sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0))
    assert explainer.feature_names[3] == "pos4"
    message = "X[0] has 'X' at position 4 (positions count from 1), which is not in alphabet DNA ('ACGT')"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        explainer(["ACGX"])
    with pytest.raises(InvalidSequenceError, match=re.escape("X[1] has code 7 at position 2 (positions count from 1)")):
        explainer.shap_values([[0, 0, 0, 0], [0, 7, 0, 0]])


def test_progress_must_be_a_bool_everywhere():
    model = _nonlinear_model(4, 4, 0)
    with pytest.raises(InvalidParameterError, match="progress: expected True or False, got 'yes'"):
        sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=4, progress="yes")
    with pytest.raises(InvalidParameterError, match="progress: expected True or False, got 1"):
        sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0), progress=1)
    explainer = sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0))
    calls = [
        lambda: explainer("ACGT", progress="yes"),
        lambda: explainer.shap_values("ACGT", progress="yes"),
        lambda: explainer.shap_interaction_values("ACGT", progress="no"),
        lambda: explainer.interactions("ACGT", progress="yes"),
        lambda: explainer.global_explanation(["ACGT"], progress=0),
    ]
    for call in calls:
        with pytest.raises(InvalidParameterError, match="progress: expected True or False"):
            call()
    assert explainer("ACGT", progress=np.bool_(False)).values.shape == (1, 4)


def test_outputs_with_different_alphabets_are_refused(tmp_path):
    rna = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.RNA, random_state=0)
    tgca = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.Alphabet("TGCA"), random_state=1)
    rna.save(tmp_path / "rna.npz")
    tgca.save(tmp_path / "tgca.npz")
    paths = [str(tmp_path / "rna.npz"), str(tmp_path / "tgca.npz")]
    pattern = (
        r"model_or_sketch: output 1 \('.*tgca\.npz'\) has alphabet Alphabet\('TGCA'\) but output 0 "
        r"\('.*rna\.npz'\) has alphabet Alphabet\('ACGU', name='RNA'\)"
    )
    with pytest.raises(InvalidParameterError, match=pattern):
        sz.ZeroExplainer(paths)
    with pytest.raises(InvalidParameterError, match=r"output 1 has alphabet Alphabet\('TGCA'\) but output 0"):
        sz.ZeroExplainer([rna, tgca])
    # The same letters in another order are another alphabet; so is another case rule.
    strict = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.Alphabet("ACGU", case_sensitive=True), random_state=1)
    with pytest.raises(InvalidParameterError, match="every output must use the same alphabet"):
        sz.ZeroExplainer([rna, strict])
    # An explicit alphabet that one output contradicts names that output.
    bare = sz.random_sparse_sketch(5, 4, 5, random_state=2)
    with pytest.raises(InvalidParameterError, match=r"differs from the alphabet Alphabet\('ACGU', name='RNA'\) of output 1"):
        sz.ZeroExplainer([bare, rna], alphabet=sz.DNA)
    # Equal alphabets under other names are the same alphabet.
    renamed = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.Alphabet("ACGU", name="my RNA"), random_state=3)
    assert sz.ZeroExplainer([rna, renamed]).n_outputs == 2


def test_an_output_saved_without_alphabet_adopts_the_others(tmp_path):
    bare = sz.random_sparse_sketch(5, 4, 5, random_state=2)
    rna = sz.random_sparse_sketch(5, 4, 5, alphabet=sz.RNA, random_state=0)
    for sketches in ([bare, rna], [rna, bare]):
        explainer = sz.ZeroExplainer(sketches)
        assert explainer.alphabet == sz.RNA
        assert all(sketch.alphabet == sz.RNA for sketch in explainer.sketches_)
        values = explainer.shap_values("ACGUA")
        assert values.shape == (1, 5, 2)
        codes = sz.RNA.encode("ACGUA")
        for column, sketch in enumerate(sketches):
            assert_allclose(values[..., column], sz.shapley_values(sketch, codes))
    both_bare = sz.ZeroExplainer([bare, sz.random_sparse_sketch(5, 4, 5, random_state=4)])
    assert both_bare.alphabet is None

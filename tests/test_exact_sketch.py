"""The dense exact sketch: recovery of known spectra, end to end against brute force, errors."""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from shap_zero import oracle
from shap_zero.exceptions import InvalidParameterError, ModelError, ModelOutputError


@pytest.mark.parametrize("q,n", [(2, 7), (3, 5), (4, 6), (5, 4), (20, 2)])
def test_recovers_a_sparse_spectrum_exactly(rng, q, n):
    truth = sz.random_sparse_sketch(n, q, 9, max_degree=min(3, n), random_state=rng, mean=1.25)
    sketch = sz.exact_sketch(truth.predict, seq_length=n, alphabet=q)
    np.testing.assert_array_equal(sketch.frequencies, truth.frequencies)
    np.testing.assert_allclose(sketch.coefficients, truth.coefficients, atol=1e-10)
    assert sketch.metadata["method"] == "exact" and sketch.metadata["n_queries"] == q**n


def test_any_model_is_reproduced_at_every_sequence(rng):
    q, n = 4, 5
    table = rng.normal(size=q**n)
    weights = q ** np.arange(n - 1, -1, -1)

    def lookup_model(codes):
        return table[codes.astype(np.int64) @ weights]

    sketch = sz.exact_sketch(lookup_model, seq_length=n, alphabet=sz.DNA, batch_size=100)
    assert sketch.alphabet == sz.DNA
    np.testing.assert_allclose(sketch.predict(oracle.all_sequences(n, q)), table, atol=1e-10)
    # End to end: SHAP values of the exact sketch are the model's exact SHAP values.
    X = rng.integers(0, q, size=(3, n))
    for background, (w, p) in [
        ("uniform", oracle.uniform_background(n, q)),
        (X[0], oracle.reference_background(X[0], q)),
    ]:
        np.testing.assert_allclose(
            sz.shapley_values(sketch, X, background=background),
            oracle.brute_force_shapley(lookup_model, X, w, p, q),
            atol=1e-9,
        )


def test_multi_output_models_need_an_output():
    def two_outputs(codes):
        total = codes.sum(axis=1).astype(float)
        return np.stack([total, -total], axis=1)

    with pytest.raises(InvalidParameterError, match="returns 2 outputs; pass output=0..1"):
        sz.exact_sketch(two_outputs, seq_length=3, alphabet=4)
    first = sz.exact_sketch(two_outputs, seq_length=3, alphabet=4, output=0)
    second = sz.exact_sketch(two_outputs, seq_length=3, alphabet=4, output=1)
    X = oracle.all_sequences(3, 4)
    np.testing.assert_allclose(first.predict(X), -second.predict(X), atol=1e-12)


def test_errors():
    with pytest.raises(InvalidParameterError, match="MAX_DENSE_SIZE"):
        sz.exact_sketch(lambda c: c.sum(1), seq_length=12, alphabet=4)
    with pytest.raises(InvalidParameterError, match="seq_length"):
        sz.exact_sketch(lambda c: c.sum(1), seq_length=0, alphabet=4)

    def broken(codes):
        raise RuntimeError("GPU on fire")

    with pytest.raises(ModelError, match=r"batch 0 \(rows 0..63\): RuntimeError: GPU on fire"):
        sz.exact_sketch(broken, seq_length=3, alphabet=4)

    def nan_model(codes):
        out = codes.sum(axis=1).astype(float)
        out[out == 5] = np.nan
        return out

    with pytest.raises(ModelOutputError, match="not finite: nan"):
        sz.exact_sketch(nan_model, seq_length=3, alphabet=4, batch_size=16)
    with pytest.raises(ModelOutputError, match=r"shape \(64,\) or \(64, m\)"):
        sz.exact_sketch(lambda c: np.zeros(3), seq_length=3, alphabet=4)
    with pytest.raises(ModelOutputError, match="must be numbers"):
        sz.exact_sketch(lambda c: np.array(["a"] * len(c)), seq_length=3, alphabet=4)


def test_a_large_offset_does_not_hide_small_effects(rng):
    # The round-off cut is relative to the rms coefficient, not to the mean: effects of
    # 1e-8 on an offset of 1e4 are far above an FFT's round-off (about 1e-14 here).
    q, n = 4, 6
    effects = sz.random_sparse_sketch(n, q, 12, max_degree=2, random_state=rng, mean=0.0)
    table = effects.predict(oracle.all_sequences(n, q))
    table *= 1e-8 / np.abs(table).max()

    def model(codes):
        return 1e4 + table[codes.astype(np.int64) @ (q ** np.arange(n - 1, -1, -1))]

    sketch = sz.exact_sketch(model, seq_length=n, alphabet=q)
    X = oracle.all_sequences(n, q)
    np.testing.assert_allclose(sketch.predict(X) - 1e4, table, rtol=0, atol=1e-11)
    assert 1 < sketch.n_terms <= effects.n_terms
    # Round-off alone is still cut: a model that is a constant gives one term.
    assert sz.exact_sketch(lambda codes: np.full(codes.shape[0], 1e4), seq_length=n, alphabet=q).n_terms == 1


def test_exact_sketch_resumes_from_a_checkpoint(tmp_path):
    calls = []

    def model(codes):
        calls.append(codes.shape[0])
        return codes.sum(axis=1).astype(float) + (codes[:, 0] == codes[:, 1])

    path = tmp_path / "exact.ckpt"
    first = sz.exact_sketch(model, seq_length=5, alphabet=4, batch_size=256, checkpoint=path)
    queried = sum(calls)
    second = sz.exact_sketch(model, seq_length=5, alphabet=4, batch_size=256, checkpoint=path)
    assert queried == 4**5 and sum(calls) == queried  # nothing re-queried
    np.testing.assert_array_equal(first.frequencies, second.frequencies)
    np.testing.assert_array_equal(first.coefficients, second.coefficients)

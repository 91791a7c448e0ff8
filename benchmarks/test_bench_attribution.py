"""pytest-benchmark: closed-form attribution at the scale of the paper's TIGER sketch.

Run with ``python -m pytest benchmarks/test_bench_attribution.py --benchmark-only``.
Each numba kernel is called once before timing, so compile time is excluded; the NumPy
reference of the same closed form runs in the same session for the ratios, which
``python -m benchmarks.report`` computes from the saved JSON.
"""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from benchmarks.numpy_reference import NumpyClosedForm
from benchmarks.workloads import random_codes, tiger_scale_sketch

N_SEQUENCES = 100_000


@pytest.fixture(scope="module")
def sketch() -> sz.FourierSketch:
    return tiger_scale_sketch()


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    return random_codes(N_SEQUENCES)


@pytest.fixture(scope="module")
def reference(sketch) -> NumpyClosedForm:
    return NumpyClosedForm(sketch)


def _run(benchmark, function, *args, rounds=5):
    function(*(arg[:10] if isinstance(arg, np.ndarray) else arg for arg in args))  # compile / warm up
    return benchmark.pedantic(function, args=args, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group="shap-values-100k")
def test_shap_values_numba(benchmark, sketch, codes, reference):
    benchmark.extra_info.update(n_sequences=N_SEQUENCES, implementation="numba", n_terms=sketch.n_terms)
    result = _run(benchmark, lambda X: sz.shapley_values(sketch, X), codes)
    np.testing.assert_allclose(result[:1000], reference.shapley_values(codes[:1000]), atol=1e-9)


@pytest.mark.benchmark(group="shap-values-100k")
def test_shap_values_numpy_reference(benchmark, sketch, codes, reference):
    benchmark.extra_info.update(n_sequences=N_SEQUENCES, implementation="numpy", n_terms=sketch.n_terms)
    _run(benchmark, reference.shapley_values, codes, rounds=3)


@pytest.mark.benchmark(group="pairwise-100k")
def test_pairwise_numba(benchmark, sketch, codes, reference):
    benchmark.extra_info.update(n_sequences=N_SEQUENCES, implementation="numba", n_terms=sketch.n_terms)
    result = _run(benchmark, lambda X: sz.shap_interaction_values(sketch, X), codes, rounds=3)
    np.testing.assert_allclose(result[:200], reference.shap_interaction_values(codes[:200]), atol=1e-9)


@pytest.mark.benchmark(group="pairwise-100k")
def test_pairwise_numpy_reference(benchmark, sketch, codes, reference):
    benchmark.extra_info.update(n_sequences=N_SEQUENCES, implementation="numpy", n_terms=sketch.n_terms)
    _run(benchmark, reference.shap_interaction_values, codes, rounds=2)


@pytest.mark.benchmark(group="predict-100k")
def test_predict_numba(benchmark, sketch, codes):
    benchmark.extra_info.update(n_sequences=N_SEQUENCES, implementation="numba", n_terms=sketch.n_terms)
    _run(benchmark, sketch.predict, codes)

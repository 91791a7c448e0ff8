"""pytest-benchmark: the per-sequence cost of every explainer on one model.

The model is a random sparse function on q=4, n=20 (100 terms of degree <= 3, the
paper's synthetic setting), cheap to evaluate, so the timings measure the explainers
rather than the model. Groups:

- ``shap-per-sequence``: SHAP values. KernelSHAP (2,048 coalitions, 100 background
  sequences) is the reference; PermutationSHAP, FastSHAP's forward pass (training
  excluded) and shap_zero's closed form on the exact sketch (sketching excluded) are
  compared with it per sequence.
- ``interactions-per-sequence``: pairwise k-SII. shapiq's KernelSHAP-IQ (1,024
  coalitions, 20 background sequences) is the reference; shap_zero's closed form.

Every benchmark runs once untimed first (numba compilation, shap's included). One-time
costs (sketching, training) are not here: the harness
(``python -m benchmarks run``) measures them and the amortized totals. Run::

    python -m pytest benchmarks/test_bench_baselines.py --benchmark-only \\
        --benchmark-json results/baselines_benchmark.json
    python -m benchmarks.report results/baselines_benchmark.json
"""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from baselines import KernelSHAP, PermutationSHAP

N, Q = 20, 4
FEW = 4  # sequences per round for the slow per-sequence baselines
MANY = 10_000  # sequences per round for the closed forms


@pytest.fixture(scope="module")
def sketch() -> sz.FourierSketch:
    return sz.random_sparse_sketch(N, Q, 100, max_degree=3, random_state=0)


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    return np.random.default_rng(1).integers(0, Q, size=(MANY, N), dtype=np.uint8)


def _info(benchmark, implementation: str, n_sequences: int, reference: bool = False) -> None:
    benchmark.extra_info.update(implementation=implementation, n_sequences=n_sequences, reference=reference)


@pytest.mark.benchmark(group="shap-per-sequence")
def test_kernelshap(benchmark, sketch, codes):
    _info(benchmark, "kernelshap (2048 coalitions, 100 background)", FEW, reference=True)
    baseline = KernelSHAP(nsamples=2048, background_size=100)
    benchmark.pedantic(
        lambda: baseline.explain(sketch.predict, codes[:FEW], seq_length=N, alphabet=Q, random_state=0),
        rounds=3, iterations=1, warmup_rounds=1,  # shap compiles numba helpers on first use
    )


@pytest.mark.benchmark(group="shap-per-sequence")
def test_permutation(benchmark, sketch, codes):
    _info(benchmark, "permutation (500 evals, 50 background)", FEW)
    baseline = PermutationSHAP(max_evals=500, background_size=50)
    benchmark.pedantic(
        lambda: baseline.explain(sketch.predict, codes[:FEW], seq_length=N, alphabet=Q, random_state=0),
        rounds=3, iterations=1, warmup_rounds=1,  # shap compiles numba helpers on first use
    )


@pytest.mark.benchmark(group="shap-per-sequence")
def test_shap_zero(benchmark, sketch, codes):
    _info(benchmark, "shap_zero closed form", MANY)
    sz.shapley_values(sketch, codes[:10])  # compile
    benchmark.pedantic(sz.shapley_values, args=(sketch, codes), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.benchmark(group="shap-per-sequence")
def test_fastshap_forward(benchmark, sketch, codes):
    pytest.importorskip("torch", reason="the fastshap extra (torch) is not installed")
    from baselines.fastshap import FastSHAP

    _info(benchmark, "fastshap forward pass + 1 query", 1_000)
    baseline = FastSHAP(max_epochs=2, progress=False)
    baseline.fit(sketch.predict, seq_length=N, alphabet=Q, random_state=0)
    benchmark.pedantic(
        lambda: baseline.explain(sketch.predict, codes[:1_000], seq_length=N, alphabet=Q),
        rounds=5, iterations=1, warmup_rounds=1,
    )


@pytest.mark.benchmark(group="interactions-per-sequence")
def test_shapiq_kernelshapiq(benchmark, sketch, codes):
    pytest.importorskip("shapiq", reason="shapiq is not installed")
    from baselines.shapiq_estimators import ShapiqInteractions

    _info(benchmark, "shapiq KernelSHAP-IQ (1024 coalitions, 20 background)", FEW, reference=True)
    baseline = ShapiqInteractions(approximator="KernelSHAPIQ", budget=1024, background_size=20)
    benchmark.pedantic(
        lambda: baseline.explain_interactions(
            sketch.predict, codes[:FEW], seq_length=N, alphabet=Q, index="k-SII", order=2, random_state=0
        ),
        rounds=3, iterations=1, warmup_rounds=1,  # shap compiles numba helpers on first use
    )


@pytest.mark.benchmark(group="interactions-per-sequence")
def test_shap_zero_interactions(benchmark, sketch, codes):
    _info(benchmark, "shap_zero closed form", 1_000)
    sz.interaction_values(sketch, codes[:5], index="k-SII", order=2)  # compile
    benchmark.pedantic(
        lambda: sz.interaction_values(sketch, codes[:1_000], index="k-SII", order=2),
        rounds=5, iterations=1, warmup_rounds=1,
    )

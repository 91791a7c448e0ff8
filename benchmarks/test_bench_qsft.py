"""pytest-benchmark: q-SFT decoding at the paper's TIGER scale.

The design is the paper's: q=4, n=26, b=7, C=3 groups, R=3 offsets, so 243 blocks of
16,384 points (3,981,312 samples). The model outputs are computed once per module; the
benchmark times decoding only (aliased transforms, peeling, refit, noise floor), with
the numba kernels compiled by a warm-up decode at b=3 first. The reference in the same
run is ``numpy.fft.fftn`` of the same samples, the transform every decoder needs.

Run with::

    python -m pytest benchmarks/test_bench_qsft.py --benchmark-only \\
        --benchmark-json results/qsft_benchmark.json
    python -m benchmarks.report results/qsft_benchmark.json

Workloads: the TIGER-scale sparse spectrum (126 conjugate pairs, degree <= 5) without
noise, with Gaussian noise at 10 dB SNR, and with a dense tail of all 1,677 first- and
second-order conjugate pairs holding about 10% of the variance (the shape of a real
model's spectrum: a few strong terms over many weak ones).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.workloads import TIGER_N, TIGER_Q, dense_tail_sketch, tiger_scale_sketch
from shap_zero.sketch import decode, draw_design, nested_samples

B, GROUPS, REPEATS = 7, 3, 3


@pytest.fixture(scope="module")
def design():
    return draw_design(TIGER_N, TIGER_Q, B, n_groups=GROUPS, n_repeats=REPEATS, random_state=0)


@pytest.fixture(scope="module")
def workloads(design):
    points = design.points()
    sparse = tiger_scale_sketch()
    clean = sparse.predict(points)
    rng = np.random.default_rng(1)
    noise_sd = np.sqrt(sparse.variance / 10.0)  # 10 dB
    tail = dense_tail_sketch(sparse, tail_fraction=0.1, seed=2)
    return {
        "sparse-noiseless": (clean, sparse),
        "sparse-10dB": (clean + noise_sd * rng.standard_normal(clean.shape), sparse),
        "dense-tail": (tail.predict(points), tail),
    }


def _warm_up(design, samples):
    decode(nested_samples(samples, design, 3), design, b=3)


@pytest.mark.parametrize("workload", ["sparse-noiseless", "sparse-10dB", "dense-tail"])
@pytest.mark.benchmark(group="qsft-decode-tiger")
def test_decode_tiger_scale(benchmark, design, workloads, workload):
    samples, truth = workloads[workload]
    _warm_up(design, samples)
    result = benchmark.pedantic(decode, args=(samples, design), rounds=3, iterations=1)
    benchmark.extra_info.update(
        implementation=f"shap_zero decode, {workload}",
        n_sequences=int(samples.size),
        n_terms_found=int(result.frequencies.shape[0]),
        n_terms_true=int(truth.n_terms),
        noise_sd=result.noise_sd,
    )
    if workload == "sparse-noiseless":
        assert result.frequencies.shape[0] == truth.n_terms


@pytest.mark.benchmark(group="qsft-decode-tiger")
def test_numpy_fft_reference(benchmark, design, workloads):
    samples, _ = workloads["sparse-noiseless"]
    blocks = samples.reshape((GROUPS * design.n_delays,) + (TIGER_Q,) * B)
    benchmark.extra_info.update(implementation="numpy", n_sequences=int(samples.size))
    benchmark.pedantic(np.fft.fftn, args=(blocks,), kwargs={"axes": tuple(range(1, B + 1))}, rounds=3, iterations=1)

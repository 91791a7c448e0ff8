"""Shared workloads of the benchmarks, at the scale of the paper's TIGER sketch."""

from __future__ import annotations

import numpy as np

import shap_zero as sz

#: TIGER's sketch: n=26, q=4, 252 Fourier coefficients (126 conjugate pairs) of degree <= 5,
#: with the degree histogram 66, 154, 29, 2, 1 of the paper's stored sketch.
TIGER_N = 26
TIGER_Q = 4
TIGER_PAIRS = 126
TIGER_DEGREE_WEIGHTS = (66, 154, 29, 2, 1)


def tiger_scale_sketch(seed: int = 0) -> sz.FourierSketch:
    """A random sketch with the size and degree profile of the paper's TIGER sketch."""
    return sz.random_sparse_sketch(
        TIGER_N,
        TIGER_Q,
        TIGER_PAIRS,
        max_degree=5,
        degree_weights=TIGER_DEGREE_WEIGHTS,
        mean=0.32,
        alphabet=sz.DNA,
        random_state=seed,
    )


def random_codes(n_sequences: int, seed: int = 1) -> np.ndarray:
    """Uniform random DNA sequences as codes, shape (N, 26), uint8."""
    return np.random.default_rng(seed).integers(0, TIGER_Q, size=(n_sequences, TIGER_N), dtype=np.uint8)


def low_order_frequencies(n: int, q: int) -> np.ndarray:
    """Every frequency of degree 1 or 2 (both members of each conjugate pair), shape (S, n)."""
    rows = []
    for i in range(n):
        for a in range(1, q):
            row = np.zeros(n, dtype=np.uint8)
            row[i] = a
            rows.append(row)
    for i in range(n):
        for j in range(i + 1, n):
            for a in range(1, q):
                for c in range(1, q):
                    row = np.zeros(n, dtype=np.uint8)
                    row[i], row[j] = a, c
                    rows.append(row)
    return np.array(rows)


def dense_tail_sketch(sparse: sz.FourierSketch, tail_fraction: float = 0.1, seed: int = 0) -> sz.FourierSketch:
    """``sparse`` plus every first- and second-order term, the tail holding ``tail_fraction`` of the variance.

    Real models have a few strong terms over a long tail of weak ones; this is the
    simplest such spectrum with a known ground truth. Tail coefficients are i.i.d.
    complex Gaussian (real at self-conjugate frequencies), conjugate-symmetric.
    """
    rng = np.random.default_rng(seed)
    frequencies = low_order_frequencies(sparse.n, sparse.q)
    coefficients = rng.standard_normal(len(frequencies)) + 1j * rng.standard_normal(len(frequencies))
    tail = sz.FourierSketch(frequencies, coefficients, sparse.q, spectrum="half")
    scale = np.sqrt(tail_fraction / (1.0 - tail_fraction) * sparse.variance / tail.variance)
    all_frequencies = np.concatenate([sparse.frequencies, tail.frequencies])
    all_coefficients = np.concatenate([sparse.coefficients, scale * tail.coefficients])
    return sz.FourierSketch(
        all_frequencies, all_coefficients, sparse.q, sparse.alphabet, spectrum="half", metadata={"workload": "dense tail"}
    )

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

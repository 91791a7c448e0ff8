"""Synthetic sparse Fourier functions with known spectra, for tests, benchmarks and demos."""

from __future__ import annotations

from typing import Any

import numpy as np

from shap_zero._validation import check_random_state
from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import FourierSketch

__all__ = ["random_sparse_sketch"]


def random_sparse_sketch(
    n: int,
    q: int,
    n_terms: int,
    *,
    max_degree: int = 3,
    min_degree: int = 1,
    degree_weights: Any = None,
    magnitude: tuple[float, float] = (1.0, 10.0),
    mean: float = 0.0,
    alphabet: Alphabet | None = None,
    random_state: Any = None,
) -> FourierSketch:
    """A random real function with exactly ``n_terms`` canonical Fourier terms.

    Each term gets a degree d (uniform over ``min_degree..max_degree``, or drawn with
    ``degree_weights``), a uniformly random support of d positions, uniformly random
    nonzero frequency values, and a coefficient of uniform magnitude in ``magnitude``
    with a uniform random phase (real for self-conjugate frequencies). Terms are
    distinct up to conjugation, so the function has ``n_terms`` conjugate pairs (or
    self-conjugate terms) plus the mean.

    Parameters
    ----------
    n, q : int
        Sequence length and alphabet size.
    n_terms : int
        Number of distinct nonzero canonical terms.
    max_degree, min_degree : int
        Range of term degrees.
    degree_weights : array-like of shape (max_degree - min_degree + 1,), optional
        Relative probabilities of each degree.
    magnitude : (float, float)
        Range of coefficient magnitudes.
    mean : float
        The zero-frequency coefficient.
    alphabet : Alphabet, optional
        Attached to the sketch.
    random_state : None, int or numpy.random.Generator
        The same seed gives the same function.

    Returns
    -------
    FourierSketch
        With ``metadata["method"] == "synthetic"``.
    """
    if not 1 <= min_degree <= max_degree <= n:
        raise InvalidParameterError(
            f"need 1 <= min_degree <= max_degree <= n={n}; got min_degree={min_degree}, max_degree={max_degree}"
        )
    if n_terms < 0:
        raise InvalidParameterError(f"n_terms must be >= 0; got {n_terms}")
    rng = check_random_state(random_state)
    degrees = np.arange(min_degree, max_degree + 1)
    if degree_weights is None:
        probabilities = np.full(len(degrees), 1.0 / len(degrees))
    else:
        probabilities = np.asarray(degree_weights, dtype=np.float64)
        if probabilities.shape != degrees.shape or (probabilities < 0).any() or probabilities.sum() <= 0:
            raise InvalidParameterError(
                f"degree_weights must be {len(degrees)} nonnegative numbers (one per degree "
                f"{min_degree}..{max_degree}) with a positive sum; got {degree_weights!r}"
            )
        probabilities = probabilities / probabilities.sum()
    seen: set[bytes] = set()
    frequencies = np.zeros((n_terms, n), dtype=np.int64)
    attempts = 0
    count = 0
    while count < n_terms:
        attempts += 1
        if attempts > 100 * n_terms + 1000:
            raise InvalidParameterError(
                f"could not draw {n_terms} distinct terms of degree {min_degree}..{max_degree} at n={n}, q={q}"
            )
        degree = rng.choice(degrees, p=probabilities)
        k = np.zeros(n, dtype=np.int64)
        support = rng.choice(n, size=degree, replace=False)
        k[support] = rng.integers(1, q, size=degree)
        negated = (-k) % q
        key = min(k.tobytes(), negated.tobytes())  # one key per conjugate pair
        if key in seen:
            continue
        seen.add(key)
        frequencies[count] = k
        count += 1
    magnitudes = rng.uniform(magnitude[0], magnitude[1], size=n_terms)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=n_terms)
    coefficients = magnitudes * np.exp(1j * phases)
    self_conjugate = (frequencies == (-frequencies) % q).all(axis=1)
    coefficients[self_conjugate] = magnitudes[self_conjugate] * np.sign(np.cos(phases[self_conjugate]))
    all_frequencies = np.concatenate([np.zeros((1, n), dtype=np.int64), frequencies])
    all_coefficients = np.concatenate([[mean], coefficients])
    return FourierSketch(
        all_frequencies,
        all_coefficients,
        q,
        alphabet,
        spectrum="half",
        metadata={
            "method": "synthetic",
            "params": {
                "n_terms": n_terms,
                "max_degree": max_degree,
                "min_degree": min_degree,
                "magnitude": list(magnitude),
            },
            "random_state": random_state if isinstance(random_state, (int, type(None))) else None,
        },
    )

"""Every frequency up to a degree: counts, enumeration and the check of ``complete_degree``."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from shap_zero._config import MAX_COMPLETION_COLUMNS
from shap_zero._validation import check_int
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import _lexicographic_min

__all__ = ["count_low_degree", "low_degree_frequencies", "cached_low_degree", "check_complete_degree"]


def count_low_degree(n: int, q: int, degree: int) -> int:
    """Number of frequencies with 1 to ``degree`` nonzero entries: sum_d C(n, d) (q - 1)^d."""
    return sum(math.comb(n, d) * (q - 1) ** d for d in range(1, degree + 1))


def low_degree_frequencies(n: int, q: int, degree: int, *, hermitian: bool = True) -> np.ndarray:
    """Every frequency with 1 to ``degree`` nonzero entries.

    Parameters
    ----------
    n, q : int
    degree : int
    hermitian : bool, default True
        Keep one frequency of each pair {k, -k} (the lexicographically smaller).

    Returns
    -------
    ndarray of shape (K, n), int64
        Sorted by degree, then positions, then values.
    """
    blocks = [np.zeros((0, n), dtype=np.int64)]
    for size in range(1, min(degree, n) + 1):
        positions = np.array(list(itertools.combinations(range(n), size)), dtype=np.int64)  # (P_d, d)
        values = np.indices((q - 1,) * size).reshape(size, -1).T + 1  # (V_d, d)
        block = np.zeros((positions.shape[0], values.shape[0], n), dtype=np.int64)
        rows = np.arange(positions.shape[0])[:, None, None]
        cols = np.arange(values.shape[0])[None, :, None]
        block[rows, cols, positions[:, None, :]] = values[None, :, :]
        blocks.append(block.reshape(-1, n))
    freqs = np.concatenate(blocks)
    if hermitian:
        _, flipped = _lexicographic_min(freqs, (-freqs) % q)  # keep k, drop -k
        freqs = freqs[~flipped]
    return np.ascontiguousarray(freqs)


@functools.lru_cache(maxsize=32)
def cached_low_degree(n: int, q: int, degree: int, hermitian: bool) -> np.ndarray:
    freqs = low_degree_frequencies(n, q, degree, hermitian=hermitian)
    freqs.setflags(write=False)
    return freqs


def check_complete_degree(complete_degree: object, n: int, q: int, max_degree: int | None = None) -> int:
    """Validate ``complete_degree`` for length n over q letters (shared with QSFT).

    Returns the degree the completion uses: at most ``max_degree`` and n.
    """
    complete_degree = check_int(complete_degree, name="complete_degree", minimum=0)
    complete_degree = min(complete_degree, n if max_degree is None else max_degree)
    n_columns = count_low_degree(n, q, complete_degree)
    if n_columns > MAX_COMPLETION_COLUMNS:
        raise InvalidParameterError(
            f"complete_degree: {complete_degree} gives {n_columns:,} candidate frequencies at n={n}, q={q}; "
            f"at most {MAX_COMPLETION_COLUMNS:,} are tested jointly. Use a smaller complete_degree "
            f"(1 gives {count_low_degree(n, q, 1):,})."
        )
    return complete_degree

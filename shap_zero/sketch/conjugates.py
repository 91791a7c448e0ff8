"""Conjugate pairs of frequencies and bins: the Hermitian bookkeeping of real models."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["conjugate_bins", "self_conjugate", "row_keys"]


@functools.lru_cache(maxsize=32)
def conjugate_bins(q: int, b: int) -> np.ndarray:
    """Index of -j for every bin j in C order, shape (q^b,); read-only (cached)."""
    digits = np.indices((q,) * b).reshape(b, -1)
    negated = (-digits) % q
    weights = q ** np.arange(b - 1, -1, -1)
    conj = (weights @ negated).astype(np.int64)
    conj.flags.writeable = False
    return conj


def self_conjugate(freqs: np.ndarray, q: int) -> np.ndarray:
    return ((2 * freqs) % q == 0).all(axis=1)


def row_keys(freqs: np.ndarray) -> list[bytes]:
    """The raw bytes of every row of an int64 array: the support's dictionary keys."""
    freqs = np.ascontiguousarray(freqs, dtype=np.int64)
    return freqs.view(np.dtype((np.void, 8 * freqs.shape[1]))).reshape(-1).tolist()

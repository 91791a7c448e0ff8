"""Module-level models for tests/test_queries.py: they pickle, so process pools can run them."""

from __future__ import annotations

import numpy as np


def smooth_model(codes: np.ndarray) -> np.ndarray:
    """A deterministic model with three outputs whose bits depend on every code.

    Only correctly rounded operations (+, *, /, sqrt) elementwise, so every row's output
    is bit-identical whatever batch it is computed in (numpy's SIMD ``sin`` is not).

    Parameters
    ----------
    codes : ndarray of shape (B, n), uint8

    Returns
    -------
    ndarray of shape (B, 3), float64
    """
    x = codes.astype(np.float64)
    s = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        s = s * 1.37 + x[:, j] / (j + 3.0)
    return np.stack([s / (1.0 + s * s), np.sqrt(s + 0.1) - x[:, 0] / 7.0, (s - 2.5) * np.pi], axis=1)


def row_id(codes: np.ndarray) -> np.ndarray:
    """The row number encoded by :func:`numbered_points`, shape (B,) int64."""
    return codes[:, 0].astype(np.int64) * 256 + codes[:, 1].astype(np.int64)


def numbered_points(n_points: int, n: int, seed: int = 0) -> np.ndarray:
    """(M, n) uint8 points whose first two columns spell the row number (M <= 65536)."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 4, size=(n_points, n), dtype=np.uint8)
    rows = np.arange(n_points)
    points[:, 0] = rows // 256
    points[:, 1] = rows % 256
    return points

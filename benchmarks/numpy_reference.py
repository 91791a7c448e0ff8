"""The closed form of math.md section 4 as plain NumPy matrix products.

This is the reference the numba kernels are measured against: what a careful NumPy
user would write (float matrix product for the phases, a lookup table of the q roots,
conjugate pairs kept once), chunked over sequences so that it fits in memory.
"""

from __future__ import annotations

import numpy as np

import shap_zero as sz


class NumpyClosedForm:
    """Uniform-background SHAP values and pairwise matrices of a sketch with NumPy.

    Parameters
    ----------
    sketch : shap_zero.FourierSketch
    chunk : int
        Sequences per matrix product.
    """

    def __init__(self, sketch: sz.FourierSketch, chunk: int = 8192) -> None:
        keep = sketch.degrees > 0
        self.q = sketch.q
        self.n = sketch.n
        self.chunk = chunk
        self.frequencies_t = sketch.frequencies[keep].astype(np.float64).T  # (n, S)
        self.weighted = (sketch.multiplicity * sketch.coefficients)[keep]  # (S,)
        degrees = sketch.degrees[keep].astype(np.float64)
        support = (sketch.frequencies[keep] != 0).astype(np.float64)  # (S, n)
        self.shap_weights = support / degrees[:, None]  # (S, n)
        pair_scale = np.where(degrees > 1, 0.5 / np.maximum(degrees - 1, 1), 0.0)
        pairs = support[:, :, None] * support[:, None, :]
        pairs[:, np.arange(self.n), np.arange(self.n)] = 0.0
        self.pair_weights = (pairs * pair_scale[:, None, None]).reshape(len(degrees), -1)  # (S, n*n)
        self.roots = np.exp(2j * np.pi * np.arange(self.q) / self.q)

    def _localized(self, X: np.ndarray) -> np.ndarray:
        phases = (X.astype(np.float64) @ self.frequencies_t).astype(np.int64) % self.q
        return (self.roots[phases] * self.weighted).real  # (N, S)

    def shapley_values(self, X: np.ndarray) -> np.ndarray:
        """(N, n) SHAP values."""
        out = np.empty((X.shape[0], self.n))
        for start in range(0, X.shape[0], self.chunk):
            rows = slice(start, start + self.chunk)
            out[rows] = self._localized(X[rows]) @ self.shap_weights
        return out

    def shap_interaction_values(self, X: np.ndarray) -> np.ndarray:
        """(N, n, n) pairwise matrices in TreeExplainer's convention."""
        out = np.empty((X.shape[0], self.n, self.n))
        diagonal = np.arange(self.n)
        for start in range(0, X.shape[0], self.chunk):
            rows = slice(start, start + self.chunk)
            localized = self._localized(X[rows])
            block = (localized @ self.pair_weights).reshape(-1, self.n, self.n)
            phi = localized @ self.shap_weights
            block[:, diagonal, diagonal] = phi - block.sum(axis=2)
            out[rows] = block
        return out

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


class NumpyMixtureClosedForm:
    """SHAP values under a mixture of product backgrounds (a background set) with NumPy.

    For every term k and component b the game is a product game (docs/math.md):
    ``phi_j = w_b (alpha_j - c_j) int_0^1 prod_{i != j} (c_i + (alpha_i - c_i) t) dt``
    with ``alpha_i = omega^(k_i x_i)`` and ``c_i = E_b omega^(k_i a)``, integrated by
    Gauss-Legendre quadrature; vectorised over sequences and components, one term at a
    time, as a careful NumPy user would write it.

    Parameters
    ----------
    sketch : shap_zero.FourierSketch
    background : shap_zero.Background
    """

    def __init__(self, sketch: sz.FourierSketch, background: sz.Background) -> None:
        self.n, self.q = sketch.n, sketch.q
        self.moments = background.symbol_moments()  # (B, n, q)
        self.weights = np.asarray(background.weights)
        nodes, weights = np.polynomial.legendre.leggauss(max(1, -(-sketch.max_degree // 2)))
        self.nodes, self.node_weights = (nodes + 1) / 2, weights / 2
        self.roots = np.exp(2j * np.pi * np.arange(self.q) / self.q)
        keep = sketch.degrees > 0
        self.terms = [(np.flatnonzero(k), k[np.flatnonzero(k)].astype(np.int64), m * c)
                      for k, c, m in zip(sketch.frequencies[keep], sketch.coefficients[keep], sketch.multiplicity[keep])]  # fmt: skip

    def shapley_values(self, X: np.ndarray) -> np.ndarray:
        """(N, n) SHAP values."""
        X = np.asarray(X, dtype=np.int64)
        out = np.zeros((X.shape[0], self.n))
        for positions, values, coefficient in self.terms:
            alpha = self.roots[(X[:, positions] * values) % self.q][:, None, :]  # (N, 1, d)
            moments = self.moments[:, positions, values][None, :, :]  # (1, B, d)
            delta = alpha - moments  # (N, B, d)
            integral = np.zeros(delta.shape, dtype=np.complex128)
            for t, weight in zip(self.nodes, self.node_weights):
                factors = moments + delta * t  # (N, B, d)
                for j in range(positions.size):
                    others = np.prod(np.delete(factors, j, axis=2), axis=2)
                    integral[:, :, j] += weight * others
            totals = np.einsum("b,nbd->nd", self.weights, delta * integral)
            out[:, positions] += (coefficient * totals).real
        return out

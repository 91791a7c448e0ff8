"""An unbiased Monte Carlo reference for the uniform value function at any n.

KernelSHAP and PermutationSHAP average over a fixed background sample, so even with
unlimited coalitions they converge to the Shapley values *of that sample*, not of the
uniform distribution. Where enumeration is out of reach (real models with n > 10),
the benchmarks need a reference that converges to the uniform value function itself,
with a known error: this estimator draws a fresh uniform completion for every
permutation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines._protocol import Baseline, CountingModel, RandomState, _check_int
from shap_zero.exceptions import InvalidParameterError

__all__ = ["MonteCarloSHAP"]


class MonteCarloSHAP(Baseline):
    """Permutation sampling with a fresh uniform completion per permutation.

    For each sequence x and each of ``n_permutations`` draws, a permutation pi and a
    uniform random sequence z are drawn; the chain z = s_0, s_1, ..., s_n = x sets
    the positions pi[0], pi[1], ... of z to those of x one at a time, and
    ``f(s_k) - f(s_{k-1})`` is a sample of position pi[k-1]'s marginal contribution.
    Because z is independent of pi, each sample is an unbiased estimate of
    ``v_x(S + i) - v_x(S)`` under the uniform value function
    ``v_x(S) = E_z f(x_S, z_rest)``, so the average is an unbiased estimate of the
    exact Shapley values (the ones :class:`~baselines.exact.ExactSHAP` enumerates),
    with a standard error that falls as ``1 / sqrt(n_permutations)``. Permutations
    come in antithetic pairs (pi and its reverse, the same z), which lowers the
    variance; the standard error is computed over the pairs.

    Cost per sequence: ``n_permutations * n + 1`` model rows (the chains' common end,
    x itself, is evaluated once).

    Parameters
    ----------
    n_permutations : int, default 2000
        Permutations per sequence, an even number >= 2 (antithetic pairs).
    max_rows : int, default 2_000_000
        Largest number of rows sent to the model in one call.

    Attributes
    ----------
    standard_errors_ : ndarray of shape (N, n)
        Standard errors of the last :meth:`explain`'s values.
    """

    name = "montecarlo"

    def __init__(self, n_permutations: int = 2000, max_rows: int = 2_000_000) -> None:
        self.n_permutations = _check_int(n_permutations, "n_permutations", 2)
        if self.n_permutations % 2:
            raise InvalidParameterError(f"n_permutations must be an even number (antithetic pairs); got {n_permutations}")
        self.max_rows = _check_int(max_rows, "max_rows", 1)

    def _settings(self) -> dict[str, Any]:
        return {"n_permutations": self.n_permutations}

    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        rng = np.random.default_rng(random_state)  # a Generator comes back unchanged
        n_pairs = self.n_permutations // 2
        pairs_per_call = max(1, self.max_rows // (2 * n))
        values = np.empty(X.shape, dtype=np.float64)
        errors = np.empty(X.shape, dtype=np.float64)
        completions_mean = np.empty(X.shape[0], dtype=np.float64)
        for row, x in enumerate(X):
            f_x = float(model(x[None, :])[0])
            pair_means: list[np.ndarray] = []
            start_values: list[np.ndarray] = []
            # All draws of a sequence up front, so how the chains are split into model
            # calls (max_rows) does not change the estimate.
            orders = rng.permuted(np.tile(np.arange(n), (n_pairs, 1)), axis=1)
            completions = rng.integers(0, q, size=(n_pairs, n), dtype=np.uint8)
            for first in range(0, n_pairs, pairs_per_call):
                chunk = slice(first, first + pairs_per_call)
                contributions, f_z = _antithetic_pairs(model, x, f_x, orders[chunk], completions[chunk])
                pair_means.append(contributions)
                start_values.append(f_z)
            per_pair = np.concatenate(pair_means)  # (n_pairs, n): mean of a pair's two samples
            values[row] = per_pair.mean(axis=0)
            errors[row] = per_pair.std(axis=0, ddof=1) / np.sqrt(n_pairs) if n_pairs > 1 else np.inf
            completions_mean[row] = np.concatenate(start_values).mean()
        self.standard_errors_ = errors
        params = {
            "n_permutations": self.n_permutations,
            "max_standard_error": float(errors.max()),
            "mean_standard_error": float(errors.mean()),
        }
        # The base value E f is estimated by the mean over all completions drawn.
        return values, np.full(X.shape[0], completions_mean.mean()), params


def _antithetic_pairs(
    model: CountingModel, x: np.ndarray, f_x: float, orders: np.ndarray, completions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Marginal contributions of antithetic permutation pairs.

    Parameters
    ----------
    model : CountingModel
    x : ndarray of shape (n,)
        The explained sequence.
    f_x : float
        The model at x.
    orders : ndarray of shape (count, n)
        One permutation per pair; the pair's second permutation is its reverse.
    completions : ndarray of shape (count, n), uint8
        The uniform random sequence z of each pair.

    Returns
    -------
    contributions : ndarray of shape (count, n)
        Per pair, the mean of the two permutations' contribution of each position.
    f_z : ndarray of shape (count,)
        The model at each pair's completion z.
    """
    count, n = orders.shape
    both = np.concatenate([orders, orders[:, ::-1]])  # (2 count, n)
    starts = np.concatenate([completions, completions])
    # Chain rows k = 0..n-1: the completion with the first k positions of the order set to x.
    chains = np.repeat(starts[:, None, :], n, axis=1)  # (2 count, n, n)
    ranks = np.empty_like(both)
    np.put_along_axis(ranks, both, np.arange(n)[None, :].repeat(2 * count, axis=0), axis=1)
    from_x = ranks[:, None, :] < np.arange(n)[None, :, None]  # (2 count, n chain steps, n positions)
    chains = np.where(from_x, x[None, None, :], chains)
    outputs = model(chains.reshape(-1, n)).reshape(2 * count, n)
    after = np.concatenate([outputs[:, 1:], np.full((2 * count, 1), f_x)], axis=1)
    step_gain = after - outputs  # gain of step k: position both[:, k] switched to x
    contributions = np.empty_like(step_gain)
    np.put_along_axis(contributions, both, step_gain, axis=1)
    return 0.5 * (contributions[:count] + contributions[count:]), outputs[:count, 0]

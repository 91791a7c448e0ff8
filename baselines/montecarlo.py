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
from shap_zero._validation import check_codes
from shap_zero.exceptions import InvalidParameterError

__all__ = ["MonteCarloSHAP", "MonteCarloPairInteractions"]


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
            raise InvalidParameterError(
                f"n_permutations must be an even number (antithetic pairs); got {n_permutations}"
            )
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


class MonteCarloPairInteractions:
    """Unbiased Monte Carlo estimates of the pairwise Shapley interaction index (SII).

    For the uniform value function ``v_x(S) = E_z f(x_S, z_rest)``, the SII of a pair
    {i, j} is ``E_T [v(T + ij) - v(T + i) - v(T + j) + v(T)]`` with T drawn from the
    other n - 2 positions by a uniform size and then a uniform subset of that size
    (the SII weights ``|T|! (n - |T| - 2)! / (n - 1)!`` are exactly that distribution).
    In a uniform random permutation, the predecessors of two adjacent positions follow
    it, so each permutation pi with a fresh uniform completion z gives, for each of its
    n - 1 adjacent pairs (pi[k], pi[k+1]), one unbiased sample from the chain
    z = s_0, s_1, ..., s_n = x (which sets pi[0], pi[1], ... to x one at a time):
    ``f(s_(k+2)) - f(s_(k+1)) - f(s_k with pi[k+1] from x) + f(s_k)``. A pair's estimate
    is the mean of its samples (about 2 / n of the permutations give it one), with its
    standard error. For order 2, the k-SII of a pair is its SII, so this is also a
    reference for k-SII pairs.

    Cost per sequence: ``n_permutations * (2 n - 1)`` model rows.

    Parameters
    ----------
    n_permutations : int, default 2000
        Permutations per sequence.
    max_rows : int, default 2_000_000
        Largest number of rows sent to the model in one call.

    Attributes
    ----------
    pairs_ : ndarray of shape (n_pairs, 2)
        The pairs (i < j), lexicographically: the columns of the values.
    standard_errors_ : ndarray of shape (N, n_pairs)
        Standard errors of the last :meth:`explain`'s values.
    counts_ : ndarray of shape (N, n_pairs)
        Samples behind each estimate.
    n_model_queries_ : int
        Rows the model was asked about in the last :meth:`explain`.
    """

    def __init__(self, n_permutations: int = 2000, max_rows: int = 2_000_000) -> None:
        self.n_permutations = _check_int(n_permutations, "n_permutations", 1)
        self.max_rows = _check_int(max_rows, "max_rows", 1)

    def explain(
        self, model: Any, X: Any, *, seq_length: int, alphabet: Any, random_state: RandomState = None
    ) -> np.ndarray:
        """Pairwise SII of each sequence of ``X``.

        Parameters
        ----------
        model : callable
            Takes uint8 codes (M, n), returns M numbers.
        X : array-like of shape (N, n)
            Codes of the explained sequences.
        seq_length : int
        alphabet : Alphabet or int
            The alphabet or its size q.
        random_state : None, int or Generator

        Returns
        -------
        ndarray of shape (N, n_pairs)
            Column p is the pair ``pairs_[p]``.

        Raises
        ------
        InvalidParameterError
            When a pair has fewer than 2 samples (raise ``n_permutations``).
        """
        n = _check_int(seq_length, "seq_length", 2)
        q = alphabet if isinstance(alphabet, int) else int(alphabet.q)
        codes = check_codes(X, q=q, n=n, name="X")
        counting = CountingModel(model, n, q)
        rng = np.random.default_rng(random_state)
        first, second = np.triu_indices(n, k=1)
        self.pairs_ = np.stack([first, second], axis=1)
        pair_index = np.full((n, n), -1, dtype=np.int64)
        pair_index[first, second] = pair_index[second, first] = np.arange(first.size)
        per_call = max(1, self.max_rows // (2 * n - 1))
        values = np.empty((codes.shape[0], first.size))
        errors = np.empty_like(values)
        counts = np.empty(values.shape, dtype=np.int64)
        for row, x in enumerate(codes):
            f_x = float(counting(x[None, :])[0])
            # All draws up front, so how rows are split into calls does not change the estimate.
            orders = rng.permuted(np.tile(np.arange(n), (self.n_permutations, 1)), axis=1)
            completions = rng.integers(0, q, size=(self.n_permutations, n), dtype=np.uint8)
            sums = np.zeros(first.size)
            squares = np.zeros(first.size)
            count = np.zeros(first.size, dtype=np.int64)
            for start in range(0, self.n_permutations, per_call):
                chunk = slice(start, start + per_call)
                samples = _adjacent_pair_samples(counting, x, f_x, orders[chunk], completions[chunk])
                columns = pair_index[orders[chunk, :-1], orders[chunk, 1:]].ravel()
                sums += np.bincount(columns, samples.ravel(), minlength=first.size)
                squares += np.bincount(columns, samples.ravel() ** 2, minlength=first.size)
                count += np.bincount(columns, minlength=first.size)
            if count.min() < 2:
                raise InvalidParameterError(
                    f"n_permutations={self.n_permutations} gave a pair fewer than 2 samples at n={n}; "
                    f"each permutation samples a given pair with probability 2/n, so use at least {4 * n}"
                )
            mean = sums / count
            variance = np.maximum(squares - count * mean**2, 0.0) / (count - 1)
            values[row], errors[row], counts[row] = mean, np.sqrt(variance / count), count
        self.standard_errors_, self.counts_, self.n_model_queries_ = errors, counts, counting.rows
        return values


def _adjacent_pair_samples(
    model: CountingModel, x: np.ndarray, f_x: float, orders: np.ndarray, completions: np.ndarray
) -> np.ndarray:
    """Second differences of each permutation's adjacent pairs.

    Parameters
    ----------
    model : CountingModel
    x : ndarray of shape (n,)
    f_x : float
        The model at x.
    orders : ndarray of shape (count, n)
        Permutations.
    completions : ndarray of shape (count, n), uint8

    Returns
    -------
    ndarray of shape (count, n - 1)
        Column k: the sample of the pair (orders[:, k], orders[:, k + 1]).
    """
    count, n = orders.shape
    ranks = np.empty_like(orders)
    np.put_along_axis(ranks, orders, np.broadcast_to(np.arange(n), orders.shape), axis=1)
    # Chain row k (0..n-1): the completion with the positions of rank < k taken from x.
    from_x = ranks[:, None, :] < np.arange(n)[None, :, None]  # (count, n, n)
    chains = np.where(from_x, x[None, None, :], completions[:, None, :])
    # Side row k (0..n-2): chain row k with the position of rank k + 1 also from x.
    side_from_x = from_x[:, :-1, :] | (ranks[:, None, :] == np.arange(1, n)[None, :, None])
    sides = np.where(side_from_x, x[None, None, :], completions[:, None, :])
    outputs = model(np.concatenate([chains.reshape(-1, n), sides.reshape(-1, n)]))
    chain_values = np.concatenate([outputs[: count * n].reshape(count, n), np.full((count, 1), f_x)], axis=1)
    side_values = outputs[count * n :].reshape(count, n - 1)
    return chain_values[:, 2:] - chain_values[:, 1:-1] - side_values + chain_values[:, :-2]

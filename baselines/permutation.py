"""Permutation SHAP (antithetic permutation sampling) through ``shap.PermutationExplainer``."""

from __future__ import annotations

from typing import Any

import numpy as np
import shap

from baselines._protocol import (
    CountingModel,
    HarnessInfo,
    RandomState,
    SampledBackgroundBaseline,
    _check_int,
    global_numpy_rng,
)
from shap_zero.exceptions import InvalidParameterError

__all__ = ["PermutationSHAP"]


class PermutationSHAP(SampledBackgroundBaseline):
    """Shapley values by sampling permutations, each walked forward and backward.

    Runs ``shap.PermutationExplainer(model, shap.maskers.Independent(background,
    max_samples=len(background)), seed=...)(X, max_evals=max_evals)``. Each of the
    ``max_evals // (2n + 1)`` permutations adds the positions of the sequence one by
    one, then removes them in the same order; the two telescoping sums make the
    values exactly efficient (``values.sum(1) + base_values == model(X)``) whatever
    the number of permutations.

    Value function: interventional, the expectation over the rows of the background
    data set. With ``background="uniform"`` that data set is ``background_size``
    uniform random sequences, an approximation of the uniform value function (the one
    :class:`~baselines.exact.ExactSHAP` and shap_zero enumerate exactly) whose error
    shrinks as ``background_size`` grows.

    Parameters
    ----------
    max_evals : int, default 500
        Coalition evaluations per sequence; at least ``2n + 1`` (one permutation).
        Each evaluation costs up to B model rows (shap skips rows a step leaves
        unchanged).
    background_size : int, default 100
        Size of the uniform random background when ``background="uniform"``.
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background data set; an explicit array is used as is.

    Notes
    -----
    shap draws the permutations from numpy's global RNG and its constructor calls
    ``np.random.seed(seed)``. :meth:`explain` seeds it from ``random_state`` and
    restores the caller's global state afterwards.

    The first call in a process also compiles shap's numba kernels (about 5 s,
    counted in :attr:`BaselineResult.seconds`): warm up before timing.
    """

    name = "permutation"
    harness = HarnessInfo(
        method="permutation", runner="per_sequence", label="PermutationSHAP", colour="#e7298a", marker="v",
        describe="PermutationSHAP, {max_evals:,} evaluations x {background_size} background",
        warm_up=({"max_evals": 20, "background_size": 2},),
    )  # fmt: skip

    def __init__(self, max_evals: int = 500, background_size: int = 100, background: Any = "uniform") -> None:
        super().__init__(background_size, background)
        self.max_evals = _check_int(max_evals, "max_evals", 3)

    def _settings(self) -> dict[str, Any]:
        return {"max_evals": self.max_evals, **self._background_settings()}

    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        if self.max_evals < 2 * n + 1:
            raise InvalidParameterError(
                f"max_evals must be at least 2n + 1 = {2 * n + 1} (one permutation at n={n}); "
                f"got {self.max_evals}"
            )
        background, shap_seed = self._draw(random_state, n, q)
        with global_numpy_rng(shap_seed):
            masker = shap.maskers.Independent(background, max_samples=len(background))
            explainer = shap.PermutationExplainer(model, masker, seed=shap_seed)
            explanation = explainer(X, max_evals=self.max_evals, silent=True)
        params = {
            "max_evals": self.max_evals,
            "n_permutations": self.max_evals // (2 * n + 1),
            **self._run_params(background, random_state, shap_seed),
        }
        return explanation.values, explanation.base_values, params

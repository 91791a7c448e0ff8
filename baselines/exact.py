"""Exact interventional SHAP values by enumerating every coalition and completion."""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines._protocol import Baseline, CountingModel, RandomState, check_background_option, check_codes
from shap_zero.exceptions import InvalidParameterError
from shap_zero.oracle import (
    MAX_ORACLE_N,
    sequence_set_background,
    shapley_values_from_game,
    uniform_background,
    value_function,
)

__all__ = ["ExactSHAP", "enumerated_background"]


class ExactSHAP(Baseline):
    """Exact Shapley values by brute force (:mod:`shap_zero.oracle`).

    For each sequence the value function ``v_x(S)`` is tabulated on all 2^n subsets
    by enumerating every completion the background can produce
    (:func:`shap_zero.oracle.value_function`, the table behind
    :func:`shap_zero.oracle.brute_force_shapley`), and the Shapley values follow from
    their definition. The base value is ``v_x(empty)``, read from the same table.

    Value function: interventional, exactly. ``"uniform"`` enumerates the uniform
    distribution over all q^n sequences (no sampling, unlike the ``"uniform"`` of the
    sampling baselines); an array of B sequences is the uniform distribution over
    them.

    Cost per sequence: ``(q + 1)**n`` model rows for the uniform background,
    ``B * 2**n`` for a set of B sequences. Only for n <=
    :data:`shap_zero.oracle.MAX_ORACLE_N`.

    Parameters
    ----------
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background distribution.
    """

    name = "exact"

    def __init__(self, background: Any = "uniform") -> None:
        self.background = check_background_option(background)

    def _settings(self) -> dict[str, Any]:
        kind = "uniform" if isinstance(self.background, str) else f"array{self.background.shape}"
        return {"background": kind}

    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        if n > MAX_ORACLE_N:
            raise InvalidParameterError(
                f"seq_length must be at most MAX_ORACLE_N = {MAX_ORACLE_N} for ExactSHAP, which sweeps "
                f"all 2**n subsets; got seq_length={n}"
            )
        weights, probs, size = enumerated_background(self.background, n, q)
        values = np.empty(X.shape, dtype=np.float64)
        base = np.empty(X.shape[0], dtype=np.float64)
        for k, x in enumerate(X):
            game = value_function(model, x, weights, probs, q)
            values[k] = shapley_values_from_game(game)
            base[k] = game[0]
        params = {"background": "uniform" if size is None else "set", "background_size": size}
        return values, base, params


def enumerated_background(background: Any, n: int, q: int) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The background of an enumerating baseline as :func:`shap_zero.oracle.value_function` takes it.

    Parameters
    ----------
    background : "uniform" or ndarray of shape (B, n), integer
        From :func:`~baselines._protocol.check_background_option`.
    n, q : int
        Sequence length and alphabet size.

    Returns
    -------
    weights, probs : ndarray
        The mixture weights and per-position symbol probabilities.
    size : int or None
        B for a set of sequences, None for the uniform background.
    """
    if isinstance(background, str):
        weights, probs = uniform_background(n, q)
        return weights, probs, None
    codes = check_codes(background, "background", n, q)
    weights, probs = sequence_set_background(codes, q)
    return weights, probs, int(codes.shape[0])

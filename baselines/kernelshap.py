"""KernelSHAP (Lundberg and Lee, 2017) through ``shap.KernelExplainer``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
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

__all__ = ["KernelSHAP"]


class KernelSHAP(SampledBackgroundBaseline):
    """Model-agnostic KernelSHAP: a weighted linear regression on sampled coalitions.

    Runs ``shap.KernelExplainer(model, background).shap_values(X, nsamples=nsamples,
    l1_reg=False, silent=True)``. ``l1_reg=False`` matters: shap's default
    ``"num_features(10)"`` keeps at most 10 positions and sets the others to zero.

    Value function: interventional, the expectation over the rows of the background
    data set. With ``background="uniform"`` that data set is ``background_size``
    uniform random sequences, an approximation of the uniform value function (the one
    :class:`~baselines.exact.ExactSHAP` and shap_zero enumerate exactly) whose error
    shrinks as ``background_size`` grows.

    Cost: ``B`` model rows for the base value, then per sequence ``1 + m * B`` rows,
    with ``B`` the background size and ``m = min(nsamples, 2**n' - 2)`` coalitions
    (``n'`` the positions where the sequence differs from some background row). When
    ``nsamples >= 2**n - 2`` every coalition is enumerated and the values are the
    exact Shapley values under the background data set.

    Parameters
    ----------
    nsamples : int, default 2048
        Coalitions sampled per sequence (``>= 1``).
    background_size : int, default 100
        Size of the uniform random background when ``background="uniform"``.
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background data set; an explicit array is used as is (``background_size``
        is then ignored).

    Notes
    -----
    shap samples coalitions from numpy's global RNG. :meth:`explain` seeds it from
    ``random_state`` for the call and restores the caller's global state afterwards.
    """

    name = "kernelshap"
    harness = HarnessInfo(
        method="kernelshap", runner="per_sequence", label="KernelSHAP", colour="#d95f02", marker="D",
        describe="KernelSHAP, {nsamples:,} coalitions x {background_size} background",
        warm_up=({"nsamples": 16, "background_size": 2},),
    )  # fmt: skip

    def __init__(self, nsamples: int = 2048, background_size: int = 100, background: Any = "uniform") -> None:
        super().__init__(background_size, background)
        self.nsamples = _check_int(nsamples, "nsamples", 1)

    def _settings(self) -> dict[str, Any]:
        return {"nsamples": self.nsamples, **self._background_settings()}

    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        background, shap_seed = self._draw(random_state, n, q)
        with global_numpy_rng(shap_seed), _quiet_shap_logger():
            explainer = shap.KernelExplainer(model, background)
            values = explainer.shap_values(X, nsamples=self.nsamples, l1_reg=False, silent=True)
        values = np.asarray(values, dtype=np.float64).reshape(X.shape)
        base = float(np.asarray(explainer.expected_value).reshape(-1)[0])
        params = {"nsamples": self.nsamples, **self._run_params(background, random_state, shap_seed)}
        return values, np.full(X.shape[0], base), params


@contextlib.contextmanager
def _quiet_shap_logger() -> Iterator[None]:
    """Silence shap's advice to summarise backgrounds above 100 rows: the size is chosen on purpose."""
    logger = logging.getLogger("shap")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)

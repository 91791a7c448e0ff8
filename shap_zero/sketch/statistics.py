"""Chi-square thresholds and quantiles of the decoder's bin tests and noise floor."""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.stats import chi2

from shap_zero._config import FALSE_ALARM

__all__ = ["threshold_factor", "quantile_factor", "chi2_isf", "linear_quantile"]


@functools.lru_cache(maxsize=256)
def threshold_factor(dof: int, n_tests: int) -> float:
    """Quantile of chi2(2 dof) / (2 dof) that pure noise exceeds with probability FALSE_ALARM / n_tests."""
    return float(chi2.isf(FALSE_ALARM / max(n_tests, 1), 2 * dof) / (2 * dof))


@functools.lru_cache(maxsize=256)  # scipy.stats calls cost ~0.1 ms each; the arguments repeat
def quantile_factor(dof: int, level: float) -> float:
    """The ``level`` quantile of chi2(2 dof) / (2 dof): bin energy per entry over nu, for pure noise."""
    return float(chi2.ppf(level, 2 * dof) / (2 * dof))


@functools.lru_cache(maxsize=256)
def chi2_isf(level: float, dof: int) -> float:
    return float(chi2.isf(level, dof))


def linear_quantile(values: np.ndarray, level: float) -> float:
    """``np.quantile(values, level)`` (linear interpolation) by partial sorting.

    The same number as NumPy's, without its per-call overhead (about 0.1 ms), which
    counted on small designs where the noise floor is re-estimated every round.
    """
    position = (values.size - 1) * level
    low = int(math.floor(position))
    high = min(low + 1, values.size - 1)
    parted = np.partition(values, (low, high))
    return float(parted[low] + (parted[high] - parted[low]) * (position - low))

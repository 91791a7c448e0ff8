"""Accuracy and cost metrics of the harness: plain NumPy on arrays, no I/O.

Accuracy compares estimated attributions with a reference of the same shape (N, d):
SHAP values (d = n positions) or interaction values (d = subsets). Cost follows the
amortized model ``total(N) = one_time + N * per_sequence``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "accuracy",
    "amortized_cost",
    "break_even",
    "cost_at_error",
    "nmse",
    "noise_corrected_nmse",
    "pearson",
    "sign_agreement",
    "top_k_recall",
]


def _pair(estimate: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    estimate = np.asarray(estimate, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if estimate.shape != reference.shape:
        raise ValueError(f"estimate and reference must have the same shape; got {estimate.shape} and {reference.shape}")
    return estimate, reference


def pearson(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Pearson correlation over all entries (NaN if either side is constant)."""
    a, b = _pair(estimate, reference)
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    denominator = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / denominator) if denominator > 0 else float("nan")


def nmse(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Normalized mean squared error ``||estimate - reference||^2 / ||reference||^2``."""
    a, b = _pair(estimate, reference)
    scale = float(np.sum(b * b))
    return float(np.sum((a - b) ** 2) / scale) if scale > 0 else float("nan")


def noise_corrected_nmse(estimate: np.ndarray, reference: np.ndarray, standard_errors: np.ndarray) -> dict[str, float]:
    """NMSE against a Monte Carlo reference, and its estimate against the true values.

    With ``reference = truth + e``, ``E e = 0``, ``Var e = se^2`` and ``e`` independent of
    the estimate, ``E sum (estimate - reference)^2 = sum (estimate - truth)^2 + sum se^2``
    and ``E sum reference^2 = sum truth^2 + sum se^2``; subtracting ``sum se^2`` from both
    gives an estimate of the NMSE against the truth ("corrected").

    Returns
    -------
    dict
        ``nmse`` (against the reference), ``corrected_nmse`` and ``floor``
        (``sum se^2 / sum reference^2``: what a perfect estimate scores).
    """
    a, b = _pair(estimate, reference)
    squared_error, energy = float(np.sum((a - b) ** 2)), float(np.sum(b * b))
    noise = float(np.sum(np.asarray(standard_errors, dtype=np.float64) ** 2))
    return {"nmse": squared_error / energy, "corrected_nmse": (squared_error - noise) / (energy - noise),
            "floor": noise / energy}  # fmt: skip


def top_k_recall(estimate: np.ndarray, reference: np.ndarray, k: int) -> float:
    """Mean over rows of the fraction of the reference's top-k |values| found in the estimate's top-k.

    Parameters
    ----------
    estimate, reference : ndarray of shape (N, d)
    k : int
        Number of top entries per row (clipped to d).
    """
    a, b = _pair(estimate, reference)
    if a.ndim != 2:
        raise ValueError(f"top_k_recall needs (N, d) arrays; got shape {a.shape}")
    k = min(int(k), a.shape[1])
    top_estimate = np.argsort(-np.abs(a), axis=1, kind="stable")[:, :k]
    top_reference = np.argsort(-np.abs(b), axis=1, kind="stable")[:, :k]
    hits = [len(set(e) & set(r)) for e, r in zip(top_estimate.tolist(), top_reference.tolist(), strict=True)]
    return float(np.mean(hits) / k)


def sign_agreement(estimate: np.ndarray, reference: np.ndarray, relative_threshold: float = 0.05) -> float:
    """Fraction of entries with the reference's sign, among entries that matter.

    An entry matters when ``|reference| > relative_threshold * max |reference|`` of its
    row, so signs of near-zero reference values (noise either way) are not counted.
    """
    a, b = _pair(estimate, reference)
    b2 = b.reshape(b.shape[0], -1) if b.ndim > 1 else b[None, :]
    a2 = a.reshape(b2.shape)
    mask = np.abs(b2) > relative_threshold * np.abs(b2).max(axis=1, keepdims=True)
    if not mask.any():
        return float("nan")
    return float(np.mean(np.sign(a2[mask]) == np.sign(b2[mask])))


def accuracy(estimate: np.ndarray, reference: np.ndarray, k: int = 3) -> dict[str, float]:
    """All accuracy metrics of an (N, d) estimate against an (N, d) reference."""
    return {
        "pearson": pearson(estimate, reference),
        "nmse": nmse(estimate, reference),
        f"top{k}_recall": top_k_recall(estimate, reference, k),
        "sign_agreement": sign_agreement(estimate, reference),
    }


def amortized_cost(one_time: float, per_sequence: float, n_sequences: np.ndarray) -> np.ndarray:
    """Total cost ``one_time + N * per_sequence`` at each N (ndarray of shape (len(N),))."""
    return one_time + np.asarray(n_sequences, dtype=np.float64) * per_sequence


def break_even(one_time_a: float, per_sequence_a: float, one_time_b: float, per_sequence_b: float) -> float:
    """Smallest N at which method a's total cost is at most method b's.

    Returns 1.0 when a is never more expensive (from the first sequence), ``inf`` when
    a never catches up, else ``ceil((one_time_a - one_time_b) / (per_sequence_b -
    per_sequence_a))``.
    """
    if one_time_a + per_sequence_a <= one_time_b + per_sequence_b:
        return 1.0
    if per_sequence_a >= per_sequence_b:
        return math.inf
    return float(math.ceil((one_time_a - one_time_b) / (per_sequence_b - per_sequence_a)))


def cost_at_error(costs: np.ndarray, errors: np.ndarray, target: float) -> tuple[float, str, tuple[int, int]]:
    """The cost a method needs to reach an error, interpolated along its measured settings.

    The settings' (cost, error) points are reduced to their Pareto frontier (each point
    cheaper than every more accurate one), and the cost at ``target`` is interpolated
    linearly in log(cost) against log(error) between the two frontier points around it.

    Parameters
    ----------
    costs, errors : ndarray of shape (S,)
        Positive cost and error of each setting.
    target : float
        The error to reach.

    Returns
    -------
    cost : float
        Interpolated cost; outside the measured range, the cost of the nearest end.
    kind : str
        ``"interpolated"``; ``"less accurate"`` when even the most accurate setting's
        error is above ``target`` (its cost is returned); ``"more accurate"`` when even the
        cheapest setting's error is below ``target`` (its cost is returned).
    bracket : tuple of int
        Indices (into the inputs) of the two settings interpolated between (equal at the ends).
    """
    costs = np.asarray(costs, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    if costs.shape != errors.shape or costs.ndim != 1 or costs.size == 0:
        raise ValueError(f"costs and errors must be non-empty 1-D arrays of one length; got {costs.shape}, {errors.shape}")
    order = np.lexsort((errors, costs))
    frontier = []
    for index in order:
        if not frontier or errors[index] < errors[frontier[-1]]:
            frontier.append(int(index))
    cheapest, best = frontier[0], frontier[-1]
    if errors[cheapest] <= target:
        return float(costs[cheapest]), "more accurate", (cheapest, cheapest)
    if errors[best] > target:
        return float(costs[best]), "less accurate", (best, best)
    for left, right in zip(frontier[:-1], frontier[1:], strict=True):
        if errors[left] > target >= errors[right]:
            position = (math.log(target) - math.log(errors[left])) / (math.log(errors[right]) - math.log(errors[left]))
            log_cost = math.log(costs[left]) + position * (math.log(costs[right]) - math.log(costs[left]))
            return float(math.exp(log_cost)), "interpolated", (left, right)
    raise AssertionError("unreachable: the target lies between the frontier's ends")

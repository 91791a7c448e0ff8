"""An honest accuracy check of a sketch's SHAP values, from a few extra model queries.

The closed-form Shapley values ``psi`` of a sketch are only as good as the sketch. To
measure how good, take a handful of check sequences x_s and estimate their *model*
Shapley values ``phi`` without the sketch, by permutation Monte Carlo, under the same
interventional value function ``v_x(S) = E_{z ~ P} f(x_S, z_rest)``:

- draw a permutation pi of the positions and a background sequence z ~ P;
- walk the chain ``s_0 = z``, ``s_k = s_{k-1}`` with position ``pi[k-1]`` set to
  ``x[pi[k-1]]``, so that ``s_n = x``;
- credit ``f(s_k) - f(s_{k-1})`` to position ``pi[k-1]``.

For a uniform pi and an independent z, the contribution credited to position i has
expectation ``E_pi [v_x(pre_i + i) - v_x(pre_i)]`` (linearity of expectation over z; the
chain shares one z, which changes the variance only), which is the Shapley value
``phi_i(x)``. The reversed permutation is uniform too, so an antithetic pair (pi and its
reverse, one shared z) is an unbiased draw as well, usually with lower variance; pairs
are independent, so the sample variance of the pair means over the number of pairs is
an unbiased estimate ``se^2`` of the variance of the average.

Since ``phi_mc`` is unbiased with variance ``se^2`` (independently of ``psi``),
``E||psi - phi_mc||^2 = ||psi - phi||^2 + sum se^2`` and
``E||phi_mc||^2 = ||phi||^2 + sum se^2``, so subtracting ``sum se^2`` from both sums
removes the Monte Carlo noise from the NMSE to first order. The confidence interval is
a delete-one jackknife of that ratio over check sequences.

The work is split so that a campaign driver can de-duplicate, batch and checkpoint the
model queries: :func:`draw_check_plan` holds all randomness and lists every query up
front; :func:`estimate_shap_accuracy` is a deterministic function of the plan and the
model's values on ``plan.points``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from shap_zero._config import MAX_Q
from shap_zero._validation import check_codes, check_int
from shap_zero.attribution import Background, resolve_background, shapley_values
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import FourierSketch

__all__ = [
    "POOR_NMSE",
    "CheckPlan",
    "ShapAccuracy",
    "check_cost",
    "draw_check_plan",
    "estimate_shap_accuracy",
    "monte_carlo_shapley",
]

#: SHAP-value NMSE above which :attr:`ShapAccuracy.poor` calls the values unreliable.
POOR_NMSE = 0.1

#: z-value of a two-sided 95% normal interval.
_Z95 = 1.96

#: Sketch SHAP values whose squared sum is below this fraction of ``S * n * mean(f^2)`` count as zero.
_ZERO_TOLERANCE = 1e-12


@dataclass(frozen=True)
class CheckPlan:
    """Every model query of an accuracy check, drawn up front.

    Row layout of ``points``: one block of ``n_permutations * n + 1`` rows per check
    sequence s, in order. Inside block s, row ``p * n + k`` (p < n_permutations,
    k < n) is ``s_k`` of chain p (``s_0 = z``, k positions of x filled in along
    ``permutations[s, p]``), and the block's last row is x_s itself (the common
    endpoint ``s_n`` of all its chains). Chains ``2j`` and ``2j + 1`` are an antithetic
    pair: ``permutations[s, 2j + 1]`` is ``permutations[s, 2j]`` reversed, and both
    start from the same background draw z.

    Attributes
    ----------
    sequences : ndarray of shape (S, n), uint8
        The check sequences x_s.
    points : ndarray of shape (M, n), uint8
        Every model query, ``M = check_cost(n, S, n_permutations)``.
    n_permutations : int
        Chains per sequence, even.
    permutations : ndarray of shape (S, n_permutations, n), int64
        Layout: the order in which each chain fills in the positions of x.
    q : int
        Alphabet size.
    background_digest : str
        Fingerprint of the background the z were drawn from, checked by the estimate.
    """

    sequences: np.ndarray
    points: np.ndarray
    n_permutations: int
    permutations: np.ndarray
    q: int
    background_digest: str

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self.sequences.shape[1])

    @property
    def n_sequences(self) -> int:
        """Number S of check sequences."""
        return int(self.sequences.shape[0])


@dataclass(frozen=True)
class ShapAccuracy:
    """Estimated SHAP-value NMSE of a sketch against the model, with a 95% interval.

    Attributes
    ----------
    nmse : float
        Estimate of ``sum (psi - phi)^2 / sum phi^2`` over the check sequences and
        positions (psi: the sketch's values, phi: the model's), clipped at 0.
    low, high : float
        Approximate 95% confidence interval (jackknife over check sequences), >= 0.
    n_sequences, n_permutations, n_queries : int
        Check sequences, chains per sequence, model queries (rows of the plan).
    reference_noise : float
        ``sum se^2 / sum phi_mc^2``: the relative variance of the Monte Carlo reference.
    """

    nmse: float
    low: float
    high: float
    n_sequences: int
    n_permutations: int
    n_queries: int
    reference_noise: float

    def __str__(self) -> str:
        return (
            f"SHAP-value NMSE {self.nmse:.2g} (95% CI {self.low:.2g}-{self.high:.2g}) on "
            f"{self.n_sequences} check sequences, {self.n_permutations} permutations each"
        )

    @property
    def poor(self) -> bool:
        """True when the point estimate exceeds :data:`POOR_NMSE` (use ``low`` for certainty)."""
        return bool(self.nmse > POOR_NMSE)

    def to_dict(self) -> dict[str, Any]:
        """The fields and ``poor`` as plain Python numbers (JSON-ready but for inf)."""
        return {**asdict(self), "poor": self.poor}


def _check_sizes(n: Any, n_sequences: Any, n_permutations: Any) -> tuple[int, int, int]:
    n = check_int(n, name="n", minimum=1)
    # The jackknife needs two sequences; the variance of pair means needs two pairs.
    n_sequences = check_int(n_sequences, name="n_sequences", minimum=2)
    n_permutations = check_int(n_permutations, name="n_permutations", minimum=4)
    if n_permutations % 2:
        raise InvalidParameterError(
            f"n_permutations: expected an even integer (antithetic pairs), got {n_permutations}"
        )
    return n, n_sequences, n_permutations


def check_cost(n: int, n_sequences: int, n_permutations: int) -> int:
    """Model queries (rows of ``plan.points``) of an accuracy check.

    Parameters
    ----------
    n : int
        Sequence length.
    n_sequences : int
        Check sequences, >= 2.
    n_permutations : int
        Chains per sequence, even and >= 4.

    Returns
    -------
    int
        ``n_sequences * (n_permutations * n + 1)``.
    """
    n, n_sequences, n_permutations = _check_sizes(n, n_sequences, n_permutations)
    return n_sequences * (n_permutations * n + 1)


def _digest(background: Background) -> str:
    data = background.weights.tobytes() + background.probabilities.tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _check_background(background: Any, n: int, q: int) -> Background:
    resolved = background if isinstance(background, Background) else resolve_background(background, n, q)
    if resolved.n != n or resolved.q != q:
        raise InvalidParameterError(
            f"background: expected a background for n={n}, q={q}; got one for n={resolved.n}, q={resolved.q}"
        )
    return resolved


def draw_check_plan(
    n: int,
    q: int,
    background: Background,
    *,
    n_sequences: int,
    n_permutations: int,
    rng: np.random.Generator,
    sequences: np.ndarray | None = None,
) -> CheckPlan:
    """Draw the check sequences, permutations and background sequences of a check.

    Parameters
    ----------
    n, q : int
        Sequence length and alphabet size.
    background : Background
        The background P of the value function (or any shortcut of
        :func:`shap_zero.attribution.resolve_background`, as integer codes).
    n_sequences : int
        Check sequences S, >= 2.
    n_permutations : int
        Chains per sequence, even (antithetic pairs) and >= 4 (two pairs for a variance).
    rng : numpy.random.Generator
        The only source of randomness of the check.
    sequences : array-like of shape (S, n), optional
        Check sequences as codes; default: S draws from the uniform distribution.

    Returns
    -------
    CheckPlan
        Its ``points`` (``check_cost(n, S, n_permutations)`` rows) are to be sent to the
        model; see :class:`CheckPlan` for their order.
    """
    n, n_sequences, n_permutations = _check_sizes(n, n_sequences, n_permutations)
    q = check_int(q, name="q", minimum=2, maximum=MAX_Q)
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameterError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    background = _check_background(background, n, q)
    if sequences is None:
        x = rng.integers(0, q, size=(n_sequences, n), dtype=np.uint8)
    else:
        x = check_codes(sequences, q=q, n=n, name="sequences").copy()
        if x.shape[0] != n_sequences:
            raise InvalidParameterError(
                f"n_sequences: expected the number of rows of sequences ({x.shape[0]}), got {n_sequences}"
            )
    pairs = n_permutations // 2
    n_draws = n_sequences * pairs
    # One z per antithetic pair: a mixture component, then each position by inverse CDF.
    component = rng.choice(background.n_components, size=n_draws, p=background.weights)
    cdf = np.cumsum(background.probabilities, axis=2)
    cdf /= cdf[:, :, -1:]  # exactly 1 at the end, so u < 1 never runs past symbol q - 1
    u = rng.random((n_draws, n))
    z = (u[:, :, None] >= cdf[component]).sum(axis=2).astype(np.uint8).reshape(n_sequences, pairs, n)
    forward = rng.permuted(np.broadcast_to(np.arange(n), (n_draws, n)), axis=1).reshape(n_sequences, pairs, n)
    permutations = np.stack([forward, forward[:, :, ::-1]], axis=2).reshape(n_sequences, n_permutations, n)
    z = np.repeat(z, 2, axis=1)  # both chains of a pair start from the same z
    # Position i is filled in from step rank[i] + 1 on: s_k[i] = x[i] iff rank[i] < k.
    rank = np.argsort(permutations, axis=2)
    filled = rank[:, :, None, :] < np.arange(n)[:, None]  # (S, P, k, n)
    chains = np.where(filled, x[:, None, None, :], z[:, :, None, :])
    points = np.empty((n_sequences, n_permutations * n + 1, n), dtype=np.uint8)
    points[:, :-1] = chains.reshape(n_sequences, n_permutations * n, n)
    points[:, -1] = x
    points = points.reshape(-1, n)
    for array in (x, points, permutations):
        array.setflags(write=False)
    return CheckPlan(x, points, n_permutations, permutations, q, _digest(background))


def _check_values(plan: CheckPlan, values: Any) -> np.ndarray:
    if not isinstance(plan, CheckPlan):
        raise InvalidParameterError(f"plan: expected a CheckPlan, got {type(plan).__name__}")
    y = np.asarray(values, dtype=np.float64)
    expected = (plan.points.shape[0],)
    if y.shape != expected:
        raise InvalidParameterError(
            f"values: expected the model's outputs on plan.points, shape {expected}; got shape {y.shape}"
        )
    if not np.isfinite(y).all():
        raise InvalidParameterError(
            f"values: expected finite numbers; got {int((~np.isfinite(y)).sum())} non-finite"
        )
    return y


def monte_carlo_shapley(plan: CheckPlan, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Permutation Monte Carlo Shapley values of the check sequences, and their variances.

    Parameters
    ----------
    plan : CheckPlan
    values : array-like of shape (M,)
        The model's outputs on ``plan.points``, in the same order.

    Returns
    -------
    phi : ndarray of shape (S, n), float64
        Unbiased estimates of the model's Shapley values under the plan's background.
    variance : ndarray of shape (S, n), float64
        Unbiased estimates of their variances (``se^2``), from the antithetic pairs.
    """
    return _monte_carlo(plan, _check_values(plan, values))


def _monte_carlo(plan: CheckPlan, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, p, n = plan.permutations.shape
    blocks = y.reshape(s, p * n + 1)
    walk = np.concatenate(
        [blocks[:, :-1].reshape(s, p, n), np.broadcast_to(blocks[:, -1:, None], (s, p, 1))], axis=2
    )
    steps = np.diff(walk, axis=2)  # steps[.., k]: the contribution of position pi[k]
    contributions = np.take_along_axis(steps, np.argsort(plan.permutations, axis=2), axis=2)
    pair_means = contributions.reshape(s, p // 2, 2, n).mean(axis=2)
    return pair_means.mean(axis=1), pair_means.var(axis=1, ddof=1) / (p // 2)


def estimate_shap_accuracy(
    plan: CheckPlan, values: np.ndarray, sketch: FourierSketch, background: Background
) -> ShapAccuracy:
    """Estimate the NMSE of a sketch's SHAP values from the model's values on a plan.

    Parameters
    ----------
    plan : CheckPlan
        From :func:`draw_check_plan`.
    values : array-like of shape (M,)
        The model's outputs on ``plan.points``, in the same order.
    sketch : FourierSketch
        The sketch under test (same n and q as the plan).
    background : Background
        The background the plan was drawn with.

    Returns
    -------
    ShapAccuracy

    Notes
    -----
    ``nmse = (sum (psi - phi_mc)^2 - sum se^2) / (sum phi_mc^2 - sum se^2)``, clipped at
    0. The interval is ``nmse +- 1.96 * se_jack``, clipped at 0, with ``se_jack`` the
    delete-one jackknife standard error over check sequences: it covers both the Monte
    Carlo noise and the choice of sequences, but rests on a normal approximation that is
    rough with few sequences. When a delete-one denominator is <= 0 the interval is
    ``[0, inf]``. When the whole denominator is <= 0 (the reference says all SHAP values
    are zero, e.g. a constant model), the NMSE is undefined: it is reported as 0 (with
    interval [0, 0]) when the sketch's values are also zero up to rounding, and as inf
    otherwise, with interval [inf, inf] when the reference is exactly zero (no Monte
    Carlo variance) and [0, inf] when it is merely too noisy (add permutations).
    """
    y = _check_values(plan, values)
    phi_mc, variance = _monte_carlo(plan, y)
    if not isinstance(sketch, FourierSketch):
        raise InvalidParameterError(
            f"sketch: expected a shap_zero.FourierSketch, got {type(sketch).__name__}"
        )
    if sketch.n != plan.n or sketch.q != plan.q:
        raise InvalidParameterError(
            f"sketch: expected a sketch for n={plan.n}, q={plan.q} (the plan's); "
            f"got n={sketch.n}, q={sketch.q}"
        )
    background = _check_background(background, plan.n, plan.q)
    if _digest(background) != plan.background_digest:
        raise InvalidParameterError(
            "background: expected the background the plan was drawn with; got another one"
        )
    psi = shapley_values(sketch, plan.sequences, background=background)
    # Per-sequence sums, so that the jackknife can leave one sequence out.
    error = ((psi - phi_mc) ** 2).sum(axis=1)
    power = (phi_mc**2).sum(axis=1)
    noise = variance.sum(axis=1)
    numerator, denominator = error.sum() - noise.sum(), power.sum() - noise.sum()
    reference_noise = (
        float(noise.sum() / power.sum()) if power.sum() > 0 else (0.0 if noise.sum() == 0 else np.inf)
    )
    summary: dict[str, Any] = {
        "n_sequences": plan.n_sequences,
        "n_permutations": plan.n_permutations,
        "n_queries": int(plan.points.shape[0]),
        "reference_noise": reference_noise,
    }
    if denominator <= 0:
        scale = max(plan.n_sequences * plan.n * float(np.mean(y**2)), 1.0)
        if error.sum() <= _ZERO_TOLERANCE * scale:
            return ShapAccuracy(nmse=0.0, low=0.0, high=0.0, **summary)
        # A noisy reference cannot rule out small true values; an exact zero one can.
        return ShapAccuracy(nmse=np.inf, low=0.0 if noise.sum() > 0 else np.inf, high=np.inf, **summary)
    ratio = numerator / denominator
    loo_numerator = numerator - (error - noise)
    loo_denominator = denominator - (power - noise)
    if (loo_denominator <= 0).any():
        spread = np.inf
    else:
        loo = loo_numerator / loo_denominator
        s = plan.n_sequences
        spread = float(np.sqrt((s - 1) / s * ((loo - loo.mean()) ** 2).sum()))
    return ShapAccuracy(
        nmse=float(max(ratio, 0.0)),
        low=float(max(ratio - _Z95 * spread, 0.0)),
        high=float(max(ratio + _Z95 * spread, 0.0)),
        **summary,
    )

"""The regression engine: every Fourier term up to a degree, by ridge least squares on random queries.

Real sequence models are mostly a dense body of low-order effects. This engine fits
all of them at once: it queries the model on distinct uniform random sequences and
solves for every Fourier term of degree <= d (optionally plus the terms of degree d + 1
whose positions lie within a window) by regularised least squares, with the ridge
penalty chosen by K-fold cross-validation on the same queries.

The fit works in the block form of :mod:`shap_zero.engines.blocks`: one
pure-interaction table per subset of positions, solved by preconditioned conjugate
gradients a chunk of rows at a time, so memory stays at the tables plus the codes
(never an N x p matrix). The tables convert exactly to Fourier coefficients, and the
sketch is canonical and real.

Cost. One solver iteration reads every row once per position of every block:
``N * sum_S |S|`` table reads, twice (evaluate and accumulate). Degree 2 at n = 100,
q = 4 is 5,050 blocks and 44,851 terms; at q = 20, n = 30 it is 465 blocks and
157,606 terms (measured run times: docs/sketching.md).
"""

from __future__ import annotations

import math
import os
from typing import Any, ClassVar, Literal

import numpy as np

from shap_zero._progress import progress_bar
from shap_zero._validation import check_int
from shap_zero.engines import blocks as bl
from shap_zero.engines.base import EnginePlan, FitContext, OutputFit, SketchEngine, uniform_distinct_rows
from shap_zero.exceptions import InsufficientBudgetError, InvalidParameterError
from shap_zero.models import DEFAULT_BATCH_SIZE

__all__ = ["RegressionEngine", "choose_degree", "widest_window", "fit_ridge", "check_fit_options", "PENALTY_GRID"]

#: Ridge penalties tried by cross-validation, as multiples of the rows it uses: a
#: penalty c * N shrinks a well-determined coefficient by about 1 / (1 + c).
PENALTY_GRID = (0.0, 1e-3, 1e-2, 1e-1, 1.0)
#: Rows that cross-validation uses at least (all of them when there are fewer): the best
#: penalty, in squared output units, does not depend on N, so a subset of the rows
#: chooses it for all of them.
CV_ROWS = 50_000
#: Training rows per term in each fold at least: below about 2 the folds' fits are
#: underdetermined and every penalty but the largest overfits (at the TIGER budget the
#: default basis has 90,619 terms, so 50,000 rows would choose the largest penalty).
CV_ROWS_PER_TERM = 3
#: Fold solves stop when their optimisation error is this fraction of the statistical
#: error: the penalties' held-out errors are compared, not polished.
CV_TOLERANCE = 0.05
#: The smallest design is twice as many rows as terms: below that least squares is not determined.
MIN_ROWS_PER_TERM = 2


def choose_degree(
    n: int, q: int, n_rows: int, rows_per_term: float, max_terms: int | None = None
) -> tuple[int, int | None]:
    """The degree d, and a window for degree d + 1 terms, that ``n_rows`` rows resolve.

    d is the largest degree whose terms number at most ``n_rows / rows_per_term`` (and
    at most ``max_terms``).
    Then, if the rows allow, degree d + 1 terms within the widest window of w >= d + 1
    consecutive positions are added (local interactions, as of neighbouring bases).

    Returns
    -------
    degree : int
        At least 1 (the caller checks that degree 1 fits).
    window : int or None
        None when no degree d + 1 terms fit.
    """
    allowed = n_rows / rows_per_term if max_terms is None else min(n_rows / rows_per_term, max_terms)
    degree = 1
    while degree < n and bl.count_terms(n, q, degree + 1) <= allowed:
        degree += 1
    if degree >= n:
        return n, None
    return degree, widest_window(n, q, degree, allowed)


def widest_window(n: int, q: int, degree: int, allowed: float) -> int | None:
    """The widest window w >= degree + 1 whose local degree + 1 terms, with all terms of
    degree <= ``degree``, number at most ``allowed``; None when not even w = degree + 1 fits."""
    base = bl.count_terms(n, q, degree)
    window = None
    for w in range(degree + 1, n + 1):
        extra = len(bl.local_blocks(n, degree + 1, w)) * bl.count_block_terms(degree + 1, q)
        if base + extra > allowed:
            break
        window = w
    return window


class RegressionEngine(SketchEngine):
    """Every Fourier term up to a degree, fitted by ridge least squares on uniform random queries.

    Parameters
    ----------
    degree : int, optional
        Fit every term of degree <= ``degree``. Default: chosen from the budget, the
        largest degree with at least ``rows_per_term`` queries per term (1, 2 or 3 on
        typical budgets).
    window : int or "auto", optional
        Also fit the terms of degree ``degree + 1`` whose positions lie within this many
        consecutive positions. ``"auto"`` (the default when ``degree`` is None) takes
        the widest window the budget allows; None fits none.
    penalty : "cv" or float, default "cv"
        Ridge penalty on the Fourier coefficients (squared output units);
        ``"cv"`` chooses it among :data:`PENALTY_GRID` by K-fold cross-validation.
    n_folds : int, default 3
        Folds of the cross-validation.
    rows_per_term : float, default 10
        Queries per fitted term when the degree comes from the budget.
    max_terms : int, default 100000
        At most this many terms when the degree comes from the budget: the fit's cost
        grows with the terms times the queries (at the paper's TIGER budget of 4 million
        queries, 10 per term would be degree 3 plus local quadruples, 362,779 terms).
    budget, n_validation, check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`.

    Attributes
    ----------
    sketch_, sketches_, n_queries_, report_
        As for every engine; each output's ``details`` hold the degree, window, the
        chosen penalty, the cross-validated errors and the solver's iterations.

    Examples
    --------
    >>> import numpy as np
    >>> import shap_zero as sz
    >>> truth = sz.random_sparse_sketch(10, 4, 30, max_degree=2, random_state=0)
    >>> engine = sz.RegressionEngine(degree=2, budget=20_000, random_state=0)
    >>> sketch = engine.fit(truth.predict, seq_length=10, alphabet=sz.DNA).sketch_
    >>> X = np.random.default_rng(1).integers(0, 4, (100, 10))
    >>> bool(np.allclose(sketch.predict(X), truth.predict(X)))
    True
    """

    name: ClassVar[str] = "regression"

    def __init__(
        self,
        *,
        degree: int | None = None,
        window: int | Literal["auto"] | None = "auto",
        penalty: float | Literal["cv"] = "cv",
        n_folds: int = 3,
        rows_per_term: float = 10.0,
        max_terms: int = 100_000,
        budget: int | None = None,
        n_validation: int = 1000,
        check_sequences: int = 0,
        check_permutations: int = 64,
        batch_size: int = DEFAULT_BATCH_SIZE,
        executor: Any = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: bool = False,
        random_state: Any = None,
    ) -> None:
        super().__init__(**self.shared(locals()))
        self.degree = degree
        self.window = window
        self.penalty = penalty
        self.n_folds = n_folds
        self.rows_per_term = rows_per_term
        self.max_terms = max_terms

    # ------------------------------------------------------------------ engine hooks
    def minimum_budget(self, n: int, q: int) -> int:
        """Smallest design in queries for n and q, excluding held-out validation and the check.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        int
        """
        degree = 1 if self.degree is None else int(self.degree)
        return MIN_ROWS_PER_TERM * bl.count_terms(n, q, degree)

    def _check_options(self, n: int, q: int) -> None:
        check_int(self.degree, name="degree", minimum=1, maximum=n, allow_none=True)
        if not (self.window is None or self.window == "auto"):
            minimum = 2 if self.degree is None else int(self.degree) + 1
            check_int(self.window, name="window", minimum=minimum, maximum=n)
        check_fit_options(self.penalty, self.n_folds, self.rows_per_term)
        check_int(self.max_terms, name="max_terms", minimum=2)

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        assert budget is not None  # the base class resolves it
        rows = uniform_distinct_rows(budget, n, q, rng)
        degree, window = self._resolve_structure(n, q, rows.shape[0])
        blocks = bl.blocks_up_to(n, degree)
        if window is not None and degree < n:
            blocks += bl.local_blocks(n, degree + 1, window)
        basis = bl.BlockBasis(blocks, n, q)
        if rows.shape[0] < MIN_ROWS_PER_TERM * basis.n_terms:
            raise InsufficientBudgetError(
                f"degree={degree}{'' if window is None else f', window={window}'} has {basis.n_terms:,} terms at "
                f"n={n}, q={q} and needs at least {MIN_ROWS_PER_TERM * basis.n_terms:,} random queries; "
                f"the budget leaves {rows.shape[0]:,} (distinct sequences: {q}^{n})"
            )
        info = {"n_random": int(rows.shape[0]), "degree": degree, "window": window, "n_blocks": len(basis),
                "n_terms": basis.n_terms}  # fmt: skip
        return EnginePlan(rows, info=info, state=basis)

    def _resolve_structure(self, n: int, q: int, n_rows: int) -> tuple[int, int | None]:
        if self.degree is None:
            degree, window = choose_degree(n, q, n_rows, float(self.rows_per_term), int(self.max_terms))
        else:
            degree, window = int(self.degree), None
            if self.window == "auto" and degree < n:
                window = widest_window(n, q, degree, min(n_rows / float(self.rows_per_term), int(self.max_terms)))
        if self.window is None:
            window = None
        elif self.window != "auto":
            window = int(self.window)
        return degree, window

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        basis: bl.BlockBasis = plan.state
        rows = bl.Rows(plan.points)
        fit, details = fit_ridge(basis, rows, values, self.penalty, int(self.n_folds), context.progress)
        frequencies, coefficients = fit.fourier()
        details.update(degree=plan.info["degree"], window=plan.info["window"])
        return OutputFit(frequencies, coefficients, "full", details)


def fit_ridge(
    basis: bl.BlockBasis, rows: bl.Rows, values: np.ndarray, penalty: Any, n_folds: int, progress: bool
) -> tuple[bl.BlockFit, dict[str, Any]]:
    """Ridge least squares on ``basis``, with the penalty given or chosen by cross-validation.

    Returns the fit on all rows and JSON-ready details (penalty, cross-validated mean
    squared errors per penalty, solver iterations).
    """
    details: dict[str, Any] = {"n_blocks": len(basis), "n_terms": basis.n_terms}
    if penalty == "cv":
        cv_rows = min(rows.n_rows, max(CV_ROWS, math.ceil(CV_ROWS_PER_TERM * basis.n_terms * n_folds / (n_folds - 1))))
        subset = rows if cv_rows == rows.n_rows else rows.take(np.arange(cv_rows))
        grid = [factor * cv_rows for factor in PENALTY_GRID]
        with progress_bar(progress, total=n_folds, description="regression: cross-validation", unit="fold") as bar:
            chosen, errors = bl.cross_validate(
                basis, subset, values[:cv_rows], grid, n_folds=n_folds, statistical_tolerance=CV_TOLERANCE,
                on_fold=lambda _: bar.update(),
            )  # fmt: skip
        details.update(cv_rows=cv_rows, cv_penalties=grid, cv_mse=[float(e) for e in errors])
        penalty = chosen
    fit = bl.solve(basis, rows, values, penalty=float(penalty))
    details.update(penalty=float(penalty), iterations=fit.iterations)
    return fit, details


def check_fit_options(penalty: Any, n_folds: Any, rows_per_term: Any) -> None:
    """Check the least-squares options the regression and hybrid engines share.

    Parameters
    ----------
    penalty, n_folds, rows_per_term
        As in :class:`RegressionEngine`.

    Raises
    ------
    InvalidParameterError
        Naming the bad option.
    """
    if not (penalty == "cv" or (_is_number(penalty) and penalty >= 0)):
        raise InvalidParameterError(f"penalty: expected 'cv' or a number >= 0, got {penalty!r}")
    check_int(n_folds, name="n_folds", minimum=2)
    if not (_is_number(rows_per_term) and rows_per_term >= MIN_ROWS_PER_TERM):
        raise InvalidParameterError(f"rows_per_term: expected a number >= {MIN_ROWS_PER_TERM}, got {rows_per_term!r}")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)

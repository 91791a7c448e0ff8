"""The hybrid engine: the dense low-degree body by regression, higher-order blocks by a hierarchical search.

Real models are a dense body of low-order effects plus a tail of interactions among
positions whose smaller subsets already interact (ProxySPEX, Butler et al. 2025,
reports this hierarchy in real models). The engine

1. queries the model on distinct uniform random sequences;
2. fits every term of degree <= ``base_degree`` by least squares (the body);
3. searches: every block "a significant block plus one position" is scored by the
   chi-square statistic of the residual's energy on its pure-interaction terms
   (:func:`shap_zero.engines.blocks.child_statistics`); the blocks that pass a
   Bonferroni-corrected test at level ``search_level`` join the fit, all blocks are
   refitted jointly, and the search repeats from the new blocks, up to
   ``max_degree``;
4. stops when no candidate passes, and returns the joint least-squares fit (ridge
   optional).

Above ``search_rows`` queries the search (steps 2 to 4) runs on that many of them and
the fit is then refined on every query (one preconditioned step). A pass over the
rows costs the same for every candidate and solver iteration, so this bounds the
search's cost at large budgets; what it gives up is power against blocks too weak to
pass a test on ``search_rows`` queries but not on all of them (measured in
``results/engine_scaling_tiger.md``).

A block is all (q-1)^|S| Fourier terms on its support S, so a block that enters is
fitted completely; its chi-square test compares its energy with what noise alone
would leave there. On a model whose spectrum lies in the searched blocks (for example a
sparse spectrum of degree <= 3 at moderate n, where every triple is a candidate) the
fit is exact once enough queries are made.
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
from shap_zero.engines.regression import MIN_ROWS_PER_TERM, check_fit_options, fit_ridge
from shap_zero.exceptions import InvalidParameterError
from shap_zero.models import DEFAULT_BATCH_SIZE

__all__ = ["HybridEngine", "search_blocks"]

#: Rows per term below which the search stops adding blocks (least squares stays well posed).
SEARCH_ROWS_PER_TERM = 4
#: A sweep over every parent is repeated only when the residual variance has fallen by
#: at least this fraction since the last one (statistics scale with 1 / variance).
SWEEP_GAIN = 0.1
#: Between rounds the fit is solved only until its optimisation error is this fraction of
#: its statistical error: enough to score the next candidates; the last solve goes further.
ROUND_TOLERANCE = 0.2
#: Residual variance, as a fraction of the mean square of the values, below which the fit
#: counts as exact and the search stops (the solver's own tolerance leaves about 1e-20).
EXACT_FIT = 1e-16
#: Default of ``search_rows``.
DEFAULT_SEARCH_ROWS = 1_000_000


class HybridEngine(SketchEngine):
    """A low-degree regression with higher-order blocks found by a hierarchical search.

    Parameters
    ----------
    base_degree : int, optional
        Every term up to this degree is fitted. Default: 2 when the budget gives at
        least ``rows_per_term`` queries per term of degree <= 2, else 1.
    max_degree : int, default 6
        Largest block the search builds.
    search_level : float, default 0.01
        Family-wise false-alarm level of each round's tests: a block of pure noise
        enters with probability at most about this, per round.
    max_candidates : int, default 50000
        Largest number of candidate blocks scored per round (the strongest parents are
        extended first).
    max_rounds : int, default 12
    heredity : int, default 1
        A candidate block is scored only when at least this many of its sub-blocks (one
        position fewer) are already in the fit: 1 extends every fitted block by every
        position; 2 looks for an interaction only where two of its parts interact
        (strong heredity), a cheaper search that misses blocks with one strong part (on
        ViennaRNA at n = 20 and 200,000 queries it gave SHAP NMSE 0.177 to 0.217 over
        three seeds, against 0.177 to 0.182 with 1).
    penalty : "cv" or float, default 0
        Ridge penalty of the final joint fit (``"cv"``: chosen by cross-validation, as
        in :class:`~shap_zero.engines.regression.RegressionEngine`). The tests already
        keep weak blocks out, so the default is plain least squares.
    n_folds : int, default 3
        Folds when ``penalty="cv"``.
    rows_per_term : float, default 10
        Queries per term for the default ``base_degree``.
    search_rows : int or None, default 1000000
        Queries the search scores candidates and solves on, when the design has more
        (the first ones: the design is in random order); the final fit uses every query.
        None searches on all of them.
    budget, n_validation, check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`.

    Attributes
    ----------
    sketch_, sketches_, n_queries_, report_
        As for every engine; each output's ``details`` hold the blocks per degree, the
        search's rounds and the solver's iterations.

    Examples
    --------
    >>> import numpy as np
    >>> import shap_zero as sz
    >>> truth = sz.random_sparse_sketch(12, 4, 40, max_degree=3, random_state=0)
    >>> engine = sz.HybridEngine(budget=20_000, random_state=0)
    >>> sketch = engine.fit(truth.predict, seq_length=12, alphabet=sz.DNA).sketch_
    >>> X = np.random.default_rng(1).integers(0, 4, (100, 12))
    >>> bool(np.allclose(sketch.predict(X), truth.predict(X)))
    True
    """

    name: ClassVar[str] = "hybrid"

    def __init__(
        self,
        *,
        base_degree: int | None = None,
        max_degree: int = 6,
        search_level: float = 0.01,
        max_candidates: int = 50_000,
        max_rounds: int = 12,
        heredity: int = 1,
        penalty: float | Literal["cv"] = 0.0,
        n_folds: int = 3,
        rows_per_term: float = 10.0,
        search_rows: int | None = DEFAULT_SEARCH_ROWS,
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
        self.base_degree = base_degree
        self.max_degree = max_degree
        self.search_level = search_level
        self.max_candidates = max_candidates
        self.max_rounds = max_rounds
        self.heredity = heredity
        self.penalty = penalty
        self.n_folds = n_folds
        self.rows_per_term = rows_per_term
        self.search_rows = search_rows

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
        degree = 1 if self.base_degree is None else int(self.base_degree)
        return MIN_ROWS_PER_TERM * bl.count_terms(n, q, degree)

    def _check_options(self, n: int, q: int) -> None:
        check_int(self.base_degree, name="base_degree", minimum=1, maximum=n, allow_none=True)
        check_int(self.max_degree, name="max_degree", minimum=1)  # above n: no block is that large
        if not (isinstance(self.search_level, float | int) and not isinstance(self.search_level, bool)
                and 0 < self.search_level < 1):  # fmt: skip
            raise InvalidParameterError(f"search_level: expected a number in (0, 1), got {self.search_level!r}")
        check_int(self.max_candidates, name="max_candidates", minimum=1)
        check_int(self.max_rounds, name="max_rounds", minimum=0)
        check_int(self.heredity, name="heredity", minimum=1)
        check_int(self.search_rows, name="search_rows", minimum=1, allow_none=True)
        check_fit_options(self.penalty, self.n_folds, self.rows_per_term)

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        assert budget is not None
        rows = uniform_distinct_rows(budget, n, q, rng)
        if self.base_degree is not None:
            base_degree = int(self.base_degree)
        else:
            base_degree = 2 if n >= 2 and bl.count_terms(n, q, 2) * float(self.rows_per_term) <= rows.shape[0] else 1
        info = {"n_random": int(rows.shape[0]), "base_degree": base_degree, "max_degree": int(self.max_degree)}
        return EnginePlan(rows, info=info)

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        rows = bl.Rows(plan.points)
        fit, rounds = search_blocks(
            rows, values, context.n, context.q,
            base_degree=plan.info["base_degree"], max_degree=int(self.max_degree),
            search_level=float(self.search_level), max_candidates=int(self.max_candidates),
            max_rounds=int(self.max_rounds), heredity=int(self.heredity),
            search_rows=self.search_rows, progress=context.progress,
        )  # fmt: skip
        details: dict[str, Any] = {"search_rows": min(rows.n_rows, self.search_rows or rows.n_rows)}
        if self.penalty == "cv" or float(self.penalty) > 0:
            fit, ridge = fit_ridge(fit.basis, rows, values, self.penalty, int(self.n_folds), context.progress)
            details.update(ridge)
        degrees, counts = np.unique(fit.basis.degrees, return_counts=True)
        details.update(
            blocks_per_degree={str(int(d)): int(c) for d, c in zip(degrees, counts)},
            n_terms=fit.basis.n_terms,
            search_rounds=rounds,
            iterations=fit.iterations,
        )
        frequencies, coefficients = fit.fourier()
        return OutputFit(frequencies, coefficients, "full", details)


def search_blocks(
    rows: bl.Rows,
    values: np.ndarray,
    n: int,
    q: int,
    *,
    base_degree: int,
    max_degree: int,
    search_level: float,
    max_candidates: int,
    max_rounds: int,
    heredity: int = 1,
    search_rows: int | None = None,
    progress: bool = False,
) -> tuple[bl.BlockFit, list[dict[str, Any]]]:
    """Fit every block up to ``base_degree``, then grow higher-degree blocks by tests.

    Parameters
    ----------
    rows : Rows
        Uniform random query points (the statistics assume them).
    values : ndarray of shape (N,)
    n, q : int
    base_degree, max_degree, search_level, max_candidates, max_rounds, heredity
        As in :class:`HybridEngine`.
    search_rows : int, optional
        Search on the first this many rows only (default: all of them); the fit found
        is then refined on every row (:func:`~shap_zero.engines.blocks.refine`).
    progress : bool
        A progress bar over rounds.

    Returns
    -------
    fit : BlockFit
        The joint least-squares fit of the base and the blocks found, on every row.
    rounds : list of dict
        Per round: candidates scored, blocks added, residual variance.
    """
    all_rows, all_values = rows, values
    if search_rows is not None and search_rows < rows.n_rows:
        rows, values = rows.take(np.arange(search_rows)), values[:search_rows]
    n_rows = rows.n_rows
    fit = bl.IncrementalFit(bl.BlockBasis(bl.blocks_up_to(n, base_degree), n, q), rows, values)
    fit.iterate(statistical_tolerance=ROUND_TOLERANCE)
    # Parents are the blocks a search may extend: every base block of degree >= 2 at first
    # (so that at moderate n every triple is a candidate), then every block that passed.
    significant: set[tuple[int, ...]] = set()
    history: list[dict[str, Any]] = []
    term_limit = n_rows / SEARCH_ROWS_PER_TERM
    scale = max(float(values @ values) / n_rows, 1e-300)
    # Each round extends only the blocks added in the round before; candidates that
    # failed are scored again by a sweep over every parent once the fresh ones run dry
    # (the residual has shrunk since), and the search ends when a sweep adds nothing.
    fresh: set[tuple[int, ...]] | None = None  # None: every parent
    swept_at = math.inf  # residual variance at the last sweep
    with progress_bar(progress, total=max_rounds, description="hybrid: block search", unit="round") as bar:
        for _ in range(max_rounds):
            basis = fit.basis
            residual = fit.residual_values()
            noise = float(residual @ residual) / max(n_rows - basis.n_terms, 1)
            if noise <= EXACT_FIT * scale:
                break  # the fit is exact: nothing is left to find
            parents = _parents(basis, fit.fit(), significant, base_degree, max_degree, n, noise, n_rows, max_candidates)
            sweep = fresh is None
            if sweep:
                if noise > (1 - SWEEP_GAIN) * swept_at:
                    break  # too little has changed since the last sweep for new blocks to pass
                swept_at = noise
            else:
                parents = [block for block in parents if block in fresh]
            added = (
                _added_blocks(parents, n, q, rows, residual, noise, search_level, basis, term_limit, heredity)
                if parents
                else {}
            )
            history.append({"parents": len(parents), "sweep": sweep, "added": len(added), "noise_variance": noise})
            bar.update()
            bar.set_postfix_str(f"{len(basis) + len(added)} blocks")
            if not added:
                if sweep:
                    break
                fresh = None
                continue
            significant.update(added)
            fresh = set(added)
            fit.extend(added)
            fit.iterate(statistical_tolerance=ROUND_TOLERANCE)
    if rows is all_rows:
        fit.iterate()
        return fit.fit(), history
    return bl.refine(fit.fit(), all_rows, all_values), history


def _added_blocks(
    parents: list[tuple[int, ...]],
    n: int,
    q: int,
    rows: bl.Rows,
    residual: np.ndarray,
    noise: float,
    search_level: float,
    basis: bl.BlockBasis,
    term_limit: float,
    heredity: int,
) -> dict[tuple[int, ...], np.ndarray]:
    """The children of ``parents`` that pass their test, strongest first while the terms stay
    below ``term_limit``, with their normal-equation residual entries."""
    scores = bl.child_statistics(
        parents, n, q, rows, residual, noise, level=search_level, exclude=set(basis.blocks), heredity=heredity
    )
    passed = sorted(scores.gradients, key=lambda block: -scores.statistics[block] / bl.count_block_terms(len(block), q))
    added, terms = {}, basis.n_terms
    for block in passed:
        extra = bl.count_block_terms(len(block), q)
        if terms + extra > term_limit:
            break
        added[block] = scores.gradients[block]
        terms += extra
    return added


def _parents(
    basis: bl.BlockBasis,
    fit: bl.BlockFit,
    significant: set[tuple[int, ...]],
    base_degree: int,
    max_degree: int,
    n: int,
    noise: float,
    n_rows: int,
    max_candidates: int,
) -> list[tuple[int, ...]]:
    """Blocks to extend by one position this round, strongest first, within the candidate cap.

    Every base block of degree ``base_degree`` (>= 1) is a parent, and every block the
    search added; a parent must be below ``max_degree``. When their children exceed
    ``max_candidates``, the parents with the largest fitted energy (relative to what
    noise leaves in a block of their size) go first.
    """
    energies = fit.energies()
    strength = {}
    for block, energy in zip(basis.blocks, energies):
        if len(block) >= max_degree:
            continue
        if block in significant or len(block) == base_degree:
            freedom = bl.count_block_terms(len(block), basis.q)
            strength[block] = n_rows * float(energy) / (noise * freedom)
    ordered = sorted(strength, key=lambda block: -strength[block])
    parents, children = [], 0
    for block in ordered:
        extra = n - len(block)
        if parents and children + extra > max_candidates:
            break
        parents.append(block)
        children += extra
    return parents

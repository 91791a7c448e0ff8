"""The automatic engine: exact when affordable, else the best of hybrid, q-SFT and both combined.

Real models are a dense body of low-order effects plus a tail; some models are a few
strong terms of high degree whose lower-order parts are absent, which a hierarchical
search cannot see but q-SFT decodes exactly. Without knowing which, the engine

1. sketches exactly when all q^n sequences fit in the budget;
2. otherwise splits the design budget: a q-SFT design on ``qsft_share`` of it (when
   its smallest design fits), distinct uniform random sequences on the rest;
3. fits three candidates: the hybrid engine's blocks on the random sequences
   (:func:`~shap_zero.engines.hybrid.search_blocks`), the q-SFT decoding of the design,
   and a *joint* fit: the hybrid's blocks plus the blocks of the terms q-SFT decodes in
   the hybrid's residual, refitted by least squares on every queried sequence;
4. keeps the candidate with the smallest squared error on a selection set of random
   sequences that none of them was fitted on, then refits the winner's blocks with the
   selection set included.

The report's held-out validation sequences are separate from the selection set, so its
R^2 is not biased by the choice.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from shap_zero.engines import blocks as bl
from shap_zero.engines.base import (
    EnginePlan,
    FitContext,
    OutputFit,
    SketchEngine,
    uniform_distinct_rows,
)
from shap_zero.engines.hybrid import HybridEngine, search_blocks
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import FourierSketch
from shap_zero.models import DEFAULT_BATCH_SIZE
from shap_zero.sketch.decoder import decode
from shap_zero.sketch.design import choose_design, design_size, draw_design

__all__ = ["AutoEngine"]

#: Largest block (in Fourier terms) that a q-SFT term of the joint fit brings in whole.
JOINT_BLOCK_TERMS = 4096
#: Fraction of the random sequences held out to choose between the candidates (at least
#: :data:`MIN_SELECTION` of them).
SELECTION_FRACTION = 0.02
MIN_SELECTION = 1000


class AutoEngine(SketchEngine):
    """Choose or combine engines from n, q, the budget and held-out error.

    Parameters
    ----------
    qsft_share : float in [0, 1), default 0.25
        Fraction of the design budget at most spent on a q-SFT design (0: hybrid
        only); the largest design with C, R <= 3 that fits in it is taken, and what it
        leaves goes to the random sequences.
    budget, n_validation, check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`.

    Attributes
    ----------
    chosen_ : list of str
        Per output, the candidate kept: ``"exact"``, ``"hybrid"``, ``"qsft"`` or ``"joint"``.

    Notes
    -----
    Each output's ``details`` in the report hold the candidates' mean squared errors on
    the selection set (``selection_mse``) and the one chosen (``chosen``).
    """

    name: ClassVar[str] = "auto"

    def __init__(
        self,
        *,
        qsft_share: float = 0.25,
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
        self.qsft_share = qsft_share

    def _hybrid(self) -> HybridEngine:
        return HybridEngine()  # the defaults of the search

    def fit(self, model: Any, *, seq_length: int, alphabet: Any, background: Any = "uniform") -> AutoEngine:
        """Sketch exactly when the budget covers all q^n sequences (the report then names ``"exact"``), else as described above.

        Parameters
        ----------
        model : callable
            Takes uint8 codes (N, seq_length), returns N numbers or (N, m).
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet or its size q.
        background : optional
            The background of the SHAP accuracy check.

        Returns
        -------
        self
        """
        self.chosen_ = []
        super().fit(model, seq_length=seq_length, alphabet=alphabet, background=background)
        if self.report_.engine == "exact":
            self.chosen_ = ["exact"] * len(self.sketches_)
        return self

    # ------------------------------------------------------------------ engine hooks
    def minimum_budget(self, n: int, q: int) -> int:
        """The hybrid part's smallest design plus the selection set.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        int
        """
        return self._hybrid().minimum_budget(n, q) + MIN_SELECTION

    def _check_options(self, n: int, q: int) -> None:
        share = self.qsft_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
            raise InvalidParameterError(f"qsft_share: expected a number in [0, 1), got {share!r}")
        self._hybrid()._check_options(n, q)

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        assert budget is not None
        qsft_budget = int(float(self.qsft_share) * budget)
        design = None
        if qsft_budget >= design_size(n, q, 1, 1, 1):
            # Unfilled: what the design leaves of its share goes to the random sequences.
            b, n_groups, n_repeats = choose_design(qsft_budget, n, q, fill=False)
            design = draw_design(n, q, b, n_groups=n_groups, n_repeats=n_repeats, random_state=rng)
        design_points = design.points() if design is not None else np.empty((0, n), dtype=np.uint8)
        random_rows = uniform_distinct_rows(budget - design_points.shape[0], n, q, rng)
        n_select = max(MIN_SELECTION, int(SELECTION_FRACTION * random_rows.shape[0]))
        hybrid = self._hybrid()
        base_degree = 2 if n >= 2 and bl.count_terms(n, q, 2) * hybrid.rows_per_term <= random_rows.shape[0] else 1
        info: dict[str, Any] = {
            "n_random": int(random_rows.shape[0]),
            "n_selection": n_select,
            "base_degree": base_degree,
            "qsft": None if design is None else {"b": design.b, "n_groups": design.n_groups, "n_repeats": design.n_repeats},
        }
        state = {"design": design, "n_random": random_rows.shape[0], "n_select": n_select, "base_degree": base_degree}
        return EnginePlan(np.concatenate([random_rows, design_points]), info=info, state=state)

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        state = plan.state
        n, q = context.n, context.q
        n_random, n_select = state["n_random"], state["n_select"]
        n_fit = n_random - n_select
        random_rows, random_values = plan.points[:n_random], values[:n_random]
        selection = bl.Rows(random_rows[n_fit:])
        selection_values = random_values[n_fit:]
        hybrid = self._hybrid()
        found, _ = search_blocks(
            bl.Rows(random_rows[:n_fit]), random_values[:n_fit], n, q,
            base_degree=state["base_degree"], max_degree=hybrid.max_degree, search_level=hybrid.search_level,
            max_candidates=hybrid.max_candidates, max_rounds=hybrid.max_rounds, heredity=hybrid.heredity,
            search_rows=hybrid.search_rows, progress=context.progress,
        )  # fmt: skip
        candidates: dict[str, bl.BlockFit] = {"hybrid": found}
        errors = {"hybrid": _mse(found.predict(selection), selection_values)}
        design = state["design"]
        qsft_sketch = None
        if design is not None:
            design_rows, design_values = plan.points[n_random:], values[n_random:]
            decoded = decode(design_values, design)
            qsft_sketch = FourierSketch(decoded.frequencies, decoded.coefficients, q, spectrum=decoded.spectrum)
            errors["qsft"] = _mse(qsft_sketch.predict(random_rows[n_fit:]), selection_values)
            # Terms q-SFT finds in what the blocks leave, brought in as whole blocks.
            residual = decode(design_values - found.predict(bl.Rows(design_rows)), design)
            extra = {tuple(int(i) for i in np.flatnonzero(k)) for k in residual.frequencies}
            extra = {block for block in extra if block and bl.count_block_terms(len(block), q) <= JOINT_BLOCK_TERMS}
            extra -= set(found.basis.blocks)
            if extra:
                joint_basis = bl.BlockBasis(list(found.basis.blocks) + sorted(extra), n, q)
                joint_rows = np.concatenate([random_rows[:n_fit], design_rows])
                joint_values = np.concatenate([random_values[:n_fit], design_values])
                joint = bl.solve(joint_basis, bl.Rows(joint_rows), joint_values, start=bl.extend_fit(found, joint_basis))
                candidates["joint"] = joint
                errors["joint"] = _mse(joint.predict(selection), selection_values)
        chosen = min(errors, key=errors.__getitem__)
        self.chosen_.append(chosen)
        details: dict[str, Any] = {"chosen": chosen, "selection_mse": errors}
        if chosen == "qsft":
            assert qsft_sketch is not None
            details["qsft_terms"] = qsft_sketch.n_terms
            # Canonical coefficients: each listed pair stands for itself and its conjugate.
            return OutputFit(qsft_sketch.frequencies, qsft_sketch.coefficients, "half", details)
        # Refit the winner's blocks on every row it may use, the selection set included.
        start = candidates[chosen]
        basis = start.basis
        rows = random_rows if chosen == "hybrid" else plan.points
        fit_values = random_values if chosen == "hybrid" else values
        final = bl.refine(start, bl.Rows(rows), fit_values)
        degrees, counts = np.unique(basis.degrees, return_counts=True)
        details.update(blocks_per_degree={str(int(d)): int(c) for d, c in zip(degrees, counts)}, n_terms=basis.n_terms)
        frequencies, coefficients = final.fourier()
        return OutputFit(frequencies, coefficients, "full", details)


def _mse(predicted: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((predicted - truth) ** 2))

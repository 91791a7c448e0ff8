"""The automatic engine: the exact transform when it fits in the budget, else the hybrid engine."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from shap_zero._config import MAX_DENSE_SIZE
from shap_zero.engines.base import EnginePlan, FitContext, OutputFit, SketchEngine
from shap_zero.engines.exact import ExactEngine
from shap_zero.engines.hybrid import HybridEngine
from shap_zero.models import DEFAULT_BATCH_SIZE

__all__ = ["AutoEngine"]


class AutoEngine(SketchEngine):
    """Choose the engine from n, q and the budget.

    - ``"exact"`` when all q^n sequences fit in the budget (and q^n <=
      :data:`shap_zero._config.MAX_DENSE_SIZE`): the sketch is the model itself;
    - ``"hybrid"`` otherwise: the dense low-degree body by regression and
      higher-order blocks by a hierarchical search (:class:`HybridEngine`), which on the
      benchmark models gives the most accurate SHAP values per query
      (docs/benchmarks.md).

    Parameters
    ----------
    budget, n_validation, check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`.

    Attributes
    ----------
    chosen_ : SketchEngine
        The engine that was run; ``report_.design["engine"]`` names it too.
    """

    name: ClassVar[str] = "auto"

    def __init__(
        self,
        *,
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
        super().__init__(
            budget=budget, n_validation=n_validation, check_sequences=check_sequences,
            check_permutations=check_permutations, batch_size=batch_size, executor=executor,
            checkpoint=checkpoint, progress=progress, random_state=random_state,
        )  # fmt: skip

    def choose(self, n: int, q: int) -> SketchEngine:
        """The engine this campaign will run (not fitted), with this engine's shared options.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        SketchEngine
        """
        from shap_zero._config import DEFAULT_BUDGET

        budget = DEFAULT_BUDGET if self.budget is None else self.budget
        common = {name: getattr(self, name) for name in SketchEngine.option_names()}
        size = q**n if n * np.log(q) < 63 * np.log(2) else None
        if size is not None and size <= MAX_DENSE_SIZE and size <= budget:
            common.pop("budget")
            common["n_validation"] = 0
            return ExactEngine(**common)
        return HybridEngine(**common)

    def minimum_budget(self, n: int, q: int) -> int:
        """The chosen engine's smallest design for n and q.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        int
        """
        return self.choose(n, q).minimum_budget(n, q)

    def validate(self, seq_length: int, alphabet: Any) -> None:
        """Check the options and the budget of the engine :meth:`choose` picks.

        Parameters
        ----------
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet or its size q.
        """
        from shap_zero._validation import check_int
        from shap_zero.engines.base import resolve_alphabet

        n = check_int(seq_length, name="seq_length", minimum=1)
        q, _ = resolve_alphabet(alphabet)
        self.choose(n, q).validate(n, alphabet)

    def fit(self, model: Any, *, seq_length: int, alphabet: Any, background: Any = "uniform") -> AutoEngine:
        """Choose an engine (:meth:`choose`), fit it, and take over its results.

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
        from shap_zero._validation import check_int
        from shap_zero.engines.base import resolve_alphabet

        n = check_int(seq_length, name="seq_length", minimum=1)
        q, _ = resolve_alphabet(alphabet)
        chosen = self.choose(n, q)
        chosen.fit(model, seq_length=n, alphabet=alphabet, background=background)
        self.chosen_ = chosen
        self.sketches_ = chosen.sketches_
        self.plan_ = chosen.plan_
        self.n_queries_ = chosen.n_queries_
        self.report_ = chosen.report_
        return self

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        raise NotImplementedError("AutoEngine.fit runs the chosen engine's own campaign")

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        raise NotImplementedError("AutoEngine.fit runs the chosen engine's own campaign")

"""The sketch-engine protocol and the one campaign driver every engine runs on.

An *engine* turns a model, a sequence length n, an alphabet, a query budget and a
``random_state`` into one :class:`~shap_zero.FourierSketch` per model output, plus a
:class:`SketchReport`. Every engine follows the same lifecycle (scikit-learn style:
``__init__`` stores, ``fit`` works, learned state ends in ``_``) and the same campaign:

1. **Budget.** ``budget`` counts every distinct model query of the campaign: the
   engine's design, the held-out validation sequences and the optional SHAP accuracy
   check. The last two are set aside first; the engine plans its design in the rest.
   A budget that covers all q^n sequences gives the exact transform, whatever the
   engine (no design can do better, and none is larger than q^n). The campaign's
   memory is estimated before anything is drawn, and a budget that would not fit is
   refused with the largest one that does.
2. **Plan.** :meth:`SketchEngine._plan` draws the engine's query points from the one
   random generator (all randomness happens here, before any model call).
3. **Queries.** Design, validation and check points are de-duplicated together and
   sent to the model by :func:`shap_zero.sketch.queries.run_queries`: batched, on any
   executor, with progress, and resumable from an append-only checkpoint. Bad model
   outputs (NaN, infinite, wrong shape) and failing models are reported there.
4. **Fit.** :meth:`SketchEngine._fit_output` turns the design's values of one output
   into Fourier terms; it never queries the model.
5. **Report.** Held-out R^2 and NMSE per output, and, with ``check_sequences``, an
   estimate of the SHAP values' own error with a confidence interval
   (:mod:`shap_zero.engines.accuracy`).

A new engine is a subclass that implements ``_plan``, ``_fit_output`` and, when it
has a smallest design, ``minimum_budget``; :mod:`shap_zero.engines` registers it by name.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from shap_zero._config import DEFAULT_BUDGET, MAX_Q
from shap_zero._validation import check_bool, check_int, check_random_state
from shap_zero.alphabet import Alphabet
from shap_zero.attribution import resolve_background
from shap_zero.engines.accuracy import ShapAccuracy, check_cost, draw_check_plan, estimate_shap_accuracy
from shap_zero.engines.dense import DENSE_BYTES_PER_SEQUENCE, dense_transform, enumerate_sequences
from shap_zero.exceptions import BudgetMemoryError, InsufficientBudgetError, InvalidParameterError
from shap_zero.fourier import FourierSketch
from shap_zero.models import DEFAULT_BATCH_SIZE
from shap_zero.sketch.design import unique_rows
from shap_zero.sketch.queries import run_queries

__all__ = [
    "EnginePlan",
    "FitContext",
    "OutputFit",
    "OutputReport",
    "SketchEngine",
    "SketchReport",
    "uniform_distinct_rows",
]


@dataclass(frozen=True)
class EnginePlan:
    """The query points an engine asks for, and what it needs to remember about them.

    Attributes
    ----------
    points : ndarray of shape (M, n), uint8
        Design points, in the engine's own order (duplicates allowed).
    info : dict
        JSON-ready description of the design, copied into the report (``design``).
    state : Any
        Whatever else the engine's fit needs (a q-SFT design, row subsets, ...).
    """

    points: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    state: Any = None


@dataclass(frozen=True)
class FitContext:
    """What an engine's fit of one output knows besides the design values.

    Attributes
    ----------
    n, q : int
    output : int
        Which model output is being fitted.
    n_outputs : int
    progress : bool
        Whether to show progress bars while solving or decoding.
    """

    n: int
    q: int
    output: int
    n_outputs: int
    progress: bool


@dataclass(frozen=True)
class OutputFit:
    """An engine's fit of one output.

    Attributes
    ----------
    frequencies : ndarray of shape (S, n), integers in 0..q-1
    coefficients : ndarray of shape (S,), complex
    spectrum : {"full", "half"}
        How :class:`~shap_zero.FourierSketch` reads the coefficients.
    details : dict
        JSON-ready engine diagnostics (noise floor, chosen penalty, blocks per degree, ...).
    """

    frequencies: np.ndarray
    coefficients: np.ndarray
    spectrum: str = "full"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputReport:
    """Quality of the sketch of one model output.

    Attributes
    ----------
    r2 : float or None
        ``1 - sum (y - y_hat)^2 / sum (y - mean y)^2`` on the held-out uniform random
        sequences (None without them, NaN when their outputs are constant).
    nmse : float or None
        ``sum (y - y_hat)^2 / sum y^2`` on the same sequences.
    n_terms : int
        Terms of the sketch (conjugate pairs counted once, the mean included).
    n_fourier_coefficients : int
        Nonzero Fourier coefficients F[k] (k and -k counted separately).
    degree_histogram : dict of int to int
        Terms per degree.
    fit_seconds : float
        Wall time of the engine's fit of this output (solving or decoding).
    shap_accuracy : ShapAccuracy or None
        The Monte Carlo estimate of the SHAP values' NMSE, when ``check_sequences > 0``.
    details : dict
        Engine-specific diagnostics (see each engine's documentation).
    """

    r2: float | None
    nmse: float | None
    n_terms: int
    n_fourier_coefficients: int
    degree_histogram: dict[int, int]
    fit_seconds: float
    shap_accuracy: ShapAccuracy | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SketchReport:
    """What a sketch cost and how good it is.

    Attributes
    ----------
    engine : str
        Name of the engine (``"qsft"``, ``"regression"``, ...).
    budget : int or None
        The budget the campaign was planned in (None for designs fixed by hand).
    design : dict
        The engine's design (e.g. ``b``, ``n_groups``, ``n_repeats`` for q-SFT; the
        number of random rows and the degree for regression).
    n_design_points : int
        Points of the design before de-duplication.
    n_unique_design_points : int
        Distinct design points.
    n_validation_queries : int
        Held-out uniform random sequences (distinct from each other).
    n_check_queries : int
        Rows of the SHAP accuracy check.
    n_model_queries : int
        Distinct sequences the model was asked about in total.
    n_resumed : int
        Of those, how many were read back from the checkpoint.
    model_seconds : float
        Time spent in model calls.
    fit_seconds : float
        Time spent fitting all outputs.
    outputs : list of OutputReport
    """

    engine: str
    budget: int | None
    design: dict[str, Any]
    n_design_points: int
    n_unique_design_points: int
    n_validation_queries: int
    n_check_queries: int
    n_model_queries: int
    n_resumed: int
    model_seconds: float
    fit_seconds: float
    outputs: list[OutputReport] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        return asdict(self)

    def __str__(self) -> str:
        design = ", ".join(f"{key}={value}" for key, value in self.design.items() if not isinstance(value, dict | list))
        lines = [
            f"engine {self.engine!r}: {design}",
            f"model queries: {self.n_model_queries:,} (design {self.n_unique_design_points:,} distinct, "
            f"held-out {self.n_validation_queries:,}, accuracy check {self.n_check_queries:,}; "
            f"resumed from checkpoint: {self.n_resumed:,})",
            f"time: model {self.model_seconds:.3g} s, fit {self.fit_seconds:.3g} s",
        ]
        for index, output in enumerate(self.outputs):
            quality = (
                "no held-out queries"
                if output.r2 is None
                else f"held-out R^2 {output.r2:.4f}, NMSE {output.nmse:.3g}"
            )
            degrees = ", ".join(f"{d}: {c}" for d, c in sorted(output.degree_histogram.items()))
            lines.append(f"output {index}: {output.n_terms} terms (degrees {degrees}); {quality}")
            if output.shap_accuracy is not None:
                lines.append(f"  {output.shap_accuracy}")
                if output.shap_accuracy.poor:
                    lines.append(
                        "  WARNING: the SHAP values of this sketch are estimated to be far from the model's; "
                        "raise the budget or try another engine before relying on them"
                    )
        return "\n".join(lines)


def uniform_distinct_rows(count: int, n: int, q: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct uniform random sequences (fewer when q^n < count), shape (M, n), uint8.

    Draws in rounds and keeps first appearances, so the rows are a uniform random
    sample without replacement and their order is random.
    """
    total = q**n if n * math.log(q) < 62 * math.log(2) else None
    count = min(count, total) if total is not None else count
    rows = np.empty((0, n), dtype=np.uint8)
    while rows.shape[0] < count:
        missing = count - rows.shape[0]
        draw = rng.integers(0, q, size=(missing + missing // 8 + 16, n), dtype=np.uint8)
        rows = unique_rows(np.concatenate([rows, draw]))[0]
    return rows[:count]


class SketchEngine:
    """Base class of the sketch engines: options shared by every engine, and ``fit``.

    Parameters
    ----------
    budget : int, optional
        Largest number of distinct model queries of the whole campaign: design,
        held-out validation and accuracy check (default
        :data:`shap_zero._config.DEFAULT_BUDGET`).
    n_validation : int, default 1000
        Held-out uniform random sequences for the R^2 and NMSE of the report (inside
        the budget). 0 skips them.
    check_sequences : int, default 0
        Sequences of the SHAP accuracy check (0: no check; at least 2 otherwise).
        Each costs ``check_permutations * n + 1`` queries, inside the budget.
    check_permutations : int, default 64
        Permutations per check sequence (even, at least 4: their spread across antithetic
        pairs gives the Monte Carlo error).
    batch_size : int, default 4096
        Sequences per model call.
    executor : concurrent.futures.Executor, optional
        Runs model batches in parallel (thread or process pool, a Dask client's executor).
    checkpoint : str or path-like, optional
        File that stores every finished batch; a fit interrupted by a crash resumes from
        it without re-querying, given the same settings and an integer ``random_state``.
    progress : bool, default False
        Progress bars over model queries and over the fit.
    random_state : None, int or numpy.random.Generator
        Seeds every random draw (design, held-out and check sequences). The same seed
        gives the same sketch.
    """

    #: Registry name of the engine.
    name: ClassVar[str] = ""
    #: Whether the design is drawn at random (a resumable campaign then needs a seed).
    random_design: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _refuse_unknown_options(cls.__dict__["__init__"])  # type: ignore[method-assign]

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
        self.budget = budget
        self.n_validation = n_validation
        self.check_sequences = check_sequences
        self.check_permutations = check_permutations
        self.batch_size = batch_size
        self.executor = executor
        self.checkpoint = checkpoint
        self.progress = progress
        self.random_state = random_state

    # ------------------------------------------------------------------ introspection
    @staticmethod
    def shared(options: dict[str, Any]) -> dict[str, Any]:
        """The options every engine shares, picked from a subclass constructor's ``locals()``.

        Parameters
        ----------
        options : dict
            The constructor's local variables.

        Returns
        -------
        dict
            Keyword arguments for :class:`SketchEngine`'s constructor.
        """
        return {name: options[name] for name in SketchEngine.option_names() if name in options}

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """Names of the constructor's parameters."""
        return tuple(name for name in inspect.signature(cls.__init__).parameters if name != "self")

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters as stored (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self.option_names()}

    def __repr__(self) -> str:
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if name != "self"
        }
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    # ------------------------------------------------------------------ engine hooks
    def uses_budget(self) -> bool:
        """Whether the design is planned from the budget (False: fixed by the engine's options).

        Returns
        -------
        bool
        """
        return True

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
        return 1

    def memory_per_query(self, n: int, q: int) -> int:
        """Peak bytes of working memory per model query of a campaign (an upper estimate).

        The default covers the codes and their de-duplication, the values, and a fit
        that keeps a few vectors per query: 144 to 178 bytes per query were measured
        for the q-SFT, regression and hybrid engines at n = 12 and 20 with 2 million
        queries, and ``128 + 4 n`` bounds them. Engines with heavier fits override it.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        int
        """
        return 128 + 4 * n

    def _check_options(self, n: int, q: int) -> None:
        """Validate the engine's own options (raise InvalidParameterError)."""

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        raise NotImplementedError

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        raise NotImplementedError

    def _params(self) -> dict[str, Any]:
        """The engine's own settings, JSON-ready (stored in each sketch's metadata)."""
        common = set(SketchEngine.option_names())
        return {name: value for name, value in self.get_params().items() if name not in common and _json_ready(value)}

    # ------------------------------------------------------------------ the campaign
    def fit(
        self,
        model: Callable[[np.ndarray], Any],
        *,
        seq_length: int,
        alphabet: Alphabet | int,
        background: Any = "uniform",
    ) -> SketchEngine:
        """Query the model and fit its sketch.

        Parameters
        ----------
        model : callable
            Takes uint8 codes of shape (N, seq_length) with entries in 0..q-1 and
            returns N numbers, or an (N, m) array for m outputs.
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet (attached to the sketch, so it accepts strings) or its size q.
        background : optional
            The background of the SHAP accuracy check (anything
            :func:`shap_zero.attribution.resolve_background` accepts); the sketch itself
            does not depend on it.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            For a bad option, sequence length or alphabet.
        InsufficientBudgetError
            If ``budget`` is below the smallest campaign for this engine, n and q (the
            message gives the minimum).
        ModelError, ModelOutputError
            If the model raises, or returns NaN, infinite or wrongly shaped outputs.
        CheckpointError
            If ``checkpoint`` belongs to another campaign.
        """
        if not callable(model):
            raise InvalidParameterError(
                f"model: expected a callable on integer codes (N, n), got {type(model).__name__}"
            )
        n = check_int(seq_length, name="seq_length", minimum=1)
        q, attached = resolve_alphabet(alphabet)
        common, budget = self._validate(n, q)
        whole_space = self.covers_all_sequences(n, q)
        resolved_background = resolve_background(background, n, q, attached)
        rng = check_random_state(self.random_state)
        if whole_space:
            # Every sequence is queried, so nothing is held out: the fit is exact.
            plan = EnginePlan(enumerate_sequences(n, q), info={"whole_space": True, "requested_engine": self.name})
            common["n_validation"] = 0
        else:
            plan = self._plan(n, q, budget, rng)
        validation = uniform_distinct_rows(common["n_validation"], n, q, rng) if common["n_validation"] else np.empty((0, n), np.uint8)
        check = None
        if common["check_sequences"]:
            check = draw_check_plan(
                n, q, resolved_background, n_sequences=common["check_sequences"],
                n_permutations=common["check_permutations"], rng=rng,
            )  # fmt: skip
        parts = [plan.points, validation] + ([check.points] if check is not None else [])
        everything = np.concatenate(parts) if len(parts) > 1 else parts[0]
        distinct, inverse = unique_rows(everything)
        result = run_queries(
            model,
            distinct,
            batch_size=common["batch_size"],
            executor=self.executor,
            checkpoint=self.checkpoint,
            progress=bool(self.progress),
            description=f"{'exact' if whole_space else self.name} model queries",
        )
        n_design, n_validation = plan.points.shape[0], validation.shape[0]
        design_values = result.values[inverse[:n_design]]
        validation_values = result.values[inverse[n_design : n_design + n_validation]]
        check_values = result.values[inverse[n_design + n_validation :]]

        n_outputs = result.values.shape[1]
        sketches, outputs = [], []
        for column in range(n_outputs):
            context = FitContext(n=n, q=q, output=column, n_outputs=n_outputs, progress=bool(self.progress))
            started = time.perf_counter()
            if whole_space:
                frequencies, coefficients = dense_transform(design_values[:, column], n, q, WHOLE_SPACE_TOLERANCE)
                fitted = OutputFit(frequencies, coefficients, "full", {"tolerance": WHOLE_SPACE_TOLERANCE})
            else:
                fitted = self._fit_output(plan, design_values[:, column], context)
            seconds = time.perf_counter() - started
            metadata = {
                "method": "exact" if whole_space else self.name,
                "n_queries": int(distinct.shape[0]),
                "output": column,
                "random_state": self.random_state if _json_scalar(self.random_state) else None,
                "params": {**self._params(), **plan.info},
                "details": fitted.details,
            }
            sketch = FourierSketch(
                fitted.frequencies, fitted.coefficients, q, attached, spectrum=fitted.spectrum, metadata=metadata
            )
            accuracy = None
            if check is not None:
                accuracy = estimate_shap_accuracy(check, check_values[:, column], sketch, resolved_background)
            report = _output_report(sketch, validation, validation_values[:, column], seconds, accuracy, fitted.details)
            # The file keeps what the report knew of the sketch's quality (shap-zero info shows it).
            sketches.append(sketch.with_metadata(quality=_quality_metadata(report, n_validation)))
            outputs.append(report)
        # unique_rows numbers distinct rows by first appearance and the design comes first.
        unique_design = int(inverse[:n_design].max()) + 1 if n_design else 0
        self.sketches_ = sketches
        self.plan_ = plan
        self.check_plan_ = check
        self.n_queries_ = int(distinct.shape[0])
        self.report_ = SketchReport(
            engine="exact" if whole_space else self.name,
            budget=budget if self.uses_budget() else None,
            design=dict(plan.info),
            n_design_points=n_design,
            n_unique_design_points=unique_design,
            n_validation_queries=n_validation,
            n_check_queries=0 if check is None else int(check.points.shape[0]),
            n_model_queries=int(distinct.shape[0]),
            n_resumed=result.n_resumed,
            model_seconds=result.model_seconds,
            fit_seconds=float(sum(output.fit_seconds for output in outputs)),
            outputs=outputs,
        )
        return self

    @property
    def sketch_(self) -> FourierSketch:
        """The sketch of a single-output model (use ``sketches_`` for several outputs)."""
        sketches = self.__dict__.get("sketches_")
        if sketches is None:
            raise AttributeError(
                f"{type(self).__name__} has no sketch_ yet: call fit(model, seq_length=..., alphabet=...) first"
            )
        if len(sketches) != 1:
            raise AttributeError(
                f"sketch_ is defined for single-output models; this model has {len(sketches)} outputs, "
                "use sketches_[i]"
            )
        return sketches[0]

    def validate(self, seq_length: int, alphabet: Alphabet | int) -> None:
        """Check the options and the budget for this n and alphabet without querying anything.

        Parameters
        ----------
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet or its size q.

        Raises
        ------
        InvalidParameterError, InsufficientBudgetError
            As :meth:`fit` would, before its first model query.
        """
        n = check_int(seq_length, name="seq_length", minimum=1)
        q, _ = resolve_alphabet(alphabet)
        self._validate(n, q)

    def covers_all_sequences(self, n: int, q: int) -> bool:
        """Whether the budget reaches q^n, so that the campaign is the exact transform.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        bool
        """
        if not self.uses_budget() or n * math.log(q) > 62 * math.log(2):
            return False
        budget = DEFAULT_BUDGET if self.budget is None else check_int(self.budget, name="budget", minimum=1)
        return q**n <= budget

    # ------------------------------------------------------------------ internals
    def _validate(self, n: int, q: int) -> tuple[dict[str, Any], int | None]:
        common = self._check_common(whole_space=self.covers_all_sequences(n, q))
        self._check_options(n, q)
        if self.covers_all_sequences(n, q):
            what = f"the exact transform of all {q}**{n} sequences (the budget covers them)"
            self._check_memory(q**n, n + DENSE_BYTES_PER_SEQUENCE, n, q, what)
            return common, q**n
        budget = self._budget_for_design(n, q, common)
        if budget is not None:
            what = f"engine {self.name!r}"
            self._check_memory(budget + common["n_validation"], self.memory_per_query(n, q), n, q, what)
        return common, budget

    def _check_memory(self, queries: int, per_query: int, n: int, q: int, what: str) -> None:
        """Refuse a campaign whose estimated memory exceeds a safe share of what is available."""
        available = available_memory()
        needed = queries * per_query
        if available is None or needed <= MEMORY_SHARE * available:
            return
        largest = max(int(MEMORY_SHARE * available // per_query), 0)
        total = self.budget if self.budget is not None else DEFAULT_BUDGET
        raise BudgetMemoryError(
            f"budget={total:,} at n={n}, q={q}: {what} would need about {_gib(needed)} of memory "
            f"({queries:,} queries at about {per_query} bytes each) but {_gib(available)} is available; "
            f"lower the budget to at most about {largest:,} queries (nothing has been queried yet)"
        )

    def _check_common(self, *, whole_space: bool = False) -> dict[str, Any]:
        check_bool(self.progress, name="progress")
        options = {
            "n_validation": check_int(self.n_validation, name="n_validation", minimum=0),
            "check_sequences": check_int(self.check_sequences, name="check_sequences", minimum=0),
            "check_permutations": check_int(self.check_permutations, name="check_permutations", minimum=4),
            "batch_size": check_int(self.batch_size, name="batch_size", minimum=1),
        }
        if options["check_sequences"] == 1:
            raise InvalidParameterError(
                "check_sequences: expected 0 (no accuracy check) or at least 2 (its confidence interval "
                "needs two sequences), got 1"
            )
        # A campaign over every sequence draws nothing at random (no design, nothing held out).
        random = options["check_sequences"] > 0 or (
            not whole_space and (self.random_design or options["n_validation"] > 0)
        )
        if self.checkpoint is not None and random and not _json_scalar(self.random_state) or (
            self.checkpoint is not None and random and self.random_state is None
        ):
            raise InvalidParameterError(
                "checkpoint: a campaign can only be resumed by a fit that queries the same sequences, "
                f"so a checkpoint needs an integer random_state; got random_state={self.random_state!r}"
            )
        if options["check_permutations"] % 2:
            raise InvalidParameterError(
                f"check_permutations: expected an even number (antithetic pairs), got {options['check_permutations']}"
            )
        return options

    def _budget_for_design(self, n: int, q: int, common: dict[str, Any]) -> int | None:
        """The part of the budget left for the engine's design, or None when the design ignores it."""
        if not self.uses_budget():
            return None
        budget = DEFAULT_BUDGET if self.budget is None else check_int(self.budget, name="budget", minimum=1)
        reserved = common["n_validation"]
        if common["check_sequences"]:
            reserved += check_cost(n, common["check_sequences"], common["check_permutations"])
        minimum = self.minimum_budget(n, q)
        if budget - reserved < minimum:
            raise InsufficientBudgetError(
                f"budget={budget:,} is too small for engine {self.name!r} at n={n}, q={q}: its smallest design "
                f"needs {minimum:,} queries and {reserved:,} more are set aside for held-out validation "
                f"(n_validation={common['n_validation']}) and the accuracy check "
                f"(check_sequences={common['check_sequences']}); the minimum budget is {minimum + reserved:,}"
            )
        return budget - reserved


def _refuse_unknown_options(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap an engine constructor so that a misspelt or positional option gets a clear error."""
    allowed = [name for name in inspect.signature(init).parameters if name != "self"]
    owner = init.__qualname__.split(".")[0]

    @functools.wraps(init)
    def checked(self: Any, *args: Any, **options: Any) -> None:
        if args:
            raise InvalidParameterError(
                f"{owner}: options are keyword-only (e.g. {owner}(budget=100_000)); got {len(args)} positional argument(s)"
            )
        for name in options:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise InvalidParameterError(
                    f"{owner}: unknown option {name!r}; {hint}its options are {', '.join(allowed)}"
                )
        init(self, **options)

    return checked


#: Share of the available memory a campaign may plan to use (the rest is the model's and
#: the estimate's margin).
MEMORY_SHARE = 0.8

#: Round-off cut of the exact transform when a budget covers all sequences (as ExactEngine's default).
WHOLE_SPACE_TOLERANCE = 1e-12


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB"


def resolve_alphabet(alphabet: Any) -> tuple[int, Alphabet | None]:
    """(q, the Alphabet or None) from an Alphabet or an alphabet size."""
    if isinstance(alphabet, Alphabet):
        return alphabet.q, alphabet
    if isinstance(alphabet, bool) or not isinstance(alphabet, int | np.integer):
        raise InvalidParameterError(
            f"alphabet: expected a shap_zero.Alphabet or an alphabet size q, got {type(alphabet).__name__}"
        )
    return check_int(alphabet, name="alphabet", minimum=2, maximum=MAX_Q), None


def _json_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, int | np.integer) and not isinstance(value, bool))


def _json_ready(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_json_ready(item) for item in value)
    return False


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _quality_metadata(report: OutputReport, n_validation: int) -> dict[str, Any]:
    """The quality figures of one output as JSON (non-finite numbers as null; no timings,
    so that one seed gives one file)."""
    accuracy = None
    if report.shap_accuracy is not None:
        accuracy = {key: (_finite_or_none(value) if isinstance(value, float) else value)
                    for key, value in report.shap_accuracy.to_dict().items()}  # fmt: skip
    return {
        "held_out_r2": _finite_or_none(report.r2),
        "held_out_nmse": _finite_or_none(report.nmse),
        "n_validation": int(n_validation),
        "shap_accuracy": accuracy,
    }


def _output_report(
    sketch: FourierSketch,
    validation: np.ndarray,
    truth: np.ndarray,
    seconds: float,
    accuracy: ShapAccuracy | None,
    details: dict[str, Any],
) -> OutputReport:
    r2 = nmse = None
    if validation.shape[0]:
        predicted = sketch.predict(validation)
        error = float(np.sum((truth - predicted) ** 2))
        spread = float(np.sum((truth - truth.mean()) ** 2))
        scale = float(np.sum(truth**2))
        r2 = 1.0 - error / spread if spread > 0 else float("nan")
        nmse = error / scale if scale > 0 else (0.0 if error == 0 else float("inf"))
    degrees, counts = np.unique(sketch.degrees, return_counts=True)
    return OutputReport(
        r2=r2,
        nmse=nmse,
        n_terms=sketch.n_terms,
        n_fourier_coefficients=sketch.n_fourier_coefficients,
        degree_histogram={int(d): int(c) for d, c in zip(degrees, counts)},
        fit_seconds=seconds,
        shap_accuracy=accuracy,
        details=dict(details),
    )


"""The exact engine: the dense Fourier transform of all q^n model outputs.

.. math:: F[k] = q^{-n} \\sum_x f(x)\\, \\omega^{-\\langle k, x \\rangle}

computed with ``numpy.fft.fftn`` over n axes of size q. Feasible for q^n up to
:data:`shap_zero._config.MAX_DENSE_SIZE` (n = 11 at q = 4); the model is queried on
every sequence once, so no held-out validation is needed (the sketch reproduces the
model exactly, up to the round-off cut).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from shap_zero._config import MAX_DENSE_SIZE
from shap_zero._validation import check_int
from shap_zero.alphabet import Alphabet
from shap_zero.engines.base import EnginePlan, FitContext, OutputFit, SketchEngine
from shap_zero.engines.dense import dense_transform, enumerate_sequences
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import FourierSketch
from shap_zero.models import DEFAULT_BATCH_SIZE

__all__ = ["ExactEngine", "exact_sketch", "exact_sketches"]


class ExactEngine(SketchEngine):
    """Sketch a model exactly from its outputs on all q^n sequences.

    Parameters
    ----------
    tolerance : float, default 1e-12
        Coefficients with ``|F[k]| <= tolerance * rms_k |F[k]|`` (the root mean
        square over all q^n coefficients) are dropped as FFT round-off; 0 keeps every
        nonzero coefficient. See :func:`shap_zero.engines.dense.dense_transform`.
    n_validation : int, default 0
        Held-out sequences are all design points here, so none are needed.
    check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`; ``budget`` is not used
        (the design is all q^n sequences).
    """

    name: ClassVar[str] = "exact"
    random_design: ClassVar[bool] = False

    def __init__(
        self,
        *,
        tolerance: float = 1e-12,
        n_validation: int = 0,
        check_sequences: int = 0,
        check_permutations: int = 64,
        batch_size: int = DEFAULT_BATCH_SIZE,
        executor: Any = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: bool = False,
        random_state: Any = None,
    ) -> None:
        super().__init__(**self.shared(locals()))
        self.tolerance = tolerance

    def uses_budget(self) -> bool:
        return False

    def _check_options(self, n: int, q: int) -> None:
        if q**n > MAX_DENSE_SIZE:
            raise InvalidParameterError(
                f"the exact engine needs q**n = {q}**{n} = {q**n:,} model queries; at most MAX_DENSE_SIZE = "
                f"{MAX_DENSE_SIZE:,} are allowed. Use method='auto', 'hybrid', 'regression' or 'qsft'."
            )
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, int | float) or not self.tolerance >= 0:
            raise InvalidParameterError(f"tolerance: expected a number >= 0, got {self.tolerance!r}")

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        return EnginePlan(enumerate_sequences(n, q), info={"seq_length": n, "q": q})

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        frequencies, coefficients = dense_transform(values, context.n, context.q, float(self.tolerance))
        return OutputFit(frequencies, coefficients, "full", {"tolerance": float(self.tolerance)})


def exact_sketches(
    model: Callable[[np.ndarray], object],
    *,
    seq_length: int,
    alphabet: Alphabet | int,
    tolerance: float = 1e-12,
    batch_size: int = DEFAULT_BATCH_SIZE,
    executor: Any = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> list[FourierSketch]:
    """The exact Fourier sketch of every output of a model, from one pass over all q^n sequences.

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (M, n) and returns M numbers, or (M, m).
    seq_length : int
        Sequence length n.
    alphabet : Alphabet or int
        The alphabet (attached to the sketches) or just its size q.
    tolerance : float, default 1e-12
        Relative round-off cut, as in :func:`exact_sketch`.
    batch_size : int
        Sequences per model call.
    executor : concurrent.futures.Executor, optional
        Runs model batches in parallel (see :func:`shap_zero.sketch.run_queries`).
    checkpoint : str or path-like, optional
        File that stores every finished batch, so an interrupted run resumes without
        re-querying.
    progress : bool
        Show a progress bar over model queries.

    Returns
    -------
    list of FourierSketch
        One per model output (length m), each with ``metadata["output"]`` set.

    Raises
    ------
    InvalidParameterError
        If q^n is above :data:`shap_zero._config.MAX_DENSE_SIZE`.
    ModelError, ModelOutputError
        If the model raises or returns NaN, infinite or wrongly shaped outputs.
    """
    engine = ExactEngine(
        tolerance=tolerance, batch_size=batch_size, executor=executor, checkpoint=checkpoint, progress=progress
    )
    return engine.fit(model, seq_length=seq_length, alphabet=alphabet).sketches_


def exact_sketch(
    model: Callable[[np.ndarray], object],
    *,
    seq_length: int,
    alphabet: Alphabet | int,
    output: int | None = None,
    tolerance: float = 1e-12,
    batch_size: int = DEFAULT_BATCH_SIZE,
    executor: Any = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> FourierSketch:
    """The exact Fourier sketch of a model, from its outputs on all q^n sequences.

    .. math:: F[k] = q^{-n} \\sum_x f(x)\\, \\omega^{-\\langle k, x \\rangle}

    computed with ``numpy.fft.fftn`` over n axes of size q. Feasible for q^n up to
    :data:`shap_zero._config.MAX_DENSE_SIZE` (n = 11 at q = 4); the model is queried
    q^n times.

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (M, n) and returns M numbers, or (M, m).
    seq_length : int
        Sequence length n.
    alphabet : Alphabet or int
        The alphabet (attached to the sketch) or just its size q.
    output : int, optional
        Which output column to sketch when the model returns several.
    tolerance : float, default 1e-12
        Coefficients with ``|F[k]| <= tolerance * rms_k |F[k]|`` are dropped as FFT
        round-off (an offset does not hide small effects); 0 keeps every nonzero
        coefficient.
    batch_size : int
        Sequences per model call.
    executor : concurrent.futures.Executor, optional
        Runs model batches in parallel (see :func:`shap_zero.sketch.run_queries`).
    checkpoint : str or path-like, optional
        File that stores every finished batch, so an interrupted run resumes without
        re-querying.
    progress : bool
        Show a progress bar over model queries.

    Returns
    -------
    FourierSketch
        With ``metadata`` holding ``method="exact"`` and ``n_queries=q**n``.

    Raises
    ------
    InvalidParameterError
        If q^n is above :data:`shap_zero._config.MAX_DENSE_SIZE`, or the model has
        several outputs and ``output`` is not given.
    ModelError, ModelOutputError
        If the model raises or returns NaN, infinite or wrongly shaped outputs.
    """
    if output is not None:
        output = check_int(output, name="output", minimum=0)
    sketches = exact_sketches(
        model, seq_length=seq_length, alphabet=alphabet, tolerance=tolerance, batch_size=batch_size,
        executor=executor, checkpoint=checkpoint, progress=progress,
    )  # fmt: skip
    if output is None:
        if len(sketches) != 1:
            raise InvalidParameterError(
                f"the model returns {len(sketches)} outputs; pass output=0..{len(sketches) - 1} to choose one"
            )
        return sketches[0]
    if output >= len(sketches):
        raise InvalidParameterError(
            f"output must be an integer in 0..{len(sketches) - 1} (the model has {len(sketches)} outputs); got {output}"
        )
    return sketches[output]

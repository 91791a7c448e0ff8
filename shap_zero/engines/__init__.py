"""Sketch engines: ways of learning a Fourier sketch from model queries, behind one protocol.

Every engine is a :class:`~shap_zero.engines.base.SketchEngine`: construct it with its
options, call ``fit(model, seq_length=..., alphabet=...)``, read ``sketches_`` and
``report_``. One campaign driver (:mod:`shap_zero.engines.base`) serves them all:
budget, query design, de-duplication, batched and resumable queries, held-out
validation and the SHAP accuracy check.

=================  ===================================================================
name               engine
=================  ===================================================================
``"exact"``        :class:`ExactEngine`: the dense transform of all q^n outputs
``"qsft"``         :class:`QSFT`: sparse spectra decoded from a structured design
``"regression"``   :class:`RegressionEngine`: every term up to a degree, ridge by CV
``"hybrid"``       :class:`HybridEngine`: low-degree regression plus a block search
``"auto"``         :class:`AutoEngine`: exact when affordable, else hybrid
=================  ===================================================================

Adding an engine: write one module with a ``SketchEngine`` subclass (``name``,
``_plan``, ``_fit_output``, ``minimum_budget``) and register it in :data:`ENGINES`.
"""

from __future__ import annotations

from typing import Any, Literal

from shap_zero.engines.auto import AutoEngine
from shap_zero.engines.base import OutputReport, SketchEngine, SketchReport
from shap_zero.engines.exact import ExactEngine, exact_sketch, exact_sketches
from shap_zero.engines.hybrid import HybridEngine
from shap_zero.engines.qsft import QSFT
from shap_zero.engines.regression import RegressionEngine
from shap_zero.exceptions import InvalidParameterError

__all__ = [
    "ENGINES",
    "EngineName",
    "make_engine",
    "SketchEngine",
    "SketchReport",
    "OutputReport",
    "ExactEngine",
    "QSFT",
    "RegressionEngine",
    "HybridEngine",
    "AutoEngine",
    "exact_sketch",
    "exact_sketches",
]

#: Engine classes by name, in the order of the documentation.
ENGINES: dict[str, type[SketchEngine]] = {
    engine.name: engine for engine in (AutoEngine, ExactEngine, QSFT, RegressionEngine, HybridEngine)
}

EngineName = Literal["auto", "exact", "qsft", "regression", "hybrid"]


def make_engine(name: str, **options: Any) -> SketchEngine:
    """An engine by name, constructed with ``options`` (checked against its signature).

    Parameters
    ----------
    name : {"auto", "exact", "qsft", "regression", "hybrid"}
        A key of :data:`ENGINES`.
    **options
        The engine's constructor options.

    Returns
    -------
    SketchEngine

    Raises
    ------
    InvalidParameterError
        For an unknown name, or an option the engine does not take (the message lists
        the ones it does).
    """
    if name not in ENGINES:
        raise InvalidParameterError(f"method: expected one of {sorted(ENGINES)}, got {name!r}")
    engine = ENGINES[name]
    unknown = sorted(set(options) - set(engine.option_names()))
    if unknown:
        raise InvalidParameterError(
            f"engine {name!r} takes no option(s) {unknown}; its options are {list(engine.option_names())}"
        )
    return engine(**options)

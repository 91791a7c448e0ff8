"""What each harness suite runs: models, methods and their settings.

A suite is plain data. Every (model, method, setting) is one *cell* of the harness,
computed once and stored, so a re-run only computes what is missing.

Settings were chosen so that the quick suite finishes in at most 10 minutes on the
project's 2-core machine (`python -m benchmarks run --suite quick` prints its run time)
and the full suite adds the slow ViennaRNA and Rule Set 3 models and larger budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MethodSpec", "ModelSpec", "SUITES", "Suite"]


@dataclass(frozen=True)
class MethodSpec:
    """One estimator at one setting.

    Attributes
    ----------
    method : str
        "shap_zero", "kernelshap", "permutation", "fastshap", "exact" or "shapiq".
    settings : dict
        Constructor settings (e.g. ``{"budget": 50_000}``, ``{"nsamples": 512, "background_size": 50}``).
    """

    method: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short, unique, file-name-safe label, e.g. ``kernelshap-nsamples512-background_size50``."""
        parts = [self.method] + [f"{key}{value}" for key, value in sorted(self.settings.items())]
        return "-".join(parts).replace("/", "_").replace(" ", "")


@dataclass(frozen=True)
class ModelSpec:
    """A model of the zoo (:mod:`benchmarks.model_zoo`) with its load options.

    Attributes
    ----------
    name : str
        Registry name in the zoo.
    options : dict
        Passed to :func:`benchmarks.model_zoo.load_model` (e.g. ``seq_length``).
    methods : tuple of MethodSpec
        The methods run on this model.
    reference : dict
        How the reference values are computed when the model has no exact spectrum:
        ``{"montecarlo": n_permutations}`` or ``{"exact": True}`` (dense transform).
    """

    name: str
    options: dict[str, Any]
    methods: tuple[MethodSpec, ...]
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """File-name-safe label of the model and its options."""
        parts = [self.name] + [f"{key}{value}" for key, value in sorted(self.options.items())]
        return "-".join(parts)


@dataclass(frozen=True)
class Suite:
    """A named list of models with shared settings.

    Attributes
    ----------
    name : str
    models : tuple of ModelSpec
    n_explain : int
        Sequences explained per model (uniform random, the same for every method).
    interaction_sequences : int
        Of those, how many are explained with interactions (shap_zero and shapiq).
    seed : int
        Seed of everything: explained sequences, designs, backgrounds, samplers.
    """

    name: str
    models: tuple[ModelSpec, ...]
    n_explain: int = 20
    interaction_sequences: int = 5
    seed: int = 0


#: KernelSHAP from cheap and rough to costly and close: its error has two parts, the
#: coalition sampling (nsamples) and the finite background (background_size), so both grow.
KERNELSHAP_GRID = ((64, 10), (256, 20), (1024, 50), (4096, 50), (2048, 200))


def _kernelshap(grid: tuple[tuple[int, int], ...] = KERNELSHAP_GRID) -> tuple[MethodSpec, ...]:
    return tuple(MethodSpec("kernelshap", {"nsamples": m, "background_size": b}) for m, b in grid)


def _shap_zero(*budgets: int) -> tuple[MethodSpec, ...]:
    return tuple(MethodSpec("shap_zero", {"budget": budget}) for budget in budgets)


_SHAPIQ = (
    MethodSpec("shapiq", {"approximator": "KernelSHAPIQ", "budget": 1024, "background_size": 20}),
    MethodSpec("shapiq", {"approximator": "SVARMIQ", "budget": 1024, "background_size": 20}),
    MethodSpec("shapiq", {"approximator": "SHAPIQ", "budget": 1024, "background_size": 20}),
)
_PERMUTATION = (MethodSpec("permutation", {"max_evals": 500, "background_size": 50}),)
_FASTSHAP = (MethodSpec("fastshap", {"max_epochs": 40}),)

QUICK = Suite(
    name="quick",
    models=(
        ModelSpec(
            "synthetic_sparse",
            {"seq_length": 20},
            _shap_zero(20_000, 60_000) + _kernelshap() + _PERMUTATION + _FASTSHAP + _SHAPIQ,
        ),
        ModelSpec("synthetic_dense", {"seq_length": 20}, _shap_zero(60_000, 300_000) + _kernelshap() + _SHAPIQ),
        ModelSpec("synthetic_dense", {"seq_length": 10}, (MethodSpec("exact", {}),) + _shap_zero(20_000, 200_000)),
        ModelSpec("jaspar_pwm", {}, _shap_zero(60_000, 250_000) + _kernelshap(), reference={"montecarlo": 20_000}),
        ModelSpec(
            "xgboost_doench2016",
            {},
            _shap_zero(30_000, 120_000, 300_000) + _kernelshap() + _FASTSHAP,
            reference={"montecarlo": 10_000},
        ),
    ),
)

FULL = Suite(
    name="full",
    models=QUICK.models
    + (
        ModelSpec(
            "vienna_mfe",
            {"seq_length": 20},
            _shap_zero(50_000, 300_000) + _kernelshap(KERNELSHAP_GRID[:3]),
            reference={"montecarlo": 2_000},
        ),
        ModelSpec(
            "rule_set3",
            {},
            _shap_zero(50_000, 300_000) + _kernelshap(KERNELSHAP_GRID[:2]),
            reference={"montecarlo": 1_000},
        ),
    ),
)

SUITES = {suite.name: suite for suite in (QUICK, FULL)}

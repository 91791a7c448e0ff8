"""What each harness suite runs: models, methods and their settings.

A suite is plain data. Every (model, method, setting) is one *cell* of the harness,
computed once and stored, so a re-run only computes what is missing.

Every model runs every sketch engine of shap_zero ("qsft", "regression", "hybrid")
over one budget grid, so the engines' cost-accuracy curves can be compared on the same
reference. Settings were chosen so that the quick suite finishes in at most 10 minutes
on the project's 2-core machine (`python -m benchmarks run --suite quick` prints its run
time): the regression and hybrid fits take 30-160 s each at 250,000 queries, so that
budget is in the full suite only, which also adds the slow ViennaRNA and Rule Set 3
models.
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


#: The sketch engines compared on every model (shap_zero.engines), and their budgets:
#: every distinct model query of the sketch, design and 1,000 held-out sequences.
ENGINES = ("qsft", "regression", "hybrid")
#: 10,000 resolves where regression and hybrid match q-SFT's best at 1/10 of its queries.
QUICK_BUDGETS = (10_000, 25_000, 50_000, 100_000)
FULL_BUDGETS = QUICK_BUDGETS + (250_000,)
#: ViennaRNA and Rule Set 3 answer 1,400-6,800 queries per second: their grid is coarser.
SLOW_MODEL_BUDGETS = (10_000, 50_000, 100_000, 250_000)
#: The default engine ("auto": exact, or the best of hybrid, q-SFT and both) at one budget
#: in the quick suite and at every budget in the full one.
QUICK_AUTO_BUDGETS = (100_000,)


def _engines(budgets: tuple[int, ...], engines: tuple[str, ...] = ENGINES) -> tuple[MethodSpec, ...]:
    """One shap_zero cell per engine and budget (the method is explicit: cells without
    one were computed with q-SFT before the engines existed)."""
    return tuple(
        MethodSpec("shap_zero", {"method": engine, "budget": budget}) for engine in engines for budget in budgets
    )


_SHAPIQ = (
    MethodSpec("shapiq", {"approximator": "KernelSHAPIQ", "budget": 1024, "background_size": 20}),
    MethodSpec("shapiq", {"approximator": "SVARMIQ", "budget": 1024, "background_size": 20}),
    MethodSpec("shapiq", {"approximator": "SHAPIQ", "budget": 1024, "background_size": 20}),
)
_PERMUTATION = (MethodSpec("permutation", {"max_evals": 500, "background_size": 50}),)
_FASTSHAP = (MethodSpec("fastshap", {"max_epochs": 40}),)

#: The hybrid engine recovers the sparse model between 10,000 and 25,000 queries; this
#: cell narrows down where.
_SPARSE_HYBRID = _engines((20_000,), ("hybrid",))
#: The sketch-engine issue's ViennaRNA target is set at 200,000 queries.
_VIENNA_TARGET = _engines((200_000,), ("hybrid", "auto"))


def _quick_models(budgets: tuple[int, ...], auto_budgets: tuple[int, ...]) -> tuple[ModelSpec, ...]:
    """The quick suite's models with engine cells at ``budgets`` and the auto engine at
    ``auto_budgets`` (the full suite adds budgets to the same models; shared cells are
    computed once)."""
    auto = _engines(auto_budgets, ("auto",))
    return (
        ModelSpec(
            "synthetic_sparse",
            {"seq_length": 20},
            _engines(budgets) + auto + _SPARSE_HYBRID + _kernelshap() + _PERMUTATION + _FASTSHAP + _SHAPIQ,
        ),
        ModelSpec("synthetic_dense", {"seq_length": 20}, _engines(budgets) + auto + _kernelshap() + _SHAPIQ),
        ModelSpec("synthetic_dense", {"seq_length": 10}, (MethodSpec("exact", {}),) + _engines(budgets) + auto),
        ModelSpec("jaspar_pwm", {}, _engines(budgets) + auto + _kernelshap(), reference={"montecarlo": 20_000}),
        ModelSpec(
            "xgboost_doench2016", {}, _engines(budgets) + auto + _kernelshap() + _FASTSHAP,
            reference={"montecarlo": 10_000},
        ),
    )


QUICK = Suite(name="quick", models=_quick_models(QUICK_BUDGETS, QUICK_AUTO_BUDGETS))

FULL = Suite(
    name="full",
    models=_quick_models(FULL_BUDGETS, FULL_BUDGETS)
    + (
        ModelSpec(
            "vienna_mfe",
            {"seq_length": 20},
            _engines(SLOW_MODEL_BUDGETS, ENGINES + ("auto",)) + _VIENNA_TARGET + _kernelshap(KERNELSHAP_GRID[:3]),
            reference={"montecarlo": 2_000},
        ),
        ModelSpec(
            "rule_set3",
            {},
            _engines(SLOW_MODEL_BUDGETS, ENGINES + ("auto",)) + _kernelshap(KERNELSHAP_GRID[:2]),
            reference={"montecarlo": 1_000},
        ),
    ),
)

#: Proteins (q = 20): the GB1 four-site landscape, whose exact transform is the
#: reference, and the GB1 fitness network trained here, explained on a 24-residue window
#: against an unbiased Monte Carlo reference. Both need their data wheels (docs/models.md).
PROTEIN_BUDGETS = (25_000, 50_000, 100_000, 250_000)
PROTEIN = Suite(
    name="protein",
    models=(
        ModelSpec("gb1_landscape", {}, _engines((10_000, 20_000, 40_000, 80_000, 150_000), ENGINES + ("auto",))
                  + _kernelshap(KERNELSHAP_GRID[:3]) + _PERMUTATION + _FASTSHAP + _SHAPIQ),
        ModelSpec("gb1_mlp", {}, _engines(PROTEIN_BUDGETS, ENGINES + ("auto",)) + _kernelshap(KERNELSHAP_GRID[:3])
                  + _PERMUTATION + _FASTSHAP, reference={"montecarlo": 4_000}),
        # Sapiens answers about 460 queries per second: one budget (about 2 minutes per engine).
        ModelSpec("sapiens_vh", {}, _engines((50_000,), ENGINES + ("auto",)) + _kernelshap(KERNELSHAP_GRID[:2]),
                  reference={"montecarlo": 500}),
    ),  # fmt: skip
)

SUITES = {suite.name: suite for suite in (QUICK, FULL, PROTEIN)}

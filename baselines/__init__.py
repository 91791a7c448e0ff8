"""Baseline SHAP estimators that shap_zero is compared with (KernelSHAP, permutation, exact, FastSHAP, shapiq).

Every baseline follows one protocol (:class:`Baseline`): ``explain(model, X, *,
seq_length, alphabet, random_state=None)`` on a model of integer codes returns a
:class:`BaselineResult` with the SHAP values, the base values and the cost (model rows
evaluated and wall time). A baseline that declares :class:`HarnessInfo` is a method
of the benchmark harness (:func:`harness_baselines` finds it). Uses only shap_zero's public API; shap_zero never imports
this package.

:class:`FastSHAP` needs PyTorch (the ``fastshap`` extra); torch is imported only when
one is created, so this package imports without it.
"""

from baselines._protocol import Baseline, BaselineResult, CountingModel, HarnessInfo, harness_baselines
from baselines.exact import ExactSHAP
from baselines.fastshap import FastSHAP
from baselines.interactions import (
    ExactInteractions,
    InteractionBaseline,
    InteractionResult,
    align,
    from_shap_zero,
)
from baselines.kernelshap import KernelSHAP
from baselines.montecarlo import MonteCarloPairInteractions, MonteCarloSHAP
from baselines.permutation import PermutationSHAP
from baselines.shapiq_estimators import ShapiqInteractions

__all__ = [
    "Baseline",
    "BaselineResult",
    "CountingModel",
    "ExactSHAP",
    "FastSHAP",
    "HarnessInfo",
    "KernelSHAP",
    "MonteCarloPairInteractions",
    "MonteCarloSHAP",
    "PermutationSHAP",
    "harness_baselines",
]

# Interaction baselines (InteractionBaseline.explain_interactions -> InteractionResult).
__all__ += [
    "ExactInteractions",
    "InteractionBaseline",
    "InteractionResult",
    "ShapiqInteractions",
    "align",
    "from_shap_zero",
]

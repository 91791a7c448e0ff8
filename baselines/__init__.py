"""Baseline SHAP estimators that shap_zero is compared with (KernelSHAP, permutation, exact).

Every baseline follows one protocol (:class:`Baseline`): ``explain(model, X, *,
seq_length, alphabet, random_state=None)`` on a model of integer codes returns a
:class:`BaselineResult` with the SHAP values, the base values and the cost (model rows
evaluated and wall time). Uses only shap_zero's public API; shap_zero never imports
this package.
"""

from baselines._protocol import Baseline, BaselineResult, CountingModel
from baselines.exact import ExactSHAP
from baselines.kernelshap import KernelSHAP
from baselines.permutation import PermutationSHAP

__all__ = ["Baseline", "BaselineResult", "CountingModel", "ExactSHAP", "KernelSHAP", "PermutationSHAP"]

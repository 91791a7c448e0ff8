"""Model queries and the q-SFT algorithm (the engines that use them are in :mod:`shap_zero.engines`).

- :mod:`shap_zero.sketch.queries`: batched, resumable model queries;
- :mod:`shap_zero.sketch.design`: the q-SFT query design (subsampling matrices, delays, budgets);
- :mod:`shap_zero.sketch.decoder`: aliased transforms and :func:`decode`, which runs
  :mod:`~shap_zero.sketch.peeler` (peeling rounds and the noise floor) with
  :mod:`~shap_zero.sketch.refit` (least squares), :mod:`~shap_zero.sketch.statistics`
  (chi-square thresholds), :mod:`~shap_zero.sketch.conjugates` (Hermitian pairs) and
  :mod:`~shap_zero.sketch.low_degree` (every frequency up to a degree).
"""

from shap_zero.sketch.decoder import DecodeResult, aliased_transforms, decode, nested_samples
from shap_zero.sketch.design import (
    SubsamplingDesign,
    choose_design,
    draw_design,
)
from shap_zero.sketch.queries import QueryResult, run_queries

__all__ = [
    "SubsamplingDesign",
    "draw_design",
    "choose_design",
    "QueryResult",
    "run_queries",
    "decode",
    "DecodeResult",
    "aliased_transforms",
    "nested_samples",
]

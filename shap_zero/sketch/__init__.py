"""Learning sparse Fourier sketches from model queries (q-SFT).

- :mod:`shap_zero.sketch.design`: the query design (subsampling matrices, delays, budgets);
- :mod:`shap_zero.sketch.queries`: batched, resumable model queries.
"""

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
]

"""Closed-form Shapley values and interaction indices of a FourierSketch.

Pure mathematics on a sketch: no model is queried here.
"""

from shap_zero.attribution.background import Background, resolve_background
from shap_zero.attribution.engine import (
    expected_value,
    interaction_values,
    mobius_coefficients,
    shap_interaction_values,
    shapley_values,
)
from shap_zero.attribution.indices import INDEX_NAMES, IndexName
from shap_zero.attribution.result import Interactions
from shap_zero.attribution.summary import SymbolTotals, symbol_totals

__all__ = [
    "Background",
    "resolve_background",
    "expected_value",
    "shapley_values",
    "shap_interaction_values",
    "mobius_coefficients",
    "interaction_values",
    "Interactions",
    "INDEX_NAMES",
    "IndexName",
    "SymbolTotals",
    "symbol_totals",
]

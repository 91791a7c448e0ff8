"""The single source of shap_zero's version number."""

__version__ = "0.1.0"

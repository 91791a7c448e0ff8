"""Benchmarks of shap_zero: speed and memory of the hot paths, and (later) the harness.

Uses only the public API of shap_zero.
"""

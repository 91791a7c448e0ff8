"""shap_zero: Shapley values and interactions of sequence models from a sparse Fourier sketch."""

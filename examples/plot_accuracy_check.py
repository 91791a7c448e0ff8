"""
How accurate are the SHAP values?
=================================

A sketch is an approximation of the model. ``check_sequences`` spends part of the budget
on an unbiased Monte Carlo estimate of the SHAP values' error, with a 95% interval. For a
model small enough to sketch exactly, the estimate can be compared with the truth.
"""

import matplotlib.pyplot as plt
import numpy as np

import shap_zero as sz

rng = np.random.default_rng(3)
weights = rng.normal(size=(10, 4))


def model(codes):
    additive = weights[np.arange(10), codes].sum(axis=1)
    return np.tanh(additive) + 0.5 * np.cos(additive) * (codes[:, 0] == codes[:, 9])


engine = sz.HybridEngine(budget=30_000, check_sequences=8, random_state=0)
engine.fit(model, seq_length=10, alphabet=sz.DNA)
accuracy = engine.report_.outputs[0].shap_accuracy
print(accuracy)

exact = sz.exact_sketch(model, seq_length=10, alphabet=sz.DNA)  # 4^10 queries: the truth
X = rng.integers(0, 4, size=(300, 10)).astype(np.uint8)
truth = sz.shapley_values(exact, X)
found = sz.shapley_values(engine.sketch_, X)
nmse = float(np.sum((found - truth) ** 2) / np.sum(truth**2))
print(f"true SHAP-value NMSE on 300 sequences: {nmse:.3g}")

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(truth.ravel(), found.ravel(), s=4, alpha=0.4)
limits = [truth.min(), truth.max()]
ax.plot(limits, limits, color="black", linewidth=0.8)
ax.set_xlabel("exact SHAP value")
ax.set_ylabel("SHAP value from the 30,000-query sketch")
ax.set_title(f"NMSE {nmse:.3f}; estimated {accuracy.nmse:.3f} ({accuracy.low:.3f}-{accuracy.high:.3f})")
plt.tight_layout()

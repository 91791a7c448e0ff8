"""
Backgrounds: uniform, a reference, a set of sequences
=====================================================

The same sketch answers every background without new model queries. A SHAP value asks
"compared with what?": the uniform distribution, one reference (a wild type), or a set
of sequences (as shap's maskers take background data).
"""

import matplotlib.pyplot as plt
import numpy as np

import shap_zero as sz

rng = np.random.default_rng(2)
weights = rng.normal(size=(8, 4))


def model(codes):
    return weights[np.arange(8), codes].sum(axis=1) + 1.5 * (codes[:, 0] == codes[:, 7])


sketch = sz.exact_sketch(model, seq_length=8, alphabet=sz.DNA)
sequence = "ACGTTGCA"
data = rng.integers(0, 4, size=(100, 8))
backgrounds = {
    "uniform": "uniform",
    "reference AAAAAAAA": "AAAAAAAA",
    "100 sequences": data,
}
fig, ax = plt.subplots(figsize=(7, 3.5))
for offset, (label, background) in enumerate(backgrounds.items()):
    values = sz.shapley_values(sketch, sequence, background=background)[0]
    ax.bar(np.arange(8) + 0.27 * (offset - 1), values, width=0.27, label=label)
    total = values.sum() + sz.expected_value(sketch, background)
    print(f"{label:>20}: sum of SHAP values + base value = {total:.4f}")
print("model output:", float(model(sz.DNA.encode([sequence]))[0]))
ax.set_xticks(np.arange(8))
ax.set_xticklabels([f"{i + 1}\n{letter}" for i, letter in enumerate(sequence)])
ax.set_ylabel("SHAP value")
ax.legend(frameon=False)
plt.tight_layout()

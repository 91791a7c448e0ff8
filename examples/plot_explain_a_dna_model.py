"""
Explain a DNA model
===================

Sketch a small nonlinear model of DNA sequences once, then explain many sequences with
shap's plots and shap_zero's letter-coloured plots. No extra is needed beyond the
``plot`` extra.
"""

import matplotlib.pyplot as plt
import numpy as np
import shap

import shap_zero as sz

rng = np.random.default_rng(0)
weights = rng.normal(size=(12, 4))


def model(codes):
    """Additive effects, squashed, plus one pairwise interaction (codes: A=0, C=1, G=2, T=3)."""
    additive = weights[np.arange(12), codes].sum(axis=1)
    return np.tanh(additive / 2) + 0.8 * ((codes[:, 3] == 2) & (codes[:, 7] == 1))


explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=12, budget=40_000, random_state=0)
X = rng.integers(0, 4, size=(500, 12)).astype(np.uint8)
explanation = explainer(X)
print(explainer.report_.outputs[0])

# %%
# One sequence, as a waterfall (shap's plot on our Explanation):
shap.plots.waterfall(explanation[0], max_display=10, show=False)
plt.tight_layout()

# %%
# Every sequence: SHAP values by position, coloured by the letter there.
sz.plots.beeswarm(explanation, max_display=8, title="SHAP values by position and letter")
plt.tight_layout()

# %%
# The SHAP value of position 4 against its letter, coloured by the letter at the
# position that best explains it (here position 8, its interaction partner):
ax = sz.plots.scatter(explanation, 3)
print("coloured by position", ax.colour_position + 1)
plt.tight_layout()

# %%
# A logo of the mean SHAP value of each letter at each position:
sz.plots.sequence_logo(explanation, title="Mean SHAP value of each letter")
plt.tight_layout()

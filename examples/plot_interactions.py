"""
Pairwise interactions
=====================

Interaction indices (SII, FSII, STII, k-SII) of every sequence follow from the same
sketch. Here a model with two interacting pairs: the heatmap and the top table find them.
"""

import matplotlib.pyplot as plt
import numpy as np

import shap_zero as sz


def model(codes):
    return (0.3 * codes[:, 0] + 1.0 * (codes[:, 2] == codes[:, 5]) - 0.7 * ((codes[:, 1] == 0) & (codes[:, 8] == 3))
            + 0.2 * codes[:, 9])


explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=10, random_state=0)  # 4^10: exact
X = np.random.default_rng(1).integers(0, 4, size=(400, 10)).astype(np.uint8)
pairs = explainer.interactions(X, index="FSII", order=2)
print(pairs.top(5))

# %%
# Mean absolute FSII of every pair of positions:
sz.plots.interaction_heatmap(pairs, absolute=True, title="Mean |FSII| of each pair of positions")
plt.tight_layout()

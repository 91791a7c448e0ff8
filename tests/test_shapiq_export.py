"""InteractionExplanation.to_shapiq against shapiq's own ExactComputer on the same game."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import shap_zero as sz
from shap_zero.exceptions import InvalidParameterError
from shap_zero.oracle import uniform_background, value_function

shapiq = pytest.importorskip("shapiq", reason="shapiq (test extra) is the reference for its own objects")

N, Q = 5, 3


def _lookup_model(rng: np.random.Generator):
    table = rng.normal(size=Q**N) + 2.5  # a nonzero mean, so the baseline value is tested

    def model(codes: np.ndarray) -> np.ndarray:
        return table[np.ravel_multi_index(tuple(np.asarray(codes, dtype=np.int64).T), (Q,) * N)]

    return model


def _exact_computer(model, x: np.ndarray):
    weights, probs = uniform_background(N, Q)
    v = value_function(model, x, weights, probs, Q)  # v[mask] for every coalition bitmask
    bits = 2 ** np.arange(N, dtype=np.int64)
    return shapiq.ExactComputer(lambda coalitions: v[coalitions.astype(np.int64) @ bits], N)


@pytest.mark.parametrize(("index", "order"), [("k-SII", 2), ("SII", 2), ("STII", 2), ("FSII", 2), ("Moebius", 3), ("SV", 1)])
def test_to_shapiq_matches_shapiqs_exact_computer(index, order, seed):
    rng = np.random.default_rng([seed, 41])
    model = _lookup_model(rng)
    explainer = sz.ZeroExplainer(model, alphabet=Q, seq_length=N, method="exact")
    X = rng.integers(0, Q, size=(2, N)).astype(np.uint8)
    explanation = explainer.interactions(X, index=index, order=order)
    for row in range(2):
        mine = explanation.to_shapiq(row)
        theirs = _exact_computer(model, X[row])(index=index, order=order)
        assert isinstance(mine, shapiq.InteractionValues)
        assert (mine.index, mine.max_order, mine.n_players, mine.estimated) == (index, order, N, False)
        assert mine.baseline_value == pytest.approx(theirs.baseline_value, abs=1e-9)
        subsets = [s for size in range(1, order + 1) for s in itertools.combinations(range(N), size)]
        np.testing.assert_allclose([mine[s] for s in subsets], [theirs[s] for s in subsets], atol=1e-8)
        if index != "SII":  # shapiq puts v(empty) there for every other index
            assert mine[()] == pytest.approx(theirs[()], abs=1e-9) and mine.min_order == 0
        else:
            assert mine.min_order == 1
    every = explanation.to_shapiq(None)
    assert len(every) == 2 and every[1][(0,)] == explanation.to_shapiq(1)[(0,)]


def test_shapiqs_plots_draw_an_exported_explanation(seed):
    plt = pytest.importorskip("matplotlib.pyplot", reason="shapiq's plots need matplotlib")
    sketch = sz.random_sparse_sketch(6, 4, 10, max_degree=2, alphabet=sz.DNA, random_state=seed)
    explanation = sz.ZeroExplainer(sketch).interactions(["ACGTAC", "GGCCAT"], index="k-SII", order=2)
    values = explanation.to_shapiq(0)
    names = list(explanation.feature_names)
    for plot in ("plot_force", "plot_waterfall", "plot_upset", "plot_network", "plot_stacked_bar"):
        plt.close("all")  # shapiq 1.4.1's waterfall fails on a figure a force plot left open
        drawn = getattr(values, plot)(feature_names=names, show=False)
        figure = drawn[0] if isinstance(drawn, tuple) else drawn
        assert figure.axes, plot
    plt.close("all")


def test_to_shapiq_row_is_checked():
    sketch = sz.random_sparse_sketch(4, 4, 5, alphabet=sz.DNA, random_state=0)
    explanation = sz.ZeroExplainer(sketch).interactions(["ACGT"], index="k-SII", order=2)
    with pytest.raises(InvalidParameterError, match="row"):
        explanation.to_shapiq(1)

"""shap_zero.plots, and shap's own plots on shap_zero's explanations.

The explanations are built by hand following the contract of ZeroExplainer: values
(N, n) float64, base_values (N,), data uint8 codes (N, n), display_data letters (N, n),
feature_names pos1..posn; and the "flattened interactions" form with one column per
subset ("pos3", "pos3 x pos7").
"""

from __future__ import annotations

import numpy as np
import pytest

PLOT_EXTRA = 'needs the plot extra: pip install "shap-zero[plot]"'
matplotlib = pytest.importorskip("matplotlib", reason=f"shap_zero.plots {PLOT_EXTRA}")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import shap  # noqa: E402

import shap_zero as sz  # noqa: E402
from shap_zero import plots  # noqa: E402
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError  # noqa: E402

N_POS = 10
N_SEQ = 60
MIN_PNG_BYTES = 5_000


def _needs_logomaker() -> None:
    # Only the logo needs logomaker; the other tests run with matplotlib alone.
    pytest.importorskip("logomaker", reason=f"sequence_logo {PLOT_EXTRA}")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sketch():
    return sz.random_sparse_sketch(N_POS, 4, 25, max_degree=3, alphabet=sz.DNA, random_state=7)


@pytest.fixture(scope="module")
def codes():
    return np.random.default_rng(11).integers(0, 4, size=(N_SEQ, N_POS)).astype(np.uint8)


def _explanation(sketch, codes):
    return sz.ZeroExplainer(sketch)(codes)


@pytest.fixture(scope="module")
def explanation(sketch, codes):
    return _explanation(sketch, codes)


@pytest.fixture(scope="module")
def flat_interactions(sketch, codes):
    """FSII of order 2 as a flattened Explanation: one column per subset."""
    return sz.ZeroExplainer(sketch).interactions(codes, index="FSII", order=2).to_explanation()


def _save(ax, path) -> int:
    ax.figure.savefig(path, dpi=60, bbox_inches="tight")
    return path.stat().st_size


# --------------------------------------------------------------------- shap's plots


def test_flat_interactions_fixture_follows_the_contract(flat_interactions, sketch, codes):
    names = flat_interactions.feature_names
    assert "pos3" in names and any(" x " in name for name in names)
    pair = next(u for u, name in enumerate(names) if " x " in name)
    i, j = (int(p.removeprefix("pos")) - 1 for p in names[pair].split(" x "))
    assert (flat_interactions.data[:, pair] == 4 * codes[:, i] + codes[:, j]).all()
    expected = np.char.add(np.array(list("ACGT"))[codes[:, i]], np.array(list("ACGT"))[codes[:, j]])
    assert (flat_interactions.display_data[:, pair] == expected).all()
    # FSII of order 2 is efficient: its values add up to f(x) - E f.
    total = flat_interactions.values.sum(axis=1) + flat_interactions.base_values
    assert np.allclose(total, sketch.predict(codes))


@pytest.mark.parametrize("which", ["explanation", "flat_interactions"])
@pytest.mark.parametrize("kind", ["waterfall", "beeswarm", "bar", "heatmap", "scatter"])
def test_shap_plots_accept_our_explanations(request, tmp_path, which, kind):
    expl = request.getfixturevalue(which)
    if kind == "waterfall":
        ax = shap.plots.waterfall(expl[0], show=False)
    elif kind == "scatter":
        ax = shap.plots.scatter(expl[:, 2], show=False)  # a single-position column
    else:
        ax = getattr(shap.plots, kind)(expl, show=False)
    assert ax is not None
    assert _save(ax, tmp_path / f"{kind}.png") > MIN_PNG_BYTES


def test_shap_waterfall_labels_show_our_letters(explanation, flat_interactions):
    ax = shap.plots.waterfall(explanation[0], show=False, max_display=N_POS + 1)
    labels = {t.get_text() for t in ax.get_yticklabels()}
    letters = explanation.display_data[0]
    assert {f"{letters[i]} = pos{i + 1}" for i in range(N_POS)} <= labels
    plt.close("all")
    n_cols = len(flat_interactions.feature_names)
    ax = shap.plots.waterfall(flat_interactions[0], show=False, max_display=n_cols)
    labels = {t.get_text() for t in ax.get_yticklabels()}
    pair = next(u for u, name in enumerate(flat_interactions.feature_names) if " x " in name)
    assert f"{flat_interactions.display_data[0, pair]} = {flat_interactions.feature_names[pair]}" in labels


def test_shap_scatter_of_a_pair_column_draws_something(flat_interactions):
    # shap's scatter puts one x tick per display string at its data value
    # (shap/plots/_scatter.py), so pair columns need numeric data: the pair's code.
    pair = next(u for u, name in enumerate(flat_interactions.feature_names) if " x " in name)
    ax = shap.plots.scatter(flat_interactions[:, pair], show=False)
    assert np.isfinite(ax.get_xlim()).all()


# ------------------------------------------------------------------ attribution logo


def _slow_attribution_matrix(values, codes, q):
    n_seq, n = values.shape
    sums = np.zeros((n, q))
    counts = np.zeros((n, q), dtype=np.int64)
    for r in range(n_seq):
        for i in range(n):
            sums[i, codes[r, i]] += values[r, i]
            counts[i, codes[r, i]] += 1
    mean = np.zeros((n, q))
    for i in range(n):
        for a in range(q):
            if counts[i, a]:
                mean[i, a] = sums[i, a] / counts[i, a]
    return mean, counts


@pytest.mark.parametrize("q", [4, 20])
def test_attribution_matrix_matches_a_double_loop(rng, q):
    n_seq, n = 37, 9
    codes = rng.integers(0, q, size=(n_seq, n))
    codes[:, 4] = rng.integers(0, 2, size=n_seq)  # symbols 2.. never occur at position 4
    values = rng.normal(size=(n_seq, n))
    mean, counts = plots.attribution_matrix(values, codes, q)
    slow_mean, slow_counts = _slow_attribution_matrix(values, codes, q)
    assert mean.shape == counts.shape == (n, q)
    np.testing.assert_array_equal(counts, slow_counts)
    np.testing.assert_allclose(mean, slow_mean, rtol=1e-12, atol=1e-12)
    assert (mean[4, 2:] == 0).all() and (counts[4, 2:] == 0).all()
    assert counts.sum(axis=1).tolist() == [n_seq] * n


def test_attribution_matrix_rejects_bad_inputs():
    with pytest.raises(InvalidParameterError, match="codes: expected the shape of values"):
        plots.attribution_matrix(np.zeros((3, 4)), np.zeros((3, 5), dtype=int), 4)
    with pytest.raises(InvalidSequenceError, match=r"codes\[0\] has code 4 at position 2 .* range 0\.\.3"):
        plots.attribution_matrix(np.zeros((1, 2)), [[0, 4]], 4)
    with pytest.raises(InvalidParameterError, match="codes: expected integer symbol codes, got an array of dtype float64 with non-integral"):
        plots.attribution_matrix(np.zeros((1, 2)), [[0.5, 1.0]], 4)
    with pytest.raises(InvalidParameterError, match="q: expected an integer between 2 and 255, got 0"):
        plots.attribution_matrix(np.zeros((1, 2)), [[0, 1]], 0)


def test_logo_matrix_of_one_row_has_the_shap_value_on_the_present_letter(explanation):
    values, codes = np.asarray(explanation.values), np.asarray(explanation.data)
    for row in (0, 5):
        frame = plots._logo_matrix(values, codes.astype(np.intp), list("ACGT"), row)
        assert list(frame.columns) == list("ACGT") and list(frame.index) == list(range(1, N_POS + 1))
        heights = frame.to_numpy()
        assert ((heights != 0).sum(axis=1) <= 1).all()
        np.testing.assert_array_equal(heights.sum(axis=1), values[row])
        present = heights[np.arange(N_POS), codes[row]]
        np.testing.assert_array_equal(present, values[row])
        nonzero = values[row] != 0
        assert nonzero.sum() >= N_POS // 2  # the check above is not vacuous
        letters = frame.columns.to_numpy()[np.abs(heights).argmax(axis=1)]
        assert (letters[nonzero] == explanation.display_data[row][nonzero]).all()


def test_logo_matrix_of_the_data_set_is_the_attribution_matrix(explanation):
    values, codes = np.asarray(explanation.values), np.asarray(explanation.data).astype(np.intp)
    frame = plots._logo_matrix(values, codes, list("ACGT"), None)
    np.testing.assert_array_equal(frame.to_numpy(), plots.attribution_matrix(values, codes, 4)[0])


def test_letters_come_from_the_alphabet_or_from_display_data(explanation):
    shuffled = sz.Alphabet("TGCA")
    # With an alphabet, data codes are read in its order.
    codes, symbols = plots._codes_and_symbols(explanation.data, None, shuffled, "explanation")
    assert symbols == list("TGCA") and (codes == explanation.data).all()
    # Without one, the code -> letter map comes from data and display_data together.
    codes, symbols = plots._codes_and_symbols(explanation.data, explanation.display_data, None, "explanation")
    assert symbols == list("ACGT") and (codes == explanation.data).all()
    # Only letters: the alphabet encodes them.
    codes, symbols = plots._codes_and_symbols(None, explanation.display_data, shuffled, "explanation")
    assert symbols == list("TGCA") and (np.array(symbols)[codes] == explanation.display_data).all()
    # A code that never occurs gets no letter (and no column in the logo).
    rare = np.where(explanation.data == 1, 0, explanation.data)
    shown = np.array(list("ACGT"))[rare]
    codes, symbols = plots._codes_and_symbols(rare, shown, None, "explanation")
    assert symbols == ["A", "", "G", "T"]
    frame = plots._logo_matrix(np.asarray(explanation.values), codes, symbols, None)
    assert list(frame.columns) == ["A", "G", "T"]


def test_sequence_logo_writes_png_for_both_views(explanation, tmp_path):
    _needs_logomaker()
    ax = plots.sequence_logo(explanation, title="data set")
    assert ax.get_xlabel() == "position" and ax.get_title() == "data set"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(1, N_POS + 1)]
    assert _save(ax, tmp_path / "logo_mean.png") > MIN_PNG_BYTES
    fig, given = plt.subplots()
    ax = plots.sequence_logo(explanation, row=3, ax=given, alphabet=sz.DNA)
    assert ax is given
    assert _save(ax, tmp_path / "logo_row.png") > MIN_PNG_BYTES


def test_sequence_logo_of_a_protein_model(tmp_path):
    _needs_logomaker()
    n = 6
    sketch = sz.random_sparse_sketch(n, 20, 12, alphabet=sz.PROTEIN, random_state=3)
    codes = np.random.default_rng(2).integers(0, 20, size=(40, n)).astype(np.uint8)
    expl = _explanation(sketch, codes)
    ax = plots.sequence_logo(expl)
    assert _save(ax, tmp_path / "protein.png") > MIN_PNG_BYTES
    ax = plots.sequence_logo(expl, row=0, alphabet=sz.PROTEIN)
    assert _save(ax, tmp_path / "protein_row.png") > MIN_PNG_BYTES


def test_sequence_logo_rejects_bad_inputs(explanation, flat_interactions):
    multi = shap.Explanation(
        values=np.stack([explanation.values, -explanation.values], axis=-1),
        base_values=np.zeros((N_SEQ, 2)),
        data=explanation.data,
        display_data=explanation.display_data,
    )
    with pytest.raises(InvalidParameterError, match=r"explanation: .*multi-output.*explanation\[\.\.\., 0\]"):
        plots.sequence_logo(multi)
    with pytest.raises(InvalidParameterError, match=r"row: expected None or an int in 0\.\.59"):
        plots.sequence_logo(explanation, row=N_SEQ)
    with pytest.raises(InvalidParameterError, match="row: expected None or an int"):
        plots.sequence_logo(explanation, row=1.5)
    with pytest.raises(InvalidParameterError, match="explanation: expected a shap.Explanation"):
        plots.sequence_logo(np.asarray(explanation.values))
    no_letters = shap.Explanation(values=explanation.values, data=explanation.data)
    with pytest.raises(InvalidParameterError, match="alphabet: .*no display_data"):
        plots.sequence_logo(no_letters)
    with pytest.raises(InvalidParameterError, match="display_data: expected one letter per position"):
        plots.sequence_logo(flat_interactions)
    two_letters = explanation.display_data.astype("<U2")
    two_letters[3, 5] = "AG"
    with pytest.raises(
        InvalidParameterError,
        match=r"got 'AG' in explanation\.display_data\[3\] at position 6 \(positions count from 1\)",
    ):
        plots.sequence_logo(shap.Explanation(values=explanation.values, display_data=two_letters))
    with pytest.raises(InvalidSequenceError, match=r"explanation.data\[0\] has code 3 at position 3 .* range 0\.\.1"):
        plots.sequence_logo(explanation, alphabet=sz.Alphabet("AC"))
    wrong = explanation.display_data.copy()
    wrong[4, 2] = "T" if wrong[4, 2] != "T" else "A"
    clash = shap.Explanation(values=explanation.values, data=explanation.data, display_data=wrong)
    with pytest.raises(InvalidParameterError, match=r"disagree.*in explanation\.data\[4\] at position 3; positions count from 1"):
        plots.sequence_logo(clash)


# ---------------------------------------------------------------- interaction heatmap


def test_interaction_matrix_of_sii_is_twice_shaps_off_diagonal(sketch, codes):
    sii = sz.interaction_values(sketch, codes, index="SII", order=2)
    tree = sz.shap_interaction_values(sketch, codes)
    off = ~np.eye(N_POS, dtype=bool)
    for row in (0, 7):
        matrix, _ = plots._interaction_matrix(sii, row, False)
        assert np.isnan(np.diag(matrix)).all()
        np.testing.assert_allclose(matrix[off], 2 * tree[row][off], atol=1e-10)
    matrix, label = plots._interaction_matrix(sii, None, False)
    np.testing.assert_allclose(matrix[off], 2 * tree.mean(axis=0)[off], atol=1e-10)
    assert label == "mean SII interaction"
    matrix, label = plots._interaction_matrix(sii, None, True)
    np.testing.assert_allclose(matrix[off], 2 * np.abs(tree).mean(axis=0)[off], atol=1e-10)
    assert label == "mean |SII interaction|"
    assert np.abs(matrix[off]).max() > 0  # some pair interacts


def test_interaction_matrix_of_arrays(rng):
    stack = rng.normal(size=(5, 4, 4))
    off = ~np.eye(4, dtype=bool)
    matrix, _ = plots._interaction_matrix(stack, 2, False)
    np.testing.assert_array_equal(matrix[off], stack[2][off])
    assert np.isnan(np.diag(matrix)).all()
    matrix, _ = plots._interaction_matrix(stack, None, False)
    np.testing.assert_allclose(matrix[off], stack.mean(axis=0)[off])
    matrix, _ = plots._interaction_matrix(stack, None, True)
    np.testing.assert_allclose(matrix[off], np.abs(stack).mean(axis=0)[off])
    matrix, _ = plots._interaction_matrix(stack[1], None, False)  # one (n, n) matrix
    np.testing.assert_array_equal(matrix[off], stack[1][off])


def test_interaction_heatmap_writes_png(sketch, codes, tmp_path):
    tree = sz.shap_interaction_values(sketch, codes)
    ax = plots.interaction_heatmap(tree, title="mean")
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"pos{i + 1}" for i in range(N_POS)]
    assert _save(ax, tmp_path / "tree.png") > MIN_PNG_BYTES
    sii = sz.interaction_values(sketch, codes, index="SII", order=2)
    names = [f"p{i}" for i in range(N_POS)]
    ax = plots.interaction_heatmap(sii, row=1, feature_names=names, absolute=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    image = ax.get_images()[0]
    assert image.get_clim()[0] == 0.0
    assert _save(ax, tmp_path / "sii.png") > MIN_PNG_BYTES


def test_interaction_heatmap_color_scale_is_symmetric_and_long_labels_are_thinned(rng):
    stack = rng.normal(size=(3, 64, 64))
    ax = plots.interaction_heatmap(stack)
    low, high = ax.get_images()[0].get_clim()
    assert high > 0 and low == -high
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 8 <= len(labels) <= 30 and labels[:2] == ["pos1", "pos4"]


def test_interaction_heatmap_rejects_bad_inputs(sketch, codes):
    tree = sz.shap_interaction_values(sketch, codes[:3])
    with pytest.raises(InvalidParameterError, match=r"interactions: expected an array of shape \(n, n\)"):
        plots.interaction_heatmap(tree[0, 0])
    with pytest.raises(InvalidParameterError, match=r"interactions: .*square"):
        plots.interaction_heatmap(np.zeros((3, 4, 5)))
    with pytest.raises(InvalidParameterError, match=r"row: expected None or an int in 0\.\.2"):
        plots.interaction_heatmap(tree, row=3)
    with pytest.raises(InvalidParameterError, match=r"feature_names: expected 10 names"):
        plots.interaction_heatmap(tree, feature_names=["a", "b"])
    first_order = sz.interaction_values(sketch, codes[:3], index="SV", order=1)
    with pytest.raises(InvalidParameterError, match=r"interactions: expected pairwise interactions"):
        plots.interaction_heatmap(first_order)
    with pytest.raises(InvalidParameterError, match="absolute: expected a bool"):
        plots.interaction_heatmap(tree, absolute="yes")


def test_missing_plot_extra_names_it(monkeypatch, explanation):
    import sys

    monkeypatch.setitem(sys.modules, "logomaker", None)  # "import logomaker" now raises ImportError
    with pytest.raises(ImportError, match=r'sequence_logo needs logomaker.*pip install "shap-zero\[plot\]"'):
        plots.sequence_logo(explanation)


def test_interaction_heatmap_takes_an_explainers_interactions(sketch, codes):
    names = [f"p{i}" for i in range(N_POS)]
    result = sz.ZeroExplainer(sketch, feature_names=names).interactions(codes, index="SII", order=2)
    ax = plots.interaction_heatmap(result, row=1)
    drawn = ax.images[0].get_array()
    expected, _ = plots._interaction_matrix(result.result, 1, False)
    assert np.allclose(np.ma.filled(drawn, np.nan), expected, equal_nan=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == names

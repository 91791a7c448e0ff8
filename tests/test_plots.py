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
#: The logo colour schemes sequence_logo picks (logomaker's "classic" and "chemistry").
CLASSIC = {"A": (0, 0.5, 0), "C": (0, 0, 1), "G": (1, 0.65, 0), "T": (1, 0, 0)}
CHEMISTRY = {
    **dict.fromkeys("GSTYC", (0, 0.5, 0)), **dict.fromkeys("QN", (0.5, 0, 0.5)),
    **dict.fromkeys("KRH", (0, 0, 1)), **dict.fromkeys("DE", (1, 0, 0)), **dict.fromkeys("AVLIPWFM", (0, 0, 0)),
}  # fmt: skip


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


def _render(ax) -> None:
    """Draw the whole figure, as saving it would: errors at draw time surface here."""
    ax.figure.canvas.draw()


def _number(text: str) -> float:
    """A number as shap prints it (unicode minus, maybe inside "$ = ...$")."""
    return float(text.replace("\u2212", "-").replace("$", "").replace("=", "").strip())


def _data_extent(artist, ax) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of a drawn patch in data coordinates."""
    box = artist.get_extents().transformed(ax.transData.inverted())
    return box.x0, box.x1, box.y0, box.y1


def _rows(ax) -> dict[int, str]:
    """Row (integer y) -> its tick label; shap adds a second, shifted copy of the ticks."""
    return {
        int(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels()) if float(y) == round(float(y))
    }


def _check_shown_rows(labels, importance, names, columns_of, max_display=10):
    """shap shows the ``max_display`` most important columns, or the top ``max_display - 1``
    and one row for the others. ``labels`` from top to bottom; returns the columns shown
    and the label of the others' row (None without one). Ties in importance may be cut
    either way, so the importances are compared, not the column indices."""
    n_cols = len(names)
    has_rest = n_cols > max_display
    kept = [columns_of(label) for label in (labels[:-1] if has_rest else labels)]
    expected = np.sort(importance)[::-1][: len(kept)]
    np.testing.assert_allclose(importance[kept], expected, rtol=1e-12)  # the most important, in order
    assert len(set(kept)) == len(kept) == (max_display - 1 if has_rest else n_cols)
    rest = [j for j in range(n_cols) if j not in kept]
    return kept, rest, (labels[-1] if has_rest else None)


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
def test_shap_waterfall_draws_our_values(request, which, sketch, codes):
    expl = request.getfixturevalue(which)
    values, names = np.asarray(expl.values)[0], list(expl.feature_names)
    shap.plots.waterfall(expl[0], show=False)
    figure = plt.gcf()
    _render(figure.axes[0])
    main = figure.axes[0]
    rows = _rows(main)
    labels = [rows[y] for y in sorted(rows, reverse=True)]  # top (largest |value|) first

    def column(label):
        letters, name = label.split(" = ")
        j = names.index(name)
        assert letters == str(expl.display_data[0, j])
        return j

    kept, rest, other = _check_shown_rows(labels, np.abs(values), names, column)
    signed = {y: values[column(label)] for y, label in rows.items() if label != other}
    if other is not None:
        assert other == f"{len(rest)} other features"
        signed[min(rows)] = values[rest].sum()
    # Each row's printed value is the SHAP value; its arrow has the colour of its sign and,
    # unless it is too short to hold its head, its length.
    printed = {int(round(t.get_position()[1])): _number(t.get_text()) for t in main.texts}
    assert sorted(printed) == sorted(signed)
    for y, value in signed.items():
        assert abs(printed[y] - value) <= 0.005 + 1e-9, (y, printed[y], value)
    arrows = [p for p in main.patches if isinstance(p, matplotlib.patches.FancyArrow)]
    assert len(arrows) == len(signed)
    scale = np.ptp(main.get_xlim())
    for arrow in arrows:
        x0, x1, y0, y1 = _data_extent(arrow, main)
        value = signed[int(round((y0 + y1) / 2))]
        colour = shap.plots.colors.red_rgb if value > 0 else shap.plots.colors.blue_rgb
        np.testing.assert_allclose(matplotlib.colors.to_rgb(arrow.get_facecolor()), colour, atol=1e-6)
        if abs(value) > 0.05 * scale:
            assert x1 - x0 == pytest.approx(abs(value), rel=1e-6)
    # The axis ends: the base value and f(x) = the sketch's prediction.
    ends = [t.get_text() for a in figure.axes[1:] for t in a.get_xticklabels()]
    assert ends[0] == "\n$E[f(X)]$" and ends[2] == "$f(x)$"
    assert _number(ends[1]) == pytest.approx(expl.base_values[0], abs=5e-4)
    assert _number(ends[3]) == pytest.approx(sketch.predict(codes[:1])[0], abs=5e-4)


def _other_row(values, rest):
    return values[:, rest].sum(axis=1)


@pytest.mark.parametrize("which", ["explanation", "flat_interactions"])
def test_shap_beeswarm_draws_every_value_on_its_row(request, which):
    expl = request.getfixturevalue(which)
    values, names = np.asarray(expl.values), list(expl.feature_names)
    ax = shap.plots.beeswarm(expl, show=False)
    _render(ax)
    rows = _rows(ax)
    labels = [rows[y] for y in sorted(rows, reverse=True)]
    kept, rest, other = _check_shown_rows(labels, np.abs(values).mean(axis=0), names, names.index)
    if other is not None:
        assert other == f"Sum of {len(rest)} other features"
    points = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert points.shape == (N_SEQ * len(rows), 2)
    for y, label in rows.items():
        drawn = np.sort(points[np.round(points[:, 1]) == y, 0])
        expected = _other_row(values, rest) if label == other else values[:, names.index(label)]
        np.testing.assert_allclose(drawn, np.sort(expected), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ["explanation", "flat_interactions"])
def test_shap_bar_lengths_are_mean_absolute_values(request, which):
    expl = request.getfixturevalue(which)
    values, names = np.asarray(expl.values), list(expl.feature_names)
    importance = np.abs(values).mean(axis=0)
    ax = shap.plots.bar(expl, show=False)
    _render(ax)
    rows = _rows(ax)
    labels = [rows[y] for y in sorted(rows, reverse=True)]
    kept, rest, other = _check_shown_rows(labels, importance, names, names.index)
    bars = {int(round(p.get_y() + p.get_height() / 2)): p.get_width() for p in ax.patches}
    assert sorted(bars) == sorted(rows)
    for y, label in rows.items():
        expected = importance[rest].sum() if label == other else importance[names.index(label)]
        assert bars[y] == pytest.approx(expected, rel=1e-12)
    assert ax.get_xlabel() == "mean(|SHAP value|)"


@pytest.mark.parametrize("which", ["explanation", "flat_interactions"])
def test_shap_heatmap_image_is_our_values(request, which):
    expl = request.getfixturevalue(which)
    values, names = np.asarray(expl.values), list(expl.feature_names)
    ax = shap.plots.heatmap(expl, show=False)
    _render(ax)
    rows = {y: label for y, label in _rows(ax).items() if label != "$f(x)$"}
    labels = [rows[y] for y in sorted(rows)]  # image row 0 at the top
    kept, rest, other = _check_shown_rows(labels, np.abs(values).mean(axis=0), names, names.index)
    image = np.asarray(ax.images[0].get_array())
    expected = np.stack(
        [_other_row(values, rest) if label == other else values[:, names.index(label)] for label in labels]
    )
    assert image.shape == (len(labels), N_SEQ)
    # The instances are reordered (clustered): the same columns, in some order.
    by_column = np.lexsort(image[::-1]), np.lexsort(expected[::-1])
    np.testing.assert_allclose(image[:, by_column[0]], expected[:, by_column[1]], rtol=1e-12, atol=1e-12)


def _check_scatter(ax, codes_drawn, values_drawn, letters):
    """shap's scatter: one point per sequence at (its code, jittered, its value); x ticks name the codes."""
    points = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert points.shape == (N_SEQ, 2)
    assert np.abs(points[:, 0] - np.round(points[:, 0])).max() < 0.5
    drawn = sorted(zip(np.round(points[:, 0]).astype(int).tolist(), points[:, 1].round(9).tolist()))
    assert drawn == sorted(zip(codes_drawn.astype(int).tolist(), values_drawn.round(9).tolist()))
    ticks = {int(x): t.get_text() for x, t in zip(ax.get_xticks(), ax.get_xticklabels())}
    assert ticks == dict(zip(codes_drawn.astype(int).tolist(), letters.tolist()))


@pytest.mark.parametrize("which", ["explanation", "flat_interactions"])
def test_shap_scatter_of_a_position_draws_its_values_at_its_letters(request, which):
    expl = request.getfixturevalue(which)
    assert expl.feature_names[2] == "pos3"
    ax = shap.plots.scatter(expl[:, 2], show=False)
    _render(ax)
    _check_scatter(ax, np.asarray(expl.data)[:, 2], np.asarray(expl.values)[:, 2], np.asarray(expl.display_data)[:, 2])
    assert ax.get_ylabel() == "SHAP value for\npos3"


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


def test_shap_scatter_of_a_pair_column_draws_its_values_at_the_pairs_letters(flat_interactions, codes):
    # shap's scatter puts one x tick per display string at its data value
    # (shap/plots/_scatter.py), so pair columns need numeric data: the pair's code.
    pair = next(u for u, name in enumerate(flat_interactions.feature_names) if " x " in name)
    i, j = (int(p.removeprefix("pos")) - 1 for p in flat_interactions.feature_names[pair].split(" x "))
    ax = shap.plots.scatter(flat_interactions[:, pair], show=False)
    _render(ax)
    letters = np.char.add(np.array(list("ACGT"))[codes[:, i]], np.array(list("ACGT"))[codes[:, j]])
    _check_scatter(ax, 4 * codes[:, i] + codes[:, j], np.asarray(flat_interactions.values)[:, pair], letters)


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


def _glyphs(ax):
    """Each drawn letter as (position, colour, signed height): a glyph fills its box from
    the stack below it, upwards for a positive height and downwards for a negative one."""
    out = []
    for patch in ax.patches:
        x0, x1, y0, y1 = _data_extent(patch, ax)
        height = y1 - y0 if y0 >= -1e-12 else -(y1 - y0)
        out.append((int(round((x0 + x1) / 2)), matplotlib.colors.to_rgb(patch.get_facecolor()), height))
    return out


def _check_stacks(glyphs, heights, symbols, colours):
    """Every nonzero height (n, q) is one glyph at its 1-based position with its letter's colour,
    positives stacked upwards from 0 and negatives downwards."""
    expected = sorted(
        (i + 1, colours[symbols[a]], heights[i, a]) for i, a in zip(*np.nonzero(heights))
    )
    drawn = sorted(glyphs)
    assert [(x, c) for x, c, _ in drawn] == [(x, c) for x, c, _ in expected]
    np.testing.assert_allclose([h for *_, h in drawn], [h for *_, h in expected], rtol=1e-9, atol=1e-12)


def test_sequence_logo_draws_both_views(explanation):
    _needs_logomaker()
    values, data = np.asarray(explanation.values), np.asarray(explanation.data)
    ax = plots.sequence_logo(explanation, title="data set")
    _render(ax)
    assert ax.get_xlabel() == "position" and ax.get_title() == "data set"
    assert ax.get_ylabel() == "mean SHAP value"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(1, N_POS + 1)]
    mean, _ = _slow_attribution_matrix(values, data, 4)
    _check_stacks(_glyphs(ax), mean, "ACGT", CLASSIC)
    fig, given = plt.subplots()
    ax = plots.sequence_logo(explanation, row=3, ax=given, alphabet=sz.DNA)
    assert ax is given and ax.get_ylabel() == "SHAP value" and ax.get_title() == ""
    _render(ax)
    one = np.zeros((N_POS, 4))
    one[np.arange(N_POS), data[3]] = values[3]
    glyphs = _glyphs(ax)
    assert len(glyphs) == np.count_nonzero(values[3])
    _check_stacks(glyphs, one, "ACGT", CLASSIC)
    # Row 3's own letter at each position, with the sign of its SHAP value.
    for x, colour, height in glyphs:
        assert colour == CLASSIC[explanation.display_data[3, x - 1]] and np.sign(height) == np.sign(values[3, x - 1])


def test_sequence_logo_of_a_protein_model():
    _needs_logomaker()
    n = 6
    sketch = sz.random_sparse_sketch(n, 20, 12, alphabet=sz.PROTEIN, random_state=3)
    codes = np.random.default_rng(2).integers(0, 20, size=(40, n)).astype(np.uint8)
    expl = _explanation(sketch, codes)
    values, symbols = np.asarray(expl.values), "".join(sz.PROTEIN.symbols)
    slow = _slow_attribution_matrix(values, codes, 20)[0]
    ax = plots.sequence_logo(expl, max_letters=None)
    _render(ax)
    _check_stacks(_glyphs(ax), slow, symbols, CHEMISTRY)
    # By default only the 6 letters of largest absolute mean are drawn at each position.
    top = np.zeros_like(slow)
    for position in range(n):
        largest = np.argsort(-np.abs(np.nan_to_num(slow[position])))[:6]
        top[position, largest] = slow[position, largest]
    ax = plots.sequence_logo(expl)
    _render(ax)
    _check_stacks(_glyphs(ax), top, symbols, CHEMISTRY)
    ax = plots.sequence_logo(expl, row=0, alphabet=sz.PROTEIN)
    _render(ax)
    one = np.zeros((n, 20))
    one[np.arange(n), codes[0]] = values[0]
    _check_stacks(_glyphs(ax), one, symbols, CHEMISTRY)


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


def _check_heatmap(ax, expected, vmin, vmax, cmap, label):
    """The image is ``expected`` (NaN diagonal, drawn in the 'bad' grey) on the scale [vmin, vmax]."""
    image = ax.get_images()[0]
    drawn = image.get_array()
    assert np.ma.getmaskarray(drawn)[np.eye(len(expected), dtype=bool)].all()
    np.testing.assert_allclose(np.ma.filled(drawn, np.nan), expected, rtol=1e-12, atol=1e-12)
    assert image.get_clim() == pytest.approx((vmin, vmax), rel=1e-12)
    assert image.get_cmap().name.startswith(cmap)
    assert ax.figure.axes[-1].get_ylabel() == label  # the colour bar


def test_interaction_heatmap_draws_the_matrix(sketch, codes):
    tree = sz.shap_interaction_values(sketch, codes)
    off = ~np.eye(N_POS, dtype=bool)
    ax = plots.interaction_heatmap(tree, title="mean")
    _render(ax)
    assert ax.get_title() == "mean"
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"pos{i + 1}" for i in range(N_POS)]
    mean = np.where(off, tree.mean(axis=0), np.nan)
    largest = np.abs(mean[off]).max()
    _check_heatmap(ax, mean, -largest, largest, "PuOr_r", "mean interaction (shap convention: half the pair index)")
    sii = sz.interaction_values(sketch, codes, index="SII", order=2)
    names = [f"p{i}" for i in range(N_POS)]
    ax = plots.interaction_heatmap(sii, row=1, feature_names=names, absolute=True)
    _render(ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    # SII of a pair is twice shap's off-diagonal entry.
    row = np.where(off, np.abs(2 * tree[1]), np.nan)
    _check_heatmap(ax, row, 0.0, np.nanmax(row), "Oranges", "|SII interaction|")


def test_interaction_heatmap_color_scale_is_symmetric_and_long_labels_are_thinned(rng):
    stack = rng.normal(size=(3, 64, 64))
    ax = plots.interaction_heatmap(stack)
    low, high = ax.get_images()[0].get_clim()
    off = ~np.eye(64, dtype=bool)
    assert high == pytest.approx(np.abs(stack.mean(axis=0)[off]).max(), rel=1e-12) and low == -high
    labels = [t.get_text() for t in ax.get_xticklabels()]
    # Every third of the 64 positions: 22 labels.
    assert labels == [f"pos{i + 1}" for i in range(0, 64, 3)]


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


# ------------------------------------------------------- beeswarm and scatter by letter


def _face_colours(collection) -> np.ndarray:
    return np.asarray(collection.get_facecolors())[:, :3]


def _expected_colours(codes_column, symbols) -> np.ndarray:
    from matplotlib.colors import to_rgb

    palette = [to_rgb(colour) for colour in plots.letter_colours(symbols)]
    return np.array([palette[code] for code in codes_column])


def test_letter_beeswarm_draws_each_position_on_its_row_coloured_by_letter(explanation, codes):
    ax = plots.beeswarm(explanation, max_display=4, title="SHAP values")
    order = np.argsort(-np.abs(explanation.values).mean(axis=0), kind="stable")[:4]
    assert [label.get_text() for label in ax.get_yticklabels()] == [explanation.feature_names[i] for i in order]
    assert len(ax.collections) == 4
    for rank, (position, collection) in enumerate(zip(order, ax.collections)):
        points = collection.get_offsets()
        np.testing.assert_allclose(points[:, 0], explanation.values[:, position], rtol=0, atol=1e-12)
        assert np.all(np.abs(points[:, 1] + rank) <= 0.4)
        np.testing.assert_allclose(_face_colours(collection), _expected_colours(codes[:, position], "ACGT"))
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "letter"
    assert [text.get_text() for text in legend.get_texts()] == sorted(set("ACGT"[c] for c in codes[:, order].ravel()),
                                                                      key="ACGT".index)  # fmt: skip
    assert ax.get_title() == "SHAP values"


def test_letter_scatter_puts_values_at_their_letters_and_finds_the_interacting_position():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 4, size=(600, 6)).astype(np.uint8)

    def model(codes):  # position 1's effect depends on the letter at position 4
        return 0.3 * codes[:, 0] + 2.0 * (codes[:, 1] == codes[:, 4]) + 0.2 * codes[:, 2]

    explanation = sz.ZeroExplainer(sz.exact_sketch(model, seq_length=6, alphabet=sz.DNA))(X)
    ax = plots.scatter(explanation, 1)
    assert ax.colour_position == 4
    points = ax.collections[0].get_offsets()
    assert np.all(np.abs(points[:, 0] - X[:, 1]) <= 0.3)
    np.testing.assert_allclose(points[:, 1], explanation.values[:, 1], atol=1e-12)
    np.testing.assert_allclose(_face_colours(ax.collections[0]), _expected_colours(X[:, 4], "ACGT"))
    assert [label.get_text() for label in ax.get_xticklabels()] == list("ACGT")
    assert ax.get_legend().get_title().get_text() == "letter at pos5"
    own = plots.scatter(explanation, 1, colour_by=None)
    np.testing.assert_allclose(_face_colours(own.collections[0]), _expected_colours(X[:, 1], "ACGT"))
    with pytest.raises(InvalidParameterError, match="colour_by: expected 'auto', None or a position"):
        plots.scatter(explanation, 1, colour_by="best")
    with pytest.raises(InvalidParameterError, match="position"):
        plots.scatter(explanation, 6)


def test_strongest_partner_matches_a_loop_over_groups():
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3, size=(300, 5))
    values = rng.normal(size=300) + (codes[:, 0] == codes[:, 3])
    scores = {}
    for j in (1, 2, 3, 4):
        groups = {}
        for r in range(300):
            groups.setdefault((codes[r, 0], codes[r, j]), []).append(values[r])
        scores[j] = sum(len(g) * np.mean(g) ** 2 for g in groups.values())
    assert plots.strongest_partner(values, codes, 0, 3) == max(scores, key=scores.get) == 3


def test_letter_colours_follow_the_logo_for_nucleotides_and_a_palette_otherwise():
    assert plots.letter_colours(list("ACGT")) == ["#008000", "#0000ff", "#ffa500", "#ff0000"]
    protein = plots.letter_colours(list(sz.PROTEIN.symbols))
    assert len({tuple(colour) for colour in protein}) == 20


def test_protein_logo_keeps_the_largest_letters_of_each_position(rng):
    pytest.importorskip("logomaker", reason="logos need logomaker (plot extra)")
    values = rng.normal(size=(400, 5))
    codes = rng.integers(0, 20, size=(400, 5)).astype(np.intp)
    symbols = list(sz.PROTEIN.symbols)
    full = plots._logo_matrix(values, codes, symbols, None).to_numpy()
    kept = plots._logo_matrix(values, codes, symbols, None, max_letters=6).to_numpy()
    for position in range(5):
        largest = np.argsort(-np.abs(full[position]))[:6]
        assert set(np.flatnonzero(kept[position])) == set(largest)
        np.testing.assert_array_equal(kept[position, largest], full[position, largest])
    explanation = sz.ZeroExplainer(sz.random_sparse_sketch(5, 20, 40, alphabet=sz.PROTEIN, random_state=2))(
        codes.astype(np.uint8))
    ax = plots.sequence_logo(explanation)
    assert ax.get_ylabel() == "mean SHAP value\n(top 6 letters)"
    assert plots.sequence_logo(explanation, max_letters=None).get_ylabel() == "mean SHAP value"
    with pytest.raises(InvalidParameterError, match="max_letters"):
        plots.sequence_logo(explanation, max_letters=0)

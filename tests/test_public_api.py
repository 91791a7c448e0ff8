"""The public API and the direction of imports inside the package."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import types
from pathlib import Path

import numpy as np
import pytest

import shap_zero as sz
from shap_zero import cli

PACKAGE = Path(sz.__file__).parent

# Lower layers may not import higher ones: one direction of imports. Modules not listed
# (the package root, cli, __main__) sit on top.
LAYERS = [
    {"_version", "_config", "exceptions", "_progress", "_files", "indices"},
    {"_validation"},
    {"_kernels"},
    {"alphabet", "models", "examples", "adaptors"},
    {"fourier"},
    {"synthetic", "oracle", "sketch"},
    {"attribution"},
    {"engines"},
    {"explanations"},
    {"seqio"},
    {"explainer"},
    {"plots"},
]


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for level, names in enumerate(LAYERS):
        if top in names:
            return level
    return len(LAYERS)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_public_name_is_exported():
    assert len(set(sz.__all__)) == len(sz.__all__)
    for name in sz.__all__:
        assert hasattr(sz, name), name
        value = getattr(sz, name)
        # Our own classes and functions (not re-exported third-party ones), under their own names.
        if isinstance(value, (type, types.FunctionType)):
            assert value.__module__.startswith("shap_zero.") and value.__name__ == name, name
    for name in ["Alphabet", "DNA", "RNA", "PROTEIN", "FourierSketch", "shapley_values", "exact_sketch"]:
        assert name in sz.__all__
    errors = [getattr(sz, name) for name in sz.__all__ if name.endswith("Error")]
    assert len(errors) >= 5 and all(issubclass(error, sz.ShapZeroError) for error in errors)
    # The version is the installed distribution's.
    assert sz.__version__ == importlib.metadata.version("shap-zero")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", sz.__version__)


def test_imports_only_go_downwards_and_never_to_baselines_or_benchmarks():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).with_suffix("")
        module = ".".join(relative.parts)
        if module.endswith("__init__") and len(relative.parts) == 1:
            continue  # the package root re-exports everything
        own = _layer(module)
        for imported in _imports(path):
            assert not imported.startswith(("baselines", "benchmarks")), f"{module} imports {imported}"
            if not imported.startswith("shap_zero."):
                assert imported != "shap_zero", f"{module} imports the package root"
                continue
            target = imported.removeprefix("shap_zero.")
            if target.split(".")[0] == module.split(".")[0]:
                continue  # inside one subpackage
            assert _layer(target) <= own, f"{module} (layer {own}) imports {imported} (layer {_layer(target)})"


def test_kernels_import_nothing_from_the_package_but_kernels():
    for path in (PACKAGE / "_kernels").glob("*.py"):
        for imported in _imports(path):
            if imported.startswith("shap_zero"):
                assert imported.startswith("shap_zero._kernels"), f"{path.name} imports {imported}"


FIGURES = ["waterfall", "beeswarm", "bar", "heatmap", "scatter", "interactions_beeswarm", "interaction_heatmap"]


def _record_figures(monkeypatch) -> list:
    """Every matplotlib figure saved from now on (they stay inspectable after plt.close)."""
    import matplotlib.figure

    saved = []
    real_savefig = matplotlib.figure.Figure.savefig

    def savefig(figure, *args, **kwargs):
        saved.append(figure)
        return real_savefig(figure, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    return saved


def _check_png(path: Path) -> None:
    """A PNG that decodes to a drawing: a sizeable image with more than a handful of colours."""
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4) and min(pixels.shape[:2]) >= 150, (path.name, pixels.shape)
    channels = np.round(pixels * 255).astype(np.uint32)
    packed = sum(channels[:, :, c] << (8 * c) for c in range(pixels.shape[2]))  # one integer per colour
    assert len(np.unique(packed)) > 20, path.name


def _printed_table(printed: str, heading: str) -> dict[str, float]:
    """The ``label: value`` lines under ``heading`` in the demo's output."""
    table = {}
    for line in printed.split(heading, 1)[1].splitlines()[1:]:
        match = re.fullmatch(r"\s*(.+?): (-?\d+\.\d+)", line)
        if match is None:
            break
        table[match[1]] = float(match[2])
    return table


def _number(text: str) -> float:
    """A number as shap prints it (unicode minus, maybe inside "$ = ...$")."""
    return float(text.replace("\u2212", "-").replace("$", "").replace("=", "").strip())


def _check_interaction_heatmap(figure, printed: str, n: int) -> None:
    """The heatmap of mean |SII| holds the strongest pairs the demo printed, on a scale from 0."""
    ax = figure.axes[0]
    assert ax.get_title() == "Mean |SII| of each pair of positions"
    image = ax.get_images()[0]
    drawn = np.ma.filled(image.get_array(), np.nan)
    assert drawn.shape == (n, n) and np.isnan(np.diag(drawn)).all()
    np.testing.assert_allclose(drawn, drawn.T, rtol=1e-12)
    assert image.get_clim() == pytest.approx((0.0, np.nanmax(drawn)), rel=1e-12)
    top = _printed_table(printed, "Strongest pairwise interactions (mean |SII|):")
    assert len(top) == 5
    for label, value in top.items():
        i, j = (int(p.removeprefix("pos")) - 1 for p in label.split(" x "))
        assert abs(drawn[i, j] - value) <= 5e-5 + 1e-12, (label, drawn[i, j], value)
    assert np.nanmax(drawn) == pytest.approx(max(top.values()), abs=5e-5)


def test_demo_command_runs_and_writes_its_outputs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    replaced = []  # every file is written to a temporary file, then renamed into place
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (replaced.append(Path(dst).resolve()), real_replace(src, dst)))
    saved = _record_figures(monkeypatch)
    assert cli.main(["demo", "--model", "toy", "--out", str(tmp_path), "--quiet", "--sequences", "200"]) == 0
    assert sorted(replaced) == sorted(path.resolve() for path in tmp_path.iterdir())  # no temporary file left
    printed = capsys.readouterr().out
    assert "65,536 model queries" in printed and "Efficiency" in printed and "Cost summary" in printed
    pngs = [path.stem for path in replaced if path.suffix == ".png"]
    assert set(FIGURES) <= set(pngs) and len(saved) == len(pngs)
    figures = dict(zip(pngs, saved))
    for name in pngs:
        _check_png(tmp_path / f"{name}.png")
    sketch = sz.FourierSketch.load(tmp_path / "toy_guide_model.sketch.npz")
    codes = sz.DNA.encode(["ACGGCTTT", "TTTTAAAA"])
    assert abs(sketch.predict(codes) - sz.examples.toy_guide_model(codes)).max() < 1e-10
    # The waterfall of sequence 1: its letters (from the tick labels) give the sequence,
    # whose SHAP values, recomputed from the saved sketch, are the printed bar values.
    main = figures["waterfall"].axes[0]
    rows = {int(y): t.get_text() for y, t in zip(main.get_yticks(), main.get_yticklabels()) if float(y) == round(y)}
    assert len(rows) == 8
    letters = dict(reversed(label.split(" = ")) for label in rows.values())
    first = sz.DNA.encode(["".join(letters[f"pos{i + 1}"] for i in range(8))])
    phi = sz.shapley_values(sketch, first)[0]
    bar_values = {int(round(t.get_position()[1])): _number(t.get_text()) for t in main.texts}
    assert sorted(bar_values) == sorted(rows)
    for y, label in rows.items():
        assert abs(bar_values[y] - phi[int(label.split(" = pos")[1]) - 1]) <= 0.005 + 1e-9, label
    ends = [t.get_text() for a in figures["waterfall"].axes[1:] for t in a.get_xticklabels()]
    assert _number(ends[1]) == pytest.approx(sketch.mean, abs=5e-4)
    assert _number(ends[3]) == pytest.approx(sketch.predict(first)[0], abs=5e-4)
    # The five longest bars of the bar plot are the printed most important positions.
    bar_ax = figures["bar"].axes[0]
    labels = {int(round(y)): t.get_text() for y, t in zip(bar_ax.get_yticks(), bar_ax.get_yticklabels())}
    widths = {labels[int(round(p.get_y() + p.get_height() / 2))]: p.get_width() for p in bar_ax.patches}
    assert sorted(widths) == sorted(f"pos{i + 1}" for i in range(8))
    top = _printed_table(printed, "Most important positions (mean |SHAP value|):")
    assert len(top) == 5
    for name, value in top.items():
        assert abs(widths[name] - value) <= 5e-4 + 1e-12, (name, widths[name], value)
    assert min(widths[name] for name in top) >= max(w for name, w in widths.items() if name not in top)
    _check_interaction_heatmap(figures["interaction_heatmap"], printed, 8)


def test_demo_on_rna_folding_energy(tmp_path, capsys, monkeypatch):
    pytest.importorskip("RNA", reason="the vienna extra (ViennaRNA) is not installed")
    pytest.importorskip("matplotlib")
    saved = _record_figures(monkeypatch)
    args = ["demo", "--length", "12", "--budget", "20000", "--sequences", "100", "--workers", "1", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Sketch by the 'auto' engine" in printed and "held-out R^2" in printed
    assert "accuracy check: SHAP-value NMSE" in printed
    explainer = sz.ZeroExplainer(tmp_path / "rna_folding_energy.sketch.npz")
    assert explainer.n == 12 and explainer.alphabet == sz.RNA
    _check_png(tmp_path / "interaction_heatmap.png")
    _check_interaction_heatmap(saved[-1], printed, 12)  # the last figure drawn


def test_plots_module_is_reachable_like_shaps():
    import shap

    import shap_zero.plots

    assert isinstance(sz.plots, types.ModuleType) and sz.plots is shap_zero.plots
    names = ["attribution_matrix", "sequence_logo", "interaction_heatmap", "beeswarm", "scatter", "letter_colours",
             "strongest_partner"]  # fmt: skip
    for name in names:
        function = getattr(sz.plots, name)
        assert callable(function) and function.__module__ == "shap_zero.plots" and function.__name__ == name
    assert sz.plots.__all__ == names
    explainer = sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 3, random_state=0))
    assert isinstance(explainer, shap.Explainer)


def test_demo_on_the_built_in_protein_model(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    arguments = ["demo", "--model", "protein", "--budget", "40000", "--check", "2", "--sequences", "100",
                 "--out", str(tmp_path), "--quiet"]  # fmt: skip
    assert cli.main(arguments) == 0
    printed = capsys.readouterr().out
    assert "GB1 protein fitness" in printed and "accuracy check: SHAP-value NMSE" in printed
    sketch = sz.FourierSketch.load(tmp_path / "gb1_fitness.sketch.npz")
    assert sketch.q == 20 and sketch.n == 24 and sketch.alphabet == sz.PROTEIN
    # Positions are named by their wild-type residue and GB1 number (residues 32 to 55).
    names = sketch.metadata["explainer"]["feature_names"]
    from shap_zero.examples import gb1_fitness_model

    model = gb1_fitness_model()
    assert names[0] == model.metadata["wild_type"][30] + "32" and names[-1].endswith("55") and len(names) == 24
    top = _printed_table(printed, "Most important positions (mean |SHAP value|):")
    assert len(top) == 5 and set(top) <= set(names)


def test_built_in_gb1_network_is_its_one_hot_forward_pass(rng):
    from shap_zero.examples import gb1_fitness_model

    model = gb1_fitness_model()
    assert model.metadata["test_spearman"] > 0.95 and len(model.metadata["wild_type"]) == 55
    codes = rng.integers(0, 20, size=(50, 24)).astype(np.uint8)
    full = np.tile(model.reference, (50, 1))
    full[:, 30:54] = codes
    one_hot = np.zeros((50, 55 * 20))
    one_hot[np.arange(50)[:, None], np.arange(55) * 20 + full] = 1.0
    w = model.weights
    hidden = np.maximum(one_hot @ w["W1"] + w["b1"], 0.0)
    expected = np.maximum(hidden @ w["W2"] + w["b2"], 0.0) @ w["w3"] + w["b3"]
    np.testing.assert_allclose(model(codes), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.full_sequence(full), expected, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="not inside"):
        gb1_fitness_model(window_start=40, window_length=24)

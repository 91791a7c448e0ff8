"""The public API and the direction of imports inside the package."""

from __future__ import annotations

import ast
import os
from pathlib import Path

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
    {"alphabet", "models", "examples"},
    {"fourier"},
    {"synthetic", "oracle", "sketch"},
    {"attribution"},
    {"engines"},
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
    for name in sz.__all__:
        assert hasattr(sz, name), name
    for name in ["Alphabet", "DNA", "RNA", "PROTEIN", "FourierSketch", "shapley_values", "exact_sketch"]:
        assert name in sz.__all__
    assert isinstance(sz.__version__, str)


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


def test_demo_command_runs_and_writes_its_outputs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    replaced = []  # every file is written to a temporary file, then renamed into place
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (replaced.append(Path(dst).resolve()), real_replace(src, dst)))
    assert cli.main(["demo", "--model", "toy", "--out", str(tmp_path), "--quiet", "--sequences", "200"]) == 0
    assert sorted(replaced) == sorted(path.resolve() for path in tmp_path.iterdir())  # no temporary file left
    printed = capsys.readouterr().out
    assert "65,536 model queries" in printed and "Efficiency" in printed and "Cost summary" in printed
    for name in FIGURES:
        assert (tmp_path / f"{name}.png").stat().st_size > 5000, name
    sketch = sz.FourierSketch.load(tmp_path / "toy_guide_model.sketch.npz")
    codes = sz.DNA.encode(["ACGGCTTT", "TTTTAAAA"])
    assert abs(sketch.predict(codes) - sz.examples.toy_guide_model(codes)).max() < 1e-10


def test_demo_on_rna_folding_energy(tmp_path, capsys):
    pytest.importorskip("RNA", reason="the vienna extra (ViennaRNA) is not installed")
    pytest.importorskip("matplotlib")
    args = ["demo", "--length", "12", "--budget", "20000", "--sequences", "100", "--workers", "1", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Sketch by the 'auto' engine" in printed and "held-out R^2" in printed
    assert "accuracy check: SHAP-value NMSE" in printed
    explainer = sz.ZeroExplainer(tmp_path / "rna_folding_energy.sketch.npz")
    assert explainer.n == 12 and explainer.alphabet == sz.RNA
    assert (tmp_path / "interaction_heatmap.png").stat().st_size > 5000


def test_plots_module_is_reachable_like_shaps():
    assert sz.plots.sequence_logo is not None and sz.plots.interaction_heatmap is not None
    assert isinstance(sz.ZeroExplainer(sz.random_sparse_sketch(4, 4, 3, random_state=0)), __import__("shap").Explainer)

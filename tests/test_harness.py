"""The harness end to end on a tiny suite: cells, accuracy, resume, summary, tables."""

from __future__ import annotations

import json

import numpy as np
import pytest

import shap_zero as sz
from benchmarks import analysis, harness, metrics
from benchmarks.suites import MethodSpec, ModelSpec, Suite

pytest.importorskip("matplotlib", reason="the harness figures need matplotlib")

TINY = Suite(
    name="tiny",
    n_explain=4,
    interaction_sequences=2,
    models=(
        ModelSpec(
            "synthetic_sparse",
            {"seq_length": 6, "n_terms": 8, "max_degree": 2},
            (
                MethodSpec("exact", {}),
                MethodSpec("shap_zero", {"budget": 3_000}),
                MethodSpec("kernelshap", {"nsamples": 64, "background_size": 5}),
                MethodSpec("kernelshap", {"nsamples": 100, "background_size": 30}),
                MethodSpec("kernelshap", {"nsamples": 64, "bogus_option": 1}),  # fails; the suite goes on
                MethodSpec("shapiq", {"approximator": "KernelSHAPIQ", "budget": 64, "background_size": 5}),
                MethodSpec("fastshap", {"n_train": 300, "validation_size": 50, "n_subsets": 8, "max_epochs": 2,
                                        "n_empty": 500}),
            ),
        ),
    ),
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("harness")
    run = harness.run_suite(TINY, out, progress=False, log=lambda message: None)
    return out, run


def _missing_optional() -> int:
    import importlib.util

    return sum(importlib.util.find_spec(module) is None for module in ("shapiq", "torch"))


def _cells(out):
    return harness.load_cells(out, TINY.models[0])


def test_every_cell_is_stored_with_its_cost(run_dir):
    out, run = run_dir
    optional = 2 - _missing_optional()
    assert run["computed"] == 5 + optional and run["failed"] == 1 and run["reused"] == 0
    assert run["skipped"] == _missing_optional()
    cells = _cells(out)
    assert cells["exact"]["one_time_queries"] == 4**6
    kernel = cells["kernelshap-background_size5-nsamples64"]
    assert kernel["one_time_queries"] == 0 and kernel["per_sequence_queries"] > 0
    failed = next(c for c in cells.values() if c.get("status") == "failed")
    assert "bogus_option" in failed["reason"]
    machine = json.loads((out / "tiny" / "last_run.json").read_text())["machine"]
    assert machine["logical_cpus"] and machine["packages"]["numpy"] == np.__version__


def test_accuracy_is_measured_against_the_true_spectrum(run_dir):
    out, _ = run_dir
    cells = _cells(out)
    model = harness.model_zoo.load_model("synthetic_sparse", random_state=TINY.seed, **TINY.models[0].options)
    X = cells["model"]["arrays"]["X"]
    truth = sz.shapley_values(model.truth, X)
    np.testing.assert_allclose(cells["reference"]["arrays"]["values"], truth, atol=1e-12)
    # The exact transform is exact: its stored values equal the truth, and its accuracy says so.
    np.testing.assert_allclose(cells["exact"]["arrays"]["values"], truth, atol=1e-9)
    assert cells["exact"]["accuracy"]["nmse"] < 1e-18
    kernel = cells["kernelshap-background_size30-nsamples100"]
    assert kernel["accuracy"]["pearson"] == pytest.approx(metrics.pearson(kernel["arrays"]["values"], truth))
    # Interactions of the exact sketch against the true k-SII pairs.
    assert cells["exact"]["interactions"]["accuracy"]["nmse"] < 1e-18
    truth_pairs = sz.interaction_values(model.truth, X[: TINY.interaction_sequences], index="k-SII", order=2)
    shapiq_cell = cells.get("shapiq-approximatorKernelSHAPIQ-background_size5-budget64")
    if shapiq_cell is not None and shapiq_cell["status"] == "ok":
        pairs = shapiq_cell["arrays"]["interactions"][:, 6:]  # columns after the 6 singletons
        exact_pairs = cells["reference"]["arrays"]["interactions"][:, 6:]
        np.testing.assert_allclose(exact_pairs[:, 0], truth_pairs.get((0, 1)), atol=1e-12)
        assert shapiq_cell["interactions"]["accuracy"]["pearson"] == pytest.approx(metrics.pearson(pairs, exact_pairs))
    fastshap_cell = cells.get(next((label for label in cells if label.startswith("fastshap")), ""), None)
    if fastshap_cell is not None and fastshap_cell["status"] == "ok":
        # One model query per explained sequence after training; training counted once.
        assert fastshap_cell["per_sequence_queries"] == 1.0 and fastshap_cell["one_time_queries"] > 0


def test_a_rerun_reuses_stored_cells_and_recomputes_missing_ones(run_dir):
    out, _ = run_dir
    path = harness.cell_path(out, TINY.models[0], "kernelshap-background_size5-nsamples64")
    before = json.loads(path.read_text())
    path.unlink()
    run = harness.run_suite(TINY, out, progress=False, log=lambda message: None)
    # The failed cell is retried, the deleted one recomputed, the rest reused.
    assert run["computed"] == 1 and run["failed"] == 1 and run["reused"] == 4 + 2
    after = json.loads(path.read_text())
    assert after["accuracy"] == before["accuracy"]  # same seed, same values


def test_fresh_with_a_method_filter_recomputes_only_those_methods(run_dir):
    out, _ = run_dir
    reference = harness.cell_path(out, TINY.models[0], "reference")
    kernel = harness.cell_path(out, TINY.models[0], "kernelshap-background_size30-nsamples100")
    exact = harness.cell_path(out, TINY.models[0], "exact")
    before = {path: path.stat().st_mtime_ns for path in (reference, kernel, exact)}
    run = harness.run_suite(TINY, out, methods=["kernelshap"], fresh=True, progress=False, log=lambda m: None)
    assert run["reused"] == 1  # the reference, kept
    assert reference.stat().st_mtime_ns == before[reference] and exact.stat().st_mtime_ns == before[exact]
    assert kernel.stat().st_mtime_ns > before[kernel]


def test_summary_tables_and_figures(run_dir, tmp_path):
    out, _ = run_dir
    doc = tmp_path / "doc.md"
    start, end = analysis.table_markers("tiny")
    doc.write_text(f"intro\n{start}\nold\n{end}\noutro\n")
    summary = analysis.write_outputs(TINY, out, docs=[doc])
    folder = out / "tiny"
    for name in ("summary.json", "summary.md", "amortized_cost.png", "accuracy_vs_budget.png", "example_explanations.png"):
        assert (folder / name).stat().st_size > 0, name
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "| synthetic_sparse |" in text
    rows = summary["models"][0]["equal_accuracy"]
    cells = {c["label"]: c for c in summary["models"][0]["cells"]}
    assert rows
    for row in rows:
        zero = cells[row["shap_zero"]]
        kernel_cost = row["kernelshap_per_sequence_seconds"]
        expected = metrics.break_even(zero["one_time_seconds"], zero["per_sequence_seconds"], 0.0, kernel_cost)
        assert row["break_even_seconds"] == expected
        bracket = [cells[label]["per_sequence_seconds"] for label in row["kernelshap"]]
        assert min(bracket) * (1 - 1e-12) <= kernel_cost <= max(bracket) * (1 + 1e-12)
        if row["match"] == "interpolated":
            errors = [cells[label]["accuracy"]["nmse"] for label in row["kernelshap"]]
            assert min(errors) <= zero["accuracy"]["nmse"] <= max(errors)


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not in suite"):
        harness.run_suite(TINY, tmp_path, models=["nope"], progress=False)


def test_command_line_report_on_an_empty_results_folder(tmp_path, capsys):
    from benchmarks.__main__ import main

    assert main(["report", "--suite", "quick", "--out", str(tmp_path), "--no-docs"]) == 0
    summary = json.loads((tmp_path / "quick" / "summary.json").read_text())
    assert summary["suite"] == "quick" and summary["models"] == []
    assert "Regenerate with `python -m benchmarks run --suite quick`" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--suite", "nope"])

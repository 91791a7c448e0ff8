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
            ),
        ),
    ),
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("harness")
    run = harness.run_suite(TINY, out, progress=False, log=lambda message: None)
    return out, run


def _cells(out):
    return harness.load_cells(out, TINY.models[0])


def test_every_cell_is_stored_with_its_cost(run_dir):
    out, run = run_dir
    assert run["computed"] == 5 and run["failed"] == 1 and run["reused"] == 0
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


def test_a_rerun_reuses_stored_cells_and_recomputes_missing_ones(run_dir):
    out, _ = run_dir
    path = harness.cell_path(out, TINY.models[0], "kernelshap-background_size5-nsamples64")
    before = json.loads(path.read_text())
    path.unlink()
    run = harness.run_suite(TINY, out, progress=False, log=lambda message: None)
    # The failed cell is retried, the deleted one recomputed, the rest reused.
    assert run["computed"] == 1 and run["failed"] == 1 and run["reused"] == 4
    after = json.loads(path.read_text())
    assert after["accuracy"] == before["accuracy"]  # same seed, same values


def test_summary_tables_and_figures(run_dir, tmp_path):
    out, _ = run_dir
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n{analysis.TABLE_START}\nold\n{analysis.TABLE_END}\noutro\n")
    summary = analysis.write_outputs(TINY, out, docs=[doc])
    folder = out / "tiny"
    for name in ("summary.json", "summary.md", "amortized_cost.png", "accuracy_vs_budget.png", "example_explanations.png"):
        assert (folder / name).stat().st_size > 0, name
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "| synthetic_sparse |" in text
    rows = summary["models"][0]["equal_accuracy"]
    cells = {c["label"]: c for c in summary["models"][0]["cells"]}
    for row in rows:
        zero, kernel = cells[row["shap_zero"]], cells[row["kernelshap"]]
        expected = metrics.break_even(
            zero["one_time_seconds"], zero["per_sequence_seconds"], 0.0, kernel["per_sequence_seconds"]
        )
        assert row["break_even_seconds"] == expected
        if not row["kernelshap_less_accurate"]:
            assert kernel["accuracy"]["nmse"] <= zero["accuracy"]["nmse"]


def test_unknown_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not in suite"):
        harness.run_suite(TINY, tmp_path, models=["nope"], progress=False)

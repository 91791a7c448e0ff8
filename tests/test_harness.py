"""The harness end to end on a tiny suite: cells, accuracy, resume, summary, tables."""

from __future__ import annotations

import dataclasses
import functools
import json
import math

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
    with pytest.raises(SystemExit, match="^2$"):  # argparse's exit status for a usage error
        main(["run", "--suite", "nope"])
    assert "argument --suite: invalid choice: 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Model fingerprints
# ---------------------------------------------------------------------------

FINGERPRINTED = Suite(
    name="fingerprinted",
    n_explain=2,
    interaction_sequences=1,
    models=(
        ModelSpec(
            "synthetic_sparse",
            {"seq_length": 6, "n_terms": 8, "max_degree": 2},
            (MethodSpec("kernelshap", {"nsamples": 32, "background_size": 4}),),
        ),
    ),
)


def test_a_changed_model_is_recomputed_and_an_unchanged_one_reused(tmp_path, monkeypatch):
    quiet = {"progress": False, "log": lambda message: None}
    spec = FINGERPRINTED.models[0]
    first = harness.run_suite(FINGERPRINTED, tmp_path, **quiet)
    assert first["computed"] == 2  # the reference and KernelSHAP
    stored = harness.load_cells(tmp_path, spec)
    model = harness.model_zoo.load_model(spec.name, random_state=FINGERPRINTED.seed, **spec.options)
    assert stored["model"]["fingerprint"] == harness.model_fingerprint(model.function.predict, 6, 4, FINGERPRINTED.seed)
    again = harness.run_suite(FINGERPRINTED, tmp_path, **quiet)
    assert again["computed"] == 0 and again["reused"] == 2
    # Same name, options and suite, another model (as a retrained model or another
    # library version would be): nothing stored may be reused.
    load_model = harness.model_zoo.load_model
    monkeypatch.setattr(
        harness.model_zoo, "load_model",
        lambda name, random_state, **options: load_model(name, random_state=random_state + 1, **options),
    )  # fmt: skip
    changed = harness.run_suite(FINGERPRINTED, tmp_path, **quiet)
    assert changed["computed"] == 2 and changed["reused"] == 0
    recomputed = harness.load_cells(tmp_path, spec)
    assert recomputed["model"]["fingerprint"] != stored["model"]["fingerprint"]
    assert not np.allclose(recomputed["reference"]["arrays"]["values"], stored["reference"]["arrays"]["values"])


def test_the_fingerprint_sees_small_changes_and_ignores_round_off():
    model = harness.model_zoo.load_model("synthetic_sparse", seq_length=6, n_terms=8, max_degree=2)
    function = model.function.predict
    fingerprint = harness.model_fingerprint(function, 6, 4, seed=0)
    assert harness.model_fingerprint(lambda X: function(X) * (1 + 1e-15), 6, 4, seed=0) == fingerprint
    assert harness.model_fingerprint(lambda X: function(X) + 1e-6, 6, 4, seed=0) != fingerprint
    assert harness.model_fingerprint(function, 6, 4, seed=1) != fingerprint  # other probe sequences


# ---------------------------------------------------------------------------
# Sketch engines: cost-accuracy curves and the best-engine table
# ---------------------------------------------------------------------------

ENGINE_BUDGETS = (1_500, 3_000, 5_000)
ENGINES = Suite(
    name="engines",
    n_explain=4,
    interaction_sequences=1,
    models=tuple(
        ModelSpec(
            name,
            options,
            tuple(
                MethodSpec("shap_zero", {"method": engine, "budget": budget})
                for engine in ("qsft", "regression", "hybrid")
                for budget in ENGINE_BUDGETS
            )
            + (
                MethodSpec("kernelshap", {"nsamples": 32, "background_size": 5}),
                MethodSpec("kernelshap", {"nsamples": 128, "background_size": 20}),
            ),
        )
        for name, options in (
            # q-SFT recovers the sparse model from its smallest budget: exact recoveries tie,
            # so the best engine is the one with the fewest queries.
            ("synthetic_sparse", {"seq_length": 8, "n_terms": 12, "max_degree": 3}),
            # The noisy dense model: regression and hybrid beat q-SFT's best at a fraction of its queries.
            ("synthetic_dense", {"seq_length": 8, "noise_sd": 0.1}),
        )
    ),
)


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("engines")
    run = harness.run_suite(ENGINES, out, progress=False, log=lambda message: None)
    assert run["failed"] == 0 and run["computed"] == sum(len(spec.methods) + 1 for spec in ENGINES.models)
    return out


def _sketch_cells(cells):
    return [c for c in cells.values() if c.get("method") == "shap_zero"]


def _most_accurate(cells):
    """The most accurate cell, NMSE below 1e-12 counting as equal, then the fewest queries."""
    return min(cells, key=lambda c: (max(c["accuracy"]["nmse"], 1e-12), c["one_time_queries"]))


def test_engine_curves_and_the_best_engine_table(engine_run, tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "".join(
            f"{start}\nstale block\n{end}\n"
            for start, end in (analysis.table_markers("engines"), analysis.engines_markers("engines"))
        )
    )
    summary = analysis.write_outputs(ENGINES, engine_run, docs=[doc])
    figure = engine_run / "engines" / "engines_cost_accuracy.png"
    assert summary["figures"]["engines_cost_accuracy"] == str(figure)
    assert figure.stat().st_size > 20_000  # six curves in two panels, not an empty canvas
    text = doc.read_text()
    assert "stale block" not in text and summary["engines_block"] in text
    table = [line for line in summary["engines_block"].splitlines() if line.startswith("| synthetic")]
    assert [line.split(" | ")[0] for line in table] == ["| synthetic_sparse", "| synthetic_dense"]
    for spec, model, line in zip(ENGINES.models, summary["models"], table, strict=True):
        cells = harness.load_cells(engine_run, spec)
        sketches = _sketch_cells(cells)
        best = _most_accurate(sketches)
        row = model["engines"]
        assert row["best"] == best["label"] and row["queries"] == best["one_time_queries"]
        assert row["held_out_r2"] == best["extra"]["held_out_r2"]
        settings = best["settings"]
        assert f"| {settings['method']}, budget {settings['budget']:,} | {best['one_time_queries']:,} |" in line
        # KernelSHAP at the best engine's NMSE, through the headline's equal-accuracy rule.
        kernels = [c for c in cells.values() if c.get("method") == "kernelshap"]
        expected = analysis._equal_accuracy_row(best, kernels)
        assert row["kernelshap"]["kernelshap_per_sequence_queries"] == expected["kernelshap_per_sequence_queries"]
        assert f"{expected['kernelshap_per_sequence_queries']:,.0f} queries" in line
    # The sparse model: every q-SFT cell is exact, so the cheapest one wins.
    sparse = summary["models"][0]["engines"]
    assert sparse["engine"] == "qsft" and sparse["nmse"] < 1e-12
    sparse_cells = _sketch_cells(harness.load_cells(engine_run, ENGINES.models[0]))
    assert sparse["queries"] == min(c["one_time_queries"] for c in sparse_cells if c["settings"]["method"] == "qsft")


def test_the_ratio_column_on_the_engine_curves(engine_run):
    summary = analysis.summarise_suite(ENGINES, engine_run)
    dense = summary["models"][1]
    qsft_row = dense["engines"]["qsft"]
    sketches = _sketch_cells(harness.load_cells(engine_run, ENGINES.models[1]))
    qsft = _most_accurate([c for c in sketches if c["settings"]["method"] == "qsft"])
    assert qsft_row["best"] == qsft["label"] and qsft_row["nmse"] == qsft["accuracy"]["nmse"]
    fastest = qsft_row["fastest_other"]
    assert fastest in ("regression", "hybrid")
    for engine, reach in qsft_row["others"].items():
        curve = sorted(
            (c["one_time_queries"], c["accuracy"]["nmse"]) for c in sketches if c["settings"]["method"] == engine
        )
        if reach is None:  # no budget of the engine is as accurate as q-SFT's best
            assert min(e for _, e in curve) > qsft["accuracy"]["nmse"]
            continue
        # At most the cheapest budget that reaches q-SFT's NMSE, exactly it when that is the smallest one.
        first = next(k for k, (_, e) in enumerate(curve) if e <= qsft["accuracy"]["nmse"])
        lowest = curve[0][0] if first else curve[first][0]
        assert lowest * (1 - 1e-12) <= reach["queries"] <= curve[first][0] * (1 + 1e-12)
    reached = {e: r["queries"] for e, r in qsft_row["others"].items() if r is not None}
    assert reached[fastest] == min(reached.values())
    assert qsft_row["ratio"] == pytest.approx(reached[fastest] / qsft["one_time_queries"])
    assert qsft_row["ratio"] < 1  # the dense model is where q-SFT loses
    line = next(line for line in analysis.engines_table(summary).splitlines() if line.startswith("| synthetic_dense"))
    # An upper bound when even the engine's smallest budget beats q-SFT's best.
    bound = "<= " if qsft_row["others"][fastest]["match"] == "more accurate" else ""
    assert line.endswith(f"| {bound}{analysis._fmt(qsft_row['ratio'])} |")


def _fake_cell(engine, queries, nmse):
    return {
        "label": f"shap_zero-budget{queries}-method{engine}", "method": "shap_zero", "status": "ok",
        "settings": {"method": engine, "budget": queries}, "one_time_queries": queries, "one_time_seconds": 1.0,
        "per_sequence_queries": 0.0, "per_sequence_seconds": 1e-6, "accuracy": {"nmse": nmse},
        "extra": {"held_out_r2": 0.9, "fit_seconds": 0.5},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("regression", "expected_ratio", "text"),
    [
        # Halfway in log(NMSE) between 2,000 and 8,000 queries: sqrt(2,000 x 8,000) = 4,000.
        (((2_000, 0.1), (8_000, 0.001)), 0.04, "| regression: 4,000 queries | 0.04 |"),
        # Its smallest budget already beats q-SFT's best: an upper bound.
        (((1_000, 0.005), (8_000, 0.001)), 0.01, "| regression: <= 1,000 queries (its smallest budget) | <= 0.01 |"),
        # No budget reaches q-SFT's best, nor does the hybrid engine's.
        (((2_000, 0.1), (8_000, 0.05)), None, "| not reached by hybrid or regression | - |"),
    ],
)
def test_the_ratio_against_q_sft_on_made_up_curves(regression, expected_ratio, text):
    cells = [_fake_cell("qsft", 10_000, 0.1), _fake_cell("qsft", 100_000, 0.01)]
    cells += [_fake_cell("hybrid", 5_000, 0.05), _fake_cell("hybrid", 50_000, 0.02)]
    cells += [_fake_cell("regression", queries, nmse) for queries, nmse in regression]
    row = analysis._best_engine_row(cells, kernels=[])
    assert row["qsft"]["queries"] == 100_000 and row["qsft"]["nmse"] == 0.01
    if expected_ratio is None:
        assert row["qsft"]["ratio"] is None and row["qsft"]["others"] == {"hybrid": None, "regression": None}
    else:
        assert row["qsft"]["fastest_other"] == "regression" and row["qsft"]["ratio"] == pytest.approx(expected_ratio)
    model = {"name": "made_up", "info": {"seq_length": 8}, "cells": cells, "engines": row, "noise_floor": 1e-4}
    line = analysis.engines_table({"models": [model]}).splitlines()[-1]
    assert line.endswith(text), line
    assert line.startswith("| made_up | 8 | 0.0001 |")


def test_exact_recoveries_tie_and_the_cheaper_one_is_best():
    cells = [
        _fake_cell("hybrid", 60_000, 1e-20), _fake_cell("qsft", 70_000, 1e-28), _fake_cell("regression", 5_000, 0.3)
    ]  # fmt: skip
    row = analysis._best_engine_row(cells, kernels=[])
    assert row["engine"] == "hybrid" and row["queries"] == 60_000
    # q-SFT's exact recovery is matched by the hybrid engine's, at 60,000 / 70,000 of its queries.
    assert row["qsft"]["fastest_other"] == "hybrid" and row["qsft"]["ratio"] == pytest.approx(6 / 7)


def test_the_noise_floor_of_a_monte_carlo_reference():
    spec = ModelSpec(
        "synthetic_sparse", {"seq_length": 6, "n_terms": 8, "max_degree": 2}, (), reference={"montecarlo": 40}
    )
    suite = Suite(name="floor", models=(spec,), n_explain=3, interaction_sequences=1)
    model = harness.model_zoo.load_model(spec.name, **spec.options)
    # Without its true spectrum the model gets a Monte Carlo reference, as real models do.
    ctx = harness._Context(suite, spec, dataclasses.replace(model, truth=None), progress=False)
    record, arrays = harness._reference(ctx)
    floor = np.mean(arrays["standard_errors"] ** 2) / np.mean(arrays["values"] ** 2)
    assert analysis.noise_floor(record) == pytest.approx(floor, rel=1e-12) and 0 < floor < math.inf
    assert analysis.noise_floor({"kind": "exact, from the model's true Fourier spectrum"}) is None


def test_a_changed_engine_default_recomputes_only_the_cells_that_use_it(tmp_path, monkeypatch):
    quiet = {"progress": False, "log": lambda message: None}
    engines = tuple(MethodSpec("shap_zero", {"method": name, "budget": 3_000}) for name in ("hybrid", "auto", "regression"))
    model = dataclasses.replace(FINGERPRINTED.models[0], methods=FINGERPRINTED.models[0].methods + engines)
    suite = dataclasses.replace(FINGERPRINTED, models=(model,))
    first = harness.run_suite(suite, tmp_path, **quiet)
    assert first["computed"] == 5 and first["failed"] == 0
    hashes = {label: cell["config_hash"] for label, cell in harness.load_cells(tmp_path, model).items()}
    original = sz.HybridEngine.__init__

    @functools.wraps(original)  # the signature, hence get_params, stays the engine's
    def with_another_default(self, **options):
        options.setdefault("heredity", 7)
        original(self, **options)

    monkeypatch.setattr(sz.HybridEngine, "__init__", with_another_default)
    assert harness.engine_defaults(engines[0])["hybrid.heredity"] == "7"
    assert not {"hybrid.budget", "hybrid.method", "hybrid.random_state"} & set(harness.engine_defaults(engines[0]))
    again = harness.run_suite(suite, tmp_path, **quiet)
    # The hybrid's search defaults reach the hybrid cell and the auto cell, which runs
    # the same search; the regression, KernelSHAP and reference cells are reused.
    assert again["computed"] == 2 and again["reused"] == 3
    changed = {label for label, cell in harness.load_cells(tmp_path, model).items() if cell["config_hash"] != hashes[label]}
    assert changed == {engines[0].label, engines[1].label}


def test_a_suite_summarises_only_its_own_cells_of_a_shared_model_folder(run_dir):
    out, _ = run_dir
    # Another suite on the same model and seed names two of TINY's cells; TINY's others
    # stay in the folder but are not this suite's.
    kept = TINY.models[0].methods[:2]
    subset = dataclasses.replace(TINY, name="subset", models=(dataclasses.replace(TINY.models[0], methods=kept),))
    labels = {cell["label"] for cell in analysis.summarise_suite(subset, out)["models"][0]["cells"]}
    assert labels == {method.label for method in kept}
    assert len(_cells(out)) > len(kept) + 2  # the folder holds more (model and reference besides)

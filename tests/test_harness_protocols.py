"""The harness finds baselines by their declared metadata and runs them by protocol.

A new baseline must need only its module and a suite: here one is declared in the test
(outside the package, so the registry is patched to include it) and runs, is warmed up,
described and drawn without any edit to the harness or the analysis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import baselines
from baselines import ExactSHAP, HarnessInfo, harness_baselines
from benchmarks import analysis, harness, model_zoo
from benchmarks.suites import SUITES, MethodSpec, ModelSpec, Suite

RUNNERS = {"per_sequence", "amortized", "interactions"}


def test_every_harness_baseline_declares_a_known_protocol_and_distinct_style():
    found = harness_baselines()
    assert {"kernelshap", "permutation", "fastshap", "shapiq"} <= set(found)
    for method, cls in found.items():
        info = cls.harness
        assert info.method == method and info.runner in RUNNERS
        assert info.warm_up, method
    colours = [cls.harness.colour for cls in found.values()] + [style[1] for style in analysis.ENGINE_STYLES.values()]
    assert len(set(colours)) == len(colours)


def test_every_method_of_every_suite_is_runnable_by_name():
    known = set(harness.PRODUCT_METHODS) | set(harness_baselines())
    for suite in SUITES.values():
        for model in suite.models:
            for spec in model.methods:
                assert spec.method in known, (suite.name, model.name, spec.method)


def test_unknown_and_missing_methods_are_skipped_with_a_reason():
    available, reason = harness._method_available("nope")
    assert not available and "unknown method 'nope'" in reason and "kernelshap" in reason
    absent = HarnessInfo(method="x", runner="per_sequence", label="X", colour="#000", needs=("no_such_module_xyz", "pip install xyz"))
    assert absent.missing() == "no_such_module_xyz is not installed (pip install xyz)"
    assert HarnessInfo(method="y", runner="per_sequence", label="Y", colour="#000").missing() is None


def test_a_setting_is_described_by_its_template_or_by_label_and_settings():
    info = baselines.KernelSHAP.harness
    assert info.description({"nsamples": 2048, "background_size": 50}) == "KernelSHAP, 2,048 coalitions x 50 background"
    assert info.description({"nsamples": 64}) == "KernelSHAP (nsamples=64)"
    plain = HarnessInfo(method="z", runner="amortized", label="Z", colour="#000")
    assert plain.description({"a": 1}) == "Z"


class EnumeratedSHAP(ExactSHAP):
    """Exact SHAP values declared as a per-sequence harness method (a stand-in for a new baseline)."""

    name = "enumerated"
    harness = HarnessInfo(
        method="enumerated", runner="per_sequence", label="Enumerated", colour="#123456", marker="s",
        describe="Enumerated ({background})", warm_up=({"background": "uniform"},),
    )  # fmt: skip
    warmed: list[dict[str, Any]] = []

    def __init__(self, background: Any = "uniform") -> None:
        super().__init__(background)
        EnumeratedSHAP.warmed.append({"background": background})


@pytest.fixture
def with_new_baseline(monkeypatch):
    registry = {**harness_baselines(), "enumerated": EnumeratedSHAP}
    monkeypatch.setattr(harness, "harness_baselines", lambda: registry)
    monkeypatch.setattr(analysis, "harness_baselines", lambda: registry)
    EnumeratedSHAP.warmed.clear()
    return registry


def test_a_new_baseline_runs_by_its_protocol_without_editing_the_harness(with_new_baseline, tmp_path):
    pytest.importorskip("matplotlib", reason="the harness figures need matplotlib")
    suite = Suite(
        name="new-baseline",
        n_explain=3,
        interaction_sequences=2,
        models=(
            ModelSpec(
                "synthetic_sparse",
                {"seq_length": 5, "n_terms": 6, "max_degree": 2},
                (MethodSpec("exact", {}), MethodSpec("enumerated", {"background": "uniform"})),
            ),
        ),
    )
    run = harness.run_suite(suite, tmp_path, progress=False, log=lambda message: None)
    assert run["failed"] == 0 and run["computed"] == 3  # reference, exact, enumerated
    assert EnumeratedSHAP.warmed, "the warm-up ran the new baseline"
    cells = harness.load_cells(tmp_path, suite.models[0])
    cell = cells["enumerated-backgrounduniform"]
    model = model_zoo.load_model("synthetic_sparse", random_state=suite.seed, seq_length=5, n_terms=6, max_degree=2)
    direct = ExactSHAP().explain(
        model.function.predict, cells["model"]["arrays"]["X"][:1], seq_length=5, alphabet=model.alphabet
    )
    assert cell["status"] == "ok" and cell["per_sequence_queries"] == direct.n_model_queries
    # The values are exact, so they match the reference (the true spectrum) to round-off.
    np.testing.assert_allclose(cell["arrays"]["values"], cells["reference"]["arrays"]["values"], atol=1e-9)
    assert analysis._pretty(cell) == "Enumerated (uniform)"
    assert analysis.curve_styles()["enumerated"] == ("Enumerated", "#123456", "s")

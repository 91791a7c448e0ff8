"""Pairwise interaction accuracy of every stored sketch on the protein models without an exact reference.

The harness scores interactions only where an exact reference exists (synthetic models,
the GB1 landscape). For the GB1 network and Sapiens this script estimates the pairwise
k-SII (at order 2 the SII of each pair) of the harness's interaction sequences (the
first 5 explained sequences of the protein suite) by unbiased Monte Carlo
(:class:`baselines.montecarlo.MonteCarloPairInteractions`), and scores the order-2
interactions that every stored SHAP zero cell of ``results/harness/cells`` computed on
those sequences. On the GB1 landscape the same estimator is checked against the exact
values.

Accuracy is the pair NMSE ``sum (est - ref)^2 / sum ref^2`` and the pair Pearson. The
reference has noise of its own; its "floor" ``sum se^2 / sum ref^2`` is what a perfect
sketch would score, and because the reference's noise is independent of the sketch,
``(sum (est - ref)^2 - sum se^2) / (sum ref^2 - sum se^2)`` is an unbiased estimate of
the NMSE against the true values (the "corrected" column).

Run (the references are stored next to the cells and reused)::

    PYTHONPATH=. python -m benchmarks.protein_interactions

Writes ``results/protein_interactions.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import shap_zero as sz
from baselines.montecarlo import MonteCarloPairInteractions
from benchmarks import harness, model_zoo
from benchmarks.harness import machine_with_load
from benchmarks.metrics import noise_corrected_nmse
from benchmarks.suites import SUITES

#: Permutations per sequence: the GB1 network answers about 10^5 queries per second,
#: Sapiens about 460 (each permutation costs 2 n - 1 = 47 queries).
PERMUTATIONS = {"gb1_landscape": 20_000, "gb1_mlp": 20_000, "sapiens_vh": 400}
REFERENCE_NAME = "reference-pair-interactions"
#: Sketches beyond the suite's budgets, fitted here (not stored as cells): how many queries
#: the pairs of the GB1 network need (it answers about 10^5 queries per second).
LARGER_BUDGETS = {"gb1_mlp": [("hybrid", 1_000_000), ("hybrid", 4_000_000)]}


def pair_reference(name: str, cells: Path, permutations: int, seed: int) -> dict | None:
    """The stored Monte Carlo pair reference of a model, computed first when missing or stale."""
    available, reason = model_zoo.model_available(name)
    if not available:
        print(f"{name} skipped: {reason}")
        return None
    model = model_zoo.load_model(name)
    suite = SUITES["protein"]
    X = harness._sequences(model, suite.n_explain, suite.seed, 1)[: suite.interaction_sequences]
    path = cells / name / f"{REFERENCE_NAME}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            if int(stored["permutations"]) == permutations and np.array_equal(stored["X"], X):
                return {key: stored[key] for key in stored.files} | {"name": name}
    function = model.function.predict if isinstance(model.function, sz.FourierSketch) else model.function
    estimator = MonteCarloPairInteractions(permutations)
    started = time.perf_counter()
    values = estimator.explain(
        function, X, seq_length=model.seq_length, alphabet=model.alphabet, random_state=seed
    )
    record = {"values": values, "standard_errors": estimator.standard_errors_, "X": X,
              "permutations": np.int64(permutations), "queries": np.int64(estimator.n_model_queries_),
              "seconds": np.float64(time.perf_counter() - started)}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **record)
    return record | {"name": name}


def score(estimate: np.ndarray, reference: dict) -> dict:
    """Pair NMSE (raw and corrected for the reference's noise) and Pearson of one sketch."""
    truth = reference["values"]
    # A sketch without pair terms gives constant zeros: its Pearson is undefined (None), its NMSE 1.
    pearson = float(np.corrcoef(estimate.ravel(), truth.ravel())[0, 1]) if np.ptp(estimate) > 0 else None
    errors = noise_corrected_nmse(estimate, truth, reference["standard_errors"])
    return {"nmse": errors["nmse"], "corrected_nmse": errors["corrected_nmse"], "pearson": pearson}


def model_rows(reference: dict, cells: Path) -> list[dict]:
    name = reference["name"]
    n = reference["X"].shape[1]
    rows = []
    exact_file = cells / name / "reference.npz"
    with np.load(exact_file, allow_pickle=False) as stored:
        exact = stored["interactions"][:, n:] if "interactions" in stored.files else None
    if exact is not None:  # the estimator itself, against the exact values
        rows.append(
            {
                "model": name,
                "cell": "the exact values (a check of the Monte Carlo estimator)",
                **score(exact, reference),
            }
        )
    cell_rows = []
    for record_file in (cells / name).glob("shap_zero-*.json"):
        record = json.loads(record_file.read_text())
        arrays_file = record_file.with_suffix(".npz")
        if record.get("status") != "ok" or not arrays_file.exists():
            continue
        with np.load(arrays_file, allow_pickle=False) as stored:
            pairs = stored["interactions"][:, n:]
        settings = record["settings"]
        cell_rows.append({"model": name, "cell": f"{settings.get('method')}, budget {settings.get('budget'):,}", "method": settings.get("method"),
                          "budget": settings.get("budget"), "queries": record["one_time_queries"], **score(pairs, reference)})  # fmt: skip
    for method, budget in LARGER_BUDGETS.get(name, []):
        cell_rows.append(larger_budget_row(name, method, budget, reference))
    return rows + sorted(cell_rows, key=lambda row: (str(row["method"]), row["budget"] or 0))


def larger_budget_row(name: str, method: str, budget: int, reference: dict) -> dict:
    """Fit one sketch as the harness does (uniform background, the suite's seed) and score its pairs."""
    model = model_zoo.load_model(name)
    n = model.seq_length
    explainer = sz.ZeroExplainer(model.function, alphabet=model.alphabet, seq_length=n, method=method,
                                 budget=budget, random_state=SUITES["protein"].seed)  # fmt: skip
    started = time.perf_counter()
    explainer.fit()
    seconds = time.perf_counter() - started
    pairs = harness._dense_interactions(
        explainer.interactions(
            reference["X"], index=harness.INTERACTION_INDEX, order=harness.INTERACTION_ORDER
        ),
        n,
    )[:, n:]
    print(f"{name} {method} budget {budget:,}: {explainer.n_queries_:,} queries, fit {seconds:.1f} s")
    return {"model": name, "cell": f"{method}, budget {budget:,} (fitted here)", "method": method, "budget": budget,
            "queries": int(explainer.n_queries_), **score(pairs, reference)}  # fmt: skip


def write(record: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=1))
    machine = record["machine"]
    lines = [
        f"Pairwise k-SII (order 2) of the protein suite's 5 interaction sequences against an unbiased Monte Carlo "
        f"reference (`PYTHONPATH=. python -m benchmarks.protein_interactions`, {machine['when']}, {machine['cpu']}, "
        f"commit {machine['git_commit']}). The sketches are the stored cells of `results/harness/cells` and, marked 'fitted here', larger budgets; "
        '"corrected" subtracts the reference\'s own noise (its floor) and is unbiased for the NMSE against the true values.',
        "",
        "| model | reference | its floor (NMSE of the truth) |",
        "|---|---|---|",
    ]
    for ref in record["references"]:
        lines.append(f"| {ref['model']} | {ref['permutations']:,} permutations per sequence, {ref['queries']:,} queries, "
                     f"{ref['seconds']:.0f} s | {ref['floor']:.3g} |")  # fmt: skip
    lines += [
        "",
        "| model | sketch | queries | pair NMSE | corrected | pair Pearson |",
        "|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        sketch = row["cell"]
        queries = f"{row['queries']:,}" if "queries" in row else "-"
        pearson = "- (no pairs)" if row["pearson"] is None else f"{row['pearson']:.3f}"
        lines.append(
            f"| {row['model']} | {sketch} | {queries} | {row['nmse']:.3g} | {row['corrected_nmse']:.3g} | {pearson} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(PERMUTATIONS))
    parser.add_argument("--cells", type=Path, default=Path("results/harness/cells"))
    parser.add_argument("--out", type=Path, default=Path("results/protein_interactions"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    references, rows = [], []
    for name in args.models:
        reference = pair_reference(name, args.cells, PERMUTATIONS[name], args.seed)
        if reference is None:
            continue
        floor = float(np.sum(reference["standard_errors"] ** 2) / np.sum(reference["values"] ** 2))
        references.append({"model": name, "permutations": int(reference["permutations"]),
                           "queries": int(reference["queries"]), "seconds": float(reference["seconds"]), "floor": floor})  # fmt: skip
        rows += model_rows(reference, args.cells)
    write({"machine": machine_with_load(load), "references": references, "rows": rows}, args.out)


if __name__ == "__main__":
    main()

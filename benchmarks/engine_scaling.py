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
regression, hybrid, auto) at the paper's TIGER budget (3,981,312 queries, n = 26, q = 4) to a
synthetic model of every term of degree <= 2 plus 40 random triples (table look-ups, so
model time is small), once as it is and once with a tail that holds 30% of the variance
(a fixed hashed Gaussian per sequence, as real models have a tail outside any low-degree
class, and the solvers stop on the statistical error it leaves), then the hybrid and auto
on that model with every other triple added, weak (where searching on part of the rows
costs power), and writes
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

engine_name, tail, weak = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
options = {} if sys.argv[4] == "default" else {"search_rows": None}
n, q = 26, 4
rng = np.random.default_rng(0)
triples = sorted({tuple(sorted(rng.choice(n, 3, replace=False))) for _ in range(40)})
blocks = bl.blocks_up_to(n, 2) + triples
if weak > 0:  # every other triple too, each with tables of scale `weak`
    blocks += [block for block in bl.blocks_up_to(n, 3) if len(block) == 3 and block not in set(triples)]
basis = bl.BlockBasis(blocks, n, q)
strong = set(triples)
scale = np.array([1.0 if len(b) == 1 else 0.3 if len(b) == 2 or b in strong else weak for b in basis.blocks])
tables = basis.project(rng.normal(size=basis.n_entries)) * np.repeat(scale, q ** basis.degrees)
probe = rng.integers(0, q, size=(20_000, n), dtype=np.uint8)
signal = basis.predict(bl.Rows(probe), 0.0, tables)
tail_sd = signal.std() * np.sqrt(tail / (1 - tail))

def model(codes):
    out = basis.predict(bl.Rows(codes), 0.0, tables)
    return out + tail_sd * hashed_normal(codes, 7) if tail > 0 else out

# Warm-up, untimed: large enough that the parallel kernels run (and compile) too.
sz.make_engine(engine_name, budget=100_000, random_state=1, n_validation=0).fit(model, seq_length=n, alphabet=q)
engine = sz.make_engine(engine_name, budget=3_981_312, random_state=0, **options).fit(model, seq_length=n, alphabet=q)
report = engine.report_
output = report.outputs[0]
details = output.details
signal_nmse = float(np.mean((engine.sketch_.predict(probe) - signal) ** 2) / signal.var())
print(json.dumps({
    "engine": engine_name, "tail": tail, "weak_triples": weak, "search_rows": sys.argv[4], "n": n, "q": q,
    "queries": report.n_model_queries, "true_blocks": len(basis),
    "blocks": details.get("blocks_per_degree", details.get("n_blocks")),
    "n_terms": output.n_terms, "iterations": details.get("iterations"), "fit_seconds": output.fit_seconds,
    "model_seconds": report.model_seconds, "held_out_r2": output.r2, "signal_nmse": signal_nmse,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

#: (engine, tail, weak-triple scale, search rows) of every TIGER case: every engine on the
#: model as it is and with a tail; then a model whose tail is every other triple, weak,
#: where the hybrid's search on part of the rows gives up power (default against all rows).
TIGER_CASES = tuple(
    (name, tail, 0.0, "default") for tail in (0.0, 0.3) for name in ("qsft", "regression", "hybrid", "auto")
) + (("hybrid", 0.3, 0.03, "default"), ("hybrid", 0.3, 0.03, "all"), ("auto", 0.3, 0.03, "default"))


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
    for name, tail, weak, search_rows in TIGER_CASES:
        arguments = [name, str(tail), str(weak), search_rows]
        result = subprocess.run(
            [sys.executable, "-c", TIGER_CHILD, *arguments], cwd=root, capture_output=True, text=True, check=True
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
        "of 30% of its variance (a hashed Gaussian per sequence); the last rows add every other triple, weak "
        "(tables of scale 0.03 against 0.3), to that model, and compare the hybrid's default search on "
        "1,000,000 of the queries with a search on all of them. Fit time excludes model time and compilation. "
        "Signal NMSE: mean squared difference between the sketch and the model without its hashed tail, over "
        "its variance, on 20,000 uniform random sequences.",
        "",
        "| tail | weak triples | engine | search rows | queries | blocks fitted (per degree) | sketch terms "
        "| solver iterations | fit (s) | model (s) | peak memory (MiB) | held-out R^2 | signal NMSE |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        searched = row["search_rows"] if row["engine"] in ("hybrid", "auto") else ""
        lines.append(
            f"| {row['tail']:.0%} | {'yes' if row['weak_triples'] else 'no'} | {row['engine']} | {searched} | "
            f"{row['queries']:,} | {_blocks_text(row['blocks'])} | "
            f"{row['n_terms']:,} | {row['iterations'] if row['iterations'] is not None else ''} | "
            f"{row['fit_seconds']:.1f} | {row['model_seconds']:.1f} | {row['peak_rss_mib']:.0f} | "
            f"{row['held_out_r2']:.4f} | {row['signal_nmse']:.2g} |"
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

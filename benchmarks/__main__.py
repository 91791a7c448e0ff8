"""Command line of the harness.

Usage::

    python -m benchmarks run --suite quick            # run or resume, then write results
    python -m benchmarks run --suite full --models vienna_mfe
    python -m benchmarks run --suite quick --fresh    # recompute every cell
    python -m benchmarks report --suite quick         # rewrite tables and figures from stored cells

Results go to ``results/harness/``: ``cells/<model>/`` (one JSON + NPZ per method
setting, written as soon as it is done, so an interrupted run resumes; shared by the
suites, so the full suite reuses the quick suite's cells; a cell is recomputed when the
model's outputs changed) and ``<suite>/``: ``summary.json``, ``summary.md``,
``last_run.json`` (machine, versions, run time) and the figures
``engines_cost_accuracy.png`` (every sketch engine's NMSE against its queries, with
KernelSHAP and FastSHAP), ``amortized_cost.png``, ``accuracy_vs_budget.png`` and
``example_explanations.png``. ``run`` and ``report`` also replace the suite's results
block in README.md (quick suite) and docs/benchmarks.md (both suites), and its
best-engine block (``<!-- engines-table:<suite>:start -->``) where those files have one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks.analysis import write_outputs
from benchmarks.harness import run_suite
from benchmarks.suites import SUITES

ROOT = Path(__file__).resolve().parent.parent
#: Files with a results block of each suite (``<!-- harness-table:<suite>:start -->``).
DOCS = {
    "quick": (ROOT / "README.md", ROOT / "docs" / "benchmarks.md"),
    "full": (ROOT / "docs" / "benchmarks.md",),
    "protein": (ROOT / "docs" / "benchmarks.md",),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="shap_zero benchmarking harness")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("run", "run (or resume) a suite, then write results"), ("report", "rewrite results from stored cells")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--suite", choices=sorted(SUITES), default="quick")
        command.add_argument("--out", type=Path, default=ROOT / "results" / "harness", help="results root")
        command.add_argument("--no-docs", action="store_true", help="do not update README.md and docs/benchmarks.md")
        if name == "run":
            command.add_argument("--models", nargs="+", help="only these models of the suite")
            command.add_argument("--methods", nargs="+", help="only these methods (e.g. shap_zero kernelshap; 'reference' for the reference values)")
            command.add_argument("--fresh", action="store_true", help="recompute cells that are already stored")
            command.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    suite = SUITES[args.suite]
    start = time.perf_counter()
    if args.command == "run":
        run = run_suite(
            suite, args.out, models=args.models, methods=args.methods, fresh=args.fresh, progress=not args.quiet
        )
        print(
            f"suite {suite.name}: {run['computed']} cells computed, {run['reused']} reused, "
            f"{run['skipped']} skipped, {run['failed']} failed in {run['seconds']:.0f} s"
        )
    docs = [] if args.no_docs else list(DOCS.get(suite.name, ()))
    write_outputs(suite, args.out, docs=docs)
    folder = args.out / suite.name
    print((folder / "summary.md").read_text())
    print(f"wrote {folder} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak working memory of the attribution engine as the number of sequences grows.

Run with ``python -m benchmarks.attribution_memory [--function shap|pairs|fsii]``. Each N runs in a fresh
subprocess, which reports its peak resident memory (``ru_maxrss``) after computing
SHAP values of N random sequences with a TIGER-scale sketch into a preallocated output
(``out=``). Working memory is the growth of the peak during the call, after the input
codes (N x 26 bytes) and the output (N x 26 float64) were already resident: what the
engine itself allocated on the way. Flat working
memory across N means the engine chunks its work. Results go to
``results/attribution_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
from pathlib import Path

CHILD = """
import resource, sys, time
import numpy as np
import shap_zero as sz
from benchmarks.workloads import tiger_scale_sketch, TIGER_N
n_sequences = int(sys.argv[1])
sketch = tiger_scale_sketch()
sz.shapley_values(sketch, np.zeros((10, TIGER_N), dtype=np.uint8))  # compile outside the measurement
rng = np.random.default_rng(1)
codes = np.empty((n_sequences, TIGER_N), dtype=np.uint8)
for start in range(0, n_sequences, 1_000_000):  # fill in slices: no int64 temporary of size N
    stop = min(start + 1_000_000, n_sequences)
    codes[start:stop] = rng.integers(0, 4, size=(stop - start, TIGER_N), dtype=np.uint8)
function = sys.argv[2]
if function == "shap":
    shape, call = (n_sequences, TIGER_N), lambda out: sz.shapley_values(sketch, codes, out=out)
elif function == "pairs":
    sz.shap_interaction_values(sketch, codes[:10])
    shape, call = (n_sequences, TIGER_N, TIGER_N), lambda out: sz.shap_interaction_values(sketch, codes, out=out)
else:
    width = len(sz.interaction_values(sketch, codes[:10], index="FSII", order=2).subsets)
    shape = (n_sequences, width)
    call = lambda out: sz.interaction_values(sketch, codes, index="FSII", order=2, out=out)
out = np.empty(shape)
out[:] = 0.0  # touch the output pages so they count before the call
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
call(out)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, peak, seconds, out.nbytes)
"""


def measure(n_sequences: int, function: str = "shap") -> dict:
    """Run one subprocess and return its memory figures in MiB."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_sequences), function], cwd=root, capture_output=True, text=True, check=True
    )
    before_kib, peak_kib, seconds, output_bytes = result.stdout.split()
    output_mib = int(output_bytes) / 2**20
    grown_mib = (int(peak_kib) - int(before_kib)) / 1024
    return {
        "function": function,
        "n_sequences": n_sequences,
        "peak_rss_mib": int(peak_kib) / 1024,
        "rss_before_call_mib": int(before_kib) / 1024,
        "output_mib": output_mib,
        # The output was touched before the call, so growth during the call is working memory.
        "working_memory_mib": grown_mib,
        "seconds": float(seconds),
        "microseconds_per_sequence": float(seconds) / n_sequences * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="default 10^5, 10^6, 10^7 (shap) or 10^4, 10^5, 3 x 10^5 (pairs, fsii)")
    parser.add_argument("--function", choices=["shap", "pairs", "fsii"], default="shap",
                        help="SHAP values, pairwise (N, n, n) matrices or order-2 FSII values, each into out=")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    sizes = args.sizes or ([100_000, 1_000_000, 10_000_000] if args.function == "shap" else [10_000, 100_000, 300_000])
    if args.out is None:
        suffix = "" if args.function == "shap" else f"_{args.function}"
        args.out = Path(f"results/attribution_memory{suffix}.json")
    rows = []
    for size in sizes:
        row = measure(size, args.function)
        rows.append(row)
        print(
            f"N={size:>10,}: working memory {row['working_memory_mib']:7.1f} MiB "
            f"(output {row['output_mib']:8.1f} MiB, peak RSS {row['peak_rss_mib']:8.1f} MiB), "
            f"{row['microseconds_per_sequence']:.3f} us/sequence"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": "attribution_memory",
        "command": f"python -m benchmarks.attribution_memory --function {args.function}",
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": _cpus()},
        "python": sys.version.split()[0],
        "peak_rss_kib_of_parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rows": rows,
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    main()

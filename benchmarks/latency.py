"""Latency of explaining at every call size, and throughput against the NumPy reference.

Run with ``python -m benchmarks.latency`` (add ``--busy`` to keep one core busy with a
spinning process during the run, as on a shared machine). For a sketch the size of the
paper's TIGER sketch (``benchmarks/workloads.py``) it reports, for calls of 1, 10,
1,000 and 100,000 sequences, the median wall time of many calls after a warm-up (201
for calls of up to 10 sequences, whose microseconds are noisy; 7 for larger ones) of:

- the bare kernels (serial and parallel, called directly with prepared arrays), the
  floor of any call;
- ``sz.shapley_values``, ``ZeroExplainer.__call__`` (and the construction of the
  ``shap.Explanation`` alone, which is shap's cost), ``FourierSketch.predict``, and
  ``ZeroExplainer.interactions`` of order 2 for FSII and k-SII;

and, at 100,000 sequences, the SHAP values and pairwise matrices against
``benchmarks/numpy_reference.py`` measured in the same run: the ratio is the headline,
since absolute times move with the machine's load. The load average before and after
is recorded. Results go to ``results/latency[_busy].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shap

import shap_zero as sz
from benchmarks.harness import machine_info
from benchmarks.numpy_reference import NumpyClosedForm
from benchmarks.workloads import random_codes, tiger_scale_sketch
from shap_zero._config import BLOCK_ROWS
from shap_zero._kernels import attribution as kernels
from shap_zero.attribution.engine import _uniform_args

SIZES = (1, 10, 1000, 100_000)
REPEATS = 7


def median_seconds(function: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _spin() -> None:  # pragma: no cover - runs in a child process
    while True:
        pass


def own_share(explainer: sz.ZeroExplainer, X: np.ndarray, kernel: Callable[[], object], blocks: int = 5) -> float:
    """Seconds of ``explainer(X)`` that are the library's own.

    ``shap.Explanation`` is replaced by a stub that takes its arguments and does nothing,
    and the call is timed alternately with the bare serial kernel, so that a change of
    load hits both; in each of ``blocks`` blocks of 401 pairs the difference of the two
    medians is taken, and the smallest is returned (the machine's quietest block: load
    only ever adds time).
    """
    import types

    import shap_zero.explainer as module

    real = module.shap
    module.shap = types.SimpleNamespace(Explanation=lambda *args, **kwargs: None)
    try:
        for _ in range(200):  # warm-up
            explainer(X)
            kernel()
        differences = []
        for _ in range(blocks):
            calls, kernels_only = [], []
            for _ in range(401):
                started = time.perf_counter()
                explainer(X)
                middle = time.perf_counter()
                kernel()
                calls.append(middle - started)
                kernels_only.append(time.perf_counter() - middle)
            differences.append(float(np.median(calls) - np.median(kernels_only)))
    finally:
        module.shap = real
    return min(differences)


def measure() -> dict:
    """Every row of the latency table and the throughput comparison, in seconds."""
    sketch = tiger_scale_sketch()
    explainer = sz.ZeroExplainer(sketch)
    arrays = sketch.spectrum_arrays()
    args = _uniform_args(arrays)
    rows = []
    for size in SIZES:
        repeats = 201 if size <= 10 else REPEATS
        X = random_codes(size)
        out = np.empty((size, sketch.n))
        values = sz.shapley_values(sketch, X)
        base = np.full(size, sz.expected_value(sketch))
        small = size <= 1000  # the interaction results of 10^5 sequences take minutes
        row = {
            "sequences": size,
            "kernel_serial": median_seconds(lambda: kernels.shapley_uniform_serial(X, *args, BLOCK_ROWS, out), repeats),
            "kernel_parallel": median_seconds(lambda: kernels.shapley_uniform(X, *args, BLOCK_ROWS, out), repeats),
            "shapley_values": median_seconds(lambda: sz.shapley_values(sketch, X), repeats),
            "explainer_call": median_seconds(lambda: explainer(X), repeats),
            "explainer_own": own_share(explainer, X, lambda: kernels.shapley_uniform_serial(X, *args, BLOCK_ROWS, out))
            if size <= 10
            else None,
            "shap_explanation_alone": median_seconds(
                lambda: shap.Explanation(values, base_values=base, data=X, feature_names=list(explainer.feature_names)),
                repeats,
            ),
            "predict": median_seconds(lambda: sketch.predict(X), repeats),
            "interactions_fsii": median_seconds(lambda: explainer.interactions(X, index="FSII", order=2), repeats)
            if small
            else None,
            "interactions_ksii": median_seconds(lambda: explainer.interactions(X, index="k-SII", order=2), repeats)
            if small
            else None,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    X = random_codes(100_000)
    reference = NumpyClosedForm(sketch)
    throughput = {
        "sequences": 100_000,
        "shap_values_numba": median_seconds(lambda: sz.shapley_values(sketch, X), 5),
        "shap_values_numpy": median_seconds(lambda: reference.shapley_values(X), 5),
        "pairwise_numba": median_seconds(lambda: sz.shap_interaction_values(sketch, X), 3),
        "pairwise_numpy": median_seconds(lambda: reference.shap_interaction_values(X), 3),
    }
    return {"rows": rows, "throughput": throughput}


def _us(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    value = seconds * 1e6
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def render(result: dict) -> str:
    """The Markdown tables of a result."""
    machine = result["machine"]
    lines = [
        f"Latency (`python -m benchmarks.latency{' --busy' if result['busy'] else ''}`, {machine['date']}, "
        f"commit {machine['git_commit']}, "
        f"{machine['cpu']}, {machine['cpus']} logical CPUs, numba threads {machine['numba_threads']}; "
        f"1-minute load average {result['load_before'][0]:.2f} before, {result['load_after'][0]:.2f} after"
        f"{'; one core kept busy by a spinning process' if result['busy'] else ''}). "
        "TIGER-sized sketch (n = 26, 252 coefficients); median of 201 calls (up to 10 sequences) or 7 after a warm-up, "
        "in microseconds per call. The explainer's own overhead is `explainer(X)` with `shap.Explanation` replaced by "
        "a stub, minus the bare serial kernel, the two timed alternately so that load hits both (the smallest of 5 "
        "blocks of 401 pairs, each the difference of the medians):",
        "",
        "| sequences per call | bare kernel, serial | bare kernel, parallel | `shapley_values` | overhead over the faster kernel "
        "| `explainer(X)` | of which `shap.Explanation` | `explainer(X)`'s own overhead | `predict` "
        "| interactions FSII, order 2 | k-SII, order 2 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        floor = min(row["kernel_serial"], row["kernel_parallel"])
        lines.append(
            f"| {row['sequences']:,} | {_us(row['kernel_serial'])} | {_us(row['kernel_parallel'])} | "
            f"{_us(row['shapley_values'])} | {_us(row['shapley_values'] - floor)} | {_us(row['explainer_call'])} | "
            f"{_us(row['shap_explanation_alone'])} | {_us(row.get('explainer_own'))} | {_us(row['predict'])} | "
            f"{_us(row['interactions_fsii'])} | "
            f"{_us(row['interactions_ksii'])} |"
        )
    t = result["throughput"]
    per = 1e6 / t["sequences"]
    lines += [
        "",
        f"Throughput at {t['sequences']:,} sequences per call, against the NumPy reference in the same run:",
        "",
        "| quantity | shap_zero (numba) | NumPy reference | speed-up |",
        "|---|---|---|---|",
        f"| SHAP values | {t['shap_values_numba'] * per:.3f} us / sequence | {t['shap_values_numpy'] * per:.3f} us / sequence "
        f"| {t['shap_values_numpy'] / t['shap_values_numba']:.1f}x |",
        f"| pairwise (N, n, n) matrices | {t['pairwise_numba'] * per:.2f} us / sequence | "
        f"{t['pairwise_numpy'] * per:.2f} us / sequence | {t['pairwise_numpy'] / t['pairwise_numba']:.1f}x |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a spinning process")
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    import numba

    info = machine_info()
    machine = {
        "cpu": info["cpu"],
        "cpus": info["logical_cpus"],
        "numba_threads": numba.get_num_threads(),
        "git_commit": info["git_commit"],
        "date": info["date"],
    }
    spinner = None
    if args.busy:
        spinner = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
        spinner.start()
        time.sleep(2.0)
    try:
        load_before = os.getloadavg()
        result = measure()
        load_after = os.getloadavg()
    finally:
        if spinner is not None:
            spinner.terminate()
            spinner.join()
    result.update(machine=machine, busy=args.busy, load_before=load_before, load_after=load_after)
    suffix = "_busy" if args.busy else ""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"latency{suffix}.json").write_text(json.dumps(result, indent=1))
    text = render(result)
    (args.out / f"latency{suffix}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

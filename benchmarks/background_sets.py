"""SHAP values under a background set of B sequences: table lookup against the direct closed form and NumPy.

Run with ``python -m benchmarks.background_sets``. For a sketch the size of the paper's
TIGER sketch (``benchmarks/workloads.py``) and backgrounds of B = 10, 100 and 1,000
random sequences it measures, in one run on one machine:

- the library's ``sz.shapley_values`` in steady state (its support tables built, as
  after the first large call; ``attribution/tables.py``), per sequence;
- the one-off cost of building those tables;
- the direct closed form the tables replace (the mixture kernel on every term and
  component), per sequence;
- ``benchmarks/numpy_reference.NumpyMixtureClosedForm``, the NumPy twin, per sequence;
- for interactions, ``sz.mobius_coefficients`` up to order 2 (tables built) against
  the direct Möbius kernel, and ``sz.interaction_values`` for FSII of order 2.

Every path is checked to agree with the NumPy twin to 1e-9. Ratios against the twin are
the headline; absolute times move with the machine's load, which is recorded. Results
go to ``results/background_sets.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

import shap_zero as sz
from benchmarks.harness import best_seconds, machine_with_load
from benchmarks.numpy_reference import NumpyMixtureClosedForm
from benchmarks.workloads import random_codes, tiger_scale_sketch
from shap_zero._kernels import attribution as kernels
from shap_zero.attribution import tables as tb
from shap_zero.attribution.engine import _cached_layout, _mixture_arguments, _spectrum_args

BACKGROUND_SIZES = (10, 100, 1000)
N_SEQUENCES = 20_000
N_NUMPY = 200


def measure(size: int) -> dict:
    """Per-sequence seconds of every path for a background of ``size`` sequences."""
    sketch = tiger_scale_sketch()
    X = random_codes(N_SEQUENCES, seed=2)
    background = sz.Background.sequences(random_codes(size, seed=3), 4)
    arrays = sketch.spectrum_arrays()
    mixture = _mixture_arguments(background, sketch.max_degree)
    twin = NumpyMixtureClosedForm(sketch, background)
    reference = twin.shapley_values(X[:N_NUMPY])

    def direct(rows: np.ndarray) -> np.ndarray:
        out = np.empty(rows.shape)
        kernels.shapley_mixture(rows, *_spectrum_args(arrays), arrays.roots, *mixture, sketch.max_degree, out)
        return out

    direct(X[:10])  # compile
    n_direct = max(200, N_SEQUENCES // size)
    direct_seconds = best_seconds(lambda: direct(X[:n_direct])) / n_direct
    sz.shapley_values(sketch, X[:10], background=background)  # compile the rest
    build_seconds = best_seconds(lambda: tb.build_support_tables(sketch, arrays, background, mixture))
    sz.shapley_values(sketch, X, background=background)  # the ledger now holds the tables
    ledger = tb._LEDGERS[sketch][id(background)]
    assert "shapley" in ledger.tables
    library_seconds = best_seconds(lambda: sz.shapley_values(sketch, X, background=background)) / N_SEQUENCES
    numpy_seconds = best_seconds(lambda: twin.shapley_values(X[:N_NUMPY]), repeats=1) / N_NUMPY
    # Interactions: the Möbius coefficients up to order 2 (what the tables replace), and FSII.
    subsets, subset_column = _cached_layout("mixture", sketch, 2)

    def direct_mobius(rows: np.ndarray) -> np.ndarray:
        out = np.empty((rows.shape[0], len(subsets)))
        kernels.mobius_mixture(rows, *_spectrum_args(arrays), arrays.roots, mixture[0], mixture[1], subset_column, out)
        return out

    direct_mobius(X[:10])
    mobius_direct_seconds = best_seconds(lambda: direct_mobius(X[:n_direct])) / n_direct
    n_pairs = N_SEQUENCES // 4
    sz.mobius_coefficients(sketch, X[:n_pairs], background=background, max_order=2)  # builds its tables
    assert "mobius" in ledger.tables
    mobius_seconds = best_seconds(lambda: sz.mobius_coefficients(sketch, X[:n_pairs], background=background,
                                                              max_order=2)) / n_pairs  # fmt: skip
    fsii_seconds = best_seconds(lambda: sz.interaction_values(sketch, X[:n_pairs], background=background, index="FSII",
                                                          order=2)) / n_pairs  # fmt: skip
    by_tables = sz.mobius_coefficients(sketch, X[:N_NUMPY], background=background, max_order=2)
    columns = [by_tables.subsets.index(subset) for subset in subsets]
    mobius_agreement = float(np.abs(by_tables.values[:, columns] - direct_mobius(X[:N_NUMPY])).max())
    assert mobius_agreement < 1e-9, mobius_agreement
    library = sz.shapley_values(sketch, X[:N_NUMPY], background=background)
    agreement = max(float(np.abs(library - reference).max()), float(np.abs(direct(X[:N_NUMPY]) - reference).max()))
    assert agreement < 1e-9, agreement
    return {
        "background_sequences": size, "components": background.n_components, "terms": int(sketch.n_terms),
        "tabulated_supports": ledger.tables["shapley"].n_supports, "direct_terms": int(ledger.tables["shapley"].residual.size),
        "library_us": library_seconds * 1e6, "build_ms": build_seconds * 1e3, "direct_us": direct_seconds * 1e6,
        "numpy_us": numpy_seconds * 1e6, "max_abs_difference": agreement,
        "mobius_us": mobius_seconds * 1e6, "mobius_direct_us": mobius_direct_seconds * 1e6,
        "fsii_us": fsii_seconds * 1e6, "mobius_max_abs_difference": mobius_agreement,
    }  # fmt: skip


def table(rows: list[dict], machine: dict) -> str:
    lines = [
        f"SHAP values under a background set (`python -m benchmarks.background_sets`, {machine['when']}): a sketch "
        f"the size of the paper's TIGER sketch (n = 26, q = 4, {rows[0]['terms']} terms), {N_SEQUENCES:,} random "
        f"sequences, backgrounds of B random sequences; best of 3 runs (NumPy: {N_NUMPY} sequences, 1 run). "
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, commit {machine['git_commit']}, load average {machine['load_before']} before and "
        f"{machine['load_after']} after. All paths agree with the NumPy twin to 1e-9.",
        "",
        "| B | library (us/seq) | tables built once (ms) | direct closed form (us/seq) | NumPy twin (us/seq) "
        "| library vs NumPy | library vs direct |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['background_sequences']:,} | {row['library_us']:.2f} | {row['build_ms']:.1f} | "
            f"{row['direct_us']:.1f} | {row['numpy_us']:.0f} | {row['numpy_us'] / row['library_us']:,.0f}x | "
            f"{row['direct_us'] / row['library_us']:,.0f}x |"
        )
    lines += [
        "",
        "Interactions under the same backgrounds: the Möbius coefficients up to order 2 (from which every "
        "interaction index follows; `sz.mobius_coefficients`, tables built) against the direct closed form, and "
        "the whole of `sz.interaction_values(..., index=\"FSII\", order=2)`, per sequence "
        f"({N_SEQUENCES // 4:,} sequences; both paths agree to 1e-9).",
        "",
        "| B | Möbius, library (us/seq) | Möbius, direct (us/seq) | library vs direct | FSII order 2, library (us/seq) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['background_sequences']:,} | {row['mobius_us']:.1f} | {row['mobius_direct_us']:.1f} | "
            f"{row['mobius_direct_us'] / row['mobius_us']:,.0f}x | {row['fsii_us']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows = [measure(size) for size in BACKGROUND_SIZES]
    machine = machine_with_load(load_before)
    (args.out / "background_sets.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    text = table(rows, machine)
    (args.out / "background_sets.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

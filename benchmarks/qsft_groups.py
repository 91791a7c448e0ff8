"""How should q-SFT spend a budget at q = 20: more groups at the same b, or one group at b + 1?

At q = 20 one step of b multiplies a design by 20, so the largest b with C = R = 3
often leaves most of a budget unspent (n = 24, 250,000 queries: b = 2, C = R = 3 is
90,000 points; b = 3 fits only with one group). This script compares, at that n and
budget, the designs a rule could choose:

- b = 2, C = R = 3 (the largest b with two groups or more, as chosen before);
- b = 2 with more groups, C = 8 and R = 3 (the budget filled with groups, today's rule),
  and C = 12, R = 2;
- b = 3 with one group (C = R = 1).

on random sparse spectra (degree <= 3, 20 to 1,500 terms, 2 seeds each, noiseless and
with a hashed noise of 10% of the signal's standard deviation) and, when its data wheel
is installed, on the GB1 fitness network of the zoo (against the harness's stored Monte
Carlo reference). Accuracy is the SHAP-value NMSE on 20 uniform random sequences,
against the exact values of the true spectrum.

Run::

    PYTHONPATH=. python -m benchmarks.qsft_groups

Writes ``results/qsft_groups.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import shap_zero as sz
from benchmarks.harness import machine_with_load
from benchmarks.model_zoo import NoisyFunction

N = 24
ALPHABET = sz.PROTEIN
#: (b, C, R): the designs compared, the first the one chosen before groups were added.
DESIGNS = [(2, 3, 3), (2, 8, 3), (2, 12, 2), (3, 1, 1)]
TERMS = (20, 100, 400, 1500)
NOISE = (0.0, 0.1)
SEEDS = (0, 1)
N_EXPLAIN = 20


def nmse(values: np.ndarray, reference: np.ndarray) -> float:
    """Squared error of the values over the reference's squared norm."""
    return float(np.sum((values - reference) ** 2) / np.sum(reference**2))


def sparse_rows() -> list[dict]:
    rows = []
    explain = np.random.default_rng(5).integers(0, ALPHABET.q, (N_EXPLAIN, N), dtype=np.uint8)
    for terms in TERMS:
        for noise in NOISE:
            for seed in SEEDS:
                truth = sz.random_sparse_sketch(N, ALPHABET.q, terms, max_degree=3, random_state=seed)
                scale = float(np.std(truth.predict(explain)))
                model = NoisyFunction(truth.predict, noise * scale, seed) if noise else truth.predict
                reference = sz.shapley_values(truth, explain)
                for b, groups, repeats in DESIGNS:
                    engine = sz.QSFT(b=b, n_groups=groups, n_repeats=repeats, random_state=seed)
                    engine.fit(model, seq_length=N, alphabet=ALPHABET)
                    row = {"model": "sparse", "terms": terms, "noise": noise, "seed": seed, "b": b, "n_groups": groups,
                           "n_repeats": repeats, "queries": engine.n_queries_,
                           "nmse": nmse(sz.shapley_values(engine.sketch_, explain), reference)}  # fmt: skip
                    rows.append(row)
                    print(row, flush=True)
    return rows


def gb1_rows(cells: Path) -> list[dict]:
    """The zoo's GB1 network against the harness's stored reference (none without the wheel or the cell)."""
    from benchmarks import harness, model_zoo
    from benchmarks.suites import SUITES

    available, reason = model_zoo.model_available("gb1_mlp")
    reference_file = cells / "gb1_mlp" / "reference.npz"
    if not available or not reference_file.exists():
        print(f"gb1_mlp skipped: {reason or f'no stored reference at {reference_file}'}")
        return []
    model = model_zoo.load_model("gb1_mlp")
    suite = SUITES["protein"]
    explain = harness._sequences(model, suite.n_explain, suite.seed, 1)
    reference = np.load(reference_file)["values"]
    rows = []
    for b, groups, repeats in DESIGNS:
        engine = sz.QSFT(b=b, n_groups=groups, n_repeats=repeats, random_state=0)
        engine.fit(model.function, seq_length=model.seq_length, alphabet=model.alphabet)
        row = {"model": "gb1_mlp", "b": b, "n_groups": groups, "n_repeats": repeats, "queries": engine.n_queries_,
               "r2": engine.report_.outputs[0].r2, "nmse": nmse(sz.shapley_values(engine.sketch_, explain), reference)}  # fmt: skip
        rows.append(row)
        print(row, flush=True)
    return rows


def write(record: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2))
    machine = record["machine"]
    header = "| " + " | ".join(f"b={b}, C={c}, R={r}" for b, c, r in DESIGNS) + " |"
    lines = [
        f"q-SFT designs at n = {N}, q = {ALPHABET.q} (`PYTHONPATH=. python -m benchmarks.qsft_groups`, "
        f"{machine['when']}, {machine['cpu']}, commit {machine['git_commit']}). SHAP-value NMSE on "
        f"{N_EXPLAIN} uniform random sequences; in brackets the distinct queries.",
        "",
        "Random sparse spectra (degree <= 3), against their exact values; noise is a hashed Gaussian "
        "of that fraction of the signal's standard deviation:",
        "",
        "| terms | noise | seed " + header,
        "|---|---|---" + "|---" * len(DESIGNS) + "|",
    ]
    sparse = [row for row in record["rows"] if row["model"] == "sparse"]
    for terms in TERMS:
        for noise in NOISE:
            for seed in SEEDS:
                cells = [next(r for r in sparse if (r["terms"], r["noise"], r["seed"], r["b"], r["n_groups"], r["n_repeats"])
                              == (terms, noise, seed, b, c, rr)) for b, c, rr in DESIGNS]  # fmt: skip
                lines.append(f"| {terms} | {noise:g} | {seed} | " + " | ".join(
                    f"{c['nmse']:.2g} ({c['queries']:,})" for c in cells) + " |")  # fmt: skip
    gb1 = [row for row in record["rows"] if row["model"] == "gb1_mlp"]
    if gb1:
        lines += ["", "The zoo's GB1 network (`gb1_mlp`), against the protein suite's Monte Carlo reference:", "",
                  header.replace("| ", "| model | ", 1), "|---" + "|---" * len(DESIGNS) + "|",
                  "| gb1_mlp | " + " | ".join(f"{r['nmse']:.3f} ({r['queries']:,}; R^2 {r['r2']:.2f})" for r in gb1) + " |"]  # fmt: skip
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/qsft_groups"))
    parser.add_argument("--cells", type=Path, default=Path("results/harness/cells"))
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    rows = sparse_rows() + gb1_rows(args.cells)
    record = {"machine": machine_with_load(load), "seconds": time.perf_counter() - started, "rows": rows,
              "designs": DESIGNS, "n": N, "q": ALPHABET.q}  # fmt: skip
    write(record, args.out)


if __name__ == "__main__":
    main()

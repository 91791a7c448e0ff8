"""Explaining at q = 20: SHAP values and interactions per sequence at n = 24, against the NumPy reference.

Run with ``python -m benchmarks.protein_speed``. The sketch is the default engine's
(``auto``, budget 250,000) of the GB1 network shipped with the package
(``shap_zero.examples.gb1_fitness_model``, 24 residues); 20,000 uniform random
sequences are explained by ``sz.shapley_values`` and by
``benchmarks/numpy_reference.NumpyClosedForm`` (the same closed form as NumPy matrix
products) in the same run (best of 3), and 2,000 by ``sz.interaction_values`` (FSII
and k-SII, order 2). Results go to ``results/protein_speed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

import shap_zero as sz
from benchmarks.harness import best_seconds, machine_with_load
from benchmarks.numpy_reference import NumpyClosedForm
from shap_zero.examples import gb1_fitness_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    explainer = sz.ZeroExplainer(gb1_fitness_model(), alphabet=sz.PROTEIN, seq_length=24, budget=250_000,
                                 random_state=0)  # fmt: skip
    sketch = explainer.fit().sketch_
    X = np.random.default_rng(1).integers(0, 20, size=(20_000, 24)).astype(np.uint8)
    reference = NumpyClosedForm(sketch)
    sz.shapley_values(sketch, X[:100])  # compile
    library = best_seconds(lambda: sz.shapley_values(sketch, X)) / X.shape[0]
    numpy_seconds = best_seconds(lambda: reference.shapley_values(X)) / X.shape[0]
    difference = float(np.abs(sz.shapley_values(sketch, X[:2000]) - reference.shapley_values(X[:2000])).max())
    interactions = {}
    for index in ("FSII", "k-SII"):
        sz.interaction_values(sketch, X[:10], index=index, order=2)
        interactions[index] = best_seconds(lambda: sz.interaction_values(sketch, X[:2_000], index=index, order=2)) / 2_000
    machine = machine_with_load(load_before)
    result = {"machine": machine, "terms": sketch.n_terms, "max_degree": sketch.max_degree,
              "queries": explainer.n_queries_, "library_us": library * 1e6, "numpy_us": numpy_seconds * 1e6,
              "max_abs_difference": difference, "interactions_us": {k: v * 1e6 for k, v in interactions.items()}}  # fmt: skip
    (args.out / "protein_speed.json").write_text(json.dumps(result, indent=1))
    text = (
        f"Explaining at q = 20 (`python -m benchmarks.protein_speed`, {machine['date']}, commit {machine['git_commit']}, "
        f"{machine['cpu']}, load average {machine['load_before']} before and {machine['load_after']} after): the auto "
        f"engine's sketch of the built-in GB1 network on 24 residues ({explainer.n_queries_:,} queries; "
        f"{sketch.n_terms:,} terms, max degree {sketch.max_degree}), uniform background.\n\n"
        "| quantity | shap_zero (numba) | NumPy reference | speed-up |\n|---|---|---|---|\n"
        f"| SHAP values, 20,000 sequences | {library * 1e6:.2f} us / sequence | {numpy_seconds * 1e6:.2f} us / sequence | "
        f"{numpy_seconds / library:.1f}x |\n"
        f"| FSII, order 2, 2,000 sequences | {interactions['FSII'] * 1e6:.1f} us / sequence | | |\n"
        f"| k-SII, order 2, 2,000 sequences | {interactions['k-SII'] * 1e6:.1f} us / sequence | | |\n\n"
        f"The two SHAP-value paths agree to {difference:.1e}.\n"
    )
    (args.out / "protein_speed.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

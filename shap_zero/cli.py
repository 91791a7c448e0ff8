"""Command line: ``python -m shap_zero demo`` runs the built-in example end to end."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from shap_zero.alphabet import DNA
from shap_zero.attribution import expected_value, shap_interaction_values, shapley_values
from shap_zero.exact import exact_sketch
from shap_zero.fourier import FourierSketch

__all__ = ["main", "toy_guide_model"]


def toy_guide_model(codes: np.ndarray) -> np.ndarray:
    """A small nonlinear DNA model used by the demo (not a sparse Fourier function).

    A logistic score of GC content, a position-specific preference for G at position
    3 (1-based), a G-then-C dinucleotide at positions 4-5 and a penalty for a T run at
    positions 6-8. Codes follow :data:`shap_zero.DNA` (A=0, C=1, G=2, T=3).

    Parameters
    ----------
    codes : ndarray of shape (N, n), uint8, n >= 8

    Returns
    -------
    ndarray of shape (N,), float64
    """
    codes = np.asarray(codes)
    gc = np.isin(codes, (1, 2)).mean(axis=1)
    score = (
        2.0 * (gc - 0.5)
        + 1.0 * (codes[:, 2] == 2)
        + 1.5 * ((codes[:, 3] == 2) & (codes[:, 4] == 1))
        - 2.0 * ((codes[:, 5] == 3) & (codes[:, 6] == 3) & (codes[:, 7] == 3))
    )
    return 1.0 / (1.0 + np.exp(-score))


def _demo(out_dir: Path, seed: int) -> None:
    n = 8
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"Built-in example: a nonlinear DNA model of length n={n} (shap_zero.cli.toy_guide_model).")
    start = time.perf_counter()
    sketch = exact_sketch(toy_guide_model, seq_length=n, alphabet=DNA)
    sketch_seconds = time.perf_counter() - start
    print(
        f"Exact Fourier sketch from all 4^{n} = {sketch.metadata['n_queries']:,} model queries in "
        f"{sketch_seconds:.2f} s: {sketch.n_terms:,} terms, max degree {sketch.max_degree}."
    )
    sketch_path = out_dir / "toy_model.sketch.npz"
    sketch.save(sketch_path)
    sketch = FourierSketch.load(sketch_path)
    print(f"Saved and reloaded the sketch: {sketch_path}")

    rng = np.random.default_rng(seed)
    examples = DNA.decode(rng.integers(0, 4, size=(5, n)))
    examples[0] = "ACGGCTTT"
    values = shapley_values(sketch, examples)
    base = expected_value(sketch)
    predictions = sketch.predict(examples)
    print(f"\nSHAP values (uniform background, base value E f = {base:.4f}):")
    header = "sequence  " + " ".join(f"{'pos' + str(i + 1):>7}" for i in range(n)) + "  f(x)    sum+base"
    print(header)
    for sequence, row, prediction in zip(examples, values, predictions):
        print(
            f"{sequence}  " + " ".join(f"{v:+7.3f}" for v in row) + f"  {prediction:.4f}  {row.sum() + base:.4f}"
        )
    efficiency = np.abs(values.sum(axis=1) + base - predictions).max()
    print(f"Efficiency (values + base = f(x)) holds to {efficiency:.1e}.")

    many = rng.integers(0, 4, size=(100_000, n)).astype(np.uint8)
    shapley_values(sketch, many[:10])  # compile before timing
    start = time.perf_counter()
    shapley_values(sketch, many)
    per_sequence = (time.perf_counter() - start) / len(many)
    print(f"Marginal cost: {per_sequence * 1e6:.2f} us per sequence for SHAP values of 100,000 sequences.")

    matrix = shap_interaction_values(sketch, examples[:1])[0]
    pairs = [(abs(matrix[i, j]), i, j) for i in range(n) for j in range(i + 1, n)]
    pairs.sort(reverse=True)
    print(f"\nStrongest pairwise interactions in {examples[0]} (shap convention, Phi_ij = SII/2):")
    for _, i, j in pairs[:3]:
        print(f"  pos{i + 1} x pos{j + 1} ({examples[0][i]}{examples[0][j]}): {matrix[i, j]:+.4f}")

    figure_path = _figure(examples, values, matrix, out_dir)
    if figure_path is not None:
        print(f"\nFigure: {figure_path}")


def _figure(examples: list[str], values: np.ndarray, matrix: np.ndarray, out_dir: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nmatplotlib is not installed (pip install 'shap-zero[plot]'): no figure written.")
        return None
    n = values.shape[1]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    limit = np.abs(values).max()
    image = left.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for r, sequence in enumerate(examples):
        for i, letter in enumerate(sequence):
            left.text(i, r, letter, ha="center", va="center", fontsize=11, family="monospace")
    left.set_xticks(range(n), [f"pos{i + 1}" for i in range(n)])
    left.set_yticks(range(len(examples)), [f"seq {r + 1}" for r in range(len(examples))])
    left.set_title("SHAP values per position")
    fig.colorbar(image, ax=left, shrink=0.8)
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0.0)
    limit = max(np.abs(off_diagonal).max(), 1e-12)
    image = right.imshow(off_diagonal, cmap="PuOr_r", vmin=-limit, vmax=limit)
    labels = [f"{examples[0][i]}{i + 1}" for i in range(n)]
    right.set_xticks(range(n), labels, rotation=90)
    right.set_yticks(range(n), labels)
    right.set_title(f"Pairwise interactions of {examples[0]}")
    fig.colorbar(image, ax=right, shrink=0.8)
    fig.tight_layout()
    path = out_dir / "shap_values.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m shap_zero``."""
    parser = argparse.ArgumentParser(prog="python -m shap_zero", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="sketch a built-in model exactly, explain sequences, save a figure")
    demo.add_argument("--out", type=Path, default=Path("shap_zero_demo"), help="output folder (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the example sequences (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        _demo(args.out, args.seed)
    return 0

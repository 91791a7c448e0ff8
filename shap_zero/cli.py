"""Command line: ``python -m shap_zero demo`` runs the built-in workflow end to end.

The default sketches a real model, ViennaRNA's RNA folding energy at n = 30, with the
automatic engine (``--method``), estimates the error of its SHAP values with a Monte
Carlo check, explains 1,000 random sequences, saves the sketch and figures, and prints
the cost.
``--model toy`` runs a small DNA model with an exact sketch instead (no extra needed).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from shap_zero._files import atomic_write
from shap_zero.alphabet import DNA, RNA, Alphabet
from shap_zero.engines import ENGINES
from shap_zero.examples import VIENNA_INSTALL_HINT, rna_folding_energy, toy_guide_model
from shap_zero.explainer import ZeroExplainer

__all__ = ["main"]

#: shap's KernelExplainer default: 2n + 2048 coalitions, each averaged over the background.
_KERNEL_BACKGROUND = 100


def _kernel_shap_evaluations(n: int) -> int:
    return (2 * n + 2048) * _KERNEL_BACKGROUND


def _model_rate(model: Any, alphabet: Alphabet, n: int, rng: np.random.Generator) -> float:
    """Seconds per model evaluation, measured on 2,000 random sequences."""
    probe = rng.integers(0, alphabet.q, size=(2000, n)).astype(np.uint8)
    started = time.perf_counter()
    model(probe)
    return (time.perf_counter() - started) / len(probe)


def _demo(args: argparse.Namespace) -> None:
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    if args.model == "vienna":
        try:
            import RNA as _  # noqa: F401
        except ImportError as error:
            raise SystemExit(f"The default demo model needs ViennaRNA: {VIENNA_INSTALL_HINT}\n"
                             "Or run the small built-in DNA model: python -m shap_zero demo --model toy") from error
        model, alphabet, n, name = rna_folding_energy, RNA, args.length, "rna_folding_energy"
        title = f"RNA folding energy (ViennaRNA minimum free energy, kcal/mol) at n = {n}"
    else:
        model, alphabet, n, name = toy_guide_model, DNA, 8, "toy_guide_model"
        title = "a small nonlinear DNA model (shap_zero.examples.toy_guide_model) at n = 8"
    print(f"Model: {title}.")
    seconds_per_call = _model_rate(model, alphabet, n, rng)
    print(f"Model speed here: {1 / seconds_per_call:,.0f} sequences/s on one core.")

    executor = None
    if args.workers > 1 and args.model == "vienna":
        # spawn: forking after numba's threads have started can deadlock (docs/sketching.md).
        executor = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        vienna = args.model == "vienna"
        options: dict[str, Any] = {"check_sequences": args.check} if vienna and args.check else {}
        if executor is not None:
            options.update(executor=executor, batch_size=2048)
        explainer = ZeroExplainer(
            model,
            alphabet=alphabet,
            seq_length=n,
            method=args.method,
            budget=args.budget if vienna and args.method != "exact" else None,
            random_state=args.seed,
            progress=not args.quiet,
            **options,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the demo prints its own warning below
            explainer.fit()
    finally:
        if executor is not None:
            executor.shutdown()
    report = explainer.report_
    print(
        f"\nSketch by the {report.engine!r} engine: {explainer.n_queries_:,} model queries in "
        f"{explainer.fit_seconds_:.1f} s (model calls {report.model_seconds:.1f} s, fit {report.fit_seconds:.2f} s); "
        f"{explainer.sketch_.n_terms:,} terms, max degree {explainer.sketch_.max_degree}."
    )
    quality = report.outputs[0]
    if quality.r2 is not None:
        print(f"  held-out R^2 {quality.r2:.3f} on {report.n_validation_queries:,} random sequences.")
    if quality.shap_accuracy is not None:
        print(f"  accuracy check: {quality.shap_accuracy}.")
        if quality.shap_accuracy.poor:
            print("  WARNING: these SHAP values are far from the model's; raise --budget before relying on them.")
    elif quality.r2 is not None and quality.r2 < 0.5:
        print("  WARNING: the sketch holds little of the model; its SHAP values may be far off (try --check 8).")
    sketch_path = out_dir / f"{name}.sketch.npz"
    explainer.save(sketch_path)
    print(f"Saved the sketch: {sketch_path} (reload with shap_zero.ZeroExplainer({str(sketch_path)!r}))")

    X = rng.integers(0, alphabet.q, size=(args.sequences, n)).astype(np.uint8)
    explainer.progress = False  # progress bars were for the model queries
    explainer.shap_values(X[:2])  # compile the kernels before timing
    started = time.perf_counter()
    explanation = explainer(X)
    explain_seconds = time.perf_counter() - started
    per_sequence = explain_seconds / len(X)
    predictions = explainer.sketch_.predict(X)
    efficiency = np.abs(explanation.values.sum(axis=1) + explanation.base_values - predictions).max()
    truth = model(X)
    fidelity = 1 - np.sum((truth - predictions) ** 2) / np.sum((truth - truth.mean()) ** 2)
    print(
        f"\nExplained {len(X):,} random sequences in {explain_seconds * 1e3:.1f} ms "
        f"({per_sequence * 1e6:.2f} us per sequence, no model queries). Efficiency "
        f"(SHAP values + base = sketch) holds to {efficiency:.1e}; the sketch explains "
        f"R^2 = {fidelity:.3f} of the model's variance on these sequences."
    )

    summary = explainer.global_explanation(X, n_top=5)
    positions = summary.positions().head(5)
    print("\nMost important positions (mean |SHAP value|):")
    for row in positions.itertuples():
        print(f"  {row.feature:>6}: {row.mean_abs:.3f}")
    print("Strongest pairwise interactions (mean |SII|):")
    for row in summary.top_interactions(5).itertuples():
        print(f"  {row.label:>14}: {row.mean_abs:.4f}")

    kernel_calls = _kernel_shap_evaluations(n)
    one_time = explainer.fit_seconds_
    print("\nCost summary")
    print(f"  one-time sketch: {explainer.n_queries_:,} model queries, {one_time:.1f} s")
    print(f"  per sequence:    {per_sequence * 1e6:.2f} us, 0 model queries")
    for count in (1_000, 1_000_000):
        print(f"  amortised over {count:>9,} sequences: {(one_time + count * per_sequence) / count * 1e3:.3f} ms per sequence")
    print(
        f"  for scale (an estimate, not run): shap's KernelExplainer with its default {2 * n + 2048:,} "
        f"coalitions and a {_KERNEL_BACKGROUND}-sequence background needs {kernel_calls:,} model "
        f"evaluations per sequence, about {kernel_calls * seconds_per_call:.0f} s each at this model's speed."
    )

    figures = _figures(explainer, explanation, X, out_dir)
    if figures:
        print(f"\nFigures in {out_dir}: " + ", ".join(path.name for path in figures))


def _figures(explainer: ZeroExplainer, explanation: Any, X: np.ndarray, out_dir: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import shap

        from shap_zero.plots import interaction_heatmap, sequence_logo
    except ImportError:
        print("\nmatplotlib is not installed (pip install 'shap-zero[plot]'): no figures written.")
        return []
    written: list[Path] = []

    def save(name: str) -> None:
        path = out_dir / f"{name}.png"
        # Render into memory, then replace the file in one step: a failed write (a full
        # disk) leaves the figure of an earlier run intact rather than cut short.
        image = io.BytesIO()
        plt.gcf().savefig(image, format="png", dpi=110, bbox_inches="tight")
        plt.close("all")
        with atomic_write(path, what="the figure") as handle:
            handle.write(image.getbuffer())
        written.append(path)

    shap.plots.waterfall(explanation[0], show=False, max_display=12)
    save("waterfall")
    shap.plots.beeswarm(explanation, show=False, max_display=15)
    save("beeswarm")
    shap.plots.bar(explanation, show=False, max_display=15)
    save("bar")
    shap.plots.heatmap(explanation[:300], show=False, max_display=15)
    save("heatmap")
    strongest = int(np.argmax(np.abs(explanation.values).mean(axis=0)))
    shap.plots.scatter(explanation[:, strongest], show=False)
    save("scatter")
    pairs = explainer.interactions(X[:300], index="FSII", order=2)
    shap.plots.beeswarm(pairs.to_explanation(), show=False, max_display=15)
    save("interactions_beeswarm")
    try:
        sequence_logo(explanation, title="Mean SHAP value of each letter at each position")
        save("logo")
        sequence_logo(explanation, row=0, title="SHAP values of sequence 1")
        save("logo_sequence1")
    except ImportError:
        print("\nlogomaker is not installed (pip install 'shap-zero[plot]'): no logos drawn.")
    interaction_heatmap(explainer.interactions(X, index="SII", order=2), absolute=True,
                              title="Mean |SII| of each pair of positions")
    save("interaction_heatmap")
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m shap_zero``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m shap_zero", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="sketch a real model, explain 1,000 sequences, save the sketch and figures")
    demo.add_argument("--model", choices=("vienna", "toy"), default="vienna",
                      help="vienna: ViennaRNA folding energy (needs the vienna extra); toy: a small DNA model (default: %(default)s)")
    demo.add_argument("--length", type=int, default=30, help="sequence length n of the RNA model (default: %(default)s)")
    demo.add_argument("--method", choices=tuple(ENGINES), default="auto",
                      help="sketch engine, see shap_zero.engines (default: %(default)s)")
    demo.add_argument("--budget", type=int, default=300_000,
                      help="model queries for the sketch, held-out and check queries included (default: %(default)s)")
    demo.add_argument("--check", type=int, default=8,
                      help="sequences of the Monte Carlo SHAP accuracy check, inside the budget; 0: none (default: %(default)s)")
    demo.add_argument("--sequences", type=int, default=1000, help="sequences to explain (default: %(default)s)")
    demo.add_argument("--workers", type=int, default=2, help="processes querying the model (default: %(default)s)")
    demo.add_argument("--out", type=Path, default=Path("shap_zero_demo"), help="output folder (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random_state of the sketch and sequences (default: %(default)s)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.command == "demo":
        _demo(args)
    return 0

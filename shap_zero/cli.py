"""The ``shap-zero`` command line (also ``python -m shap_zero``).

``shap-zero sketch`` queries a model named as ``module:callable`` and saves its sketch;
``shap-zero explain`` reads sequences from a FASTA, CSV, TSV or Parquet file and writes
their SHAP values (and interactions) as a table, with figures on request;
``shap-zero info`` prints what a sketch file holds: engine, queries, accuracy estimate.
``shap-zero demo`` runs the built-in workflow end to end: by default it sketches a real
model, ViennaRNA's RNA folding energy at n = 30, with the automatic engine
(``--method``), estimates the error of its SHAP values with a Monte Carlo check,
explains 1,000 random sequences, saves the sketch and figures, and prints the cost.
``--model protein`` explains the built-in GB1 protein-fitness network on 24 residues
(q = 20); ``--model toy`` runs a small DNA model with an exact sketch instead (no extra
needed for either).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from shap_zero._files import atomic_write
from shap_zero.alphabet import DNA, PROTEIN, RNA, Alphabet
from shap_zero.engines import ENGINES
from shap_zero.examples import VIENNA_INSTALL_HINT, gb1_fitness_model, rna_folding_energy, toy_guide_model
from shap_zero.exceptions import InvalidParameterError, ShapZeroError
from shap_zero.explainer import ZeroExplainer, _output_paths
from shap_zero.fourier import FourierSketch
from shap_zero.indices import INDEX_NAMES
from shap_zero.models import DEFAULT_BATCH_SIZE, MODEL_INPUTS
from shap_zero.seqio import AMBIGUOUS_POLICIES, read_sequences, write_interactions, write_values

__all__ = ["main", "load_callable", "parse_alphabet", "describe_sketch"]

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


def kernels_cached() -> bool:
    """Whether numba has cached compiled kernels of this installation (index files of
    the kernel modules, beside them or in ``NUMBA_CACHE_DIR``)."""
    import numba

    import shap_zero._kernels as kernels

    folders = [Path(kernels.__file__).parent / "__pycache__"]
    if numba.config.CACHE_DIR:
        folders.append(Path(numba.config.CACHE_DIR))
    return any(next(folder.rglob("*.nbi"), None) is not None for folder in folders if folder.is_dir())


def _say_if_compiling() -> None:
    if not kernels_cached():
        print("First run here: numba compiles the library's kernels, which takes tens of seconds once; "
              "later runs load them from the cache.", flush=True)  # fmt: skip


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
        model, alphabet, n, name, feature_names = rna_folding_energy, RNA, args.length, "rna_folding_energy", None
        title = f"RNA folding energy (ViennaRNA minimum free energy, kcal/mol) at n = {n}"
    elif args.model == "protein":
        model, alphabet, name = gb1_fitness_model(), PROTEIN, "gb1_fitness"
        n = model.window.size
        # Name positions as protein engineers do: wild-type residue and its number (GB1 counts from 2).
        feature_names = [f"{model.metadata['wild_type'][i]}{i + 2}" for i in model.window]
        title = (f"GB1 protein fitness (shap_zero.examples.gb1_fitness_model: a network trained on 530,737 double "
                 f"mutants of Olson et al. 2014, test Spearman {model.metadata['test_spearman']:.3f}), residues 32 to 55 "
                 f"varied (n = {n}, q = 20), the rest wild type")  # fmt: skip
    else:
        model, alphabet, n, name, feature_names = toy_guide_model, DNA, 8, "toy_guide_model", None
        title = "a small nonlinear DNA model (shap_zero.examples.toy_guide_model) at n = 8"
    print(f"Model: {title}.")
    _say_if_compiling()
    seconds_per_call = _model_rate(model, alphabet, n, rng)
    print(f"Model speed here: {1 / seconds_per_call:,.0f} sequences/s on one core.")

    executor = None
    if args.workers > 1 and args.model == "vienna":
        # spawn: forking after numba's threads have started can deadlock (docs/sketching.md).
        executor = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        sketched = args.model in ("vienna", "protein")  # the toy model is small enough to be exact
        options: dict[str, Any] = {"check_sequences": args.check} if sketched and args.check else {}
        if executor is not None:
            options.update(executor=executor, batch_size=2048)
        explainer = ZeroExplainer(
            model,
            alphabet=alphabet,
            seq_length=n,
            method=args.method,
            budget=args.budget if sketched and args.method != "exact" else None,
            feature_names=feature_names,
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


def save_figure(plt: Any, path: Path) -> Path:
    """Write matplotlib's current figure to ``path`` as PNG and close every figure.

    Rendered into memory, then the file replaced in one step: a failed write (a full
    disk) leaves the figure of an earlier run intact rather than cut short.
    """
    image = io.BytesIO()
    plt.gcf().savefig(image, format="png", dpi=110, bbox_inches="tight")
    plt.close("all")
    with atomic_write(path, what="the figure") as handle:
        handle.write(image.getbuffer())
    return path


def _figures(explainer: ZeroExplainer, explanation: Any, X: np.ndarray, out_dir: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import shap

        from shap_zero.plots import beeswarm as letter_beeswarm
        from shap_zero.plots import interaction_heatmap, sequence_logo
        from shap_zero.plots import scatter as letter_scatter
    except ImportError:
        print("\nmatplotlib is not installed (pip install 'shap-zero[plot]'): no figures written.")
        return []
    written: list[Path] = []

    def save(name: str) -> None:
        written.append(save_figure(plt, out_dir / f"{name}.png"))

    shap.plots.waterfall(explanation[0], show=False, max_display=12)
    save("waterfall")
    # Letters are categories: the beeswarm and scatter colour by letter, with a legend
    # (shap's own colour by code on a Low/High bar, which orders letters arbitrarily).
    letter_beeswarm(explanation, max_display=15, title="SHAP values of each position, by letter")
    save("beeswarm")
    shap.plots.bar(explanation, show=False, max_display=15)
    save("bar")
    shap.plots.heatmap(explanation[:300], show=False, max_display=15)
    save("heatmap")
    strongest = int(np.argmax(np.abs(explanation.values).mean(axis=0)))
    letter_scatter(explanation, strongest, title=f"SHAP value of {explanation.feature_names[strongest]} by letter")
    save("scatter")
    pairs = explainer.interactions(X[:300], index="FSII", order=2)
    # The pairs only (FSII of order 2 also holds main effects), in one colour: a pair's
    # "feature value" would be its letters' code, which has no order.
    flat = pairs.to_explanation()
    shap.plots.beeswarm(flat[:, [int(u) for u in np.flatnonzero(pairs.sizes == 2)]], show=False, max_display=15,
                        color="#1E88E5", color_bar=False)  # fmt: skip
    plt.title("Pairwise interactions (FSII of order 2, pairs only) of 300 sequences")
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


# --------------------------------------------------------------------------- sketch, explain, info


def load_callable(spec: str) -> Any:
    """The object named by ``"package.module:attribute"`` or ``"path/to/file.py:attribute"``.

    A file's folder is put on ``sys.path`` and the file imported by its name, so worker
    processes (``--workers``) can import it too. The attribute may be dotted
    (``module:Class.method``).

    Raises
    ------
    InvalidParameterError
        Naming the part that could not be found.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise InvalidParameterError(f"--model: expected 'package.module:callable' or 'file.py:callable'; got {spec!r}")
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise InvalidParameterError(f"--model: no such file {module_name!r}")
        sys.path.insert(0, str(path.parent))
        module_name = path.stem
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise InvalidParameterError(f"--model: cannot import module {module_name!r}: {error}") from error
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise InvalidParameterError(f"--model: {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise InvalidParameterError(f"--model: {spec!r} is a {type(target).__name__}, not a callable")
    return target


def parse_alphabet(text: str) -> Alphabet:
    """``DNA``, ``RNA`` or ``protein`` (any case), or the letters themselves (``ACGT``)."""
    named = {"dna": DNA, "rna": RNA, "protein": PROTEIN}
    if text.lower() in named:
        return named[text.lower()]
    if len(text) < 2 or len(set(text)) != len(text):
        raise InvalidParameterError(f"--alphabet: expected DNA, RNA, protein or at least 2 distinct letters; got {text!r}")
    return Alphabet(text)


def _executor(workers: int) -> Any:
    if workers < 1:
        raise InvalidParameterError(f"--workers: expected an integer >= 1; got {workers}")
    if workers == 1:
        return None
    # spawn: forking after numba's threads have started can deadlock (docs/sketching.md).
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _quality_lines(report: Any) -> list[str]:
    """What the user must know about a sketch's accuracy, warnings included."""
    lines = []
    for index, quality in enumerate(report.outputs):
        name = f"output {index}: " if len(report.outputs) > 1 else ""
        if quality.r2 is not None:
            lines.append(f"  {name}held-out R^2 {quality.r2:.3f} on {report.n_validation_queries:,} random sequences")
        if quality.shap_accuracy is not None:
            lines.append(f"  {name}accuracy check: {quality.shap_accuracy}")
            if quality.shap_accuracy.poor:
                lines.append("  WARNING: these SHAP values are far from the model's; raise --budget before relying on them")
        elif quality.r2 is not None and quality.r2 < 0.5:
            lines.append("  WARNING: the sketch holds little of the model; its SHAP values may be far off (use --check 8)")
    return lines


def _sketch(args: argparse.Namespace) -> None:
    model = load_callable(args.model)
    alphabet = parse_alphabet(args.alphabet)
    _say_if_compiling()
    options: dict[str, Any] = {"check_sequences": args.check, "batch_size": args.batch_size}
    if args.checkpoint is not None:
        options["checkpoint"] = args.checkpoint
    executor = _executor(args.workers)
    if executor is not None:
        options["executor"] = executor
    try:
        explainer = ZeroExplainer(
            model, alphabet=alphabet, seq_length=args.length, method=args.method,
            budget=None if args.method == "exact" else args.budget, model_input=args.model_input,
            random_state=args.seed, progress=not args.quiet, **options,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the quality lines below say it
            explainer.fit()
    finally:
        if executor is not None:
            executor.shutdown()
    report = explainer.report_
    resumed = f", {report.n_resumed:,} of them from the checkpoint" if report.n_resumed else ""
    print(f"Sketch by the {report.engine!r} engine: {explainer.n_queries_:,} model queries{resumed} "
          f"(model {report.model_seconds:.1f} s, fit {report.fit_seconds:.1f} s).")  # fmt: skip
    for line in _quality_lines(report):
        print(line)
    explainer.save(args.output)
    print(f"Saved: {args.output}")


def _derived_path(path: Path, part: str) -> Path:
    """``values.parquet`` -> ``values.<part>.parquet`` (``.csv.gz`` kept whole)."""
    suffixes = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    stem = path.name[: len(path.name) - len(suffixes)] if suffixes else path.name
    return path.with_name(f"{stem}.{part}{suffixes}")


def _explain(args: argparse.Namespace) -> None:
    explainer = ZeroExplainer(args.sketch)
    sketch = explainer.sketch_ if explainer.n_outputs == 1 else explainer.sketches_[0]
    alphabet = sketch.alphabet
    if alphabet is None:
        raise InvalidParameterError(f"{args.sketch}: the sketch has no alphabet, so letters cannot be read")
    records = read_sequences(args.sequences, alphabet=alphabet, length=sketch.n, ambiguous=args.ambiguous,
                             id_column=args.id_column, sequence_column=args.sequence_column)  # fmt: skip
    for record_id, reason in records.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    if not len(records):
        raise InvalidParameterError(f"{args.sequences}: no sequence to explain")
    if args.background is not None:
        background = read_sequences(args.background, alphabet=alphabet, length=sketch.n)
        explainer = ZeroExplainer(args.sketch, background=background.sequences)
    X = records.codes
    held = records.held if records.held is not None and records.held.any() else None
    if held is not None and args.interactions is not None:
        raise InvalidParameterError(
            f"{args.sequences}: {int(held.any(axis=1).sum())} records have unknown symbols; --ambiguous background "
            "holds them at the background for SHAP values only, not for --interactions (use --ambiguous skip)"
        )
    explanation = explainer(X, progress=not args.quiet, held=held)
    if held is not None and explanation.display_data is not None:
        rows, positions = np.nonzero(held)
        explanation.display_data[rows, positions] = [records.sequences[r][p] for r, p in zip(rows, positions)]
    write_values(args.output, explanation, ids=records.ids, layout=args.layout)
    background_text = "uniform background" if args.background is None else f"{len(background)} background sequences"
    print(f"SHAP values of {len(records):,} sequences ({background_text}): {args.output}")
    interactions = None
    if args.interactions is not None:
        interactions = explainer.interactions(X, index=args.interactions, order=args.order, progress=not args.quiet)
        path = Path(args.interactions_output) if args.interactions_output else _derived_path(Path(args.output), "interactions")
        write_interactions(path, interactions, ids=records.ids, layout=args.layout)
        print(f"{args.interactions} interactions up to order {args.order}: {path}")
    if args.plots is not None:
        figures = _explain_figures(explanation, interactions, explainer, X, Path(args.plots))
        print(f"Figures in {args.plots}: " + ", ".join(path.name for path in figures))


def _explain_figures(explanation: Any, interactions: Any, explainer: ZeroExplainer, X: np.ndarray, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    from shap_zero.plots import beeswarm, interaction_heatmap, sequence_logo

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(name: str) -> None:
        written.append(save_figure(plt, folder / f"{name}.png"))

    shap.plots.bar(explanation, show=False, max_display=15)
    save("bar")
    if len(X) > 1:
        beeswarm(explanation, max_display=15, title="SHAP values of each position, by letter")
        save("beeswarm")
    try:
        sequence_logo(explanation, title="Mean SHAP value of each letter at each position")
        save("logo")
    except ImportError:
        print("logomaker is not installed (pip install 'shap-zero[plot]'): no logo drawn.", file=sys.stderr)
    pairs = interactions if interactions is not None and interactions.order == 2 else explainer.interactions(X, order=2)
    interaction_heatmap(pairs, absolute=True, title=f"Mean |{pairs.index}| of each pair of positions")
    save("interaction_heatmap")
    return written


def _info(args: argparse.Namespace) -> None:
    paths = _output_paths(str(args.sketch)) if "{output}" in str(args.sketch) else [str(args.sketch)]
    for path in paths:
        sketch = FourierSketch.load(path)
        metadata = sketch.metadata
        if args.json:
            print(json.dumps({"path": path, "n": sketch.n, "q": sketch.q, "n_terms": sketch.n_terms,
                              "alphabet": None if sketch.alphabet is None else sketch.alphabet.symbols,
                              "metadata": metadata}, indent=1))  # fmt: skip
            continue
        print(describe_sketch(path, sketch))


def describe_sketch(path: str, sketch: FourierSketch) -> str:
    """A few lines on a sketch file: model size, engine, queries, accuracy estimate."""
    metadata = sketch.metadata
    alphabet = "no alphabet" if sketch.alphabet is None else f"alphabet {sketch.alphabet.symbols}"
    degrees = np.bincount(sketch.degrees) if sketch.n_terms else np.zeros(1, dtype=np.int64)
    lines = [
        f"{path}",
        f"  sequences of length {sketch.n}, {alphabet} (q = {sketch.q})",
        f"  {sketch.n_terms:,} terms, max degree {sketch.max_degree}; per degree: "
        + ", ".join(f"{d}: {c:,}" for d, c in enumerate(degrees) if c),
    ]
    if "method" in metadata:
        lines.append(f"  engine {metadata['method']!r}, {metadata.get('n_queries', 0):,} model queries, "
                     f"random_state {metadata.get('random_state')}, created {metadata.get('created', '?')}")  # fmt: skip
    names = metadata.get("explainer") or {}
    if names.get("n_outputs", 1) > 1 or names.get("output_name"):
        lines.append(f"  output {names.get('output')} of {names.get('n_outputs')}: {names.get('output_name')}")
    quality = metadata.get("quality")
    if quality is None:
        lines.append("  accuracy: not recorded (the file predates quality records, or was not made by an engine)")
    else:
        if quality.get("held_out_r2") is not None:
            lines.append(f"  held-out R^2 {quality['held_out_r2']:.3f} on {quality['n_validation']:,} random sequences")
        accuracy = quality.get("shap_accuracy")
        if accuracy is None:
            lines.append("  SHAP-value accuracy: not checked (sketch with --check N to estimate it)")
        else:
            lines.append(f"  SHAP-value NMSE {accuracy['nmse']:.2g} (95% CI {accuracy['low']:.2g}-{accuracy['high']:.2g}) "
                         f"on {accuracy['n_sequences']} check sequences, {accuracy['n_permutations']} permutations each")  # fmt: skip
            if accuracy.get("poor"):
                lines.append("  WARNING: these SHAP values are far from the model's")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shap-zero", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)

    sketch = commands.add_parser("sketch", help="query a model and save its sketch",
                                 description="Query a model and save its Fourier sketch (one file per output: "
                                 "use '{output}' in -o for a model of several outputs).")  # fmt: skip
    sketch.add_argument("--model", required=True, help="the model: 'package.module:callable' or 'file.py:callable'")
    sketch.add_argument("--alphabet", required=True, help="DNA, RNA, protein, or the letters (e.g. ACGT)")
    sketch.add_argument("--length", type=int, required=True, help="sequence length n")
    sketch.add_argument("--budget", type=int, default=250_000,
                        help="model queries, held-out and check queries included (default: %(default)s)")
    sketch.add_argument("--method", choices=tuple(ENGINES), default="auto", help="sketch engine (default: %(default)s)")
    sketch.add_argument("--model-input", choices=MODEL_INPUTS, default="codes",
                        help="what the model takes: integer codes, strings or a one-hot layout (default: %(default)s)")
    sketch.add_argument("--check", type=int, default=8,
                        help="sequences of the Monte Carlo SHAP accuracy check, inside the budget; 0: none (default: %(default)s)")
    sketch.add_argument("--checkpoint", type=Path, help="file that keeps every answered query; a rerun resumes from it")
    sketch.add_argument("--workers", type=int, default=1, help="processes querying the model (default: %(default)s)")
    sketch.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help="sequences per model call (default: %(default)s)")
    sketch.add_argument("--seed", type=int, default=0, help="random_state of the design (default: %(default)s)")
    sketch.add_argument("-o", "--output", required=True, help="sketch file to write (.npz)")
    sketch.add_argument("--quiet", action="store_true", help="no progress bars")

    explain = commands.add_parser("explain", help="SHAP values (and interactions) of sequences from a file",
                                  description="Explain the sequences of a FASTA, CSV, TSV or Parquet file with a "
                                  "saved sketch and write the values as a table (columns: id, position (1-based), "
                                  "letter, value).")  # fmt: skip
    explain.add_argument("sketch", help="sketch file (or a '{output}' template)")
    explain.add_argument("sequences", help="FASTA (.fa, .fasta, .fna), CSV, TSV or Parquet file, optionally .gz")
    explain.add_argument("-o", "--output", required=True, help="table to write: .csv, .tsv (optionally .gz) or .parquet")
    explain.add_argument("--layout", choices=("long", "wide"), default="long", help="table layout (default: %(default)s)")
    explain.add_argument("--interactions", choices=INDEX_NAMES, help="also write interaction values of this index")
    explain.add_argument("--order", type=int, default=2, help="largest interaction order (default: %(default)s)")
    explain.add_argument("--interactions-output", help="their table (default: the output's name with .interactions)")
    explain.add_argument("--background", help="a file of background sequences (default: the uniform background)")
    explain.add_argument("--ambiguous", choices=AMBIGUOUS_POLICIES, default="refuse",
                         help="a record the alphabet cannot read: stop naming it, skip it, or explain its unknown "
                         "positions as held at the background, with value 0 (default: %(default)s)")
    explain.add_argument("--id-column", default="id", help="id column of a table (default: %(default)s)")
    explain.add_argument("--sequence-column", default="sequence", help="sequence column of a table (default: %(default)s)")
    explain.add_argument("--plots", help="folder for figures (bar, beeswarm, logo, interaction heatmap)")
    explain.add_argument("--quiet", action="store_true", help="no progress bars")

    info = commands.add_parser("info", help="what a sketch file holds: engine, queries, accuracy estimate")
    info.add_argument("sketch", help="sketch file (or a '{output}' template)")
    info.add_argument("--json", action="store_true", help="print the header and metadata as JSON")

    demo = commands.add_parser("demo", help="sketch a real model, explain 1,000 sequences, save the sketch and figures")
    demo.add_argument("--model", choices=("vienna", "protein", "toy"), default="vienna",
                      help="vienna: ViennaRNA folding energy (needs the vienna extra); protein: the built-in GB1 fitness "
                      "network on 24 residues; toy: a small DNA model (default: %(default)s)")
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
    return parser


_COMMANDS = {"sketch": _sketch, "explain": _explain, "info": _info, "demo": _demo}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``shap-zero`` and ``python -m shap_zero``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0, or 1 after an error the library names (printed without a traceback).
    """
    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
    except (ShapZeroError, FileNotFoundError) as error:
        print(f"shap-zero {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0

"""The benchmarking harness: every method on the same model, value function and sequences.

For each model of a suite (:mod:`benchmarks.suites`) the harness

1. draws the sequences to explain (uniform random, from the suite's seed) and computes
   reference SHAP values: exact from the model's true spectrum (synthetic models), the
   dense transform (small n), or an unbiased Monte Carlo estimate with its standard
   error (:class:`baselines.montecarlo.MonteCarloSHAP`);
2. runs every method setting as one *cell*: shap_zero (one-time sketch, then closed
   forms), KernelSHAP, PermutationSHAP, FastSHAP (one-time training), the dense exact
   transform and shapiq's interaction estimators, recording one-time and per-sequence
   cost in model queries and seconds and the accuracy against the reference;
3. writes each cell to ``results/harness/cells/<model>/<cell>.json`` (values
   in a ``.npz`` beside it) as soon as it is done, so an interrupted run resumes where
   it stopped. A stored cell is reused only when its configuration hash matches: the
   suite's settings and the model's *fingerprint*, a hash of its outputs on fixed
   probe sequences (:func:`model_fingerprint`), so a model that changed under the same
   name and options (retrained, another library version) is recomputed; for shap_zero
   cells it also holds the defaults of the engine's options that the cell does not set
   (:func:`engine_defaults`), so a changed default recomputes the cells it touches.
   Module constants are not in it: after changing one, run with ``--fresh``.

:mod:`benchmarks.analysis` turns the cells into amortized cost curves, break-even
points, tables and figures. Everything runs in one process on the calling thread
(no executor), so seconds are comparable between methods.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

import shap_zero as sz
from baselines import harness_baselines
from benchmarks import metrics, model_zoo
from benchmarks.suites import MethodSpec, ModelSpec, Suite

__all__ = ["cell_path", "engine_defaults", "load_cells", "machine_info", "model_fingerprint", "run_suite"]

#: The interaction index and order the interaction comparisons use (shapiq's default).
INTERACTION_INDEX = "k-SII"
INTERACTION_ORDER = 2
#: Sequences timed for the per-sequence cost of amortized methods (shap_zero, FastSHAP).
TIMING_SEQUENCES = 10_000
#: Uniform random sequences whose model outputs identify a model, and their random stream.
FINGERPRINT_SEQUENCES = 64
FINGERPRINT_STREAM = 99
#: Decimals of the fingerprinted outputs: far below any real change of a model, far above
#: the round-off of one model evaluated twice (a rare flip at a rounding boundary only
#: costs a recomputation, never a wrong reuse).
FINGERPRINT_DECIMALS = 10
#: 2: the configuration hash includes the model fingerprint (and, for shap_zero cells
#: only, the engine's defaults: other cells keep their hashes).
FORMAT_VERSION = 2
#: Engine options that do not change a sketch (how queries are sent and shown) or that
#: the harness sets itself (the seed).
NEUTRAL_ENGINE_OPTIONS = frozenset({"batch_size", "executor", "checkpoint", "progress", "random_state"})
#: Distributions whose versions a run records; xgboost is also published as xgboost-cpu,
#: and Rule Set 3 runs on rs3 and lightgbm.
_PACKAGES = (
    "numpy", "scipy", "numba", "shap", "shapiq", "torch", "xgboost", "xgboost-cpu", "lightgbm", "rs3", "ViennaRNA",
    "pyjaspar", "shap_zero",
)  # fmt: skip


# ---------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """CPU, core count, memory, OS, Python, package versions and git commit of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gb = None
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=here
        ).stdout.strip()
        # Uncommitted changes to the code under test make the commit an incomplete record.
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--", "shap_zero", "baselines", "benchmarks"],
            capture_output=True, text=True, check=True, cwd=here.parent,
        ).stdout.strip()
        if changes:
            commit += "+modified"
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
        "git_commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def machine_with_load(load_before: float) -> dict[str, Any]:
    """:func:`machine_info` of a script's run, with its UTC time and the 1-minute load
    average before (given) and after (now)."""
    return {**machine_info(), "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}  # fmt: skip


def best_seconds(function: Callable[[], object], repeats: int = 3) -> float:
    """The shortest wall time of ``repeats`` calls (load only ever adds time)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


# ---------------------------------------------------------------------------
# Storage of cells
# ---------------------------------------------------------------------------


def cell_path(out_dir: Path, model: ModelSpec, label: str) -> Path:
    """Where a cell's JSON lives (its values go to the same name with ``.npz``).

    Cells are shared between suites: the full suite reuses the quick suite's cells of
    the models they have in common (same settings, same seed, same configuration hash).
    """
    return Path(out_dir) / "cells" / model.label / f"{label}.json"


def model_fingerprint(function: Callable[[np.ndarray], Any], seq_length: int, q: int, seed: int) -> str:
    """The sha256 of a model's outputs on fixed probe sequences: what identifies the model itself.

    Name and options do not: the same name and options give another model after a
    retraining or under another version of the library that computes it.

    Parameters
    ----------
    function : callable
        The model, codes (N, n) -> outputs (N,) or (N, k).
    seq_length, q : int
        n and the alphabet size.
    seed : int
        The suite's seed; the probe sequences are ``FINGERPRINT_SEQUENCES`` uniform random
        sequences of ``np.random.default_rng([seed, FINGERPRINT_STREAM])``.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    rng = np.random.default_rng([seed, FINGERPRINT_STREAM])
    probe = rng.integers(0, q, size=(FINGERPRINT_SEQUENCES, seq_length), dtype=np.uint8)
    # Adding 0.0 turns -0.0 into 0.0, which would otherwise hash differently.
    outputs = np.round(np.asarray(function(probe), dtype=np.float64), FINGERPRINT_DECIMALS) + 0.0
    return hashlib.sha256(np.ascontiguousarray(outputs).tobytes()).hexdigest()


def engine_defaults(spec: MethodSpec) -> dict[str, Any]:
    """The defaults of the engine options a shap_zero cell leaves unset, as strings.

    For the auto engine they include those of the hybrid search it runs.

    Parameters
    ----------
    spec : MethodSpec
        A cell; cells of other methods have no engine and give ``{}``.

    Returns
    -------
    dict
        ``{"<engine>.<option>": repr(default)}``.
    """
    if spec.method not in ("shap_zero", "exact"):
        return {}
    name = "exact" if spec.method == "exact" else spec.settings.get("method", "qsft")
    engines = [sz.engines.ENGINES[name]]
    if name == "auto":
        engines.append(sz.engines.HybridEngine)
    defaults = {}
    for engine in engines:
        for option, value in engine().get_params().items():
            if option not in NEUTRAL_ENGINE_OPTIONS and option not in spec.settings:
                defaults[f"{engine.name}.{option}"] = repr(value)
    return defaults


def _config_hash(suite: Suite, model: ModelSpec, spec: MethodSpec, label: str, fingerprint: str) -> str:
    """Identifies what a cell computed, so a changed suite, model or engine default recomputes it instead of reusing it."""
    defaults = engine_defaults(spec)  # {} for cells without an engine, whose hashes stay as they were
    fields: dict[str, Any] = {"engine_defaults": defaults} if defaults else {}
    key = json.dumps(
        {
            **fields,
            "format": FORMAT_VERSION,
            "model": model.name,
            "fingerprint": fingerprint,
            "options": model.options,
            "reference": model.reference,
            "seed": suite.seed,
            "n_explain": suite.n_explain,
            "interaction_sequences": suite.interaction_sequences,
            "label": label,
            "settings": spec.settings,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _write_cell(path: Path, record: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write the values first, then the JSON, each atomically: a JSON means a complete cell."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if arrays:
        temporary = path.with_suffix(".tmp.npz")
        np.savez_compressed(temporary, **arrays)
        os.replace(temporary, path.with_suffix(".npz"))
    temporary_json = path.with_suffix(".json.tmp")
    temporary_json.write_text(json.dumps(record, indent=1, default=_json_default))
    os.replace(temporary_json, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _read_cell(path: Path, config_hash: str) -> dict[str, Any] | None:
    """A stored cell if it is complete and was computed with the same configuration."""
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return record if record.get("config_hash") == config_hash else None


def load_cells(out_dir: Path, model: ModelSpec) -> dict[str, dict[str, Any]]:
    """All stored cells of one model, by label, each with its arrays under ``"arrays"``."""
    folder = Path(out_dir) / "cells" / model.label
    cells: dict[str, dict[str, Any]] = {}
    if not folder.exists():
        return cells
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        arrays_path = path.with_suffix(".npz")
        if arrays_path.exists():
            with np.load(arrays_path, allow_pickle=False) as data:
                record["arrays"] = {key: data[key] for key in data.files}
        else:
            record["arrays"] = {}
        cells[record["label"]] = record
    return cells


# ---------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------


def _sequences(model: model_zoo.BenchmarkModel, count: int, seed: int, stream: int) -> np.ndarray:
    rng = np.random.default_rng([seed, stream])
    return rng.integers(0, model.alphabet.q, size=(count, model.seq_length), dtype=np.uint8)


def _dense_interactions(source: Any, n: int) -> np.ndarray:
    """Interaction values on every subset of size 1..INTERACTION_ORDER (by size, then lexicographically).

    ``source`` is anything with ``subsets`` and ``values`` (N, U): shap_zero's results
    list only the subsets that can be nonzero, shapiq's all of them; this puts both in
    one layout, ndarray of shape (N, n + C(n, 2)).
    """
    from baselines.interactions import align, interaction_subsets

    return align(source, interaction_subsets(n, INTERACTION_ORDER))


class _Context:
    """What every cell of one model shares: the model, sequences and reference values."""

    def __init__(self, suite: Suite, spec: ModelSpec, model: model_zoo.BenchmarkModel, progress: bool) -> None:
        self.suite = suite
        self.spec = spec
        self.model = model
        # Every method sees the model as a black box, even when it is a sketch (synthetic models).
        function = model.function
        self.function = function.predict if isinstance(function, sz.FourierSketch) else function
        self.progress = progress
        self.X = _sequences(model, suite.n_explain, suite.seed, 1)
        self.X_interactions = self.X[: suite.interaction_sequences]
        self.X_timing = _sequences(model, TIMING_SEQUENCES, suite.seed, 2)
        self.reference: np.ndarray | None = None
        self.reference_interactions: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.model.seq_length

    @property
    def q(self) -> int:
        return self.model.alphabet.q

    def shap_accuracy(self, values: np.ndarray) -> dict[str, float] | None:
        return None if self.reference is None else metrics.accuracy(values, self.reference)

    def interaction_accuracy(self, dense: np.ndarray) -> dict[str, float] | None:
        if self.reference_interactions is None:
            return None
        pairs = slice(self.n, None)  # the order-2 columns; order 1 is compared through the SHAP values
        return metrics.accuracy(dense[:, pairs], self.reference_interactions[:, pairs], k=5)


def _reference(ctx: _Context) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Reference SHAP values (and interactions when exact) of the explained sequences."""
    model, spec = ctx.model, ctx.spec
    arrays: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    if model.truth is not None or spec.reference.get("exact"):
        if model.truth is not None:
            sketch, kind, queries = model.truth, "exact, from the model's true Fourier spectrum", 0
        else:
            sketch = sz.exact_sketch(ctx.function, seq_length=ctx.n, alphabet=model.alphabet)
            kind, queries = "exact, from the dense transform of all q^n sequences", ctx.q**ctx.n
        arrays["values"] = sz.shapley_values(sketch, ctx.X)
        interactions = sz.interaction_values(sketch, ctx.X_interactions, index=INTERACTION_INDEX, order=INTERACTION_ORDER)
        arrays["interactions"] = _dense_interactions(interactions, ctx.n)
        extra: dict[str, Any] = {}
    else:
        from baselines.montecarlo import MonteCarloSHAP

        permutations = int(spec.reference.get("montecarlo", 2000))
        estimator = MonteCarloSHAP(permutations)
        result = estimator.explain(
            ctx.function, ctx.X, seq_length=ctx.n, alphabet=model.alphabet, random_state=ctx.suite.seed
        )
        arrays["values"] = result.values
        arrays["standard_errors"] = estimator.standard_errors_
        queries = result.n_model_queries
        kind = f"Monte Carlo, {permutations:,} permutations with fresh uniform completions (unbiased)"
        # How precise the reference is, relative to the spread of the values it measures.
        extra = {
            "mean_standard_error": float(estimator.standard_errors_.mean()),
            "relative_standard_error": float(
                np.sqrt(np.mean(estimator.standard_errors_**2) / np.mean(result.values**2))
            ),
        }
    record = {
        "kind": kind,
        "model_queries": int(queries),
        "seconds": time.perf_counter() - start,
        **extra,
    }
    return record, arrays


def _time_per_sequence(function: Callable[[np.ndarray], Any], X: np.ndarray, repeats: int = 5) -> float:
    """Median seconds per sequence of ``function(X)`` over ``repeats`` calls.

    One untimed call first (compilation, caches); the median, because single calls of a
    few milliseconds vary several-fold on a shared machine.
    """
    function(X[:2])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / X.shape[0]


def _run_shap_zero(ctx: _Context, spec: MethodSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    settings = dict(spec.settings)
    # Cells without a method setting predate the engines and were computed with q-SFT.
    method = "exact" if spec.method == "exact" else settings.pop("method", "qsft")
    explainer = sz.ZeroExplainer(
        ctx.function,
        alphabet=ctx.model.alphabet,
        seq_length=ctx.n,
        method=method,
        progress=ctx.progress,
        random_state=ctx.suite.seed,
        **settings,
    )
    explainer.fit()
    values = explainer.shap_values(ctx.X)
    per_sequence_seconds = _time_per_sequence(explainer.shap_values, ctx.X_timing)
    interactions = explainer.interactions(ctx.X_interactions, index=INTERACTION_INDEX, order=INTERACTION_ORDER)
    dense = _dense_interactions(interactions, ctx.n)
    timing_rows = ctx.X_timing[:1000]
    interaction_seconds = _time_per_sequence(
        lambda X: explainer.interactions(X, index=INTERACTION_INDEX, order=INTERACTION_ORDER), timing_rows
    )
    sketch = explainer.sketch_
    report = explainer.report_
    extra: dict[str, Any] = {"n_terms": sketch.n_terms, "max_degree": sketch.max_degree}
    if report is not None:
        extra.update(
            engine=report.engine,
            design=report.design,
            design_queries=report.n_unique_design_points,
            validation_queries=report.n_validation_queries,
            model_seconds=report.model_seconds,
            fit_seconds=report.fit_seconds,
            held_out_r2=report.outputs[0].r2 if report.outputs else None,
        )
    record = {
        "one_time_queries": int(explainer.n_queries_),
        "one_time_seconds": float(explainer.fit_seconds_),
        "per_sequence_queries": 0.0,
        "per_sequence_seconds": per_sequence_seconds,
        "accuracy": ctx.shap_accuracy(values),
        "interactions": {
            "index": INTERACTION_INDEX,
            "order": INTERACTION_ORDER,
            "per_sequence_queries": 0.0,
            "per_sequence_seconds": interaction_seconds,
            "accuracy": ctx.interaction_accuracy(dense),
        },
        "extra": extra,
    }
    return record, {"values": values, "interactions": dense}


def _run_per_sequence(ctx: _Context, cls: type, spec: MethodSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A baseline that pays model queries per sequence (``runner="per_sequence"``)."""
    baseline = cls(**spec.settings)
    rows = []
    values = np.empty(ctx.X.shape)
    seconds = 0.0
    iterator = tqdm(range(ctx.X.shape[0]), desc=f"  {spec.label}", leave=False, disable=not ctx.progress)
    for i in iterator:  # one sequence per call, so the bar moves and a sequence's cost is its own
        result = baseline.explain(
            ctx.function, ctx.X[i : i + 1], seq_length=ctx.n, alphabet=ctx.model.alphabet,
            random_state=ctx.suite.seed + i,
        )  # fmt: skip
        values[i] = result.values[0]
        seconds += result.seconds
        rows.append(result.n_model_queries)
    record = {
        "one_time_queries": 0,
        "one_time_seconds": 0.0,
        "per_sequence_queries": sum(rows) / ctx.X.shape[0],
        "per_sequence_seconds": seconds / ctx.X.shape[0],
        "accuracy": ctx.shap_accuracy(values),
        "extra": {"queries_per_sequence_min": int(min(rows)), "queries_per_sequence_max": int(max(rows))},
    }
    return record, {"values": values}


def _run_amortized(ctx: _Context, cls: type, spec: MethodSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A baseline trained once, then explaining cheaply (``runner="amortized"``)."""
    baseline = cls(progress=ctx.progress, **spec.settings)
    validation = None if ctx.reference is None else (ctx.X, ctx.reference)
    baseline.fit(
        ctx.function, seq_length=ctx.n, alphabet=ctx.model.alphabet, random_state=ctx.suite.seed,
        validation=validation,
    )  # fmt: skip
    report = baseline.fit_report_
    result = baseline.explain(ctx.function, ctx.X, seq_length=ctx.n, alphabet=ctx.model.alphabet)
    timing_rows = ctx.X_timing[:1000]
    timing = baseline.explain(ctx.function, timing_rows, seq_length=ctx.n, alphabet=ctx.model.alphabet)
    record = {
        "one_time_queries": int(report.n_model_queries),
        "one_time_seconds": float(report.seconds),
        "per_sequence_queries": timing.n_model_queries / timing_rows.shape[0],
        "per_sequence_seconds": timing.seconds / timing_rows.shape[0],
        "accuracy": ctx.shap_accuracy(result.values),
        "extra": baseline.harness_extra() if hasattr(baseline, "harness_extra") else {},
    }
    return record, {"values": result.values}


def _run_interactions(ctx: _Context, cls: type, spec: MethodSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """An estimator of interaction indices (``runner="interactions"``)."""
    baseline = cls(**spec.settings)
    result = baseline.explain_interactions(
        ctx.function, ctx.X_interactions, seq_length=ctx.n, alphabet=ctx.model.alphabet,
        index=INTERACTION_INDEX, order=INTERACTION_ORDER, random_state=ctx.suite.seed,
    )  # fmt: skip
    dense = _dense_interactions(result, ctx.n)
    count = ctx.X_interactions.shape[0]
    record = {
        "one_time_queries": 0,
        "one_time_seconds": 0.0,
        "per_sequence_queries": None,
        "per_sequence_seconds": None,
        "accuracy": None,
        "interactions": {
            "index": INTERACTION_INDEX,
            "order": INTERACTION_ORDER,
            "per_sequence_queries": result.n_model_queries / count,
            "per_sequence_seconds": result.seconds / count,
            "accuracy": ctx.interaction_accuracy(dense),
        },
        "extra": {},
    }
    return record, {"interactions": dense}


#: One runner per protocol a baseline can declare (:class:`baselines.HarnessInfo`).
_PROTOCOL_RUNNERS: dict[str, Callable[[_Context, type, MethodSpec], tuple[dict[str, Any], dict[str, np.ndarray]]]] = {
    "per_sequence": _run_per_sequence,
    "amortized": _run_amortized,
    "interactions": _run_interactions,
}
#: shap_zero's own methods: its engines by name ("shap_zero") and the dense exact transform.
PRODUCT_METHODS = ("shap_zero", "exact")


def _run_cell(ctx: _Context, spec: MethodSpec) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if spec.method in PRODUCT_METHODS:
        return _run_shap_zero(ctx, spec)
    cls = harness_baselines()[spec.method]
    return _PROTOCOL_RUNNERS[cls.harness.runner](ctx, cls, spec)


def _method_available(method: str) -> tuple[bool, str]:
    if method in PRODUCT_METHODS:
        return True, ""
    known = harness_baselines()
    if method not in known:
        return False, f"unknown method {method!r}; known: {sorted(PRODUCT_METHODS + tuple(known))}"
    reason = known[method].harness.missing()
    return reason is None, reason or ""


def _warm_up_baseline(cls: type, settings: dict[str, Any], sketch: sz.FourierSketch, X: np.ndarray) -> None:
    """One untimed run of a baseline's protocol on a tiny problem."""
    tiny = {"seq_length": X.shape[1], "alphabet": 4, "random_state": 0}
    runner = cls.harness.runner
    if runner == "per_sequence":
        cls(**settings).explain(sketch.predict, X[:1], **tiny)
    elif runner == "amortized":
        cls(progress=False, **settings).fit(sketch.predict, **tiny)
    else:
        cls(**settings).explain_interactions(
            sketch.predict, X[:1], index=INTERACTION_INDEX, order=INTERACTION_ORDER, **tiny
        )


def _warm_up() -> None:
    """Run every method once on a tiny problem, untimed, so no cell pays for start-up.

    shap_zero's numba kernels compile on first use, and so do shap's PermutationExplainer
    helpers (about 5 s); shapiq and torch have first-call costs too. Compilation is a
    per-process cost, not a per-sequence one, so it is excluded from every cell. Each
    baseline's warm-up settings come with its :class:`baselines.HarnessInfo`.
    """
    sketch = sz.random_sparse_sketch(6, 4, 5, max_degree=2, random_state=0)
    explainer = sz.ZeroExplainer(sketch.predict, alphabet=4, seq_length=6, method="qsft", b=2, random_state=0)
    explainer.fit()
    X = np.zeros((3, 6), dtype=np.uint8)
    explainer.shap_values(X)
    explainer.interactions(X, index=INTERACTION_INDEX, order=INTERACTION_ORDER)
    exact = sz.ZeroExplainer(sketch.predict, alphabet=4, seq_length=6, method="exact")
    exact.fit()
    exact.shap_values(X)
    for engine in ("regression", "hybrid"):  # their block kernels compile on first use too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a poor fit of the tiny problem does not matter here
            blocks = sz.ZeroExplainer(
                sketch.predict, alphabet=4, seq_length=6, method=engine, budget=1_500, random_state=0
            )
            blocks.fit()
            blocks.shap_values(X)
    for cls in harness_baselines().values():
        if cls.harness.missing() is None:
            for settings in cls.harness.warm_up:
                _warm_up_baseline(cls, settings, sketch, X)


def run_suite(
    suite: Suite,
    out_dir: Path,
    *,
    models: list[str] | None = None,
    methods: list[str] | None = None,
    fresh: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or resume) every cell of a suite and return the run's record.

    Parameters
    ----------
    suite : Suite
    out_dir : Path
        Root of the results, e.g. ``results/harness``.
    models, methods : list of str, optional
        Run only these model names / method names.
    fresh : bool
        Recompute cells that are already stored.
    progress : bool
        Progress bars.
    log : callable
        Where one-line messages go.

    Returns
    -------
    dict
        ``{"suite", "machine", "seconds", "computed", "reused", "skipped", "failed"}``.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir)
    selected = [spec for spec in suite.models if models is None or spec.name in models]
    unknown = sorted(set(models or ()) - {spec.name for spec in suite.models})
    if unknown:
        raise ValueError(f"models {unknown} are not in suite {suite.name!r}; it has {[m.name for m in suite.models]}")
    counts = {"computed": 0, "reused": 0, "skipped": 0, "failed": 0}
    commit = machine_info()["git_commit"]  # stored in every cell: cells of one table may come from several runs
    _warm_up()
    for spec in selected:
        ok, reason = model_zoo.model_available(spec.name)
        if not ok:
            log(f"[{spec.name}] skipped: {reason}")
            _write_cell(
                cell_path(out_dir, spec, "model"),
                {"label": "model", "status": "skipped", "reason": reason, "config_hash": None},
                {},
            )
            counts["skipped"] += 1
            continue
        model = model_zoo.load_model(spec.name, random_state=suite.seed, **spec.options)
        ctx = _Context(suite, spec, model, progress)
        fingerprint = model_fingerprint(ctx.function, ctx.n, ctx.q, suite.seed)
        model_record_path = cell_path(out_dir, spec, "model")
        _write_cell(
            model_record_path,
            {
                "label": "model",
                "status": "ok",
                "config_hash": None,
                "name": model.name,
                "description": model.description,
                "seq_length": model.seq_length,
                "q": model.alphabet.q,
                "kind": model.kind,
                "params": model.params,
                "fingerprint": fingerprint,
                "n_explain": suite.n_explain,
                "interaction_sequences": suite.interaction_sequences,
            },
            {"X": ctx.X},
        )
        cells = [MethodSpec("reference")] + [m for m in spec.methods if methods is None or m.method in methods]
        bar = tqdm(cells, desc=f"{spec.name}", disable=not progress)
        for method_spec in bar:
            label = "reference" if method_spec.method == "reference" else method_spec.label
            bar.set_postfix_str(label)
            path = cell_path(out_dir, spec, label)
            config_hash = _config_hash(suite, spec, method_spec, label, fingerprint)
            # --fresh with a method filter recomputes those methods; the reference they are
            # scored against is kept unless "reference" is one of them.
            refresh = fresh and (label != "reference" or methods is None or "reference" in methods)
            stored = None if refresh else _read_cell(path, config_hash)
            if stored is not None and stored.get("status") in ("ok", "skipped"):
                counts["reused"] += 1
                if label == "reference":
                    ctx.reference, ctx.reference_interactions = _stored_reference(path)
                continue
            record: dict[str, Any] = {
                "label": label,
                "method": method_spec.method,
                "settings": method_spec.settings,
                "config_hash": config_hash,
                "seed": suite.seed,
                "git_commit": commit,
                "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            }
            arrays: dict[str, np.ndarray] = {}
            available, reason = (True, "") if label == "reference" else _method_available(method_spec.method)
            if not available:
                record.update(status="skipped", reason=reason)
                counts["skipped"] += 1
                log(f"[{spec.name}] {label} skipped: {reason}")
            else:
                cell_start = time.perf_counter()
                try:
                    if label == "reference":
                        result, arrays = _reference(ctx)
                        ctx.reference = arrays["values"]
                        ctx.reference_interactions = arrays.get("interactions")
                    else:
                        result, arrays = _run_cell(ctx, method_spec)
                    record.update(status="ok", **result)
                    counts["computed"] += 1
                except Exception as error:  # a failing method is reported, the suite goes on
                    record.update(status="failed", reason=f"{type(error).__name__}: {error}",
                                  traceback=traceback.format_exc())
                    counts["failed"] += 1
                    log(f"[{spec.name}] {label} failed: {type(error).__name__}: {error}")
                record["cell_seconds"] = time.perf_counter() - cell_start
            _write_cell(path, record, arrays)
    seconds = time.perf_counter() - start
    run = {"suite": suite.name, "machine": machine_info(), "seconds": seconds, **counts}
    (out_dir / suite.name).mkdir(parents=True, exist_ok=True)
    (out_dir / suite.name / "last_run.json").write_text(json.dumps(run, indent=1))
    return run


def _stored_reference(path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    arrays_path = path.with_suffix(".npz")
    if not arrays_path.exists():
        return None, None
    with np.load(arrays_path, allow_pickle=False) as data:
        return data["values"], data["interactions"] if "interactions" in data.files else None

"""From stored harness cells to amortized cost curves, break-even points, tables and figures.

The cost model of every method is ``total(N) = one_time + N * per_sequence``, in model
queries and in seconds. SHAP zero pays its sketch once; KernelSHAP and PermutationSHAP
pay per sequence; FastSHAP pays its training once and a forward pass (plus one model
query) per sequence.

*Equal accuracy*: KernelSHAP's per-sequence cost at SHAP zero's NMSE, interpolated
(log-log) between the two settings of the grid around it on KernelSHAP's
cost-accuracy frontier (:func:`benchmarks.metrics.cost_at_error`). If no setting of
the grid is as accurate as SHAP zero, the most accurate one is used and the row says
so (KernelSHAP is then compared at a *lower* accuracy, which favours it); if even the
cheapest is more accurate, the cheapest is used (which favours SHAP zero, and the row
says so too).

*Engines*: SHAP zero's cells differ by sketch engine ("qsft", "regression", "hybrid";
cells without a ``method`` setting predate the engines and are q-SFT). Each engine's
cells over its budgets form one cost-accuracy curve. The best engine of a model is its
cell with the lowest NMSE (NMSEs below :data:`EXACT_NMSE` are round-off of exact recovery
and tie; ties go to fewer queries). q-SFT's best NMSE is then matched on every other
engine's curve: the queries that engine needs to be at least as accurate, interpolated
like KernelSHAP's (:func:`benchmarks.metrics.cost_at_error`), against q-SFT's queries.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from baselines import harness_baselines
from benchmarks import metrics
from benchmarks.harness import load_cells, machine_info
from benchmarks.suites import Suite

__all__ = [
    "EXACT_NMSE",
    "N_GRID",
    "engine_of",
    "engines_markers",
    "noise_floor",
    "summarise_suite",
    "table_markers",
    "write_outputs",
]

#: Numbers of explained sequences at which amortized costs are reported.
N_GRID = (1, 10, 100, 1_000, 10_000, 100_000)
_CURVE = np.unique(np.round(np.logspace(0, 5, 51)).astype(np.int64))
#: NMSE below this is round-off of an exact recovery: such cells tie on accuracy.
EXACT_NMSE = 1e-12
#: Sequences explained by the cost axis of the cost-accuracy figures and the engine table.
COST_SEQUENCES = 1_000


def table_markers(suite_name: str) -> tuple[str, str]:
    """The comments around a suite's results block in a Markdown file."""
    return f"<!-- harness-table:{suite_name}:start -->", f"<!-- harness-table:{suite_name}:end -->"


def engines_markers(suite_name: str) -> tuple[str, str]:
    """The comments around a suite's best-engine table in a Markdown file (optional there)."""
    return f"<!-- engines-table:{suite_name}:start -->", f"<!-- engines-table:{suite_name}:end -->"


def _ok(cell: dict[str, Any]) -> bool:
    return cell.get("status") == "ok"


def engine_of(cell: dict[str, Any]) -> str | None:
    """The sketch engine of a SHAP zero cell ("exact" for the dense transform), None for other methods."""
    if cell.get("method") == "exact":
        return "exact"
    if cell.get("method") == "shap_zero":
        # Cells without a method setting predate the engines and were computed with q-SFT.
        return cell.get("settings", {}).get("method", "qsft")
    return None


def _curve_key(cell: dict[str, Any]) -> str:
    """What a cell's cost-accuracy curve is: its engine for SHAP zero cells, else its method."""
    return engine_of(cell) or cell["method"]


def _runner(cell: dict[str, Any]) -> str | None:
    """The protocol a baseline cell was run by (:class:`baselines.HarnessInfo`), None for SHAP zero's."""
    cls = harness_baselines().get(cell.get("method", ""))
    return None if cls is None else cls.harness.runner


#: The per-sequence baseline of the break-even tables: KernelSHAP, the paper's comparison.
BREAK_EVEN_BASELINE = "kernelshap"


def noise_floor(reference: dict[str, Any] | None) -> float | None:
    """The NMSE of a Monte Carlo reference against the exact values, in expectation.

    ``mean(standard_errors^2) / mean(reference^2)``, the square of the stored relative
    standard error; None for exact references. An estimate's NMSE against the reference
    is its own NMSE plus about this much, so NMSEs near it cannot be told apart.
    """
    if not reference or "relative_standard_error" not in reference:
        return None
    return float(reference["relative_standard_error"]) ** 2


def _nmse(cell: dict[str, Any]) -> float:
    return cell["accuracy"]["nmse"]


def _accuracy_rank(cell: dict[str, Any]) -> tuple[float, int]:
    """Sort key of the most accurate cell: NMSE (exact recoveries tie), then fewer queries."""
    return max(_nmse(cell), EXACT_NMSE), cell["one_time_queries"]


def _total(cell: dict[str, Any], unit: str, n_sequences: Any, interactions: bool = False) -> np.ndarray:
    source = cell["interactions"] if interactions else cell
    return metrics.amortized_cost(cell[f"one_time_{unit}"], source[f"per_sequence_{unit}"], n_sequences)


def _equal_accuracy_row(zero: dict[str, Any], kernels: list[dict[str, Any]]) -> dict[str, Any] | None:
    """SHAP zero against KernelSHAP at SHAP zero's accuracy (see the module docstring)."""
    if zero.get("accuracy") is None or not kernels:
        return None
    target = zero["accuracy"]["nmse"]
    errors = np.array([max(k["accuracy"]["nmse"], 1e-300) for k in kernels])
    row: dict[str, Any] = {
        "shap_zero": zero["label"],
        "shap_zero_nmse": target,
        "shap_zero_pearson": zero["accuracy"]["pearson"],
    }
    for unit in ("seconds", "queries"):
        cost, kind, (left, right) = metrics.cost_at_error(
            np.array([k[f"per_sequence_{unit}"] for k in kernels]), errors, max(target, 1e-300)
        )
        row[f"kernelshap_per_sequence_{unit}"] = cost
        # The frontiers in seconds and in queries can differ; the settings and the match
        # reported are those of the seconds, the headline unit.
        if unit == "seconds":
            row["match"] = kind
            row["kernelshap"] = sorted({kernels[left]["label"], kernels[right]["label"]})
            row["kernelshap_nmse"] = target if kind == "interpolated" else kernels[left]["accuracy"]["nmse"]
        else:
            row["match_queries"] = kind
        row[f"break_even_{unit}"] = metrics.break_even(
            zero[f"one_time_{unit}"], zero[f"per_sequence_{unit}"], 0.0, cost
        )
        for n_sequences in (1_000, 100_000):
            row[f"speedup_{unit}_at_{n_sequences}"] = float(cost * n_sequences / _total(zero, unit, n_sequences))
    row["kernelshap_less_accurate"] = row["match"] == "less accurate"
    return row


def _interaction_rows(zero: dict[str, Any], shapiq_cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    mine = zero.get("interactions")
    if not mine:
        return rows
    for cell in shapiq_cells:
        theirs = cell["interactions"]
        row = {
            "shap_zero": zero["label"],
            "shapiq": cell["label"],
            "shap_zero_accuracy": mine.get("accuracy"),
            "shapiq_accuracy": theirs.get("accuracy"),
            "shapiq_per_sequence_seconds": theirs["per_sequence_seconds"],
            "shapiq_per_sequence_queries": theirs["per_sequence_queries"],
            "shap_zero_per_sequence_seconds": mine["per_sequence_seconds"],
        }
        for n_sequences in (1_000, 100_000):
            shapiq_total = theirs["per_sequence_seconds"] * n_sequences
            zero_total = zero["one_time_seconds"] + mine["per_sequence_seconds"] * n_sequences
            row[f"speedup_seconds_at_{n_sequences}"] = shapiq_total / zero_total
        row["break_even_seconds"] = metrics.break_even(
            zero["one_time_seconds"], mine["per_sequence_seconds"], 0.0, theirs["per_sequence_seconds"]
        )
        rows.append(row)
    return rows


def _queries_to_reach(cells: list[dict[str, Any]], target: float) -> dict[str, Any] | None:
    """The one-time queries an engine's cells need to reach NMSE ``target``, on their budget curve.

    Returns ``{"queries", "match"}`` (``match`` as in :func:`benchmarks.metrics.cost_at_error`:
    "interpolated", or "more accurate" when even the cheapest cell is, whose queries
    are then an upper bound), or None when no cell reaches ``target``.
    """
    costs = np.array([c["one_time_queries"] for c in cells], dtype=np.float64)
    errors = np.array([max(_nmse(c), EXACT_NMSE) for c in cells])
    queries, match, _ = metrics.cost_at_error(costs, errors, max(target, EXACT_NMSE))
    return None if match == "less accurate" else {"queries": queries, "match": match}


def _best_engine_row(sketches: list[dict[str, Any]], kernels: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most accurate engine cell of a model, KernelSHAP at its accuracy, and q-SFT's
    best against the other engines (see the module docstring)."""
    if not sketches:
        return None
    best = min(sketches, key=_accuracy_rank)
    extra = best.get("extra") or {}
    row: dict[str, Any] = {
        "best": best["label"],
        "engine": engine_of(best),
        "queries": best["one_time_queries"],
        "nmse": _nmse(best),
        "held_out_r2": extra.get("held_out_r2"),
        "fit_seconds": extra.get("fit_seconds"),
        "kernelshap": _equal_accuracy_row(best, kernels),
        "qsft": None,
    }
    qsft_cells = [c for c in sketches if engine_of(c) == "qsft"]
    if qsft_cells:
        qsft = min(qsft_cells, key=_accuracy_rank)
        others = {}
        for engine in sorted({engine_of(c) for c in sketches} - {"qsft"}):
            others[engine] = _queries_to_reach([c for c in sketches if engine_of(c) == engine], _nmse(qsft))
        reached = {engine: reach for engine, reach in others.items() if reach is not None}
        fastest = min(reached, key=lambda engine: reached[engine]["queries"], default=None)
        row["qsft"] = {
            "best": qsft["label"],
            "queries": qsft["one_time_queries"],
            "nmse": _nmse(qsft),
            "others": others,
            "fastest_other": fastest,
            "ratio": None if fastest is None else reached[fastest]["queries"] / qsft["one_time_queries"],
        }
    return row


def _load_suite_cells(suite: Suite, out_dir: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The stored cells of a suite, by model label, then cell label (read once per report).

    Suites share a model's folder (the full suite adds budgets to the quick suite's
    models), so only the cells this suite names are kept.
    """
    loaded = {}
    for spec in suite.models:
        labels = {"model", "reference"} | {method.label for method in spec.methods}
        loaded[spec.label] = {label: cell for label, cell in load_cells(out_dir, spec).items() if label in labels}
    return loaded


def summarise_suite(
    suite: Suite, out_dir: Path, loaded: dict[str, dict[str, dict[str, Any]]] | None = None
) -> dict[str, Any]:
    """Summary of every model of a suite from its stored cells (JSON-ready).

    ``loaded`` is :func:`_load_suite_cells`'s result, when the caller already read it.
    """
    loaded = _load_suite_cells(suite, out_dir) if loaded is None else loaded
    summary: dict[str, Any] = {"suite": suite.name, "seed": suite.seed, "n_explain": suite.n_explain, "models": []}
    for spec in suite.models:
        cells = dict(loaded[spec.label])  # a copy: the model and reference entries are popped
        info = cells.pop("model", None)
        if info is None:
            continue
        model_summary: dict[str, Any] = {"name": spec.name, "label": spec.label, "info": _without_arrays(info)}
        if info.get("status") != "ok":
            summary["models"].append(model_summary)
            continue
        reference = cells.pop("reference", None)
        model_summary["reference"] = None if reference is None else _without_arrays(reference)
        methods = [c for c in cells.values() if c.get("method")]
        model_summary["cells"] = [_without_arrays(c) for c in methods]
        model_summary["compute_seconds"] = sum(
            c.get("cell_seconds", 0.0) for c in [*methods, *([reference] if reference else [])]
        )
        ok = [c for c in methods if _ok(c)]
        kernels = [c for c in ok if c["method"] == BREAK_EVEN_BASELINE and c.get("accuracy")]
        zeros = [c for c in ok if c["method"] in ("shap_zero", "exact")]
        model_summary["equal_accuracy"] = [r for z in zeros if (r := _equal_accuracy_row(z, kernels))]
        model_summary["noise_floor"] = noise_floor(reference)
        # The budgeted engines only: the dense transform is exact at q^n queries by construction.
        sketches = [c for c in ok if c["method"] == "shap_zero" and c.get("accuracy")]
        model_summary["engines"] = _best_engine_row(sketches, kernels)
        shapiq_cells = [c for c in ok if _runner(c) == "interactions"]
        # Interactions: the most accurate SHAP zero setting (by its SHAP values) against each estimator.
        best_zero = min(zeros, key=lambda c: (c.get("accuracy") or {}).get("nmse", math.inf), default=None)
        model_summary["interactions"] = [] if best_zero is None else _interaction_rows(best_zero, shapiq_cells)
        model_summary["amortized_seconds"] = {
            c["label"]: dict(zip(map(str, N_GRID), _total(c, "seconds", N_GRID).tolist(), strict=True))
            for c in ok
            if c.get("per_sequence_seconds") is not None
        }
        model_summary["agreement"] = _agreement(methods)
        summary["models"].append(model_summary)
    return summary


def _agreement(cells: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Pearson correlation of SHAP values between every two methods (accuracy between methods)."""
    with_values = [c for c in cells if _ok(c) and "values" in c.get("arrays", {})]
    table: dict[str, dict[str, float]] = {}
    for a in with_values:
        table[a["label"]] = {b["label"]: metrics.pearson(a["arrays"]["values"], b["arrays"]["values"]) for b in with_values}
    return table


def _without_arrays(cell: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cell.items() if key not in ("arrays", "traceback")}


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def _fmt_n(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "never"
    return f"{int(value):,}"


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}g}"


def _fmt_nmse(value: Any) -> str:
    if value is not None and not math.isnan(value) and value < EXACT_NMSE:
        return f"< {EXACT_NMSE:g} (exact)"
    return _fmt(value)


def _fmt_ratio(value: float) -> str:
    return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def _pretty(cell: dict[str, Any]) -> str:
    """A readable name of a cell's method and setting."""
    settings = cell.get("settings", {})
    method = cell.get("method")
    if method == "shap_zero":
        return f"SHAP zero ({engine_of(cell)}), budget {settings.get('budget', 0):,}"
    if method == "exact":
        return "exact transform (q^n queries)"
    cls = harness_baselines().get(method)
    return cell["label"] if cls is None else cls.harness.description(settings)


def _reference_text(reference: dict[str, Any] | None) -> str:
    if not reference:
        return "-"
    if "relative_standard_error" in reference:
        return f"Monte Carlo (rel. s.e. {100 * reference['relative_standard_error']:.1f}%)"
    return reference["kind"].split(",")[0]


def _fmt_seconds(value: float | None) -> str:
    if value is None or value == 0:
        return "-"
    if value >= 1:
        return f"{value:,.1f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.2g} us"


def headline_table(summary: dict[str, Any]) -> str:
    """One row per model: SHAP zero at its best budget against KernelSHAP at equal accuracy."""
    lines = [
        "| model | n | reference | SHAP zero, one-time cost | NMSE | KernelSHAP at equal accuracy | NMSE | "
        "break-even N (time / queries) | speed-up at N=1,000 | at N=100,000 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in summary["models"]:
        rows = model.get("equal_accuracy") or []
        if not rows:
            continue
        cells = {c["label"]: c for c in model["cells"]}
        best = min(rows, key=lambda r: r["shap_zero_nmse"])
        zero = cells[best["shap_zero"]]
        settings = " and ".join(
            f"{cells[label]['settings']['nsamples']:,} x {cells[label]['settings']['background_size']}"
            for label in best["kernelshap"]
        )
        how = {
            "interpolated": f"interpolated between {settings} (coalitions x background)",
            "less accurate": f"{settings} (coalitions x background), the grid's most accurate, still less accurate",
            "more accurate": f"{settings} (coalitions x background), the grid's cheapest, already more accurate",
        }[best["match"]]
        lines.append(
            f"| {model['name']} | {model['info']['seq_length']} | {_reference_text(model.get('reference'))} | "
            f"{_pretty(zero)}: {zero['one_time_queries']:,} queries, "
            f"{_fmt_seconds(zero['one_time_seconds'])} | {_fmt_nmse(best['shap_zero_nmse'])} | "
            f"{best['kernelshap_per_sequence_queries']:,.0f} queries, "
            f"{_fmt_seconds(best['kernelshap_per_sequence_seconds'])} per sequence; {how} | "
            f"{_fmt_nmse(best['kernelshap_nmse'])} | "
            f"{_fmt_n(best['break_even_seconds'])} / {_fmt_n(best['break_even_queries'])} | "
            f"{_fmt_ratio(best['speedup_seconds_at_1000'])} | {_fmt_ratio(best['speedup_seconds_at_100000'])} |"
        )
    return "\n".join(lines) + "\n"


def interaction_table(summary: dict[str, Any]) -> str:
    """SHAP zero's k-SII pairs against shapiq's estimators, per model."""
    lines = [
        "| model | SHAP zero | shapiq estimator | its cost per sequence | SHAP zero per sequence | "
        "pair Pearson vs exact, SHAP zero | same, shapiq | speed-up at N=1,000 | at N=100,000 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model in summary["models"]:
        cells = {c["label"]: c for c in model.get("cells", [])}
        for row in model.get("interactions") or []:
            mine = (row["shap_zero_accuracy"] or {}).get("pearson")
            theirs = (row["shapiq_accuracy"] or {}).get("pearson")
            lines.append(
                f"| {model['name']} | {_pretty(cells[row['shap_zero']])} | {_pretty(cells[row['shapiq']])} | "
                f"{_fmt_seconds(row['shapiq_per_sequence_seconds'])}, {row['shapiq_per_sequence_queries']:,.0f} queries | "
                f"{_fmt_seconds(row['shap_zero_per_sequence_seconds'])} | {_fmt(mine)} | {_fmt(theirs)} | "
                f"{_fmt_ratio(row['speedup_seconds_at_1000'])} | {_fmt_ratio(row['speedup_seconds_at_100000'])} |"
            )
    return "\n".join(lines) + "\n"


def fastshap_table(summary: dict[str, Any]) -> str:
    """The amortized baselines' training cost to reach a Pearson correlation (FastSHAP's
    ``harness_extra``), next to SHAP zero's sketch."""
    amortized = [m for m, cls in harness_baselines().items() if cls.harness.runner == "amortized"]
    names = " / ".join(harness_baselines()[m].harness.label for m in amortized)
    lines = [
        f"| model | {names} training (total) | to Pearson 0.9 | to Pearson 0.95 | final Pearson / NMSE | "
        "SHAP zero (most accurate setting): one-time, Pearson / NMSE |",
        "|---|---|---|---|---|---|",
    ]
    for model in summary["models"]:
        cells = [c for c in model.get("cells", []) if c.get("status") == "ok"]
        zeros = [c for c in cells if c["method"] == "shap_zero" and c.get("accuracy")]
        for cell in (c for c in cells if c["method"] in amortized):
            reach = [cell["extra"].get(f"to_pearson_{t}") for t in (0.9, 0.95)]
            reach_text = [
                "not reached" if r is None else f"{r['queries']:,} queries, {_fmt_seconds(r['seconds'])}" for r in reach
            ]
            accuracy = cell.get("accuracy") or {}
            zero_text = "-"
            if zeros:
                best = min(zeros, key=lambda c: c["accuracy"]["nmse"])
                zero_text = (
                    f"{best['one_time_queries']:,} queries, {_fmt_seconds(best['one_time_seconds'])}; "
                    f"{_fmt(best['accuracy']['pearson'])} / {_fmt_nmse(best['accuracy']['nmse'])}"
                )
            lines.append(
                f"| {model['name']} | {cell['one_time_queries']:,} queries, {_fmt_seconds(cell['one_time_seconds'])} "
                f"({cell['extra'].get('epochs')} epochs) | {reach_text[0]} | {reach_text[1]} | "
                f"{_fmt(accuracy.get('pearson'))} / {_fmt_nmse(accuracy.get('nmse'))} | {zero_text} |"
            )
    return "\n".join(lines) + "\n"


def _kernelshap_match_text(row: dict[str, Any] | None) -> str:
    """KernelSHAP's per-sequence cost at an NMSE, with how it was matched."""
    if row is None:
        return "-"
    how = {
        "interpolated": "interpolated",
        "less accurate": f"its most accurate setting, NMSE {_fmt(row['kernelshap_nmse'])}: less accurate",
        "more accurate": f"its cheapest setting, NMSE {_fmt(row['kernelshap_nmse'])}: more accurate",
    }[row["match"]]
    return (
        f"{row['kernelshap_per_sequence_queries']:,.0f} queries, "
        f"{_fmt_seconds(row['kernelshap_per_sequence_seconds'])} ({how})"
    )


def _engine_reach_text(qsft: dict[str, Any]) -> tuple[str, str]:
    """The other engine that needs the fewest queries for q-SFT's best NMSE, and the ratio of queries."""
    fastest = qsft["fastest_other"]
    if fastest is None:
        return (f"not reached by {' or '.join(qsft['others'])}" if qsft["others"] else "-"), "-"
    reach = qsft["others"][fastest]
    if reach["match"] == "more accurate":  # its cheapest budget already is: an upper bound
        return f"{fastest}: <= {reach['queries']:,.0f} queries (its smallest budget)", f"<= {_fmt(qsft['ratio'])}"
    return f"{fastest}: {reach['queries']:,.0f} queries", _fmt(qsft["ratio"])


def engines_table(summary: dict[str, Any]) -> str:
    """One row per model: its most accurate sketch engine, and q-SFT's best against the other engines."""
    lines = [
        "| model | n | reference NMSE floor | best engine | queries | NMSE | held-out R^2 | fit | "
        "KernelSHAP per sequence at that NMSE | break-even N (time / queries) | q-SFT's best: NMSE, queries | "
        "other engine at that NMSE | queries / q-SFT's |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in summary["models"]:
        row = model.get("engines")
        if not row:
            continue
        cells = {c["label"]: c for c in model["cells"]}
        floor = model.get("noise_floor")
        kernel = row["kernelshap"]
        break_even = (
            "-" if kernel is None else f"{_fmt_n(kernel['break_even_seconds'])} / {_fmt_n(kernel['break_even_queries'])}"
        )
        qsft = row["qsft"]
        if qsft is None:
            qsft_text, reach_text, ratio_text = "-", "-", "-"
        else:
            qsft_text = f"{_fmt_nmse(qsft['nmse'])}, {qsft['queries']:,}"
            reach_text, ratio_text = _engine_reach_text(qsft)
        lines.append(
            f"| {model['name']} | {model['info']['seq_length']} | {'exact' if floor is None else _fmt(floor)} | "
            f"{row['engine']}, budget {cells[row['best']]['settings'].get('budget', 0):,} | {row['queries']:,} | "
            f"{_fmt_nmse(row['nmse'])} | {_fmt(row['held_out_r2'])} | {_fmt_seconds(row['fit_seconds'])} | "
            f"{_kernelshap_match_text(kernel)} | {break_even} | {qsft_text} | {reach_text} | {ratio_text} |"
        )
    return "\n".join(lines) + "\n"


def cells_table(summary: dict[str, Any]) -> str:
    """Every cell: cost and accuracy against the reference."""
    lines = [
        "| model | method | one-time queries | one-time | queries / seq | time / seq | Pearson | NMSE | top-3 | sign | "
        "sketch R^2 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model in summary["models"]:
        for cell in model.get("cells", []):
            if cell.get("status") != "ok":
                lines.append(f"| {model['name']} | {cell['label']} | {cell.get('status')}: {cell.get('reason', '')} ||||||||")
                continue
            acc = cell.get("accuracy") or {}
            if cell.get("per_sequence_seconds") is None:  # interaction-only methods
                inter = cell["interactions"]
                per_q, per_s = inter["per_sequence_queries"], inter["per_sequence_seconds"]
                acc = {"pearson": (inter.get("accuracy") or {}).get("pearson")}
                method = f"{cell['label']} (k-SII pairs)"
            else:
                per_q, per_s, method = cell["per_sequence_queries"], cell["per_sequence_seconds"], cell["label"]
            lines.append(
                f"| {model['name']} | {method} | {cell['one_time_queries']:,} | {_fmt_seconds(cell['one_time_seconds'])} | "
                f"{per_q:,.1f} | {_fmt_seconds(per_s)} | {_fmt(acc.get('pearson'))} | {_fmt_nmse(acc.get('nmse'))} | "
                f"{_fmt(acc.get('top3_recall'))} | {_fmt(acc.get('sign_agreement'))} | "
                f"{_fmt((cell.get('extra') or {}).get('held_out_r2'))} |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


#: Legend name, colour and marker of SHAP zero's curves (its engines and the dense
#: transform), the same in every panel and figure; q-SFT keeps the colour SHAP zero had
#: before the engines. The baselines declare theirs (:class:`baselines.HarnessInfo`).
ENGINE_STYLES = {
    "qsft": ("SHAP zero: q-SFT", "#1b9e77", "o"),
    "regression": ("SHAP zero: regression", "#a6761d", "s"),
    "hybrid": ("SHAP zero: hybrid", "#66a61e", "^"),
    "auto": ("SHAP zero: auto", "#e6ab02", "X"),
    "exact": ("exact transform", "#7570b3", "P"),
}


def curve_styles() -> dict[str, tuple[str, str, str]]:
    """(legend name, colour, marker) of every curve: SHAP zero's first, then the baselines'."""
    styles = dict(ENGINE_STYLES)
    for method, cls in harness_baselines().items():
        styles[method] = (cls.harness.label, cls.harness.colour, cls.harness.marker)
    return styles


def _colour(key: str) -> str:
    return curve_styles().get(key, (key, "#000000", "o"))[1]
#: NMSE below this is drawn at this value (exact recovery, round-off of 1e-28 otherwise rules the axis).
NMSE_FLOOR = 1e-6


def _panels(plt: Any, count: int, width: float = 4.6, height: float = 3.4) -> tuple[Any, list[Any]]:
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _shades(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Colour of each cell: its family's colour, lighter for cheaper settings."""
    from matplotlib.colors import to_rgb

    colours = {}
    for family in {_curve_key(c) for c in cells}:
        members = sorted(
            (c for c in cells if _curve_key(c) == family), key=lambda c: float(_total(c, "queries", 1_000))
        )
        base = np.array(to_rgb(_colour(family)))
        for k, cell in enumerate(members):
            lighten = 0.55 * (1 - (k + 1) / len(members))  # the costliest setting in full colour
            colours[cell["label"]] = tuple(base + (1 - base) * lighten)
    return colours


def _title(model: dict[str, Any]) -> str:
    return f"{model['name']} (n={model['info']['seq_length']})"


def _queries_text(value: float, _position: Any = None) -> str:
    """A tick label of a query count: 500, 20k, 1.5M."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def _query_ticks(ax: Any, queries: list[float]) -> None:
    """Labelled ticks at 1, 2 and 5 per decade on a short log axis, one per decade on a long one
    (matplotlib's default labels only powers of ten, or crowds the minor ticks)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    subs = (1.0,) if max(queries) / min(queries) > 100 else (1.0, 2.0, 5.0)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(_queries_text))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _engines_figure(plt: Any, models: list[dict[str, Any]], path: Path) -> None:
    """SHAP-value NMSE against the model queries to explain 1,000 sequences, one curve per engine and method.

    Amortized methods (sketch engines, FastSHAP) pay their one-time queries (FastSHAP
    also one query per sequence); sampling methods (KernelSHAP, PermutationSHAP) pay
    per sequence, 1,000 times. The dashed line is the reference's noise floor
    (Monte Carlo references only). Markers are open, so curves that coincide (exact
    recoveries, all drawn at :data:`NMSE_FLOOR`) stay visible.
    """
    fig, axes = _panels(plt, len(models))
    for ax, model in zip(axes, models, strict=True):
        curves: dict[str, list[tuple[float, float]]] = {}
        for cell in model["cells"]:
            if not _ok(cell) or not cell.get("accuracy") or cell.get("per_sequence_queries") is None:
                continue
            queries = float(_total(cell, "queries", COST_SEQUENCES))
            curves.setdefault(_curve_key(cell), []).append((queries, max(_nmse(cell), NMSE_FLOOR)))
        styles = curve_styles()
        order = {key: rank for rank, key in enumerate(styles)}
        for key in sorted(curves, key=lambda key: (order.get(key, len(order)), key)):
            points = sorted(curves[key])
            name, colour, marker = styles.get(key, (key, "#000000", "o"))
            ax.loglog(
                *zip(*points, strict=True), marker=marker, linestyle="-" if len(points) > 1 else "none",
                color=colour, label=name, ms=6, lw=1.3, markerfacecolor="none", markeredgewidth=1.3,
            )  # fmt: skip
        floor = model.get("noise_floor")
        if floor is not None:
            ax.axhline(max(floor, NMSE_FLOOR), color="black", linestyle="--", lw=0.9, label="reference noise floor")
        if curves:
            _query_ticks(ax, [queries for points in curves.values() for queries, _ in points])
        ax.set_title(_title(model), fontsize=9)
        ax.set_xlabel(f"model queries to explain {COST_SEQUENCES:,} sequences")
        ax.set_ylabel(f"SHAP-value NMSE vs reference\n(exact recovery drawn at {NMSE_FLOOR:g})", fontsize=8)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle("Cost and accuracy of every sketch engine, KernelSHAP and FastSHAP", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _figures(
    summary: dict[str, Any], suite: Suite, out_dir: Path, loaded: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, Path]:
    """Draw every figure of a suite; returns their paths by name (file name without ``.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in summary["models"] if m.get("cells")]
    if not models:
        return {}
    folder = Path(out_dir) / suite.name
    written = [folder / "engines_cost_accuracy.png"]
    _engines_figure(plt, models, written[0])
    # Amortized cost against N.
    fig, axes = _panels(plt, len(models))
    for ax, model in zip(axes, models, strict=True):
        cells = [c for c in model["cells"] if c.get("status") == "ok" and c.get("per_sequence_seconds") is not None]
        colours = _shades(cells)
        for cell in sorted(cells, key=lambda c: (c["method"], c["label"])):
            style = "-" if cell["method"] in ("shap_zero", "exact") else "--"
            ax.loglog(_CURVE, _total(cell, "seconds", _CURVE), style, color=colours[cell["label"]],
                      label=cell["label"], lw=1.5)  # fmt: skip
        ax.set_title(_title(model), fontsize=9)
        ax.set_xlabel("sequences explained, N")
        ax.set_ylabel("total seconds")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=5, loc="upper left")
    fig.suptitle("Amortized cost: one-time + N x per sequence (solid: SHAP zero / exact transform)", fontsize=10)
    fig.tight_layout()
    path = folder / "amortized_cost.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    # Accuracy against budget: model queries to explain 1,000 sequences.
    fig, axes = _panels(plt, len(models))
    for ax, model in zip(axes, models, strict=True):
        families: dict[str, list[tuple[float, float]]] = {}
        for cell in model["cells"]:
            if cell.get("status") != "ok" or not cell.get("accuracy"):
                continue
            queries = float(_total(cell, "queries", 1_000))
            families.setdefault(_curve_key(cell), []).append((queries, max(cell["accuracy"]["nmse"], NMSE_FLOOR)))
        for method, points in sorted(families.items()):
            points.sort()
            ax.loglog(*zip(*points, strict=True), "o-", label=method, ms=4, color=_colour(method))
        ax.set_title(_title(model), fontsize=9)
        ax.set_xlabel("model queries to explain 1,000 sequences")
        ax.set_ylabel(f"NMSE vs reference (floor {NMSE_FLOOR:g})")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Accuracy of SHAP values against budget", fontsize=10)
    fig.tight_layout()
    path = folder / "accuracy_vs_budget.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    # One example explanation per model: reference, best SHAP zero, matched KernelSHAP.
    fig, axes = plt.subplots(len(models), 1, figsize=(9, 2.4 * len(models)), squeeze=False)
    for ax, model in zip(axes[:, 0], models, strict=True):
        cells = loaded[model["label"]]
        shown = [("reference", cells.get("reference"))]
        rows = model.get("equal_accuracy") or []
        if rows:
            best = min(rows, key=lambda r: r["shap_zero_nmse"])
            shown += [(best["shap_zero"], cells.get(best["shap_zero"]))]
            shown += [(label, cells.get(label)) for label in best["kernelshap"][-1:]]
        shown = [(name, c) for name, c in shown if c is not None and "values" in c.get("arrays", {})]
        width = 0.8 / max(len(shown), 1)
        positions = np.arange(model["info"]["seq_length"])
        for k, (name, cell) in enumerate(shown):
            colour = "black" if name == "reference" else _colour(_curve_key(cell))
            ax.bar(positions + k * width, cell["arrays"]["values"][0], width=width, label=name, color=colour)
        ax.set_title(f"{_title(model)}: SHAP values of the first explained sequence", fontsize=9)
        ax.set_xticks(positions + 0.4 - width / 2, [str(p + 1) for p in positions], fontsize=6)
        ax.axhline(0, color="k", lw=0.5)
        ax.legend(fontsize=6, ncol=3)
    axes[-1, 0].set_xlabel("position")
    fig.tight_layout()
    path = folder / "example_explanations.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return {path.stem: path for path in written}


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


def write_outputs(suite: Suite, out_dir: Path, *, docs: list[Path] | None = None) -> dict[str, Any]:
    """Write ``summary.json``, ``summary.md`` and the figures; update the tables in ``docs``.

    Parameters
    ----------
    suite : Suite
    out_dir : Path
        Root of the results (``results/harness``).
    docs : list of Path, optional
        Markdown files whose text between ``<!-- harness-table:<suite>:start -->`` and
        ``<!-- harness-table:<suite>:end -->`` is replaced by the headline tables (every
        file must have that block), and, in the files that have one, the text between
        ``<!-- engines-table:<suite>:start -->`` and ``<!-- engines-table:<suite>:end -->``
        by the best-engine table.

    Returns
    -------
    dict
        The summary; ``summary["figures"]`` maps each figure's name (e.g.
        ``"engines_cost_accuracy"``) to its path, ``summary["engines_block"]`` is the
        best-engine block as written into ``docs``.
    """
    out_dir = Path(out_dir)
    loaded = _load_suite_cells(suite, out_dir)
    summary = summarise_suite(suite, out_dir, loaded)
    folder = out_dir / suite.name
    folder.mkdir(parents=True, exist_ok=True)
    last_run_path = folder / "last_run.json"
    summary["run"] = json.loads(last_run_path.read_text()) if last_run_path.exists() else {"machine": machine_info()}
    compute = sum(m.get("compute_seconds", 0.0) for m in summary["models"])
    summary["compute_seconds"] = compute
    commits: dict[str, int] = {}
    for model in summary["models"]:
        for cell in [*model.get("cells", []), *([model["reference"]] if model.get("reference") else [])]:
            key = cell.get("git_commit") or "not recorded"
            commits[key] = commits.get(key, 0) + 1
    summary["cell_commits"] = commits
    figures = _figures(summary, suite, out_dir, loaded)
    summary["figures"] = {name: str(path) for name, path in figures.items()}
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    headline = headline_table(summary)
    interactions = interaction_table(summary)
    run = summary["run"]
    machine = run["machine"]
    provenance = (
        f"Suite `{suite.name}`, run {machine['date']} on {machine['cpu']} ({machine['logical_cpus']} logical CPUs), "
        f"commit {machine.get('git_commit')}; computing all its cells took {compute:,.0f} s "
        f"(the last invocation {run.get('seconds', float('nan')):,.0f} s); cells by the commit that computed "
        f"them: {', '.join(f'{key} ({count})' for key, count in sorted(commits.items()))}. "
        f"Regenerate with `python -m benchmarks run --suite {suite.name}`."
    )
    block = (
        f"{provenance}\n\nSHAP values ({suite.n_explain} uniform random sequences per model):\n\n{headline}\n"
        f"Pairwise k-SII interactions ({suite.interaction_sequences} sequences), against shapiq:\n\n{interactions}\n"
        f"FastSHAP's training, with its accuracy tracked against the reference after every epoch:\n\n"
        f"{fastshap_table(summary)}"
    )
    figure_text = f" Figure: `{_shown_path(figures['engines_cost_accuracy'])}`." if figures else ""
    engines_block = (
        f"Suite `{suite.name}`: the most accurate sketch engine per model (of every engine and budget; the "
        "queries count the design and the held-out R^2 sequences), KernelSHAP at its accuracy, and q-SFT's "
        "best NMSE against the queries the cheapest other engine needs to match it (interpolated on its "
        f"budget curve; the target is 1/10 of q-SFT's queries).{figure_text}\n\n{engines_table(summary)}"
    )
    summary["engines_block"] = engines_block
    (folder / "summary.md").write_text(
        f"{block}\nSketch engines:\n\n{engines_block}\nEvery cell:\n\n{cells_table(summary)}"
    )
    for doc in docs or []:
        _replace_block(Path(doc), block, *table_markers(suite.name))
        start, end = engines_markers(suite.name)
        if start in Path(doc).read_text():
            _replace_block(Path(doc), engines_block, start, end)
    return summary


def _shown_path(path: Path) -> str:
    """A path as the docs show it: relative to the repository when inside it."""
    root = Path(__file__).resolve().parent.parent
    resolved = Path(path).resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(resolved)


def _replace_block(path: Path, block: str, start: str, end: str) -> None:
    text = path.read_text()
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} block to update")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{block}{end}{tail}")

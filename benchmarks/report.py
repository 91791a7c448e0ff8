"""Summarise a pytest-benchmark JSON file as ratios against the reference in each group.

Usage::

    python -m pytest benchmarks/test_bench_attribution.py --benchmark-only \\
        --benchmark-json results/attribution_benchmark.json
    python -m benchmarks.report results/attribution_benchmark.json

Writes a Markdown table next to the JSON (same name, ``.md``) and prints it. In each
group the ratio is the reference's median time per sequence divided by each
implementation's (``implementation`` and ``n_sequences`` in the benchmark's extra_info;
the reference is the benchmark with ``reference=True`` in its extra_info, else the
implementation called "numpy").
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def summarise(record: dict) -> str:
    """Markdown table of one pytest-benchmark record."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for bench in record["benchmarks"]:
        groups[bench["group"]].append(bench)
    machine = record.get("machine_info", {})
    cpu = machine.get("cpu", {})
    lines = [
        f"Machine: {cpu.get('brand_raw', machine.get('processor', '?'))}, "
        f"{cpu.get('count', '?')} logical CPUs, Python {machine.get('python_version', '?')}; "
        f"run {record.get('datetime', '?')}.",
        "",
        "| group | implementation | sequences | median (ms) | us / sequence | speed-up vs reference |",
        "|---|---|---|---|---|---|",
    ]
    for group, benches in sorted(groups.items()):
        reference = next((b for b in benches if b["extra_info"].get("reference")), None) or next(
            (b for b in benches if b["extra_info"].get("implementation") == "numpy"), None
        )
        for bench in sorted(benches, key=lambda b: b["stats"]["median"]):
            median = bench["stats"]["median"]
            n_sequences = bench["extra_info"].get("n_sequences", 0)
            per_sequence = median / n_sequences * 1e6 if n_sequences else float("nan")
            ratio = "-"
            if reference and n_sequences and reference["extra_info"].get("n_sequences"):
                reference_per_sequence = reference["stats"]["median"] / reference["extra_info"]["n_sequences"]
                speedup = reference_per_sequence / (median / n_sequences)
                ratio = f"{speedup:,.1f}x" if speedup < 1e4 else f"{speedup:,.0f}x"
            lines.append(
                f"| {group} | {bench['extra_info'].get('implementation', bench['name'])} | {n_sequences:,} | "
                f"{median * 1e3:.1f} | {per_sequence:.3f} | {ratio} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_path", type=Path)
    args = parser.parse_args()
    record = json.loads(args.json_path.read_text())
    table = summarise(record)
    out = args.json_path.with_suffix(".md")
    out.write_text(table)
    print(table)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""What sketching costs beyond the model's own time, for a fast PyTorch CNN.

Run with ``python -m benchmarks.adaptor_overhead``. A small guide-RNA-sized CNN (n = 26,
q = 4: Conv1d with 32 filters of width 5, ReLU, max-pool, two linear layers; random
weights, CPU) is sketched through ``ZeroExplainer(module,
model_input="onehot_channels_first")`` at a budget of 500,000 queries, and the same number
of forward passes is timed alone (each batch's one-hot built, untimed, just before its
pass), in batches of the campaign's size, under ``torch.inference_mode``, and once more through ``sz.TorchModel``
on codes (the adaptor alone). All are measured in the same run,
alternating, seven times each (the median counts), after an untimed warm-up.

The campaign's query time is the explainer's fit time minus the engine's numeric fit
(``report_.fit_seconds``): drawing the design, removing duplicates, batching, the
adaptor's one-hot on the device, the model, and the output checks. The library's
overhead is that time over the model-alone time, minus one; the target is at most 10%.
Results go to ``results/adaptor_overhead.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

import shap_zero as sz
from benchmarks.harness import machine_info
from shap_zero.models import DEFAULT_BATCH_SIZE

N, Q = 26, 4
BUDGET = 500_000
REPEATS = 7


def make_cnn():
    """The benchmark's CNN (random weights, seed 0)."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(Q, 32, 5), torch.nn.ReLU(), torch.nn.MaxPool1d(2), torch.nn.Flatten(),
        torch.nn.Linear(32 * 11, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1),
    )  # fmt: skip
    return net.eval()


def model_alone_seconds(net, count: int) -> float:
    """Seconds of ``count`` forward passes alone, in campaign batches.

    Each batch's one-hot is built, untimed, just before its forward pass: tensors built
    all beforehand (185 MB at 443,000 rows) are out of cache when their turn comes, which
    made the model alone up to twice as slow as the same model fed by the adaptor.
    """
    import torch

    rng = np.random.default_rng(1)
    codes = torch.from_numpy(rng.integers(0, Q, size=(count, N)).astype(np.int64))
    seconds = 0.0
    with torch.inference_mode():
        for start in range(0, count, DEFAULT_BATCH_SIZE):
            batch = torch.nn.functional.one_hot(codes[start : start + DEFAULT_BATCH_SIZE], Q)
            batch = batch.float().permute(0, 2, 1).contiguous()
            started = time.perf_counter()
            net(batch)
            seconds += time.perf_counter() - started
    return seconds


def adaptor_seconds(net, count: int) -> float:
    """Seconds of ``count`` sequences through ``sz.TorchModel`` (codes in, numbers out), in campaign batches."""
    model = sz.TorchModel(net, sz.DNA, layout="channels_first")
    rng = np.random.default_rng(1)
    codes = rng.integers(0, Q, size=(count, N)).astype(np.uint8)
    started = time.perf_counter()
    for start in range(0, count, DEFAULT_BATCH_SIZE):
        model(codes[start : start + DEFAULT_BATCH_SIZE])
    return time.perf_counter() - started


def campaign_seconds(net) -> tuple[float, int, float]:
    """(query seconds, queries, engine fit seconds) of one sketching campaign."""
    explainer = sz.ZeroExplainer(
        net, alphabet=sz.DNA, seq_length=N, model_input="onehot_channels_first", method="qsft",
        budget=BUDGET, random_state=0,
    )  # fmt: skip
    started = time.perf_counter()
    explainer.fit()
    total = time.perf_counter() - started
    fit = explainer.report_.fit_seconds
    return total - fit, explainer.n_queries_, fit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    import torch

    net = make_cnn()
    campaign_seconds(net)  # warm-up: kernels compile, torch allocates
    model_alone_seconds(net, 20_000)
    load_before = os.getloadavg()
    campaigns, alone, adapted = [], [], []
    for _ in range(REPEATS):
        seconds, queries, fit = campaign_seconds(net)
        campaigns.append(seconds)
        alone.append(model_alone_seconds(net, queries))
        adapted.append(adaptor_seconds(net, queries))
    load_after = os.getloadavg()
    campaign, model, adaptor = (statistics.median(times) for times in (campaigns, alone, adapted))
    record = {
        "machine": machine_info(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "queries": queries, "campaign_seconds": campaigns, "model_alone_seconds": alone,
        "adaptor_seconds": adapted, "overhead": campaign / model - 1, "adaptor_overhead": adaptor / model - 1,
        "load_before": load_before, "load_after": load_after,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "adaptor_overhead.json").write_text(json.dumps(record, indent=1))
    text = (
        f"PyTorch CNN (n = {N}, q = {Q}), sketched with q-SFT at a budget of {BUDGET:,} "
        f"(`python -m benchmarks.adaptor_overhead`, {record['machine']['date']}, torch {torch.__version__} "
        f"on {torch.get_num_threads()} threads, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after):\n\n"
        "| queries | model alone (s) | model alone (sequences/s) | through TorchModel (s) | adaptor overhead "
        "| campaign queries (s) | campaign (queries/s) | library overhead |\n|---|---|---|---|---|---|---|---|\n"
        f"| {queries:,} | {model:.2f} | {queries / model:,.0f} | {adaptor:.2f} | {100 * record['adaptor_overhead']:+.0f}% "
        f"| {campaign:.2f} | {queries / campaign:,.0f} | {100 * record['overhead']:+.0f}% |\n\n"
        f"Medians of {REPEATS} alternating runs; every run: "
        + ", ".join(f"{c:.2f} / {t:.2f} / {a:.2f} s" for c, t, a in zip(campaigns, adapted, alone, strict=True))
        + " (campaign / through the adaptor / model alone). The adaptor's share is building the one-hot from "
        "the codes and returning float64; the campaign adds the design, duplicate removal, batching and checks.\n"
    )
    (args.out / "adaptor_overhead.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

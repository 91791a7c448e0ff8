"""Smoke test of the benchmark against the peer q-SFT (``benchmarks/peer_qsft.py``) on a tiny case."""

from __future__ import annotations

import pytest

pytest.importorskip("sparse_transform", reason="the peer package sparse-transform is not installed")

from benchmarks import peer_qsft  # noqa: E402

EXPECTED_KEYS = {
    "configuration",
    "n",
    "b",
    "n_repeats",
    "n_groups",
    "noise",
    "snr_db",
    "noise_sd",
    "seed",
    "engine",
    "n_queries",
    "n_unique_queries",
    "n_queries_evaluated",
    "n_model_calls",
    "seconds",
    "seconds_all",
    "same_result_all_repeats",
    "model_seconds",
    "engine_model_seconds",
    "engine_decode_seconds",
    "engine_settings",
    "exact_recovery",
    "recall",
    "n_true",
    "n_found",
    "n_spurious",
    "n_returned",
    "coef_nmse",
    "max_coef_error",
    "test_nmse",
}


@pytest.mark.parametrize("n_repeats", [1, 2])
def test_tiny_noiseless_case(n_repeats):
    config = peer_qsft.Configuration(n=8, b=3, n_repeats=n_repeats)
    rows = peer_qsft.run_case(config, None, seed=0, n_pairs=8, timing_repeats=2)
    assert [row["engine"] for row in rows] == [peer_qsft.OURS, peer_qsft.PEER]
    for row in rows:
        assert set(row) == EXPECTED_KEYS
        assert len(row["seconds_all"]) == 2 and row["seconds"] == min(row["seconds_all"])
        assert row["same_result_all_repeats"]
        # Both engines query the same design size; the peer evaluates duplicates again.
        assert row["n_queries"] == config.n_queries == 3 * n_repeats * 9 * 4**3
        assert row["noise_sd"] == 0.0
        assert 0.0 <= row["recall"] <= 1.0
    ours, peer = rows
    assert peer["n_queries_evaluated"] == config.n_queries
    assert ours["n_unique_queries"] == ours["n_queries_evaluated"] <= config.n_queries
    assert ours["exact_recovery"], ours
    assert ours["recall"] == 1.0 and ours["n_spurious"] == 0
    assert ours["coef_nmse"] < 1e-20 and ours["test_nmse"] < 1e-20


def test_tiny_noisy_case_and_table():
    config = peer_qsft.Configuration(n=8, b=3, n_repeats=1)
    rows = peer_qsft.run_case(config, 10.0, seed=1, n_pairs=8, timing_repeats=1)
    assert all(row["noise"] == "10 dB" and row["noise_sd"] > 0 for row in rows)
    record = {
        "created": "now",
        "machine": peer_qsft.machine_info(),
        "settings": {"n_true_range": "16", "seeds": [1], "timing_repeats": 1},
        "rows": rows,
    }
    table = peer_qsft.summarise(record)
    assert "| n=8 b=3 R=1 | 10 dB | shap_zero |" in table
    assert "| n=8 b=3 R=1 | 10 dB | sparse_transform |" in table

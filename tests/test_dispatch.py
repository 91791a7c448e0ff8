"""Serial or parallel by measured speed: the choice logic, and that both paths agree bit for bit."""

from __future__ import annotations

import time

import numba
import numpy as np
import pytest

import shap_zero as sz
from shap_zero._config import BLOCK_ROWS
from shap_zero._kernels import attribution as kernels
from shap_zero._kernels.dispatch import RETRY_EVERY, ThreadChoice
from shap_zero.attribution.engine import _uniform_args


class _Recorder:
    """A stand-in kernel that records its calls and takes a set time."""

    def __init__(self, seconds):
        self.seconds, self.calls = seconds, 0

    def __call__(self, *args):
        self.calls += 1
        time.sleep(self.seconds)
        return args


def test_small_calls_always_run_serially():
    parallel, serial = _Recorder(0.0), _Recorder(0.0)
    choice = ThreadChoice(parallel, serial, threshold=1000)
    for _ in range(5):
        assert choice(999, "a", 1) == ("a", 1)
    assert (parallel.calls, serial.calls) == (0, 5)


@pytest.mark.skipif(numba.get_num_threads() == 1, reason="with one numba thread every call is serial")
@pytest.mark.parametrize("slow", ["parallel", "serial"])
def test_large_calls_run_the_faster_version_and_retry_the_slower(slow):
    parallel = _Recorder(0.01 if slow == "parallel" else 0.0)
    serial = _Recorder(0.01 if slow == "serial" else 0.0)
    choice = ThreadChoice(parallel, serial, threshold=10)
    calls = 3 * RETRY_EVERY
    for _ in range(calls):
        choice(100, "x")
    slower = parallel if slow == "parallel" else serial
    # Each version is timed twice, then the slower one runs only as a periodic re-measurement.
    assert slower.calls <= 2 + calls // RETRY_EVERY
    assert parallel.calls + serial.calls == calls


def test_one_numba_thread_means_serial(monkeypatch):
    parallel, serial = _Recorder(0.0), _Recorder(0.0)
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)
    ThreadChoice(parallel, serial, threshold=1)(10**9)
    assert (parallel.calls, serial.calls) == (0, 1)


def test_serial_and_parallel_kernels_agree_bit_for_bit(rng):
    sketch = sz.random_sparse_sketch(12, 4, 60, max_degree=4, random_state=4)
    arrays = sketch.spectrum_arrays()
    X = rng.integers(0, 4, size=(3 * BLOCK_ROWS + 17, 12)).astype(np.uint8)
    a, b = np.empty((X.shape[0], 12)), np.empty((X.shape[0], 12))
    kernels.shapley_uniform(X, *_uniform_args(arrays), BLOCK_ROWS, a)
    kernels.shapley_uniform_serial(X, *_uniform_args(arrays), BLOCK_ROWS, b)
    np.testing.assert_array_equal(a, b)
    c, d = np.empty((X.shape[0], 12, 12)), np.empty((X.shape[0], 12, 12))
    kernels.pairwise_uniform(X, *_uniform_args(arrays), c)
    kernels.pairwise_uniform_serial(X, *_uniform_args(arrays), d)
    np.testing.assert_array_equal(c, d)

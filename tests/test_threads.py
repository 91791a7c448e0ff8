"""shap_zero leaves the user's thread settings alone (numba's OpenMP layer must not change them)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch is the library whose OpenMP setting numba used to overwrite")

CHILD = """
import torch, numpy as np, shap_zero as sz, numba

torch.set_num_threads(1)
torch.get_num_threads()
sketch = sz.random_sparse_sketch(26, 4, 300, random_state=0)
codes = np.random.default_rng(0).integers(0, 4, (200_000, 26))
sz.shapley_values(sketch, codes)  # large enough for the parallel kernels
print(torch.get_num_threads(), numba.get_num_threads())
numba.set_num_threads(1)
sz.shapley_values(sketch, codes)
print(torch.get_num_threads(), numba.get_num_threads())
"""


def test_explaining_keeps_torch_threads_and_numba_settings():
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=600)
    first, second = result.stdout.split()[-4:-2], result.stdout.split()[-2:]
    assert first[0] == "1", f"torch threads after an explanation: {first[0]} (set to 1 before)"
    assert second == ["1", "1"], second

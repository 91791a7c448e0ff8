"""The kernel tests again with numba's JIT disabled, so that the kernels run as Python.

Compiled kernels are invisible to coverage and to Python's own checks (an index out of
bounds is a crash or silent garbage in compiled code, an IndexError in Python). This
runs every test marked ``kernels`` (tests/conftest.py) in a subprocess with
``NUMBA_DISABLE_JIT=1``: about a minute on the project's 2-CPU machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="already running without the JIT")
def test_the_kernel_tests_pass_as_plain_python():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    probe = subprocess.run(
        [sys.executable, "-c", "import shap_zero._kernels.blocks as k; print(hasattr(k.add_block_tables, 'py_func'))"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "False", "the JIT was not disabled in the subprocess"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "kernels", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    tail = run.stdout[-3000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed is not None and int(passed.group(1)) >= 400, tail

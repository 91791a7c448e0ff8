"""Serial twins of parallel kernels, for work too small to pay for waking threads.

A ``parallel=True`` kernel costs a thread wake-up per call (milliseconds on a busy
machine), which dominates small problems. :func:`serial_twin` compiles the same Python
source without ``parallel`` (``prange`` then runs as ``range``) under its own name, so
the two versions have separate on-disk caches.
"""

from __future__ import annotations

import types
from typing import Any

import numba

#: Below this many inner-loop operations a call runs the serial twin.
PARALLEL_MIN_WORK = 1 << 20


def serial_twin(kernel: Any) -> Any:
    """The serial version of a ``numba.njit(parallel=True)`` kernel."""
    function = kernel.py_func
    clone = types.FunctionType(
        function.__code__, function.__globals__, function.__name__ + "_serial", function.__defaults__, function.__closure__
    )
    clone.__qualname__ = function.__qualname__ + "_serial"
    clone.__module__ = function.__module__
    clone.__doc__ = function.__doc__
    return numba.njit(cache=True, nogil=True)(clone)


def choose(kernel: Any, twin: Any, work: int, threshold: int = PARALLEL_MIN_WORK) -> Any:
    """``kernel`` when ``work`` (inner-loop operations) reaches ``threshold``, else ``twin``."""
    return kernel if work >= threshold else twin

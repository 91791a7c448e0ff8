"""Serial twins of parallel kernels, for work too small to pay for waking threads.

A ``parallel=True`` kernel costs a thread wake-up per call (milliseconds on a busy
machine), which dominates small problems. :func:`serial_twin` compiles the same Python
source without ``parallel`` (``prange`` then runs as ``range``) under its own name, so
the two versions have separate on-disk caches.
"""

from __future__ import annotations

import ctypes
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


def launch_threads_keeping_openmp() -> None:
    """Start numba's thread pool now, leaving the process's OpenMP thread count as it was.

    numba's OpenMP threading layer sets the OpenMP thread count of the calling thread
    to numba's when it starts. The OpenMP runtime it binds to is the first one in the
    process's global symbol scope, which is PyTorch's when torch was imported first, so
    a user's ``torch.set_num_threads(1)`` silently became 2 at the first parallel
    explanation (a CNN then ran 4x slower). Starting the pool here and restoring the
    count keeps the user's setting; numba sizes its own parallel regions explicitly,
    so ``numba.set_num_threads`` keeps working.
    """
    try:
        process = ctypes.CDLL(None)
        get_threads, set_threads = process.omp_get_max_threads, process.omp_set_num_threads
    except (OSError, AttributeError):  # no OpenMP runtime loaded yet: nothing to keep
        get_threads = set_threads = None
    before = int(get_threads()) if get_threads is not None else None
    try:
        from numba.np.ufunc.parallel import _launch_threads
    except ImportError:  # a numba without this entry point starts its pool on first use
        return
    _launch_threads()
    if before is not None and set_threads is not None and int(get_threads()) != before:
        set_threads(before)

"""Serial twins of parallel kernels, for work too small to pay for waking threads.

A ``parallel=True`` kernel costs a thread wake-up per call (milliseconds on a busy
machine), which dominates small problems. :func:`serial_twin` compiles the same Python
source without ``parallel`` (``prange`` then runs as ``range``) under its own name, so
the two versions have separate on-disk caches.
"""

from __future__ import annotations

import ctypes
import time
import types
from typing import Any

import numba

#: Below this many inner-loop operations a call runs the serial twin.
PARALLEL_MIN_WORK = 1 << 20


def serial_twin(kernel: Any) -> Any:
    """The serial version of a ``numba.njit(parallel=True)`` kernel.

    Under ``NUMBA_DISABLE_JIT=1`` the kernel is its plain Python function, and so is the twin.
    """
    function = getattr(kernel, "py_func", kernel)
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


class ThreadChoice:
    """Run a parallel kernel or its serial twin, whichever has been measured faster.

    A parallel region waits for all its threads; on a machine where another process keeps
    a core busy, the second thread gets the core only after the scheduler's time slice
    (about 8 ms measured on the project's 2-CPU machine), so the parallel kernel is then
    slower than the serial one at every size (``benchmarks/latency.py``). Measuring
    beats guessing: calls below ``threshold`` units of work always run serially (one
    wake-up costs more than they do), and above it both versions are timed per unit of
    work (an exponential average of each), the parallel one runs when it is clearly
    faster (:data:`PARALLEL_MARGIN`), and the other is timed again every
    :data:`RETRY_EVERY` calls so a change of load is noticed. Both versions
    compute every row identically, so the choice never changes a result.

    Parameters
    ----------
    kernel : numba dispatcher
        The ``parallel=True`` kernel.
    twin : numba dispatcher
        Its serial twin (:func:`serial_twin`).
    threshold : int
        Units of work below which the call is always serial.
    """

    def __init__(self, kernel: Any, twin: Any, threshold: int = PARALLEL_MIN_WORK) -> None:
        self.kernel, self.twin, self.threshold = kernel, twin, int(threshold)
        self.seconds_per_work: dict[bool, float | None] = {True: None, False: None}
        self.samples = {True: 0, False: 0}
        self.calls = 0

    def __call__(self, work: int, *args: Any) -> Any:
        """Run the chosen version on ``args``; ``work`` is the call's size in the threshold's units."""
        if work < self.threshold or numba.get_num_threads() == 1:
            return self.twin(*args)
        self.calls += 1
        parallel = self._choose()
        started = time.perf_counter()
        result = (self.kernel if parallel else self.twin)(*args)
        rate = (time.perf_counter() - started) / max(work, 1)
        previous = self.seconds_per_work[parallel]
        # A version's first call may load it from numba's cache: the second timing replaces it.
        first = self.samples[parallel] <= 1
        self.seconds_per_work[parallel] = rate if previous is None or first else 0.5 * (previous + rate)
        self.samples[parallel] += 1
        return result

    def _choose(self) -> bool:
        if min(self.samples.values()) < 2:  # time each version twice, alternating, parallel first
            return self.samples[True] <= self.samples[False]
        parallel_rate, serial_rate = self.seconds_per_work[True], self.seconds_per_work[False]
        assert parallel_rate is not None and serial_rate is not None
        # Threads must pay for themselves clearly: at about equal speed (a busy core) the
        # parallel kernel's time varies by a scheduler time slice, the serial one does not.
        faster = parallel_rate < PARALLEL_MARGIN * serial_rate
        return (not faster) if self.calls % RETRY_EVERY == 0 else faster


#: A call of the slower version, to re-measure it, comes once per this many large calls
#: (every 16 cost 6% with a busy core at 10^5 sequences: one parallel chunk waiting a
#: time slice per 16; every 64 costs a quarter of that and still notices a change of load
#: within 64 large calls).
RETRY_EVERY = 64
#: The parallel kernel runs when its measured time per unit of work is below this
#: fraction of the serial one's (quiet: about 0.5 on the project's 2-CPU machine).
PARALLEL_MARGIN = 0.75


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

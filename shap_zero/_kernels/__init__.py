"""numba kernels: plain arrays in and out, no randomness, no I/O, no validation.

Every kernel assumes its inputs were checked by the public function that calls it:
sequence codes are C-contiguous ``uint8`` arrays of shape (N, n) with entries below q,
and a sparse spectrum is given in the CSR layout of
:class:`shap_zero.fourier.SpectrumArrays` (``term_ptr``, ``term_pos``, ``term_val``).
Kernels are compiled on first use and cached on disk (``cache=True``).
"""

from shap_zero._kernels.dispatch import launch_threads_keeping_openmp

# Start numba's threads before any kernel runs, without changing the user's OpenMP settings.
launch_threads_keeping_openmp()

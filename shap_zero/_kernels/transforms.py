"""Block DFTs of the subsampled queries: the aliased transforms of the q-SFT decoder.

Every block of q^b real samples is transformed by a b-dimensional DFT over Z_q^b, one
axis at a time. For q = 2 and q = 4 the per-axis DFT is a butterfly of additions and
multiplications by -i, with no complex multiplications; other q use the direct O(q)
sum per entry, which only pays off for small q (the driver hands q > 4 to an FFT).
A library FFT spends most of its time on per-transform overhead here, since every
1-D transform has length q.
"""

from __future__ import annotations

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin


@numba.njit(cache=True, nogil=True, inline="always")
def _axis_dft(work: np.ndarray, q: int, stride: int, roots: np.ndarray, scratch: np.ndarray) -> None:
    """In-place q-point DFT (sign -1) along the axis of ``stride`` of ``work`` (q^b,)."""
    span = stride * q
    for start in range(0, work.shape[0], span):
        for offset in range(stride):
            base = start + offset
            if q == 4:
                a0 = work[base]
                a1 = work[base + stride]
                a2 = work[base + 2 * stride]
                a3 = work[base + 3 * stride]
                sum02 = a0 + a2
                diff02 = a0 - a2
                sum13 = a1 + a3
                diff13 = a1 - a3
                rotated = complex(diff13.imag, -diff13.real)  # -i * (a1 - a3)
                work[base] = sum02 + sum13
                work[base + stride] = diff02 + rotated
                work[base + 2 * stride] = sum02 - sum13
                work[base + 3 * stride] = diff02 - rotated
            elif q == 2:
                a0 = work[base]
                a1 = work[base + stride]
                work[base] = a0 + a1
                work[base + stride] = a0 - a1
            else:
                for m in range(q):
                    scratch[m] = work[base + m * stride]
                for k in range(q):
                    total = 0j
                    for m in range(q):
                        total += scratch[m] * roots[(k * m) % q]
                    work[base + k * stride] = total


@numba.njit(parallel=True, cache=True, nogil=True)
def block_transforms(samples: np.ndarray, q: int, b: int, out: np.ndarray) -> None:
    """Normalised b-dimensional DFT of every block of samples.

    ``out[c, j, p] = q^-b sum_l samples[c, p, l] omega^(-<j, l>)`` with omega =
    exp(2 pi i / q), j and l the base-q digits of the C-order indices (first digit most
    significant): the layout :func:`numpy.fft.fftn` over b axes of length q gives,
    divided by q^b.

    Parameters
    ----------
    samples : ndarray of shape (C, P, q^b), float64
        Block (c, p) holds the samples of group c at delay p.
    q, b : int
    out : ndarray of shape (C, q^b, P), complex128
        Written.
    """
    n_groups, n_delays, size = samples.shape
    roots = np.exp(-2j * np.pi * np.arange(q) / q)
    scale = 1.0 / size
    for block in numba.prange(n_groups * n_delays):
        group = block // n_delays
        delay = block % n_delays
        work = np.empty(size, dtype=np.complex128)
        scratch = np.empty(q, dtype=np.complex128)
        for j in range(size):
            work[j] = samples[group, delay, j]
        stride = 1
        for _ in range(b):
            _axis_dft(work, q, stride, roots, scratch)
            stride *= q
        for j in range(size):
            out[group, j, delay] = work[j] * scale


block_transforms_serial = serial_twin(block_transforms)

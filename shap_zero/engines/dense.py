"""The dense Fourier transform of a function known on all q^n sequences.

Used by the exact engine, and by every engine whose budget covers all q^n sequences
(the campaign driver then enumerates them instead of designing, since no design can
do better than the exact transform).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DENSE_BYTES_PER_SEQUENCE", "dense_transform", "enumerate_sequences"]

#: Peak working memory of a dense campaign per sequence beyond its n code bytes: the
#: model's value (8 bytes per output), the complex FFT and its copy (32), the sketch's
#: coefficients and frequencies when all are kept (16 + n), bookkeeping (measured
#: about 60 at n = 10 to 12; rounded up).
DENSE_BYTES_PER_SEQUENCE = 96


def enumerate_sequences(n: int, q: int) -> np.ndarray:
    """Every sequence of length n over Z_q, row r holding the base-q digits of r (most significant first).

    Returns
    -------
    ndarray of shape (q**n, n), uint8
        The C order of ``np.ndindex((q,) * n)``, so outputs reshape to ``(q,) * n``.
    """
    codes = np.arange(q**n, dtype=np.int64)
    out = np.empty((q**n, n), dtype=np.uint8)
    for i in range(n):
        out[:, i] = (codes // q ** (n - 1 - i)) % q
    return out


def dense_transform(values: np.ndarray, n: int, q: int, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Fourier coefficients of the values of :func:`enumerate_sequences` order, round-off removed.

    .. math:: F[k] = q^{-n} \\sum_x f(x)\\, \\omega^{-\\langle k, x \\rangle}

    A coefficient is kept when ``|F[k]| > tolerance * rms_k |F[k]|``. By Parseval the
    root mean square over all q^n coefficients is ``rms(f) / sqrt(q^n)``, and an FFT's
    round-off per coefficient is about ``eps * log2(q^n)`` times it, so the default
    tolerance (1e-12) leaves a margin of about 100x over round-off while an offset of
    1e4 no longer hides effects of 1e-8 (a cut relative to the largest coefficient,
    usually the mean, did).

    Parameters
    ----------
    values : ndarray of shape (q**n,)
        f at every sequence, in the order of :func:`enumerate_sequences`.
    n, q : int
    tolerance : float
        Relative cut (0 keeps every nonzero coefficient).

    Returns
    -------
    frequencies : ndarray of shape (S, n), uint8
    coefficients : ndarray of shape (S,), complex128
        Full-spectrum coefficients of the kept frequencies.
    """
    size = q**n
    spectrum = (np.fft.fftn(np.asarray(values, dtype=np.float64).reshape((q,) * n)) / size).reshape(-1)
    magnitude = np.abs(spectrum)
    rms = float(np.sqrt(np.mean(magnitude**2))) if size else 0.0
    keep = np.flatnonzero(magnitude > float(tolerance) * rms) if tolerance > 0 else np.flatnonzero(magnitude > 0)
    frequencies = np.empty((keep.size, n), dtype=np.uint8)
    for i in range(n):
        frequencies[:, i] = (keep // q ** (n - 1 - i)) % q
    return frequencies, spectrum[keep]

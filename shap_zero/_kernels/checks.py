"""Small checks of input arrays, faster than NumPy's reductions on a few elements."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def max_code(codes: np.ndarray) -> int:
    """The largest entry of a C-contiguous uint8 array (0 when empty).

    ``codes.max()`` costs about 2 us of NumPy's dispatch on one sequence, a fifth of
    explaining it; this loop costs about 0.4 us.

    Parameters
    ----------
    codes : ndarray of uint8, any shape, C-contiguous

    Returns
    -------
    int
    """
    largest = 0
    for value in codes.ravel():
        if value > largest:
            largest = value
    return largest

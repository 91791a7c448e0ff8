"""Query points of a q-SFT design and their de-duplication.

``design_points`` writes every point ``M_c l + d_p (mod q)`` of a design in one pass;
``pack_rows`` and ``first_appearance_unique`` find its distinct rows with a hash table
in O(M) instead of a sort, numbering them by first appearance.
"""

from __future__ import annotations

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin

#: Multiplier of Fibonacci hashing (2^64 / golden ratio): spreads packed rows over the table.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, nogil=True, parallel=True)
def design_points(matrices: np.ndarray, delays: np.ndarray, q: int, b: int, out: np.ndarray) -> None:
    """All query points of a design, block by block.

    Parameters
    ----------
    matrices : ndarray of shape (C, n, b_max), int64
        Subsampling matrices; only their first ``b`` columns are used (nested designs).
    delays : ndarray of shape (P, n), int64
        Delay vectors.
    q, b : int
        Alphabet size and the design's b (``q^b`` points per block).
    out : ndarray of shape (C, P, q^b, n), uint8
        Written: ``out[c, p, l] = M_c l + d_p (mod q)`` with the lattice index l in C order
        (first coordinate most significant).
    """
    n_groups, n = matrices.shape[0], matrices.shape[1]
    n_delays = delays.shape[0]
    block = q**b
    for flat in numba.prange(n_groups * block):
        c = flat // block
        index = flat % block
        digits = np.empty(b, dtype=np.int64)
        base = np.empty(n, dtype=np.int64)
        rest = index
        for t in range(b - 1, -1, -1):
            digits[t] = rest % q
            rest //= q
        for i in range(n):
            total = 0
            for t in range(b):
                total += matrices[c, i, t] * digits[t]
            base[i] = total % q
        # Delays in the outer loop: each point's row is written contiguously.
        for p in range(n_delays):
            for i in range(n):
                value = base[i] + delays[p, i]  # both in 0..q-1
                out[c, p, index, i] = value - q if value >= q else value


design_points_serial = serial_twin(design_points)


@numba.njit(cache=True, nogil=True)
def pack_rows(points: np.ndarray, bits: int, keys: np.ndarray) -> None:
    """Each row as one integer, ``bits`` bits per entry (needs n * bits <= 64).

    Entry i is shifted to its place independently and the row is OR-reduced: unlike a
    shift-or chain (a dependency per entry), the reduction vectorises (2x faster).

    Parameters
    ----------
    points : ndarray of shape (M, n), uint8
        Entries below ``2**bits``.
    bits : int
    keys : ndarray of shape (M,), uint64
        Written; the first entry is the most significant.
    """
    m, n = points.shape
    shifts = np.empty(n, dtype=np.uint64)
    for i in range(n):
        shifts[i] = np.uint64(bits * (n - 1 - i))
    for r in range(m):
        key = np.uint64(0)
        for i in range(n):
            key |= np.uint64(points[r, i]) << shifts[i]
        keys[r] = key


@numba.njit(cache=True, nogil=True)
def first_appearance_unique(keys: np.ndarray, first: np.ndarray, inverse: np.ndarray) -> int:
    """Distinct keys in order of first appearance, by open addressing.

    Parameters
    ----------
    keys : ndarray of shape (M,), uint64
    first : ndarray of shape (M,), int64
        Written: ``first[u]`` is the row where distinct key u first appears (u < count).
    inverse : ndarray of shape (M,), int64
        Written: ``keys[r] == keys[first[inverse[r]]]``.

    Returns
    -------
    int
        The number of distinct keys.
    """
    m = keys.shape[0]
    bits = 1
    while (1 << bits) < 2 * m:  # a table at most half full keeps probe chains short
        bits += 1
    size = 1 << bits
    shift = np.uint64(64 - bits)
    # The table holds only ids (4 bytes a slot, so it stays in cache longer); a slot's key
    # is read back through first[id].
    slot_id = np.full(size, -1, dtype=np.int32)
    count = 0
    for r in range(m):
        key = keys[r]
        slot = np.int64((key * _GOLDEN) >> shift)  # the top bits: Fibonacci hashing
        while True:
            ident = slot_id[slot]
            if ident == -1:
                slot_id[slot] = count
                first[count] = r
                inverse[r] = count
                count += 1
                break
            if keys[first[ident]] == key:
                inverse[r] = ident
                break
            slot = (slot + 1) & (size - 1)
    return count


@numba.njit(cache=True, nogil=True)
def rank_mod_prime(matrix: np.ndarray, p: int) -> int:
    """Rank of an integer matrix over GF(p), by Gaussian elimination.

    Parameters
    ----------
    matrix : ndarray of shape (rows, cols), int64
        Not modified.
    p : int
        A prime.

    Returns
    -------
    int
    """
    work = matrix % p
    rows, cols = work.shape
    rank = 0
    for col in range(cols):
        pivot = -1
        for r in range(rank, rows):
            if work[r, col] != 0:
                pivot = r
                break
        if pivot < 0:
            continue
        for c in range(cols):
            work[rank, c], work[pivot, c] = work[pivot, c], work[rank, c]
        # The inverse by Fermat: a^(p-2) mod p.
        inverse = 1
        base = work[rank, col]
        exponent = p - 2
        while exponent > 0:
            if exponent & 1:
                inverse = inverse * base % p
            base = base * base % p
            exponent >>= 1
        for c in range(cols):
            work[rank, c] = work[rank, c] * inverse % p
        for r in range(rows):
            factor = work[r, col]
            if r != rank and factor != 0:
                for c in range(cols):
                    work[r, c] = (work[r, c] - factor * work[rank, c]) % p
        rank += 1
        if rank == rows:
            break
    return rank

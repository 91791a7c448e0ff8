"""Functions that are sums of tables over position subsets ("blocks"), at many sequences.

A block b is a set of positions ``S_b`` in increasing order with a table of q^|S_b|
numbers at ``tables[table_b:table_b + q^|S_b|]``. A sequence x reads entry
``index_b(x) = sum_e x[S_b[e]] * q^(|S_b| - 1 - e)`` of the table (the first position is
the most significant digit, so a table reshaped to (q,) * |S_b| in C order is indexed by
the letters in position order).

The evaluation and histogram kernels take the blocks as a prefix tree: one node per
distinct prefix of a block, in depth-first (lexicographic) order, each adding one
position to its parent. A node's index is its parent's times q plus one letter, so a
block of any degree costs one pass over the rows instead of one per position (3166
blocks of degree <= 4 at 4 million rows: see ``benchmarks/engine_scaling.py``). The
greedy search's kernels take parents and children in CSR form
(``pos[ptr[p]:ptr[p+1]]``).

Sequences come transposed, ``codes_t`` of shape (n, N), so that the loops over
sequences read contiguous memory. Row chunks keep the per-chunk index array in cache.
"""

from __future__ import annotations

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin

#: Sequences per chunk of the row loops.
ROW_CHUNK = 2048


@numba.njit(cache=True, nogil=True, inline="always")
def _chunk_index(codes_t, positions_start, positions_stop, block_pos, q, start, count, index):
    """``index[j] = index_b(x_{start + j})`` for ``j < count``.

    The loops read 1-D slices of ``codes_t``: indexing the 2-D array element by element
    made the histogram kernels 2.5x slower (measured, 4M rows, 351 blocks).
    """
    letters = codes_t[block_pos[positions_start], start : start + count]
    for j in range(count):
        index[j] = letters[j]
    for e in range(positions_start + 1, positions_stop):
        letters = codes_t[block_pos[e], start : start + count]
        for j in range(count):
            index[j] = index[j] * q + letters[j]


@numba.njit(cache=True, nogil=True, inline="always")
def _node_index(codes_t, node, node_pos, node_depth, q, start, count, index):
    """Row ``node_depth[node]`` of ``index``: the node's cell for the chunk's rows.

    Its parent's cell (the row above) times q plus the letter at the node's position, so
    every block costs one pass over the chunk whatever its degree.
    """
    depth = node_depth[node]
    letters = codes_t[node_pos[node], start : start + count]
    here = index[depth]
    if depth == 0:
        for j in range(count):
            here[j] = letters[j]
    else:
        parent = index[depth - 1]
        for j in range(count):
            here[j] = parent[j] * q + letters[j]
    return here


@numba.njit(parallel=True, cache=True, nogil=True)
def add_block_tables(
    codes_t: np.ndarray,
    node_pos: np.ndarray,
    node_depth: np.ndarray,
    node_table: np.ndarray,
    tables: np.ndarray,
    q: int,
    out: np.ndarray,
) -> None:
    """Add ``sum_b tables[table_b + index_b(x_r)]`` to ``out[r]`` for every sequence r.

    The blocks come as a prefix tree (module docstring) in depth-first order.

    Parameters
    ----------
    codes_t : ndarray of shape (n, N), uint8
        Transposed codes.
    node_pos : ndarray of shape (M,), int64
        The position each node adds to its parent's.
    node_depth : ndarray of shape (M,), int64
        0 for a node of one position; a node of depth d > 0 follows its parent, of depth
        d - 1, with only the parent's descendants in between.
    node_table : ndarray of shape (M,), int64
        Offset of the node's table in ``tables``, or -1 for a prefix that is no block.
    tables : ndarray, float64
    q : int
    out : ndarray of shape (N,), float64
        Accumulated in place.
    """
    n_rows = codes_t.shape[1]
    n_nodes = node_pos.shape[0]
    n_chunks = (n_rows + ROW_CHUNK - 1) // ROW_CHUNK
    depth = 1
    for node in range(n_nodes):
        depth = max(depth, node_depth[node] + 1)
    for chunk in numba.prange(n_chunks):
        start = chunk * ROW_CHUNK
        count = min(ROW_CHUNK, n_rows - start)
        index = np.empty((depth, count), dtype=np.int64)
        total = out[start : start + count]
        for node in range(n_nodes):
            cells = _node_index(codes_t, node, node_pos, node_depth, q, start, count, index)
            first = node_table[node]
            if first >= 0:
                for j in range(count):
                    total[j] += tables[first + cells[j]]


@numba.njit(parallel=True, cache=True, nogil=True)
def block_histograms(
    codes_t: np.ndarray,
    weights: np.ndarray,
    node_pos: np.ndarray,
    node_depth: np.ndarray,
    node_table: np.ndarray,
    q: int,
    partial: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out[table_b + a] = sum of weights[r] over the sequences r with index_b(x_r) = a``.

    The adjoint of :func:`add_block_tables`. The rows are split into
    ``partial.shape[0]`` contiguous parts, each summed into its own row of ``partial``
    (so threads never write to the same entry), and the parts are added at the end.
    Within a part, every block visits one chunk of rows before the next chunk is read,
    so the weights are read from memory once rather than once per block (2x faster than
    a loop over blocks outside, measured serial and parallel on the project's machine).
    Entries of ``out`` that belong to no block are left as they are.

    Parameters
    ----------
    codes_t : ndarray of shape (n, N), uint8
    weights : ndarray of shape (N,), float64
    node_pos, node_depth, node_table, q
        As in :func:`add_block_tables`.
    partial : ndarray of shape (P, len(out)), float64
        Workspace, one row per part (P = 1 for a serial call); overwritten.
    out : ndarray, float64
        The tables' layout; overwritten.
    """
    n_rows = codes_t.shape[1]
    n_nodes = node_pos.shape[0]
    n_parts = partial.shape[0]
    n_chunks = (n_rows + ROW_CHUNK - 1) // ROW_CHUNK
    per_part = (n_chunks + n_parts - 1) // n_parts
    depth = 1
    for node in range(n_nodes):
        depth = max(depth, node_depth[node] + 1)
    for part in numba.prange(n_parts):
        accumulator = partial[part]
        accumulator[:] = 0.0
        index = np.empty((depth, ROW_CHUNK), dtype=np.int64)
        for chunk in range(part * per_part, min(n_chunks, (part + 1) * per_part)):
            start = chunk * ROW_CHUNK
            count = min(ROW_CHUNK, n_rows - start)
            chunk_weights = weights[start : start + count]
            for node in range(n_nodes):
                cells = _node_index(codes_t, node, node_pos, node_depth, q, start, count, index)
                first = node_table[node]
                if first >= 0:
                    for j in range(count):
                        accumulator[first + cells[j]] += chunk_weights[j]
    for a in range(out.shape[0]):
        total = 0.0
        for part in range(n_parts):
            total += partial[part, a]
        out[a] = total


add_block_tables_serial = serial_twin(add_block_tables)
block_histograms_serial = serial_twin(block_histograms)


@numba.njit(cache=True, nogil=True)
def _parent_histograms(codes_t, weights, parent_ptr, parent_pos, child_ptr, child_pos, q, p, out):
    """The histograms of :func:`child_histograms` for the children of parent ``p`` (serial)."""
    n_rows = codes_t.shape[1]
    for c in range(child_ptr[p], child_ptr[p + 1]):
        for a in range(out.shape[1]):
            out[c, a] = 0.0
    index = np.empty(ROW_CHUNK, dtype=np.int64)
    for start in range(0, n_rows, ROW_CHUNK):
        count = min(ROW_CHUNK, n_rows - start)
        _chunk_index(codes_t, parent_ptr[p], parent_ptr[p + 1], parent_pos, q, start, count, index)
        chunk_weights = weights[start : start + count]
        for c in range(child_ptr[p], child_ptr[p + 1]):
            letters = codes_t[child_pos[c], start : start + count]
            cells = out[c]
            for j in range(count):
                cells[index[j] * q + letters[j]] += chunk_weights[j]


@numba.njit(parallel=True, cache=True, nogil=True)
def child_histograms(
    codes_t: np.ndarray,
    weights: np.ndarray,
    parent_ptr: np.ndarray,
    parent_pos: np.ndarray,
    child_ptr: np.ndarray,
    child_pos: np.ndarray,
    q: int,
    n_parts: int,
    out: np.ndarray,
) -> None:
    """Histograms of ``weights`` over every block "parent plus one position".

    For parent p (positions ``parent_pos[parent_ptr[p]:parent_ptr[p+1]]``) and each of
    its children c (an extra position ``child_pos[c]``, ``child_ptr[p] <= c <
    child_ptr[p+1]``), ``out[c, a * q + b]`` sums ``weights[r]`` over the rows r whose
    parent index is a and whose letter at the extra position is b. The parent's index
    is computed once per row for all its children, so scoring the candidates of a
    greedy search costs one pass per parent rather than one per candidate. The extra
    position is the last digit, whatever its place in sorted order.

    Parameters
    ----------
    codes_t : ndarray of shape (n, N), uint8
    weights : ndarray of shape (N,), float64
    parent_ptr : ndarray of shape (P + 1,), int64
    parent_pos : ndarray of shape (parent_ptr[-1],), int64
        Every parent has at least one position, and all parents have the same number.
    child_ptr : ndarray of shape (P + 1,), int64
    child_pos : ndarray of shape (C,), int64
    q : int
    n_parts : int
        Parents are dealt to this many parts, which run in parallel (the number of
        threads; 1 for a serial call).
    out : ndarray of shape (C, q ** (degree + 1)), float64
        Overwritten.
    """
    n_parents = parent_ptr.shape[0] - 1
    # Each thread takes every n_parts-th parent. Parents have unequal numbers of children
    # (a candidate is scored from its first parent only, so early parents have more), and
    # numba splits a prange into contiguous runs: over parents directly, one thread did
    # 87% of a search's work (measured 1.15x on 2 threads).
    n_parts = max(1, min(n_parts, n_parents))
    for part in numba.prange(n_parts):
        for p in range(part, n_parents, n_parts):
            _parent_histograms(codes_t, weights, parent_ptr, parent_pos, child_ptr, child_pos, q, p, out)


child_histograms_serial = serial_twin(child_histograms)

"""Closed-form Shapley values and interaction indices of a FourierSketch.

Every function here validates its arguments, resolves the background and drives the
numba kernels of :mod:`shap_zero._kernels.attribution` over chunks of sequences, so
working memory stays bounded however many sequences are explained: no (N, S) matrix
is ever built, and Möbius coefficients exist only one chunk at a time.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from shap_zero._config import BLOCK_ROWS, MAX_MIXTURE_DEGREE, MOBIUS_CHUNK_BYTES, ROWS_PER_CHUNK
from shap_zero._kernels import attribution as kernels
from shap_zero._kernels.dispatch import ThreadChoice
from shap_zero._progress import progress_bar
from shap_zero._validation import check_bool
from shap_zero.attribution.background import Background, resolve_background
from shap_zero.attribution.held import average_over_held, check_held
from shap_zero.attribution.indices import IndexName, Subset, check_index, index_map
from shap_zero.attribution.result import Interactions
from shap_zero.attribution.tables import tables_for
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import FourierSketch, SpectrumArrays
from shap_zero.indices import document_indices

__all__ = [
    "expected_value",
    "shapley_values",
    "shap_interaction_values",
    "mobius_coefficients",
    "interaction_values",
]

def _check_sketch(sketch: Any) -> FourierSketch:
    if not isinstance(sketch, FourierSketch):
        raise InvalidParameterError(f"sketch must be a shap_zero.FourierSketch; got {type(sketch).__name__}")
    return sketch


# Each kernel runs in parallel or serially by measured speed (shap_zero._kernels.dispatch).
_SHAPLEY_UNIFORM = ThreadChoice(kernels.shapley_uniform, kernels.shapley_uniform_serial)
_SHAPLEY_MIXTURE = ThreadChoice(kernels.shapley_mixture, kernels.shapley_mixture_serial)
_MOBIUS_UNIFORM = ThreadChoice(kernels.mobius_uniform, kernels.mobius_uniform_serial)
_MOBIUS_MIXTURE = ThreadChoice(kernels.mobius_mixture, kernels.mobius_mixture_serial)
_PAIRWISE_UNIFORM = ThreadChoice(kernels.pairwise_uniform, kernels.pairwise_uniform_serial)


def _chunks(n_rows: int, rows_per_chunk: int, progress: bool, description: str) -> Iterator[slice]:
    # At least one (possibly empty) chunk, so that callers learn the output layout.
    if not progress and n_rows <= rows_per_chunk:
        # One chunk and no bar: a tuple, not a generator with a context manager (2.6 us
        # of the ~13 us of explaining one sequence).
        return iter((slice(0, n_rows),))
    return _chunk_generator(n_rows, rows_per_chunk, progress, description)


def _chunk_generator(n_rows: int, rows_per_chunk: int, progress: bool, description: str) -> Iterator[slice]:
    starts = range(0, max(n_rows, 1), max(1, rows_per_chunk))
    with progress_bar(progress and n_rows > 0, total=n_rows, description=description, unit="seq") as bar:
        for start in starts:
            stop = min(start + rows_per_chunk, n_rows)
            yield slice(start, stop)
            bar.update(stop - start)


def _mixture_arguments(background: Background, max_degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Symbol moments, component weights and a Gauss-Legendre rule exact to max_degree."""
    n_nodes = max(1, math.ceil(max_degree / 2))
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    return (
        background.symbol_moments(),
        np.ascontiguousarray(background.weights),
        np.ascontiguousarray((nodes + 1.0) / 2.0),
        np.ascontiguousarray(weights / 2.0),
    )


def _spectrum_args(arrays: SpectrumArrays) -> tuple[np.ndarray, ...]:
    """Arguments of the mixture kernels: the CSR terms and complex coefficients."""
    return (arrays.term_ptr, arrays.term_pos, arrays.term_val, arrays.coef_re, arrays.coef_im)


def _uniform_args(arrays: SpectrumArrays) -> tuple[np.ndarray, ...]:
    """Arguments of the uniform kernels: the CSR terms and their phase tables."""
    return (arrays.term_ptr, arrays.term_pos, arrays.term_val, arrays.phase_offset, arrays.phase_table)


def _check_out(out: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.float64)
    if (
        not isinstance(out, np.ndarray)
        or out.shape != shape
        or out.dtype != np.float64
        or not out.flags.c_contiguous
        or not out.flags.writeable
    ):
        raise InvalidParameterError(
            f"out must be a writeable C-contiguous float64 array of shape {shape}; got "
            f"{type(out).__name__} with shape {getattr(out, 'shape', None)} and dtype {getattr(out, 'dtype', None)}"
        )
    return out


def expected_value(sketch: FourierSketch, background: Any = "uniform") -> float:
    """Mean of the sketch under the background: the value of the empty coalition.

    Parameters
    ----------
    sketch : FourierSketch
    background : see :func:`shap_zero.attribution.resolve_background`

    Returns
    -------
    float
        ``E_{z ~ P} f(z)``; under the uniform background the zero-frequency coefficient.
    """
    sketch = _check_sketch(sketch)
    resolved = resolve_background(background, sketch.n, sketch.q, sketch.alphabet)
    if resolved.kind == "uniform":
        return sketch.mean
    arrays = sketch.spectrum_arrays()
    return float(
        kernels.expected_value_mixture(
            *_spectrum_args(arrays), resolved.symbol_moments(), np.ascontiguousarray(resolved.weights)
        )
    )


def shapley_values(
    sketch: FourierSketch,
    X: Any,
    *,
    background: Any = "uniform",
    progress: bool = False,
    out: np.ndarray | None = None,
    held: Any = None,
) -> np.ndarray:
    """Shapley values of every position for every sequence, in closed form.

    The value function is interventional, ``v_x(S) = E_{z ~ P} f(x_S, z_{not S})``
    with f the sketch. Efficiency holds exactly:
    ``values.sum(axis=1) == sketch.predict(X) - expected_value(sketch, background)``.

    Parameters
    ----------
    sketch : FourierSketch
    X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes
    background : "uniform" (default), Background, reference sequence, background
        sequences or per-position frequencies; see :func:`resolve_background`.
    progress : bool, default False
        Show a progress bar.
    out : ndarray of shape (N, n), float64, C-contiguous, optional
        Write the values here (e.g. a ``numpy.memmap`` for more sequences than fit in
        memory) instead of a new array.
    held : ndarray of shape (N, n), bool, optional
        Positions held at the background (letters unknown, such as N): the game is
        ``v(S minus held)``, so a held position's value is 0 and the others sum to
        ``E[f | the other letters] - E f``. The codes at held positions are ignored.
        Exact, by averaging over the letters the background can put there (see
        :mod:`shap_zero.attribution.held`): q^h rows per sequence with h held
        positions, so keep it for the few sequences that need it.

    Returns
    -------
    ndarray of shape (N, n), float64
        ``out`` when given.

    Notes
    -----
    Uniform background: ``phi_i(x) = sum_{k : k_i != 0} Re(F[k] omega^<k,x>) / |k|``,
    O(S * mean degree) per sequence. Other backgrounds integrate a product game per
    term and mixture component, O(S * B * degree^2) per sequence.
    """
    sketch = _check_sketch(sketch)
    progress = check_bool(progress, name="progress")
    codes = sketch.encode(X)
    resolved = resolve_background(background, sketch.n, sketch.q, sketch.alphabet)
    if held is not None:
        mask = check_held(held, codes.shape)
        out = _check_out(out, codes.shape)
        average_over_held(
            lambda rows, component: shapley_values(sketch, rows, background=component, progress=progress),
            codes, mask, resolved, out,
        )  # fmt: skip
        out[mask] = 0.0  # exactly: the average leaves rounding of about 1e-17 there
        return out
    return shapley_values_of_codes(sketch, codes, resolved, progress=progress, out=_check_out(out, codes.shape))


def shapley_values_of_codes(
    sketch: FourierSketch, codes: np.ndarray, background: Background, *, progress: bool, out: np.ndarray
) -> np.ndarray:
    """:func:`shapley_values` on inputs that were checked already (no check here).

    For callers that validated once for several computations (the explainer): ``codes``
    of shape (N, n), uint8, C-contiguous, below q; ``background`` background; ``out`` of
    shape (N, n), float64, C-contiguous. Codes out of range would be read out of bounds.

    Returns
    -------
    ndarray of shape (N, n)
        ``out``.
    """
    arrays = sketch.spectrum_arrays()
    if background.kind == "uniform":
        for rows in _chunks(codes.shape[0], ROWS_PER_CHUNK, progress, "Shapley values"):
            work = (rows.stop - rows.start) * arrays.term_pos.size
            _SHAPLEY_UNIFORM(work, codes[rows], *_uniform_args(arrays), BLOCK_ROWS, out[rows])
        return out
    mixture = _mixture_arguments(background, sketch.max_degree)
    tables = tables_for(sketch, arrays, background, mixture, codes.shape[0])
    spectrum, max_degree = _spectrum_args(arrays), sketch.max_degree
    if tables is not None:  # small supports by lookup (attribution/tables.py), the rest directly
        spectrum, max_degree = tables.residual_spectrum, tables.residual_degree
        rows_per_chunk = ROWS_PER_CHUNK if not tables.residual.size else max(1, ROWS_PER_CHUNK // background.n_components)
    else:
        rows_per_chunk = max(1, ROWS_PER_CHUNK // max(1, background.n_components))
    for rows in _chunks(codes.shape[0], rows_per_chunk, progress, "Shapley values"):
        if tables is None or tables.residual.size:
            work = (rows.stop - rows.start) * spectrum[1].size * background.n_components
            _SHAPLEY_MIXTURE(work, codes[rows], *spectrum, arrays.roots, *mixture, max_degree, out[rows])
        else:
            out[rows] = 0.0
        if tables is not None:
            tables.add(codes[rows], out[rows])
    return out


# Layouts depend only on the (immutable) sketch and the order, and building them in Python
# was 90% of the time of explaining one sequence's interactions: each sketch keeps its own.
_LAYOUTS: weakref.WeakKeyDictionary[FourierSketch, dict[tuple[str, int], Any]] = weakref.WeakKeyDictionary()


def _cached_layout(kind: str, sketch: FourierSketch, max_order: int) -> Any:
    layouts = _LAYOUTS.setdefault(sketch, {})
    key = (kind, max_order)
    if key not in layouts:
        # Internal: the kernels only read the columns (not marked read-only, which would
        # compile another specialisation of every kernel).
        layouts[key] = (_uniform_mobius_layout if kind == "uniform" else _mixture_mobius_layout)(sketch, max_order)
    return layouts[key]


@functools.lru_cache(maxsize=8)  # a few (sketch, index, order) at a time; maps can be large
def _cached_index_map(mobius_subsets: tuple[Subset, ...], index: str, order: int) -> Any:
    return index_map(mobius_subsets, index, order)


def _uniform_mobius_layout(sketch: FourierSketch, max_order: int) -> tuple[tuple[Subset, ...], np.ndarray]:
    """Distinct supports (the only nonzero Möbius subsets) and each term's column."""
    arrays = sketch.spectrum_arrays()
    columns: dict[Subset, int] = {}
    term_column = np.full(sketch.n_terms, -1, dtype=np.int64)
    for s in range(sketch.n_terms):
        support = tuple(int(i) for i in arrays.term_pos[arrays.term_ptr[s] : arrays.term_ptr[s + 1]])
        if 1 <= len(support) <= max_order:
            term_column[s] = columns.setdefault(support, len(columns))
    return tuple(columns), term_column


def _mixture_mobius_layout(sketch: FourierSketch, max_order: int) -> tuple[tuple[Subset, ...], np.ndarray]:
    """Every nonempty subset of every support, and the column of each (term, bitmask)."""
    arrays = sketch.spectrum_arrays()
    max_degree = sketch.max_degree
    if max_degree > MAX_MIXTURE_DEGREE:
        raise InvalidParameterError(
            f"interactions under a non-uniform background expand each term over all subsets of "
            f"its support; this sketch has a term of degree {max_degree} (2^{max_degree} subsets), "
            f"above the limit of {MAX_MIXTURE_DEGREE}. Use the uniform background, or truncate the sketch."
        )
    columns: dict[Subset, int] = {}
    subset_column = np.full((sketch.n_terms, 1 << max_degree), -1, dtype=np.int64)
    for s in range(sketch.n_terms):
        support = arrays.term_pos[arrays.term_ptr[s] : arrays.term_ptr[s + 1]]
        degree = len(support)
        for mask in range(1, 1 << degree):
            subset = tuple(int(support[e]) for e in range(degree) if mask >> e & 1)
            if len(subset) <= max_order:
                subset_column[s, mask] = columns.setdefault(subset, len(columns))
    return tuple(columns), subset_column


def _mobius_chunks(
    sketch: FourierSketch,
    codes: np.ndarray,
    background: Background,
    max_order: int,
    progress: bool,
    description: str,
) -> Iterator[tuple[slice, tuple[Subset, ...], np.ndarray]]:
    """Yield (rows, subsets, Möbius coefficients of those rows) chunk by chunk."""
    arrays = sketch.spectrum_arrays()
    if background.kind == "uniform":
        subsets, term_column = _cached_layout("uniform", sketch, max_order)
    else:
        subsets, subset_column = _cached_layout("mixture", sketch, max_order)
        mixture = _mixture_arguments(background, sketch.max_degree)
        moments, weights = mixture[0], mixture[1]
        # Small supports by lookup (attribution/tables.py), the rest directly.
        tables = tables_for(sketch, arrays, background, mixture, codes.shape[0], kind="mobius")
        spectrum, direct_columns = _spectrum_args(arrays), subset_column
        if tables is not None:
            spectrum, direct_columns = tables.residual_spectrum, np.ascontiguousarray(subset_column[tables.residual])
    width = max(1, len(subsets))
    rows_per_chunk = max(1, min(ROWS_PER_CHUNK, MOBIUS_CHUNK_BYTES // (8 * width)))
    for rows in _chunks(codes.shape[0], rows_per_chunk, progress, description):
        block = np.empty((rows.stop - rows.start, len(subsets)), dtype=np.float64)
        if background.kind == "uniform":
            work = (rows.stop - rows.start) * arrays.term_pos.size
            _MOBIUS_UNIFORM(work, codes[rows], *_uniform_args(arrays), term_column, BLOCK_ROWS, block)
        else:
            work = (rows.stop - rows.start) * spectrum[1].size * moments.shape[0]
            _MOBIUS_MIXTURE(work, codes[rows], *spectrum, arrays.roots, moments, weights, direct_columns, block)
            if tables is not None:
                tables.add(codes[rows], block, subset_column)
        yield rows, subsets, block


def mobius_coefficients(
    sketch: FourierSketch,
    X: Any,
    *,
    background: Any = "uniform",
    max_order: int | None = None,
    progress: bool = False,
) -> Interactions:
    """Möbius coefficients (all-order interactions) of the value function of each sequence.

    .. math:: a_x(T) = \\sum_{S \\subseteq T} (-1)^{|T|-|S|} v_x(S), \\qquad
              f(x) = \\sum_{T} a_x(T)

    Under the uniform background only the supports of the sketch's terms are nonzero
    (``a_x(T) = sum_{supp k = T} Re(F[k] omega^<k,x>)``); other backgrounds spread each
    term over every subset of its support.

    Parameters
    ----------
    sketch : FourierSketch
    X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes
    background : see :func:`shapley_values`
    max_order : int, optional
        Largest subset size to return; default: all (the sketch's max degree).
    progress : bool, default False

    Returns
    -------
    Interactions
        ``index="Moebius"``; ``base_values`` hold ``a_x(∅) = E_P f``.
    """
    return interaction_values(
        sketch, X, index="Moebius", order=max_order, background=background, progress=progress
    )


@document_indices
def interaction_values(
    sketch: FourierSketch,
    X: Any,
    *,
    index: IndexName = "SII",
    order: int | None = 2,
    background: Any = "uniform",
    progress: bool = False,
    out: np.ndarray | None = None,
) -> Interactions:
    """Shapley interaction indices of every sequence, on one shared list of subsets.

    Parameters
    ----------
    sketch : FourierSketch
    X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes
    index : {index options}, default "SII"
        The interaction index ({index titles}).
    order : int or None, default 2
        Largest interaction order l; None means the sketch's max degree.
    background : see :func:`shapley_values`
    progress : bool, default False
    out : ndarray of shape (N, U), float64, C-contiguous, optional
        Write the values here (e.g. a ``numpy.memmap``) instead of a new array, so that
        working memory is bounded by one chunk of sequences. The subsets depend only on
        the sketch, the index and the order, so U is
        ``len(interaction_values(sketch, X[:1], index=..., order=...).subsets)``.

    Returns
    -------
    Interactions
        Values of shape (N, U) on the U subsets (sizes 1..order) that can be nonzero,
        sorted by size, then lexicographically (``values`` is ``out`` when given).

    Notes
    -----
    Each index is a fixed linear map of the Möbius coefficients (docs/math.md, Interaction indices),
    applied chunk by chunk as one sparse matrix product.
    """
    sketch = _check_sketch(sketch)
    index, order = check_index(index, order, sketch.n, sketch.max_degree)
    progress = check_bool(progress, name="progress")
    codes = sketch.encode(X)
    resolved = resolve_background(background, sketch.n, sketch.q, sketch.alphabet)
    given, checked = out, False
    subsets: tuple[Subset, ...] = ()
    for rows, subsets, block in _index_chunks(sketch, codes, resolved, index, order, progress):
        if not checked:  # the subsets, hence U, are known from the first chunk on
            out = _check_out(given, (codes.shape[0], len(subsets)))
            checked = True
        out[rows] = block  # type: ignore[index]
    if out is None:  # unreachable: _chunks yields at least one chunk
        raise RuntimeError("no chunk was computed")
    return Interactions(
        index=index,
        order=order,
        subsets=subsets,
        values=out,
        base_values=np.full(codes.shape[0], expected_value(sketch, resolved)),
        n=sketch.n,
        background=resolved.kind,
    )


def _index_chunks(
    sketch: FourierSketch,
    codes: np.ndarray,
    background: Background,
    index: str,
    order: int,
    progress: bool,
) -> Iterator[tuple[slice, tuple[Subset, ...], np.ndarray]]:
    """Yield (rows, subsets, index values of those rows), one chunk at a time."""
    # Möbius subsets above the order still feed the lower-order terms of every index
    # but the Möbius one, so they are only cut for "Moebius".
    mobius_order = order if index == "Moebius" else sketch.n
    transform = None
    for rows, mobius_subsets, block in _mobius_chunks(
        sketch, codes, background, mobius_order, progress, f"{index} interactions"
    ):
        if transform is None:
            if index == "Moebius":
                # A permutation that sorts the subsets by size, then lexicographically.
                permutation = sorted(range(len(mobius_subsets)), key=lambda u: (len(mobius_subsets[u]), mobius_subsets[u]))
                subsets = tuple(mobius_subsets[u] for u in permutation)
                transform = np.asarray(permutation, dtype=np.int64)
            else:
                subsets, transform = _cached_index_map(mobius_subsets, index, order)
        if index == "Moebius":
            yield rows, subsets, block[:, transform]
        else:
            yield rows, subsets, np.asarray((transform @ block.T).T)


def shap_interaction_values(
    sketch: FourierSketch,
    X: Any,
    *,
    background: Any = "uniform",
    progress: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Pairwise interaction matrices in the convention of shap's TreeExplainer.

    ``Phi[r, i, j] = SII({i, j}) / 2`` for i != j and
    ``Phi[r, i, i] = phi_i - sum_{j != i} Phi[r, i, j]``: each row sums to the Shapley
    value phi_i, and each matrix sums to ``f(x) - E_P f``.

    Parameters
    ----------
    sketch : FourierSketch
    X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes
    background : see :func:`shapley_values`
    progress : bool, default False
    out : ndarray of shape (N, n, n), float64, C-contiguous, optional
        Write the matrices here (e.g. a ``numpy.memmap``) instead of a new array; the
        working memory is then bounded by one chunk of sequences, whatever N.

    Returns
    -------
    ndarray of shape (N, n, n), float64
        ``out`` when given.
    """
    sketch = _check_sketch(sketch)
    progress = check_bool(progress, name="progress")
    codes = sketch.encode(X)
    resolved = resolve_background(background, sketch.n, sketch.q, sketch.alphabet)
    n = sketch.n
    out = _check_out(out, (codes.shape[0], n, n))
    if resolved.kind == "uniform":
        arrays = sketch.spectrum_arrays()
        for rows in _chunks(codes.shape[0], ROWS_PER_CHUNK // max(1, n), progress, "SHAP interactions"):
            work = (rows.stop - rows.start) * arrays.term_pos.size * n
            _PAIRWISE_UNIFORM(work, codes[rows], *_uniform_args(arrays), out[rows])
        return out
    diagonal = np.arange(n)
    for rows, subsets, block in _index_chunks(sketch, codes, resolved, "SII", min(2, n), progress):
        sizes = np.fromiter((len(t) for t in subsets), dtype=np.int64, count=len(subsets))
        singles = np.flatnonzero(sizes == 1)
        pairs = np.flatnonzero(sizes == 2)
        single_pos = np.array([subsets[u][0] for u in singles], dtype=np.int64)
        pair_pos = np.array([subsets[u] for u in pairs], dtype=np.int64).reshape(-1, 2)
        matrices = out[rows]
        matrices[:] = 0.0
        matrices[:, single_pos, single_pos] = block[:, singles]
        halves = 0.5 * block[:, pairs]
        matrices[:, pair_pos[:, 0], pair_pos[:, 1]] = halves
        matrices[:, pair_pos[:, 1], pair_pos[:, 0]] = halves
        off_diagonal = matrices.sum(axis=2) - matrices[:, diagonal, diagonal]
        matrices[:, diagonal, diagonal] -= off_diagonal
    return out

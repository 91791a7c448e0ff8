"""The brute-force oracle: exact computation by enumeration, limited to small n.

The slow, obviously-correct twin of shap_zero's Fourier-based fast paths. It never
looks at a Fourier spectrum and shares no code with them (the dense transform the
explainer uses lives in :mod:`shap_zero.engines.exact`). Instead it

1. evaluates the model on every completion that the background distribution
   can produce, to tabulate the interventional value function
   :math:`v_x(S)` on all :math:`2^n` subsets of positions, and
2. computes every index directly from its game-theoretic definition on that
   table (discrete derivatives, weighted sums, a constrained least-squares
   fit), deliberately *not* through Möbius-transform shortcuts, so that it
   checks the Möbius-based closed forms used elsewhere independently.

Conventions
-----------
* Sequences are integer codes over the alphabet :math:`\\mathbb{Z}_q = \\{0, \\dots, q-1\\}`
  and have length ``n``; models receive them as ``uint8`` arrays of shape ``(M, n)``.
* A subset :math:`S \\subseteq N = \\{0, \\dots, n-1\\}` of positions is stored as
  the bitmask ``sum(1 << i for i in S)``: bit ``i`` is set iff position ``i`` is
  in ``S`` (position 0 is bit 0). A game ``v`` is an array of shape ``(2**n,)``
  indexed by these bitmasks, so ``v[0]`` is :math:`v(\\emptyset)` and ``v[-1]``
  is :math:`v(N)`.
* A background distribution is a mixture of ``B`` product distributions given as
  ``weights`` of shape ``(B,)`` (nonnegative, summing to 1) and ``probs`` of
  shape ``(B, n, q)`` with ``probs[b, i, a]`` the probability of symbol ``a`` at
  position ``i`` under component ``b`` (each ``probs[b, i]`` sums to 1).
* Interaction dictionaries are keyed by sorted position tuples ``T`` with
  ``1 <= len(T) <= order``. The empty set is never a key: the base value
  :math:`v(\\emptyset)` is ``v[0]``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from shap_zero._config import MAX_DENSE_SIZE, MAX_Q
from shap_zero._validation import check_codes, check_int
from shap_zero.exceptions import InvalidParameterError, ModelOutputError
from shap_zero.indices import INTERACTION_INDEX_NAMES, document_indices
from shap_zero.models import query_batch

__all__ = [
    "INDEX_NAMES",
    "MAX_DENSE_SIZE",
    "MAX_MODEL_EVALUATIONS",
    "MAX_ORACLE_N",
    "MODEL_BATCH_SIZE",
    "all_sequences",
    "brute_force_interactions",
    "brute_force_shapley",
    "interaction_index_from_game",
    "mobius_from_game",
    "product_background",
    "reference_background",
    "sequence_set_background",
    "shapley_values_from_game",
    "uniform_background",
    "value_function",
]


MAX_ORACLE_N: int = 12
"""Largest sequence length (number of players) the oracle accepts: it sweeps all ``2**n`` subsets."""

MAX_MODEL_EVALUATIONS: int = 2**24
"""Largest number of model evaluations :func:`value_function` may spend on one query.

Exact enumeration costs :math:`\\sum_b \\prod_i (1 + |\\mathrm{supp}\\, p_{b,i}|)` evaluations,
e.g. :math:`(q+1)^n` for the uniform background; this limit admits ``q=4, n=10``.
"""

MODEL_BATCH_SIZE: int = 2**16
"""Number of sequences passed to the model per call."""

INDEX_NAMES: tuple[str, ...] = INTERACTION_INDEX_NAMES
"""Interaction indices accepted by :func:`interaction_index_from_game`."""

# Tolerance on "sums to 1" checks: loose enough for float32 frequency tables
# normalised by the caller, tight enough to catch unnormalised counts.
_SUM_TOLERANCE: float = 1e-6


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------


def _check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    """Validate an integer argument in ``low..high`` (``high=None``: no upper bound)."""
    return check_int(value, name=name, minimum=low, maximum=high)


def _check_q(q: object) -> int:
    """Validate the alphabet size ``q`` (2..MAX_Q = 255: codes are ``uint8`` and 255 means "not a letter")."""
    return _check_int(q, "q", 2, MAX_Q)


def _check_real_array(array: object, name: str) -> np.ndarray:
    """Convert ``array`` to a finite float64 ndarray, refusing non-real or non-finite input.

    Parameters
    ----------
    array : array_like
        Candidate numeric array of any shape.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, float64
        A copy of the input as float64, same shape.
    """
    arr = np.asarray(array)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == np.bool_
    ):
        raise InvalidParameterError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite, got NaN or infinity")
    return arr


def _check_codes(array: object, name: str, q: int, ndim: int, n: int | None = None) -> np.ndarray:
    """The library's validator of codes (:func:`shap_zero._validation.check_codes`), non-empty.

    Returns the codes as ``uint8`` of shape ``(n,)`` for ``ndim=1`` and ``(N, n)`` for ``ndim=2``.
    """
    codes = check_codes(array, q=q, n=n, name=name, ndim=ndim, allow_empty=False)
    return codes[0] if ndim == 1 else codes


def _check_background(weights: object, probs: object, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a mixture-of-products background distribution.

    Parameters
    ----------
    weights : array_like of shape (B,)
        Mixture weights, nonnegative and summing to 1.
    probs : array_like of shape (B, n, q)
        Per-component, per-position symbol probabilities; each ``probs[b, i]`` sums to 1.
    q : int
        Alphabet size (already validated).

    Returns
    -------
    weights : ndarray of shape (B,), float64
    probs : ndarray of shape (B, n, q), float64
    """
    w = _check_real_array(weights, "weights")
    p = _check_real_array(probs, "probs")
    if w.ndim != 1 or w.shape[0] < 1:
        raise InvalidParameterError(f"weights must have shape (B,) with B >= 1, got shape {w.shape}")
    if p.ndim != 3:
        raise InvalidParameterError(f"probs must have shape (B, n, q), got shape {p.shape}")
    if p.shape[0] != w.shape[0]:
        raise InvalidParameterError(
            f"probs must have one component per weight: weights has B={w.shape[0]}, probs has shape {p.shape}"
        )
    if p.shape[1] < 1:
        raise InvalidParameterError(f"probs must have at least one position, got shape {p.shape}")
    if p.shape[2] != q:
        raise InvalidParameterError(f"probs must have last axis of length q={q}, got shape {p.shape}")
    if np.any(w < 0):
        raise InvalidParameterError(f"weights must be nonnegative, got minimum {w.min()}")
    if abs(w.sum() - 1.0) > _SUM_TOLERANCE:
        raise InvalidParameterError(f"weights must sum to 1, got sum {float(w.sum())!r}")
    if np.any(p < 0):
        raise InvalidParameterError(f"probs must be nonnegative, got minimum {p.min()}")
    row_sums = p.sum(axis=2)
    bad = np.argwhere(np.abs(row_sums - 1.0) > _SUM_TOLERANCE)
    if bad.size:
        b, i = (int(k) for k in bad[0])
        raise InvalidParameterError(
            f"probs[b, i] must sum to 1 over the alphabet, got sum {float(row_sums[b, i])!r} "
            f"at component b={b}, position i={i}"
        )
    return w, p


def _check_oracle_n(n: int, source: str) -> None:
    """Refuse sequence lengths the subset sweep cannot afford.

    Parameters
    ----------
    n : int
        Number of positions (players).
    source : str
        Where ``n`` came from, for the error message.
    """
    if n > MAX_ORACLE_N:
        raise InvalidParameterError(
            f"{source} gives n={n}; the brute-force oracle sweeps all 2**n = {2**n} subsets "
            f"and allows at most n={MAX_ORACLE_N} (MAX_ORACLE_N); use the Fourier-based "
            f"fast path for longer sequences"
        )


def _check_game(v: object) -> tuple[np.ndarray, int]:
    """Validate a game table indexed by subset bitmasks.

    Parameters
    ----------
    v : array_like of shape (2**n,)
        Game values, ``v[mask]`` = :math:`v(S)`.

    Returns
    -------
    v : ndarray of shape (2**n,), float64
    n : int
        Number of players.
    """
    arr = _check_real_array(v, "v")
    if arr.ndim != 1:
        raise InvalidParameterError(f"v must have shape (2**n,), got shape {arr.shape}")
    size = arr.shape[0]
    if size < 2 or size & (size - 1):
        raise InvalidParameterError(
            f"v must have length 2**n with n >= 1 (one value per subset bitmask), got length {size}"
        )
    n = size.bit_length() - 1
    _check_oracle_n(n, "v")
    return arr, n


def _check_order(order: object, n: int) -> int:
    """Validate an interaction order ``1 <= order <= n``."""
    return _check_int(order, "order", 1, n)


def _check_index(index: object) -> str:
    """Validate an index name against :data:`INDEX_NAMES`."""
    if not isinstance(index, str) or index not in INDEX_NAMES:
        raise InvalidParameterError(
            f"index must be one of {', '.join(repr(name) for name in INDEX_NAMES)}, got {index!r}"
        )
    return index


# ---------------------------------------------------------------------------
# Sequences and background distributions
# ---------------------------------------------------------------------------


def all_sequences(n: int, q: int) -> np.ndarray:
    """Enumerate every sequence of length ``n`` over :math:`\\mathbb{Z}_q`.

    Row ``r`` holds the ``n`` base-``q`` digits of ``r``, most significant first,
    which is the C order of ``np.ndindex((q,) * n)``:

    .. math:: X[r, i] = \\lfloor r / q^{n-1-i} \\rfloor \\bmod q

    Parameters
    ----------
    n : int
        Sequence length, ``n >= 1``.
    q : int
        Alphabet size, ``2 <= q <= 255``.

    Returns
    -------
    ndarray of shape (q**n, n), uint8
        All sequences.

    Raises
    ------
    InvalidParameterError
        If ``n`` or ``q`` is invalid, or ``q**n`` exceeds :data:`MAX_DENSE_SIZE`.
    """
    n = _check_int(n, "n", 1)
    q = _check_q(q)
    size = q**n
    if size > MAX_DENSE_SIZE:
        raise InvalidParameterError(
            f"all_sequences(n={n}, q={q}) would return q**n = {size} rows; at most "
            f"MAX_DENSE_SIZE = 4**11 = {MAX_DENSE_SIZE} are allowed"
        )
    codes = np.arange(size, dtype=np.int64)
    out = np.empty((size, n), dtype=np.uint8)
    for i in range(n):
        out[:, i] = (codes // q ** (n - 1 - i)) % q
    return out


def uniform_background(n: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform background: every position independent and uniform over :math:`\\mathbb{Z}_q`.

    .. math:: P(z) = q^{-n}

    Parameters
    ----------
    n : int
        Sequence length, ``n >= 1``.
    q : int
        Alphabet size, ``2 <= q <= 255``.

    Returns
    -------
    weights : ndarray of shape (1,), float64
        ``[1.0]``.
    probs : ndarray of shape (1, n, q), float64
        All entries ``1/q``.
    """
    n = _check_int(n, "n", 1)
    q = _check_q(q)
    return np.ones(1), np.full((1, n, q), 1.0 / q)


def product_background(frequencies: object) -> tuple[np.ndarray, np.ndarray]:
    """Independent positions with given per-position symbol frequencies.

    .. math:: P(z) = \\prod_{i=0}^{n-1} F[i, z_i]

    Parameters
    ----------
    frequencies : array_like of shape (n, q)
        ``frequencies[i, a]`` is the probability of symbol ``a`` at position ``i``;
        nonnegative, each row summing to 1. ``q`` is read from the second axis.

    Returns
    -------
    weights : ndarray of shape (1,), float64
        ``[1.0]``.
    probs : ndarray of shape (1, n, q), float64
        ``frequencies[None]``.
    """
    freq = _check_real_array(frequencies, "frequencies")
    if freq.ndim != 2 or freq.shape[0] < 1:
        raise InvalidParameterError(f"frequencies must have shape (n, q) with n >= 1, got shape {freq.shape}")
    q = freq.shape[1]
    if q < 2 or q > MAX_Q:
        raise InvalidParameterError(
            f"frequencies must have q in 2..{MAX_Q} columns, got shape {freq.shape}"
        )
    if np.any(freq < 0):
        raise InvalidParameterError(f"frequencies must be nonnegative, got minimum {freq.min()}")
    sums = freq.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _SUM_TOLERANCE)
    if bad.size:
        raise InvalidParameterError(
            f"frequencies[i] must sum to 1, got sum {float(sums[bad[0]])!r} at position i={int(bad[0])}"
        )
    return np.ones(1), freq[None, :, :].copy()


def reference_background(reference: object, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Point mass on a single reference sequence ``r`` ("baseline" Shapley).

    .. math:: P(z) = [z = r], \\qquad v_x(S) = f(x_S, r_{N \\setminus S})

    Parameters
    ----------
    reference : array_like of shape (n,), integer
        The reference sequence, codes in ``0..q-1``.
    q : int
        Alphabet size, ``2 <= q <= 255``.

    Returns
    -------
    weights : ndarray of shape (1,), float64
        ``[1.0]``.
    probs : ndarray of shape (1, n, q), float64
        One-hot rows: ``probs[0, i, reference[i]] = 1``.
    """
    q = _check_q(q)
    ref = _check_codes(reference, "reference", q, ndim=1)
    return sequence_set_background(ref[None, :], q)


def sequence_set_background(sequences: object, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform distribution over a finite set of ``B`` background sequences.

    Each sequence becomes one one-hot product component of weight ``1/B``
    (duplicates are kept, so they count with multiplicity):

    .. math:: P(z) = \\frac{1}{B} \\sum_{b=1}^{B} [z = r^{(b)}]

    Parameters
    ----------
    sequences : array_like of shape (B, n), integer
        Background sequences, codes in ``0..q-1``.
    q : int
        Alphabet size, ``2 <= q <= 255``.

    Returns
    -------
    weights : ndarray of shape (B,), float64
        All ``1/B``.
    probs : ndarray of shape (B, n, q), float64
        ``probs[b, i, sequences[b, i]] = 1``, zero elsewhere.
    """
    q = _check_q(q)
    seqs = _check_codes(sequences, "sequences", q, ndim=2)
    n_seq, n = seqs.shape
    probs = np.zeros((n_seq, n, q))
    comp, pos = np.meshgrid(np.arange(n_seq), np.arange(n), indexing="ij")
    probs[comp, pos, seqs] = 1.0
    return np.full(n_seq, 1.0 / n_seq), probs


# ---------------------------------------------------------------------------
# Value function by exact enumeration
# ---------------------------------------------------------------------------


class _BatchedExpectation:
    """Accumulate ``v[S] += coef * f(point)`` over many points, calling ``f`` in batches.

    Parameters
    ----------
    f : callable
        Model mapping a ``uint8`` array of shape ``(M, n)`` to ``M`` real numbers.
    n : int
        Sequence length.
    """

    def __init__(self, f: Callable[[np.ndarray], object], n: int) -> None:
        self._f = f
        self.values = np.zeros(2**n)
        self._points: list[np.ndarray] = []
        self._coefs: list[np.ndarray] = []
        self._subsets: list[np.ndarray] = []
        self._pending = 0

    def add(self, subset: int, points: np.ndarray, coefs: np.ndarray) -> None:
        """Queue ``v[subset] += sum_k coefs[k] * f(points[k])``.

        Parameters
        ----------
        subset : int
            Bitmask of the subset whose value receives the contributions.
        points : ndarray of shape (K, n), uint8
            Model inputs.
        coefs : ndarray of shape (K,), float64
            Probability weight of each input.
        """
        self._points.append(points)
        self._coefs.append(coefs)
        self._subsets.append(np.full(points.shape[0], subset, dtype=np.int64))
        self._pending += points.shape[0]
        if self._pending >= MODEL_BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Evaluate the model on every queued point and add the weighted results."""
        if not self._pending:
            return
        points = np.concatenate(self._points)
        coefs = np.concatenate(self._coefs)
        subsets = np.concatenate(self._subsets)
        self._points, self._coefs, self._subsets, self._pending = [], [], [], 0
        for start in range(0, points.shape[0], MODEL_BATCH_SIZE):
            stop = start + MODEL_BATCH_SIZE
            out = self._call_model(points[start:stop])
            # bincount sums duplicates correctly, unlike fancy-index +=.
            self.values += np.bincount(
                subsets[start:stop], weights=coefs[start:stop] * out, minlength=self.values.size
            )

    def _call_model(self, batch: np.ndarray) -> np.ndarray:
        """Call the model on one batch through :func:`shap_zero.models.query_batch`.

        Parameters
        ----------
        batch : ndarray of shape (M, n), uint8
            Model inputs.

        Returns
        -------
        ndarray of shape (M,), float64
            Model outputs; an output of shape ``(M, 1)`` is accepted and flattened.

        Raises
        ------
        ModelError
            If the model raises (the original exception is chained).
        ModelOutputError
            If the output is not ``M`` finite real numbers.
        """
        out = query_batch(self._f, batch, f"a batch of {batch.shape[0]} sequences")
        # A multi-output model has no single value function: the oracle refuses it.
        if out.shape[1] != 1:
            raise ModelOutputError(
                f"f must return one output per sequence, shape (M,) or (M, 1); got shape {out.shape} "
                f"for input shape {batch.shape}"
            )
        return out[:, 0]


def _cartesian_product(supports: Sequence[np.ndarray]) -> np.ndarray:
    """All combinations of one symbol per position.

    Parameters
    ----------
    supports : sequence of m ndarrays
        ``supports[j]`` lists the allowed symbols of the j-th position.

    Returns
    -------
    ndarray of shape (prod(len(s) for s in supports), m), intp
        One combination per row; a single empty row when ``m == 0``.
    """
    if not supports:
        # The empty product has exactly one element (the empty completion).
        return np.zeros((1, 0), dtype=np.intp)
    grids = np.meshgrid(*supports, indexing="ij")
    return np.stack([grid.ravel() for grid in grids], axis=1)


def _count_model_evaluations(weights: np.ndarray, probs: np.ndarray) -> int:
    """Number of model calls :func:`value_function` makes for one query.

    .. math:: \\sum_{b : w_b > 0} \\sum_{S} \\prod_{i \\notin S} |\\mathrm{supp}\\, p_{b,i}|
              = \\sum_{b : w_b > 0} \\prod_{i} (1 + |\\mathrm{supp}\\, p_{b,i}|)

    Parameters
    ----------
    weights : ndarray of shape (B,)
    probs : ndarray of shape (B, n, q)

    Returns
    -------
    int
        Exact count (Python int, no overflow).
    """
    support_sizes = np.count_nonzero(probs > 0, axis=2)
    return sum(
        math.prod(1 + int(s) for s in support_sizes[b]) for b in range(weights.shape[0]) if weights[b] > 0
    )


def value_function(
    f: Callable[[np.ndarray], object],
    x: object,
    weights: object,
    probs: object,
    q: int,
) -> np.ndarray:
    """Interventional value function of query ``x`` on every subset, by exact enumeration.

    .. math:: v_x(S) = \\mathbb{E}_{z \\sim P}\\left[ f(x_S, z_{N \\setminus S}) \\right]
              = \\sum_b w_b \\sum_{z_{N \\setminus S}} \\prod_{i \\notin S} p_{b,i}(z_i)\\,
                f(x_S, z_{N \\setminus S})

    For every mixture component ``b`` and subset ``S`` all completions of the
    positions outside ``S`` with nonzero probability are enumerated; the model
    is called on them in batches of :data:`MODEL_BATCH_SIZE` sequences.

    Parameters
    ----------
    f : callable
        Model: takes a ``uint8`` array of shape ``(M, n)`` and returns ``M`` real numbers
        (shape ``(M,)`` or ``(M, 1)``).
    x : array_like of shape (n,), integer
        Query sequence, codes in ``0..q-1``.
    weights : array_like of shape (B,)
        Mixture weights of the background, nonnegative, summing to 1.
    probs : array_like of shape (B, n, q)
        Background symbol probabilities per component and position, rows summing to 1.
    q : int
        Alphabet size, ``2 <= q <= 255``.

    Returns
    -------
    ndarray of shape (2**n,), float64
        ``v[mask]`` is :math:`v_x(S)` for the subset with bitmask ``mask``.

    Raises
    ------
    InvalidParameterError
        On invalid inputs, ``n > MAX_ORACLE_N``, or more than
        :data:`MAX_MODEL_EVALUATIONS` required model calls.
    ModelError
        If ``f`` raises; the original exception is chained.
    ModelOutputError
        If ``f`` returns anything but ``M`` finite real numbers (shape ``(M,)`` or ``(M, 1)``).
    """
    if not callable(f):
        raise InvalidParameterError(f"f must be callable, got {type(f).__name__}")
    q = _check_q(q)
    w, p = _check_background(weights, probs, q)
    n = p.shape[1]
    _check_oracle_n(n, f"probs of shape {p.shape}")
    x_codes = _check_codes(x, "x", q, ndim=1, n=n)
    n_evaluations = _count_model_evaluations(w, p)
    if n_evaluations > MAX_MODEL_EVALUATIONS:
        raise InvalidParameterError(
            f"this background needs {n_evaluations} model evaluations for one query "
            f"(n={n}, q={q}, B={w.shape[0]}); the brute-force oracle allows at most "
            f"MAX_MODEL_EVALUATIONS = {MAX_MODEL_EVALUATIONS}; use fewer positions, a "
            f"reference or sequence-set background, or the Fourier-based fast path"
        )

    accumulator = _BatchedExpectation(f, n)
    for b in range(w.shape[0]):
        if w[b] == 0:
            continue  # a component that is never drawn contributes nothing
        supports = [np.flatnonzero(p[b, i] > 0) for i in range(n)]
        for subset in range(2**n):
            outside = np.array([i for i in range(n) if not (subset >> i) & 1], dtype=np.intp)
            completions = _cartesian_product([supports[i] for i in outside])
            points = np.tile(x_codes, (completions.shape[0], 1))
            points[:, outside] = completions
            # Probability of each completion under the product component b.
            coefs = w[b] * np.prod(p[b, outside, completions], axis=1)
            accumulator.add(subset, points, coefs)
    accumulator.flush()
    return accumulator.values


# ---------------------------------------------------------------------------
# Indices from their definitions on the game table
# ---------------------------------------------------------------------------


def _subset_sizes(n: int) -> np.ndarray:
    """Popcount of every bitmask: ``sizes[mask] = |S|``, shape ``(2**n,)``, int64."""
    masks = np.arange(2**n, dtype=np.int64)
    return sum(((masks >> i) & 1 for i in range(n)), np.zeros(2**n, dtype=np.int64))


def _submasks(mask: int) -> np.ndarray:
    """All bitmasks of subsets of ``mask`` (including 0 and ``mask``), shape ``(2**|mask|,)``."""
    subs = np.zeros(1, dtype=np.int64)
    for i in range(mask.bit_length()):
        if (mask >> i) & 1:
            # Each subset either omits position i or contains it.
            subs = np.concatenate([subs, subs | (1 << i)])
    return subs


def _positions(mask: int) -> tuple[int, ...]:
    """Sorted positions of the bits set in ``mask``."""
    return tuple(i for i in range(mask.bit_length()) if (mask >> i) & 1)


def _interaction_masks(n: int, order: int) -> list[int]:
    """Bitmasks of all T with ``1 <= |T| <= order``, by size then lexicographically."""
    return [
        sum(1 << i for i in combo)
        for size in range(1, order + 1)
        for combo in itertools.combinations(range(n), size)
    ]


def _discrete_derivative(v: np.ndarray, sizes: np.ndarray, t_mask: int, s_masks: np.ndarray) -> np.ndarray:
    """Discrete derivative of the game w.r.t. T at many disjoint subsets S.

    .. math:: \\Delta_T v(S) = \\sum_{L \\subseteq T} (-1)^{|T|-|L|} v(S \\cup L),
              \\qquad S \\cap T = \\emptyset

    Parameters
    ----------
    v : ndarray of shape (2**n,)
        Game table.
    sizes : ndarray of shape (2**n,)
        ``sizes[mask] = |mask|``.
    t_mask : int
        Bitmask of T.
    s_masks : ndarray of shape (K,), int64
        Bitmasks of the subsets S, each disjoint from T.

    Returns
    -------
    ndarray of shape (K,), float64
        :math:`\\Delta_T v(S)` for each S.
    """
    t = int(sizes[t_mask])
    total = np.zeros(s_masks.shape[0])
    for l_mask in _submasks(t_mask):
        sign = -1.0 if (t - int(sizes[l_mask])) % 2 else 1.0
        total += sign * v[s_masks | l_mask]
    return total


def shapley_values_from_game(v: object) -> np.ndarray:
    """Shapley values of a game, from the marginal-contribution definition.

    .. math:: \\phi_i = \\sum_{S \\subseteq N \\setminus \\{i\\}}
              \\frac{|S|!\\,(n-|S|-1)!}{n!} \\left( v(S \\cup \\{i\\}) - v(S) \\right)

    Parameters
    ----------
    v : array_like of shape (2**n,)
        Game table indexed by subset bitmask (bit ``i`` = position ``i``).

    Returns
    -------
    ndarray of shape (n,), float64
        ``phi[i]`` is the Shapley value of position ``i``.
    """
    v, n = _check_game(v)
    sizes = _subset_sizes(n)
    full = 2**n - 1
    weight_by_size = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    phi = np.zeros(n)
    for i in range(n):
        s_masks = _submasks(full & ~(1 << i))
        marginal = v[s_masks | (1 << i)] - v[s_masks]
        phi[i] = float(np.sum(weight_by_size[sizes[s_masks]] * marginal))
    return phi


def mobius_from_game(v: object) -> np.ndarray:
    """Möbius transform (Harsanyi dividends) of a game.

    .. math:: a(T) = \\sum_{S \\subseteq T} (-1)^{|T|-|S|} v(S)

    Parameters
    ----------
    v : array_like of shape (2**n,)
        Game table indexed by subset bitmask.

    Returns
    -------
    ndarray of shape (2**n,), float64
        ``a[mask]`` is :math:`a(T)` for the subset with bitmask ``mask``; ``a[0] = v(∅)``.
    """
    v, n = _check_game(v)
    sizes = _subset_sizes(n)
    a = np.zeros(2**n)
    for t_mask in range(2**n):
        subs = _submasks(t_mask)
        signs = np.where((sizes[t_mask] - sizes[subs]) % 2 == 1, -1.0, 1.0)
        a[t_mask] = float(np.sum(signs * v[subs]))
    return a


def _sii(v: np.ndarray, n: int, sizes: np.ndarray, t_mask: int) -> float:
    """Shapley interaction index of one T (Grabisch 1997).

    .. math:: \\mathrm{SII}(T) = \\sum_{S \\subseteq N \\setminus T}
              \\frac{(n-|S|-|T|)!\\,|S|!}{(n-|T|+1)!} \\Delta_T v(S)
    """
    t = int(sizes[t_mask])
    s_masks = _submasks((2**n - 1) & ~t_mask)
    weight_by_size = np.array(
        [math.factorial(n - s - t) * math.factorial(s) / math.factorial(n - t + 1) for s in range(n - t + 1)]
    )
    return float(np.sum(weight_by_size[sizes[s_masks]] * _discrete_derivative(v, sizes, t_mask, s_masks)))


def _stii(v: np.ndarray, n: int, sizes: np.ndarray, t_mask: int, order: int) -> float:
    """Shapley-Taylor interaction index of one T at a given order (Sundararajan et al. 2020).

    .. math:: \\mathrm{STII}_l(T) = \\Delta_T v(\\emptyset) \\ (|T| < l), \\qquad
              \\mathrm{STII}_l(T) = \\frac{l}{n} \\sum_{S \\subseteq N \\setminus T}
              \\frac{\\Delta_T v(S)}{\\binom{n-1}{|S|}} \\ (|T| = l)
    """
    t = int(sizes[t_mask])
    if t < order:
        return float(_discrete_derivative(v, sizes, t_mask, np.zeros(1, dtype=np.int64))[0])
    s_masks = _submasks((2**n - 1) & ~t_mask)
    weight_by_size = np.array([order / (n * math.comb(n - 1, s)) for s in range(n - t + 1)])
    return float(np.sum(weight_by_size[sizes[s_masks]] * _discrete_derivative(v, sizes, t_mask, s_masks)))


def _bernoulli_numbers(count: int) -> list[float]:
    """First ``count`` Bernoulli numbers with the convention :math:`B_1 = -1/2`.

    .. math:: B_0 = 1, \\qquad B_m = -\\frac{1}{m+1} \\sum_{k=0}^{m-1} \\binom{m+1}{k} B_k

    Returns
    -------
    list of float, length ``count``
        ``[B_0, B_1, ..., B_{count-1}]`` = ``[1, -1/2, 1/6, 0, -1/30, ...]``.
    """
    numbers: list[float] = []
    for m in range(count):
        if m == 0:
            numbers.append(1.0)
        else:
            numbers.append(-sum(math.comb(m + 1, k) * numbers[k] for k in range(m)) / (m + 1))
    return numbers


def _fsii(v: np.ndarray, n: int, sizes: np.ndarray, order: int) -> dict[int, float]:
    """Faith-Shap interaction index up to ``order`` (Tsai, Yeh, Ravikumar 2023).

    Solves the equality-constrained weighted least-squares problem

    .. math:: \\min_E \\sum_{\\emptyset \\ne S \\subsetneq N} \\mu(S)
              \\Big( v(S) - \\sum_{T \\subseteq S, |T| \\le l} E(T) \\Big)^2, \\quad
              \\mu(S) = \\frac{n-1}{\\binom{n}{|S|} |S| (n-|S|)}

    subject to :math:`E(\\emptyset) = v(\\emptyset)` and
    :math:`\\sum_{|T| \\le l} E(T) = v(N)`, through its KKT system

    .. math:: \\begin{pmatrix} 2 A^\\top W A & C^\\top \\\\ C & 0 \\end{pmatrix}
              \\begin{pmatrix} E \\\\ \\lambda \\end{pmatrix} =
              \\begin{pmatrix} 2 A^\\top W v \\\\ d \\end{pmatrix}

    which is nonsingular: the Möbius map is injective, so :math:`A E = 0` on the
    free rows together with both constraints forces :math:`E = 0`.

    Returns
    -------
    dict
        Bitmask of T (including 0 for the empty set) -> E(T).
    """
    full = 2**n - 1
    t_masks = [0] + _interaction_masks(n, order)
    rows = [s for s in range(1, full)]  # every S except the empty and the grand coalition
    design = np.array([[1.0 if (t & s) == t else 0.0 for t in t_masks] for s in rows]).reshape(
        len(rows), len(t_masks)
    )
    mu = np.array(
        [(n - 1) / (math.comb(n, int(sizes[s])) * int(sizes[s]) * (n - int(sizes[s]))) for s in rows]
    )
    target = v[np.array(rows, dtype=np.int64)] if rows else np.zeros(0)
    constraints = np.zeros((2, len(t_masks)))
    constraints[0, 0] = 1.0  # E(∅) = v(∅)
    constraints[1, :] = 1.0  # sum of all E(T) = v(N), i.e. the fit is exact at S = N
    rhs_constraints = np.array([v[0], v[full]])

    m = len(t_masks)
    kkt = np.zeros((m + 2, m + 2))
    kkt[:m, :m] = 2.0 * design.T @ (mu[:, None] * design)
    kkt[:m, m:] = constraints.T
    kkt[m:, :m] = constraints
    rhs = np.concatenate([2.0 * design.T @ (mu * target), rhs_constraints])
    solution = np.linalg.solve(kkt, rhs)
    return {t: float(solution[k]) for k, t in enumerate(t_masks)}


@document_indices
def interaction_index_from_game(v: object, index: str, order: int) -> dict[tuple[int, ...], float]:
    """Shapley-type interaction index of a game, computed from its definition.

    With :math:`\\Delta_T v(S) = \\sum_{L \\subseteq T} (-1)^{|T|-|L|} v(S \\cup L)`:

    * ``"SII"`` (Grabisch 1997):

      .. math:: \\mathrm{SII}(T) = \\sum_{S \\subseteq N \\setminus T}
                \\frac{(n-|S|-|T|)!\\,|S|!}{(n-|T|+1)!} \\Delta_T v(S)

    * ``"STII"`` of order :math:`l` (Sundararajan et al. 2020):

      .. math:: \\mathrm{STII}(T) = \\Delta_T v(\\emptyset) \\ \\text{if } |T| < l, \\qquad
                \\mathrm{STII}(T) = \\frac{l}{n} \\sum_{S \\subseteq N \\setminus T}
                \\frac{\\Delta_T v(S)}{\\binom{n-1}{|S|}} \\ \\text{if } |T| = l

    * ``"FSII"`` of order :math:`l` (Tsai, Yeh, Ravikumar 2023): the minimiser :math:`E` of

      .. math:: \\sum_{\\emptyset \\ne S \\subsetneq N} \\frac{n-1}{\\binom{n}{|S|} |S| (n-|S|)}
                \\Big( v(S) - \\sum_{T \\subseteq S, |T| \\le l} E(T) \\Big)^2

      subject to :math:`E(\\emptyset) = v(\\emptyset)` and :math:`\\sum_{|T| \\le l} E(T) = v(N)`.

    * ``"k-SII"`` of order :math:`l` (Bordt & von Luxburg 2023), Bernoulli numbers
      with :math:`B_1 = -1/2`:

      .. math:: \\mathrm{kSII}(T) = \\sum_{S \\supseteq T, |S| \\le l} B_{|S|-|T|}\\, \\mathrm{SII}(S)

    * ``"Moebius"``:

      .. math:: a(T) = \\sum_{S \\subseteq T} (-1)^{|T|-|S|} v(S)

    Parameters
    ----------
    v : array_like of shape (2**n,)
        Game table indexed by subset bitmask (bit ``i`` = position ``i``).
    index : str
        One of {interaction index options}.
    order : int
        Largest interaction size, ``1 <= order <= n``. For ``"SII"`` and
        ``"Moebius"`` it only truncates the output; for the other indices it
        changes the values.

    Returns
    -------
    dict of tuple of int to float
        Every sorted position tuple ``T`` with ``1 <= len(T) <= order`` (also those
        whose value is 0), ordered by size then lexicographically. The empty set is
        not included: the base value is :math:`v(\\emptyset)` = ``v[0]``, which is
        also what STII, FSII, k-SII and Möbius assign to it.
    """
    v, n = _check_game(v)
    index = _check_index(index)
    order = _check_order(order, n)
    sizes = _subset_sizes(n)
    t_masks = _interaction_masks(n, order)

    values: dict[int, float]
    if index == "SII":
        values = {t: _sii(v, n, sizes, t) for t in t_masks}
    elif index == "STII":
        values = {t: _stii(v, n, sizes, t, order) for t in t_masks}
    elif index == "FSII":
        values = _fsii(v, n, sizes, order)
    elif index == "k-SII":
        sii = {t: _sii(v, n, sizes, t) for t in t_masks}
        bernoulli = _bernoulli_numbers(order + 1)
        values = {
            t: sum(bernoulli[int(sizes[s]) - int(sizes[t])] * sii[s] for s in t_masks if (s & t) == t)
            for t in t_masks
        }
    else:  # "Moebius"
        a = mobius_from_game(v)
        values = {t: float(a[t]) for t in t_masks}
    return {_positions(t): float(values[t]) for t in t_masks}


# ---------------------------------------------------------------------------
# Conveniences over many queries
# ---------------------------------------------------------------------------


def _check_queries(X: object, probs: object, q: int) -> np.ndarray:
    """Validate a query matrix against the background's sequence length (``uint8``, ``(N, n)``)."""
    p = np.asarray(probs)
    n = p.shape[1] if p.ndim == 3 else None  # a malformed probs is reported by _check_background
    return _check_codes(X, "X", q, ndim=2, n=n)


def brute_force_shapley(
    f: Callable[[np.ndarray], object],
    X: object,
    weights: object,
    probs: object,
    q: int,
) -> np.ndarray:
    """Exact interventional Shapley values of many queries.

    .. math:: \\Phi[k, i] = \\phi_i(v_{x^{(k)}})

    Parameters
    ----------
    f : callable
        Model: takes a ``uint8`` array of shape ``(M, n)`` and returns ``M`` real numbers.
    X : array_like of shape (N, n), integer
        Query sequences, codes in ``0..q-1``.
    weights : array_like of shape (B,)
        Mixture weights of the background.
    probs : array_like of shape (B, n, q)
        Background symbol probabilities.
    q : int
        Alphabet size.

    Returns
    -------
    ndarray of shape (N, n), float64
        Shapley values, one row per query.
    """
    q = _check_q(q)
    _check_background(weights, probs, q)
    queries = _check_queries(X, probs, q)
    return np.stack([shapley_values_from_game(value_function(f, x, weights, probs, q)) for x in queries])


def brute_force_interactions(
    f: Callable[[np.ndarray], object],
    X: object,
    weights: object,
    probs: object,
    q: int,
    index: str,
    order: int,
) -> list[dict[tuple[int, ...], float]]:
    """Exact interventional interaction indices of many queries.

    .. math:: I_k(T) = \\mathrm{index}_{\\mathrm{order}}(v_{x^{(k)}})(T)

    Parameters
    ----------
    f : callable
        Model: takes a ``uint8`` array of shape ``(M, n)`` and returns ``M`` real numbers.
    X : array_like of shape (N, n), integer
        Query sequences, codes in ``0..q-1``.
    weights : array_like of shape (B,)
        Mixture weights of the background.
    probs : array_like of shape (B, n, q)
        Background symbol probabilities.
    q : int
        Alphabet size.
    index : str
        One of :data:`INDEX_NAMES`.
    order : int
        Largest interaction size, ``1 <= order <= n``.

    Returns
    -------
    list of dict, length N
        ``result[k]`` is :func:`interaction_index_from_game` of query ``k``'s value function.
    """
    q = _check_q(q)
    _, p = _check_background(weights, probs, q)
    queries = _check_queries(X, probs, q)
    # Validate index and order before spending model evaluations.
    _check_index(index)
    _check_order(order, p.shape[1])
    return [
        interaction_index_from_game(value_function(f, x, weights, probs, q), index, order) for x in queries
    ]

"""Background distributions that define the value function of an explanation.

The value function of a query x is ``v_x(S) = E_{z ~ P} f(x_S, z_{not S})``. Every
supported background P is stored as a weighted mixture of B product distributions over
positions (docs/math.md, Value functions):

- ``uniform``: every position independent and uniform (B = 1; the default);
- ``product``: independent positions with per-position symbol frequencies (B = 1);
- ``reference``: a single fixed sequence (B = 1, point mass; baseline Shapley);
- ``sequences``: the mean over a finite set of background sequences (B distinct rows,
  weighted by how often they occur), the value function of KernelSHAP.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np

from shap_zero._validation import as_array_input, check_codes
from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError

__all__ = ["Background", "BackgroundKind", "resolve_background"]

BackgroundKind = Literal["uniform", "product", "reference", "sequences"]

#: Tolerance on the row sums of per-position frequencies.
_FREQUENCY_SUM_TOLERANCE = 1e-6


class Background:
    """A background distribution over sequences of length n on q symbols.

    Build one with :meth:`uniform`, :meth:`product`, :meth:`reference` or
    :meth:`sequences`; or pass any of the shortcuts accepted by
    :func:`resolve_background` to an attribution function.

    Parameters
    ----------
    kind : {"uniform", "product", "reference", "sequences"}
        What the mixture represents.
    weights : ndarray of shape (B,)
        Mixture weights, summing to 1 (not checked here: the classmethods validate).
    probabilities : ndarray of shape (B, n, q)
        Per-component symbol probabilities (not checked here).

    Attributes
    ----------
    kind : {"uniform", "product", "reference", "sequences"}
    n, q : int
    weights : ndarray of shape (B,), float64
        Mixture weights, summing to 1.
    probabilities : ndarray of shape (B, n, q), float64
        ``probabilities[b, i, a]`` is the probability of symbol a at position i in
        component b.
    """

    def __init__(self, kind: BackgroundKind, weights: np.ndarray, probabilities: np.ndarray) -> None:
        # Private constructor: the classmethods validate and call this.
        self.kind = kind
        self.weights = np.ascontiguousarray(weights, dtype=np.float64)
        self.probabilities = np.ascontiguousarray(probabilities, dtype=np.float64)
        self.weights.setflags(write=False)
        self.probabilities.setflags(write=False)

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self.probabilities.shape[1])

    @property
    def q(self) -> int:
        """Alphabet size."""
        return int(self.probabilities.shape[2])

    @property
    def n_components(self) -> int:
        """Number B of product components."""
        return int(self.weights.shape[0])

    def __repr__(self) -> str:
        return f"Background(kind={self.kind!r}, n={self.n}, q={self.q}, components={self.n_components})"

    @classmethod
    def uniform(cls, n: int, q: int) -> Background:
        """Every position independent and uniform over the q symbols.

        Parameters
        ----------
        n : int
            Sequence length.
        q : int
            Alphabet size.

        Returns
        -------
        Background
        """
        probabilities = np.full((1, n, q), 1.0 / q)
        return cls("uniform", np.ones(1), probabilities)

    @classmethod
    def product(cls, frequencies: Any) -> Background:
        """Independent positions with per-position symbol frequencies.

        Parameters
        ----------
        frequencies : array-like of shape (n, q)
            Nonnegative; each row sums to 1 (e.g. symbol frequencies per position in
            a data set).
        """
        table = np.asarray(frequencies, dtype=np.float64)
        if table.ndim != 2 or table.shape[1] < 2:
            raise InvalidParameterError(
                f"background frequencies must have shape (n, q); got shape {table.shape}"
            )
        if not np.isfinite(table).all() or (table < 0).any():
            raise InvalidParameterError("background frequencies must be finite and nonnegative")
        sums = table.sum(axis=1)
        bad = np.abs(sums - 1.0) > _FREQUENCY_SUM_TOLERANCE
        if bad.any():
            row = int(np.argmax(bad))
            raise InvalidParameterError(
                f"background frequencies must sum to 1 at every position; position {row + 1} "
                f"(positions count from 1) sums to {sums[row]:.6g}"
            )
        return cls("product", np.ones(1), (table / sums[:, None])[None])

    @classmethod
    def reference(cls, sequence: Any, q: int, alphabet: Alphabet | None = None) -> Background:
        """A single reference sequence (baseline Shapley values).

        Parameters
        ----------
        sequence : str or array-like of shape (n,) of integer codes
        q : int
        alphabet : Alphabet, optional
            Needed when ``sequence`` is a string.
        """
        codes = _encode(sequence, q, alphabet, "background")
        if codes.shape[0] != 1:
            raise InvalidParameterError(
                f"a reference background is one sequence; got {codes.shape[0]} sequences"
            )
        return cls("reference", np.ones(1), _one_hot(codes, q))

    @classmethod
    def sequences(cls, sequences: Any, q: int, alphabet: Alphabet | None = None) -> Background:
        """The mean over a finite set of background sequences.

        Parameters
        ----------
        sequences : sequence of str, or array-like of shape (B, n) of integer codes
        q : int
        alphabet : Alphabet, optional
            Needed when ``sequences`` are strings.
        """
        codes = _encode(sequences, q, alphabet, "background")
        if codes.shape[0] == 0:
            raise InvalidParameterError("background: got an empty set of sequences")
        distinct, counts = np.unique(codes, axis=0, return_counts=True)
        return cls("sequences", counts / counts.sum(), _one_hot(distinct, q))

    def symbol_moments(self) -> np.ndarray:
        """``c[b, i, v] = E_{a ~ p_{b,i}} omega^(v a)`` for every frequency value v.

        Returns
        -------
        ndarray of shape (B, n, q), complex128
        """
        q = self.q
        exponents = np.outer(np.arange(q), np.arange(q)) % q
        powers = np.exp(2j * np.pi * exponents / q)  # powers[v, a] = omega^(v a)
        return np.ascontiguousarray(np.einsum("bia,va->biv", self.probabilities, powers))


def _one_hot(codes: np.ndarray, q: int) -> np.ndarray:
    probabilities = np.zeros(codes.shape + (q,), dtype=np.float64)
    np.put_along_axis(probabilities, codes[..., None].astype(np.int64), 1.0, axis=-1)
    return probabilities


def _encode(sequences: Any, q: int, alphabet: Alphabet | None, name: str) -> np.ndarray:
    if alphabet is not None:
        return alphabet.encode(sequences, name=name)
    return check_codes(sequences, q=q, name=name)


@functools.lru_cache(maxsize=64)
def _uniform_background(n: int, q: int) -> Background:
    # Backgrounds are read-only, so one per (n, q) serves every call (it was a third of
    # the cost of explaining one sequence).
    return Background.uniform(n, q)


def resolve_background(
    background: Any, n: int, q: int, alphabet: Alphabet | None = None
) -> Background:
    """Turn the ``background`` argument of the attribution functions into a Background.

    Parameters
    ----------
    background : "uniform", Background, str, sequence of str or array-like
        - ``"uniform"`` (default everywhere): independent uniform positions;
        - a :class:`Background`;
        - a string, or a 1-D integer array of shape (n,): a reference sequence;
        - a list of strings, or a 2-D integer array of shape (B, n): a finite set;
        - a 2-D float array of shape (n, q): per-position symbol frequencies.

        pandas objects are read by their values (a Series of strings, a DataFrame of
        codes), torch tensors are accepted; a dict, a set and a masked array with masked
        entries are refused.
    n, q : int
        Sequence length and alphabet size of the sketch.
    alphabet : Alphabet, optional
        The sketch's alphabet, used to encode strings.

    Returns
    -------
    Background
    """
    if isinstance(background, str) and background == "uniform":
        result = _uniform_background(n, q)
    elif isinstance(background, Background):
        result = background
    elif isinstance(background, str):
        result = Background.reference(background, q, alphabet)
    elif isinstance(background, (list, tuple)) and background and isinstance(background[0], str):
        result = Background.sequences(background, q, alphabet)
    else:
        # pandas and torch objects by their values; a dict, a set or a masked array with
        # masked entries is refused here.
        converted = as_array_input(background, name="background")
        try:
            array = np.asarray(converted)
        except (TypeError, ValueError) as error:
            raise InvalidParameterError(
                f"background: expected 'uniform', a Background, sequences or frequencies; got "
                f"{type(background).__name__} that numpy cannot convert ({error})"
            ) from None
        if array.ndim == 1 and array.dtype.kind in "USO":
            result = Background.sequences(array, q, alphabet)
        elif array.ndim == 2 and np.issubdtype(array.dtype, np.floating):
            result = Background.product(array)
        elif array.ndim == 1 and np.issubdtype(array.dtype, np.integer):
            result = Background.reference(array, q, alphabet)
        elif array.ndim == 2 and np.issubdtype(array.dtype, np.integer):
            result = Background.sequences(array, q, alphabet)
        else:
            raise InvalidParameterError(
                "background must be 'uniform', a Background, a reference sequence (str or 1-D "
                "integer codes), background sequences (list of str or 2-D integer codes), or "
                f"per-position frequencies (2-D float array of shape (n, q)); got "
                f"{type(background).__name__} with shape {getattr(array, 'shape', None)} "
                f"and dtype {getattr(array, 'dtype', None)}"
            )
    if result.n != n or result.q != q:
        raise InvalidParameterError(
            f"background is for sequences of length {result.n} on {result.q} symbols, but the "
            f"sketch has n={n}, q={q}"
        )
    return result

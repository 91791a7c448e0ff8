"""Input checking helpers shared by shap_zero.

Every helper raises :class:`~shap_zero.exceptions.InvalidParameterError` for
arguments of the wrong type or value and
:class:`~shap_zero.exceptions.InvalidSequenceError` for sequences that are
well-formed arrays but contain bad codes or lengths. Messages always name the
argument, what was expected and what was received.
"""

from __future__ import annotations

import numbers
from typing import Any, Literal, overload

import numpy as np

from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

__all__ = ["check_codes", "check_int", "check_random_state"]

# Codes are stored as uint8, so an alphabet can have at most 256 letters.
_MAX_Q = 256


def _type_name(value: Any) -> str:
    """Return a short, readable name of the type of ``value``."""
    cls = type(value)
    if cls.__module__ in ("builtins", "numpy"):
        return cls.__qualname__ if cls.__module__ == "builtins" else f"numpy.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


@overload
def check_int(
    value: Any,
    *,
    name: str,
    minimum: int | None = ...,
    maximum: int | None = ...,
    allow_none: Literal[False] = ...,
) -> int: ...


@overload
def check_int(
    value: Any,
    *,
    name: str,
    minimum: int | None = ...,
    maximum: int | None = ...,
    allow_none: bool,
) -> int | None: ...


def check_int(
    value: Any,
    *,
    name: str,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Validate an integer argument.

    Parameters
    ----------
    value : Any
        The value to check. Python ``int`` and numpy integer scalars are
        accepted; ``bool`` is rejected although it subclasses ``int``.
    name : str
        Name of the argument, used in error messages.
    minimum, maximum : int or None, optional
        Inclusive bounds.
    allow_none : bool, default False
        Whether ``None`` is accepted (and returned unchanged).

    Returns
    -------
    int or None
        ``value`` as a Python ``int`` (or ``None`` when allowed).

    Raises
    ------
    InvalidParameterError
        If ``value`` is not an integer or lies outside the bounds.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        expected = "an integer or None" if allow_none else "an integer"
        raise InvalidParameterError(
            f"{name}: expected {expected}, got {value!r} of type {_type_name(value)}"
        )
    result = int(value)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        if maximum is None:
            bounds = f">= {minimum}"
        elif minimum is None:
            bounds = f"<= {maximum}"
        else:
            bounds = f"between {minimum} and {maximum}"
        raise InvalidParameterError(f"{name}: expected an integer {bounds}, got {result}")
    return result


def _first_ragged(rows: Any) -> tuple[int, int, int] | None:
    """Find the first row of a nested list whose length differs from row 0.

    Returns ``(index, length_of_row_0, length_of_row_index)`` or ``None`` when
    the rows cannot be measured or all have the same length.
    """
    try:
        lengths = [len(row) for row in rows]
    except TypeError:
        return None
    for i, length in enumerate(lengths):
        if length != lengths[0]:
            return i, lengths[0], length
    return None


def check_codes(X: Any, *, q: int, n: int | None = None, name: str = "X") -> np.ndarray:
    """Validate an array of integer-coded sequences.

    Parameters
    ----------
    X : array_like of int, shape (N, n) or (n,)
        Sequences as integer codes in ``0..q-1``. A 1-D array is one sequence.
        Any integer dtype is accepted; ``bool``, float, complex, object and
        string dtypes are not.
    q : int
        Alphabet size, between 2 and 256.
    n : int or None, optional
        Required sequence length. ``None`` accepts any length.
    name : str, default "X"
        Name of the argument, used in error messages.

    Returns
    -------
    numpy.ndarray of uint8, shape (N, n)
        C-contiguous codes. When ``X`` is already a C-contiguous ``uint8``
        array it is returned without copying (a 1-D input is returned as a
        reshaped view sharing its memory).

    Raises
    ------
    InvalidParameterError
        If ``X`` does not have an integer dtype, is not 1-D or 2-D, or if
        ``q`` or ``n`` are invalid.
    InvalidSequenceError
        If the sequences do not have length ``n``, have unequal lengths
        (nested lists), or contain a code outside ``0..q-1``.
    """
    q = check_int(q, name="q", minimum=2, maximum=_MAX_Q)
    n = check_int(n, name="n", minimum=0, allow_none=True)

    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            ragged = _first_ragged(X)
            if ragged is not None:
                i, first_len, bad_len = ragged
                raise InvalidSequenceError(
                    f"{name}: all sequences must have the same length; sequence 0 has "
                    f"length {first_len} but sequence {i} has length {bad_len}"
                ) from None
            raise InvalidParameterError(
                f"{name}: expected an array of integer codes, got {_type_name(X)} "
                f"that numpy cannot convert ({exc})"
            ) from None

    # bool is not a subtype of np.integer, so it is rejected here as well.
    if not np.issubdtype(X.dtype, np.integer):
        hint = " (encode strings with Alphabet.encode first)" if X.dtype.kind in "USO" else ""
        raise InvalidParameterError(
            f"{name}: expected an array of integer codes, got dtype {X.dtype}{hint}"
        )
    if X.ndim == 1:
        X = X.reshape(1, -1)
    elif X.ndim != 2:
        raise InvalidParameterError(
            f"{name}: expected a 1-D (one sequence) or 2-D (N, n) array of codes, "
            f"got a {X.ndim}-D array of shape {X.shape}"
        )
    if n is not None and X.shape[1] != n:
        raise InvalidSequenceError(
            f"expected sequences of length {n} in '{name}', got length {X.shape[1]}"
        )

    if X.size and not (X.dtype == np.uint8 and q == _MAX_Q):
        # Reinterpreting signed integers as unsigned of the same width turns
        # negative codes into huge ones, so one max() catches both ends.
        unsigned = X.view(X.dtype.str.replace("i", "u")) if X.dtype.kind == "i" else X
        if int(unsigned.max()) >= q:
            flat = int(np.argmax(unsigned >= q))
            i, pos = divmod(flat, X.shape[1])
            raise InvalidSequenceError(
                f"{name}: sequence {i} has code {int(X[i, pos])} at position {pos}, "
                f"which is outside the valid range 0..{q - 1}"
            )

    if X.dtype == np.uint8 and X.flags.c_contiguous:
        return X
    return np.ascontiguousarray(X, dtype=np.uint8)


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn a seed-like argument into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives a freshly seeded generator; a non-negative integer
        (Python or numpy) or a ``SeedSequence`` seeds a new generator; a
        ``Generator`` is returned as is, so the caller's stream advances.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    InvalidParameterError
        For negative integers and any other type, including ``bool``, floats
        and the legacy :class:`numpy.random.RandomState`.
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        raise InvalidParameterError(
            "random_state: expected None, a non-negative int, a numpy.random.SeedSequence "
            "or a numpy.random.Generator, got a legacy numpy.random.RandomState; "
            "use numpy.random.default_rng(seed) instead"
        )
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (numbers.Integral, np.integer)
    ):
        raise InvalidParameterError(
            "random_state: expected None, a non-negative int, a numpy.random.SeedSequence "
            f"or a numpy.random.Generator, got {random_state!r} of type "
            f"{_type_name(random_state)}"
        )
    if random_state < 0:
        raise InvalidParameterError(
            f"random_state: expected a non-negative integer seed, got {int(random_state)}"
        )
    return np.random.default_rng(int(random_state))

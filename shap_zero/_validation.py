"""Input checking helpers shared by shap_zero.

Every helper raises :class:`~shap_zero.exceptions.InvalidParameterError` for
arguments of the wrong type or value and
:class:`~shap_zero.exceptions.InvalidSequenceError` for sequences that are
well-formed arrays but contain bad codes or lengths. Messages always name the
argument, what was expected and what was received.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, MappingView, Set
from typing import Any, Literal, overload

import numpy as np

from shap_zero._config import MAX_Q
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

__all__ = ["as_array_input", "check_bool", "check_codes", "check_int", "check_random_state"]



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


def check_bool(value: Any, *, name: str) -> bool:
    """Validate a flag: ``True``, ``False`` or a numpy bool (not ``"yes"``, 1 or None).

    Parameters
    ----------
    value : Any
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    bool

    Raises
    ------
    InvalidParameterError
        If ``value`` is not a boolean.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name}: expected True or False, got {value!r} of type {_type_name(value)}")
    return bool(value)


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


def _from_masked(X: np.ma.MaskedArray, name: str) -> np.ndarray:
    """The data of a masked array that has no masked entry; refuse one that has."""
    mask = np.ma.getmaskarray(X)
    n_masked = int(np.count_nonzero(mask))
    if n_masked:
        first = [int(k) for k in np.argwhere(mask)[0]]
        if X.ndim == 2:
            where = f"{name}[{first[0]}] at position {first[1] + 1} (positions count from 1)"
        elif X.ndim == 1 and X.dtype.kind in "USO":
            where = f"{name}[{first[0]}]"  # a 1-D array of strings: one sequence per entry
        elif X.ndim == 1:
            where = f"{name}[0] at position {first[0] + 1} (positions count from 1)"  # one sequence of codes
        else:
            where = f"{name}[{', '.join(map(str, first))}]"
        raise InvalidSequenceError(
            f"{name}: expected sequences without missing entries, got a masked array with "
            f"{n_masked} masked {'entry' if n_masked == 1 else 'entries'}, the first in {where}; "
            f"fill them (e.g. {name}.filled(code)) or drop those sequences"
        )
    return np.ma.getdata(X)


def _first_missing(missing: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(missing)[0])


def _from_pandas(X: Any, name: str) -> Any:
    """Values of a pandas Series or DataFrame (never its labels), or a clear refusal.

    A DataFrame is either integer codes with one column per position, or one column of
    strings; a Series is either strings (one sequence per entry) or integer codes (one
    sequence). Row numbers in messages count from 0 and ignore the index labels.
    """
    import pandas as pd  # already imported: X is a pandas object

    api = pd.api.types
    if isinstance(X, pd.DataFrame):
        n_columns = X.shape[1]
        textual = [column for column, dtype in X.dtypes.items() if not api.is_numeric_dtype(dtype)]
        if textual and n_columns == 1:
            return _from_pandas(X.iloc[:, 0], name)
        missing = X.isna().to_numpy()
        if missing.any():
            row, pos = _first_missing(missing)
            raise InvalidSequenceError(
                f"{name}: expected a DataFrame without missing values, got {int(missing.sum())} "
                f"missing, the first in {name}.iloc[{row}] (rows count from 0; index labels are "
                f"ignored) at position {pos + 1} (positions count from 1)"
            )
        if textual:
            raise InvalidParameterError(
                f"{name}: expected a DataFrame of integer codes (one column per position) or a "
                f"DataFrame with a single column of strings, got {n_columns} columns, "
                f"{len(textual)} of them not numeric (the first: {textual[0]!r} of dtype "
                f"{X.dtypes[textual[0]]}); pass the column of sequences, e.g. {name}[{textual[0]!r}]"
            )
        values = X.to_numpy()
        if values.dtype == object and all(api.is_integer_dtype(dtype) for dtype in X.dtypes):
            values = X.to_numpy(dtype=np.int64)  # nullable integer columns without missing values
        return values
    if isinstance(X, pd.Series):
        missing = X.isna().to_numpy()
        numeric = api.is_numeric_dtype(X.dtype)
        if missing.any():
            (first,) = _first_missing(missing)
            where = (
                f"position {first + 1} (positions count from 1; an integer Series is one sequence)"
                if numeric
                else f"{name}.iloc[{first}] (rows count from 0; index labels are ignored)"
            )
            raise InvalidSequenceError(
                f"{name}: expected a Series without missing values, got {int(missing.sum())} "
                f"missing, the first at {where}"
            )
        if not numeric:
            return X.to_numpy(dtype=object)
        values = X.to_numpy()
        if values.dtype == object and api.is_integer_dtype(X.dtype):
            values = X.to_numpy(dtype=np.int64)
        return values
    return None


def _asarray(X: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(X)
    except Exception as exc:  # foreign objects raise anything from __array__
        raise InvalidParameterError(
            f"{name}: expected sequences (strings or integer codes), got {_type_name(X)} that "
            f"numpy cannot convert ({type(exc).__name__}: {exc})"
        ) from None


def as_array_input(X: Any, *, name: str = "X") -> Any:
    """Turn a container of sequences that is not a plain ndarray into one, where it is one.

    Called by :func:`check_codes` and :meth:`shap_zero.Alphabet.encode` on every input
    that is not exactly a :class:`numpy.ndarray`, before they look at it.

    Parameters
    ----------
    X : Any
        What the user passed as sequences.
    name : str, default "X"
        Name of the argument, used in error messages.

    Returns
    -------
    numpy.ndarray or Any
        An ndarray for array-like containers: a pandas DataFrame or Series (by its values,
        never its labels: see below), a torch tensor (``X.detach().cpu().numpy()``; torch is
        not imported), a masked array without masked entries, another ndarray subclass, a
        memoryview, or any object with ``__array__``, ``__array_interface__`` or the buffer
        protocol. Anything else (``str``, ``bytes``, lists, tuples, generators, ...) is
        returned unchanged for the caller to handle.

        A DataFrame must be integer codes (one column per position) or have a single
        column of strings; a Series holds strings (one sequence per entry) or integer
        codes (one sequence).

    Raises
    ------
    InvalidParameterError
        For a dict (or other mapping) or a set (whose order is arbitrary), for a
        DataFrame with several non-numeric columns, and for objects numpy cannot convert.
    InvalidSequenceError
        For a masked array with masked entries, or a pandas object with missing values;
        the message gives how many there are and the first one.
    """
    if isinstance(X, (str, bytes, bytearray, list, tuple)):
        return X
    if isinstance(X, np.ndarray):
        if isinstance(X, np.ma.MaskedArray):
            return _from_masked(X, name)
        return np.asarray(X)
    module = type(X).__module__ or ""
    if isinstance(X, Mapping):
        raise InvalidParameterError(
            f"{name}: expected sequences (a str, a list of str or an array of integer codes), got "
            f"a {_type_name(X)}, whose keys and values are ambiguous; pass list(d.values()) to "
            "explain its values"
        )
    if isinstance(X, Set) and not isinstance(X, MappingView):
        raise InvalidParameterError(
            f"{name}: expected an ordered collection of sequences (a list, tuple or array), got a "
            f"{_type_name(X)}, whose order is arbitrary, so results could not be matched to "
            "sequences; pass a list, e.g. sorted(s)"
        )
    if module.startswith("pandas"):
        values = _from_pandas(X, name)
        if values is not None:
            return values
    elif module.startswith("torch") and hasattr(X, "detach"):
        try:
            return np.asarray(X.detach().cpu().numpy())
        except Exception as exc:
            raise InvalidParameterError(
                f"{name}: expected a tensor of integer codes, got a {_type_name(X)} that cannot be "
                f"converted to numpy ({type(exc).__name__}: {exc})"
            ) from None
    if isinstance(X, memoryview) or any(
        hasattr(X, attribute) for attribute in ("__array__", "__array_interface__", "__array_struct__")
    ):
        return _asarray(X, name)
    try:
        view = memoryview(X)
    except TypeError:
        return X
    return _asarray(view, name)


def check_codes(
    X: Any,
    *,
    q: int,
    n: int | None = None,
    name: str = "X",
    ndim: Literal[1, 2] | None = None,
    allow_empty: bool = True,
    integral_floats: bool = False,
) -> np.ndarray:
    """Validate an array of integer-coded sequences: the library's one validator of codes.

    Parameters
    ----------
    X : array_like of int, shape (N, n) or (n,)
        Sequences as integer codes in ``0..q-1``. A 1-D array is one sequence.
        Any integer dtype is accepted; ``bool``, float, complex, object and
        string dtypes are not. Besides arrays and nested lists, any container
        :func:`as_array_input` converts is accepted: a pandas DataFrame of codes
        (its values, never its labels), a torch tensor, a masked array without
        masked entries, a memoryview or an object with ``__array__``.
    q : int
        Alphabet size, between 2 and :data:`shap_zero._config.MAX_Q` (255).
    n : int or None, optional
        Required sequence length. ``None`` accepts any length.
    name : str, default "X"
        Name of the argument, used in error messages.
    ndim : {1, 2} or None, default None
        Require one sequence (1) or a 2-D array of sequences (2); None accepts both.
    allow_empty : bool, default True
        Accept zero sequences (and, with ``n=None``, zero positions).
    integral_floats : bool, default False
        Accept a float array whose entries are all whole numbers (a
        ``shap.Explanation``'s ``data`` may hold the codes as floats).

    Returns
    -------
    numpy.ndarray of uint8, shape (N, n)
        C-contiguous codes. When ``X`` is already a C-contiguous ``uint8``
        array it is returned without copying (a 1-D input is returned as a
        reshaped view sharing its memory).

    Raises
    ------
    InvalidParameterError
        If ``X`` does not have an integer dtype, is not 1-D or 2-D, is a dict or
        a set, or if ``q`` or ``n`` are invalid.
    InvalidSequenceError
        If the sequences do not have length ``n``, have unequal lengths
        (nested lists), contain a code outside ``0..q-1``, or are missing
        (masked entries, missing values of a DataFrame). Messages count rows
        from 0 (``X[i]``) and positions from 1.
    """
    q = check_int(q, name="q", minimum=2, maximum=MAX_Q)
    n = check_int(n, name="n", minimum=0, allow_none=True)
    if ndim not in (None, 1, 2):
        raise InvalidParameterError(f"ndim: expected None, 1 or 2, got {ndim!r}")

    if type(X) is not np.ndarray:
        X = as_array_input(X, name=name)
        if isinstance(X, (list, tuple)) and len(X) == 0 and allow_empty and ndim != 1:
            return np.zeros((0, n or 0), dtype=np.uint8)
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            ragged = _first_ragged(X)
            if ragged is not None:
                i, first_len, bad_len = ragged
                raise InvalidSequenceError(
                    f"{name}: all sequences must have the same length; {name}[0] has "
                    f"length {first_len} but {name}[{i}] has length {bad_len}"
                ) from None
            raise InvalidParameterError(
                f"{name}: expected an array of integer codes, got {_type_name(X)} "
                f"that numpy cannot convert ({exc})"
            ) from None

    if not allow_empty and X.size == 0:
        raise InvalidParameterError(f"{name}: expected at least one sequence of codes, got shape {X.shape}")
    if integral_floats and X.dtype.kind == "f":
        if not (np.isfinite(X).all() and (X == np.round(X)).all()):
            raise InvalidParameterError(
                f"{name}: expected integer symbol codes, got an array of dtype {X.dtype} with "
                "non-integral or NaN entries"
            )
        # Whole numbers: the integer path below checks their range (values beyond 2^62 are
        # out of range for any q and are clipped so that the conversion is defined).
        X = np.clip(X, -(2.0**62), 2.0**62).astype(np.int64)
    # Signed and unsigned integers only: bool, and timedelta64 (which numpy files
    # under np.integer), are rejected here as well.
    if X.dtype.kind not in "iu":
        hint = " (encode strings with Alphabet.encode first)" if X.dtype.kind in "USO" else ""
        raise InvalidParameterError(
            f"{name}: expected an array of integer codes, got dtype {X.dtype}{hint}"
        )
    if ndim is not None and X.ndim != ndim:
        expected = "one sequence, a 1-D array (n,)" if ndim == 1 else "a 2-D array (N, n)"
        raise InvalidParameterError(f"{name}: expected {expected} of codes, got shape {X.shape}")
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

    if X.size:
        # Reinterpreting signed integers as unsigned of the same width turns
        # negative codes into huge ones, so one max() catches both ends.
        unsigned = X.view(X.dtype.str.replace("i", "u")) if X.dtype.kind == "i" else X
        if int(unsigned.max()) >= q:
            flat = int(np.argmax(unsigned >= q))
            i, pos = divmod(flat, X.shape[1])
            raise InvalidSequenceError(
                f"{name}[{i}] has code {int(X[i, pos])} at position {pos + 1} (positions count "
                f"from 1), which is outside the valid range 0..{q - 1}"
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

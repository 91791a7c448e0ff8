"""Alphabets of biological sequences and their integer encoding.

An :class:`Alphabet` maps each symbol to its index in the symbol string, so
the order given by the user is the order of the codes. The built-in alphabets
are :data:`DNA` (``"ACGT"``), :data:`RNA` (``"ACGU"``) and :data:`PROTEIN`
(the 20 standard amino acids, alphabetical by one-letter code).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from shap_zero._config import MAX_Q
from shap_zero._validation import _type_name, as_array_input, check_codes, check_int
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

__all__ = ["Alphabet", "DNA", "RNA", "PROTEIN"]

# Lookup-table entry of bytes that are not symbols. Codes are 0..q-1 with
# q <= MAX_Q = 255, so 255 is never a valid code.
_INVALID = 255
_MAX_SYMBOLS = MAX_Q
_DICT_KEYS = ("symbols", "name", "case_sensitive")
# Element types of a list that make it integer codes rather than strings.
_CODE_LIKE = (numbers.Integral, np.integer, list, tuple, np.ndarray)


# Rows per block of the table lookup: about 2**20 characters, so the intp copy
# of the indices that np.take makes stays small and cache-friendly.
_BLOCK_CHARS = 1 << 20


def _translate(lut: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Map character codes through a 256-entry lookup table.

    Parameters
    ----------
    lut : numpy.ndarray of uint8, shape (256,)
        Code of each byte value; ``_INVALID`` for bytes that are not symbols.
    raw : numpy.ndarray of unsigned int, shape (N, n)
        Character codes (bytes or Unicode code points); may be a strided view.

    Returns
    -------
    numpy.ndarray of uint8, shape (N, n)
        C-contiguous codes; characters above 255 map to ``_INVALID``.
    """
    n_seq, n = raw.shape
    out = np.empty((n_seq, n), dtype=np.uint8)
    if out.size == 0:
        return out
    rows = max(1, _BLOCK_CHARS // n)
    for start in range(0, n_seq, rows):
        # mode="clip" sends code points above 255 to lut[255], which is
        # invalid, and avoids the buffering of the default mode="raise".
        np.take(lut, raw[start : start + rows], out=out[start : start + rows], mode="clip")
    return out


def _str_len(arr: np.ndarray) -> np.ndarray:
    """Lengths of the elements of a numpy str/bytes array, shape (N,), dtype intp."""
    # np.strings is the numpy >= 2.0 home of the vectorised string functions.
    str_len = np.strings.str_len if hasattr(np, "strings") else np.char.str_len
    return np.asarray(str_len(arr), dtype=np.intp)


class Alphabet:
    """An ordered set of single-character symbols and their integer codes.

    The code of a symbol is its index in ``symbols``: ``Alphabet("ACTG")``
    encodes A=0, C=1, T=2, G=3, while ``Alphabet("ACGT")`` encodes A=0, C=1,
    G=2, T=3. Codes are stored as ``numpy.uint8``.

    Parameters
    ----------
    symbols : str
        Between 2 and 255 distinct printable, non-whitespace ASCII characters.
        With ``case_sensitive=False`` they must also be distinct after
        upper-casing (``"aA"`` is rejected).
    name : str or None, optional
        Human-readable name used in messages; defaults to ``symbols``.
    case_sensitive : bool, default False
        How letter case is handled:

        * ``False``: :meth:`encode` accepts the upper- and lower-case form of
          every symbol and maps both to the same code (``"acgt"`` and
          ``"ACGT"`` encode identically with :data:`DNA`).
        * ``True``: :meth:`encode` accepts only the symbols exactly as given.

        In both cases :meth:`decode` returns the symbols exactly as written
        in ``symbols``.

    Attributes
    ----------
    symbols : str
        The symbols in code order.
    q : int
        Number of symbols.
    name : str
        Display name.
    case_sensitive : bool
        Whether encoding distinguishes letter case.

    Notes
    -----
    Equality and hashing use ``(symbols, case_sensitive)`` only; the name is
    ignored. Instances are immutable.

    Examples
    --------
    >>> abc = Alphabet("ACTG", name="paper DNA")
    >>> abc.encode(["ACTG", "gtca"]).tolist()
    [[0, 1, 2, 3], [3, 2, 1, 0]]
    >>> abc.decode([[3, 2, 1, 0]])
    ['GTCA']
    """

    __slots__ = ("_symbols", "_name", "_case_sensitive", "_lut", "_symbol_codepoints")

    def __init__(self, symbols: str, *, name: str | None = None, case_sensitive: bool = False) -> None:
        if not isinstance(symbols, str):
            raise InvalidParameterError(
                f"symbols: expected a str of single-character symbols, got {symbols!r} "
                f"of type {_type_name(symbols)}"
            )
        if not isinstance(case_sensitive, (bool, np.bool_)):
            raise InvalidParameterError(
                f"case_sensitive: expected a bool, got {case_sensitive!r} of type "
                f"{_type_name(case_sensitive)}"
            )
        case_sensitive = bool(case_sensitive)
        if name is None:
            name = symbols
        elif not isinstance(name, str) or not name:
            raise InvalidParameterError(
                f"name: expected a non-empty str or None, got {name!r} of type {_type_name(name)}"
            )
        if not 2 <= len(symbols) <= _MAX_SYMBOLS:
            raise InvalidParameterError(
                f"symbols: expected between 2 and {_MAX_SYMBOLS} symbols, got {len(symbols)} "
                f"({symbols!r})"
            )
        seen: dict[str, int] = {}
        for pos, symbol in enumerate(symbols):
            if not 33 <= ord(symbol) <= 126:
                raise InvalidParameterError(
                    f"symbols: expected printable, non-whitespace ASCII characters, got "
                    f"symbols[{pos}] = {symbol!r} in {symbols!r}"
                )
            key = symbol if case_sensitive else symbol.upper()
            if key in seen:
                first = seen[key]
                if symbols[first] == symbol:
                    detail = f"{symbol!r} appears twice, as symbols[{first}] and symbols[{pos}]"
                else:
                    detail = (
                        f"symbols[{first}] = {symbols[first]!r} and symbols[{pos}] = {symbol!r} "
                        "differ only by case; pass case_sensitive=True to keep both"
                    )
                raise InvalidParameterError(
                    f"symbols: expected distinct symbols, but in {symbols!r} {detail}"
                )
            seen[key] = pos

        lut = np.full(256, _INVALID, dtype=np.uint8)
        for code, symbol in enumerate(symbols):
            lut[ord(symbol)] = code
            if not case_sensitive:
                lut[ord(symbol.upper())] = code
                lut[ord(symbol.lower())] = code
        lut.flags.writeable = False
        codepoints = np.frombuffer(symbols.encode("ascii"), dtype=np.uint8).astype(np.uint32)
        codepoints.flags.writeable = False

        self._symbols = symbols
        self._name = name
        self._case_sensitive = case_sensitive
        self._lut = lut
        self._symbol_codepoints = codepoints

    # ------------------------------------------------------------------ basics

    @property
    def symbols(self) -> str:
        """The symbols in code order (``str`` of length ``q``)."""
        return self._symbols

    @property
    def q(self) -> int:
        """Number of symbols in the alphabet."""
        return len(self._symbols)

    @property
    def name(self) -> str:
        """Display name of the alphabet."""
        return self._name

    @property
    def case_sensitive(self) -> bool:
        """Whether :meth:`encode` distinguishes upper and lower case."""
        return self._case_sensitive

    def __len__(self) -> int:
        return len(self._symbols)

    def __repr__(self) -> str:
        parts = [repr(self._symbols)]
        if self._name != self._symbols:
            parts.append(f"name={self._name!r}")
        if self._case_sensitive:
            parts.append("case_sensitive=True")
        return f"Alphabet({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Alphabet):
            return NotImplemented
        return (self._symbols, self._case_sensitive) == (other._symbols, other._case_sensitive)

    def __hash__(self) -> int:
        return hash((self._symbols, self._case_sensitive))

    def __contains__(self, symbol: object) -> bool:
        """Whether :meth:`encode` accepts ``symbol`` (a one-character str)."""
        if not isinstance(symbol, str) or len(symbol) != 1 or ord(symbol) > 255:
            return False
        return bool(self._lut[ord(symbol)] != _INVALID)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Rebuild through the constructor so the lookup tables are recomputed.
        return (_alphabet_from_state, (self._symbols, self._name, self._case_sensitive))

    def _describe(self) -> str:
        """Alphabet description used in error messages."""
        case = ", case-sensitive" if self._case_sensitive else ""
        if self._name != self._symbols:
            return f"{self._name} ({self._symbols!r}{case})"
        return repr(self._symbols) + (" (case-sensitive)" if self._case_sensitive else "")

    # ---------------------------------------------------------------- encoding

    def encode(self, sequences: Any, *, length: int | None = None, name: str = "X") -> np.ndarray:
        """Encode sequences as integer codes.

        Parameters
        ----------
        sequences : str, bytes, iterable of str or bytes, numpy.ndarray, or int array
            Accepted forms:

            * one ``str`` or ``bytes`` -> one sequence;
            * a list, tuple or any other ordered iterable (generator) of
              ``str``, or of ``bytes``/``bytearray`` (not mixed);
            * a 1-D numpy array of dtype ``str`` (``'U'``), ``bytes``
              (``'S'``) or ``object`` holding strings;
            * a pandas Series of strings, or a DataFrame with one column of
              strings (their values: the index and column labels are never
              read);
            * integer codes, shape (N, n) or (n,), as a numpy array, nested
              lists of ints, a pandas DataFrame (one column per position), a
              torch tensor, a masked array without masked entries, a
              memoryview or any object with ``__array__``; they are validated
              with :func:`~shap_zero._validation.check_codes`.

            A ``dict`` and a ``set`` (whose order is arbitrary) are refused.
        length : int or None, optional
            Required sequence length. ``None`` only requires all sequences to
            have the same length.
        name : str, default "X"
            Name of the argument, used in error messages.

        Returns
        -------
        numpy.ndarray of uint8, shape (N, n)
            C-contiguous codes. Zero sequences give shape ``(0, length)``, or
            ``(0, 0)`` when ``length`` is None.

        Raises
        ------
        InvalidSequenceError
            If a symbol is not in the alphabet, if the sequences have
            different lengths, if they do not have length ``length``, or if
            entries are missing (masked, or missing values of pandas objects).
            Messages count sequences from 0 (``X[i]``) and positions from 1.
        InvalidParameterError
            If an element is not a ``str``/``bytes``, if ``sequences`` is of an
            unsupported type (a dict or a set included), or if ``length`` is
            not a non-negative integer.
        """
        length = check_int(length, name="length", minimum=0, allow_none=True)

        if isinstance(sequences, (str, bytes, bytearray)):
            return self._encode_list([sequences], length, name)
        if type(sequences) is not np.ndarray:
            sequences = as_array_input(sequences, name=name)
        if isinstance(sequences, np.ndarray):
            kind = sequences.dtype.kind
            if kind in "US":
                return self._encode_string_array(sequences, length, name)
            if kind == "O":
                if sequences.ndim == 0:
                    return self.encode(sequences.item(), length=length, name=name)
                if sequences.ndim != 1:
                    raise InvalidParameterError(
                        f"{name}: expected a 1-D array of strings, got an object array of "
                        f"shape {sequences.shape}"
                    )
                return self._encode_list(sequences.tolist(), length, name)
            return check_codes(sequences, q=self.q, n=length, name=name)
        if not isinstance(sequences, Iterable):
            raise InvalidParameterError(
                f"{name}: expected a str, an iterable of str or bytes, or an integer code "
                f"array, got {_type_name(sequences)}"
            )
        items = sequences if isinstance(sequences, list) else list(sequences)
        return self._encode_list(items, length, name)

    def _check_lengths(self, lengths: np.ndarray, length: int | None, name: str) -> int:
        """Check that all ``lengths`` agree (with ``length`` if given); return it."""
        expected = int(lengths[0]) if length is None else length
        mismatch = lengths != expected
        if mismatch.any():
            i = int(np.argmax(mismatch))
            if length is None:
                raise InvalidSequenceError(
                    f"{name}: all sequences must have the same length; {name}[0] has "
                    f"length {expected} but {name}[{i}] has length {int(lengths[i])}"
                )
            raise InvalidSequenceError(
                f"{name}: expected sequences of length {length}, but {name}[{i}] has "
                f"length {int(lengths[i])}"
            )
        return expected

    def _raise_bad_symbol(
        self, codes: np.ndarray, symbol_at: Callable[[int, int], object], name: str
    ) -> None:
        """Raise for the first invalid entry of ``codes`` (shape (N, n)), if any.

        ``symbol_at(i, pos)`` returns the offending input character, so the
        message shows what the user passed rather than its table entry.
        """
        # max() is a cheap single pass; only search when something is wrong.
        if codes.size == 0 or int(codes.max()) != _INVALID:
            return
        i, pos = divmod(int(np.argmax(codes == _INVALID)), codes.shape[1])
        raise InvalidSequenceError(
            f"{name}[{i}] has {symbol_at(i, pos)!r} at position {pos + 1} (positions count "
            f"from 1), which is not in alphabet {self._describe()}"
        )

    def _encode_list(self, items: list[Any], length: int | None, name: str) -> np.ndarray:
        """Encode a list of str, or of bytes; see :meth:`encode`."""
        n_seq = len(items)
        if n_seq == 0:
            return np.zeros((0, length or 0), dtype=np.uint8)

        types = set(map(type, items))
        all_str = all(issubclass(t, str) for t in types)
        all_bytes = not all_str and all(issubclass(t, (bytes, bytearray)) for t in types)
        if not (all_str or all_bytes):
            # A list of ints, or of rows of ints, is integer codes, not strings.
            if all(issubclass(t, _CODE_LIKE) and not issubclass(t, bool) for t in types):
                return check_codes(items, q=self.q, n=length, name=name)
            self._raise_bad_element(items, name)

        lengths = np.fromiter(map(len, items), dtype=np.intp, count=n_seq)
        n = self._check_lengths(lengths, length, name)

        if all_bytes:
            buffer = np.frombuffer(b"".join(items), dtype=np.uint8)
            codes = _translate(self._lut, buffer.reshape(n_seq, n))
            self._raise_bad_symbol(codes, lambda i, pos: _byte_symbol(items[i][pos]), name)
            return codes

        joined = "".join(items)
        try:
            buffer = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        except UnicodeEncodeError:
            # Non-ASCII input is always invalid; UTF-32 keeps one entry per
            # character, so positions still match string indices.
            buffer = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        codes = _translate(self._lut, buffer.reshape(n_seq, n))
        self._raise_bad_symbol(codes, lambda i, pos: items[i][pos], name)
        return codes

    @staticmethod
    def _raise_bad_element(items: list[Any], name: str) -> None:
        """Raise for the first element that breaks the all-str / all-bytes rule."""
        text_types = (str, bytes, bytearray)
        for i, item in enumerate(items):
            if not isinstance(item, text_types):
                raise InvalidParameterError(
                    f"{name}[{i}] has type {_type_name(item)}; expected str or bytes"
                )
        first_is_str = isinstance(items[0], str)
        for i, item in enumerate(items):
            if isinstance(item, str) != first_is_str:
                raise InvalidParameterError(
                    f"{name}: cannot mix str and bytes; {name}[0] is {_type_name(items[0])} "
                    f"but {name}[{i}] is {_type_name(item)}"
                )

    def _encode_string_array(self, arr: np.ndarray, length: int | None, name: str) -> np.ndarray:
        """Encode a numpy array of dtype 'U' or 'S' without a Python loop."""
        if arr.ndim == 0:
            arr = arr.reshape(1)
        elif arr.ndim != 1:
            raise InvalidParameterError(
                f"{name}: expected a 1-D array of strings, got a {arr.ndim}-D array of "
                f"shape {arr.shape}"
            )
        n_seq = arr.shape[0]
        if n_seq == 0:
            return np.zeros((0, length or 0), dtype=np.uint8)
        n = self._check_lengths(_str_len(arr), length, name)

        if arr.dtype.kind == "S":
            width = arr.dtype.itemsize
            raw = np.ascontiguousarray(arr).view(np.uint8).reshape(n_seq, width)[:, :n]
            codes = _translate(self._lut, raw)
            self._raise_bad_symbol(codes, lambda i, pos: _byte_symbol(arr[i][pos]), name)
            return codes

        width = arr.dtype.itemsize // 4
        native = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
        points = native.view(np.uint32).reshape(n_seq, width)[:, :n]
        codes = _translate(self._lut, points)
        self._raise_bad_symbol(codes, lambda i, pos: str(arr[i])[pos], name)
        return codes

    def decode(self, codes: Any) -> list[str]:
        """Decode integer codes back into strings.

        Parameters
        ----------
        codes : array_like of int, shape (N, n) or (n,)
            Codes in ``0..q-1``; validated with
            :func:`~shap_zero._validation.check_codes`.

        Returns
        -------
        list of str, length N
            The sequences, written with the symbols exactly as in ``symbols``.

        Raises
        ------
        InvalidParameterError
            If ``codes`` is not a 1-D or 2-D integer array.
        InvalidSequenceError
            If a code is outside ``0..q-1``.
        """
        codes = check_codes(codes, q=self.q, name="codes")
        n_seq, n = codes.shape
        if n == 0:
            return [""] * n_seq
        # One UCS-4 code point per position; viewing rows as fixed-width
        # strings lets numpy build the Python strings without a loop.
        points = self._symbol_codepoints[codes]
        return points.view(f"=U{n}").reshape(n_seq).tolist()

    # ----------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable description of the alphabet.

        Returns
        -------
        dict
            Keys ``"symbols"`` (str), ``"name"`` (str) and
            ``"case_sensitive"`` (bool); :meth:`from_dict` inverts it.
        """
        return {"symbols": self._symbols, "name": self._name, "case_sensitive": self._case_sensitive}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alphabet:
        """Rebuild an alphabet from the output of :meth:`to_dict`.

        Parameters
        ----------
        d : Mapping
            Must contain ``"symbols"``; ``"name"`` and ``"case_sensitive"``
            are optional. Other keys are rejected.

        Returns
        -------
        Alphabet

        Raises
        ------
        InvalidParameterError
            If ``d`` is not a mapping, lacks ``"symbols"``, has unknown keys,
            or holds invalid values.
        """
        if not isinstance(d, Mapping):
            raise InvalidParameterError(
                f"d: expected a dict with keys {list(_DICT_KEYS)}, got {_type_name(d)}"
            )
        if "symbols" not in d:
            raise InvalidParameterError(
                f"d: expected a dict with keys {list(_DICT_KEYS)}, but 'symbols' is missing "
                f"(got keys {sorted(map(str, d))})"
            )
        unknown = sorted(str(key) for key in d if key not in _DICT_KEYS)
        if unknown:
            raise InvalidParameterError(
                f"d: expected only the keys {list(_DICT_KEYS)}, got unknown keys {unknown}"
            )
        return cls(
            d["symbols"], name=d.get("name"), case_sensitive=d.get("case_sensitive", False)
        )


def _byte_symbol(value: int) -> str | bytes:
    """Show a byte of bytes input: as a character if ASCII, else as bytes."""
    return chr(value) if value < 128 else bytes([value])


def _alphabet_from_state(symbols: str, name: str, case_sensitive: bool) -> Alphabet:
    """Pickle helper: rebuild an :class:`Alphabet` through its constructor."""
    return Alphabet(symbols, name=name, case_sensitive=case_sensitive)


DNA = Alphabet("ACGT", name="DNA")
"""DNA: A=0, C=1, G=2, T=3."""

RNA = Alphabet("ACGU", name="RNA")
"""RNA: A=0, C=1, G=2, U=3."""

PROTEIN = Alphabet("ACDEFGHIKLMNPQRSTVWY", name="protein")
"""The 20 standard amino acids, alphabetical by one-letter code (A=0 ... Y=19)."""

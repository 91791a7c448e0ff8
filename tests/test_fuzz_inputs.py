"""Property-based tests (hypothesis) of the input boundaries: the alphabet encoder and
the model-output checks.

Every input either gives the right answer or raises one of the library's own errors,
never another exception type and never a silently different result (issue 14, item 12).
Runs are kept small (a few hundred examples in all) so the file takes seconds.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis (the test extra)")
from hypothesis import HealthCheck, assume, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from shap_zero import DNA, PROTEIN, RNA, Alphabet  # noqa: E402
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError, ModelOutputError  # noqa: E402
from shap_zero.models import check_model_output  # noqa: E402

pd = pytest.importorskip("pandas")

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INPUT_ERRORS = (InvalidSequenceError, InvalidParameterError)
PRINTABLE = [chr(c) for c in range(33, 127)]

# ------------------------------------------------------------------ strategies


@st.composite
def alphabets(draw: st.DrawFn) -> Alphabet:
    """A built-in alphabet or a custom one: random symbols, order and case handling."""
    if draw(st.booleans()):
        return draw(st.sampled_from([DNA, RNA, PROTEIN]))
    case_sensitive = draw(st.booleans())
    symbols = draw(st.lists(st.sampled_from(PRINTABLE), min_size=2, max_size=24, unique=True))
    if not case_sensitive:
        seen: dict[str, str] = {}
        for symbol in symbols:
            seen.setdefault(symbol.upper(), symbol)
        symbols = list(seen.values())
        assume(len(symbols) >= 2)
    return Alphabet("".join(symbols), case_sensitive=case_sensitive)


def accepted_letters(alphabet: Alphabet) -> list[str]:
    """Every character :meth:`Alphabet.encode` accepts (both cases unless case-sensitive)."""
    letters = set(alphabet.symbols)
    if not alphabet.case_sensitive:
        letters |= {s.upper() for s in alphabet.symbols} | {s.lower() for s in alphabet.symbols}
    return sorted(letters)


def slow_code(alphabet: Alphabet, char: str) -> int | None:
    """The code of one character by a linear search, or None when it is not a symbol."""
    for code, symbol in enumerate(alphabet.symbols):
        if char == symbol or (not alphabet.case_sensitive and char.upper() == symbol.upper()):
            return code
    return None


@st.composite
def valid_batches(draw: st.DrawFn, min_rows: int = 0, min_length: int = 0) -> tuple[Alphabet, list[str]]:
    alphabet = draw(alphabets())
    n = draw(st.integers(min_length, 12))
    letters = accepted_letters(alphabet)
    row = st.lists(st.sampled_from(letters), min_size=n, max_size=n).map("".join)
    return alphabet, draw(st.lists(row, min_size=min_rows, max_size=8))


# ------------------------------------------------------------ alphabet encoder


@FAST
@given(valid_batches())
def test_valid_sequences_round_trip(batch: tuple[Alphabet, list[str]]) -> None:
    alphabet, seqs = batch
    codes = alphabet.encode(seqs)
    n = len(seqs[0]) if seqs else 0
    assert codes.dtype == np.uint8 and codes.shape == (len(seqs), n) and codes.flags.c_contiguous
    expected = [[slow_code(alphabet, c) for c in s] for s in seqs]
    np.testing.assert_array_equal(codes, np.array(expected, dtype=np.uint8).reshape(len(seqs), n))
    # decode writes the symbols as given, so decoding is encoding's inverse up to case.
    decoded = alphabet.decode(codes)
    assert decoded == ["".join(alphabet.symbols[k] for k in row) for row in expected]
    np.testing.assert_array_equal(alphabet.encode(decoded), codes)


def _forms(seqs: list[str], codes: np.ndarray) -> dict[str, Any]:
    """The same sequences in every container the encoder accepts."""
    ascii_bytes = [s.encode("ascii") for s in seqs]
    forms: dict[str, Any] = {
        "list": seqs,
        "tuple": tuple(seqs),
        "generator": (s for s in seqs),
        "array U": np.array(seqs),
        "array S": np.array(ascii_bytes),
        "array object": np.array(seqs, dtype=object),
        "list of bytes": ascii_bytes,
        "codes uint8": codes,
        "codes int64": codes.astype(np.int64),
        "codes lists": codes.tolist(),
        "codes Fortran": np.asfortranarray(codes),
        # Labels that look like data must never be read.
        "DataFrame of codes": pd.DataFrame(codes, columns=[f"c{k}" for k in range(codes.shape[1])],
                                           index=[f"r{k}" for k in range(codes.shape[0])]),
        "DataFrame of codes, int labels": pd.DataFrame(codes.astype(np.int64), index=np.arange(len(seqs))[::-1]),
        "DataFrame Int64": pd.DataFrame(codes).astype("Int64"),
        "Series": pd.Series(seqs, index=[f"i{k}" for k in range(len(seqs))]),
        "Series string dtype": pd.Series(seqs, dtype="string"),
        "DataFrame, one string column": pd.DataFrame({"ACGT": seqs}),
        "masked, nothing masked": np.ma.masked_array(codes),
        "memoryview": memoryview(np.ascontiguousarray(codes)),
    }
    torch = _torch()
    if torch is not None:
        forms["torch"] = torch.from_numpy(codes.astype(np.int64))
    return forms


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


@FAST
@given(valid_batches(min_rows=1, min_length=1))
def test_every_container_gives_the_same_codes(batch: tuple[Alphabet, list[str]]) -> None:
    alphabet, seqs = batch
    codes = alphabet.encode(seqs)
    for form, value in _forms(seqs, codes).items():
        out = alphabet.encode(value, length=codes.shape[1])
        assert out.dtype == np.uint8, form
        np.testing.assert_array_equal(out, codes, err_msg=form)


@FAST
@given(alphabets(), st.data())
def test_invalid_strings_raise_and_name_the_first_bad_symbol(alphabet: Alphabet, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 10), label="n")
    letters = accepted_letters(alphabet)
    any_char = st.one_of(st.sampled_from(letters), st.characters())
    seqs = data.draw(
        st.lists(st.lists(any_char, min_size=n, max_size=n).map("".join), min_size=1, max_size=6), label="seqs"
    )
    bad = [(i, pos, c) for i, s in enumerate(seqs) for pos, c in enumerate(s) if slow_code(alphabet, c) is None]
    forms = [seqs, np.array(seqs, dtype=object)]
    if not any(s.endswith("\x00") for s in seqs):
        # numpy's fixed-width strings drop trailing NULs (np.array(["A\x00"])[0] == "A"), so
        # such a sequence is already shorter before the library sees it.
        forms.append(np.array(seqs))
    if not bad:
        for form in forms:
            np.testing.assert_array_equal(alphabet.encode(form), [[slow_code(alphabet, c) for c in s] for s in seqs])
        return
    i, pos, c = bad[0]
    message = f"X[{i}] has {c!r} at position {pos + 1} (positions count from 1)"
    for form in forms:
        with pytest.raises(InvalidSequenceError, match=re.escape(message)):
            alphabet.encode(form)


@FAST
@given(alphabets(), st.integers(1, 5).flatmap(lambda n: st.lists(st.binary(min_size=n, max_size=n), min_size=1, max_size=6)))
def test_random_bytes_encode_or_name_the_first_bad_byte(alphabet: Alphabet, rows: list[bytes]) -> None:
    expected = [[slow_code(alphabet, chr(b)) if b < 128 else None for b in row] for row in rows]
    bad = [(i, pos, b) for i, row in enumerate(rows) for pos, b in enumerate(row) if expected[i][pos] is None]
    forms: list[Any] = [rows, [bytearray(r) for r in rows]]
    if not any(row.endswith(b"\0") for row in rows):  # numpy's 'S' dtype drops trailing NUL bytes
        forms.append(np.array(rows, dtype=f"S{len(rows[0])}"))
    for form in forms:
        if not bad:
            np.testing.assert_array_equal(alphabet.encode(form), expected)
            continue
        i, pos, b = bad[0]
        shown = chr(b) if b < 128 else bytes([b])
        with pytest.raises(InvalidSequenceError, match=re.escape(f"X[{i}] has {shown!r} at position {pos + 1} ")):
            alphabet.encode(form)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.complex_numbers(),
    st.text(max_size=6),
    st.binary(max_size=6),
)
_dtypes = st.sampled_from(
    [np.uint8, np.int8, np.int64, np.uint64, np.float64, np.float32, np.bool_, np.complex128,
     "<U3", "S3", "m8[s]", "M8[D]"]
)
_arrays = hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
_objects = st.recursive(
    st.one_of(_scalars, _arrays),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        st.frozensets(st.one_of(st.text(max_size=4), st.integers()), max_size=3),
        st.sets(st.text(max_size=4), max_size=3),
    ),
    max_leaves=8,
)


def _check_result(out: Any, alphabet: Alphabet, length: int | None) -> None:
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.ndim == 2
    assert out.flags.c_contiguous
    assert out.size == 0 or int(out.max()) < alphabet.q
    if length is not None:
        assert out.shape[1] == length


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alphabets(), _objects, st.one_of(st.none(), st.integers(0, 6)))
@example(DNA, np.array([[1, 2]], dtype="m8[s]"), None)  # numpy files timedelta64 under np.integer
@example(DNA, [[0, 1], [2]], None)
@example(DNA, memoryview(np.zeros((2, 3), dtype=np.uint8)), 3)
def test_arbitrary_objects_encode_or_raise_input_errors(alphabet: Alphabet, obj: Any, length: int | None) -> None:
    try:
        out = alphabet.encode(obj, length=length)
    except INPUT_ERRORS as error:
        assert str(error)  # a message, naming the argument
        assert "X" in str(error)
        return
    _check_result(out, alphabet, length)


@FAST
@given(alphabets(), _objects)
def test_dicts_and_sets_are_always_refused(alphabet: Alphabet, inner: Any) -> None:
    for container in ({"a": inner}, {"ACGT", "AAAA"}, frozenset(["ACGT"]), set()):
        with pytest.raises(InvalidParameterError, match=r"^X: expected .*got a (dict|set|frozenset)"):
            alphabet.encode(container)


@FAST
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.int64, st.tuples(st.integers(1, 5), st.just(n)), elements=st.integers(0, 3)),
            hnp.arrays(np.bool_, st.tuples(st.integers(1, 5), st.just(n))),
        )
    )
)
def test_masked_arrays_are_refused_exactly_when_an_entry_is_masked(codes_and_mask: tuple[np.ndarray, np.ndarray]) -> None:
    codes, mask = codes_and_mask
    rows = min(codes.shape[0], mask.shape[0])
    codes, mask = codes[:rows], mask[:rows]
    masked = np.ma.masked_array(codes, mask=mask)
    if not mask.any():
        np.testing.assert_array_equal(DNA.encode(masked), codes)
        return
    i, pos = (int(k) for k in np.argwhere(mask)[0])
    count = int(mask.sum())
    message = f"{count} masked {'entry' if count == 1 else 'entries'}, the first in X[{i}] at position {pos + 1}"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        DNA.encode(masked)


# ---------------------------------------------------------- model-output checks

_output_dtypes = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int8, np.int64, np.uint64, np.bool_, np.complex128,
     object, "<U2", "m8[s]", "M8[D]"]
)


def _elements(dtype: Any) -> st.SearchStrategy[Any] | None:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        # NaN and infinities at random places.
        return st.floats(width=min(64, 8 * dtype.itemsize), allow_nan=True, allow_infinity=True)
    if dtype.kind == "O":
        return st.one_of(st.floats(), st.integers(), st.none(), st.text(max_size=2))
    return None


_output_arrays = _output_dtypes.flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
        elements=_elements(dtype),
    )
)
_outputs = st.one_of(
    _output_arrays,
    _output_arrays.map(lambda a: a.tolist()),  # lists (nested), Python scalars for 0-D
    st.lists(st.one_of(st.floats(), st.integers(), st.none(), st.text(max_size=2)), max_size=6),
    st.lists(st.lists(st.floats(), min_size=1, max_size=3), max_size=6),  # possibly ragged
    st.one_of(st.floats(), st.integers(), st.complex_numbers(), st.text(max_size=3), st.none()),
    st.dictionaries(st.integers(0, 5), st.floats(), max_size=3),
    _output_arrays.map(lambda a: np.ma.masked_array(a, mask=np.zeros(a.shape, bool)) if a.ndim else a),
)


def _expected_output(output: Any, n_rows: int) -> np.ndarray | None:
    """The checked output by an independent route, or None when it must be refused."""
    try:
        values = np.asarray(output)
    except Exception:  # ragged lists, ints too large for any dtype
        return None
    if values.dtype.kind not in "biuf":
        return None
    if values.ndim == 0 and n_rows == 1:
        values = values.reshape(1, 1)
    elif values.ndim == 1 and values.shape[0] == n_rows:
        values = values.reshape(n_rows, 1)
    if values.ndim != 2 or values.shape[0] != n_rows or values.shape[1] == 0:
        return None
    with np.errstate(over="ignore"):
        values = values.astype(np.float64)
    return values if np.isfinite(values).all() else None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_outputs, st.integers(0, 6))
def test_model_output_passes_as_float64_or_raises_a_model_output_error(output: Any, n_rows: int) -> None:
    expected = _expected_output(output, n_rows)
    try:
        with np.errstate(over="ignore"):
            values = check_model_output(output, n_rows, "batch 7 (rows 0..5)")
    except ModelOutputError as error:
        message = str(error)
        assert expected is None, f"refused a valid output: {message}"
        assert message.startswith("model output for batch 7 (rows 0..5)")
        assert any(word in message for word in ("shape", "finite", "numbers", "real", "masked", "array"))
        return
    assert expected is not None, f"accepted an invalid output {output!r}"
    assert values.dtype == np.float64 and values.shape == expected.shape
    np.testing.assert_array_equal(values, expected)


@FAST
@given(st.integers(1, 6), st.data())
def test_non_finite_outputs_name_the_first_bad_row(n_rows: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, 3), label="m")
    values = np.zeros((n_rows, m))
    bad = data.draw(st.lists(st.tuples(st.integers(0, n_rows - 1), st.integers(0, m - 1)), min_size=1, max_size=4))
    for row, column in bad:
        values[row, column] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    row, column = (int(k) for k in np.argwhere(~np.isfinite(values))[0])
    with pytest.raises(ModelOutputError, match=rf"is not finite: .* for row {row} of that call \(output column {column}"):
        check_model_output(values if m > 1 else values[:, 0], n_rows, "batch 0")


def test_model_output_of_a_torch_tensor_that_requires_grad() -> None:
    torch = pytest.importorskip("torch")
    out = torch.arange(3, dtype=torch.float64, requires_grad=True) * 2
    np.testing.assert_array_equal(check_model_output(out, 3, "batch 0"), [[0.0], [2.0], [4.0]])

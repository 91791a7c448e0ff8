"""Tests of shap_zero._validation."""

from __future__ import annotations

import re

import numpy as np
import pytest

from shap_zero._validation import check_bool, check_codes, check_int, check_random_state
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

# ---------------------------------------------------------------- check_codes


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
)
def test_check_codes_accepts_integer_dtypes(dtype: type) -> None:
    X = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype=dtype)
    out = check_codes(X, q=4)
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous
    assert out.shape == (2, 4)
    np.testing.assert_array_equal(out, X.astype(np.int64))


def test_check_codes_non_native_byte_order() -> None:
    X = np.array([[0, 1, 2, 3]], dtype=">i4")
    np.testing.assert_array_equal(check_codes(X, q=4), [[0, 1, 2, 3]])
    bad = np.array([[0, 1, -2, 3]], dtype=">i8")
    with pytest.raises(InvalidSequenceError, match=re.escape("code -2 at position 3 (positions count from 1)")):
        check_codes(bad, q=4)


def test_check_codes_one_dimensional_is_one_sequence() -> None:
    out = check_codes(np.array([0, 1, 2]), q=3)
    assert out.shape == (1, 3)
    assert out.dtype == np.uint8


def test_check_codes_accepts_nested_lists() -> None:
    out = check_codes([[0, 1], [1, 0]], q=2)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[0, 1], [1, 0]])


def test_check_codes_no_copy_when_already_uint8_contiguous() -> None:
    X = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    assert check_codes(X, q=3) is X
    flat = np.array([0, 1, 2], dtype=np.uint8)
    out = check_codes(flat, q=3)
    assert out.shape == (1, 3)
    assert np.shares_memory(out, flat)


def test_check_codes_copies_non_contiguous() -> None:
    base = np.zeros((4, 6), dtype=np.uint8)
    view = base[:, ::2]
    out = check_codes(view, q=2)
    assert out.flags.c_contiguous
    assert not np.shares_memory(out, base)
    np.testing.assert_array_equal(out, view)


def test_check_codes_at_the_largest_alphabet_rejects_only_the_invalid_byte() -> None:
    # q = 255 is the limit: every code 0..254 passes, 255 is the encoder's "not a letter".
    X = np.arange(255, dtype=np.uint8).reshape(5, 51)
    assert check_codes(X, q=255) is X
    bad = X.copy()
    bad[3, 7] = 255
    with pytest.raises(InvalidSequenceError, match="255"):
        check_codes(bad, q=255)
    with pytest.raises(InvalidParameterError, match="between 2 and 255, got 256"):
        check_codes(X, q=256)


@pytest.mark.parametrize(
    ("X", "dtype_text"),
    [
        (np.array([[0.0, 1.0]]), "float64"),
        (np.array([[0, 1]], dtype=np.complex128), "complex128"),
        (np.array([[0, 1]], dtype=object), "object"),
        (np.array([["0", "1"]]), "<U1"),
        (np.array([[True, False]]), "bool"),
    ],
)
def test_check_codes_rejects_non_integer_dtypes(X: np.ndarray, dtype_text: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"Y: expected .*integer codes.*{re.escape(dtype_text)}"):
        check_codes(X, q=2, name="Y")


@pytest.mark.parametrize("shape", [(), (2, 3, 4)])
def test_check_codes_rejects_bad_ndim(shape: tuple[int, ...]) -> None:
    X = np.zeros(shape, dtype=np.uint8)
    with pytest.raises(InvalidParameterError, match=rf"X: expected a 1-D .* got a {len(shape)}-D array"):
        check_codes(X, q=4)


def test_check_codes_wrong_length() -> None:
    X = np.zeros((3, 25), dtype=np.uint8)
    with pytest.raises(
        InvalidSequenceError,
        match=re.escape("expected sequences of length 26 in 'X', got length 25"),
    ):
        check_codes(X, q=4, n=26)
    assert check_codes(X, q=4, n=25) is X


def test_check_codes_too_large_code_names_sequence_position_and_range() -> None:
    X = np.zeros((5, 8), dtype=np.uint8)
    X[3, 6] = 4
    X[4, 0] = 9  # a later offender must not be the one reported
    with pytest.raises(
        InvalidSequenceError,
        match=re.escape(
            "codes[3] has code 4 at position 7 (positions count from 1), which is outside the valid range 0..3"
        ),
    ):
        check_codes(X, q=4, name="codes")


def test_check_codes_negative_code() -> None:
    X = np.zeros((2, 5), dtype=np.int64)
    X[1, 2] = -1
    with pytest.raises(InvalidSequenceError, match=r"^X\[1\] has code -1 at position 3 \(positions count from 1\).*0\.\.3"):
        check_codes(X, q=4)


def test_check_codes_huge_code_in_wide_dtype() -> None:
    X = np.zeros((1, 3), dtype=np.int64)
    X[0, 1] = 2**40  # would wrap to 0 if cast to uint8 before checking
    with pytest.raises(InvalidSequenceError, match=rf"code {2**40} at position 2 \(positions"):
        check_codes(X, q=4)


def test_check_codes_ragged_nested_lists() -> None:
    with pytest.raises(InvalidSequenceError, match=re.escape("X[0] has length 3 but X[2] has length 2")):
        check_codes([[0, 1, 2], [0, 1, 2], [0, 1]], q=4)


def test_check_codes_empty() -> None:
    out = check_codes(np.zeros((0, 7), dtype=np.int32), q=4, n=7)
    assert out.shape == (0, 7)
    assert out.dtype == np.uint8


@pytest.mark.parametrize(
    ("q", "message"),
    [
        (1, "q: expected an integer between 2 and 255, got 1"),
        (256, "q: expected an integer between 2 and 255, got 256"),
        (4.0, "q: expected an integer, got 4.0 of type float"),
    ],
)
def test_check_codes_rejects_bad_q(q: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        check_codes(np.zeros((1, 2), dtype=np.uint8), q=q)  # type: ignore[arg-type]


def test_check_codes_rejects_bad_n() -> None:
    with pytest.raises(InvalidParameterError, match="n: expected an integer"):
        check_codes(np.zeros((1, 2), dtype=np.uint8), q=4, n=-1)


def test_check_codes_randomized_against_loop(rng: np.random.Generator) -> None:
    for _ in range(50):
        q = int(rng.integers(2, 30))
        X = rng.integers(0, q, size=(int(rng.integers(1, 20)), int(rng.integers(1, 15))))
        corrupt = rng.random() < 0.5
        if corrupt:
            k = int(rng.integers(1, 4))
            rows = rng.integers(0, X.shape[0], size=k)
            cols = rng.integers(0, X.shape[1], size=k)
            X[rows, cols] = rng.choice([-3, -1, q, q + 7], size=k)
        expected = None
        for i, row in enumerate(X.tolist()):
            for pos, code in enumerate(row):
                if not 0 <= code < q:
                    expected = (i, pos, code)
                    break
            if expected is not None:
                break
        if expected is None:
            np.testing.assert_array_equal(check_codes(X, q=q), X)
        else:
            i, pos, code = expected
            pattern = rf"^X\[{i}\] has code {code} at position {pos + 1} \(positions count from 1\)"
            with pytest.raises(InvalidSequenceError, match=pattern):
                check_codes(X, q=q)


# ---------------------------------------------------------- check_random_state


def test_check_random_state_none_gives_generator() -> None:
    assert isinstance(check_random_state(None), np.random.Generator)


@pytest.mark.parametrize("value", [0, 7, np.int64(7), np.uint32(123)])
def test_check_random_state_same_int_same_stream(value: int | np.integer) -> None:
    a = check_random_state(value).random(10)
    b = check_random_state(value).random(10)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng(int(value)).random(10))


def test_check_random_state_different_ints_differ() -> None:
    assert not np.array_equal(check_random_state(1).random(10), check_random_state(2).random(10))


def test_check_random_state_generator_passed_through() -> None:
    rng = np.random.default_rng(3)
    assert check_random_state(rng) is rng


def test_check_random_state_seed_sequence() -> None:
    ss = np.random.SeedSequence(42)
    np.testing.assert_array_equal(
        check_random_state(ss).random(5), np.random.default_rng(np.random.SeedSequence(42)).random(5)
    )


@pytest.mark.parametrize(
    "bad",
    [1.0, True, np.bool_(False), "3", [1, 2], np.random.RandomState(0), object()],
)
def test_check_random_state_rejects_bad_types(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="random_state: expected None, a non-negative int"):
        check_random_state(bad)


def test_check_random_state_legacy_randomstate_hint() -> None:
    with pytest.raises(InvalidParameterError, match="RandomState.*default_rng"):
        check_random_state(np.random.RandomState(0))


@pytest.mark.parametrize("value", [-1, np.int32(-5)])
def test_check_random_state_rejects_negative(value: object) -> None:
    pattern = r"random_state: expected a non-negative integer seed, got -\d"
    with pytest.raises(InvalidParameterError, match=pattern):
        check_random_state(value)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="expected a non-negative integer seed, got -1"):
        check_random_state(-1)
    with pytest.raises(ValueError, match=r"X\[0\] has code 5 at position 1 .*range 0\.\.3"):
        check_codes(np.array([[5]]), q=4)


# ------------------------------------------------------------------ check_int


def test_check_int() -> None:
    assert check_int(np.int16(3), name="k") == 3
    assert type(check_int(np.int16(3), name="k")) is int
    assert check_int(None, name="k", allow_none=True) is None
    with pytest.raises(InvalidParameterError, match="k: expected an integer, got None"):
        check_int(None, name="k")
    with pytest.raises(InvalidParameterError, match="k: expected an integer, got True"):
        check_int(True, name="k")
    with pytest.raises(InvalidParameterError, match="k: expected an integer >= 1, got 0"):
        check_int(0, name="k", minimum=1)
    with pytest.raises(InvalidParameterError, match="k: expected an integer <= 5, got 6"):
        check_int(6, name="k", maximum=5)


# ------------------------------------------- containers of codes (issue 14)


def test_check_codes_reads_pandas_objects_by_their_values() -> None:
    pd = pytest.importorskip("pandas")
    codes = np.random.default_rng(1).integers(0, 4, (6, 4))
    frame = pd.DataFrame(codes, columns=[3, 2, 1, 0], index=np.arange(6)[::-1])
    np.testing.assert_array_equal(check_codes(frame, q=4, n=4), codes)
    np.testing.assert_array_equal(check_codes(frame.astype("Int64"), q=4), codes)
    np.testing.assert_array_equal(check_codes(pd.Series([0, 1, 2], index=[9, 8, 7]), q=4), [[0, 1, 2]])
    gaps = pd.DataFrame([[0, 1], [None, 1]], dtype="Int64")
    with pytest.raises(InvalidSequenceError, match=re.escape("X.iloc[1] (rows count from 0")):
        check_codes(gaps, q=4)


def test_check_codes_accepts_torch_tensors_memoryviews_and_array_likes() -> None:
    import array

    codes = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(check_codes(memoryview(codes), q=3), codes)
    np.testing.assert_array_equal(check_codes(array.array("H", [0, 1, 2]), q=3), [[0, 1, 2]])
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(check_codes(torch.from_numpy(codes.astype(np.int64)), q=3), codes)


def test_check_codes_does_not_import_torch() -> None:
    import subprocess
    import sys

    script = (
        "import sys, array, numpy as np\n"
        "from shap_zero._validation import check_codes\n"
        "check_codes(np.zeros((2, 3), np.uint8), q=4)\n"
        "check_codes([[0, 1]], q=4)\n"
        "check_codes(memoryview(np.zeros((2, 3), np.uint8)), q=4)\n"
        "check_codes(array.array('b', [0, 1]), q=4)\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ({0: [0, 1]}, r"^X: expected sequences .*got a dict"),
        ({(0, 1), (1, 0)}, r"^X: expected an ordered collection .*got a set"),
        (frozenset({(0, 1)}), r"got a frozenset, whose order is arbitrary"),
    ],
)
def test_check_codes_refuses_dicts_and_sets(bad: object, pattern: str) -> None:
    with pytest.raises(InvalidParameterError, match=pattern):
        check_codes(bad, q=4)


def test_check_codes_refuses_masked_entries() -> None:
    masked = np.ma.masked_array([[0, 1, 2], [2, 1, 0]], mask=[[0, 0, 0], [1, 0, 1]])
    message = "2 masked entries, the first in X[1] at position 1 (positions count from 1)"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        check_codes(masked, q=3)
    np.testing.assert_array_equal(check_codes(np.ma.masked_array([[0, 1, 2]]), q=3), [[0, 1, 2]])


def test_check_codes_rejects_timedelta_although_numpy_calls_it_an_integer() -> None:
    with pytest.raises(InvalidParameterError, match=r"got dtype timedelta64\[s\]"):
        check_codes(np.array([[1, 2]], dtype="m8[s]"), q=4)


def test_check_codes_empty_list_has_the_required_length() -> None:
    assert check_codes([], q=4, n=5).shape == (0, 5)


def test_check_bool() -> None:
    assert check_bool(True, name="flag") is True
    assert check_bool(np.bool_(False), name="flag") is False
    for bad in ("yes", 1, 0, None, "False"):
        with pytest.raises(InvalidParameterError, match="flag: expected True or False"):
            check_bool(bad, name="flag")


def test_integral_float_codes_out_of_range_name_the_row_and_position():
    X = np.array([[0.0, 1.0], [2.0, 7.0]])
    np.testing.assert_array_equal(check_codes(X[:1], q=4, integral_floats=True), [[0, 1]])
    with pytest.raises(InvalidSequenceError, match=r"X\[1\] has code 7 at position 2 .* range 0\.\.3"):
        check_codes(X, q=4, integral_floats=True)
    with pytest.raises(InvalidSequenceError, match=r"X\[0\] has code -1 at position 1"):
        check_codes([[-1.0, 0.0]], q=4, integral_floats=True)
    with pytest.raises(InvalidSequenceError, match=r"X\[0\] has code \d+ at position 2"):
        check_codes([[0.0, 1e300]], q=4, integral_floats=True)
    with pytest.raises(InvalidParameterError, match="non-integral or NaN"):
        check_codes([[0.5, 1.0]], q=4, integral_floats=True)

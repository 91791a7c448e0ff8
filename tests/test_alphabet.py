"""Tests of shap_zero.alphabet."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from shap_zero.alphabet import DNA, PROTEIN, RNA, Alphabet
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError


def slow_encode(alphabet: Alphabet, sequences: list[str]) -> np.ndarray:
    """Reference encoder: a plain Python loop over characters."""
    symbols = alphabet.symbols if alphabet.case_sensitive else alphabet.symbols.upper()
    rows = []
    for s in sequences:
        s = s if alphabet.case_sensitive else s.upper()
        rows.append([symbols.index(c) for c in s])
    return np.array(rows, dtype=np.uint8).reshape(len(sequences), -1)


def random_sequences(alphabet: Alphabet, rng: np.random.Generator, n_seq: int, n: int) -> list[str]:
    idx = rng.integers(0, alphabet.q, size=(n_seq, n))
    return ["".join(alphabet.symbols[k] for k in row) for row in idx]


def check_codes_array(codes: np.ndarray, shape: tuple[int, int]) -> None:
    assert isinstance(codes, np.ndarray)
    assert codes.dtype == np.uint8
    assert codes.flags.c_contiguous
    assert codes.shape == shape


# ---------------------------------------------------------------- built-ins


def test_builtin_alphabets() -> None:
    assert DNA.symbols == "ACGT" and DNA.q == 4 and DNA.name == "DNA"
    assert RNA.symbols == "ACGU" and RNA.q == 4 and RNA.name == "RNA"
    assert PROTEIN.symbols == "ACDEFGHIKLMNPQRSTVWY" and PROTEIN.q == 20 and PROTEIN.name == "protein"
    assert list(PROTEIN.symbols) == sorted(PROTEIN.symbols)
    assert not DNA.case_sensitive
    np.testing.assert_array_equal(DNA.encode("ACGT"), [[0, 1, 2, 3]])
    np.testing.assert_array_equal(RNA.encode("ACGU"), [[0, 1, 2, 3]])
    np.testing.assert_array_equal(PROTEIN.encode(PROTEIN.symbols), [list(range(20))])


def test_module_all() -> None:
    import shap_zero.alphabet as module

    assert sorted(module.__all__) == sorted(["Alphabet", "DNA", "RNA", "PROTEIN"])


def test_custom_order_is_preserved() -> None:
    paper = Alphabet("ACTG")
    np.testing.assert_array_equal(paper.encode("ACTG"), [[0, 1, 2, 3]])
    np.testing.assert_array_equal(paper.encode("GTCA"), [[3, 2, 1, 0]])
    # Same letters, different order -> different codes and unequal alphabets.
    np.testing.assert_array_equal(DNA.encode("GTCA"), [[2, 3, 1, 0]])
    assert paper != DNA
    assert paper.decode([[0, 1, 2, 3]]) == ["ACTG"]


@pytest.mark.parametrize("alphabet", [DNA, RNA, PROTEIN, Alphabet("ACTG"), Alphabet("01-*", name="toy")])
def test_round_trip_random(alphabet: Alphabet, rng: np.random.Generator) -> None:
    seqs = random_sequences(alphabet, rng, 200, 17)
    codes = alphabet.encode(seqs)
    check_codes_array(codes, (200, 17))
    np.testing.assert_array_equal(codes, slow_encode(alphabet, seqs))
    assert alphabet.decode(codes) == seqs
    codes2 = rng.integers(0, alphabet.q, size=(50, 9)).astype(np.uint8)
    np.testing.assert_array_equal(alphabet.encode(alphabet.decode(codes2)), codes2)


# -------------------------------------------------------------------- case


def test_lower_case_accepted_when_case_insensitive() -> None:
    np.testing.assert_array_equal(DNA.encode(["acgt", "AcGt"]), [[0, 1, 2, 3], [0, 1, 2, 3]])
    assert DNA.decode(DNA.encode("acgt")) == ["ACGT"]


def test_lower_case_symbols_decode_as_given() -> None:
    lower = Alphabet("acgt")
    np.testing.assert_array_equal(lower.encode("ACgt"), [[0, 1, 2, 3]])
    assert lower.decode([[0, 1, 2, 3]]) == ["acgt"]


def test_lower_case_rejected_when_case_sensitive() -> None:
    strict = Alphabet("ACGT", name="strict", case_sensitive=True)
    np.testing.assert_array_equal(strict.encode("ACGT"), [[0, 1, 2, 3]])
    with pytest.raises(
        InvalidSequenceError,
        match=re.escape(
            "X[0] has 'g' at position 3 (positions count from 1), which is not in alphabet strict "
            "('ACGT', case-sensitive)"
        ),
    ):
        strict.encode("ACgT")


def test_case_sensitive_unnamed_alphabet_description() -> None:
    message = "which is not in alphabet 'ACGT' (case-sensitive)"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        Alphabet("ACGT", case_sensitive=True).encode("acgt")


def test_case_sensitive_allows_both_cases_as_distinct_symbols() -> None:
    mixed = Alphabet("aA", case_sensitive=True)
    np.testing.assert_array_equal(mixed.encode("aAAa"), [[0, 1, 1, 0]])
    assert mixed.decode([[1, 0]]) == ["Aa"]


def test_case_insensitive_rejects_symbols_equal_up_to_case() -> None:
    pattern = r"symbols: .*symbols\[0\] = 'a' and symbols\[1\] = 'A' differ only by case"
    with pytest.raises(InvalidParameterError, match=pattern):
        Alphabet("aA")


# ------------------------------------------------------------- input kinds


SEQS = ["ACGTA", "TTGCA", "GGGCC"]
CODES = [[0, 1, 2, 3, 0], [3, 3, 2, 1, 0], [2, 2, 2, 1, 1]]


def _generator() -> Iterator[str]:
    yield from SEQS


@pytest.mark.parametrize(
    "sequences",
    [
        SEQS,
        tuple(SEQS),
        _generator(),
        iter(SEQS),
        (s for s in SEQS),
        np.array(SEQS),
        np.array(SEQS, dtype="U12"),  # wider than needed
        np.array(SEQS, dtype=">U5"),  # non-native byte order
        np.array(SEQS, dtype="S"),
        np.array(SEQS, dtype="S9"),
        np.array(SEQS, dtype=object),
        [s.encode() for s in SEQS],
        [bytearray(s.encode()) for s in SEQS],
        [np.str_(s) for s in SEQS],
        np.array(CODES),
        np.array(CODES, dtype=np.uint8),
        CODES,
    ],
    ids=lambda s: type(s).__name__ + (f"-{s.dtype}" if isinstance(s, np.ndarray) else ""),
)
def test_encode_input_kinds(sequences: Any) -> None:
    codes = DNA.encode(sequences)
    check_codes_array(codes, (3, 5))
    np.testing.assert_array_equal(codes, CODES)


def test_encode_strided_string_array() -> None:
    arr = np.array(SEQS * 2)[::2]
    np.testing.assert_array_equal(DNA.encode(arr), slow_encode(DNA, list(arr)))


def test_encode_pandas_series() -> None:
    pd = pytest.importorskip("pandas")
    series = pd.Series(SEQS, index=[10, 20, 30])
    np.testing.assert_array_equal(DNA.encode(series), CODES)
    np.testing.assert_array_equal(DNA.encode(series.astype(object)), CODES)


@pytest.mark.parametrize("single", ["ACGTA", b"ACGTA", np.str_("ACGTA"), np.array("ACGTA")])
def test_encode_single_sequence(single: Any) -> None:
    codes = DNA.encode(single)
    check_codes_array(codes, (1, 5))
    np.testing.assert_array_equal(codes, [CODES[0]])


def test_encode_one_dimensional_codes_is_one_sequence() -> None:
    np.testing.assert_array_equal(DNA.encode(np.array([0, 1, 2, 3])), [[0, 1, 2, 3]])
    np.testing.assert_array_equal(DNA.encode([0, 1, 2, 3]), [[0, 1, 2, 3]])


def test_encode_codes_no_copy() -> None:
    codes = np.array(CODES, dtype=np.uint8)
    assert DNA.encode(codes) is codes


def test_encode_length_matches() -> None:
    np.testing.assert_array_equal(DNA.encode(SEQS, length=5), CODES)
    np.testing.assert_array_equal(DNA.encode(np.array(CODES), length=5), CODES)


def test_encode_zero_length_sequences() -> None:
    check_codes_array(DNA.encode(["", ""]), (2, 0))
    assert DNA.decode(np.zeros((2, 0), dtype=np.uint8)) == ["", ""]


@pytest.mark.parametrize(
    "empty",
    [[], (), iter([]), np.array([], dtype="U5"), np.array([], dtype="S5"), np.array([], dtype=object)],
    ids=["list", "tuple", "iter", "U", "S", "object"],
)
def test_encode_empty(empty: Any) -> None:
    check_codes_array(DNA.encode(empty), (0, 0))


def test_encode_empty_with_length() -> None:
    check_codes_array(DNA.encode([], length=26), (0, 26))
    check_codes_array(DNA.encode(np.array([], dtype="U26"), length=26), (0, 26))
    check_codes_array(DNA.encode(np.zeros((0, 26), dtype=np.int64), length=26), (0, 26))


# ------------------------------------------------------------------ errors


BAD = ["ACGTACGTA", "ACGTACGTA", "ACGTACGTA", "ACGTACGNA", "ACGTNCGTA"]
BAD_MESSAGE = "X[3] has 'N' at position 8 (positions count from 1), which is not in alphabet DNA ('ACGT')"


@pytest.mark.parametrize(
    "sequences",
    [
        BAD,
        tuple(BAD),
        iter(BAD),
        np.array(BAD),
        np.array(BAD, dtype="S"),
        np.array(BAD, dtype=object),
        [s.encode() for s in BAD],
    ],
    ids=["list", "tuple", "iter", "U", "S", "object", "bytes"],
)
def test_encode_bad_symbol_message(sequences: Any) -> None:
    with pytest.raises(InvalidSequenceError, match=re.escape(BAD_MESSAGE)):
        DNA.encode(sequences)


def test_encode_bad_symbol_uses_name_argument() -> None:
    with pytest.raises(InvalidSequenceError, match=r"^background\[0\] has 'Z' at position 2 \(positions count from 1\)"):
        DNA.encode("AZ", name="background")


def test_encode_bad_symbol_custom_alphabet_description() -> None:
    message = "X[0] has 'U' at position 3 (positions count from 1), which is not in alphabet 'ACTG'"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        Alphabet("ACTG").encode("ACUG")


@pytest.mark.parametrize(
    ("sequences", "symbol"),
    [
        (["ACGT", "ACéT"], "'é'"),
        (np.array(["ACGT", "ACéT"]), "'é'"),
        (["ACGT", "AC\U0001f600T"], re.escape(repr("\U0001f600"))),
        (["ACGT", "AC\u0147T"], re.escape(repr("\u0147"))),  # would clip to 'G' if truncated to a byte
        (["ACGT", "AC\u0141T"], re.escape(repr("\u0141"))),  # 0x141 & 0xFF == 'A'
        (np.array(["ACGT", "AC\u0141T"]), re.escape(repr("\u0141"))),
        ([b"ACGT", b"AC\xc3T"], re.escape(repr(b"\xc3"))),
        (np.array([b"ACGT", b"AC\xc3T"]), re.escape(repr(b"\xc3"))),
        (["ACGT", "AC T"], "' '"),
        (["ACGT", "AC\x00T"], re.escape(repr("\x00"))),
        (np.array([b"ACGT", b"A\x00GT"]), re.escape(repr("\x00"))),
    ],
)
def test_encode_non_ascii_and_control_characters(sequences: Any, symbol: str) -> None:
    with pytest.raises(InvalidSequenceError, match=rf"^X\[1\] has {symbol} at position [23] \(positions count from 1\)"):
        DNA.encode(sequences)


def test_encode_unequal_lengths() -> None:
    seqs = ["A" * 26] * 5 + ["A" * 25] + ["A" * 24]
    msg = "X: all sequences must have the same length; X[0] has length 26 but X[5] has length 25"
    for kind in (seqs, np.array(seqs), np.array(seqs, dtype="S"), [s.encode() for s in seqs]):
        with pytest.raises(InvalidSequenceError, match=re.escape(msg)):
            DNA.encode(kind)


def test_encode_unequal_lengths_reported_before_bad_symbols() -> None:
    with pytest.raises(InvalidSequenceError, match=re.escape("X[2] has length 3")):
        DNA.encode(["NNNN", "ACGT", "ACG"])


def test_encode_length_mismatch() -> None:
    msg = "X: expected sequences of length 26, but X[2] has length 25"
    seqs = ["A" * 26, "C" * 26, "G" * 25]
    for kind in (seqs, np.array(seqs), np.array(seqs, dtype="S")):
        with pytest.raises(InvalidSequenceError, match=re.escape(msg)):
            DNA.encode(kind, length=26)
    with pytest.raises(InvalidSequenceError, match=re.escape("X[0] has length 4")):
        DNA.encode(["ACGT", "ACGT"], length=5)


def test_encode_codes_length_mismatch() -> None:
    message = "expected sequences of length 26 in 'X', got length 25"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        DNA.encode(np.zeros((3, 25), dtype=np.uint8), length=26)


def test_encode_codes_out_of_range() -> None:
    codes = np.zeros((4, 6), dtype=np.int64)
    codes[2, 5] = 4
    with pytest.raises(InvalidSequenceError, match=r"^X\[2\] has code 4 at position 6 \(positions count from 1\).*0\.\.3"):
        DNA.encode(codes)


@pytest.mark.parametrize(
    ("sequences", "index", "type_name"),
    [
        (["ACGT", 5], 1, "int"),
        (["ACGT", "ACGT", None], 2, "NoneType"),
        ([None], 0, "NoneType"),
        (["ACGT", ["A", "C", "G", "T"]], 1, "list"),
        ([1.5, 2.5], 0, "float"),
        (np.array(["ACGT", 3], dtype=object), 1, "int"),
    ],
)
def test_encode_non_string_element(sequences: Any, index: int, type_name: str) -> None:
    with pytest.raises(
        InvalidParameterError, match=rf"^X\[{index}\] has type {type_name}; expected str or bytes"
    ):
        DNA.encode(sequences)


def test_encode_mixed_str_and_bytes() -> None:
    message = re.escape("X: cannot mix str and bytes; X[0] is str but X[2] is bytes")
    with pytest.raises(InvalidParameterError, match=message):
        DNA.encode(["ACGT", "ACGT", b"ACGT"])


@pytest.mark.parametrize("bad", [5, 3.0, None, object()])
def test_encode_unsupported_type(bad: Any) -> None:
    with pytest.raises(InvalidParameterError, match="X: expected a str, an iterable of str or bytes"):
        DNA.encode(bad)


def test_encode_two_dimensional_string_array() -> None:
    pattern = r"X: expected a 1-D array of strings, got a 2-D array of shape \(2, 2\)"
    with pytest.raises(InvalidParameterError, match=pattern):
        DNA.encode(np.array([["A", "C"], ["G", "T"]]))


def test_encode_float_array() -> None:
    message = "X: expected an array of integer codes, got dtype float64"
    with pytest.raises(InvalidParameterError, match=message):
        DNA.encode(np.zeros((2, 3)))


@pytest.mark.parametrize("length", [-1, 2.0, "4", True])
def test_encode_bad_length_argument(length: Any) -> None:
    with pytest.raises(InvalidParameterError, match="length: expected an integer"):
        DNA.encode(["ACGT"], length=length)


# --------------------------------------------------- randomized slow twin


@pytest.mark.parametrize("rep", range(5))
def test_encode_randomized_against_slow_twin(seed: int, rep: int) -> None:
    rng = np.random.default_rng([seed, rep])
    alphabets = [DNA, RNA, PROTEIN, Alphabet("ACTG"), Alphabet("xyZ", case_sensitive=True)]
    for _ in range(40):
        alphabet = alphabets[int(rng.integers(len(alphabets)))]
        n_seq = int(rng.integers(1, 30))
        n = int(rng.integers(1, 40))
        seqs = random_sequences(alphabet, rng, n_seq, n)
        if not alphabet.case_sensitive and rng.random() < 0.5:
            seqs = [s.lower() if rng.random() < 0.5 else s for s in seqs]
        if rng.random() < 0.5:
            # Corrupt a few positions with characters outside the alphabet.
            for _ in range(int(rng.integers(1, 4))):
                i, pos = int(rng.integers(n_seq)), int(rng.integers(n))
                bad = rng.choice(list("NXBJ!9@é"))
                while bad in alphabet:
                    bad = rng.choice(list("NXBJ!9@é"))
                seqs[i] = seqs[i][:pos] + str(bad) + seqs[i][pos + 1 :]
        first_bad = next(
            ((i, pos, c) for i, s in enumerate(seqs) for pos, c in enumerate(s) if c not in alphabet),
            None,
        )
        for kind in (seqs, np.array(seqs)):
            if first_bad is None:
                codes = alphabet.encode(kind)
                check_codes_array(codes, (n_seq, n))
                np.testing.assert_array_equal(codes, slow_encode(alphabet, seqs))
            else:
                i, pos, c = first_bad
                message = f"X[{i}] has {c!r} at position {pos + 1} (positions count from 1),"
                with pytest.raises(InvalidSequenceError, match=re.escape(message)):
                    alphabet.encode(kind)


# -------------------------------------------------------------------- decode


def test_decode_one_dimensional() -> None:
    assert DNA.decode(np.array([3, 2, 1, 0])) == ["TGCA"]
    assert DNA.decode([3, 2, 1, 0]) == ["TGCA"]


def test_decode_various_dtypes() -> None:
    codes = np.array(CODES)
    for dtype in (np.uint8, np.int16, np.int64, np.uint32):
        assert DNA.decode(codes.astype(dtype)) == SEQS


def test_decode_returns_python_str() -> None:
    out = DNA.decode(np.array(CODES))
    assert isinstance(out, list)
    assert all(type(s) is str for s in out)


def test_decode_out_of_range() -> None:
    message = "codes[1] has code 4 at position 1 (positions count from 1), which is outside the valid range 0..3"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        DNA.decode([[0, 1], [4, 0]])


def test_decode_bad_dtype() -> None:
    message = "codes: expected an array of integer codes, got dtype float64"
    with pytest.raises(InvalidParameterError, match=message):
        DNA.decode(np.zeros((1, 3)))


def test_decode_empty() -> None:
    assert DNA.decode(np.zeros((0, 5), dtype=np.uint8)) == []


# ---------------------------------------------------------- construction


@pytest.mark.parametrize(
    ("symbols", "pattern"),
    [
        (1234, r"symbols: expected a str .*got 1234 of type int"),
        (["A", "C"], r"symbols: expected a str .*of type list"),
        ("A", r"symbols: expected between 2 and 255 symbols, got 1"),
        ("", r"symbols: expected between 2 and 255 symbols, got 0"),
        (
            "".join(chr(33 + k % 94) for k in range(256)),
            r"symbols: expected between 2 and 255 symbols, got 256",
        ),
        ("AC GT", r"symbols: expected printable, non-whitespace ASCII characters, got symbols\[2\] = ' '"),
        ("AC\tG", r"symbols: .*got symbols\[2\] = '\\t'"),
        ("ACé", r"symbols: .*got symbols\[2\] = 'é'"),
        ("AC\x7f", r"symbols: .*got symbols\[2\] = '\\x7f'"),
        ("ACGA", r"symbols: expected distinct symbols, but in 'ACGA' 'A' appears twice, as symbols\[0\] and symbols\[3\]"),
        ("ACGTc", r"symbols: .*symbols\[1\] = 'C' and symbols\[4\] = 'c' differ only by case"),
    ],
)
def test_bad_symbols(symbols: Any, pattern: str) -> None:
    with pytest.raises(InvalidParameterError, match=pattern):
        Alphabet(symbols)


def test_max_size_alphabet() -> None:
    # 94 printable ASCII characters is the real ceiling; it must work end to end.
    symbols = "".join(chr(c) for c in range(33, 127))
    big = Alphabet(symbols, case_sensitive=True)
    assert big.q == 94
    codes = big.encode(symbols)
    np.testing.assert_array_equal(codes, [list(range(94))])
    assert big.decode(codes) == [symbols]


def test_bad_name_and_case_sensitive() -> None:
    with pytest.raises(InvalidParameterError, match="name: expected a non-empty str or None, got 3"):
        Alphabet("AC", name=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="name: expected a non-empty str or None, got ''"):
        Alphabet("AC", name="")
    with pytest.raises(InvalidParameterError, match="case_sensitive: expected a bool, got 1 of type int"):
        Alphabet("AC", case_sensitive=1)  # type: ignore[arg-type]


def test_default_name_is_symbols() -> None:
    assert Alphabet("ACTG").name == "ACTG"


# ------------------------------------------------------------ dunder methods


def test_len_repr() -> None:
    assert len(DNA) == 4 and len(PROTEIN) == 20
    assert repr(DNA) == "Alphabet('ACGT', name='DNA')"
    assert repr(PROTEIN) == "Alphabet('ACDEFGHIKLMNPQRSTVWY', name='protein')"
    assert repr(Alphabet("ACTG")) == "Alphabet('ACTG')"
    assert repr(Alphabet("ACTG", case_sensitive=True)) == "Alphabet('ACTG', case_sensitive=True)"
    for alphabet in (DNA, Alphabet("ACTG"), Alphabet("xY", name="n", case_sensitive=True)):
        assert eval(repr(alphabet)) == alphabet  # noqa: S307 - repr must round-trip


def test_eq_hash_ignore_name() -> None:
    assert Alphabet("ACGT") == DNA
    assert hash(Alphabet("ACGT", name="other")) == hash(DNA)
    assert Alphabet("ACGT", case_sensitive=True) != DNA
    assert Alphabet("ACTG") != DNA
    assert DNA != "ACGT"
    assert len({DNA, Alphabet("ACGT"), RNA}) == 2


def test_contains() -> None:
    assert "A" in DNA and "t" in DNA
    assert "U" not in DNA and "N" not in DNA
    assert "AC" not in DNA and "" not in DNA and 0 not in DNA and "é" not in DNA
    strict = Alphabet("ACGT", case_sensitive=True)
    assert "A" in strict and "a" not in strict


def test_immutable() -> None:
    with pytest.raises(AttributeError, match="property 'symbols' of 'Alphabet' object has no setter"):
        DNA.symbols = "ACGU"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="'Alphabet' object has no attribute 'extra'"):
        DNA.extra = 1  # type: ignore[attr-defined]


def test_pickle_round_trip() -> None:
    alphabet = Alphabet("ACTG", name="paper", case_sensitive=True)
    clone = pickle.loads(pickle.dumps(alphabet))
    assert clone == alphabet and clone.name == "paper" and clone.case_sensitive
    np.testing.assert_array_equal(clone.encode("GTCA"), [[3, 2, 1, 0]])


# ----------------------------------------------------------- serialisation


@pytest.mark.parametrize(
    "alphabet", [DNA, RNA, PROTEIN, Alphabet("ACTG"), Alphabet("aA", name="x", case_sensitive=True)]
)
def test_dict_round_trip_through_json(alphabet: Alphabet) -> None:
    d = json.loads(json.dumps(alphabet.to_dict()))
    assert d == {
        "symbols": alphabet.symbols,
        "name": alphabet.name,
        "case_sensitive": alphabet.case_sensitive,
    }
    clone = Alphabet.from_dict(d)
    assert clone == alphabet
    assert clone.name == alphabet.name


def test_from_dict_minimal() -> None:
    clone = Alphabet.from_dict({"symbols": "ACTG"})
    assert clone == Alphabet("ACTG") and clone.name == "ACTG" and not clone.case_sensitive


@pytest.mark.parametrize(
    ("d", "pattern"),
    [
        ("ACGT", r"d: expected a dict with keys \['symbols', 'name', 'case_sensitive'\], got str"),
        ({"name": "DNA"}, r"d: .*'symbols' is missing"),
        ({"symbols": "ACGT", "colour": "red"}, r"d: expected only the keys .*got unknown keys \['colour'\]"),
        ({"symbols": 4}, r"symbols: expected a str"),
        ({"symbols": "ACGT", "case_sensitive": "yes"}, r"case_sensitive: expected a bool"),
        ({"symbols": "ACGT", "name": 5}, r"name: expected a non-empty str"),
    ],
)
def test_from_dict_malformed(d: Any, pattern: str) -> None:
    with pytest.raises(InvalidParameterError, match=pattern):
        Alphabet.from_dict(d)


# ------------------------------------------------------------ block handling


@pytest.mark.parametrize("block", [1, 7, 26, 1000])
def test_encode_across_lookup_blocks(
    monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator, block: int
) -> None:
    import shap_zero.alphabet as module

    monkeypatch.setattr(module, "_BLOCK_CHARS", block)
    seqs = random_sequences(PROTEIN, rng, 57, 13)
    expected = slow_encode(PROTEIN, seqs)
    for kind in (seqs, np.array(seqs), np.array(seqs, dtype="S"), [s.encode() for s in seqs]):
        np.testing.assert_array_equal(PROTEIN.encode(kind), expected)
    seqs[55] = seqs[55][:12] + "B"
    with pytest.raises(InvalidSequenceError, match=re.escape("X[55] has 'B' at position 13 (positions count from 1),")):
        PROTEIN.encode(seqs)


def test_encode_large_input_error_in_last_sequence(rng: np.random.Generator) -> None:
    codes = rng.integers(0, 4, size=(100_000, 26), dtype=np.uint8)
    seqs = DNA.decode(codes)
    np.testing.assert_array_equal(DNA.encode(seqs), codes)
    seqs[-1] = seqs[-1][:25] + "N"
    with pytest.raises(InvalidSequenceError, match=re.escape("X[99999] has 'N' at position 26 (positions count from 1),")):
        DNA.encode(seqs)


# ----------------------------------------------- containers (issue 14)


def test_encode_dataframe_of_codes_reads_values_not_column_labels() -> None:
    pd = pytest.importorskip("pandas")
    codes = np.random.default_rng(0).integers(0, 4, (1000, 4))
    # The column labels 0..3 are themselves a valid sequence of codes: they must not be read.
    np.testing.assert_array_equal(DNA.encode(pd.DataFrame(codes)), codes)
    labelled = pd.DataFrame(codes[:3], columns=["A", "C", "G", "T"], index=["x", "y", "z"])
    np.testing.assert_array_equal(DNA.encode(labelled, length=4), codes[:3])
    np.testing.assert_array_equal(DNA.encode(labelled.astype("Int64")), codes[:3])
    np.testing.assert_array_equal(DNA.encode(labelled.astype(np.uint8)), codes[:3])


def test_encode_string_column_named_like_a_sequence_reads_the_column() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"ACGT": ["TTTT", "GGGG"]}, index=["CCCC", "AAAA"])
    np.testing.assert_array_equal(DNA.encode(frame), [[3, 3, 3, 3], [2, 2, 2, 2]])
    np.testing.assert_array_equal(DNA.encode(frame["ACGT"]), [[3, 3, 3, 3], [2, 2, 2, 2]])
    np.testing.assert_array_equal(DNA.encode(frame["ACGT"].astype("string")), [[3, 3, 3, 3], [2, 2, 2, 2]])
    np.testing.assert_array_equal(DNA.encode(frame["ACGT"].astype("category")), [[3, 3, 3, 3], [2, 2, 2, 2]])


def test_encode_integer_series_is_one_sequence_like_a_1d_array() -> None:
    pd = pytest.importorskip("pandas")
    np.testing.assert_array_equal(DNA.encode(pd.Series([3, 2, 1, 0], index=list("ACGT"))), [[3, 2, 1, 0]])


def test_encode_refuses_unclear_or_incomplete_dataframes() -> None:
    pd = pytest.importorskip("pandas")
    two = pd.DataFrame({"id": ["a", "b"], "seq": ["ACGT", "TTTT"]})
    with pytest.raises(InvalidParameterError, match=r"single column of strings, got 2 columns.*X\['id'\]"):
        DNA.encode(two)
    gaps = pd.DataFrame([[0, 1, 2, 3], [0, 1, None, 3]], dtype="Int64")
    message = "1 missing, the first in X.iloc[1] (rows count from 0; index labels are ignored) at position 3 (positions count from 1)"
    with pytest.raises(InvalidSequenceError, match=re.escape(message)):
        DNA.encode(gaps)
    with pytest.raises(InvalidSequenceError, match=re.escape("the first at X.iloc[2]")):
        DNA.encode(pd.Series(["ACGT", "ACGT", None], index=[5, 6, 7]))
    with pytest.raises(InvalidParameterError, match="got dtype float64"):
        DNA.encode(pd.DataFrame([[0.0, 1.0]]))


def test_encode_torch_tensor_of_codes() -> None:
    torch = pytest.importorskip("torch")
    codes = torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0]])
    np.testing.assert_array_equal(DNA.encode(codes), [[0, 1, 2, 3], [3, 2, 1, 0]])
    np.testing.assert_array_equal(DNA.encode(codes.T.contiguous().T), [[0, 1, 2, 3], [3, 2, 1, 0]])
    with pytest.raises(InvalidParameterError, match="got dtype float32"):
        DNA.encode(codes.float().requires_grad_())


def test_encode_memoryview_buffer_and_array_protocols() -> None:
    import array

    codes = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(DNA.encode(memoryview(codes)), codes)
    np.testing.assert_array_equal(DNA.encode(array.array("b", [0, 1, 2, 3])), [[0, 1, 2, 3]])

    class Wrapped:
        def __array__(self, dtype=None, copy=None):
            return codes

    np.testing.assert_array_equal(DNA.encode(Wrapped()), codes)


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ({"s1": "ACGT"}, r"^X: expected sequences .*got a dict.*pass list\(d\.values\(\)\)"),
        ({"ACGT", "TTTT"}, r"^X: expected an ordered collection .*got a set, whose order is arbitrary"),
        (frozenset(["ACGT"]), r"got a frozenset, whose order is arbitrary"),
    ],
)
def test_encode_refuses_dicts_and_sets(bad: Any, pattern: str) -> None:
    with pytest.raises(InvalidParameterError, match=pattern):
        DNA.encode(bad)


def test_encode_masked_arrays() -> None:
    codes = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    np.testing.assert_array_equal(DNA.encode(np.ma.masked_array(codes)), codes)
    masked = np.ma.masked_array(codes, mask=[[0, 0, 0, 0], [0, 0, 1, 1]])
    with pytest.raises(InvalidSequenceError, match=re.escape("2 masked entries, the first in X[1] at position 3")):
        DNA.encode(masked)
    one = np.ma.masked_array([0, 1, 2, 3], mask=[0, 1, 0, 0])
    with pytest.raises(InvalidSequenceError, match=re.escape("1 masked entry, the first in X[0] at position 2")):
        DNA.encode(one)
    strings = np.ma.masked_array(["ACGT", "TTTT"], mask=[False, True])
    with pytest.raises(InvalidSequenceError, match=re.escape("the first in X[1];")):
        DNA.encode(strings)
    np.testing.assert_array_equal(DNA.encode(np.ma.masked_array(["ACGT", "TTTT"])), [[0, 1, 2, 3], [3, 3, 3, 3]])

"""FourierSketch: canonical form, evaluation, file format and input errors.

The slow twin of every fast path is a direct complex evaluation with NumPy of
``Re sum_k F[k] omega^<k,x>`` over the input spectrum, or the function table itself.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile

import numpy as np
import pytest

from shap_zero.alphabet import DNA, PROTEIN, Alphabet
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError, SketchFileError
from shap_zero.fourier import FORMAT_VERSION, FourierSketch
from shap_zero.synthetic import random_sparse_sketch


def direct_evaluate(frequencies: np.ndarray, coefficients: np.ndarray, q: int, X: np.ndarray) -> np.ndarray:
    """Re sum_s F_s omega^<k_s, x>: the obviously correct slow twin of predict."""
    phases = (X.astype(np.int64) @ np.asarray(frequencies, dtype=np.int64).T) % q
    return np.real(np.exp(2j * np.pi * phases / q) @ np.asarray(coefficients, dtype=np.complex128))


def all_sequences(n: int, q: int) -> np.ndarray:
    return np.array(list(itertools.product(range(q), repeat=n)), dtype=np.uint8)


def dense_spectrum(table: np.ndarray, n: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Full spectrum of a function table (C order over positions) with numpy.fft."""
    spectrum = np.fft.fftn(table.reshape((q,) * n)) / q**n
    return all_sequences(n, q), spectrum.reshape(-1)


@pytest.mark.parametrize("q,n", [(2, 5), (3, 4), (4, 4), (5, 3), (20, 2)])
def test_dense_spectrum_round_trip(rng, q, n):
    table = rng.normal(size=q**n)
    frequencies, coefficients = dense_spectrum(table, n, q)
    sketch = FourierSketch(frequencies, coefficients, q)
    np.testing.assert_allclose(sketch.predict(all_sequences(n, q)), table, atol=1e-10)
    # Conjugate pairs are stored once; the full spectrum comes back on request.
    self_conjugate = (frequencies == (-frequencies.astype(int)) % q).all(axis=1).sum()
    assert sketch.n_terms == (q**n + self_conjugate) // 2
    full_freqs, full_coefs = sketch.full_spectrum()
    lookup = {tuple(k): c for k, c in zip(frequencies.tolist(), coefficients)}
    for k, c in zip(full_freqs.tolist(), full_coefs):
        assert abs(lookup[tuple(k)] - c) < 1e-10
    assert sketch.mean == pytest.approx(table.mean(), abs=1e-12)
    assert sketch.variance == pytest.approx(table.var(), rel=1e-10)


@pytest.mark.parametrize("q,n", [(2, 8), (3, 6), (4, 10), (5, 6), (20, 3)])
def test_predict_matches_direct_evaluation(rng, q, n):
    sketch = random_sparse_sketch(n, q, 15, max_degree=min(3, n), random_state=rng, mean=0.7)
    freqs, coefs = sketch.full_spectrum()
    X = rng.integers(0, q, size=(200, n)).astype(np.uint8)
    np.testing.assert_allclose(sketch.predict(X), direct_evaluate(freqs, coefs, q, X), atol=1e-10)
    np.testing.assert_allclose(sketch(X), sketch.predict(X))


def test_predict_block_boundaries(rng, monkeypatch):
    import shap_zero.fourier as fourier_module

    sketch = random_sparse_sketch(9, 4, 20, max_degree=4, random_state=rng, mean=-2.0)
    X = rng.integers(0, 4, size=(23, 9)).astype(np.uint8)
    expected = sketch.predict(X)
    monkeypatch.setattr(fourier_module, "BLOCK_ROWS", 4)
    np.testing.assert_allclose(sketch.predict(X), expected, atol=1e-12)
    freqs, coefs = sketch.full_spectrum()
    np.testing.assert_allclose(expected, direct_evaluate(freqs, coefs, 4, X), atol=1e-10)


def test_canonical_form_merges_duplicates_and_conjugates():
    q = 4
    # k = (1, 0, 3) twice, its partner (3, 0, 1) once, and a self-conjugate (2, 0, 2).
    frequencies = [[1, 0, 3], [1, 0, 3], [3, 0, 1], [2, 0, 2], [0, 0, 0]]
    coefficients = [1 + 2j, 0.5, 3 - 1j, 2 + 5j, 0.25]
    sketch = FourierSketch(frequencies, coefficients, q)
    X = all_sequences(3, q)
    np.testing.assert_allclose(sketch.predict(X), direct_evaluate(frequencies, coefficients, q, X), atol=1e-12)
    assert sketch.n_terms == 3
    assert sketch.frequencies[0].tolist() == [0, 0, 0]
    assert sketch.mean == 0.25
    # The self-conjugate coefficient is real: only its real part acts on a real function.
    row = [i for i, k in enumerate(sketch.frequencies.tolist()) if k == [2, 0, 2]][0]
    assert sketch.coefficients[row] == 2.0
    # The pair is stored under its lexicographically smaller member, with F[k] of it.
    row = [i for i, k in enumerate(sketch.frequencies.tolist()) if k == [1, 0, 3]][0]
    expected = ((1 + 2j) + 0.5 + np.conj(3 - 1j)) / 2
    assert sketch.coefficients[row] == pytest.approx(expected)
    assert sketch.multiplicity.tolist() == [1, 1, 2] or sorted(sketch.multiplicity.tolist()) == [1, 1, 2]


def test_half_spectrum_equals_explicit_pairs(rng):
    q, n = 5, 4
    k = rng.integers(0, q, size=(6, n))
    c = rng.normal(size=6) + 1j * rng.normal(size=6)
    half = FourierSketch(k, c, q, spectrum="half")
    explicit = FourierSketch(np.concatenate([k, (-k) % q]), np.concatenate([c, np.conj(c)]), q)
    X = all_sequences(n, q)
    np.testing.assert_allclose(half.predict(X), explicit.predict(X), atol=1e-12)
    np.testing.assert_array_equal(half.frequencies, explicit.frequencies)


def test_zero_frequency_always_first_and_exact_zeros_dropped():
    sketch = FourierSketch([[0, 1], [1, 0]], [0.0, 2.0], q=3)
    assert sketch.n_terms == 2
    assert sketch.frequencies[0].tolist() == [0, 0]
    assert sketch.degrees.tolist() == [0, 1]
    empty = FourierSketch(np.zeros((0, 4), dtype=int), [], q=4)
    assert empty.n_terms == 1 and empty.max_degree == 0
    np.testing.assert_array_equal(empty.predict(np.zeros((3, 4), dtype=np.uint8)), 0.0)


def test_terms_sorted_by_degree_and_read_only(rng):
    sketch = random_sparse_sketch(12, 4, 40, max_degree=4, random_state=rng)
    assert np.all(np.diff(sketch.degrees) >= 0)
    with pytest.raises(ValueError):
        sketch.frequencies[0, 0] = 1
    with pytest.raises(ValueError):
        sketch.coefficients[0] = 1


def test_strings_with_alphabet_and_custom_order():
    # The paper's order A=0, C=1, T=2, G=3: a frequency on position 0 sees T as code 2.
    paper_order = Alphabet("ACTG", name="paper DNA")
    sketch = FourierSketch([[2, 0]], [1.0], q=4, alphabet=paper_order)
    # omega^(2 * code): +1 for A (0) and T (2), -1 for C (1) and G (3).
    np.testing.assert_allclose(sketch.predict(["AA", "CA", "TA", "GA"]), [1, -1, 1, -1], atol=1e-12)
    with pytest.raises(InvalidSequenceError, match="position 1"):
        sketch.predict(["AN"])
    with pytest.raises(InvalidSequenceError, match="length"):
        sketch.predict(["AAA"])


def test_random_sparse_sketch_is_deterministic_and_has_requested_size():
    a = random_sparse_sketch(20, 4, 50, max_degree=5, random_state=3)
    b = random_sparse_sketch(20, 4, 50, max_degree=5, random_state=3)
    c = random_sparse_sketch(20, 4, 50, max_degree=5, random_state=4)
    np.testing.assert_array_equal(a.frequencies, b.frequencies)
    np.testing.assert_array_equal(a.coefficients, b.coefficients)
    assert not np.array_equal(a.coefficients, c.coefficients)
    assert a.n_terms == 51 and a.max_degree <= 5
    magnitudes = np.abs(a.coefficients[1:])
    assert magnitudes.min() >= 1.0 and magnitudes.max() <= 10.0


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "frequencies, coefficients, q, match",
    [
        ([1, 0, 2], [1.0], 4, "2-D array"),
        ([[0, 4]], [1.0], 4, r"0\.\.3.*row 0 has 4 at position 1"),
        ([[0, -1]], [1.0], 4, "row 0 has -1"),
        ([[0.5, 1.0]], [1.0], 4, "integers"),
        ([[0, 1]], [1.0, 2.0], 4, r"shape \(1,\)"),
        ([[0, 1]], [np.nan], 4, "finite; coefficient 0 is"),
        ([[0, 1]], [np.inf], 4, "finite"),
        ([[0, 1]], ["a"], 4, "numbers"),
        ([[0, 1]], [1.0], 1, "q must be an integer in 2..255"),
        ([[0, 1]], [1.0], 256, "q must be"),
        ([[0, 1]], [1.0], 4.0, "q must be"),
        (np.zeros((1, 0), dtype=int), [1.0], 4, "at least one position"),
    ],
)
def test_constructor_errors(frequencies, coefficients, q, match):
    with pytest.raises(InvalidParameterError, match=match):
        FourierSketch(frequencies, coefficients, q)


def test_constructor_rejects_mismatched_alphabet_and_bad_options():
    with pytest.raises(InvalidParameterError, match="alphabet 'protein' has 20 symbols but q=4"):
        FourierSketch([[1]], [1.0], 4, PROTEIN)
    with pytest.raises(InvalidParameterError, match="alphabet must be"):
        FourierSketch([[1]], [1.0], 4, "ACGT")
    with pytest.raises(InvalidParameterError, match="spectrum must be"):
        FourierSketch([[1]], [1.0], 4, spectrum="both")
    with pytest.raises(InvalidParameterError, match="JSON"):
        FourierSketch([[1]], [1.0], 4, metadata={"model": object()})
    with pytest.raises(InvalidParameterError, match="keys must be strings"):
        FourierSketch([[1]], [1.0], 4, metadata={1: 2})


def test_predict_errors_without_alphabet():
    sketch = FourierSketch([[1, 0]], [1.0], q=4)
    with pytest.raises(InvalidParameterError, match="no alphabet"):
        sketch.predict(["AC"])
    with pytest.raises(InvalidSequenceError, match="0..3"):
        sketch.predict(np.array([[0, 4]]))
    with pytest.raises(InvalidSequenceError, match="length 2"):
        sketch.predict(np.array([[0, 1, 2]]))


# ---------------------------------------------------------------------------- files
def test_save_load_round_trip(tmp_path, rng):
    sketch = random_sparse_sketch(
        15, 4, 30, max_degree=4, alphabet=DNA, random_state=rng, mean=1.5
    )
    path = tmp_path / "model.sketch"
    sketch.save(path)
    assert path.exists()  # written exactly at the given path
    loaded = FourierSketch.load(path)
    np.testing.assert_array_equal(loaded.frequencies, sketch.frequencies)
    np.testing.assert_array_equal(loaded.coefficients, sketch.coefficients)
    assert loaded.alphabet == DNA and loaded.q == 4 and loaded.n == 15
    assert loaded.metadata == sketch.metadata
    assert loaded.metadata["method"] == "synthetic"
    X = rng.integers(0, 4, size=(50, 15)).astype(np.uint8)
    np.testing.assert_array_equal(loaded.predict(X), sketch.predict(X))
    # Nothing in the file needs pickle.
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["coefficients", "frequencies", "header"]
        header = json.loads(archive["header"].tobytes())
    assert header["format_version"] == FORMAT_VERSION and header["n_terms"] == sketch.n_terms


def test_save_load_without_alphabet_and_with_numpy_metadata(tmp_path):
    sketch = FourierSketch(
        [[0, 1, 2]], [1 + 1j], q=3, metadata={"n_queries": np.int64(12), "score": np.float32(0.5)}
    )
    sketch.save(tmp_path / "s.npz")
    loaded = FourierSketch.load(tmp_path / "s.npz")
    assert loaded.alphabet is None
    assert loaded.metadata["n_queries"] == 12 and loaded.metadata["score"] == 0.5


def _write_npz(path, **arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def test_load_rejects_truncated_corrupted_and_foreign_files(tmp_path):
    sketch = random_sparse_sketch(10, 4, 20, random_state=0)
    good = tmp_path / "good.npz"
    sketch.save(good)
    raw = good.read_bytes()

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SketchFileError, match="truncated or corrupted"):
        FourierSketch.load(truncated)

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(SketchFileError, match="not a shap_zero sketch file"):
        FourierSketch.load(text)

    foreign = tmp_path / "foreign.npz"
    _write_npz(foreign, weights=np.ones(3))
    with pytest.raises(SketchFileError, match="no 'header'"):
        FourierSketch.load(foreign)

    other_format = tmp_path / "other.npz"
    _write_npz(other_format, header=np.frombuffer(b'{"format": "something"}', dtype=np.uint8))
    with pytest.raises(SketchFileError, match="format 'something'"):
        FourierSketch.load(other_format)

    garbled = tmp_path / "garbled.npz"
    _write_npz(garbled, header=np.frombuffer(b"\xff\xfe{", dtype=np.uint8), frequencies=np.zeros(1), coefficients=np.zeros(1))
    with pytest.raises(SketchFileError, match="corrupted sketch header"):
        FourierSketch.load(garbled)

    with pytest.raises(FileNotFoundError):
        FourierSketch.load(tmp_path / "missing.npz")
    with pytest.raises(SketchFileError, match="directory"):
        FourierSketch.load(tmp_path)


def _rewrite(path, target, header_update=None, coefficients=None):
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
        arrays = {name: archive[name] for name in archive.files}
    header.update(header_update or {})
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    if coefficients is not None:
        arrays["coefficients"] = coefficients
    _write_npz(target, **arrays)


def test_load_rejects_newer_format_checksum_and_shape_mismatch(tmp_path):
    sketch = random_sparse_sketch(8, 4, 10, random_state=1)
    good = tmp_path / "good.npz"
    sketch.save(good)

    newer = tmp_path / "newer.npz"
    _rewrite(good, newer, {"format_version": FORMAT_VERSION + 1, "library_version": "9.0"})
    with pytest.raises(SketchFileError, match=f"version {FORMAT_VERSION + 1}.*Upgrade"):
        FourierSketch.load(newer)

    tampered = tmp_path / "tampered.npz"
    _rewrite(good, tampered, coefficients=sketch.coefficients * 2)
    with pytest.raises(SketchFileError, match="checksum"):
        FourierSketch.load(tampered)

    wrong_shape = tmp_path / "wrong_shape.npz"
    _rewrite(good, wrong_shape, {"n_terms": sketch.n_terms + 1})
    with pytest.raises(SketchFileError, match="do not match the header"):
        FourierSketch.load(wrong_shape)

    missing_key = tmp_path / "missing_key.npz"
    _rewrite(good, missing_key, {"q": None})
    with pytest.raises(SketchFileError, match="corrupted sketch header"):
        FourierSketch.load(missing_key)


def test_load_rejects_flipped_bytes(tmp_path):
    sketch = random_sparse_sketch(8, 4, 10, random_state=2)
    good = tmp_path / "good.npz"
    sketch.save(good)
    raw = bytearray(good.read_bytes())
    # Flip a byte inside the compressed payload of the last member (the coefficients),
    # located from the lengths in its local file header.
    with zipfile.ZipFile(good) as archive:
        info = archive.infolist()[-1]
    start = info.header_offset
    name_length = int.from_bytes(raw[start + 26 : start + 28], "little")
    extra_length = int.from_bytes(raw[start + 28 : start + 30], "little")
    payload = start + 30 + name_length + extra_length
    raw[payload + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(SketchFileError):
        FourierSketch.load(bad)


def test_with_alphabet_keeps_the_function(rng):
    bare = random_sparse_sketch(7, 4, 12, random_state=3)
    attached = bare.with_alphabet(DNA)
    codes = rng.integers(0, 4, size=(20, 7))
    assert attached.alphabet == DNA and bare.alphabet is None
    np.testing.assert_allclose(attached.predict(codes), bare.predict(codes), atol=1e-12)
    np.testing.assert_allclose(attached.predict(DNA.decode(codes)), bare.predict(codes), atol=1e-12)
    assert attached.metadata == bare.metadata


@pytest.mark.parametrize(("n", "q"), [(6, 4), (30, 4), (40, 4), (10, 20), (16, 20), (5, 2)])
def test_sorted_unique_rows_equal_numpys(n, q):
    from shap_zero.fourier import _sorted_unique_rows

    rng = np.random.default_rng(n * q)
    rows = rng.integers(0, q, size=(300, n))
    rows = np.concatenate([rows, rows[::3]])  # duplicates
    unique, inverse = _sorted_unique_rows(rows, q)
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    np.testing.assert_array_equal(unique, expected)
    np.testing.assert_array_equal(inverse, expected_inverse.reshape(-1))

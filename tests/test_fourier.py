"""FourierSketch: canonical form, evaluation, file format and input errors.

The slow twin of every fast path is a direct complex evaluation with NumPy of
``Re sum_k F[k] omega^<k,x>`` over the input spectrum, or the function table itself.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import zipfile

import numpy as np
import pytest

from shap_zero.alphabet import DNA, PROTEIN, RNA, Alphabet
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
    with pytest.raises(ValueError, match="read-only"):
        sketch.frequencies[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        sketch.coefficients[0] = 1


def test_strings_with_alphabet_and_custom_order():
    # The paper's order A=0, C=1, T=2, G=3: a frequency on position 0 sees T as code 2.
    paper_order = Alphabet("ACTG", name="paper DNA")
    sketch = FourierSketch([[2, 0]], [1.0], q=4, alphabet=paper_order)
    # omega^(2 * code): +1 for A (0) and T (2), -1 for C (1) and G (3).
    np.testing.assert_allclose(sketch.predict(["AA", "CA", "TA", "GA"]), [1, -1, 1, -1], atol=1e-12)
    with pytest.raises(InvalidSequenceError, match="'N' at position 2 "):  # positions count from 1
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
        ([[0, 4]], [1.0], 4, r"0\.\.3.*frequencies\[0\] has 4 at position 2 \(positions count from 1\)"),
        ([[0, -1]], [1.0], 4, r"frequencies\[0\] has -1"),
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

    with pytest.raises(FileNotFoundError, match="missing.npz"):
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
    with pytest.raises(SketchFileError, match="flipped.npz: truncated or corrupted sketch file"):
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


# ------------------------------------------------------- file reliability (issue 14)
def _v1_checksum(frequencies, coefficients):
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(frequencies, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(coefficients, dtype="<c16").tobytes())
    return digest.hexdigest()


def _v2_checksum(header, frequencies, coefficients):
    """The documented version 2 checksum, computed independently of the library."""
    fields = {key: value for key, value in header.items() if key != "sha256"}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    digest.update(np.ascontiguousarray(frequencies, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(coefficients, dtype="<c16").tobytes())
    return digest.hexdigest()


def _read_parts(path):
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive["header"].tobytes()), archive["frequencies"].copy(), archive["coefficients"].copy()


def _forge(path, target, *, header_update=None, frequencies=None, coefficients=None, version=2, checksum=True):
    """Rewrite a saved sketch with changes and, like a careful forger, a checksum that matches."""
    header, freqs, coefs = _read_parts(path)
    freqs = freqs if frequencies is None else np.asarray(frequencies)
    coefs = coefs if coefficients is None else np.asarray(coefficients)
    header.update({"format_version": version, **(header_update or {})})
    if checksum:
        header["sha256"] = _v2_checksum(header, freqs, coefs) if version >= 2 else _v1_checksum(freqs, coefs)
    _write_npz(target, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
               frequencies=freqs, coefficients=coefs)
    return target


@pytest.fixture
def saved(tmp_path):
    sketch = random_sparse_sketch(4, 4, 6, alphabet=DNA, random_state=0, mean=2.0)
    path = tmp_path / "good.npz"
    sketch.save(path)
    return sketch, path


def assert_same_sketch(loaded, sketch):
    np.testing.assert_array_equal(loaded.frequencies, sketch.frequencies)
    np.testing.assert_array_equal(loaded.coefficients, sketch.coefficients)
    assert (loaded.n, loaded.q, loaded.alphabet, loaded.metadata) == (sketch.n, sketch.q, sketch.alphabet, sketch.metadata)


def test_the_forger_reproduces_a_saved_file(saved, tmp_path):
    """The helpers below follow the documented format: unchanged, a forged file loads."""
    sketch, path = saved
    header, _, _ = _read_parts(path)
    assert header["format_version"] == FORMAT_VERSION == 2
    assert header["sha256"] == _v2_checksum(header, sketch.frequencies, sketch.coefficients)
    for version in (1, 2):
        assert_same_sketch(FourierSketch.load(_forge(path, tmp_path / f"v{version}.npz", version=version)), sketch)


def _tampered_spectra(sketch):
    freqs, coefs = sketch.frequencies.copy(), sketch.coefficients.copy()
    out_of_range = freqs.copy()
    out_of_range[2, 1] = 255
    nan = coefs.copy()
    nan[3] = np.nan
    huge = coefs.copy()
    huge[3] = 1e305
    zero = coefs.copy()
    zero[2] = 0
    duplicate_f, duplicate_c = np.concatenate([freqs, freqs[-1:]]), np.concatenate([coefs, coefs[-1:]])
    swapped_f, swapped_c = freqs.copy(), coefs.copy()
    swapped_f[[-2, -1]], swapped_c[[-2, -1]] = freqs[[-1, -2]], coefs[[-1, -2]]
    partner = freqs.copy()
    partner[1] = (-freqs[1].astype(int)) % 4  # the larger member of the pair
    self_conjugate = coefs.copy()
    self_conjugate[0] = 2.0 + 1.0j  # the mean must be real
    return [
        ("frequency 255 at q = 4", out_of_range, coefs, r"integers in 0..3; frequencies\[2\] has 255"),
        ("terms in reverse order", freqs[::-1], coefs[::-1], "term 0 must be the zero frequency"),
        ("NaN coefficient", freqs, nan, "finite.*coefficient 3 is"),
        ("coefficient that overflows when evaluated", freqs, huge, "at most 1e\\+300"),
        ("zero coefficient", freqs, zero, "nonzero coefficients; term 2"),
        ("duplicate term", duplicate_f, duplicate_c, "without duplicates"),
        ("two terms swapped", swapped_f, swapped_c, "sorted by degree"),
        ("pair stored under its larger member", partner, coefs, "smaller member"),
        ("complex self-conjugate coefficient", freqs, self_conjugate, "must be real"),
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_tampered_spectra_with_a_recomputed_checksum_are_refused(saved, tmp_path, version):
    """Issue 14: the checksum matched, the constructor's checks were skipped, predict read out of bounds."""
    sketch, path = saved
    for label, freqs, coefs, match in _tampered_spectra(sketch):
        target = _forge(path, tmp_path / "forged.npz", frequencies=freqs, coefficients=coefs, version=version,
                        header_update={"n_terms": len(coefs)})
        with pytest.raises(SketchFileError, match=f"forged.npz: invalid sketch file .*{match}"):
            FourierSketch.load(target)
            pytest.fail(f"{label}: loaded")


@pytest.mark.parametrize("version", [1, 2])
def test_a_header_that_contradicts_the_arrays_is_refused(tmp_path, version):
    bare = random_sparse_sketch(4, 4, 6, random_state=0)  # no alphabet
    path = tmp_path / "bare.npz"
    bare.save(path)
    assert bare.frequencies.max() >= 2
    # q = 2 with frequencies up to 3 (here 2): the kernels would index past the phase tables.
    with pytest.raises(SketchFileError, match="integers in 0..1"):
        FourierSketch.load(_forge(path, tmp_path / "q2.npz", header_update={"q": 2}, version=version))
    with pytest.raises(SketchFileError, match="has 4 symbols but q=5"):
        FourierSketch.load(_forge(path, tmp_path / "q5.npz", version=version,
                                  header_update={"q": 5, "alphabet": DNA.to_dict()}))


def test_the_checksum_covers_the_whole_header(saved, tmp_path):
    """Version 1 hashed only the arrays, so the alphabet "TGCA" or another n, q or metadata went unnoticed."""
    sketch, path = saved
    changes = {
        "alphabet": {**DNA.to_dict(), "symbols": "TGCA"},
        "metadata": {**sketch.metadata, "n_queries": 10**6},
        "library_version": "0.0.1",
    }
    for key, value in changes.items():
        target = _forge(path, tmp_path / f"{key}.npz", header_update={key: value}, checksum=False)
        with pytest.raises(SketchFileError, match="checksum mismatch"):
            FourierSketch.load(target)


@pytest.mark.parametrize(
    "update,match",
    [
        ({"format_version": True}, "format_version must be a positive integer; got True"),
        ({"format_version": 2.0}, "format_version must be a positive integer; got 2.0"),
        ({"format_version": "2"}, "format_version must be a positive integer"),
        ({"n": 4.0}, "n must be an integer >= 1; got 4.0"),
        ({"n": True}, "n must be an integer >= 1; got True"),
        ({"n_terms": "7"}, "n_terms must be an integer"),
        ({"q": 4.5}, "q must be an integer"),
        ({"metadata": [1, 2]}, "metadata must be an object"),
        ({"sha256": 5}, "sha256 must be 64 hex digits"),
        ({"comment": "hello"}, r"unexpected fields \['comment'\]"),
    ],
)
@pytest.mark.parametrize("version", [1, 2])
def test_header_fields_of_the_wrong_type_are_refused(saved, tmp_path, update, match, version):
    """Issue 14: ``format_version: true`` was accepted (a bool is an int in Python), so was n = 4.0."""
    _, path = saved
    target = _forge(path, tmp_path / "typed.npz", header_update=update, version=version,
                    checksum="sha256" not in update)
    with pytest.raises(SketchFileError, match=match):
        FourierSketch.load(target)


def test_files_of_version_1_still_load_and_are_resaved_as_version_2(saved, tmp_path):
    sketch, path = saved
    old = _forge(path, tmp_path / "old.npz", version=1)
    loaded = FourierSketch.load(old)
    assert_same_sketch(loaded, sketch)
    loaded.save(tmp_path / "new.npz")
    assert _read_parts(tmp_path / "new.npz")[0]["format_version"] == 2


def test_the_stored_gallery_sketch_of_version_1_loads():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs" / "gallery" / "rna_folding_energy.sketch.npz"
    if not path.exists():
        pytest.skip("docs/gallery is not part of this checkout")
    sketch = FourierSketch.load(path)
    assert (sketch.n, sketch.q, sketch.alphabet) == (30, 4, RNA)


# --- size limits before decompressing ------------------------------------------------------


def _npy_member(array_header_shape, dtype, data_bytes):
    preamble = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        preamble, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                   "shape": array_header_shape}
    )
    preamble.write(b"\0" * data_bytes)
    return preamble.getvalue()


def _zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


class _OpenedMembers:
    """Records which archive members zipfile decompresses."""

    def __init__(self, monkeypatch):
        self.names = []
        real_open = zipfile.ZipFile.open

        def recording_open(archive, name, *args, **kwargs):
            self.names.append(getattr(name, "filename", name))
            return real_open(archive, name, *args, **kwargs)

        monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)


def test_a_header_member_that_unpacks_to_a_huge_size_is_refused_before_decompressing(tmp_path, monkeypatch):
    """Issue 14: a 1 MB file whose header unpacked to 1 GiB took 35 s and 3 GiB before failing."""
    bomb_size = 16 << 20  # 16 MiB of zeros: about 16 kB compressed, twice the 8 MiB cap
    path = _zip(tmp_path / "bomb.npz", {"header.npy": _npy_member((bomb_size,), np.uint8, bomb_size)})
    assert path.stat().st_size < 100_000
    opened = _OpenedMembers(monkeypatch)
    with pytest.raises(SketchFileError, match=r"bomb.npz: .*member 'header' unpacks to 16,777,344 bytes.*refusing"):
        FourierSketch.load(path)
    assert opened.names == []


def test_a_declared_size_larger_than_the_header_allows_is_refused(saved, tmp_path, monkeypatch):
    sketch, path = saved
    header, freqs, coefs = _read_parts(path)
    # frequencies.npy claims 1000 times the terms of the header (a valid npy, mostly zeros).
    members = {
        "header.npy": _npy_bytes(np.frombuffer(json.dumps(header).encode(), np.uint8)),
        "frequencies.npy": _npy_member((1000 * len(freqs), 4), np.uint8, 1000 * freqs.size),
        "coefficients.npy": _npy_bytes(coefs),
    }
    target = _zip(tmp_path / "big_member.npz", members)
    opened = _OpenedMembers(monkeypatch)
    with pytest.raises(SketchFileError, match=r"member 'frequencies' unpacks to .* more than the .* shape \(7, 4\) \(from the header\) needs; refusing"):
        FourierSketch.load(target)
    assert "frequencies.npy" not in opened.names


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_unexpected_or_repeated_members_are_refused(saved, tmp_path):
    sketch, path = saved
    header, freqs, coefs = _read_parts(path)
    parts = {"header.npy": _npy_bytes(np.frombuffer(json.dumps(header).encode(), np.uint8)),
             "frequencies.npy": _npy_bytes(freqs), "coefficients.npy": _npy_bytes(coefs)}
    assert_same_sketch(FourierSketch.load(_zip(tmp_path / "rebuilt.npz", parts)), sketch)
    extra = _zip(tmp_path / "extra.npz", {**parts, "payload.npy": _npy_bytes(np.zeros(10))})
    with pytest.raises(SketchFileError, match=r"unexpected or repeated archive members \['payload.npy'\]"):
        FourierSketch.load(extra)
    with zipfile.ZipFile(tmp_path / "repeated.npz", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("coefficients.npy", _npy_bytes(2 * coefs))
    with pytest.raises(SketchFileError, match=r"repeated archive members \['coefficients.npy'\]"):
        FourierSketch.load(tmp_path / "repeated.npz")


def test_a_member_of_another_dtype_or_order_is_refused(saved, tmp_path):
    sketch, path = saved
    header, freqs, coefs = _read_parts(path)
    header_bytes = _npy_bytes(np.frombuffer(json.dumps(header).encode(), np.uint8))
    cases = {
        "int64 frequencies": (freqs.astype(np.int64), coefs),
        "Fortran-order frequencies": (np.asfortranarray(freqs), coefs),
        "complex64 coefficients": (freqs, coefs.astype(np.complex64)),
        "pickled objects": (freqs, coefs.astype(object)),
    }
    for label, (f, c) in cases.items():
        target = tmp_path / "member.npz"
        buffer = io.BytesIO()
        np.save(buffer, f, allow_pickle=False)
        c_bytes = io.BytesIO()
        np.save(c_bytes, c, allow_pickle=True)
        _zip(target, {"header.npy": header_bytes, "frequencies.npy": buffer.getvalue(),
                      "coefficients.npy": c_bytes.getvalue()})
        with pytest.raises(SketchFileError, match="arrays do not match the header"):
            FourierSketch.load(target)
            pytest.fail(f"{label}: loaded")


# --- atomic saves ---------------------------------------------------------------------------

_SAVE_UNDER_A_SIZE_LIMIT = """
import json, os, resource, signal, sys
from shap_zero.exceptions import FileWriteError
from shap_zero.synthetic import random_sparse_sketch
from shap_zero.alphabet import DNA

path = sys.argv[1]
random_sparse_sketch(4, 4, 6, alphabet=DNA, random_state=0).save(path)
big = random_sparse_sketch(10, 4, 200, random_state=1)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (600, 600))
try:
    big.save(path)
    outcome = {"saved": True}
except Exception as error:
    cause = error.__cause__
    outcome = {"type": type(error).__name__, "message": str(error), "is_oserror": isinstance(error, OSError),
               "cause": type(cause).__name__, "errno": getattr(cause, "errno", None)}
print(json.dumps(outcome))
"""


def test_a_failed_save_leaves_the_existing_file_intact(tmp_path):
    """Issue 14: under a 600-byte file size limit, saving over a 1 kB sketch cut it to 600 bytes."""
    pytest.importorskip("resource")
    import errno
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "model.npz"
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.run([sys.executable, "-c", _SAVE_UNDER_A_SIZE_LIMIT, str(path)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout.splitlines()[-1])
    assert outcome["type"] == "FileWriteError" and outcome["is_oserror"], outcome
    assert outcome["cause"] == "OSError" and outcome["errno"] == errno.EFBIG
    assert "could not write the sketch to " + str(path) in outcome["message"]
    assert "the existing file is unchanged" in outcome["message"]
    assert path.stat().st_size > 600  # not cut short
    kept, original = FourierSketch.load(path), random_sparse_sketch(4, 4, 6, alphabet=DNA, random_state=0)
    np.testing.assert_array_equal(kept.frequencies, original.frequencies)
    np.testing.assert_array_equal(kept.coefficients, original.coefficients)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # the temporary file was removed


def test_max_code_matches_numpy_and_the_encode_fast_path_still_refuses_bad_codes(rng):
    from shap_zero._kernels.checks import max_code

    for shape in [(0, 5), (1, 26), (37, 9)]:
        codes = rng.integers(0, 256, size=shape).astype(np.uint8)
        assert max_code(codes) == (int(codes.max()) if codes.size else 0)
    sketch = random_sparse_sketch(6, 4, 5, random_state=0)
    good = rng.integers(0, 4, size=(3, 6)).astype(np.uint8)
    assert sketch.encode(good) is good  # already codes: no copy
    bad = good.copy()
    bad[2, 5] = 4
    with pytest.raises(InvalidSequenceError, match=r"X\[2\]"):
        sketch.encode(bad)

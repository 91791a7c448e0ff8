"""Fuzzing of what shap_zero builds from untrusted input and reads from disk (issue 14, item 12).

- FourierSketch construction from random frequencies, coefficients, n and q: valid input
  gives a sketch that survives save/load identically; invalid input gives
  InvalidParameterError, never another exception.
- The canonical-form check that ``FourierSketch.load`` runs accepts exactly the spectra
  that the constructor leaves unchanged.
- The query-checkpoint reader fed random, truncated and corrupted files: a CheckpointError,
  or a resume with exactly the uninterrupted values, never wrong values.
- A corrupted-file corpus: every byte of a small sketch file flipped, and every
  truncation, gives a SketchFileError or the identical sketch, never a different one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import string
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis (the test extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from shap_zero.alphabet import DNA, Alphabet  # noqa: E402
from shap_zero.exceptions import CheckpointError, InvalidParameterError, SketchFileError  # noqa: E402
from shap_zero.fourier import MAX_COEFFICIENT, FourierSketch, _check_canonical  # noqa: E402
from shap_zero.sketch.queries import run_queries  # noqa: E402
from shap_zero.synthetic import random_sparse_sketch  # noqa: E402
from tests._queries_models import numbered_points, smooth_model  # noqa: E402

# No example database: the suite writes nothing into the working tree.
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def assert_identical(loaded: FourierSketch, sketch: FourierSketch) -> None:
    assert loaded.frequencies.dtype == np.uint8 and loaded.coefficients.dtype == np.complex128
    np.testing.assert_array_equal(loaded.frequencies, sketch.frequencies)
    np.testing.assert_array_equal(loaded.coefficients, sketch.coefficients)
    assert (loaded.n, loaded.q, loaded.alphabet, loaded.metadata) == (
        sketch.n, sketch.q, sketch.alphabet, sketch.metadata
    )


def direct_evaluate(frequencies, coefficients, q, X, spectrum):
    """Re sum_s c_s F_s omega^<k_s, x>, c_s = 2 for the non-self-conjugate terms of a half spectrum."""
    k = np.asarray(frequencies, dtype=np.int64)
    coefs = np.asarray(coefficients, dtype=np.complex128)
    if spectrum == "half":
        coefs = np.where((k == (-k) % q).all(axis=1), coefs, 2 * coefs)
    phases = (X.astype(np.int64) @ k.T) % q
    return np.real(np.exp(2j * np.pi * phases / q) @ coefs)


# ------------------------------------------------------------------ construction
_moderate = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_wild = st.one_of(_moderate, st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e306, -1e308]))


@st.composite
def spectra(draw):
    q = draw(st.one_of(st.integers(2, 6), st.sampled_from([20, 255])))
    n = draw(st.integers(1, 5))
    n_terms = draw(st.integers(0, 8))
    entries = st.integers(0, q - 1)
    if draw(st.booleans()):
        entries = st.one_of(entries, st.integers(-3, q + 3))  # sometimes out of range
    rows = draw(st.lists(st.lists(entries, min_size=n, max_size=n), min_size=n_terms, max_size=n_terms))
    freqs = np.array(rows, dtype=np.int64).reshape(n_terms, n)
    dtype = draw(st.sampled_from(["int64", "int64", "uint8", "float64", "bool"]))
    if dtype == "uint8":
        freqs = freqs.astype(np.uint8) if (freqs >= 0).all() and (freqs < 256).all() else freqs
    elif dtype != "int64":
        freqs = freqs.astype(dtype)
    wild = draw(st.booleans())
    part = _wild if wild else _moderate
    coefs = np.array([complex(draw(part), draw(part)) for _ in range(n_terms)], dtype=np.complex128)
    spectrum = draw(st.sampled_from(["full", "half"]))
    alphabet = draw(st.sampled_from([None, Alphabet(string.ascii_uppercase[:q])])) if q <= 26 else None
    values = st.one_of(st.integers(), _moderate, st.text(max_size=5))
    metadata = draw(st.dictionaries(st.text(max_size=5), values, max_size=3))
    return freqs, coefs, q, spectrum, alphabet, metadata, wild


def _valid_input(freqs, coefs, q):
    """Whether the constructor must accept the input (for moderate coefficients)."""
    integer = freqs.size == 0 or np.issubdtype(freqs.dtype, np.integer)
    return bool(integer and ((freqs >= 0) & (freqs < q)).all() and np.isfinite(coefs).all())


@FUZZ
@given(spectra())
def test_construction_gives_a_valid_sketch_or_an_invalid_parameter_error(tmp_path_factory, case):
    freqs, coefs, q, spectrum, alphabet, metadata, wild = case
    try:
        sketch = FourierSketch(freqs, coefs, q, alphabet, spectrum=spectrum, metadata=metadata)
    except InvalidParameterError:
        assert wild or not _valid_input(freqs, coefs, q), "valid input refused"
        return
    assert _valid_input(freqs, coefs, q)
    _check_canonical(sketch.frequencies, sketch.coefficients, q)  # the invariants load() checks
    again = FourierSketch(sketch.frequencies, sketch.coefficients, q, alphabet, spectrum="half",
                          metadata=sketch.metadata)
    assert_identical(again, sketch)  # the canonical form is a fixed point

    path = tmp_path_factory.mktemp("construction") / "sketch.npz"
    sketch.save(path)
    loaded = FourierSketch.load(path)
    assert_identical(loaded, sketch)
    X = np.random.default_rng(0).integers(0, q, size=(20, sketch.n)).astype(np.uint8)
    np.testing.assert_array_equal(loaded.predict(X), sketch.predict(X))
    if not wild:
        scale = 1.0 + np.abs(coefs).sum()
        np.testing.assert_allclose(sketch.predict(X), direct_evaluate(freqs, coefs, q, X, spectrum),
                                   rtol=0, atol=1e-9 * scale)


@st.composite
def mutated_canonical_spectra(draw):
    """A canonical spectrum, often with one change that may or may not break the form."""
    q = draw(st.integers(2, 6))
    n = draw(st.integers(1, 4))
    try:
        base = random_sparse_sketch(n, q, draw(st.integers(1, 6)), max_degree=min(n, 3),
                                    random_state=draw(st.integers(0, 2**16)))
    except InvalidParameterError:  # fewer distinct terms exist than were asked for
        base = random_sparse_sketch(n, q, 1, max_degree=1, random_state=0)
    freqs, coefs = base.frequencies.copy(), base.coefficients.copy()
    kind = draw(st.sampled_from(["none", "entry", "coefficient", "swap", "duplicate", "drop", "negate"]))
    s = draw(st.integers(0, len(coefs) - 1))
    if kind == "entry":
        freqs[s, draw(st.integers(0, n - 1))] = draw(st.integers(0, 255))
    elif kind == "coefficient":
        coefs[s] = complex(draw(_wild), draw(st.sampled_from([0.0, 1.0, -2.5])))
    elif kind == "swap":
        t = draw(st.integers(0, len(coefs) - 1))
        freqs[[s, t]], coefs[[s, t]] = freqs[[t, s]], coefs[[t, s]]
    elif kind == "duplicate":
        freqs, coefs = np.insert(freqs, s, freqs[s], axis=0), np.insert(coefs, s, coefs[s])
    elif kind == "drop":
        freqs, coefs = np.delete(freqs, s, axis=0), np.delete(coefs, s)
    elif kind == "negate":
        freqs[s] = (-freqs[s].astype(np.int64)) % q
    return np.ascontiguousarray(freqs, dtype=np.uint8), np.ascontiguousarray(coefs), q


@FUZZ
@given(mutated_canonical_spectra())
def test_the_load_check_accepts_exactly_the_constructors_fixed_points(case):
    """load() validates with _check_canonical instead of rebuilding (fast for big sketches): same verdicts."""
    freqs, coefs, q = case
    try:
        _check_canonical(freqs, coefs, q)
        accepted = True
    except InvalidParameterError:
        accepted = False
    try:
        rebuilt = FourierSketch(freqs, coefs, q, spectrum="half")
        fixed_point = (rebuilt.frequencies.shape == freqs.shape and np.array_equal(rebuilt.frequencies, freqs)
                       and np.array_equal(rebuilt.coefficients, coefs))
    except InvalidParameterError:
        fixed_point = False
    assert accepted == fixed_point


def test_coefficients_too_large_to_evaluate_are_refused():
    FourierSketch([[0], [1]], [0.0, MAX_COEFFICIENT], q=2)
    with pytest.raises(InvalidParameterError, match="at most 1e\\+300"):
        FourierSketch([[0], [1]], [0.0, 2 * MAX_COEFFICIENT], q=2)
    with pytest.raises(InvalidParameterError, match="finite and at most"):  # doubling overflows to inf
        FourierSketch([[0], [1]], [0.0, 1e308], q=3, spectrum="half")


# ------------------------------------------------------------------ checkpoints
_POINTS = numbered_points(40, 5)
_BATCH = 8
_REFERENCE = run_queries(smooth_model, _POINTS, batch_size=_BATCH).values


_GOOD_CHECKPOINTS: dict = {}


def _good_checkpoint(directory, failing_at):
    """The bytes of a checkpoint of the whole campaign, or of its first ``failing_at`` batches (cached)."""
    if failing_at not in _GOOD_CHECKPOINTS:
        _GOOD_CHECKPOINTS[failing_at] = _complete_checkpoint(directory, failing_at)[1]
    return _GOOD_CHECKPOINTS[failing_at]


def _complete_checkpoint(directory, failing_at=None):
    path = directory / "campaign.ckpt"
    path.unlink(missing_ok=True)
    calls = []

    def model(codes):
        calls.append(1)
        if failing_at is not None and len(calls) > failing_at:
            raise RuntimeError("stop")
        return smooth_model(codes)

    try:
        run_queries(model, _POINTS, batch_size=_BATCH, checkpoint=path)
    except Exception:
        pass
    return path, path.read_bytes()


def _resume(path):
    """Resume from ``path``: the values, or None after a CheckpointError; nothing else may escape."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # skipped damage is reported, then re-queried
        try:
            return run_queries(smooth_model, _POINTS, batch_size=_BATCH, checkpoint=path).values
        except CheckpointError:
            return None


@st.composite
def damaged(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "append", "overwrite"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            del data[position:]
        elif kind == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "append":
            data += draw(st.binary(min_size=1, max_size=60))
        elif kind == "overwrite" and data:
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[position:position + len(chunk)] = chunk
    return bytes(data)


@FUZZ
@given(st.data())
def test_a_damaged_checkpoint_gives_an_error_or_the_right_values(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("checkpoint")
    good = _good_checkpoint(directory, data.draw(st.sampled_from([None, 2, 4])))
    path = directory / "damaged.ckpt"
    path.write_bytes(data.draw(damaged(good)))
    values = _resume(path)
    if values is not None:
        assert values.tobytes() == _REFERENCE.tobytes()
        assert _resume(path).tobytes() == _REFERENCE.tobytes()  # and the repaired file resumes again


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_as_a_checkpoint(tmp_path_factory, content, with_tag):
    path = tmp_path_factory.mktemp("random") / "campaign.ckpt"
    path.write_bytes((b"SZQ_HEAD" if with_tag else b"") + content)
    values = _resume(path)
    if values is not None:
        assert values.tobytes() == _REFERENCE.tobytes()


# ------------------------------------------------------------------ corrupted-file corpus
def _small_sketch():
    return random_sparse_sketch(4, 4, 6, alphabet=DNA, random_state=0, mean=1.5)


def _version_1_bytes(sketch):
    """The file shap_zero 0.1 wrote: the same archive, a checksum over the arrays only."""
    digest = hashlib.sha256(sketch.frequencies.tobytes())
    digest.update(sketch.coefficients.astype("<c16").tobytes())
    header = {"format": "shap_zero.FourierSketch", "format_version": 1, "library_version": "0.1.0",
              "n": sketch.n, "q": sketch.q, "n_terms": sketch.n_terms, "alphabet": sketch.alphabet.to_dict(),
              "metadata": sketch.metadata, "sha256": digest.hexdigest()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, header=np.frombuffer(json.dumps(header, sort_keys=True).encode(), np.uint8),
                        frequencies=sketch.frequencies, coefficients=sketch.coefficients)
    return buffer.getvalue()


@pytest.mark.parametrize("version", [1, 2])
def test_every_flipped_byte_and_every_truncation_gives_an_error_or_the_same_sketch(tmp_path, version):
    sketch = _small_sketch()
    if version == 2:
        sketch.save(tmp_path / "good.npz")
        raw = (tmp_path / "good.npz").read_bytes()
    else:
        raw = _version_1_bytes(sketch)
        (tmp_path / "good.npz").write_bytes(raw)
    assert_identical(FourierSketch.load(tmp_path / "good.npz"), sketch)
    assert 500 < len(raw) < 2000
    path = tmp_path / "bad.npz"
    path.write_bytes(raw)
    outcomes = {"error": 0, "identical": 0}

    def check(where):
        try:
            loaded = FourierSketch.load(path)
        except SketchFileError:
            outcomes["error"] += 1
            return
        try:
            assert_identical(loaded, sketch)
        except AssertionError as error:
            raise AssertionError(f"{where}: the file loaded as another sketch") from error
        outcomes["identical"] += 1

    # Edited in place (rewriting ~2,000 files is slow on some file systems).
    fd = os.open(path, os.O_RDWR)
    try:
        for i in range(len(raw)):
            os.pwrite(fd, bytes([raw[i] ^ 0xFF]), i)
            check(f"byte {i} flipped")
            os.pwrite(fd, raw[i:i + 1], i)
        for length in range(len(raw) - 1, -1, -1):
            os.ftruncate(fd, length)
            check(f"cut to {length} bytes")
    finally:
        os.close(fd)
    assert outcomes["error"] > len(raw)  # every truncation and most flips are caught

"""The sparse q-ary Fourier sketch of a model, and its versioned file format.

Convention (docs/math.md, Sequences, alphabets and the Fourier pair): with ``omega = exp(2 pi i / q)``,
``f(x) = sum_k F[k] omega^<k, x>`` and ``F[k] = q^-n sum_x f(x) omega^-<k, x>``.
"""

from __future__ import annotations

import datetime as _datetime
import hashlib
import io
import json
import os
import zipfile
from typing import Any, Literal, NamedTuple

import numpy as np

from shap_zero._config import BLOCK_ROWS, MAX_Q
from shap_zero._files import atomic_write
from shap_zero._kernels.checks import max_code
from shap_zero._kernels.design import pack_rows
from shap_zero._kernels.dispatch import ThreadChoice
from shap_zero._kernels.spectrum import evaluate_spectrum, evaluate_spectrum_serial
from shap_zero._validation import check_codes
from shap_zero._version import __version__
from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError, ShapZeroError, SketchFileError

__all__ = ["FourierSketch", "SpectrumArrays", "FORMAT_NAME", "FORMAT_VERSION"]

#: Value of the ``format`` field in the JSON header of a saved sketch.
FORMAT_NAME = "shap_zero.FourierSketch"
#: Version of the file format written by :meth:`FourierSketch.save`; version 1 is still read.
FORMAT_VERSION = 2
#: Largest coefficient magnitude a sketch holds, so that evaluating up to 10^7 terms
#: (each counted twice for a conjugate pair) cannot overflow float64.
MAX_COEFFICIENT = 1e300
#: Parallel or serial evaluation by measured speed (shap_zero._kernels.dispatch).
_EVALUATE_SPECTRUM = ThreadChoice(evaluate_spectrum, evaluate_spectrum_serial)

# Members of a sketch file and the fields of its JSON header (the same in versions 1 and 2).
_MEMBERS = ("header.npy", "frequencies.npy", "coefficients.npy")
_HEADER_FIELDS = frozenset(
    {"format", "format_version", "library_version", "n", "q", "n_terms", "alphabet", "metadata", "sha256"}
)
# A header is a few kB (metadata included); the cap is checked before decompressing,
# so a small file cannot make load() unpack gigabytes.
_MAX_HEADER_BYTES = 8 << 20
# Bytes of an .npy member before its data: magic, version, length and the padded dict.
_MAX_NPY_PREAMBLE = 1 << 14


class SpectrumArrays(NamedTuple):
    """The sketch in the plain-array layout the numba kernels take.

    Term s has nonzero frequency entries ``term_pos[term_ptr[s]:term_ptr[s+1]]``
    (sorted positions) with values ``term_val[...]``; its contribution to the model is
    ``Re(m_s G_s omega^p) = coef_re[s] cos(2 pi p / q) - coef_im[s] sin(2 pi p / q)``
    with the unreduced phase ``p = sum_e term_val[e] x[term_pos[e]]``, tabulated as
    ``phase_table[phase_offset[s] + p]`` for 0 <= p <= (q - 1) * sum_e term_val[e].

    Attributes
    ----------
    term_ptr : ndarray of shape (S + 1,), int64
    term_pos : ndarray of shape (nnz,), int64
    term_val : ndarray of shape (nnz,), int64
    coef_re, coef_im : ndarray of shape (S,), float64
        ``multiplicity * coefficient``, split into real and imaginary parts.
    degrees : ndarray of shape (S,), int64
    phase_offset : ndarray of shape (S + 1,), int64
    phase_table : ndarray of shape (T,), float64
    roots : ndarray of shape (q,), complex128
        ``omega^j`` for j in 0..q-1.
    """

    term_ptr: np.ndarray
    term_pos: np.ndarray
    term_val: np.ndarray
    coef_re: np.ndarray
    coef_im: np.ndarray
    degrees: np.ndarray
    phase_offset: np.ndarray
    phase_table: np.ndarray
    roots: np.ndarray


def _roots_of_unity(q: int) -> np.ndarray:
    angles = 2.0 * np.pi * np.arange(q) / q
    roots = np.exp(1j * angles)
    # Exact values where they are known, so that self-conjugate terms stay exactly real.
    roots[0] = 1.0
    if q % 2 == 0:
        roots[q // 2] = -1.0
    if q % 4 == 0:
        roots[q // 4] = 1j
        roots[3 * q // 4] = -1j
    return roots


def _lexicographic_min(rows_a: np.ndarray, rows_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise lexicographic minimum of two integer arrays of equal shape (S, n).

    Returns the minimum rows and a boolean (S,) that is True where ``rows_a`` was
    strictly larger (so the minimum came from ``rows_b``).
    """
    differs = rows_a != rows_b
    first = np.argmax(differs, axis=1)
    index = np.arange(rows_a.shape[0])
    any_diff = differs[index, first]
    b_smaller = any_diff & (rows_b[index, first] < rows_a[index, first])
    return np.where(b_smaller[:, None], rows_b, rows_a), b_smaller


def _json_ready(value: Any, where: str) -> Any:
    """Convert numpy scalars and arrays inside metadata to JSON types, or raise."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidParameterError(
                    f"metadata keys must be strings; got {key!r} of type {type(key).__name__} at {where}"
                )
            out[key] = _json_ready(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_json_ready(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist(), where)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise InvalidParameterError(
        f"metadata must hold only JSON types (str, int, float, bool, None, lists, dicts); "
        f"got {type(value).__name__} at {where}"
    )


def _sorted_unique_rows(rows: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for rows (M, n) with entries < q.

    Rows packed into one integer each (first column most significant, so integer order
    is row order) when they fit 64 bits: a 1-D unique instead of a sort of row views.
    """
    n = rows.shape[1]
    bits = max(q - 1, 1).bit_length()
    if n * bits > 64 or rows.shape[0] == 0:
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    keys = np.empty(rows.shape[0], dtype=np.uint64)
    pack_rows(np.ascontiguousarray(rows, dtype=np.uint8), bits, keys)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return rows[first], inverse.reshape(-1)


def _rows_less(rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """Boolean (S,): row s of ``rows_a`` is lexicographically strictly smaller than that of ``rows_b``."""
    differs = rows_a != rows_b
    first = np.argmax(differs, axis=1)
    index = np.arange(rows_a.shape[0])
    return differs[index, first] & (rows_a[index, first] < rows_b[index, first])


def _check_frequency_range(freqs: np.ndarray, q: int) -> None:
    """Raise unless every entry of the integer array ``freqs`` (S, n) is in 0..q-1."""
    if not freqs.size:
        return
    if freqs.dtype == np.uint8:
        bad_rows = freqs.max(axis=1) >= q  # no int64 copy of a large uint8 array
        if not bad_rows.any():
            return
        row = int(np.argmax(bad_rows))
        col = int(np.argmax(freqs[row] >= q))
    else:
        bad = (freqs < 0) | (freqs >= q)
        if not bad.any():
            return
        row, col = (int(i) for i in np.argwhere(bad)[0])
    raise InvalidParameterError(
        f"frequencies must hold integers in 0..{q - 1}; frequencies[{row}] has {freqs[row, col]} at position {col + 1} (positions count from 1)"
    )


def _check_finite(coefs: np.ndarray, what: str) -> None:
    """Raise unless every entry of the complex array ``coefs`` is finite."""
    finite = np.isfinite(coefs)
    if not finite.all():
        first = int(np.argmin(finite))
        raise InvalidParameterError(f"coefficients must be finite; {what} {first} is {coefs[first]}")


def _check_canonical(freqs: np.ndarray, coefs: np.ndarray, q: int) -> None:
    """Raise unless (freqs, coefs) is a spectrum in the canonical form of :class:`FourierSketch`.

    The invariants every sketch keeps, and the ones the numba kernels rely on to stay
    inside their arrays: ``freqs`` is uint8 of shape (S, n) with S >= 1 and entries in
    0..q-1; ``coefs`` is complex128 of shape (S,), finite and at most
    :data:`MAX_COEFFICIENT` in magnitude; term 0 is the zero frequency; every other term
    has a nonzero coefficient; every frequency is the lexicographically smaller member
    of its conjugate pair ``{k, -k mod q}``; self-conjugate terms have real
    coefficients; and the terms are strictly increasing by (degree, frequency), so
    there are no duplicates. Vectorised, O(S n).

    Parameters
    ----------
    freqs : ndarray of shape (S, n), uint8
    coefs : ndarray of shape (S,), complex128
    q : int
        Alphabet size, already checked.

    Raises
    ------
    InvalidParameterError
        Naming the first term that breaks an invariant.
    """
    if freqs.dtype != np.uint8 or freqs.ndim != 2 or freqs.shape[1] == 0:
        raise InvalidParameterError(
            f"frequencies must be uint8 of shape (S, n >= 1); got {freqs.dtype}{freqs.shape}"
        )
    n_terms = freqs.shape[0]
    if coefs.dtype != np.complex128 or coefs.shape != (n_terms,):
        raise InvalidParameterError(
            f"coefficients must be complex128 of shape ({n_terms},); got {coefs.dtype}{coefs.shape}"
        )
    if n_terms == 0:
        raise InvalidParameterError(
            "a sketch holds at least one term, the zero frequency (the mean); got none"
        )
    _check_frequency_range(freqs, q)
    large = ~(np.abs(coefs) <= MAX_COEFFICIENT)  # also True for NaN
    if large.any():
        first = int(np.argmax(large))
        raise InvalidParameterError(
            f"coefficients must be finite and at most {MAX_COEFFICIENT:g} in magnitude (after merging "
            f"duplicate and conjugate frequencies), so that evaluating the sketch cannot overflow; "
            f"coefficient {first} is {coefs[first]}"
        )
    degrees = np.count_nonzero(freqs, axis=1)
    if degrees[0] != 0:
        raise InvalidParameterError(
            f"term 0 must be the zero frequency (the mean); got frequency {freqs[0].tolist()}"
        )
    zero = coefs[1:] == 0
    if zero.any():
        first = int(np.argmax(zero)) + 1
        raise InvalidParameterError(f"terms 1.. must have nonzero coefficients; term {first} is 0")
    negated = np.where(freqs == 0, 0, q - freqs).astype(np.uint8)  # -k mod q, without leaving uint8
    partner_smaller = _rows_less(negated, freqs)
    if partner_smaller.any():
        first = int(np.argmax(partner_smaller))
        raise InvalidParameterError(
            f"term {first} has frequency {freqs[first].tolist()}, but a conjugate pair is stored under its "
            f"lexicographically smaller member {negated[first].tolist()}"
        )
    self_conjugate = (freqs == negated).all(axis=1)
    complex_self = self_conjugate & (coefs.imag != 0)
    if complex_self.any():
        first = int(np.argmax(complex_self))
        raise InvalidParameterError(
            f"term {first} has the self-conjugate frequency {freqs[first].tolist()}, whose coefficient "
            f"must be real; got {coefs[first]}"
        )
    if n_terms > 1:
        lexicographically_less = _rows_less(freqs[:-1], freqs[1:])
        increasing = (degrees[:-1] < degrees[1:]) | ((degrees[:-1] == degrees[1:]) & lexicographically_less)
        if not increasing.all():
            first = int(np.argmin(increasing)) + 1
            raise InvalidParameterError(
                f"terms must be sorted by degree, then lexicographically, without duplicates; term "
                f"{first} ({freqs[first].tolist()}) does not come after term {first - 1} "
                f"({freqs[first - 1].tolist()})"
            )


class FourierSketch:
    """A sparse q-ary Fourier representation of a real-valued sequence model.

    The sketch represents the real function

    .. math:: f(x) = \\mathrm{Re} \\sum_{s} F_s\\, \\omega^{\\langle k_s, x \\rangle},
              \\qquad \\omega = e^{2\\pi i / q}.

    For a real model, ``F[-k] = conj(F[k])``, and taking the real part changes nothing;
    for estimates that are only approximately conjugate it symmetrises them.

    On construction the spectrum is put in a canonical form: every conjugate pair
    ``{k, -k mod q}`` is stored once, under its lexicographically smaller member, with
    the full-spectrum coefficient ``F[k]`` of that member; self-conjugate frequencies
    (all entries 0 or q/2) hold real coefficients; duplicate frequencies are merged;
    exact zeros are dropped; and the zero frequency, which holds the mean of ``f`` under
    the uniform distribution, is always the first term. Terms are sorted by degree,
    then lexicographically.

    Parameters
    ----------
    frequencies : array-like of shape (S, n), integers in 0..q-1
        The frequencies ``k_s``.
    coefficients : array-like of shape (S,), complex or real
        The coefficients ``F_s``.
    q : int
        Alphabet size, 2..255.
    alphabet : Alphabet, optional
        The symbols behind the codes 0..q-1. Needed to pass sequences as strings; saved
        with the sketch so that codes keep their meaning.
    spectrum : {"full", "half"}, default "full"
        ``"full"``: the coefficients are entries of a full spectrum (as returned by a
        dense FFT, or by a decoder that estimates k and -k separately), and the sketch
        is the real part of their sum. ``"half"``: each listed frequency that is not
        self-conjugate stands for itself and its conjugate partner, i.e. contributes
        ``2 Re(F_s omega^<k_s, x>)``.
    metadata : dict, optional
        JSON-serialisable provenance (e.g. ``n_queries``, ``random_state``, ``params``,
        ``method``). ``library_version`` and ``created`` are added when missing.

    Attributes
    ----------
    frequencies : ndarray of shape (S, n), uint8
        Canonical representatives, read-only.
    coefficients : ndarray of shape (S,), complex128
        Their full-spectrum coefficients, read-only.
    n, q, alphabet, metadata

    Examples
    --------
    >>> import numpy as np
    >>> from shap_zero import FourierSketch, DNA
    >>> sketch = FourierSketch([[0, 0, 0], [1, 0, 0], [3, 0, 0]], [0.5, 1.0, 1.0], q=4, alphabet=DNA)
    >>> sketch.n_terms  # the pair {k, -k} is stored once
    2
    >>> sketch.predict(["AAA", "CAA", "GAA"]).round(6)
    array([ 2.5,  0.5, -1.5])
    """

    def __init__(
        self,
        frequencies: Any,
        coefficients: Any,
        q: int,
        alphabet: Alphabet | None = None,
        *,
        spectrum: Literal["full", "half"] = "full",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        q = self._check_q(q)
        self._check_alphabet(alphabet, q)
        if spectrum not in ("full", "half"):
            raise InvalidParameterError(f"spectrum must be 'full' or 'half'; got {spectrum!r}")
        freqs = self._check_frequencies(frequencies, q)
        coefs = self._check_coefficients(coefficients, freqs.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
            frequencies, coefficients = self._canonical_form(freqs, coefs, q, spectrum)
        # The invariants load() checks on a file, checked here on what the canonical form
        # made: merged or doubled ("half") coefficients may exceed MAX_COEFFICIENT.
        _check_canonical(frequencies, coefficients, q)
        self._set(frequencies, coefficients, q, alphabet, self._complete_metadata(metadata))

    def _set(
        self,
        frequencies: np.ndarray,
        coefficients: np.ndarray,
        q: int,
        alphabet: Alphabet | None,
        metadata: dict[str, Any],
    ) -> None:
        """Store arrays that passed :func:`_check_canonical`, read-only."""
        frequencies.setflags(write=False)
        coefficients.setflags(write=False)
        self._q = q
        self._alphabet = alphabet
        self._frequencies = frequencies
        self._coefficients = coefficients
        self._metadata = metadata
        self._arrays: SpectrumArrays | None = None

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_q(q: Any) -> int:
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)):
            raise InvalidParameterError(f"q must be an integer in 2..{MAX_Q}; got {q!r}")
        if not 2 <= int(q) <= MAX_Q:
            raise InvalidParameterError(f"q must be an integer in 2..{MAX_Q}; got {q}")
        return int(q)

    @staticmethod
    def _check_alphabet(alphabet: Any, q: int) -> None:
        if alphabet is None:
            return
        if not isinstance(alphabet, Alphabet):
            raise InvalidParameterError(
                f"alphabet must be a shap_zero.Alphabet or None; got {type(alphabet).__name__}"
            )
        if alphabet.q != q:
            raise InvalidParameterError(f"alphabet {alphabet.name!r} has {alphabet.q} symbols but q={q}")

    @staticmethod
    def _check_frequencies(frequencies: Any, q: int) -> np.ndarray:
        freqs = np.asarray(frequencies)
        if freqs.ndim != 2:
            raise InvalidParameterError(
                f"frequencies must be a 2-D array of shape (S, n); got {freqs.ndim} dimension(s) "
                f"with shape {freqs.shape}"
            )
        if freqs.shape[1] == 0:
            raise InvalidParameterError("frequencies must have at least one position (n >= 1); got n=0")
        if freqs.size and not np.issubdtype(freqs.dtype, np.integer):
            raise InvalidParameterError(
                f"frequencies must hold integers in 0..{q - 1}; got dtype {freqs.dtype}"
            )
        _check_frequency_range(freqs, q)
        return freqs.astype(np.int64)

    @staticmethod
    def _check_coefficients(coefficients: Any, n_terms: int) -> np.ndarray:
        coefs = np.asarray(coefficients)
        if coefs.ndim != 1 or coefs.shape[0] != n_terms:
            raise InvalidParameterError(
                f"coefficients must have shape ({n_terms},) to match frequencies; got {coefs.shape}"
            )
        if coefs.size and not (
            np.issubdtype(coefs.dtype, np.number) and not np.issubdtype(coefs.dtype, np.bool_)
        ):
            raise InvalidParameterError(f"coefficients must be numbers; got dtype {coefs.dtype}")
        coefs = coefs.astype(np.complex128)
        _check_finite(coefs, "coefficient")
        return coefs

    @staticmethod
    def _canonical_form(
        freqs: np.ndarray, coefs: np.ndarray, q: int, spectrum: str
    ) -> tuple[np.ndarray, np.ndarray]:
        n = freqs.shape[1]
        negated = (-freqs) % q
        representatives, flipped = _lexicographic_min(freqs, negated)
        self_conjugate = (freqs == negated).all(axis=1)
        if spectrum == "half":
            coefs = np.where(self_conjugate, coefs, 2.0 * coefs)
        # Re(F w_{-r}) = Re(conj(F) w_r): move every term onto its representative.
        coefs = np.where(flipped, np.conj(coefs), coefs)
        zero = np.zeros((1, n), dtype=np.int64)
        representatives = np.concatenate([zero, representatives])
        coefs = np.concatenate([[0.0 + 0.0j], coefs])
        unique, inverse = _sorted_unique_rows(representatives, q)
        merged = np.bincount(inverse, weights=coefs.real, minlength=len(unique)) + 1j * np.bincount(
            inverse, weights=coefs.imag, minlength=len(unique)
        )
        unique_self_conjugate = (unique == (-unique) % q).all(axis=1)
        # Self-conjugate terms are real; a pair contributes Re(H w) = 2 Re((H/2) w).
        merged = np.where(unique_self_conjugate, merged.real + 0j, merged / 2.0)
        degrees = np.count_nonzero(unique, axis=1)
        keep = (merged != 0) | (degrees == 0)
        unique, merged, degrees = unique[keep], merged[keep], degrees[keep]
        order = np.argsort(degrees, kind="stable")  # np.unique already sorted rows
        frequencies = np.ascontiguousarray(unique[order].astype(np.uint8))
        coefficients = np.ascontiguousarray(merged[order])
        return frequencies, coefficients

    @staticmethod
    def _complete_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidParameterError(f"metadata must be a dict or None; got {type(metadata).__name__}")
        clean = _json_ready(metadata, "metadata")
        clean.setdefault("library_version", __version__)
        clean.setdefault("created", _datetime.datetime.now(_datetime.timezone.utc).isoformat(timespec="seconds"))
        clean.setdefault("method", "user")
        return clean

    # ------------------------------------------------------------------ properties
    @property
    def frequencies(self) -> np.ndarray:
        """ndarray of shape (S, n), uint8: canonical frequency representatives."""
        return self._frequencies

    @property
    def coefficients(self) -> np.ndarray:
        """ndarray of shape (S,), complex128: full-spectrum coefficients of the representatives."""
        return self._coefficients

    @property
    def n(self) -> int:
        """Sequence length."""
        return int(self._frequencies.shape[1])

    @property
    def q(self) -> int:
        """Alphabet size."""
        return self._q

    @property
    def alphabet(self) -> Alphabet | None:
        """The alphabet of the codes, if known."""
        return self._alphabet

    def with_alphabet(self, alphabet: Alphabet) -> FourierSketch:
        """The same sketch with ``alphabet`` attached (e.g. to a sketch saved without one).

        Parameters
        ----------
        alphabet : Alphabet
            Must have q symbols.

        Returns
        -------
        FourierSketch
            Same terms and metadata; the original is unchanged.
        """
        if not isinstance(alphabet, Alphabet):
            raise InvalidParameterError(f"alphabet must be a shap_zero.Alphabet; got {type(alphabet).__name__}")
        # Canonical terms stand for themselves and their conjugate partners.
        return FourierSketch(
            self._frequencies, self._coefficients, self._q, alphabet, spectrum="half", metadata=self._metadata
        )

    def with_metadata(self, **entries: Any) -> FourierSketch:
        """The same sketch with ``entries`` added to (or replacing keys of) its metadata.

        Parameters
        ----------
        **entries
            JSON-ready values (str, int, float, bool, None, lists and dicts of them).

        Returns
        -------
        FourierSketch
            Same terms and alphabet, sharing the read-only arrays; the original is
            unchanged.
        """
        metadata = self._complete_metadata({**self._metadata, **entries})
        copy = FourierSketch.__new__(FourierSketch)
        copy._set(self._frequencies, self._coefficients, self._q, self._alphabet, metadata)
        return copy

    @property
    def metadata(self) -> dict[str, Any]:
        """Provenance: a copy of the JSON metadata dict."""
        return json.loads(json.dumps(self._metadata))

    @property
    def n_terms(self) -> int:
        """Number of canonical terms S (conjugate pairs counted once)."""
        return int(self._frequencies.shape[0])

    def __len__(self) -> int:
        return self.n_terms

    @property
    def degrees(self) -> np.ndarray:
        """ndarray of shape (S,), int64: number of nonzero entries of each frequency."""
        return np.count_nonzero(self._frequencies, axis=1).astype(np.int64)

    @property
    def max_degree(self) -> int:
        """Largest degree of a term (0 for a constant sketch)."""
        return int(self.degrees.max(initial=0))

    @property
    def self_conjugate(self) -> np.ndarray:
        """ndarray of shape (S,), bool: terms with k = -k mod q (entries 0 or q/2)."""
        freqs = self._frequencies.astype(np.int64)
        return (freqs == (-freqs) % self._q).all(axis=1)

    @property
    def multiplicity(self) -> np.ndarray:
        """ndarray of shape (S,), int64: 1 for self-conjugate terms, 2 for conjugate pairs."""
        return np.where(self.self_conjugate, 1, 2).astype(np.int64)

    @property
    def n_fourier_coefficients(self) -> int:
        """Number of nonzero coefficients of the full spectrum (pairs counted twice)."""
        nonzero = self._coefficients != 0
        return int(self.multiplicity[nonzero].sum())

    @property
    def mean(self) -> float:
        """Mean of f over all q^n sequences: the zero-frequency coefficient."""
        return float(self._coefficients[0].real)

    @property
    def variance(self) -> float:
        """Variance of f over uniform random sequences, ``sum_{k != 0} |F[k]|^2``."""
        power = self.multiplicity * np.abs(self._coefficients) ** 2
        return float(power[1:].sum())

    def full_spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Expand the canonical form into the full conjugate-symmetric spectrum.

        Returns
        -------
        frequencies : ndarray of shape (S', n), uint8
        coefficients : ndarray of shape (S',), complex128
            With ``F[-k] = conj(F[k])`` for every pair.
        """
        pairs = ~self.self_conjugate
        partners = ((-self._frequencies[pairs].astype(np.int64)) % self._q).astype(np.uint8)
        frequencies = np.concatenate([self._frequencies, partners])
        coefficients = np.concatenate([self._coefficients, np.conj(self._coefficients[pairs])])
        return frequencies, coefficients

    def spectrum_arrays(self) -> SpectrumArrays:
        """The sketch in the plain-array layout of the numba kernels (cached)."""
        if self._arrays is None:
            freqs = self._frequencies
            rows, positions = np.nonzero(freqs)  # row-major: positions sorted within a row
            degrees = np.count_nonzero(freqs, axis=1).astype(np.int64)
            term_ptr = np.zeros(freqs.shape[0] + 1, dtype=np.int64)
            np.cumsum(degrees, out=term_ptr[1:])
            weighted = self.multiplicity * self._coefficients
            roots = _roots_of_unity(self._q)
            term_val = freqs[rows, positions].astype(np.int64)
            # Phase tables: entry p of term s is Re(m_s G_s omega^p) for every reachable
            # unreduced phase p = sum_e k_e x_e <= (q - 1) * sum_e k_e.
            value_sums = np.zeros(freqs.shape[0], dtype=np.int64)
            np.add.at(value_sums, rows, term_val)
            table_sizes = (self._q - 1) * value_sums + 1
            phase_offset = np.zeros(freqs.shape[0] + 1, dtype=np.int64)
            np.cumsum(table_sizes, out=phase_offset[1:])
            owner = np.repeat(np.arange(freqs.shape[0]), table_sizes)
            phase = np.arange(phase_offset[-1]) - phase_offset[owner]
            localized = weighted[owner] * roots[phase % self._q]
            self._arrays = SpectrumArrays(
                term_ptr=term_ptr,
                term_pos=positions.astype(np.int64),
                term_val=term_val,
                coef_re=np.ascontiguousarray(weighted.real),
                coef_im=np.ascontiguousarray(weighted.imag),
                degrees=degrees,
                phase_offset=phase_offset,
                phase_table=np.ascontiguousarray(localized.real),
                roots=roots,
            )
        return self._arrays

    # ------------------------------------------------------------------ evaluation
    def encode(self, X: Any, name: str = "X") -> np.ndarray:
        """Turn sequences (strings with the sketch's alphabet, or codes) into codes.

        Parameters
        ----------
        X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes
        name : str
            Argument name used in error messages.

        Returns
        -------
        ndarray of shape (N, n), uint8, C-contiguous
        """
        if (
            type(X) is np.ndarray
            and X.dtype == np.uint8
            and X.ndim == 2
            and X.shape[1] == self.n
            and X.flags.c_contiguous
            and max_code(X) < self._q
        ):
            return X  # already codes (the explainer's own calls): nothing to convert
        if self._alphabet is not None:
            return self._alphabet.encode(X, length=self.n, name=name)
        if isinstance(X, (str, bytes)) or (
            isinstance(X, (list, tuple)) and len(X) > 0 and isinstance(X[0], (str, bytes))
        ):
            raise InvalidParameterError(
                f"{name}: this sketch has no alphabet, so sequences must be integer codes in "
                f"0..{self._q - 1}; got strings. Attach one with sketch.with_alphabet(...) "
                "(or ZeroExplainer(sketch, alphabet=...))."
            )
        return check_codes(X, q=self._q, n=self.n, name=name)

    def predict(self, X: Any) -> np.ndarray:
        """Evaluate the sketch.

        Parameters
        ----------
        X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes

        Returns
        -------
        ndarray of shape (N,), float64
        """
        codes = self.encode(X)
        arrays = self.spectrum_arrays()
        out = np.empty(codes.shape[0], dtype=np.float64)
        _EVALUATE_SPECTRUM(
            codes.shape[0] * max(arrays.term_pos.size, 1),
            codes,
            arrays.term_ptr,
            arrays.term_pos,
            arrays.term_val,
            arrays.phase_offset,
            arrays.phase_table,
            BLOCK_ROWS,
            out,
        )
        return out

    def __call__(self, X: Any) -> np.ndarray:
        """Alias of :meth:`predict`, so a sketch can stand in for the model it approximates.

        Parameters
        ----------
        X : str, sequence of str, or array-like of shape (N, n) or (n,) of integer codes

        Returns
        -------
        ndarray of shape (N,), float64
        """
        return self.predict(X)

    def top(self, count: int = 10) -> list[tuple[str, complex]]:
        """The ``count`` largest terms by power, as readable (frequency, coefficient) pairs.

        Frequencies are written as ``"pos3=2, pos7=1"`` (1-based positions, frequency
        values); the zero frequency is ``"mean"``.

        Parameters
        ----------
        count : int, default 10
            How many terms (the mean term is never listed).

        Returns
        -------
        list of (str, complex)
        """
        power = self.multiplicity * np.abs(self._coefficients) ** 2
        order = np.argsort(-power[1:], kind="stable")[:count] + 1
        out = []
        for s in order:
            entries = [f"pos{i + 1}={v}" for i, v in enumerate(self._frequencies[s]) if v]
            out.append((", ".join(entries), complex(self._coefficients[s])))
        return out

    def __repr__(self) -> str:
        alphabet = self._alphabet.name if self._alphabet is not None else None
        return (
            f"FourierSketch(n={self.n}, q={self.q}, alphabet={alphabet!r}, terms={self.n_terms}, "
            f"fourier_coefficients={self.n_fourier_coefficients}, max_degree={self.max_degree})"
        )

    # ------------------------------------------------------------------ file format
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the sketch to ``path`` in the shap_zero sketch format (version 2).

        The file is a NumPy ``.npz`` archive (written exactly at ``path``, no suffix is
        added) with three members and no pickled objects:

        - ``header``: UTF-8 JSON as a uint8 array, with ``format``
          ("shap_zero.FourierSketch"), ``format_version`` (2), ``library_version``,
          ``n``, ``q``, ``n_terms``, ``alphabet`` (symbols, name, case_sensitive, or
          null), ``metadata`` and ``sha256``;
        - ``frequencies``: uint8 (S, n), canonical representatives;
        - ``coefficients``: complex128 (S,), little-endian.

        ``sha256`` is the SHA-256 of the header without ``sha256`` as canonical JSON
        (``json.dumps(fields, sort_keys=True, separators=(",", ":"))``, UTF-8), then the
        bytes of ``frequencies`` and of ``coefficients`` (C order). It covers
        everything in the file, so any change to n, q, the alphabet or the metadata is
        detected as well as a change to the arrays.

        The write is atomic: the archive goes to a temporary file in the same folder,
        which then replaces ``path``. If saving fails, a file already at ``path`` is
        left unchanged.

        Parameters
        ----------
        path : str or os.PathLike

        Raises
        ------
        FileWriteError
            If the file cannot be written (e.g. a full disk); the message names
            ``path`` and the :class:`OSError` is chained.
        """
        fields = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "n": self.n,
            "q": self.q,
            "n_terms": self.n_terms,
            "alphabet": None if self._alphabet is None else self._alphabet.to_dict(),
            "metadata": self._metadata,
        }
        frequencies = np.ascontiguousarray(self._frequencies)
        coefficients = np.ascontiguousarray(self._coefficients, dtype="<c16")
        header = {**fields, "sha256": _checksum(fields, frequencies, coefficients, FORMAT_VERSION)}
        header_bytes = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, header=header_bytes, frequencies=frequencies, coefficients=coefficients)
        with atomic_write(path, what="the sketch") as handle:
            handle.write(buffer.getbuffer())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FourierSketch:
        """Read a sketch written by :meth:`save`, without unpickling anything.

        The file is checked as thoroughly as the constructor checks its arguments: the
        archive must hold exactly the three members, of the sizes its header implies
        (checked before anything is decompressed); the header fields must have the
        right types; the checksum must match; and the arrays must be a valid spectrum in
        canonical form (frequencies in 0..q-1, finite coefficients, the zero frequency
        first, terms sorted without duplicates, ...). So a loaded sketch is always one
        the constructor could have made.

        Files in format version 1 (shap_zero 0.1) still load, with the same checks.
        Their checksum covers only the two arrays, so a change to the header of a
        version 1 file that leaves it valid (another alphabet of the same size, other
        metadata) cannot be detected; saving the sketch again writes version 2.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        FourierSketch

        Raises
        ------
        FileNotFoundError
            If there is no file at ``path``.
        SketchFileError
            If the file is truncated or corrupted, is not a shap_zero sketch, holds
            members larger than its header allows, or an invalid spectrum, or was
            written by a newer format version. The message names ``path``.
        """
        path = os.fspath(path)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except IsADirectoryError as error:
            raise SketchFileError(f"{path}: is a directory, not a sketch file") from error
        if not raw.startswith(b"PK"):
            raise SketchFileError(
                f"{path}: not a shap_zero sketch file (expected an .npz archive written by "
                "FourierSketch.save)"
            )
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                infos = _archive_members(archive, path)
                header_bytes = _read_member(archive, infos["header.npy"], path, None, _MAX_HEADER_BYTES)
                header = _parse_header(header_bytes, path)
                version, n, q, n_terms, alphabet, metadata = _header_fields(header, path)
                missing = sorted(name[:-4] for name in _MEMBERS if name not in infos)
                if missing:
                    raise SketchFileError(f"{path}: corrupted sketch file, missing members {missing}")
                frequencies = _read_member(archive, infos["frequencies.npy"], path, (n_terms, n), n_terms * n)
                coefficients = _read_member(
                    archive, infos["coefficients.npy"], path, (n_terms,), 16 * n_terms
                )
        except SketchFileError:
            raise
        except Exception as error:  # BadZipFile, zlib.error, EOFError, ValueError, MemoryError ...
            raise SketchFileError(f"{path}: truncated or corrupted sketch file ({error!r})") from error
        fields = {key: value for key, value in header.items() if key != "sha256"}
        if _checksum(fields, frequencies, coefficients, version) != header["sha256"]:
            raise SketchFileError(f"{path}: corrupted sketch file (checksum mismatch)")
        frequencies = np.ascontiguousarray(frequencies, dtype=np.uint8)
        coefficients = np.ascontiguousarray(coefficients, dtype=np.complex128)  # native byte order
        try:
            _check_canonical(frequencies, coefficients, q)
        except InvalidParameterError as error:
            raise SketchFileError(
                f"{path}: invalid sketch file (the checksum matches, but {error})"
            ) from error
        sketch = cls.__new__(cls)
        sketch._set(frequencies, coefficients, q, alphabet, metadata)
        return sketch


def _checksum(fields: dict[str, Any], frequencies: np.ndarray, coefficients: np.ndarray, version: int) -> str:
    """The ``sha256`` header field of a file of the given format version.

    Version 2 hashes the other header fields as canonical JSON, then the arrays;
    version 1 hashed only the arrays.
    """
    digest = hashlib.sha256()
    if version >= 2:
        digest.update(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        coefficients = np.ascontiguousarray(coefficients, dtype="<c16")
    # Version 1 hashed the bytes as stored (the writer's native byte order).
    digest.update(np.ascontiguousarray(frequencies, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(coefficients).tobytes())
    return digest.hexdigest()


def _archive_members(archive: zipfile.ZipFile, path: str) -> dict[str, zipfile.ZipInfo]:
    """The members of a sketch archive by name, refusing foreign, extra or repeated ones."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if "header.npy" not in names:
        shown = sorted(name.removesuffix(".npy") for name in names)
        raise SketchFileError(
            f"{path}: an .npz archive but not a shap_zero sketch (no 'header' member; members: {shown})"
        )
    unexpected = sorted({name for name in names if name not in _MEMBERS or names.count(name) > 1})
    if unexpected:
        raise SketchFileError(
            f"{path}: corrupted sketch file: unexpected or repeated archive members {unexpected} "
            f"(a sketch holds exactly {list(_MEMBERS)})"
        )
    return {info.filename: info for info in infos}


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, shape: tuple[int, ...] | None, data_bytes: int
) -> np.ndarray:
    """Read one .npy member after checking its declared size, dtype and shape.

    ``shape=None`` reads a 1-D uint8 array of at most ``data_bytes`` bytes (the header);
    otherwise the member must hold exactly ``shape`` of uint8 (2-D) or complex128 (1-D)
    in C order, ``data_bytes`` bytes. Sizes are checked from the zip directory before
    anything is decompressed, so a small file cannot unpack to gigabytes; zipfile then
    stops at the declared size and checks the member's CRC.
    """
    name = info.filename.removesuffix(".npy")
    limit = data_bytes + _MAX_NPY_PREAMBLE
    if info.file_size > limit:
        if shape is None:
            allowed = "a sketch header may have"
        else:
            allowed = f"an array of shape {shape} (from the header) needs"
        raise SketchFileError(
            f"{path}: corrupted sketch file: member {name!r} unpacks to {info.file_size:,} bytes, more than "
            f"the {limit:,} {allowed}; refusing to decompress it"
        )
    with archive.open(info) as member:
        major, _ = np.lib.format.read_magic(member)
        npy = np.lib.format
        read_header = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
        stored_shape, fortran_order, dtype = read_header(member, max_header_size=_MAX_NPY_PREAMBLE)
        if shape is None:
            expected_dtypes: tuple[np.dtype, ...] = (np.dtype(np.uint8),)
            ok_shape = len(stored_shape) == 1 and 0 <= stored_shape[0] <= data_bytes
        elif len(shape) == 2:
            expected_dtypes = (np.dtype(np.uint8),)
            ok_shape = tuple(stored_shape) == shape
        else:
            expected_dtypes = (np.dtype("<c16"), np.dtype(">c16"))
            ok_shape = tuple(stored_shape) == shape
        if dtype not in expected_dtypes or not ok_shape or (fortran_order and len(stored_shape) > 1):
            found = f"{dtype}{tuple(stored_shape)}{' in Fortran order' if fortran_order else ''}"
            if shape is None:
                raise SketchFileError(
                    f"{path}: corrupted sketch header: member 'header' holds {found}, expected a 1-D uint8 "
                    "array (UTF-8 JSON)"
                )
            raise SketchFileError(
                f"{path}: corrupted sketch file: arrays do not match the header: member {name!r} holds "
                f"{found}, expected {expected_dtypes[0]}{shape} in C order"
            )
        count = int(np.prod(stored_shape, dtype=np.int64))
        size = count * dtype.itemsize
        data = member.read(size + 1)  # one more: reach the end, where zipfile checks the CRC
    if len(data) != size:
        raise SketchFileError(
            f"{path}: corrupted sketch file: member {name!r} has "
            f"{len(data):,}{'+' if len(data) > size else ''} data bytes, expected {size:,}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(stored_shape)


def _parse_header(header_bytes: np.ndarray, path: str) -> dict[str, Any]:
    try:
        header = json.loads(header_bytes.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise SketchFileError(f"{path}: corrupted sketch header ({error!r})") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise SketchFileError(f"{path}: not a shap_zero sketch (format {found!r}, expected {FORMAT_NAME!r})")
    return header


def _header_int(header: dict[str, Any], key: str, path: str, minimum: int) -> int:
    value = header[key]
    if type(value) is not int or value < minimum:  # JSON true/false are bools, 4.0 a float
        raise SketchFileError(
            f"{path}: corrupted sketch header ({key} must be an integer >= {minimum}; got {value!r})"
        )
    return value


def _header_fields(
    header: dict[str, Any], path: str
) -> tuple[int, int, int, int, Alphabet | None, dict[str, Any]]:
    """Check a parsed header; return (format_version, n, q, n_terms, alphabet, metadata)."""
    version = header.get("format_version")
    if type(version) is not int or version < 1:
        raise SketchFileError(
            f"{path}: corrupted sketch header (format_version must be a positive integer; got {version!r})"
        )
    if version > FORMAT_VERSION:
        raise SketchFileError(
            f"{path}: written in sketch format version {version} by shap_zero "
            f"{header.get('library_version')}; this shap_zero ({__version__}) reads versions "
            f"up to {FORMAT_VERSION}. Upgrade shap_zero to load it."
        )
    keys = set(header)
    if keys != _HEADER_FIELDS:
        raise SketchFileError(
            f"{path}: corrupted sketch header (missing fields {sorted(_HEADER_FIELDS - keys)}, "
            f"unexpected fields {sorted(keys - _HEADER_FIELDS)})"
        )
    n = _header_int(header, "n", path, 1)
    n_terms = _header_int(header, "n_terms", path, 1)
    try:
        q = FourierSketch._check_q(header["q"])
        alphabet = None if header["alphabet"] is None else Alphabet.from_dict(header["alphabet"])
        FourierSketch._check_alphabet(alphabet, q)
    except (ShapZeroError, TypeError, ValueError) as error:
        raise SketchFileError(f"{path}: corrupted sketch header ({error})") from error
    metadata, checksum = header["metadata"], header["sha256"]
    if not isinstance(metadata, dict) or not isinstance(header["library_version"], str):
        raise SketchFileError(
            f"{path}: corrupted sketch header (metadata must be an object and library_version a string; "
            f"got {type(metadata).__name__} and {type(header['library_version']).__name__})"
        )
    if not isinstance(checksum, str) or len(checksum) != 64:
        raise SketchFileError(
            f"{path}: corrupted sketch header (sha256 must be 64 hex digits; got {checksum!r})"
        )
    return version, n, q, n_terms, alphabet, metadata

"""The q-SFT decoder: aliased transforms, peeling, least-squares refit, noise floor.

Given the model's outputs on a :class:`~shap_zero.sketch.design.SubsamplingDesign`, the
decoder recovers the frequencies and coefficients of a sparse spectrum:

1. **Aliased transforms.** The b-dimensional DFT of every block, divided by q^b, gives
   ``U_c[p, j] = sum_{M_c^T k = j} F[k] omega^<k, d_p>`` (docs/sketching.md, How q-SFT works).
2. **Peeling.** Bins whose delay pattern is that of one frequency (a singleton) reveal k
   and F[k]; the term is then subtracted from the bin it lands in in every group, which
   may turn multitons into new singletons. For real models the transforms are conjugate
   symmetric, so only one bin of each pair {j, -j} is tested and every term is peeled
   together with its conjugate (Hermitian pairing).
3. **Least-squares refit** of all found coefficients against every aliased transform of
   every block. Each block's DFT is unitary up to the factor q^b, so this is the
   least-squares fit to all queried samples; it needs only the bins the support lands in.
4. **Noise floor.** The noise energy per transform entry, ``nu = sigma^2 / q^b`` for
   i.i.d. noise of standard deviation sigma on the samples, is either given or estimated
   from the data: the median bin energy of the current residual divided by the median
   of its chi-square law. Peeling, refit and re-estimation repeat while new terms appear
   or the floor falls, so strong terms are found first and weaker ones once the residual
   has been cleaned. Thresholds are chi-square quantiles, so pure-noise bins pass a test
   by chance with probability ``false_alarm / (number of bins)``.

Nothing here is random: the result depends only on the samples and the design.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.sparse.linalg
from scipy.stats import chi2

from shap_zero._config import (
    AGREEMENT,
    DENSE_REFIT_MAX_COLUMNS,
    DIFFUSE_RATIO,
    FALSE_ALARM,
    FLOOR_DECREASE,
    MAX_BUTTERFLY_Q,
    MAX_COMPLETION_COLUMNS,
    NOISE_QUANTILE,
    RELATIVE_ENERGY_FLOOR,
)
from shap_zero._kernels.dispatch import PARALLEL_MIN_WORK, choose
from shap_zero._kernels.peeling import (
    CANDIDATE,
    SINGLETON,
    bin_energies,
    bin_energies_serial,
    bins_of_terms,
    bins_of_terms_serial,
    classify_bins,
    classify_bins_serial,
    confirm_detections,
    distinct_detections,
    group_fits,
    group_fits_serial,
    refit_normal_equations,
    subtract_terms,
)
from shap_zero._kernels.transforms import block_transforms, block_transforms_serial
from shap_zero._validation import check_int
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import _lexicographic_min
from shap_zero.sketch.design import SubsamplingDesign

__all__ = [
    "DecodeResult",
    "check_decoder_options",
    "aliased_transforms",
    "nested_samples",
    "decode",
    "refit_coefficients",
    "low_degree_frequencies",
    "count_low_degree",
    "check_complete_degree",
]

logger = logging.getLogger(__name__)

# Thresholds of the decoder live in shap_zero._config with the library's other constants.


@dataclass(frozen=True, eq=False)
class DecodeResult:
    """Frequencies and coefficients found by :func:`decode`.

    Attributes
    ----------
    frequencies : ndarray of shape (S, n), uint8
    coefficients : ndarray of shape (S,), complex128
    spectrum : {"half", "full"}
        ``"half"`` (Hermitian pairing): each frequency stands for itself and its
        conjugate, as in :class:`~shap_zero.fourier.FourierSketch` with
        ``spectrum="half"``; ``"full"``: every frequency was found on its own.
    noise_sd : float
        The noise standard deviation per sample behind the final thresholds, in model
        output units (estimated, or as given).
    n_passes : int
        Peeling passes (each followed by a refit when enabled).
    n_rounds : int
        Peeling rounds over all passes.
    n_completed : int
        Terms added by the low-degree completion after peeling (see :func:`decode`).
    history : list of dict
        Per pass: ``noise_sd``, ``new_terms``, ``rounds`` and ``residual_energy`` (the
        fraction of the transforms' energy left unexplained after the pass).
    """

    frequencies: np.ndarray
    coefficients: np.ndarray
    spectrum: Literal["half", "full"]
    noise_sd: float
    n_passes: int
    n_rounds: int
    n_completed: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def nested_samples(samples: np.ndarray, design: SubsamplingDesign, b: int) -> np.ndarray:
    """The samples of the nested design at a smaller b, from those of the full design.

    Parameters
    ----------
    samples : ndarray of shape (C * P * q^b_max,) or (C * P * q^b_max, m)
        Outputs on ``design.points()``, in its order.
    design : SubsamplingDesign
    b : int
        1 <= b <= design.b.

    Returns
    -------
    ndarray of shape (C * P * q^b,) or (C * P * q^b, m)
        Outputs on ``design.points(b)``.
    """
    b = check_int(b, name="b", minimum=1, maximum=design.b)
    samples = np.asarray(samples)
    expected = design.n_points()
    if samples.shape[0] != expected:
        raise InvalidParameterError(
            f"samples: expected {expected} rows (one per point of the design), got {samples.shape[0]}"
        )
    blocks = samples.reshape((design.n_groups * design.n_delays, design.q**design.b) + samples.shape[1:])
    step = design.q ** (design.b - b)
    return blocks[:, ::step].reshape((-1,) + samples.shape[1:])


def aliased_transforms(samples: np.ndarray, design: SubsamplingDesign, b: int | None = None) -> np.ndarray:
    """The aliased transforms ``U_c[p, j]`` of every block.

    Parameters
    ----------
    samples : ndarray of shape (C * P * q^b,)
        Real model outputs on ``design.points(b)``, in its order.
    design : SubsamplingDesign
    b : int, optional
        Defaults to ``design.b``.

    Returns
    -------
    ndarray of shape (C, q^b, P), complex128
        ``out[c, j, p] = U_c[p, j]`` with bins j in C order.
    """
    b = design.b if b is None else check_int(b, name="b", minimum=1, maximum=design.b)
    q, n_groups, n_delays = design.q, design.n_groups, design.n_delays
    samples = np.ascontiguousarray(samples, dtype=np.float64)  # one kernel signature (C layout)
    if samples.shape != (n_groups * n_delays * q**b,):
        raise InvalidParameterError(
            f"samples: expected shape ({n_groups * n_delays * q**b},) for b={b}, got {samples.shape}"
        )
    if q <= MAX_BUTTERFLY_Q:
        out = np.empty((n_groups, q**b, n_delays), dtype=np.complex128)
        transform = choose(block_transforms, block_transforms_serial, samples.size * b)
        transform(samples.reshape(n_groups, n_delays, q**b), q, b, out)
        return out
    blocks = samples.reshape((n_groups * n_delays,) + (q,) * b)
    workers = -1 if samples.size >= PARALLEL_MIN_WORK else 1  # threads only pay off on large designs
    spectra = scipy.fft.fftn(blocks, axes=tuple(range(1, b + 1)), workers=workers)
    spectra = spectra.reshape(n_groups, n_delays, q**b)
    spectra /= q**b
    return np.ascontiguousarray(spectra.transpose(0, 2, 1))


@functools.lru_cache(maxsize=32)
def _conjugate_bins(q: int, b: int) -> np.ndarray:
    """Index of -j for every bin j in C order, shape (q^b,); read-only (cached)."""
    digits = np.indices((q,) * b).reshape(b, -1)
    negated = (-digits) % q
    weights = q ** np.arange(b - 1, -1, -1)
    conj = (weights @ negated).astype(np.int64)
    conj.flags.writeable = False
    return conj


def _self_conjugate(freqs: np.ndarray, q: int) -> np.ndarray:
    return ((2 * freqs) % q == 0).all(axis=1)


def _row_keys(freqs: np.ndarray) -> list[bytes]:
    """The raw bytes of every row of an int64 array: the support's dictionary keys."""
    freqs = np.ascontiguousarray(freqs, dtype=np.int64)
    return freqs.view(np.dtype((np.void, 8 * freqs.shape[1]))).reshape(-1).tolist()


@functools.lru_cache(maxsize=256)
def _threshold_factor(dof: int, n_tests: int) -> float:
    """Quantile of chi2(2 dof) / (2 dof) that pure noise exceeds with probability FALSE_ALARM / n_tests."""
    return float(chi2.isf(FALSE_ALARM / max(n_tests, 1), 2 * dof) / (2 * dof))


@functools.lru_cache(maxsize=256)  # scipy.stats calls cost ~0.1 ms each; the arguments repeat
def _quantile_factor(dof: int, level: float) -> float:
    """The ``level`` quantile of chi2(2 dof) / (2 dof): bin energy per entry over nu, for pure noise."""
    return float(chi2.ppf(level, 2 * dof) / (2 * dof))


@functools.lru_cache(maxsize=256)
def _chi2_isf(level: float, dof: int) -> float:
    return float(chi2.isf(level, dof))




def _linear_quantile(values: np.ndarray, level: float) -> float:
    """``np.quantile(values, level)`` (linear interpolation) by partial sorting.

    The same number as NumPy's, without its per-call overhead (about 0.1 ms), which
    counted on small designs where the noise floor is re-estimated every round.
    """
    position = (values.size - 1) * level
    low = int(math.floor(position))
    high = min(low + 1, values.size - 1)
    parted = np.partition(values, (low, high))
    return float(parted[low] + (parted[high] - parted[low]) * (position - low))


class _SeparableGram:
    """A least-squares Gram matrix solved block by block.

    ``G[a, b]`` is nonzero only when columns a and b share a bin in some group. A column
    alone in its bin in every group is decoupled from all others: its equation is
    ``G_aa x_a = r_a`` and ``(G^-1)_aa = 1 / G_aa``. Only the columns that share a bin go
    through a dense solve, which on sparse supports is a small fraction (an exact
    reduction: the rest of G is diagonal).

    Parameters
    ----------
    gram : ndarray of shape (S, S), complex128
    landing : ndarray of shape (S, C), int64
        Bin of every column in every group.
    n_bins : int
        Bins per group.
    """

    def __init__(self, gram: np.ndarray, landing: np.ndarray, n_bins: int) -> None:
        flat = landing + n_bins * np.arange(landing.shape[1])
        occupancy = np.bincount(flat.reshape(-1), minlength=n_bins * landing.shape[1])
        alone = (occupancy[flat] == 1).all(axis=1)
        self.gram = gram
        self.diagonal = gram.diagonal().copy()
        self.alone = np.flatnonzero(alone)
        self.coupled = np.flatnonzero(~alone)
        if self.alone.size == 0:
            self._coupled_gram = gram
        else:
            self._coupled_gram = gram[np.ix_(self.coupled, self.coupled)] if self.coupled.size else None

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``G^-1 rhs`` for rhs of shape (S,)."""
        solution = np.empty_like(rhs)
        solution[self.alone] = rhs[self.alone] / self.diagonal[self.alone]
        if self.coupled.size:
            # NumPy's LAPACK, not SciPy's: a second OpenBLAS thread pool fights NumPy's
            # and numba's for the cores and costs milliseconds per call.
            solution[self.coupled] = np.linalg.solve(self._coupled_gram, rhs[self.coupled])
        return solution

    def inverse_diagonal(self, columns: np.ndarray) -> np.ndarray:
        """``(G^-1)_aa`` (real) for the given column indices."""
        out = np.empty(columns.size)
        position = np.full(self.gram.shape[0], -1, dtype=np.int64)
        position[self.coupled] = np.arange(self.coupled.size)
        inner = position[columns]
        lone = inner < 0
        out[lone] = 1.0 / np.real(self.diagonal[columns[lone]])
        if not lone.all():
            wanted = inner[~lone]
            units = np.zeros((self.coupled.size, wanted.size), dtype=np.complex128)
            units[wanted, np.arange(wanted.size)] = 1.0
            out[~lone] = np.real(np.linalg.solve(self._coupled_gram, units)[wanted, np.arange(wanted.size)])
        return out


@dataclass(frozen=True)
class _Candidates:
    """Frequencies tested by the completion, with their least-squares columns.

    ``freqs`` (K, n) int64; ``self_conj`` (K,) bool; ``partners`` the indices of the
    frequencies that have a conjugate column (with Hermitian pairing, else None);
    ``landing`` (K', C) and ``atoms`` (K', P) of the columns: ``freqs`` then -k for
    every partner.
    """

    freqs: np.ndarray
    self_conj: np.ndarray
    partners: np.ndarray | None
    landing: np.ndarray
    atoms: np.ndarray

    @classmethod
    def build(cls, freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int, hermitian: bool) -> _Candidates:
        landing, atoms, partners, self_conj = _refit_columns(freqs, matrices, delays, q, hermitian)
        if self_conj is None:  # without pairing the refit needs no mask; the test does
            self_conj = _self_conjugate(freqs, q)
        return cls(np.ascontiguousarray(freqs), self_conj, partners, landing, atoms)

    @property
    def n_freqs(self) -> int:
        return self.freqs.shape[0]

    @property
    def n_columns(self) -> int:
        return self.landing.shape[0]

    def subset(self, keep: np.ndarray) -> _Candidates:
        """The candidates where ``keep`` (K,) is True, columns in the same order."""
        if self.partners is None:
            return _Candidates(
                np.ascontiguousarray(self.freqs[keep]), self.self_conj[keep], None,
                np.ascontiguousarray(self.landing[keep]), np.ascontiguousarray(self.atoms[keep]),
            )  # fmt: skip
        columns = np.concatenate([keep, keep[self.partners]])
        self_conj = self.self_conj[keep]
        return _Candidates(
            np.ascontiguousarray(self.freqs[keep]), self_conj, np.flatnonzero(~self_conj),
            np.ascontiguousarray(self.landing[columns]), np.ascontiguousarray(self.atoms[columns]),
        )  # fmt: skip


class _Peeler:
    """Mutable decoding state over the transforms of one output."""

    def __init__(
        self,
        transforms: np.ndarray,
        design: SubsamplingDesign,
        b: int,
        hermitian: bool,
        max_degree: int,
        peel_fraction: float,
    ) -> None:
        self.transforms = transforms
        self.q = design.q
        self.n = design.n
        self.b = b
        self.matrices = np.ascontiguousarray(design.matrices[:, :, :b], dtype=np.int64)
        self.offsets = np.ascontiguousarray(design.offsets, dtype=np.int64)
        self.delays = design.delays.astype(np.int64)
        self.roots = np.exp(2j * np.pi * np.arange(self.q) / self.q)
        self.conj_bin = _conjugate_bins(self.q, b)
        self.hermitian = hermitian
        self.max_degree = max_degree
        self.peel_fraction = peel_fraction
        n_groups, n_bins, _ = transforms.shape
        self.n_bins = n_bins
        all_bins = np.arange(n_groups * n_bins, dtype=np.int64)
        if hermitian:
            j = all_bins % n_bins
            all_bins = all_bins[j <= self.conj_bin[j]]
        self.test_bins = all_bins
        self.freqs = np.zeros((0, self.n), dtype=np.int64)
        self.coefs = np.zeros(0, dtype=np.complex128)
        # The support's own least-squares columns, kept in step with freqs for the refits.
        self.landing = np.zeros((0, n_groups), dtype=np.int64)
        self.atoms = np.zeros((0, self.delays.shape[0]), dtype=np.complex128)
        self.index: dict[bytes, int] = {}
        self.residual = transforms.copy()
        self.total_energy = float(np.vdot(transforms, transforms).real)
        #: Energy per transform entry that counts as floating-point round-off.
        self.entry_floor = RELATIVE_ENERGY_FLOOR * self.total_energy / transforms.size

    # -------------------------------------------------------------- noise floor
    def residual_energies(self) -> np.ndarray:
        """||u||^2 of every tested bin of the current residual."""
        energies = np.empty(self.residual.shape[:2], dtype=np.float64)
        choose(bin_energies, bin_energies_serial, self.residual.size)(self.residual, energies)
        return energies.reshape(-1)[self.test_bins]

    def estimate_entry_noise(self) -> float:
        """Noise energy per transform entry from the median bin energy of the residual."""
        n_delays = self.residual.shape[2]
        energies = self.residual_energies() / n_delays
        level = _linear_quantile(energies, NOISE_QUANTILE)
        return max(level / _quantile_factor(n_delays, NOISE_QUANTILE), self.entry_floor)

    # ------------------------------------------------------------------ peeling
    def peel(self, entry_noise: float, max_rounds: int) -> tuple[int, int, int]:
        """Peel until no bin is a singleton.

        Returns (new terms, rounds, peeled), where ``peeled`` also counts corrections
        to terms already in the support.
        """
        n_delays = self.residual.shape[2]
        n_tests = self.test_bins.size
        zero_threshold = n_delays * entry_noise * _threshold_factor(n_delays, n_tests)
        singleton_threshold = (n_delays - 1) * entry_noise * _threshold_factor(max(n_delays - 1, 1), n_tests)
        to_test = self.test_bins
        new_terms = 0
        peeled = 0
        rounds = 0
        touched = np.zeros(self.residual.shape[0] * self.n_bins, dtype=np.bool_)
        while to_test.size and rounds < max_rounds:
            rounds += 1
            status = np.empty(to_test.size, dtype=np.int64)
            found = np.empty((to_test.size, self.n), dtype=np.int64)
            values = np.empty(to_test.size, dtype=np.complex128)
            residuals = np.empty(to_test.size, dtype=np.float64)
            classify = choose(classify_bins, classify_bins_serial, to_test.size * n_delays)
            classify(
                self.residual, to_test, self.matrices, self.offsets, self.roots,
                zero_threshold, singleton_threshold, self.max_degree,
                status, found, values, residuals,
            )  # fmt: skip
            tested = np.flatnonzero((status == SINGLETON) | (status == CANDIDATE))
            tested_values = values[tested]
            accepted = self._confirm(found[tested], tested_values, status[tested] == SINGLETON, zero_threshold)
            values[tested] = tested_values
            singles = tested[accepted]
            if singles.size == 0:
                break
            freqs, coefs, pending = self._select(found[singles], values[singles], residuals[singles])
            touched[:] = False
            subtract_terms(
                self.residual, freqs, coefs, self.matrices, self.offsets, self.roots,
                self.conj_bin, self.hermitian, touched,
            )  # fmt: skip
            new_terms += self._register(freqs, coefs)
            peeled += freqs.shape[0]
            changed = np.flatnonzero(touched)
            if self.hermitian:
                j = changed % self.n_bins
                changed = changed - j + np.minimum(j, self.conj_bin[j])
            to_test = np.union1d(changed, to_test[singles[pending]])
        return new_terms, rounds, peeled

    def _confirm(
        self, freqs: np.ndarray, values: np.ndarray, clean: np.ndarray, zero_threshold: float
    ) -> np.ndarray:
        """Check each detected frequency against the bins it lands in, in every group.

        A true term's energy shows in all C groups: a frequency that lands in a
        zero-ton elsewhere is rejected (peeling such a false singleton would write a
        ghost there that is detected back next round). A clean singleton (it fits its
        bin to within the noise) is then accepted with its own value. A candidate (a
        term over a tail of others) is accepted when every group's estimate of its
        coefficient is within ``AGREEMENT`` of their mean's magnitude from the mean and
        the mean passes the zero-ton test; it is peeled with the mean
        (:func:`~shap_zero._kernels.peeling.confirm_detections`).

        Returns the accepted mask; ``values`` of candidates become the groups' mean in place.
        """
        n_groups = self.matrices.shape[0]
        n_delays = self.residual.shape[2]
        fits = np.empty((freqs.shape[0], n_groups), dtype=np.complex128)
        residuals = np.empty((freqs.shape[0], n_groups), dtype=np.float64)
        energies = np.empty((freqs.shape[0], n_groups), dtype=np.float64)
        fit = choose(group_fits, group_fits_serial, freqs.shape[0] * n_groups * n_delays)
        fit(self.residual, freqs, self.matrices, self.offsets, self.roots, fits, residuals, energies)
        accepted = np.empty(freqs.shape[0], dtype=np.bool_)
        confirm_detections(fits, energies, clean, values, n_delays, zero_threshold, AGREEMENT, accepted)
        return accepted

    def _select(
        self, freqs: np.ndarray, values: np.ndarray, residuals: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One occurrence per distinct frequency (the best fitting), the best fraction of them.

        ``freqs`` and ``values`` are made canonical in place (Hermitian pairing).
        Returns the frequencies and coefficients to peel, and the indices of the singletons
        left for a later round.
        """
        ids = np.empty(freqs.shape[0], dtype=np.int64)
        best = np.empty(freqs.shape[0], dtype=np.int64)
        n_distinct = distinct_detections(freqs, values, residuals, self.q, self.hermitian, ids, best)
        best = best[:n_distinct]
        best = best[np.argsort(residuals[best], kind="stable")]
        n_peel = n_distinct
        if self.peel_fraction < 1.0:
            n_peel = max(1, int(math.floor(self.peel_fraction * n_peel)))
        peel = best[:n_peel]
        peeled = np.zeros(n_distinct, dtype=np.bool_)
        peeled[ids[peel]] = True
        pending = np.flatnonzero(~peeled[ids])
        return freqs[peel], values[peel], pending

    def _register(
        self,
        freqs: np.ndarray,
        coefs: np.ndarray,
        landing: np.ndarray | None = None,
        atoms: np.ndarray | None = None,
    ) -> int:
        """Add peeled coefficients to the support; returns how many frequencies are new.

        ``freqs`` (int64) holds distinct rows; a row already in the support is a
        correction to its coefficient. ``landing`` and ``atoms``, the rows' own columns
        (:func:`_term_columns`), are computed when not given.
        """
        keys = _row_keys(freqs)
        known = np.fromiter((self.index.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        old = known >= 0
        self.coefs[known[old]] += coefs[old]
        new = np.flatnonzero(~old)
        if new.size:
            start = len(self.index)
            self.index.update((keys[i], start + offset) for offset, i in enumerate(new.tolist()))
            self.freqs = np.vstack([self.freqs, freqs[new]])
            self.coefs = np.concatenate([self.coefs, coefs[new].astype(np.complex128)])
            if landing is None or atoms is None:
                landing, atoms = _term_columns(freqs[new], self.matrices, self.delays, self.q)
            else:
                landing, atoms = landing[new], atoms[new]
            self.landing = np.concatenate([self.landing, landing])
            self.atoms = np.concatenate([self.atoms, atoms])
        return int(new.size)

    # --------------------------------------------------------------- completion
    def residual_is_diffuse(self) -> bool:
        """Whether the residual is spread over the bins like noise or a dense tail.

        The mean bin energy must be within DIFFUSE_RATIO of the median. A few missed
        strong terms (a design too small for the spectrum) leave most bins empty and
        the mean far above the median; completion would then mistake their energy for
        low-degree terms.
        """
        energies = self.residual_energies()
        return bool(energies.mean() <= DIFFUSE_RATIO * _linear_quantile(energies, 0.5))

    def complete(self, candidates: _Candidates, refit: bool) -> int:
        """Add the candidate frequencies that are significant against the residual.

        The candidates not yet in the support are fitted jointly, by least squares, to
        the residual of every group (estimates x_k). Their uncertainty is that of a
        whole bin, not of one transform entry: the delays barely tell a low-degree
        frequency from the low-degree terms of the tail that share its bins, so the P
        entries of a bin count as one measurement, and the variance of x_k is taken as
        ``V_k = nu * P * (G^-1)_kk``, with G the candidates' Gram matrix and nu the
        residual energy per entry. A candidate is accepted when

        - ``2 |x_k|^2 / V_k`` exceeds the chi-square(2) quantile at level
          ``FALSE_ALARM / (number of candidates)`` (``|x_k|^2 / V_k`` and chi-square(1)
          for a real, self-conjugate k), and
        - every group agrees: its own estimate, x_k plus the projection on k of what
          the joint fit leaves in k's bin, is within ``|x_k|`` of x_k. A missed term of
          higher degree that shares a bin with k in one group fails this.

        Parameters
        ----------
        candidates : _Candidates
            With Hermitian pairing, one frequency of each pair {k, -k}.
        refit : bool
            Refit the whole support after adding the accepted terms.

        Returns
        -------
        int
            Terms added.
        """
        fresh = np.fromiter(
            (key not in self.index for key in _row_keys(candidates.freqs)), dtype=np.bool_, count=candidates.n_freqs
        )
        if not fresh.any():
            return 0
        candidates = candidates.subset(fresh)
        n_candidates, partners, self_conj = candidates.n_freqs, candidates.partners, candidates.self_conj
        n_groups, _, n_delays = self.residual.shape
        gram = np.empty((candidates.n_columns,) * 2, dtype=np.complex128)
        rhs = np.empty(candidates.n_columns, dtype=np.complex128)
        refit_normal_equations(candidates.landing, candidates.atoms, self.residual, gram, rhs)
        gram.flat[:: gram.shape[0] + 1] += 1e-10 * n_groups * n_delays  # separates nothing, guards a singular G
        system = _SeparableGram(gram, candidates.landing, self.n_bins)
        solution = system.solve(rhs)
        estimates = _hermitian_coefficients(solution, n_candidates, self.hermitian, partners, self_conj)
        support_columns = self.freqs.shape[0] + (int((~_self_conjugate(self.freqs, self.q)).sum()) if self.hermitian else 0)
        entry_noise = float(np.vdot(self.residual, self.residual).real) / max(self.residual.size - support_columns, 1)
        entry_noise = max(entry_noise, self.entry_floor)
        level = FALSE_ALARM / n_candidates
        # A self-conjugate k has a real coefficient: one degree of freedom, not two.
        threshold = np.where(self_conj, _chi2_isf(level, 1), _chi2_isf(level, 2))
        scaled = np.where(self_conj, 1.0, 2.0) * np.abs(estimates) ** 2 / (entry_noise * n_delays)
        # (G^-1)_kk >= 1 / G_kk: the statistic is at most scaled * G_kk, so only the
        # candidates above the threshold by that bound need (G^-1)_kk, from a solve
        # against their unit vectors (a full inverse costs 3x a solve).
        bounded = np.flatnonzero(scaled * np.real(system.diagonal[:n_candidates]) > threshold)
        if bounded.size == 0:
            return 0
        statistic = np.zeros(n_candidates)
        statistic[bounded] = scaled[bounded] / system.inverse_diagonal(bounded)
        # Each group's own estimate, x_k plus the projection of what the joint fit left
        # in that group's bin, must agree with x_k: a missed term of higher degree that
        # shares a bin with k in one group would otherwise pass for k.
        after_fit = self.residual.copy()
        touched = np.zeros(n_groups * self.n_bins, dtype=np.bool_)
        subtract_terms(
            after_fit, candidates.freqs, estimates, self.matrices, self.offsets, self.roots,
            self.conj_bin, self.hermitian, touched,
        )  # fmt: skip
        deviations = np.empty((n_candidates, n_groups), dtype=np.complex128)
        unused = np.empty((n_candidates, n_groups), dtype=np.float64)
        fit = choose(group_fits, group_fits_serial, n_candidates * n_groups * n_delays)
        fit(after_fit, candidates.freqs, self.matrices, self.offsets, self.roots, deviations, unused, unused.copy())
        agree = (np.abs(deviations) <= np.abs(estimates)[:, None]).all(axis=1)
        accepted = np.flatnonzero((statistic > threshold) & agree)
        if accepted.size == 0:
            return 0
        freqs = np.ascontiguousarray(candidates.freqs[accepted])
        coefs = np.ascontiguousarray(estimates[accepted])
        touched[:] = False
        subtract_terms(
            self.residual, freqs, coefs, self.matrices, self.offsets, self.roots,
            self.conj_bin, self.hermitian, touched,
        )  # fmt: skip
        added = self._register(freqs, coefs, candidates.landing[accepted], candidates.atoms[accepted])
        if refit:
            self.refit()
        return added

    # -------------------------------------------------------------------- refit
    def refit(self) -> None:
        """Least-squares coefficients of the found support; the residual is rebuilt from them."""
        if self.freqs.shape[0]:
            columns = _with_partners(self.freqs, self.landing, self.atoms, self.q, self.b, self.hermitian)
            self.coefs = _solve_refit(self.transforms, self.freqs.shape[0], *columns, self.hermitian)
        self.rebuild_residual()

    def rebuild_residual(self) -> None:
        self.residual = self.transforms.copy()
        touched = np.zeros(self.residual.shape[0] * self.n_bins, dtype=np.bool_)
        subtract_terms(
            self.residual, self.freqs, self.coefs, self.matrices, self.offsets, self.roots,
            self.conj_bin, self.hermitian, touched,
        )  # fmt: skip

    def unexplained(self) -> float:
        if self.total_energy == 0.0:
            return 0.0
        return float(np.vdot(self.residual, self.residual).real / self.total_energy)


def refit_coefficients(
    transforms: np.ndarray,
    freqs: np.ndarray,
    matrices: np.ndarray,
    delays: np.ndarray,
    q: int,
    *,
    hermitian: bool = True,
) -> np.ndarray:
    """Least-squares coefficients of a fixed support against all aliased transforms.

    Parameters
    ----------
    transforms : ndarray of shape (C, q^b, P), complex128
    freqs : ndarray of shape (S, n), int64
        The support. With ``hermitian``, each row stands for k and -k.
    matrices : ndarray of shape (C, n, b), int64
    delays : ndarray of shape (P, n), int64
    q : int
    hermitian : bool, default True
        Solve for ``F[k]`` with ``F[-k] = conj(F[k])`` (the transforms of real samples);
        otherwise every row of ``freqs`` is an independent coefficient.

    Returns
    -------
    ndarray of shape (S,), complex128
        Real for self-conjugate frequencies when ``hermitian``.
    """
    if freqs.shape[0] == 0:
        return np.zeros(0, dtype=np.complex128)
    columns = _refit_columns(freqs, matrices, delays, q, hermitian)
    return _solve_refit(transforms, freqs.shape[0], *columns, hermitian)


def _solve_refit(
    transforms: np.ndarray,
    n_terms: int,
    landing: np.ndarray,
    atoms: np.ndarray,
    partners: np.ndarray | None,
    self_conj: np.ndarray | None,
    hermitian: bool,
) -> np.ndarray:
    """:func:`refit_coefficients` from the columns of :func:`_with_partners`."""
    n_groups, n_bins, n_delays = transforms.shape
    n_columns = landing.shape[0]
    ridge = 1e-14 * n_groups * n_delays
    if n_columns <= DENSE_REFIT_MAX_COLUMNS:
        # Small supports: the normal equations straight from the bins, solved densely
        # (scipy.sparse's constructors cost more than the solve here).
        gram = np.empty((n_columns, n_columns), dtype=np.complex128)
        rhs = np.empty(n_columns, dtype=np.complex128)
        refit_normal_equations(landing, atoms, np.ascontiguousarray(transforms), gram, rhs)
        gram.flat[:: n_columns + 1] += ridge
        solution = _SeparableGram(gram, landing, n_bins).solve(rhs)
        return _hermitian_coefficients(solution, n_terms, hermitian, partners, self_conj)
    flat = landing + np.arange(n_groups)[None, :] * n_bins  # (S', C) global bin ids
    occupied, block = np.unique(flat.reshape(-1), return_inverse=True)
    rows = (block.reshape(n_columns, n_groups)[:, :, None] * n_delays + np.arange(n_delays)).reshape(-1)
    cols = np.repeat(np.arange(n_columns), n_groups * n_delays)
    data = np.broadcast_to(atoms[:, None, :], (n_columns, n_groups, n_delays)).reshape(-1)
    design_matrix = scipy.sparse.csr_matrix(
        (data, (rows, cols)), shape=(occupied.size * n_delays, n_columns)
    )
    target = transforms.reshape(n_groups * n_bins, n_delays)[occupied].reshape(-1)
    adjoint = design_matrix.conj().T.tocsr()
    gram = (adjoint @ design_matrix).tocsc()
    # Columns of distinct frequencies are never equal (the identity delays pin k down), a
    # ridge at round-off level only guards against near-duplicates.
    gram = gram + scipy.sparse.identity(n_columns, format="csc") * ridge
    solution = np.atleast_1d(scipy.sparse.linalg.spsolve(gram, adjoint @ target))
    return _hermitian_coefficients(solution, n_terms, hermitian, partners, self_conj)


def _term_columns(
    freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every frequency's bin in every group, (S, C) int64, and atoms ``omega^<k, d_p>``, (S, P)."""
    freqs = np.ascontiguousarray(freqs, dtype=np.int64)
    landing = np.empty((freqs.shape[0], matrices.shape[0]), dtype=np.int64)
    choose(bins_of_terms, bins_of_terms_serial, landing.size * matrices.shape[1])(freqs, matrices, q, landing)
    roots = np.exp(2j * np.pi * np.arange(q) / q)
    # <k, d_p> through a float product: exact (entries below n q^2 << 2^53) and 3x faster
    # than NumPy's integer matmul, which has no BLAS.
    phases = (freqs.astype(np.float64) @ delays.T.astype(np.float64)).astype(np.int64) % q
    return landing, np.take(roots, phases)


def _with_partners(
    freqs: np.ndarray, landing: np.ndarray, atoms: np.ndarray, q: int, b: int, hermitian: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Unknowns of a least-squares fit: the support, then -k of every non-self-conjugate k.

    Takes the support's own columns (:func:`_term_columns`) and returns the columns'
    landing bins (S', C) and atoms (S', P); with ``hermitian`` also the indices of the
    frequencies that have a partner column and the self-conjugate mask (else None).
    """
    if not hermitian:
        return landing, atoms, None, None
    self_conj = _self_conjugate(freqs, q)
    partners = np.flatnonzero(~self_conj)
    # -k lands in the bin of -j and has the conjugate atoms: nothing to recompute.
    landing = np.concatenate([landing, _conjugate_bins(q, b)[landing[partners]]])
    atoms = np.concatenate([atoms, np.conj(atoms[partners])])
    return landing, atoms, partners, self_conj


def _refit_columns(
    freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int, hermitian: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`_with_partners` of the columns of ``freqs``."""
    landing, atoms = _term_columns(freqs, matrices, delays, q)
    return _with_partners(freqs, landing, atoms, q, matrices.shape[2], hermitian)


def _hermitian_coefficients(
    solution: np.ndarray, n_terms: int, hermitian: bool, partners: np.ndarray | None, self_conj: np.ndarray | None
) -> np.ndarray:
    """The refit's coefficients of the support from the solution over its columns."""
    if not hermitian:
        return solution.astype(np.complex128)
    coefs = solution[:n_terms].astype(np.complex128)
    # Average F[k] and conj(F[-k]): equal up to round-off for real samples.
    coefs[partners] = 0.5 * (coefs[partners] + np.conj(solution[n_terms:]))
    coefs[self_conj] = coefs[self_conj].real
    return coefs


def count_low_degree(n: int, q: int, degree: int) -> int:
    """Number of frequencies with 1 to ``degree`` nonzero entries: sum_d C(n, d) (q - 1)^d."""
    return sum(math.comb(n, d) * (q - 1) ** d for d in range(1, degree + 1))


def low_degree_frequencies(n: int, q: int, degree: int, *, hermitian: bool = True) -> np.ndarray:
    """Every frequency with 1 to ``degree`` nonzero entries.

    Parameters
    ----------
    n, q : int
    degree : int
    hermitian : bool, default True
        Keep one frequency of each pair {k, -k} (the lexicographically smaller).

    Returns
    -------
    ndarray of shape (K, n), int64
        Sorted by degree, then positions, then values.
    """
    blocks = [np.zeros((0, n), dtype=np.int64)]
    for size in range(1, min(degree, n) + 1):
        positions = np.array(list(itertools.combinations(range(n), size)), dtype=np.int64)  # (P_d, d)
        values = np.indices((q - 1,) * size).reshape(size, -1).T + 1  # (V_d, d)
        block = np.zeros((positions.shape[0], values.shape[0], n), dtype=np.int64)
        rows = np.arange(positions.shape[0])[:, None, None]
        cols = np.arange(values.shape[0])[None, :, None]
        block[rows, cols, positions[:, None, :]] = values[None, :, :]
        blocks.append(block.reshape(-1, n))
    freqs = np.concatenate(blocks)
    if hermitian:
        _, flipped = _lexicographic_min(freqs, (-freqs) % q)  # keep k, drop -k
        freqs = freqs[~flipped]
    return np.ascontiguousarray(freqs)


@functools.lru_cache(maxsize=32)
def _cached_low_degree(n: int, q: int, degree: int, hermitian: bool) -> np.ndarray:
    freqs = low_degree_frequencies(n, q, degree, hermitian=hermitian)
    freqs.setflags(write=False)
    return freqs


def check_complete_degree(complete_degree: object, n: int, q: int, max_degree: int | None = None) -> int:
    """Validate ``complete_degree`` for length n over q letters (shared with QSFT).

    Returns the degree the completion uses: at most ``max_degree`` and n.
    """
    complete_degree = check_int(complete_degree, name="complete_degree", minimum=0)
    complete_degree = min(complete_degree, n if max_degree is None else max_degree)
    n_columns = count_low_degree(n, q, complete_degree)
    if n_columns > MAX_COMPLETION_COLUMNS:
        raise InvalidParameterError(
            f"complete_degree: {complete_degree} gives {n_columns:,} candidate frequencies at n={n}, q={q}; "
            f"at most {MAX_COMPLETION_COLUMNS:,} are tested jointly. Use a smaller complete_degree "
            f"(1 gives {count_low_degree(n, q, 1):,})."
        )
    return complete_degree


def check_decoder_options(noise_sd: object, peel_fraction: object) -> None:
    """Raise InvalidParameterError for a bad ``noise_sd`` or ``peel_fraction`` (shared with QSFT)."""
    if isinstance(noise_sd, str):
        valid = noise_sd == "auto"
    else:
        valid = (
            isinstance(noise_sd, (int, float, np.integer, np.floating))
            and not isinstance(noise_sd, bool)
            and math.isfinite(noise_sd)
            and noise_sd >= 0
        )
    if not valid:
        raise InvalidParameterError(f"noise_sd: expected 'auto' or a number >= 0, got {noise_sd!r}")
    if not (
        isinstance(peel_fraction, (int, float, np.integer, np.floating))
        and not isinstance(peel_fraction, bool)
        and 0 < peel_fraction <= 1
    ):
        raise InvalidParameterError(f"peel_fraction: expected a number in (0, 1], got {peel_fraction!r}")


def decode(
    samples: np.ndarray,
    design: SubsamplingDesign,
    *,
    b: int | None = None,
    noise_sd: float | Literal["auto"] = "auto",
    refit: bool = True,
    hermitian: bool = True,
    max_degree: int | None = None,
    peel_fraction: float = 1.0,
    complete_degree: int = 1,
    max_passes: int = 20,
    max_rounds: int = 1000,
) -> DecodeResult:
    """Recover a sparse spectrum from the outputs of one model output on a design.

    Parameters
    ----------
    samples : ndarray of shape (C * P * q^b,)
        Real model outputs on ``design.points(b)``, in its order.
    design : SubsamplingDesign
    b : int, optional
        Decode the nested design at this b (samples must then be those of
        ``design.points(b)``, see :func:`nested_samples`). Defaults to ``design.b``.
    noise_sd : float or "auto", default "auto"
        Standard deviation of the noise on one sample, in model-output units, that the
        bin tests treat as noise. ``"auto"`` estimates it from the transforms and lowers
        it pass by pass as terms are explained. A float fixes it (one pass without
        refit, as the paper's decoder, or passes until no new term with refit).
    refit : bool, default True
        Least-squares refit of the support after every pass.
    hermitian : bool, default True
        Pair k with -k (the samples are real). False decodes both separately, as the
        paper's code does.
    max_degree : int, optional
        Reject singletons with more nonzero entries.
    peel_fraction : float in (0, 1], default 1.0
        Fraction of the round's singletons (best fitting first) peeled per round; the
        paper's code peels 0.1, which is slower but more cautious under noise.
    complete_degree : int, default 1
        After peeling, every frequency of degree 1 to ``complete_degree`` (and at most
        ``max_degree``) that peeling did not find is fitted to the residual and added
        when significant (see ``_Peeler.complete``): terms too weak to show as a
        singleton in any bin, typically the first-order effects of weak positions.
        0 switches it off, as in the paper's decoder. The candidates, sum_d C(n, d)
        (q - 1)^d, must number at most :data:`MAX_COMPLETION_COLUMNS`.
    max_passes, max_rounds : int
        Limits on peel-refit passes and on rounds per pass.

    Returns
    -------
    DecodeResult
    """
    b = design.b if b is None else check_int(b, name="b", minimum=1, maximum=design.b)
    if max_degree is None:
        max_degree = design.n
    max_degree = check_int(max_degree, name="max_degree", minimum=0, maximum=design.n)
    max_passes = check_int(max_passes, name="max_passes", minimum=1)
    max_rounds = check_int(max_rounds, name="max_rounds", minimum=1)
    check_decoder_options(noise_sd, peel_fraction)
    complete_degree = check_complete_degree(complete_degree, design.n, design.q, max_degree)
    auto = isinstance(noise_sd, str)
    transforms = aliased_transforms(samples, design, b)
    peeler = _Peeler(transforms, design, b, hermitian, max_degree, float(peel_fraction))
    block_size = design.q**b
    entry_noise = peeler.estimate_entry_noise() if auto else max(float(noise_sd) ** 2 / block_size, peeler.entry_floor)
    history: list[dict[str, float]] = []
    n_rounds = 0
    for _ in range(max_passes if (auto or refit) else 1):
        new_terms, rounds, peeled = peeler.peel(entry_noise, max_rounds)
        n_rounds += rounds
        if refit and peeled:
            # Corrections to known terms count too: left unrefit they would move the
            # coefficients off the least-squares fit.
            peeler.refit()
        history.append(
            {
                "noise_sd": math.sqrt(entry_noise * block_size),
                "new_terms": new_terms,
                "rounds": rounds,
                "residual_energy": peeler.unexplained(),
            }
        )
        logger.debug("q-SFT pass %d: %s", len(history), history[-1])
        if history[-1]["residual_energy"] <= RELATIVE_ENERGY_FLOOR:
            break  # everything explained: an exactly sparse model
        if not auto:
            if new_terms == 0:
                break
            continue
        estimate = peeler.estimate_entry_noise()
        if new_terms == 0 and estimate > FLOOR_DECREASE * entry_noise:
            break
        entry_noise = min(estimate, entry_noise)
    n_completed = 0
    if complete_degree and peeler.unexplained() > RELATIVE_ENERGY_FLOOR and peeler.residual_is_diffuse():
        candidates = _Candidates.build(
            _cached_low_degree(design.n, design.q, complete_degree, hermitian),
            peeler.matrices, peeler.delays, design.q, hermitian,
        )  # fmt: skip
        for _ in range(max_passes):  # accepted terms clean the residual; others may then pass
            added = peeler.complete(candidates, refit)
            n_completed += added
            if not added:
                break
        logger.debug("q-SFT completion: %d low-degree terms added", n_completed)
    frequencies = peeler.freqs.astype(np.uint8)
    return DecodeResult(
        frequencies=frequencies,
        coefficients=peeler.coefs.copy(),
        spectrum="half" if hermitian else "full",
        noise_sd=math.sqrt(entry_noise * block_size),
        n_passes=len(history),
        n_rounds=n_rounds,
        n_completed=n_completed,
        history=history,
    )

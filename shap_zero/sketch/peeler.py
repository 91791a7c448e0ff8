"""The peeler: singleton detection, Hermitian peeling, refits and the noise floor, round by round."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from shap_zero._config import (
    AGREEMENT,
    DIFFUSE_RATIO,
    FALSE_ALARM,
    NOISE_QUANTILE,
    RELATIVE_ENERGY_FLOOR,
)
from shap_zero._kernels.dispatch import choose
from shap_zero._kernels.peeling import (
    CANDIDATE,
    SINGLETON,
    bin_energies,
    bin_energies_serial,
    classify_bins,
    classify_bins_serial,
    confirm_detections,
    distinct_detections,
    group_fits,
    group_fits_serial,
    refit_normal_equations,
    subtract_terms,
)
from shap_zero.sketch.conjugates import conjugate_bins, row_keys, self_conjugate
from shap_zero.sketch.design import SubsamplingDesign
from shap_zero.sketch.refit import (
    SeparableGram,
    hermitian_coefficients,
    refit_columns,
    solve_refit,
    term_columns,
    with_partners,
)
from shap_zero.sketch.statistics import chi2_isf, linear_quantile, quantile_factor, threshold_factor

__all__ = ["Candidates", "Peeler"]


@dataclass(frozen=True)
class Candidates:
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
    def build(
        cls, freqs: np.ndarray, matrices: np.ndarray, delays: np.ndarray, q: int, hermitian: bool
    ) -> Candidates:
        landing, atoms, partners, self_conj = refit_columns(freqs, matrices, delays, q, hermitian)
        if self_conj is None:  # without pairing the refit needs no mask; the test does
            self_conj = self_conjugate(freqs, q)
        return cls(np.ascontiguousarray(freqs), self_conj, partners, landing, atoms)

    @property
    def n_freqs(self) -> int:
        return self.freqs.shape[0]

    @property
    def n_columns(self) -> int:
        return self.landing.shape[0]

    def subset(self, keep: np.ndarray) -> Candidates:
        """The candidates where ``keep`` (K,) is True, columns in the same order."""
        if self.partners is None:
            return Candidates(
                np.ascontiguousarray(self.freqs[keep]), self.self_conj[keep], None,
                np.ascontiguousarray(self.landing[keep]), np.ascontiguousarray(self.atoms[keep]),
            )  # fmt: skip
        columns = np.concatenate([keep, keep[self.partners]])
        self_conj = self.self_conj[keep]
        return Candidates(
            np.ascontiguousarray(self.freqs[keep]), self_conj, np.flatnonzero(~self_conj),
            np.ascontiguousarray(self.landing[columns]), np.ascontiguousarray(self.atoms[columns]),
        )  # fmt: skip


class Peeler:
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
        self.conj_bin = conjugate_bins(self.q, b)
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
        level = linear_quantile(energies, NOISE_QUANTILE)
        return max(level / quantile_factor(n_delays, NOISE_QUANTILE), self.entry_floor)

    # ------------------------------------------------------------------ peeling
    def peel(self, entry_noise: float, max_rounds: int) -> tuple[int, int, int]:
        """Peel until no bin is a singleton.

        Returns (new terms, rounds, peeled), where ``peeled`` also counts corrections
        to terms already in the support.
        """
        n_delays = self.residual.shape[2]
        n_tests = self.test_bins.size
        zero_threshold = n_delays * entry_noise * threshold_factor(n_delays, n_tests)
        singleton_threshold = (n_delays - 1) * entry_noise * threshold_factor(max(n_delays - 1, 1), n_tests)
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
            accepted = self._confirm(
                found[tested], tested_values, status[tested] == SINGLETON, zero_threshold
            )
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
        (:func:`term_columns`), are computed when not given.
        """
        keys = row_keys(freqs)
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
                landing, atoms = term_columns(freqs[new], self.matrices, self.delays, self.q)
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
        return bool(energies.mean() <= DIFFUSE_RATIO * linear_quantile(energies, 0.5))

    def complete(self, candidates: Candidates, refit: bool) -> int:
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
        candidates : Candidates
            With Hermitian pairing, one frequency of each pair {k, -k}.
        refit : bool
            Refit the whole support after adding the accepted terms.

        Returns
        -------
        int
            Terms added.
        """
        fresh = np.fromiter(
            (key not in self.index for key in row_keys(candidates.freqs)),
            dtype=np.bool_,
            count=candidates.n_freqs,
        )
        if not fresh.any():
            return 0
        candidates = candidates.subset(fresh)
        n_candidates, partners, self_conj = candidates.n_freqs, candidates.partners, candidates.self_conj
        n_groups, _, n_delays = self.residual.shape
        gram = np.empty((candidates.n_columns,) * 2, dtype=np.complex128)
        rhs = np.empty(candidates.n_columns, dtype=np.complex128)
        refit_normal_equations(candidates.landing, candidates.atoms, self.residual, gram, rhs)
        gram.flat[:: gram.shape[0] + 1] += (
            1e-10 * n_groups * n_delays
        )  # separates nothing, guards a singular G
        system = SeparableGram(gram, candidates.landing, self.n_bins)
        solution = system.solve(rhs)
        estimates = hermitian_coefficients(solution, n_candidates, self.hermitian, partners, self_conj)
        support_columns = self.freqs.shape[0] + (
            int((~self_conjugate(self.freqs, self.q)).sum()) if self.hermitian else 0
        )
        entry_noise = float(np.vdot(self.residual, self.residual).real) / max(
            self.residual.size - support_columns, 1
        )
        entry_noise = max(entry_noise, self.entry_floor)
        level = FALSE_ALARM / n_candidates
        # A self-conjugate k has a real coefficient: one degree of freedom, not two.
        threshold = np.where(self_conj, chi2_isf(level, 1), chi2_isf(level, 2))
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
        fit(
            after_fit,
            candidates.freqs,
            self.matrices,
            self.offsets,
            self.roots,
            deviations,
            unused,
            unused.copy(),
        )
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
            columns = with_partners(self.freqs, self.landing, self.atoms, self.q, self.b, self.hermitian)
            self.coefs = solve_refit(self.transforms, self.freqs.shape[0], *columns, self.hermitian)
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

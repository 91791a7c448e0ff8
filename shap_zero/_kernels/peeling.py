"""Bin tests and peeling updates of the q-SFT decoder.

The aliased transforms are held as one array ``bins`` of shape (C, J, P): group c, bin j
(J = q^b, C order) and delay p. Delays follow the identity design of
:mod:`shap_zero.sketch.design`: delay ``p = r (n + 1) + i`` is the offset ``r_r`` for
i = 0 and ``r_r - e_i`` for i = 1..n, so the phase of frequency k at delay p is
``<k, r_r> - k_i`` and needs no (P, n) product.

A frequency k lands in bin ``j = M_c^T k (mod q)`` of group c; its conjugate -k lands in
``conj_bin[j]``, the bin of -j.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from shap_zero._kernels.dispatch import serial_twin

#: Status codes written by :func:`classify_bins`.
ZERO_TON = 0
SINGLETON = 1
MULTITON = 2
#: A bin whose detected frequency is consistent (it lands in the bin) but does not fit
#: it to within the noise: a term over a tail of others, to be confirmed by the other
#: groups (see :func:`group_fits`).
CANDIDATE = 3


@numba.njit(cache=True, nogil=True, inline="always")
def _offset_phase(offsets: np.ndarray, repeat: int, freq: np.ndarray, q: int) -> int:
    """``<k, r_repeat> mod q``."""
    total = 0
    for i in range(offsets.shape[1]):
        total += offsets[repeat, i] * freq[i]
    return total % q


@numba.njit(cache=True, nogil=True, inline="always")
def _bin_of(matrices: np.ndarray, group: int, freq: np.ndarray, q: int) -> int:
    """Bin index of ``M_group^T k (mod q)``, first coordinate most significant."""
    n = matrices.shape[1]
    index = 0
    for t in range(matrices.shape[2]):
        total = 0
        for i in range(n):
            total += matrices[group, i, t] * freq[i]
        index = index * q + total % q
    return index


@numba.njit(cache=True, nogil=True, inline="always")
def _project(u: np.ndarray, freq: np.ndarray, offsets: np.ndarray, roots: np.ndarray) -> complex:
    """``rho = s^H u / P``: the least-squares coefficient of frequency k in bin u."""
    q = roots.shape[0]
    n = freq.shape[0]
    stride = n + 1
    rho = 0.0j
    for r in range(offsets.shape[0]):
        base = _offset_phase(offsets, r, freq, q)
        rho += u[r * stride] * np.conj(roots[base])
        for i in range(n):
            rho += u[r * stride + 1 + i] * np.conj(roots[(base - freq[i]) % q])
    return rho / u.shape[0]


@numba.njit(parallel=True, cache=True, nogil=True)
def classify_bins(
    bins: np.ndarray,
    bin_ids: np.ndarray,
    matrices: np.ndarray,
    offsets: np.ndarray,
    roots: np.ndarray,
    zero_threshold: float,
    singleton_threshold: float,
    max_degree: int,
    status: np.ndarray,
    freqs: np.ndarray,
    values: np.ndarray,
    residuals: np.ndarray,
) -> None:
    """Classify bins as zero-ton, singleton or multiton (docs/sketching.md, How q-SFT works).

    Parameters
    ----------
    bins : ndarray of shape (C, J, P), complex128
        Current (residual) aliased transforms.
    bin_ids : ndarray of shape (L,), int64
        Bins to test, as ``c * J + j``.
    matrices : ndarray of shape (C, n, b), int64
    offsets : ndarray of shape (R, n), int64
    roots : ndarray of shape (q,), complex128
        ``omega^t``.
    zero_threshold : float
        A bin with ``||u||^2`` at or below it is a zero-ton.
    singleton_threshold : float
        A consistent frequency is a singleton when ``||u - rho s||^2`` is at or below
        it, and a :data:`CANDIDATE` otherwise.
    max_degree : int
        Candidates with more nonzero entries are multitons.
    status : ndarray of shape (L,), int64
        Output: :data:`ZERO_TON`, :data:`SINGLETON`, :data:`CANDIDATE` or :data:`MULTITON`
        (the detected frequency does not land in the bin, or has too high a degree).
    freqs : ndarray of shape (L, n), int64
        Output: the detected frequency of every tested non-zero-ton.
    values : ndarray of shape (L,), complex128
        Output: ``rho = s^H u / P``, the singleton's coefficient.
    residuals : ndarray of shape (L,), float64
        Output: ``||u||^2`` for zero-tons, ``||u - rho s||^2`` otherwise.
    """
    n_bins = bins.shape[1]
    n_delays = bins.shape[2]
    n = matrices.shape[1]
    q = roots.shape[0]
    stride = n + 1
    n_repeats = offsets.shape[0]
    to_units = q / (2.0 * math.pi)
    for t in numba.prange(bin_ids.shape[0]):
        group = bin_ids[t] // n_bins
        j = bin_ids[t] % n_bins
        u = bins[group, j]
        energy = 0.0
        for p in range(n_delays):
            energy += u[p].real * u[p].real + u[p].imag * u[p].imag
        if energy <= zero_threshold:
            status[t] = ZERO_TON
            residuals[t] = energy
            values[t] = 0.0
            continue
        freq = freqs[t]
        degree = 0
        for i in range(n):
            acc = 0.0j
            for r in range(n_repeats):
                acc += u[r * stride] * np.conj(u[r * stride + 1 + i])
            # angle(u[r, 0] conj(u[r, i])) = 2 pi k_i / q for a singleton
            k_i = int(round(math.atan2(acc.imag, acc.real) * to_units)) % q
            freq[i] = k_i
            if k_i != 0:
                degree += 1
        if degree > max_degree or _bin_of(matrices, group, freq, q) != j:
            status[t] = MULTITON
            residuals[t] = energy
            values[t] = 0.0
            continue
        rho = _project(u, freq, offsets, roots)
        residual = 0.0
        for r in range(n_repeats):
            base = _offset_phase(offsets, r, freq, q)
            diff = u[r * stride] - rho * roots[base]
            residual += diff.real * diff.real + diff.imag * diff.imag
            for i in range(n):
                diff = u[r * stride + 1 + i] - rho * roots[(base - freq[i]) % q]
                residual += diff.real * diff.real + diff.imag * diff.imag
        values[t] = rho
        residuals[t] = residual
        status[t] = SINGLETON if residual <= singleton_threshold else CANDIDATE


@numba.njit(cache=True, nogil=True)
def subtract_terms(
    bins: np.ndarray,
    freqs: np.ndarray,
    coefficients: np.ndarray,
    matrices: np.ndarray,
    offsets: np.ndarray,
    roots: np.ndarray,
    conj_bin: np.ndarray,
    hermitian: bool,
    touched: np.ndarray,
) -> None:
    """Subtract the contribution of each term from the bin it lands in, in every group.

    Parameters
    ----------
    bins : ndarray of shape (C, J, P), complex128
        Updated in place.
    freqs : ndarray of shape (S, n), int64
    coefficients : ndarray of shape (S,), complex128
        ``F[k]``. With ``hermitian``, ``conj(F[k])`` is also removed at -k (once when
        k = -k, whose coefficient must then be real).
    matrices, offsets, roots
        As in :func:`classify_bins`.
    conj_bin : ndarray of shape (J,), int64
        Bin of -j for every bin j.
    hermitian : bool
    touched : ndarray of shape (C * J,), bool
        Set to True for every bin that was changed.
    """
    n_groups = bins.shape[0]
    n_bins = bins.shape[1]
    n = matrices.shape[1]
    q = roots.shape[0]
    stride = n + 1
    n_repeats = offsets.shape[0]
    for s in range(freqs.shape[0]):
        freq = freqs[s]
        rho = coefficients[s]
        self_conjugate = True
        for i in range(n):
            if (2 * freq[i]) % q != 0:
                self_conjugate = False
                break
        for group in range(n_groups):
            j = _bin_of(matrices, group, freq, q)
            j_conj = conj_bin[j]
            both = hermitian and not self_conjugate
            touched[group * n_bins + j] = True
            if both:
                touched[group * n_bins + j_conj] = True
            for r in range(n_repeats):
                base = _offset_phase(offsets, r, freq, q)
                term = rho * roots[base]
                bins[group, j, r * stride] -= term
                if both:
                    bins[group, j_conj, r * stride] -= np.conj(term)
                for i in range(n):
                    term = rho * roots[(base - freq[i]) % q]
                    bins[group, j, r * stride + 1 + i] -= term
                    if both:
                        bins[group, j_conj, r * stride + 1 + i] -= np.conj(term)


@numba.njit(parallel=True, cache=True, nogil=True)
def bins_of_terms(freqs: np.ndarray, matrices: np.ndarray, q: int, out: np.ndarray) -> None:
    """``out[s, c] = M_c^T k_s`` as a bin index, for freqs (S, n) and out (S, C) int64."""
    for s in numba.prange(freqs.shape[0]):
        for group in range(matrices.shape[0]):
            out[s, group] = _bin_of(matrices, group, freqs[s], q)


@numba.njit(parallel=True, cache=True, nogil=True)
def bin_energies(bins: np.ndarray, out: np.ndarray) -> None:
    """``out[c, j] = ||bins[c, j, :]||^2`` for bins (C, J, P) and out (C, J) float64."""
    n_bins = bins.shape[1]
    for flat in numba.prange(bins.shape[0] * n_bins):
        group = flat // n_bins
        j = flat % n_bins
        total = 0.0
        for p in range(bins.shape[2]):
            value = bins[group, j, p]
            total += value.real * value.real + value.imag * value.imag
        out[group, j] = total


@numba.njit(parallel=True, cache=True, nogil=True)
def group_fits(
    bins: np.ndarray,
    freqs: np.ndarray,
    matrices: np.ndarray,
    offsets: np.ndarray,
    roots: np.ndarray,
    values: np.ndarray,
    residuals: np.ndarray,
    energies: np.ndarray,
) -> None:
    """Fit each frequency to the bin it lands in, in every group.

    Parameters
    ----------
    bins : ndarray of shape (C, J, P), complex128
    freqs : ndarray of shape (S, n), int64
    matrices, offsets, roots
        As in :func:`classify_bins`.
    values : ndarray of shape (S, C), complex128
        Output: ``rho_c = s^H u_c / P`` with ``u_c`` the landing bin in group c.
    residuals : ndarray of shape (S, C), float64
        Output: ``||u_c - rho_c s||^2``.
    energies : ndarray of shape (S, C), float64
        Output: ``||u_c||^2``.
    """
    q = roots.shape[0]
    n_delays = bins.shape[2]
    for s in numba.prange(freqs.shape[0]):
        freq = freqs[s]
        for group in range(matrices.shape[0]):
            u = bins[group, _bin_of(matrices, group, freq, q)]
            rho = _project(u, freq, offsets, roots)
            energy = 0.0
            for p in range(n_delays):
                energy += u[p].real * u[p].real + u[p].imag * u[p].imag
            values[s, group] = rho
            energies[s, group] = energy
            # ||u - rho s||^2 = ||u||^2 - P |rho|^2 for the least-squares rho (|s_p| = 1)
            residuals[s, group] = max(energy - n_delays * (rho.real * rho.real + rho.imag * rho.imag), 0.0)


classify_bins_serial = serial_twin(classify_bins)
group_fits_serial = serial_twin(group_fits)
bin_energies_serial = serial_twin(bin_energies)
bins_of_terms_serial = serial_twin(bins_of_terms)


@numba.njit(cache=True, nogil=True)
def refit_normal_equations(
    landing: np.ndarray, atoms: np.ndarray, bins: np.ndarray, gram: np.ndarray, rhs: np.ndarray
) -> None:
    """Normal equations of the least-squares refit of a fixed support, in the bin domain.

    Column a (a frequency) contributes ``atoms[a, p]`` to delay p of bin ``landing[a, c]``
    of every group c, so ``gram[a, b] = sum over groups where a and b share a bin of
    sum_p conj(atoms[a, p]) atoms[b, p]`` and ``rhs[a] = sum_c sum_p conj(atoms[a, p])
    bins[c, landing[a, c], p]``.

    Parameters
    ----------
    landing : ndarray of shape (S, C), int64
        Bin of every column in every group.
    atoms : ndarray of shape (S, P), complex128
        ``omega^<k_a, d_p>``.
    bins : ndarray of shape (C, J, P), complex128
        The aliased transforms.
    gram : ndarray of shape (S, S), complex128
        Written.
    rhs : ndarray of shape (S,), complex128
        Written.
    """
    n_columns, n_groups = landing.shape
    n_delays = atoms.shape[1]
    gram[:, :] = 0.0
    rhs[:] = 0.0
    for group in range(n_groups):
        for a in range(n_columns):
            bin_a = landing[a, group]
            total = 0.0j
            for p in range(n_delays):
                total += np.conj(atoms[a, p]) * bins[group, bin_a, p]
            rhs[a] += total
            for b in range(a, n_columns):
                if landing[b, group] != bin_a:
                    continue
                total = 0.0j
                for p in range(n_delays):
                    total += np.conj(atoms[a, p]) * atoms[b, p]
                gram[a, b] += total
                if b != a:
                    gram[b, a] += np.conj(total)


@numba.njit(cache=True, nogil=True)
def distinct_detections(
    freqs: np.ndarray,
    values: np.ndarray,
    residuals: np.ndarray,
    q: int,
    hermitian: bool,
    ids: np.ndarray,
    best: np.ndarray,
) -> int:
    """Group the frequencies detected in one peeling round; the best fit of each.

    The same term is usually detected in several groups' bins. With ``hermitian``, k and
    -k are the same term: every row is first replaced by its canonical representative,
    the lexicographic minimum of k and -k mod q, its value conjugated when -k was taken
    and made real when k = -k.

    Parameters
    ----------
    freqs : ndarray of shape (m, n), int64
        Detected frequencies; made canonical in place with ``hermitian``.
    values : ndarray of shape (m,), complex128
        Their coefficients; adjusted in place with ``hermitian``.
    residuals : ndarray of shape (m,), float64
        How well each detection fits its bin (smaller is better).
    q : int
    hermitian : bool
    ids : ndarray of shape (m,), int64
        Written: the distinct frequency of every row, numbered by first appearance.
    best : ndarray of shape (m,), int64
        Written: ``best[u]`` is the row of distinct frequency u with the smallest
        residual (the first such row on ties), for u below the returned count.

    Returns
    -------
    int
        The number of distinct frequencies.
    """
    m, n = freqs.shape
    if hermitian:
        for r in range(m):
            flip = False
            self_conjugate = True
            decided = False
            for i in range(n):
                value = freqs[r, i]
                negated = (q - value) % q
                if negated != value:
                    self_conjugate = False
                    if not decided:
                        flip = negated < value
                        decided = True
            if flip:
                for i in range(n):
                    freqs[r, i] = (q - freqs[r, i]) % q
                values[r] = np.conj(values[r])
            if self_conjugate:
                values[r] = values[r].real
    bits = 1
    while (1 << bits) < 2 * m:  # at most half full
        bits += 1
    size = 1 << bits
    slot_id = np.full(size, -1, dtype=np.int64)
    count = 0
    for r in range(m):
        key = np.uint64(14695981039346656037)  # FNV-1a over the entries
        for i in range(n):
            key = (key ^ np.uint64(freqs[r, i])) * np.uint64(1099511628211)
        slot = np.int64(key >> np.uint64(64 - bits))
        while True:
            ident = slot_id[slot]
            if ident == -1:
                slot_id[slot] = count
                ids[r] = count
                best[count] = r
                count += 1
                break
            first = best[ident]
            same = True
            for i in range(n):
                if freqs[first, i] != freqs[r, i]:
                    same = False
                    break
            if same:
                ids[r] = ident
                if residuals[r] < residuals[best[ident]]:
                    best[ident] = r
                break
            slot = (slot + 1) & (size - 1)
    return count


@numba.njit(cache=True, nogil=True)
def confirm_detections(
    fits: np.ndarray,
    energies: np.ndarray,
    clean: np.ndarray,
    values: np.ndarray,
    n_delays: int,
    zero_threshold: float,
    agreement: float,
    accepted: np.ndarray,
) -> None:
    """Accept or reject detected frequencies from their fits in every group.

    A detection is accepted when its frequency's landing bin is above the zero-ton
    threshold in every group, and either it is ``clean`` (a singleton) or the groups'
    estimates agree (each within ``agreement * |mean|`` of their mean) and the mean is
    significant (``P |mean|^2`` above the zero-ton threshold). A detection that is not
    clean takes the groups' mean as its value.

    Parameters
    ----------
    fits : ndarray of shape (m, C), complex128
        ``rho_c`` of every detection in every group (:func:`group_fits`).
    energies : ndarray of shape (m, C), float64
        Energy of the landing bins (:func:`group_fits`).
    clean : ndarray of shape (m,), bool
    values : ndarray of shape (m,), complex128
        The detections' values; replaced in place by the mean where not clean.
    n_delays : int
        P, the delays per bin.
    zero_threshold : float
    agreement : float
    accepted : ndarray of shape (m,), bool
        Written.
    """
    m, n_groups = fits.shape
    for s in range(m):
        seen_everywhere = True
        mean = 0.0j
        for c in range(n_groups):
            seen_everywhere = seen_everywhere and energies[s, c] > zero_threshold
            mean += fits[s, c]
        mean /= n_groups
        if clean[s]:
            accepted[s] = seen_everywhere
            continue
        values[s] = mean
        magnitude = abs(mean)
        agree = True
        for c in range(n_groups):
            agree = agree and abs(fits[s, c] - mean) <= agreement * magnitude
        accepted[s] = seen_everywhere and agree and n_delays * magnitude * magnitude > zero_threshold

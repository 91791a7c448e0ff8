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

import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.fft
import scipy.sparse
import scipy.sparse.linalg

from shap_zero._config import (
    FLOOR_DECREASE,
    MAX_BUTTERFLY_Q,
    RELATIVE_ENERGY_FLOOR,
)
from shap_zero._kernels.dispatch import PARALLEL_MIN_WORK, choose
from shap_zero._kernels.transforms import block_transforms, block_transforms_serial
from shap_zero._validation import check_int
from shap_zero.exceptions import InvalidParameterError
from shap_zero.sketch.design import SubsamplingDesign
from shap_zero.sketch.low_degree import (
    cached_low_degree,
    check_complete_degree,
)
from shap_zero.sketch.peeler import Candidates, Peeler

__all__ = [
    "DecodeResult",
    "check_decoder_options",
    "aliased_transforms",
    "nested_samples",
    "decode",
]

logger = logging.getLogger(__name__)

# Thresholds of the decoder live in shap_zero._config with the library's other constants. Its
# parts: sketch/peeler.py (peeling rounds), refit.py (least squares), statistics.py (chi-square
# thresholds), conjugates.py (Hermitian pairs), low_degree.py (frequencies up to a degree).


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
        when significant (see ``Peeler.complete``): terms too weak to show as a
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
    peeler = Peeler(transforms, design, b, hermitian, max_degree, float(peel_fraction))
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
        candidates = Candidates.build(
            cached_low_degree(design.n, design.q, complete_degree, hermitian),
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

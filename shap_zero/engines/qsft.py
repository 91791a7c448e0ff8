"""The q-SFT engine: a sparse sketch decoded from aliased transforms of a structured design.

The model is queried on C * R * (n + 1) * q^b structured sequences (each distinct
sequence once); the aliased transforms of these queries are decoded by peeling, the
found coefficients are refitted by least squares, and the noise floor is estimated
from the queries themselves. The design and decoder live in :mod:`shap_zero.sketch`.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

import numpy as np

from shap_zero._validation import check_int
from shap_zero.engines.base import EnginePlan, FitContext, OutputFit, SketchEngine
from shap_zero.exceptions import InvalidParameterError
from shap_zero.models import DEFAULT_BATCH_SIZE
from shap_zero.sketch.decoder import DecodeResult, check_decoder_options, decode
from shap_zero.sketch.design import choose_design, design_size, draw_design
from shap_zero.sketch.low_degree import check_complete_degree

__all__ = ["QSFT"]

#: C and R when neither is given, as the paper advises.
_DEFAULT_GROUPS_REPEATS = 3


class QSFT(SketchEngine):
    """Learn a sparse q-ary Fourier sketch of a black-box sequence model (q-SFT).

    The engine for models that *are* a few strong Fourier terms of any degree (it
    recovers noiseless sparse spectra exactly). Real models are usually a dense body of
    low-order effects plus a tail; for them the ``"hybrid"`` and ``"regression"``
    engines give more accurate SHAP values per query (docs/sketching.md).

    Parameters
    ----------
    b : int, optional
        log_q of the bins per group; sets the sparsity the design resolves (about
        q^b / 2 conjugate pairs of terms). Give ``b`` or ``budget``, not both.
    budget : int, optional
        Largest number of distinct model queries of the campaign (design, held-out
        validation and check); picks the largest b (then C and R) whose design fits
        (:func:`~shap_zero.sketch.design.choose_design`). Default when neither is
        given: :data:`shap_zero._config.DEFAULT_BUDGET`.
    n_groups : int, optional
        C, the number of subsampling groups (default 3).
    n_repeats : int, optional
        R, the number of random delay offsets (default 3). R = 1 suffices for noiseless
        models; more repeats average noise in the frequency detection.
    noise_sd : float or "auto", default "auto"
        The noise threshold: the standard deviation of the noise on one model output,
        in output units. ``"auto"`` estimates it from the queried data (no extra
        queries) and lowers it as terms are explained.
    max_degree : int, optional
        Keep only terms that involve at most this many positions.
    refit : bool, default True
        Least-squares refit of the found support on all queried samples.
    hermitian : bool, default True
        Decode k and -k together (model outputs are real). False reproduces the paper's
        separate decoding.
    peel_fraction : float in (0, 1], default 1.0
        Fraction of the singletons peeled per round (the paper's code uses 0.1).
    complete_degree : int, default 1
        After peeling, test every frequency of degree 1 to ``complete_degree`` that
        peeling missed against all queried samples and keep the significant ones. 0
        switches it off (as the paper's decoder). At most 4,096 candidate frequencies.
    n_validation, check_sequences, check_permutations, batch_size, executor, checkpoint, progress, random_state
        As in :class:`~shap_zero.engines.base.SketchEngine`.

    Attributes
    ----------
    sketch_ : FourierSketch
        The sketch of a single-output model.
    sketches_ : list of FourierSketch
        One sketch per model output, all from the same queries.
    n_queries_ : int
        Distinct sequences the model was asked about.
    report_ : SketchReport
        Costs and quality; ``report_.design`` holds ``b``, ``n_groups`` and
        ``n_repeats``, each output's ``details`` the decoder's noise floor
        (``noise_sd``), passes and completed terms.
    design_ : SubsamplingDesign
        The query design that was used.
    decode_results_ : list of DecodeResult
        Per output: the decoder's passes and noise estimates.

    Examples
    --------
    >>> import shap_zero as sz
    >>> truth = sz.random_sparse_sketch(12, 4, 20, max_degree=3, random_state=0)
    >>> qsft = sz.QSFT(b=4, n_repeats=1, random_state=0).fit(truth.predict, seq_length=12, alphabet=sz.DNA)
    >>> qsft.sketch_.n_terms == truth.n_terms
    True
    >>> bool(qsft.report_.outputs[0].r2 > 0.999999)
    True
    """

    name: ClassVar[str] = "qsft"

    def __init__(
        self,
        *,
        b: int | None = None,
        budget: int | None = None,
        n_groups: int | None = None,
        n_repeats: int | None = None,
        noise_sd: float | Literal["auto"] = "auto",
        max_degree: int | None = None,
        refit: bool = True,
        hermitian: bool = True,
        peel_fraction: float = 1.0,
        complete_degree: int = 1,
        n_validation: int = 1000,
        check_sequences: int = 0,
        check_permutations: int = 64,
        batch_size: int = DEFAULT_BATCH_SIZE,
        executor: Any = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: bool = False,
        random_state: Any = None,
    ) -> None:
        super().__init__(**self.shared(locals()))
        self.b = b
        self.n_groups = n_groups
        self.n_repeats = n_repeats
        self.noise_sd = noise_sd
        self.max_degree = max_degree
        self.refit = refit
        self.hermitian = hermitian
        self.peel_fraction = peel_fraction
        self.complete_degree = complete_degree

    # ------------------------------------------------------------------ engine hooks
    def uses_budget(self) -> bool:
        return self.b is None

    def minimum_budget(self, n: int, q: int) -> int:
        """Smallest design in queries for n and q, excluding held-out validation and the check.

        Parameters
        ----------
        n, q : int
            Sequence length and alphabet size.

        Returns
        -------
        int
        """
        groups = 1 if self.n_groups is None else int(self.n_groups)
        repeats = 1 if self.n_repeats is None else int(self.n_repeats)
        return design_size(n, q, 1, groups, repeats)

    def _check_options(self, n: int, q: int) -> None:
        if self.b is not None and self.budget is not None:
            raise InvalidParameterError(f"give b or budget, not both; got b={self.b!r} and budget={self.budget!r}")
        if self.b is not None:
            check_int(self.b, name="b", minimum=1, maximum=n)
        for name in ("n_groups", "n_repeats"):
            check_int(getattr(self, name), name=name, minimum=1, allow_none=True)
        if self.max_degree is not None:
            check_int(self.max_degree, name="max_degree", minimum=0, maximum=n)
        for name in ("refit", "hermitian"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise InvalidParameterError(f"{name}: expected True or False, got {getattr(self, name)!r}")
        check_decoder_options(self.noise_sd, self.peel_fraction)
        check_complete_degree(self.complete_degree, n, q, self.max_degree)

    def _plan(self, n: int, q: int, budget: int | None, rng: np.random.Generator) -> EnginePlan:
        if self.b is not None:
            b = int(self.b)
            n_groups = _DEFAULT_GROUPS_REPEATS if self.n_groups is None else int(self.n_groups)
            n_repeats = _DEFAULT_GROUPS_REPEATS if self.n_repeats is None else int(self.n_repeats)
        else:
            b, n_groups, n_repeats = choose_design(budget, n, q, n_groups=self.n_groups, n_repeats=self.n_repeats)
        design = draw_design(n, q, b, n_groups=n_groups, n_repeats=n_repeats, random_state=rng)
        self.design_ = design
        self.decode_results_: list[DecodeResult] = []
        return EnginePlan(design.points(), info={"b": b, "n_groups": n_groups, "n_repeats": n_repeats}, state=design)

    def _fit_output(self, plan: EnginePlan, values: np.ndarray, context: FitContext) -> OutputFit:
        decoded = decode(values, plan.state, **self.decoder_options())
        self.decode_results_.append(decoded)
        details = {"noise_sd": decoded.noise_sd, "n_passes": decoded.n_passes, "n_completed": decoded.n_completed}
        return OutputFit(decoded.frequencies, decoded.coefficients, decoded.spectrum, details)

    def decoder_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~shap_zero.sketch.decoder.decode`, as plain values."""
        return {
            "noise_sd": self.noise_sd if isinstance(self.noise_sd, str) else float(self.noise_sd),
            "max_degree": None if self.max_degree is None else int(self.max_degree),
            "refit": bool(self.refit),
            "hermitian": bool(self.hermitian),
            "peel_fraction": float(self.peel_fraction),
            "complete_degree": int(self.complete_degree),
        }

    def _params(self) -> dict[str, Any]:
        return self.decoder_options()

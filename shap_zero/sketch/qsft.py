"""``QSFT``: learn a sparse Fourier sketch of a model from its outputs on a query design."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from shap_zero._validation import check_int, check_random_state
from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError
from shap_zero.fourier import MAX_Q, FourierSketch
from shap_zero.models import DEFAULT_BATCH_SIZE
from shap_zero.sketch.decoder import DecodeResult, check_complete_degree, check_decoder_options, decode
from shap_zero.sketch.design import choose_design, draw_design, unique_rows
from shap_zero.sketch.queries import run_queries

__all__ = ["QSFT", "QSFTReport", "OutputReport", "DEFAULT_BUDGET"]

#: Query budget used when neither ``b`` nor ``budget`` is given: b = 6 with C = R = 3 at n = 26, q = 4.
DEFAULT_BUDGET = 1_000_000


@dataclass(frozen=True)
class OutputReport:
    """Quality of the sketch of one model output.

    Attributes
    ----------
    r2 : float or None
        ``1 - sum (y - y_hat)^2 / sum (y - mean y)^2`` on the held-out random sequences
        (None without them, NaN when the held-out outputs are constant).
    nmse : float or None
        ``sum (y - y_hat)^2 / sum y^2`` on the same sequences (equal to 1 - R^2 when the
        outputs have mean zero).
    n_terms : int
        Terms of the sketch (conjugate pairs counted once, the mean included).
    n_fourier_coefficients : int
        Nonzero Fourier coefficients F[k] (k and -k counted separately).
    degree_histogram : dict of int to int
        Terms per degree (number of positions a frequency involves).
    noise_sd : float
        Noise standard deviation per query behind the decoder's final thresholds.
    n_passes : int
        Peel-and-refit passes of the decoder.
    decode_seconds : float
        Wall time of decoding this output (transforms, peeling, refit).
    """

    r2: float | None
    nmse: float | None
    n_terms: int
    n_fourier_coefficients: int
    degree_histogram: dict[int, int]
    noise_sd: float
    n_passes: int
    decode_seconds: float


@dataclass(frozen=True)
class QSFTReport:
    """What a q-SFT fit cost and how good the sketch is.

    Attributes
    ----------
    b, n_groups, n_repeats : int
        The design: q^b bins per group, C groups, R delay offsets.
    n_design_points : int
        Points of the design, C * R * (n + 1) * q^b, before de-duplication.
    n_unique_design_points : int
        Distinct design points: the model queries the sketch needs.
    n_validation_queries : int
        Held-out random sequences (distinct from each other, possibly equal to design
        points) queried to measure R^2 and NMSE; extra queries beyond the design.
    n_model_queries : int
        Distinct sequences the model was asked about in total (design and held-out).
    n_resumed : int
        Of those, how many were read back from the checkpoint instead of queried.
    model_seconds : float
        Time spent in model calls in this fit.
    decode_seconds : float
        Time spent decoding all outputs.
    outputs : list of OutputReport
        One per model output.
    """

    b: int
    n_groups: int
    n_repeats: int
    n_design_points: int
    n_unique_design_points: int
    n_validation_queries: int
    n_model_queries: int
    n_resumed: int
    model_seconds: float
    decode_seconds: float
    outputs: list[OutputReport] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        return asdict(self)

    def __str__(self) -> str:
        lines = [
            f"q-SFT design: b={self.b}, C={self.n_groups}, R={self.n_repeats}: "
            f"{self.n_design_points:,} points, {self.n_unique_design_points:,} distinct",
            f"model queries: {self.n_model_queries:,} (held-out: {self.n_validation_queries:,}, "
            f"resumed from checkpoint: {self.n_resumed:,})",
            f"time: model {self.model_seconds:.3g} s, decoding {self.decode_seconds:.3g} s",
        ]
        for index, output in enumerate(self.outputs):
            quality = (
                "no held-out queries"
                if output.r2 is None
                else f"held-out R^2 {output.r2:.4f}, NMSE {output.nmse:.3g}"
            )
            degrees = ", ".join(f"{d}: {c}" for d, c in sorted(output.degree_histogram.items()))
            lines.append(
                f"output {index}: {output.n_terms} terms (degrees {degrees}); {quality}; "
                f"noise sd {output.noise_sd:.3g}"
            )
        return "\n".join(lines)


class QSFT:
    """Learn a sparse q-ary Fourier sketch of a black-box sequence model (q-SFT).

    The model is queried on C * R * (n + 1) * q^b structured sequences (each distinct
    sequence once); the aliased transforms of these queries are decoded by peeling,
    the found coefficients are refitted by least squares, and the noise floor is
    estimated from the queries themselves (see :mod:`shap_zero.sketch.decoder`).

    Parameters
    ----------
    b : int, optional
        log_q of the bins per group; sets the sparsity the design resolves (about
        q^b / 2 conjugate pairs of terms). Give ``b`` or ``budget``, not both.
    budget : int, optional
        Largest number of design points; picks the largest b (then C and R) that fits
        (:func:`~shap_zero.sketch.design.choose_design`). Default when neither is given:
        :data:`DEFAULT_BUDGET`.
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
        peeling missed against all queried samples and keep the significant ones:
        effects too weak to stand out in any bin, typically first-order effects of
        weak positions in models with a dense tail of interactions. 0 switches it off
        (as the paper's decoder). At most 4,096 candidate frequencies.
    n_validation : int, default 1000
        Uniform random sequences queried on top of the design to report R^2 and NMSE.
        0 skips them.
    batch_size : int, default 4096
        Sequences per model call.
    executor : concurrent.futures.Executor, optional
        Runs model batches in parallel (thread or process pool, a Dask client's executor).
    checkpoint : str or path-like, optional
        File that stores every finished batch; an interrupted fit with the same settings
        and an integer ``random_state`` resumes from it without re-querying.
    progress : bool, default False
        Show a progress bar over model queries.
    random_state : None, int or numpy.random.Generator
        Seeds the design and the held-out sequences. The same seed gives the same sketch.

    Attributes
    ----------
    sketch_ : FourierSketch
        The sketch of a single-output model.
    sketches_ : list of FourierSketch
        One sketch per model output, all from the same queries.
    n_queries_ : int
        Distinct sequences the model was asked about (design and held-out).
    report_ : QSFTReport
        Costs and quality; ``print(report_)`` gives a summary.
    design_ : SubsamplingDesign
        The query design that was used.
    decode_results_ : list of DecodeResult
        Per output: the decoder's passes and noise estimates.

    Examples
    --------
    >>> import numpy as np
    >>> import shap_zero as sz
    >>> truth = sz.random_sparse_sketch(12, 4, 20, max_degree=3, random_state=0)
    >>> qsft = sz.QSFT(b=4, n_repeats=1, random_state=0).fit(truth.predict, seq_length=12, alphabet=sz.DNA)
    >>> qsft.sketch_.n_terms == truth.n_terms
    True
    >>> bool(qsft.report_.outputs[0].r2 > 0.999999)
    True
    """

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
        batch_size: int = DEFAULT_BATCH_SIZE,
        executor: Any = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: bool = False,
        random_state: Any = None,
    ) -> None:
        self.b = b
        self.budget = budget
        self.n_groups = n_groups
        self.n_repeats = n_repeats
        self.noise_sd = noise_sd
        self.max_degree = max_degree
        self.refit = refit
        self.hermitian = hermitian
        self.peel_fraction = peel_fraction
        self.complete_degree = complete_degree
        self.n_validation = n_validation
        self.batch_size = batch_size
        self.executor = executor
        self.checkpoint = checkpoint
        self.progress = progress
        self.random_state = random_state

    def __repr__(self) -> str:
        defaults = QSFT()
        changed = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.endswith("_") and value is not getattr(defaults, name) and value != getattr(defaults, name)
        ]
        return f"QSFT({', '.join(changed)})"

    # ------------------------------------------------------------------ fitting
    def fit(
        self, model: Callable[[np.ndarray], Any], *, seq_length: int, alphabet: Alphabet | int
    ) -> QSFT:
        """Query the model on the design and decode its sketch.

        Parameters
        ----------
        model : callable
            Takes uint8 codes of shape (N, seq_length) with entries in 0..q-1 and returns
            N numbers, or an (N, m) array for m outputs.
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet (attached to the sketch, so it accepts strings) or its size q.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            For a bad option, sequence length or alphabet.
        InsufficientBudgetError
            If ``budget`` is below the smallest design for this n and q.
        ModelError, ModelOutputError
            If the model raises, or returns NaN, infinite or wrongly shaped outputs.
        CheckpointError
            If ``checkpoint`` belongs to another campaign.
        """
        if not callable(model):
            raise InvalidParameterError(
                f"model: expected a callable on integer codes (N, n), got {type(model).__name__}"
            )
        n = check_int(seq_length, name="seq_length", minimum=1)
        q, attached = _resolve_alphabet(alphabet)
        options = self._check_options(n)
        check_complete_degree(self.complete_degree, n, q, self.max_degree)
        rng = check_random_state(self.random_state)
        b, n_groups, n_repeats = self._choose_design(n, q)
        design = draw_design(n, q, b, n_groups=n_groups, n_repeats=n_repeats, random_state=rng)
        validation = rng.integers(0, q, size=(options["n_validation"], n)).astype(np.uint8)
        validation = unique_rows(validation)[0]
        design_points = design.points()
        everything = np.concatenate([design_points, validation])
        distinct, inverse = unique_rows(everything)
        result = run_queries(
            model,
            distinct,
            batch_size=options["batch_size"],
            executor=self.executor,
            checkpoint=self.checkpoint,
            progress=bool(self.progress),
            description="q-SFT model queries",
        )
        n_design = design_points.shape[0]
        design_values = result.values[inverse[:n_design]]
        validation_values = result.values[inverse[n_design:]]

        sketches, outputs, decoded = [], [], []
        for column in range(result.values.shape[1]):
            started = time.perf_counter()
            decoded_output = decode(design_values[:, column], design, **self._decoder_options())
            seconds = time.perf_counter() - started
            metadata = {
                "method": "qsft",
                "n_queries": int(distinct.shape[0]),
                "output": column,
                "random_state": self.random_state if _json_scalar(self.random_state) else None,
                "params": self._params(b, n_groups, n_repeats),
                "noise_sd": decoded_output.noise_sd,
            }
            sketch = FourierSketch(
                decoded_output.frequencies,
                decoded_output.coefficients,
                q,
                attached,
                spectrum=decoded_output.spectrum,
                metadata=metadata,
            )
            sketches.append(sketch)
            decoded.append(decoded_output)
            outputs.append(_output_report(sketch, decoded_output, validation, validation_values[:, column], seconds))

        # unique_rows numbers distinct rows by first appearance and the design comes first.
        unique_design = int(inverse[:n_design].max()) + 1
        self.design_ = design
        self.sketches_ = sketches
        self.decode_results_ = decoded
        self.n_queries_ = int(distinct.shape[0])
        self.report_ = QSFTReport(
            b=b,
            n_groups=n_groups,
            n_repeats=n_repeats,
            n_design_points=n_design,
            n_unique_design_points=unique_design,
            n_validation_queries=int(validation.shape[0]),
            n_model_queries=int(distinct.shape[0]),
            n_resumed=result.n_resumed,
            model_seconds=result.model_seconds,
            decode_seconds=float(sum(output.decode_seconds for output in outputs)),
            outputs=outputs,
        )
        return self

    @property
    def sketch_(self) -> FourierSketch:
        """The sketch of a single-output model (use ``sketches_`` for several outputs)."""
        sketches = self.__dict__.get("sketches_")
        if sketches is None:
            raise AttributeError("QSFT has no sketch_ yet: call fit(model, seq_length=..., alphabet=...) first")
        if len(sketches) != 1:
            raise AttributeError(
                f"sketch_ is defined for single-output models; this model has {len(sketches)} outputs, "
                "use sketches_[i]"
            )
        return sketches[0]

    # ---------------------------------------------------------------- internals
    def _check_options(self, n: int) -> dict[str, Any]:
        if self.b is not None and self.budget is not None:
            raise InvalidParameterError(
                f"give b or budget, not both; got b={self.b!r} and budget={self.budget!r}"
            )
        if self.max_degree is not None:
            check_int(self.max_degree, name="max_degree", minimum=0, maximum=n)
        for name in ("refit", "hermitian", "progress"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InvalidParameterError(f"{name}: expected True or False, got {getattr(self, name)!r}")
        check_decoder_options(self.noise_sd, self.peel_fraction)
        if self.checkpoint is not None and not isinstance(self.random_state, (int, np.integer)):
            raise InvalidParameterError(
                "random_state: a checkpoint can only be resumed by a fit that queries the same "
                f"sequences, so it needs an integer random_state; got {self.random_state!r}"
            )
        return {
            "n_validation": check_int(self.n_validation, name="n_validation", minimum=0),
            "batch_size": check_int(self.batch_size, name="batch_size", minimum=1),
        }

    def _choose_design(self, n: int, q: int) -> tuple[int, int, int]:
        n_groups = None if self.n_groups is None else check_int(self.n_groups, name="n_groups", minimum=1)
        n_repeats = None if self.n_repeats is None else check_int(self.n_repeats, name="n_repeats", minimum=1)
        if self.b is not None:
            b = check_int(self.b, name="b", minimum=1, maximum=n)
            return b, 3 if n_groups is None else n_groups, 3 if n_repeats is None else n_repeats
        budget = DEFAULT_BUDGET if self.budget is None else self.budget
        return choose_design(budget, n, q, n_groups=n_groups, n_repeats=n_repeats)

    def _params(self, b: int, n_groups: int, n_repeats: int) -> dict[str, Any]:
        """The design and decoder settings, JSON-ready (stored in the sketch's metadata)."""
        return {"b": b, "n_groups": n_groups, "n_repeats": n_repeats, **self._decoder_options()}

    def _decoder_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~shap_zero.sketch.decoder.decode`, as plain values."""
        return {
            "noise_sd": self.noise_sd if isinstance(self.noise_sd, str) else float(self.noise_sd),
            "max_degree": None if self.max_degree is None else int(self.max_degree),
            "refit": bool(self.refit),
            "hermitian": bool(self.hermitian),
            "peel_fraction": float(self.peel_fraction),
            "complete_degree": int(self.complete_degree),
        }


def _resolve_alphabet(alphabet: Any) -> tuple[int, Alphabet | None]:
    if isinstance(alphabet, Alphabet):
        return alphabet.q, alphabet
    if isinstance(alphabet, bool) or not isinstance(alphabet, (int, np.integer)):
        raise InvalidParameterError(
            f"alphabet: expected a shap_zero.Alphabet or an alphabet size q, got {type(alphabet).__name__}"
        )
    return check_int(alphabet, name="alphabet", minimum=2, maximum=MAX_Q), None


def _json_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, (int, np.integer)) and not isinstance(value, bool))


def _output_report(
    sketch: FourierSketch,
    decoded: DecodeResult,
    validation: np.ndarray,
    truth: np.ndarray,
    seconds: float,
) -> OutputReport:
    r2 = nmse = None
    if validation.shape[0]:
        predicted = sketch.predict(validation)
        error = float(np.sum((truth - predicted) ** 2))
        spread = float(np.sum((truth - truth.mean()) ** 2))
        scale = float(np.sum(truth**2))
        r2 = 1.0 - error / spread if spread > 0 else float("nan")
        nmse = error / scale if scale > 0 else (0.0 if error == 0 else float("inf"))
    degrees, counts = np.unique(sketch.degrees, return_counts=True)
    return OutputReport(
        r2=r2,
        nmse=nmse,
        n_terms=sketch.n_terms,
        n_fourier_coefficients=sketch.n_fourier_coefficients,
        degree_histogram={int(d): int(c) for d, c in zip(degrees, counts)},
        noise_sd=decoded.noise_sd,
        n_passes=decoded.n_passes,
        decode_seconds=seconds,
    )

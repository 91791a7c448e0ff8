"""ZeroExplainer: a drop-in ``shap.Explainer`` for models of biological sequences.

It builds shap's ``Explanation`` objects (its other results are in
:mod:`shap_zero.explanations`). It sketches the model once
with a sketch engine chosen by name (:mod:`shap_zero.engines`), then every explanation
is a closed form of the sketch (:mod:`shap_zero.attribution`).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import shap

from shap_zero._config import MAX_Q
from shap_zero._progress import progress_bar
from shap_zero._validation import check_bool, check_int
from shap_zero.adaptors import TorchModel, is_torch_module
from shap_zero.alphabet import Alphabet
from shap_zero.attribution import (
    SymbolTotals,
    expected_value,
    interaction_values,
    resolve_background,
    shap_interaction_values,
    shapley_values,
    symbol_totals,
)
from shap_zero.attribution.engine import shapley_values_of_codes
from shap_zero.attribution.held import check_held
from shap_zero.attribution.indices import IndexName
from shap_zero.engines import ENGINES, EngineName, SketchEngine, SketchReport, make_engine
from shap_zero.exceptions import InvalidParameterError
from shap_zero.explanations import GlobalExplanation, InteractionExplanation
from shap_zero.fourier import FourierSketch
from shap_zero.indices import document_indices
from shap_zero.models import ModelInput, SequenceModel

__all__ = ["ZeroExplainer", "SketchMethod"]

SketchMethod = EngineName
# Options the explainer sets on every engine itself.
_OWN_OPTIONS = ("budget", "progress", "random_state")
#: Held-out R^2 below which the explainer warns (when no SHAP accuracy check was run).
LOW_R2_WARNING = 0.5
#: Metadata key under which :meth:`ZeroExplainer.save` stores the names of the features
#: and of the output in each sketch file.
EXPLAINER_METADATA = "explainer"
#: Sequences per chunk when aggregating over a data set (bounds working memory).
_SUMMARY_CHUNK = 1 << 14


def _default_feature_names(n: int) -> list[str]:
    return [f"pos{i + 1}" for i in range(n)]


def _check_names(names: Any, count: int, argument: str, what: str) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise InvalidParameterError(f"{argument} must be a list of {count} strings (one per {what}); got {names!r}")
    names = [str(name) for name in names]
    if len(names) != count:
        raise InvalidParameterError(f"{argument} must hold {count} names (one per {what}); got {len(names)}")
    return names


def _output_paths(template: str) -> list[str]:
    """The files of a ``{output}`` path template: outputs 0, 1, ... until one is missing."""
    paths: list[str] = []
    while os.path.exists(template.replace("{output}", str(len(paths)))):
        paths.append(template.replace("{output}", str(len(paths))))
    if not paths:
        raise FileNotFoundError(f"no sketch file matches {template!r} (looked for output 0)")
    return paths


def _stored_names(sketches: list[FourierSketch]) -> tuple[Any, list[str] | None]:
    """Feature names and output names that :meth:`ZeroExplainer.save` stored in the files.

    Feature names come from the first file; output names only when every file has one.
    """
    stored = [sketch.metadata.get(EXPLAINER_METADATA) or {} for sketch in sketches]
    outputs = [entry.get("output_name") for entry in stored]
    return stored[0].get("feature_names"), outputs if all(isinstance(name, str) for name in outputs) else None


#: The input layout of a torch module for each ``model_input``.
_TORCH_LAYOUTS = {"codes": "codes", "onehot": "channels_last", "onehot_channels_first": "channels_first", "onehot_flat": "flat"}


def _torch_adaptor(module: Any, alphabet: Any, model_input: str, model_method: Any, output_class: Any) -> TorchModel:
    """A ``torch.nn.Module`` as a model on codes, its input layout named by ``model_input``."""
    if model_method is not None or output_class is not None:
        raise InvalidParameterError(
            "model_method and output_class apply to estimators; for a torch module choose the output with "
            "shap_zero.TorchModel(module, alphabet, head=...) and pass that as the model"
        )
    if model_input not in _TORCH_LAYOUTS:
        raise InvalidParameterError(
            f"model_input for a torch module must be one of {list(_TORCH_LAYOUTS)}; got {model_input!r}"
        )
    return TorchModel(module, alphabet, layout=_TORCH_LAYOUTS[model_input])  # type: ignore[arg-type]


def _is_path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike)


def _warn_if_poor(report: SketchReport) -> None:
    """Warn about outputs whose sketch is unlikely to give faithful SHAP values."""
    for index, output in enumerate(report.outputs):
        label = f"output {index}" if len(report.outputs) > 1 else "the model"
        if output.shap_accuracy is not None:
            if output.shap_accuracy.poor:
                warnings.warn(
                    f"the sketch of {label} gives SHAP values far from the model's: {output.shap_accuracy}. "
                    "Raise the budget or try another method before relying on them.",
                    UserWarning,
                    stacklevel=3,
                )
        elif output.r2 is not None and output.r2 < LOW_R2_WARNING:
            warnings.warn(
                f"the sketch of {label} explains only R^2 = {output.r2:.3f} of the model's variance on held-out "
                "random sequences, so its SHAP values may be far off. Raise the budget, or measure their error "
                "with check_sequences=8 (a Monte Carlo check inside the budget).",
                UserWarning,
                stacklevel=3,
            )


class ZeroExplainer(shap.Explainer):
    """Shapley values and interactions of a sequence model from its sparse Fourier sketch.

    A drop-in replacement for ``shap.Explainer(model, masker)`` on models of DNA, RNA
    or protein sequences: calling the explainer returns a standard
    ``shap.Explanation`` that shap's plots and users' pipelines accept. The model is
    sketched once (on first use, or by :meth:`fit`); every explanation afterwards is a
    closed form of the sketch and queries the model no more.

    The value function is interventional, ``v_x(S) = E_{z ~ P} f(x_S, z_rest)``, with
    P the ``background`` (uniform by default, as in the SHAP zero paper).

    Parameters
    ----------
    model_or_sketch : callable, estimator, FourierSketch, path, or list of these
        What to explain:

        - a model: a callable on uint8 codes (N, n) returning (N,) or (N, m) numbers,
          or, with ``model_input``, on strings or one-hot arrays, or a scikit-learn
          estimator (see :class:`shap_zero.models.SequenceModel`);
        - a :class:`~shap_zero.FourierSketch`, or the path of a saved one (no model
          needed; names stored by :meth:`save` are restored);
        - a path containing ``{output}``: the files of outputs 0, 1, ... until one is
          missing, as :meth:`save` writes them;
        - a list of sketches or paths, one per output of a multi-output model. They
          must agree on n, q and the alphabet: an output whose sketch was saved without
          an alphabet (codes only) adopts the alphabet of the others, and two different
          alphabets are refused.
    alphabet : Alphabet or int, optional
        The alphabet (or just its size q). Required with a model; with a sketch it
        defaults to the sketch's own alphabet, and may attach one to a sketch saved
        without.
    seq_length : int, optional
        Sequence length n. Required with a model; with a sketch it must match it.
    background : "uniform", Background, str, list of str or array-like, default "uniform"
        The background P of the value function; see :func:`shap_zero.shapley_values`.
    budget : int, optional
        Largest number of distinct model queries for the sketch, held-out validation
        and the optional SHAP accuracy check included (default
        :data:`shap_zero._config.DEFAULT_BUDGET`, 1,000,000).
    method : {"auto", "exact", "qsft", "regression", "hybrid"}, default "auto"
        The sketch engine (:mod:`shap_zero.engines`). ``"auto"``: the best of the
        hybrid (every low-degree term by regression, higher-order blocks by a
        hierarchical search), q-SFT and both combined, chosen on held-out queries.
        Whatever the engine, a budget that covers all q^n sequences gives the exact
        transform.
        ``"qsft"``: the sparse q-SFT sketch, for models known to be a few strong terms.
        ``"regression"``: every term up to a degree. ``"exact"``: all q^n outputs
        (q^n <= :data:`shap_zero._config.MAX_DENSE_SIZE`).
    model_input : {"codes", "strings", "onehot", "onehot_channels_first", "onehot_flat"}, default "codes"
        What the model takes (:class:`~shap_zero.models.SequenceModel`). A
        ``torch.nn.Module`` is wrapped in a :class:`~shap_zero.adaptors.TorchModel`
        instead: the one-hot is built on the module's device in float32, channels-last
        for ``"onehot"``, channels-first (``Conv1d``'s layout) for
        ``"onehot_channels_first"``, flat for ``"onehot_flat"``, int64 codes for
        ``"codes"``, and the module runs in eval mode under inference mode. For another
        dtype, device or output head, pass ``shap_zero.TorchModel(module, ...)`` as the
        model.
    model_method : {"predict", "predict_proba", "decision_function"}, optional
        Which method of an estimator to call; default ``predict`` (or ``predict_proba``
        when ``output_class`` is given).
    output_class : optional
        The class label whose probability is explained (with ``predict_proba``).
    feature_names : list of str, optional
        One name per position; default: the names stored in the sketch file, else
        ``"pos1"`` ... ``"posN"``.
    output_names : list of str, optional
        One name per model output; default: the names stored in the sketch files.
    progress : bool, default False
        Show progress bars over model queries and explanations.
    random_state : None, int or numpy.random.Generator
        Seeds the engine's design. The same seed gives the same sketch.
    **sketch_options
        Passed to the engine: see its class (:class:`~shap_zero.HybridEngine`,
        :class:`~shap_zero.QSFT`, ...). Every engine takes ``n_validation``,
        ``check_sequences`` and ``check_permutations`` (the SHAP accuracy check),
        ``batch_size``, ``executor`` and ``checkpoint``.

    Attributes
    ----------
    sketches_ : list of FourierSketch
        One sketch per model output, after fitting.
    sketch_ : FourierSketch
        The sketch of a single-output model.
    engine_ : SketchEngine or None
        The fitted engine when a model was sketched (None for given sketches).
    n_queries_ : int
        Model queries spent on the sketch (0 for a given sketch).
    fit_seconds_ : float
        Wall time of the sketch (0 for a given sketch).

    Examples
    --------
    >>> import numpy as np
    >>> import shap_zero as sz
    >>> def model(codes):  # GC content plus a G-C dinucleotide at positions 2-3
    ...     return np.isin(codes, (1, 2)).sum(axis=1) + 2.0 * ((codes[:, 1] == 2) & (codes[:, 2] == 1))
    >>> explainer = sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=6)
    >>> explanation = explainer(["AGCTTA", "TTTTTT"])
    >>> explanation.values.shape
    (2, 6)
    >>> bool(np.allclose(explanation.values.sum(axis=1) + explanation.base_values, model(explanation.data)))
    True
    >>> explanation.display_data[0]
    array(['A', 'G', 'C', 'T', 'T', 'A'], dtype='<U1')
    """

    def __init__(
        self,
        model_or_sketch: Any,
        *,
        alphabet: Alphabet | int | None = None,
        seq_length: int | None = None,
        background: Any = "uniform",
        budget: int | None = None,
        method: SketchMethod = "auto",
        model_input: ModelInput = "codes",
        model_method: str | None = None,
        output_class: Any = None,
        feature_names: Sequence[str] | None = None,
        output_names: Sequence[str] | None = None,
        progress: bool = False,
        random_state: Any = None,
        **sketch_options: Any,
    ) -> None:
        # shap.Explainer.__init__ is deliberately not called: it wraps maskers and, for
        # the base class, swaps __class__; we set the attributes shap's code reads.
        if method not in ENGINES:
            raise InvalidParameterError(f"method must be one of {list(ENGINES)}; got {method!r}")
        accepted = set(ENGINES[method].option_names()) - set(_OWN_OPTIONS)
        unknown = sorted(set(sketch_options) - accepted)
        if unknown:
            owners = [name for name, engine in ENGINES.items() if set(unknown) <= set(engine.option_names())]
            hint = f"; {unknown} belong to " + " or ".join(f"method={name!r}" for name in owners) if owners else ""
            raise InvalidParameterError(
                f"unknown option(s) {unknown} for method={method!r}, whose engine takes {sorted(accepted)}{hint}"
            )
        if budget is not None and "budget" not in ENGINES[method].option_names():
            raise InvalidParameterError(f"budget does not apply to method={method!r} (its design is fixed)")
        self.masker = None
        self.link = shap.links.identity
        self.linearize_link = False
        self.background = background
        self.budget = budget
        self.method = method
        self.progress = check_bool(progress, name="progress")
        self.random_state = random_state
        self.sketch_options = dict(sketch_options)
        self.engine_: SketchEngine | None = None
        self.n_queries_ = 0
        self.fit_seconds_ = 0.0
        self.sketches_: list[FourierSketch] | None = None

        given = self._given_sketches(model_or_sketch)
        if given is not None:
            extra = [name for name, value in (("budget", budget), ("random_state", random_state)) if value is not None]
            extra += sorted(sketch_options)
            extra += [name for name, value in (("model_method", model_method), ("output_class", output_class)) if value is not None]
            if extra or method != "auto" or model_input != "codes":
                raise InvalidParameterError(
                    f"{extra or ['method/model_input']} only apply when sketching a model; a sketch was given"
                )
            self.model = None
            self.sketches_ = self._attach(*given, alphabet, seq_length)
            first = self.sketches_[0]
            self.alphabet, self.q, self.n = first.alphabet, first.q, first.n
        else:
            if alphabet is None or seq_length is None:
                missing = [name for name, value in (("alphabet", alphabet), ("seq_length", seq_length)) if value is None]
                raise InvalidParameterError(
                    f"explaining a model needs {' and '.join(missing)} (e.g. alphabet=shap_zero.DNA, seq_length=30)"
                )
            self.n = check_int(seq_length, name="seq_length", minimum=1)
            if isinstance(alphabet, Alphabet):
                self.alphabet, self.q = alphabet, alphabet.q
            else:
                self.alphabet, self.q = None, check_int(alphabet, name="alphabet", minimum=2, maximum=MAX_Q)
            self.model = model_or_sketch
            plain = model_input == "codes" and model_method is None and output_class is None and callable(model_or_sketch)
            self._code_model = (
                _torch_adaptor(model_or_sketch, self.alphabet if self.alphabet is not None else self.q, model_input,
                               model_method, output_class)
                if is_torch_module(model_or_sketch)
                else model_or_sketch
                if plain
                else SequenceModel(
                    model_or_sketch,
                    self.alphabet if self.alphabet is not None else self.q,
                    model_input=model_input,
                    method=model_method,
                    output_class=output_class,
                )
            )
            # Checks the options and the budget against n and q before any query.
            self._make_engine().validate(self.n, self.alphabet if self.alphabet is not None else self.q)
        names_argument = "feature_names"
        if self.sketches_ is not None and (feature_names is None or output_names is None):
            stored_features, stored_outputs = _stored_names(self.sketches_)
            if feature_names is None and stored_features is not None:
                feature_names, names_argument = stored_features, "feature_names (stored in the sketch file)"
            output_names = stored_outputs if output_names is None else output_names
        self.feature_names = _check_names(feature_names, self.n, names_argument, "position") or _default_feature_names(self.n)
        self.output_names = list(output_names) if output_names is not None else None
        if self.sketches_ is not None:
            self._check_output_names(len(self.sketches_))
        self._background = resolve_background(background, self.n, self.q, self.alphabet)

    # -- construction helpers -------------------------------------------------------

    @staticmethod
    def _given_sketches(model_or_sketch: Any) -> tuple[list[FourierSketch], list[str]] | None:
        """The sketches passed instead of a model (loaded from paths) and their labels.

        A label names the output and, for a loaded sketch, its file (for error
        messages). None when ``model_or_sketch`` is a model.
        """

        def one(item: Any) -> FourierSketch | None:
            if isinstance(item, FourierSketch):
                return item
            if _is_path(item):
                return FourierSketch.load(item)
            return None

        def label(number: int, item: Any) -> str:
            return f"output {number}" + (f" ({os.fspath(item)!r})" if _is_path(item) else "")

        if _is_path(model_or_sketch) and "{output}" in os.fspath(model_or_sketch):
            model_or_sketch = _output_paths(os.fspath(model_or_sketch))
        single = one(model_or_sketch)
        if single is not None:
            return [single], [label(0, model_or_sketch)]
        if isinstance(model_or_sketch, list | tuple) and model_or_sketch:
            loaded = [one(item) for item in model_or_sketch]
            if all(sketch is not None for sketch in loaded):
                labels = [label(number, item) for number, item in enumerate(model_or_sketch)]
                return loaded, labels  # type: ignore[return-value]
            if any(sketch is not None for sketch in loaded):
                raise InvalidParameterError(
                    "model_or_sketch: a list must hold only FourierSketch objects or paths (one per output); "
                    f"got {[type(item).__name__ for item in model_or_sketch]}"
                )
        return None

    @staticmethod
    def _attach(
        sketches: list[FourierSketch], labels: list[str], alphabet: Any, seq_length: Any
    ) -> list[FourierSketch]:
        """Check that the sketches of the outputs agree, and give them one alphabet.

        Sketches saved without an alphabet adopt ``alphabet`` when it is given, else the
        alphabet of the other outputs (all of which must then have the same one).
        """
        first = sketches[0]
        for number, sketch in enumerate(sketches[1:], start=1):
            if (sketch.n, sketch.q) != (first.n, first.q):
                raise InvalidParameterError(
                    f"model_or_sketch: {labels[number]} has n={sketch.n}, q={sketch.q} but {labels[0]} has "
                    f"n={first.n}, q={first.q}"
                )
        owners = [number for number, sketch in enumerate(sketches) if sketch.alphabet is not None]
        for number in owners[1:]:
            if sketches[number].alphabet != sketches[owners[0]].alphabet:
                raise InvalidParameterError(
                    f"model_or_sketch: {labels[number]} has alphabet {sketches[number].alphabet!r} but "
                    f"{labels[owners[0]]} has alphabet {sketches[owners[0]].alphabet!r}; every output "
                    "must use the same alphabet (the same symbols in the same code order), or the codes "
                    "of one would be read as the letters of the other"
                )
        if seq_length is not None and check_int(seq_length, name="seq_length", minimum=1) != first.n:
            raise InvalidParameterError(f"seq_length={seq_length} does not match the sketch's n={first.n}")
        if alphabet is not None:
            q = alphabet.q if isinstance(alphabet, Alphabet) else check_int(alphabet, name="alphabet", minimum=2)
            if q != first.q:
                raise InvalidParameterError(f"alphabet has q={q} symbols but the sketch has q={first.q}")
        if not isinstance(alphabet, Alphabet):
            if not owners:
                return list(sketches)
            alphabet = sketches[owners[0]].alphabet  # adopted by the outputs saved without one
        attached = []
        for sketch, label in zip(sketches, labels, strict=True):
            if sketch.alphabet is not None and sketch.alphabet != alphabet:
                raise InvalidParameterError(
                    f"alphabet {alphabet!r} differs from the alphabet {sketch.alphabet!r} of {label}"
                )
            if sketch.alphabet is None:
                sketch = sketch.with_alphabet(alphabet)
            attached.append(sketch)
        return attached

    def _check_output_names(self, m: int) -> None:
        if self.output_names is not None and len(self.output_names) != m:
            raise InvalidParameterError(
                f"output_names must hold {m} names (one per model output); got {len(self.output_names)}"
            )

    # -- sketching --------------------------------------------------------------------

    def _make_engine(self) -> SketchEngine:
        """The (unfitted) engine of ``method`` with the explainer's options."""
        options = dict(self.sketch_options)
        if "budget" in ENGINES[self.method].option_names():
            options["budget"] = self.budget
        return make_engine(self.method, progress=self.progress, random_state=self.random_state, **options)

    def fit(self) -> ZeroExplainer:
        """Sketch the model (once; later calls do nothing).

        Warns (``UserWarning``) when the report says the sketch's SHAP values are
        unreliable: the SHAP accuracy check found a large error, or, without the check,
        the held-out R^2 is below :data:`LOW_R2_WARNING`.

        Returns
        -------
        self

        Raises
        ------
        InsufficientBudgetError
            If ``budget`` is below the smallest campaign of the engine for this n and q.
        ModelError, ModelOutputError
            If the model raises, or returns NaN, infinite or wrongly shaped outputs.
        """
        if self.sketches_ is not None:
            return self
        started = time.perf_counter()
        alphabet = self.alphabet if self.alphabet is not None else self.q
        engine = self._make_engine()
        engine.fit(self._code_model, seq_length=self.n, alphabet=alphabet, background=self._background)
        sketches = engine.sketches_
        self._check_output_names(len(sketches))
        self.engine_ = engine
        self.n_queries_ = engine.n_queries_
        self.fit_seconds_ = time.perf_counter() - started
        self.sketches_ = sketches
        _warn_if_poor(engine.report_)
        return self

    @property
    def sketch_(self) -> FourierSketch:
        """The sketch of a single-output model (fits on first access)."""
        sketches = self.fit().sketches_
        assert sketches is not None
        if len(sketches) != 1:
            raise AttributeError(f"the model has {len(sketches)} outputs; use sketches_[j] for output j")
        return sketches[0]

    @property
    def n_outputs(self) -> int:
        """Number of model outputs m (fits on first access)."""
        return len(self.fit().sketches_)  # type: ignore[arg-type]

    @property
    def report_(self) -> SketchReport | None:
        """The engine's report (held-out R^2, SHAP accuracy, queries, seconds), or None for given sketches."""
        return None if self.engine_ is None else self.engine_.report_

    @property
    def expected_value(self) -> float | np.ndarray:
        """Mean model output under the background: a float, or (m,) for m outputs."""
        sketches = self.fit().sketches_
        cached = self.__dict__.get("_expected_cache")
        if cached is not None and cached[0] is sketches:  # the same fit: the same value
            return cached[1] if np.isscalar(cached[1]) else cached[1].copy()
        values = np.array([expected_value(sketch, self._background) for sketch in sketches])  # type: ignore[union-attr]
        result = float(values[0]) if values.size == 1 else values
        self._expected_cache = (sketches, result)
        return result if np.isscalar(result) else result.copy()

    def _base_row(self) -> np.ndarray:
        """``expected_value`` as an array of shape (m,), kept with the fit it belongs to."""
        sketches = self.fit().sketches_
        cached = self.__dict__.get("_base_row_cache")
        if cached is None or cached[0] is not sketches:
            cached = self._base_row_cache = (sketches, np.atleast_1d(np.asarray(self.expected_value, dtype=np.float64)))
        return cached[1]

    # -- explaining -----------------------------------------------------------------

    def _encode(self, X: Any) -> np.ndarray:
        return self.fit().sketches_[0].encode(X)  # type: ignore[index]

    def _letters(self, codes: np.ndarray) -> np.ndarray | None:
        if self.alphabet is None:
            return None
        cached = self.__dict__.get("_symbol_array")
        if cached is None or cached[0] is not self.alphabet:
            cached = self._symbol_array = (self.alphabet, np.asarray(list(self.alphabet.symbols)))
        return cached[1][codes]

    def _output(self, output: int | None) -> int:
        m = self.n_outputs
        if output is None:
            if m != 1:
                raise InvalidParameterError(f"the model has {m} outputs; pass output=0..{m - 1}")
            return 0
        return check_int(output, name="output", minimum=0, maximum=m - 1)

    def _progress(self, progress: bool | None) -> bool:
        """Whether to show progress: the call's ``progress``, else the explainer's."""
        return self.progress if progress is None else check_bool(progress, name="progress")

    def _per_output(self, compute: Any, X: Any, progress: bool | None, **options: Any) -> np.ndarray:
        """``compute(sketch, codes, ...)`` for every output, stacked on a last axis when m > 1."""
        codes = self._encode(X)
        shown = self._progress(progress)
        per_output = [
            compute(sketch, codes, background=self._background, progress=shown, **options)
            for sketch in self.sketches_  # type: ignore[union-attr]
        ]
        return per_output[0] if len(per_output) == 1 else np.stack(per_output, axis=-1)

    def __call__(
        self, X: Any, *, progress: bool | None = None, display_data: bool = True, held: Any = None
    ) -> shap.Explanation:
        """Explain sequences: a ``shap.Explanation`` of their SHAP values.

        Parameters
        ----------
        X : str, list of str, or array-like of shape (N, n) or (n,) of integer codes
            The sequences.
        progress : bool, optional
            Show a progress bar; default: the explainer's ``progress``.
        display_data : bool, default True
            Attach the letters (N, n) for shap's plots. They take 4 bytes per symbol
            (numpy's smallest text type; shap's plots format them as text, so a 1-byte
            bytes array would print as ``b'A'``), half as much as the values: at 10^7
            sequences of length 26, about 1 GiB. False leaves ``display_data`` None; the
            plots then show the integer codes.
        held : ndarray of shape (N, n), bool, optional
            Positions held at the background, such as unknown letters (N): their values
            are 0, and the other positions share ``E[f | the other letters] - E f``
            (:func:`~shap_zero.shapley_values`; ``read_sequences(...,
            ambiguous="background")`` gives the mask). They show as "?" in
            ``display_data``.

        Returns
        -------
        shap.Explanation
            ``values`` (N, n), or (N, n, m) for m outputs; ``base_values`` (N,) or (N, m);
            ``data`` the uint8 codes (N, n); ``display_data`` the letters (N, n) when the
            alphabet is known; ``feature_names``; ``output_names``; ``compute_time`` in
            seconds. Efficiency holds: ``values.sum(axis=1) + base_values`` equals the
            sketch's prediction.
        """
        codes = self._encode(X)
        started = time.perf_counter()
        if held is None and self.n_outputs == 1:
            # Checked once above: straight to the closed form (no second validation).
            sketch = self.sketches_[0]  # type: ignore[index]
            values = shapley_values_of_codes(sketch, codes, self._background, progress=self._progress(progress),
                                             out=np.empty(codes.shape))  # fmt: skip
        else:
            values = self.shap_values(codes, progress=progress, held=held)
        base = self._base_row()
        base_values = np.tile(base, (codes.shape[0], 1)) if base.size > 1 else np.full(codes.shape[0], base[0])
        letters = self._letters(codes) if check_bool(display_data, name="display_data") else None
        if letters is not None and held is not None:
            letters = letters.astype(f"<U{max(1, letters.itemsize // 4)}")  # a copy, not the cache's
            letters[check_held(held, codes.shape)] = "?"
        return shap.Explanation(
            values,
            base_values=base_values,
            data=codes,
            display_data=letters,
            feature_names=list(self.feature_names),
            output_names=self.output_names,
            compute_time=time.perf_counter() - started,
        )

    def shap_values(self, X: Any, *, progress: bool | None = None, held: Any = None) -> np.ndarray:
        """SHAP values as a plain array (shap's legacy API).

        Parameters
        ----------
        X : str, list of str, or array-like of shape (N, n) or (n,) of integer codes
        progress : bool, optional
        held : ndarray of shape (N, n), bool, optional
            Positions held at the background (see :meth:`__call__`).

        Returns
        -------
        ndarray of shape (N, n), or (N, n, m) for m outputs
        """
        if held is None:
            return self._per_output(shapley_values, X, progress)
        return self._per_output(shapley_values, X, progress, held=held)

    def shap_interaction_values(self, X: Any, *, progress: bool | None = None) -> np.ndarray:
        """Pairwise interaction matrices in the convention of shap's TreeExplainer.

        ``Phi[r, i, j]`` is half the pairwise Shapley interaction index for i != j, and
        the diagonal holds the main effects, so each row sums to the SHAP value and each
        matrix to ``f(x) - E f``.

        Parameters
        ----------
        X : str, list of str, or array-like of shape (N, n) or (n,) of integer codes
        progress : bool, optional

        Returns
        -------
        ndarray of shape (N, n, n), or (N, n, n, m) for m outputs
        """
        return self._per_output(shap_interaction_values, X, progress)

    @document_indices
    def interactions(
        self,
        X: Any,
        *,
        index: IndexName = "SII",
        order: int | None = 2,
        output: int | None = None,
        progress: bool | None = None,
        out: np.ndarray | None = None,
    ) -> InteractionExplanation:
        """Shapley interaction indices of each sequence, on the position subsets that can be nonzero.

        Parameters
        ----------
        X : str, list of str, or array-like of shape (N, n) or (n,) of integer codes
        index : {index options}, default "SII"
            The interaction index ({index titles}; docs/math.md, Interaction indices).
        order : int or None, default 2
            Largest subset size; None: the sketch's max degree.
        output : int, optional
            Which output of a multi-output model.
        progress : bool, optional
        out : ndarray of shape (N, U), float64, optional
            Preallocated values (e.g. a ``numpy.memmap``); see
            :func:`shap_zero.interaction_values`.

        Returns
        -------
        InteractionExplanation
        """
        column = self._output(output)
        codes = self._encode(X)
        shown = self._progress(progress)
        started = time.perf_counter()
        result = interaction_values(
            self.sketches_[column], codes, index=index, order=order, background=self._background, progress=shown,  # type: ignore[index]
            out=out,
        )  # fmt: skip
        return InteractionExplanation(
            result=result,
            data=codes,
            q=self.q,
            feature_names=tuple(self.feature_names),
            symbols=None if self.alphabet is None else self.alphabet.symbols,
            compute_time=time.perf_counter() - started,
        )

    @document_indices
    def global_explanation(
        self,
        X: Any,
        *,
        output: int | None = None,
        index: IndexName = "SII",
        n_top: int = 20,
        progress: bool | None = None,
    ) -> GlobalExplanation:
        """Data-set summaries: mean absolute SHAP value per position and per (position, symbol), top interactions.

        Sequences are processed in chunks with vectorised aggregation (no Python loop
        over sequences), so working memory stays bounded for millions of sequences.

        Parameters
        ----------
        X : str, list of str, or array-like of shape (N, n) of integer codes
        output : int, optional
            Which output of a multi-output model.
        index : {interaction index options}, default "SII"
            The pairwise interaction index ranked in ``top_interactions``.
        n_top : int, default 20
            Number of interactions listed.
        progress : bool, optional

        Returns
        -------
        GlobalExplanation
        """
        column = self._output(output)
        n_top = check_int(n_top, name="n_top", minimum=1)
        codes = self._encode(X)
        if codes.shape[0] == 0:
            raise InvalidParameterError("X: a global explanation needs at least one sequence; got 0")
        shown = self._progress(progress)
        sketch = self.sketches_[column]  # type: ignore[index]
        started = time.perf_counter()
        totals: SymbolTotals | None = None
        pair_sum: np.ndarray | None = None
        pair_abs: np.ndarray | None = None
        subsets: tuple[tuple[int, ...], ...] = ()
        chunks = range(0, codes.shape[0], _SUMMARY_CHUNK)
        with progress_bar(shown, total=len(chunks), description="global explanation", unit="chunk") as bar:
            for start in chunks:
                block = codes[start : start + _SUMMARY_CHUNK]
                values = shapley_values(sketch, block, background=self._background)
                part = symbol_totals(values, block, self.q)
                totals = part if totals is None else totals + part
                pairs = interaction_values(sketch, block, index=index, order=2, background=self._background)
                keep = pairs.sizes == 2
                subsets = tuple(s for s, k in zip(pairs.subsets, keep, strict=True) if k)
                chunk_sum = pairs.values[:, keep].sum(axis=0)
                chunk_abs = np.abs(pairs.values[:, keep]).sum(axis=0)
                pair_sum = chunk_sum if pair_sum is None else pair_sum + chunk_sum
                pair_abs = chunk_abs if pair_abs is None else pair_abs + chunk_abs
                bar.update()

        assert totals is not None and pair_sum is not None and pair_abs is not None
        count = codes.shape[0]
        return GlobalExplanation(
            position_mean=totals.sum.sum(axis=1) / count,
            position_mean_abs=totals.sum_abs.sum(axis=1) / count,
            symbol_totals=totals,
            pairs=subsets,
            pair_mean=pair_sum / count,
            pair_mean_abs=pair_abs / count,
            index=index,
            n_top=n_top,
            n_sequences=count,
            feature_names=tuple(self.feature_names),
            symbols=None if self.alphabet is None else self.alphabet.symbols,
            compute_time=time.perf_counter() - started,
        )

    # -- persistence ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:  # type: ignore[override]
        """Save the sketch (fitting first if needed) in the versioned sketch format.

        Unlike ``shap.Explainer.save`` nothing is pickled: what makes the explainer is
        its sketch. Each file's metadata also holds, under ``"explainer"``, the feature
        names and the output's name and number, which ``ZeroExplainer(path)`` and
        :meth:`load` restore unless given other names. Reload with ``ZeroExplainer(path)``
        or :meth:`load`.

        Parameters
        ----------
        path : str or path-like
            The file. For m > 1 outputs it must contain ``{output}``, replaced by the
            output number (one file per output); ``ZeroExplainer(path)`` with the same
            template loads them all.
        """
        fitted = self.fit().sketches_
        assert fitted is not None
        sketches = [
            sketch.with_metadata(**{EXPLAINER_METADATA: {
                "feature_names": list(self.feature_names),
                "output_name": None if self.output_names is None else self.output_names[number],
                "output": number,
                "n_outputs": len(fitted),
            }})
            for number, sketch in enumerate(fitted)
        ]  # fmt: skip
        path = os.fspath(path)
        if len(sketches) == 1:
            sketches[0].save(path)
            return
        if "{output}" not in path:
            raise InvalidParameterError(
                f"path: the model has {len(sketches)} outputs, so path must contain '{{output}}' "
                f"(one file per output, e.g. 'model.{{output}}.sketch.npz'); got {path!r}"
            )
        for number, sketch in enumerate(sketches):
            sketch.save(path.replace("{output}", str(number)))

    @classmethod
    def load(cls, path: Any, **options: Any) -> ZeroExplainer:  # type: ignore[override]
        """An explainer of saved sketches (no model needed).

        Parameters
        ----------
        path : str, path-like, or list of them
            A file written by :meth:`save` (or :meth:`FourierSketch.save`), or one per
            output; a path containing ``{output}`` loads outputs 0, 1, ... until a file
            is missing (so remove the files of an older save with more outputs).
        **options
            ``alphabet``, ``background``, ``feature_names``, ``output_names``, ``progress``.

        Returns
        -------
        ZeroExplainer
        """
        return cls(path, **options)

    def __repr__(self) -> str:
        state = "not fitted" if self.sketches_ is None else f"{len(self.sketches_)} sketch(es), {sum(s.n_terms for s in self.sketches_)} terms"
        kind = "sketch" if self.model is None else getattr(self.model, "__name__", type(self.model).__name__)
        return f"ZeroExplainer({kind}, n={self.n}, q={self.q}, background={self._background.kind!r}, {state})"

"""The protocol every baseline explainer follows, and the helpers they share.

A baseline explains a model on integer codes with some SHAP estimator other than
shap_zero's closed forms, and reports what it cost: the number of sequences the model
was evaluated on (counted by :class:`CountingModel`) and the wall time.

Value function
--------------
Every baseline computes interventional Shapley values,
``v_x(S) = E_{z ~ P} f(x_S, z_rest)``, with P given by its ``background`` argument:

- ``"uniform"`` (the default, as in shap_zero): every position independent and
  uniform over the alphabet. :class:`~baselines.exact.ExactSHAP` enumerates this
  distribution exactly. The sampling baselines (KernelSHAP, PermutationSHAP) cannot
  take a distribution, only a data set: for them ``"uniform"`` means a background of
  ``background_size`` uniform random sequences, an approximation of the uniform value
  function whose error shrinks as ``background_size`` grows.
- an integer array of shape (B, n): the uniform distribution over these B sequences
  (with multiplicity). Every baseline uses the same value function for such a set, so
  ``background=shap_zero.oracle.all_sequences(n, q)`` gives all of them the exact
  uniform value function (at q^n times the cost per coalition).
"""

from __future__ import annotations

import abc
import importlib
import importlib.util
import pkgutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from shap_zero import Alphabet
from shap_zero._config import MAX_Q
from shap_zero._validation import check_codes as validate_codes
from shap_zero.exceptions import InvalidParameterError

__all__ = [
    "Baseline",
    "BaselineResult",
    "CountingModel",
    "HarnessInfo",
    "RandomState",
    "SampledBackgroundBaseline",
    "harness_baselines",
]

RandomState = None | int | np.random.Generator
"""What ``random_state`` accepts: None (fresh entropy), a seed, or a Generator."""


@dataclass(frozen=True)
class BaselineResult:
    """SHAP values of N sequences computed by one baseline, with their cost.

    Attributes
    ----------
    values : ndarray of shape (N, n), float64
        SHAP values, one row per explained sequence.
    base_values : ndarray of shape (N,), float64
        The value of the empty coalition, ``v(empty) = E_P f``, per sequence; with
        efficiency, ``values.sum(1) + base_values`` is the model output (exactly for
        the exact and permutation baselines, up to round-off for KernelSHAP).
    n_model_queries : int
        Number of sequences (rows) the model was evaluated on, in total.
    seconds : float
        Wall time of :meth:`Baseline.explain`.
    method : str
        The baseline's name.
    params : dict
        The settings that determine the result (background kind and size, number of
        samples, seed, ...).
    """

    values: np.ndarray
    base_values: np.ndarray
    n_model_queries: int
    seconds: float
    method: str
    params: dict[str, Any] = field(default_factory=dict)


class CountingModel:
    """Wrap a model on codes: validate its inputs and outputs, count rows and calls.

    Samplers such as shap's may hand the model float or int64 arrays; the wrapper
    passes the model uint8 codes of shape (M, n) and returns float64 of shape (M,).
    Counters are updated under a lock, so concurrent calls are counted correctly
    (the baselines here call the model serially).

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (M, n) and returns M real numbers (shape (M,) or (M, 1)).
    seq_length : int
        Sequence length n.
    q : int
        Alphabet size.

    Attributes
    ----------
    rows : int
        Sequences evaluated so far.
    calls : int
        Model calls so far.
    """

    def __init__(self, model: Callable[[np.ndarray], Any], seq_length: int, q: int) -> None:
        if not callable(model):
            raise InvalidParameterError(
                f"model must be a callable on uint8 codes (N, n) -> (N,); got {type(model).__name__}"
            )
        self.model = model
        self.seq_length = seq_length
        self.q = q
        self.rows = 0
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, codes: Any) -> np.ndarray:
        """Evaluate the model on a batch.

        Parameters
        ----------
        codes : array_like of shape (M, n) or (n,)
            Symbol codes; floats are accepted if they are whole numbers.

        Returns
        -------
        ndarray of shape (M,), float64
        """
        arr = np.asarray(codes)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.seq_length:
            raise InvalidParameterError(
                f"codes passed to the model must have shape (M, {self.seq_length}); got shape {arr.shape}"
            )
        if not np.issubdtype(arr.dtype, np.integer):
            rounded = np.rint(arr)
            if not np.array_equal(rounded, arr):
                raise InvalidParameterError(
                    "codes passed to the model must be whole numbers; got fractional values"
                )
            arr = rounded
        codes_u8 = arr.astype(np.uint8)
        out = np.asarray(self.model(codes_u8), dtype=np.float64)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.shape != (arr.shape[0],):
            raise InvalidParameterError(
                f"model must return one number per sequence, shape ({arr.shape[0]},); got shape {out.shape}"
            )
        with self._lock:
            self.rows += arr.shape[0]
            self.calls += 1
        return out


@dataclass(frozen=True)
class HarnessInfo:
    """How the benchmark harness (``benchmarks/harness.py``) runs, names and draws a baseline.

    A baseline class that sets ``harness = HarnessInfo(...)`` is a harness method: suites
    name it by :attr:`method`, and the harness runs it by its :attr:`runner`, the
    protocol it follows:

    - ``"per_sequence"``: ``cls(**settings).explain(model, X, ...)`` on one sequence at a
      time (a :class:`Baseline` that pays model queries per sequence);
    - ``"amortized"``: ``cls(progress=..., **settings)``, then ``fit(model, *,
      seq_length, alphabet, random_state, validation)`` once (its cost on
      ``fit_report_.n_model_queries`` and ``.seconds``), then ``explain`` per sequence;
      ``harness_extra()`` may add figures to the cell;
    - ``"interactions"``: ``cls(**settings).explain_interactions(model, X, ...)`` (an
      :class:`~baselines.interactions.InteractionBaseline`).

    Attributes
    ----------
    method : str
        The name suites use (``MethodSpec.method``).
    runner : {"per_sequence", "amortized", "interactions"}
    label : str
        Name in legends and tables.
    colour : str
        Matplotlib colour of its curves.
    marker : str, default "o"
    describe : str, optional
        Format string of a cell's settings in tables, e.g.
        ``"KernelSHAP, {nsamples:,} coalitions"``; default :attr:`label`.
    needs : tuple of (str, str), optional
        A module it imports and the command that installs it; the harness skips the
        method, with that reason, when the module is missing.
    warm_up : tuple of dict, default ({},)
        Settings of untimed runs on a tiny problem before any cell (compilation and
        first-call costs belong to no sequence).
    """

    method: str
    runner: Literal["per_sequence", "amortized", "interactions"]
    label: str
    colour: str
    marker: str = "o"
    describe: str | None = None
    needs: tuple[str, str] | None = None
    warm_up: tuple[dict[str, Any], ...] = ({},)

    def description(self, settings: dict[str, Any]) -> str:
        """A readable name of one setting of the method (the label and the settings when
        :attr:`describe` names a setting the cell lacks)."""
        try:
            return self.label if self.describe is None else self.describe.format(**settings)
        except KeyError:
            listed = ", ".join(f"{key}={value}" for key, value in sorted(settings.items()))
            return f"{self.label} ({listed})" if listed else self.label

    def missing(self) -> str | None:
        """Why the method cannot run here (its module is missing), or None."""
        if self.needs is None or importlib.util.find_spec(self.needs[0]) is not None:
            return None
        return f"{self.needs[0]} is not installed ({self.needs[1]})"


def harness_baselines() -> dict[str, type]:
    """Every baseline class of this package that declares :class:`HarnessInfo`, by method name.

    Imports every module of the package (none imports an optional dependency at import
    time), so a new baseline needs only its module.
    """
    import baselines

    found: dict[str, type] = {}
    for module_info in sorted(pkgutil.iter_modules(baselines.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"baselines.{module_info.name}")
        for value in vars(module).values():
            info = getattr(value, "harness", None)
            if isinstance(value, type) and isinstance(info, HarnessInfo) and value.__module__ == module.__name__:
                if info.method in found and found[info.method] is not value:
                    raise RuntimeError(f"two baselines declare the harness method {info.method!r}")
                found[info.method] = value
    return found


class Baseline(abc.ABC):
    """A SHAP estimator for models on integer codes, with its cost.

    Subclasses set :attr:`name` and implement :meth:`_explain`; :meth:`explain`
    validates the inputs, wraps the model in a :class:`CountingModel`, times the call
    and assembles the :class:`BaselineResult`.
    """

    #: Name reported in :attr:`BaselineResult.method`.
    name: str = "baseline"
    #: How the benchmark harness runs it (None: not a harness method).
    harness: ClassVar[HarnessInfo | None] = None

    def explain(
        self,
        model: Callable[[np.ndarray], Any],
        X: Any,
        *,
        seq_length: int,
        alphabet: Alphabet | int,
        random_state: RandomState = None,
    ) -> BaselineResult:
        """SHAP values of the sequences ``X`` under the baseline's value function.

        Parameters
        ----------
        model : callable
            Takes uint8 codes of shape (M, n) and returns M real numbers.
        X : array_like of shape (N, n), integer
            Sequences to explain, codes in ``0..q-1``.
        seq_length : int
            Sequence length n.
        alphabet : Alphabet or int
            The alphabet, or just its size q.
        random_state : None, int or numpy.random.Generator
            Seeds the background draw and the sampler; the same seed gives the same
            values. Ignored by deterministic baselines.

        Returns
        -------
        BaselineResult
            ``values`` (N, n), ``base_values`` (N,), and the cost.

        Raises
        ------
        InvalidParameterError
            If an argument has the wrong type, shape or value.
        """
        n = _check_int(seq_length, "seq_length", 1)
        q = _check_alphabet(alphabet)
        codes = check_codes(X, "X", n, q)
        validate_random_state(random_state)
        counting = CountingModel(model, n, q)
        start = time.perf_counter()
        values, base_values, params = self._explain(counting, codes, n, q, random_state)
        seconds = time.perf_counter() - start
        values = np.asarray(values, dtype=np.float64).reshape(codes.shape)
        return BaselineResult(
            values=values,
            base_values=as_base_values(base_values, codes.shape[0]),
            n_model_queries=counting.rows,
            seconds=seconds,
            method=self.name,
            params=params,
        )

    @abc.abstractmethod
    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """Compute the values with validated inputs.

        Parameters
        ----------
        model : CountingModel
            The wrapped model; every evaluation must go through it.
        X : ndarray of shape (N, n), uint8
            Validated codes.
        n, q : int
            Sequence length and alphabet size.
        random_state : None, int or numpy.random.Generator
            Validated seed.

        Returns
        -------
        values : ndarray of shape (N, n)
        base_values : ndarray of shape (N,) or a scalar
        params : dict
        """

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self._settings().items())
        return f"{type(self).__name__}({settings})"

    def _settings(self) -> dict[str, Any]:
        """The constructor settings, for ``repr`` and :attr:`BaselineResult.params`."""
        return {}


class SampledBackgroundBaseline(Baseline):
    """A baseline that averages the model over a background data set.

    Parameters
    ----------
    background_size : int
        Size of the uniform random background when ``background="uniform"``.
    background : "uniform" or array_like of shape (B, n), integer
        The background data set; an explicit array is used as is.
    """

    def __init__(self, background_size: int, background: Any) -> None:
        self.background_size = _check_int(background_size, "background_size", 1)
        self.background = check_background_option(background)

    def _background_settings(self) -> dict[str, Any]:
        kind = "uniform" if isinstance(self.background, str) else f"array{self.background.shape}"
        return {"background_size": self.background_size, "background": kind}

    def _draw(self, random_state: RandomState, n: int, q: int) -> tuple[np.ndarray, int]:
        """The background data set of a run and the seed for shap's global RNG (drawn first).

        Returns
        -------
        background : ndarray of shape (B, n), uint8
        shap_seed : int
        """
        rng, shap_seed = seeds(random_state)
        return sampled_background(self.background, self.background_size, n, q, rng), shap_seed

    def _run_params(self, background: np.ndarray, random_state: RandomState, shap_seed: int) -> dict[str, Any]:
        """What a run used: background kind and size and the seeds."""
        return {
            "background": "uniform" if isinstance(self.background, str) else "set",
            "background_size": int(background.shape[0]),
            "random_state": random_state_label(random_state),
            "shap_seed": shap_seed,
        }


# ---------------------------------------------------------------------------
# Validation shared by the baselines
# ---------------------------------------------------------------------------


def _check_int(value: Any, name: str, minimum: int) -> int:
    """An integer argument >= ``minimum`` (bool refused), else InvalidParameterError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}; got {int(value)}")
    return int(value)


def _check_alphabet(alphabet: Any) -> int:
    """The alphabet size q from an Alphabet or an int in 2..MAX_Q (255)."""
    if isinstance(alphabet, Alphabet):
        return alphabet.q
    if isinstance(alphabet, bool) or not isinstance(alphabet, int | np.integer) or not 2 <= alphabet <= MAX_Q:
        raise InvalidParameterError(
            f"alphabet must be a shap_zero.Alphabet or an alphabet size q in 2..{MAX_Q}; got {alphabet!r}"
        )
    return int(alphabet)


def validate_random_state(random_state: Any) -> None:
    """Validate a ``random_state`` argument: None, an integer >= 0 or a Generator."""
    if random_state is not None and not isinstance(random_state, np.random.Generator):
        _check_int(random_state, "random_state", 0)


def random_state_label(random_state: RandomState) -> Any:
    """``random_state`` as recorded in a result's params (a Generator has no printable seed)."""
    return "Generator" if isinstance(random_state, np.random.Generator) else random_state


def as_base_values(base_values: Any, n_sequences: int) -> np.ndarray:
    """Per-sequence base values, shape (n_sequences,), float64, from an array or a scalar."""
    return np.broadcast_to(np.asarray(base_values, dtype=np.float64), (n_sequences,)).copy()


def check_codes(array: Any, name: str, n: int, q: int) -> np.ndarray:
    """Sequences of integer codes for a baseline: :func:`shap_zero._validation.check_codes`
    with at least one sequence, 2-D input and width ``n``, shape (N, n) uint8."""
    return validate_codes(array, q=q, n=n, name=name, ndim=2, allow_empty=False)


def check_background_option(background: Any) -> Any:
    """Validate a ``background`` constructor argument: ``"uniform"`` or a 2-D integer array.

    Parameters
    ----------
    background : "uniform" or array_like of shape (B, n), integer
        The background; its width and codes are checked against n and q in ``explain``.

    Returns
    -------
    "uniform" or ndarray of shape (B, n)
    """
    if isinstance(background, str):
        if background != "uniform":
            raise InvalidParameterError(
                f"background must be 'uniform' or an integer array of shape (B, n); got {background!r}"
            )
        return background
    arr = np.asarray(background)
    if arr.ndim != 2 or arr.shape[0] < 1 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterError(
            f"background must be 'uniform' or a non-empty integer array of shape (B, n); "
            f"got an array of shape {arr.shape} and dtype {arr.dtype}"
        )
    return arr


def sampled_background(
    background: Any, background_size: int, n: int, q: int, rng: np.random.Generator
) -> np.ndarray:
    """The background data set of a sampling baseline.

    Parameters
    ----------
    background : "uniform" or ndarray of shape (B, n)
        From :func:`check_background_option`.
    background_size : int
        Number of uniform random sequences drawn for ``"uniform"``.
    n, q : int
        Sequence length and alphabet size.
    rng : numpy.random.Generator
        Source of the uniform draw.

    Returns
    -------
    ndarray of shape (background_size, n) or (B, n), uint8
    """
    if isinstance(background, str):
        return rng.integers(0, q, size=(background_size, n), dtype=np.uint8)
    return check_codes(background, "background", n, q)


class global_numpy_rng:  # noqa: N801 - used as a context manager
    """Seed numpy's global RNG for the duration of a block, then restore its state.

    shap's KernelExplainer and PermutationExplainer draw from ``np.random``'s global
    state (and PermutationExplainer reseeds it in its constructor); this keeps the
    caller's global stream untouched.

    Parameters
    ----------
    seed : int
        Seed in ``0 .. 2**32 - 1``.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._state: Any = None

    def __enter__(self) -> None:
        self._state = np.random.get_state()
        np.random.seed(self.seed)

    def __exit__(self, *exc: Any) -> None:
        np.random.set_state(self._state)


def seeds(random_state: RandomState) -> tuple[np.random.Generator, int]:
    """A Generator for the background draw and a 32-bit seed for shap's global RNG.

    Parameters
    ----------
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    rng : numpy.random.Generator
        ``np.random.default_rng(random_state)``.
    shap_seed : int
        The first draw of ``rng`` (the background is drawn after it).
    """
    rng = np.random.default_rng(random_state)  # a Generator comes back unchanged
    shap_seed = int(rng.integers(0, 2**32))
    return rng, shap_seed

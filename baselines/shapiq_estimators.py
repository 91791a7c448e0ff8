"""Shapley interactions estimated by shapiq's approximators (SHAP-IQ, SVARM-IQ, KernelSHAP-IQ, SPEX, ...)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from baselines._protocol import (
    CountingModel,
    HarnessInfo,
    RandomState,
    _check_int,
    check_background_option,
    global_numpy_rng,
    random_state_label,
    sampled_background,
)
from baselines.interactions import InteractionBaseline, interaction_subsets
from shap_zero.exceptions import InvalidParameterError, ShapZeroError

__all__ = ["APPROXIMATORS", "ShapiqInteractions"]

#: The indices each approximator is trusted with. The Monte-Carlo estimators compute only
#: the top order of FSII; KernelSHAP-IQ does SII and k-SII only; RegressionFSII only FSII
#: (FSII of order 1 is the Shapley value). SPEX and ProxySPEX return wrong k-SII values in
#: shapiq 1.4.1 (their converter already returns k-SII, which is labelled SII and then
#: aggregated to k-SII a second time); SII is left out with it. They have no Möbius output
#: of their own: "Moebius" is read off their STII of one order higher (below its top order
#: STII is the Möbius transform).
APPROXIMATORS: dict[str, tuple[str, ...]] = {
    "SHAPIQ": ("SV", "SII", "k-SII", "STII"),
    "SVARMIQ": ("SV", "SII", "k-SII", "STII"),
    "KernelSHAPIQ": ("SV", "SII", "k-SII"),
    "RegressionFSII": ("SV", "FSII"),
    "SPEX": ("SV", "FSII", "STII", "Moebius"),
    "ProxySPEX": ("SV", "FSII", "STII", "Moebius"),
}

_SPARSE = ("SPEX", "ProxySPEX")

#: Most rows passed to the model in one call; larger coalition batches are split.
MAX_BATCH_ROWS: int = 2**20


class _SequenceGame:
    """The centred value function of one sequence, as shapiq's approximators call it.

    ``game(coalitions)`` maps a boolean matrix (K, n) to ``v_x(S) - v_x(empty)``: every
    coalition row becomes B model inputs (x on S, the background row elsewhere), the
    model is called on (K * B, n) codes and the outputs are averaged over B. The game
    is centred as shapiq's own imputers centre theirs (``normalization_value``): the
    indices of non-empty subsets do not change, and the sparse estimators need not
    spend effort on the constant.

    Parameters
    ----------
    model : CountingModel
        The wrapped model.
    x : ndarray of shape (n,), uint8
        The explained sequence.
    background : ndarray of shape (B, n), uint8
        The background data set.
    offset : float
        ``v_x(empty)``, the mean model output on the background.
    """

    def __init__(self, model: CountingModel, x: np.ndarray, background: np.ndarray, offset: float) -> None:
        self.model = model
        self.x = x
        self.background = background
        self.offset = offset
        self.coalitions = 0  # coalitions evaluated (with repeats): rows = coalitions * B
        self.low = np.inf
        self.high = -np.inf

    def __call__(self, coalitions: Any) -> np.ndarray:
        mask = np.asarray(coalitions).astype(bool)
        if mask.ndim == 1:
            mask = mask[None, :]
        n_background = self.background.shape[0]
        out = np.empty(mask.shape[0], dtype=np.float64)
        step = max(1, MAX_BATCH_ROWS // n_background)
        for start in range(0, mask.shape[0], step):
            block = mask[start : start + step]
            codes = np.where(block[:, None, :], self.x[None, None, :], self.background[None, :, :])
            outputs = self.model(codes.reshape(-1, self.x.shape[0]))
            out[start : start + block.shape[0]] = outputs.reshape(block.shape[0], n_background).mean(axis=1)
        self.coalitions += mask.shape[0]
        if out.size:
            self.low = min(self.low, float(out.min()))
            self.high = max(self.high, float(out.max()))
        return out - self.offset


class _Collect(logging.Handler):
    """A logging handler that keeps the messages it receives."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"lightgbm: {record.getMessage()}")


@contextlib.contextmanager
def _quiet() -> Iterator[list[str]]:
    """Collect warnings instead of printing them, and mute LightGBM's log.

    shapiq warns on routine events (a budget above 2**n, near-exhaustive sampling), and
    ProxySPEX's LightGBM logs alias notices for every one of its grid-search fits.
    Python warnings and LightGBM's warning-level messages are collected into the
    yielded list (for the result's params); LightGBM's info-level native log is
    dropped. Exceptions pass through untouched. LightGBM logs through
    ``lightgbm.basic._LOGGER`` (what ``lightgbm.register_logger`` sets); it points at a
    collecting logger for the duration and is restored afterwards.
    """
    notes: list[str] = []
    handler = _Collect()
    muted = logging.getLogger("baselines.shapiq_estimators.lightgbm")
    muted.setLevel(logging.WARNING)
    muted.propagate = False
    try:
        import lightgbm.basic as lightgbm_basic
    except ImportError:
        lightgbm_basic = None
    saved = getattr(lightgbm_basic, "_LOGGER", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if saved is not None:
            muted.addHandler(handler)
            lightgbm_basic._LOGGER = muted
        try:
            yield notes
        finally:
            if saved is not None:
                lightgbm_basic._LOGGER = saved
                muted.removeHandler(handler)
            notes.extend(f"{w.category.__name__}: {w.message}" for w in caught)
            notes.extend(handler.messages)


def _approximator_class(name: str) -> type:
    """shapiq's approximator class of this name (shapiq is imported only here)."""
    import shapiq.approximator as approximators

    return getattr(approximators, name)


def _spex_minimum_budget(approximator: Any, n: int) -> int | None:
    """The smallest budget SPEX accepts at this n: a b = 3 design at degree 2 (its fallback).

    shapiq lowers SPEX's degree parameter down to 2 until a subsampling dimension b > 2
    fits the budget; this is the sample count of that last design. None if
    sparse_transform's sizing helper is unavailable.
    """
    try:
        from sparse_transform.qsft.signals.input_signal_subsampled import SubsampledSignal

        query_args = dict(approximator.query_args, t=2)
        return int(SubsampledSignal.get_number_of_samples(n, 3, 2, 2, query_args))
    except Exception:  # noqa: BLE001 - only used to improve an error message
        return None


class ShapiqInteractions(InteractionBaseline):
    """Shapley interactions from one of shapiq's approximators, one game per sequence.

    For every sequence x a game ``v_x(S) - v_x(empty)`` is handed to a fresh shapiq
    approximator with the given budget. Each coalition the approximator asks for costs
    B model rows (x on the coalition, one background row elsewhere, averaged), all in
    one batched model call per request. ``v_x(empty)``, the mean model output on the
    background, is computed once (B rows) and is the result's base value.

    Value function: interventional, the expectation over the rows of the background
    data set. With ``background="uniform"`` that data set is ``background_size``
    uniform random sequences drawn from ``np.random.default_rng(random_state)`` (first
    thing drawn, so the same set can be rebuilt with
    ``rng.integers(0, q, size=(background_size, n), dtype=np.uint8)``), an
    approximation of the uniform value function exactly as in
    :class:`~baselines.KernelSHAP`.

    Cost: ``B + sum_x c_x * B`` model rows, with ``c_x`` the coalitions evaluated for
    sequence x (``params["coalitions"]``):

    - SHAPIQ, SVARMIQ, KernelSHAPIQ, RegressionFSII: ``min(budget, 2**n)`` distinct
      coalitions (the empty and full ones always among them); at ``budget >= 2**n``
      every coalition is evaluated and the estimate is exact (KernelSHAP-IQ and
      RegressionFSII up to their 1e8 constraint weights: ~1e-7 and ~1e-6 relative);
    - SPEX: the largest sparse-transform design that fits the budget (repeated
      coalitions included); shapiq refuses budgets below a minimum that grows with n
      (216 at n = 4..7, 264 at n = 8, 10, 12 and 20), and the error message states it;
    - ProxySPEX: ``min(budget, 2**n)`` distinct uniform coalitions, fitted by a
      LightGBM proxy (never exact: it keeps 95% of the proxy's Fourier energy).

    Parameters
    ----------
    approximator : {"SHAPIQ", "SVARMIQ", "KernelSHAPIQ", "RegressionFSII", "SPEX", "ProxySPEX"}
        The shapiq 1.4.1 approximator; :data:`APPROXIMATORS` lists the indices each
        supports here.
    budget : int, default 2048
        Coalitions per sequence (``>= 2``); model rows per sequence are ``budget * B``
        at most.
    background_size : int, default 100
        Size of the uniform random background when ``background="uniform"``.
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background data set; an explicit array is used as is.

    Notes
    -----
    Seeds: ``np.random.default_rng(random_state)`` draws the background, then one 32-bit
    seed per sequence, passed to the approximator's ``random_state`` and, for the
    duration of its run, to numpy's global RNG (SPEX's subsampling design draws from
    it; the caller's global state is restored). Warnings raised inside shapiq are
    collected in ``params["warnings"]`` instead of being printed.
    """

    name = "shapiq"
    harness = HarnessInfo(
        method="shapiq", runner="interactions", label="shapiq", colour="#666666",
        describe="{approximator}, {budget:,} coalitions x {background_size} background",
        needs=("shapiq", "pip install shapiq==1.4.1"),
        warm_up=tuple(
            {"approximator": name, "budget": 16, "background_size": 2} for name in ("KernelSHAPIQ", "SVARMIQ", "SHAPIQ")
        ),
    )  # fmt: skip

    def __init__(
        self,
        approximator: str = "KernelSHAPIQ",
        budget: int = 2**11,
        background_size: int = 100,
        background: Any = "uniform",
    ) -> None:
        if not isinstance(approximator, str) or approximator not in APPROXIMATORS:
            raise InvalidParameterError(
                f"approximator must be one of {list(APPROXIMATORS)} (shapiq 1.4.1); got {approximator!r}"
            )
        self.approximator = approximator
        self.budget = _check_int(budget, "budget", 2)
        self.background_size = _check_int(background_size, "background_size", 1)
        self.background = check_background_option(background)
        self.supported_indices = APPROXIMATORS[approximator]
        self.name = f"shapiq-{approximator}"

    def _settings(self) -> dict[str, Any]:
        kind = "uniform" if isinstance(self.background, str) else f"array{self.background.shape}"
        return {
            "approximator": self.approximator,
            "budget": self.budget,
            "background_size": self.background_size,
            "background": kind,
        }

    def _check_index_order(self, index: Any, order: Any, n: int) -> tuple[str, int]:
        if self.approximator in _SPARSE and index == "k-SII":
            raise InvalidParameterError(
                f"index 'k-SII' is refused for {self.approximator}: shapiq 1.4.1's sparse approximators "
                f"return wrong k-SII values (aggregated twice); use one of {list(self.supported_indices)}"
            )
        return super()._check_index_order(index, order, n)

    def _shapiq_request(self, index: str, order: int, n: int) -> tuple[str, int]:
        """The (index, max_order) asked of shapiq for our (index, order)."""
        if index == "Moebius":
            # STII of order l + 1 equals the Möbius transform on every subset of size <= l.
            return "STII", min(order + 1, n)
        return index, order

    def _make(self, n: int, index: str, order: int, seed: int) -> Any:
        cls = _approximator_class(self.approximator)
        if self.approximator in _SPARSE:
            return cls(n=n, index=index, max_order=order, random_state=seed)
        if self.approximator == "RegressionFSII":
            return cls(n, max_order=order, random_state=seed)  # FSII of order 1 is SV
        return cls(n, max_order=order, index=index, random_state=seed)

    def _explain_interactions(
        self,
        model: CountingModel,
        X: np.ndarray,
        n: int,
        q: int,
        index: str,
        order: int,
        random_state: RandomState,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        rng = np.random.default_rng(random_state)  # a Generator comes back unchanged
        background = sampled_background(self.background, self.background_size, n, q, rng)
        sequence_seeds = rng.integers(0, 2**32, size=X.shape[0])
        base = float(model(background).mean())
        shapiq_index, shapiq_order = self._shapiq_request(index, order, n)
        subsets = interaction_subsets(n, order)
        values = np.zeros((X.shape[0], len(subsets)), dtype=np.float64)
        coalitions: list[int] = []
        reported: list[int] = []
        notes: dict[str, None] = {}
        for row, x in enumerate(X):
            seed = int(sequence_seeds[row])
            game = _SequenceGame(model, x, background, base)
            with _quiet() as caught, global_numpy_rng(seed):
                approximator = self._make(n, shapiq_index, shapiq_order, seed)
                result = self._approximate(approximator, game, n, row)
            for message in caught:
                notes.setdefault(message, None)
            if result is not None:
                lookup = result.interaction_lookup
                raw = np.asarray(result.values, dtype=np.float64)
                # Subsets the estimator does not list are zero (SPEX reports only what it found).
                values[row] = [float(raw[lookup[s]]) if s in lookup else 0.0 for s in subsets]
                reported.append(int(result.estimation_budget))
            else:
                reported.append(game.coalitions)
                notes.setdefault(f"sequence {row}: constant on every coalition seen; values set to 0", None)
            coalitions.append(game.coalitions)
        params = {
            "approximator": self.approximator,
            "budget": self.budget,
            "shapiq_index": shapiq_index,
            "shapiq_order": shapiq_order,
            "background": "uniform" if isinstance(self.background, str) else "set",
            "background_size": int(background.shape[0]),
            "random_state": random_state_label(random_state),
            "coalitions": coalitions,
            "estimation_budget": reported,
            "warnings": list(notes),
        }
        return values, np.full(X.shape[0], base), params

    def _approximate(self, approximator: Any, game: _SequenceGame, n: int, row: int) -> Any:
        """Run the approximator; None means "every coalition had the same value: all indices 0"."""
        try:
            return approximator.approximate(self.budget, game)
        except (ValueError, IndexError) as err:
            if self.approximator == "SPEX" and "Insufficient budget" in str(err):
                minimum = _spex_minimum_budget(approximator, n)
                needed = f"at least {minimum}" if minimum is not None else "a larger budget"
                raise InvalidParameterError(
                    f"budget={self.budget} is too small for SPEX at seq_length={n}: it needs {needed}"
                ) from err
            if self.approximator != "ProxySPEX":
                raise
            # shapiq 1.4.1's ProxySPEX crashes when its LightGBM proxy makes no split. On a
            # constant game that is the right proxy, and every index is exactly zero.
            if game.coalitions and game.low == game.high:
                return None
            raise ShapZeroError(
                f"shapiq's ProxySPEX failed on sequence {row} (budget={self.budget}): {type(err).__name__}: "
                f"{err}. It fails when its LightGBM proxy makes no split in the {game.coalitions} coalitions "
                f"it saw (values in [{game.low:.6g}, {game.high:.6g}]); use a larger budget"
            ) from err

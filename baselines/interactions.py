"""The interaction-baseline protocol, its dense result type, and exact interaction indices.

An interaction baseline explains a model on integer codes with Shapley interaction
indices computed by some method other than shap_zero's closed forms, and reports what
that cost, exactly as the SHAP-value baselines of :mod:`baselines._protocol` do.

Value function
--------------
Interventional, ``v_x(S) = E_{z ~ P} f(x_S, z_rest)``, the same as every other baseline:
``background="uniform"`` is the uniform distribution over all q^n sequences (enumerated
exactly by :class:`ExactInteractions`; approximated by ``background_size`` random
sequences in the sampling baselines), and an integer array of shape (B, n) is the
uniform distribution over its rows.

Layout
------
Every :class:`InteractionResult` lists *all* subsets of ``{0..n-1}`` with sizes
``1..order``, sorted by size and then lexicographically, whatever the method: results of
different methods line up column by column. shap_zero's own
:class:`~shap_zero.Interactions` lists only the subsets that can be nonzero for its
sketch; :func:`from_shap_zero` and :func:`align` convert between the two.
"""

from __future__ import annotations

import abc
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

import shap_zero
from baselines._protocol import (
    CountingModel,
    HarnessInfo,
    RandomState,
    _check_alphabet,
    _check_int,
    as_base_values,
    check_background_option,
    check_codes,
    validate_random_state,
)
from baselines.exact import enumerated_background
from shap_zero import Alphabet
from shap_zero.exceptions import InvalidParameterError
from shap_zero.indices import document_indices
from shap_zero.oracle import (
    MAX_DENSE_SIZE,
    MAX_ORACLE_N,
    interaction_index_from_game,
    shapley_values_from_game,
    value_function,
)

__all__ = [
    "INDEX_NAMES",
    "ExactInteractions",
    "InteractionBaseline",
    "InteractionResult",
    "align",
    "from_shap_zero",
    "interaction_subsets",
]

#: The interaction indices of the protocol, spelled as shap_zero (and shapiq) spell them.
INDEX_NAMES: tuple[str, ...] = tuple(shap_zero.INDEX_NAMES)

Subset = tuple[int, ...]


def interaction_subsets(n: int, order: int) -> tuple[Subset, ...]:
    """Every subset of ``{0..n-1}`` with 1..order elements: the dense layout.

    Parameters
    ----------
    n : int
        Sequence length.
    order : int
        Largest subset size, ``1 <= order <= n``.

    Returns
    -------
    tuple of tuple of int, length ``sum(comb(n, k) for k in 1..order)``
        Sorted position tuples, by size, then lexicographically.
    """
    return tuple(subset for size in range(1, order + 1) for subset in itertools.combinations(range(n), size))


def _source_layout(source: Any) -> tuple[tuple[Subset, ...], np.ndarray]:
    """The (subsets, values) of an InteractionResult or a shap_zero Interactions."""
    subsets = getattr(source, "subsets", None)
    values = getattr(source, "values", None)
    if subsets is None or not isinstance(values, np.ndarray) or values.ndim != 2:
        raise InvalidParameterError(
            "values_source must be an InteractionResult or a shap_zero.Interactions (with .subsets and "
            f"2-D .values); got {type(source).__name__}"
        )
    return tuple(tuple(int(i) for i in s) for s in subsets), values


def align(values_source: Any, subsets: Sequence[Sequence[int]]) -> np.ndarray:
    """Values of a result on another list of subsets, zero where the source has none.

    Parameters
    ----------
    values_source : InteractionResult or shap_zero.Interactions
        Any object with ``subsets`` (U sorted position tuples) and ``values`` (N, U).
    subsets : sequence of sequences of int, length V
        The target subsets; positions in any order.

    Returns
    -------
    ndarray of shape (N, V), float64
        Column v holds the source's values at ``subsets[v]``, or zeros when the source
        does not list it (shap_zero's structural zeros, or sizes above its order).
    """
    source_subsets, values = _source_layout(values_source)
    lookup = {s: u for u, s in enumerate(source_subsets)}
    out = np.zeros((values.shape[0], len(subsets)), dtype=np.float64)
    for v, subset in enumerate(subsets):
        column = lookup.get(tuple(sorted(int(i) for i in subset)))
        if column is not None:
            out[:, v] = values[:, column]
    return out


@document_indices
@dataclass(frozen=True, eq=False)
class InteractionResult(shap_zero.Interactions):
    """Interaction indices of N sequences on the dense subset layout, with their cost.

    shap_zero's :class:`~shap_zero.Interactions` (index, order, subsets, values, base
    values, n, background and the look-ups ``column`` and ``get``) with every subset
    listed, plus what computing it cost.

    Attributes
    ----------
    index : str
        One of {index options}.
    order : int
        Largest subset size (1 for "SV").
    subsets : tuple of tuple of int
        All U subsets of ``{0..n-1}`` with sizes ``1..order``, sorted by size, then
        lexicographically (:func:`interaction_subsets`); the same for every method.
    values : ndarray of shape (N, U), float64
        ``values[r, u]`` is the index of sequence r at ``subsets[u]``.
    base_values : ndarray of shape (N,), float64
        The value of the empty coalition, ``v_x(empty) = E_P f``. SV, STII, FSII, k-SII
        and Möbius give the empty set this value, so e.g. for k-SII
        ``values.sum(1) + base_values`` is the model output.
    n : int
        Sequence length.
    background : str
        The kind of background: ``"uniform"`` or ``"set"``.
    n_model_queries : int
        Number of sequences (rows) the model was evaluated on, in total.
    seconds : float
        Wall time of :meth:`InteractionBaseline.explain_interactions`.
    method : str
        The baseline's name.
    params : dict
        The settings that determine the result, and notes on the cost (e.g.
        ``"amortized"``).
    """

    n_model_queries: int = 0
    seconds: float = 0.0
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def on(self, subsets: Sequence[Sequence[int]]) -> np.ndarray:
        """Values on another list of subsets (e.g. a shap_zero ``Interactions.subsets``).

        Parameters
        ----------
        subsets : sequence of sequences of int, length V
            Target subsets; those of size above :attr:`order` get zeros.

        Returns
        -------
        ndarray of shape (N, V), float64
        """
        return align(self, subsets)

    def __repr__(self) -> str:
        return (
            f"InteractionResult(method={self.method!r}, index={self.index!r}, order={self.order}, "
            f"sequences={self.n_sequences}, subsets={len(self.subsets)}, queries={self.n_model_queries})"
        )


def from_shap_zero(
    interactions: shap_zero.Interactions,
    *,
    n_model_queries: int = 0,
    seconds: float = 0.0,
    method: str = "shap_zero",
    params: dict[str, Any] | None = None,
) -> InteractionResult:
    """Put shap_zero's sparse :class:`~shap_zero.Interactions` on the dense layout.

    Parameters
    ----------
    interactions : shap_zero.Interactions
        Values of shape (N, U') on the subsets that can be nonzero.
    n_model_queries, seconds : int, float
        The cost to report (shap_zero's sketch cost is the caller's to attribute).
    method : str
        Name to report.
    params : dict, optional
        Extra settings to record.

    Returns
    -------
    InteractionResult
        Same index, order and base values; every subset of size ``1..order`` listed,
        zeros where shap_zero lists none.
    """
    if not isinstance(interactions, shap_zero.Interactions):
        raise InvalidParameterError(
            f"interactions must be a shap_zero.Interactions; got {type(interactions).__name__}"
        )
    subsets = interaction_subsets(interactions.n, interactions.order)
    return InteractionResult(
        index=interactions.index,
        order=interactions.order,
        subsets=subsets,
        values=align(interactions, subsets),
        base_values=np.asarray(interactions.base_values, dtype=np.float64).copy(),
        n=interactions.n,
        background=interactions.background,
        n_model_queries=int(n_model_queries),
        seconds=float(seconds),
        method=method,
        params={"background": interactions.background, **(params or {})},
    )


# ---------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------


class InteractionBaseline(abc.ABC):
    """An estimator of Shapley interaction indices for models on integer codes, with its cost.

    Subclasses set :attr:`name` (and :attr:`supported_indices` if they support fewer
    than all) and implement :meth:`_explain_interactions`;
    :meth:`explain_interactions` validates the inputs, wraps the model in a
    :class:`~baselines.CountingModel`, times the call and assembles the
    :class:`InteractionResult`.
    """

    #: Name reported in :attr:`InteractionResult.method`.
    name: str = "interaction-baseline"
    #: How the benchmark harness runs it (None: not a harness method).
    harness: ClassVar[HarnessInfo | None] = None

    #: Indices this baseline computes.
    supported_indices: tuple[str, ...] = INDEX_NAMES

    @document_indices
    def explain_interactions(
        self,
        model: Callable[[np.ndarray], Any],
        X: Any,
        *,
        seq_length: int,
        alphabet: Alphabet | int,
        index: str = "k-SII",
        order: int | None = None,
        random_state: RandomState = None,
    ) -> InteractionResult:
        """Interaction indices of the sequences ``X`` under the baseline's value function.

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
        index : {index options}, default "k-SII"
            The interaction index (see :func:`shap_zero.interaction_values`).
        order : int or None, default None
            Largest interaction size, ``1..n``; None means 2 (at most n), and 1 for "SV",
            whose only order is 1.
        random_state : None, int or numpy.random.Generator
            Seeds the background draw and the sampler; the same seed gives the same
            values. Ignored by deterministic baselines.

        Returns
        -------
        InteractionResult
            ``values`` (N, U) on all U subsets of sizes ``1..order``, ``base_values``
            (N,), and the cost.

        Raises
        ------
        InvalidParameterError
            If an argument has the wrong type, shape or value, or the baseline does not
            support the index, order or problem size.
        """
        n = _check_int(seq_length, "seq_length", 1)
        q = _check_alphabet(alphabet)
        index, order = self._check_index_order(index, order, n)
        codes = check_codes(X, "X", n, q)
        validate_random_state(random_state)
        # Refuse infeasible problems before the first model query.
        self._preflight(n, q, index, order)
        counting = CountingModel(model, n, q)
        start = time.perf_counter()
        values, base_values, params = self._explain_interactions(
            counting, codes, n, q, index, order, random_state
        )
        seconds = time.perf_counter() - start
        subsets = interaction_subsets(n, order)
        values = np.asarray(values, dtype=np.float64).reshape(codes.shape[0], len(subsets))
        return InteractionResult(
            index=index,
            order=order,
            subsets=subsets,
            values=values,
            base_values=as_base_values(base_values, codes.shape[0]),
            n=n,
            background="uniform" if isinstance(getattr(self, "background", "uniform"), str) else "set",
            n_model_queries=counting.rows,
            seconds=seconds,
            method=self.name,
            params=params,
        )

    def _check_index_order(self, index: Any, order: Any, n: int) -> tuple[str, int]:
        """Validate the index (known, and supported here) and resolve the order."""
        if not isinstance(index, str) or index not in INDEX_NAMES:
            raise InvalidParameterError(f"index must be one of {list(INDEX_NAMES)}; got {index!r}")
        if index not in self.supported_indices:
            raise InvalidParameterError(
                f"index {index!r} is not supported by {self!r}; it supports {list(self.supported_indices)}"
            )
        if index == "SV":
            if order not in (None, 1) or isinstance(order, bool):
                raise InvalidParameterError(f"index 'SV' (Shapley values) has order 1; got order={order!r}")
            return index, 1
        if order is None:
            return index, min(2, n)
        if isinstance(order, bool) or not isinstance(order, int | np.integer) or not 1 <= order <= n:
            raise InvalidParameterError(
                f"order must be an integer in 1..{n} (1..seq_length); got order={order!r}"
            )
        return index, int(order)

    def _preflight(self, n: int, q: int, index: str, order: int) -> None:  # noqa: B027 - optional hook
        """Refuse problems this baseline cannot do, before any model query (default: none)."""

    @abc.abstractmethod
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
        """Compute the index with validated inputs.

        Parameters
        ----------
        model : CountingModel
            The wrapped model; every evaluation must go through it.
        X : ndarray of shape (N, n), uint8
            Validated codes.
        n, q : int
            Sequence length and alphabet size.
        index : str
            A supported index name.
        order : int
            Resolved order, ``1..n`` (1 for "SV").
        random_state : None, int or numpy.random.Generator
            Validated seed.

        Returns
        -------
        values : ndarray of shape (N, U)
            On :func:`interaction_subsets` ``(n, order)``.
        base_values : ndarray of shape (N,) or a scalar
        params : dict
        """

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self._settings().items())
        return f"{type(self).__name__}({settings})"

    def _settings(self) -> dict[str, Any]:
        """The constructor settings, for ``repr``."""
        return {}


# ---------------------------------------------------------------------------
# Exact interactions
# ---------------------------------------------------------------------------


def _index_from_table(v: np.ndarray, n: int, index: str, order: int, oracle: str) -> np.ndarray:
    """The index on the dense layout from a game table indexed by subset bitmask.

    Parameters
    ----------
    v : ndarray of shape (2**n,)
        ``v[mask] = v_x(S)``, bit i of mask set iff position i is in S.
    n, index, order : int, str, int
        Validated problem.
    oracle : {"definitions", "shapiq"}
        Who computes the index from the table.

    Returns
    -------
    ndarray of shape (U,)
    """
    subsets = interaction_subsets(n, order)
    if oracle == "definitions":
        if index == "SV":
            return shapley_values_from_game(v)
        values = interaction_index_from_game(v, index, order)
        return np.array([values[s] for s in subsets])
    import shapiq  # the test extra; imported only when asked for

    bit_values = 1 << np.arange(n, dtype=np.int64)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return v[np.asarray(coalitions, dtype=np.int64) @ bit_values]

    computer = shapiq.ExactComputer(game, n)
    # shapiq's Moebius ignores the order and returns all 2**n subsets; we keep sizes <= order.
    result = computer(index=index, order=None if index == "Moebius" else order)
    lookup = result.interaction_lookup
    return np.array([float(result.values[lookup[s]]) if s in lookup else 0.0 for s in subsets])


class ExactInteractions(InteractionBaseline):
    """Exact interaction indices, by brute force or by one dense Fourier transform.

    ``method="brute"``
        For each sequence, the value function ``v_x(S)`` is tabulated on all 2^n
        subsets by enumerating every completion the background can produce
        (:func:`shap_zero.oracle.value_function`), and the index follows from its
        definition on that table: with ``oracle="definitions"``
        :func:`shap_zero.oracle.interaction_index_from_game` (discrete derivatives,
        weighted sums, FSII's constrained least squares; exact up to round-off, and
        independent of shap_zero's Möbius closed forms), or with ``oracle="shapiq"``
        shapiq's ``ExactComputer`` (FSII through a 1e8 penalty, about 1e-6 off).
        Cost per sequence: ``(q + 1)**n`` model rows for the uniform background,
        ``B * 2**n`` for a set of B sequences; only for n <=
        :data:`shap_zero.oracle.MAX_ORACLE_N`.

    ``method="transform"``
        The model is queried once on all q^n sequences
        (:func:`shap_zero.exact_sketch`, the dense Fourier transform) and the index of
        every sequence follows in closed form (:func:`shap_zero.interaction_values`).
        Uniform background only; q^n at most :data:`shap_zero.oracle.MAX_DENSE_SIZE`.
        The q^n queries are paid once per call, however many sequences are explained:
        ``params["fit_queries"]`` and ``params["amortized"] = True`` say so.

    The base value is ``v_x(empty) = E_P f`` (the table's first entry, or the sketch's
    mean).

    Parameters
    ----------
    method : {"brute", "transform"}, default "brute"
        How the index is computed.
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background distribution; "transform" takes only "uniform".
    oracle : {"definitions", "shapiq"}, default "definitions"
        Who computes the index from the tabulated game ("brute" only).
    """

    name = "exact-interactions"

    def __init__(
        self, method: str = "brute", background: Any = "uniform", oracle: str = "definitions"
    ) -> None:
        if method not in ("brute", "transform"):
            raise InvalidParameterError(f"method must be 'brute' or 'transform'; got {method!r}")
        if oracle not in ("definitions", "shapiq"):
            raise InvalidParameterError(f"oracle must be 'definitions' or 'shapiq'; got {oracle!r}")
        self.method = method
        self.background = check_background_option(background)
        self.oracle = oracle
        if method == "transform" and not isinstance(self.background, str):
            raise InvalidParameterError(
                "method='transform' supports only background='uniform' (the dense transform's closed "
                "forms are taken under the uniform distribution); use method='brute' for a background set"
            )

    def _settings(self) -> dict[str, Any]:
        kind = "uniform" if isinstance(self.background, str) else f"array{self.background.shape}"
        settings: dict[str, Any] = {"method": self.method, "background": kind}
        if self.method == "brute":
            settings["oracle"] = self.oracle
        return settings

    def _preflight(self, n: int, q: int, index: str, order: int) -> None:
        if self.method == "brute" and n > MAX_ORACLE_N:
            raise InvalidParameterError(
                f"seq_length must be at most MAX_ORACLE_N = {MAX_ORACLE_N} for "
                f"ExactInteractions(method='brute'), which sweeps all 2**n subsets; got seq_length={n}"
            )
        if self.method == "transform" and q**n > MAX_DENSE_SIZE:
            raise InvalidParameterError(
                f"ExactInteractions(method='transform') queries all q**n = {q}**{n} = {q**n} sequences; "
                f"at most MAX_DENSE_SIZE = {MAX_DENSE_SIZE} are allowed"
            )

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
        if self.method == "transform":
            sketch = shap_zero.exact_sketch(model, seq_length=n, alphabet=q)
            interactions = shap_zero.interaction_values(sketch, X, index=index, order=order)
            values = align(interactions, interaction_subsets(n, order))
            params = {"method": "transform", "background": "uniform", "fit_queries": q**n, "amortized": True}
            return values, interactions.base_values, params
        weights, probs, size = enumerated_background(self.background, n, q)
        n_subsets = sum(math.comb(n, k) for k in range(1, order + 1))
        values = np.empty((X.shape[0], n_subsets), dtype=np.float64)
        base = np.empty(X.shape[0], dtype=np.float64)
        for row, x in enumerate(X):
            game = value_function(model, x, weights, probs, q)
            values[row] = _index_from_table(game, n, index, order, self.oracle)
            base[row] = game[0]
        params = {
            "method": "brute",
            "oracle": self.oracle,
            "background": "uniform" if size is None else "set",
            "background_size": size,
        }
        return values, base, params

"""FastSHAP (Jethani et al., ICLR 2022): an amortized explainer network trained once.

FastSHAP learns a network ``phi_theta(x) -> R^n`` whose outputs are the Shapley
values of ``x``; after one training run, explaining a sequence costs one forward
pass (plus, here, one model query for ``f(x)``). Written from the paper for models
of integer-coded sequences; no code was taken from the reference implementation.

Faithful to the paper
---------------------
- **Objective.** The weighted least-squares characterisation of the Shapley value
  (Charnes et al., 1988; Lundberg and Lee, 2017), amortized over inputs:

  .. math:: \\mathcal{L}(\\theta) = \\mathbb{E}_{x}\\, \\mathbb{E}_{S \\sim p_{Sh}}
            \\left[ \\left( v_x(S) - v_x(\\emptyset) - 1_S^\\top \\phi_\\theta(x) \\right)^2 \\right]

  whose minimiser under the efficiency constraint is the Shapley value of each
  ``x`` (checked against enumeration in the tests).
- **Shapley-kernel sampling.** ``p_Sh(S) ∝ (n - 1) / (C(n, |S|) |S| (n - |S|))`` for
  ``0 < |S| < n``: a size k is drawn with probability ∝ ``(n - 1) / (k (n - k))``, then
  a uniform subset of that size (:func:`sample_shapley_subsets`).
- **Paired sampling.** Every sampled coalition is used together with its complement.
- **Additive efficient normalization** inside the network's forward pass, in
  training and at inference:
  ``phi <- phi + (v_x(all) - v_x(empty) - sum(phi)) / n``, so every explanation is
  exactly efficient.
- **Amortization.** One network for all inputs, trained by stochastic gradient
  descent (Adam) with a held-out validation loss for early stopping; the weights of
  the best validation epoch are kept.

What differs
------------
- **No surrogate model.** The paper queries a surrogate trained to imitate the
  model under masking. Here the targets come from the model itself: ``v_x(S)`` is
  estimated by Monte Carlo, the mean of ``f(x_S, z_rest)`` over ``n_background``
  fresh background draws ``z`` per coalition. The estimate is unbiased, so the
  noise only adds a constant to the expected loss and leaves its minimiser (the
  Shapley values under the exact value function) unchanged, and every model query
  is counted.
- **Value function.** Interventional with a uniform background (or the uniform
  distribution over a given set of sequences), like every baseline here, instead of
  the surrogate's learned conditional-style masking.
- **Inputs.** Sequences are one-hot encoded (``n * q`` inputs) into a ReLU MLP; the
  paper's architectures were chosen per data type (tabular MLPs, image U-Nets).
- **Null and grand values.** ``v_x(empty) = E f`` is the same for every ``x`` under
  an interventional value function: it is estimated once at fit time from
  ``n_empty`` uniform draws (or the mean over a background set). ``v_x(all) = f(x)``
  is queried once per training and explained sequence.
- **Output scale.** Targets are divided by the standard deviation of ``f`` over the
  training sequences during training (Adam's step size and the initialisation
  assume outputs of order one); explanations are returned in the model's units.

Requires PyTorch (``pip install "shap_zero[fastshap]"`` or ``pip install
torch==2.13.0``); it is imported only when a :class:`FastSHAP` is created, so
``import baselines`` works without it.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from baselines._protocol import (
    Baseline,
    CountingModel,
    HarnessInfo,
    RandomState,
    _check_alphabet,
    _check_int,
    check_background_option,
    check_codes,
    random_state_label,
    validate_random_state,
)
from shap_zero import Alphabet
from shap_zero.exceptions import InsufficientBudgetError, InvalidParameterError

__all__ = [
    "INSTALL_HINT",
    "FastSHAP",
    "FitReport",
    "sample_shapley_subsets",
    "shapley_kernel_size_probabilities",
    "shapley_kernel_subset_probabilities",
]

INSTALL_HINT = 'FastSHAP needs PyTorch: pip install "shap_zero[fastshap]" (or pip install torch==2.13.0)'
"""The message of the ImportError raised when torch is missing."""

#: Sequences per network forward pass (and per model call) at inference; bounds the
#: memory of the one-hot batch (65,536 x n*q float32).
_INFERENCE_CHUNK = 65_536

#: Metrics that improve upwards; every other history metric improves downwards.
_HIGHER_IS_BETTER = frozenset({"pearson"})


def _import_torch() -> Any:
    """Import torch, or raise an ImportError naming the extra to install."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return torch


# ---------------------------------------------------------------------------
# The Shapley kernel (pure NumPy)
# ---------------------------------------------------------------------------


def shapley_kernel_size_probabilities(n: int) -> np.ndarray:
    """Distribution of the coalition size under the Shapley kernel.

    .. math:: P(|S| = k) = \\frac{(n-1) / (k (n-k))}{\\sum_{j=1}^{n-1} (n-1) / (j (n-j))},
              \\qquad 0 < k < n

    Parameters
    ----------
    n : int
        Number of players (positions), ``n >= 2``.

    Returns
    -------
    ndarray of shape (n - 1,), float64
        Entry ``k - 1`` is the probability of size ``k``; sums to 1.
    """
    n = _check_int(n, "n", 2)
    k = np.arange(1, n, dtype=np.float64)
    weights = (n - 1) / (k * (n - k))
    return weights / weights.sum()


def shapley_kernel_subset_probabilities(n: int, sizes: Any) -> np.ndarray:
    """Probability of one particular coalition of each given size under the Shapley kernel.

    .. math:: p_{Sh}(S) = \\frac{P(|S| = k)}{\\binom{n}{k}}
              \\propto \\frac{n - 1}{\\binom{n}{k}\\, k\\, (n - k)}, \\qquad k = |S|

    Summed over all ``2**n - 2`` proper non-empty coalitions these probabilities are 1.

    Parameters
    ----------
    n : int
        Number of players, ``n >= 2``.
    sizes : array_like of int
        Coalition sizes, each in ``1..n-1``.

    Returns
    -------
    ndarray of the shape of ``sizes``, float64
    """
    by_size = shapley_kernel_size_probabilities(n)
    k = np.asarray(sizes)
    if not np.issubdtype(k.dtype, np.integer) or (k.size and (k.min() < 1 or k.max() > n - 1)):
        raise InvalidParameterError(f"sizes must be integers in 1..n-1 = 1..{n - 1}; got {sizes!r}")
    binomials = np.array([math.comb(n, j) for j in range(n + 1)], dtype=np.float64)
    return by_size[k - 1] / binomials[k]


def sample_shapley_subsets(
    n: int, n_samples: int, rng: np.random.Generator, *, paired: bool = True
) -> np.ndarray:
    """Draw coalitions from the Shapley kernel, optionally in complementary pairs.

    A size ``k`` is drawn from :func:`shapley_kernel_size_probabilities`, then a
    uniform subset of that size: the positions whose rank in a uniform random
    permutation is below ``k``. With ``paired=True`` row ``2j + 1`` is the complement
    of row ``2j``; the kernel is symmetric in ``k <-> n - k``, so complements are
    Shapley-kernel distributed too.

    Parameters
    ----------
    n : int
        Number of players, ``n >= 2``.
    n_samples : int
        Number of coalitions; even when ``paired``.
    rng : numpy.random.Generator
        Source of randomness.
    paired : bool, default True
        Return each coalition followed by its complement.

    Returns
    -------
    ndarray of shape (n_samples, n), bool
        ``mask[s, i]`` is True when position ``i`` is in coalition ``s``.
    """
    n = _check_int(n, "n", 2)
    n_samples = _check_int(n_samples, "n_samples", 0)
    if paired and n_samples % 2:
        raise InvalidParameterError(f"n_samples must be even when paired=True; got {n_samples}")
    n_draws = n_samples // 2 if paired else n_samples
    sizes = rng.choice(np.arange(1, n), size=n_draws, p=shapley_kernel_size_probabilities(n))
    ranks = np.argsort(np.argsort(rng.random((n_draws, n)), axis=1), axis=1)
    masks = ranks < sizes[:, None]
    if not paired:
        return masks
    out = np.empty((n_samples, n), dtype=bool)
    out[0::2] = masks
    out[1::2] = ~masks
    return out


# ---------------------------------------------------------------------------
# The fit report
# ---------------------------------------------------------------------------


@dataclass
class FitReport:
    """What one :meth:`FastSHAP.fit` cost, and how training went.

    Attributes
    ----------
    n_model_queries : int
        Model rows evaluated by training (v(empty), f of the training and validation
        sequences, and every coalition target). Excludes the monitoring queries.
    seconds : float
        Wall time of training, excluding the monitoring evaluations against
        ``validation``.
    epochs : int
        Epochs run.
    best_epoch : int
        The epoch whose weights were kept (lowest validation loss; 0 = untrained).
    stopped : str
        Why training stopped: ``"early_stopping"``, ``"max_epochs"`` or ``"max_queries"``.
    setup_queries : int
        Queries before the first epoch: ``n_empty`` (or B), ``n_train``, and
        ``validation_size * (1 + n_subsets * n_background)``.
    queries_per_epoch : int
        ``n_train * n_subsets * n_background``.
    null_value : float
        The estimate of ``v(empty) = E f``.
    n_monitor_queries : int
        Model rows spent on monitoring (``f`` of the ``validation`` sequences), not
        part of FastSHAP's cost.
    history : list of dict
        One entry per epoch, starting with epoch 0 (the untrained network): ``epoch``,
        ``queries`` and ``seconds`` (cumulative), ``train_loss`` (mean over the epoch,
        NaN at epoch 0), ``val_loss``, ``learning_rate``, and with ``validation``
        ``pearson`` and ``nmse``. Losses are in squared model units.
    """

    n_model_queries: int
    seconds: float
    epochs: int
    best_epoch: int
    stopped: str
    setup_queries: int
    queries_per_epoch: int
    null_value: float
    n_monitor_queries: int = 0
    history: list[dict[str, float]] = field(default_factory=list)

    def queries_to_reach(self, metric: str = "pearson", target: float = 0.9) -> tuple[int, float] | None:
        """Cost of training until a history metric first reaches a target.

        Parameters
        ----------
        metric : str, default "pearson"
            A history key: ``"pearson"`` must rise to ``target``; ``"nmse"``,
            ``"val_loss"`` and ``"train_loss"`` must fall to it.
        target : float, default 0.9

        Returns
        -------
        (queries, seconds) or None
            Cumulative training queries and seconds at the first epoch reaching the
            target; None if no epoch did.
        """
        if not self.history or metric not in self.history[0]:
            available = sorted(self.history[0]) if self.history else []
            hint = " (pearson and nmse need fit(..., validation=(X_val, phi_val)))"
            raise InvalidParameterError(f"metric must be one of {available}; got {metric!r}{hint}")
        higher = metric in _HIGHER_IS_BETTER
        for point in self.history:
            value = point[metric]
            if np.isfinite(value) and (value >= target if higher else value <= target):
                return int(point["queries"]), float(point["seconds"])
        return None


# ---------------------------------------------------------------------------
# FastSHAP
# ---------------------------------------------------------------------------


class FastSHAP(Baseline):
    """Amortized Shapley values: an explainer network trained on Shapley-kernel samples.

    :meth:`fit` trains ``phi_theta`` once; :meth:`explain` then costs one model query
    per sequence (``f(x)``, for the efficient normalization) plus a forward pass.
    :meth:`explain` on an unfitted instance fits first, and its cost then includes
    training. See the module docstring for the method and how it differs from the
    paper.

    Value function: interventional, ``v_x(S) = E_z f(x_S, z_rest)`` with ``z`` uniform
    over all sequences (``background="uniform"``) or over the rows of ``background``.
    Training targets are unbiased Monte Carlo estimates from the model itself (no
    surrogate): the mean of ``f`` over ``n_background`` fresh draws of ``z`` per
    coalition.

    Cost in model queries: ``setup + epochs * n_train * n_subsets * n_background``
    for training, with ``setup = n_empty + n_train + validation_size * (1 + n_subsets
    * n_background)`` (``n_empty`` is replaced by B for a background set), then one
    query per explained sequence. With the defaults an epoch costs
    ``10,000 * 32 * 1 = 320,000`` queries and the setup ``36,500``; at n = 20 and
    q = 4 an epoch takes about 0.5 s on one CPU thread (with a fast NumPy model).

    Measured with the defaults on ``shap_zero.random_sparse_sketch(20, 4, 50,
    max_degree=2)`` against exact values of 200 held-out sequences (training seeds 0
    and 1, one thread): Pearson 0.9 after 3.9M queries (4-5 s), 0.95 after 8.4-9.3M
    (9-11 s); early stopping after 22-26M queries and 25-30 s, at Pearson 0.977-0.978
    (NMSE 0.043-0.046).

    Parameters
    ----------
    hidden_sizes : sequence of int, default (256, 256)
        Widths of the hidden ReLU layers of the MLP ``n*q -> ... -> n``; ``()`` gives
        a linear model of the one-hot sequence.
    n_train : int, default 10_000
        Training sequences, drawn uniformly at random (unless ``fit`` gets ``X_train``).
    batch_size : int, default 64
        Training sequences per gradient step.
    n_subsets : int, default 32
        Coalitions per training sequence and epoch, fresh each epoch; even, half of
        them the complements of the other half (paired sampling).
    n_background : int, default 1
        Background draws per coalition in the Monte Carlo estimate of ``v_x(S)``.
        More draws lower the target noise but cost proportionally more queries: on
        the problem measured below, 4 draws needed twice the queries of 1 draw to
        reach Pearson 0.9 (but fewer seconds with a cheap model, since there were
        fewer gradient steps).
    n_empty : int, default 10_000
        Uniform draws for the estimate of ``v(empty) = E f`` (ignored with a
        background set, whose mean is exact).
    max_epochs : int, default 100
        Upper bound on training epochs.
    max_queries : int or None, default None
        Training budget in model queries: an epoch starts only if it fits, so fit
        never exceeds it. Must cover the setup and one epoch.
    learning_rate : float, default 1e-3
        Adam's initial learning rate; halved when the validation loss has not
        improved for ``lr_patience`` epochs.
    lr_patience : int, default 3
        Epochs without improvement before the learning rate is halved.
    patience : int, default 8
        Early stopping: epochs without improvement of the validation loss before
        training stops.
    validation_size : int, default 500
        Held-out sequences for the validation loss, with coalitions and targets drawn
        once. With a user ``X_train`` they are held out from it.
    background : "uniform" or array_like of shape (B, n), integer, default "uniform"
        The background distribution of the value function.
    progress : bool, default True
        Show a tqdm bar of the training epochs with queries and losses.
    torch_threads : int or None, default 1
        Threads torch may use during fit and explain (restored afterwards); None
        keeps torch's current setting. One thread is the default because the network
        and batches are small: on 2 busy cores, 2 threads made each gradient step
        about 14x slower (spinning workers), and the model runs in the same process.

    Attributes
    ----------
    fit_report_ : FitReport
        Cost and history of the last fit.
    null_value_ : float
        The estimate of ``v(empty)``, the base value of every explanation.
    seq_length_, q_ : int
        The sequence length and alphabet size fitted on.

    Notes
    -----
    ``explain(model, X, ..., random_state=...)`` on an unfitted instance fits with
    that ``random_state`` (the same network as ``fit(..., random_state=...)``); once
    fitted, explanations are deterministic and ``random_state`` is not used.

    Deterministic for a given ``random_state`` and thread count: the network is
    initialised under ``torch.random.fork_rng`` (the global torch RNG is restored
    afterwards) and every draw (sequences, coalitions, backgrounds, mini-batches)
    comes from one ``numpy.random.Generator``.
    """

    name = "fastshap"
    harness = HarnessInfo(
        method="fastshap", runner="amortized", label="FastSHAP", colour="#1f78b4", marker="*",
        describe="FastSHAP, at most {max_epochs} epochs", needs=("torch", 'pip install "shap_zero[fastshap]"'),
        warm_up=({"n_train": 40, "validation_size": 10, "n_subsets": 2, "max_epochs": 1, "n_empty": 20},),
    )  # fmt: skip

    def __init__(
        self,
        hidden_sizes: Sequence[int] = (256, 256),
        n_train: int = 10_000,
        batch_size: int = 64,
        n_subsets: int = 32,
        n_background: int = 1,
        n_empty: int = 10_000,
        max_epochs: int = 100,
        max_queries: int | None = None,
        learning_rate: float = 1e-3,
        lr_patience: int = 3,
        patience: int = 8,
        validation_size: int = 500,
        background: Any = "uniform",
        progress: bool = True,
        torch_threads: int | None = 1,
    ) -> None:
        _import_torch()  # fail at construction, with the install hint, not deep in fit
        if isinstance(hidden_sizes, str | bytes) or not isinstance(hidden_sizes, Sequence):
            raise InvalidParameterError(
                f"hidden_sizes must be a sequence of integers >= 1; got {hidden_sizes!r}"
            )
        self.hidden_sizes = tuple(_check_int(h, "hidden_sizes entries", 1) for h in hidden_sizes)
        self.n_train = _check_int(n_train, "n_train", 1)
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        self.n_subsets = _check_int(n_subsets, "n_subsets", 2)
        if self.n_subsets % 2:
            raise InvalidParameterError(
                f"n_subsets must be even (paired sampling: half are complements); got {self.n_subsets}"
            )
        self.n_background = _check_int(n_background, "n_background", 1)
        self.n_empty = _check_int(n_empty, "n_empty", 1)
        self.max_epochs = _check_int(max_epochs, "max_epochs", 1)
        self.max_queries = None if max_queries is None else _check_int(max_queries, "max_queries", 1)
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, int | float | np.floating | np.integer)
            or not math.isfinite(learning_rate)
            or learning_rate <= 0
        ):
            raise InvalidParameterError(f"learning_rate must be a finite number > 0; got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.lr_patience = _check_int(lr_patience, "lr_patience", 1)
        self.patience = _check_int(patience, "patience", 1)
        self.validation_size = _check_int(validation_size, "validation_size", 1)
        self.background = check_background_option(background)
        if not isinstance(progress, bool):
            raise InvalidParameterError(f"progress must be True or False; got {progress!r}")
        self.progress = progress
        self.torch_threads = None if torch_threads is None else _check_int(torch_threads, "torch_threads", 1)
        self._network: Any = None
        self._fitted_model: Any = None

    def _settings(self) -> dict[str, Any]:
        kind = "uniform" if isinstance(self.background, str) else f"array{self.background.shape}"
        return {
            "hidden_sizes": self.hidden_sizes,
            "n_train": self.n_train,
            "batch_size": self.batch_size,
            "n_subsets": self.n_subsets,
            "n_background": self.n_background,
            "n_empty": self.n_empty,
            "max_epochs": self.max_epochs,
            "max_queries": self.max_queries,
            "learning_rate": self.learning_rate,
            "lr_patience": self.lr_patience,
            "patience": self.patience,
            "validation_size": self.validation_size,
            "background": kind,
        }

    # -- public API -----------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or an explaining fit) has run."""
        return self._network is not None

    def fit(
        self,
        model: Callable[[np.ndarray], Any],
        *,
        seq_length: int,
        alphabet: Alphabet | int,
        X_train: Any = None,
        random_state: RandomState = None,
        validation: tuple[Any, Any] | None = None,
    ) -> FastSHAP:
        """Train the explainer network on ``model``.

        Parameters
        ----------
        model : callable
            Takes uint8 codes of shape (M, n) and returns M real numbers.
        seq_length : int
            Sequence length n (at least 2).
        alphabet : Alphabet or int
            The alphabet, or just its size q.
        X_train : array_like of shape (N_train, n), integer, optional
            Training sequences instead of ``n_train`` uniform random ones;
            ``validation_size`` of them are held out for the validation loss, so
            ``N_train > validation_size``.
        random_state : None, int or numpy.random.Generator
            Seeds every draw and the network's initialisation.
        validation : (X_val, phi_val), optional
            Reference Shapley values to monitor: ``X_val`` of shape (V, n) (integer
            codes) and ``phi_val`` of shape (V, n) (e.g. exact values). After every
            epoch the Pearson correlation and the NMSE
            ``||phi - phi_val||^2 / ||phi_val||^2`` of the network's explanations are
            recorded in the history. The V queries of ``f(X_val)`` and the time of
            these evaluations are reported apart (``n_monitor_queries``), not as
            training cost.

        Returns
        -------
        FastSHAP
            ``self``, fitted: :attr:`fit_report_`, :attr:`null_value_`.

        Raises
        ------
        InvalidParameterError
            If an argument has the wrong type, shape or value.
        InsufficientBudgetError
            If ``max_queries`` does not cover the setup and one epoch.
        """
        n = _check_int(seq_length, "seq_length", 1)
        q = _check_alphabet(alphabet)
        validate_random_state(random_state)
        self._check_n(n)
        counting = CountingModel(model, n, q)
        train = None if X_train is None else check_codes(X_train, "X_train", n, q)
        if train is not None and train.shape[0] <= self.validation_size:
            raise InvalidParameterError(
                f"X_train must have more rows than validation_size = {self.validation_size} (they are "
                f"held out from it for the validation loss); got {train.shape[0]} rows"
            )
        monitor = None
        if validation is not None:
            monitor = self._check_validation(validation, n, q)
        self._fit(counting, n, q, train, random_state, monitor, CountingModel(model, n, q))
        self._fitted_model = model
        return self

    def queries_to_reach(self, metric: str = "pearson", target: float = 0.9) -> tuple[int, float] | None:
        """Training queries and seconds until ``metric`` first reached ``target``.

        See :meth:`FitReport.queries_to_reach`.

        Parameters
        ----------
        metric : str, default "pearson"
        target : float, default 0.9

        Returns
        -------
        (queries, seconds) or None
        """
        self._require_fitted()
        return self.fit_report_.queries_to_reach(metric, target)

    def harness_extra(self) -> dict[str, Any]:
        """What the benchmark harness stores with a cell (:class:`~baselines.HarnessInfo`).

        Returns
        -------
        dict
            ``epochs``, and ``to_pearson_0.9`` and ``to_pearson_0.95``: the training
            queries and seconds until the validation Pearson correlation first reached
            that value (None when it did not, or without validation).
        """
        self._require_fitted()
        report = self.fit_report_
        extra: dict[str, Any] = {"epochs": report.epochs}
        monitored = bool(report.history) and "pearson" in report.history[0]
        for target in (0.9, 0.95):
            reached = self.queries_to_reach("pearson", target) if monitored else None
            extra[f"to_pearson_{target}"] = None if reached is None else {"queries": reached[0], "seconds": reached[1]}
        return extra

    # -- Baseline protocol ----------------------------------------------------------

    def _explain(
        self, model: CountingModel, X: np.ndarray, n: int, q: int, random_state: RandomState
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        fitted_here = not self.is_fitted
        if fitted_here:
            self._check_n(n)
            self._fit(model, n, q, None, random_state, None, None)
            self._fitted_model = model.model
        else:
            if (n, q) != (self.seq_length_, self.q_):
                raise InvalidParameterError(
                    f"this FastSHAP was fitted with seq_length={self.seq_length_} and alphabet size "
                    f"q={self.q_}; explain got seq_length={n}, q={q} (fit again for another model)"
                )
            if model.model is not self._fitted_model:
                warnings.warn(
                    "FastSHAP.explain got another model object than the one it was fitted on; the "
                    "network explains the fitted model, only f(x) comes from this one",
                    UserWarning,
                    stacklevel=3,
                )
        rows_before = model.rows
        start = time.perf_counter()
        torch = _import_torch()
        with _torch_threads(torch, self.torch_threads):
            values = self._predict(torch, model, X)
        report = self.fit_report_
        params = {
            **self._settings(),
            "amortized": True,
            "fitted_in_explain": fitted_here,
            "fit_queries": report.n_model_queries,
            "fit_seconds": report.seconds,
            "fit_epochs": report.epochs,
            "explain_queries": model.rows - rows_before,
            "explain_seconds": time.perf_counter() - start,
            "fit_random_state": self._fit_random_state,
        }
        return values, np.full(X.shape[0], self.null_value_), params

    # -- training -------------------------------------------------------------------

    def _fit(
        self,
        model: CountingModel,
        n: int,
        q: int,
        X_train: np.ndarray | None,
        random_state: RandomState,
        monitor: tuple[np.ndarray, np.ndarray] | None,
        monitor_model: CountingModel | None,
    ) -> None:
        """Train with validated inputs; sets the fitted state.

        Parameters
        ----------
        model : CountingModel
            Every training query goes through it.
        n, q : int
            Sequence length (>= 2) and alphabet size.
        X_train : ndarray of shape (N_train, n), uint8, or None
            Validated user training sequences (more rows than ``validation_size``).
        random_state : None, int or numpy.random.Generator
            Validated seed.
        monitor : (X_val uint8 (V, n), phi_val float64 (V, n)) or None
            Reference values to monitor.
        monitor_model : CountingModel or None
            A second counter for ``f(X_val)``, so monitoring is not counted as cost.
        """
        torch = _import_torch()
        rng = np.random.default_rng(random_state)  # a Generator comes back unchanged
        torch_seed = int(rng.integers(0, 2**63 - 1))
        background = (
            None if isinstance(self.background, str) else check_codes(self.background, "background", n, q)
        )
        m, n_bg = self.n_subsets, self.n_background
        start = time.perf_counter()
        monitor_seconds = 0.0
        rows_before = model.rows  # the model may have been queried before (explain's counter)

        def queries() -> int:
            return model.rows - rows_before

        # Setup: v(empty), the training and validation sequences and their f(x).
        if background is None:
            null = float(model(rng.integers(0, q, size=(self.n_empty, n), dtype=np.uint8)).mean())
            null_queries = self.n_empty
        else:
            null = float(model(background).mean())
            null_queries = background.shape[0]
        if X_train is None:
            X = rng.integers(0, q, size=(self.n_train, n), dtype=np.uint8)
            X_val = rng.integers(0, q, size=(self.validation_size, n), dtype=np.uint8)
        else:
            order = rng.permutation(X_train.shape[0])
            X_val = X_train[order[: self.validation_size]]
            X = X_train[order[self.validation_size :]]
        n_train = X.shape[0]
        queries_per_epoch = n_train * m * n_bg
        setup_queries = null_queries + n_train + self.validation_size * (1 + m * n_bg)
        if self.max_queries is not None and self.max_queries < setup_queries + queries_per_epoch:
            raise InsufficientBudgetError(
                f"max_queries must cover the setup ({setup_queries} queries: v(empty) {null_queries}, "
                f"f of {n_train} training and {self.validation_size} validation sequences, and "
                f"{self.validation_size} x {m} x {n_bg} validation targets) plus one epoch "
                f"({n_train} x {m} x {n_bg} = {queries_per_epoch}), at least "
                f"{setup_queries + queries_per_epoch}; got {self.max_queries}"
            )
        grand = model(X)
        val_masks = sample_shapley_subsets(n, self.validation_size * m, rng).reshape(
            self.validation_size, m, n
        )
        val_targets = _coalition_values(model, X_val, val_masks, background, n_bg, q, rng)
        val_grand = model(X_val)
        # Train on standardized outputs: Adam's steps and the initialisation assume
        # targets of order one (models can be in any unit).
        scale = float(np.std(grand))
        if not np.isfinite(scale) or scale <= 0:
            scale = 1.0

        monitor_data = None
        if monitor is not None:
            assert monitor_model is not None
            t0 = time.perf_counter()
            monitor_data = (monitor[0], monitor[1], monitor_model(monitor[0]))
            monitor_seconds += time.perf_counter() - t0

        history: list[dict[str, float]] = []
        with torch.random.fork_rng(devices=[]), _torch_threads(torch, self.torch_threads):
            torch.manual_seed(torch_seed)
            net = _ExplainerNetwork.build(torch, n, q, self.hidden_sizes)
            optimizer = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=0.5, patience=self.lr_patience - 1
            )
            x_train = _one_hot(torch, X, q)
            gap_train = torch.as_tensor((grand - null) / scale, dtype=torch.float32)
            val_inputs = (
                _one_hot(torch, X_val, q),
                torch.as_tensor((val_grand - null) / scale, dtype=torch.float32),
                torch.as_tensor(val_masks, dtype=torch.float32),
                torch.as_tensor((val_targets - null) / scale, dtype=torch.float32),
            )

            def record(epoch: int, train_loss: float) -> float:
                nonlocal monitor_seconds
                with torch.no_grad():
                    val_loss = float(_loss(torch, net, *val_inputs)) * scale**2
                point = {
                    "epoch": epoch,
                    "queries": queries(),
                    "seconds": time.perf_counter() - start - monitor_seconds,
                    "train_loss": train_loss,
                    "val_loss": val_loss,
                    "learning_rate": optimizer.param_groups[0]["lr"],
                }
                if monitor_data is not None:
                    t0 = time.perf_counter()
                    X_mon, phi_ref, f_mon = monitor_data
                    phi = _explain_values(torch, net, X_mon, f_mon, null, scale, q)
                    point["pearson"] = _pearson(phi, phi_ref)
                    point["nmse"] = float(np.sum((phi - phi_ref) ** 2) / max(np.sum(phi_ref**2), 1e-300))
                    monitor_seconds += time.perf_counter() - t0
                history.append(point)
                return val_loss

            best_loss = record(0, float("nan"))
            best_epoch, best_state = 0, copy.deepcopy(net.state_dict())
            stopped = "max_epochs"
            epoch = 0
            with _progress_bar(self.progress, self.max_epochs) as bar:
                for epoch in range(1, self.max_epochs + 1):
                    if self.max_queries is not None and queries() + queries_per_epoch > self.max_queries:
                        stopped, epoch = "max_queries", epoch - 1
                        break
                    net.train()
                    total, count = 0.0, 0
                    order = rng.permutation(n_train)
                    for first in range(0, n_train, self.batch_size):
                        idx = order[first : first + self.batch_size]
                        masks = sample_shapley_subsets(n, idx.size * m, rng).reshape(idx.size, m, n)
                        targets = _coalition_values(model, X[idx], masks, background, n_bg, q, rng)
                        loss = _loss(
                            torch,
                            net,
                            x_train[idx],
                            gap_train[idx],
                            torch.as_tensor(masks, dtype=torch.float32),
                            torch.as_tensor((targets - null) / scale, dtype=torch.float32),
                        )
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                        total += loss.item() * idx.size
                        count += idx.size
                    net.eval()
                    val_loss = record(epoch, total / count * scale**2)
                    scheduler.step(val_loss)
                    bar.update(1)
                    bar.set_postfix(
                        queries=queries(), loss=f"{total / count * scale**2:.4g}", val=f"{val_loss:.4g}"
                    )
                    if val_loss < best_loss:
                        best_loss, best_epoch, best_state = val_loss, epoch, copy.deepcopy(net.state_dict())
                    elif epoch - best_epoch >= self.patience:
                        stopped = "early_stopping"
                        break
            net.load_state_dict(best_state)
            net.eval()

        self._network = net
        self.null_value_ = null
        self._scale = scale
        self.seq_length_, self.q_ = n, q
        self._fit_random_state = random_state_label(random_state)
        self.fit_report_ = FitReport(
            n_model_queries=queries(),
            seconds=time.perf_counter() - start - monitor_seconds,
            epochs=epoch,
            best_epoch=best_epoch,
            stopped=stopped,
            setup_queries=setup_queries,
            queries_per_epoch=queries_per_epoch,
            null_value=null,
            n_monitor_queries=0 if monitor_model is None else monitor_model.rows,
            history=history,
        )

    # -- helpers ----------------------------------------------------------------------

    def _predict(self, torch: Any, model: CountingModel, X: np.ndarray) -> np.ndarray:
        """Explanations of validated codes X (N, n): one query per sequence plus a forward pass."""
        out = np.empty(X.shape, dtype=np.float64)
        for first in range(0, X.shape[0], _INFERENCE_CHUNK):
            chunk = X[first : first + _INFERENCE_CHUNK]
            out[first : first + chunk.shape[0]] = _explain_values(
                torch, self._network, chunk, model(chunk), self.null_value_, self._scale, self.q_
            )
        return out

    def _check_n(self, n: int) -> None:
        if n < 2:
            raise InvalidParameterError(
                f"seq_length must be at least 2 for FastSHAP (with one position the Shapley value is "
                f"f(x) - E f, nothing to learn); got seq_length={n}"
            )

    def _check_validation(self, validation: Any, n: int, q: int) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise InvalidParameterError(
                f"validation must be a pair (X_val, phi_val) of arrays of shape (V, n); got {type(validation).__name__}"
            )
        X_val = check_codes(validation[0], "validation X_val", n, q)
        phi_val = np.asarray(validation[1], dtype=np.float64)
        if phi_val.shape != X_val.shape or not np.all(np.isfinite(phi_val)):
            raise InvalidParameterError(
                f"validation phi_val must be finite reference values of the shape of X_val {X_val.shape}; "
                f"got shape {phi_val.shape}"
            )
        return X_val, phi_val

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise InvalidParameterError(
                "this FastSHAP is not fitted yet: call fit(model, ...) or explain(...) first"
            )


# ---------------------------------------------------------------------------
# Private helpers (validated inputs)
# ---------------------------------------------------------------------------


def _coalition_values(
    model: CountingModel,
    X: np.ndarray,
    masks: np.ndarray,
    background: np.ndarray | None,
    n_background: int,
    q: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Monte Carlo estimates of ``v_x(S)`` for every sequence and coalition, in one model call.

    Parameters
    ----------
    model : CountingModel
    X : ndarray of shape (B, n), uint8
    masks : ndarray of shape (B, m, n), bool
    background : ndarray of shape (K, n), uint8, or None (uniform)
    n_background : int
        Draws per coalition.
    q : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (B, m), float64
        The mean of ``f(x_S, z_rest)`` over ``n_background`` draws of ``z``.
    """
    b, m, n = masks.shape
    if background is None:
        z = rng.integers(0, q, size=(b, m, n_background, n), dtype=np.uint8)
    else:
        z = background[rng.integers(0, background.shape[0], size=(b, m, n_background))]
    points = np.where(masks[:, :, None, :], X[:, None, None, :], z)
    return model(points.reshape(-1, n)).reshape(b, m, n_background).mean(axis=2)


def _one_hot(torch: Any, codes: np.ndarray, q: int) -> Any:
    """One-hot float32 tensor of shape (N, n*q) from uint8 codes (N, n)."""
    index = torch.as_tensor(codes.astype(np.int64))
    return torch.nn.functional.one_hot(index, q).to(torch.float32).reshape(codes.shape[0], -1)


def _loss(torch: Any, net: Any, x: Any, gap: Any, masks: Any, targets: Any) -> Any:
    """Mean of ``(v_x(S) - v_x(empty) - 1_S^T phi(x))^2`` over sequences and coalitions.

    Parameters
    ----------
    x : tensor (B, n*q); gap : tensor (B,), ``(f(x) - v(empty)) / scale``;
    masks : tensor (B, m, n); targets : tensor (B, m), ``(v_x(S) - v(empty)) / scale``.
    """
    phi = net(x, gap)
    predicted = torch.einsum("bmn,bn->bm", masks, phi)
    return torch.mean((predicted - targets) ** 2)


def _explain_values(
    torch: Any, net: Any, X: np.ndarray, f_x: np.ndarray, null: float, scale: float, q: int
) -> np.ndarray:
    """Efficiently normalized explanations in float64, shape (N, n).

    The network's raw output is float32; the additive normalization (the same as in
    its forward pass) is redone in float64 so ``sum(phi) == f(x) - v(empty)`` to
    round-off.
    """
    with torch.no_grad():
        raw = net.raw(_one_hot(torch, X, q)).to(torch.float64).numpy() * scale
    n = X.shape[1]
    return raw + ((f_x - null) - raw.sum(axis=1))[:, None] / n


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays, flattened (NaN if either is constant)."""
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    denominator = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / denominator if denominator > 0 else float("nan")


class _ExplainerNetwork:
    """Factory of the explainer network (a torch Module built lazily, torch imported on use)."""

    @staticmethod
    def build(torch: Any, n: int, q: int, hidden_sizes: tuple[int, ...]) -> Any:
        """An MLP ``n*q -> hidden... -> n`` with efficient normalization in ``forward``.

        ``forward(x, gap)`` returns ``phi + (gap - sum(phi)) / n``, with ``gap`` the
        (scaled) ``f(x) - v(empty)``; ``raw(x)`` returns the unnormalized ``phi``.
        """
        nn = torch.nn

        class ExplainerNetwork(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                layers: list[Any] = []
                width = n * q
                for hidden in hidden_sizes:
                    layers += [nn.Linear(width, hidden), nn.ReLU()]
                    width = hidden
                layers.append(nn.Linear(width, n))
                self.mlp = nn.Sequential(*layers)

            def raw(self, x: Any) -> Any:
                return self.mlp(x)

            def forward(self, x: Any, gap: Any) -> Any:
                phi = self.mlp(x)
                return phi + (gap - phi.sum(dim=1))[:, None] / n

        return ExplainerNetwork()


@contextlib.contextmanager
def _torch_threads(torch: Any, threads: int | None) -> Iterator[None]:
    """Set torch's intra-op thread count for a block and restore it afterwards."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Any]:
    """A tqdm bar of training epochs (a no-op object when disabled)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="FastSHAP fit", unit="epoch", disable=not enabled, leave=False)
    try:
        yield bar
    finally:
        bar.close()

"""The result containers of :class:`~shap_zero.ZeroExplainer` besides ``shap.Explanation``.

- :class:`InteractionExplanation`: interaction indices of N sequences with their codes
  and names (``ZeroExplainer.interactions``), convertible to a ``shap.Explanation`` and
  to pandas;
- :class:`GlobalExplanation`: a data set's mean attributions per position and letter
  (``ZeroExplainer.global_explanation``).

Both hold an :mod:`shap_zero.attribution` result and add only what a reader needs
(names, letters, tables); they compute nothing from the sketch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import shap

from shap_zero._validation import check_int
from shap_zero.attribution import Interactions, SymbolTotals
from shap_zero.exceptions import InvalidParameterError
from shap_zero.indices import document_indices

__all__ = ["GlobalExplanation", "InteractionExplanation"]


def _subset_label(subset: tuple[int, ...], names: Sequence[str]) -> str:
    return " x ".join(names[i] for i in subset)


@dataclass(frozen=True, eq=False)
class InteractionExplanation:
    """Interaction indices of N sequences on a shared list of position subsets.

    Only subsets that can be nonzero for the sketch are listed; every other subset of
    size <= ``order`` has value 0.

    Attributes
    ----------
    result : Interactions
        The underlying values: ``result.values`` (N, U), ``result.subsets`` (U tuples of
        0-based positions), ``result.base_values`` (N,).
    data : ndarray of shape (N, n), uint8
        The sequences' codes.
    q : int
        Alphabet size.
    feature_names : tuple of str
        One name per position.
    symbols : str or None
        The alphabet's letters in code order, when known.
    compute_time : float
        Seconds spent computing the values.
    """

    result: Interactions
    data: np.ndarray
    q: int
    feature_names: tuple[str, ...]
    symbols: str | None
    compute_time: float

    @property
    @document_indices
    def index(self) -> str:
        """The index name, one of {index options}."""
        return self.result.index

    @property
    def order(self) -> int:
        """The largest subset size."""
        return self.result.order

    @property
    def values(self) -> np.ndarray:
        """ndarray of shape (N, U): the value of each sequence at each subset."""
        return self.result.values

    @property
    def base_values(self) -> np.ndarray:
        """ndarray of shape (N,): the value of the empty coalition, ``E_P f``."""
        return self.result.base_values

    @property
    def subsets(self) -> tuple[tuple[int, ...], ...]:
        """The U subsets as sorted 0-based positions, by size then lexicographically."""
        return self.result.subsets

    @property
    def sizes(self) -> np.ndarray:
        """ndarray of shape (U,): the size of each subset."""
        return self.result.sizes

    @cached_property
    def labels(self) -> list[str]:
        """One readable label per subset, e.g. ``"pos3 x pos7"`` (built once: tables index it per row)."""
        return [_subset_label(subset, self.feature_names) for subset in self.subsets]

    def get(self, subset: Sequence[int]) -> np.ndarray:
        """Values of all sequences at one subset; zeros when it is structurally zero.

        Parameters
        ----------
        subset : sequence of int
            1..order distinct 0-based positions, in any order.

        Returns
        -------
        ndarray of shape (N,), float64
        """
        return self.result.get(tuple(subset))

    def __len__(self) -> int:
        return self.result.n_sequences

    def __repr__(self) -> str:
        return (
            f"InteractionExplanation(index={self.index!r}, order={self.order}, sequences={len(self)}, "
            f"subsets={len(self.subsets)})"
        )

    def _display(self, subset: tuple[int, ...]) -> np.ndarray | None:
        if self.symbols is None:
            return None
        letters = np.asarray(list(self.symbols))[self.data[:, list(subset)]]
        return np.array(["".join(row) for row in letters]) if letters.shape[1] > 1 else letters[:, 0]

    def top(self, k: int = 10, *, by: Literal["mean_abs", "mean"] = "mean_abs") -> Any:
        """The ``k`` strongest subsets over the data set.

        Parameters
        ----------
        k : int, default 10
        by : {"mean_abs", "mean"}, default "mean_abs"
            Rank by mean absolute value (default) or by the absolute mean.

        Returns
        -------
        pandas.DataFrame
            Columns ``subset`` (0-based tuple), ``label``, ``size``, ``mean_abs``,
            ``mean``, ``std``; one row per subset, strongest first.
        """
        import pandas as pd

        k = check_int(k, name="k", minimum=1)
        if by not in ("mean_abs", "mean"):
            raise InvalidParameterError(f"by must be 'mean_abs' or 'mean'; got {by!r}")
        mean_abs = np.abs(self.values).mean(axis=0) if len(self) else np.zeros(len(self.subsets))
        mean = self.values.mean(axis=0) if len(self) else np.zeros(len(self.subsets))
        std = self.values.std(axis=0) if len(self) else np.zeros(len(self.subsets))
        score = mean_abs if by == "mean_abs" else np.abs(mean)
        order = np.argsort(-score, kind="stable")[:k]
        return pd.DataFrame(
            {
                "subset": [self.subsets[u] for u in order],
                "label": [self.labels[u] for u in order],
                "size": self.sizes[order],
                "mean_abs": mean_abs[order],
                "mean": mean[order],
                "std": std[order],
            }
        )

    def top_per_sequence(self, k: int = 5) -> Any:
        """The ``k`` strongest subsets of every sequence, by absolute value.

        Parameters
        ----------
        k : int, default 5

        Returns
        -------
        pandas.DataFrame
            Long format with columns ``sequence`` (row number), ``rank`` (1 = strongest),
            ``subset``, ``label``, ``value``; N * min(k, U) rows.
        """
        import pandas as pd

        k = min(check_int(k, name="k", minimum=1), len(self.subsets))
        order = np.argsort(-np.abs(self.values), axis=1, kind="stable")[:, :k]
        rows = np.repeat(np.arange(len(self)), k)
        columns = order.ravel()
        labels = np.asarray(self.labels, dtype=object)
        subsets = np.empty(len(self.subsets), dtype=object)
        subsets[:] = list(self.subsets)
        return pd.DataFrame(
            {
                "sequence": rows,
                "rank": np.tile(np.arange(1, k + 1), len(self)),
                "subset": subsets[columns],
                "label": labels[columns],
                "value": self.values[rows, columns],
            }
        )

    def to_shapiq(self, row: int | None = 0) -> Any:
        """The values of one sequence (or of each) as ``shapiq.InteractionValues``.

        shapiq's plots then apply: ``plot_force``, ``plot_waterfall``,
        ``plot_network``, ``plot_upset``, ``plot_stacked_bar`` (pass
        ``feature_names=explanation.feature_names`` for readable players). Needs
        ``shapiq`` (the ``test`` extra, or ``pip install shapiq``).

        Parameters
        ----------
        row : int or None, default 0
            The sequence; None converts every sequence.

        Returns
        -------
        shapiq.InteractionValues, or a list of N of them when ``row`` is None
            ``index`` and ``max_order`` as computed, ``n_players`` = n, not estimated
            (closed forms of the sketch), ``baseline_value`` the value of the empty
            coalition ``E_P f``. Every listed subset is an interaction; subsets the
            sketch cannot make nonzero are left out, and shapiq reads them as 0. For
            every index but SII the empty set is listed too, with the baseline value,
            as shapiq's exact computer lists it (``min_order`` 0); SII's value of the
            empty set is not computed here, so SII starts at order 1.

        Raises
        ------
        ImportError
            If shapiq is not installed.
        """
        try:
            import shapiq
        except ImportError as error:
            raise ImportError("to_shapiq needs shapiq: pip install shapiq") from error
        n_sequences = len(self)
        if row is None:
            return [self.to_shapiq(r) for r in range(n_sequences)]
        row = check_int(row, name="row", minimum=-n_sequences, maximum=n_sequences - 1)
        baseline = float(self.base_values[row])
        with_empty = self.index != "SII"
        lookup = {(): 0} if with_empty else {}
        lookup.update({subset: len(lookup) + u for u, subset in enumerate(self.subsets)})
        values = np.concatenate([[baseline]] * with_empty + [self.values[row]])
        return shapiq.InteractionValues(
            values, index=self.index, max_order=self.order, min_order=0 if with_empty else 1,
            n_players=int(self.data.shape[1]), interaction_lookup=lookup, estimated=False,
            baseline_value=baseline,
        )  # fmt: skip

    def to_explanation(self, max_order: int | None = None) -> shap.Explanation:
        """The values as a ``shap.Explanation`` with one column per subset.

        Pairs become extra columns named ``"pos3 x pos7"``, so every modern shap plot
        (waterfall, beeswarm, bar, heatmap, scatter) accepts them. ``data`` holds the
        symbol code for single positions and, for larger subsets, the code of the
        letter combination read as a base-q number (``a * q + b`` for a pair; shap's
        scatter plot needs numbers there); ``display_data`` the letters (``"AG"`` for a
        pair).

        Parameters
        ----------
        max_order : int, optional
            Keep subsets up to this size; default all.

        Returns
        -------
        shap.Explanation
            ``values`` (N, U'), ``base_values`` (N,).
        """
        limit = self.order if max_order is None else check_int(max_order, name="max_order", minimum=1)
        keep = np.flatnonzero(self.sizes <= limit)
        q = self.q
        data = np.empty((len(self), keep.size), dtype=np.int64)
        display = np.empty((len(self), keep.size), dtype=object) if self.symbols is not None else None
        for column, u in enumerate(keep):
            subset = self.subsets[u]
            data[:, column] = self.data[:, list(subset)].astype(np.int64) @ (q ** np.arange(len(subset) - 1, -1, -1))
            if display is not None:
                display[:, column] = self._display(subset)
        return shap.Explanation(
            self.values[:, keep],
            base_values=self.base_values.copy(),
            data=data,
            display_data=None if display is None else display.astype(str),
            feature_names=[self.labels[u] for u in keep],
            compute_time=self.compute_time,
        )

    def to_pandas(self, layout: Literal["long", "wide"] = "long", *, ids: Sequence[str] | None = None) -> Any:
        """The values as a DataFrame.

        Parameters
        ----------
        layout : {"long", "wide"}, default "long"
            ``"long"``: one row per (sequence, subset) with columns ``sequence``,
            ``subset``, ``label``, ``size``, ``value``. ``"wide"``: one row per
            sequence, one column per subset label.
        ids : sequence of str, optional
            Sequence ids: the ``sequence`` column (long) or the index (wide) holds them
            instead of row numbers. For files with ids, letters and 1-based positions
            see :func:`shap_zero.write_interactions`.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        if ids is not None:
            ids = [str(value) for value in ids]
            if len(ids) != len(self):
                raise InvalidParameterError(f"ids: expected {len(self)} ids, one per sequence; got {len(ids)}")
        if layout == "wide":
            return pd.DataFrame(self.values, columns=self.labels, index=ids)
        if layout != "long":
            raise InvalidParameterError(f"layout must be 'long' or 'wide'; got {layout!r}")
        n_subsets = len(self.subsets)
        subsets = np.empty(n_subsets, dtype=object)
        subsets[:] = list(self.subsets)
        columns = np.tile(np.arange(n_subsets), len(self))
        return pd.DataFrame(
            {
                "sequence": np.repeat(np.arange(len(self)) if ids is None else np.asarray(ids, dtype=object), n_subsets),
                "subset": subsets[columns],
                "label": np.asarray(self.labels, dtype=object)[columns],
                "size": self.sizes[columns],
                "value": self.values.ravel(),
            }
        )


@dataclass(frozen=True, eq=False)
class GlobalExplanation:
    """What matters over a data set: positions, symbols at positions, and pairs.

    Attributes
    ----------
    position_mean, position_mean_abs : ndarray of shape (n,)
        Mean SHAP value and mean absolute SHAP value of each position over the sequences.
    symbol_totals : SymbolTotals
        Sums of SHAP values per (position, symbol) and the counts; see
        :meth:`symbol_mean` and :meth:`symbol_mean_abs`.
    pairs : tuple of tuple of int
        The P position pairs that can interact (0-based).
    pair_mean, pair_mean_abs : ndarray of shape (P,)
        Mean and mean absolute pairwise ``index`` value of each pair.
    index : str
        The interaction index of the pairs.
    n_top : int
        Rows of :meth:`top_interactions` by default.
    n_sequences : int
    feature_names : tuple of str
    symbols : str or None
    compute_time : float
    """

    position_mean: np.ndarray
    position_mean_abs: np.ndarray
    symbol_totals: SymbolTotals
    pairs: tuple[tuple[int, ...], ...]
    pair_mean: np.ndarray
    pair_mean_abs: np.ndarray
    index: str
    n_top: int
    n_sequences: int
    feature_names: tuple[str, ...]
    symbols: str | None
    compute_time: float

    @property
    def symbol_mean(self) -> np.ndarray:
        """ndarray of shape (n, q): mean SHAP value of position i when it holds symbol a (NaN if never)."""
        return self.symbol_totals.means()[0]

    @property
    def symbol_mean_abs(self) -> np.ndarray:
        """ndarray of shape (n, q): mean absolute SHAP value of position i when it holds symbol a (NaN if never)."""
        return self.symbol_totals.means()[1]

    def positions(self) -> Any:
        """pandas.DataFrame: one row per position (``feature``, ``mean_abs``, ``mean``), strongest first."""
        import pandas as pd

        frame = pd.DataFrame(
            {"feature": list(self.feature_names), "mean_abs": self.position_mean_abs, "mean": self.position_mean}
        )
        return frame.sort_values("mean_abs", ascending=False, kind="stable").reset_index(drop=True)

    def symbols_frame(self) -> Any:
        """pandas.DataFrame: one row per (position, symbol) with ``count``, ``mean``, ``mean_abs``."""
        import pandas as pd

        n, q = self.symbol_totals.counts.shape
        letters = list(self.symbols) if self.symbols is not None else [str(a) for a in range(q)]
        mean, mean_abs = self.symbol_totals.means()
        return pd.DataFrame(
            {
                "feature": np.repeat(np.asarray(self.feature_names, dtype=object), q),
                "position": np.repeat(np.arange(n), q),
                "symbol": np.tile(np.asarray(letters, dtype=object), n),
                "count": self.symbol_totals.counts.ravel(),
                "mean": mean.ravel(),
                "mean_abs": mean_abs.ravel(),
            }
        )

    def top_interactions(self, k: int | None = None) -> Any:
        """pandas.DataFrame of the strongest pairs by mean absolute value.

        Parameters
        ----------
        k : int, optional
            Rows; default ``n_top``.

        Returns
        -------
        pandas.DataFrame
            Columns ``pair`` (0-based tuple), ``label``, ``mean_abs``, ``mean``.
        """
        import pandas as pd

        k = self.n_top if k is None else check_int(k, name="k", minimum=1)
        order = np.argsort(-self.pair_mean_abs, kind="stable")[:k]
        return pd.DataFrame(
            {
                "pair": [self.pairs[u] for u in order],
                "label": [_subset_label(self.pairs[u], self.feature_names) for u in order],
                "mean_abs": self.pair_mean_abs[order],
                "mean": self.pair_mean[order],
            }
        )

    def __repr__(self) -> str:
        return f"GlobalExplanation(sequences={self.n_sequences}, positions={len(self.feature_names)}, pairs={len(self.pairs)}, index={self.index!r})"

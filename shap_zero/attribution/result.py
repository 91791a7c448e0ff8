"""The sparse result of an interaction computation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shap_zero.attribution.indices import Subset
from shap_zero.exceptions import InvalidParameterError
from shap_zero.indices import document_indices

__all__ = ["Interactions"]


@document_indices
@dataclass(frozen=True, eq=False)
class Interactions:
    """Interaction values of N sequences on one shared list of position subsets.

    Only subsets that can be nonzero for the sketch are listed (subsets of the
    supports of its terms); every other subset of size <= ``order`` has value 0.

    Attributes
    ----------
    index : str
        One of {index options}.
    order : int
        Largest subset size.
    subsets : tuple of tuple of int
        The U subsets, as sorted 0-based positions; sorted by size, then lexicographically.
    values : ndarray of shape (N, U), float64
        ``values[r, u]`` is the index of sequence r at ``subsets[u]``.
    base_values : ndarray of shape (N,), float64
        The value of the empty coalition, ``v(∅) = E_P f`` (the same for every sequence).
    n : int
        Sequence length.
    background : str
        The kind of background of the value function.
    """

    index: str
    order: int
    subsets: tuple[Subset, ...]
    values: np.ndarray
    base_values: np.ndarray
    n: int
    background: str

    @property
    def n_sequences(self) -> int:
        """Number of sequences N."""
        return int(self.values.shape[0])

    @property
    def sizes(self) -> np.ndarray:
        """ndarray of shape (U,), int64: the size of each subset."""
        return np.fromiter((len(s) for s in self.subsets), dtype=np.int64, count=len(self.subsets))

    def subset_array(self) -> np.ndarray:
        """The subsets as an int64 array of shape (U, order), padded with -1."""
        out = np.full((len(self.subsets), self.order), -1, dtype=np.int64)
        for row, subset in enumerate(self.subsets):
            out[row, : len(subset)] = subset
        return out

    def column(self, subset: tuple[int, ...] | list[int]) -> int | None:
        """Column of ``subset`` in :attr:`values`, or None when it is structurally zero.

        Parameters
        ----------
        subset : tuple or list of int
            0-based positions, in any order.

        Returns
        -------
        int or None
        """
        key = tuple(sorted(int(i) for i in subset))
        lookup = self.__dict__.get("_lookup")
        if lookup is None:
            lookup = {s: u for u, s in enumerate(self.subsets)}
            object.__setattr__(self, "_lookup", lookup)
        return lookup.get(key)

    def get(self, subset: tuple[int, ...] | list[int]) -> np.ndarray:
        """Values of all N sequences at one subset; zeros when not listed.

        Parameters
        ----------
        subset : tuple or list of int
            1..order distinct 0-based positions, in any order.

        Returns
        -------
        ndarray of shape (N,), float64
        """
        key = tuple(sorted(int(i) for i in subset))
        if not key or len(key) > self.order or key[0] < 0 or key[-1] >= self.n or len(set(key)) != len(key):
            raise InvalidParameterError(
                f"subset must hold 1..{self.order} distinct positions in 0..{self.n - 1} (0-based "
                f"indices, as in .subsets, unlike the 1-based feature names); got {subset!r}"
            )
        column = self.column(key)
        if column is None:
            return np.zeros(self.n_sequences)
        return self.values[:, column].copy()

    def __repr__(self) -> str:
        return (
            f"Interactions(index={self.index!r}, order={self.order}, sequences={self.n_sequences}, "
            f"subsets={len(self.subsets)}, background={self.background!r})"
        )

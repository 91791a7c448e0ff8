"""Values of sequences with positions held at the background (unknown letters, such as N).

A position whose letter is unknown can be explained as if it were absent from every
coalition: the game becomes ``v'(S) = v(S minus A)`` for the held positions A. Its
Shapley value (and every interaction that holds it) is then 0, and the other positions
share ``E[f | x outside A] - E f``, their efficiency total.

For one product component p of the background, ``v'`` is the average of the games of
the sequences that put letters c at A, weighted by ``prod_a p_a(c_a)``: where a lies in
S, its letter then has the background's law, as if a were outside S; where it does
not, the letter is never read. Shapley values and interaction indices are linear in
the game, so they are the same average of the values of those completed sequences. A
mixture of components averages component by component, with the mixture weights.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from shap_zero.attribution.background import Background
from shap_zero.exceptions import InvalidParameterError

__all__ = ["MAX_HELD_COMPLETIONS", "check_held", "average_over_held"]

#: Letter completions one sequence may need (q^|A| for a product background); above it
#: the average is refused rather than silently slow (q = 4: up to 6 held positions).
MAX_HELD_COMPLETIONS = 4096


def check_held(held: object, shape: tuple[int, int]) -> np.ndarray:
    """``held`` as a boolean array of ``shape`` (N, n), or an error naming what came."""
    array = np.asarray(held)
    if array.dtype != np.bool_:
        raise InvalidParameterError(f"held: expected a boolean array of shape {shape}; got dtype {array.dtype}")
    if array.ndim == 1 and shape[0] == 1:
        array = array[None, :]
    if array.shape != shape:
        raise InvalidParameterError(f"held: expected shape {shape}, one flag per sequence and position; got {array.shape}")
    return array


def average_over_held(
    compute: Callable[[np.ndarray, Background], np.ndarray],
    codes: np.ndarray,
    held: np.ndarray,
    background: Background,
    out: np.ndarray,
) -> np.ndarray:
    """Values of ``codes`` with the ``held`` positions at the background.

    Parameters
    ----------
    compute : callable
        ``compute(codes (R, n) uint8, background) -> (R, ...)``: values that are linear
        in the game (Shapley values, interaction indices), for rows with nothing held.
    codes : ndarray of shape (N, n), uint8
        Letters at held positions are ignored.
    held : ndarray of shape (N, n), bool
    background : Background
    out : ndarray of shape (N, ...)
        Written row by row and returned.

    Raises
    ------
    InvalidParameterError
        When a sequence would need more than :data:`MAX_HELD_COMPLETIONS` completions.
    """
    q = background.q
    free = ~held.any(axis=1)
    if free.any():
        out[free] = compute(codes[free], background)
    rows = np.flatnonzero(~free)
    if not rows.size:
        return out
    for row in rows:
        count = q ** int(held[row].sum())
        if count > MAX_HELD_COMPLETIONS:
            raise InvalidParameterError(
                f"held: sequence {row} holds {int(held[row].sum())} positions, {count:,} letter completions "
                f"at q = {q}; at most {MAX_HELD_COMPLETIONS:,} are allowed (hold fewer positions, or skip it)"
            )
    out[rows] = 0.0
    for component in range(background.n_components):
        single = Background(background.kind, np.ones(1), background.probabilities[component : component + 1])
        law = background.probabilities[component]  # (n, q)
        expanded, weights, owners = [], [], []
        for row in rows:
            positions = np.flatnonzero(held[row])
            letters = np.array(list(itertools.product(range(q), repeat=positions.size)), dtype=np.uint8)
            weight = np.prod(law[positions, letters.astype(np.int64)], axis=1)
            keep = weight > 0  # a point-mass component admits one completion
            completed = np.repeat(codes[row][None, :], int(keep.sum()), axis=0)
            completed[:, positions] = letters[keep]
            expanded.append(completed)
            weights.append(weight[keep])
            owners.append(np.full(int(keep.sum()), row))
        values = compute(np.concatenate(expanded), single)
        scale = background.weights[component] * np.concatenate(weights)
        np.add.at(out, np.concatenate(owners), values * scale.reshape((-1,) + (1,) * (values.ndim - 1)))
    return out

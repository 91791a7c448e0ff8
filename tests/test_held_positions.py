"""Positions held at the background (unknown letters) against the brute-force oracle.

The oracle's game of a sequence with held positions A is ``v'(S) = v(S minus A)``,
built from the interventional value function by subset enumeration; its Shapley
values come from the marginal-contribution definition.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero import oracle
from shap_zero.attribution.held import MAX_HELD_COMPLETIONS
from shap_zero.exceptions import InvalidParameterError

N_POSITIONS, Q = 5, 3


def _held_game(game: np.ndarray, held: np.ndarray) -> np.ndarray:
    """v'(S) = v(S minus held), on bitmasks."""
    held_mask = int(sum(1 << int(i) for i in np.flatnonzero(held)))
    return game[np.arange(game.size) & ~held_mask]


def _backgrounds(rng):
    frequencies = rng.dirichlet(np.ones(Q), size=N_POSITIONS)
    sequences = rng.integers(0, Q, size=(4, N_POSITIONS))
    return {
        "uniform": ("uniform", oracle.uniform_background(N_POSITIONS, Q)),
        "product": (frequencies, oracle.product_background(frequencies)),
        "sequences": (sequences, oracle.sequence_set_background(sequences, Q)),
    }


@pytest.mark.parametrize("kind", ["uniform", "product", "sequences"])
def test_held_positions_match_the_game_without_them(kind, rng):
    sketch = sz.random_sparse_sketch(N_POSITIONS, Q, 25, max_degree=3, random_state=int(rng.integers(1 << 30)))
    background, (weights, probs) = _backgrounds(rng)[kind]
    X = rng.integers(0, Q, size=(6, N_POSITIONS)).astype(np.uint8)
    held = np.zeros(X.shape, dtype=bool)
    held[1, 2] = True
    held[3, [0, 4]] = True
    held[5, [1, 2, 3]] = True
    found = sz.shapley_values(sketch, X, background=background, held=held)
    for row in range(X.shape[0]):
        game = oracle.value_function(sketch.predict, X[row], weights, probs, Q)
        expected = oracle.shapley_values_from_game(_held_game(game, held[row]))
        assert_allclose(found[row], expected, atol=1e-10, err_msg=f"row {row}")
    # Held positions are dummies; rows with nothing held are the ordinary values.
    assert np.all(found[held] == 0.0)
    ordinary = sz.shapley_values(sketch, X, background=background)
    assert_allclose(found[[0, 2, 4]], ordinary[[0, 2, 4]], atol=1e-12)
    # The letters written at held positions do not matter.
    scrambled = X.copy()
    scrambled[held] = (scrambled[held] + 1) % Q
    assert_allclose(sz.shapley_values(sketch, scrambled, background=background, held=held), found, atol=1e-12)


def test_held_positions_are_checked(rng):
    sketch = sz.random_sparse_sketch(N_POSITIONS, Q, 10, random_state=0)
    X = rng.integers(0, Q, size=(2, N_POSITIONS)).astype(np.uint8)
    with pytest.raises(InvalidParameterError, match=r"held: expected shape \(2, 5\)"):
        sz.shapley_values(sketch, X, held=np.zeros((2, 4), dtype=bool))
    with pytest.raises(InvalidParameterError, match="held: expected a boolean array"):
        sz.shapley_values(sketch, X, held=np.zeros((2, 5)))
    wide = sz.random_sparse_sketch(9, 4, 10, random_state=0)
    many = np.ones((1, 9), dtype=bool)
    with pytest.raises(InvalidParameterError, match=f"at most {MAX_HELD_COMPLETIONS:,}"):
        sz.shapley_values(wide, np.zeros((1, 9), dtype=np.uint8), held=many)

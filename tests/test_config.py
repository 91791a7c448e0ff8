"""The library's limits agree because they come from shap_zero._config: checked at every entry point."""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from baselines._protocol import _check_alphabet
from shap_zero import oracle
from shap_zero._config import MAX_Q
from shap_zero._validation import check_codes
from shap_zero.exceptions import InvalidParameterError
from shap_zero.sketch.design import draw_design

# Each entry point, called with an alphabet of size q.
ENTRY_POINTS = {
    "check_codes": lambda q: check_codes(np.zeros((1, 2), dtype=np.uint8), q=q),
    "FourierSketch": lambda q: sz.FourierSketch(np.zeros((1, 2), dtype=np.uint8), [1.0], q),
    "draw_design": lambda q: draw_design(2, q, b=1, n_groups=1, n_repeats=1, random_state=0),
    "oracle": lambda q: oracle.uniform_background(2, q),
    "baselines": lambda q: _check_alphabet(q),
    "ZeroExplainer": lambda q: sz.ZeroExplainer(lambda codes: codes.sum(axis=1), alphabet=q, seq_length=2),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_entry_point_accepts_the_largest_alphabet_and_refuses_one_more(entry):
    ENTRY_POINTS[entry](MAX_Q)
    with pytest.raises(InvalidParameterError, match=rf"{MAX_Q}|{MAX_Q + 1}"):
        ENTRY_POINTS[entry](MAX_Q + 1)


def test_an_alphabet_of_more_symbols_than_the_limit_is_refused_by_its_size():
    # Alphabets are printable ASCII (94 symbols), so only the refusal can be checked.
    with pytest.raises(InvalidParameterError, match=rf"between 2 and {MAX_Q} symbols, got {MAX_Q + 1}"):
        sz.Alphabet("".join(chr(33 + k % 94) for k in range(MAX_Q + 1)))

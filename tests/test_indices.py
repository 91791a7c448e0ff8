"""The index registry: every list of index names, docstring and oracle comes from it."""

from __future__ import annotations

import inspect
from typing import get_args

import numpy as np
import pytest

import baselines
import shap_zero as sz
from shap_zero import oracle
from shap_zero.attribution.indices import index_weight
from shap_zero.exceptions import InvalidParameterError
from shap_zero.indices import INDEX_NAMES, INDICES, INTERACTION_INDEX_NAMES, IndexName, document_indices


def test_the_literal_type_and_the_registry_list_the_same_indices():
    assert set(get_args(IndexName)) == set(INDEX_NAMES) == set(INDICES)
    assert INTERACTION_INDEX_NAMES == tuple(name for name in INDEX_NAMES if name != "SV")
    assert sz.INDEX_NAMES == INDEX_NAMES and oracle.INDEX_NAMES == INTERACTION_INDEX_NAMES


def _documented_objects():
    """Every public function, class and method of shap_zero and baselines."""
    for module in (sz, sz.attribution, baselines):
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for member, value in vars(obj).items():
                    if not member.startswith("_"):
                        yield f"{module.__name__}.{name}.{member}", getattr(value, "fget", value)


def test_no_docstring_keeps_an_index_placeholder():
    for name, obj in _documented_objects():
        doc = getattr(obj, "__doc__", None) or ""
        assert "{index " not in doc and "{interaction index " not in doc, name


def test_docstrings_list_every_index():
    for function in (sz.interaction_values, sz.ZeroExplainer.interactions):
        assert all(f'"{name}"' in function.__doc__ for name in INDEX_NAMES)
    assert all(f'"{name}"' in oracle.interaction_index_from_game.__doc__ for name in INTERACTION_INDEX_NAMES)
    assert '"SV"' not in sz.ZeroExplainer.global_explanation.__doc__.split("index :")[1].split("\n")[0]


def test_document_indices_fills_placeholders_and_leaves_other_text():
    def f():
        """index : {index options}. {interaction index titles}. {other}."""

    document_indices(f)
    assert f.__doc__.startswith('index : {"SII", "STII", "FSII", "k-SII", "Moebius", "SV"}.')
    assert "Moebius: Möbius coefficients" in f.__doc__ and "SV:" not in f.__doc__ and "{other}" in f.__doc__


@pytest.mark.parametrize("index", INDEX_NAMES)
def test_every_registered_index_is_computed_by_the_fast_path_and_the_oracle(index):
    """A new registry entry fails here until both the fast path and the oracle define it."""
    assert isinstance(index_weight(index, 2, 1, 2), float)
    sketch = sz.random_sparse_sketch(4, 3, 6, max_degree=2, random_state=0)
    x = np.array([[0, 1, 2, 0]], dtype=np.uint8)
    order = 1 if index == "SV" else 2
    fast = sz.interaction_values(sketch, x, index=index, order=order)
    weights, probs = oracle.uniform_background(4, 3)
    game = oracle.value_function(sketch.predict, x[0], weights, probs, 3)
    if index == "SV":
        slow = dict(enumerate(oracle.shapley_values_from_game(game)))
        slow = {(i,): value for i, value in slow.items()}
    else:
        slow = oracle.interaction_index_from_game(game, index, order)
    for subset, value in slow.items():
        assert fast.get(subset)[0] == pytest.approx(value, abs=1e-9), (index, subset)


def test_an_unknown_index_is_named_with_the_registry_list():
    sketch = sz.random_sparse_sketch(4, 3, 6, max_degree=2, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"index must be one of \['SII', 'STII'.*'SV'\]; got 'XYZ'"):
        sz.interaction_values(sketch, np.zeros((1, 4), dtype=np.uint8), index="XYZ")

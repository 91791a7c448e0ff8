"""Shapley values under background sets by table lookup, against the direct closed form and the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero import oracle
from shap_zero._kernels import attribution as kernels
from shap_zero.attribution import tables as tb
from shap_zero.attribution.background import resolve_background
from shap_zero.attribution.engine import _mixture_arguments


def _direct(sketch, X, background):
    """The direct closed form on every term (the path the tables replace)."""
    arrays = sketch.spectrum_arrays()
    out = np.empty(X.shape)
    kernels.shapley_mixture_serial(X, arrays.term_ptr, arrays.term_pos, arrays.term_val, arrays.coef_re,
                                   arrays.coef_im, arrays.roots, *_mixture_arguments(background, sketch.max_degree),
                                   sketch.max_degree, out)  # fmt: skip
    return out


@pytest.mark.parametrize("kind", ["sequences", "product"])
def test_tables_equal_the_direct_closed_form(kind, rng, monkeypatch):
    # Degrees up to 7 at q = 4: supports of degree 7 (16,384 combinations) stay direct.
    monkeypatch.setattr(tb, "MAX_TABLE_ROWS", 4**5)
    n, q = 9, 4
    sketch = sz.random_sparse_sketch(n, q, 60, max_degree=7, random_state=int(rng.integers(1 << 30)))
    assert sketch.max_degree > 5
    if kind == "sequences":
        background = resolve_background(rng.integers(0, q, size=(30, n)), n, q)
    else:
        background = resolve_background(rng.dirichlet(np.ones(q), size=n), n, q)
    arrays = sketch.spectrum_arrays()
    tables = tb.build_support_tables(sketch, arrays, background, _mixture_arguments(background, sketch.max_degree))
    assert tables.residual.size and tables.support_ptr.size > 1
    assert tables.residual_degree > 5 and np.all(arrays.degrees[tables.residual] > 5)
    X = rng.integers(0, q, size=(200, n)).astype(np.uint8)
    found = np.empty(X.shape)
    kernels.shapley_mixture_serial(X, *tables.residual_spectrum, arrays.roots,
                                   *_mixture_arguments(background, tables.residual_degree), tables.residual_degree,
                                   found)  # fmt: skip
    tables.add(X, found)
    assert_allclose(found, _direct(sketch, X, background), rtol=0, atol=1e-10)


def test_shapley_values_switch_to_tables_once_they_pay_and_agree_with_the_oracle(rng):
    n, q = 5, 3
    sketch = sz.random_sparse_sketch(n, q, 30, max_degree=3, random_state=int(rng.integers(1 << 30)))
    references = rng.integers(0, q, size=(12, n))
    background = resolve_background(references, n, q)
    weights, probs = oracle.sequence_set_background(references, q)
    build, per_sequence = tb.mixture_plan(sketch, sketch.spectrum_arrays())[1]["shapley"]
    first = rng.integers(0, q, size=(1, n)).astype(np.uint8)
    sz.shapley_values(sketch, first, background=background)
    ledger = tb._LEDGERS[sketch][id(background)]
    assert not ledger.tables and ledger.direct_work["shapley"] == per_sequence  # one sequence does not pay for them
    X = rng.integers(0, q, size=(build // per_sequence + 1, n)).astype(np.uint8)
    values = sz.shapley_values(sketch, X, background=background)
    assert "shapley" in ledger.tables  # rented long enough: bought
    for row in range(0, X.shape[0], max(1, X.shape[0] // 5)):
        game = oracle.value_function(sketch.predict, X[row], weights, probs, q)
        assert_allclose(values[row], oracle.shapley_values_from_game(game), atol=1e-10)
    # Efficiency holds through the tables.
    assert_allclose(values.sum(axis=1), sketch.predict(X) - sz.expected_value(sketch, background), atol=1e-10)
    again = sz.shapley_values(sketch, X[:3], background=background)
    assert_allclose(again, values[:3], atol=1e-12)


def test_add_support_tables_matches_a_loop(rng):
    q, n = 3, 6
    supports = [(0, 2), (1,), (2, 4, 5)]
    support_ptr = np.array([0, 2, 3, 6])
    support_pos = np.array([0, 2, 1, 2, 4, 5])
    sizes = [q ** len(s) * len(s) for s in supports]
    table_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    tables = rng.normal(size=table_ptr[-1])
    X = rng.integers(0, q, size=(50, n)).astype(np.uint8)
    expected = np.zeros((50, n))
    for g, support in enumerate(supports):
        for r in range(50):
            index = 0
            for position in support:
                index = index * q + X[r, position]
            for e, position in enumerate(support):
                expected[r, position] += tables[table_ptr[g] + index * len(support) + e]
    for kernel in (kernels.add_support_tables, kernels.add_support_tables_serial):
        out = np.zeros((50, n))
        kernel(X, support_ptr, support_pos, table_ptr, tables, q, out)
        assert_allclose(out, expected, atol=1e-12)


def test_ledgers_of_dead_backgrounds_are_dropped(rng):
    n, q = 4, 3
    sketch = sz.random_sparse_sketch(n, q, 10, random_state=1)
    X = rng.integers(0, q, size=(2, n)).astype(np.uint8)
    for _ in range(20):
        sz.shapley_values(sketch, X, background=[[0, 1, 2, 0], [1, 1, 1, 1]])
    assert len(tb._LEDGERS[sketch]) <= 2


@pytest.mark.parametrize("index", ["SII", "FSII", "STII"])
def test_interactions_through_mobius_tables_match_the_oracle_and_the_direct_path(index, rng, monkeypatch):
    n, q = 5, 3
    seed = int(rng.integers(1 << 30))
    references = rng.integers(0, q, size=(10, n))
    X = rng.integers(0, q, size=(4, n)).astype(np.uint8)
    monkeypatch.setattr(tb, "MAX_TABLE_ROWS", 0)  # nothing tabulable: the direct path
    direct = sz.interaction_values(sz.random_sparse_sketch(n, q, 30, max_degree=4, random_state=seed), X,
                                   background=references, index=index, order=2)  # fmt: skip
    monkeypatch.setattr(tb, "MAX_TABLE_ROWS", q**3)  # degree-4 supports stay direct
    sketch = sz.random_sparse_sketch(n, q, 30, max_degree=4, random_state=seed)
    assert sketch.max_degree == 4
    background = resolve_background(references, n, q)
    arrays = sketch.spectrum_arrays()
    tables = tb.build_support_tables(sketch, arrays, background, _mixture_arguments(background, 4), "mobius")
    assert tables.residual.size and tables.n_supports
    tb._LEDGERS.setdefault(sketch, {})[id(background)] = ledger = tb._Ledger(background)
    ledger.tables["mobius"] = tables
    found = sz.interaction_values(sketch, X, background=background, index=index, order=2)
    assert found.subsets == direct.subsets
    assert_allclose(found.values, direct.values, atol=1e-10)
    weights, probs = oracle.sequence_set_background(references, q)
    for row in range(X.shape[0]):
        game = oracle.value_function(sketch.predict, X[row], weights, probs, q)
        expected = oracle.interaction_index_from_game(game, index, 2)
        for column, subset in enumerate(found.subsets):
            assert found.values[row, column] == pytest.approx(expected.get(subset, 0.0), abs=1e-9)

"""Values under background sets by table lookup: one table per term support.

Under a product background, or a mixture of them, a Fourier term with support T
contributes to the Shapley values of the positions in T only, and to the Möbius
coefficients of the subsets of T only, and its contribution depends on the sequence
only through its letters on T. So for every support T with few letter combinations
(q^|T| <= :data:`MAX_TABLE_ROWS`) the contributions of all the terms on T are
computed once for each of the q^|T| combinations, by the same closed forms as the
direct path (:func:`shap_zero._kernels.attribution.shapley_mixture` and
``mobius_mixture``), and a sequence then costs one lookup per support instead of
B x |T|^2 (Shapley) or B x 2^|T| (Möbius) operations per term. Terms on larger supports
keep the direct path. Interaction indices come from the Möbius coefficients, so they
take the tables too.

Building the tables costs about what explaining q^|T| sequences directly would, so the
tables of a (sketch, background) pair are built once enough sequences have been
explained with it to pay for them (rent or buy: when the direct work so far reaches the
build cost), then kept for as long as both objects live.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Literal

import numpy as np

from shap_zero._kernels import attribution as kernels
from shap_zero._kernels.dispatch import ThreadChoice
from shap_zero.attribution.background import Background
from shap_zero.fourier import FourierSketch, SpectrumArrays

__all__ = ["MAX_TABLE_ROWS", "SupportTables", "build_support_tables", "mixture_plan", "tables_for"]

#: Largest number of letter combinations (q^|T|) a support is tabulated for.
MAX_TABLE_ROWS = 4096

TableKind = Literal["shapley", "mobius"]
_ADD_SHAPLEY = ThreadChoice(kernels.add_support_tables, kernels.add_support_tables_serial)
_ADD_MOBIUS = ThreadChoice(kernels.add_support_mobius, kernels.add_support_mobius_serial)


@dataclass(frozen=True, eq=False)
class SupportTables:
    """Tabulated contributions of the terms on small supports.

    Attributes
    ----------
    kind : {"shapley", "mobius"}
        Per-position Shapley contributions (d numbers per letter combination) or Möbius
        coefficients of every subset of the support (2^d numbers, by bitmask).
    support_ptr, support_pos, table_ptr, tables : ndarray
        As :func:`shap_zero._kernels.attribution.add_support_tables` takes them.
    first_term : ndarray of shape (G,), int64
        A term of each support (its row of a Möbius layout gives the support's columns).
    residual : ndarray of shape (R,), int64
        The terms left to the direct path (indices into the sketch's spectrum arrays).
    residual_spectrum : tuple of ndarray
        Their CSR arrays and coefficients, as the direct kernels take them.
    residual_degree : int
        Their largest degree (0 when there are none).
    q : int
    """

    kind: TableKind
    support_ptr: np.ndarray
    support_pos: np.ndarray
    table_ptr: np.ndarray
    tables: np.ndarray
    first_term: np.ndarray
    residual: np.ndarray
    residual_spectrum: tuple[np.ndarray, ...]
    residual_degree: int
    q: int

    @property
    def n_supports(self) -> int:
        """Supports tabulated."""
        return int(self.support_ptr.size - 1)

    def add(self, codes: np.ndarray, out: np.ndarray, subset_column: np.ndarray | None = None) -> None:
        """Add the tabulated contributions of every row of ``codes`` (N, n) to ``out``.

        ``out`` is (N, n) for Shapley tables; for Möbius tables it is (N, U) and
        ``subset_column`` is the layout's (S, 2^max_degree) column of each (term, mask).
        """
        if not self.n_supports:
            return
        work = codes.shape[0] * int(self.support_pos.size)
        if self.kind == "shapley":
            _ADD_SHAPLEY(work, codes, self.support_ptr, self.support_pos, self.table_ptr, self.tables, self.q, out)
        else:
            assert subset_column is not None
            columns = np.ascontiguousarray(subset_column[self.first_term])
            _ADD_MOBIUS(work, codes, self.support_ptr, self.support_pos, self.table_ptr, self.tables, columns,
                        self.q, out)  # fmt: skip


def _supports(arrays: SpectrumArrays) -> dict[tuple[int, ...], list[int]]:
    """The terms of every support, degree-0 terms left out."""
    groups: dict[tuple[int, ...], list[int]] = {}
    ptr, pos = arrays.term_ptr, arrays.term_pos
    for s in range(ptr.shape[0] - 1):
        if ptr[s + 1] > ptr[s]:
            groups.setdefault(tuple(int(i) for i in pos[ptr[s] : ptr[s + 1]]), []).append(s)
    return groups


def sub_spectrum(arrays: SpectrumArrays, terms: np.ndarray) -> tuple[np.ndarray, ...]:
    """CSR arrays and coefficients (term_ptr, term_pos, term_val, coef_re, coef_im) of the listed terms only."""
    ptr = arrays.term_ptr
    lengths = ptr[terms + 1] - ptr[terms]
    sub_ptr = np.zeros(terms.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=sub_ptr[1:])
    entries = np.concatenate([np.arange(ptr[s], ptr[s + 1]) for s in terms]) if terms.size else np.zeros(0, np.int64)
    return (sub_ptr, np.ascontiguousarray(arrays.term_pos[entries]), np.ascontiguousarray(arrays.term_val[entries]),
            np.ascontiguousarray(arrays.coef_re[terms]), np.ascontiguousarray(arrays.coef_im[terms]))  # fmt: skip


_Plan = tuple[dict[tuple[int, ...], list[int]], dict[str, tuple[int, int]]]
_PLANS: weakref.WeakKeyDictionary[FourierSketch, _Plan] = weakref.WeakKeyDictionary()


def _unit_cost(kind: TableKind, degree: int) -> int:
    """Direct work of one term for one sequence and component, in the kernels' inner steps."""
    return degree**2 if kind == "shapley" else 1 << degree


def mixture_plan(sketch: FourierSketch, arrays: SpectrumArrays) -> _Plan:
    """The tabulable supports, and per kind (build cost, direct cost per sequence) of their terms.

    Costs count the direct kernels' inner steps (per background component, which both
    share), so they compare with each other only. Kept per sketch (sketches are immutable).
    """
    plan = _PLANS.get(sketch)
    if plan is None:
        q = sketch.q
        supports = {support: terms for support, terms in _supports(arrays).items() if q ** len(support) <= MAX_TABLE_ROWS}
        costs = {}
        for kind in ("shapley", "mobius"):
            per_sequence = sum(len(terms) * _unit_cost(kind, len(support)) for support, terms in supports.items())  # type: ignore[arg-type]
            build = sum(q ** len(support) * len(terms) * _unit_cost(kind, len(support)) for support, terms in supports.items())  # type: ignore[arg-type]
            costs[kind] = (build, per_sequence)
        plan = _PLANS[sketch] = (supports, costs)
    return plan


def build_support_tables(
    sketch: FourierSketch,
    arrays: SpectrumArrays,
    background: Background,
    mixture_arguments: tuple[np.ndarray, ...],
    kind: TableKind = "shapley",
) -> SupportTables:
    """Tabulate the contributions of every support with q^|T| <= MAX_TABLE_ROWS.

    Parameters
    ----------
    sketch : FourierSketch
    arrays : SpectrumArrays
        ``sketch.spectrum_arrays()``.
    background : Background
        A mixture of product distributions (not the uniform fast path).
    mixture_arguments : tuple
        (symbol moments, component weights, quadrature nodes, quadrature weights), as
        the direct path passes them (Möbius tables use the first two).
    kind : {"shapley", "mobius"}
    """
    q, n = sketch.q, sketch.n
    supports, _ = mixture_plan(sketch, arrays)
    moments, weights = mixture_arguments[0], mixture_arguments[1]
    tabulated = np.zeros(arrays.term_ptr.shape[0] - 1, dtype=bool)
    support_ptr, support_pos, table_ptr, tables, first_term = [0], [], [0], [], []
    for support, terms in supports.items():
        degree = len(support)
        letters = np.array(list(itertools.product(range(q), repeat=degree)), dtype=np.uint8)
        rows = np.zeros((letters.shape[0], n), dtype=np.uint8)
        rows[:, list(support)] = letters
        spectrum = sub_spectrum(arrays, np.asarray(terms, dtype=np.int64))
        if kind == "shapley":
            values = np.empty((letters.shape[0], n))
            kernels.shapley_mixture_serial(rows, *spectrum, arrays.roots, *mixture_arguments, degree, values)
            table = values[:, list(support)]
        else:
            local = np.tile(np.arange(1 << degree, dtype=np.int64), (len(terms), 1))
            local[:, 0] = -1  # the empty set
            table = np.zeros((letters.shape[0], 1 << degree))
            kernels.mobius_mixture_serial(rows, *spectrum, arrays.roots, moments, weights, local, table)
        tables.append(table.reshape(-1))
        support_pos.extend(support)
        support_ptr.append(len(support_pos))
        table_ptr.append(table_ptr[-1] + table.size)
        first_term.append(terms[0])
        tabulated[terms] = True
    residual = np.flatnonzero(~tabulated & (arrays.degrees > 0)).astype(np.int64)
    return SupportTables(
        kind=kind,
        support_ptr=np.asarray(support_ptr, dtype=np.int64),
        support_pos=np.asarray(support_pos, dtype=np.int64),
        table_ptr=np.asarray(table_ptr, dtype=np.int64),
        tables=np.concatenate(tables) if tables else np.zeros(0),
        first_term=np.asarray(first_term, dtype=np.int64),
        residual=residual,
        residual_spectrum=sub_spectrum(arrays, residual),
        residual_degree=int(arrays.degrees[residual].max()) if residual.size else 0,
        q=q,
    )


class _Ledger:
    """Direct work done so far for one (sketch, background) pair, and its tables once built."""

    def __init__(self, background: Background) -> None:
        self.background = weakref.ref(background)
        self.direct_work = {"shapley": 0, "mobius": 0}
        self.tables: dict[str, SupportTables] = {}


_LEDGERS: weakref.WeakKeyDictionary[FourierSketch, dict[int, _Ledger]] = weakref.WeakKeyDictionary()


def tables_for(
    sketch: FourierSketch,
    arrays: SpectrumArrays,
    background: Background,
    mixture_arguments: tuple[np.ndarray, ...],
    n_rows: int,
    kind: TableKind = "shapley",
) -> SupportTables | None:
    """The pair's tables when they exist or pay for themselves with this call, else None.

    Rent or buy: the tables are built when the direct work of the pair's calls so far,
    this one included, reaches their build cost, so no sequence of calls costs more than
    about twice what the better choice in hindsight would have.
    """
    ledgers = _LEDGERS.setdefault(sketch, {})
    ledger = ledgers.get(id(background))
    if ledger is None or ledger.background() is not background:
        # Backgrounds resolved afresh on every call (from a list of strings) die at once:
        # forget their ledgers rather than keep one per call.
        for key in [key for key, old in ledgers.items() if old.background() is None]:
            del ledgers[key]
        ledger = ledgers[id(background)] = _Ledger(background)
    if kind in ledger.tables:
        return ledger.tables[kind]
    build, per_sequence = mixture_plan(sketch, arrays)[1][kind]
    if per_sequence == 0:
        return None
    ledger.direct_work[kind] += n_rows * per_sequence
    if ledger.direct_work[kind] < build:
        return None
    ledger.tables[kind] = build_support_tables(sketch, arrays, background, mixture_arguments, kind)
    return ledger.tables[kind]

"""The interaction indices shap_zero computes: the one registry of their names.

Every list of index names in the library, in its docstrings and in its tests comes
from :data:`INDICES`. An index is then added in three places, each for its own
reason: an entry here, its weight in :func:`shap_zero.attribution.indices.index_weight`
(the fast path) and its definition in :func:`shap_zero.oracle.interaction_index_from_game`
(the independent brute-force twin). The tests pick it up from here.

>>> from shap_zero.indices import INDEX_NAMES, INTERACTION_INDEX_NAMES
>>> INDEX_NAMES
('SII', 'STII', 'FSII', 'k-SII', 'Moebius', 'SV')
>>> INTERACTION_INDEX_NAMES
('SII', 'STII', 'FSII', 'k-SII', 'Moebius')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple, TypeVar

__all__ = ["IndexInfo", "IndexName", "INDICES", "INDEX_NAMES", "INTERACTION_INDEX_NAMES", "document_indices"]


class IndexInfo(NamedTuple):
    """One interaction index.

    Attributes
    ----------
    name : str
        The name the API takes (``index=...``).
    title : str
        What it is.
    reference : str
        Where it was defined.
    any_order : bool
        False for an index defined at order 1 only (the Shapley value).
    """

    name: str
    title: str
    reference: str
    any_order: bool


#: The index names, for type checkers (kept equal to :data:`INDEX_NAMES` by a test).
IndexName = Literal["SII", "STII", "FSII", "k-SII", "Moebius", "SV"]

#: Every index, by name, in the order the documentation lists them.
INDICES: dict[str, IndexInfo] = {
    info.name: info
    for info in (
        IndexInfo("SII", "Shapley interaction index", "Grabisch and Roubens 1999", True),
        IndexInfo("STII", "Shapley-Taylor interaction index", "Sundararajan, Dhamdhere and Agarwal 2020", True),
        IndexInfo("FSII", "Faith-Shap interaction index", "Tsai, Yeh and Ravikumar 2023", True),
        IndexInfo("k-SII", "k-Shapley values (n-Shapley values)", "Bordt and von Luxburg 2023", True),
        IndexInfo("Moebius", "Möbius coefficients (Harsanyi dividends)", "Harsanyi 1963", True),
        IndexInfo("SV", "Shapley values (order 1)", "Shapley 1953", False),
    )
}
#: Every index name.
INDEX_NAMES: tuple[str, ...] = tuple(INDICES)
#: The indices defined at every order (all but the Shapley value).
INTERACTION_INDEX_NAMES: tuple[str, ...] = tuple(name for name, info in INDICES.items() if info.any_order)

def _options(names: Iterable[str]) -> str:
    return "{" + ", ".join(f'"{name}"' for name in names) + "}"


def _titles(names: Iterable[str]) -> str:
    return "; ".join(f"{name}: {INDICES[name].title}" for name in names)


#: Docstring placeholders and their text.
_PLACEHOLDERS = {
    "{index options}": _options(INDEX_NAMES),
    "{interaction index options}": _options(INTERACTION_INDEX_NAMES),
    "{index titles}": _titles(INDEX_NAMES),
    "{interaction index titles}": _titles(INTERACTION_INDEX_NAMES),
}

_Documented = TypeVar("_Documented", bound=Callable)


def document_indices(obj: _Documented) -> _Documented:
    """Fill the index placeholders of ``obj.__doc__`` from the registry.

    ``{index options}`` becomes ``{"SII", "STII", ...}`` (every index),
    ``{interaction index options}`` the same without "SV", and ``{index titles}`` /
    ``{interaction index titles}`` the names with what each index is.
    """
    if obj.__doc__:
        text = obj.__doc__
        for placeholder, value in _PLACEHOLDERS.items():
            text = text.replace(placeholder, value)
        obj.__doc__ = text
    return obj

"""Figures of sequence attributions: attribution logos and pairwise-interaction heatmaps.

shap's own plots (``shap.plots.waterfall``, ``beeswarm``, ``bar``, ``heatmap``,
``scatter``) accept the :class:`shap.Explanation` objects of shap_zero directly; this
module adds the two views that are specific to sequences:

* :func:`sequence_logo`: an attribution logo of one sequence, or the mean attribution of
  each symbol at each position over a data set (drawn with logomaker);
* :func:`interaction_heatmap`: a position x position map of pairwise interactions.

:func:`attribution_matrix` is the array computation behind the data-set logo.

matplotlib and logomaker are optional dependencies, imported only when a figure is
drawn; install them with ``pip install "shap-zero[plot]"``.
"""

from __future__ import annotations

import importlib
import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from shap_zero._config import MAX_Q
from shap_zero._validation import check_codes, check_int
from shap_zero.alphabet import Alphabet
from shap_zero.attribution import Interactions, symbol_totals
from shap_zero.exceptions import InvalidParameterError
from shap_zero.explanations import InteractionExplanation

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["attribution_matrix", "sequence_logo", "interaction_heatmap", "beeswarm", "scatter", "letter_colours", "strongest_partner"]

_INSTALL_HINT = 'pip install "shap-zero[plot]"'
# Above this many positions, tick labels are thinned to about this many.
_MAX_TICK_LABELS = 30
# logomaker colour schemes for the alphabets it knows.
_NUCLEOTIDES = frozenset("ACGTU")
_AMINO_ACIDS = frozenset("ACDEFGHIKLMNPQRSTVWY")


# ---------------------------------------------------------------------------- helpers


def _require(module: str, function: str) -> Any:
    """Import an optional plotting dependency, or raise an ImportError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"shap_zero.plots.{function} needs {module.split('.')[0]}, which is not installed; "
            f"install the plot extra with: {_INSTALL_HINT}"
        ) from err


def _type_name(obj: Any) -> str:
    return type(obj).__name__


def _check_row(row: Any, n_rows: int) -> int | None:
    """Validate ``row``: None, or an int in 0..n_rows-1."""
    if row is None:
        return None
    if isinstance(row, (bool, np.bool_)) or not isinstance(row, numbers.Integral):
        raise InvalidParameterError(f"row: expected None or an int, got {row!r} of type {_type_name(row)}")
    row = int(row)
    if not 0 <= row < n_rows:
        raise InvalidParameterError(
            f"row: expected None or an int in 0..{n_rows - 1} (there are {n_rows} sequences), got {row}"
        )
    return row


def _position_ticks(n: int) -> np.ndarray:
    """0-based indices of the positions whose label is shown (every k-th above 30)."""
    step = max(1, math.ceil(n / _MAX_TICK_LABELS))
    return np.arange(0, n, step)


# ------------------------------------------------------------------ attribution logo


def attribution_matrix(values: Any, codes: Any, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean SHAP value of each (position, symbol) over a set of sequences.

    ``mean[i, a]`` is the mean of ``values[r, i]`` over the sequences r whose symbol at
    position i has code a; it is 0 when no sequence has symbol a at position i
    (``counts[i, a] == 0``). Computed with one ``numpy.bincount`` over flattened
    (position, symbol) indices, without a loop over sequences.

    Parameters
    ----------
    values : array_like of float, shape (N, n) or (n,)
        SHAP values of N sequences of length n (a 1-D array is one sequence).
    codes : array_like of int, shape (N, n) or (n,)
        Symbol codes (0..q-1) of the same sequences.
    q : int
        Alphabet size.

    Returns
    -------
    mean : numpy.ndarray of float64, shape (n, q)
        Mean SHAP value per position and symbol; 0 where the symbol never occurs.
    counts : numpy.ndarray of int64, shape (n, q)
        Number of sequences with symbol a at position i.

    Raises
    ------
    InvalidParameterError
        If the shapes differ or are not 1-D/2-D, if ``codes`` are not integers in
        0..q-1, or if ``q`` is not a positive int.

    Examples
    --------
    >>> mean, counts = attribution_matrix([[1.0, 2.0], [3.0, -1.0]], [[0, 1], [0, 0]], q=2)
    >>> mean.tolist(), counts.tolist()
    ([[2.0, 0.0], [-1.0, 2.0]], [[2, 0], [1, 1]])
    """
    q = check_int(q, name="q", minimum=2, maximum=MAX_Q)
    vals = np.asarray(values, dtype=np.float64)
    code_arr = check_codes(codes, q=q, name="codes", integral_floats=True)
    if vals.ndim == 1:
        vals = vals[None, :]
    if vals.ndim != 2:
        raise InvalidParameterError(f"values: expected shape (N, n) or (n,), got shape {np.shape(values)}")
    if code_arr.shape != vals.shape:
        raise InvalidParameterError(
            f"codes: expected the shape of values {vals.shape}, got shape {np.shape(codes)}"
        )
    totals = symbol_totals(vals, code_arr, q)
    mean = np.nan_to_num(totals.means()[0], nan=0.0)
    return mean, totals.counts


def _explanation_arrays(explanation: Any, name: str = "explanation") -> tuple[np.ndarray, Any, Any, Any]:
    """Values (N, n) and data, display_data, feature_names of a single-output Explanation."""
    shap = _require("shap", "sequence_logo")
    if not isinstance(explanation, shap.Explanation):
        raise InvalidParameterError(
            f"{name}: expected a shap.Explanation, got {_type_name(explanation)}; for plain arrays "
            "use shap_zero.plots.attribution_matrix"
        )
    values = np.asarray(explanation.values, dtype=np.float64)
    if values.ndim == 3:
        raise InvalidParameterError(
            f"{name}: expected SHAP values of shape (N, n) of a single-output model, got shape "
            f"{values.shape} (a multi-output model); select one output first, e.g. {name}[..., 0]"
        )
    if values.ndim not in (1, 2):
        raise InvalidParameterError(
            f"{name}: expected SHAP values of shape (N, n) or (n,), got shape {values.shape}"
        )
    data = explanation.data
    display = explanation.display_data
    if values.ndim == 1:
        values = values[None, :]
        data = None if data is None else np.asarray(data)[None, ...]
        display = None if display is None else np.asarray(display)[None, ...]
    for label, arr in (("data", data), ("display_data", display)):
        if arr is not None and np.shape(arr) != values.shape:
            raise InvalidParameterError(
                f"{name}.{label}: expected shape {values.shape} (the shape of its values), "
                f"got {np.shape(arr)}"
            )
    return values, data, display, explanation.feature_names


def _codes_and_symbols(
    data: Any, display: Any, alphabet: Alphabet | None, name: str
) -> tuple[np.ndarray, list[str]]:
    """Symbol codes (N, n) and the symbol of each code, from the alphabet or display_data.

    Symbols inferred from display_data are "" for codes that never occur.
    """
    if alphabet is not None:
        if not isinstance(alphabet, Alphabet):
            raise InvalidParameterError(
                f"alphabet: expected a shap_zero.Alphabet or None, got {_type_name(alphabet)}"
            )
        if data is not None and np.asarray(data).dtype.kind in "iuf":
            codes = check_codes(data, q=alphabet.q, name=f"{name}.data", integral_floats=True)
            return codes, list(alphabet.symbols)
        if display is not None:
            letters = _single_letters(display, name)
            n_seq, n = letters.shape
            # Each row of n '<U1' letters viewed as one '<Un' string: no loop over sequences.
            rows = np.ascontiguousarray(letters).view(f"<U{max(n, 1)}").reshape(n_seq) if n else [""] * n_seq
            codes = alphabet.encode(rows, length=n, name=f"{name}.display_data")
            return codes.astype(np.intp), list(alphabet.symbols)
        raise InvalidParameterError(
            f"{name}: expected integer codes in .data or letters in .display_data, got neither"
        )
    if display is None:
        raise InvalidParameterError(
            f"alphabet: {name} has no display_data to read the letters from; pass alphabet= "
            "(e.g. shap_zero.DNA)"
        )
    letters = _single_letters(display, name)
    if data is None or np.asarray(data).dtype.kind not in "iuf":
        # No codes: number the distinct letters alphabetically.
        unique, inverse = np.unique(letters, return_inverse=True)
        return inverse.reshape(letters.shape).astype(np.intp), [str(s) for s in unique]
    codes = check_codes(data, q=MAX_Q, name=f"{name}.data", integral_floats=True)
    if codes.size == 0:
        return codes, []
    # The letter at the first occurrence of each code, then every entry checked against it.
    present, first = np.unique(codes.ravel(), return_index=True)
    table = np.full(int(codes.max()) + 1, "", dtype="<U1")
    table[present] = letters.ravel()[first]
    mismatch = table[codes] != letters
    if mismatch.any():
        r, i = (int(k) for k in np.argwhere(mismatch)[0])
        code = int(codes[r, i])
        raise InvalidParameterError(
            f"{name}: data and display_data disagree: code {code} is shown as {str(table[code])!r} and as "
            f"{str(letters[r, i])!r} (in {name}.data[{r}] at position {i + 1}; positions count from 1); "
            "pass alphabet= to set the letters"
        )
    return codes, [str(s) for s in table]


def _single_letters(display: Any, name: str) -> np.ndarray:
    """display_data as a '<U1' array, or a clear error (e.g. interaction columns "AG")."""
    arr = np.asarray(display)
    if arr.dtype.kind not in "UO":
        raise InvalidParameterError(
            f"{name}.display_data: expected single-letter strings, got an array of dtype {arr.dtype}"
        )
    text = arr.astype(str)
    lengths = np.strings.str_len(text) if hasattr(np, "strings") else np.char.str_len(text)
    if (lengths != 1).any():
        r, i = (int(k) for k in np.argwhere(lengths != 1)[0])
        raise InvalidParameterError(
            f"{name}.display_data: expected one letter per position, got {str(text[r, i])!r} in "
            f"{name}.display_data[{r}] at position {i + 1} (positions count from 1); a logo needs "
            "per-position SHAP values (not flattened interactions)"
        )
    return text.astype("<U1")


#: Letters drawn per position in the data-set view of a logo over more than 4 letters
#: (``max_letters="auto"``): twenty stacked letters are unreadable at a logo's height.
AUTO_MAX_LETTERS = 6


def _logo_matrix(
    values: np.ndarray, codes: np.ndarray, symbols: list[str], row: int | None, max_letters: int | None = None
) -> pd.DataFrame:
    """The (n, q) heights drawn by :func:`sequence_logo`, as a DataFrame for logomaker.

    Parameters
    ----------
    values : numpy.ndarray of float64, shape (N, n)
    codes : numpy.ndarray of int, shape (N, n)
    symbols : list of str, length q
        Symbol of each code; "" marks a code that never occurs (its column is dropped).
    row : int or None
        One sequence (the letter present at each position gets its SHAP value, the
        others 0), or None for :func:`attribution_matrix`'s mean over all sequences.
    max_letters : int or None
        Keep only this many letters of largest absolute height at each position (the
        others get height 0); None keeps all.

    Returns
    -------
    pandas.DataFrame, shape (n, q')
        Index: 1-based positions; columns: the symbols.
    """
    pd = _require("pandas", "sequence_logo")
    n = values.shape[1]
    q = len(symbols)
    if row is None:
        heights, _ = attribution_matrix(values, codes, q)
        if max_letters is not None and max_letters < q:
            # Rank by absolute height (NaN, a letter never seen there, last) and zero the rest.
            order = np.argsort(-np.nan_to_num(np.abs(heights), nan=-1.0), axis=1, kind="stable")
            dropped = order[:, max_letters:]
            heights = heights.copy()
            heights[np.arange(n)[:, None], dropped] = 0.0
    else:
        heights = np.zeros((n, q))
        heights[np.arange(n), codes[row]] = values[row]
    keep = [a for a in range(q) if symbols[a]]
    return pd.DataFrame(
        heights[:, keep],
        index=pd.RangeIndex(1, n + 1, name="position"),
        columns=[symbols[a] for a in keep],
    )


def sequence_logo(
    explanation: Any,
    *,
    row: int | None = None,
    alphabet: Alphabet | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    max_letters: int | str | None = "auto",
    **logo_kwargs: Any,
) -> Axes:
    """Attribution logo of SHAP values: letter heights are SHAP values.

    Two views:

    * ``row=r`` (one sequence): at each position the letter of sequence r is drawn with
      height equal to its SHAP value, above the axis when positive and below when
      negative; the other letters have height 0.
    * ``row=None`` (default, the data set): at each position i each symbol a is drawn
      with the mean SHAP value of position i over the sequences whose letter at i is a
      (:func:`attribution_matrix`); a symbol that never occurs at i has height 0.

    Parameters
    ----------
    explanation : shap.Explanation
        Single-output SHAP values: ``values`` of shape (N, n) (or (n,) for one
        sequence, drawn as ``row=0``), ``data`` the integer symbol codes (N, n) and/or ``display_data`` the
        letters (N, n). For a multi-output model select one output first
        (``explanation[..., k]``).
    row : int or None, default None
        Sequence to draw (0..N-1), or None for the data-set view.
    alphabet : Alphabet or None, optional
        Alphabet of the codes in ``explanation.data``. When None the letters are read
        from ``explanation.display_data`` (each code must always show the same letter).
    ax : matplotlib.axes.Axes or None, optional
        Axes to draw on; a new figure is created when None.
    title : str or None, optional
        Axes title.
    max_letters : int, None or "auto", default "auto"
        In the data-set view, draw only this many letters at each position, those of
        largest absolute height (the title of the y axis says so); None draws all.
        ``"auto"``: all for alphabets of up to 4 letters, :data:`AUTO_MAX_LETTERS` (6)
        otherwise, so that protein logos stay readable.
    **logo_kwargs
        Passed to ``logomaker.Logo`` (e.g. ``color_scheme``, ``font_name``). Defaults:
        ``color_scheme="classic"`` for nucleotides, ``"chemistry"`` for amino acids,
        ``flip_below=False`` (negative letters are not drawn upside down).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; x ticks are 1-based positions.

    Raises
    ------
    InvalidParameterError
        If ``explanation`` is not a single-output shap.Explanation, ``row`` is out of
        range, or the letters cannot be determined.
    ImportError
        If matplotlib or logomaker is missing (``pip install "shap-zero[plot]"``).
    """
    values, data, display, _ = _explanation_arrays(explanation)
    if row is None and np.ndim(explanation.values) == 1:
        row = 0  # one sequence (e.g. explanation[0]): its own letters, not a mean
    row = _check_row(row, values.shape[0])
    codes, symbols = _codes_and_symbols(data, display, alphabet, "explanation")
    plt = _require("matplotlib.pyplot", "sequence_logo")
    logomaker = _require("logomaker", "sequence_logo")
    for reserved in ("df", "ax"):
        if reserved in logo_kwargs:
            raise InvalidParameterError(
                f"logo_kwargs: {reserved!r} is set by sequence_logo and cannot be passed"
            )

    if max_letters == "auto":
        max_letters = None if len(symbols) <= 4 else AUTO_MAX_LETTERS
    elif max_letters is not None:
        max_letters = check_int(max_letters, name="max_letters", minimum=1)
    shown = None if row is not None or max_letters is None or max_letters >= len(symbols) else max_letters
    matrix = _logo_matrix(values, codes, symbols, row, shown)
    n = values.shape[1]
    letters = {str(c).upper() for c in matrix.columns}
    if "color_scheme" not in logo_kwargs:
        if letters <= _NUCLEOTIDES:
            logo_kwargs["color_scheme"] = "classic"
        elif letters <= _AMINO_ACIDS:
            logo_kwargs["color_scheme"] = "chemistry"
    logo_kwargs.setdefault("flip_below", False)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(20.0, max(6.0, 0.3 * n + 1.0)), 2.8))
    logomaker.Logo(matrix, ax=ax, **logo_kwargs)
    ax.axhline(0.0, color="black", linewidth=0.8, zorder=5)
    ticks = _position_ticks(n) + 1
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t) for t in ticks])
    ax.set_xlabel("position")
    ax.set_ylabel("SHAP value" if row is not None else "mean SHAP value" if shown is None
                  else f"mean SHAP value\n(top {shown} letters)")  # fmt: skip
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------- interaction heatmap


def _interaction_matrix(interactions: Any, row: int | None, absolute: bool) -> tuple[np.ndarray, str]:
    """The (n, n) matrix drawn by :func:`interaction_heatmap` and its colour-bar label.

    Returns
    -------
    matrix : numpy.ndarray of float64, shape (n, n)
        Symmetric, with NaN on the diagonal.
    label : str
    """
    if isinstance(interactions, Interactions):
        if interactions.order < 2:
            raise InvalidParameterError(
                f"interactions: expected pairwise interactions (order >= 2), got an Interactions of "
                f"index {interactions.index!r} and order {interactions.order}"
            )
        n = interactions.n
        values = np.asarray(interactions.values, dtype=np.float64)
        row = _check_row(row, values.shape[0])
        pair_columns = np.flatnonzero(interactions.sizes == 2)
        pairs = np.array([interactions.subsets[u] for u in pair_columns], dtype=np.intp).reshape(-1, 2)
        selected = values[:, pair_columns] if row is None else values[row : row + 1, pair_columns]
        if absolute:
            selected = np.abs(selected)
        pair_values = selected.mean(axis=0) if selected.shape[0] else np.full(len(pair_columns), np.nan)
        matrix = np.zeros((n, n))
        matrix[pairs[:, 0], pairs[:, 1]] = pair_values
        matrix[pairs[:, 1], pairs[:, 0]] = pair_values
        label = f"{interactions.index} interaction"
    else:
        arr = _interaction_array(interactions)
        row = _check_row(row, arr.shape[0])
        selected = arr if row is None else arr[row : row + 1]
        if absolute:
            selected = np.abs(selected)
        matrix = selected.mean(axis=0) if selected.shape[0] else np.full(arr.shape[1:], np.nan)
        label = "interaction (shap convention: half the pair index)"
    if row is None:
        label = ("mean |" + label + "|") if absolute else ("mean " + label)
    elif absolute:
        label = "|" + label + "|"
    np.fill_diagonal(matrix, np.nan)
    return matrix, label


def _interaction_array(interactions: Any) -> np.ndarray:
    """An (N, n, n) float array from an ndarray (n, n) / (N, n, n) or a 3-D Explanation."""
    if isinstance(interactions, (str, bytes)) or interactions is None:
        raise InvalidParameterError(
            f"interactions: expected an ndarray of shape (n, n) or (N, n, n) or a shap_zero.Interactions, "
            f"got {_type_name(interactions)}"
        )
    # A shap.Explanation carries its array in .values.
    raw = interactions
    if not isinstance(interactions, np.ndarray):
        raw = getattr(interactions, "values", interactions)
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(
            f"interactions: expected an ndarray of shape (n, n) or (N, n, n) or a shap_zero.Interactions, "
            f"got {_type_name(interactions)}"
        ) from err
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise InvalidParameterError(
            f"interactions: expected an array of shape (n, n) or (N, n, n) (square matrices), got shape "
            f"{np.shape(raw)}"
        )
    return arr


def interaction_heatmap(
    interactions: Any,
    *,
    row: int | None = None,
    feature_names: Any = None,
    ax: Axes | None = None,
    cmap: Any = None,
    title: str | None = None,
    absolute: bool = False,
) -> Axes:
    """Position x position heatmap of pairwise interactions.

    The diagonal is masked (drawn blank): in shap's convention it holds the main
    effects, which usually dwarf the interactions and would wash out the colour scale.

    Parameters
    ----------
    interactions : numpy.ndarray, InteractionExplanation or Interactions
        Either

        * an array of shape (n, n) or (N, n, n) in shap's TreeExplainer convention, as
          returned by :func:`shap_zero.shap_interaction_values`: off-diagonal entries
          are *half* the pairwise index (SII / 2), so a pair's two entries add up to it.
          Entries are shown as given. A shap.Explanation with values (N, n, n) is
          accepted too.
        * an :class:`~shap_zero.InteractionExplanation` (from
          ``ZeroExplainer.interactions``) or :class:`~shap_zero.Interactions` (from
          :func:`shap_zero.interaction_values`) of order >= 2: its pair subsets fill a
          symmetric matrix with the *full* pair value; higher orders are ignored and
          pairs that are not listed are 0.
    row : int or None, default None
        Sequence to show (0..N-1); None shows the mean over the sequences.
    feature_names : sequence of str of length n, optional
        Tick labels; default ``pos1 .. posn`` (or the Explanation's names). With more
        than 30 positions only every k-th label is shown.
    ax : matplotlib.axes.Axes or None, optional
        Axes to draw on; a new figure is created when None.
    cmap : str or matplotlib colormap, optional
        Default ``"PuOr_r"`` (diverging, scale symmetric about 0) or, with
        ``absolute=True``, ``"Oranges"`` (scale from 0).
    title : str or None, optional
        Axes title.
    absolute : bool, default False
        Show absolute values (with ``row=None``, the mean absolute value: strength of an
        interaction regardless of its sign across sequences).

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap's axes (a colour bar is added next to it).

    Raises
    ------
    InvalidParameterError
        If ``interactions`` has the wrong type or shape, ``row`` is out of range, or
        ``feature_names`` has the wrong length.
    ImportError
        If matplotlib is missing (``pip install "shap-zero[plot]"``).
    """
    if not isinstance(absolute, (bool, np.bool_)):
        raise InvalidParameterError(
            f"absolute: expected a bool, got {absolute!r} of type {_type_name(absolute)}"
        )
    if isinstance(interactions, InteractionExplanation):
        if feature_names is None:
            feature_names = list(interactions.feature_names)
        interactions = interactions.result
    matrix, label = _interaction_matrix(interactions, row, bool(absolute))
    n = matrix.shape[0]
    if feature_names is None:
        # A shap.Explanation of (N, n, n) values brings its own names.
        own = None if isinstance(interactions, (np.ndarray, Interactions)) else getattr(
            interactions, "feature_names", None
        )
        feature_names = own if own is not None and len(own) == n else [f"pos{i + 1}" for i in range(n)]
    else:
        if isinstance(feature_names, str) or not hasattr(feature_names, "__len__"):
            raise InvalidParameterError(
                f"feature_names: expected a sequence of {n} str, got {_type_name(feature_names)}"
            )
        if len(feature_names) != n:
            raise InvalidParameterError(
                f"feature_names: expected {n} names (one per position), got {len(feature_names)}"
            )
    plt = _require("matplotlib.pyplot", "interaction_heatmap")
    colormap = plt.get_cmap(cmap if cmap is not None else ("Oranges" if absolute else "PuOr_r"))
    colormap = colormap.with_extremes(bad="#dddddd")  # the masked diagonal
    finite = matrix[np.isfinite(matrix)]
    vmax = float(np.abs(finite).max()) if finite.size else 0.0
    if vmax == 0.0:
        vmax = 1.0
    vmin = 0.0 if absolute else -vmax
    if ax is None:
        side = min(14.0, max(4.5, 0.25 * n + 2.5))
        _, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(matrix, cmap=colormap, vmin=vmin, vmax=vmax, interpolation="nearest")
    colorbar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label(label)
    ticks = _position_ticks(n)
    names = [str(feature_names[i]) for i in ticks]
    ax.set_xticks(ticks)
    ax.set_xticklabels(names, rotation=90)
    ax.set_yticks(ticks)
    ax.set_yticklabels(names)
    if title is not None:
        ax.set_title(title)
    return ax


# ------------------------------------------------------- beeswarm and scatter by letter

#: Nucleotide colours of logomaker's "classic" scheme, so that logos and point plots agree.
_NUCLEOTIDE_COLOURS = {"A": "#008000", "C": "#0000ff", "G": "#ffa500", "T": "#ff0000", "U": "#ff0000"}


def letter_colours(symbols: list[str]) -> list[Any]:
    """One colour per symbol: logomaker's classic colours for nucleotides, else a
    qualitative palette (tab10 up to 10 symbols, tab20 up to 20, then repeated).

    Parameters
    ----------
    symbols : list of str
        The alphabet's symbols, in code order.

    Returns
    -------
    list
        A matplotlib colour per symbol.
    """
    if symbols and {s.upper() for s in symbols if s} <= _NUCLEOTIDES:
        return [_NUCLEOTIDE_COLOURS.get(s.upper(), "#888888") for s in symbols]
    plt = _require("matplotlib.pyplot", "letter_colours")
    palette = plt.get_cmap("tab10" if len(symbols) <= 10 else "tab20")
    return [palette(k % palette.N) for k in range(len(symbols))]


def _letter_legend(ax: Axes, symbols: list[str], colours: list[Any], present: np.ndarray, title: str) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", color=colours[k], label=symbols[k])
               for k in range(len(symbols)) if present[k]]  # fmt: skip
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              ncol=1 if len(handles) <= 12 else 2)  # fmt: skip


def _swarm_offsets(x: np.ndarray, width: float, rng: np.random.Generator) -> np.ndarray:
    """Vertical offsets in (-width, width), wider where the values are dense."""
    if x.size < 2 or np.ptp(x) == 0:
        return rng.uniform(-width, width, size=x.size) * (0.5 if x.size > 1 else 0.0)
    counts, edges = np.histogram(x, bins=min(50, max(5, x.size // 10)))
    density = counts[np.clip(np.searchsorted(edges, x, side="right") - 1, 0, counts.size - 1)] / counts.max()
    return rng.uniform(-1.0, 1.0, size=x.size) * width * np.sqrt(density)


def beeswarm(
    explanation: Any,
    *,
    max_display: int = 15,
    alphabet: Alphabet | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    random_state: int = 0,
) -> Axes:
    """SHAP values of the most important positions, one row each, coloured by letter.

    shap's beeswarm colours points by feature value on a Low/High scale, which for
    symbol codes orders letters arbitrarily; here each letter has its own colour and a
    legend names it.

    Parameters
    ----------
    explanation : shap.Explanation
        Single-output SHAP values (N, n) with codes in ``data`` and/or letters in
        ``display_data``.
    max_display : int, default 15
        Positions shown, by mean absolute SHAP value (largest on top).
    alphabet : Alphabet, optional
        Alphabet of the codes; default: read from ``display_data``.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    random_state : int, default 0
        Seed of the vertical jitter (the same figure every time).

    Returns
    -------
    matplotlib.axes.Axes
        Row k from the top (y = -k) is the k-th most important position; x is the SHAP
        value. The points of a row form one collection, in sequence order.
    """
    values, data, display, names = _explanation_arrays(explanation)
    max_display = check_int(max_display, name="max_display", minimum=1)
    codes, symbols = _codes_and_symbols(data, display, alphabet, "explanation")
    plt = _require("matplotlib.pyplot", "beeswarm")
    n = values.shape[1]
    names = list(names) if names is not None else [f"pos{i + 1}" for i in range(n)]
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")[: min(max_display, n)]
    colours = np.array(letter_colours(symbols), dtype=object)
    rng = np.random.default_rng(random_state)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.4 * order.size + 1.5))
    for rank, position in enumerate(order):
        x = values[:, position]
        ax.scatter(x, -rank + _swarm_offsets(x, 0.4, rng), s=10, c=list(colours[codes[:, position]]),
                   linewidths=0, alpha=0.85, rasterized=x.size > 2000)  # fmt: skip
    ax.axvline(0.0, color="#999999", linewidth=0.8, zorder=0)
    ax.set_yticks(-np.arange(order.size))
    ax.set_yticklabels([str(names[i]) for i in order])
    ax.set_xlabel("SHAP value (impact on model output)")
    present = np.bincount(codes[:, order].ravel(), minlength=len(symbols)) > 0
    _letter_legend(ax, symbols, list(colours), present, "letter")
    if title is not None:
        ax.set_title(title)
    return ax


def scatter(
    explanation: Any,
    position: int,
    *,
    colour_by: int | None | str = "auto",
    alphabet: Alphabet | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    random_state: int = 0,
) -> Axes:
    """SHAP value of one position against its letter, coloured by the letter elsewhere.

    Parameters
    ----------
    explanation : shap.Explanation
        Single-output SHAP values (N, n).
    position : int
        0-based position to show.
    colour_by : int, None or "auto", default "auto"
        0-based position whose letter colours the points; ``"auto"`` takes the position
        whose letters, together with this position's letter, best explain its SHAP
        values (the largest between-group variance of the (letter here, letter there)
        groups), as shap's scatter picks an interacting feature; None colours by the
        position's own letter.
    alphabet : Alphabet, optional
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    random_state : int, default 0
        Seed of the horizontal jitter.

    Returns
    -------
    matplotlib.axes.Axes
        x is the letter's index (ticks labelled by letter, jittered by up to 0.3), y the
        SHAP value; one collection, in sequence order. ``ax.colour_position`` holds the
        colouring position.
    """
    values, data, display, names = _explanation_arrays(explanation)
    codes, symbols = _codes_and_symbols(data, display, alphabet, "explanation")
    n = values.shape[1]
    position = check_int(position, name="position", minimum=0, maximum=n - 1)
    names = list(names) if names is not None else [f"pos{i + 1}" for i in range(n)]
    if isinstance(colour_by, str):
        if colour_by != "auto":
            raise InvalidParameterError(f"colour_by: expected 'auto', None or a position; got {colour_by!r}")
        colour_by = strongest_partner(values[:, position], codes, position, len(symbols)) if n > 1 else None
    elif colour_by is not None:
        colour_by = check_int(colour_by, name="colour_by", minimum=0, maximum=n - 1)
    shade = codes[:, position if colour_by is None else colour_by]
    plt = _require("matplotlib.pyplot", "scatter")
    colours = np.array(letter_colours(symbols), dtype=object)
    rng = np.random.default_rng(random_state)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0))
    x = codes[:, position] + rng.uniform(-0.3, 0.3, size=codes.shape[0])
    ax.scatter(x, values[:, position], s=12, c=list(colours[shade]), linewidths=0, alpha=0.85)
    ax.axhline(0.0, color="#999999", linewidth=0.8, zorder=0)
    shown = np.flatnonzero(np.bincount(codes[:, position], minlength=len(symbols)))
    ax.set_xticks(shown)
    ax.set_xticklabels([symbols[k] for k in shown])
    ax.set_xlabel(f"letter at {names[position]}")
    ax.set_ylabel(f"SHAP value of {names[position]}")
    legend_title = f"letter at {names[position if colour_by is None else colour_by]}"
    _letter_legend(ax, symbols, list(colours), np.bincount(shade, minlength=len(symbols)) > 0, legend_title)
    ax.colour_position = colour_by
    if title is not None:
        ax.set_title(title)
    return ax


def strongest_partner(values: np.ndarray, codes: np.ndarray, position: int, q: int) -> int:
    """The position whose letters, with those at ``position``, best explain ``values``.

    Parameters
    ----------
    values : ndarray of shape (N,)
        SHAP values of ``position``.
    codes : ndarray of shape (N, n), integer
    position : int
    q : int
        Alphabet size.

    Returns
    -------
    int
        The j != ``position`` whose (letter at position, letter at j) groups have the
        largest between-group sum of squares of ``values``.
    """
    best, best_score = -1, -np.inf
    for j in range(codes.shape[1]):
        if j == position:
            continue
        groups = codes[:, position].astype(np.int64) * q + codes[:, j]
        counts = np.bincount(groups, minlength=q * q)
        sums = np.bincount(groups, weights=values, minlength=q * q)
        seen = counts > 0
        score = float(np.sum(sums[seen] ** 2 / counts[seen]))
        if score > best_score:
            best, best_score = j, score
    return best

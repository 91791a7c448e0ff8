"""Sequence files in, attribution tables out: FASTA, CSV/TSV and Parquet.

- :func:`read_sequences` reads records with ids: FASTA through Biopython's
  ``Bio.SeqIO``, CSV, TSV and Parquet through pandas (Parquet needs pyarrow); a ``.gz``
  suffix is read compressed. With an alphabet it also checks every record, and
  ``ambiguous`` says what happens to one with a symbol outside it (N, or an IUPAC code):
  ``"refuse"`` (default) raises naming the record, the position and the symbol;
  ``"skip"`` leaves the record out and lists it in :attr:`SequenceRecords.skipped`.
  Soft-masked lowercase letters are read as their capitals, as the alphabets do.
- :func:`values_frame` / :func:`write_values` turn a ``shap.Explanation`` of SHAP
  values into a table with ids, letters and 1-based positions, long (one row per
  sequence and position) or wide (one row per sequence);
  :func:`interactions_frame` / :func:`write_interactions` do the same for an
  :class:`~shap_zero.InteractionExplanation` (one row per sequence and subset, or one
  column per subset). A path ending in ``.csv``, ``.tsv`` or ``.parquet`` (optionally
  ``.gz`` for the text formats) chooses the format.

Biopython and pandas are imported only when needed (``pip install "shap_zero[files]"``).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

__all__ = [
    "SequenceRecords",
    "interactions_frame",
    "read_sequences",
    "values_frame",
    "write_interactions",
    "write_values",
]

FileFormat = Literal["fasta", "csv", "tsv", "parquet"]
_SUFFIXES = {".fa": "fasta", ".fasta": "fasta", ".fna": "fasta", ".fas": "fasta", ".csv": "csv", ".tsv": "tsv",
             ".txt": "tsv", ".parquet": "parquet", ".pq": "parquet"}  # fmt: skip
AMBIGUOUS_POLICIES = ("refuse", "skip", "background")


@dataclass(frozen=True, eq=False)
class SequenceRecords:
    """Sequences read from a file, with their ids.

    Attributes
    ----------
    ids : list of str
        One id per kept record (FASTA: the first word of the header line; tables: the
        id column, or the 1-based row number when there is none).
    sequences : list of str
        The kept sequences, as written in the file (case kept).
    skipped : list of (str, str)
        (id, reason) of every record left out by ``ambiguous="skip"``.
    codes : ndarray of shape (N, n), uint8, or None
        The kept sequences encoded, when an alphabet was given (0 at held positions).
    held : ndarray of shape (N, n), bool, or None
        With ``ambiguous="background"``: the positions whose symbol the alphabet cannot
        read, to pass as ``held`` to the explainer (their values are then 0).
    """

    ids: list[str]
    sequences: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    codes: np.ndarray | None = None
    held: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.sequences)


def file_format(path: str | os.PathLike[str], format: str | None = None) -> tuple[str, bool]:
    """(format, gzip-compressed) of a path, from ``format`` or from its suffixes."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if format is not None:
        if format not in ("fasta", "csv", "tsv", "parquet"):
            raise InvalidParameterError(f"format must be 'fasta', 'csv', 'tsv' or 'parquet'; got {format!r}")
        return format, compressed
    known = suffixes[-2] if compressed and len(suffixes) >= 2 else (suffixes[-1] if suffixes else "")
    if known not in _SUFFIXES:
        raise InvalidParameterError(
            f"path: cannot tell the format of {os.fspath(path)!r} from its suffix; expected one of "
            f"{sorted(_SUFFIXES)} (optionally + .gz), or pass format="
        )
    return _SUFFIXES[known], compressed


def _read_fasta(path: Path, compressed: bool) -> tuple[list[str], list[str]]:
    try:
        from Bio import SeqIO
    except ImportError as error:
        raise ImportError('reading FASTA needs Biopython: pip install "shap_zero[files]"') from error
    opener = gzip.open if compressed else open
    ids, sequences = [], []
    with opener(path, "rt") as handle:
        for record in SeqIO.parse(handle, "fasta"):
            ids.append(record.id)
            sequences.append(str(record.seq))
    return ids, sequences


def _read_table(path: Path, kind: str, id_column: str | None, sequence_column: str) -> tuple[list[str], list[str]]:
    import pandas as pd

    if kind == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, sep="," if kind == "csv" else "\t", dtype=str, keep_default_na=False)
    if sequence_column not in frame.columns:
        raise InvalidParameterError(
            f"sequence_column: {os.fspath(path)!r} has no column {sequence_column!r}; its columns are {list(frame.columns)}"
        )
    sequences = [str(value) for value in frame[sequence_column]]
    if id_column is not None and id_column in frame.columns:
        ids = [str(value) for value in frame[id_column]]
    else:
        ids = [str(row + 1) for row in range(len(sequences))]
    return ids, sequences


def read_sequences(
    path: str | os.PathLike[str],
    *,
    format: FileFormat | None = None,
    alphabet: Alphabet | None = None,
    length: int | None = None,
    ambiguous: Literal["refuse", "skip"] = "refuse",
    id_column: str | None = "id",
    sequence_column: str = "sequence",
) -> SequenceRecords:
    """Read sequences and their ids from a FASTA, CSV, TSV or Parquet file.

    Parameters
    ----------
    path : str or path-like
    format : {"fasta", "csv", "tsv", "parquet"}, optional
        Default: from the suffix (``.fa``, ``.fasta``, ``.fna``, ``.csv``, ``.tsv``,
        ``.parquet``; ``.gz`` after a text format reads it compressed).
    alphabet : Alphabet, optional
        Check every record against it (and ``length``): see ``ambiguous``.
    length : int, optional
        Required sequence length (with ``alphabet``).
    ambiguous : {"refuse", "skip", "background"}, default "refuse"
        A record with a symbol outside the alphabet (N, for example), or of another
        length: raise an :class:`~shap_zero.exceptions.InvalidSequenceError` naming its
        id, position and symbol; or leave it out and list it in ``skipped``; or, for
        unknown symbols in a record of the right length, keep it and mark those
        positions in ``held``, to be explained as held at the background (records of
        another length are still refused).
    id_column : str or None, default "id"
        Column of the ids in a table; when absent, ids are the 1-based row numbers.
    sequence_column : str, default "sequence"
        Column of the sequences in a table.

    Returns
    -------
    SequenceRecords

    Raises
    ------
    InvalidSequenceError
        With ``ambiguous="refuse"``, for the first record the alphabet cannot encode.
    InvalidParameterError
        For an unknown format or policy, or a missing sequence column.
    """
    if ambiguous not in AMBIGUOUS_POLICIES:
        raise InvalidParameterError(f"ambiguous must be one of {list(AMBIGUOUS_POLICIES)}; got {ambiguous!r}")
    if alphabet is not None and not isinstance(alphabet, Alphabet):
        raise InvalidParameterError(f"alphabet must be a shap_zero.Alphabet or None; got {type(alphabet).__name__}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path: no such file {os.fspath(path)!r}")
    kind, compressed = file_format(path, format)
    if kind == "fasta":
        ids, sequences = _read_fasta(path, compressed)
    else:
        ids, sequences = _read_table(path, kind, id_column, sequence_column)
    if alphabet is None:
        return SequenceRecords(ids, sequences)
    try:
        codes = alphabet.encode(sequences, length=length)
        held = np.zeros(codes.shape, dtype=bool) if ambiguous == "background" else None
        return SequenceRecords(ids, sequences, codes=codes, held=held)
    except InvalidSequenceError:
        pass  # find the records at fault, one by one
    kept_ids, kept, skipped, rows, held_rows = [], [], [], [], []
    for record_id, sequence in zip(ids, sequences, strict=True):
        unknown = np.zeros(len(sequence), dtype=bool)
        try:
            if ambiguous == "background" and (length is None or len(sequence) == length):
                unknown = np.array([symbol not in alphabet for symbol in sequence], dtype=bool)
                first = alphabet.symbols[0]
                sequence_read = "".join(first if out else symbol for symbol, out in zip(sequence, unknown))
            else:
                sequence_read = sequence
            row = alphabet.encode([sequence_read], length=length, name=f"record {record_id!r}")
        except InvalidSequenceError as error:
            reason = str(error).replace(f"record {record_id!r}[0]", f"record {record_id!r}")
            if ambiguous != "skip":
                raise InvalidSequenceError(f"{os.fspath(path)}: {reason}") from None
            skipped.append((record_id, reason))
            continue
        kept_ids.append(record_id)
        kept.append(sequence)
        rows.append(row)
        held_rows.append(unknown)
    if not rows:
        return SequenceRecords(kept_ids, kept, skipped)
    if len({row.shape[1] for row in rows}) > 1:
        raise InvalidSequenceError(f"{os.fspath(path)}: records of different lengths; pass length=")
    codes = np.concatenate(rows)
    held = np.stack(held_rows) if ambiguous == "background" else None
    return SequenceRecords(kept_ids, kept, skipped, codes=codes, held=held)


# --------------------------------------------------------------------------- writing


def _ids(ids: Any, count: int) -> list[str]:
    if ids is None:
        return [str(row + 1) for row in range(count)]
    ids = [str(value) for value in ids]
    if len(ids) != count:
        raise InvalidParameterError(f"ids: expected {count} ids, one per sequence; got {len(ids)}")
    return ids


def _letters(data: np.ndarray, symbols: Any) -> np.ndarray:
    """Letters (N, n) of codes, or the codes as text when the alphabet is unknown."""
    if symbols is None:
        return data.astype(str)
    return np.asarray(list(symbols))[data]


def values_frame(explanation: Any, *, ids: Any = None, layout: Literal["long", "wide"] = "long") -> Any:
    """A ``shap.Explanation`` of SHAP values (from ``ZeroExplainer``) as a table.

    Parameters
    ----------
    explanation : shap.Explanation
        ``values`` (N, n) or (N, n, m), ``data`` the codes; letters from
        ``display_data`` when present.
    ids : sequence of str, optional
        One id per sequence; default 1..N.
    layout : {"long", "wide"}, default "long"
        ``"long"``: columns ``id``, ``position`` (1-based), ``feature``, ``letter``,
        ``value``, ``base_value`` (and ``output`` for m outputs), one row per sequence,
        position (and output). ``"wide"``: ``id``, ``sequence``, ``base_value`` (per
        output for m outputs) and one column per feature (``feature`` or
        ``output:feature``).

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    values = np.asarray(explanation.values, dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    n_sequences, n, m = values.shape
    base = np.asarray(explanation.base_values, dtype=np.float64).reshape(n_sequences, -1)
    names = list(explanation.feature_names) if explanation.feature_names is not None else [f"pos{i + 1}" for i in range(n)]
    outputs = list(explanation.output_names) if getattr(explanation, "output_names", None) is not None else None
    outputs = outputs if outputs is not None and len(outputs) == m else [str(k) for k in range(m)]
    display = explanation.display_data
    letters = np.asarray(display) if display is not None else np.asarray(explanation.data).astype(str)
    record_ids = _ids(ids, n_sequences)
    if layout == "wide":
        columns: dict[str, Any] = {"id": record_ids, "sequence": ["".join(row) for row in letters]}
        for k in range(m):
            prefix = "" if m == 1 else f"{outputs[k]}:"
            columns[f"{prefix}base_value"] = base[:, k]
            for i, name in enumerate(names):
                columns[f"{prefix}{name}"] = values[:, i, k]
        return pd.DataFrame(columns)
    if layout != "long":
        raise InvalidParameterError(f"layout must be 'long' or 'wide'; got {layout!r}")
    frame = pd.DataFrame(
        {
            "id": np.repeat(np.asarray(record_ids, dtype=object), n * m),
            "position": np.tile(np.repeat(np.arange(1, n + 1), m), n_sequences),
            "feature": np.tile(np.repeat(np.asarray(names, dtype=object), m), n_sequences),
            "letter": np.repeat(letters.reshape(-1), m),
            "value": values.reshape(-1),
            "base_value": np.repeat(base, n, axis=0).reshape(-1) if m > 1 else np.repeat(base[:, 0], n),
        }
    )
    if m > 1:
        frame.insert(2, "output", np.tile(np.asarray(outputs, dtype=object), n_sequences * n))
    return frame


def interactions_frame(interactions: Any, *, ids: Any = None, layout: Literal["long", "wide"] = "long") -> Any:
    """An :class:`~shap_zero.InteractionExplanation` as a table.

    Parameters
    ----------
    interactions : InteractionExplanation
    ids : sequence of str, optional
        One id per sequence; default 1..N.
    layout : {"long", "wide"}, default "long"
        ``"long"``: columns ``id``, ``label``, ``positions`` (1-based, comma-separated),
        ``letters`` (the sequence's letters at those positions), ``size``, ``value``,
        one row per sequence and listed subset. ``"wide"``: ``id``, ``sequence``,
        ``base_value`` and one column per subset label.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    values = interactions.values
    n_sequences, n_subsets = values.shape
    record_ids = _ids(ids, n_sequences)
    letters = _letters(interactions.data, interactions.symbols)
    if layout == "wide":
        frame = pd.DataFrame(values, columns=interactions.labels)
        frame.insert(0, "base_value", interactions.base_values)
        frame.insert(0, "sequence", ["".join(row) for row in letters])
        frame.insert(0, "id", record_ids)
        return frame
    if layout != "long":
        raise InvalidParameterError(f"layout must be 'long' or 'wide'; got {layout!r}")
    positions = np.asarray([",".join(str(i + 1) for i in subset) for subset in interactions.subsets], dtype=object)
    at = np.empty((n_sequences, n_subsets), dtype=object)
    for u, subset in enumerate(interactions.subsets):
        at[:, u] = ["".join(row) for row in letters[:, list(subset)]]
    columns = np.tile(np.arange(n_subsets), n_sequences)
    return pd.DataFrame(
        {
            "id": np.repeat(np.asarray(record_ids, dtype=object), n_subsets),
            "label": np.asarray(interactions.labels, dtype=object)[columns],
            "positions": positions[columns],
            "letters": at.reshape(-1),
            "size": interactions.sizes[columns],
            "value": values.reshape(-1),
        }
    )


def _write(frame: Any, path: str | os.PathLike[str], format: str | None) -> None:
    kind, compressed = file_format(path, format)
    if kind == "fasta":
        raise InvalidParameterError("path: tables are written as .csv, .tsv or .parquet, not FASTA")
    if kind == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep="," if kind == "csv" else "\t", index=False, compression="gzip" if compressed else None)


def write_values(
    path: str | os.PathLike[str],
    explanation: Any,
    *,
    ids: Any = None,
    layout: Literal["long", "wide"] = "long",
    format: str | None = None,
) -> None:
    """Write SHAP values as CSV, TSV or Parquet (:func:`values_frame`'s table).

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv`` (optionally ``.gz``) or ``.parquet``.
    explanation : shap.Explanation
    ids : sequence of str, optional
    layout : {"long", "wide"}, default "long"
    format : {"csv", "tsv", "parquet"}, optional
        Default: from the suffix.
    """
    _write(values_frame(explanation, ids=ids, layout=layout), path, format)


def write_interactions(
    path: str | os.PathLike[str],
    interactions: Any,
    *,
    ids: Any = None,
    layout: Literal["long", "wide"] = "long",
    format: str | None = None,
) -> None:
    """Write interaction values as CSV, TSV or Parquet (:func:`interactions_frame`'s table).

    Parameters
    ----------
    path : str or path-like
    interactions : InteractionExplanation
    ids : sequence of str, optional
    layout : {"long", "wide"}, default "long"
    format : {"csv", "tsv", "parquet"}, optional
    """
    _write(interactions_frame(interactions, ids=ids, layout=layout), path, format)

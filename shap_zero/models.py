"""Calling the user's model: batching and checking what comes back.

This is the only module that calls a user's model. A model is any callable that takes
an integer code array of shape (N, n) (uint8) and returns N numbers, as an array of
shape (N,) or (N, 1), or (N, m) for a model with m outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from shap_zero.exceptions import InvalidParameterError, ModelError, ModelOutputError

__all__ = ["query_model", "query_batch", "check_model_output", "DEFAULT_BATCH_SIZE"]

#: Sequences per model call unless the caller says otherwise.
DEFAULT_BATCH_SIZE = 4096


def check_model_output(output: Any, n_rows: int, where: str) -> np.ndarray:
    """Validate one model output and return it as float64 of shape (N, m).

    Parameters
    ----------
    output : array-like
        What the model returned for ``n_rows`` sequences.
    n_rows : int
        Number of sequences in the call.
    where : str
        Description of the call for error messages (e.g. "batch 3 (rows 8192..12287)").

    Returns
    -------
    ndarray of shape (N, m), float64
    """
    try:
        values = np.asarray(output)
    except Exception as error:  # ragged lists and foreign objects
        raise ModelOutputError(f"model output for {where} is not an array of numbers: {error}") from error
    if values.dtype == object or not (
        np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.bool_)
    ):
        raise ModelOutputError(f"model output for {where} must be numbers; got dtype {values.dtype}")
    if np.iscomplexobj(values):
        raise ModelOutputError(f"model output for {where} must be real; got complex dtype {values.dtype}")
    if values.ndim == 1 and values.shape[0] == n_rows:
        values = values[:, None]
    elif values.ndim == 0 and n_rows == 1:
        values = values.reshape(1, 1)
    if values.ndim != 2 or values.shape[0] != n_rows:
        raise ModelOutputError(
            f"model output for {where} must have shape ({n_rows},) or ({n_rows}, m) for "
            f"{n_rows} input sequences; got shape {values.shape}"
        )
    values = values.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ModelOutputError(
            f"model output for {where} is not finite: {values[row, column]} for row {row} "
            f"of that call (output column {column})"
        )
    return values


def query_batch(model: Callable[[np.ndarray], Any], codes: np.ndarray, where: str) -> np.ndarray:
    """Call the model on one batch and check what it returns.

    The one place where a user's model is called, shared by :func:`query_model` and
    :func:`shap_zero.sketch.queries.run_queries`. It is a module-level function so that
    it can be sent to a process pool or a Dask cluster together with a picklable model;
    a model error is wrapped where it happens, so only a :class:`ModelError` carrying a
    string has to travel back (the user's own exception may not pickle).

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (B, n), returns B numbers or (B, m).
    codes : ndarray of shape (B, n), uint8
        The batch, passed to the model as is.
    where : str
        Description of the batch for error messages (e.g. "batch 3 (rows 8192..12287)").

    Returns
    -------
    ndarray of shape (B, m), float64

    Raises
    ------
    ModelError
        If the model raises; the message names ``where`` and the original error is chained.
    ModelOutputError
        If the output has the wrong shape, is not numeric or is not finite.
    """
    try:
        raw = model(codes)
    except Exception as error:
        raise ModelError(f"the model raised on {where}: {type(error).__name__}: {error}") from error
    return check_model_output(raw, codes.shape[0], where)


def _batches(n_rows: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n_rows, batch_size):
        yield slice(start, min(start + batch_size, n_rows))


def query_model(
    model: Callable[[np.ndarray], Any],
    codes: np.ndarray,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    description: str = "model queries",
) -> np.ndarray:
    """Evaluate a model on code arrays in batches and check every output.

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (B, n), returns B numbers or (B, m).
    codes : ndarray of shape (N, n), uint8
    batch_size : int
        Sequences per call.
    progress : bool
        Show a progress bar with the query rate.
    description : str
        Label of the progress bar.

    Returns
    -------
    ndarray of shape (N, m), float64

    Raises
    ------
    ModelError
        If the model raises; the message names the batch and its rows.
    ModelOutputError
        If an output has the wrong shape, is not numeric or is not finite, or the
        number of outputs m changes between batches.
    """
    if not callable(model):
        raise InvalidParameterError(f"model must be callable on integer codes (N, n); got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InvalidParameterError(f"batch_size must be a positive integer; got {batch_size!r}")
    n_rows = codes.shape[0]
    out: np.ndarray | None = None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_rows, desc=description, unit="query")
    try:
        for number, rows in enumerate(_batches(n_rows, int(batch_size))):
            where = f"batch {number} (rows {rows.start}..{rows.stop - 1})"
            values = query_batch(model, codes[rows], where)
            if out is None:
                out = np.empty((n_rows, values.shape[1]), dtype=np.float64)
            elif values.shape[1] != out.shape[1]:
                raise ModelOutputError(
                    f"model output for {where} has {values.shape[1]} columns, but earlier batches had {out.shape[1]}"
                )
            out[rows] = values
            if bar is not None:
                bar.update(rows.stop - rows.start)
    finally:
        if bar is not None:
            bar.close()
    if out is None:
        out = np.empty((0, 1), dtype=np.float64)
    return out

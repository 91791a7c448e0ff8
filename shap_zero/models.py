"""Calling the user's model: batching and checking what comes back.

This is the only module that calls a user's model. A model is any callable that takes
an integer code array of shape (N, n) (uint8) and returns N numbers, as an array of
shape (N,) or (N, 1), or (N, m) for a model with m outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

import numpy as np

from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError, ModelError, ModelOutputError

__all__ = [
    "query_batch",
    "check_model_output",
    "DEFAULT_BATCH_SIZE",
    "ModelInput",
    "MODEL_INPUTS",
    "SequenceModel",
]

#: Sequences per model call unless the caller says otherwise.
DEFAULT_BATCH_SIZE = 4096


def _output_array(output: Any, where: str) -> np.ndarray:
    """What a model returned, as an ndarray (masked entries and foreign objects refused)."""
    if isinstance(output, np.ma.MaskedArray):
        n_masked = int(np.count_nonzero(np.ma.getmaskarray(output)))
        if n_masked:
            raise ModelOutputError(
                f"model output for {where} is a masked array with {n_masked} masked "
                f"{'entry' if n_masked == 1 else 'entries'}; return a value for every sequence"
            )
        return np.asarray(np.ma.getdata(output))
    try:
        if type(output).__module__.startswith("torch") and hasattr(output, "detach"):
            return np.asarray(output.detach().cpu().numpy())
        return np.asarray(output)
    except Exception as error:  # ragged lists, foreign objects, tensors numpy cannot hold
        raise ModelOutputError(
            f"model output for {where} is not an array of numbers: {type(error).__name__}: {error}"
        ) from error


def check_model_output(output: Any, n_rows: int, where: str) -> np.ndarray:
    """Validate one model output and return it as float64 of shape (N, m).

    Parameters
    ----------
    output : array-like
        What the model returned for ``n_rows`` sequences: an array, a list, a pandas
        object, a torch tensor or anything numpy converts, of real numbers or bools,
        with shape (N,), (N, m) with m >= 1, or a scalar when N is 1.
    n_rows : int
        Number of sequences in the call.
    where : str
        Description of the call for error messages (e.g. "batch 3 (rows 8192..12287)").

    Returns
    -------
    ndarray of shape (N, m), float64

    Raises
    ------
    ModelOutputError
        If the output is not an array of real numbers (complex, strings, objects,
        dates and durations, masked entries), has the wrong shape, or is not finite;
        the message names ``where`` and the problem.
    """
    values = _output_array(output, where)
    kind = values.dtype.kind
    if kind == "c":
        raise ModelOutputError(f"model output for {where} must be real; got complex dtype {values.dtype}")
    if kind not in "biuf":
        what = {"m": " (durations)", "M": " (dates)", "O": " (Python objects)"}.get(kind, "")
        raise ModelOutputError(f"model output for {where} must be numbers; got dtype {values.dtype}{what}")
    if values.ndim == 1 and values.shape[0] == n_rows:
        values = values[:, None]
    elif values.ndim == 0 and n_rows == 1:
        values = values.reshape(1, 1)
    if values.ndim != 2 or values.shape[0] != n_rows or values.shape[1] == 0:
        raise ModelOutputError(
            f"model output for {where} must have shape ({n_rows},) or ({n_rows}, m) with m >= 1 for "
            f"{n_rows} input sequences; got shape {values.shape}"
        )
    values = values.astype(np.float64, copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ModelOutputError(
            f"model output for {where} is not finite: {values[row, column]} for row {row} "
            f"of that call (output column {column}; rows and columns count from 0)"
        )
    return values


def query_batch(model: Callable[[np.ndarray], Any], codes: np.ndarray, where: str) -> np.ndarray:
    """Call the model on one batch and check what it returns.

    The one place where a user's model is called, used by
    :func:`shap_zero.sketch.queries.run_queries`. It is a module-level function so that
    it can be sent to a process pool or a Dask cluster together with a picklable model;
    a model error is wrapped where it happens, so only a :class:`ModelError` carrying a
    string has to travel back (the user's own exception may not pickle).

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (B, n), returns B numbers or (B, m).
    codes : ndarray of shape (B, n), uint8
        The batch; the model receives a copy that the library never reads again.
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
        # A fresh copy: a model that writes into its input must not corrupt the
        # caller's design points, which engines read again after the queries.
        raw = model(codes.copy())
    except ModelOutputError as error:  # from an adaptor (SequenceModel): say where
        raise ModelOutputError(f"model output for {where}: {error}") from error
    except Exception as error:
        raise ModelError(f"the model raised on {where}: {type(error).__name__}: {error}") from error
    return check_model_output(raw, codes.shape[0], where)


ModelInput = Literal["codes", "strings", "onehot", "onehot_channels_first", "onehot_flat"]
#: The input layouts a model may take (see :class:`SequenceModel`).
MODEL_INPUTS: tuple[str, ...] = get_args(ModelInput)
_ESTIMATOR_METHODS = ("predict", "predict_proba", "decision_function")


class SequenceModel:
    """A model that takes another input layout, seen as a model on integer codes.

    Everything in shap_zero calls models on uint8 codes of shape (N, n). This adaptor
    converts the codes to what the model takes, calls it, and picks the output
    columns. It is a plain picklable object, so it can travel to process pools and
    Dask workers together with a picklable model.

    Parameters
    ----------
    model : callable or estimator
        A callable, or an object with ``predict`` / ``predict_proba`` /
        ``decision_function`` (a scikit-learn estimator or pipeline).
    alphabet : Alphabet or int
        The alphabet; an :class:`~shap_zero.alphabet.Alphabet` is required for
        ``model_input="strings"``.
    model_input : {"codes", "strings", "onehot", "onehot_channels_first", "onehot_flat"}, default "codes"
        What the model takes:

        - ``"codes"``: integer codes (N, n), uint8, passed through;
        - ``"strings"``: a list of N strings of the alphabet;
        - ``"onehot"``: float64 (N, n, q), ``X[r, i, a] = 1`` when position i holds symbol a;
        - ``"onehot_channels_first"``: float64 (N, q, n), the same transposed;
        - ``"onehot_flat"``: float64 (N, n * q), the same flattened position-major
          (column ``i * q + a``), the usual layout of scikit-learn features.
    method : {"predict", "predict_proba", "decision_function"}, optional
        The estimator method to call. Default: call ``model`` itself when it is
        callable, else ``predict_proba`` when ``output_class`` is given, else ``predict``.
    output_class : optional
        With ``predict_proba`` or ``decision_function``: the class label (an entry of
        ``model.classes_``) whose column is explained. None keeps every column (a
        multi-output model with one output per class).

    Examples
    --------
    >>> import numpy as np
    >>> from shap_zero import DNA
    >>> from shap_zero.models import SequenceModel
    >>> gc = SequenceModel(lambda seqs: [s.count("G") + s.count("C") for s in seqs], DNA, model_input="strings")
    >>> gc(np.array([[0, 1, 2, 3], [2, 2, 1, 1]], dtype=np.uint8))
    array([2, 4])
    """

    def __init__(
        self,
        model: Any,
        alphabet: Alphabet | int,
        *,
        model_input: ModelInput = "codes",
        method: str | None = None,
        output_class: Any = None,
    ) -> None:
        if model_input not in MODEL_INPUTS:
            raise InvalidParameterError(f"model_input must be one of {list(MODEL_INPUTS)}; got {model_input!r}")
        if isinstance(alphabet, Alphabet):
            q = alphabet.q
        elif isinstance(alphabet, (int, np.integer)) and not isinstance(alphabet, bool) and alphabet >= 2:
            q = int(alphabet)
        else:
            raise InvalidParameterError(
                f"alphabet must be a shap_zero.Alphabet or an alphabet size q >= 2; got {alphabet!r}"
            )
        if model_input == "strings" and not isinstance(alphabet, Alphabet):
            raise InvalidParameterError(
                "model_input='strings' needs alphabet to be a shap_zero.Alphabet (the letters to write); "
                f"got the size {q}"
            )
        if method is not None:
            if method not in _ESTIMATOR_METHODS:
                raise InvalidParameterError(f"method must be one of {list(_ESTIMATOR_METHODS)} or None; got {method!r}")
            if not callable(getattr(model, method, None)):
                raise InvalidParameterError(f"method={method!r}, but the model ({type(model).__name__}) has no {method}()")
        elif callable(model):
            pass
        elif output_class is not None and callable(getattr(model, "predict_proba", None)):
            method = "predict_proba"
        elif callable(getattr(model, "predict", None)):
            method = "predict"
        else:
            raise InvalidParameterError(
                f"model must be callable or have a predict() method (a scikit-learn estimator); got {type(model).__name__}"
            )
        column = None
        if output_class is not None:
            if method not in ("predict_proba", "decision_function"):
                raise InvalidParameterError(
                    "output_class selects a column of predict_proba or decision_function; "
                    f"pass method='predict_proba' (the model is called through {method or 'itself'})"
                )
            classes = getattr(model, "classes_", None)
            if classes is None:
                raise InvalidParameterError(
                    f"output_class={output_class!r} needs model.classes_ to find its column; the model has none "
                    "(is it fitted?)"
                )
            matches = np.flatnonzero(np.asarray(classes) == output_class)
            if matches.size != 1:
                raise InvalidParameterError(
                    f"output_class must be one of model.classes_ = {list(np.asarray(classes).tolist())}; "
                    f"got {output_class!r}"
                )
            column = int(matches[0])
        self.model = model
        self.alphabet = alphabet
        self.q = q
        self.model_input = model_input
        self.method = method
        self.output_class = output_class
        self._column = column

    def __repr__(self) -> str:
        call = f".{self.method}" if self.method else ""
        chosen = f", output_class={self.output_class!r}" if self.output_class is not None else ""
        return f"SequenceModel({type(self.model).__name__}{call}, model_input={self.model_input!r}{chosen})"

    def convert(self, codes: np.ndarray) -> Any:
        """The model's input for a batch of codes.

        Parameters
        ----------
        codes : ndarray of shape (N, n), integers in 0..q-1

        Returns
        -------
        ndarray or list of str
            As described for ``model_input``.
        """
        codes = np.asarray(codes)
        if self.model_input == "codes":
            return codes
        if self.model_input == "strings":
            return self.alphabet.decode(codes)
        onehot = np.zeros((*codes.shape, self.q), dtype=np.float64)
        np.put_along_axis(onehot, codes[..., None].astype(np.intp), 1.0, axis=-1)
        if self.model_input == "onehot_flat":
            return onehot.reshape(codes.shape[0], -1)
        if self.model_input == "onehot_channels_first":
            return np.ascontiguousarray(onehot.transpose(0, 2, 1))
        return onehot

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Evaluate the model on codes.

        Parameters
        ----------
        codes : ndarray of shape (N, n), integers in 0..q-1

        Returns
        -------
        ndarray of shape (N,) or (N, m)
            The model's outputs (the chosen class column when ``output_class`` is set).
        """
        inputs = self.convert(codes)
        call = getattr(self.model, self.method) if self.method else self.model
        output = _output_array(call(inputs), f"the call through {self!r}")
        if self._column is None:
            return output
        if output.ndim != 2:
            raise ModelOutputError(
                f"{self.method} must return a 2-D array (N, n_classes) to pick output_class={self.output_class!r}; "
                f"got shape {output.shape}"
            )
        return output[:, self._column]

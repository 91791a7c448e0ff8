"""Deep-learning models seen as models on integer codes: PyTorch, Keras 3 and JAX.

Every shap_zero engine calls a model on uint8 codes of shape (N, n). A network takes a
one-hot tensor instead, in a framework's array type, on a device, in eval mode. The
adaptors here do that conversion once, where it is cheapest: the codes travel to the
device as one byte per symbol and the one-hot is built there; the module runs in eval
mode under ``torch.inference_mode``; a chosen output head is kept; and large calls are
split into sub-batches that fit a memory bound. The frameworks are imported only when
an adaptor is made, so shap_zero does not depend on them.

- :class:`TorchModel`: a ``torch.nn.Module`` (or any callable on tensors);
- :class:`KerasModel`: a Keras 3 model (any backend), or any callable on float arrays;
- :class:`JaxModel`: a function of a ``jax.Array``.

``ZeroExplainer`` wraps a ``torch.nn.Module`` in a :class:`TorchModel` by itself; the
others are wrapped by hand and passed as the model.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

import numpy as np

from shap_zero._validation import check_int
from shap_zero.alphabet import Alphabet
from shap_zero.exceptions import InvalidParameterError, ModelError

__all__ = ["JaxModel", "KerasModel", "Layout", "TorchModel", "is_torch_module"]

Layout = Literal["channels_last", "channels_first", "flat", "codes"]
#: What the network takes: (N, n, q) one-hot, (N, q, n) one-hot (Conv1d's layout),
#: (N, n * q) one-hot position-major, or the integer codes (N, n) (embedding layers).
LAYOUTS: tuple[str, ...] = ("channels_last", "channels_first", "flat", "codes")
#: Default bound on the bytes of one sub-batch's input tensor.
DEFAULT_MAX_BATCH_BYTES = 64 << 20


def is_torch_module(model: Any) -> bool:
    """True when ``model`` is a ``torch.nn.Module`` (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _alphabet_size(alphabet: Any) -> int:
    if isinstance(alphabet, Alphabet):
        return alphabet.q
    return check_int(alphabet, name="alphabet", minimum=2)


def _check_layout(layout: Any) -> str:
    if layout not in LAYOUTS:
        raise InvalidParameterError(f"layout must be one of {list(LAYOUTS)}; got {layout!r}")
    return str(layout)


def _rows_per_batch(n: int, q: int, layout: str, itemsize: int, max_batch_bytes: int) -> int:
    per_row = n * (1 if layout == "codes" else q) * itemsize
    return max(1, int(max_batch_bytes) // max(per_row, 1))


def _output_head(output: Any, head: Any, where: str) -> Any:
    """The selected part of a network's output: an entry of a tuple/list/dict, or a column."""
    if head is None:
        return output
    if callable(head):
        return head(output)
    if isinstance(output, dict):
        if head not in output:
            raise ModelError(f"{where}: output head {head!r} is not among the outputs {sorted(output)}")
        return output[head]
    if isinstance(output, tuple | list):
        if not isinstance(head, int) or not -len(output) <= head < len(output):
            raise ModelError(f"{where}: output head {head!r} does not index the {len(output)} outputs")
        return output[head]
    if not isinstance(head, int):
        raise ModelError(f"{where}: output head {head!r} must be a column number for a single output tensor")
    if output.ndim != 2 or not -output.shape[1] <= head < output.shape[1]:
        raise ModelError(f"{where}: output head {head} does not index the columns of an output of shape {tuple(output.shape)}")
    return output[:, head]


class TorchModel:
    """A PyTorch network as a model on integer codes.

    Parameters
    ----------
    module : torch.nn.Module or callable
        Takes a tensor in ``layout`` and returns (N,), (N, 1), (N, m), or a tuple, list
        or dict of such outputs (pick one with ``head``).
    alphabet : Alphabet or int
        The alphabet, or its size q.
    layout : {"channels_last", "channels_first", "flat", "codes"}, default "channels_last"
        The input: one-hot (N, n, q); one-hot (N, q, n), the layout of ``Conv1d``;
        one-hot (N, n * q), position-major; or the int64 codes (N, n).
    dtype : torch.dtype or str, default "float32"
        Dtype of the one-hot tensor.
    device : torch.device or str, optional
        Where to build the input and run the module; default: the device of the
        module's first parameter (CPU for a module without parameters).
    head : int, str or callable, optional
        Which output to explain: an entry of a tuple or list, a key of a dict, a column
        of a 2-D output, or a function of the raw output. None keeps it whole.
    max_batch_bytes : int, default 64 MiB
        Largest input tensor of one forward pass; a larger call is split.

    Notes
    -----
    The module is put in eval mode (dropout off, batch norm frozen) when the adaptor is
    made, and every call runs under ``torch.inference_mode``. Outputs come back as
    float64 numpy arrays. The adaptor pickles with its module, so it can go to process
    pools.

    Examples
    --------
    >>> import numpy as np, torch
    >>> import shap_zero as sz
    >>> net = torch.nn.Sequential(torch.nn.Conv1d(4, 2, 3), torch.nn.Flatten(), torch.nn.LazyLinear(1))
    >>> model = sz.TorchModel(net, sz.DNA, layout="channels_first")
    >>> model(np.zeros((5, 8), dtype=np.uint8)).shape
    (5, 1)
    """

    def __init__(
        self,
        module: Any,
        alphabet: Alphabet | int,
        *,
        layout: Layout = "channels_last",
        dtype: Any = "float32",
        device: Any = None,
        head: Any = None,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    ) -> None:
        import torch

        if not callable(module):
            raise InvalidParameterError(f"module must be a torch.nn.Module or a callable; got {type(module).__name__}")
        self.q = _alphabet_size(alphabet)
        self.layout = _check_layout(layout)
        if isinstance(dtype, str):
            if not isinstance(getattr(torch, dtype, None), torch.dtype):
                raise InvalidParameterError(f"dtype must name a torch dtype such as 'float32'; got {dtype!r}")
            dtype = getattr(torch, dtype)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise InvalidParameterError(f"dtype must be a floating torch dtype; got {dtype!r}")
        self.dtype = dtype
        if device is None:
            first = next(iter(module.parameters()), None) if isinstance(module, torch.nn.Module) else None
            device = first.device if first is not None else "cpu"
        self.device = torch.device(device)
        self.head = head
        self.max_batch_bytes = check_int(max_batch_bytes, name="max_batch_bytes", minimum=1)
        if isinstance(module, torch.nn.Module):
            module.eval()
        self.module = module

    def __repr__(self) -> str:
        return f"TorchModel({type(self.module).__name__}, layout={self.layout!r}, device={str(self.device)!r})"

    def inputs(self, codes: np.ndarray) -> Any:
        """The tensor the module gets for a batch of codes (on :attr:`device`).

        Parameters
        ----------
        codes : ndarray of shape (N, n), integers in 0..q-1

        Returns
        -------
        torch.Tensor
            Shape (N, n, q), (N, q, n), (N, n * q) or (N, n) by :attr:`layout`.
        """
        import torch

        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        # One byte per symbol crosses to the device; the one-hot is built there.
        on_device = torch.from_numpy(codes).to(self.device, non_blocking=True).long()
        if self.layout == "codes":
            return on_device
        # Scattered straight into a contiguous tensor of the layout: a permuted one-hot
        # is a strided view that made Conv1d 15% slower (measured, benchmarks/adaptor_overhead.py).
        rows, n = codes.shape
        if self.layout == "channels_first":
            onehot = torch.zeros((rows, self.q, n), dtype=self.dtype, device=self.device)
            return onehot.scatter_(1, on_device.unsqueeze(1), 1.0)
        onehot = torch.zeros((rows, n, self.q), dtype=self.dtype, device=self.device)
        onehot.scatter_(2, on_device.unsqueeze(2), 1.0)
        return onehot.reshape(rows, n * self.q) if self.layout == "flat" else onehot

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Evaluate the network on codes.

        Parameters
        ----------
        codes : ndarray of shape (N, n), integers in 0..q-1

        Returns
        -------
        ndarray of shape (N,) or (N, m), float64
        """
        import torch

        codes = np.asarray(codes)
        itemsize = 8 if self.layout == "codes" else torch.empty((), dtype=self.dtype).element_size()
        step = _rows_per_batch(codes.shape[1], self.q, self.layout, itemsize, self.max_batch_bytes)
        parts = []
        with torch.inference_mode():
            for start in range(0, codes.shape[0], step):
                output = _output_head(self.module(self.inputs(codes[start : start + step])), self.head, repr(self))
                if not isinstance(output, torch.Tensor):
                    raise ModelError(f"{self!r} returned {type(output).__name__}, not a tensor (choose one with head=)")
                parts.append(output.detach().to("cpu", torch.float64).numpy())
        return np.concatenate(parts) if len(parts) != 1 else parts[0]


class _ArrayAdaptor:
    """What the Keras and JAX adaptors share: options, and the memory-bounded batch loop.

    Subclasses implement :meth:`_forward` (one sub-batch of codes to the raw output).
    """

    def __init__(self, alphabet: Alphabet | int, layout: Layout, dtype: Any, head: Any, max_batch_bytes: int) -> None:
        self.q = _alphabet_size(alphabet)
        self.layout = _check_layout(layout)
        self.dtype = np.dtype(dtype)
        self.head = head
        self.max_batch_bytes = check_int(max_batch_bytes, name="max_batch_bytes", minimum=1)

    def _forward(self, codes: np.ndarray) -> Any:
        raise NotImplementedError

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Evaluate the model on codes.

        Parameters
        ----------
        codes : ndarray of shape (N, n), integers in 0..q-1

        Returns
        -------
        ndarray of shape (N,) or (N, m), float64
        """
        codes = np.asarray(codes)
        step = _rows_per_batch(codes.shape[1], self.q, self.layout, self.dtype.itemsize, self.max_batch_bytes)
        parts = [
            np.asarray(_output_head(self._forward(codes[start : start + step]), self.head, repr(self)), dtype=np.float64)
            for start in range(0, codes.shape[0], step)
        ]
        return np.concatenate(parts) if len(parts) != 1 else parts[0]


class KerasModel(_ArrayAdaptor):
    """A Keras 3 model (any backend), or any callable on float arrays, as a model on codes.

    Parameters
    ----------
    model : keras.Model or callable
        Called as ``model(x, training=False)`` when it is a Keras model, else ``model(x)``,
        on a float numpy array in ``layout``.
    alphabet : Alphabet or int
    layout : {"channels_last", "channels_first", "flat", "codes"}, default "channels_last"
        As in :class:`TorchModel` (Keras' Conv1D is channels-last).
    dtype : str, default "float32"
    head : int, str or callable, optional
        As in :class:`TorchModel`.
    max_batch_bytes : int, default 64 MiB
    """

    def __init__(
        self,
        model: Any,
        alphabet: Alphabet | int,
        *,
        layout: Layout = "channels_last",
        dtype: str = "float32",
        head: Any = None,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    ) -> None:
        if not callable(model):
            raise InvalidParameterError(f"model must be a Keras model or a callable; got {type(model).__name__}")
        super().__init__(alphabet, layout, dtype, head, max_batch_bytes)
        self.model = model
        keras = sys.modules.get("keras")
        self._keras = keras is not None and isinstance(model, keras.Model)

    def __repr__(self) -> str:
        return f"KerasModel({type(self.model).__name__}, layout={self.layout!r})"

    def _forward(self, codes: np.ndarray) -> Any:
        x = numpy_inputs(codes, self.q, self.layout, self.dtype)
        return self.model(x, training=False) if self._keras else self.model(x)


class JaxModel(_ArrayAdaptor):
    """A function of a ``jax.Array`` (a Flax or Equinox model applied to its parameters) as a model on codes.

    Parameters
    ----------
    function : callable
        Takes a ``jax.Array`` in ``layout`` and returns (N,), (N, 1), (N, m) or a pytree
        of such outputs (pick one with ``head``); ``jax.jit`` it for speed.
    alphabet : Alphabet or int
    layout : {"channels_last", "channels_first", "flat", "codes"}, default "channels_last"
    dtype : str, default "float32"
    head : int, str or callable, optional
    max_batch_bytes : int, default 64 MiB
    """

    def __init__(
        self,
        function: Any,
        alphabet: Alphabet | int,
        *,
        layout: Layout = "channels_last",
        dtype: str = "float32",
        head: Any = None,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    ) -> None:
        import jax  # noqa: F401  (fail here, not at the first call, when JAX is missing)

        if not callable(function):
            raise InvalidParameterError(f"function must be callable; got {type(function).__name__}")
        super().__init__(alphabet, layout, dtype, head, max_batch_bytes)
        self.function = function

    def __repr__(self) -> str:
        return f"JaxModel({getattr(self.function, '__name__', type(self.function).__name__)}, layout={self.layout!r})"

    def _forward(self, codes: np.ndarray) -> Any:
        import jax
        import jax.numpy as jnp

        # One byte per symbol goes to the device; the one-hot is built there.
        on_device = jnp.asarray(np.ascontiguousarray(codes, dtype=np.uint8)).astype(jnp.int32)
        if self.layout == "codes":
            return self.function(on_device)
        x = jax.nn.one_hot(on_device, self.q, dtype=self.dtype)
        if self.layout == "channels_first":
            x = jnp.transpose(x, (0, 2, 1))
        elif self.layout == "flat":
            x = x.reshape(x.shape[0], -1)
        return self.function(x)


def numpy_inputs(codes: np.ndarray, q: int, layout: str, dtype: Any) -> np.ndarray:
    """A batch of codes as a numpy array in ``layout`` (one-hot in ``dtype``, or int64 codes).

    Parameters
    ----------
    codes : ndarray of shape (N, n), integers in 0..q-1
    q : int
    layout : {"channels_last", "channels_first", "flat", "codes"}
    dtype : numpy dtype of the one-hot

    Returns
    -------
    ndarray of shape (N, n, q), (N, q, n), (N, n * q) or (N, n)
    """
    codes = np.asarray(codes)
    if layout == "codes":
        return codes.astype(np.int64)
    onehot = np.eye(q, dtype=dtype)[codes]
    if layout == "channels_first":
        return np.ascontiguousarray(onehot.transpose(0, 2, 1))
    if layout == "flat":
        return onehot.reshape(codes.shape[0], -1)
    return onehot

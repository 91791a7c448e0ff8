"""Exceptions raised by shap_zero.

Every error about user input subclasses :class:`ValueError` as well as
:class:`ShapZeroError`, so callers can catch either.
"""

from __future__ import annotations

__all__ = [
    "ShapZeroError",
    "InvalidParameterError",
    "InvalidSequenceError",
    "SketchFileError",
    "CheckpointError",
    "FileWriteError",
    "InsufficientBudgetError",
    "BudgetMemoryError",
    "ModelError",
    "ModelOutputError",
]


class ShapZeroError(Exception):
    """Base class of every exception raised on purpose by shap_zero."""


class InvalidParameterError(ShapZeroError, ValueError):
    """A parameter has the wrong type, shape or value.

    The message names the parameter, what was expected and what was received.
    """


class InvalidSequenceError(ShapZeroError, ValueError):
    """Sequences cannot be encoded: a symbol outside the alphabet, or unequal lengths.

    The message names the index of the first offending sequence, and where it
    applies the position and the symbol.
    """


class SketchFileError(ShapZeroError, ValueError):
    """A saved sketch file is truncated, corrupted, foreign or from a newer format."""


class CheckpointError(ShapZeroError, ValueError):
    """A query checkpoint file cannot be resumed.

    It is foreign or its header is garbled, it belongs to another query campaign
    (other points or batch size), it is damaged in a way an interrupted run cannot
    explain, or another running campaign holds it. The message names the file.
    """


class FileWriteError(ShapZeroError, OSError):
    """A file could not be written (disk full, file size limit, no permission).

    Also an :class:`OSError`, with the ``errno`` of the failure; the message names the
    file and says what was kept, and the original :class:`OSError` is chained. A failed
    save leaves an existing file at the path unchanged.
    """


class ModelError(ShapZeroError, RuntimeError):
    """The user's model raised while being queried; the original error is chained."""


class ModelOutputError(ShapZeroError, ValueError):
    """The user's model returned NaN, infinite, non-numeric or wrongly shaped outputs."""


class InsufficientBudgetError(InvalidParameterError):
    """A query budget is below the smallest design for the sequence length and alphabet.

    The message states that minimum.
    """


class BudgetMemoryError(InvalidParameterError, MemoryError):
    """A query budget whose campaign would not fit in the memory available.

    Raised before the first model query, so nothing is lost. The message gives the
    estimate, the memory available and the largest budget that fits.
    """

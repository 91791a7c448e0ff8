"""A model wrapper that counts the rows it is asked about, independently of the code under test."""

from __future__ import annotations


class RowCounter:
    """Wrap a model on codes and count the rows it evaluates.

    Parameters
    ----------
    model : callable
        Codes (M, n) -> outputs (M,).
    """

    def __init__(self, model):
        self.model, self.rows = model, 0

    def __call__(self, codes):
        self.rows += len(codes)
        return self.model(codes)

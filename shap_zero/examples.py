"""Built-in example models: a toy DNA model, RNA folding energy (ViennaRNA) and a GB1 protein-fitness network.

All are picklable callables on uint8 codes (N, n), so they can be sent to process
pools. They are used by ``python -m shap_zero demo``, the docs and the benchmarks.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["toy_guide_model", "rna_folding_energy", "VIENNA_INSTALL_HINT", "WindowedOneHotMLP", "gb1_fitness_model"]

#: How to install the optional dependency of :func:`rna_folding_energy`.
VIENNA_INSTALL_HINT = 'pip install "shap-zero[vienna]" (or: pip install ViennaRNA)'
_RNA_LETTERS = np.array(list("ACGU"))


def toy_guide_model(codes: np.ndarray) -> np.ndarray:
    """A small nonlinear DNA model (not a sparse Fourier function).

    A logistic score of GC content, a position-specific preference for G at position
    3 (1-based), a G-then-C dinucleotide at positions 4-5 and a penalty for a T run at
    positions 6-8. Codes follow :data:`shap_zero.DNA` (A=0, C=1, G=2, T=3).

    Parameters
    ----------
    codes : ndarray of shape (N, n), uint8, n >= 8

    Returns
    -------
    ndarray of shape (N,), float64
    """
    codes = np.asarray(codes)
    gc = np.isin(codes, (1, 2)).mean(axis=1)
    score = (
        2.0 * (gc - 0.5)
        + 1.0 * (codes[:, 2] == 2)
        + 1.5 * ((codes[:, 3] == 2) & (codes[:, 4] == 1))
        - 2.0 * ((codes[:, 5] == 3) & (codes[:, 6] == 3) & (codes[:, 7] == 3))
    )
    return 1.0 / (1.0 + np.exp(-score))


def rna_folding_energy(codes: np.ndarray) -> np.ndarray:
    """Minimum free energy (kcal/mol) of the secondary structure of RNA sequences.

    ViennaRNA's ``fold`` with its default energy parameters (37 °C): a real biophysical
    model with strong high-order interactions (base pairing), far from sparse.

    Parameters
    ----------
    codes : ndarray of shape (N, n), integers in 0..3
        RNA sequences in the code order of :data:`shap_zero.RNA` (A=0, C=1, G=2, U=3).

    Returns
    -------
    ndarray of shape (N,), float64
        Free energies; 0 for sequences that do not fold.

    Raises
    ------
    ImportError
        If ViennaRNA is not installed; the message says how to install it.
    """
    try:
        import RNA
    except ImportError as error:
        raise ImportError(f"rna_folding_energy needs ViennaRNA: {VIENNA_INSTALL_HINT}") from error
    letters = _RNA_LETTERS[np.asarray(codes)]
    return np.fromiter((RNA.fold("".join(row))[1] for row in letters), dtype=np.float64, count=letters.shape[0])


class WindowedOneHotMLP:
    """A two-hidden-layer ReLU network on the one-hot of a protein sequence, explained on a window.

    ``f(x) = w3 . relu(W2^T relu(W1^T onehot(s) + b1) + b2) + b3`` where ``s`` is the
    reference sequence with the window's positions replaced by ``x``. The first layer is
    a sum of rows of W1 (no one-hot is built), the fixed positions' rows summed once;
    the rest uses einsum rather than BLAS, so a row's output does not depend on the
    rows it is computed with. NumPy only.

    Parameters
    ----------
    weights : dict of ndarray
        ``W1`` (L * 20, h1), ``b1`` (h1,), ``W2`` (h1, h2), ``b2`` (h2,), ``w3`` (h2,), ``b3`` ().
    reference : ndarray of shape (L,), integer codes in ``shap_zero.PROTEIN`` order
    window_start, window_length : int
    """

    _BLOCK = 8192

    def __init__(self, weights: dict[str, np.ndarray], reference: np.ndarray, window_start: int, window_length: int):
        self.weights = {key: np.asarray(value, dtype=np.float64) for key, value in weights.items()}
        self.reference = np.asarray(reference, dtype=np.int64)
        length = self.reference.size
        if not 0 <= window_start <= length - window_length or window_length < 1:
            raise ValueError(f"window {window_start}..{window_start + window_length - 1} is not inside 0..{length - 1}")
        self.window = np.arange(window_start, window_start + window_length)
        self.first_layer = self.weights["W1"].reshape(length, 20, -1)
        fixed = np.setdiff1d(np.arange(length), self.window)
        self.offset = self.weights["b1"] + self.first_layer[fixed, self.reference[fixed]].sum(axis=0)
        self.window_rows = np.ascontiguousarray(self.first_layer[self.window])  # (w, 20, h1)

    def _head(self, hidden: np.ndarray) -> np.ndarray:
        w = self.weights
        second = np.einsum("nh,hk->nk", np.maximum(hidden, 0.0), w["W2"], optimize=False) + w["b2"]
        return np.einsum("nk,k->n", np.maximum(second, 0.0), w["w3"], optimize=False) + w["b3"]

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.window.size:
            raise ValueError(f"expected codes of shape (N, {self.window.size}); got {codes.shape}")
        out = np.empty(codes.shape[0])
        positions = np.arange(self.window.size)
        for start in range(0, codes.shape[0], self._BLOCK):
            block = codes[start : start + self._BLOCK].astype(np.int64)
            out[start : start + block.shape[0]] = self._head(self.offset + self.window_rows[positions, block].sum(axis=1))
        return out

    def full_sequence(self, codes: np.ndarray) -> np.ndarray:
        """The network on whole sequences (N, L), for its test metrics."""
        out = np.empty(codes.shape[0])
        positions = np.arange(self.reference.size)
        for start in range(0, codes.shape[0], self._BLOCK):
            block = codes[start : start + self._BLOCK].astype(np.int64)
            out[start : start + block.shape[0]] = self._head(self.weights["b1"] + self.first_layer[positions, block].sum(axis=1))
        return out


#: The 24 positions the GB1 example explains by default: 0-based 30..53, residues 32 to
#: 55 of GB1 (numbered 2..56 as in Olson et al.), which hold V39, D40, G41 and V54.
GB1_WINDOW = (30, 24)


def gb1_fitness_model(window_start: int = GB1_WINDOW[0], window_length: int = GB1_WINDOW[1]) -> WindowedOneHotMLP:
    """A protein-fitness network of the GB1 domain, shipped with the package, on a window.

    Trained by ``benchmarks.protein_models.load_gb1_mlp`` on the 530,737 double mutants of
    Olson et al. 2014 (as shipped by mavenn 1.1.4, MIT; held-out test Spearman 0.978)
    and stored as float32 in ``shap_zero/data/gb1_fitness.npz`` with its provenance
    (``model.metadata``). The other 55 - ``window_length`` residues are the wild type.

    Parameters
    ----------
    window_start, window_length : int
        The window, 0-based, inside the 55 residues.

    Returns
    -------
    WindowedOneHotMLP
        With a ``metadata`` dict attribute (data, training, test metrics, wild type).
    """
    from shap_zero.alphabet import PROTEIN

    with resources.files("shap_zero").joinpath("data", "gb1_fitness.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as stored:
            weights = {name: stored[name] for name in stored.files if name != "metadata"}
            metadata: dict[str, Any] = json.loads(stored["metadata"].tobytes().decode())
    model = WindowedOneHotMLP(weights, PROTEIN.encode([metadata["wild_type"]])[0], window_start, window_length)
    model.metadata = metadata  # type: ignore[attr-defined]
    return model

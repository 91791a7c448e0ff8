"""Built-in example models: a toy DNA model and RNA folding energy (ViennaRNA).

Both are module-level functions on uint8 codes (N, n), so they can be sent to process
pools. They are used by ``python -m shap_zero demo``, the docs and the benchmarks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["toy_guide_model", "rna_folding_energy", "VIENNA_INSTALL_HINT"]

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

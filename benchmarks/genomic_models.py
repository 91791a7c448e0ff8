"""Real genomic models that install from the package registries and run offline.

Every model here is a module-level function on uint8 codes of shape (N, n), so it can be
sent to a process pool. Input layouts:

- :func:`vienna_mfe`: RNA sequences of any length n over ACGU (codes 0..3); the output is
  the minimum free energy of the secondary structure (kcal/mol) from ViennaRNA
  (``pip install ViennaRNA``). All n positions vary.
- :func:`rule_set3`: the Rule Set 3 sgRNA activity model (``rs3`` 0.0.18, a LightGBM model
  in the wheel; ``pip install --no-deps rs3==0.0.18 lightgbm==3.3.5 sglearn joblib pandas
  scikit-learn pyarrow biopython tqdm``). Its input is a 30-mer context: 4 nt, the 20-nt
  guide, N, the PAM's "GG" (1-based positions 26-27) and 3 nt. The two G's are fixed, so
  the model is a function of the other 28 positions over ACGT (codes 0..3, in the order
  of the 30-mer with positions 26-27 removed). Output: the predicted activity score.
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache

import numpy as np

# The library's built-in example model, under the name the benchmarks use.
from shap_zero.examples import rna_folding_energy as vienna_mfe

DNA_LETTERS = np.array(list("ACGT"))
#: 0-based positions of the 30-mer that Rule Set 3 sees as the PAM's fixed "GG".
RS3_FIXED = (25, 26)
RS3_FREE_POSITIONS = 28


@lru_cache(maxsize=1)
def _rs3_model():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from rs3.seq import load_seq_model

        return load_seq_model()


def rule_set3(codes: np.ndarray) -> np.ndarray:
    """Rule Set 3 activity of guides given as codes (N, 28) of the free context positions."""
    from rs3.seq import featurize_context

    codes = np.asarray(codes)
    if codes.shape[1] != RS3_FREE_POSITIONS:
        raise ValueError(f"rule_set3 takes {RS3_FREE_POSITIONS} free positions, got {codes.shape[1]}")
    full = np.empty((codes.shape[0], 30), dtype=np.uint8)
    free = [i for i in range(30) if i not in RS3_FIXED]
    full[:, free] = codes
    full[:, list(RS3_FIXED)] = 2  # G
    sequences = list(_join(DNA_LETTERS, full))
    model = _rs3_model()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        features = featurize_context(sequences, sequence_tracr="Hsu2013")
        return np.asarray(model.predict(features), dtype=np.float64)


def _join(letters: np.ndarray, codes: np.ndarray) -> list[str]:
    chars = letters[codes]
    return ["".join(row) for row in chars]

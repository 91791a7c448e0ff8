"""shap_zero: Shapley values and interactions of sequence models from a sparse Fourier sketch.

A model of sequences of length n over q symbols is summarised once by a sparse q-ary
Fourier sketch; Shapley values and interaction indices of any number of sequences then
follow in closed form.

>>> import shap_zero as sz
>>> sketch = sz.random_sparse_sketch(8, 4, 10, alphabet=sz.DNA, random_state=0)
>>> values = sz.shapley_values(sketch, ["ACGTACGT", "TTTTAAAA"])
>>> values.shape
(2, 8)
"""

from shap_zero._version import __version__
from shap_zero.alphabet import DNA, PROTEIN, RNA, Alphabet
from shap_zero.attribution import (
    INDEX_NAMES,
    Background,
    Interactions,
    expected_value,
    interaction_values,
    mobius_coefficients,
    shap_interaction_values,
    shapley_values,
)
from shap_zero.exceptions import (
    BudgetMemoryError,
    CheckpointError,
    FileWriteError,
    InsufficientBudgetError,
    InvalidParameterError,
    InvalidSequenceError,
    ModelError,
    ModelOutputError,
    ShapZeroError,
    SketchFileError,
)
from shap_zero.engines import (
    ENGINES,
    QSFT,
    AutoEngine,
    ExactEngine,
    HybridEngine,
    RegressionEngine,
    SketchEngine,
    SketchReport,
    exact_sketch,
    make_engine,
)
from shap_zero.explainer import ZeroExplainer
from shap_zero.explanations import GlobalExplanation, InteractionExplanation
from shap_zero.fourier import FourierSketch
from shap_zero.adaptors import JaxModel, KerasModel, TorchModel
from shap_zero.models import SequenceModel
from shap_zero.seqio import SequenceRecords, read_sequences, write_interactions, write_values
from shap_zero.synthetic import random_sparse_sketch

from shap_zero import plots  # noqa: E402, F401  (sz.plots, as shap.plots; plots imports matplotlib only when drawing, although shap imports it already)

__all__ = [
    "__version__",
    "Alphabet",
    "DNA",
    "RNA",
    "PROTEIN",
    "FourierSketch",
    "exact_sketch",
    "random_sparse_sketch",
    "QSFT",
    "SketchEngine",
    "SketchReport",
    "ExactEngine",
    "RegressionEngine",
    "HybridEngine",
    "AutoEngine",
    "ENGINES",
    "make_engine",
    "ZeroExplainer",
    "InteractionExplanation",
    "GlobalExplanation",
    "SequenceModel",
    "TorchModel",
    "KerasModel",
    "JaxModel",
    "SequenceRecords",
    "read_sequences",
    "write_values",
    "write_interactions",
    "Background",
    "Interactions",
    "INDEX_NAMES",
    "expected_value",
    "shapley_values",
    "shap_interaction_values",
    "mobius_coefficients",
    "interaction_values",
    "ShapZeroError",
    "InvalidParameterError",
    "InvalidSequenceError",
    "SketchFileError",
    "ModelError",
    "ModelOutputError",
    "CheckpointError",
    "InsufficientBudgetError",
    "BudgetMemoryError",
    "FileWriteError",
]

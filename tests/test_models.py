"""Tests of shap_zero.models: the checks of what a model returns, and the adaptors."""

from __future__ import annotations

import numpy as np
import pytest

from shap_zero import DNA
from shap_zero.exceptions import InvalidParameterError, ModelError, ModelOutputError
from shap_zero.models import SequenceModel, check_model_output, query_batch
from shap_zero.sketch.queries import run_queries

CODES = np.array([[0, 1, 2, 3], [3, 2, 1, 0], [1, 1, 1, 1]], dtype=np.uint8)


@pytest.mark.parametrize(
    ("output", "match"),
    [
        (np.array([1, 2, 3], dtype="m8[s]"), r"must be numbers; got dtype timedelta64\[s\] \(durations\)"),
        (np.array(["2020-01-01"] * 3, dtype="M8[D]"), r"must be numbers; got dtype datetime64\[D\] \(dates\)"),
        (np.zeros((3, 0)), r"must have shape \(3,\) or \(3, m\) with m >= 1 .*got shape \(3, 0\)"),
        (np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]), r"is a masked array with 1 masked entry"),
        ([1.0, None, 2.0], r"must be numbers; got dtype object \(Python objects\)"),
        ([[1.0], [2.0, 3.0], [4.0]], r"is not an array of numbers: ValueError"),
        (np.array([1, 2, 3], dtype=complex), r"must be real; got complex dtype complex128"),
    ],
)
def test_bad_outputs_are_named(output, match):
    with pytest.raises(ModelOutputError, match=r"^model output for batch 2 \(rows 8..10\) " + match):
        check_model_output(output, 3, "batch 2 (rows 8..10)")


def test_accepted_outputs_are_float64_columns():
    pd = pytest.importorskip("pandas")
    expected = np.array([[1.0], [2.0], [3.0]])
    for output in ([1, 2, 3], np.array([1, 2, 3], dtype=np.int8), pd.Series([1.0, 2.0, 3.0], index=[9, 8, 7]),
                   np.ma.masked_array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [3.0]], dtype=np.float16)):
        values = check_model_output(output, 3, "batch 0")
        assert values.dtype == np.float64
        np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(check_model_output(np.array([True, False, True]), 3, "b"), [[1.0], [0.0], [1.0]])
    np.testing.assert_array_equal(check_model_output(2.5, 1, "b"), [[2.5]])


def test_torch_outputs_are_detached():
    torch = pytest.importorskip("torch")
    weights = torch.ones(4, dtype=torch.float64, requires_grad=True)

    def model(codes):
        return torch.from_numpy(codes.astype(np.float64)) @ weights  # requires grad

    np.testing.assert_array_equal(run_queries(model, CODES).values, [[6.0], [6.0], [4.0]])


def test_adaptor_output_errors_name_the_batch():
    class Classifier:
        classes_ = np.array(["a", "b"])

        def predict_proba(self, X):
            return np.zeros(len(X))  # 1-D: no class column to pick

    model = SequenceModel(Classifier(), DNA, model_input="onehot_flat", output_class="b")
    with pytest.raises(ModelOutputError, match=r"^model output for batch 0 \(rows 0..2\): predict_proba must return a 2-D"):
        run_queries(model, CODES)


def test_model_errors_are_still_model_errors():
    def broken(codes):
        raise KeyError("boom")

    with pytest.raises(ModelError, match="the model raised on batch 5: KeyError"):
        query_batch(broken, CODES, "batch 5")


def test_query_progress_must_be_a_bool():
    with pytest.raises(InvalidParameterError, match="progress: expected True or False, got 'yes'"):
        run_queries(lambda codes: codes.sum(axis=1), CODES, progress="yes")

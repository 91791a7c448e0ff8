"""Model queries spread over a Dask distributed cluster (the ``dask`` extra).

A ``distributed.Client``'s ``get_executor()`` is a ``concurrent.futures.Executor``;
these tests run a real in-process cluster (one worker, two threads) and check that it
gives the serial results bit for bit, that errors name their batch, that a campaign
interrupted on the cluster resumes from its checkpoint, and that QSFT learns the same
sketch with it as without it.
"""

from __future__ import annotations

import numpy as np
import pytest

import shap_zero as sz
from shap_zero.exceptions import ModelError
from shap_zero.sketch.queries import _max_in_flight, run_queries
from tests._queries_models import numbered_points, row_id, smooth_model

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install -e '.[dask]')")


@pytest.fixture(scope="module")
def client():
    with distributed.Client(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as dask_client:
        yield dask_client


def test_a_dask_executor_gives_the_serial_values(client):
    points = numbered_points(300, 8, seed=1)
    serial = run_queries(smooth_model, points, batch_size=32).values
    result = run_queries(smooth_model, points, batch_size=32, executor=client.get_executor())
    np.testing.assert_array_equal(result.values.view(np.uint64), serial.view(np.uint64))
    assert result.n_queried == 300


def test_the_in_flight_window_counts_the_cluster_threads(client):
    assert _max_in_flight(client.get_executor()) == 2 * 2


def _fail_on_rows_ten_to_fourteen(codes):
    # One failing batch (of 5 rows): Dask may start batches out of order, so with several
    # failing ones, which fails first would be up to its scheduler.
    if 10 <= int(row_id(codes[:1])[0]) < 15:
        raise KeyError("no such sequence")
    return smooth_model(codes)


def test_a_model_raising_on_a_dask_worker_names_the_batch(client):
    points = numbered_points(30, 4)
    with pytest.raises(ModelError, match=r"batch 2 \(rows 10..14\): KeyError: 'no such sequence'"):
        run_queries(_fail_on_rows_ten_to_fourteen, points, batch_size=5, executor=client.get_executor())


def test_a_campaign_interrupted_on_dask_resumes_without_requerying(client, tmp_path):
    points = numbered_points(60, 5)
    checkpoint = tmp_path / "campaign.szq"
    executor = client.get_executor()
    with pytest.raises(ModelError, match=r"batch 2 \(rows 10..14\)"):
        run_queries(_fail_on_rows_ten_to_fourteen, points, batch_size=5, executor=executor, checkpoint=checkpoint)
    # Dask serializes the model for its workers, so the rows queried are counted by
    # the campaign itself. Which batches finished before the failure depends on the
    # scheduler; at least batch 2 is left to do and everything stored is reused.
    resumed = run_queries(smooth_model, points, batch_size=5, executor=executor, checkpoint=checkpoint)
    serial = run_queries(smooth_model, points, batch_size=5).values
    np.testing.assert_array_equal(resumed.values.view(np.uint64), serial.view(np.uint64))
    assert resumed.n_resumed + resumed.n_queried == 60
    assert 5 <= resumed.n_queried < 60 and resumed.n_resumed % 5 == 0


def test_qsft_learns_the_same_sketch_on_dask(client):
    truth = sz.random_sparse_sketch(12, 4, 20, max_degree=3, random_state=3)
    options = {"b": 3, "n_validation": 50, "batch_size": 500, "random_state": 7}
    serial = sz.QSFT(**options).fit(truth.predict, seq_length=12, alphabet=4)
    spread = sz.QSFT(executor=client.get_executor(), **options).fit(truth.predict, seq_length=12, alphabet=4)
    np.testing.assert_array_equal(spread.sketch_.frequencies, serial.sketch_.frequencies)
    np.testing.assert_array_equal(spread.sketch_.coefficients, serial.sketch_.coefficients)
    assert spread.n_queries_ == serial.n_queries_

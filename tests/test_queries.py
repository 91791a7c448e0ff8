"""run_queries: batching, executors, errors, and checkpoints that survive crashes."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from shap_zero.exceptions import (
    CheckpointError,
    FileWriteError,
    InvalidParameterError,
    ModelError,
    ModelOutputError,
)
from shap_zero.sketch.queries import QueryResult, run_queries
from tests._queries_models import numbered_points, row_id, smooth_model

TESTS = Path(__file__).resolve().parent


class Recorder:
    """Wraps a model; records the batches it sees and can fail on a chosen call or batch."""

    def __init__(self, model=smooth_model, *, batch_size=None, fail_on_call=None, fail_on_batch=None):
        self.model = model
        self.batch_size = batch_size
        self.fail_on_call = fail_on_call
        self.fail_on_batch = fail_on_batch
        self.calls: list[tuple[int, int]] = []  # (first row, rows) of every call
        self.succeeded: list[int] = []  # batch indices that returned
        self.lock = threading.Lock()

    def __call__(self, codes):
        first = int(row_id(codes[:1])[0])
        with self.lock:
            self.calls.append((first, codes.shape[0]))
            number = len(self.calls)
        if self.fail_on_call is not None and number >= self.fail_on_call:
            raise RuntimeError(f"model crashed on call {number}")
        if self.fail_on_batch is not None and first // self.batch_size == self.fail_on_batch:
            raise RuntimeError("model crashed")
        out = self.model(codes)
        if self.batch_size is not None:
            with self.lock:
                self.succeeded.append(first // self.batch_size)
        return out

    def batches(self, batch_size):
        return sorted(first // batch_size for first, _ in self.calls)


def read_checkpoint(path):
    """An independent reader of the documented format: (header, [(index, values)], intact_end)."""
    data = Path(path).read_bytes()
    tag, length = struct.unpack_from("<8sQ", data, 0)
    assert tag == b"SZQ_HEAD"
    payload = data[16 : 16 + length]
    (crc,) = struct.unpack_from("<I", data, 16 + length)
    assert crc == zlib.crc32(data[: 16 + length])
    header = json.loads(payload)
    records, position = [], 16 + length + 4
    while position + 16 <= len(data):
        tag, length = struct.unpack_from("<8sQ", data, position)
        end = position + 16 + length + 4
        if tag != b"SZQ_BTCH" or end > len(data):
            break
        (crc,) = struct.unpack_from("<I", data, end - 4)
        if crc != zlib.crc32(data[position : end - 4]):
            break
        index, rows, m = struct.unpack_from("<QQQ", data, position + 16)
        values = np.frombuffer(data, "<f8", count=rows * m, offset=position + 40).reshape(rows, m)
        records.append((index, values))
        position = end
    return header, records, position


def reference(points, model=smooth_model):
    out = np.asarray(model(points), dtype=np.float64)
    return out.reshape(len(points), -1)


def assert_bit_identical(actual, expected):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype == np.float64
    assert actual.tobytes() == expected.tobytes()


# --- values and batching ---------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 7, 10, 64])
@pytest.mark.parametrize("outputs", ["(M,)", "(M,1)", "(M,3)"])
def test_values_equal_a_direct_model_call(batch_size, outputs):
    points = numbered_points(50, 6)
    model = {
        "(M,)": lambda c: smooth_model(c)[:, 0],
        "(M,1)": lambda c: smooth_model(c)[:, 1:2],
        "(M,3)": smooth_model,
    }[outputs]
    result = run_queries(model, points, batch_size=batch_size)
    assert isinstance(result, QueryResult)
    assert_bit_identical(result.values, reference(points, model))
    assert result.values.shape == (50, 3 if outputs == "(M,3)" else 1)
    assert (result.n_queried, result.n_resumed) == (50, 0)
    assert result.model_seconds >= 0.0


def test_the_model_sees_batches_of_the_requested_size_in_order():
    points = numbered_points(23, 4)
    model = Recorder()
    run_queries(model, points, batch_size=5)
    assert model.calls == [(0, 5), (5, 5), (10, 5), (15, 5), (20, 3)]


def test_no_points_gives_an_empty_result_without_calling_the_model(tmp_path):
    def never(codes):
        raise AssertionError("called")

    result = run_queries(never, np.zeros((0, 5), dtype=np.uint8), checkpoint=tmp_path / "ck")
    assert result.values.shape == (0, 1) and result.values.dtype == np.float64
    assert (result.n_queried, result.n_resumed, result.model_seconds) == (0, 0, 0.0)


def test_non_contiguous_points_are_accepted():
    points = numbered_points(40, 6)
    view = np.asfortranarray(points)
    assert_bit_identical(run_queries(smooth_model, view, batch_size=9).values, reference(points))


# --- executors -------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", ["threads", "processes"])
def test_executors_give_the_serial_values(pool):
    points = numbered_points(300, 8, seed=1)
    serial = run_queries(smooth_model, points, batch_size=32).values
    make = ThreadPoolExecutor if pool == "threads" else ProcessPoolExecutor
    with make(max_workers=2) as executor:
        result = run_queries(smooth_model, points, batch_size=32, executor=executor)
    assert_bit_identical(result.values, serial)
    assert result.n_queried == 300


def test_batches_completing_out_of_order_land_in_place_and_are_checkpointed_as_they_finish(tmp_path):
    points = numbered_points(80, 5)
    batch_size, n_batches = 10, 8
    finished: list[int] = []

    def slow_for_early_batches(codes):
        batch = int(row_id(codes[:1])[0]) // batch_size
        time.sleep(0.012 * (n_batches - batch))
        finished.append(batch)
        return smooth_model(codes)

    with ThreadPoolExecutor(max_workers=4) as executor:
        result = run_queries(
            slow_for_early_batches,
            points,
            batch_size=batch_size,
            executor=executor,
            checkpoint=tmp_path / "ck",
        )
    assert finished != sorted(finished)  # the completion order really was scrambled
    assert_bit_identical(result.values, reference(points))
    _, records, _ = read_checkpoint(tmp_path / "ck")
    order = [index for index, _ in records]
    # Appended as they finish: batch 3 finished first (12 ms ahead of the next), not batch 0.
    # (Batches finishing together may be appended in either order.)
    assert sorted(order) == list(range(n_batches)) and order[0] == finished[0] == 3
    for index, values in records:
        assert_bit_identical(values, reference(points[index * batch_size : (index + 1) * batch_size]))


class CountingExecutor(Executor):
    """Runs on a thread pool and records the most batches ever submitted but not finished."""

    def __init__(self, workers, expose_workers=True):
        self.pool = ThreadPoolExecutor(max_workers=workers)
        if expose_workers:
            self._max_workers = workers
        self.outstanding = 0
        self.peak = 0
        self.submitted = 0
        self.lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self.lock:
            self.outstanding += 1
            self.submitted += 1
            self.peak = max(self.peak, self.outstanding)
        # The caller sees the batch finished only after it left the count.
        outer: Future = Future()
        self.pool.submit(fn, *args, **kwargs).add_done_callback(lambda inner: self._done(inner, outer))
        return outer

    def _done(self, inner, outer):
        with self.lock:
            self.outstanding -= 1
        if inner.exception() is None:
            outer.set_result(inner.result())
        else:
            outer.set_exception(inner.exception())

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@pytest.mark.parametrize("expose_workers,limit", [(True, 4), (False, 8)])
def test_the_number_of_batches_in_flight_is_bounded(expose_workers, limit):
    points = numbered_points(200, 4)

    def slow(codes):
        time.sleep(0.002)
        return smooth_model(codes)

    executor = CountingExecutor(2, expose_workers)
    with executor:
        result = run_queries(slow, points, batch_size=2, executor=executor)
    assert executor.submitted == 100
    assert executor.peak == limit  # the window fills up but never overflows
    assert_bit_identical(result.values, reference(points))


# --- errors ----------------------------------------------------------------------------------


def test_non_finite_outputs_name_the_batch():
    points = numbered_points(30, 4)

    def nan_in_row_17(codes):
        out = smooth_model(codes)
        out[row_id(codes) == 17, 1] = np.inf
        return out

    with pytest.raises(ModelOutputError, match=r"batch 3 \(rows 15..19\) is not finite: inf for row 2"):
        run_queries(nan_in_row_17, points, batch_size=5)


@pytest.mark.parametrize("pool", [None, "threads"])
def test_a_raising_model_becomes_a_model_error_naming_the_batch_with_the_cause_chained(pool):
    points = numbered_points(30, 4)
    model = Recorder(batch_size=5, fail_on_batch=2)
    match = r"batch 2 \(rows 10..14\): RuntimeError: model crashed"
    if pool is None:
        with pytest.raises(ModelError, match=match) as info:
            run_queries(model, points, batch_size=5)
    else:
        with ThreadPoolExecutor(max_workers=2) as executor:
            with pytest.raises(ModelError, match=match) as info:
                run_queries(model, points, batch_size=5, executor=executor)
    assert isinstance(info.value.__cause__, RuntimeError) and str(info.value.__cause__) == "model crashed"


def test_with_several_failing_batches_the_lowest_numbered_one_is_reported():
    points = numbered_points(40, 4)

    def late_failure_on_batch_two(codes):
        first = int(row_id(codes[:1])[0])
        if first == 10:
            time.sleep(0.3)  # batch 3 fails first; batch 2, already running, fails later
        if first >= 10:
            raise RuntimeError(f"row {first}")
        return smooth_model(codes)

    with ThreadPoolExecutor(max_workers=2) as executor:
        with pytest.raises(ModelError, match=r"batch 2 \(rows 10..14\): RuntimeError: row 10"):
            run_queries(late_failure_on_batch_two, points, batch_size=5, executor=executor)


def _fail_on_rows_from_ten(codes):
    if int(row_id(codes[:1])[0]) >= 10:
        raise KeyError("no such sequence")
    return smooth_model(codes)


def test_a_raising_model_in_a_process_pool_names_the_batch():
    points = numbered_points(30, 4)
    with ProcessPoolExecutor(max_workers=1) as executor:
        with pytest.raises(ModelError, match=r"batch 2 \(rows 10..14\): KeyError: 'no such sequence'"):
            run_queries(_fail_on_rows_from_ten, points, batch_size=5, executor=executor)


def test_an_unpicklable_model_on_a_process_pool_is_a_model_error():
    points = numbered_points(10, 4)
    with ProcessPoolExecutor(max_workers=1) as executor:
        with pytest.raises(ModelError, match=r"executor failed to run batch 0 \(rows 0..4\)"):
            run_queries(lambda codes: smooth_model(codes), points, batch_size=5, executor=executor)


def test_wrong_output_shape():
    with pytest.raises(ModelOutputError, match=r"batch 1 \(rows 4..7\) must have shape \(4,\) or \(4, m\)"):
        run_queries(lambda c: np.zeros(len(c) + (c[0, 1] == 4)), numbered_points(12, 3), batch_size=4)


@pytest.mark.parametrize("pool", [None, "threads"])
def test_the_number_of_outputs_must_not_change_between_batches(pool):
    def changing(codes):
        return smooth_model(codes)[:, : 1 if row_id(codes[:1])[0] < 8 else 2]

    points = numbered_points(16, 3)
    match = r"batch 2 \(rows 8..11\) has 2 columns, but other batches had 1"
    if pool is None:
        with pytest.raises(ModelOutputError, match=match):
            run_queries(changing, points, batch_size=4)
    else:
        with ThreadPoolExecutor(max_workers=1) as executor:  # one worker: batches finish in order
            with pytest.raises(ModelOutputError, match=match):
                run_queries(changing, points, batch_size=4, executor=executor)


@pytest.mark.parametrize(
    "points,match",
    [
        ([[0, 1], [1, 0]], r"points: expected a 2-D numpy array of uint8 codes \(M, n\), got list"),
        (np.zeros((3, 2), dtype=np.int64), "points: expected dtype uint8, got dtype int64"),
        (np.zeros((3, 2)), "points: expected dtype uint8, got dtype float64"),
        (
            np.zeros(3, dtype=np.uint8),
            r"points: expected a 2-D array of codes \(M, n\), got a 1-D array of shape \(3,\)",
        ),
        (np.zeros((2, 2, 2), dtype=np.uint8), "got a 3-D array"),
    ],
)
def test_bad_points(points, match):
    with pytest.raises(InvalidParameterError, match=match):
        run_queries(smooth_model, points)


@pytest.mark.parametrize(
    "batch_size,match",
    [
        (0, "batch_size: expected an integer >= 1, got 0"),
        (-4, "batch_size: expected an integer >= 1, got -4"),
        (2.5, "batch_size: expected an integer, got 2.5"),
        (True, "batch_size: expected an integer, got True"),
    ],
)
def test_bad_batch_size(batch_size, match):
    with pytest.raises(InvalidParameterError, match=match):
        run_queries(smooth_model, numbered_points(4, 3), batch_size=batch_size)


def test_bad_executor_checkpoint_and_model():
    points = numbered_points(4, 3)
    with pytest.raises(InvalidParameterError, match=r"executor: expected a concurrent.futures.Executor"):
        run_queries(smooth_model, points, executor="threads")
    with pytest.raises(InvalidParameterError, match="executor: .* got object"):
        run_queries(smooth_model, points, executor=object())
    with pytest.raises(InvalidParameterError, match="checkpoint: expected a file path .* got int"):
        run_queries(smooth_model, points, checkpoint=3)
    with pytest.raises(InvalidParameterError, match="model: expected a callable .* got ndarray"):
        run_queries(points, points)


# --- checkpoints -----------------------------------------------------------------------------


def test_resume_after_a_model_error_queries_only_the_missing_batches(tmp_path):
    points = numbered_points(95, 6)
    checkpoint = tmp_path / "campaign.ckpt"
    uninterrupted = run_queries(smooth_model, points, batch_size=10).values

    failing = Recorder(fail_on_call=5)  # batches 0..3 succeed, batch 4 raises
    with pytest.raises(ModelError, match=r"batch 4 \(rows 40..49\)"):
        run_queries(failing, points, batch_size=10, checkpoint=checkpoint)
    header, records, _ = read_checkpoint(checkpoint)
    assert [index for index, _ in records] == [0, 1, 2, 3]
    assert header["format"] == "shap_zero.query_checkpoint" and header["version"] == 1
    assert (header["M"], header["n"], header["batch_size"]) == (95, 6, 10)

    resumed_model = Recorder()
    result = run_queries(resumed_model, points, batch_size=10, checkpoint=checkpoint)
    assert resumed_model.batches(10) == [4, 5, 6, 7, 8, 9]
    assert (result.n_resumed, result.n_queried) == (40, 55)
    assert_bit_identical(result.values, uninterrupted)

    # A finished campaign is read back without calling the model at all.
    again = run_queries(Recorder(fail_on_call=1), points, batch_size=10, checkpoint=checkpoint)
    assert (again.n_resumed, again.n_queried, again.model_seconds) == (95, 0, 0.0)
    assert_bit_identical(again.values, uninterrupted)


@pytest.mark.parametrize("mode", ["serial", "threads"])
def test_resume_after_the_process_was_killed(tmp_path, mode):
    points = numbered_points(120, 7, seed=3)
    np.save(tmp_path / "points.npy", points)
    checkpoint = tmp_path / "campaign.ckpt"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")]))
    crash = subprocess.run(
        [sys.executable, str(TESTS / "_queries_crash.py"), str(tmp_path / "points.npy"), str(checkpoint)]
        + ["8", "6", mode],  # batch size, the batch whose model call kills the process, executor
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crash.returncode == 1, crash.stderr  # died inside the model, not at the end
    _, records, _ = read_checkpoint(checkpoint)
    stored = sorted(index for index, _ in records)
    assert len(stored) >= (6 if mode == "serial" else 1) and 6 not in stored
    if mode == "serial":
        assert stored == [0, 1, 2, 3, 4, 5]

    model = Recorder()
    result = run_queries(model, points, batch_size=8, checkpoint=checkpoint)
    assert model.batches(8) == sorted(set(range(15)) - set(stored))  # nothing stored was re-queried
    assert result.n_resumed == 8 * len(stored)
    assert_bit_identical(result.values, run_queries(smooth_model, points, batch_size=8).values)


@pytest.mark.parametrize("cut", ["prefix", "payload", "crc", "corrupt crc"])
def test_a_torn_tail_is_dropped_and_its_batch_queried_again(tmp_path, cut):
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "ck"
    full = run_queries(smooth_model, points, batch_size=8, checkpoint=checkpoint).values
    data = checkpoint.read_bytes()
    record_size = 16 + 24 + 8 * 8 * 3 + 4
    last = len(data) - record_size  # start of batch 4's record
    if cut == "corrupt crc":
        checkpoint.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    else:
        keep = {"prefix": 5, "payload": 100, "crc": record_size - 2}[cut]
        checkpoint.write_bytes(data[: last + keep])

    model = Recorder()
    result = run_queries(model, points, batch_size=8, checkpoint=checkpoint)
    assert model.batches(8) == [4]
    assert (result.n_resumed, result.n_queried) == (32, 8)
    assert_bit_identical(result.values, full)
    assert checkpoint.read_bytes() == data  # repaired: the torn record was replaced by a good one


def test_damage_in_the_middle_is_skipped_with_a_warning_and_later_records_kept(tmp_path):
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "ck"
    full = run_queries(smooth_model, points, batch_size=8, checkpoint=checkpoint).values
    data = bytearray(checkpoint.read_bytes())
    header_size = len(data) - 5 * (16 + 24 + 8 * 8 * 3 + 4)
    data[header_size + (16 + 24 + 8 * 8 * 3 + 4) + 60] ^= 0x01  # one bit of batch 1's values
    checkpoint.write_bytes(bytes(data))

    model = Recorder()
    with pytest.warns(RuntimeWarning, match="unreadable bytes at offsets .* queried again"):
        result = run_queries(model, points, batch_size=8, checkpoint=checkpoint)
    assert model.batches(8) == [1]
    assert_bit_identical(result.values, full)


def test_a_checkpoint_of_another_campaign_is_refused_and_left_alone(tmp_path):
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "mine.ckpt"
    run_queries(smooth_model, points[:20], batch_size=8, checkpoint=checkpoint)
    before = checkpoint.read_bytes()
    other = points[:20].copy()
    other[3, 4] = (other[3, 4] + 1) % 4

    cases = [
        (other, 8, "written for different points"),
        (points[:20], 16, "written with batch_size 8, this call has batch_size 16"),
        (points, 8, "written for 20 points of length 5, this call has 40 points of length 5"),
    ]
    for call_points, batch_size, detail in cases:
        match = rf"mine\.ckpt belongs to another query campaign: it was {detail}"
        with pytest.raises(CheckpointError, match=match):
            run_queries(Recorder(fail_on_call=1), call_points, batch_size=batch_size, checkpoint=checkpoint)
    assert checkpoint.read_bytes() == before


@pytest.mark.parametrize(
    "content,match",
    [
        (b"sequence,score\nACGT,0.5\n" * 10, "is not a shap_zero query checkpoint"),
        (os.urandom(300), "is not a shap_zero query checkpoint"),
        (b"SZQ_HEAD" + struct.pack("<Q", 10**12) + b"{}" * 50, r"header of .* is corrupt \(it announces"),
    ],
)
def test_a_foreign_or_garbled_file_is_refused_and_left_alone(tmp_path, content, match):
    path = tmp_path / "results.csv"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match) as info:
        run_queries(Recorder(fail_on_call=1), numbered_points(10, 3), checkpoint=path)
    assert "results.csv" in str(info.value)
    assert path.read_bytes() == content


def test_a_header_with_a_bad_crc_or_a_newer_version_is_refused(tmp_path):
    points = numbered_points(10, 3)
    path = tmp_path / "ck"
    run_queries(smooth_model, points, batch_size=4, checkpoint=path)
    data = bytearray(path.read_bytes())
    data[30] ^= 0x20  # inside the header JSON
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"header of .*ck is corrupt \(CRC mismatch\)"):
        run_queries(smooth_model, points, batch_size=4, checkpoint=path)

    header = json.dumps({"format": "shap_zero.query_checkpoint", "version": 2}).encode()
    prefix = b"SZQ_HEAD" + struct.pack("<Q", len(header))
    path.write_bytes(prefix + header + struct.pack("<I", zlib.crc32(prefix + header)))
    with pytest.raises(CheckpointError, match="format version 2, but this shap_zero .* reads up to version"):
        run_queries(smooth_model, points, batch_size=4, checkpoint=path)


def test_an_empty_file_or_a_torn_header_starts_the_campaign_afresh(tmp_path):
    points = numbered_points(10, 3)
    run_queries(smooth_model, points, batch_size=4, checkpoint=tmp_path / "whole")
    header_size = len((tmp_path / "whole").read_bytes()) - 3 * 16 - 3 * (24 + 4) - 10 * 3 * 8
    for keep in (0, 5, header_size - 1):
        path = tmp_path / f"torn{keep}"
        path.write_bytes((tmp_path / "whole").read_bytes()[:keep])
        result = run_queries(smooth_model, points, batch_size=4, checkpoint=path)
        assert (result.n_resumed, result.n_queried) == (0, 10)
        assert path.read_bytes() == (tmp_path / "whole").read_bytes()


def test_resume_on_an_executor(tmp_path):
    points = numbered_points(90, 6)
    checkpoint = tmp_path / "ck"
    uninterrupted = run_queries(smooth_model, points, batch_size=10).values
    with ThreadPoolExecutor(max_workers=3) as executor:
        with pytest.raises(ModelError, match=r"batch 3 \(rows 30..39\)"):
            failing = Recorder(batch_size=10, fail_on_batch=3)
            run_queries(failing, points, batch_size=10, executor=executor, checkpoint=checkpoint)
        stored = sorted(index for index, _ in read_checkpoint(checkpoint)[1])
        assert 3 not in stored and stored
        model = Recorder()
        result = run_queries(model, points, batch_size=10, executor=executor, checkpoint=checkpoint)
    assert model.batches(10) == sorted(set(range(9)) - set(stored))
    assert result.n_resumed == 10 * len(stored)
    assert_bit_identical(result.values, uninterrupted)


def test_batches_running_when_another_fails_are_still_checkpointed(tmp_path):
    points = numbered_points(60, 4)
    checkpoint = tmp_path / "ck"
    started = threading.Event()

    class SlowRecorder(Recorder):
        def __call__(self, codes):
            if int(row_id(codes[:1])[0]) // 10 == 0:
                started.wait(5)
                time.sleep(0.05)  # still running when batch 1 fails
            else:
                started.set()
            return super().__call__(codes)

    model = SlowRecorder(batch_size=10, fail_on_batch=1)
    with ThreadPoolExecutor(max_workers=2) as executor:
        with pytest.raises(ModelError, match=r"batch 1 \(rows 10..19\)"):
            run_queries(model, points, batch_size=10, executor=executor, checkpoint=checkpoint)
    stored = [index for index, _ in read_checkpoint(checkpoint)[1]]
    assert 0 in model.succeeded and sorted(stored) == sorted(model.succeeded)


def test_a_model_with_another_number_of_outputs_than_the_checkpoint_is_refused(tmp_path):
    points = numbered_points(20, 4)
    checkpoint = tmp_path / "ck"
    with pytest.raises(ModelError, match=r"model raised on batch 2 \(rows 10\.\.14\).*crashed on call 3"):
        run_queries(Recorder(fail_on_call=3), points, batch_size=5, checkpoint=checkpoint)
    match = r"batch 2 \(rows 10..14\) has 1 columns, but the batches stored in checkpoint .*ck have 3"
    with pytest.raises(ModelOutputError, match=match):
        run_queries(lambda c: smooth_model(c)[:, 0], points, batch_size=5, checkpoint=checkpoint)


@pytest.mark.skipif(sys.platform == "win32", reason="no flock")
def test_a_checkpoint_in_use_by_a_running_campaign_is_refused(tmp_path):
    import fcntl

    points = numbered_points(10, 3)
    path = tmp_path / "ck"
    run_queries(smooth_model, points[:5], batch_size=5, checkpoint=path)
    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CheckpointError, match=r"ck is locked by another running query campaign"):
            run_queries(smooth_model, points[:5], batch_size=5, checkpoint=path)
    assert run_queries(smooth_model, points[:5], batch_size=5, checkpoint=path).n_resumed == 5


def test_progress_bar_counts_queries_from_the_resumed_points(tmp_path, capsys):
    points = numbered_points(30, 3)
    checkpoint = tmp_path / "ck"
    with pytest.raises(ModelError, match=r"model raised on batch 2 \(rows 10\.\.14\).*crashed on call 3"):
        run_queries(Recorder(fail_on_call=3), points, batch_size=5, checkpoint=checkpoint)
    capsys.readouterr()
    run_queries(
        smooth_model, points, batch_size=5, checkpoint=checkpoint, progress=True, description="toy queries"
    )
    err = capsys.readouterr().err
    assert "toy queries" in err and "10/30" in err and "30/30" in err and "query/s" in err


def test_resumed_values_get_the_same_checks_as_fresh_ones(tmp_path):
    """A record whose CRC was recomputed after writing NaN into it is refused, not used."""
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "ck"
    run_queries(smooth_model, points, batch_size=8, checkpoint=checkpoint)
    data = bytearray(checkpoint.read_bytes())
    # Walk the records (tag, length, payload, crc32) to the second batch record.
    position, records = 0, []
    while position < len(data):
        (length,) = struct.unpack_from("<Q", data, position + 8)
        records.append(position)
        position += 16 + length + 4
    batch = records[2]
    (length,) = struct.unpack_from("<Q", data, batch + 8)
    struct.pack_into("<d", data, batch + 16 + 24, float("nan"))  # the first value of the batch
    struct.pack_into("<I", data, batch + 16 + length, zlib.crc32(bytes(data[batch : batch + 16 + length])))
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="passes its CRC but fails the model-output checks.*not finite"):
        run_queries(Recorder(), points, batch_size=8, checkpoint=checkpoint)


def test_the_model_gets_a_copy_it_may_write_into():
    points = numbered_points(30, 4)
    kept = points.copy()

    def vandal(codes):
        out = smooth_model(codes)
        codes[:] = 0
        return out

    result = run_queries(vandal, points, batch_size=7)
    np.testing.assert_array_equal(points, kept)
    np.testing.assert_array_equal(result.values, np.asarray(smooth_model(kept)).reshape(len(kept), -1))


# --- reliability of checkpoint writes (issue 14) ------------------------------------------------

_QUERIES_UNDER_A_SIZE_LIMIT = """
import errno, json, resource, signal, sys
from tests._queries_models import numbered_points, smooth_model
from shap_zero.sketch.queries import run_queries

path, limit = sys.argv[1], int(sys.argv[2])
points = numbered_points(200, 5)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    run_queries(smooth_model, points, batch_size=8, checkpoint=path)
    outcome = {"finished": True}
except BaseException as error:
    cause = error.__cause__
    outcome = {"type": type(error).__name__, "message": str(error), "is_oserror": isinstance(error, OSError),
               "cause": type(cause).__name__, "cause_errno": getattr(cause, "errno", None),
               "suppressed": error.__suppress_context__}
print(json.dumps(outcome))
"""


def _run_under_a_size_limit(path, limit):
    pytest.importorskip("resource")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.run([sys.executable, "-c", _QUERIES_UNDER_A_SIZE_LIMIT, str(path), str(limit)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout.splitlines()[-1])


def test_a_failed_checkpoint_write_raises_the_error_naming_the_batch_and_file(tmp_path):
    """Issue 14: a bare ``OSError: File too large`` from close() hid the error naming the batch."""
    import errno

    checkpoint = tmp_path / "campaign.ckpt"
    outcome = _run_under_a_size_limit(checkpoint, 1000)  # the header and a few batches fit
    assert outcome["type"] == "FileWriteError" and outcome["is_oserror"], outcome
    assert outcome["cause"] == "OSError" and outcome["cause_errno"] == errno.EFBIG
    assert re.search(r"could not append batch (\d+) \(rows \d+\.\.\d+\) to the query checkpoint", outcome["message"])
    assert str(checkpoint) in outcome["message"] and "File too large" in outcome["message"]
    # The part of the failed record was cut off again: the file holds intact records only.
    _, records, intact_end = read_checkpoint(checkpoint)
    assert intact_end == checkpoint.stat().st_size and len(records) >= 1
    failed = int(re.search(r"batch (\d+)", outcome["message"]).group(1))
    assert sorted(index for index, _ in records) == list(range(failed))

    model = Recorder()
    points = numbered_points(200, 5)
    result = run_queries(model, points, batch_size=8, checkpoint=checkpoint)
    assert model.batches(8) == list(range(failed, 25))
    assert_bit_identical(result.values, run_queries(smooth_model, points, batch_size=8).values)


def test_a_failed_checkpoint_creation_leaves_no_file_that_blocks_a_later_run(tmp_path):
    checkpoint = tmp_path / "campaign.ckpt"
    outcome = _run_under_a_size_limit(checkpoint, 100)  # less than the header record
    assert outcome["type"] == "FileWriteError", outcome
    assert f"could not create the query checkpoint {checkpoint}; no file was left there" in outcome["message"]
    assert list(tmp_path.iterdir()) == []  # neither a torn header nor the temporary file
    # Another campaign (here another batch size) can use the path.
    points = numbered_points(200, 5)
    result = run_queries(smooth_model, points, batch_size=16, checkpoint=checkpoint)
    assert (result.n_resumed, result.n_queried) == (0, 200)


class _ReadOnlyFiles:
    """Makes the queries module see ``path`` as read-only, even when the tests run as root."""

    def __init__(self, monkeypatch, path):
        self.modes = []
        self.path = os.fspath(path)

        def read_only_open(file, mode="r", *args, **kwargs):
            if not isinstance(file, int) and os.fspath(file) == self.path:
                self.modes.append(mode)
                if any(flag in mode for flag in "wax+"):
                    raise PermissionError(13, "Permission denied", self.path)
            return open(file, mode, *args, **kwargs)

        import shap_zero.sketch.queries as queries

        monkeypatch.setattr(queries, "open", read_only_open, raising=False)


def test_a_complete_read_only_checkpoint_resumes_without_writing(tmp_path, monkeypatch):
    """Issue 14: a complete, read-only checkpoint gave PermissionError although nothing needs writing."""
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "done.ckpt"
    full = run_queries(smooth_model, points, batch_size=8, checkpoint=checkpoint).values
    before = checkpoint.read_bytes()
    files = _ReadOnlyFiles(monkeypatch, checkpoint)
    result = run_queries(Recorder(fail_on_call=1), points, batch_size=8, checkpoint=checkpoint)
    assert (result.n_resumed, result.n_queried) == (40, 0)
    assert_bit_identical(result.values, full)
    assert files.modes == ["rb"] and checkpoint.read_bytes() == before


def test_a_complete_checkpoint_with_a_torn_tail_also_resumes_read_only(tmp_path, monkeypatch):
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "done.ckpt"
    full = run_queries(smooth_model, points, batch_size=8, checkpoint=checkpoint).values
    torn = checkpoint.read_bytes() + b"SZQ_BTCH\x10"  # the start of a record a killed run never finished
    checkpoint.write_bytes(torn)
    _ReadOnlyFiles(monkeypatch, checkpoint)
    result = run_queries(Recorder(fail_on_call=1), points, batch_size=8, checkpoint=checkpoint)
    assert_bit_identical(result.values, full)
    assert checkpoint.read_bytes() == torn  # left alone: nothing had to be written


def test_an_incomplete_read_only_checkpoint_is_refused_before_querying(tmp_path, monkeypatch):
    points = numbered_points(40, 5)
    checkpoint = tmp_path / "half.ckpt"
    with pytest.raises(ModelError, match=r"model raised on batch 2 \(rows 16\.\.23\).*crashed on call 3"):
        run_queries(Recorder(fail_on_call=3), points, batch_size=8, checkpoint=checkpoint)
    _ReadOnlyFiles(monkeypatch, checkpoint)
    model = Recorder()
    with pytest.raises(FileWriteError, match=r"half\.ckpt cannot be opened for writing, but 3 of its 5 batches "
                                             r"remain to be queried.*make it writable") as info:
        run_queries(model, points, batch_size=8, checkpoint=checkpoint)
    assert isinstance(info.value, OSError) and isinstance(info.value.__cause__, PermissionError)
    assert model.calls == []  # no model query was wasted


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores file permissions; the read-only path is tested above with a patched open")
def test_read_only_checkpoints_on_disk(tmp_path):
    points = numbered_points(40, 5)
    complete, incomplete = tmp_path / "done.ckpt", tmp_path / "half.ckpt"
    full = run_queries(smooth_model, points, batch_size=8, checkpoint=complete).values
    with pytest.raises(ModelError, match=r"model raised on batch 2 \(rows 16\.\.23\).*crashed on call 3"):
        run_queries(Recorder(fail_on_call=3), points, batch_size=8, checkpoint=incomplete)
    os.chmod(complete, 0o444)
    os.chmod(incomplete, 0o444)
    try:
        resumed = run_queries(Recorder(fail_on_call=1), points, batch_size=8, checkpoint=complete)
        assert_bit_identical(resumed.values, full)
        with pytest.raises(FileWriteError, match=r"half\.ckpt cannot be opened for writing, but 3 of its 5"):
            run_queries(Recorder(fail_on_call=1), points, batch_size=8, checkpoint=incomplete)
    finally:
        os.chmod(complete, 0o644)
        os.chmod(incomplete, 0o644)

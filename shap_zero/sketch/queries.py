"""Running a query campaign: batches, an optional executor, and a checkpoint that survives crashes.

A q-SFT campaign can be millions of model calls and hours long. :func:`run_queries`
sends the (already de-duplicated) query points to the model in batches, in the calling
thread or on any :class:`concurrent.futures.Executor`, and appends every finished batch
to an append-only checkpoint file as soon as it is done. Running the same call again
after a crash (or Ctrl-C, or a model error) reads the stored batches back and queries
only the missing ones; the result is bit-identical to an uninterrupted run.

Checkpoint file format, version 1
---------------------------------
The file is a sequence of records, each written with ``write`` + ``os.fsync`` and never
modified in place. Integers are unsigned little-endian. Every record is::

    tag      8 bytes          b"SZQ_HEAD" for the first record, b"SZQ_BTCH" for all others
    length   uint64           number of payload bytes
    payload  length bytes
    crc32    uint32           zlib.crc32 of tag + length + payload

The first record's payload is a UTF-8 JSON object with sorted keys::

    {"format": "shap_zero.query_checkpoint", "version": 1,
     "fingerprint": <hex sha256>, "M": <int>, "n": <int>, "batch_size": <int>,
     "shap_zero_version": <str>}

where ``fingerprint = sha256(f"{M},{n},{batch_size};".encode("ascii") + points.tobytes())``
(``points`` in C order) identifies the campaign. Every later record is one completed
batch, appended in completion order (so not necessarily in batch order)::

    index    uint64           batch number i: rows i*batch_size .. min((i+1)*batch_size, M) - 1
    rows     uint64           number of rows of the batch
    m        uint64           outputs per point, the same in every record
    values   rows*m float64   little-endian, row-major: the checked model outputs

A new checkpoint is created whole: its header record is written to a temporary file in
the same folder, which is then hard-linked at the checkpoint path, so a failed or killed
creation leaves no half-written header behind. (An empty file, or the start of exactly
this campaign's header, is still taken as a new checkpoint and written afresh.)

On resume the header must match the call (else :class:`CheckpointError`). Every intact
record is read back, and checked like a fresh model output. A record that is cut short
or fails its CRC at the end of the file is what a killed run leaves behind: the file is
truncated back to the last intact record before the next record is appended, and the
campaign continues. Unreadable bytes followed by intact records (damage that a crash
cannot cause) are skipped with a ``RuntimeWarning`` and their batches are queried again.
A record that passes its CRC but does not fit the campaign (batch index out of range,
wrong row count, another m, values that fail the output checks) raises
:class:`CheckpointError`.

The file is opened read-only first and for appending only if a batch is missing, so a
complete checkpoint on a read-only file or medium resumes; an incomplete one that cannot
be written raises :class:`~shap_zero.exceptions.FileWriteError` before the model is
called. If appending a record fails (a full disk, a file size limit), the part written is
cut off again and the error names the batch and the file.

The checkpoint identifies the points and the batch size, not the model: resuming a
campaign with a different model mixes the outputs of both. On POSIX systems the file is
locked (``flock``) while a campaign runs, so two processes cannot append to it at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import hashlib
import json
import os
import secrets
import struct
import time
import warnings
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from shap_zero._files import fsync_directory, write_error
from shap_zero._progress import progress_bar
from shap_zero._validation import check_bool, check_int
from shap_zero._version import __version__
from shap_zero.exceptions import CheckpointError, InvalidParameterError, ModelError, ModelOutputError
from shap_zero.models import DEFAULT_BATCH_SIZE, check_model_output, query_batch

try:  # advisory file locks; not available on Windows, where concurrent use goes undetected
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None  # type: ignore[assignment]

__all__ = ["QueryResult", "run_queries", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION"]

#: Value of the ``format`` field in a checkpoint's JSON header.
CHECKPOINT_FORMAT = "shap_zero.query_checkpoint"
#: Version of the checkpoint format written by :func:`run_queries`.
CHECKPOINT_VERSION = 1

_TAG_HEADER = b"SZQ_HEAD"
_TAG_BATCH = b"SZQ_BTCH"
_PREFIX = struct.Struct("<8sQ")  # tag, payload length
_CRC = struct.Struct("<I")
_BATCH_META = struct.Struct("<QQQ")  # batch index, rows, m
# A real header is a few hundred bytes; the bound keeps a garbled length from being trusted.
_MAX_HEADER_BYTES = 1 << 16
# In-flight batches per executor when its worker count is unknown.
_DEFAULT_IN_FLIGHT = 8


@dataclass(frozen=True)
class QueryResult:
    """The outputs of a query campaign and what it cost.

    Attributes
    ----------
    values : ndarray of shape (M, m), float64
        Model outputs for the M points, in the order of the points.
    n_queried : int
        Points sent to the model in this call.
    n_resumed : int
        Points read back from the checkpoint instead of being queried.
    model_seconds : float
        Wall time spent on the model in this call: the sum of the model calls without
        an executor, the time from the first submission to the last result with one.
    """

    values: np.ndarray
    n_queried: int
    n_resumed: int
    model_seconds: float


def run_queries(
    model: Callable[[np.ndarray], Any],
    points: np.ndarray,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    executor: concurrent.futures.Executor | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
    description: str = "model queries",
) -> QueryResult:
    """Query a model on many points in batches, optionally in parallel and resumable.

    Batch i holds rows ``i*batch_size .. min((i+1)*batch_size, M) - 1``. Every batch
    output is checked by :func:`shap_zero.models.check_model_output`.

    Parameters
    ----------
    model : callable
        Takes uint8 codes of shape (B, n), returns B numbers or (B, m). With a process
        pool or a Dask executor it must pickle (e.g. a module-level function).
    points : ndarray of shape (M, n), uint8
        The query points, already de-duplicated. A non-C-contiguous array is copied once.
    batch_size : int, default 4096
        Points per model call.
    executor : concurrent.futures.Executor or None
        Where to run the batches (``ThreadPoolExecutor``, ``ProcessPoolExecutor``, the
        executor of a Dask client, ...). At most twice its worker count (8 when unknown)
        batches are in flight at a time. ``None`` calls the model in this thread, in
        order.
    checkpoint : str or path-like or None
        Append-only file that stores every finished batch (format in the module
        docstring). If it exists, its batches are read back and only the missing ones
        are queried.
    progress : bool, default False
        Show a progress bar (queries per second and ETA), starting at the resumed points.
    description : str, default "model queries"
        Label of the progress bar.

    Returns
    -------
    QueryResult
        ``values`` of shape (M, m), float64 (shape (0, 1) when M = 0, without calling the
        model), the numbers of queried and resumed points and the model time.

    Raises
    ------
    InvalidParameterError
        If ``model`` is not callable, ``points`` is not a 2-D uint8 array, ``batch_size``
        is not a positive integer, ``executor`` has no ``submit`` method or
        ``checkpoint`` is not a path.
    ModelError
        If the model (or the executor running it) fails; the message names the batch
        and its rows and the original error is chained. Batches that finished are in
        the checkpoint. On an executor, batches already running when one fails are
        still collected, and of several failures the lowest-numbered batch's is raised.
    ModelOutputError
        If an output is wrongly shaped, non-numeric or not finite, or the number of
        outputs m differs between batches (or from the checkpoint's).
    CheckpointError
        If ``checkpoint`` is not a query checkpoint, belongs to another campaign (other
        points or batch size), is damaged beyond an interrupted write, or is in use by
        another running campaign.
    FileWriteError
        If the checkpoint cannot be created, or a batch cannot be appended to it (the
        message names the batch and the file; the :class:`OSError` is chained), or it is
        incomplete and cannot be opened for writing. Also an :class:`OSError`.
    OSError
        If the checkpoint cannot be opened for reading.
    """
    if not callable(model):
        raise InvalidParameterError(
            f"model: expected a callable on integer codes (N, n), got {type(model).__name__}"
        )
    points = _check_points(points)
    batch_size = check_int(batch_size, name="batch_size", minimum=1)
    progress = check_bool(progress, name="progress")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise InvalidParameterError(
            "executor: expected a concurrent.futures.Executor (an object with a submit method) "
            f"or None, got {type(executor).__name__}"
        )
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise InvalidParameterError(
            f"checkpoint: expected a file path (str or os.PathLike) or None, got {type(checkpoint).__name__}"
        )
    n_points = points.shape[0]
    if n_points == 0:
        return QueryResult(np.empty((0, 1), dtype=np.float64), 0, 0, 0.0)
    return _Campaign(model, points, batch_size, executor, checkpoint, progress, description).run()


def _check_points(points: Any) -> np.ndarray:
    """Return ``points`` as a C-contiguous (M, n) uint8 array or raise naming ``points``."""
    if not isinstance(points, np.ndarray):
        raise InvalidParameterError(
            f"points: expected a 2-D numpy array of uint8 codes (M, n), got {type(points).__name__}"
        )
    if points.ndim != 2:
        raise InvalidParameterError(
            f"points: expected a 2-D array of codes (M, n), got a {points.ndim}-D array of shape "
            f"{points.shape}"
        )
    if points.dtype != np.uint8:
        raise InvalidParameterError(f"points: expected dtype uint8, got dtype {points.dtype}")
    # The fingerprint hashes the C-order bytes, and batches are row slices of them.
    return np.ascontiguousarray(points)


def _where(index: int, start: int, stop: int) -> str:
    return f"batch {index} (rows {start}..{stop - 1})"


def _max_in_flight(executor: Any) -> int:
    """Twice the executor's worker count when it can be found, else a fixed default."""
    workers = getattr(executor, "_max_workers", None)  # ThreadPoolExecutor, ProcessPoolExecutor
    if workers is None:
        try:  # dask.distributed ClientExecutor: count the threads of the cluster
            workers = sum(executor._client.nthreads().values())
        except Exception:
            workers = None
    if isinstance(workers, int) and workers > 0:
        return 2 * workers
    return _DEFAULT_IN_FLIGHT


class _Campaign:
    """State of one :func:`run_queries` call; inputs are already validated."""

    def __init__(
        self,
        model: Callable[[np.ndarray], Any],
        points: np.ndarray,
        batch_size: int,
        executor: concurrent.futures.Executor | None,
        checkpoint: str | os.PathLike[str] | None,
        progress: bool,
        description: str,
    ) -> None:
        self.model = model
        self.points = points
        self.batch_size = batch_size
        self.executor = executor
        self.checkpoint_path = None if checkpoint is None else os.fspath(checkpoint)
        self.progress = progress
        self.description = description
        self.n_batches = -(-points.shape[0] // batch_size)
        self.out: np.ndarray | None = None
        self.m_from_checkpoint = False
        self.n_queried = 0
        self.n_resumed = 0
        self.checkpoint: _Checkpoint | None = None
        self.bar: Any = None

    def rows(self, index: int) -> tuple[int, int]:
        start = index * self.batch_size
        return start, min(start + self.batch_size, self.points.shape[0])

    def run(self) -> QueryResult:
        try:
            seconds = self.query()
        except BaseException:
            # The error being raised names the batch and the file; a second failure while
            # cleaning up (closing the bar or the checkpoint) must not replace it.
            self.release(quiet=True)
            raise
        self.release(quiet=False)
        assert self.out is not None  # every batch was stored or queried (internal invariant)
        return QueryResult(self.out, self.n_queried, self.n_resumed, seconds)

    def query(self) -> float:
        stored: set[int] = set()
        if self.checkpoint_path is not None:
            self.checkpoint = _Checkpoint.open(self.checkpoint_path, self.points, self.batch_size)
            stored = self.checkpoint.read_batches(self.store_resumed)
        todo = deque(index for index in range(self.n_batches) if index not in stored)
        if todo and self.checkpoint is not None:
            # Only now, and only if something is missing, is the file opened for writing:
            # a complete checkpoint can be read back from a read-only file.
            self.checkpoint.prepare_to_append(len(todo))
        if self.progress:
            self.bar = progress_bar(
                True, total=self.points.shape[0], initial=self.n_resumed, description=self.description, unit="query",
                warm_up=True,
            )  # fmt: skip
        if self.executor is None:
            return self.run_serial(todo)
        return self.run_executor(todo, self.executor)

    def release(self, *, quiet: bool) -> None:
        """Close the progress bar and the checkpoint; with ``quiet``, ignore their errors."""
        for resource in (self.bar, self.checkpoint):
            if resource is None:
                continue
            try:
                resource.close()
            except Exception:
                if not quiet:
                    raise

    def allocate(self, m: int) -> np.ndarray:
        if self.out is None:
            self.out = np.empty((self.points.shape[0], m), dtype=np.float64)
        return self.out

    def store_resumed(self, index: int, values: np.ndarray) -> None:
        """Check a batch read from the checkpoint as a fresh model output, then put it in place."""
        start, stop = self.rows(index)
        try:
            values = check_model_output(values, stop - start, _where(index, start, stop))
        except ModelOutputError as error:
            raise CheckpointError(
                f"checkpoint {self.checkpoint_path} holds a record that passes its CRC but fails the "
                f"model-output checks: {error}. The file was altered; delete it to start over."
            ) from error
        out = self.allocate(values.shape[1])
        self.m_from_checkpoint = True
        out[start:stop] = values
        self.n_resumed += stop - start

    def accept(self, index: int, values: np.ndarray) -> None:
        """Check m, checkpoint and place one freshly queried batch."""
        start, stop = self.rows(index)
        out = self.allocate(values.shape[1])
        if values.shape[1] != out.shape[1]:
            where = _where(index, start, stop)
            if self.m_from_checkpoint:
                raise ModelOutputError(
                    f"model output for {where} has {values.shape[1]} columns, but the batches stored in "
                    f"checkpoint {self.checkpoint_path} have {out.shape[1]}; was the model changed?"
                )
            raise ModelOutputError(
                f"model output for {where} has {values.shape[1]} columns, but other batches had "
                f"{out.shape[1]}"
            )
        # Write to disk first: once the record is flushed the batch can never be lost.
        if self.checkpoint is not None:
            self.checkpoint.append(index, values, _where(index, start, stop))
        out[start:stop] = values
        self.n_queried += stop - start
        if self.bar is not None:
            self.bar.update(stop - start)

    def run_serial(self, todo: deque[int]) -> float:
        seconds = 0.0
        for index in todo:
            start, stop = self.rows(index)
            began = time.perf_counter()
            values = query_batch(self.model, self.points[start:stop], _where(index, start, stop))
            seconds += time.perf_counter() - began
            self.accept(index, values)
        return seconds

    def run_executor(self, todo: deque[int], executor: concurrent.futures.Executor) -> float:
        """Run the batches on ``executor``; on failures, raise the lowest-numbered batch's error.

        After a failure no new batch starts, but the running ones are collected (and
        checkpointed), so their work is kept; the error raised is that of the failed
        batch with the lowest index, whatever order the workers finished in.
        """
        limit = _max_in_flight(executor)
        in_flight: dict[concurrent.futures.Future[np.ndarray], int] = {}
        errors: dict[int, BaseException] = {}
        began = time.perf_counter()
        try:
            while in_flight or (todo and not errors):
                # A bounded window: millions of points must not become millions of futures.
                while todo and not errors and len(in_flight) < limit:
                    index = todo.popleft()
                    start, stop = self.rows(index)
                    where = _where(index, start, stop)
                    try:
                        future = executor.submit(query_batch, self.model, self.points[start:stop], where)
                    except Exception as error:
                        errors[index] = _executor_error(error, where)
                        break
                    in_flight[future] = index
                if not in_flight:
                    break
                done, _ = concurrent.futures.wait(in_flight, return_when=concurrent.futures.FIRST_COMPLETED)
                # Futures that finished together come back as a set: take them in batch
                # order so that the record order does not depend on hashing.
                for future in sorted(done, key=in_flight.__getitem__):
                    index = in_flight.pop(future)
                    try:
                        values = future.result()
                        self.accept(index, values)
                    except (ModelError, ModelOutputError, CheckpointError, OSError) as error:
                        errors[index] = error
                    except Exception as error:  # the executor itself failed (broken pool, pickling)
                        errors[index] = _executor_error(error, _where(index, *self.rows(index)))
                if errors:
                    # Stop: drop batches that have not started, but keep collecting (and
                    # checkpointing) the running ones, whose work would otherwise be lost.
                    for future in [future for future in in_flight if future.cancel()]:
                        del in_flight[future]
        finally:
            # Ctrl-C or an unexpected error: do not leave queued batches behind.
            for future in in_flight:
                future.cancel()
        if errors:
            raise errors[min(errors)]
        return time.perf_counter() - began


def _executor_error(error: BaseException, where: str) -> ModelError:
    wrapped = ModelError(f"the executor failed to run {where}: {type(error).__name__}: {error}")
    wrapped.__cause__ = error
    return wrapped


def _fingerprint(points: np.ndarray, batch_size: int) -> str:
    digest = hashlib.sha256(f"{points.shape[0]},{points.shape[1]},{batch_size};".encode("ascii"))
    digest.update(points)  # C-contiguous: hashed without a copy
    return digest.hexdigest()


def _record(tag: bytes, payload: bytes) -> bytes:
    prefix = _PREFIX.pack(tag, len(payload))
    return prefix + payload + _CRC.pack(zlib.crc32(payload, zlib.crc32(prefix)))


def _write_all(file: BinaryIO, data: bytes) -> None:
    """Write every byte to an unbuffered file: a write may store only part of its data."""
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:
            raise OSError(errno.EIO, "the write stored no bytes")
        view = view[written:]


def _create(path: str, header_record: bytes) -> None:
    """Create the checkpoint file holding ``header_record``, whole or not at all.

    The header goes to a temporary file in the same folder, which is then hard-linked
    at ``path``: a crash or a failed write never leaves a half-written header there
    (which a campaign with other points could not resume). If another campaign created
    the file meanwhile, its header is checked by the caller. Where hard links are not
    supported the file is created exclusively and removed again if the write fails.
    """
    directory = os.path.dirname(os.path.abspath(path))
    failed = f"could not create the query checkpoint {path}; no file was left there"
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.partial")
    try:
        fd = _create_exclusive(temporary)
    except OSError as error:
        raise write_error(error, failed) from error
    try:
        with open(fd, "wb", buffering=0, closefd=True) as file:
            _write_all(file, header_record)
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        except OSError:  # no hard links on this file system
            _create_in_place(path, header_record)
    except OSError as error:
        raise write_error(error, failed) from error
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    fsync_directory(directory)


def _create_exclusive(path: str) -> int:
    """A descriptor of a new file at ``path`` (refusing an existing one), permissions as open() gives."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)


def _create_in_place(path: str, header_record: bytes) -> None:
    """Create the checkpoint directly, for file systems without hard links; remove it if that fails."""
    try:
        fd = _create_exclusive(path)
    except FileExistsError:
        return
    try:
        with open(fd, "wb", buffering=0, closefd=True) as file:
            _write_all(file, header_record)
            os.fsync(file.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


class _Checkpoint:
    """An open, locked checkpoint file whose header matches the campaign.

    The file is read through ``reader`` (opened read-only, and holding the lock) and
    written through ``writer``, which is opened for appending only when a batch is
    missing (:meth:`prepare_to_append`), so a complete checkpoint resumes from a
    read-only file.
    """

    def __init__(self, path: str, reader: BinaryIO, data_start: int, batch_size: int, n_points: int) -> None:
        self.path = path
        self.reader = reader
        self.writer: BinaryIO | None = None
        self.data_start = data_start
        self.batch_size = batch_size
        self.n_points = n_points
        self.n_batches = -(-n_points // batch_size)
        self.m: int | None = None
        self.torn_from: int | None = None  # start of a torn last record, dropped before appending
        self.locked = False

    @classmethod
    def open(cls, path: str, points: np.ndarray, batch_size: int) -> _Checkpoint:
        """Open or create the checkpoint of this campaign, lock it and check its header."""
        fingerprint = _fingerprint(points, batch_size)
        header = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "fingerprint": fingerprint,
            "M": int(points.shape[0]),
            "n": int(points.shape[1]),
            "batch_size": batch_size,
            "shap_zero_version": __version__,
        }
        header_record = _record(_TAG_HEADER, json.dumps(header, sort_keys=True).encode("utf-8"))
        try:
            reader = open(path, "rb")  # noqa: SIM115 - closed by close() or below
        except FileNotFoundError:
            _create(path, header_record)
            reader = open(path, "rb")  # noqa: SIM115
        checkpoint = cls(path, reader, len(header_record), batch_size, int(points.shape[0]))
        try:
            checkpoint.locked = _lock(reader, path)
            size = os.fstat(reader.fileno()).st_size
            reader.seek(0)
            head = reader.read(len(header_record))
            if size < len(header_record) and head == header_record[:size]:
                # Empty, or the torn header of an interrupted run of an older shap_zero
                # (new files are created whole): nothing in it to keep.
                checkpoint.rewrite_header(header_record)
            else:
                checkpoint.data_start = _check_header(reader, path, size, header)
        except BaseException:
            with contextlib.suppress(OSError):
                checkpoint.close()
            raise
        return checkpoint

    def rewrite_header(self, header_record: bytes) -> None:
        """Replace the file's content (an empty file or a torn header) with ``header_record``."""
        self.open_writer("it holds no complete header and must be written afresh")
        assert self.writer is not None
        try:
            os.ftruncate(self.writer.fileno(), 0)
            _write_all(self.writer, header_record)
            os.fsync(self.writer.fileno())
        except OSError as error:
            raise write_error(
                error, f"could not write the header of the query checkpoint {self.path}"
            ) from error

    def open_writer(self, reason: str) -> None:
        """Open the file for appending (once), or raise naming it and why it must be written."""
        if self.writer is not None:
            return
        try:
            writer = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError as error:
            raise write_error(
                error,
                f"checkpoint {self.path} cannot be opened for writing, but {reason}; make it writable "
                "or pass another checkpoint path",
            ) from error
        try:
            mine, theirs = os.fstat(self.reader.fileno()), os.fstat(writer.fileno())
            if (mine.st_dev, mine.st_ino) != (theirs.st_dev, theirs.st_ino):
                raise CheckpointError(
                    f"checkpoint: {self.path} was replaced by another file while it was being opened; "
                    "run again"
                )
            if not self.locked:  # the read-only descriptor could not be locked: try this one
                self.locked = _lock(writer, self.path)
        except BaseException:
            writer.close()
            raise
        self.writer = writer

    def prepare_to_append(self, n_missing: int) -> None:
        """Open the file for appending and drop a torn last record, before the first append."""
        self.open_writer(f"{n_missing} of its {self.n_batches} batches remain to be queried and stored")
        assert self.writer is not None
        if self.torn_from is not None:
            # A record cut short at the end: the previous run was killed while writing it.
            try:
                os.ftruncate(self.writer.fileno(), self.torn_from)
                os.fsync(self.writer.fileno())
            except OSError as error:
                raise write_error(
                    error, f"could not drop the torn last record of the query checkpoint {self.path}"
                ) from error
            self.torn_from = None

    def close(self) -> None:
        """Close the writer and the reader (which releases the lock)."""
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            self.reader.close()

    def read_batches(self, store: Callable[[int, np.ndarray], None]) -> set[int]:
        """Hand every intact batch record to ``store(index, values)`` and drop a torn tail.

        ``values`` has shape (rows, m), float64. Returns the set of stored batch indices;
        a batch stored twice is handed over once (the first copy).
        """
        size = os.fstat(self.reader.fileno()).st_size
        stored: set[int] = set()
        skipped: list[tuple[int, int]] = []
        position = self.data_start
        bad_from: int | None = None  # start of unreadable bytes not yet followed by a record
        while position < size:
            record = self._batch_at(position, size)
            if record is None:
                if bad_from is None:
                    bad_from = position
                # Look for the next intact record after the damage.
                found = self._find_batch_tag(position + 1, size)
                if found is None:
                    break
                position = found
                continue
            if bad_from is not None:
                skipped.append((bad_from, position))
                bad_from = None
            index, values, position = record
            if index not in stored:
                stored.add(index)
                store(index, values)
        if bad_from is not None:
            # A record cut short at the end: the previous run was killed while writing it.
            # It is cut off before the next append (a read-only resume leaves it alone).
            self.torn_from = bad_from
        if skipped:
            regions = ", ".join(f"{start}..{stop - 1}" for start, stop in skipped)
            warnings.warn(
                f"checkpoint {self.path} has unreadable bytes at offsets {regions} followed by intact "
                "records; the batches stored there are queried again",
                RuntimeWarning,
                stacklevel=4,
            )
        return stored

    def _batch_at(self, position: int, size: int) -> tuple[int, np.ndarray, int] | None:
        """Parse the batch record at ``position``: (index, values, end), or None if not intact."""
        self.reader.seek(position)
        prefix = self.reader.read(_PREFIX.size)
        if len(prefix) < _PREFIX.size:
            return None
        tag, length = _PREFIX.unpack(prefix)
        end = position + _PREFIX.size + length + _CRC.size
        if tag != _TAG_BATCH or length < _BATCH_META.size or end > size:
            return None
        body = self.reader.read(length + _CRC.size)
        payload = body[:length]
        if len(body) != length + _CRC.size or _CRC.unpack(body[length:])[0] != zlib.crc32(
            payload, zlib.crc32(prefix)
        ):
            return None
        index, rows, m = _BATCH_META.unpack_from(payload)
        # The CRC holds, so an interrupted write cannot explain what follows: refuse.
        where = f"checkpoint {self.path}: the batch record at byte {position}"
        if index >= self.n_batches:
            raise CheckpointError(
                f"{where} has batch index {index}, but the campaign has {self.n_batches} batches"
            )
        expected_rows = min(self.batch_size, self.n_points - index * self.batch_size)
        if rows != expected_rows or m < 1 or length != _BATCH_META.size + 8 * rows * m:
            raise CheckpointError(
                f"{where} (batch {index}) is inconsistent: {rows} rows and {m} outputs in {length} "
                f"payload bytes, expected {expected_rows} rows"
            )
        if self.m is None:
            self.m = m
        elif m != self.m:
            raise CheckpointError(
                f"{where} (batch {index}) has {m} outputs per point, earlier records {self.m}"
            )
        values = np.frombuffer(payload, dtype="<f8", offset=_BATCH_META.size).reshape(rows, m)
        return index, values, end

    def _find_batch_tag(self, start: int, size: int) -> int | None:
        """Offset of the next batch tag at or after ``start``, or None."""
        chunk = 1 << 20
        position = start
        while position < size:
            self.reader.seek(position)
            # Overlap chunks so that a tag across a chunk border is found.
            block = self.reader.read(chunk + len(_TAG_BATCH) - 1)
            hit = block.find(_TAG_BATCH)
            if hit >= 0:
                return position + hit
            position += chunk
        return None

    def append(self, index: int, values: np.ndarray, where: str) -> None:
        """Append one batch record and force it to disk; ``where`` names the batch in errors.

        If the write fails (a full disk, a file size limit), the part of the record that
        was written is cut off again, so the file keeps only intact records.
        """
        assert self.writer is not None  # prepare_to_append ran (internal invariant)
        rows, m = values.shape
        payload = _BATCH_META.pack(index, rows, m) + np.ascontiguousarray(values, dtype="<f8").tobytes()
        fd = self.writer.fileno()
        end = os.fstat(fd).st_size
        try:
            _write_all(self.writer, _record(_TAG_BATCH, payload))
            os.fsync(fd)
        except OSError as error:
            with contextlib.suppress(OSError):  # best effort: a torn tail is dropped on resume anyway
                os.ftruncate(fd, end)
            raise write_error(
                error,
                f"could not append {where} to the query checkpoint {self.path}; the batches stored "
                "before it are kept and a resumed run queries the others",
            ) from error
        if self.m is None:
            self.m = m


def _lock(file: BinaryIO, path: str) -> bool:
    """Take an exclusive lock on the checkpoint, so two campaigns never append to one file.

    Returns False if the file system refused the lock on this descriptor (where NFS
    emulates ``flock`` with ``fcntl`` locks, an exclusive lock needs a descriptor open
    for writing), True if it is held or locks do not exist on this platform.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise CheckpointError(
            f"checkpoint: {path} is locked by another running query campaign; wait for it to "
            "finish or pass another checkpoint path"
        ) from None
    except OSError:
        return False  # a file system without locks: run unprotected rather than refuse
    return True


def _check_header(file: BinaryIO, path: str, size: int, expected: dict[str, Any]) -> int:
    """Validate the header record against this campaign; return where the batch records start."""
    file.seek(0)
    prefix = file.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size or prefix[: len(_TAG_HEADER)] != _TAG_HEADER:
        raise CheckpointError(
            f"checkpoint: {path} is not a shap_zero query checkpoint (it does not start with "
            f"{_TAG_HEADER!r}); pass a new path for the checkpoint"
        )
    _, length = _PREFIX.unpack(prefix)
    end = _PREFIX.size + length + _CRC.size
    if length > _MAX_HEADER_BYTES or end > size:
        raise CheckpointError(
            f"checkpoint: the header of {path} is corrupt (it announces {length} bytes, the file "
            f"has {size}); it cannot be resumed, delete it to start the campaign over"
        )
    body = file.read(length + _CRC.size)
    payload = body[:length]
    if _CRC.unpack(body[length:])[0] != zlib.crc32(payload, zlib.crc32(prefix)):
        raise CheckpointError(
            f"checkpoint: the header of {path} is corrupt (CRC mismatch); it cannot be resumed, "
            "delete it to start the campaign over"
        )
    try:
        header = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"checkpoint: the header of {path} is not valid JSON: {error}") from None
    if not isinstance(header, dict) or header.get("format") != CHECKPOINT_FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise CheckpointError(
            f"checkpoint: {path} is not a shap_zero query checkpoint (format {found!r}, expected "
            f"{CHECKPOINT_FORMAT!r}); pass a new path for the checkpoint"
        )
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"checkpoint: the header of {path} has an invalid version {version!r}")
    if version > CHECKPOINT_VERSION:
        raise CheckpointError(
            f"checkpoint: {path} has format version {version}, but this shap_zero "
            f"({__version__}) reads up to version {CHECKPOINT_VERSION}; upgrade shap_zero"
        )
    stored = {key: header.get(key) for key in ("M", "n", "batch_size", "fingerprint")}
    if stored["M"] != expected["M"] or stored["n"] != expected["n"]:
        differs = (
            f"it was written for {stored['M']} points of length {stored['n']}, this call has "
            f"{expected['M']} points of length {expected['n']}"
        )
    elif stored["batch_size"] != expected["batch_size"]:
        differs = (
            f"it was written with batch_size {stored['batch_size']}, this call has batch_size "
            f"{expected['batch_size']}"
        )
    elif stored["fingerprint"] != expected["fingerprint"]:
        differs = (
            f"it was written for different points (same shape ({expected['M']}, {expected['n']}) "
            f"and batch_size {expected['batch_size']}, but sha256 {str(stored['fingerprint'])[:12]}... "
            f"instead of {expected['fingerprint'][:12]}...)"
        )
    else:
        return end
    raise CheckpointError(
        f"checkpoint: {path} belongs to another query campaign: {differs}. Resuming it would mix "
        "outputs of different queries; pass another checkpoint path, or delete the file to start over"
    )

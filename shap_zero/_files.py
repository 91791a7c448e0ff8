"""Writing files so that a failure never destroys what was there: :func:`atomic_write`.

Every file the library writes whole (saved sketches, the demo's figures) goes through
:func:`atomic_write`: the bytes go to a temporary file in the same folder, which is
flushed and ``fsync``-ed, then renamed over the target with :func:`os.replace` (atomic on
POSIX and Windows), and finally the folder is ``fsync``-ed so that the rename survives a
power cut. A reader therefore sees either the old file or the complete new one, never a
mixture, and a failed write (disk full, file size limit, Ctrl-C) leaves the old file as
it was and removes the temporary file.

Append-only files (query checkpoints, :mod:`shap_zero.sketch.queries`) are not rewritten;
they use :func:`fsync_directory` after creating a file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from typing import BinaryIO

from shap_zero.exceptions import FileWriteError

__all__ = ["atomic_write", "fsync_directory", "write_error"]

# Attempts at a fresh temporary name before giving up (names are 64 random bits).
_NAME_ATTEMPTS = 16


def fsync_directory(directory: str) -> None:
    """Make the entries of ``directory`` (a new or renamed file) durable.

    A no-op where folders cannot be opened or synced (Windows, some network file
    systems): the rename has happened, only its durability across a power cut is then
    up to the operating system.

    Parameters
    ----------
    directory : str
        Path of the folder.
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_error(error: OSError, message: str) -> FileWriteError:
    """A :class:`FileWriteError` carrying ``error``'s errno, for ``raise ... from error``.

    Parameters
    ----------
    error : OSError
        The failure.
    message : str
        What could not be written and what was kept; the failure's own text is added.

    Returns
    -------
    FileWriteError
    """
    reason = error.strerror or str(error) or type(error).__name__
    if error.errno is None:
        return FileWriteError(f"{message} ({reason})")
    return FileWriteError(error.errno, f"{message} ({reason})")


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """Create a new, empty file beside the target; return its descriptor and path.

    ``os.open`` with mode 0o666 lets the umask decide the permissions, as ``open`` does
    (``tempfile.mkstemp`` would make the saved file private to its owner).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for attempt in range(_NAME_ATTEMPTS):
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.partial")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            if attempt == _NAME_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _discard(handle: BinaryIO, temporary: str) -> None:
    """Close and delete the temporary file; errors here must not hide the first one."""
    try:
        handle.close()  # may try to flush what the failed write left in the buffer
    except OSError:
        pass
    try:
        os.unlink(temporary)
    except OSError:
        pass


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, what: str = "file") -> Iterator[BinaryIO]:
    """Write a file all or nothing: a context manager giving a binary file to write to.

    On a normal exit the written bytes replace ``path`` (created if missing) in one
    step; on an exception the temporary file is removed and ``path`` is left as it was.
    A symbolic link at ``path`` is followed (its target is replaced); an existing file
    keeps its permission bits, and a new one gets those ``open`` would give.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    what : str, default "file"
        What is being written, for error messages (e.g. ``"the sketch"``).

    Yields
    ------
    BinaryIO
        A buffered binary file open for writing, positioned at its start.

    Raises
    ------
    FileWriteError
        If the temporary file cannot be created, written, synced or renamed (e.g. a full
        disk, a file size limit, a read-only folder or an existing file that is not
        writable). The message names ``path``; the :class:`OSError` is chained. Any
        other exception raised inside the ``with`` block propagates unchanged, after
        the temporary file is removed.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_write(path) as handle:
    ...     _ = handle.write(b"complete or absent")
    >>> open(path, "rb").read()
    b'complete or absent'
    """
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    failed = f"could not write {what} to {os.fspath(path)}"
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise write_error(error, failed) from error
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise FileWriteError(f"{failed}: it is a directory")
    if existing is not None and not os.access(target, os.W_OK):
        # Replacing it would succeed (the folder is writable), but the user protected it.
        raise FileWriteError(f"{failed}: the existing file is not writable (mode "
                             f"{stat.filemode(existing.st_mode)}); it was left unchanged")
    try:
        fd, temporary = _create_temporary(directory, name)
    except OSError as error:
        raise write_error(error, f"{failed}: cannot create a temporary file in {directory}") from error
    handle = os.fdopen(fd, "wb")
    try:
        if existing is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, target)
    except BaseException as error:
        _discard(handle, temporary)
        if isinstance(error, OSError) and not isinstance(error, FileWriteError):
            kept = "the existing file is unchanged" if existing is not None else "no file was created"
            raise write_error(error, f"{failed}; {kept}") from error
        raise
    fsync_directory(directory)

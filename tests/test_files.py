"""shap_zero._files.atomic_write: a file is replaced whole or left as it was."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from shap_zero._files import atomic_write
from shap_zero.exceptions import FileWriteError, ShapZeroError


def test_a_new_file_is_written_and_nothing_else_is_left(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_write(path) as handle:
        handle.write(b"complete")
    assert path.read_bytes() == b"complete"
    assert list(tmp_path.iterdir()) == [path]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as open() would make it, not 0o600


def test_an_error_inside_the_block_leaves_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old content")
    with pytest.raises(KeyError, match="not an I/O error: propagates unchanged"):
        with atomic_write(path) as handle:
            handle.write(b"half of the new")
            raise KeyError("not an I/O error: propagates unchanged")
    assert path.read_bytes() == b"old content"
    assert list(tmp_path.iterdir()) == [path]


def test_an_os_error_becomes_a_file_write_error_naming_the_path(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old content")
    expected = r"could not write the sketch to .*out\.bin; the existing file is unchanged \(No space left"
    with pytest.raises(FileWriteError, match=expected) as info:
        with atomic_write(path, what="the sketch") as handle:
            handle.write(b"new")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    error = info.value
    assert isinstance(error, OSError) and isinstance(error, ShapZeroError) and error.errno == errno.ENOSPC
    assert isinstance(error.__cause__, OSError) and error.__cause__.errno == errno.ENOSPC
    assert path.read_bytes() == b"old content" and list(tmp_path.iterdir()) == [path]


def test_a_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old content")

    def failing_replace(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(FileWriteError, match="Invalid cross-device link"):
        with atomic_write(path) as handle:
            handle.write(b"new content")
    assert path.read_bytes() == b"old content" and list(tmp_path.iterdir()) == [path]


def test_an_existing_file_keeps_its_permissions_and_a_symlink_is_followed(tmp_path):
    target = tmp_path / "real.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with atomic_write(link) as handle:
        handle.write(b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_directory_or_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileWriteError, match="it is a directory"):
        with atomic_write(tmp_path) as handle:
            handle.write(b"x")
    with pytest.raises(FileWriteError, match="cannot create a temporary file in"):
        with atomic_write(tmp_path / "missing" / "out.bin") as handle:
            handle.write(b"x")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write read-only files")
def test_a_read_only_file_is_not_replaced(tmp_path):
    path = tmp_path / "protected.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o444)
    try:
        with pytest.raises(FileWriteError, match="the existing file is not writable"):
            with atomic_write(path) as handle:
                handle.write(b"new")
        assert path.read_bytes() == b"old"
    finally:
        os.chmod(path, 0o644)

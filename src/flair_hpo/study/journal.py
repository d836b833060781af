"""The journal file a study lives in by default: Optuna's ``JournalFileBackend``, kept readable when a writer dies
in the middle of a record or the disk fills up.

Why: the next append is glued onto a torn last line, and then every read of the file fails. A thin subclass:
the file format, the reading and the lock stay Optuna's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from optuna.storages.journal import JournalFileBackend

from flair_hpo.files import disk_full, out_of_space
from flair_hpo.optuna_internals import journal_file, journal_lock

log = logging.getLogger("flair_hpo")

# How every record of Optuna's JournalStorage starts (json.dumps of {"op_code": ..., ...}, without spaces).
_RECORD_START = b'{"op_code":'
_CHUNK = 1 << 16


class SafeJournalFileBackend(JournalFileBackend):
    """Optuna's journal file, with a torn last record cut (on opening with ``repair``, and before each append)
    and a failed append undone; ``repair=False`` opens it for reading only and writes nothing."""

    def __init__(self, file_path: str, repair: bool = True) -> None:
        super().__init__(file_path)  # Optuna's default lock: a symbolic link, which works on NFS too
        if repair:
            self.repair()

    def repair(self) -> int:
        """Cut a torn last record off the file; how many bytes were cut (0 when the journal is whole)."""
        with _descriptor(journal_file(self), os.O_RDONLY) as fd:
            if _torn_bytes(fd, check_json=True) == 0:
                return 0  # the common case: no lock needed
        with (
            _disk_full_named(journal_file(self)),
            journal_lock(self),
            _descriptor(journal_file(self), os.O_RDWR) as fd,
        ):
            return self._cut_torn_tail(fd, check_json=True)  # looked at again: a writer may have just finished

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = ("\n".join(json.dumps(entry, separators=(",", ":")) for entry in logs) + "\n").encode("utf-8")
        with (
            _disk_full_named(journal_file(self)),
            journal_lock(self),
            _descriptor(journal_file(self), os.O_RDWR | os.O_APPEND) as fd,
        ):
            self._cut_torn_tail(fd, check_json=False)  # only a line without its end: one byte read per append
            size, view = os.fstat(fd).st_size, memoryview(data)
            try:
                while view:  # os.write may write only part of it
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except BaseException:  # a full disk, an I/O error, even Ctrl-C: never leave a torn line behind
                _cut(fd, size, len(data) - len(view), journal_file(self))
                raise

    # ------------------------------------------------------------------------------------------- plumbing
    def _cut_torn_tail(self, fd: int, check_json: bool) -> int:
        """Under the lock: cut the torn last record, if there is one; how many bytes were cut."""
        torn = _torn_bytes(fd, check_json)
        if torn:
            os.ftruncate(fd, os.fstat(fd).st_size - torn)
            os.fsync(fd)
            log.warning(
                "the study journal %s ended in a torn record (its writer stopped in the middle of it): its last %d "
                "bytes were cut; every complete record is kept",
                journal_file(self),
                torn,
            )
        return torn


@contextlib.contextmanager
def _descriptor(path: str, flags: int) -> Iterator[int]:
    fd = os.open(path, flags)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def _disk_full_named(path: str) -> Iterator[None]:
    """A full disk or quota met in the block as one :class:`DiskFullError` that names the journal."""
    try:
        yield
    except OSError as error:
        if out_of_space(error):
            raise disk_full(path) from error
        raise


def _torn_bytes(fd: int, check_json: bool) -> int:
    """How many bytes at the end of the file are a torn record (no newline; with ``check_json``, not JSON)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    terminated = os.pread(fd, 1, size - 1) == b"\n"
    if terminated and not check_json:
        return 0
    start = _line_start(fd, size - 1 if terminated else size)
    line = os.pread(fd, size - start, start)
    if terminated:
        try:
            json.loads(line)
            return 0
        except ValueError:
            pass
    record = line.rstrip(b"\n")
    return size - start if record.startswith(_RECORD_START) or _RECORD_START.startswith(record) else 0


def _line_start(fd: int, end: int) -> int:
    """Where the line that ends at ``end`` (its newline excluded) starts."""
    position = end
    while position > 0:
        step = min(_CHUNK, position)
        found = os.pread(fd, step, position - step).rfind(b"\n")
        if found >= 0:
            return position - step + found + 1
        position -= step
    return 0


def _cut(fd: int, size: int, written: int, path: str) -> None:
    """Cut the file back to ``size`` bytes after an append that failed having written ``written`` bytes; a
    failure here is logged, not raised, so that the append's own error is the one reported."""
    try:
        if os.fstat(fd).st_size > size + written:
            # Another writer appended meanwhile: it broke the lock of this slow one (Optuna's grace period).
            log.warning("the study journal %s grew during a failed write; it is left as it is", path)
            return
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        log.warning("the study journal %s could not be cut back after a failed write", path, exc_info=True)

"""Writing files so that a crash or a second worker never leaves a half-written one, and cleaning up after
writers that were killed.

A temporary file is named after its writer: ``.NAME.BOOT-PID.tmp``, the machine's boot id (its first eight
characters) and the writing process. A later search removes the temporaries of *this* machine's dead
processes only, never those of another machine writing to a shared folder. Files that may hold data of the
corpus or of the study are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from filelock import FileLock

from flair_hpo.errors import DiskFullError

#: Less free space than this where a write failed: the disk was full.
_NEARLY_FULL = 1 << 20
_WRITER = re.compile(r"\.(?P<boot>[0-9a-f]{8})-(?P<pid>\d+)(?:-[0-9a-f]+)?\.(?:tmp|pickle)$")


@cache
def _boot() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
    except OSError:
        return "00000000"


def out_of_space(error: BaseException | None) -> bool:
    """Whether ``error``, or the error it came from, says the file system is full or the disk quota spent."""
    for cause in (error, getattr(error, "__cause__", None), getattr(error, "__context__", None)):
        if isinstance(cause, DiskFullError) or (
            isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT)
        ):
            return True
    return False


def disk_full(path: Path | str) -> DiskFullError:
    """The error for a write to ``path`` that found no space: what happened, and what to do."""
    return DiskFullError(
        f"no space left on the device of {path}; free space and run the same command again: the search resumes "
        "with every finished trial"
    )


def _nearly_full(folder: Path) -> bool:
    """Whether the file system of ``folder`` has (almost) no space left: a writer that failed there without
    saying why (torch's, whose C++ code drops the error number) ran out of space."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < _NEARLY_FULL


def writer_tag() -> str:
    """``BOOT-PID``: this machine's boot and this process, as temporary files are named."""
    return f"{_boot()}-{os.getpid()}"


def atomic_write(path: Path, write: Callable[[Path], None], private: bool = False) -> None:
    """Call ``write(tmp)`` and move ``tmp`` onto ``path`` only once it is complete (``private``: readable by
    its owner only). No space left for it raises :class:`DiskFullError`."""
    tmp = path.with_name(f".{path.name}.{writer_tag()}.tmp")
    try:
        if private:
            tmp.touch(mode=0o600)
        write(tmp)
        with open(tmp, "rb") as written:  # on disk before it replaces the previous version
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except Exception as error:  # a full disk stops the search with one clear line, whoever wrote
        if out_of_space(error) or _nearly_full(path.parent):
            raise disk_full(path) from error
        raise
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) among the processes of one machine."""
    with FileLock(str(path)):
        yield


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove what writers on this machine left in ``folder`` when they were killed (half-written files,
    worker payloads); the complete previous versions are in place. Other machines' files are left alone."""
    import psutil

    removed = []
    for leftover in [*folder.glob(".*.tmp"), *folder.glob(".*.pickle")]:
        found = _WRITER.search(leftover.name)
        if found and found["boot"] == _boot() and not psutil.pid_exists(int(found["pid"])):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed

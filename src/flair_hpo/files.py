"""Writing files so that a crash or a second worker never leaves a half-written one, and cleaning up after
writers that were killed.

A temporary file is named after its writer: ``.NAME.BOOT-PID.tmp``, the machine's boot id (its first eight
characters) and the writing process. A later search removes the temporaries of *this* machine's dead
processes only, never those of another machine writing to a shared folder. Files that may hold data of the
corpus or of the study are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from filelock import FileLock

_WRITER = re.compile(r"\.(?P<boot>[0-9a-f]{8})-(?P<pid>\d+)(?:-[0-9a-f]+)?\.(?:tmp|pickle)$")


@cache
def _boot() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
    except OSError:
        return "00000000"


def writer_tag() -> str:
    """``BOOT-PID``: this machine's boot and this process, as temporary files are named."""
    return f"{_boot()}-{os.getpid()}"


def atomic_write(path: Path, write: Callable[[Path], None], private: bool = False) -> None:
    """Call ``write(tmp)`` and move ``tmp`` onto ``path`` only once it is complete (``private``: readable by
    its owner only)."""
    tmp = path.with_name(f".{path.name}.{writer_tag()}.tmp")
    try:
        if private:
            tmp.touch(mode=0o600)
        write(tmp)
        with open(tmp, "rb") as written:  # on disk before it replaces the previous version
            os.fsync(written.fileno())
        os.replace(tmp, path)
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

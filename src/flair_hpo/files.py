"""Writing files so that a crash or a second worker never leaves a half-written one, and cleaning up after
writers that were killed.

A temporary is named after its writer (boot id, PID namespace, pid), so that only the temporaries of dead
processes of *this* machine and namespace are removed (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from filelock import FileLock

from flair_hpo.errors import DiskFullError, MachineError

#: The folder in ``base_path`` that holds one folder per trial (``trial-NNNN``: Flair's training.log and loss.tsv).
TRIALS_DIR = "trials"
_WRITER = re.compile(r"\.(?P<boot>[0-9a-f]{8})-(?:p(?P<ns>\d+)-)?(?P<pid>\d+)(?:-[0-9a-f]+)?\.(?:tmp|pickle)$")
#: A temporary of an earlier version's naming (no PID namespace) is removed once it is this old.
_UNNAMESPACED_AGE_S = 86_400
#: Less free space than this where a write failed: the disk was full (torch's zip writer hides the errno).
_NEARLY_FULL = 1 << 20


@cache
def boot_id() -> str:
    """This machine's boot id ("" where the system does not say): the same for every process until a reboot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


@cache
def pid_namespace() -> str:
    """The inode of this process's PID namespace ("" where the system does not say): a container's own."""
    try:
        return os.readlink("/proc/self/ns/pid").partition("[")[2].rstrip("]")
    except OSError:
        return ""


def _boot() -> str:
    return boot_id().replace("-", "")[:8] or "00000000"


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
    """``BOOT-pNS-PID``: this machine's boot, PID namespace and process, as temporary files are named."""
    return f"{_boot()}-p{pid_namespace() or 0}-{os.getpid()}"


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
    except Exception as error:  # the previous version stays; say what the machine lacks, in one line
        if out_of_space(error) or _nearly_full(path.parent):
            raise disk_full(path) from error
        if isinstance(error, OSError):
            raise MachineError(f"{path} cannot be written: {error.strerror or error}") from error
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
        if not found or found["boot"] != _boot() or psutil.pid_exists(int(found["pid"])):
            continue
        if found["ns"] is None:  # an earlier version's name: the writer's container is unknown
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > _UNNAMESPACED_AGE_S:
                    leftover.unlink(missing_ok=True)
                    removed.append(leftover)
        elif found["ns"] == (pid_namespace() or "0"):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


# ------------------------------------------------------------------ paths a search's files name
#: How a path relative to the file that names it starts (``./x`` or ``../x``): a model name never does.
_RELATIVE_MARKS = tuple(mark + sep for mark in (os.curdir, os.pardir) for sep in {"/", os.sep})


#: How deep below the root a folder that ``path`` and ``folder`` share must be for a relative path: a project
#: (``/home/me/ner``, ``/work/ner``), not a top-level folder that everything shares (``/tmp``, ``/home``).
_PROJECT_DEPTH = 2


def portable_path(path: str | Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (starting ``./`` or ``../``) where the two share a parent folder at least
    two levels below the root (a project they can be moved with); else absolute."""
    path, folder_text = os.path.abspath(path), os.path.abspath(folder)
    if len(Path(os.path.commonpath([path, folder_text])).parts) <= _PROJECT_DEPTH:
        return path
    relative = os.path.relpath(path, folder_text)
    return relative if relative.startswith(_RELATIVE_MARKS) else os.path.join(os.curdir, relative)


def local_path(text: str, folder: Path) -> str | None:
    """The path on this machine a string of a file in ``folder`` names: an absolute path as it is, a
    ``./``/``../`` one resolved from ``folder``; None for any other string (a model name, say)."""
    if os.path.isabs(text):
        return text
    if text.startswith(_RELATIVE_MARKS):
        return os.path.normpath(os.path.join(os.path.abspath(folder), text))
    return None


def portable_paths(value: Any, folder: Path) -> Any:
    """``value`` (nested mappings and lists) with every string that names an existing file or folder (an
    absolute path, or one with a separator, from the current folder) made :func:`portable_path` to ``folder``."""
    if isinstance(value, dict):
        return {key: portable_paths(inner, folder) for key, inner in value.items()}
    if isinstance(value, list):
        return [portable_paths(inner, folder) for inner in value]
    if isinstance(value, str) and (os.path.isabs(value) or os.sep in value) and os.path.exists(value):
        return portable_path(value, folder)
    return value


def resolved_paths(value: Any, folder: Path) -> Any:
    """The inverse of :func:`portable_paths` for a file read from ``folder``: relative paths made absolute."""
    if isinstance(value, dict):
        return {key: resolved_paths(inner, folder) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolved_paths(inner, folder) for inner in value]
    if isinstance(value, str):
        return local_path(value, folder) or value
    return value

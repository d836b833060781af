"""Real faults for the tests to inject: a file system filled up to its last bytes (on a ``small_disk``), a
process whose clock is off (libfaketime, Debian's ``faketime`` package, which the test command installs), a
step of the wall clock as the kernel reports it. The one test module that may touch another library's private
names (psutil's), as fault injection must (``tests/test_architecture.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

FILLER = ".filler"


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def fill_disk(folder: Path, leave: int = 0) -> Path:
    """Fill the file system holding ``folder`` until at most ``leave`` bytes are free; the filler file is
    returned (remove it to free the space again)."""
    filler = folder / FILLER
    chunk = b"\0" * 65536
    with open(filler, "ab") as handle:
        while free_bytes(folder) > leave:
            try:
                handle.write(chunk[: max(4096, min(len(chunk), free_bytes(folder) - leave))])
                handle.flush()
            except OSError:
                break
    return filler


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def faketime_env(offset: str) -> dict[str, str]:
    """The environment of a process whose wall clock is ``offset`` off (e.g. ``"+10m"``), as on a machine with a
    wrong clock: file time stamps stay the file system's (``NO_FAKE_STAT``)."""
    if not LIBFAKETIME.exists():
        raise RuntimeError(f"{LIBFAKETIME} is missing: apt-get install faketime (scripts/test.sh does)")
    return {**os.environ, "LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": offset, "NO_FAKE_STAT": "1"}


def step_boot_time(monkeypatch: Any, seconds: float) -> None:
    """What a step of the wall clock (NTP, a resumed VM) does to the boot time the kernel reports, and so to
    every process start time psutil computes from it: it moves by ``seconds``."""
    import psutil

    stepped = psutil.boot_time() + seconds
    monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: stepped)


MEMORY_CGROUPS = Path("/sys/fs/cgroup/memory")  # the v1 hierarchy of the memory controller


def memory_cgroup(name: str, limit_bytes: int) -> Path:
    """A memory cgroup (v1, as this test machine has it) holding at most ``limit_bytes`` of memory, as a cluster
    job's: a process in it that needs more is killed by the kernel (SIGKILL). Remove it with ``rmdir`` once its
    processes ended."""
    group = MEMORY_CGROUPS / name
    group.mkdir()
    (group / "memory.limit_in_bytes").write_text(str(limit_bytes))
    return group


def in_cgroup(group: Path, command: list[str]) -> list[str]:
    """``command`` run in the cgroup ``group`` (the shell moves itself in, then becomes the command)."""
    return ["bash", "-c", f'echo $$ > {group / "cgroup.procs"} && exec "$@"', "bash", *command]

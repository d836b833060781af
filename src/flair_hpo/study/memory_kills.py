"""Was a dead worker killed for memory? What the kernel's count of out-of-memory kills says, where it can say.

A configuration too large for its machine's memory limit (a cluster job's cgroup) gets its worker killed by the
kernel (SIGKILL, exit 137): no Python code runs, so the trial is left running and found dead later, like any
killed worker. Such deaths are counted per configuration (:mod:`flair_hpo.study.requeue`), so that it is not
trained again and again. A worker killed for another reason (a person's ``kill -9``, a scheduler's) is not
the configuration's fault, and its death should not count.

The kernel counts the out-of-memory kills of each memory cgroup (``oom_kill`` in ``memory.events``, cgroup v2,
or ``memory.oom_control``, v1). A trial's owner notes its cgroup's count when it claims the trial
(:func:`oom_counter`); a process on the same machine that finds the trial dead reads the count again
(:func:`killed_for_memory`): higher, the worker was (most likely) killed for memory; the same, it was not.
Elsewhere, or without a cgroup's count, it cannot tell (None), and the death counts.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flair_hpo.files import boot_id

_V2_FILE, _V1_FILE = "memory.events", "memory.oom_control"


def oom_counter() -> dict[str, Any] | None:
    """Where this process's memory cgroup counts its out-of-memory kills, and the count now:
    ``{"file": PATH, "kills": N}``; None where the system does not say."""
    for path in _counter_files():
        kills = _kills(path)
        if kills is not None:
            return {"file": str(path), "kills": kills}
    return None


def killed_for_memory(owner: dict[str, Any]) -> bool | None:
    """Whether the dead trial's owner (its identity, as noted on the trial) was killed for memory: True when its
    cgroup counted an out-of-memory kill since it claimed the trial, False when it did not, None when this
    process cannot tell (another machine, no count noted or readable)."""
    noted = owner.get("oom")
    if not isinstance(noted, dict) or not boot_id() or owner.get("boot") != boot_id():
        return None
    kills = _kills(Path(str(noted.get("file"))))
    if kills is None or not isinstance(noted.get("kills"), int):
        return None
    return kills > noted["kills"]


def _kills(path: Path) -> int | None:
    """The ``oom_kill`` count in a cgroup's file; None when it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
    return None


def _counter_files() -> list[Path]:
    """The files that may count this process's out-of-memory kills: its v1 memory cgroup's, then its v2 one's."""
    try:
        groups = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    found = []
    for version, file in ((1, _V1_FILE), (2, _V2_FILE)):
        group = _group(groups, version)
        for root, mountpoint in _mounts(mounts, version):
            if group is not None and (group == root or group.startswith(root.rstrip("/") + "/")):
                found.append(Path(mountpoint, group[len(root.rstrip("/")) :].lstrip("/"), file))
    return found


def _group(lines: list[str], version: int) -> str | None:
    """This process's cgroup path in the v1 memory hierarchy, or in the v2 one."""
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (version == 2 and controllers == "") or (version == 1 and "memory" in controllers.split(",")):
            return path
    return None


def _mounts(lines: list[str], version: int) -> list[tuple[str, str]]:
    """(root, mount point) of each mount of the v1 memory hierarchy, or of the v2 one (``/proc/self/mountinfo``:
    ``ID PARENT DEV ROOT MOUNTPOINT ... - TYPE SOURCE OPTIONS``)."""
    found = []
    for line in lines:
        fields, _, tail = line.partition(" - ")
        parts, (kind, *rest) = fields.split(), tail.split() or [""]
        options = rest[-1].split(",") if len(rest) == 2 else []
        wanted = kind == "cgroup2" if version == 2 else kind == "cgroup" and "memory" in options
        if wanted and len(parts) >= 5:
            found.append((parts[3], parts[4]))
    return found

"""Was a dead worker killed for memory? The kernel's count of out-of-memory kills in its cgroup says, where it can.

Why: a configuration too large for the memory limit gets its worker killed again and again, but a person's
``kill -9`` is not the configuration's fault; a death that cannot be told apart counts.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from flair_hpo.files import boot_id

_V2_FILE, _V1_FILE = "memory.events", "memory.oom_control"


def oom_counter() -> dict[str, Any] | None:
    """This process's cgroup's out-of-memory kill count and its file (``{"file": PATH, "kills": N}``), or None."""
    for path in _counter_files():
        kills = _kills(path)
        if kills is not None:
            return {"file": str(path), "kills": kills}
    return None


def killed_for_memory(owner: dict[str, Any]) -> bool | None:
    """Whether the dead trial's owner was killed for memory since it claimed the trial; None if unknown."""
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

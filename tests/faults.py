"""Real faults for the tests to inject: a file system filled up to its last bytes (on a ``small_disk``)."""

from __future__ import annotations

import os
from pathlib import Path

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

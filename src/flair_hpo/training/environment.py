"""The environment variables flair-hpo reads (``FLAIR_HPO_CACHE``, ``FLAIR_HPO_CACHE_GB``, ``FLAIR_HPO_THREADS``),
each checked where a search or a training starts.

Why: a slip in a variable set once in a shell profile would otherwise surface deep inside every trial. An empty
variable counts as unset.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from flair_hpo.errors import SettingsError

CACHE = "FLAIR_HPO_CACHE"
CACHE_GB = "FLAIR_HPO_CACHE_GB"
THREADS = "FLAIR_HPO_THREADS"
#: What the machine's embedding cache holds at most when ``FLAIR_HPO_CACHE_GB`` is unset.
DEFAULT_CACHE_GB = 64.0


def cache_directory(part: str = "embeddings") -> Path:
    """A folder of the machine's cache, ``$FLAIR_HPO_CACHE/PART`` or under the user's cache folder;
    :class:`SettingsError` when it cannot be made or written."""
    given = os.environ.get(CACHE)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if given:
        root, source = Path(given), f"{CACHE}={given!r}"
    else:
        root = Path(xdg or Path.home() / ".cache") / "flair-hpo"
        source = f"XDG_CACHE_HOME={xdg!r}" if xdg else f"the embedding cache {root}"
    directory = root / part
    problem = _folder_problem(directory)
    if problem:
        raise SettingsError(
            f"{source}: {problem}; set {CACHE} to a folder this user can write (or pass embedding_store=PATH, "
            "or embedding_store=False)"
        )
    return directory


def cache_gb() -> float:
    """``$FLAIR_HPO_CACHE_GB`` (64 when unset); :class:`SettingsError` when it is not a number above 0."""
    given = os.environ.get(CACHE_GB)
    if not given:
        return DEFAULT_CACHE_GB
    try:
        value = float(given)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(
            f"{CACHE_GB}={given!r}: it must be a number of gigabytes above 0, the most the embedding cache may "
            f"hold (unset: {DEFAULT_CACHE_GB:g})"
        )
    return value


def worker_threads() -> int | None:
    """``$FLAIR_HPO_THREADS`` (None when unset); :class:`SettingsError` when it is not a whole number from 1."""
    given = os.environ.get(THREADS)
    if not given:
        return None
    if not given.strip().isdigit() or int(given) < 1:
        raise SettingsError(
            f"{THREADS}={given!r}: it must be a whole number from 1, the CPU threads of each worker process "
            "(unset: flair-hpo shares the cores out between its workers)"
        )
    return int(given)


def _folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be made or written, found without making anything; None when it can."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} cannot be written by this user"
    return None

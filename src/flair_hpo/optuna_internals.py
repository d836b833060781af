"""The few private parts of Optuna flair-hpo uses, in one place; ``pyproject.toml`` pins Optuna to the minor
version they were tested with.

Why each: a skipped trial is marked through the storage and trial id (as Optuna's ``GridSampler`` marks its
point); the study's clock and :mod:`flair_hpo.study.journal` need the journal's file, path and lock; riding out
an outage retries the private calls of Optuna's storage cache too (:data:`CACHED_STORAGE_CALLS`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage a study reads and writes."""
    return study._storage


def study_id(study: optuna.Study) -> int:
    """The storage's id of a study."""
    return study._study_id


def trial_id(trial: Any) -> int:
    """The storage's id of a trial (``optuna.Trial`` or ``FrozenTrial``); numbers are per study, ids per storage."""
    return trial._trial_id


def journal_path(storage: Any) -> Path | None:
    """The file a ``JournalStorage`` writes, when its backend is a journal file."""
    path = getattr(getattr(storage, "_backend", None), "_file_path", None)
    return Path(path) if path else None


def journal_file(backend: JournalFileBackend) -> str:
    """The path of the file a ``JournalFileBackend`` reads and appends to."""
    return backend._file_path


def journal_lock(backend: JournalFileBackend) -> AbstractContextManager:
    """The lock a ``JournalFileBackend`` holds while it appends, taken as a context manager."""
    return get_lock_file(backend._lock)


#: The private methods of ``RDBStorage`` that Optuna's ``_CachedStorage`` (which every study keeps in front of a
#: database storage) calls instead of the storage interface's: asking for a trial, setting a parameter, reading
#: the trials and the best one.
CACHED_STORAGE_CALLS = (
    "_create_new_trial",
    "_set_trial_param",
    "_get_best_trial_id",
    "_get_trials",
    "_get_stale_trial_ids",
)

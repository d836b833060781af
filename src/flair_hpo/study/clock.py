"""The study's clock: the storage's (the database server's, or the file system's for a journal), so that a time
budget adds up across workers whose wall clocks disagree; between readings it runs on the monotonic clock."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalStorage

from flair_hpo.optuna_internals import journal_path

log = logging.getLogger("flair_hpo")

#: Seconds since the epoch by the database server's clock, per SQLAlchemy dialect.
_SQL_NOW = {
    "postgresql": "SELECT EXTRACT(EPOCH FROM clock_timestamp())",
    "mysql": "SELECT UNIX_TIMESTAMP(NOW(6))",
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
}


class StudyClock:
    """Seconds since the epoch by the storage's clock (see the module's docstring); call it."""

    def __init__(self, read: Callable[[], float] | None) -> None:
        self._read = read
        self._offset: float | None = None  # the storage's time minus this process's monotonic clock
        self._said = False

    def __call__(self) -> float:
        if self._read is None:
            return time.time()
        try:
            self._offset = self._read() - time.monotonic()
        except Exception as error:  # an outage: run on from the last reading (the caller's calls are retried)
            if not self._said:
                log.debug("the storage's clock cannot be read (%s); counting on from its last reading", error)
                self._said = True
            if self._offset is None:
                self._offset = time.time() - time.monotonic()
        return time.monotonic() + self._offset


def storage_clock(storage: BaseStorage) -> StudyClock:
    """The clock of ``storage``: its database server's, its journal file's file system's, or this machine's."""
    if isinstance(storage, RDBStorage) and storage.engine.dialect.name in _SQL_NOW:
        return StudyClock(lambda: _sql_now(storage))
    path = journal_path(storage) if isinstance(storage, JournalStorage) else None
    if path is not None:
        return StudyClock(lambda: _file_system_now(path))
    return StudyClock(None)


def _sql_now(storage: RDBStorage) -> float:
    from sqlalchemy import text

    with storage.engine.connect() as connection:
        return float(connection.execute(text(_SQL_NOW[storage.engine.dialect.name])).scalar())


def _file_system_now(path: Path) -> float:
    os.utime(path, None)  # the file system stamps its own time (a file server's, for a shared folder)
    return os.stat(path).st_mtime

"""Riding out a storage outage: every call to the study's storage is retried with backoff for up to four
heartbeat intervals (60 s at least) or the run's ``storage_patience``; longer, it is the machine's fault
(:class:`~flair_hpo.errors.StorageOutage`), never a configuration's. A database server's full disk is no outage."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from optuna.storages import BaseStorage

from flair_hpo.errors import DiskFullError, StorageOutage
from flair_hpo.files import out_of_space
from flair_hpo.optuna_internals import CACHED_STORAGE_CALLS

log = logging.getLogger("flair_hpo")


def storage_methods() -> list[str]:
    """Every method of Optuna's ``BaseStorage`` (the ones retried), read from it so none is ever left out."""
    interface = [name for name, member in vars(BaseStorage).items() if callable(member) and not name.startswith("_")]
    return sorted([*interface, *CACHED_STORAGE_CALLS])


def transient(error: BaseException) -> bool:
    """Whether ``error`` says the storage did not answer (a full disk or quota does not: it would not heal)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if out_of_space(error) or server_disk_full(error):  # ENOSPC, EDQUOT, DiskFullError, SQLSTATE 53100
        return False
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, OperationalError | InterfaceError):
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError | PermissionError):
            return True  # a journal file on a disk or share that stalled
    return False


#: PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources), and SQLite's SQLITE_FULL.
_DISK_FULL_SQLSTATE, _SQLITE_FULL = "53100", 13


def server_disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the database's disk is full (PostgreSQL's SQLSTATE 53100, or SQLite's)."""
    for cause in (error, error.__cause__, error.__context__):
        original = getattr(cause, "orig", cause)
        if _DISK_FULL_SQLSTATE in (getattr(original, "sqlstate", None), getattr(original, "pgcode", None)):
            return True
        if getattr(original, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
    return False


def retry(
    call: Callable[[], Any],
    patience: float,
    transient: Callable[[BaseException], bool] = transient,
    first_wait: float = 0.5,
    where: str | None = None,
) -> Any:
    """``call()``, called again with backoff and jitter while it raises an error that ``transient`` says may
    pass, for up to ``patience`` seconds; given ``where``, an outage that outlasts it raises
    :class:`StorageOutage`, and a database server's full disk :class:`DiskFullError`."""
    deadline, wait, said = time.monotonic() + patience, first_wait, False
    while True:
        try:
            result = call()
            if said:
                log.info("the storage answers again")
            return result
        except Exception as error:
            if where is not None and server_disk_full(error):
                raise DiskFullError(
                    f"no space left on the disk of the study's database ({where}: {_first_line(error)}); free space "
                    "there and run the same command again: the search resumes with every finished trial"
                ) from error
            if not transient(error) or time.monotonic() + wait > deadline:
                if where is not None and transient(error):
                    raise _outage(where, patience, error) from error
                raise
            if not said:
                log.warning("the storage does not answer (%s); trying again for %.0f s", type(error).__name__, patience)
                said = True
            time.sleep(wait * (0.5 + random.random()))
            wait = min(wait * 2, 15.0)


def _first_line(error: BaseException) -> str:
    """What the database said, in short: its error's first line (which names no password)."""
    original = getattr(error.__cause__, "orig", None) or error.__cause__ or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:200]


def _outage(where: str, patience: float, error: BaseException) -> StorageOutage:
    cause = error.__cause__ or error
    return StorageOutage(
        f"the study's storage {where} did not answer for {patience:.0f} s ({type(cause).__name__}): a trial that "
        "was training is queued again once it answers, and counts nothing (if the search stops, run the same "
        "command again then)"
    )


def _retrying(method: Callable[..., Any], patience: float, where: str) -> Callable[..., Any]:
    @wraps(method)
    def call(self: BaseStorage, *args: Any, **kwargs: Any) -> Any:
        return retry(lambda: method(self, *args, **kwargs), patience, where=where)

    return call


def with_retries(storage: BaseStorage, patience: float, where: str = "") -> BaseStorage:
    """``storage``, whose calls are retried for ``patience`` seconds while it does not answer; its
    ``without_retries`` attribute is the same storage without (for a heartbeat, which must notice)."""
    base = type(storage)
    methods = {
        name: _retrying(getattr(base, name), patience, where) for name in storage_methods() if hasattr(base, name)
    }
    # The object's class is swapped for a subclass rather than wrapped in a proxy: Optuna's study keeps the
    # storage and checks its type (isinstance of RDBStorage, JournalStorage, the heartbeat interface) and reads
    # its attributes; a subclass passes every such check and changes only the retried methods.
    storage.__class__ = type(f"Retrying{base.__name__}", (base,), methods)
    storage.without_retries = _Plain(storage, base)
    return storage


class _Plain:
    """The storage's own methods, not retried."""

    def __init__(self, storage: BaseStorage, base: type) -> None:
        self._storage, self._base = storage, base

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name).__get__(self._storage, self._base)

"""Riding out a storage outage: every call a search makes to its study's storage is retried while the storage
does not answer (a database restarting, a network blip, a shared disk that stalls), with backoff, for up to a
few heartbeat grace periods. A trial that is training meanwhile goes on; its report at the end of the epoch
waits until the storage answers again. What is not an outage (a finished trial written to, a study that does
not exist) fails at once, as before.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from optuna.storages import BaseStorage

from flair_hpo.files import out_of_space

log = logging.getLogger("flair_hpo")


def storage_methods() -> list[str]:
    """Every method of Optuna's storage interface (``BaseStorage``): the calls a search may make, and so the
    ones retried. Read from the interface itself, so that a method Optuna adds is never left out."""
    return sorted(name for name, member in vars(BaseStorage).items() if callable(member) and not name.startswith("_"))


def transient(error: BaseException) -> bool:
    """Whether ``error`` says the storage did not answer (so that a later call may succeed). A full disk or
    an exhausted quota is not: it does not heal in a minute, and retrying would only hide it (and, for a
    journal file, each retry could leave a torn line)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if out_of_space(error):  # ENOSPC, EDQUOT, DiskFullError
        return False
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, OperationalError | InterfaceError):
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError | PermissionError):
            return True  # a journal file on a disk or share that stalled
    return False


def retry(
    call: Callable[[], Any],
    patience: float,
    transient: Callable[[BaseException], bool] = transient,
    first_wait: float = 0.5,
) -> Any:
    """``call()``, called again with backoff (and jitter, so that workers do not collide again) while it raises
    an error that ``transient`` says may pass, for up to ``patience`` seconds; the last error is raised."""
    deadline, wait, said = time.monotonic() + patience, first_wait, False
    while True:
        try:
            result = call()
            if said:
                log.info("the storage answers again")
            return result
        except Exception as error:
            if not transient(error) or time.monotonic() + wait > deadline:
                raise
            if not said:
                log.warning("the storage does not answer (%s); trying again for %.0f s", type(error).__name__, patience)
                said = True
            time.sleep(wait * (0.5 + random.random()))
            wait = min(wait * 2, 15.0)


def _retrying(method: Callable[..., Any], patience: float) -> Callable[..., Any]:
    @wraps(method)
    def call(self: BaseStorage, *args: Any, **kwargs: Any) -> Any:
        return retry(lambda: method(self, *args, **kwargs), patience)

    return call


def with_retries(storage: BaseStorage, patience: float) -> BaseStorage:
    """``storage``, whose calls are retried for ``patience`` seconds while it does not answer; its
    ``without_retries`` attribute is the same storage without (for a heartbeat, which must notice)."""
    base = type(storage)
    methods = {name: _retrying(getattr(base, name), patience) for name in storage_methods() if hasattr(base, name)}
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

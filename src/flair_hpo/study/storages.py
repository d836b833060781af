"""Where a study lives: Optuna's storages, opened with a heartbeat, and storage URLs shown without secrets.

* No storage given: a journal file, ``base_path/study.journal`` (Optuna's ``JournalFileBackend``). Processes
  on one machine, or on machines that share the folder, can work on it together.
* A URL: any database Optuna's ``RDBStorage`` opens, e.g. ``postgresql://flair@db-host/hpo`` for workers on
  many machines. Put the password in ``~/.pgpass`` or ``PGPASSWORD`` rather than in the URL; wherever
  flair-hpo prints a URL (logs, errors, results) its password is replaced by ``***``.

Each running trial records a heartbeat every ``heartbeat_interval`` seconds. A trial whose heartbeat is
older than three intervals belongs to a dead worker (killed, out of memory, machine lost); the next worker
that looks fails it and queues its configuration again (:meth:`flair_hpo.study.trial_store.TrialStore.requeue_dead`).
Optuna's ``RDBStorage`` keeps heartbeats itself, timed by the database server's clock; for the journal file
the heartbeat is a trial attribute timed by the workers' clocks, which must then agree within an interval.
"""

from __future__ import annotations

import contextlib
import random
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from flair_hpo.errors import StorageError

JOURNAL_FILE = "study.journal"
HEARTBEAT_INTERVAL = 30
GRACE_INTERVALS = 3
_HEARTBEAT_ATTR = "flair_hpo:heartbeat"
_CREATE_ATTEMPTS = 5


def redact(url: Any) -> str:
    """``url`` with its password replaced by ``***`` (anything else unchanged)."""
    if not isinstance(url, str):
        return repr(url)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def _without_secret(text: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:  # not a URL at all: nothing to hide
        return text
    return text.replace(str(password), "***") if password else text


class _JournalWithHeartbeat(JournalStorage, BaseHeartbeat):
    """Optuna's journal storage with the heartbeat Optuna gives ``RDBStorage``: a trial attribute."""

    def __init__(self, path: Path, heartbeat_interval: int) -> None:
        super().__init__(JournalFileBackend(str(path)))
        self._heartbeat_interval = heartbeat_interval

    def record_heartbeat(self, trial_id: int) -> None:
        # A trial declared dead meanwhile has nothing left to keep alive.
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            self.set_trial_system_attr(trial_id, _HEARTBEAT_ATTR, time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        oldest = time.time() - GRACE_INTERVALS * self._heartbeat_interval
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(_HEARTBEAT_ATTR)
            if beat is None and trial.datetime_start is not None:
                beat = trial.datetime_start.timestamp()
            if beat is not None and beat < oldest:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int:
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> None:
        return None  # flair-hpo re-queues dead trials itself (it marks them before failing them)


def open_storage(
    storage: str | BaseStorage | None, base_path: Path, heartbeat_interval: int | None = HEARTBEAT_INTERVAL
) -> BaseStorage:
    """The storage a study lives in: ``storage`` if given, else the journal file in ``base_path``.

    ``heartbeat_interval=None`` opens it without heartbeats (for reading). A storage object is used as it is.
    Raises :class:`StorageError`, with the password hidden, when the storage cannot be opened.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if storage is None:
        path = base_path / JOURNAL_FILE
        if heartbeat_interval is None:
            return JournalStorage(JournalFileBackend(str(path)))
        return _JournalWithHeartbeat(path, heartbeat_interval)
    if not isinstance(storage, str) or not storage.strip():
        raise StorageError(f"storage must be an Optuna storage URL such as postgresql://user@host/db, not {storage!r}")
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    heartbeat = {}
    if heartbeat_interval is not None:
        heartbeat = {"heartbeat_interval": heartbeat_interval, "grace_period": GRACE_INTERVALS * heartbeat_interval}
    try:
        return optuna.storages.get_storage(_rdb_storage(storage, heartbeat))
    except ImportError as error:  # Optuna re-raises the driver's ModuleNotFoundError as an ImportError
        missing = getattr(error.__cause__, "name", None) or "its database driver"
        raise StorageError(
            f"the storage {redact(storage)} needs the Python package {missing}: for PostgreSQL, "
            "pip install 'flair-hpo[postgresql]'; for other databases, the driver the URL names"
        ) from None
    except (ArgumentError, NoSuchModuleError) as error:
        raise StorageError(
            f"the storage {redact(storage)} is not a database URL SQLAlchemy knows ({type(error).__name__}); write "
            "e.g. postgresql://user@host:5432/database or sqlite:///path/to/study.db"
        ) from None
    except Exception as error:  # SQLAlchemy's errors for refused connections, wrong passwords, missing databases
        reason = _without_secret(str(error).strip().splitlines()[0] if str(error).strip() else "", storage)
        raise StorageError(
            f"cannot open the storage {redact(storage)}: {type(error).__name__}: {reason} (check the URL, that the "
            "database server runs and accepts this user, e.g. postgresql://user@host:5432/database)"
        ) from None


def _rdb_storage(url: str, heartbeat: dict[str, int]) -> optuna.storages.RDBStorage:
    """Optuna's RDBStorage; retried when workers starting together race to create its tables."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(_CREATE_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # Optuna calls its heartbeat experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True}, **heartbeat)
        except (IntegrityError, ProgrammingError):
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.5 + random.random())
    raise AssertionError("unreachable")


def study_exists(storage: BaseStorage, study_name: str) -> bool:
    try:
        storage.get_study_id_from_name(study_name)
    except KeyError:
        return False
    return True
